package org.acmsl.bytehot.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventStoreConfiguration;

/**
 * One way this store lays events out on disk (issue 18): {@code max-events-per-file} N,
 * {@code compression-enabled} and encryption at rest (issue 23), written {@code N}, {@code Nz}
 * (z: compression on), {@code Ne} or {@code Nze} (e: encrypted, under a fixed key of the harness).
 * Each of "our" contenders runs once per layout; SQLite and the disk probes run once per run.
 */
final class Layout {

    /** N = 1 without compression: the default layout, one pretty-printed file per event. */
    static final String DEFAULT = "1";

    /**
     * The master key of the encrypted layouts: fixed, so that the child JVMs of W5 and W8 open
     * the stores their parent wrote (what is measured is the cipher's cost, not the key's secrecy).
     */
    private static final byte[] KEY = new byte[32];

    static {
        java.util.Arrays.fill(KEY, (byte) 0x42);
    }

    final String label;
    final int eventsPerFile;
    final boolean compressed;
    final boolean encrypted;

    private Layout(final String label, final int eventsPerFile, final boolean compressed, final boolean encrypted) {
        this.label = label;
        this.eventsPerFile = eventsPerFile;
        this.compressed = compressed;
        this.encrypted = encrypted;
    }

    /** Parses {@code 1,1000,1000z,1e}; the store itself checks that N is within its range. */
    static List<Layout> parseList(final String list) {
        final List<Layout> layouts = new ArrayList<>();
        for (final String item : list.split(",")) {
            final String label = item.trim().toLowerCase(Locale.ROOT);
            final java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+)(z?)(e?)").matcher(label);
            if (!m.matches() || layouts.stream().anyMatch(l -> l.label.equals(label))) {
                throw new IllegalArgumentException("--layouts: '" + item
                    + "' is not a new N, Nz, Ne or Nze (e.g. 1,1000,1000z,1e)");
            }
            layouts.add(new Layout(label, Integer.parseInt(m.group(1)), !m.group(2).isEmpty(), !m.group(3).isEmpty()));
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
        final EventStoreConfiguration laid = c.withMaxEventsPerFile(eventsPerFile).withCompressionEnabled(compressed);
        return encrypted ? laid.withEncryptionKey(KEY) : laid;
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
