package org.acmsl.bytehot.domain.events;

import java.util.Map;

/**
 * The JVM's redefinition capabilities were checked and enabled. The {@code Instrumentation} instance is stored as the two capability flags.
 * Aggregate type: {@code bytehot}.
 */
public final class HotSwapCapabilityEnabled extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "bytehot";

    private final boolean redefineClassesSupported;

    private final boolean retransformClassesSupported;

    private final String precedingEventId;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param redefineClassesSupported whether the JVM can redefine classes
     * @param retransformClassesSupported whether the JVM can retransform classes
     * @param precedingEventId id of the event this one follows from (the catalog's preceding event), or {@code null}
     */
    public HotSwapCapabilityEnabled(
        final EventMetadata metadata,
        final boolean redefineClassesSupported,
        final boolean retransformClassesSupported,
        final String precedingEventId) {
        super(metadata);
        this.redefineClassesSupported = redefineClassesSupported;
        this.retransformClassesSupported = retransformClassesSupported;
        this.precedingEventId = precedingEventId;
    }

    /**
     * Whether the JVM can redefine classes.
     * @return the redefineClassesSupported
     */
    public boolean isRedefineClassesSupported() {
        return redefineClassesSupported;
    }

    /**
     * Whether the JVM can retransform classes.
     * @return the retransformClassesSupported
     */
    public boolean isRetransformClassesSupported() {
        return retransformClassesSupported;
    }

    /**
     * Id of the event this one follows from (the catalog's preceding event), or {@code null}.
     * @return the precedingEventId
     */
    public String getPrecedingEventId() {
        return precedingEventId;
    }

    @Override
    protected HotSwapCapabilityEnabled withMetadata(final EventMetadata newMetadata) {
        return new HotSwapCapabilityEnabled(newMetadata, redefineClassesSupported, retransformClassesSupported,
            precedingEventId);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("redefineClassesSupported", redefineClassesSupported, "retransformClassesSupported", retransformClassesSupported, "precedingEventId", precedingEventId);
    }
}
