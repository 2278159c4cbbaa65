package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.OperationType;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterLifecycleTest {

    @TempDir
    Path dir;

    private static ClassFileChanged event(final String id) {
        return new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", id), null, "A", 1, null);
    }

    @Test
    void everyMethodThrowsUnavailableAfterCloseAndCloseIsIdempotent() {
        final FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString());
        store.save(event("a"));
        store.close();
        store.close();

        final List<ThrowingCallable> calls = List.of(
            () -> store.save(event("a")),
            () -> store.saveAndReturn(event("a")),
            () -> store.saveAll(List.of(event("a"))),
            () -> store.getEventsForAggregate("filewatch", "a"),
            () -> store.getEventsForAggregateSince("filewatch", "a", 0),
            () -> store.getEventsByType("ClassFileChanged"),
            () -> store.getEventsBetween(Instant.EPOCH, Instant.now()),
            () -> store.getCurrentVersion("filewatch", "a"),
            store::isHealthy,
            store::getHealthProblems,
            store::getTotalEventCount,
            () -> store.getEventCountForAggregate("filewatch", "a"),
            () -> store.aggregateExists("filewatch", "a"),
            store::getAggregateTypes,
            () -> store.getAggregateIds("filewatch"),
            store::checkpoint);
        for (final ThrowingCallable call : calls) {
            assertThatThrownBy(call).isInstanceOf(EventStoreUnavailableException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void closeRacingWithSavesOnSixteenThreadsLosesNoAcknowledgedEvent() throws Exception {
        final FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir).withDurability("none"));
        final AtomicInteger acknowledged = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final CountDownLatch enoughSaved = new CountDownLatch(200);
        final ExecutorService pool = Executors.newFixedThreadPool(16);
        final List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            final String id = "writer-" + (t % 4);
            writers.add(pool.submit(() -> {
                while (true) {
                    try {
                        store.save(event(id));
                        acknowledged.incrementAndGet();
                        enoughSaved.countDown();
                    } catch (final EventStoreUnavailableException closed) {
                        refused.incrementAndGet();
                        return null;
                    }
                }
            }));
        }
        enoughSaved.await();
        store.close();
        for (final Future<?> writer : writers) {
            writer.get();
        }
        pool.shutdown();

        assertThat(refused.get()).isEqualTo(16);
        try (FilesystemEventStoreAdapter reopened = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThat(reopened.getTotalEventCount()).isEqualTo(acknowledged.get());
            for (int w = 0; w < 4; w++) {
                final long version = reopened.getCurrentVersion("filewatch", "writer-" + w);
                assertThat(reopened.getEventsForAggregate("filewatch", "writer-" + w)).hasSize((int) version);
            }
        }
    }

    @Test
    void anUnclosedAdapterIsReleasedWhenCollected() throws Exception {
        final NativeHandle handle = openAndForget();
        final long raw = handle.rawValue();

        // Collect the adapter; the handle (its Cleaner action) stays reachable here on purpose.
        for (int i = 0; i < 200 && handle.isOpen(); i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(20);
        }

        assertThat(handle.isOpen()).as("the Cleaner closed the native store").isFalse();
        assertThatThrownBy(() -> handle.call(OperationType.COUNT, null, null, NativeEventStore::totalEventCount))
            .isInstanceOf(EventStoreUnavailableException.class);
        // The native registry no longer knows the raw handle either: a stale handle is an exception, not a crash.
        assertThatThrownBy(() -> NativeEventStore.totalEventCount(raw))
            .isInstanceOf(EventStoreUnavailableException.class).hasMessageContaining(Long.toString(raw));
        try (FilesystemEventStoreAdapter reopened = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThat(reopened.getTotalEventCount()).isEqualTo(1);
        }
    }

    private NativeHandle openAndForget() {
        final FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString());
        store.save(event("gc"));
        final WeakReference<FilesystemEventStoreAdapter> weak = new WeakReference<>(store);
        assertThat(weak.get()).isNotNull();
        return store.nativeHandle();
    }

    @Test
    void anUnusableBaseDirectoryMakesTheStoreUnavailable() throws Exception {
        final Path file = Files.createFile(dir.resolve("not-a-directory"));

        assertThatThrownBy(() -> new FilesystemEventStoreAdapter(file.toString()))
            .isInstanceOf(EventStoreUnavailableException.class);
    }

    @Test
    void nativeCodeRejectsAHandleItNeverIssued() {
        new FilesystemEventStoreAdapter(dir.toString()).close();

        assertThatThrownBy(() -> NativeEventStore.currentVersion(-42, new byte[] {'t'}, new byte[] {'i'}))
            .isInstanceOf(EventStoreUnavailableException.class);
        assertThatThrownBy(() -> NativeEventStore.close(-42)).isInstanceOf(EventStoreUnavailableException.class);
    }
}
