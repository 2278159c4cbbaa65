package org.acmsl.bytehot.domain.events;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The event-sourcing metadata of one event: identity, aggregate, position in the aggregate's
 * history, time, schema version and the optional user/correlation/causation ids.
 */
public final class EventMetadata {

    /** The schema version of events that do not say otherwise. */
    public static final int DEFAULT_SCHEMA_VERSION = 1;

    private final String eventId;
    private final String aggregateType;
    private final String aggregateId;
    private final long aggregateVersion;
    private final Instant timestamp;
    private final String previousEventId;
    private final int schemaVersion;
    private final String userId;
    private final String correlationId;
    private final String causationId;

    /** Where the store's global order puts the event; {@code null} unless read by position. */
    private final Long streamPosition;

    /**
     * Creates metadata with every field given.
     * @param eventId unique event id
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param aggregateVersion version in the aggregate (0: the store assigns the next one)
     * @param timestamp when it happened ({@code null}: the store assigns its clock)
     * @param previousEventId id of the aggregate's previous event, {@code null} for the first
     * @param schemaVersion schema version of the event
     * @param userId user id or {@code null}
     * @param correlationId correlation id or {@code null}
     * @param causationId causation id or {@code null}
     */
    public EventMetadata(
        final String eventId,
        final String aggregateType,
        final String aggregateId,
        final long aggregateVersion,
        final Instant timestamp,
        final String previousEventId,
        final int schemaVersion,
        final String userId,
        final String correlationId,
        final String causationId) {
        this(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId, schemaVersion, userId,
            correlationId, causationId, null);
    }

    /**
     * Metadata with every field, the stream position included (as the store reads an event
     * by position).
     * @param eventId unique id of the event
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param aggregateVersion version in the aggregate
     * @param timestamp when it happened
     * @param previousEventId id of the aggregate's previous event, {@code null} for the first
     * @param schemaVersion schema version of the event
     * @param userId user id or {@code null}
     * @param correlationId correlation id or {@code null}
     * @param causationId causation id or {@code null}
     * @param streamPosition the event's position in the store's global order, or {@code null}
     */
    public EventMetadata(
        final String eventId,
        final String aggregateType,
        final String aggregateId,
        final long aggregateVersion,
        final Instant timestamp,
        final String previousEventId,
        final int schemaVersion,
        final String userId,
        final String correlationId,
        final String causationId,
        final Long streamPosition) {
        this.streamPosition = streamPosition;
        this.eventId = eventId;
        this.aggregateType = aggregateType;
        this.aggregateId = aggregateId;
        this.aggregateVersion = aggregateVersion;
        this.timestamp = timestamp;
        this.previousEventId = previousEventId;
        this.schemaVersion = schemaVersion;
        this.userId = userId;
        this.correlationId = correlationId;
        this.causationId = causationId;
    }

    /**
     * Metadata for an event whose version the store assigns (version 0, a new random id, now).
     * Despite the name (the spec's), it serves any append at the end of an aggregate.
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @return the metadata
     */
    public static EventMetadata forNewAggregate(final String aggregateType, final String aggregateId) {
        return new EventMetadata(UUID.randomUUID().toString(), aggregateType, aggregateId, 0L, Instant.now(),
            null, DEFAULT_SCHEMA_VERSION, null, null, null);
    }

    /**
     * Metadata for the event that follows a known one: version {@code currentVersion + 1}. The
     * store rejects it with a concurrency conflict if someone else appended in between.
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId id of the aggregate's last event ({@code null} when there is none)
     * @param currentVersion the aggregate's current version (0 when it has no events)
     * @return the metadata
     */
    public static EventMetadata forExistingAggregate(
        final String aggregateType, final String aggregateId, final String previousEventId, final long currentVersion) {
        return new EventMetadata(UUID.randomUUID().toString(), aggregateType, aggregateId, currentVersion + 1,
            Instant.now(), previousEventId, DEFAULT_SCHEMA_VERSION, null, null, null);
    }

    /**
     * Metadata for the event that follows a known one, attributed to a user (ByteHot's
     * factory): version {@code currentVersion + 1}, now.
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId id of the aggregate's last event ({@code null} when there is none)
     * @param currentVersion the aggregate's current version (0 when it has no events)
     * @param userId the user
     * @return the metadata
     */
    public static EventMetadata withUser(final String aggregateType, final String aggregateId,
        final String previousEventId, final long currentVersion, final String userId) {
        return forExistingAggregate(aggregateType, aggregateId, previousEventId, currentVersion).withUserId(userId);
    }

    /**
     * {@link #withUser} within a correlation (ByteHot's factory).
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId id of the aggregate's last event ({@code null} when there is none)
     * @param currentVersion the aggregate's current version (0 when it has no events)
     * @param userId the user, or {@code null}
     * @param correlationId the correlation
     * @return the metadata
     */
    public static EventMetadata withCorrelation(final String aggregateType, final String aggregateId,
        final String previousEventId, final long currentVersion, final String userId, final String correlationId) {
        return withUser(aggregateType, aggregateId, previousEventId, currentVersion, userId)
            .withCorrelationId(correlationId);
    }

    /**
     * A copy with another aggregate version.
     * @param newVersion the version (0: the store assigns the next one)
     * @return the copy
     */
    public EventMetadata withVersion(final long newVersion) {
        return new EventMetadata(eventId, aggregateType, aggregateId, newVersion, timestamp, previousEventId,
            schemaVersion, userId, correlationId, causationId, streamPosition);
    }

    /**
     * Whether this is an aggregate's first event: version 1 and no previous event.
     * @return true for a first event
     */
    public boolean isFirstEvent() {
        return aggregateVersion == 1L && previousEventId == null;
    }

    /**
     * Whether a user is named.
     * @return true when the user id is not blank
     */
    public boolean hasUser() {
        return userId != null && !userId.isBlank();
    }

    /**
     * Whether the event belongs to a correlation.
     * @return true when the correlation id is not blank
     */
    public boolean hasCorrelation() {
        return correlationId != null && !correlationId.isBlank();
    }

    /**
     * Whether the event names its cause.
     * @return true when the causation id is not blank
     */
    public boolean hasCausation() {
        return causationId != null && !causationId.isBlank();
    }

    /**
     * A copy with another user id.
     * @param newUserId the user id
     * @return the copy
     */
    public EventMetadata withUserId(final String newUserId) {
        return new EventMetadata(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId,
            schemaVersion, newUserId, correlationId, causationId, streamPosition);
    }

    /**
     * A copy with another correlation id.
     * @param newCorrelationId the correlation id
     * @return the copy
     */
    public EventMetadata withCorrelationId(final String newCorrelationId) {
        return new EventMetadata(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId,
            schemaVersion, userId, newCorrelationId, causationId, streamPosition);
    }

    /**
     * A copy with another causation id.
     * @param newCausationId the causation id
     * @return the copy
     */
    public EventMetadata withCausationId(final String newCausationId) {
        return new EventMetadata(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId,
            schemaVersion, userId, correlationId, newCausationId, streamPosition);
    }

    /**
     * A copy with a stream position (the store sets it on events it reads by position).
     * @param newStreamPosition the position, or {@code null}
     * @return the copy
     */
    public EventMetadata withStreamPosition(final Long newStreamPosition) {
        return new EventMetadata(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId,
            schemaVersion, userId, correlationId, causationId, newStreamPosition);
    }

    /**
     * The event's position in the store's global order: strictly increasing in commit order
     * across every process writing the store.
     * @return the position, or {@code null} when the event was not read by position
     *     ({@code readAll}, a subscription)
     */
    public Long getStreamPosition() {
        return streamPosition;
    }

    /** @return the event id */
    public String getEventId() {
        return eventId;
    }

    /** @return the aggregate type */
    public String getAggregateType() {
        return aggregateType;
    }

    /** @return the aggregate id */
    public String getAggregateId() {
        return aggregateId;
    }

    /** @return the version in the aggregate, 0 when the store is to assign it */
    public long getAggregateVersion() {
        return aggregateVersion;
    }

    /** @return when the event happened, or {@code null} */
    public Instant getTimestamp() {
        return timestamp;
    }

    /** @return the previous event's id, or {@code null} */
    public String getPreviousEventId() {
        return previousEventId;
    }

    /** @return the schema version */
    public int getSchemaVersion() {
        return schemaVersion;
    }

    /** @return the user id, or {@code null} */
    public String getUserId() {
        return userId;
    }

    /** @return the correlation id, or {@code null} */
    public String getCorrelationId() {
        return correlationId;
    }

    /** @return the causation id, or {@code null} */
    public String getCausationId() {
        return causationId;
    }

    @Override
    public boolean equals(final Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof EventMetadata)) {
            return false;
        }
        final EventMetadata that = (EventMetadata) other;
        return aggregateVersion == that.aggregateVersion
            && schemaVersion == that.schemaVersion
            && Objects.equals(eventId, that.eventId)
            && Objects.equals(aggregateType, that.aggregateType)
            && Objects.equals(aggregateId, that.aggregateId)
            && Objects.equals(timestamp, that.timestamp)
            && Objects.equals(previousEventId, that.previousEventId)
            && Objects.equals(userId, that.userId)
            && Objects.equals(correlationId, that.correlationId)
            && Objects.equals(causationId, that.causationId)
            && Objects.equals(streamPosition, that.streamPosition);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId,
            schemaVersion, userId, correlationId, causationId, streamPosition);
    }

    @Override
    public String toString() {
        return "eventId=" + eventId
            + ", aggregateType=" + aggregateType
            + ", aggregateId=" + aggregateId
            + ", aggregateVersion=" + aggregateVersion
            + ", timestamp=" + timestamp
            + ", previousEventId=" + previousEventId
            + ", schemaVersion=" + schemaVersion
            + ", userId=" + userId
            + ", correlationId=" + correlationId
            + ", causationId=" + causationId
            + (streamPosition == null ? "" : ", streamPosition=" + streamPosition);
    }
}
