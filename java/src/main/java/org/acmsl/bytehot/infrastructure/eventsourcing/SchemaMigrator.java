package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The walk of a schema migration over an open store: every event in stream order, upcast as a
 * read would upcast it, and those the chain changed handed to the native side, a batch at a
 * time, to replace the stored ones (which checks that only {@code eventData} and
 * {@code schemaVersion} changed). Each batch is crash-safe on its own (see
 * {@code src/store/migrate.rs}): a migration cut short leaves every event old or new, and run
 * again it finishes.
 */
final class SchemaMigrator {

    /** Events read per page: pages of large events stay bounded. */
    static final int PAGE = 64;

    /**
     * Events rewritten per call at most. Each call also repairs the index and the stream, which
     * costs in proportion to the store (about 0.2 s at 100,000 events): batches of a page made
     * a migration quadratic in the store's size.
     */
    static final int BATCH_EVENTS = 4096;

    /** Bytes of events (as read) rewritten per call at most: a batch of large events stays bounded. */
    static final long BATCH_BYTES = 16L << 20;

    private final long handle;

    private final ArrayNode batch = EventMapper.MAPPER.createArrayNode();

    private final Map<String, Integer> reached = new TreeMap<>();

    private long batchBytes;

    private long examined;

    private long rewritten;

    private long files;

    private SchemaMigrator(final long handle) {
        this.handle = handle;
    }

    /** Migrates the store open as {@code handle}; records it with {@code backup}, taken before. */
    static SchemaMigrationResult run(final long handle, final BackupResult backup, final String backupPath) {
        final SchemaMigrator migrator = new SchemaMigrator(handle);
        long from = 0L;
        while (true) {
            final byte[] read = NativeEventStore.readAll(handle, from, PAGE);
            final JsonNode page = EventSerializationSupport.readTree(read);
            if (page.size() == 0) {
                break;
            }
            final long bytesPerEvent = read.length / page.size();
            for (final JsonNode stored : page) {
                from = Math.max(from, stored.path("eventMetadata").path("streamPosition").asLong(0L) + 1);
                migrator.take(stored, bytesPerEvent);
            }
        }
        migrator.flush();
        final ObjectNode record = EventMapper.MAPPER.createObjectNode();
        final ObjectNode types = record.putObject("eventTypes");
        migrator.reached.forEach(types::put);
        record.put("eventsExamined", migrator.examined);
        record.put("eventsRewritten", migrator.rewritten);
        record.put("backup", backupPath);
        final JsonNode recorded = EventSerializationSupport.readTree(
            NativeEventStore.recordSchemaMigration(handle, EventSerializationSupport.toUtf8(record, "migration")));
        return new SchemaMigrationResult(migrator.examined, migrator.rewritten, migrator.files, migrator.reached,
            backup, recorded.path("finishedAt").asText());
    }

    private void take(final JsonNode stored, final long bytes) {
        examined++;
        final JsonNode upcast = Upcasters.upcast(stored);
        final String eventType = upcast.path("eventType").textValue();
        final int version = upcast.path("eventMetadata").path("schemaVersion")
            .asInt(EventMetadata.DEFAULT_SCHEMA_VERSION);
        // What a read would refuse is not rewritten either: the migration stops, naming it.
        if (eventType != null && EventTypeRegistry.isRegistered(eventType)) {
            DeclaredSchemaVersions.checkRead(eventType, EventTypeRegistry.eventClass(eventType), version);
        }
        if (upcast == stored) {
            return;
        }
        if (!upcast.path("eventMetadata").isObject()) {
            throw new InvalidEventException("the store returned an event without metadata: " + stored);
        }
        ((ObjectNode) upcast.get("eventMetadata")).remove("streamPosition");
        batch.add(upcast);
        batchBytes += bytes;
        reached.merge(eventType, version, Math::max);
        if (batch.size() >= BATCH_EVENTS || batchBytes >= BATCH_BYTES) {
            flush();
        }
    }

    private void flush() {
        if (batch.size() == 0) {
            return;
        }
        final JsonNode done = EventSerializationSupport.readTree(
            NativeEventStore.rewriteSchemas(handle, EventSerializationSupport.toUtf8(batch, "events")));
        rewritten += EventSerializationSupport.count(done, "eventsRewritten");
        files += EventSerializationSupport.count(done, "filesRewritten");
        batch.removeAll();
        batchBytes = 0L;
    }
}
