package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What bringing back the events retention removed
 * ({@link FilesystemEventStoreAdapter#restoreRemoved(String)}) did. Immutable; two results are
 * equal when all their parts are.
 */
public final class RestoreResult {

    private final long aggregates;

    private final long eventsRestored;

    private final long filesRestored;

    private final List<String> stillTruncated;

    /**
     * A result with the given parts.
     * @param aggregates aggregates some of whose removed events came back
     * @param eventsRestored events brought back
     * @param filesRestored files brought back
     * @param stillTruncated aggregates that still start after removed events, each as
     *     {@code type/id: why}
     */
    public RestoreResult(final long aggregates, final long eventsRestored, final long filesRestored,
        final List<String> stillTruncated) {
        this.aggregates = aggregates;
        this.eventsRestored = eventsRestored;
        this.filesRestored = filesRestored;
        this.stillTruncated = Collections.unmodifiableList(
            List.copyOf(Objects.requireNonNull(stillTruncated, "stillTruncated")));
    }

    static RestoreResult fromJson(final byte[] json) {
        final JsonNode result = EventSerializationSupport.readTree(json);
        return new RestoreResult(EventSerializationSupport.count(result, "aggregates"),
            EventSerializationSupport.count(result, "eventsRestored"),
            EventSerializationSupport.count(result, "filesRestored"),
            EventSerializationSupport.stringsOf(result.path("stillTruncated")));
    }

    /**
     * Aggregates some of whose removed events came back.
     * @return the number of aggregates
     */
    public long getAggregates() {
        return aggregates;
    }

    /**
     * Events brought back.
     * @return the number of events
     */
    public long getEventsRestored() {
        return eventsRestored;
    }

    /**
     * Files brought back (single-event files and segments).
     * @return the number of files
     */
    public long getFilesRestored() {
        return filesRestored;
    }

    /**
     * Aggregates whose oldest removed events the repository's history does not hold (removed
     * before any sync saw them): they still start after a truncation.
     * @return each as {@code type/id: why}
     */
    public List<String> getStillTruncated() {
        return stillTruncated;
    }

    @Override
    public boolean equals(final Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RestoreResult)) {
            return false;
        }
        final RestoreResult that = (RestoreResult) other;
        return aggregates == that.aggregates && eventsRestored == that.eventsRestored
            && filesRestored == that.filesRestored && stillTruncated.equals(that.stillTruncated);
    }

    @Override
    public int hashCode() {
        return Objects.hash(aggregates, eventsRestored, filesRestored, stillTruncated);
    }

    @Override
    public String toString() {
        return "RestoreResult{aggregates=" + aggregates + ", eventsRestored=" + eventsRestored
            + ", filesRestored=" + filesRestored + ", stillTruncated=" + stillTruncated + '}';
    }
}
