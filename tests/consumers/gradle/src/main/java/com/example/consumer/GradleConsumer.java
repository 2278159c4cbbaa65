package com.example.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileCreated;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.infrastructure.eventsourcing.FilesystemEventStoreAdapter;

/**
 * Stores one event with bytehot-eventstore taken from a Maven repository, reopens the store
 * and reads it back; fails (an uncaught error, so exit code 1) saying why when anything differs.
 */
public final class GradleConsumer {

    private GradleConsumer() {
    }

    /**
     * Runs the check in a fresh temporary directory, removed afterwards.
     * @param args ignored
     * @throws IOException when the temporary directory cannot be made or removed
     */
    public static void main(final String[] args) throws IOException {
        final Path dir = Files.createTempDirectory("bytehot-gradle-consumer-");
        try {
            final Path classFile = Paths.get("/app/classes/com/acme/Bar.class");
            final Instant created = Instant.parse("2025-01-02T03:04:05.123Z");
            try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
                store.save(new ClassFileCreated(
                    EventMetadata.forNewAggregate(ClassFileCreated.AGGREGATE_TYPE, classFile.toString()),
                    classFile, "com.acme.Bar", 567L, created));
            }
            // A second store on the directory: what comes back was read from disk, not a cache.
            final List<VersionedDomainEvent> history;
            try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
                history = store.getEventsForAggregate(ClassFileCreated.AGGREGATE_TYPE, classFile.toString());
            }
            check(history.size() == 1, "one event expected, got " + history);
            check(history.get(0) instanceof ClassFileCreated, "a ClassFileCreated expected, got " + history.get(0));
            final ClassFileCreated read = (ClassFileCreated) history.get(0);
            check(read.getAggregateVersion() == 1L, "version 1 expected, got " + read.getAggregateVersion());
            check("com.acme.Bar".equals(read.getClassName()), "class name com.acme.Bar expected, got " + read.getClassName());
            check(read.getFileSize() == 567L, "file size 567 expected, got " + read.getFileSize());
            check(created.equals(read.getEventTimestamp()), "time " + created + " expected, got " + read.getEventTimestamp());
            final long files;
            try (Stream<Path> walk = Files.walk(dir.resolve("filewatch"))) {
                files = walk.filter(p -> p.getFileName().toString().endsWith("-ClassFileCreated.json")).count();
            }
            check(files == 1, "one ClassFileCreated file expected under " + dir + "/filewatch, found " + files);
            System.out.println("gradle consumer: stored and read back ClassFileCreated " + read.getClassName()
                + " (version " + read.getAggregateVersion() + ")");
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (final Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void check(final boolean condition, final String failure) {
        if (!condition) {
            throw new AssertionError("gradle consumer: " + failure);
        }
    }
}
