package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.acmsl.bytehot.domain.InstanceUpdateMethod;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.BytecodeValidated;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.ClassMetadataExtracted;
import org.acmsl.bytehot.domain.events.ClassRedefinitionSucceeded;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.domain.events.InstancesUpdated;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventSourcingIntegrationTest {

    private static final Path CLASS_FILE = Paths.get("/app/target/classes/com/acme/Greeter.class");

    @TempDir
    Path dir;

    @Test
    void shouldPersistCompleteHotSwapFlow() {
        final List<VersionedDomainEvent> flow = new ArrayList<>();
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            flow.add(store.saveAndReturn(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", CLASS_FILE.toString()),
                CLASS_FILE, "com.acme.Greeter", 2048, Instant.now())));
            final String swap = "swap-1";
            final List<Function<EventMetadata, VersionedDomainEvent>> steps = List.of(
                m -> new ClassMetadataExtracted(m, CLASS_FILE, "com.acme.Greeter", "java.lang.Object", List.of(),
                    List.of("name"), List.of("greet"), Instant.now()),
                m -> new BytecodeValidated(m, CLASS_FILE, "com.acme.Greeter", true, "method bodies only", Instant.now()),
                m -> new HotSwapRequested(m, CLASS_FILE, "com.acme.Greeter", SampleEvents.bytecode(1),
                    SampleEvents.bytecode(2), "file changed", Instant.now(), flow.get(0).getEventId()),
                m -> new ClassRedefinitionSucceeded(m, "com.acme.Greeter", CLASS_FILE, 2, "greet() redefined",
                    Duration.ofMillis(7), Instant.now()),
                m -> new InstancesUpdated(m, "com.acme.Greeter", 2, 2, InstanceUpdateMethod.AUTOMATIC, 0, "all",
                    Duration.ofMillis(1), Instant.now()));
            VersionedDomainEvent previous = null;
            for (final Function<EventMetadata, VersionedDomainEvent> step : steps) {
                final EventMetadata metadata = EventMetadata.forExistingAggregate("hotswap", swap,
                    previous == null ? null : previous.getEventId(), previous == null ? 0 : previous.getAggregateVersion());
                final VersionedDomainEvent event = step.apply(metadata);
                store.save(event);
                flow.add(event);
                previous = event;
            }
        }

        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final List<VersionedDomainEvent> swapEvents = store.getEventsForAggregate("hotswap", "swap-1");
            assertThat(swapEvents).containsExactlyElementsOf(flow.subList(1, flow.size()));
            assertThat(store.getEventsForAggregate("filewatch", CLASS_FILE.toString())).containsExactly(flow.get(0));

            // Rebuild the hot-swap's outcome from its history alone.
            String className = null;
            int updated = -1;
            boolean redefined = false;
            for (final VersionedDomainEvent event : swapEvents) {
                if (event instanceof HotSwapRequested) {
                    className = ((HotSwapRequested) event).getClassName();
                    assertThat(((HotSwapRequested) event).getNewBytecode()).isEqualTo(SampleEvents.bytecode(2));
                    assertThat(((HotSwapRequested) event).getPrecedingEventId()).isEqualTo(flow.get(0).getEventId());
                } else if (event instanceof ClassRedefinitionSucceeded) {
                    redefined = true;
                } else if (event instanceof InstancesUpdated) {
                    updated = ((InstancesUpdated) event).getUpdatedInstances();
                }
            }
            assertThat(className).isEqualTo("com.acme.Greeter");
            assertThat(redefined).isTrue();
            assertThat(updated).isEqualTo(2);
            assertThat(store.getAggregateTypes()).containsExactly("filewatch", "hotswap");
            assertThat(store.getTotalEventCount()).isEqualTo(6);
        }
    }

    @Test
    void versionsContinueAfterCloseAndReopen() {
        VersionedDomainEvent last;
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "/a"), null, "A", 1, null));
            last = store.saveAndReturn(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "/a"), null, "A", 2, null));
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThat(store.getCurrentVersion("filewatch", "/a")).isEqualTo(2);
            final VersionedDomainEvent third = store.saveAndReturn(
                new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "/a"), null, "A", 3, null));
            assertThat(third.getAggregateVersion()).isEqualTo(3);
            assertThat(third.getPreviousEventId()).isEqualTo(last.getEventId());
            final ClassFileChanged fourth = new ClassFileChanged(
                EventMetadata.forExistingAggregate("filewatch", "/a", third.getEventId(), 3), null, "A", 4, null);
            store.save(fourth);
            assertThat(store.getEventsForAggregateSince("filewatch", "/a", 3)).containsExactly(fourth);
        }
    }
}
