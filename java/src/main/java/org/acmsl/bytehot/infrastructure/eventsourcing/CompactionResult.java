package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * What a compaction ({@link FilesystemEventStoreAdapter#compact()}) did. Immutable; two results
 * are equal when their counts are.
 */
public final class CompactionResult {

    private final long filesMerged;

    private final long segmentsWritten;

    private final long leftoversRemoved;

    private final long segmentsCompressed;

    /**
     * A result with the given counts.
     * @param filesMerged single-event files whose events now lie in segments
     * @param segmentsWritten segments written
     * @param leftoversRemoved files an earlier, interrupted compaction or compression had
     *     already copied, removed now
     * @param segmentsCompressed full segments compressed
     * @throws IllegalArgumentException when a count is negative
     */
    public CompactionResult(final long filesMerged, final long segmentsWritten, final long leftoversRemoved,
        final long segmentsCompressed) {
        this.filesMerged = count(filesMerged, "filesMerged");
        this.segmentsWritten = count(segmentsWritten, "segmentsWritten");
        this.leftoversRemoved = count(leftoversRemoved, "leftoversRemoved");
        this.segmentsCompressed = count(segmentsCompressed, "segmentsCompressed");
    }

    private static long count(final long value, final String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
        return value;
    }

    /**
     * The result the store returned as
     * {@code {"filesMerged":n,"segmentsWritten":n,"leftoversRemoved":n,"segmentsCompressed":n}}.
     * @throws EventStoreException when a count is missing or not a non-negative integer: the
     *     native library does not match this class
     */
    static CompactionResult fromJson(final byte[] json) {
        final JsonNode result = EventSerializationSupport.readTree(json);
        return new CompactionResult(EventSerializationSupport.count(result, "filesMerged"),
            EventSerializationSupport.count(result, "segmentsWritten"),
            EventSerializationSupport.count(result, "leftoversRemoved"),
            EventSerializationSupport.count(result, "segmentsCompressed"));
    }


    /**
     * Single-event files whose events now lie in segments; each was removed.
     * @return the number of files
     */
    public long getFilesMerged() {
        return filesMerged;
    }

    /**
     * Segment files written.
     * @return the number of segments
     */
    public long getSegmentsWritten() {
        return segmentsWritten;
    }

    /**
     * Files that an earlier compaction or compression, interrupted (killed, a crash), had
     * already copied (into a segment, or compressed): removed now, finishing its job.
     * @return the number of files
     */
    public long getLeftoversRemoved() {
        return leftoversRemoved;
    }

    /**
     * Full segments compressed ({@code .jsonl.zst}); always 0 unless
     * {@value EventStoreConfiguration#COMPRESSION_ENABLED} is {@code true}.
     * @return the number of segments
     */
    public long getSegmentsCompressed() {
        return segmentsCompressed;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof CompactionResult)) {
            return false;
        }
        final CompactionResult that = (CompactionResult) other;
        return filesMerged == that.filesMerged && segmentsWritten == that.segmentsWritten
            && leftoversRemoved == that.leftoversRemoved && segmentsCompressed == that.segmentsCompressed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(filesMerged, segmentsWritten, leftoversRemoved, segmentsCompressed);
    }

    @Override
    public String toString() {
        return "CompactionResult[filesMerged=" + filesMerged + ", segmentsWritten=" + segmentsWritten
            + ", leftoversRemoved=" + leftoversRemoved + ", segmentsCompressed=" + segmentsCompressed + "]";
    }
}
