package org.acmsl.bytehot.domain;

import java.time.Instant;

/**
 * A domain event carrying the event-sourcing metadata that places it in the history of an
 * aggregate. Any class implementing this interface can be stored in an {@link EventStorePort}.
 */
public interface VersionedDomainEvent extends DomainEvent {

    /**
     * Unique identifier of this event.
     * @return the event id
     */
    String getEventId();

    /**
     * Type of aggregate this event belongs to, e.g. {@code hotswap}.
     * @return the aggregate type
     */
    String getAggregateType();

    /**
     * Identifier of the aggregate instance.
     * @return the aggregate id
     */
    String getAggregateId();

    /**
     * Version of this event within its aggregate (1, 2, 3, ...); 0 before the store assigned one.
     * @return the aggregate version
     */
    long getAggregateVersion();

    /**
     * When the event occurred; {@code null} lets the store assign its clock.
     * @return the timestamp
     */
    Instant getTimestamp();

    /**
     * Id of the previous event of the same aggregate, {@code null} for the first one.
     * @return the previous event id
     */
    String getPreviousEventId();

    /**
     * Version of the event's schema, for migrations.
     * @return the schema version
     */
    int getSchemaVersion();

    /**
     * The user on whose behalf the event happened, if known.
     * @return the user id or {@code null}
     */
    String getUserId();

    /**
     * Identifier shared by all events of one logical operation, if any.
     * @return the correlation id or {@code null}
     */
    String getCorrelationId();

    /**
     * Id of the event that caused this one, if any.
     * @return the causation id or {@code null}
     */
    default String getCausationId() {
        return null;
    }

    /**
     * The event's position in the store's global order (ByteHot's name for it), known when
     * the event was read by position ({@code readAll}, a subscription).
     * @return the position, or {@code null}
     */
    default Long getStreamPosition() {
        return null;
    }

    /**
     * Whether this is its aggregate's first event: version 1 and no previous event.
     * @return true for a first event
     */
    default boolean isFirstEvent() {
        return getAggregateVersion() == 1L && getPreviousEventId() == null;
    }

    /**
     * Whether the event names the aggregate's previous event.
     * @return true when it has a previous event id
     */
    default boolean hasCausality() {
        return getPreviousEventId() != null;
    }

    /**
     * Whether a user is named.
     * @return true when the user id is not blank
     */
    default boolean hasUser() {
        return getUserId() != null && !getUserId().isBlank();
    }

    /**
     * Whether the event belongs to a correlation.
     * @return true when the correlation id is not blank
     */
    default boolean isCorrelated() {
        return getCorrelationId() != null && !getCorrelationId().isBlank();
    }

    /**
     * The event's type name as stored (file names, queries by type). It must consist of
     * letters, digits, {@code _} and {@code $}.
     * @return the simple class name unless overridden
     */
    default String getEventType() {
        return getClass().getSimpleName();
    }
}
