package org.acmsl.bytehot.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.InstanceUpdateMethod;
import org.acmsl.bytehot.domain.ProcessingResult;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.WatchConfiguration;
import org.acmsl.bytehot.domain.events.ByteHotAgentAttached;
import org.acmsl.bytehot.domain.events.ByteHotAttachRequested;
import org.acmsl.bytehot.domain.events.BytecodeValidated;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.ClassFileProcessed;
import org.acmsl.bytehot.domain.events.ClassMetadataExtracted;
import org.acmsl.bytehot.domain.events.ClassRedefinitionFailed;
import org.acmsl.bytehot.domain.events.ClassRedefinitionSucceeded;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapCapabilityEnabled;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.domain.events.InstancesUpdated;
import org.acmsl.bytehot.domain.events.WatchPathConfigured;
import org.acmsl.bytehot.infrastructure.eventsourcing.FilesystemEventStoreAdapter;

/**
 * Records a realistic ByteHot session into the default store ({@code ./eventstore}, or as
 * configured), reopens the store, rebuilds every aggregate of the session from its events and
 * prints the timeline and the files written.
 */
public final class ByteHotSessionDemo {

    private static final Path CLASS_FILE = Paths.get("/app/target/classes/com/acme/Greeter.class");

    private static final String CLASS_NAME = "com.acme.Greeter";

    private final FilesystemEventStoreAdapter store;

    /** The last stored event of each aggregate: the next event is chained to it. */
    private final Map<String, VersionedDomainEvent> last = new HashMap<>();

    private ByteHotSessionDemo(final FilesystemEventStoreAdapter store) {
        this.store = store;
    }

    /**
     * Runs the demo.
     * @param args ignored
     * @throws IOException when the store's files cannot be listed
     */
    public static void main(final String[] args) throws IOException {
        final String session = UUID.randomUUID().toString();
        final String swap = UUID.randomUUID().toString();
        final String failedSwap = UUID.randomUUID().toString();
        final String filewatch = CLASS_FILE.toString();
        final Path base;
        final Set<Path> before;
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter()) {
            base = store.getBasePath();
            before = files(base);
            new ByteHotSessionDemo(store).record(session, swap, failedSwap, filewatch);
        }

        System.out.println("Store " + base.toAbsolutePath().normalize() + " closed; reopening it.");
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter()) {
            final List<VersionedDomainEvent> timeline = new ArrayList<>();
            System.out.println();
            System.out.println("Aggregates rebuilt from their events:");
            for (final String[] aggregate : new String[][] {
                {"bytehot", session}, {"filewatch", filewatch}, {"hotswap", swap}, {"hotswap", failedSwap}}) {
                final List<VersionedDomainEvent> events = store.getEventsForAggregate(aggregate[0], aggregate[1]);
                // filewatch aggregates are keyed by path and outlive a session: keep this session's events.
                final List<VersionedDomainEvent> ours = events.stream()
                    .filter(e -> !e.getAggregateType().equals("filewatch") || session.equals(e.getCorrelationId()))
                    .collect(Collectors.toList());
                timeline.addAll(ours);
                System.out.println("  " + rebuild(aggregate[0], aggregate[1], ours));
            }
            timeline.sort(Comparator.comparing(VersionedDomainEvent::getTimestamp));
            System.out.println();
            System.out.println("Timeline of session " + session + ":");
            for (final VersionedDomainEvent event : timeline) {
                System.out.printf("  %s  %-9s v%-3d %s%n", event.getTimestamp(), event.getAggregateType(),
                    event.getAggregateVersion(), event.getEventType());
            }
            System.out.println();
            System.out.println("Files written under " + base.toAbsolutePath().normalize() + ":");
            for (final Path file : files(base)) {
                if (!before.contains(file)) {
                    System.out.println("  " + base.relativize(file));
                }
            }
            System.out.println();
            System.out.println("The store now holds " + store.getTotalEventCount() + " events of types "
                + store.getAggregateTypes() + "; healthy: " + store.isHealthy());
        }
    }

    private void record(final String session, final String swap, final String failedSwap, final String filewatch) {
        final WatchConfiguration watch = new WatchConfiguration(
            List.of(Paths.get("/app/target/classes")), List.of("*.class"), true);
        final byte[] original = fakeClassFile(48_000, 1);
        final byte[] changed = fakeClassFile(48_200, 2);

        final VersionedDomainEvent requested = append(session, "bytehot", session,
            m -> new ByteHotAttachRequested(m, watch));
        final VersionedDomainEvent attached = append(session, "bytehot", session,
            m -> new ByteHotAgentAttached(m, watch, requested.getEventId()));
        final VersionedDomainEvent configured = append(session, "bytehot", session,
            m -> new WatchPathConfigured(m, watch, attached.getEventId()));
        append(session, "bytehot", session, m -> new HotSwapCapabilityEnabled(m, true, true, configured.getEventId()));

        final VersionedDomainEvent fileChanged = append(session, "filewatch", filewatch,
            m -> new ClassFileChanged(m, CLASS_FILE, CLASS_NAME, changed.length, Instant.now()));

        append(session, "hotswap", swap, m -> new ClassMetadataExtracted(m, CLASS_FILE, CLASS_NAME,
            "java.lang.Object", List.of("java.io.Serializable"), List.of("greeting"), List.of("greet", "toString"),
            Instant.now()));
        append(session, "hotswap", swap, m -> new BytecodeValidated(m, CLASS_FILE, CLASS_NAME, true,
            "method body changes only", Instant.now()));
        final VersionedDomainEvent swapRequested = append(session, "hotswap", swap, m -> new HotSwapRequested(m,
            CLASS_FILE, CLASS_NAME, original, changed, "class file changed", Instant.now(), fileChanged.getEventId()));
        append(session, "hotswap", swap, m -> new ClassRedefinitionSucceeded(m, CLASS_NAME, CLASS_FILE, 3,
            "redefined greet()", Duration.ofMillis(12), Instant.now()));
        append(session, "hotswap", swap, m -> new InstancesUpdated(m, CLASS_NAME, 3, 3,
            InstanceUpdateMethod.AUTOMATIC, 0, "JVM updated all instances", Duration.ofMillis(2), Instant.now()));
        append(session, "filewatch", filewatch, m -> new ClassFileProcessed(m, CLASS_FILE, CLASS_NAME,
            Instant.now(), ProcessingResult.SUCCESS, "hot-swapped", swapRequested.getEventId()));

        append(session, "hotswap", failedSwap, m -> new HotSwapRequested(m, CLASS_FILE, CLASS_NAME, changed,
            fakeClassFile(49_000, 3), "field added", Instant.now(), null));
        append(session, "hotswap", failedSwap, m -> new ClassRedefinitionFailed(m, CLASS_NAME, CLASS_FILE,
            "schema change", "java.lang.UnsupportedOperationException: class redefinition failed: attempted to add a field",
            "restart the application", Instant.now()));
    }

    /** Saves the aggregate's next event, chained to its last one by version and previous id. */
    private VersionedDomainEvent append(final String session, final String type, final String id,
        final Function<EventMetadata, VersionedDomainEvent> event) {
        final String key = type + "/" + id;
        VersionedDomainEvent previous = last.get(key);
        if (previous == null && store.aggregateExists(type, id)) {
            final List<VersionedDomainEvent> history = store.getEventsForAggregate(type, id);
            previous = history.get(history.size() - 1);
        }
        final EventMetadata metadata = EventMetadata.forExistingAggregate(type, id,
            previous == null ? null : previous.getEventId(), previous == null ? 0 : previous.getAggregateVersion())
            .withCorrelationId(session);
        final VersionedDomainEvent stored = store.saveAndReturn(event.apply(metadata));
        last.put(key, stored);
        return stored;
    }

    /** A tiny projection per aggregate type: the state a ByteHot component would rebuild. */
    private static String rebuild(final String type, final String id, final List<VersionedDomainEvent> events) {
        final StringBuilder state = new StringBuilder(type).append(' ').append(id).append(" (")
            .append(events.size()).append(" events): ");
        String status = "unknown";
        for (final VersionedDomainEvent event : events) {
            if (event instanceof ByteHotAgentAttached) {
                status = "agent attached, watching " + ((ByteHotAgentAttached) event).getConfiguration().getWatchPaths();
            } else if (event instanceof HotSwapCapabilityEnabled) {
                status += ", redefinition supported";
            } else if (event instanceof ClassFileProcessed) {
                status = CLASS_NAME + " processed: " + ((ClassFileProcessed) event).getResult();
            } else if (event instanceof ClassFileChanged) {
                status = "changed, " + ((ClassFileChanged) event).getFileSize() + " bytes";
            } else if (event instanceof HotSwapRequested) {
                final HotSwapRequested request = (HotSwapRequested) event;
                status = "swap requested (" + request.getOriginalBytecode().length + " -> "
                    + request.getNewBytecode().length + " bytes)";
            } else if (event instanceof ClassRedefinitionSucceeded) {
                status = "redefined in " + ((ClassRedefinitionSucceeded) event).getDuration().toMillis() + " ms";
            } else if (event instanceof InstancesUpdated) {
                final InstancesUpdated updated = (InstancesUpdated) event;
                status += ", " + updated.getUpdatedInstances() + "/" + updated.getTotalInstances() + " instances updated ("
                    + updated.getUpdateMethod() + ")";
            } else if (event instanceof ClassRedefinitionFailed) {
                status = "FAILED: " + ((ClassRedefinitionFailed) event).getFailureReason() + "; "
                    + ((ClassRedefinitionFailed) event).getRecoveryAction();
            }
        }
        return state.append(status).toString();
    }

    private static byte[] fakeClassFile(final int size, final int seed) {
        final byte[] bytes = new byte[size];
        new java.util.Random(seed).nextBytes(bytes);
        bytes[0] = (byte) 0xCA;
        bytes[1] = (byte) 0xFE;
        bytes[2] = (byte) 0xBA;
        bytes[3] = (byte) 0xBE;
        return bytes;
    }

    private static Set<Path> files(final Path base) throws IOException {
        if (!Files.isDirectory(base)) {
            return new LinkedHashSet<>();
        }
        try (Stream<Path> walk = Files.walk(base)) {
            return walk.filter(Files::isRegularFile).sorted().collect(Collectors.toCollection(LinkedHashSet::new));
        } catch (final UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
