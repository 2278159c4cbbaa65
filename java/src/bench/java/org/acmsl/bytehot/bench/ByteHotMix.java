package org.acmsl.bytehot.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.bench.Benchmark.EventSink;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.ClassFileProcessed;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapRequested;

/**
 * W6's "realistic ByteHot mix" (issue 18: compression on catalog events carrying class-file
 * bytecode): what ByteHot stores when it hot-swaps a class, with real class files. Each of
 * {@code classes} classes is changed {@code changes} times, the classes taking turns; a
 * change is three catalog events, built as ByteHot's factories build them:
 * {@link ClassFileChanged} (aggregate {@code filewatch/<class file path>}),
 * {@link HotSwapRequested} carrying the new class file in {@code newBytecode} (aggregate
 * {@code hotswap/<class name>-request}; the JSON holds the bytes base64-encoded, as Jackson
 * writes a {@code byte[]}; {@code originalBytecode} is empty, as in
 * {@link HotSwapRequested#fromFileChange}, since only a running JVM knows it) and
 * {@link ClassFileProcessed} (the file-watch aggregate again).
 *
 * <p>The bytes are the class files on the harness's class path (this project's own classes
 * first, then those in its dependencies' jars), a different one for each change, in class
 * path order: successive versions of one class share most of their bytes, so a segment of
 * one class's hot swaps would compress better than this; taking a different real class file
 * each time keeps the measure on the safe side.
 */
final class ByteHotMix {

    private final List<String> names = new ArrayList<>();
    private final List<byte[]> pool = new ArrayList<>();
    private final int classes;
    private final int changes;

    ByteHotMix(final int classes, final int changes) throws IOException {
        this.classes = classes;
        this.changes = changes;
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            final Path p = Paths.get(entry);
            if (Files.isDirectory(p)) {
                final List<Path> files;
                try (Stream<Path> all = Files.walk(p)) {
                    files = all.filter(f -> isClass(f.toString())).sorted().collect(Collectors.toList());
                }
                for (final Path f : files) {
                    add(p.relativize(f).toString(), Files.readAllBytes(f));
                }
            } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    final List<JarEntry> entries = new ArrayList<>();
                    for (final Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                        entries.add(e.nextElement());
                    }
                    Collections.sort(entries, (a, b) -> a.getName().compareTo(b.getName()));
                    for (final JarEntry e : entries) {
                        if (isClass(e.getName())) {
                            try (InputStream in = jar.getInputStream(e)) {
                                add(e.getName(), in.readAllBytes());
                            }
                        }
                    }
                }
            }
        }
        if (pool.size() < classes) {
            throw new IllegalStateException("W6 mix: " + pool.size() + " class files on the class path, " + classes + " needed");
        }
    }

    private static boolean isClass(final String name) {
        return name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF");
    }

    private void add(final String file, final byte[] bytes) {
        names.add(file.substring(0, file.length() - ".class".length()).replace('/', '.').replace('\\', '.'));
        pool.add(bytes);
    }

    int poolSize() {
        return pool.size();
    }

    /** The id of class j's hot-swap aggregate, which holds one event per change. */
    String requestAggregate(final int j) {
        return className(j) + "-request";
    }

    private String className(final int j) {
        return names.get(j * changes % pool.size());
    }

    /**
     * Saves the mix's events into {@code sink}, in the order ByteHot would: round after round,
     * each class changes once. Returns the class-file bytes carried: the mix's payload.
     */
    long writeTo(final EventSink sink) throws Exception {
        long payload = 0;
        final String[] lastFileEvent = new String[classes];
        final String[] lastRequest = new String[classes];
        for (int k = 0; k < changes; k++) {
            for (int j = 0; j < classes; j++) {
                // Class j keeps its name (its aggregates); its k-th version's bytes are class file j*changes+k.
                final String className = className(j);
                final Path classFile = Paths.get("/app/target/classes", className.replace('.', '/') + ".class");
                final byte[] bytes = pool.get((j * changes + k) % pool.size());
                final ClassFileChanged change = ClassFileChanged.forExistingSession(classFile, className, bytes.length,
                    Instant.now(), lastFileEvent[j], 2L * k);
                sink.save(change);
                final HotSwapRequested request = new HotSwapRequested(
                    EventMetadata.withCorrelation(HotSwapRequested.AGGREGATE_TYPE, className + "-request", lastRequest[j],
                        k, "system", change.getEventId()),
                    classFile, className, new byte[0], bytes, "File change detected in session: bench", Instant.now(),
                    change.getEventId());
                sink.save(request);
                final ClassFileProcessed processed = ClassFileProcessed.fromFileChange(change);
                sink.save(processed);
                lastFileEvent[j] = processed.getEventId();
                lastRequest[j] = request.getEventId();
                payload += bytes.length;
            }
        }
        return payload;
    }
}
