package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.acmsl.bytehot.domain.EventStorePort;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ByteHot's getLastEventId and getCurrentVersion against a real store. */
class AggregateHelpersThroughStoreTest {

    private static final Path CLASS_FILE = Paths.get("/app/classes/com/acme/Foo.class");

    private static final String TYPE = ClassFileChanged.AGGREGATE_TYPE;

    private static final String ID = CLASS_FILE.toString();

    @TempDir
    Path dir;

    @AfterEach
    void forgetTheStore() {
        AbstractVersionedDomainEvent.useEventStore(null);
    }

    @Test
    void anAggregateWithoutEventsHasNoLastEventAndVersionZero() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            AbstractVersionedDomainEvent.useEventStore(store);

            assertThat(Helpers.lastEventId(TYPE, ID)).isNull();
            assertThat(Helpers.currentVersion(TYPE, ID)).isZero();
        }
    }

    @Test
    void afterSavesTheyGiveTheLastEventsIdAndVersion() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            AbstractVersionedDomainEvent.useEventStore(store);
            final List<ClassFileChanged> saved = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                // How ByteHot's callers chain a session's events.
                final ClassFileChanged change = ClassFileChanged.forExistingSession(CLASS_FILE, "com.acme.Foo", i,
                    Instant.EPOCH.plusSeconds(i), Helpers.lastEventId(TYPE, ID), Helpers.currentVersion(TYPE, ID));
                store.save(change);
                saved.add(change);

                assertThat(Helpers.lastEventId(TYPE, ID)).isEqualTo(change.getEventId());
                assertThat(Helpers.currentVersion(TYPE, ID)).isEqualTo(i + 1L);
            }
            assertThat(store.getEventsForAggregate(TYPE, ID)).containsExactlyElementsOf(saved);
            assertThat(saved.get(2).getPreviousEventId()).isEqualTo(saved.get(1).getEventId());
            assertThat(Helpers.lastEventId(TYPE, "other")).isNull();
        }
    }

    @Test
    void theLastEventIdReadsOnlyTheLastEvent() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            for (int i = 0; i < 3; i++) {
                store.save(new ClassFileChanged(EventMetadata.forNewAggregate(TYPE, ID), CLASS_FILE, "A", i, null));
            }
            final List<String> calls = new ArrayList<>();
            AbstractVersionedDomainEvent.useEventStore(recording(store, calls, false));

            final String last = Helpers.lastEventId(TYPE, ID);

            assertThat(last).isEqualTo(store.getEventsForAggregate(TYPE, ID).get(2).getEventId());
            assertThat(calls).containsExactly("getCurrentVersion", "getEventsForAggregateSince 2");
        }
    }

    @Test
    void aPortThatReturnsNoTailFallsBackToTheWholeHistory() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final ClassFileChanged first = ClassFileChanged.forNewSession(CLASS_FILE, "A", 1, null);
            store.save(first);
            final List<String> calls = new ArrayList<>();
            AbstractVersionedDomainEvent.useEventStore(recording(store, calls, true));

            assertThat(Helpers.lastEventId(TYPE, ID)).isEqualTo(first.getEventId());
            assertThat(calls).containsExactly("getCurrentVersion", "getEventsForAggregateSince 0",
                "getEventsForAggregate");
        }
    }

    @Test
    void withoutAKnownStoreTheyThrowAndSayWhatToCall() {
        AbstractVersionedDomainEvent.useEventStore(null);

        assertThatThrownBy(() -> Helpers.lastEventId(TYPE, ID))
            .isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("AbstractVersionedDomainEvent.useEventStore(store)");
        assertThatThrownBy(() -> Helpers.currentVersion(TYPE, ID))
            .isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("AbstractVersionedDomainEvent.useEventStore(store)");
    }

    @Test
    void aClosedStoreIsReportedUnavailableNotEmpty() {
        final FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString());
        AbstractVersionedDomainEvent.useEventStore(store);
        store.close();

        assertThatThrownBy(() -> Helpers.currentVersion(TYPE, ID)).isInstanceOf(EventStoreUnavailableException.class);
        assertThatThrownBy(() -> Helpers.lastEventId(TYPE, ID)).isInstanceOf(EventStoreUnavailableException.class);
    }

    /** The store, recording the reads the helpers make; {@code noTail} empties every tail read. */
    private static EventStorePort recording(final EventStorePort store, final List<String> calls, final boolean noTail) {
        return (EventStorePort) Proxy.newProxyInstance(EventStorePort.class.getClassLoader(),
            new Class<?>[] {EventStorePort.class}, (proxy, method, args) -> {
                final String name = method.getName();
                calls.add(name.equals("getEventsForAggregateSince") ? name + " " + args[2] : name);
                if (noTail && name.equals("getEventsForAggregateSince")) {
                    return Collections.emptyList();
                }
                try {
                    return method.invoke(store, args);
                } catch (final InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    }

    /** ByteHot's helpers are protected: an event class of the application is what calls them. */
    private abstract static class Helpers extends AbstractVersionedDomainEvent {
        private Helpers() {
            super("e", "t", "i", 1, Instant.EPOCH, null, 1);
        }

        static String lastEventId(final String aggregateType, final String aggregateId) {
            return getLastEventId(aggregateType, aggregateId);
        }

        static long currentVersion(final String aggregateType, final String aggregateId) {
            return getCurrentVersion(aggregateType, aggregateId);
        }
    }
}
