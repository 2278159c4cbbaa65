package org.acmsl.bytehot.infrastructure.eventsourcing;

/**
 * The native entry points (implemented in the Rust crate's {@code src/ffi.rs}; contract in
 * {@code docs/jni-boundary.md}). Strings and JSON cross as standard UTF-8 byte arrays.
 * Callers hold a {@link FilesystemEventStoreAdapter}'s read lock around every call on a
 * handle, so {@link #close(long)} never runs while another call on it is in flight.
 */
final class NativeEventStore {

    private NativeEventStore() {
    }

    static native long open(byte[] configJson);

    static native void close(long handle);

    static native byte[] append(long handle, byte[] envelopesJsonArray);

    static native byte[] readAggregate(long handle, byte[] aggregateType, byte[] aggregateId, long sinceVersion);

    static native byte[] readByType(long handle, byte[] eventType);

    static native byte[] readBetween(long handle, long startSecond, int startNano, long endSecond, int endNano);

    static native long currentVersion(long handle, byte[] aggregateType, byte[] aggregateId);

    static native long rewriteLegacyVersions(long handle, byte[] aggregateType, byte[] aggregateId);

    /** Compacts every aggregate; returns {@code {"filesMerged":n,"segmentsWritten":n,"leftoversRemoved":n}}. */
    static native byte[] compact(long handle);

    /** Compacts one aggregate; returns the same JSON object as {@link #compact(long)}. */
    static native byte[] compactAggregate(long handle, byte[] aggregateType, byte[] aggregateId);

    static native long totalEventCount(long handle);

    static native void checkpoint(long handle);

    static native long eventCount(long handle, byte[] aggregateType, byte[] aggregateId);

    static native boolean aggregateExists(long handle, byte[] aggregateType, byte[] aggregateId);

    static native byte[] aggregateTypes(long handle);

    static native byte[] aggregateIds(long handle, byte[] aggregateType);

    static native byte[] health(long handle);

    /** The base directory the store uses, as UTF-8. */
    static native byte[] basePath(long handle);

    /** Deep check: reads every file; returns a JSON array of problems, each naming a path. */
    static native byte[] verify(long handle);

    /** Backs the store up into {@code dest}; returns the JSON object of a {@link BackupResult}. */
    static native byte[] backup(long handle, byte[] dest, byte[] linkDest);

    /** Restores a backup into {@code dest}; returns the JSON object of a {@link BackupResult}. */
    static native byte[] restore(byte[] backup, byte[] dest, boolean replace);

    /** Writes the events an {@link EventFilter} (as JSON) selects to {@code out}; returns how many. */
    static native long exportEvents(long handle, byte[] filterJson, java.io.OutputStream out);

    /** Imports JSON Lines of envelopes from {@code in}; returns the JSON object of an {@link ImportResult}. */
    static native byte[] importEvents(long handle, java.io.InputStream in, boolean renumber);

    /**
     * Replaces stored events (a JSON array of envelopes) by newer schema versions of themselves;
     * returns {@code {"eventsRewritten","eventsCurrent","filesRewritten"}}.
     */
    static native byte[] rewriteSchemas(long handle, byte[] events);

    /**
     * Records a finished schema migration ({@code {"eventTypes","eventsExamined","eventsRewritten",
     * "backup"}}) in {@code metadata/event-schema-versions.json}; returns the record with its
     * {@code finishedAt}.
     */
    static native byte[] recordSchemaMigration(long handle, byte[] migration);

    /**
     * Syncs the store through the Git repository {@code remote} as store {@code name}; returns
     * {@code {"filesChanged","pushed","otherStores"}}.
     */
    static native byte[] sync(long handle, byte[] remote, byte[] name);

    /**
     * Brings back what retention removed, from the history of the repository the store syncs
     * with as {@code name}; returns {@code {"aggregates","eventsRestored","filesRestored",
     * "stillTruncated"}}.
     */
    static native byte[] restoreRemoved(long handle, byte[] name);

    /** Brings the stores of another repository, read only, as {@code <alias>/<store>}; a JSON array. */
    static native byte[] pull(long handle, byte[] remote, byte[] alias);

    /**
     * The other stores' events a cursor has not delivered: {@code {"cursor":{...},"stores":[...],
     * "events":[...]}} (the store of each event, in the same order).
     */
    static native byte[] pollOtherStores(long handle, byte[] name, byte[] cursor, byte[] filter);

    /** The other stores the last sync brought, as a JSON array of names. */
    static native byte[] otherStores(long handle, byte[] name);

    /** Destroys an aggregate's data key (crypto-shredding). */
    static native void forgetAggregate(long handle, byte[] aggregateType, byte[] aggregateId);

    /** Rewrites every event sealed ({@code seal}) or in plaintext; returns how many were rewritten. */
    static native long resealAll(long handle, boolean seal);

    /** Rewraps every data key with the current master key; returns how many. */
    static native long rotateMasterKey(long handle);

    /** Applies the configured retention; returns the JSON object of a {@link CleanupResult}. */
    static native byte[] cleanup(long handle, boolean dryRun);

    /** Up to {@code limit} events from {@code fromPosition} on, each with its {@code streamPosition}. */
    static native byte[] readAll(long handle, long fromPosition, int limit);

    /** The greatest stream position given so far. */
    static native long lastPosition(long handle);

    /** The events of a correlation id, within the range when {@code hasRange}. */
    static native byte[] readByCorrelation(long handle, byte[] correlationId, boolean hasRange,
        long fromSecond, int fromNano, long toSecond, int toNano);

    /** The events of a user id, within the range when {@code hasRange}. */
    static native byte[] readByUser(long handle, byte[] userId, boolean hasRange,
        long fromSecond, int fromNano, long toSecond, int toNano);

    /**
     * A subscription's handle; {@code name} null for an unnamed one; {@code start} 0 the
     * beginning, 1 after {@code after}, 2 now; the filter as JSON.
     */
    static native long subscribe(long handle, byte[] name, int start, long after, byte[] filterJson);

    /** Up to {@code max} next events of a subscription, waiting up to the timeout for one. */
    static native byte[] poll(long subscription, int max, long timeoutMillis);

    /** Records the subscription's handler done up to {@code position} (a named one's checkpoint). */
    static native void acknowledge(long subscription, long position);

    /** Releases a subscription (a named one's lock with it). */
    static native void closeSubscription(long subscription);

    /** Stores an aggregate's state (JSON) as of {@code version}. */
    static native void saveSnapshot(long handle, byte[] aggregateType, byte[] aggregateId, long version, byte[] stateJson);

    /** The newest matching snapshot as {@code {"version","eventId","takenAt","state"}}, or null. */
    static native byte[] loadLatestSnapshot(long handle, byte[] aggregateType, byte[] aggregateId);

    /** A named subscription's checkpoint; -1 when it has none. */
    static native long subscriptionCheckpoint(long handle, byte[] name);
}
