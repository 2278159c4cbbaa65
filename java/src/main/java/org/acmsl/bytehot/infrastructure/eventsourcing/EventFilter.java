package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * Which events {@link FilesystemEventStoreAdapter#exportEvents} writes: {@link #all()}, narrowed
 * by each {@code with...} (immutable; each returns a copy). With an event type or a time range
 * the index finds the events, ordered by timestamp; otherwise every aggregate (of the type, if
 * given) is read in turn, each in version order.
 */
public final class EventFilter {

    private static final EventFilter ALL = new EventFilter(null, null, null, null, null, null, null);

    private final String eventType;

    private final String aggregateType;

    private final Instant from;

    private final Instant to;

    private final String correlationId;

    private final String userId;

    private final Long limit;

    private EventFilter(final String eventType, final String aggregateType, final Instant from, final Instant to,
        final String correlationId, final String userId, final Long limit) {
        this.eventType = eventType;
        this.aggregateType = aggregateType;
        this.from = from;
        this.to = to;
        this.correlationId = correlationId;
        this.userId = userId;
        this.limit = limit;
    }

    /**
     * Every event of the store.
     * @return the filter
     */
    public static EventFilter all() {
        return ALL;
    }

    /**
     * Only events of one event type.
     * @param type the event type (as stored: the event class's simple name by default)
     * @return the narrowed filter
     */
    public EventFilter withEventType(final String type) {
        return new EventFilter(Objects.requireNonNull(type, "type"), aggregateType, from, to, correlationId, userId,
            limit);
    }

    /**
     * Only events of aggregates of one type.
     * @param type the aggregate type
     * @return the narrowed filter
     */
    public EventFilter withAggregateType(final String type) {
        return new EventFilter(eventType, Objects.requireNonNull(type, "type"), from, to, correlationId, userId,
            limit);
    }

    /**
     * Only events stamped in {@code [start, end]} (either may be {@code null}: open).
     * @param start the first instant, or {@code null}
     * @param end the last instant, or {@code null}
     * @return the narrowed filter
     */
    public EventFilter between(final Instant start, final Instant end) {
        return new EventFilter(eventType, aggregateType, start, end, correlationId, userId, limit);
    }

    /**
     * Only events of one correlation.
     * @param id the correlation id
     * @return the narrowed filter
     */
    public EventFilter withCorrelationId(final String id) {
        return new EventFilter(eventType, aggregateType, from, to, Objects.requireNonNull(id, "id"), userId, limit);
    }

    /**
     * Only events of one user.
     * @param id the user id
     * @return the narrowed filter
     */
    public EventFilter withUserId(final String id) {
        return new EventFilter(eventType, aggregateType, from, to, correlationId, Objects.requireNonNull(id, "id"),
            limit);
    }

    /**
     * At most {@code count} events.
     * @param count the most events (not negative)
     * @return the narrowed filter
     */
    public EventFilter withLimit(final long count) {
        if (count < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + count);
        }
        return new EventFilter(eventType, aggregateType, from, to, correlationId, userId, count);
    }

    /** The filter as the native side reads it. */
    byte[] toJson() {
        final ObjectNode json = JsonNodeFactory.instance.objectNode();
        if (eventType != null) {
            json.put("eventType", eventType);
        }
        if (aggregateType != null) {
            json.put("aggregateType", aggregateType);
        }
        if (from != null) {
            json.put("from", from.toString());
        }
        if (to != null) {
            json.put("to", to.toString());
        }
        if (correlationId != null) {
            json.put("correlationId", correlationId);
        }
        if (userId != null) {
            json.put("userId", userId);
        }
        if (limit != null) {
            json.put("limit", limit);
        }
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof EventFilter)) {
            return false;
        }
        final EventFilter that = (EventFilter) other;
        return Objects.equals(eventType, that.eventType) && Objects.equals(aggregateType, that.aggregateType)
            && Objects.equals(from, that.from) && Objects.equals(to, that.to)
            && Objects.equals(correlationId, that.correlationId) && Objects.equals(userId, that.userId)
            && Objects.equals(limit, that.limit);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventType, aggregateType, from, to, correlationId, userId, limit);
    }

    @Override
    public String toString() {
        return "EventFilter" + new String(toJson(), StandardCharsets.UTF_8);
    }
}
