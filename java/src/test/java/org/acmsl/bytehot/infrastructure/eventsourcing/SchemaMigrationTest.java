package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.EventSchemaVersion;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema migration (issue 22): stored events rewritten to the schema their class declares,
 * after a backup and recorded; a declared version the upcasters cannot reach refused on read
 * and by the migration alike; saves stamped with the declared version.
 */
class SchemaMigrationTest {

    @TempDir
    Path dir;

    /** Version 1 of a temperature event: a text with its unit. */
    public static final class TemperatureReadV1 extends AbstractVersionedDomainEvent {
        private final String reading;

        public TemperatureReadV1(final EventMetadata metadata, final String reading) {
            super(metadata);
            this.reading = reading;
        }

        public String getReading() {
            return reading;
        }

        @Override
        public String getEventType() {
            return "TemperatureRead";
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("reading", reading);
        }
    }

    /** Version 3, the current class: tenths of a degree Celsius and the sensor. */
    @EventSchemaVersion(3)
    public static final class TemperatureRead extends AbstractVersionedDomainEvent {
        private final long deciCelsius;
        private final String sensor;

        public TemperatureRead(final EventMetadata metadata, final long deciCelsius, final String sensor) {
            super(metadata);
            this.deciCelsius = deciCelsius;
            this.sensor = sensor;
        }

        public long getDeciCelsius() {
            return deciCelsius;
        }

        public String getSensor() {
            return sensor;
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("deciCelsius", deciCelsius, "sensor", sensor);
        }
    }

    private static EventMetadata metadata(final String aggregate, final int schemaVersion) {
        return new EventMetadata(UUID.randomUUID().toString(), "sensor", aggregate, 0L, Instant.now(), null,
            schemaVersion, null, null, null);
    }

    private FilesystemEventStoreAdapter open() {
        return new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(dir.resolve("store")));
    }

    @AfterEach
    void forget() {
        EventSerializationSupport.clearCache();
    }

    private void storeVersionOne() {
        try (FilesystemEventStoreAdapter store = open()) {
            store.save(new TemperatureReadV1(metadata("s1", 1), "21.5 C"));
            store.save(new TemperatureReadV1(metadata("s1", 1), "22.0 C"));
            store.save(new TemperatureReadV1(metadata("s2", 1), "-3.5 C"));
        }
        EventSerializationSupport.clearCache();
    }

    /** The current class and the chain 1 -> 2 (a number) -> 3 (tenths, a sensor). */
    private static void registerCurrent(final boolean withSecondStep) {
        EventSerializationSupport.registerEventType("TemperatureRead", TemperatureRead.class);
        EventSerializationSupport.registerUpcaster("TemperatureRead", 1, data -> {
            final String reading = data.remove("reading").asText();
            return data.put("celsius", reading.substring(0, reading.indexOf(' ')));
        });
        if (withSecondStep) {
            EventSerializationSupport.registerUpcaster("TemperatureRead", 2, data -> {
                final BigDecimal celsius = new BigDecimal(data.remove("celsius").asText());
                return data.put("deciCelsius", celsius.movePointRight(1).longValueExact()).put("sensor", "unknown");
            });
        }
    }

    private String storedFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("store").resolve("sensor"))) {
            return files.filter(p -> p.toString().endsWith(".json")).map(p -> {
                try {
                    return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
                } catch (final IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.joining("\n"));
        }
    }

    @Test
    void migrationRewritesStoredEventsToTheDeclaredSchemaAfterABackupAndRecordsIt() throws IOException {
        storeVersionOne();
        registerCurrent(true);
        final SchemaMigrationResult result;
        try (FilesystemEventStoreAdapter store = open()) {
            result = store.migrateSchemas(dir.resolve("before-migration"));
            assertThat(result.getEventsExamined()).isEqualTo(3);
            assertThat(result.getEventsRewritten()).isEqualTo(3);
            assertThat(result.getFilesRewritten()).isEqualTo(3);
            assertThat(result.getEventTypes()).containsExactly(Map.entry("TemperatureRead", 3));
            assertThat(result.getBackup().getEvents()).isEqualTo(3);
            assertThat(store.migrateSchemas(dir.resolve("second")).getEventsRewritten()).isZero();
        }
        // The files hold the new schema; the backup the old one.
        assertThat(storedFiles()).contains("\"deciCelsius\"").doesNotContain("\"reading\"")
            .contains("\"schemaVersion\": 3");
        try (Stream<Path> backup = Files.walk(dir.resolve("before-migration"))) {
            assertThat(backup.filter(p -> p.toString().endsWith(".json")).map(p -> {
                try {
                    return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
                } catch (final IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.joining())).contains("21.5 C");
        }
        final String record = new String(Files.readAllBytes(
            dir.resolve("store").resolve("metadata").resolve("event-schema-versions.json")), StandardCharsets.UTF_8);
        assertThat(record).contains("\"migrations\"").contains(result.getFinishedAt())
            .contains(dir.resolve("before-migration").toAbsolutePath().toString());
        // Without any upcaster, the current class reads every event now.
        EventSerializationSupport.clearCache();
        EventSerializationSupport.registerEventType("TemperatureRead", TemperatureRead.class);
        try (FilesystemEventStoreAdapter store = open()) {
            final List<VersionedDomainEvent> s1 = store.getEventsForAggregate("sensor", "s1");
            assertThat(s1.stream().map(e -> ((TemperatureRead) e).getDeciCelsius())).containsExactly(215L, 220L);
            assertThat(store.getEventsByType("TemperatureRead")).hasSize(3).allMatch(e -> e.getSchemaVersion() == 3);
            assertThat(store.verify()).isEmpty();
        }
    }

    @Test
    void aDeclaredVersionTheUpcastersCannotReachIsRefusedOnReadAndByTheMigration() throws IOException {
        storeVersionOne();
        registerCurrent(false);
        final String before = storedFiles();
        try (FilesystemEventStoreAdapter store = open()) {
            assertThatThrownBy(() -> store.getEventsForAggregate("sensor", "s1"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("declares schema version 3")
                .hasMessageContaining("upcaster of TemperatureRead from version 2");
            assertThatThrownBy(() -> store.migrateSchemas(dir.resolve("backup")))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("upcaster of TemperatureRead from version 2");
        }
        assertThat(storedFiles()).isEqualTo(before);
    }

    @Test
    void aSaveStampsTheDeclaredSchemaVersionAndRefusesAnother() {
        EventSerializationSupport.registerEventType("TemperatureRead", TemperatureRead.class);
        try (FilesystemEventStoreAdapter store = open()) {
            final VersionedDomainEvent saved = store.saveAndReturn(new TemperatureRead(metadata("s3", 1), 190L, "roof"));
            assertThat(saved.getSchemaVersion()).isEqualTo(3);
            assertThatThrownBy(() -> store.save(new TemperatureRead(metadata("s3", 2), 200L, "roof")))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("declares schema version 3");
            assertThat(store.getEventsForAggregate("sensor", "s3")).hasSize(1);
        }
    }
}
