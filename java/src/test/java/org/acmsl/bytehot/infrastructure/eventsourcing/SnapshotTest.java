package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.acmsl.bytehot.domain.AggregateRebuilder;
import org.acmsl.bytehot.domain.AggregateSnapshot;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots through the Java API (issue 22): saved, loaded, ignored when unreadable, and the rebuilder's policy. */
class SnapshotTest {

    @TempDir
    Path dir;

    /** A state a projection keeps: the class names it has seen. */
    public static final class Seen {
        public List<String> names = new ArrayList<>();

        static Seen plus(final Seen seen, final String name) {
            final Seen next = new Seen();
            next.names.addAll(seen.names);
            next.names.add(name);
            return next;
        }
    }

    private FilesystemEventStoreAdapter open() {
        return new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(dir));
    }

    private static void save(final FilesystemEventStoreAdapter store, final int from, final int to) {
        for (int i = from; i < to; i++) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "w"), null, "C" + i, i, null));
        }
    }

    @Test
    void aSnapshotRoundTripsItsStateAndOneOfAMissingVersionIsRefused() {
        try (FilesystemEventStoreAdapter store = open()) {
            save(store, 0, 5);
            assertThat(store.loadLatestSnapshot("filewatch", "w", Seen.class)).isEmpty();
            final Seen seen = Seen.plus(Seen.plus(new Seen(), "C0"), "C1");
            store.saveSnapshot("filewatch", "w", 2, seen);
            final Optional<AggregateSnapshot<Seen>> loaded = store.loadLatestSnapshot("filewatch", "w", Seen.class);
            assertThat(loaded).isPresent();
            assertThat(loaded.get().getVersion()).isEqualTo(2L);
            assertThat(loaded.get().getState().names).containsExactly("C0", "C1");
            assertThat(loaded.get().getEventId())
                .isEqualTo(store.getEventsForAggregate("filewatch", "w").get(1).getEventId());
            assertThatThrownBy(() -> store.saveSnapshot("filewatch", "w", 9, seen))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("has no version 9");
            // A state its class no longer reads is ignored: the events rebuild it.
            assertThat(store.loadLatestSnapshot("filewatch", "w", Integer.class)).isEmpty();
        }
    }

    @Test
    void theRebuilderReadsOnlyTheEventsAfterItsSnapshotAndTakesOneEveryNEvents() throws Exception {
        try (FilesystemEventStoreAdapter store = open()) {
            save(store, 0, 120);
            final AggregateRebuilder<Seen> rebuilder = new AggregateRebuilder<>(store, store, Seen.class, Seen::new,
                (seen, event) -> Seen.plus(seen, ((ClassFileChanged) event).getClassName()), 100);
            final AggregateRebuilder.Rebuilt<Seen> first = rebuilder.rebuild("filewatch", "w");
            assertThat(first.isFromSnapshot()).isFalse();
            assertThat(first.getEventsApplied()).isEqualTo(120);
            assertThat(first.getVersion()).isEqualTo(120L);
            save(store, 120, 130);
            final AggregateRebuilder.Rebuilt<Seen> second = rebuilder.rebuild("filewatch", "w");
            assertThat(second.isFromSnapshot()).isTrue();
            assertThat(second.getEventsApplied()).isEqualTo(10);
            assertThat(second.getState().names).hasSize(130).startsWith("C0", "C1").endsWith("C129");
            // Deleting the snapshots loses nothing.
            try (var files = Files.walk(dir.resolve("filewatch/w/.snapshots"))) {
                files.filter(Files::isRegularFile).forEach(p -> p.toFile().delete());
            }
            final AggregateRebuilder.Rebuilt<Seen> third = rebuilder.rebuild("filewatch", "w");
            assertThat(third.isFromSnapshot()).isFalse();
            assertThat(third.getState().names).isEqualTo(second.getState().names);
        }
    }
}
