package org.acmsl.bytehot.bench;

import static org.acmsl.bytehot.bench.Contenders.newEvent;
import static org.acmsl.bytehot.bench.Contenders.ours;
import static org.acmsl.bytehot.bench.Contenders.registerKinds;
import static org.acmsl.bytehot.bench.MachineProbes.log;
import static org.acmsl.bytehot.bench.SqliteBaseline.SQLITE_APPEND;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqlite;
import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteAppend;
import static org.acmsl.bytehot.bench.Stats.map;
import static org.acmsl.bytehot.bench.Stats.percentiles;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.acmsl.bytehot.domain.EventSubscription;
import org.acmsl.bytehot.domain.StreamFilter;
import org.acmsl.bytehot.domain.SubscriptionStart;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventSerializationSupport;
import org.acmsl.bytehot.infrastructure.eventsourcing.FilesystemEventStoreAdapter;

/**
 * W8 (issue 21): subscriptions. Save-to-delivery latency in one process and across two,
 * and catch-up throughput over a large store, beside what a Java user of SQLite would do
 * instead: poll {@code WHERE rowid > ?} with a short sleep when nothing is new.
 *
 * <p>Latency is delivery time minus the time just before the save call, both
 * {@link System#nanoTime()}: on Linux that is {@code CLOCK_MONOTONIC}, one clock for every
 * process of the machine, so a child JVM's delivery time and the parent's save time compare.
 * The writer pauses between saves so that latency is measured, not a queue.
 */
final class Subscriptions {

    /** Rows a SQLite poll asks for: the page the store's delivery thread asks for too. */
    static final int SQLITE_POLL_PAGE = 256;

    /** What a SQLite poller reads; the payload is deserialized like every SQLite read of the harness. */
    static final String SQLITE_POLL = "SELECT rowid, event_type, payload FROM events WHERE rowid > ? "
        + "ORDER BY rowid LIMIT ?";

    /** The name of the store's delivery threads (its CPU time is read by that name). */
    static final String DELIVERY_THREAD = "bytehot-eventstore-subscription-";

    /** A delivery's deadline: a latency test that loses an event fails instead of hanging. */
    static final long DELIVERY_TIMEOUT_SECONDS = 60;

    private final Path work;
    private final String payload1k;
    private final List<Layout> layouts;
    private final int saves;
    private final int warmup;
    private final long pauseMicros;
    private final long pollMillis;
    private final int catchUpPage;
    private final boolean smoke;

    Subscriptions(final Path work, final String payload1k, final List<Layout> layouts, final int saves,
        final int warmup, final long pauseMicros, final long pollMillis, final int catchUpPage, final boolean smoke) {
        this.work = work;
        this.payload1k = payload1k;
        this.layouts = layouts;
        this.saves = saves;
        this.warmup = warmup;
        this.pauseMicros = pauseMicros;
        this.pollMillis = pollMillis;
        this.catchUpPage = catchUpPage;
        this.smoke = smoke;
    }

    Map<String, Object> settings() {
        return map("saves", saves, "warmupSaves", warmup, "pauseBetweenSavesMicros", pauseMicros,
            "sqlitePollSleepMillis", pollMillis, "idleMillis", idleMillis(), "sqlitePollPage", SQLITE_POLL_PAGE, "catchUpPage", catchUpPage,
            "clock", "System.nanoTime (CLOCK_MONOTONIC on Linux: comparable across the machine's processes)");
    }

    // ------------------------------------------------------------------------------------
    // Save-to-delivery latency
    // ------------------------------------------------------------------------------------

    /** Where a delivery is reported: event id to the nanoTime it reached the consumer. */
    interface Sink {
        void save(VersionedDomainEvent e) throws Exception;
    }

    /** The contenders: ours always / none in each layout, SQLite FULL / NORMAL; each in process, then across processes. */
    Map<String, Object> latency() throws Exception {
        log("W8: save-to-delivery latency, " + warmup + " warm-up + " + saves + " saves, " + pauseMicros
            + " µs between saves; SQLite polled every " + pollMillis + " ms when idle");
        final Map<String, Object> r = new LinkedHashMap<>();
        final List<String> contenders = new ArrayList<>();
        for (final Layout l : layouts) {
            contenders.add("ours-always" + l.suffix());
            contenders.add("ours-none" + l.suffix());
        }
        contenders.add("sqlite-FULL");
        contenders.add("sqlite-NORMAL");
        // A child JVM takes 2-3 s to start here: the smoke starts one per kind of consumer
        // (ours always and none, in the first and last layouts; SQLite FULL and NORMAL).
        final List<String> crossContenders = !smoke ? contenders : java.util.Arrays.asList(
            "ours-always" + layouts.get(0).suffix(), "ours-none" + layouts.get(layouts.size() - 1).suffix(),
            "sqlite-FULL", "sqlite-NORMAL");
        for (final boolean cross : new boolean[] {false, true}) {
            final Map<String, Object> side = new LinkedHashMap<>();
            for (final String c : cross ? crossContenders : contenders) {
                final Map<String, Object> m = cross ? crossProcess(c) : inProcess(c);
                side.put(c, m);
                final Map<?, ?> lat = (Map<?, ?>) m.get("latency");
                final Map<?, ?> alone = (Map<?, ?>) m.get("saveCallWithoutConsumer");
                log(String.format(Locale.ROOT, "  %-13s %-20s p50 %7.3f  p99 %7.3f  max %7.3f ms; save p50 %.3f ms%s;"
                    + " consumer CPU %.1f ms/s%s", cross ? "cross-process" : "in process", c, lat.get("p50Ms"),
                    lat.get("p99Ms"), lat.get("maxMs"), ((Map<?, ?>) m.get("saveCall")).get("p50Ms"),
                    alone == null ? "" : String.format(Locale.ROOT, " (%.3f without consumer)", alone.get("p50Ms")),
                    m.get("consumerCpuMsPerSecond"), m.containsKey("idleConsumerCpuMsPerSecond")
                        ? String.format(Locale.ROOT, ", idle %.2f ms/s", m.get("idleConsumerCpuMsPerSecond")) : ""));
            }
            r.put(cross ? "crossProcess" : "inProcess", side);
        }
        return r;
    }

    private static String durabilityOf(final String contender) {
        final int at = contender.indexOf('@');
        return contender.substring(contender.indexOf('-') + 1, at < 0 ? contender.length() : at);
    }

    /** The consumer in this JVM: a subscription from now, or a SQLite poller thread. */
    Map<String, Object> inProcess(final String c) throws Exception {
        final Path dir = work.resolve("w8-in-" + c);
        Files.createDirectories(dir);
        final Map<String, Long> delivered = new ConcurrentHashMap<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        if (c.startsWith("ours-")) {
            try (FilesystemEventStoreAdapter store = ours(dir, durabilityOf(c), Layout.of(c, layouts))) {
                final Map<String, Object> alone = saveCalls(store::save);
                final long t0 = System.nanoTime();
                final Map<String, Object> m;
                final long cpu;
                try (EventSubscription sub = store.subscribe(SubscriptionStart.now(), StreamFilter.all(),
                    e -> delivered.put(e.getEventId(), System.nanoTime()), error::set)) {
                    final Thread delivery = deliveryThread();
                    m = measure(store::save, delivered, error);
                    cpu = ManagementFactory.getThreadMXBean().getThreadCpuTime(delivery.getId());
                    m.put("idleConsumerCpuMsPerSecond", idleCpu(delivery));
                    requireRunning(sub);
                }
                m.put("saveCallWithoutConsumer", alone);
                return withCpu(m, cpu, System.nanoTime() - t0);
            }
        }
        final String sync = c.substring("sqlite-".length());
        final Path db = dir.resolve("events.db");
        try (Connection w = sqlite(db, sync, true); PreparedStatement ps = w.prepareStatement(SQLITE_APPEND)) {
            final Map<String, Object> alone = saveCalls(e -> sqliteAppend(ps, e));
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong cpu = new AtomicLong();
            final CountDownLatch ready = new CountDownLatch(1);
            final Thread poller = new Thread(() -> {
                try (Connection rc = sqlite(db, sync, false)) {
                    poll(rc, ready, stop, (id, at) -> delivered.put(id, at));
                } catch (final Throwable e) {
                    error.set(e);
                    ready.countDown();
                } finally {
                    cpu.set(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                }
            }, "w8-sqlite-poller");
            final long t0 = System.nanoTime();
            poller.start();
            ready.await();
            final Map<String, Object> m = measure(e -> sqliteAppend(ps, e), delivered, error);
            final double idle = idleCpu(poller);
            stop.set(true);
            poller.join();
            m.put("saveCallWithoutConsumer", alone);
            // Measured before the end of the consumer's life, and counted in its total.
            m.put("idleConsumerCpuMsPerSecond", idle);
            return withCpu(m, cpu.get(), System.nanoTime() - t0);
        }
    }

    /** A delivered event: its id and the nanoTime it reached the consumer. */
    interface Delivery {
        void accept(String eventId, long nanoTime);
    }

    /**
     * What a Java user of SQLite does to follow new rows: from the greatest rowid when it
     * starts, select the rows after the last seen, deserialize each, and sleep
     * {@code pollMillis} only when a poll found nothing (a full page is followed at once).
     */
    void poll(final Connection c, final CountDownLatch ready, final AtomicBoolean stop, final Delivery delivery)
        throws Exception {
        long last;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT coalesce(max(rowid), 0) FROM events")) {
            rs.next();
            last = rs.getLong(1);
        }
        ready.countDown();
        try (PreparedStatement ps = c.prepareStatement(SQLITE_POLL)) {
            while (!stop.get()) {
                ps.setLong(1, last);
                ps.setInt(2, SQLITE_POLL_PAGE);
                int n = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        last = rs.getLong(1);
                        final VersionedDomainEvent e = EventSerializationSupport.fromJson(rs.getString(3), rs.getString(2));
                        delivery.accept(e.getEventId(), System.nanoTime());
                        n++;
                    }
                }
                if (n == 0) {
                    Thread.sleep(pollMillis);
                }
            }
        }
    }

    /**
     * The consumer's CPU while nothing is saved, per second ({@link #idleMillis} after the
     * last delivery): a SQLite poller keeps querying, a subscription waits on inotify (and
     * wakes once per poll timeout, 200 ms).
     */
    double idleCpu(final Thread consumer) throws InterruptedException {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final long c0 = mx.getThreadCpuTime(consumer.getId());
        final long t0 = System.nanoTime();
        Thread.sleep(idleMillis());
        return (mx.getThreadCpuTime(consumer.getId()) - c0) / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    private long idleMillis() {
        return smoke ? 200 : 2000;
    }

    static void requireRunning(final EventSubscription sub) {
        if (!sub.isRunning()) {
            throw new IllegalStateException("W8: subscription " + sub + " stopped");
        }
    }

    /** The delivery thread of the one subscription running in this JVM (found by its name). */
    static Thread deliveryThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(DELIVERY_THREAD))
            .findFirst().orElseThrow(() -> new IllegalStateException("no subscription delivery thread"));
    }

    static Map<String, Object> withCpu(final Map<String, Object> m, final long cpuNanos, final long wallNanos) {
        // Busy polling costs CPU while idle; a subscription waiting on inotify costs none.
        m.put("consumerCpuMs", cpuNanos / 1e6);
        m.put("consumerWallSeconds", wallNanos / 1e9);
        m.put("consumerCpuMsPerSecond", cpuNanos / 1e6 / (wallNanos / 1e9));
        return m;
    }

    /**
     * Saves {@code warmup} then {@code saves} events one at a time with a pause between
     * them, the time before each save call kept by event id; waits until the consumer has
     * reported every timed event; latency = delivery - save start.
     */
    Map<String, Object> measure(final Sink sink, final Map<String, Long> delivered,
        final AtomicReference<Throwable> error) throws Exception {
        final String[] ids = new String[saves];
        final long[] start = new long[saves];
        final long[] call = new long[saves];
        final long[] end = new long[saves];
        for (int i = 0; i < warmup + saves; i++) {
            final VersionedDomainEvent e = newEvent("bench", "agg-" + (i % 100), 0, "BenchEvent0", null, payload1k);
            final long t0 = System.nanoTime();
            sink.save(e);
            final long t1 = System.nanoTime();
            if (i >= warmup) {
                ids[i - warmup] = e.getEventId();
                start[i - warmup] = t0;
                call[i - warmup] = t1 - t0;
                end[i - warmup] = t1;
            }
            pause();
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DELIVERY_TIMEOUT_SECONDS);
        for (final String id : ids) {
            while (!delivered.containsKey(id)) {
                if (error.get() != null) {
                    throw new IllegalStateException("W8 consumer failed", error.get());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("W8: event " + id + " not delivered within "
                        + DELIVERY_TIMEOUT_SECONDS + " s (" + delivered.size() + " delivered)");
                }
                Thread.sleep(1);
            }
        }
        final long[] lat = new long[saves];
        final long[] afterReturn = new long[saves];
        for (int i = 0; i < saves; i++) {
            lat[i] = delivered.get(ids[i]) - start[i];
            afterReturn[i] = delivered.get(ids[i]) - end[i];
        }
        // Latency includes the save call; how long after the save returned the consumer had
        // the event is kept apart (negative: delivered before the save call returned).
        return map("latency", percentiles(lat), "saveCall", percentiles(call), "afterSaveReturned",
            percentiles(afterReturn));
    }

    /**
     * The same paced saves with no consumer running (before it starts, into the same store
     * or database): what the consumer costs the writer, in the same minute.
     */
    Map<String, Object> saveCalls(final Sink sink) throws Exception {
        final long[] call = new long[saves];
        for (int i = 0; i < warmup + saves; i++) {
            final VersionedDomainEvent e = newEvent("bench", "agg-" + (i % 100), 0, "BenchEvent0", null, payload1k);
            final long t0 = System.nanoTime();
            sink.save(e);
            if (i >= warmup) {
                call[i - warmup] = System.nanoTime() - t0;
            }
            pause();
        }
        return percentiles(call);
    }

    private void pause() throws InterruptedException {
        final long until = System.nanoTime() + pauseMicros * 1000;
        // Thread.sleep of 1 ms sleeps ~1.1 ms here; what matters is a gap, not its exact length.
        Thread.sleep(pauseMicros / 1000, (int) (pauseMicros % 1000) * 1000);
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    /**
     * The consumer in a child JVM, which prints {@code <eventId> <nanoTime>} per delivery;
     * the writer (a store opened here, or a SQLite connection) is this JVM.
     */
    Map<String, Object> crossProcess(final String c) throws Exception {
        final Path dir = work.resolve("w8-cross-" + c);
        Files.createDirectories(dir);
        final boolean isOurs = c.startsWith("ours-");
        final Path target = isOurs ? dir : dir.resolve("events.db");
        final Map<String, Long> delivered = new ConcurrentHashMap<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final AtomicReference<String> summary = new AtomicReference<>();
        final CountDownLatch ready = new CountDownLatch(1);
        // SQLite: the writer creates the schema before the poller starts.
        final Connection w = isOurs ? null : sqlite(target, c.substring("sqlite-".length()), true);
        final FilesystemEventStoreAdapter store = isOurs ? ours(dir, durabilityOf(c), Layout.of(c, layouts)) : null;
        final Process child = Benchmark.childCommand("--child-subscribe", c, target.toString(),
            Integer.toString(warmup + saves), Long.toString(pollMillis)).start();
        final Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.equals("ready")) {
                        ready.countDown();
                    } else if (line.startsWith("cpu ")) {
                        summary.set(line);
                    } else {
                        final int sp = line.indexOf(' ');
                        delivered.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
                    }
                }
            } catch (final Throwable e) {
                error.set(e);
            }
            ready.countDown();
        }, "w8-child-reader");
        reader.start();
        try {
            ready.await();
            if (!child.isAlive() && child.exitValue() != 0) {
                throw new IllegalStateException("W8 child for " + c + " failed to start (exit " + child.exitValue() + ")");
            }
            final Map<String, Object> m;
            if (isOurs) {
                m = measure(store::save, delivered, error);
            } else {
                try (PreparedStatement ps = w.prepareStatement(SQLITE_APPEND)) {
                    m = measure(e -> sqliteAppend(ps, e), delivered, error);
                }
            }
            if (!child.waitFor(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS) || child.exitValue() != 0) {
                child.destroyForcibly();
                throw new IllegalStateException("W8 child for " + c + " did not end well");
            }
            reader.join();
            final String[] cpu = summary.get().split(" ");
            return withCpu(m, Long.parseLong(cpu[1]), Long.parseLong(cpu[2]));
        } finally {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
            if (store != null) {
                store.close();
            }
            if (w != null) {
                w.close();
            }
        }
    }

    /**
     * In a child JVM: follows {@code path} (a store, or a SQLite database when {@code who}
     * starts with {@code sqlite-}) from now, prints {@code ready}, then {@code <eventId>
     * <nanoTime>} per event, and after {@code expected} events {@code cpu <consumer thread CPU
     * ns> <wall ns>}.
     */
    static void childSubscribe(final String who, final Path path, final int expected, final long pollMillis)
        throws Exception {
        registerKinds();
        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        final CountDownLatch done = new CountDownLatch(expected);
        final Delivery print = (id, at) -> {
            out.print(id + " " + at + "\n");
            out.flush();
            done.countDown();
        };
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (who.startsWith("ours-")) {
            final int at = who.indexOf('@');
            final Layout layout = Layout.parseList(at < 0 ? Layout.DEFAULT : who.substring(at + 1)).get(0);
            final AtomicReference<Throwable> error = new AtomicReference<>();
            try (FilesystemEventStoreAdapter store = ours(path, durabilityOf(who), layout)) {
                final long t0 = System.nanoTime();
                try (EventSubscription sub = store.subscribe(SubscriptionStart.now(), StreamFilter.all(),
                    e -> print.accept(e.getEventId(), System.nanoTime()), e -> {
                        error.set(e);
                        while (done.getCount() > 0) {
                            done.countDown();
                        }
                    })) {
                    final Thread delivery = deliveryThread();
                    out.print("ready\n");
                    out.flush();
                    done.await();
                    if (error.get() != null) {
                        throw new IllegalStateException("subscription failed", error.get());
                    }
                    requireRunning(sub);
                    out.print("cpu " + mx.getThreadCpuTime(delivery.getId()) + " " + (System.nanoTime() - t0) + "\n");
                    out.flush();
                }
            }
            return;
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final AtomicLong cpu = new AtomicLong();
        final CountDownLatch ready = new CountDownLatch(1);
        final Subscriptions poller = new Subscriptions(null, null, null, 0, 0, 0, pollMillis, 0, false);
        final long t0 = System.nanoTime();
        final Thread t = new Thread(() -> {
            try (Connection c = sqlite(path, who.substring("sqlite-".length()), false)) {
                poller.poll(c, ready, stop, print);
            } catch (final Throwable e) {
                error.set(e);
                ready.countDown();
                while (done.getCount() > 0) {
                    done.countDown();
                }
            } finally {
                cpu.set(mx.getCurrentThreadCpuTime());
            }
        }, "w8-sqlite-poller");
        t.start();
        ready.await();
        out.print("ready\n");
        out.flush();
        done.await();
        final long wall = System.nanoTime() - t0;
        stop.set(true);
        t.join();
        if (error.get() != null) {
            throw new IllegalStateException("poller failed", error.get());
        }
        out.print("cpu " + cpu.get() + " " + wall + "\n");
        out.flush();
    }

    // ------------------------------------------------------------------------------------
    // Catch-up throughput over a large store
    // ------------------------------------------------------------------------------------

    /**
     * Reads every event of each layout's store and of the SQLite database, in order: ours by
     * {@code readAll} pages and by a subscription from the beginning, SQLite by pages of
     * {@code WHERE rowid > ?}, each event deserialized. Each side is read once first (the
     * page cache and the JIT warmed; timed and kept as {@code firstPass}), then timed again.
     */
    Map<String, Object> catchUp(final Map<Layout, Path> ours, final Path db, final long events) throws Exception {
        log("  W8: catch-up over " + events + " events (readAll pages of " + catchUpPage + ", a subscription from the"
            + " beginning, SQLite rowid pages of " + catchUpPage + "), warm page cache");
        final Map<String, Object> r = new LinkedHashMap<>();
        for (final Map.Entry<Layout, Path> e : ours.entrySet()) {
            try (FilesystemEventStoreAdapter store = ours(e.getValue(), "always", e.getKey())) {
                Stats.check((int) store.getLastPosition(), (int) events, "W8 last position");
                final Map<String, Object> first = readAllPass(store, events);
                final Map<String, Object> warm = readAllPass(store, events);
                final Map<String, Object> sub = subscriptionPass(store, events);
                r.put("ours-readAll" + e.getKey().suffix(), withFirst(warm, first));
                r.put("ours-subscription" + e.getKey().suffix(), sub);
                log(String.format(Locale.ROOT, "    layout %-6s readAll %,.0f events/s (first pass %,.0f); subscription"
                    + " %,.0f events/s", e.getKey(), warm.get("eventsPerSecond"), first.get("eventsPerSecond"),
                    sub.get("eventsPerSecond")));
            }
        }
        try (Connection c = sqlite(db, "FULL", false)) {
            final Map<String, Object> first = sqlitePass(c, events);
            final Map<String, Object> warm = sqlitePass(c, events);
            r.put("sqlite-rowid", withFirst(warm, first));
            log(String.format(Locale.ROOT, "    SQLite rowid pages %,.0f events/s (first pass %,.0f)",
                warm.get("eventsPerSecond"), first.get("eventsPerSecond")));
        }
        r.put("events", events);
        r.put("page", catchUpPage);
        r.put("pageCache", "warm: each side read once before the timed pass");
        return r;
    }

    private static Map<String, Object> withFirst(final Map<String, Object> warm, final Map<String, Object> first) {
        warm.put("firstPass", first);
        return warm;
    }

    private static Map<String, Object> rate(final long n, final long nanos) {
        return map("events", n, "seconds", nanos / 1e9, "eventsPerSecond", n / (nanos / 1e9));
    }

    Map<String, Object> readAllPass(final FilesystemEventStoreAdapter store, final long events) {
        final long t0 = System.nanoTime();
        long n = 0;
        long next = 1;
        for (List<VersionedDomainEvent> page = store.readAll(next, catchUpPage); !page.isEmpty();
             page = store.readAll(next, catchUpPage)) {
            n += page.size();
            next = page.get(page.size() - 1).getStreamPosition() + 1;
        }
        final long took = System.nanoTime() - t0;
        Stats.check((int) n, (int) events, "W8 readAll");
        return rate(n, took);
    }

    Map<String, Object> subscriptionPass(final FilesystemEventStoreAdapter store, final long events) throws Exception {
        final AtomicLong n = new AtomicLong();
        final AtomicLong lastAt = new AtomicLong();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final CountDownLatch all = new CountDownLatch(1);
        final long t0 = System.nanoTime();
        try (EventSubscription sub = store.subscribe(SubscriptionStart.beginning(), StreamFilter.all(), e -> {
            if (n.incrementAndGet() == events) {
                lastAt.set(System.nanoTime());
                all.countDown();
            }
        }, e -> {
            error.set(e);
            all.countDown();
        })) {
            // Generous: the slowest layout reads a file per event.
            if (!all.await(30, TimeUnit.MINUTES) || error.get() != null) {
                throw new IllegalStateException("W8 subscription catch-up: " + n.get() + " of " + events, error.get());
            }
            requireRunning(sub);
        }
        return rate(n.get(), lastAt.get() - t0);
    }

    Map<String, Object> sqlitePass(final Connection c, final long events) throws SQLException {
        final long t0 = System.nanoTime();
        long n = 0;
        long last = 0;
        try (PreparedStatement ps = c.prepareStatement(SQLITE_POLL)) {
            while (true) {
                ps.setLong(1, last);
                ps.setInt(2, catchUpPage);
                int got = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        last = rs.getLong(1);
                        EventSerializationSupport.fromJson(rs.getString(3), rs.getString(2));
                        got++;
                    }
                }
                if (got == 0) {
                    break;
                }
                n += got;
            }
        }
        final long took = System.nanoTime() - t0;
        Stats.check((int) n, (int) events, "W8 SQLite catch-up");
        return rate(n, took);
    }
}
