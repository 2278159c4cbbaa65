package org.acmsl.bytehot.bench;

import org.acmsl.bytehot.bench.Contenders.Saver;
import static org.acmsl.bytehot.bench.Contenders.config;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.infrastructure.eventsourcing.CompactionResult;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventStoreConfiguration;
import org.acmsl.bytehot.infrastructure.eventsourcing.FilesystemEventStoreAdapter;

/**
 * Issue 4's benchmark: this store (each durability, in each layout of issue 18), SQLite (WAL,
 * synchronous FULL and NORMAL) and the disk's own fsync limit, on the same workloads in the
 * same run. Plain Java, no JMH.
 *
 * <p>Usage: {@code Benchmark [--smoke] [--out FILE] [--work DIR] [--layouts 1,1000,1000z,1e]
 * [--runs N] [--w1-saves N] [--w2-seconds S] [--large N] [--w7-stores N,N]
 * [--w6-mix-changes N] [--w8-saves N] [--w8-warmup N] [--w8-pause-us N] [--w8-poll-ms N]
 * [--w8-page N] [--only W1,W2,...]}
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
    final List<Layout> layouts;
    final int mixChanges;
    final String payload1k;
    final Subscriptions w8;
    /** W8's catch-up over the large store, measured by {@link #storeSuite}. */
    Map<String, Object> w8CatchUp;
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
        // The smoke adds 10z: at its tiny scale no aggregate fills a segment of 1,000, and a
        // full segment is what gets compressed and read back decompressed; and 1e, encrypted.
        layouts = Layout.parseList(opts.getOrDefault("layouts", smoke ? "1,1000,1000z,10z,1e" : "1,1000,1000z"));
        // W6's ByteHot mix: each class changed this often, so that its hot-swap aggregate
        // holds this many events (its file-watch aggregate twice as many): segments of up to
        // this N fill up and are sealed (compressed).
        mixChanges = Integer.parseInt(opts.getOrDefault("w6-mix-changes", smoke ? "20" : "1000"));
        payload1k = payload(KIB, 1);
        // W8: saves one at a time with a pause (1 ms) so that the latency is a delivery's, not
        // a queue's; SQLite's poller sleeps 1 ms after a poll that found nothing.
        w8 = new Subscriptions(work, payload1k, layouts,
            Integer.parseInt(opts.getOrDefault("w8-saves", smoke ? "100" : "2000")),
            Integer.parseInt(opts.getOrDefault("w8-warmup", smoke ? "20" : "200")),
            Long.parseLong(opts.getOrDefault("w8-pause-us", "1000")),
            Long.parseLong(opts.getOrDefault("w8-poll-ms", "1")),
            Integer.parseInt(opts.getOrDefault("w8-page", "1000")), smoke);
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child-open")) {
            childOpen(args[1], Paths.get(args[2]));
            return;
        }
        if (args.length > 0 && args[0].equals("--child-subscribe")) {
            Subscriptions.childSubscribe(args[1], Paths.get(args[2]), Integer.parseInt(args[3]), Long.parseLong(args[4]));
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
        if (enabled("W3") || enabled("W4") || enabled("W5") || enabled("W7") || enabled("W8")) {
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
        if (enabled("W8")) {
            final Map<String, Object> w8r = new LinkedHashMap<>();
            w8r.put("latency", w8.latency());
            w8r.put("catchUp", w8CatchUp);
            results.put("W8", w8r);
        }
        ((Map<String, Object>) results.get("machine")).put("loadavgEnd", readFirstLine("/proc/loadavg"));
        results.put("elapsedSeconds", (System.nanoTime() - start) / 1e9);
        // Written before the trees are deleted: deleting a million files takes minutes, and
        // a run stopped (or failing) then keeps its results.
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        log("wrote " + out + " in " + String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9) + " s");
        deleteTree(work);
        log("deleted " + work + "; " + String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9) + " s in all");
    }

    Map<String, Object> settings() {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("smoke", smoke);
        s.put("layouts", layouts.stream().map(l -> l.label).collect(Collectors.toList()));
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
        s.put("w6MixClasses", MIX_CLASSES);
        s.put("w6MixChanges", mixChanges);
        s.put("batchIntervalMs", "store default (50)");
        s.put("dropCachesWorks", dropCachesWorks);
        s.put("w8", w8.settings());
        return s;
    }

    Saver openSaver(final String name, final Path dir, final int threads) throws Exception {
        return Contenders.openSaver(name, dir, threads, payload1k, layouts);
    }

    // ------------------------------------------------------------------------------------
    // W1: single-thread save latency
    // ------------------------------------------------------------------------------------

    Map<String, Object> w1() throws Exception {
        log("W1: single-thread save latency, " + w1Warmup + " warm-up + " + w1Saves + " saves, " + runs + " run(s)");
        final Map<String, List<Map<String, Object>>> perRun = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            // Contenders interleaved run by run, so that a noisy minute hits all of them.
            for (final String c : writeContenders(layouts)) {
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
            for (final String c : writeContenders(layouts)) {
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
    // W3, W4, W5, W7 on a store of N events (N/100 aggregates of 100 events), one per layout
    // ------------------------------------------------------------------------------------

    Map<String, Object> storeSuite(final int events, final boolean withW5) throws Exception {
        final int aggregates = events / EVENTS_PER_AGGREGATE;
        final Map<String, Object> suite = new LinkedHashMap<>();
        final Map<Layout, Path> ours = new LinkedHashMap<>();
        final Path sqliteDir = work.resolve("store-" + events + "-sqlite");
        Files.createDirectories(sqliteDir);
        final Path db = sqliteDir.resolve("events.db");
        final Map<String, Object> builds = new LinkedHashMap<>();

        for (final Layout l : layouts) {
            final Path dir = work.resolve("store-" + events + "-ours-" + l.label);
            log("store of " + events + " events, layout " + l + ": building (durability none, saveAll of "
                + EVENTS_PER_AGGREGATE + ")");
            final long t0 = System.nanoTime();
            try (FilesystemEventStoreAdapter store = ours(dir, "none", l)) {
                for (int a = 0; a < aggregates; a++) {
                    final List<VersionedDomainEvent> batch = new ArrayList<>(EVENTS_PER_AGGREGATE);
                    for (int v = 0; v < EVENTS_PER_AGGREGATE; v++) {
                        batch.add(largeStoreEvent(a, v, events));
                    }
                    store.saveAll(batch);
                }
            }
            builds.put("ours-none-saveAll" + l.suffix(), (System.nanoTime() - t0) / 1e9);
            ours.put(l, dir);
            log(String.format(Locale.ROOT, "  built: %.1f s", builds.get("ours-none-saveAll" + l.suffix())));
        }
        final long t0 = System.nanoTime();
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
        builds.put("sqlite-NORMAL-batched", (System.nanoTime() - t0) / 1e9);
        suite.put("buildSeconds", builds);
        log(String.format(Locale.ROOT, "  built SQLite: %.1f s", builds.get("sqlite-NORMAL-batched")));
        // The builds (and W2 before the first store) leave dirty pages that the kernel
        // writes back over the next half minute: written now, they do not compete with
        // the reads measured next.
        final long s0 = System.nanoTime();
        sync();
        suite.put("syncAfterBuildSeconds", (System.nanoTime() - s0) / 1e9);

        // W8's catch-up reads the large store first, while the build left it in the page
        // cache and before W3 drops that cache (and before W1 on the store adds events).
        if (enabled("W8") && events == largeEvents) {
            w8CatchUp = w8.catchUp(ours, db, events);
        }

        if (enabled("W3")) {
            suite.put("W3", w3(ours, db, aggregates));
        }
        if (enabled("W4")) {
            suite.put("W4", w4(ours, db, aggregates));
        }
        if (withW5) {
            suite.put("W5", w5(ours, db));
        }
        if (enabled("W7") || enabled("W1")) {
            suite.put("W1onStore", w1OnStore(ours, db, aggregates));
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

    Map<String, Object> w3(final Map<Layout, Path> ours, final Path db, final int aggregates) throws Exception {
        log("  W3: reconstruct a 100-event aggregate (with deserialization)");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int warmReps = smoke ? 10 : 200;
        final int coldReps = smoke ? 2 : 5;
        final Random rnd = new Random(3);
        final String warmId = "agg-" + (aggregates / 2);
        for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
            final String sfx = e.getKey().suffix();
            final EventStoreConfiguration c = config(e.getValue(), "always", e.getKey());
            r.put("ours-warm" + sfx, oursWarmReads(c, warmId, warmReps));
            // The same reads with the event cache off (event-cache-bytes 0): the files come
            // from the page cache and are parsed on every read. What the cache is worth.
            r.put("ours-warm-nocache" + sfx, oursWarmReads(c.withEventCacheBytes(0), warmId, warmReps));
        }
        try (Connection c = sqlite(db, "FULL", false); PreparedStatement ps = c.prepareStatement(SQLITE_AGGREGATE)) {
            final long[] lat = new long[warmReps];
            for (int i = 0; i < 20; i++) {
                sqliteAggregate(ps, warmId);
            }
            for (int i = 0; i < warmReps; i++) {
                final long t0 = System.nanoTime();
                final List<VersionedDomainEvent> l = sqliteAggregate(ps, warmId);
                lat[i] = System.nanoTime() - t0;
                check(l.size(), EVENTS_PER_AGGREGATE, "SQLite W3");
            }
            r.put("sqlite-warm", percentiles(lat));
        }
        // cold: page cache dropped (when possible) and a freshly opened store / new connection;
        // each repetition reads one random aggregate in every layout, SQLite and plain.
        final Map<Layout, long[]> oursOpen = new LinkedHashMap<>();
        final Map<Layout, long[]> oursRead = new LinkedHashMap<>();
        final Map<Layout, long[]> filesRead = new LinkedHashMap<>();
        for (final Layout l : ours.keySet()) {
            oursOpen.put(l, new long[coldReps]);
            oursRead.put(l, new long[coldReps]);
            filesRead.put(l, new long[coldReps]);
        }
        final long[] sqlOpen = new long[coldReps];
        final long[] sqlRead = new long[coldReps];
        final ExecutorService readers = Executors.newFixedThreadPool(PLAIN_READERS);
        for (int i = 0; i < coldReps; i++) {
            final String id = "agg-" + rnd.nextInt(aggregates);
            for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
                dropCaches();
                long t0 = System.nanoTime();
                try (FilesystemEventStoreAdapter store = ours(e.getValue(), "always", e.getKey())) {
                    oursOpen.get(e.getKey())[i] = System.nanoTime() - t0;
                    t0 = System.nanoTime();
                    check(store.getEventsForAggregate("bench", id).size(), EVENTS_PER_AGGREGATE, "ours W3 cold");
                    oursRead.get(e.getKey())[i] = System.nanoTime() - t0;
                }
            }
            dropCaches();
            long t0 = System.nanoTime();
            try (Connection c = sqlite(db, "FULL", false); PreparedStatement ps = c.prepareStatement(SQLITE_AGGREGATE)) {
                sqlOpen[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                check(sqliteAggregate(ps, id).size(), EVENTS_PER_AGGREGATE, "SQLite W3 cold");
                sqlRead[i] = System.nanoTime() - t0;
            }
            for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
                final Layout l = e.getKey();
                dropCaches();
                t0 = System.nanoTime();
                // One file per event also has its .ids (an aggregate of over 16 files); segments have
                // none; an encrypted aggregate has its wrapped key (.key).
                check(readAllFiles(readers, e.getValue().resolve("bench").resolve(id)),
                    l.filesFor(EVENTS_PER_AGGREGATE) + (l.eventsPerFile == 1 ? 1 : 0) + (l.encrypted ? 1 : 0),
                    "plain read W3 cold " + l);
                filesRead.get(l)[i] = System.nanoTime() - t0;
            }
        }
        readers.shutdown();
        for (final Layout l : ours.keySet()) {
            r.put("ours-cold" + l.suffix(), map("readMedianMs", medianMs(oursRead.get(l)), "openMedianMs",
                medianMs(oursOpen.get(l)), "reps", coldReps, "pageCacheDropped", dropCachesWorks));
            r.put("files-cold" + l.suffix(), map("readMedianMs", medianMs(filesRead.get(l)), "reps", coldReps,
                "threads", PLAIN_READERS, "pageCacheDropped", dropCachesWorks));
        }
        r.put("sqlite-cold", map("readMedianMs", medianMs(sqlRead), "openMedianMs", medianMs(sqlOpen),
            "reps", coldReps, "pageCacheDropped", dropCachesWorks));
        for (final Layout l : ours.keySet()) {
            log(String.format(Locale.ROOT, "    layout %-6s warm p50 %.3f ms (cache off %.3f); cold read median %.3f ms,"
                + " plain read of its files %.3f ms", l,
                ((Map<?, ?>) r.get("ours-warm" + l.suffix())).get("p50Ms"),
                ((Map<?, ?>) r.get("ours-warm-nocache" + l.suffix())).get("p50Ms"),
                medianMs(oursRead.get(l)), medianMs(filesRead.get(l))));
        }
        log(String.format(Locale.ROOT, "    SQLite warm p50 %.3f ms, cold read median %.3f ms",
            ((Map<?, ?>) r.get("sqlite-warm")).get("p50Ms"), medianMs(sqlRead)));
        return r;
    }

    /** Percentiles of {@code reps} reads of one aggregate from an open store, after 20 warm-up reads. */
    static Map<String, Object> oursWarmReads(final EventStoreConfiguration c, final String id, final int reps) {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(c)) {
            final long[] lat = new long[reps];
            for (int i = 0; i < 20; i++) {
                check(store.getEventsForAggregate("bench", id).size(), EVENTS_PER_AGGREGATE, "ours W3 warm-up");
            }
            for (int i = 0; i < reps; i++) {
                final long t0 = System.nanoTime();
                final List<VersionedDomainEvent> l = store.getEventsForAggregate("bench", id);
                lat[i] = System.nanoTime() - t0;
                check(l.size(), EVENTS_PER_AGGREGATE, "ours W3");
            }
            return percentiles(lat);
        }
    }

    Map<String, Object> w4(final Map<Layout, Path> ours, final Path db, final int aggregates) throws Exception {
        log("  W4: by-type and by-time queries");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int reps = smoke ? 1 : 3;
        final int total = aggregates * EVENTS_PER_AGGREGATE;
        final int types = typesFor(total);
        final Instant from = BASE_TIME.plusMillis(total / 2);
        final Instant to = from.plusMillis(999);
        for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
            try (FilesystemEventStoreAdapter store = ours(e.getValue(), "always", e.getKey())) {
                final long[] byType = new long[reps];
                final long[] byTime = new long[reps];
                int nType = 0;
                int nTime = 0;
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
                r.put("ours" + e.getKey().suffix(), map("byTypeMedianMs", medianMs(byType), "byTypeResults", nType,
                    "byTimeMedianMs", medianMs(byTime), "byTimeResults", nTime, "reps", reps));
            }
        }
        try (Connection c = sqlite(db, "FULL", false);
             PreparedStatement pt = c.prepareStatement(SQLITE_BY_TYPE);
             PreparedStatement pb = c.prepareStatement(SQLITE_BY_TIME)) {
            final long[] byType = new long[reps];
            final long[] byTime = new long[reps];
            int nType = 0;
            int nTime = 0;
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

    Map<String, Object> w5(final Map<Layout, Path> ours, final Path db) throws Exception {
        log("  W5: open time and memory (child JVM per open)");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int reps = smoke ? 1 : 3;
        final Map<String, Path> contenders = new LinkedHashMap<>();
        for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
            contenders.put("ours" + e.getKey().suffix(), e.getValue());
        }
        contenders.put("sqlite", db);
        for (final Map.Entry<String, Path> who : contenders.entrySet()) {
            for (final boolean cold : dropCachesWorks && !smoke ? new boolean[] {false, true} : new boolean[] {false}) {
                final List<Map<String, Object>> list = new ArrayList<>();
                for (int i = 0; i < reps; i++) {
                    if (cold) {
                        dropCaches();
                    }
                    list.add(child(who.getKey(), who.getValue()));
                }
                final Map<String, Object> m = new LinkedHashMap<>();
                for (final String k : list.get(0).keySet()) {
                    final double[] v = list.stream().mapToDouble(x -> ((Number) x.get(k)).doubleValue()).toArray();
                    m.put(k, median(v));
                }
                m.put("reps", reps);
                // ours-warm@1000: the mode before the layout, as every other result name.
                final int at = who.getKey().indexOf('@');
                final String name = at < 0 ? who.getKey() + (cold ? "-cold" : "-warm")
                    : who.getKey().substring(0, at) + (cold ? "-cold" : "-warm") + who.getKey().substring(at);
                r.put(name, m);
                log("    " + name + " " + m);
            }
        }
        return r;
    }

    /** A child JVM running this class with {@code args} (the same class path and library path); its errors go to ours. */
    static ProcessBuilder childCommand(final String... args) {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> cmd = new ArrayList<>(Arrays.asList(java, "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        if (System.getProperty("java.library.path") != null) {
            cmd.add("-Djava.library.path=" + System.getProperty("java.library.path"));
        }
        cmd.add(Benchmark.class.getName());
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    Map<String, Object> child(final String who, final Path path) throws Exception {
        final Process p = childCommand("--child-open", who, path.toString()).start();
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

    /**
     * In a fresh JVM: RSS and heap before and after opening the store (or SQLite database).
     * {@code who} is {@code sqlite} or {@code ours}, with its layout after an {@code @}.
     */
    static void childOpen(final String who, final Path path) throws Exception {
        registerKinds();
        final boolean isOurs = who.startsWith("ours");
        // Load the classes and the native library / driver first, so that the open is what is measured.
        if (isOurs) {
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
        if (isOurs) {
            final int at = who.indexOf('@');
            final Layout layout = Layout.parseList(at < 0 ? Layout.DEFAULT : who.substring(at + 1)).get(0);
            final FilesystemEventStoreAdapter s = ours(path, "always", layout);
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

    /** W1 again on the built store: does the store's size change the save latency? */
    Map<String, Object> w1OnStore(final Map<Layout, Path> ours, final Path db, final int aggregates) throws Exception {
        final int n = smoke ? 20 : 1000;
        log("  W1 on this store: " + n + " saves, ours always (each layout) vs SQLite FULL");
        final Map<String, Object> r = new LinkedHashMap<>();
        for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
            // Every contender saves into the same sequence of aggregates.
            final Random rnd = new Random(1);
            try (FilesystemEventStoreAdapter store = ours(e.getValue(), "always", e.getKey())) {
                final long[] lat = new long[n];
                for (int i = 0; i < n + 50; i++) { // 50 warm-up saves
                    final String id = "agg-" + rnd.nextInt(aggregates);
                    final long t0 = System.nanoTime();
                    store.save(newEvent("bench", id, 0, "BenchEvent0", null, payload1k));
                    if (i >= 50) {
                        lat[i - 50] = System.nanoTime() - t0;
                    }
                }
                r.put("ours-always" + e.getKey().suffix(), percentiles(lat));
            }
        }
        final Random rnd = new Random(1);
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

    /** Where a W6 case's events go: a store's or SQLite's save. */
    interface EventSink {
        void save(VersionedDomainEvent e) throws Exception;
    }

    /** A W6 case: writes its events into a sink, returns the payload bytes they carry. */
    interface Events {
        long writeTo(EventSink sink) throws Exception;
    }

    /** Measures reads of a W6 case's closed tree in one layout. */
    interface ReadBack {
        Map<String, Object> measure(Layout layout, Path dir) throws Exception;
    }

    Map<String, Object> w6() throws Exception {
        log("W6: bytes on disk / payload bytes");
        final Map<String, Object> r = new LinkedHashMap<>();
        final int[][] cases = smoke ? new int[][] {{KIB, 100}, {100 * KIB, 5}} : new int[][] {{KIB, 3_000}, {100 * KIB, 300}};
        for (final int[] cs : cases) {
            final int size = cs[0];
            final int count = cs[1];
            final String p = payload(size, 2);
            final String key = size == KIB ? "1KiB" : "100KiB";
            r.put(key, w6Case(key, sink -> {
                for (int i = 0; i < count; i++) {
                    sink.save(newEvent("bench", "agg-" + (i % 100), 0, "BenchEvent0", null, p));
                }
                return (long) size * count;
            }, null));
        }
        final ByteHotMix mix = new ByteHotMix(MIX_CLASSES, mixChanges);
        final Map<String, Object> m = w6Case("bytehot-mix", mix::writeTo,
            (l, dir) -> readAggregate(l, dir, HotSwapRequested.AGGREGATE_TYPE, mix.requestAggregate(0), mixChanges));
        m.put("classFilesInPool", mix.poolSize());
        m.put("classes", MIX_CLASSES);
        m.put("changesPerClass", mixChanges);
        r.put("bytehot-mix", m);
        return r;
    }

    /** Classes of W6's ByteHot mix that are changed again and again (each its own aggregates). */
    static final int MIX_CLASSES = 4;

    /**
     * One W6 case in every layout and in SQLite FULL (durability always; sizes after close).
     * Where the run has one file per event and a segment layout, the one-file-per-event tree
     * is then compacted into the last segment layout ({@code ours-compacted@1000z}): what
     * moving an existing store over costs, and gives.
     */
    Map<String, Object> w6Case(final String name, final Events events, final ReadBack readBack) throws Exception {
        final Map<String, Object> forCase = new LinkedHashMap<>();
        long payloadBytes = 0;
        final long[] count = new long[1];
        for (final Layout l : layouts) {
            final Path od = work.resolve("w6-" + name + "-ours-" + l.label);
            count[0] = 0;
            final long t0 = System.nanoTime();
            try (FilesystemEventStoreAdapter store = ours(od, "always", l)) {
                payloadBytes = events.writeTo(e -> {
                    store.save(e);
                    count[0]++;
                });
            }
            final Map<String, Object> u = diskUsage(od, payloadBytes);
            // Making the events (the mix's base64 included) is timed too, alike for every contender.
            u.put("writeSeconds", (System.nanoTime() - t0) / 1e9);
            if (readBack != null) {
                u.put("readBack", readBack.measure(l, od));
            }
            forCase.put("ours" + l.suffix(), u);
        }
        final Path sd = work.resolve("w6-" + name + "-sqlite");
        Files.createDirectories(sd);
        final long t0 = System.nanoTime();
        try (Connection c = sqlite(sd.resolve("events.db"), "FULL", true); PreparedStatement ps = c.prepareStatement(SQLITE_APPEND)) {
            events.writeTo(e -> sqliteAppend(ps, e));
        }
        final Map<String, Object> sq = diskUsage(sd, payloadBytes);
        sq.put("writeSeconds", (System.nanoTime() - t0) / 1e9);
        forCase.put("sqlite", sq);
        final Layout single = layouts.stream().filter(l -> l.label.equals(Layout.DEFAULT)).findFirst().orElse(null);
        final Layout target = layouts.stream().filter(l -> l.eventsPerFile > 1).reduce((a, b) -> b).orElse(null);
        if (single != null && target != null) {
            final Path od = work.resolve("w6-" + name + "-ours-" + single.label);
            final long c0 = System.nanoTime();
            final CompactionResult done;
            try (FilesystemEventStoreAdapter store = ours(od, "always", target)) {
                done = store.compact();
            }
            final Map<String, Object> compacted = diskUsage(od, payloadBytes);
            compacted.put("compactSeconds", (System.nanoTime() - c0) / 1e9);
            compacted.put("filesMerged", done.getFilesMerged());
            compacted.put("segmentsWritten", done.getSegmentsWritten());
            compacted.put("segmentsCompressed", done.getSegmentsCompressed());
            forCase.put("ours-compacted" + target.suffix(), compacted);
        }
        forCase.put("events", count[0]);
        forCase.put("payloadBytes", payloadBytes);
        for (final Map.Entry<String, Object> e : forCase.entrySet()) {
            if (e.getValue() instanceof Map) {
                final Map<?, ?> u = (Map<?, ?>) e.getValue();
                log(String.format(Locale.ROOT, "  %s %-24s du %.2fx payload, apparent %.2fx, %s files%s%s%s", name, e.getKey(),
                    u.get("duOverPayload"), u.get("apparentOverPayload"), u.get("files"),
                    u.containsKey("writeSeconds") ? String.format(Locale.ROOT, ", written in %.2f s", u.get("writeSeconds")) : "",
                    u.containsKey("compactSeconds") ? String.format(Locale.ROOT, ", compact took %.2f s", u.get("compactSeconds")) : "",
                    u.containsKey("readBack") ? ", read back " + u.get("readBack") : ""));
            }
        }
        return forCase;
    }

    /**
     * One aggregate of a closed W6 tree read back: cold (page cache dropped, fresh open; the
     * read alone is timed) and from the page cache with the event cache off (median of 5
     * after one read), so that every read parses (and decompresses) its files again.
     */
    Map<String, Object> readAggregate(final Layout l, final Path dir, final String type, final String id,
        final int events) throws Exception {
        dropCaches();
        final EventStoreConfiguration c = config(dir, "always", l);
        final long cold;
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(c)) {
            final long t0 = System.nanoTime();
            check(store.getEventsForAggregate(type, id).size(), events, "W6 read back cold");
            cold = System.nanoTime() - t0;
        }
        final long[] warm = new long[5];
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(c.withEventCacheBytes(0))) {
            check(store.getEventsForAggregate(type, id).size(), events, "W6 read back");
            for (int i = 0; i < warm.length; i++) {
                final long t0 = System.nanoTime();
                check(store.getEventsForAggregate(type, id).size(), events, "W6 read back");
                warm[i] = System.nanoTime() - t0;
            }
        }
        return map("aggregate", type + "/" + id, "events", events, "coldMs", cold / 1e6,
            "warmNoCacheMedianMs", medianMs(warm), "pageCacheDropped", dropCachesWorks);
    }

    /**
     * What a tree occupies on disk after its store was closed: {@code du -B1} (blocks
     * allocated, directories included) and its apparent size, with the store's {@code .journal}
     * directory left out. An open store's journal holds space made ahead of need (1 MiB at
     * first) and is deleted at close; it is the cost of an open store, not of its events.
     */
    static Map<String, Object> diskUsage(final Path dir, final long payloadBytes) throws Exception {
        final long allocated = duBytes(dir, "-s");
        final long apparent = duBytes(dir, "-s", "--apparent-size");
        // Where the bytes are: per entry of the base directory (the type directories, .index, metadata).
        final Map<String, Object> byEntry = new LinkedHashMap<>();
        for (final String line : du(dir, "--all", "--max-depth=1")) {
            final String[] f = line.split("\t", 2);
            final Path p = Paths.get(f[1]);
            if (!p.equals(dir)) {
                byEntry.put(p.getFileName().toString(), Long.parseLong(f[0]));
            }
        }
        final long files;
        try (Stream<Path> all = Files.walk(dir)) {
            files = all.filter(f -> !dir.relativize(f).startsWith(".journal")).filter(Files::isRegularFile).count();
        }
        return map("duBytes", allocated, "apparentBytes", apparent, "files", files, "duByEntry", byEntry,
            "duOverPayload", allocated / (double) payloadBytes, "apparentOverPayload", apparent / (double) payloadBytes);
    }

    static long duBytes(final Path dir, final String... options) throws Exception {
        final List<String> lines = du(dir, options);
        return Long.parseLong(lines.get(lines.size() - 1).split("\t")[0]);
    }

    static List<String> du(final Path dir, final String... options) throws Exception {
        final List<String> cmd = new ArrayList<>(Arrays.asList("du", "-B1", "--exclude=.journal"));
        cmd.addAll(Arrays.asList(options));
        cmd.add(dir.toString());
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
        }
        if (p.waitFor() != 0 || lines.isEmpty()) {
            throw new IllegalStateException(cmd + " failed: " + lines);
        }
        return lines;
    }

}
