package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What {@link FilesystemEventStoreAdapter#importEvents} did: events saved (and of those, saved at
 * another version when renumbering), events skipped because their aggregate already held their
 * eventId, and the events refused, each with its line and why.
 */
public final class ImportResult {

    private final long imported;

    private final long renumbered;

    private final long skipped;

    private final List<String> conflicts;

    /**
     * Creates a result.
     * @param imported events saved
     * @param renumbered of those, events saved at another version than the input gave
     * @param skipped events already stored
     * @param conflicts the events refused, each with its line number and why
     */
    public ImportResult(final long imported, final long renumbered, final long skipped,
        final List<String> conflicts) {
        this.imported = imported;
        this.renumbered = renumbered;
        this.skipped = skipped;
        this.conflicts = Collections.unmodifiableList(List.copyOf(conflicts));
    }

    static ImportResult fromJson(final byte[] json) {
        final JsonNode result = EventSerializationSupport.readTree(json);
        return new ImportResult(EventSerializationSupport.count(result, "imported"),
            EventSerializationSupport.count(result, "renumbered"), EventSerializationSupport.count(result, "skipped"),
            EventSerializationSupport.stringsOf(result.path("conflicts")));
    }

    /**
     * Events saved.
     * @return the count
     */
    public long getImported() {
        return imported;
    }

    /**
     * Of the events saved, those saved at another version than the input gave.
     * @return the count
     */
    public long getRenumbered() {
        return renumbered;
    }

    /**
     * Events skipped because their aggregate already holds their eventId.
     * @return the count
     */
    public long getSkipped() {
        return skipped;
    }

    /**
     * The events refused (their aggregate holds another event at their version, or they follow an
     * event the aggregate does not end with), each with its line number and why.
     * @return the conflicts, empty when none
     */
    public List<String> getConflicts() {
        return conflicts;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof ImportResult)) {
            return false;
        }
        final ImportResult that = (ImportResult) other;
        return imported == that.imported && renumbered == that.renumbered && skipped == that.skipped
            && conflicts.equals(that.conflicts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(imported, renumbered, skipped, conflicts);
    }

    @Override
    public String toString() {
        return "ImportResult[imported=" + imported + ", renumbered=" + renumbered + ", skipped=" + skipped
            + ", conflicts=" + conflicts + "]";
    }
}
