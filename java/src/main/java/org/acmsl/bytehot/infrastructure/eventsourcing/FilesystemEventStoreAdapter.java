package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.acmsl.bytehot.domain.Adapter;
import org.acmsl.bytehot.domain.ConcurrencyConflictException;
import org.acmsl.bytehot.domain.CorruptEventDataException;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.EventStorePort;
import org.acmsl.bytehot.domain.EventStreamPort;
import org.acmsl.bytehot.domain.AggregateSnapshot;
import org.acmsl.bytehot.domain.events.ForgottenEvent;
import org.acmsl.bytehot.domain.SnapshotPort;
import org.acmsl.bytehot.domain.EventSubscription;
import org.acmsl.bytehot.domain.StreamFilter;
import org.acmsl.bytehot.domain.SubscriptionStart;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.OperationType;
import org.acmsl.bytehot.domain.VersionedDomainEvent;

/**
 * The event store: events as pretty-printed JSON files under a base directory
 * ({@code <base>/<aggregate type>/<aggregate id>/<time+seq>-<EventType>.json}), or with
 * {@value EventStoreConfiguration#MAX_EVENTS_PER_FILE} above 1 as lines of segment files
 * ({@code .jsonl}) there, written and read by the native Rust store. Safe for use from many
 * threads and, on one directory, from many processes.
 *
 * <p>Close it when done ({@link AutoCloseable}); an adapter that is never closed releases its
 * native store when it is garbage-collected. After {@link #close()} every method throws
 * {@link EventStoreUnavailableException}. Null arguments throw {@link NullPointerException}
 * naming the argument; text with an unpaired surrogate throws {@link InvalidEventException}
 * naming the field.
 */
public final class FilesystemEventStoreAdapter
    implements EventStorePort, EventStreamPort, SnapshotPort, Adapter<EventStorePort>, AutoCloseable {

    private static final Cleaner CLEANER = Cleaner.create();

    private final NativeHandle handle;

    private final Cleaner.Cleanable cleanable;

    private final EventStoreConfiguration configuration;

    /**
     * Opens the store configured by the configuration file (for example the
     * {@code bytehot.eventstore} section of {@code bytehot.yml} in the working directory) and
     * system properties ({@link EventStoreConfiguration#load()}), by default in {@code ./eventstore}.
     */
    public FilesystemEventStoreAdapter() {
        this(EventStoreConfiguration.load());
    }

    /**
     * Opens (creating it if absent) the store in a directory; the other settings come from
     * {@link EventStoreConfiguration#load()}.
     * @param basePath the base directory
     */
    public FilesystemEventStoreAdapter(final String basePath) {
        this(EventStoreConfiguration.load().withPath(Objects.requireNonNull(basePath, "basePath must not be null")));
    }

    /**
     * Opens an existing store for reading only: nothing in its directory is created, changed
     * or removed, so a store on a read-only mount, a full disk or in a directory this user
     * may not write can be read. Saves throw {@link EventStoreUnavailableException}; queries
     * by type or time throw it too when the store's index needs the rebuild only a
     * read-write open does; {@link #verify()} says what a read-write open would settle.
     * @param basePath the store's base directory, which must exist
     * @return the adapter
     * @throws EventStoreUnavailableException when the directory does not exist
     */
    public static FilesystemEventStoreAdapter openReadOnly(final Path basePath) {
        Objects.requireNonNull(basePath, "basePath must not be null");
        return new FilesystemEventStoreAdapter(
            EventStoreConfiguration.load().withPath(basePath).withReadOnly(true));
    }

    /**
     * Opens (creating it if absent) the store a configuration describes.
     * @param configuration the configuration
     * @throws EventStoreConfigurationException when the store rejects a setting
     * @throws EventStoreUnavailableException when the native library cannot be loaded or the
     *     base directory cannot be used
     */
    public FilesystemEventStoreAdapter(final EventStoreConfiguration configuration) {
        this.configuration = Objects.requireNonNull(configuration, "configuration must not be null");
        NativeLibraryLoader.ensureLoaded();
        final ObjectNode json = JsonNodeFactory.instance.objectNode();
        for (final Map.Entry<String, String> setting : configuration.getSettings().entrySet()) {
            json.put(setting.getKey(), setting.getValue());
        }
        final byte[] settings;
        try {
            settings = EventSerializationSupport.toUtf8(json, "configuration");
        } catch (final InvalidEventException e) {
            throw new EventStoreConfigurationException(e.getMessage(), e);
        }
        final long opened;
        try {
            opened = NativeEventStore.open(settings);
        } catch (final EventStoreException e) {
            throw e.initContext(OperationType.INITIALIZATION, null, null);
        }
        this.handle = new NativeHandle(opened, configuration.getPath());
        this.cleanable = CLEANER.register(this, handle);
    }

    /**
     * The port this adapter implements.
     * @return {@link EventStorePort}
     */
    @Override
    public Class<EventStorePort> adapts() {
        return EventStorePort.class;
    }

    /**
     * Closes the store. Idempotent; waits for calls in flight to finish.
     */
    @Override
    public void close() {
        cleanable.clean();
    }

    /** The native state, for tests of its release; holding it does not keep this adapter reachable. */
    NativeHandle nativeHandle() {
        return handle;
    }

    /**
     * The configuration this store was opened with.
     * @return the configuration
     */
    public EventStoreConfiguration getConfiguration() {
        return configuration;
    }

    /**
     * The base directory the store uses: the one configured, or the environment variable
     * {@code BYTEHOT_EVENTSTORE_PATH}'s when none was, or {@value EventStoreConfiguration#DEFAULT_PATH}.
     * @return the base directory
     */
    public Path getBasePath() {
        return Paths.get(new String(handle.call(OperationType.RETRIEVE, null, null,
                NativeEventStore::basePath), StandardCharsets.UTF_8));
    }

    @Override
    public void save(final VersionedDomainEvent event) {
        final byte[] json = batchJson(Collections.singletonList(Objects.requireNonNull(event, "event must not be null")));
        // The stored copy the store returns is not needed here: not parsing it saves a
        // Jackson tree and an event object per save.
        handle.call(OperationType.SAVE, event.getAggregateType(), event.getAggregateId(),
                h -> NativeEventStore.append(h, json));
    }

    /**
     * Saves an event and returns it as stored: with the version, previous event id and
     * timestamp the store assigned.
     * @param event the event
     * @return the stored event
     * @throws ConcurrencyConflictException when the event's version is not the next one
     */
    public VersionedDomainEvent saveAndReturn(final VersionedDomainEvent event) {
        return saveAll(Collections.singletonList(Objects.requireNonNull(event, "event must not be null"))).get(0);
    }

    /**
     * Saves a batch of events in one call to the store. Per aggregate the batch is atomic:
     * every event is validated and checked for conflicts before any is written.
     * @param events the events, in order
     * @return the stored events, in the same order, with the metadata the store assigned
     * @throws ConcurrencyConflictException when an event's version is not the next one
     */
    public List<VersionedDomainEvent> saveAll(final List<? extends VersionedDomainEvent> events) {
        Objects.requireNonNull(events, "events must not be null");
        if (events.isEmpty()) {
            return Collections.emptyList();
        }
        final byte[] json = batchJson(events);
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.SAVE, null, null,
                h -> NativeEventStore.append(h, json)));
    }

    private static byte[] batchJson(final List<? extends VersionedDomainEvent> events) {
        final ArrayNode batch = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < events.size(); i++) {
            batch.add(EventSerializationSupport.toEnvelope(Objects.requireNonNull(events.get(i),
                "events[" + i + "] must not be null")));
        }
        return EventSerializationSupport.toUtf8(batch, "events");
    }

    @Override
    public List<VersionedDomainEvent> getEventsForAggregate(final String aggregateType, final String aggregateId) {
        return getEventsForAggregateSince(aggregateType, aggregateId, 0L);
    }

    @Override
    public List<VersionedDomainEvent> getEventsForAggregateSince(
        final String aggregateType, final String aggregateId, final long sinceVersion) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        return EventSerializationSupport.fromEnvelopes(
            handle.call(OperationType.RETRIEVE, aggregateType, aggregateId,
                h -> NativeEventStore.readAggregate(h, type, id, sinceVersion)));
    }

    @Override
    public List<VersionedDomainEvent> getEventsByType(final String eventType) {
        final byte[] type = text(eventType, "eventType");
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
                h -> NativeEventStore.readByType(h, type)));
    }

    @Override
    public List<VersionedDomainEvent> readAll(final long fromPosition, final int limit) {
        if (fromPosition < 0 || limit < 0) {
            throw new IllegalArgumentException("fromPosition and limit must not be negative: " + fromPosition
                + ", " + limit);
        }
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.readAll(h, fromPosition, limit)));
    }

    @Override
    public long getLastPosition() {
        return handle.call(OperationType.RETRIEVE, null, null, NativeEventStore::lastPosition);
    }

    @Override
    public EventSubscription subscribe(final SubscriptionStart start, final StreamFilter filter,
        final Consumer<VersionedDomainEvent> handler, final Consumer<Throwable> onError) {
        return startSubscription(null, start, filter, handler, onError);
    }

    @Override
    public EventSubscription subscribe(final String name, final SubscriptionStart start, final StreamFilter filter,
        final Consumer<VersionedDomainEvent> handler, final Consumer<Throwable> onError) {
        return startSubscription(Objects.requireNonNull(name, "name must not be null"), start, filter, handler,
            onError);
    }

    private EventSubscription startSubscription(final String name, final SubscriptionStart start,
        final StreamFilter filter, final Consumer<VersionedDomainEvent> handler, final Consumer<Throwable> onError) {
        Objects.requireNonNull(start, "start must not be null");
        Objects.requireNonNull(filter, "filter must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(onError, "onError must not be null");
        final byte[] filterJson = filterJson(filter);
        final byte[] nameBytes = name == null ? null : text(name, "name");
        final int kind = start.getKind() == SubscriptionStart.Kind.BEGINNING ? 0
            : start.getKind() == SubscriptionStart.Kind.AFTER ? 1 : 2;
        // Made and registered under the handle's read lock: a close cannot come between, and
        // finds it registered.
        final NativeSubscription subscription = handle.call(OperationType.RETRIEVE, null, null, h -> {
            final long id = NativeEventStore.subscribe(h, nameBytes, kind, start.getPosition(), filterJson);
            final long checkpoint = name == null ? -1L : NativeEventStore.subscriptionCheckpoint(h, nameBytes);
            final long position = checkpoint >= 0 ? checkpoint : start.getPosition();
            final NativeSubscription made = new NativeSubscription(this, handle, id, name, position, handler, onError);
            handle.register(made);
            return made;
        });
        subscription.start();
        return subscription;
    }

    @Override
    public void saveSnapshot(final String aggregateType, final String aggregateId, final long version,
        final Object state) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        Objects.requireNonNull(state, "state must not be null");
        final byte[] json;
        try {
            json = EventMapper.MAPPER.writeValueAsBytes(state);
        } catch (final IOException e) {
            throw new InvalidEventException("the snapshot's state cannot be written as JSON: " + e.getMessage(), e);
        }
        handle.call(OperationType.SAVE, aggregateType, aggregateId, h -> {
            NativeEventStore.saveSnapshot(h, type, id, version, json);
            return null;
        });
    }

    @Override
    public <T> Optional<AggregateSnapshot<T>> loadLatestSnapshot(final String aggregateType, final String aggregateId,
        final Class<T> stateClass) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        Objects.requireNonNull(stateClass, "stateClass must not be null");
        final byte[] bytes = handle.call(OperationType.RETRIEVE, aggregateType, aggregateId,
            h -> NativeEventStore.loadLatestSnapshot(h, type, id));
        if (bytes == null) {
            return Optional.empty();
        }
        final JsonNode snapshot = EventSerializationSupport.readTree(bytes);
        final T state;
        try {
            state = EventMapper.MAPPER.treeToValue(snapshot.path("state"), stateClass);
        } catch (final IOException | IllegalArgumentException e) {
            // Derived data: one the state's class no longer reads is rebuilt from the events.
            System.getLogger("org.acmsl.bytehot.eventstore").log(System.Logger.Level.WARNING,
                "the snapshot of " + aggregateType + "/" + aggregateId + " at version "
                    + snapshot.path("version").asLong() + " does not read as " + stateClass.getName()
                    + " (" + e.getMessage() + "): ignored");
            return Optional.empty();
        }
        return Optional.of(new AggregateSnapshot<>(snapshot.path("version").asLong(),
            snapshot.path("eventId").asText(), Instant.parse(snapshot.path("takenAt").asText()), state));
    }

    @Override
    public OptionalLong getSubscriptionCheckpoint(final String name) {
        final byte[] bytes = text(name, "name");
        final long at = handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.subscriptionCheckpoint(h, bytes));
        return at < 0 ? OptionalLong.empty() : OptionalLong.of(at);
    }

    @Override
    public List<VersionedDomainEvent> getEventsByCorrelationId(final String correlationId) {
        final byte[] id = text(correlationId, "correlationId");
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.readByCorrelation(h, id, false, 0L, 0, 0L, 0)));
    }

    @Override
    public List<VersionedDomainEvent> getEventsByCorrelationId(final String correlationId, final Instant from,
        final Instant to) {
        final byte[] id = text(correlationId, "correlationId");
        Objects.requireNonNull(from, "from must not be null");
        Objects.requireNonNull(to, "to must not be null");
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.readByCorrelation(h, id, true, from.getEpochSecond(), from.getNano(),
                to.getEpochSecond(), to.getNano())));
    }

    @Override
    public List<VersionedDomainEvent> getEventsByUserId(final String userId) {
        final byte[] id = text(userId, "userId");
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.readByUser(h, id, false, 0L, 0, 0L, 0)));
    }

    @Override
    public List<VersionedDomainEvent> getEventsByUserId(final String userId, final Instant from, final Instant to) {
        final byte[] id = text(userId, "userId");
        Objects.requireNonNull(from, "from must not be null");
        Objects.requireNonNull(to, "to must not be null");
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.readByUser(h, id, true, from.getEpochSecond(), from.getNano(),
                to.getEpochSecond(), to.getNano())));
    }

    @Override
    public List<VersionedDomainEvent> getEventsBetween(final Instant startTime, final Instant endTime) {
        Objects.requireNonNull(startTime, "startTime must not be null");
        Objects.requireNonNull(endTime, "endTime must not be null");
        return EventSerializationSupport.fromEnvelopes(handle.call(OperationType.RETRIEVE, null, null,
                h -> NativeEventStore.readBetween(h,
            startTime.getEpochSecond(), startTime.getNano(), endTime.getEpochSecond(), endTime.getNano())));
    }

    @Override
    public long getCurrentVersion(final String aggregateType, final String aggregateId) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        return handle.call(OperationType.RETRIEVE, aggregateType, aggregateId,
                h -> NativeEventStore.currentVersion(h, type, id));
    }

    /**
     * Rewrites the event files of one aggregate that ByteHot's pure-Java adapter stored with a
     * version other than their place's (it stamped version 1 on every event of a session), in
     * this library's format and with that version. Reads already return such events at the
     * version their place gives them; after the rewrite, queries by type and time and other
     * readers see that version too, and {@link #verify()} stops reporting the anomaly. Each file
     * is synced before it replaces the old one; run again after a crash, it finishes the job.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return how many files were rewritten
     */
    public long rewriteLegacyVersions(final String aggregateType, final String aggregateId) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        return handle.call(OperationType.SAVE, aggregateType, aggregateId,
                h -> NativeEventStore.rewriteLegacyVersions(h, type, id));
    }

    /**
     * Syncs this store through a Git repository (see {@code docs/git-sharing.md}): its event
     * files are committed under {@code stores/<name>/} and pushed, and the other stores' files
     * pulled, to be read with {@link #openOtherStore(String, String)}. Each store writes its own
     * subtree only, so two machines appending to one aggregate keep one history each and lose
     * nothing. Runs the {@code git} command (the machine's credentials, no prompt). The store is
     * only read; killed at any point, the next sync finishes.
     * @param remote anything {@code git clone} takes (a URL, a path to a bare repository)
     * @param name this store's name in the repository (letters, digits, {@code - _ .})
     * @return what the sync did
     * @throws EventStoreUnavailableException when git fails (its message included)
     */
    public SyncResult sync(final String remote, final String name) {
        final byte[] url = text(remote, "remote");
        final byte[] store = text(name, "name");
        return handle.call(OperationType.RETRIEVE, null, null,
            h -> SyncResult.fromJson(NativeEventStore.sync(h, url, store)));
    }

    /**
     * Brings back what retention ({@link #cleanup()}) removed, from the history of the Git
     * repository this store syncs with as {@code name} (see {@code docs/git-sharing.md}): a sync
     * pushes a cleanup's removals and never brings them back by itself. Per aggregate, the newest
     * removed events the history holds whole come back as the files they were, with their
     * versions; those removed before any sync saw them stay removed, listed in the result. Reads
     * the history of the clone an earlier {@link #sync(String, String)} made; nothing is fetched
     * or pushed.
     * @param name this store's name in the repository, as given to {@code sync}
     * @return what came back, and what could not
     * @throws EventStoreUnavailableException when the store never synced, or git fails
     */
    public RestoreResult restoreRemoved(final String name) {
        final byte[] store = text(name, "name");
        return handle.call(OperationType.SAVE, null, null,
            h -> RestoreResult.fromJson(NativeEventStore.restoreRemoved(h, store)));
    }

    /**
     * Brings the stores of another Git repository, for reading only (a team's stores): nothing
     * is pushed there. They are then among {@link #getOtherStores(String)} as
     * {@code <alias>/<store>}.
     * @param remote anything {@code git clone} takes
     * @param alias the name this store gives that repository
     * @return its stores, as {@code <alias>/<store>}
     */
    public List<String> pull(final String remote, final String alias) {
        final byte[] url = text(remote, "remote");
        final byte[] as = text(alias, "alias");
        return handle.call(OperationType.RETRIEVE, null, null,
            h -> EventSerializationSupport.strings(NativeEventStore.pull(h, url, as)));
    }

    /** A stream filter as the native side reads it. */
    private static byte[] filterJson(final StreamFilter filter) {
        final ObjectNode json = JsonNodeFactory.instance.objectNode();
        final ArrayNode types = json.putArray("eventTypes");
        filter.getEventTypes().forEach(types::add);
        if (filter.getAggregateType() != null) {
            json.put("aggregateType", filter.getAggregateType());
        }
        if (filter.getCorrelationId() != null) {
            json.put("correlationId", filter.getCorrelationId());
        }
        return EventSerializationSupport.toUtf8(json, "filter");
    }

    /**
     * The other stores' side of a subscription: the events the other stores hold (as the last
     * sync and pulls brought them) that {@code cursor} has not delivered and {@code filter}
     * admits, store by store, each aggregate's in version order, with the cursor that covers
     * them. Poll it after each {@link #sync}, beside a subscription to this store; keep the
     * cursor ({@link OtherStoresPoll#getCursor()}, a JSON text) where the consumer keeps its
     * state. Exact across syncs: a store's aggregates only grow.
     * @param name this store's name in the repository
     * @param cursor where the consumer is ({@code "{}"} at first)
     * @param filter which events
     * @return the new events, each with its store's name, and the new cursor
     */
    public OtherStoresPoll pollOtherStores(final String name, final String cursor, final StreamFilter filter) {
        final byte[] store = text(name, "name");
        final byte[] position = text(Objects.requireNonNull(cursor, "cursor"), "cursor");
        final byte[] admitted = filterJson(Objects.requireNonNull(filter, "filter"));
        final byte[] json = handle.call(OperationType.RETRIEVE, null, null,
            h -> NativeEventStore.pollOtherStores(h, store, position, admitted));
        final JsonNode result = EventSerializationSupport.readTree(json);
        final List<String> stores = EventSerializationSupport.stringsOf(result.path("stores"));
        final List<VersionedDomainEvent> events = EventSerializationSupport.fromEnvelopes(
            EventSerializationSupport.toUtf8(result.path("events"), "events"));
        final List<Map.Entry<String, VersionedDomainEvent>> delivered = new java.util.ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            delivered.add(Map.entry(stores.get(i), events.get(i)));
        }
        return new OtherStoresPoll(delivered, result.path("cursor").toString());
    }

    /**
     * The stores other than {@code name} the last sync brought, then those of the repositories
     * {@link #pull} reads.
     * @param name this store's name in the repository
     * @return their names, sorted
     */
    public List<String> getOtherStores(final String name) {
        final byte[] store = text(name, "name");
        return handle.call(OperationType.RETRIEVE, null, null,
            h -> EventSerializationSupport.strings(NativeEventStore.otherStores(h, store)));
    }

    /**
     * Opens, for reading, another store the last sync brought: a store of its own over its copy
     * in this store's clone, with this store's encryption key (a team that shares one reads each
     * other's) and events per file, and nothing else of its configuration (no cleanup, no
     * backups). The caller closes it.
     * @param name this store's name in the repository
     * @param other the other store's name (one of {@link #getOtherStores(String)})
     * @return the other store
     */
    public FilesystemEventStoreAdapter openOtherStore(final String name, final String other) {
        if (!getOtherStores(name).contains(other)) {
            throw new EventStoreUnavailableException("no store " + other + " in " + getBasePath().resolve(".git-sync")
                + " (sync first; the stores there: " + getOtherStores(name) + ")");
        }
        final int slash = other.indexOf('/');
        final Path path = slash < 0
            ? getBasePath().resolve(".git-sync").resolve("stores").resolve(other)
            : getBasePath().resolve(".git-read").resolve(other.substring(0, slash)).resolve("stores")
                .resolve(other.substring(slash + 1));
        EventStoreConfiguration copy = EventStoreConfiguration.defaults().withPath(path);
        for (final String key : List.of(EventStoreConfiguration.MAX_EVENTS_PER_FILE,
            EventStoreConfiguration.ENCRYPTION_KEY_FILE, EventStoreConfiguration.ENCRYPTION_KEY)) {
            final String value = configuration.getSettings().get(key);
            if (value != null) {
                copy = copy.with(key, value);
            }
        }
        return new FilesystemEventStoreAdapter(copy);
    }

    /**
     * Runs {@code query} on this store and on every other store the last sync and pulls brought
     * (each opened with {@link #openOtherStore} and closed after), by store name (this store's
     * under {@code name}): any query spans the stores, each result telling where it came from.
     * @param name this store's name in the repository
     * @param query what to ask each store, for example {@code s -> s.getEventsBetween(from, to)}
     * @param <T> the query's result
     * @return every store's result, by store name
     */
    public <T> Map<String, T> acrossStores(final String name,
        final java.util.function.Function<FilesystemEventStoreAdapter, T> query) {
        final Map<String, T> all = new java.util.TreeMap<>();
        all.put(name, query.apply(this));
        for (final String other : getOtherStores(name)) {
            try (FilesystemEventStoreAdapter store = openOtherStore(name, other)) {
                all.put(other, query.apply(store));
            }
        }
        return all;
    }

    /**
     * The events of {@code eventType} in this store and in every other store the last sync
     * brought, by store name (this store's under {@code name}).
     * @param name this store's name in the repository
     * @param eventType the event type
     * @return every store's events of that type, ordered by timestamp within each store
     */
    public Map<String, List<VersionedDomainEvent>> getEventsByTypeAcrossStores(final String name,
        final String eventType) {
        return acrossStores(name, store -> store.getEventsByType(eventType));
    }

    /**
     * Crypto-shredding: destroys the data key of an aggregate of an encrypted store. Its events
     * stay (versions, times, types, counts) and read as {@link ForgottenEvent}s from then on, in
     * this store and every copy made later (a backup made before keeps the key); the aggregate
     * takes no new events. Idempotent. See {@code docs/encryption.md}.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @throws EventStoreConfigurationException when the store is not encrypted
     */
    public void forgetAggregate(final String aggregateType, final String aggregateId) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        handle.call(OperationType.SAVE, aggregateType, aggregateId, h -> {
            NativeEventStore.forgetAggregate(h, type, id);
            return null;
        });
    }

    /**
     * Encrypts the events a store holds in plaintext (written before encryption was turned on):
     * each file is written anew with its events sealed, synced and renamed over the old, while
     * other readers and writers go on. Killed at any point, every event reads (sealed or not)
     * and a second call finishes. Needs the store open with its key.
     * @return how many events were rewritten
     */
    public long encryptStoredEvents() {
        return handle.call(OperationType.SAVE, null, null, h -> NativeEventStore.resealAll(h, true));
    }

    /**
     * The reverse of {@link #encryptStoredEvents()}: every event rewritten in plaintext, then the
     * data keys and the store's encryption record removed, so that the store opens without a key
     * (configure none for the next open). A forgotten aggregate's events keep their forgotten
     * mark. Killed at any point, the store opens with its key and a second call finishes.
     * @return how many events were rewritten
     */
    public long decryptStoredEvents() {
        return handle.call(OperationType.SAVE, null, null, h -> NativeEventStore.resealAll(h, false));
    }

    /**
     * Finishes a master key rotation: this store must be open with the new key
     * ({@value EventStoreConfiguration#ENCRYPTION_KEY_FILE}) and the old one
     * ({@value EventStoreConfiguration#ENCRYPTION_PREVIOUS_KEY_FILE}). Every aggregate's data key
     * is wrapped anew by the new key; no event is rewritten. Killed at any point, the store opens
     * with both keys and a second call finishes.
     * @return how many data keys were rewrapped
     */
    public long rotateMasterKey() {
        return handle.call(OperationType.SAVE, null, null, NativeEventStore::rotateMasterKey);
    }

    /**
     * Migrates the store's events to their current schemas: backs the store up into
     * {@code backupDirectory} first (see {@link #backup(Path)}), then rewrites every stored event
     * that the registered upcasters ({@link EventSerializationSupport#registerUpcaster}) bring to a
     * newer schema version, in that version, and records the migration in
     * {@code metadata/event-schema-versions.json}. Only {@code eventData} and
     * {@code schemaVersion} change; ids, versions, times and stream positions stay. Reads need
     * no upcaster for the rewritten events afterwards. An event a read would refuse (its class
     * declares a schema version, {@link org.acmsl.bytehot.domain.EventSchemaVersion}, that the
     * chain does not reach) stops the migration with that error. Online: other readers and
     * writers, in this process or others, go on meanwhile; an event saved at an old schema
     * version while it runs may be left for the next run. Crash-safe: killed at any point,
     * every event reads old or new, and the next run finishes. See {@code docs/migration.md}.
     * @param backupDirectory where the backup goes: a new or empty directory outside the store
     * @return what was examined and rewritten, and the backup
     * @throws InvalidEventException when an upcaster fails or a declared version is not reached
     * @throws EventStoreUnavailableException when the store is read-only or closed, or the
     *     backup cannot be written there
     */
    public SchemaMigrationResult migrateSchemas(final Path backupDirectory) {
        Objects.requireNonNull(backupDirectory, "backupDirectory");
        final BackupResult backup = backup(backupDirectory);
        final String path = backupDirectory.toAbsolutePath().toString();
        return handle.call(OperationType.SAVE, null, null, h -> SchemaMigrator.run(h, backup, path));
    }

    /**
     * Compacts every aggregate of the store (see {@link #compact(String, String)}); the index
     * is rewritten once for all of them.
     * @return what the compaction did, summed over the aggregates
     * @throws EventStoreUnavailableException when the store is read-only or closed
     */
    public CompactionResult compact() {
        return handle.call(OperationType.SAVE, null, null,
                h -> CompactionResult.fromJson(NativeEventStore.compact(h)));
    }

    /**
     * Rewrites an aggregate's runs of single-event files (written with
     * {@value EventStoreConfiguration#MAX_EVENTS_PER_FILE} 1) into segment files of as many
     * events as this store's {@value EventStoreConfiguration#MAX_EVENTS_PER_FILE} setting,
     * then removes those files: the aggregate then reads in a few files instead of one per
     * event, and small events stop taking a file-system block each. With
     * {@value EventStoreConfiguration#COMPRESSION_ENABLED} it also compresses the aggregate's
     * segments no save appends to any more (the full ones, those it writes included). With
     * the setting at 1 and compression off it does nothing. Online: other writers and
     * readers, in this process or another, go on meanwhile. Crash-safe: killed at any point,
     * the store reads the same events, each once; run again, it finishes what was left. A
     * directory named the way ByteHot's adapter named it, for an id the store's encoding
     * escapes (one with {@code /}, for example), keeps its files.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return what the compaction did (all zeros when there was nothing to merge)
     * @throws EventStoreUnavailableException when the store is read-only or closed
     */
    public CompactionResult compact(final String aggregateType, final String aggregateId) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        return handle.call(OperationType.SAVE, aggregateType, aggregateId,
                h -> CompactionResult.fromJson(NativeEventStore.compactAggregate(h, type, id)));
    }

    /**
     * Applies the retention this store is configured with
     * ({@value EventStoreConfiguration#CLEANUP_MAX_AGE_DAYS},
     * {@value EventStoreConfiguration#CLEANUP_MAX_TOTAL_SIZE_MB}); the store also does at open and
     * daily while open. Each aggregate loses its oldest events, in whole files and never its last
     * one, oldest first store-wide for the size; it keeps its version numbers: a read returns the
     * events kept, the first at the version after the last removed, and saves go on after them.
     * With backups enabled, a backup generation is taken first. Every removal is recorded in
     * {@code metadata/cleanup.log}. Does nothing without a retention setting.
     * @return what was removed
     * @throws EventStoreUnavailableException when the store is read-only or closed
     */
    public CleanupResult cleanup() {
        return cleanup(false);
    }

    /**
     * As {@link #cleanup()}; with {@code dryRun} nothing is removed and the result says what
     * would be.
     * @param dryRun whether to only report
     * @return what was (or would be) removed
     */
    public CleanupResult cleanup(final boolean dryRun) {
        return handle.call(OperationType.SAVE, null, null,
            h -> CleanupResult.fromJson(NativeEventStore.cleanup(h, dryRun)));
    }

    /**
     * Backs the store up into {@code dest}, a new or empty directory outside the store, while
     * other writers (in this process or others) keep saving: every aggregate as it was at one
     * moment (a prefix of its history), with a manifest of sizes and checksums written last.
     * The store is only read. See {@code docs/operations.md}, "Backup and restore".
     * @param dest where the backup goes
     * @return what the backup holds
     * @throws EventStoreUnavailableException when {@code dest} is not empty or lies inside the store
     */
    public BackupResult backup(final Path dest) {
        return backup(dest, null);
    }

    /**
     * As {@link #backup(Path)}, hard-linking from {@code linkDest} (an earlier backup) every file
     * it holds unchanged, so that a new generation costs only what changed.
     * @param dest where the backup goes
     * @param linkDest an earlier backup, or {@code null}
     * @return what the backup holds
     * @throws EventStoreUnavailableException when {@code dest} is not empty or lies inside the store
     * @throws CorruptEventDataException when {@code linkDest} is not a complete backup
     */
    public BackupResult backup(final Path dest, final Path linkDest) {
        Objects.requireNonNull(dest, "dest");
        final byte[] to = text(dest.toString(), "dest");
        final byte[] from = linkDest == null ? null : text(linkDest.toString(), "linkDest");
        return handle.call(OperationType.RETRIEVE, null, null,
            h -> BackupResult.fromJson(NativeEventStore.backup(h, to, from)));
    }

    /**
     * Restores a backup into {@code dest}: checks every file against the backup's manifest,
     * builds the store beside {@code dest}, opens and verifies it, and only then renames it into
     * place. {@code dest} must be absent or empty unless {@code replace}; a replaced directory is
     * removed only once the restored store is in place.
     * @param backup a backup {@link #backup(Path)} wrote
     * @param dest the restored store's directory
     * @param replace whether a non-empty {@code dest} may be replaced
     * @return what was restored
     * @throws CorruptEventDataException when the backup is incomplete or damaged
     * @throws EventStoreUnavailableException when {@code dest} is not empty and not to be replaced
     */
    public static BackupResult restore(final Path backup, final Path dest, final boolean replace) {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(dest, "dest");
        NativeLibraryLoader.ensureLoaded();
        return BackupResult.fromJson(NativeEventStore.restore(text(backup.toString(), "backup"),
            text(dest.toString(), "dest"), replace));
    }

    /**
     * Writes the events {@code filter} selects to {@code out} as JSON Lines: one compact envelope
     * ({@code eventType}, {@code eventMetadata}, {@code eventData}) per line, the format
     * {@link #importEvents(InputStream)} and the command-line tool read. Streams: memory holds
     * one aggregate at most. {@code out} is flushed, not closed.
     * An encrypted store refuses: its export would hold the events' data in plaintext (see
     * {@link #exportEvents(EventFilter, OutputStream, boolean)}).
     * @param filter which events ({@link EventFilter#all()} for every one)
     * @param out where they go
     * @return how many events were written
     * @throws IOException when {@code out} throws
     * @throws EventStoreConfigurationException when the store is encrypted
     */
    public long exportEvents(final EventFilter filter, final OutputStream out) throws IOException {
        return exportEvents(filter, out, false);
    }

    /**
     * As {@link #exportEvents(EventFilter, OutputStream)}; with {@code plaintext}, an encrypted
     * store's events are exported too, their data in plaintext.
     * @param filter which events
     * @param out where they go
     * @param plaintext whether an encrypted store's data may leave it in plaintext
     * @return how many events were written
     * @throws IOException when {@code out} throws
     */
    public long exportEvents(final EventFilter filter, final OutputStream out, final boolean plaintext)
        throws IOException {
        final ObjectNode filterJson = (ObjectNode) EventSerializationSupport.readTree(
            Objects.requireNonNull(filter, "filter").toJson());
        filterJson.put("plaintext", plaintext);
        final byte[] json = EventSerializationSupport.toUtf8(filterJson, "filter");
        final OutputStream unchecked = new UncheckedStreams.Output(out);
        try {
            return handle.call(OperationType.RETRIEVE, null, null,
                h -> NativeEventStore.exportEvents(h, json, unchecked));
        } catch (final UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Saves the events of JSON Lines of envelopes (an export), in order. Idempotent: an event its
     * aggregate already holds (same eventId) is skipped. An event that does not fit (its version
     * is taken, or it follows an event its aggregate does not end with) is refused and listed in
     * {@link ImportResult#getConflicts()}; the others are still saved.
     * @param in the JSON Lines (read to its end, not closed)
     * @return what was imported
     * @throws IOException when {@code in} throws
     * @throws InvalidEventException when a line is not an envelope (the lines before it are saved)
     */
    public ImportResult importEvents(final InputStream in) throws IOException {
        return importEvents(in, false);
    }

    /**
     * As {@link #importEvents(InputStream)}; with {@code renumber}, an event that does not fit is
     * appended after its aggregate's last event instead (its version changes, its eventId stays).
     * @param in the JSON Lines
     * @param renumber whether to append conflicting events instead of refusing them
     * @return what was imported
     * @throws IOException when {@code in} throws
     */
    public ImportResult importEvents(final InputStream in, final boolean renumber) throws IOException {
        final InputStream unchecked = new UncheckedStreams.Input(in);
        try {
            return handle.call(OperationType.SAVE, null, null,
                h -> ImportResult.fromJson(NativeEventStore.importEvents(h, unchecked, renumber)));
        } catch (final UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public boolean isHealthy() {
        return health().path("healthy").asBoolean(false);
    }

    /**
     * What keeps the store from being healthy, e.g. an earlier failure to sync.
     * @return the problems, empty when healthy
     */
    public List<String> getHealthProblems() {
        return EventSerializationSupport.stringsOf(health().path("problems"));
    }

    /**
     * The deep health check: reads every event file and checks every invariant (files
     * parse, metadata matches the path, versions run 1, 2, 3 ... without gap, no unknown
     * files). Costs a read of the whole store; {@link #isHealthy()} is the cheap check.
     * @return the problems found, each naming the file; empty when the store is consistent
     */
    public List<String> verify() {
        return EventSerializationSupport.strings(handle.call(OperationType.HEALTH_CHECK, null, null,
                NativeEventStore::verify));
    }

    /**
     * Makes every event saved so far durable (one file-system sync) and starts the store's
     * journal over; saves wait while it runs. The store does this by itself every 64 MiB of
     * journal and at {@link #close()}; call it to bound what {@code batch} could lose at a
     * moment of your choosing. With durability {@code none} it syncs nothing (that mode
     * never does): a machine crash may still lose every save.
     * @throws EventStoreUnavailableException when the sync fails (the store then refuses
     *     writes until it is reopened)
     */
    public void checkpoint() {
        handle.call(OperationType.SAVE, null, null, h -> {
            NativeEventStore.checkpoint(h);
            return null;
        });
    }

    private JsonNode health() {
        return EventSerializationSupport.readTree(handle.call(OperationType.HEALTH_CHECK, null, null,
                NativeEventStore::health));
    }

    @Override
    public long getTotalEventCount() {
        return handle.call(OperationType.COUNT, null, null, NativeEventStore::totalEventCount);
    }

    @Override
    public long getEventCountForAggregate(final String aggregateType, final String aggregateId) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        return handle.call(OperationType.COUNT, aggregateType, aggregateId,
                h -> NativeEventStore.eventCount(h, type, id));
    }

    @Override
    public boolean aggregateExists(final String aggregateType, final String aggregateId) {
        final byte[] type = text(aggregateType, "aggregateType");
        final byte[] id = text(aggregateId, "aggregateId");
        return handle.call(OperationType.COUNT, aggregateType, aggregateId,
                h -> NativeEventStore.aggregateExists(h, type, id));
    }

    @Override
    public List<String> getAggregateTypes() {
        return EventSerializationSupport.strings(handle.call(OperationType.RETRIEVE, null, null,
                NativeEventStore::aggregateTypes));
    }

    @Override
    public List<String> getAggregateIds(final String aggregateType) {
        final byte[] type = text(aggregateType, "aggregateType");
        return EventSerializationSupport.strings(handle.call(OperationType.RETRIEVE, aggregateType, null,
                h -> NativeEventStore.aggregateIds(h, type)));
    }

    private static byte[] text(final String value, final String name) {
        return Utf8.encode(Objects.requireNonNull(value, name + " must not be null"), name);
    }

    @Override
    public String toString() {
        return "FilesystemEventStoreAdapter[" + configuration.getPath() + "]";
    }
}
