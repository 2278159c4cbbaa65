package org.acmsl.bytehot.domain;

/**
 * The kind of event-store operation an {@link EventStoreException} arose from (ByteHot's
 * names).
 */
public enum OperationType {
    /** Saving events (and rewriting stored ones). */
    SAVE,
    /** Reading events, versions, aggregate types or ids. */
    RETRIEVE,
    /** Counting events or asking whether an aggregate exists. */
    COUNT,
    /** The health checks. */
    HEALTH_CHECK,
    /** Opening the store. */
    INITIALIZATION
}
