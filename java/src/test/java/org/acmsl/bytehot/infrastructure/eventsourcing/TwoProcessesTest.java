package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TwoProcessesTest {

    private static final int EACH = 300;

    @TempDir
    Path dir;

    @Test
    void twoJvmsWritingTheSameAggregateLoseNothing() throws Exception {
        // Open first so that the library is loaded and its location known to pass to the child.
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final Process child = new ProcessBuilder(javaExecutable(),
                "-D" + NativeLibraryLoader.LIBRARY_PROPERTY + "=" + NativeLibraryLoader.loadedFrom(),
                "-cp", classpath(), ConcurrentWriterMain.class.getName(), dir.toString(), "shared", Integer.toString(EACH))
                .redirectErrorStream(true)
                .start();
            final BufferedReader output = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            final List<String> lines = new ArrayList<>();
            String line = output.readLine();
            lines.add(line);
            // Start writing only once the child is writing too, so the two really overlap.
            for (int i = 0; i < EACH; i++) {
                store.save(new ClassFileChanged(EventMetadata.forNewAggregate("hotswap", "shared"), null, "parent-" + i, i,
                    null));
            }
            while ((line = output.readLine()) != null) {
                lines.add(line);
            }
            assertThat(child.waitFor()).as(String.join("\n", lines)).isZero();
            assertThat(lines).containsExactly("ready", "done");
        }

        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final List<VersionedDomainEvent> events = store.getEventsForAggregate("hotswap", "shared");
            assertThat(events).hasSize(2 * EACH);
            assertThat(events).extracting(VersionedDomainEvent::getAggregateVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 2 * EACH).boxed().collect(Collectors.toList()));
            for (int i = 1; i < events.size(); i++) {
                assertThat(events.get(i).getPreviousEventId()).isEqualTo(events.get(i - 1).getEventId());
            }
            final List<String> names = events.stream().map(e -> ((ClassFileChanged) e).getClassName())
                .collect(Collectors.toList());
            assertThat(names.stream().filter(n -> n.startsWith("child-"))).hasSize(EACH);
            assertThat(names.stream().filter(n -> n.startsWith("parent-"))).hasSize(EACH);
        }
    }

    private static String javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The test JVM's classpath, plus the jars and directories of what the child needs, wherever the runner put them. */
    private static String classpath() throws Exception {
        final Set<String> entries = new LinkedHashSet<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(entry);
        }
        for (final Class<?> type : new Class<?>[] {ConcurrentWriterMain.class, FilesystemEventStoreAdapter.class,
            ObjectMapper.class, JsonParser.class, JsonCreator.class, JavaTimeModule.class}) {
            entries.add(Paths.get(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
