package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.Yaml;

/** Starts a test's second JVM: the same classpath and the native library this one loaded. */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * A process running {@code main} with {@code args}; the caller's JVM must have loaded the
     * library already (open a store first).
     */
    static ProcessBuilder command(final Class<?> main, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-D" + NativeLibraryLoader.LIBRARY_PROPERTY + "=" + NativeLibraryLoader.loadedFrom(),
            "-cp", classpath(main), main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    /**
     * A process running {@code main} with {@code args} after the JVM options given, that
     * finds the native library as a user's JVM does (extracted from the jar's resources, by
     * each class loader that loads the library), not through the test's override.
     */
    static ProcessBuilder extractingLibrary(final List<String> options, final Class<?> main, final String... args)
        throws Exception {
        final List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.addAll(List.of("-cp", classpath(main), main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    /**
     * Runs {@code command} to its end.
     * @param command the child's command (its error output merged into its output)
     * @return its exit status and the lines it printed
     */
    static Output run(final ProcessBuilder command) throws Exception {
        final Process child = command.start();
        final List<String> lines;
        try (BufferedReader output = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            lines = output.lines().collect(Collectors.toList());
        }
        return new Output(child.waitFor(), lines);
    }

    /** What a child printed, and how it ended. */
    static final class Output {
        /** The exit status. */
        final int status;
        /** The lines printed, error output included. */
        final List<String> lines;

        Output(final int status, final List<String> lines) {
            this.status = status;
            this.lines = lines;
        }
    }

    /** The test JVM's classpath, plus the jars and directories of what the child needs, wherever the runner put them. */
    private static String classpath(final Class<?> main) throws Exception {
        final Set<String> entries = new LinkedHashSet<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(entry);
        }
        for (final Class<?> type : new Class<?>[] {main, FilesystemEventStoreAdapter.class,
            ObjectMapper.class, JsonParser.class, JsonCreator.class, JavaTimeModule.class, Yaml.class}) {
            entries.add(Paths.get(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
