package org.acmsl.bytehot.bench;

import org.acmsl.bytehot.bench.Contenders.Saver;
import static org.acmsl.bytehot.bench.Contenders.newEvent;
import static org.acmsl.bytehot.bench.Contenders.ours;
import static org.acmsl.bytehot.bench.Contenders.payload;
import static org.acmsl.bytehot.bench.Contenders.registerKinds;
import static org.acmsl.bytehot.bench.Contenders.writeContenders;
import static org.acmsl.bytehot.bench.MachineProbes.PLAIN_READERS;
import static org.acmsl.bytehot.bench.MachineProbes.deleteTree;
import static org.acmsl.bytehot.bench.MachineProbes.dropCaches;
import static org.acmsl.bytehot.bench.MachineProbes.heapUsed;
import static org.acmsl.bytehot.bench.MachineProbes.log;
import static org.acmsl.bytehot.bench.MachineProbes.machine;
import static org.acmsl.bytehot.bench.MachineProbes.readAllFiles;
import static org.acmsl.bytehot.bench.MachineProbes.readFirstLine;
import static org.acmsl.bytehot.bench.MachineProbes.rssKb;
import static org.acmsl.bytehot.bench.MachineProbes.sync;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_AGGREGATE;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_APPEND;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_BY_TIME;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_BY_TYPE;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_INSERT;
import static org.acmsl.bytehot.bench.SqliteBaseline.micros;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqlite;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteAggregate;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteAppend;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteEvents;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteInsert;
import static org.acmsl.bytehot.bench.Stats.check;
import static org.acmsl.bytehot.bench.Stats.map;
import static org.acmsl.bytehot.bench.Stats.median;
import static org.acmsl.bytehot.bench.Stats.medianMs;
import static org.acmsl.bytehot.bench.Stats.medianOfRuns;
import static org.acmsl.bytehot.bench.Stats.percentiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventStoreConfiguration;
import org.acmsl.bytehot.infrastructure.eventsourcing.FilesystemEventStoreAdapter;

/**
 * Issue 4's benchmark: this store (each durability), SQLite (WAL, synchronous FULL and NORMAL)
 * and the disk's own fsync limit, on the same workloads in the same run. Plain Java, no JMH.
 *
 * <p>Usage: {@code Benchmark [--smoke] [--out FILE] [--work DIR] [--runs N] [--w1-saves N]
 * [--w2-seconds S] [--large N] [--w7-stores N,N] [--only W1,W2,...]}
 */
public final class Benchmark {

    static final int KIB = 1024;
    static final int EVENT_TYPES = 1000;
    static final int EVENTS_PER_AGGREGATE = 100;
    static final String[] OURS = {"always", "batch", "none"};
    static final String[] SQLITE = {"FULL", "NORMAL"};
    static final Instant BASE_TIME = Instant.parse("2026-01-01T00:00:00Z");

    final Map<String, Object> results = new LinkedHashMap<>();
    final Path work;
    final boolean smoke;
    final int runs;
    final int w1Saves;
    final int w1Warmup;
    final int w4Warmup;
    final double w2Seconds;
    final int largeEvents;
    final int smallEvents;
    final String extraStores;
    final List<String> only;
    final String payload1k;
    boolean dropCachesWorks;

    Benchmark(final Map<String, String> opts) {
        smoke = opts.containsKey("smoke");
        work = Paths.get(opts.getOrDefault("work", "build/bench-work")).toAbsolutePath();
        runs = Integer.parseInt(opts.getOrDefault("runs", smoke ? "1" : "3"));
        w1Saves = Integer.parseInt(opts.getOrDefault("w1-saves", smoke ? "50" : "3000"));
        w1Warmup = Integer.parseInt(opts.getOrDefault("w1-warmup", smoke ? "20" : "3000"));
        w4Warmup = Integer.parseInt(opts.getOrDefault("w4-warmup", smoke ? "1" : "20"));
        w2Seconds = Double.parseDouble(opts.getOrDefault("w2-seconds", smoke ? "0.25" : "15"));
        largeEvents = Integer.parseInt(opts.getOrDefault("large", smoke ? "1000" : "1000000"));
        // W7: the same store workloads (W1 on the store, W3, W4) on smaller stores too.
        extraStores = opts.getOrDefault("w7-stores", smoke ? "" : "10000,100000");
        smallEvents = extraStores.isEmpty() ? 0 : Integer.parseInt(extraStores.split(",")[0]);
        only = opts.containsKey("only") ? Arrays.asList(opts.get("only").split(",")) : null;
        payload1k = payload(KIB, 1);
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child-open")) {
            childOpen(args[1], Paths.get(args[2]));
            return;
        }
        final Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            final String key = a.substring(2);
            if (key.equals("smoke")) {
                opts.put(key, "true");
            } else {
                opts.put(key, args[++i]);
            }
        }
        final Benchmark b = new Benchmark(opts);
        final String out = opts.getOrDefault("out", b.smoke ? "build/benchmark-smoke.json" : "bench/results/benchmark-results.json");
        b.run(Paths.get(out));
    }

    boolean enabled(final String w) {
        return only == null || only.contains(w);
    }

    @SuppressWarnings("unchecked")
    void run(final Path out) throws Exception {
        final long start = System.nanoTime();
        registerKinds();
        // Every tree a workload writes stays until the end of the run: on ext4 without a
        // journal (this machine's disk) new inodes skip those freed in the last 60 s (300 s
        // while their inode table block is dirty), so deleting one contender's tree slowed
        // the file creations of whichever contender ran next. A leftover of an aborted run
        // is removed now, before anything is measured, and the run waits that minute out.
        if (Files.exists(work)) {
            deleteTree(work);
            if (!smoke) {
                log("removed a previous run's " + work + "; waiting 60 s before measuring");
                Thread.sleep(60_000);
            }
        }
        Files.createDirectories(work);
        dropCachesWorks = dropCaches();
        results.put("machine", machine(work));
        results.put("settings", settings());
        log("work dir " + work + ", drop_caches " + (dropCachesWorks ? "works" : "does not work"));
        if (enabled("W1")) {
            results.put("W1", w1());
        }
        if (enabled("W2")) {
            results.put("W2", w2());
        }
        if (enabled("W3") || enabled("W4") || enabled("W5") || enabled("W7")) {
            final Map<String, Object> stores = new LinkedHashMap<>();
            if (enabled("W7")) {
                for (final String n : extraStores.split(",")) {
                    if (!n.isEmpty() && Integer.parseInt(n) != largeEvents) {
                        stores.put(n, storeSuite(Integer.parseInt(n), false));
                    }
                }
            }
            stores.put(Integer.toString(largeEvents), storeSuite(largeEvents, enabled("W5")));
            results.put("stores", stores);
        }
        if (enabled("W6")) {
            results.put("W6", w6());
        }
        ((Map<String, Object>) results.get("machine")).put("loadavgEnd", readFirstLine("/proc/loadavg"));
        results.put("elapsedSeconds", (System.nanoTime() - start) / 1e9);
        deleteTree(work);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        log("wrote " + out + " in " + String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9) + " s");
    }

    Map<String, Object> settings() {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("smoke", smoke);
        s.put("runs", runs);
        s.put("w1Saves", w1Saves);
        s.put("w1Warmup", w1Warmup);
        s.put("w4Warmup", w4Warmup);
        s.put("w2Seconds", w2Seconds);
        s.put("w2Threads", 4);
        s.put("w2Aggregates", 10_000);
        s.put("largeStoreEvents", largeEvents);
        s.put("smallStoreEvents", smallEvents);
        s.put("w7Stores", extraStores);
        s.put("eventsPerAggregate", EVENTS_PER_AGGREGATE);
        s.put("eventTypes", "stored events / 1,000 (each type has 1,000 events)");
        s.put("payloadBytes", KIB);
        s.put("batchIntervalMs", "store default (50)");
        s.put("dropCachesWorks", dropCachesWorks);
        return s;
    }

    Saver openSaver(final String name, final Path dir, final int threads) throws Exception {
        return Contenders.openSaver(name, dir, threads, payload1k);
    }

    // ------------------------------------------------------------------------------------
    // W1: single-thread save latency
    // ------------------------------------------------------------------------------------

    Map<String, Object> w1() throws Exception {
        log("W1: single-thread save latency, " + w1Warmup + " warm-up + " + w1Saves + " saves, " + runs + " run(s)");
        final Map<String, List<Map<String, Object>>> perRun = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            // Contenders interleaved run by run, so that a noisy minute hits all of them.
            for (final String c : writeContenders()) {
                final Path dir = work.resolve("w1-" + c + "-" + r);
                final long[] lat;
                try (Saver s = openSaver(c, dir, 1)) {
                    for (int i = 0; i < w1Warmup; i++) {
                        s.save("agg-" + (i % 100), 0);
                    }
                    lat = new long[w1Saves];
                    for (int i = 0; i < w1Saves; i++) {
                        final String id = "agg-" + (i % 100);
                        final long t0 = System.nanoTime();
                        s.save(id, 0);
                        lat[i] = System.nanoTime() - t0;
                    }
                }
                final Map<String, Object> p = percentiles(lat);
                perRun.computeIfAbsent(c, k -> new ArrayList<>()).add(p);
                log(String.format(Locale.ROOT, "  run %d %-22s p50 %8.3f  p95 %8.3f  p99 %8.3f  p99.9 %8.3f ms",
                    r + 1, c, p.get("p50Ms"), p.get("p95Ms"), p.get("p99Ms"), p.get("p999Ms")));
            }
        }
        return medianOfRuns(perRun);
    }

    // ------------------------------------------------------------------------------------
    // W2: throughput, 4 threads, 10,000 aggregates
    // ------------------------------------------------------------------------------------

    Map<String, Object> w2() throws Exception {
        final int threads = 4;
        final int aggregates = 10_000;
        final int w2Runs = smoke ? 1 : Math.min(runs, 3);
        log("W2: " + threads + " threads, " + aggregates + " aggregates, " + w2Seconds + " s per contender, " + w2Runs
            + " run(s)");
        final Map<String, List<Map<String, Object>>> perRun = new LinkedHashMap<>();
        for (int r = 0; r < w2Runs; r++) {
            for (final String c : writeContenders()) {
                final Path dir = work.resolve("w2-" + c + "-" + r);
                final AtomicLong total = new AtomicLong();
                final AtomicBoolean stop = new AtomicBoolean();
                final List<Throwable> errors = new ArrayList<>();
                final double seconds;
                try (Saver s = openSaver(c, dir, threads)) {
                    final Thread[] ts = new Thread[threads];
                    for (int t = 0; t < threads; t++) {
                        final int thread = t;
                        ts[t] = new Thread(() -> {
                            final Random rnd = new Random(thread);
                            long n = 0;
                            try {
                                while (!stop.get()) {
                                    // Thread t owns the aggregates t, t+4, ...: no version conflicts.
                                    final int a = rnd.nextInt(aggregates / threads) * threads + thread;
                                    s.save("agg-" + a, thread);
                                    n++;
                                }
                            } catch (final Throwable e) {
                                synchronized (errors) {
                                    errors.add(e);
                                }
                            }
                            total.addAndGet(n);
                        });
                    }
                    final long t0 = System.nanoTime();
                    for (final Thread t : ts) {
                        t.start();
                    }
                    Thread.sleep((long) (w2Seconds * 1000));
                    stop.set(true);
                    for (final Thread t : ts) {
                        t.join();
                    }
                    seconds = (System.nanoTime() - t0) / 1e9;
                }
                if (!errors.isEmpty()) {
                    throw new IllegalStateException("W2 " + c + " failed", errors.get(0));
                }
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("events", total.get());
                m.put("seconds", seconds);
                m.put("eventsPerSecond", total.get() / seconds);
                perRun.computeIfAbsent(c, k -> new ArrayList<>()).add(m);
                log(String.format(Locale.ROOT, "  run %d %-22s %10.0f events/s", r + 1, c, total.get() / seconds));
            }
        }
        return medianOfRuns(perRun);
    }

    // ------------------------------------------------------------------------------------
    // W3, W4, W5, W7 on a store of N events (N/100 aggregates of 100 events, 100 event types)
    // ------------------------------------------------------------------------------------

    Map<String, Object> storeSuite(final int events, final boolean withW5) throws Exception {
        final int aggregates = events / EVENTS_PER_AGGREGATE;
        final Map<String, Object> suite = new LinkedHashMap<>();
        final Path oursDir = work.resolve("store-" + events + "-ours");
        final Path sqliteDir = work.resolve("store-" + events + "-sqlite");
        Files.createDirectories(sqliteDir);
        final Path db = sqliteDir.resolve("events.db");

        log("store of " + events + " events: building (ours with durability none, SQLite NORMAL)");
        long t0 = System.nanoTime();
        try (FilesystemEventStoreAdapter store = ours(oursDir, "none")) {
            for (int a = 0; a < aggregates; a++) {
                final List<VersionedDomainEvent> batch = new ArrayList<>(EVENTS_PER_AGGREGATE);
                for (int v = 0; v < EVENTS_PER_AGGREGATE; v++) {
                    batch.add(largeStoreEvent(a, v, events));
                }
                store.saveAll(batch);
            }
        }
        final double oursBuild = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        try (Connection c = sqlite(db, "NORMAL", true, true); PreparedStatement ps = c.prepareStatement(SQLITE_INSERT)) {
            for (int a = 0; a < aggregates; a++) {
                for (int v = 0; v < EVENTS_PER_AGGREGATE; v++) {
                    sqliteInsert(ps, largeStoreEvent(a, v, events), v + 1);
                }
                if (a % 100 == 99) {
                    c.commit();
                }
            }
            c.commit();
        }
        final double sqliteBuild = (System.nanoTime() - t0) / 1e9;
        suite.put("buildSeconds", map("ours-none-saveAll", oursBuild, "sqlite-NORMAL-batched", sqliteBuild));
        log(String.format(Locale.ROOT, "  built: ours %.1f s, SQLite %.1f s", oursBuild, sqliteBuild));
        // Both builds (and W2 before the first store) leave dirty pages that the kernel
        // writes back over the next half minute: written now, they do not compete with
        // the reads measured next.
        t0 = System.nanoTime();
        sync();
        suite.put("syncAfterBuildSeconds", (System.nanoTime() - t0) / 1e9);

        if (enabled("W3")) {
            suite.put("W3", w3(oursDir, db, aggregates));
        }
        if (enabled("W4")) {
            suite.put("W4", w4(oursDir, db, aggregates));
        }
        if (withW5) {
            suite.put("W5", w5(oursDir, db));
        }
        if (enabled("W7") || enabled("W1")) {
            suite.put("W1onStore", w1OnStore(oursDir, db, aggregates));
        }
        return suite;
    }

    /** Event types in a store of N events: N / 1,000, so that a by-type query returns 1,000 events. */
    static int typesFor(final int events) {
        return Math.max(1, Math.min(EVENT_TYPES, events / 1000));
    }

    VersionedDomainEvent largeStoreEvent(final int aggregate, final int v, final int events) {
        // Event i of the store happened at BASE_TIME + i ms: a 1 s window holds 1,000 events,
        // and it has type i mod (N / 1,000): each type has 1,000 events.
        final long i = (long) aggregate * EVENTS_PER_AGGREGATE + v;
        return newEvent("bench", "agg-" + aggregate, 0, "BenchEvent" + (i % typesFor(events)),
            BASE_TIME.plusMillis(i), payload1k);
    }

    Map<String, Object> w3(final Path oursDir, final Path db, final int aggregates) throws Exception {
        log("  W3: reconstruct a 100-event aggregate (with deserialization)");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int warmReps = smoke ? 10 : 200;
        final int coldReps = smoke ? 2 : 5;
        final Random rnd = new Random(3);
        // warm
        try (FilesystemEventStoreAdapter store = ours(oursDir, "always")) {
            final String id = "agg-" + (aggregates / 2);
            final long[] lat = new long[warmReps];
            for (int i = 0; i < 20; i++) {
                check(store.getEventsForAggregate("bench", id).size(), EVENTS_PER_AGGREGATE, "ours W3 warm-up");
            }
            for (int i = 0; i < warmReps; i++) {
                final long t0 = System.nanoTime();
                final List<VersionedDomainEvent> l = store.getEventsForAggregate("bench", id);
                lat[i] = System.nanoTime() - t0;
                check(l.size(), EVENTS_PER_AGGREGATE, "ours W3");
            }
            r.put("ours-warm", percentiles(lat));
        }
        try (Connection c = sqlite(db, "FULL", false); PreparedStatement ps = c.prepareStatement(SQLITE_AGGREGATE)) {
            final String id = "agg-" + (aggregates / 2);
            final long[] lat = new long[warmReps];
            for (int i = 0; i < 20; i++) {
                sqliteAggregate(ps, id);
            }
            for (int i = 0; i < warmReps; i++) {
                final long t0 = System.nanoTime();
                final List<VersionedDomainEvent> l = sqliteAggregate(ps, id);
                lat[i] = System.nanoTime() - t0;
                check(l.size(), EVENTS_PER_AGGREGATE, "SQLite W3");
            }
            r.put("sqlite-warm", percentiles(lat));
        }
        // cold: page cache dropped (when possible) and a freshly opened store / new connection
        final long[] oursOpen = new long[coldReps];
        final long[] oursRead = new long[coldReps];
        final long[] sqlOpen = new long[coldReps];
        final long[] sqlRead = new long[coldReps];
        final long[] filesRead = new long[coldReps];
        final ExecutorService readers = Executors.newFixedThreadPool(PLAIN_READERS);
        for (int i = 0; i < coldReps; i++) {
            final String id = "agg-" + rnd.nextInt(aggregates);
            dropCaches();
            long t0 = System.nanoTime();
            try (FilesystemEventStoreAdapter store = ours(oursDir, "always")) {
                oursOpen[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                check(store.getEventsForAggregate("bench", id).size(), EVENTS_PER_AGGREGATE, "ours W3 cold");
                oursRead[i] = System.nanoTime() - t0;
            }
            dropCaches();
            t0 = System.nanoTime();
            try (Connection c = sqlite(db, "FULL", false); PreparedStatement ps = c.prepareStatement(SQLITE_AGGREGATE)) {
                sqlOpen[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                check(sqliteAggregate(ps, id).size(), EVENTS_PER_AGGREGATE, "SQLite W3 cold");
                sqlRead[i] = System.nanoTime() - t0;
            }
            dropCaches();
            t0 = System.nanoTime();
            check(readAllFiles(readers, oursDir.resolve("bench").resolve(id)), EVENTS_PER_AGGREGATE + 1,
                "plain read W3 cold");
            filesRead[i] = System.nanoTime() - t0;
        }
        readers.shutdown();
        r.put("ours-cold", map("readMedianMs", medianMs(oursRead), "openMedianMs", medianMs(oursOpen),
            "reps", coldReps, "pageCacheDropped", dropCachesWorks));
        r.put("sqlite-cold", map("readMedianMs", medianMs(sqlRead), "openMedianMs", medianMs(sqlOpen),
            "reps", coldReps, "pageCacheDropped", dropCachesWorks));
        r.put("files-cold", map("readMedianMs", medianMs(filesRead), "reps", coldReps, "threads", PLAIN_READERS,
            "pageCacheDropped", dropCachesWorks));
        log(String.format(Locale.ROOT, "    warm p50: ours %.3f ms, SQLite %.3f ms; cold read median: ours %.3f ms, SQLite %.3f ms,"
            + " plain read of the files %.3f ms",
            ((Map<?, ?>) r.get("ours-warm")).get("p50Ms"), ((Map<?, ?>) r.get("sqlite-warm")).get("p50Ms"),
            medianMs(oursRead), medianMs(sqlRead), medianMs(filesRead)));
        return r;
    }

    Map<String, Object> w4(final Path oursDir, final Path db, final int aggregates) throws Exception {
        log("  W4: by-type and by-time queries");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int reps = smoke ? 1 : 3;
        final int total = aggregates * EVENTS_PER_AGGREGATE;
        final Instant from = BASE_TIME.plusMillis(total / 2);
        final Instant to = from.plusMillis(999);
        try (FilesystemEventStoreAdapter store = ours(oursDir, "always")) {
            final long[] byType = new long[reps];
            final long[] byTime = new long[reps];
            int nType = 0;
            int nTime = 0;
            final int types = typesFor(total);
            // Warm-ups of the JIT (as many for SQLite below) and of the page cache: by time
            // then measures the steady cost of its window, not the first read after W3's
            // dropped caches nor code still interpreted; each by-type repetition still asks
            // for a type the warm-ups did not read.
            for (int i = 0; i < w4Warmup; i++) {
                store.getEventsByType("BenchEvent0");
                store.getEventsBetween(from, to);
            }
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                nType = store.getEventsByType("BenchEvent" + ((types / 2 + i) % types)).size();
                byType[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                nTime = store.getEventsBetween(from, to).size();
                byTime[i] = System.nanoTime() - t0;
            }
            r.put("ours", map("byTypeMedianMs", medianMs(byType), "byTypeResults", nType,
                "byTimeMedianMs", medianMs(byTime), "byTimeResults", nTime, "reps", reps));
        }
        try (Connection c = sqlite(db, "FULL", false);
             PreparedStatement pt = c.prepareStatement(SQLITE_BY_TYPE);
             PreparedStatement pb = c.prepareStatement(SQLITE_BY_TIME)) {
            final long[] byType = new long[reps];
            final long[] byTime = new long[reps];
            int nType = 0;
            int nTime = 0;
            final int types = typesFor(total);
            for (int i = 0; i < w4Warmup; i++) {
                pt.setString(1, "BenchEvent0");
                sqliteEvents(pt);
                pb.setLong(1, micros(from));
                pb.setLong(2, micros(to));
                sqliteEvents(pb);
            }
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                pt.setString(1, "BenchEvent" + ((types / 2 + i) % types));
                nType = sqliteEvents(pt).size();
                byType[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                pb.setLong(1, micros(from));
                pb.setLong(2, micros(to));
                nTime = sqliteEvents(pb).size();
                byTime[i] = System.nanoTime() - t0;
            }
            r.put("sqlite", map("byTypeMedianMs", medianMs(byType), "byTypeResults", nType,
                "byTimeMedianMs", medianMs(byTime), "byTimeResults", nTime, "reps", reps));
        }
        log("    " + r);
        return r;
    }

    Map<String, Object> w5(final Path oursDir, final Path db) throws Exception {
        log("  W5: open time and memory (child JVM per open)");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int reps = smoke ? 1 : 3;
        for (final String who : new String[] {"ours", "sqlite"}) {
            for (final boolean cold : dropCachesWorks && !smoke ? new boolean[] {false, true} : new boolean[] {false}) {
                final List<Map<String, Object>> list = new ArrayList<>();
                for (int i = 0; i < reps; i++) {
                    if (cold) {
                        dropCaches();
                    }
                    list.add(child(who, who.equals("ours") ? oursDir : db));
                }
                final Map<String, Object> m = new LinkedHashMap<>();
                for (final String k : list.get(0).keySet()) {
                    final double[] v = list.stream().mapToDouble(x -> ((Number) x.get(k)).doubleValue()).toArray();
                    m.put(k, median(v));
                }
                m.put("reps", reps);
                r.put(who + (cold ? "-cold" : "-warm"), m);
                log("    " + who + (cold ? " cold " : " warm ") + m);
            }
        }
        return r;
    }

    Map<String, Object> child(final String who, final Path path) throws Exception {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> cmd = new ArrayList<>(Arrays.asList(java, "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        if (System.getProperty("java.library.path") != null) {
            cmd.add("-Djava.library.path=" + System.getProperty("java.library.path"));
        }
        cmd.addAll(Arrays.asList(Benchmark.class.getName(), "--child-open", who, path.toString()));
        final Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final StringBuilder out = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.append(line);
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("child open of " + who + " failed: " + out);
        }
        @SuppressWarnings("unchecked")
        final Map<String, Object> m = new ObjectMapper().readValue(out.toString(), Map.class);
        return m;
    }

    /** In a fresh JVM: RSS and heap before and after opening the store (or SQLite database). */
    static void childOpen(final String who, final Path path) throws Exception {
        registerKinds();
        // Load the classes and the native library / driver first, so that the open is what is measured.
        if (who.equals("ours")) {
            final Path empty = Files.createTempDirectory("bench-empty");
            new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(empty)).close();
            deleteTree(empty);
        } else {
            Class.forName("org.sqlite.JDBC");
            final Path empty = Files.createTempFile("bench-empty", ".db");
            DriverManager.getConnection("jdbc:sqlite:" + empty).close();
            Files.deleteIfExists(empty);
        }
        System.gc();
        Thread.sleep(200);
        System.gc();
        final long rss0 = rssKb();
        final long heap0 = heapUsed();
        final long t0 = System.nanoTime();
        long count;
        if (who.equals("ours")) {
            final FilesystemEventStoreAdapter s = ours(path, "always");
            final long t1 = System.nanoTime();
            count = s.getTotalEventCount();
            emitChild(t0, t1, rss0, heap0, count);
            s.close();
        } else {
            final Connection c = sqlite(path, "FULL", false);
            final long t1 = System.nanoTime();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM events")) {
                rs.next();
                count = rs.getLong(1);
            }
            emitChild(t0, t1, rss0, heap0, count);
            c.close();
        }
    }

    static void emitChild(final long t0, final long t1, final long rss0, final long heap0, final long count)
        throws IOException {
        final long rss1 = rssKb();
        final long heapNoGc = heapUsed();
        System.gc();
        final long heap1 = heapUsed();
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("openMs", (t1 - t0) / 1e6);
        m.put("openPlusCountMs", (System.nanoTime() - t0) / 1e6);
        m.put("events", count);
        m.put("rssBeforeMB", rss0 / 1024.0);
        m.put("rssAfterMB", rss1 / 1024.0);
        m.put("rssDeltaMB", (rss1 - rss0) / 1024.0);
        m.put("heapBeforeMB", heap0 / 1048576.0);
        m.put("heapAfterMB", heap1 / 1048576.0);
        m.put("heapAfterNoGcMB", heapNoGc / 1048576.0);
        System.out.println(new ObjectMapper().writeValueAsString(m));
    }

    /** W1 (and W3 warm) again on the built store: does the store's size change the save latency? */
    Map<String, Object> w1OnStore(final Path oursDir, final Path db, final int aggregates) throws Exception {
        final int n = smoke ? 20 : 1000;
        log("  W1 on this store: " + n + " saves, ours always vs SQLite FULL");
        final Map<String, Object> r = new LinkedHashMap<>();
        final Random rnd = new Random(1);
        try (FilesystemEventStoreAdapter store = ours(oursDir, "always")) {
            final long[] lat = new long[n];
            for (int i = 0; i < n + 50; i++) { // 50 warm-up saves
                final String id = "agg-" + rnd.nextInt(aggregates);
                final long t0 = System.nanoTime();
                store.save(newEvent("bench", id, 0, "BenchEvent0", null, payload1k));
                if (i >= 50) {
                    lat[i - 50] = System.nanoTime() - t0;
                }
            }
            r.put("ours-always", percentiles(lat));
        }
        try (Connection c = sqlite(db, "FULL", true); PreparedStatement ps = c.prepareStatement(SQLITE_APPEND)) {
            final long[] lat = new long[n];
            for (int i = 0; i < n + 50; i++) { // 50 warm-up saves
                final String id = "agg-" + rnd.nextInt(aggregates);
                final long t0 = System.nanoTime();
                sqliteAppend(ps, newEvent("bench", id, 0, "BenchEvent0", null, payload1k));
                if (i >= 50) {
                    lat[i - 50] = System.nanoTime() - t0;
                }
            }
            r.put("sqlite-FULL", percentiles(lat));
        }
        log("    " + r);
        return r;
    }

    // ------------------------------------------------------------------------------------
    // W6: bytes on disk over payload bytes
    // ------------------------------------------------------------------------------------

    Map<String, Object> w6() throws Exception {
        log("W6: bytes on disk / payload bytes");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int[][] cases = smoke ? new int[][] {{KIB, 100}, {100 * KIB, 5}} : new int[][] {{KIB, 3_000}, {100 * KIB, 300}};
        for (final int[] cs : cases) {
            final int size = cs[0];
            final int count = cs[1];
            final String p = payload(size, 2);
            final long payloadBytes = (long) size * count;
            final Map<String, Object> forSize = new LinkedHashMap<>();
            final Path od = work.resolve("w6-ours-" + size);
            try (FilesystemEventStoreAdapter store = ours(od, "always")) {
                for (int i = 0; i < count; i++) {
                    store.save(newEvent("bench", "agg-" + (i % 100), 0, "BenchEvent0", null, p));
                }
            }
            forSize.put("ours", diskUsage(od, payloadBytes));
            final Path sd = work.resolve("w6-sqlite-" + size);
            Files.createDirectories(sd);
            try (Connection c = sqlite(sd.resolve("events.db"), "FULL", true); PreparedStatement ps = c.prepareStatement(SQLITE_APPEND)) {
                for (int i = 0; i < count; i++) {
                    sqliteAppend(ps, newEvent("bench", "agg-" + (i % 100), 0, "BenchEvent0", null, p));
                }
            }
            forSize.put("sqlite", diskUsage(sd, payloadBytes));
            forSize.put("events", count);
            forSize.put("payloadBytes", payloadBytes);
            r.put(size == KIB ? "1KiB" : "100KiB", forSize);
            log("  " + size + " B x " + count + ": " + forSize);
        }
        return r;
    }

    Map<String, Object> diskUsage(final Path dir, final long payloadBytes) throws Exception {
        final long[] acc = new long[3];
        Files.walkFileTree(dir, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult preVisitDirectory(final Path d, final BasicFileAttributes a) {
                acc[1] += (a.size() + 4095) / 4096 * 4096;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path f, final BasicFileAttributes a) {
                acc[0] += a.size();
                acc[1] += (a.size() + 4095) / 4096 * 4096;
                acc[2]++;
                return FileVisitResult.CONTINUE;
            }
        });
        final Process p = new ProcessBuilder("du", "-sk", dir.toString()).start();
        final String out;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            out = in.readLine();
        }
        p.waitFor();
        final long duBytes = Long.parseLong(out.split("\\s+")[0]) * 1024;
        return map("apparentBytes", acc[0], "blocks4KiBBytes", acc[1], "duSkBytes", duBytes, "files", acc[2],
            "apparentOverPayload", acc[0] / (double) payloadBytes, "blocksOverPayload", acc[1] / (double) payloadBytes,
            "duOverPayload", duBytes / (double) payloadBytes);
    }

}
