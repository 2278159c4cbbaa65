package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
            final Process child = ChildJvm.command(
                ConcurrentWriterMain.class, dir.toString(), "shared", Integer.toString(EACH)).start();
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
}
