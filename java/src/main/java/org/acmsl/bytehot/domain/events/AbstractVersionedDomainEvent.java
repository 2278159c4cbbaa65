package org.acmsl.bytehot.domain.events;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.acmsl.bytehot.domain.EventStorePort;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;

/**
 * Base of the catalog's events: holds the metadata and gives value equality.
 *
 * <p>Equality, hash code and {@code toString} cover the class, the metadata and whatever
 * {@link #eventData()} returns; a subclass with fields of its own overrides that method.
 * Arrays in the event data are compared by content.
 *
 * <p>ByteHot's helpers {@link #getLastEventId} and {@link #getCurrentVersion} ask the store
 * made known with {@link #useEventStore}; {@link #withVersion} copies an event through
 * {@link #withMetadata}, which every catalog event overrides.
 */
public abstract class AbstractVersionedDomainEvent implements VersionedDomainEvent {

    /*
     * One store for the whole JVM, as ByteHot's helpers are static. Volatile is enough: the
     * reference is only ever replaced whole, and each helper reads it once.
     */
    private static volatile EventStorePort eventStore;

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
     * Makes a store known to the domain: {@link #getLastEventId} and {@link #getCurrentVersion}
     * ask it from then on, from any thread. Call it once at startup, after opening the store
     * (for instance the {@code FilesystemEventStoreAdapter}); the domain stays free of any
     * dependency on the infrastructure that implements the port. A later call replaces the
     * store; closing the store does not forget it (the helpers then report it unavailable).
     * @param store the store, or {@code null} to forget the one known
     */
    public static void useEventStore(final EventStorePort store) {
        eventStore = store;
    }

    /**
     * The id of an aggregate's last event, for the {@code previousEventId} of the next one
     * (ByteHot's helper). It asks the store made known with {@link #useEventStore} for the
     * current version and then for the events after the one before it, so it reads one event,
     * not the aggregate's history.
     *
     * <p>ByteHot's milestone-6A stub returned {@code null} whatever the store held; this one
     * throws instead when no store is known, because a silent {@code null} would chain the next
     * event to nothing and present it as the aggregate's first.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return the last event's id, {@code null} when the aggregate has no events
     * @throws EventStoreUnavailableException when no store is known, or the store is unusable
     */
    protected static String getLastEventId(final String aggregateType, final String aggregateId) {
        final EventStorePort store = knownEventStore();
        final long currentVersion = store.getCurrentVersion(aggregateType, aggregateId);
        if (currentVersion == 0L) {
            return null;
        }
        // An append by another writer between the two calls only lengthens the tail: its last
        // event is still the aggregate's last.
        List<VersionedDomainEvent> tail =
            store.getEventsForAggregateSince(aggregateType, aggregateId, currentVersion - 1);
        if (tail.isEmpty()) {
            // Another implementation of the port may number its events otherwise; the whole
            // history is slower but right whatever the numbering.
            tail = store.getEventsForAggregate(aggregateType, aggregateId);
        }
        return tail.isEmpty() ? null : tail.get(tail.size() - 1).getEventId();
    }

    /**
     * An aggregate's current version, whose successor the next event claims (ByteHot's
     * helper): {@link EventStorePort#getCurrentVersion} of the store made known with
     * {@link #useEventStore}.
     *
     * <p>ByteHot's milestone-6A stub returned 0 whatever the store held; this one throws
     * instead when no store is known, because a silent 0 would stamp version 1 on an event of
     * an aggregate that has events (a concurrency conflict at best, a wrong history with a
     * store that does not check).
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return the version, 0 when the aggregate has no events
     * @throws EventStoreUnavailableException when no store is known, or the store is unusable
     */
    protected static long getCurrentVersion(final String aggregateType, final String aggregateId) {
        return knownEventStore().getCurrentVersion(aggregateType, aggregateId);
    }

    private static EventStorePort knownEventStore() {
        final EventStorePort store = eventStore;
        if (store == null) {
            throw new EventStoreUnavailableException("No event store is known to the domain: call "
                + "AbstractVersionedDomainEvent.useEventStore(store) at startup, after opening the store, "
                + "before getLastEventId or getCurrentVersion");
        }
        return store;
    }

    /**
     * A copy of this event with its metadata's version replaced: same class, same fields, same
     * event id, timestamp and other metadata. ByteHot declared it and threw
     * {@link UnsupportedOperationException}; here every catalog event supports it, and an event
     * class of the application does by overriding {@link #withMetadata}.
     * @param newVersion the version (0: the store assigns the next one)
     * @return the copy, of this event's class
     * @throws UnsupportedOperationException when this event's class does not override
     *     {@link #withMetadata}
     */
    public AbstractVersionedDomainEvent withVersion(final long newVersion) {
        final AbstractVersionedDomainEvent copy = withMetadata(metadata.withVersion(newVersion));
        if (copy == null || copy.getClass() != getClass()) {
            // A subclass of an event class that overrides withMetadata inherits it, and its
            // copy would silently lose the subclass's fields.
            throw new UnsupportedOperationException(getClass().getName() + " does not override withMetadata("
                + "EventMetadata) (the copy was " + (copy == null ? "null" : "a " + copy.getClass().getName())
                + "): override it to return a copy made by its own constructor");
        }
        return copy;
    }

    /**
     * A copy of this event with other metadata and the same fields, for {@link #withVersion}.
     * The catalog's events override it by calling their constructor; an event class of the
     * application overrides it likewise, returning an instance of exactly its class.
     * @param newMetadata the copy's metadata (not {@code null})
     * @return the copy
     * @throws UnsupportedOperationException unless overridden
     */
    protected AbstractVersionedDomainEvent withMetadata(final EventMetadata newMetadata) {
        throw new UnsupportedOperationException(getClass().getName() + " does not support withVersion: "
            + "override withMetadata(EventMetadata) to return a copy made by its own constructor");
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
    public Long getStreamPosition() {
        return metadata.getStreamPosition();
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
