package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files as ByteHot's adapter left them. An aggregate (Jackson's pretty printer, version 1 on every
 * event of a session) reads at the versions its files' places give them, and
 * {@link FilesystemEventStoreAdapter#rewriteLegacyVersions} makes the files agree.
 */
class LegacyVersionsTest {

    @TempDir
    Path dir;

    private void writeAsByteHotDid(final Path folder, final String name, final String eventId, final String at)
        throws Exception {
        writeAsByteHotDid(folder, name, eventId, at, null);
    }

    private void writeAsByteHotDid(final Path folder, final String name, final String eventId, final String at,
        final String classFile) throws Exception {
        ByteHotAdapterFiles.write(folder, name, eventId, "Foo.class", at, classFile);
    }

    @Test
    void versionsRepeatedByByteHotReadInFileOrderAndARewriteFixesTheFiles() throws Exception {
        final Path folder = dir.resolve("filewatch").resolve("Foo.class");
        writeAsByteHotDid(folder, "20250617120000000-ClassFileChanged.json", "a", "2025-06-17T12:00:00Z");
        writeAsByteHotDid(folder, "20250617120100000-ClassFileChanged.json", "b", "2025-06-17T12:01:00Z");
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final List<VersionedDomainEvent> events = store.getEventsForAggregate("filewatch", "Foo.class");
            assertThat(events.stream().map(VersionedDomainEvent::getAggregateVersion).collect(Collectors.toList()))
                .containsExactly(1L, 2L);
            assertThat(store.verify()).singleElement().asString().contains("legacy anomaly");
            assertThat(store.rewriteLegacyVersions("filewatch", "Foo.class")).isEqualTo(1L);
            assertThat(store.verify()).isEmpty();
            assertThat(store.getEventsByType("ClassFileChanged").stream()
                .map(VersionedDomainEvent::getAggregateVersion).collect(Collectors.toList()))
                .containsExactly(1L, 2L);
        }
    }

    @Test
    void aPathByteHotsJacksonWroteAsAFileUriReadsBackAsThatPath() throws Exception {
        final Path folder = dir.resolve("filewatch").resolve("Foo.class");
        writeAsByteHotDid(folder, "20250617120000000-ClassFileChanged.json", "a", "2025-06-17T12:00:00Z",
            "file:///app/target/classes/com/acme/Foo.class");
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final ClassFileChanged event =
                (ClassFileChanged) store.getEventsForAggregate("filewatch", "Foo.class").get(0);
            assertThat(event.getClassFile()).isEqualTo(Paths.get("/app/target/classes/com/acme/Foo.class"));
        }
    }
}
