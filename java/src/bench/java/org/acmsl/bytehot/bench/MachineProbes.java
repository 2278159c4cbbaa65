package org.acmsl.bytehot.bench;

import static org.acmsl.bytehot.bench.SqliteBaseline.sqliteVersion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * What the benchmark learns of the machine and does to it: its description, the page cache
 * (sync, drop), memory use, a plain read of files as the disk's reference, and logging.
 */
final class MachineProbes {

    private MachineProbes() {
    }

    /** Threads of the plain read of an aggregate's files (W3 cold's disk reference). */
    static final int PLAIN_READERS = 16;

    /**
     * The disk's side of W3 cold: what a program that knows nothing of events pays to list
     * one aggregate's directory and read every file in it whole, {@link #PLAIN_READERS} at a
     * time, without parsing. Returns the number of files read.
     */
    static int readAllFiles(final ExecutorService readers, final Path dir) throws Exception {
        final List<Callable<Integer>> reads = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (final Path file : files) {
                reads.add(() -> Files.readAllBytes(file).length);
            }
        }
        int read = 0;
        for (final Future<Integer> f : readers.invokeAll(reads)) {
            if (f.get() > 0) {
                read++;
            }
        }
        return read;
    }

    static void sync() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    static boolean dropCaches() {
        try {
            sync();
            Files.write(Paths.get("/proc/sys/vm/drop_caches"), "3\n".getBytes(StandardCharsets.US_ASCII));
            return true;
        } catch (final IOException | InterruptedException | SecurityException e) {
            return false;
        }
    }

    static long rssKb() throws IOException {
        for (final String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static String readFirstLine(final String file) {
        try {
            return Files.readAllLines(Paths.get(file)).get(0).trim();
        } catch (final IOException e) {
            return "unreadable: " + e;
        }
    }

    static String command(final String... cmd) {
        try {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final StringBuilder sb = new StringBuilder();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    sb.append(sb.length() > 0 ? "\n" : "").append(l);
                }
            }
            p.waitFor();
            return sb.toString();
        } catch (final IOException | InterruptedException e) {
            return "failed: " + e;
        }
    }

    static Map<String, Object> machine(final Path work) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now(java.time.ZoneOffset.UTC).toString());
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("memTotal", readFirstLine("/proc/meminfo"));
        m.put("kernel", command("uname", "-srvm"));
        m.put("filesystem", command("df", "-T", work.toString()));
        m.put("cpu", command("sh", "-c", "grep -m1 'model name' /proc/cpuinfo"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("sqlite", sqliteVersion());
        m.put("loadavgStart", readFirstLine("/proc/loadavg"));
        return m;
    }

    static void deleteTree(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult visitFile(final Path f, final BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path d, final IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void log(final String s) {
        System.out.println("[" + Instant.now().toString().substring(11, 19) + "] " + s);
        System.out.flush();
    }
}
