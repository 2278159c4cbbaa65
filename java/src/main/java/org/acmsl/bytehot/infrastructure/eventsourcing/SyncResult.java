package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What a sync through Git ({@link FilesystemEventStoreAdapter#sync(String, String)}) did.
 * Immutable; two results are equal when all their parts are.
 */
public final class SyncResult {

    private final long filesChanged;

    private final boolean pushed;

    private final List<String> otherStores;

    /**
     * A result with the given parts.
     * @param filesChanged files of this store added, changed or removed in its subtree
     * @param pushed whether a commit was pushed
     * @param otherStores the other stores the repository holds
     */
    public SyncResult(final long filesChanged, final boolean pushed, final List<String> otherStores) {
        this.filesChanged = filesChanged;
        this.pushed = pushed;
        this.otherStores = Collections.unmodifiableList(List.copyOf(Objects.requireNonNull(otherStores, "otherStores")));
    }

    static SyncResult fromJson(final byte[] json) {
        final JsonNode result = EventSerializationSupport.readTree(json);
        return new SyncResult(EventSerializationSupport.count(result, "filesChanged"),
            result.path("pushed").asBoolean(false), EventSerializationSupport.stringsOf(result.path("otherStores")));
    }

    /**
     * Files of this store added, changed or removed in its subtree of the repository.
     * @return the number of files
     */
    public long getFilesChanged() {
        return filesChanged;
    }

    /**
     * Whether a commit was pushed (false: the repository had this store's files already).
     * @return whether it pushed
     */
    public boolean isPushed() {
        return pushed;
    }

    /**
     * The other stores the repository holds, by name.
     * @return their names, sorted
     */
    public List<String> getOtherStores() {
        return otherStores;
    }

    @Override
    public boolean equals(final Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof SyncResult)) {
            return false;
        }
        final SyncResult that = (SyncResult) other;
        return filesChanged == that.filesChanged && pushed == that.pushed && otherStores.equals(that.otherStores);
    }

    @Override
    public int hashCode() {
        return Objects.hash(filesChanged, pushed, otherStores);
    }

    @Override
    public String toString() {
        return "SyncResult{filesChanged=" + filesChanged + ", pushed=" + pushed + ", otherStores=" + otherStores + '}';
    }
}
