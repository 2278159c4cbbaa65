package org.acmsl.bytehot.domain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What ByteHot watches: directories, file-name patterns, and whether subdirectories count.
 */
public final class WatchConfiguration {

    private final List<Path> watchPaths;

    private final List<String> patterns;

    private final boolean recursive;

    /**
     * Creates the configuration.
     * @param watchPaths the watched directories (copied; may be {@code null})
     * @param patterns the file-name patterns (copied; may be {@code null})
     * @param recursive whether subdirectories are watched
     */
    public WatchConfiguration(final List<Path> watchPaths, final List<String> patterns, final boolean recursive) {
        this.watchPaths = copy(watchPaths);
        this.patterns = copy(patterns);
        this.recursive = recursive;
    }

    private static <T> List<T> copy(final List<T> list) {
        return list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
    }

    /**
     * The watched directories.
     * @return an unmodifiable list, or {@code null}
     */
    public List<Path> getWatchPaths() {
        return watchPaths;
    }

    /**
     * The file-name patterns, e.g. {@code *.class}.
     * @return an unmodifiable list, or {@code null}
     */
    public List<String> getPatterns() {
        return patterns;
    }

    /**
     * Whether subdirectories are watched.
     * @return true when recursive
     */
    public boolean isRecursive() {
        return recursive;
    }

    @Override
    public boolean equals(final Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof WatchConfiguration)) {
            return false;
        }
        final WatchConfiguration that = (WatchConfiguration) other;
        return recursive == that.recursive
            && Objects.equals(watchPaths, that.watchPaths)
            && Objects.equals(patterns, that.patterns);
    }

    @Override
    public int hashCode() {
        return Objects.hash(watchPaths, patterns, recursive);
    }

    @Override
    public String toString() {
        return "WatchConfiguration[watchPaths=" + watchPaths + ", patterns=" + patterns + ", recursive=" + recursive + "]";
    }
}
