package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventStoreConfigurationTest {

    @TempDir
    Path dir;

    @Test
    void defaultsSendNothingAndNameTheDefaultPath() {
        assertThat(EventStoreConfiguration.defaults().getSettings()).isEmpty();
        assertThat(EventStoreConfiguration.defaults().getPath()).isEqualTo("./eventstore");
        assertThat(EventStoreConfiguration.load(new Properties())).isEqualTo(EventStoreConfiguration.defaults());
    }

    @Test
    void withersSetTheDocumentedKeys() {
        final EventStoreConfiguration configuration = EventStoreConfiguration.defaults()
            .withPath(dir).withDurability("none").withMaxEventSizeBytes(1024).withMaxEventsPerFile(1)
            .withCompressionEnabled(false).withCompressionMinBytes(8192).withBackupEnabled(false)
            .withCleanupMaxAgeDays(365).withCleanupMaxTotalSizeMb(1024).withBatchIntervalMs(50).withEventCacheBytes(0);

        assertThat(configuration.getSettings()).containsExactly(
            Map.entry("path", dir.toString()), Map.entry("durability", "none"), Map.entry("max-event-size-bytes", "1024"),
            Map.entry("max-events-per-file", "1"), Map.entry("compression-enabled", "false"),
            Map.entry("compression-min-bytes", "8192"), Map.entry("backup-enabled", "false"), Map.entry("cleanup.max-age-days", "365"),
            Map.entry("cleanup.max-total-size-mb", "1024"), Map.entry("batch-interval-ms", "50"),
            Map.entry("event-cache-bytes", "0"));
        assertThat(configuration.with("durability", null).getSettings()).doesNotContainKey("durability");
        assertThat(configuration.with("path", null).getPath()).isEqualTo("./eventstore");
        assertThat(configuration.toString()).contains("durability=none");
        assertThat(configuration).isEqualTo(configuration.withDurability("none"))
            .hasSameHashCodeAs(configuration.withDurability("none"))
            .isNotEqualTo(configuration.withDurability("always")).isNotEqualTo("x");
        assertThatThrownBy(() -> configuration.with(null, "x")).hasMessageContaining("key");
        assertThatThrownBy(() -> configuration.withPath((String) null)).hasMessageContaining("path");
        assertThatThrownBy(() -> configuration.withPath((Path) null)).hasMessageContaining("path");
    }

    @Test
    void systemPropertiesOverrideTheFileWhichOverridesDefaults() throws Exception {
        final Path file = dir.resolve("eventstore.properties");
        Files.writeString(file, "bytehot.eventstore.path=/from/file\nbytehot.eventstore.durability=none\n"
            + "unrelated.key=1\n");
        final Properties system = new Properties();
        system.setProperty("bytehot.eventstore.config", file.toString());
        system.setProperty("bytehot.eventstore.path", " /from/system ");
        system.setProperty("bytehot.eventstore.library", "/opt/lib.so");
        // The loader's extraction directory: a property of the loader, not of the store.
        system.setProperty("bytehot.eventstore.tmpdir", "/var/tmp");
        system.setProperty("bytehot", "short");

        final EventStoreConfiguration configuration = EventStoreConfiguration.load(system);

        assertThat(configuration.getSettings()).containsOnly(
            Map.entry("path", "/from/system"), Map.entry("durability", "none"));
    }

    @Test
    void aMissingNamedConfigurationFileIsAnError() {
        final Properties system = new Properties();
        system.setProperty("bytehot.eventstore.config", dir.resolve("absent.properties").toString());

        assertThatThrownBy(() -> EventStoreConfiguration.load(system))
            .isInstanceOf(EventStoreConfigurationException.class).hasMessageContaining("absent.properties");
    }

    @Test
    void theNoArgumentAdapterReadsSystemProperties() {
        final String previous = System.getProperty("bytehot.eventstore.path");
        System.setProperty("bytehot.eventstore.path", dir.resolve("from-property").toString());
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter()) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", 1, null));
            assertThat(store.getBasePath()).isEqualTo(dir.resolve("from-property"));
            assertThat(Files.isDirectory(dir.resolve("from-property").resolve("filewatch"))).isTrue();
        } finally {
            if (previous == null) {
                System.clearProperty("bytehot.eventstore.path");
            } else {
                System.setProperty("bytehot.eventstore.path", previous);
            }
        }
    }

    @Test
    void theStoreRejectsSettingsItCannotUse() {
        final EventStoreConfiguration base = EventStoreConfiguration.defaults().withPath(dir);
        // Zero events per file and a negative size are values no store could use.
        for (final EventStoreConfiguration rejected : new EventStoreConfiguration[] {
            base.withMaxEventsPerFile(0), base.withCompressionMinBytes(-1), base.with("backup.keep", "0"),
            base.withCleanupMaxAgeDays(0), base.withCleanupMaxTotalSizeMb(0), base.withDurability("sometimes"),
            base.with("no-such-setting", "1")}) {
            assertThatThrownBy(() -> new FilesystemEventStoreAdapter(rejected))
                .as(rejected.toString())
                .isInstanceOf(EventStoreConfigurationException.class);
        }
        assertThatThrownBy(() -> new FilesystemEventStoreAdapter(base.withPath("bad\uD800path")))
            .isInstanceOf(EventStoreConfigurationException.class).hasMessageContaining("configuration.path");
    }

    @Test
    void theStoreAcceptsTheSettingsItImplements() throws Exception {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults()
            .withPath(dir).withDurability("none").withMaxEventSizeBytes(4096).withMaxEventsPerFile(1)
            .withCompressionEnabled(false).withBackupEnabled(false))) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", 1, null));
            assertThatThrownBy(() -> store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"),
                null, "x".repeat(8192), 1, null)))
                .isInstanceOf(InvalidEventException.class);
            assertThat(store.getTotalEventCount()).isEqualTo(1);
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults()
            .withPath(dir).withDurability("batch").withBatchIntervalMs(5))) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", 2, null));
            assertThat(store.getTotalEventCount()).isEqualTo(2);
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults()
            .withPath(dir).withCompressionEnabled(true).withCompressionMinBytes(100))) {
            final VersionedDomainEvent big = store.saveAndReturn(new ClassFileChanged(
                EventMetadata.forNewAggregate("filewatch", "b"), null, "y".repeat(1000), 3, null));
            assertThat(store.getEventsForAggregate("filewatch", "b")).containsExactly(big);
        }
        try (Stream<Path> files = Files.list(dir.resolve("filewatch").resolve("b"))) {
            assertThat(files.map(file -> file.getFileName().toString()).filter(name -> !name.startsWith(".")))
                .singleElement().asString().endsWith(".json.zst");
        }
    }
}
