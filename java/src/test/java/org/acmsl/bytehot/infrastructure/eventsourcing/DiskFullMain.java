package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.EventStoreOutcomeUnknownException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The JVM of {@link DiskFullTest}, run on a small tmpfs of its own: saves 64 KiB events until
 * the disk is full and saves keep failing, reopening the store when a failure asks for it;
 * then frees space, reopens, and checks every save against what its outcome said.
 */
public final class DiskFullMain {

    private static final int AGGREGATES = 8;

    private DiskFullMain() {
    }

    private static FilesystemEventStoreAdapter reopen(final FilesystemEventStoreAdapter store, final Path base) {
        try {
            store.close();
        } catch (final EventStoreException expected) {
            // A store that refuses writes after a failure says so at close too.
        }
        return new FilesystemEventStoreAdapter(base.toString());
    }

    /**
     * Prints {@code ok acknowledged=N refused=N unknown=N} or throws.
     * @param args the tmpfs mount point
     * @throws Exception when a check fails
     */
    public static void main(final String[] args) throws Exception {
        final Path mount = Paths.get(args[0]);
        final Path base = mount.resolve("store");
        final Path ballast = mount.resolve("ballast");
        Files.write(ballast, new byte[2 << 20]);
        final String payload = "x".repeat(64 * 1024);
        final List<String> acknowledged = new ArrayList<>();
        final List<String> refused = new ArrayList<>();
        final List<String> unknown = new ArrayList<>();
        FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(base.toString());
        for (int i = 0; i < 5000 && refused.size() + unknown.size() < 20; i++) {
            final ClassFileChanged event = new ClassFileChanged(
                EventMetadata.forNewAggregate("filewatch", "agg-" + (i % AGGREGATES)), null, payload + i, i, null);
            final String id = event.getEventId();
            try {
                store.save(event);
                acknowledged.add(id);
            } catch (final EventStoreOutcomeUnknownException e) {
                unknown.add(id);
                store = reopen(store, base);
            } catch (final EventStoreException e) {
                refused.add(id);
                if (!e.getMessage().contains("nothing of this save was stored")) {
                    store = reopen(store, base);
                }
            }
        }
        Files.delete(ballast);
        store = reopen(store, base);
        final Set<String> stored = new HashSet<>();
        for (int a = 0; a < AGGREGATES; a++) {
            for (final VersionedDomainEvent event : store.getEventsForAggregate("filewatch", "agg-" + a)) {
                stored.add(event.getEventId());
            }
        }
        for (final String id : acknowledged) {
            if (!stored.contains(id)) {
                throw new IllegalStateException("acknowledged save lost: " + id);
            }
        }
        for (final String id : refused) {
            if (stored.contains(id)) {
                throw new IllegalStateException("a save reported as refused was stored: " + id);
            }
        }
        final List<String> problems = store.verify();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("inconsistent after the full disk: " + problems);
        }
        store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "after"), null, "after", 0, null));
        store.close();
        System.out.println("ok acknowledged=" + acknowledged.size() + " refused=" + refused.size()
            + " unknown=" + unknown.size());
    }
}
