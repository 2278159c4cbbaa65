package org.acmsl.bytehot.domain.events;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import org.acmsl.bytehot.domain.WatchConfiguration;

/**
 * ByteHot was asked to attach to the running JVM. The {@code Instrumentation} instance of the original event is a live JVM object: it is not stored.
 * Aggregate type: {@code bytehot}.
 */
public final class ByteHotAttachRequested extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "bytehot";

    private final WatchConfiguration configuration;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param configuration what to watch
     */
    public ByteHotAttachRequested(
        final EventMetadata metadata,
        final WatchConfiguration configuration) {
        super(metadata);
        this.configuration = configuration;
    }

    /**
     * The request to attach ByteHot, as ByteHot's factory of that name makes it: version 1 of
     * aggregate {@code bytehot/attach-<epoch millis>}. The instrumentation is the running JVM's
     * and is not part of the stored event; it is taken only so that ByteHot's callers compile.
     * @param configuration what to watch
     * @param instrumentation the agent's instrumentation (not stored)
     * @return the event
     */
    public static ByteHotAttachRequested withUserContext(
        final WatchConfiguration configuration, final Instrumentation instrumentation) {
        return new ByteHotAttachRequested(
            EventMetadata.forExistingAggregate(AGGREGATE_TYPE, "attach-" + System.currentTimeMillis(), null, 0L),
            configuration);
    }

    /**
     * What to watch.
     * @return the configuration
     */
    public WatchConfiguration getConfiguration() {
        return configuration;
    }

    @Override
    protected ByteHotAttachRequested withMetadata(final EventMetadata newMetadata) {
        return new ByteHotAttachRequested(newMetadata, configuration);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("configuration", configuration);
    }
}
