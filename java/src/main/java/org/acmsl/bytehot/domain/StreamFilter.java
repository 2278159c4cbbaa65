package org.acmsl.bytehot.domain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Which events a subscription delivers: those of any of the event types named (all types
 * when none), of the aggregate type and of the correlation id when set. Immutable, with value
 * equality; each {@code with...} returns a copy.
 */
public final class StreamFilter {

    private static final StreamFilter ALL = new StreamFilter(Collections.emptyList(), null, null);

    private final List<String> eventTypes;

    private final String aggregateType;

    private final String correlationId;

    private StreamFilter(final List<String> eventTypes, final String aggregateType, final String correlationId) {
        this.eventTypes = eventTypes;
        this.aggregateType = aggregateType;
        this.correlationId = correlationId;
    }

    /**
     * Every event.
     * @return the filter that admits every event
     */
    public static StreamFilter all() {
        return ALL;
    }

    /**
     * This filter, admitting only these event types.
     * @param types event types (simple class names, as {@link VersionedDomainEvent#getEventType()})
     * @return the new filter
     */
    public StreamFilter withEventTypes(final String... types) {
        final List<String> list = new ArrayList<>();
        for (final String type : Arrays.asList(types)) {
            list.add(Objects.requireNonNull(type, "event type must not be null"));
        }
        return new StreamFilter(Collections.unmodifiableList(list), aggregateType, correlationId);
    }

    /**
     * This filter, admitting only events of this aggregate type.
     * @param type the aggregate type
     * @return the new filter
     */
    public StreamFilter withAggregateType(final String type) {
        return new StreamFilter(eventTypes, Objects.requireNonNull(type, "aggregateType must not be null"),
            correlationId);
    }

    /**
     * This filter, admitting only events of this correlation id.
     * @param id the correlation id
     * @return the new filter
     */
    public StreamFilter withCorrelationId(final String id) {
        return new StreamFilter(eventTypes, aggregateType, Objects.requireNonNull(id, "correlationId must not be null"));
    }

    /**
     * The event types admitted.
     * @return the types; empty for all
     */
    public List<String> getEventTypes() {
        return eventTypes;
    }

    /**
     * The aggregate type admitted.
     * @return the type, or {@code null} for all
     */
    public String getAggregateType() {
        return aggregateType;
    }

    /**
     * The correlation id admitted.
     * @return the id, or {@code null} for all
     */
    public String getCorrelationId() {
        return correlationId;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof StreamFilter)) {
            return false;
        }
        final StreamFilter that = (StreamFilter) other;
        return eventTypes.equals(that.eventTypes) && Objects.equals(aggregateType, that.aggregateType)
            && Objects.equals(correlationId, that.correlationId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventTypes, aggregateType, correlationId);
    }

    @Override
    public String toString() {
        return "StreamFilter[eventTypes=" + eventTypes + ", aggregateType=" + aggregateType
            + ", correlationId=" + correlationId + "]";
    }
}
