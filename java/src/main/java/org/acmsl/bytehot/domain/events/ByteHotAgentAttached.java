package org.acmsl.bytehot.domain.events;

import java.util.Map;
import org.acmsl.bytehot.domain.WatchConfiguration;

/**
 * The ByteHot agent attached to the JVM.
 * Aggregate type: {@code bytehot}.
 */
public final class ByteHotAgentAttached extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "bytehot";

    private final WatchConfiguration configuration;

    private final String precedingEventId;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param configuration what is watched
     * @param precedingEventId id of the event this one follows from (the catalog's preceding event), or {@code null}
     */
    public ByteHotAgentAttached(
        final EventMetadata metadata,
        final WatchConfiguration configuration,
        final String precedingEventId) {
        super(metadata);
        this.configuration = configuration;
        this.precedingEventId = precedingEventId;
    }

    /**
     * What is watched.
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
    protected ByteHotAgentAttached withMetadata(final EventMetadata newMetadata) {
        return new ByteHotAgentAttached(newMetadata, configuration, precedingEventId);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("configuration", configuration, "precedingEventId", precedingEventId);
    }
}
