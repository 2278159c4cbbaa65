package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.CorruptEventDataException;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorruptDataTest {

    @TempDir
    Path dir;

    @Test
    void aConsistentStoreVerifiesClean() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", 1, null));
            assertThat(store.verify()).isEmpty();
        }
    }

    @Test
    void aDamagedEventFileIsReportedWithItsPath() throws Exception {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", 1, null));
        }
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(dir.resolve("filewatch"))) {
            files = walk.filter(p -> p.getFileName().toString().endsWith("-ClassFileChanged.json"))
                .collect(Collectors.toList());
        }
        assertThat(files).hasSize(1);
        Files.writeString(files.get(0), "{ this is not an event");

        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThatThrownBy(() -> store.getEventsForAggregate("filewatch", "a"))
                .isInstanceOfSatisfying(CorruptEventDataException.class,
                    e -> assertThat(e.getPath()).endsWith(files.get(0).getFileName().toString()));
            final List<String> problems = store.verify();
            assertThat(problems).hasSize(1);
            assertThat(problems.get(0)).contains(files.get(0).getFileName().toString());
        }
    }
}
