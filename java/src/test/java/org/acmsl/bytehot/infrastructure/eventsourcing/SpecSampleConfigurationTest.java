package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The milestone spec's sample configuration ("Application Properties"), as printed, opens a
 * store and every key is honored: events land in segments of up to 1000, uncompressed; events
 * older than 365 days go at open, after a backup generation; another generation is taken at close.
 */
class SpecSampleConfigurationTest {

    @TempDir
    Path dir;

    private static VersionedDomainEvent changed(final String id, final Instant at) {
        return new ClassFileChanged(new EventMetadata(UUID.randomUUID().toString(), "filewatch", id, 0L, at, null,
            1, null, null, null), null, "com.acme.C", 1, null);
    }

    private static List<String> files(final Path directory) throws Exception {
        try (Stream<Path> list = Files.list(directory)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
                .collect(Collectors.toList());
        }
    }

    @Test
    void theSpecsSampleYamlOpensAStoreAndHonorsEveryKey() throws Exception {
        final Path store = dir.resolve("eventstore");
        final Instant old = Instant.now().minus(Duration.ofDays(400));
        // Two events older than a year and one of today, one file each (the default layout).
        try (FilesystemEventStoreAdapter adapter =
                 new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(store))) {
            adapter.save(changed("a", old));
            adapter.save(changed("a", old.plusSeconds(60)));
            adapter.save(changed("a", Instant.now()));
        }
        Files.writeString(dir.resolve("bytehot.yml"),
            ConfigurationFileTest.SPEC_SAMPLE.replace("\"./eventstore\"", "\"" + store + "\""));
        final EventStoreConfiguration sample = EventStoreConfiguration.load(new Properties(), dir);

        try (FilesystemEventStoreAdapter adapter = new FilesystemEventStoreAdapter(sample)) {
            // cleanup.max-age-days: the year-old events went at open; versions are kept.
            final List<VersionedDomainEvent> kept = adapter.getEventsForAggregate("filewatch", "a");
            assertThat(kept).extracting(VersionedDomainEvent::getAggregateVersion).containsExactly(3L);
            // max-events-per-file: new events are lines of a segment; compression-enabled: false.
            adapter.save(changed("b", Instant.now()));
            adapter.save(changed("b", Instant.now()));
            assertThat(files(store.resolve("filewatch").resolve("b"))).singleElement()
                .satisfies(name -> assertThat(name).endsWith(".jsonl"));
            // cleanup.max-total-size-mb: 1024 MiB is far off, so nothing more goes.
            assertThat(adapter.cleanup(true).getEventsRemoved()).isZero();
            assertThat(adapter.verify()).isEmpty();
        }
        // backup-enabled: a generation before the cleanup removed anything, and one at close,
        // beside the store by default.
        final Path backups = dir.resolve("eventstore-backups");
        final List<String> generations = files(backups);
        assertThat(generations).hasSize(2);
        final Path beforeCleanup = dir.resolve("before-cleanup");
        FilesystemEventStoreAdapter.restore(backups.resolve(generations.get(0)), beforeCleanup, false);
        try (FilesystemEventStoreAdapter adapter =
                 new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(beforeCleanup))) {
            assertThat(adapter.getEventsForAggregate("filewatch", "a")).hasSize(3);
        }
        final BackupResult atClose =
            FilesystemEventStoreAdapter.restore(backups.resolve(generations.get(1)), dir.resolve("at-close"), false);
        assertThat(atClose.getEvents()).isEqualTo(3);
        assertThat(Files.readString(store.resolve("metadata").resolve("cleanup.log")))
            .contains("\"throughVersion\":2").contains("cleanup.max-age-days");
    }
}
