package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.EventSubscription;
import org.acmsl.bytehot.domain.StreamFilter;
import org.acmsl.bytehot.domain.SubscriptionStart;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store read as one stream through the Java API (issue 21): positions, {@code readAll},
 * subscriptions (catch-up, live across JVMs, errors, names and checkpoints, close), and the
 * queries by correlation and user.
 */
class EventStreamTest {

    @TempDir
    Path dir;

    private FilesystemEventStoreAdapter open() {
        return new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(dir));
    }

    private static ClassFileChanged changed(final String aggregate, final String className) {
        return new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", aggregate), null, className, 1L, null);
    }

    private static List<Long> positions(final List<VersionedDomainEvent> events) {
        return events.stream().map(VersionedDomainEvent::getStreamPosition).collect(Collectors.toList());
    }

    private static List<Long> range(final long from, final long to) {
        return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
    }

    private static void await(final List<?> delivered, final int count) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (delivered.size() < count) {
            assertThat(System.nanoTime()).as("only %d of %d delivered", delivered.size(), count).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void readAllPagesThroughEveryEventInCommitOrderEachWithItsPosition() {
        try (FilesystemEventStoreAdapter store = open()) {
            final List<String> saved = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                saved.add(store.saveAndReturn(changed("a" + (i % 4), "C" + i)).getEventId());
            }
            final List<VersionedDomainEvent> all = new ArrayList<>();
            List<VersionedDomainEvent> page = store.readAll(1, 10);
            while (!page.isEmpty()) {
                all.addAll(page);
                page = store.readAll(page.get(page.size() - 1).getStreamPosition() + 1, 10);
            }
            assertThat(positions(all)).isEqualTo(range(1, 25));
            assertThat(all.stream().map(VersionedDomainEvent::getEventId)).containsExactlyElementsOf(saved);
            assertThat(store.getLastPosition()).isEqualTo(25L);
            // Read by aggregate, an event carries no position.
            assertThat(store.getEventsForAggregate("filewatch", "a0").get(0).getStreamPosition()).isNull();
            assertThatThrownBy(() -> store.readAll(-1, 5)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aSubscriptionCatchesUpThenDeliversWhatAnotherJvmSavesWithNoGapOrRepeat() throws Exception {
        final int each = 150;
        try (FilesystemEventStoreAdapter store = open()) {
            for (int i = 0; i < 20; i++) {
                store.save(changed("before", "C" + i));
            }
            final List<VersionedDomainEvent> delivered = new CopyOnWriteArrayList<>();
            final AtomicReference<Throwable> error = new AtomicReference<>();
            try (EventSubscription subscription = store.subscribe(SubscriptionStart.beginning(), StreamFilter.all(),
                delivered::add, error::set)) {
                final Process child = ChildJvm.command(ConcurrentWriterMain.class, dir.toString(), "other",
                    Integer.toString(each)).start();
                for (int i = 0; i < each; i++) {
                    store.save(changed("here", "D" + i));
                }
                assertThat(child.waitFor()).isZero();
                await(delivered, 20 + 2 * each);
                Thread.sleep(300);
                assertThat(error.get()).isNull();
                assertThat(positions(delivered)).isEqualTo(range(1, 20 + 2 * each));
                assertThat(delivered.stream().filter(e -> "other".equals(e.getAggregateId()))).hasSize(each);
                assertThat(subscription.getPosition()).isEqualTo(20L + 2 * each);
                assertThat(subscription.isRunning()).isTrue();
            }
        }
    }

    @Test
    void aHandlerThatThrowsStopsItsSubscriptionAndTheErrorReachesOnError() throws Exception {
        try (FilesystemEventStoreAdapter store = open()) {
            for (int i = 0; i < 5; i++) {
                store.save(changed("a", "C" + i));
            }
            final List<VersionedDomainEvent> delivered = new CopyOnWriteArrayList<>();
            final CountDownLatch failed = new CountDownLatch(1);
            final AtomicReference<Throwable> error = new AtomicReference<>();
            final EventSubscription subscription = store.subscribe("fragile", SubscriptionStart.beginning(),
                StreamFilter.all(), event -> {
                    if (event.getStreamPosition() == 3L) {
                        throw new IllegalStateException("cannot handle 3");
                    }
                    delivered.add(event);
                }, e -> {
                    error.set(e);
                    failed.countDown();
                });
            assertThat(failed.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(error.get()).isInstanceOf(IllegalStateException.class).hasMessage("cannot handle 3");
            assertThat(positions(delivered)).containsExactly(1L, 2L);
            subscription.close();
            assertThat(subscription.isRunning()).isFalse();
            // Acknowledged up to the last event handled: a restart begins with the one that failed.
            assertThat(store.getSubscriptionCheckpoint("fragile")).hasValue(2L);
            // The store is unaffected.
            store.save(changed("a", "after"));
            assertThat(store.getLastPosition()).isEqualTo(6L);
        }
    }

    @Test
    void aNamedSubscriptionResumesAfterAReopenWhereItsHandlerLeftOffAndRunsOnceAtATime() throws Exception {
        final List<VersionedDomainEvent> first = new CopyOnWriteArrayList<>();
        try (FilesystemEventStoreAdapter store = open()) {
            for (int i = 0; i < 10; i++) {
                store.save(changed("a", "C" + i));
            }
            try (EventSubscription subscription = store.subscribe("projector", SubscriptionStart.beginning(),
                StreamFilter.all(), first::add, e -> { })) {
                await(first, 10);
                assertThatThrownBy(() -> store.subscribe("projector", SubscriptionStart.beginning(),
                    StreamFilter.all(), e -> { }, e -> { }))
                    .isInstanceOf(EventStoreUnavailableException.class).hasMessageContaining("already running");
                assertThat(subscription.getName()).isEqualTo("projector");
            }
            for (int i = 10; i < 15; i++) {
                store.save(changed("a", "C" + i));
            }
        }
        final List<VersionedDomainEvent> second = new CopyOnWriteArrayList<>();
        try (FilesystemEventStoreAdapter store = open()) {
            assertThat(store.getSubscriptionCheckpoint("projector")).hasValue(10L);
            try (EventSubscription subscription = store.subscribe("projector", SubscriptionStart.now(),
                StreamFilter.all(), second::add, e -> { })) {
                await(second, 5);
                Thread.sleep(200);
                assertThat(positions(second)).isEqualTo(range(11, 15));
            }
        }
    }

    @Test
    void filtersAndTheQueriesByCorrelationAndUserReturnTheirEventsAlone() throws Exception {
        final Instant t0 = Instant.parse("2026-12-04T10:00:00Z");
        try (FilesystemEventStoreAdapter store = open()) {
            for (int i = 0; i < 6; i++) {
                final EventMetadata metadata = new EventMetadata("e" + i, "hotswap", "h" + i, 0L,
                    t0.plus(i, ChronoUnit.MINUTES), null, 1, i < 3 ? "alice" : "bob", i % 2 == 0 ? "even" : "odd",
                    null);
                store.save(new HotSwapRequested(metadata, null, "com.acme.C", null, null, "test", null, null));
            }
            store.save(changed("x", "unrelated"));
            assertThat(store.getEventsByCorrelationId("even").stream().map(VersionedDomainEvent::getEventId))
                .containsExactly("e0", "e2", "e4");
            assertThat(store.getEventsByUserId("bob").stream().map(VersionedDomainEvent::getEventId))
                .containsExactly("e3", "e4", "e5");
            assertThat(store.getEventsByUserId("alice", t0.plus(1, ChronoUnit.MINUTES), t0.plus(5, ChronoUnit.MINUTES))
                .stream().map(VersionedDomainEvent::getEventId)).containsExactly("e1", "e2");
            assertThat(store.getEventsByCorrelationId("odd", t0, t0.plus(3, ChronoUnit.MINUTES))
                .stream().map(VersionedDomainEvent::getEventId)).containsExactly("e1", "e3");
            assertThat(store.getEventsByUserId("nobody")).isEmpty();

            final List<VersionedDomainEvent> odd = new CopyOnWriteArrayList<>();
            final List<VersionedDomainEvent> swaps = new CopyOnWriteArrayList<>();
            try (EventSubscription a = store.subscribe(SubscriptionStart.beginning(),
                    StreamFilter.all().withCorrelationId("odd"), odd::add, e -> { });
                EventSubscription b = store.subscribe(SubscriptionStart.after(2),
                    StreamFilter.all().withEventTypes("HotSwapRequested").withAggregateType("hotswap"), swaps::add,
                    e -> { })) {
                await(odd, 3);
                await(swaps, 4);
                Thread.sleep(200);
                assertThat(odd.stream().map(VersionedDomainEvent::getEventId)).containsExactly("e1", "e3", "e5");
                assertThat(positions(swaps)).containsExactly(3L, 4L, 5L, 6L);
            }
        }
    }

    @Test
    void closingTheStoreStopsItsSubscriptionsWithoutReportingAnError() throws Exception {
        final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        final EventSubscription subscription;
        try (FilesystemEventStoreAdapter store = open()) {
            store.save(changed("a", "C"));
            subscription = store.subscribe("closing", SubscriptionStart.beginning(), StreamFilter.all(), e -> { },
                errors::add);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (subscription.isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(subscription.isRunning()).isFalse();
        subscription.close();
        assertThat(errors).isEmpty();
        // The name is free again at once.
        try (FilesystemEventStoreAdapter store = open();
            EventSubscription again = store.subscribe("closing", SubscriptionStart.beginning(), StreamFilter.all(),
                e -> { }, e -> { })) {
            assertThat(again.isRunning()).isTrue();
        }
    }
}
