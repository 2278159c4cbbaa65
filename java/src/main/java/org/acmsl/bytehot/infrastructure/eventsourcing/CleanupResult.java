package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * What {@link FilesystemEventStoreAdapter#cleanup()} removed (or, in a dry run, would remove):
 * aggregates truncated, events, files and bytes removed, bytes of events left, and whether the
 * size limit is still exceeded (what is left is recent, undated, or each aggregate's last file).
 */
public final class CleanupResult {

    private final long aggregates;

    private final long eventsRemoved;

    private final long filesRemoved;

    private final long bytesRemoved;

    private final long bytesKept;

    private final boolean overSizeLimit;

    private final boolean dryRun;

    /**
     * Creates a result.
     * @param aggregates aggregates that lost their oldest events
     * @param eventsRemoved events removed
     * @param filesRemoved event files removed
     * @param bytesRemoved bytes of the events removed
     * @param bytesKept bytes of the events left
     * @param overSizeLimit whether the size limit is still exceeded
     * @param dryRun whether nothing was removed (the result says what would be)
     */
    public CleanupResult(final long aggregates, final long eventsRemoved, final long filesRemoved,
        final long bytesRemoved, final long bytesKept, final boolean overSizeLimit, final boolean dryRun) {
        this.aggregates = aggregates;
        this.eventsRemoved = eventsRemoved;
        this.filesRemoved = filesRemoved;
        this.bytesRemoved = bytesRemoved;
        this.bytesKept = bytesKept;
        this.overSizeLimit = overSizeLimit;
        this.dryRun = dryRun;
    }

    static CleanupResult fromJson(final byte[] json) {
        final JsonNode result = EventSerializationSupport.readTree(json);
        return new CleanupResult(EventSerializationSupport.count(result, "aggregates"),
            EventSerializationSupport.count(result, "eventsRemoved"),
            EventSerializationSupport.count(result, "filesRemoved"),
            EventSerializationSupport.count(result, "bytesRemoved"),
            EventSerializationSupport.count(result, "bytesKept"),
            result.path("overSizeLimit").asBoolean(false), result.path("dryRun").asBoolean(false));
    }

    /**
     * Aggregates that lost their oldest events.
     * @return the count
     */
    public long getAggregates() {
        return aggregates;
    }

    /**
     * Events removed.
     * @return the count
     */
    public long getEventsRemoved() {
        return eventsRemoved;
    }

    /**
     * Event files removed (single-event files and whole segments).
     * @return the count
     */
    public long getFilesRemoved() {
        return filesRemoved;
    }

    /**
     * Bytes of the events removed.
     * @return the bytes
     */
    public long getBytesRemoved() {
        return bytesRemoved;
    }

    /**
     * Bytes of the events left.
     * @return the bytes
     */
    public long getBytesKept() {
        return bytesKept;
    }

    /**
     * Whether the size limit is still exceeded.
     * @return true when what is left is over the limit
     */
    public boolean isOverSizeLimit() {
        return overSizeLimit;
    }

    /**
     * Whether this was a dry run (nothing removed).
     * @return true for a dry run
     */
    public boolean isDryRun() {
        return dryRun;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof CleanupResult)) {
            return false;
        }
        final CleanupResult that = (CleanupResult) other;
        return aggregates == that.aggregates && eventsRemoved == that.eventsRemoved
            && filesRemoved == that.filesRemoved && bytesRemoved == that.bytesRemoved && bytesKept == that.bytesKept
            && overSizeLimit == that.overSizeLimit && dryRun == that.dryRun;
    }

    @Override
    public int hashCode() {
        return Objects.hash(aggregates, eventsRemoved, filesRemoved, bytesRemoved, bytesKept, overSizeLimit, dryRun);
    }

    @Override
    public String toString() {
        return "CleanupResult[aggregates=" + aggregates + ", eventsRemoved=" + eventsRemoved + ", filesRemoved="
            + filesRemoved + ", bytesRemoved=" + bytesRemoved + ", bytesKept=" + bytesKept + ", overSizeLimit="
            + overSizeLimit + ", dryRun=" + dryRun + "]";
    }
}
