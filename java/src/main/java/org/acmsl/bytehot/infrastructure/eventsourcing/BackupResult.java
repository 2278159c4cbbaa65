package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * What {@link FilesystemEventStoreAdapter#backup} or
 * {@link FilesystemEventStoreAdapter#restore} did: files, bytes and events in the backup, and
 * how many files were hard-linked from an earlier backup instead of copied.
 */
public final class BackupResult {

    private final long files;

    private final long bytes;

    private final long linked;

    private final long events;

    /**
     * Creates a result.
     * @param files files in the backup
     * @param bytes their bytes
     * @param linked files hard-linked from the earlier backup
     * @param events events in the backup
     */
    public BackupResult(final long files, final long bytes, final long linked, final long events) {
        this.files = files;
        this.bytes = bytes;
        this.linked = linked;
        this.events = events;
    }

    static BackupResult fromJson(final byte[] json) {
        final JsonNode result = EventSerializationSupport.readTree(json);
        return new BackupResult(EventSerializationSupport.count(result, "files"),
            EventSerializationSupport.count(result, "bytes"), EventSerializationSupport.count(result, "linked"),
            EventSerializationSupport.count(result, "events"));
    }


    /**
     * Files in the backup (event files and the id files of long aggregate ids).
     * @return the count
     */
    public long getFiles() {
        return files;
    }

    /**
     * Bytes of those files.
     * @return the bytes
     */
    public long getBytes() {
        return bytes;
    }

    /**
     * Files hard-linked from the earlier backup given, instead of copied.
     * @return the count
     */
    public long getLinked() {
        return linked;
    }

    /**
     * Events in the backup.
     * @return the count
     */
    public long getEvents() {
        return events;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof BackupResult)) {
            return false;
        }
        final BackupResult that = (BackupResult) other;
        return files == that.files && bytes == that.bytes && linked == that.linked && events == that.events;
    }

    @Override
    public int hashCode() {
        return Objects.hash(files, bytes, linked, events);
    }

    @Override
    public String toString() {
        return "BackupResult[files=" + files + ", bytes=" + bytes + ", linked=" + linked + ", events=" + events
            + "]";
    }
}
