package org.acmsl.bytehot.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventStoreConfiguration;

/**
 * One way this store lays events out on disk (issue 18): {@code max-events-per-file} N and
 * {@code compression-enabled}, written {@code N} or {@code Nz} (z: compression on). Each of
 * "our" contenders runs once per layout; SQLite and the disk probes run once per run.
 */
final class Layout {

    /** N = 1 without compression: the default layout, one pretty-printed file per event. */
    static final String DEFAULT = "1";

    final String label;
    final int eventsPerFile;
    final boolean compressed;

    private Layout(final String label, final int eventsPerFile, final boolean compressed) {
        this.label = label;
        this.eventsPerFile = eventsPerFile;
        this.compressed = compressed;
    }

    /** Parses {@code 1,1000,1000z}; the store itself checks that N is within its range. */
    static List<Layout> parseList(final String list) {
        final List<Layout> layouts = new ArrayList<>();
        for (final String item : list.split(",")) {
            final String label = item.trim().toLowerCase(Locale.ROOT);
            final boolean z = label.endsWith("z");
            final String n = z ? label.substring(0, label.length() - 1) : label;
            if (!n.matches("[0-9]+") || layouts.stream().anyMatch(l -> l.label.equals(label))) {
                throw new IllegalArgumentException("--layouts: '" + item + "' is not a new N or Nz (e.g. 1,1000,1000z)");
            }
            layouts.add(new Layout(label, Integer.parseInt(n), z));
        }
        return layouts;
    }

    /**
     * What is appended to a contender's or result's name: nothing for the default layout, so
     * that the names of earlier runs (one file per event, no layouts) still mean the same.
     */
    String suffix() {
        return label.equals(DEFAULT) ? "" : "@" + label;
    }

    /** Finds the layout a contender name such as {@code ours-always@1000z} ends with. */
    static Layout of(final String contender, final List<Layout> layouts) {
        final int at = contender.indexOf('@');
        final String label = at < 0 ? DEFAULT : contender.substring(at + 1);
        return layouts.stream().filter(l -> l.label.equals(label)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no layout " + label + " in " + contender));
    }

    EventStoreConfiguration configure(final EventStoreConfiguration c) {
        return c.withMaxEventsPerFile(eventsPerFile).withCompressionEnabled(compressed);
    }

    /** Files an aggregate of {@code events} events occupies: one each, or one per N (full ones compressed). */
    int filesFor(final int events) {
        return (events + eventsPerFile - 1) / eventsPerFile;
    }

    @Override
    public String toString() {
        return label;
    }
}
