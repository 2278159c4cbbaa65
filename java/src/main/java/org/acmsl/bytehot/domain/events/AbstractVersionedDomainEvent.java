package org.acmsl.bytehot.domain.events;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.acmsl.bytehot.domain.VersionedDomainEvent;

/**
 * Base of the catalog's events: holds the metadata and gives value equality.
 *
 * <p>Equality, hash code and {@code toString} cover the class, the metadata and whatever
 * {@link #eventData()} returns; a subclass with fields of its own overrides that method.
 * Arrays in the event data are compared by content.
 */
public abstract class AbstractVersionedDomainEvent implements VersionedDomainEvent {

    private final EventMetadata metadata;

    /**
     * Creates the event from the spec's seven metadata fields (no user, correlation or causation id).
     * @param eventId unique event id
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param aggregateVersion version in the aggregate (0: the store assigns it)
     * @param timestamp when it happened
     * @param previousEventId the aggregate's previous event id
     * @param schemaVersion schema version
     */
    protected AbstractVersionedDomainEvent(
        final String eventId,
        final String aggregateType,
        final String aggregateId,
        final long aggregateVersion,
        final Instant timestamp,
        final String previousEventId,
        final int schemaVersion) {
        this(new EventMetadata(eventId, aggregateType, aggregateId, aggregateVersion, timestamp, previousEventId,
            schemaVersion, null, null, null));
    }

    /**
     * Creates the event from its metadata.
     * @param metadata the metadata (not {@code null})
     */
    protected AbstractVersionedDomainEvent(final EventMetadata metadata) {
        this.metadata = Objects.requireNonNull(metadata, "metadata must not be null");
    }

    /**
     * Spec-style factory of metadata for an event whose version the store assigns.
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId the aggregate's previous event id, if known
     * @return the metadata
     */
    protected static EventMetadata createMetadata(
        final String aggregateType, final String aggregateId, final String previousEventId) {
        final EventMetadata fresh = EventMetadata.forNewAggregate(aggregateType, aggregateId);
        return new EventMetadata(fresh.getEventId(), aggregateType, aggregateId, 0L, fresh.getTimestamp(),
            previousEventId, EventMetadata.DEFAULT_SCHEMA_VERSION, null, null, null);
    }

    /**
     * Metadata for an aggregate's first event (ByteHot's helper): version 1, no previous event,
     * now. Saving it to an aggregate that has events is a concurrency conflict.
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @return the metadata
     */
    protected static EventMetadata createMetadataForNewAggregate(final String aggregateType, final String aggregateId) {
        return EventMetadata.forExistingAggregate(aggregateType, aggregateId, null, 0L);
    }

    /**
     * Metadata for the event after a known one (ByteHot's helper): version
     * {@code currentVersion + 1}, now.
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId the aggregate's last event id ({@code null} when it has none)
     * @param currentVersion the aggregate's current version
     * @return the metadata
     */
    protected static EventMetadata createMetadataForExistingAggregate(final String aggregateType,
        final String aggregateId, final String previousEventId, final long currentVersion) {
        return EventMetadata.forExistingAggregate(aggregateType, aggregateId, previousEventId, currentVersion);
    }

    /**
     * {@link #createMetadataForExistingAggregate} attributed to a user (ByteHot's helper).
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId the aggregate's last event id ({@code null} when it has none)
     * @param currentVersion the aggregate's current version
     * @param userId the user
     * @return the metadata
     */
    protected static EventMetadata createMetadataWithUser(final String aggregateType, final String aggregateId,
        final String previousEventId, final long currentVersion, final String userId) {
        return EventMetadata.withUser(aggregateType, aggregateId, previousEventId, currentVersion, userId);
    }

    /**
     * {@link #createMetadataWithUser} within a correlation (ByteHot's helper).
     * @param aggregateType aggregate type
     * @param aggregateId aggregate id
     * @param previousEventId the aggregate's last event id ({@code null} when it has none)
     * @param currentVersion the aggregate's current version
     * @param userId the user, or {@code null}
     * @param correlationId the correlation
     * @return the metadata
     */
    protected static EventMetadata createMetadataWithCorrelation(final String aggregateType, final String aggregateId,
        final String previousEventId, final long currentVersion, final String userId, final String correlationId) {
        return EventMetadata.withCorrelation(aggregateType, aggregateId, previousEventId, currentVersion, userId,
            correlationId);
    }

    /**
     * A one-line description: type, aggregate and version (ByteHot's format).
     * @return the description
     */
    public String getDescription() {
        return String.format("%s[aggregateType=%s, aggregateId=%s, version=%d]", getEventType(), getAggregateType(),
            getAggregateId(), getAggregateVersion());
    }

    /**
     * The event's own fields by name, in declaration order, for equality and {@code toString}.
     * @return the fields; empty for an event without fields of its own
     */
    protected Map<String, Object> eventData() {
        return Collections.emptyMap();
    }

    /**
     * Builds the map {@link #eventData()} returns from alternating names and values.
     * @param namesAndValues name, value, name, value, ...
     * @return the map, keeping the order given
     */
    protected static Map<String, Object> data(final Object... namesAndValues) {
        final Map<String, Object> result = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            result.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return result;
    }

    /**
     * All metadata of this event.
     * @return the metadata
     */
    public EventMetadata getMetadata() {
        return metadata;
    }

    @Override
    public String getEventId() {
        return metadata.getEventId();
    }

    @Override
    public String getAggregateType() {
        return metadata.getAggregateType();
    }

    @Override
    public String getAggregateId() {
        return metadata.getAggregateId();
    }

    @Override
    public long getAggregateVersion() {
        return metadata.getAggregateVersion();
    }

    @Override
    public Instant getTimestamp() {
        return metadata.getTimestamp();
    }

    @Override
    public String getPreviousEventId() {
        return metadata.getPreviousEventId();
    }

    @Override
    public int getSchemaVersion() {
        return metadata.getSchemaVersion();
    }

    @Override
    public String getUserId() {
        return metadata.getUserId();
    }

    @Override
    public String getCorrelationId() {
        return metadata.getCorrelationId();
    }

    @Override
    public String getCausationId() {
        return metadata.getCausationId();
    }

    @Override
    public boolean equals(final Object other) {
        if (this == other) {
            return true;
        }
        if (other == null || other.getClass() != getClass()) {
            return false;
        }
        final AbstractVersionedDomainEvent that = (AbstractVersionedDomainEvent) other;
        return metadata.equals(that.metadata)
            && Arrays.deepEquals(eventData().values().toArray(), that.eventData().values().toArray());
    }

    @Override
    public int hashCode() {
        return 31 * metadata.hashCode() + Arrays.deepHashCode(eventData().values().toArray());
    }

    @Override
    public String toString() {
        final StringBuilder text = new StringBuilder(getClass().getSimpleName()).append('[').append(metadata);
        for (final Map.Entry<String, Object> field : eventData().entrySet()) {
            text.append(", ").append(field.getKey()).append('=').append(describe(field.getValue()));
        }
        return text.append(']').toString();
    }

    private static String describe(final Object value) {
        // Bytecode arrays run to hundreds of KiB: their size says enough.
        return value instanceof byte[] ? "byte[" + ((byte[]) value).length + "]" : String.valueOf(value);
    }
}
