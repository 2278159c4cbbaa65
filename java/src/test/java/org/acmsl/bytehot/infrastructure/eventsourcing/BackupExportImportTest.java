package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations of issue 19 through the Java API on real stores: backup and restore, export
 * and import as JSON Lines, and the native store's log records reaching {@link System.Logger}.
 */
class BackupExportImportTest {

    @TempDir
    Path dir;

    private FilesystemEventStoreAdapter open(final Path path) {
        return new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(path));
    }

    private static List<VersionedDomainEvent> save(final FilesystemEventStoreAdapter store, final String id,
        final int count) {
        final List<VersionedDomainEvent> saved = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            saved.add(store.saveAndReturn(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", id), null,
                "com.acme.C" + i, i, null)));
        }
        return saved;
    }

    @Test
    void aBackupRestoresIntoAStoreReadingTheSameEventsAndANonEmptyTargetIsKept() throws Exception {
        final Path store = dir.resolve("store");
        final List<VersionedDomainEvent> saved;
        final BackupResult backup;
        try (FilesystemEventStoreAdapter adapter = open(store)) {
            saved = save(adapter, "a", 5);
            backup = adapter.backup(dir.resolve("backup"));
            save(adapter, "a", 2);
            assertThatThrownBy(() -> adapter.backup(store.resolve("inside")))
                .isInstanceOf(EventStoreUnavailableException.class).hasMessageContaining("inside the store");
        }
        assertThat(backup.getEvents()).isEqualTo(5);
        // The five event files and the stream log (the restored events keep their positions).
        assertThat(backup.getFiles()).isEqualTo(6);

        final Path restored = dir.resolve("restored");
        assertThat(FilesystemEventStoreAdapter.restore(dir.resolve("backup"), restored, false).getEvents())
            .isEqualTo(5);
        try (FilesystemEventStoreAdapter adapter = open(restored)) {
            assertThat(adapter.getEventsForAggregate("filewatch", "a")).isEqualTo(saved);
            assertThat(adapter.verify()).isEmpty();
        }
        assertThatThrownBy(() -> FilesystemEventStoreAdapter.restore(dir.resolve("backup"), store, false))
            .isInstanceOf(EventStoreUnavailableException.class).hasMessageContaining("not empty");
        try (FilesystemEventStoreAdapter adapter = open(store)) {
            assertThat(adapter.getCurrentVersion("filewatch", "a")).isEqualTo(7);
        }
    }

    @Test
    void withBackupsEnabledEachCloseTakesAGenerationKeepingTheNewestOnes() throws Exception {
        final Path store = dir.resolve("store");
        final Path backups = dir.resolve("generations");
        final EventStoreConfiguration configuration = EventStoreConfiguration.defaults().withPath(store)
            .withBackupEnabled(true).withBackupPath(backups).withBackupKeep(2).withBackupIntervalMinutes(60);
        for (int session = 0; session < 3; session++) {
            try (FilesystemEventStoreAdapter adapter = new FilesystemEventStoreAdapter(configuration)) {
                save(adapter, "a", 1);
            }
        }
        final List<Path> generations;
        try (java.util.stream.Stream<Path> list = Files.list(backups)) {
            generations = list.sorted().collect(java.util.stream.Collectors.toList());
        }
        assertThat(generations).hasSize(2);
        assertThat(FilesystemEventStoreAdapter.restore(generations.get(1), dir.resolve("latest"), false).getEvents())
            .isEqualTo(3);
        assertThatThrownBy(() -> new FilesystemEventStoreAdapter(configuration.withBackupKeep(0)))
            .isInstanceOf(org.acmsl.bytehot.domain.EventStoreConfigurationException.class)
            .hasMessageContaining("backup.keep");
    }

    @Test
    void anExportImportedIntoAnotherStoreGivesTheSameEventsAndASecondImportAddsNothing() throws Exception {
        final List<VersionedDomainEvent> saved;
        final ByteArrayOutputStream lines = new ByteArrayOutputStream();
        try (FilesystemEventStoreAdapter adapter = open(dir.resolve("one"))) {
            saved = save(adapter, "a", 3);
            save(adapter, "b", 2);
            assertThat(adapter.exportEvents(EventFilter.all(), lines)).isEqualTo(5);
            assertThat(adapter.exportEvents(EventFilter.all().withEventType("ClassFileChanged").withLimit(2),
                OutputStream.nullOutputStream())).isEqualTo(2);
            assertThat(adapter.exportEvents(EventFilter.all().between(Instant.EPOCH, Instant.EPOCH),
                OutputStream.nullOutputStream())).isZero();
        }
        assertThat(new String(lines.toByteArray(), StandardCharsets.UTF_8).split("\n")).hasSize(5)
            .allMatch(line -> line.startsWith("{\"eventType\":\"ClassFileChanged\""));

        try (FilesystemEventStoreAdapter adapter = open(dir.resolve("two"))) {
            assertThat(adapter.importEvents(new ByteArrayInputStream(lines.toByteArray())))
                .isEqualTo(new ImportResult(5, 0, 0, List.of()));
            assertThat(adapter.importEvents(new ByteArrayInputStream(lines.toByteArray())))
                .isEqualTo(new ImportResult(0, 0, 5, List.of()));
            assertThat(adapter.getEventsForAggregate("filewatch", "a")).isEqualTo(saved);
        }
    }

    @Test
    void anImportIntoAnAggregateThatMovedOnRefusesTheEventsUnlessRenumbered() throws Exception {
        final ByteArrayOutputStream lines = new ByteArrayOutputStream();
        try (FilesystemEventStoreAdapter adapter = open(dir.resolve("one"))) {
            save(adapter, "a", 2);
            adapter.exportEvents(EventFilter.all(), lines);
        }
        try (FilesystemEventStoreAdapter adapter = open(dir.resolve("two"))) {
            save(adapter, "a", 1);
            final ImportResult refused = adapter.importEvents(new ByteArrayInputStream(lines.toByteArray()));
            assertThat(refused.getImported()).isZero();
            assertThat(refused.getConflicts()).hasSize(2).allMatch(c -> c.contains("filewatch/a"));
            final ImportResult renumbered =
                adapter.importEvents(new ByteArrayInputStream(lines.toByteArray()), true);
            assertThat(renumbered.getImported()).isEqualTo(2);
            assertThat(renumbered.getRenumbered()).isEqualTo(2);
            assertThat(adapter.getCurrentVersion("filewatch", "a")).isEqualTo(3);
        }
    }

    @Test
    void theCallersStreamFailuresArriveAsTheirOwnIOException() {
        try (FilesystemEventStoreAdapter adapter = open(dir.resolve("store"))) {
            save(adapter, "a", 1);
            final OutputStream broken = new OutputStream() {
                @Override
                public void write(final int b) throws IOException {
                    throw new IOException("disk of the export is gone");
                }

                @Override
                public void write(final byte[] b, final int off, final int len) throws IOException {
                    throw new IOException("disk of the export is gone");
                }
            };
            assertThatThrownBy(() -> adapter.exportEvents(EventFilter.all(), broken))
                .isInstanceOf(IOException.class).hasMessage("disk of the export is gone");
            final InputStream failing = new InputStream() {
                @Override
                public int read() throws IOException {
                    throw new IOException("the network share went away");
                }
            };
            assertThatThrownBy(() -> adapter.importEvents(failing))
                .isInstanceOf(IOException.class).hasMessage("the network share went away");
            assertThat(adapter.isHealthy()).isTrue();
        }
    }

    @Test
    void anIndexRebuildAtOpenIsLoggedToTheSystemLoggerAndTheHappyPathLogsNothing() throws Exception {
        final Path store = dir.resolve("store");
        final List<String> messages = new ArrayList<>();
        final Handler capture = new Handler() {
            @Override
            public void publish(final LogRecord record) {
                synchronized (messages) {
                    messages.add(record.getLevel() + " " + record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        final Logger logger = Logger.getLogger(NativeLog.LOGGER_NAME);
        logger.addHandler(capture);
        try (FilesystemEventStoreAdapter adapter = open(store)) {
            save(adapter, "a", 1);
            adapter.getEventsForAggregate("filewatch", "a");
        }
        synchronized (messages) {
            assertThat(messages).isEmpty();
        }
        Files.delete(store.resolve(".index").resolve("format"));
        try (FilesystemEventStoreAdapter adapter = open(store)) {
            assertThat(adapter.getEventsByType("ClassFileChanged")).hasSize(1);
        } finally {
            logger.removeHandler(capture);
        }
        synchronized (messages) {
            assertThat(messages).anyMatch(m -> m.startsWith("INFO ") && m.contains("rebuilding the index")
                && m.contains(store.toString()));
        }
    }
}
