package org.acmsl.bytehot.domain.events;

import java.util.Map;
import org.acmsl.bytehot.domain.WatchConfiguration;

/**
 * A watch configuration was applied.
 * Aggregate type: {@code bytehot}.
 */
public final class WatchPathConfigured extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "bytehot";

    private final WatchConfiguration configuration;

    private final String precedingEventId;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param configuration the applied configuration
     * @param precedingEventId id of the event this one follows from (the catalog's preceding event), or {@code null}
     */
    public WatchPathConfigured(
        final EventMetadata metadata,
        final WatchConfiguration configuration,
        final String precedingEventId) {
        super(metadata);
        this.configuration = configuration;
        this.precedingEventId = precedingEventId;
    }

    /**
     * The applied configuration.
     * @return the configuration
     */
    public WatchConfiguration getConfiguration() {
        return configuration;
    }

    /**
     * Id of the event this one follows from (the catalog's preceding event), or {@code null}.
     * @return the precedingEventId
     */
    public String getPrecedingEventId() {
        return precedingEventId;
    }

    @Override
    protected WatchPathConfigured withMetadata(final EventMetadata newMetadata) {
        return new WatchPathConfigured(newMetadata, configuration, precedingEventId);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("configuration", configuration, "precedingEventId", precedingEventId);
    }
}
