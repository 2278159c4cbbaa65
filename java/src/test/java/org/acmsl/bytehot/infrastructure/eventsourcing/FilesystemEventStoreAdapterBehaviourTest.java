package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.ConcurrencyConflictException;
import org.acmsl.bytehot.domain.EventStorePort;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.ClassFileDeleted;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemEventStoreAdapterBehaviourTest {

    @TempDir
    Path dir;

    private FilesystemEventStoreAdapter eventStore;

    @BeforeEach
    void open() {
        eventStore = new FilesystemEventStoreAdapter(dir.toString());
    }

    @AfterEach
    void close() {
        eventStore.close();
    }

    private static ClassFileChanged changed(final EventMetadata metadata, final String className) {
        return new ClassFileChanged(metadata, Paths.get("/app/" + className + ".class"), className, 1024, Instant.now());
    }

    private static ClassFileChanged first(final String aggregateType, final String aggregateId) {
        return changed(EventMetadata.forExistingAggregate(aggregateType, aggregateId, null, 0), "Foo");
    }

    @Test
    void checkpointStartsTheJournalOverInANewEpochAndSavesContinue() throws Exception {
        VersionedDomainEvent last = null;
        for (int i = 0; i < 3; i++) {
            last = eventStore.saveAndReturn(changed(EventMetadata.forExistingAggregate("hotswap", "agg",
                last == null ? null : last.getEventId(), i), "Foo"));
        }
        final Path journal;
        try (Stream<Path> files = Files.list(dir.resolve(".journal"))) {
            journal = files.filter(p -> p.toString().endsWith(".journal")).findFirst().orElseThrow();
        }
        assertThat(epoch(journal)).isZero();

        eventStore.checkpoint();

        assertThat(epoch(journal)).isEqualTo(1L);
        eventStore.save(changed(EventMetadata.forExistingAggregate("hotswap", "agg", last.getEventId(), 3), "Foo"));
        assertThat(eventStore.getEventsForAggregate("hotswap", "agg"))
            .extracting(VersionedDomainEvent::getAggregateVersion).containsExactly(1L, 2L, 3L, 4L);
    }

    /** The epoch in a journal's header (bytes 8 to 15, little-endian; docs/filesystem-format.md). */
    private static long epoch(final Path journal) throws java.io.IOException {
        final byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(journal), 16);
        return java.nio.ByteBuffer.wrap(header, 8, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    // --- the spec's unit tests -------------------------------------------------------------

    @Test
    void shouldSaveAndRetrieveEvent() {
        final ClassFileChanged event = first("hotswap", "/app/target/classes/com/acme/Foo.class");

        eventStore.save(event);

        final List<VersionedDomainEvent> events = eventStore.getEventsForAggregate("hotswap", event.getAggregateId());
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).isEqualTo(event);
    }

    @Test
    void shouldMaintainEventOrdering() {
        final List<String> saved = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            final ClassFileChanged event = changed(EventMetadata.forNewAggregate("filewatch", "/a/B.class"), "B" + i);
            eventStore.save(event);
            saved.add(event.getEventId());
        }

        final List<VersionedDomainEvent> loaded = eventStore.getEventsForAggregate("filewatch", "/a/B.class");
        assertThat(loaded).extracting(VersionedDomainEvent::getEventId).containsExactlyElementsOf(saved);
        assertThat(loaded).extracting(VersionedDomainEvent::getAggregateVersion)
            .containsExactlyElementsOf(Stream.iterate(1L, v -> v + 1).limit(50).collect(Collectors.toList()));
        for (int i = 1; i < loaded.size(); i++) {
            assertThat(loaded.get(i).getPreviousEventId()).isEqualTo(loaded.get(i - 1).getEventId());
            assertThat(loaded.get(i).getTimestamp()).isAfterOrEqualTo(loaded.get(i - 1).getTimestamp());
        }
    }

    @Test
    void shouldHandleConcurrentWrites() throws Exception {
        final int threads = 8;
        final int perThread = 40;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final List<Callable<Void>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int thread = t;
                writers.add(() -> {
                    for (int i = 0; i < perThread; i++) {
                        // Half the writers share one aggregate, half write their own.
                        final String id = thread % 2 == 0 ? "shared" : "own-" + thread;
                        eventStore.save(changed(EventMetadata.forNewAggregate("hotswap", id), "T" + thread + "_" + i));
                    }
                    return null;
                });
            }
            for (final Future<Void> done : pool.invokeAll(writers)) {
                done.get();
            }
        } finally {
            pool.shutdown();
        }

        assertThat(eventStore.getTotalEventCount()).isEqualTo(threads * perThread);
        final List<VersionedDomainEvent> shared = eventStore.getEventsForAggregate("hotswap", "shared");
        assertThat(shared).hasSize(threads / 2 * perThread);
        assertThat(shared).extracting(VersionedDomainEvent::getAggregateVersion)
            .containsExactlyElementsOf(Stream.iterate(1L, v -> v + 1).limit(shared.size()).collect(Collectors.toList()));
        assertThat(shared).extracting(VersionedDomainEvent::getEventId).doesNotHaveDuplicates();
        assertThat(eventStore.getCurrentVersion("hotswap", "own-1")).isEqualTo(perThread);
    }

    // --- every port method -----------------------------------------------------------------

    @Test
    void getEventsForAggregateSinceReturnsOnlyLaterVersions() {
        for (int i = 0; i < 5; i++) {
            eventStore.save(changed(EventMetadata.forNewAggregate("filewatch", "x"), "C" + i));
        }

        assertThat(eventStore.getEventsForAggregateSince("filewatch", "x", 3))
            .extracting(VersionedDomainEvent::getAggregateVersion).containsExactly(4L, 5L);
        assertThat(eventStore.getEventsForAggregateSince("filewatch", "x", 5)).isEmpty();
        assertThat(eventStore.getEventsForAggregateSince("filewatch", "x", 0)).hasSize(5);
        assertThat(eventStore.getEventsForAggregate("filewatch", "unknown")).isEmpty();
    }

    @Test
    void getEventsByTypeFindsEveryAggregatesEventsOfThatType() {
        eventStore.save(first("filewatch", "a"));
        eventStore.save(first("filewatch", "b"));
        eventStore.save(new ClassFileDeleted(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", Instant.now()));

        assertThat(eventStore.getEventsByType("ClassFileChanged")).hasSize(2)
            .allSatisfy(e -> assertThat(e).isInstanceOf(ClassFileChanged.class));
        assertThat(eventStore.getEventsByType("ClassFileDeleted")).singleElement()
            .extracting(VersionedDomainEvent::getAggregateId).isEqualTo("a");
        assertThat(eventStore.getEventsByType("NothingOfThisType")).isEmpty();
    }

    @Test
    void getEventsBetweenIsInclusiveOfBothEnds() {
        final Instant t0 = Instant.parse("2025-06-17T12:00:00Z");
        for (int i = 0; i < 4; i++) {
            eventStore.save(changed(new EventMetadata("e" + i, "filewatch", "time", 0, t0.plusSeconds(i), null, 1,
                null, null, null), "T"));
        }

        assertThat(eventStore.getEventsBetween(t0.plusSeconds(1), t0.plusSeconds(2)))
            .extracting(VersionedDomainEvent::getEventId).containsExactly("e1", "e2");
        assertThat(eventStore.getEventsBetween(t0.plusSeconds(1).plusNanos(1), t0.plusSeconds(2).minusNanos(1))).isEmpty();
        assertThat(eventStore.getEventsBetween(Instant.EPOCH, Instant.parse("2100-01-01T00:00:00Z"))).hasSize(4);
    }

    @Test
    void countsVersionsAndExistenceFollowTheSavedEvents() {
        assertThat(eventStore.getCurrentVersion("hotswap", "s")).isZero();
        assertThat(eventStore.aggregateExists("hotswap", "s")).isFalse();
        assertThat(eventStore.getEventCountForAggregate("hotswap", "s")).isZero();
        assertThat(eventStore.getTotalEventCount()).isZero();
        assertThat(eventStore.getAggregateTypes()).isEmpty();

        eventStore.save(first("hotswap", "s"));
        eventStore.save(changed(EventMetadata.forNewAggregate("hotswap", "s"), "Bar"));
        eventStore.save(first("filewatch", "/a/b.class"));
        eventStore.save(first("filewatch", "/a/a.class"));

        assertThat(eventStore.getCurrentVersion("hotswap", "s")).isEqualTo(2);
        assertThat(eventStore.aggregateExists("hotswap", "s")).isTrue();
        assertThat(eventStore.getEventCountForAggregate("hotswap", "s")).isEqualTo(2);
        assertThat(eventStore.getTotalEventCount()).isEqualTo(4);
        assertThat(eventStore.getAggregateTypes()).containsExactly("filewatch", "hotswap");
        assertThat(eventStore.getAggregateIds("filewatch")).containsExactly("/a/a.class", "/a/b.class");
        assertThat(eventStore.getAggregateIds("nothing")).isEmpty();
    }

    @Test
    void aHealthyStoreSaysSo() {
        assertThat(eventStore.isHealthy()).isTrue();
        assertThat(eventStore.getHealthProblems()).isEmpty();
    }

    @Test
    void eventsAreHumanReadableFilesInTheSpecsLayout() throws Exception {
        eventStore.save(first("hotswap", "f47ac10b-58cc-4372-a567"));

        try (Stream<Path> files = Files.list(dir.resolve("hotswap").resolve("f47ac10b-58cc-4372-a567"))) {
            final List<Path> events = files.filter(p -> !p.getFileName().toString().startsWith("."))
                .collect(Collectors.toList());
            assertThat(events).singleElement().satisfies(file -> {
                assertThat(file.getFileName().toString()).matches("\\d{20}-ClassFileChanged\\.json");
                assertThat(Files.readString(file)).contains("\"eventType\"", "\"className\"");
            });
        }
        assertThat(eventStore.getBasePath()).isEqualTo(dir);
        assertThat(eventStore.toString()).contains(dir.toString());
        assertThat(eventStore.getConfiguration().getPath()).isEqualTo(dir.toString());
    }

    @Test
    void awkwardAggregateIdsRoundTripExactlyAndStayInsideTheStore() {
        final List<String> ids = List.of("C:\\app\\Foo.class", "../../etc/passwd", "..", "a/b", "a_b", "Grüße 👋",
            "CON", "x".repeat(5000));
        for (final String id : ids) {
            final ClassFileChanged event = first("filewatch", id);
            eventStore.save(event);
            assertThat(eventStore.getEventsForAggregate("filewatch", id)).as(id).containsExactly(event);
        }

        assertThat(eventStore.getAggregateIds("filewatch")).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(dir.getParent().resolve("etc")).doesNotExist();
        assertThatThrownBy(() -> eventStore.save(first("filewatch", "nul\u0000inside")))
            .isInstanceOf(InvalidEventException.class);
    }

    // --- the stored event ------------------------------------------------------------------

    @Test
    void saveAndReturnGivesTheVersionPreviousIdAndTimestampTheStoreAssigned() {
        final VersionedDomainEvent one = eventStore.saveAndReturn(first("hotswap", "s"));
        final ClassFileChanged unversioned = changed(new EventMetadata("e2", "hotswap", "s", 0, null, null, 1,
            null, null, null), "Bar");

        final VersionedDomainEvent two = eventStore.saveAndReturn(unversioned);

        assertThat(two.getAggregateVersion()).isEqualTo(2);
        assertThat(two.getPreviousEventId()).isEqualTo(one.getEventId());
        assertThat(two.getTimestamp()).isNotNull();
        assertThat(eventStore.getEventsForAggregate("hotswap", "s")).containsExactly(one, two);
    }

    @Test
    void saveAllStoresABatchInOrder() {
        final List<VersionedDomainEvent> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(changed(EventMetadata.forNewAggregate(i % 2 == 0 ? "even" : "odd", "batch"), "C" + i));
        }

        final List<VersionedDomainEvent> stored = eventStore.saveAll(batch);

        assertThat(stored).extracting(VersionedDomainEvent::getEventId)
            .containsExactlyElementsOf(batch.stream().map(VersionedDomainEvent::getEventId).collect(Collectors.toList()));
        assertThat(eventStore.getEventsForAggregate("even", "batch")).extracting(VersionedDomainEvent::getAggregateVersion)
            .containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(eventStore.saveAll(Collections.emptyList())).isEmpty();
    }

    @Test
    void aBatchWithAConflictWritesNothingOfThatAggregate() {
        eventStore.save(first("hotswap", "s"));
        final List<VersionedDomainEvent> batch = List.of(
            changed(EventMetadata.forNewAggregate("hotswap", "s"), "Ok"),
            changed(EventMetadata.forExistingAggregate("hotswap", "s", null, 0), "Stale"));

        assertThatThrownBy(() -> eventStore.saveAll(batch)).isInstanceOf(ConcurrencyConflictException.class);
        assertThat(eventStore.getCurrentVersion("hotswap", "s")).isEqualTo(1);
    }

    @Test
    void savingTheSameEventIdAgainIsAnIdempotentRetry() {
        final ClassFileChanged event = first("hotswap", "s");
        final VersionedDomainEvent stored = eventStore.saveAndReturn(event);

        final VersionedDomainEvent again = eventStore.saveAndReturn(
            changed(new EventMetadata(event.getEventId(), "hotswap", "s", 0, null, null, 1, null, null, null), "Foo"));

        assertThat(again).isEqualTo(stored);
        assertThat(eventStore.getEventCountForAggregate("hotswap", "s")).isEqualTo(1);
    }

    // --- conflicts and invalid input -------------------------------------------------------

    @Test
    void aStaleVersionIsAConflictNamingExpectedAndActual() {
        final ClassFileChanged one = first("hotswap", "s");
        eventStore.save(one);
        eventStore.save(changed(EventMetadata.forExistingAggregate("hotswap", "s", one.getEventId(), 1), "Two"));

        final ClassFileChanged stale = changed(EventMetadata.forExistingAggregate("hotswap", "s", one.getEventId(), 1), "Late");

        assertThatThrownBy(() -> eventStore.save(stale))
            .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                assertThat(e.getExpectedVersion()).isEqualTo(1);
                assertThat(e.getActualVersion()).isEqualTo(2);
                assertThat(e.getMessage()).contains("s");
            });
        assertThat(eventStore.getCurrentVersion("hotswap", "s")).isEqualTo(2);
    }

    @Test
    void aVersionThatSkipsAheadIsAConflict() {
        assertThatThrownBy(() -> eventStore.save(changed(EventMetadata.forExistingAggregate("hotswap", "s", null, 4), "X")))
            .isInstanceOf(ConcurrencyConflictException.class);
        assertThat(eventStore.aggregateExists("hotswap", "s")).isFalse();
    }

    @Test
    void nullArgumentsAreRefusedNamingTheArgument() {
        final EventStorePort port = eventStore;
        assertThatThrownBy(() -> port.save(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("event");
        assertThatThrownBy(() -> eventStore.saveAll(null)).hasMessageContaining("events");
        assertThatThrownBy(() -> eventStore.saveAll(Collections.singletonList(null))).hasMessageContaining("events[0]");
        assertThatThrownBy(() -> port.getEventsForAggregate(null, "x")).hasMessageContaining("aggregateType");
        assertThatThrownBy(() -> port.getEventsForAggregate("x", null)).hasMessageContaining("aggregateId");
        assertThatThrownBy(() -> port.getEventsByType(null)).hasMessageContaining("eventType");
        assertThatThrownBy(() -> port.getEventsBetween(null, Instant.now())).hasMessageContaining("startTime");
        assertThatThrownBy(() -> port.getEventsBetween(Instant.now(), null)).hasMessageContaining("endTime");
        assertThatThrownBy(() -> port.getCurrentVersion(null, "x")).hasMessageContaining("aggregateType");
        assertThatThrownBy(() -> port.getEventCountForAggregate("x", null)).hasMessageContaining("aggregateId");
        assertThatThrownBy(() -> port.aggregateExists(null, "x")).hasMessageContaining("aggregateType");
        assertThatThrownBy(() -> port.getAggregateIds(null)).hasMessageContaining("aggregateType");
        assertThatThrownBy(() -> new FilesystemEventStoreAdapter((String) null)).hasMessageContaining("basePath");
        assertThatThrownBy(() -> new FilesystemEventStoreAdapter((EventStoreConfiguration) null))
            .hasMessageContaining("configuration");
    }

    @Test
    void unpairedSurrogatesAreRefusedNamingTheFieldBeforeReachingTheStore() {
        assertThatThrownBy(() -> eventStore.getEventsForAggregate("hotswap", "id\uD800"))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("aggregateId");
        assertThatThrownBy(() -> eventStore.getAggregateIds("type\uDC00"))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("aggregateType");
        assertThatThrownBy(() -> eventStore.save(first("hotswap", "id\uD800x")))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("events[0].eventMetadata.aggregateId");
        assertThatThrownBy(() -> eventStore.save(new ClassFileChanged(EventMetadata.forNewAggregate("hotswap", "s"),
            Paths.get("/app/Ok.class"), "Bad\uDBFF", 1, null)))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("events[0].eventData.className");
        assertThat(eventStore.getTotalEventCount()).isZero();
    }

    @Test
    void eventsTheStoreCannotAcceptAreInvalid() {
        assertThatThrownBy(() -> eventStore.save(first("", "s"))).isInstanceOf(InvalidEventException.class);
        assertThatThrownBy(() -> eventStore.save(first("hotswap", ""))).isInstanceOf(InvalidEventException.class);
        assertThatThrownBy(() -> eventStore.save(changed(new EventMetadata(null, "t", "i", 0, null, null, 1,
            null, null, null), "X"))).isInstanceOf(InvalidEventException.class);
        assertThatThrownBy(() -> eventStore.getEventsForAggregateSince("t", "i", -1))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("sinceVersion");
        assertThat(eventStore.getTotalEventCount()).isZero();
    }
}
