package org.acmsl.bytehot.bench;

import static org.acmsl.bytehot.bench.Benchmark.EVENT_TYPES;
import static org.acmsl.bytehot.bench.MachineProbes.sync;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_APPEND;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqlite;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteAppend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventSerializationSupport;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventStoreConfiguration;
import org.acmsl.bytehot.infrastructure.eventsourcing.FilesystemEventStoreAdapter;

/**
 * The contenders of the write workloads: this store in each durability, SQLite in each
 * synchronous mode, and the disk's own fsync limits (a new file per event, an append per
 * event); and how the benchmark's events are made.
 */
final class Contenders {

    private Contenders() {
    }

    /** One way of saving an event. */
    interface Saver extends AutoCloseable {
        /** Saves one 1 KiB event of the given aggregate; thread-safe. */
        void save(String aggregateId, int thread) throws Exception;

        @Override
        void close() throws IOException, SQLException;
    }

    /** Each of ours once per layout ({@code ours-always@1000z}), then SQLite and the disk probes once. */
    static List<String> writeContenders(final List<Layout> layouts) {
        final List<String> names = new ArrayList<>();
        for (final Layout l : layouts) {
            for (final String durability : Benchmark.OURS) {
                names.add("ours-" + durability + l.suffix());
            }
        }
        names.addAll(Arrays.asList("sqlite-FULL", "sqlite-NORMAL", "disk-create-fsync", "disk-append-fdatasync"));
        return names;
    }

    static Saver openSaver(final String name, final Path dir, final int threads, final String payload1k,
        final List<Layout> layouts) throws Exception {
        Files.createDirectories(dir);
        if (name.startsWith("ours-")) {
            final int at = name.indexOf('@');
            final FilesystemEventStoreAdapter store = ours(dir, name.substring(5, at < 0 ? name.length() : at),
                Layout.of(name, layouts));
            return new Saver() {
                @Override
                public void save(final String aggregateId, final int thread) {
                    store.save(newEvent("bench", aggregateId, 0, "BenchEvent0", null, payload1k));
                }

                @Override
                public void close() {
                    store.close();
                }
            };
        }
        if (name.startsWith("sqlite-")) {
            final String sync = name.substring(7);
            final Connection[] conns = new Connection[threads];
            final PreparedStatement[] inserts = new PreparedStatement[threads];
            for (int t = 0; t < threads; t++) {
                conns[t] = sqlite(dir.resolve("events.db"), sync, true);
                inserts[t] = conns[t].prepareStatement(SQLITE_APPEND);
            }
            return new Saver() {
                @Override
                public void save(final String aggregateId, final int thread) throws SQLException {
                    final VersionedDomainEvent e = newEvent("bench", aggregateId, 0, "BenchEvent0", null, payload1k);
                    sqliteAppend(inserts[thread], e);
                }

                @Override
                public void close() throws SQLException {
                    for (final Connection c : conns) {
                        c.close();
                    }
                }
            };
        }
        if (name.equals("disk-create-fsync")) {
            final AtomicLong n = new AtomicLong();
            final byte[] bytes = payload1k.getBytes(StandardCharsets.UTF_8);
            return new Saver() {
                @Override
                public void save(final String aggregateId, final int thread) throws IOException {
                    final Path f = dir.resolve("f" + n.incrementAndGet());
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(bytes));
                        ch.force(true);
                    }
                }

                @Override
                public void close() {
                }
            };
        }
        if (name.equals("disk-append-fdatasync")) {
            final FileChannel[] chans = new FileChannel[threads];
            for (int t = 0; t < threads; t++) {
                chans[t] = FileChannel.open(dir.resolve("append" + t), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            final byte[] bytes = payload1k.getBytes(StandardCharsets.UTF_8);
            return new Saver() {
                @Override
                public void save(final String aggregateId, final int thread) throws IOException {
                    chans[thread].write(ByteBuffer.wrap(bytes));
                    chans[thread].force(false);
                }

                @Override
                public void close() throws IOException {
                    for (final FileChannel c : chans) {
                        c.close();
                    }
                }
            };
        }
        throw new IllegalArgumentException(name);
    }

    static FilesystemEventStoreAdapter ours(final Path dir, final String durability, final Layout layout) {
        return new FilesystemEventStoreAdapter(config(dir, durability, layout));
    }

    static EventStoreConfiguration config(final Path dir, final String durability, final Layout layout) {
        return layout.configure(EventStoreConfiguration.defaults().withPath(dir).withDurability(durability));
    }

    static void registerKinds() {
        for (int i = 0; i < EVENT_TYPES; i++) {
            EventSerializationSupport.registerEventType("BenchEvent" + i, BenchEvent.class);
        }
    }

    static VersionedDomainEvent newEvent(final String type, final String id, final long version, final String kind,
        final Instant ts, final String payload) {
        return new BenchEvent(new EventMetadata(UUID.randomUUID().toString(), type, id, version,
            ts == null ? Instant.now() : ts, null, EventMetadata.DEFAULT_SCHEMA_VERSION, null, null, null), kind, payload);
    }

    /** Printable, incompressible-looking ASCII of the given length. */
    static String payload(final int bytes, final long seed) {
        final Random rnd = new Random(seed);
        final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        final StringBuilder sb = new StringBuilder(bytes);
        for (int i = 0; i < bytes; i++) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
