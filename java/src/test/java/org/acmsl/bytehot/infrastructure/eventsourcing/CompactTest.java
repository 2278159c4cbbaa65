package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.OperationType;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FilesystemEventStoreAdapter#compact()} and {@link FilesystemEventStoreAdapter#compact(String, String)}
 * on a real store: single-event files become segments of {@code max-events-per-file} events,
 * the events read back unchanged, and the result counts what happened on disk.
 */
class CompactTest {

    @TempDir
    Path dir;

    private FilesystemEventStoreAdapter open(final int maxEventsPerFile) {
        return new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir).withMaxEventsPerFile(maxEventsPerFile));
    }

    private static List<VersionedDomainEvent> saveEvents(final FilesystemEventStoreAdapter store, final String id,
        final int count) {
        final List<VersionedDomainEvent> saved = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            saved.add(store.saveAndReturn(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", id), null,
                "com.acme.C" + i, i, null)));
        }
        return saved;
    }

    /** The event files of an aggregate directory (the store's own dot-files left out), sorted. */
    private static List<String> eventFiles(final Path aggregateDir) throws IOException {
        try (Stream<Path> files = Files.list(aggregateDir)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> !name.startsWith("."))
                .sorted().collect(Collectors.toList());
        }
    }

    @Test
    void compactMergesAnAggregatesSingleEventFilesIntoSegmentsThatReadBackTheSameEvents() throws Exception {
        final List<VersionedDomainEvent> saved;
        try (FilesystemEventStoreAdapter store = open(1)) {
            saved = saveEvents(store, "a", 25);
        }
        final Path aggregate = dir.resolve("filewatch").resolve("a");
        assertThat(eventFiles(aggregate)).hasSize(25).allMatch(name -> name.endsWith(".json"));

        try (FilesystemEventStoreAdapter store = open(10)) {
            assertThat(store.compact()).isEqualTo(new CompactionResult(25, 3, 0, 0));

            final List<String> files = eventFiles(aggregate);
            assertThat(files).hasSize(3).allMatch(name -> name.endsWith(".jsonl"));
            assertThat(files.stream().map(name -> lineCount(aggregate.resolve(name))).collect(Collectors.toList()))
                .containsExactly(10L, 10L, 5L);
            assertThat(store.getEventsForAggregate("filewatch", "a")).isEqualTo(saved);
            assertThat(store.getEventsByType("ClassFileChanged")).isEqualTo(saved);
            assertThat(store.verify()).isEmpty();
        }
        try (FilesystemEventStoreAdapter store = open(10)) {
            assertThat(store.getEventsForAggregate("filewatch", "a")).isEqualTo(saved);
        }
    }

    private static long lineCount(final Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (final IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    @Test
    void withCompressionCompactWritesFullSegmentsCompressedAndTheLastOnePlain() throws Exception {
        final List<VersionedDomainEvent> saved;
        try (FilesystemEventStoreAdapter store = open(1)) {
            saved = saveEvents(store, "a", 25);
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults()
            .withPath(dir).withMaxEventsPerFile(10).withCompressionEnabled(true))) {
            assertThat(store.compact()).isEqualTo(new CompactionResult(25, 3, 0, 2));

            assertThat(eventFiles(dir.resolve("filewatch").resolve("a")))
                .satisfiesExactly(first -> assertThat(first).endsWith(".jsonl.zst"),
                    second -> assertThat(second).endsWith(".jsonl.zst"), last -> assertThat(last).endsWith(".jsonl"));
            assertThat(store.getEventsForAggregate("filewatch", "a")).isEqualTo(saved);
        }
    }

    @Test
    void aSecondCompactFindsNothingLeftToDo() throws Exception {
        try (FilesystemEventStoreAdapter store = open(1)) {
            saveEvents(store, "a", 4);
        }
        try (FilesystemEventStoreAdapter store = open(10)) {
            assertThat(store.compact()).isEqualTo(new CompactionResult(4, 1, 0, 0));
            final List<String> files = eventFiles(dir.resolve("filewatch").resolve("a"));

            assertThat(store.compact()).isEqualTo(new CompactionResult(0, 0, 0, 0));
            assertThat(eventFiles(dir.resolve("filewatch").resolve("a"))).isEqualTo(files);
        }
    }

    @Test
    void compactOfOneAggregateLeavesTheOthersFilesAlone() throws Exception {
        final List<VersionedDomainEvent> savedA;
        final List<VersionedDomainEvent> savedB;
        try (FilesystemEventStoreAdapter store = open(1)) {
            savedA = saveEvents(store, "a", 6);
            savedB = saveEvents(store, "b", 6);
        }
        final Path b = dir.resolve("filewatch").resolve("b");
        final List<String> filesOfB = eventFiles(b);

        try (FilesystemEventStoreAdapter store = open(10)) {
            assertThat(store.compact("filewatch", "a")).isEqualTo(new CompactionResult(6, 1, 0, 0));

            assertThat(eventFiles(dir.resolve("filewatch").resolve("a"))).singleElement().asString().endsWith(".jsonl");
            assertThat(eventFiles(b)).isEqualTo(filesOfB);
            assertThat(store.getEventsForAggregate("filewatch", "a")).isEqualTo(savedA);
            assertThat(store.getEventsForAggregate("filewatch", "b")).isEqualTo(savedB);
        }
    }

    @Test
    void withOneEventPerFileCompactChangesNothingAndSaysSo() throws Exception {
        try (FilesystemEventStoreAdapter store = open(1)) {
            saveEvents(store, "a", 5);
            final List<String> files = eventFiles(dir.resolve("filewatch").resolve("a"));

            assertThat(store.compact()).isEqualTo(new CompactionResult(0, 0, 0, 0));
            assertThat(store.compact("filewatch", "a")).isEqualTo(new CompactionResult(0, 0, 0, 0));
            assertThat(eventFiles(dir.resolve("filewatch").resolve("a"))).isEqualTo(files);
        }
    }

    @Test
    void compactOfAnAggregateWithNoEventsDoesNothing() {
        try (FilesystemEventStoreAdapter store = open(10)) {
            assertThat(store.compact("filewatch", "absent")).isEqualTo(new CompactionResult(0, 0, 0, 0));
            assertThat(dir.resolve("filewatch")).doesNotExist();
        }
    }

    @Test
    void aReadOnlyStoreRefusesToCompactAndKeepsItsFiles() throws Exception {
        try (FilesystemEventStoreAdapter store = open(1)) {
            saveEvents(store, "a", 3);
        }
        final List<String> files = eventFiles(dir.resolve("filewatch").resolve("a"));
        try (FilesystemEventStoreAdapter reader = new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults()
            .withPath(dir).withMaxEventsPerFile(10).withReadOnly(true))) {
            assertThatThrownBy(reader::compact).isInstanceOf(EventStoreUnavailableException.class)
                .hasMessageContaining("writes refused");
            assertThatThrownBy(() -> reader.compact("filewatch", "a"))
                .isInstanceOf(EventStoreUnavailableException.class)
                .satisfies(e -> assertThat(((EventStoreException) e).getOperationType()).isEqualTo(OperationType.SAVE))
                .satisfies(e -> assertThat(((EventStoreException) e).getAggregateId()).isEqualTo("a"));
        }
        assertThat(eventFiles(dir.resolve("filewatch").resolve("a"))).isEqualTo(files);
    }

    @Test
    void aClosedStoreRefusesToCompact() {
        final FilesystemEventStoreAdapter store = open(10);
        store.close();

        assertThatThrownBy(store::compact).isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("closed");
        assertThatThrownBy(() -> store.compact("filewatch", "a")).isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("closed");
    }

    @Test
    void compactLeavesADirectoryNamedTheWayByteHotsAdapterNamedItWithOneFilePerEvent() throws Exception {
        final List<VersionedDomainEvent> saved;
        try (FilesystemEventStoreAdapter store = open(1)) {
            saved = saveEvents(store, "Foo.class", 3);
        }
        // ByteHot's adapter named the directory of "/app/Foo.class" "_app_Foo.class"; such a
        // directory may hold the events of colliding ids, so the store never turns it into segments.
        final Path oldNamed = dir.resolve("filewatch").resolve("_app_Foo.class");
        ByteHotAdapterFiles.write(oldNamed, "20250617120000000-ClassFileChanged.json", "e1", "/app/Foo.class",
            "2025-06-17T12:00:00Z", null);
        ByteHotAdapterFiles.write(oldNamed, "20250617120100000-ClassFileChanged.json", "e2", "/app/Foo.class",
            "2025-06-17T12:01:00Z", null);
        final List<String> oldNamedFiles = eventFiles(oldNamed);

        try (FilesystemEventStoreAdapter store = open(10)) {
            assertThat(store.compact()).isEqualTo(new CompactionResult(3, 1, 0, 0));
            assertThat(store.compact("filewatch", "/app/Foo.class")).isEqualTo(new CompactionResult(0, 0, 0, 0));

            assertThat(eventFiles(dir.resolve("filewatch").resolve("Foo.class"))).singleElement().asString()
                .endsWith(".jsonl");
            assertThat(eventFiles(oldNamed)).isEqualTo(oldNamedFiles);
            assertThat(store.getEventsForAggregate("filewatch", "Foo.class")).isEqualTo(saved);
            assertThat(store.getEventsForAggregate("filewatch", "/app/Foo.class").stream()
                .map(e -> e.getEventId() + "@" + e.getAggregateVersion()).collect(Collectors.toList()))
                .containsExactly("e1@1", "e2@2");
        }
    }

}
