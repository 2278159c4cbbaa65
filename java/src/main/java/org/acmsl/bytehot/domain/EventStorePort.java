package org.acmsl.bytehot.domain;

import java.time.Instant;
import java.util.List;

/**
 * Where the domain persists and reads its events.
 *
 * <p>Failures are reported as {@link EventStoreException} or one of its subclasses.
 */
public interface EventStorePort extends Port {

    /**
     * Persists an event. A version of 0 appends it at the end of its aggregate; a version
     * {@code > 0} must be exactly the aggregate's current version plus one.
     * @param event the event
     * @throws ConcurrencyConflictException when the event's version is not the next one
     * @throws InvalidEventException when the event cannot be stored as it is
     */
    void save(VersionedDomainEvent event);

    /**
     * All events of an aggregate, in version order.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return the events, empty for an unknown aggregate
     */
    List<VersionedDomainEvent> getEventsForAggregate(String aggregateType, String aggregateId);

    /**
     * The events of an aggregate whose version is greater than {@code sinceVersion}, in version order.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @param sinceVersion the last version the caller already has (0 for all)
     * @return the events
     */
    List<VersionedDomainEvent> getEventsForAggregateSince(String aggregateType, String aggregateId, long sinceVersion);

    /**
     * All events of one type, ordered by timestamp, then aggregate, then version.
     * @param eventType the event type (see {@link VersionedDomainEvent#getEventType()})
     * @return the events
     */
    List<VersionedDomainEvent> getEventsByType(String eventType);

    /**
     * The events whose timestamp lies in {@code [startTime, endTime]}, ordered by timestamp,
     * then aggregate, then version.
     * @param startTime inclusive start
     * @param endTime inclusive end
     * @return the events
     */
    List<VersionedDomainEvent> getEventsBetween(Instant startTime, Instant endTime);

    /**
     * The aggregate's last version.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return the version, 0 when the aggregate has no events
     */
    long getCurrentVersion(String aggregateType, String aggregateId);

    /**
     * Whether the store is usable.
     * @return true when healthy
     */
    boolean isHealthy();

    /**
     * Number of events in the store.
     * @return the count
     */
    long getTotalEventCount();

    /**
     * Number of events of an aggregate.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return the count, 0 for an unknown aggregate
     */
    long getEventCountForAggregate(String aggregateType, String aggregateId);

    /**
     * Whether an aggregate has at least one event.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return true when it has events
     */
    boolean aggregateExists(String aggregateType, String aggregateId);

    /**
     * The aggregate types that have events, sorted.
     * @return the types
     */
    List<String> getAggregateTypes();

    /**
     * The ids of the aggregates of a type, sorted.
     * @param aggregateType the aggregate type
     * @return the ids
     */
    List<String> getAggregateIds(String aggregateType);
}
