package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a schema migration ({@link FilesystemEventStoreAdapter#migrateSchemas(java.nio.file.Path)})
 * did. Immutable; two results are equal when all their parts are.
 */
public final class SchemaMigrationResult {

    private final long eventsExamined;

    private final long eventsRewritten;

    private final long filesRewritten;

    private final Map<String, Integer> eventTypes;

    private final BackupResult backup;

    private final String finishedAt;

    /**
     * A result with the given parts.
     * @param eventsExamined events read
     * @param eventsRewritten events stored anew at a newer schema version
     * @param filesRewritten files replaced (single-event files and segments)
     * @param eventTypes per event type rewritten, the schema version its events reached
     * @param backup the backup taken before
     * @param finishedAt when the migration was recorded (ISO-8601)
     */
    public SchemaMigrationResult(final long eventsExamined, final long eventsRewritten, final long filesRewritten,
        final Map<String, Integer> eventTypes, final BackupResult backup, final String finishedAt) {
        this.eventsExamined = eventsExamined;
        this.eventsRewritten = eventsRewritten;
        this.filesRewritten = filesRewritten;
        this.eventTypes = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(eventTypes, "eventTypes")));
        this.backup = Objects.requireNonNull(backup, "backup");
        this.finishedAt = Objects.requireNonNull(finishedAt, "finishedAt");
    }

    /**
     * Events read (every event of the store at the time each page was read).
     * @return the number of events
     */
    public long getEventsExamined() {
        return eventsExamined;
    }

    /**
     * Events rewritten at a newer schema version.
     * @return the number of events
     */
    public long getEventsRewritten() {
        return eventsRewritten;
    }

    /**
     * Files replaced: single-event files and segments.
     * @return the number of files
     */
    public long getFilesRewritten() {
        return filesRewritten;
    }

    /**
     * Per event type with rewritten events, the schema version they reached; sorted by type.
     * @return an unmodifiable map
     */
    public Map<String, Integer> getEventTypes() {
        return eventTypes;
    }

    /**
     * The backup taken before anything was rewritten.
     * @return the backup's figures
     */
    public BackupResult getBackup() {
        return backup;
    }

    /**
     * When the migration was recorded in {@code metadata/event-schema-versions.json}.
     * @return an ISO-8601 instant
     */
    public String getFinishedAt() {
        return finishedAt;
    }

    @Override
    public boolean equals(final Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof SchemaMigrationResult)) {
            return false;
        }
        final SchemaMigrationResult that = (SchemaMigrationResult) other;
        return eventsExamined == that.eventsExamined && eventsRewritten == that.eventsRewritten
            && filesRewritten == that.filesRewritten && eventTypes.equals(that.eventTypes)
            && backup.equals(that.backup) && finishedAt.equals(that.finishedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventsExamined, eventsRewritten, filesRewritten, eventTypes, backup, finishedAt);
    }

    @Override
    public String toString() {
        return "SchemaMigrationResult{eventsExamined=" + eventsExamined + ", eventsRewritten=" + eventsRewritten
            + ", filesRewritten=" + filesRewritten + ", eventTypes=" + eventTypes + ", backup=" + backup
            + ", finishedAt=" + finishedAt + '}';
    }
}
