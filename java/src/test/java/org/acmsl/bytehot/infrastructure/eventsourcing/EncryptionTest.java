package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.CorruptEventDataException;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.ForgottenEvent;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encryption at rest through the Java API (issue 23): every catalog event round-trips with its
 * data sealed on disk, a wrong key fails the open, a tampered file is a
 * {@link CorruptEventDataException}, a forgotten aggregate reads as {@link ForgottenEvent}s, an
 * export needs to be asked for plaintext.
 */
class EncryptionTest {

    @TempDir
    Path dir;

    private static byte[] newKey() {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private Path keyFile(final String name, final byte[] key) throws IOException {
        final StringBuilder hex = new StringBuilder();
        for (final byte b : key) {
            hex.append(String.format("%02x", b));
        }
        final Path file = dir.resolve(name);
        Files.write(file, hex.toString().getBytes(StandardCharsets.US_ASCII));
        return file;
    }

    private FilesystemEventStoreAdapter open(final Path keyFile) {
        return new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir.resolve("store")).withEncryptionKeyFile(keyFile));
    }

    private List<Path> filesHolding(final String needle) throws IOException {
        final byte[] wanted = needle.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(dir.resolve("store"))) {
            final List<Path> holding = new ArrayList<>();
            for (final Path file : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                final byte[] bytes = Files.readAllBytes(file);
                outer:
                for (int i = 0; i + wanted.length <= bytes.length; i++) {
                    for (int j = 0; j < wanted.length; j++) {
                        if (bytes[i + j] != wanted[j]) {
                            continue outer;
                        }
                    }
                    holding.add(file);
                    break;
                }
            }
            return holding;
        }
    }

    private static EventMetadata firstOfItsAggregate(final String type) {
        return EventMetadata.forExistingAggregate(type, "/app/classes/" + UUID.randomUUID() + "/Foo.class", null, 0)
            .withUserId("dev").withCorrelationId("session-1");
    }

    @Test
    void everyCatalogEventRoundTripsAndNoFileHoldsItsData() throws IOException {
        final Path key = keyFile("master.key", newKey());
        final List<VersionedDomainEvent> events = SampleEvents.all(EncryptionTest::firstOfItsAggregate);
        try (FilesystemEventStoreAdapter store = open(key)) {
            for (final VersionedDomainEvent event : events) {
                store.save(event);
                assertThat(store.getEventsForAggregate(event.getAggregateType(), event.getAggregateId()))
                    .as(event.getEventType()).containsExactly(event);
            }
            // While open (the journal holds the saves) and after: the catalog's strings, such
            // as the class file's path, appear nowhere on disk.
            assertThat(filesHolding("Grüße Ünïcode")).isEmpty();
        }
        assertThat(filesHolding("Grüße Ünïcode")).isEmpty();
        try (FilesystemEventStoreAdapter store = open(key)) {
            for (final VersionedDomainEvent event : events) {
                assertThat(store.getEventsForAggregate(event.getAggregateType(), event.getAggregateId()))
                    .containsExactly(event);
            }
            assertThat(store.getEventsByCorrelationId("session-1")).hasSize(events.size());
            assertThat(store.verify()).isEmpty();
        }
    }

    @Test
    void aWrongKeyFailsTheOpenAndATamperedFileIsCorruptData() throws IOException {
        final Path key = keyFile("master.key", newKey());
        final VersionedDomainEvent event = SampleEvents.all(EncryptionTest::firstOfItsAggregate).get(0);
        try (FilesystemEventStoreAdapter store = open(key)) {
            store.save(event);
        }
        assertThatThrownBy(() -> open(keyFile("other.key", newKey())))
            .isInstanceOf(EventStoreConfigurationException.class).hasMessageContaining("master key");
        assertThatThrownBy(() -> new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir.resolve("store"))))
            .isInstanceOf(EventStoreConfigurationException.class).hasMessageContaining("encrypted");
        final Path file;
        try (Stream<Path> files = Files.walk(dir.resolve("store").resolve(event.getAggregateType()))) {
            file = files.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
        }
        final String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        final int at = text.indexOf("\"data\"") + 12;
        final char flipped = text.charAt(at) == 'A' ? 'B' : 'A';
        Files.write(file, (text.substring(0, at) + flipped + text.substring(at + 1)).getBytes(StandardCharsets.UTF_8));
        try (FilesystemEventStoreAdapter store = open(key)) {
            assertThatThrownBy(() -> store.getEventsForAggregate(event.getAggregateType(), event.getAggregateId()))
                .isInstanceOf(CorruptEventDataException.class).hasMessageContaining("does not authenticate");
        }
    }

    @Test
    void aForgottenAggregateReadsAsForgottenEventsAndExportNeedsPlaintextAsked() throws IOException {
        final Path key = keyFile("master.key", newKey());
        final List<VersionedDomainEvent> events = SampleEvents.all(EncryptionTest::firstOfItsAggregate);
        try (FilesystemEventStoreAdapter store = open(key)) {
            store.saveAll(events.subList(0, 2));
            final VersionedDomainEvent gone = events.get(0);
            store.forgetAggregate(gone.getAggregateType(), gone.getAggregateId());
            final List<VersionedDomainEvent> read =
                store.getEventsForAggregate(gone.getAggregateType(), gone.getAggregateId());
            assertThat(read).hasSize(1).allMatch(e -> e instanceof ForgottenEvent);
            assertThat(read.get(0).getEventType()).isEqualTo(gone.getEventType());
            assertThat(read.get(0).getEventId()).isEqualTo(gone.getEventId());
            assertThat(((ForgottenEvent) read.get(0)).getForgottenAt()).isNotBlank();
            final VersionedDomainEvent kept = events.get(1);
            assertThat(store.getEventsForAggregate(kept.getAggregateType(), kept.getAggregateId()))
                .containsExactly(kept);
            assertThat(store.getEventsByType(gone.getEventType())).allMatch(e -> e instanceof ForgottenEvent);

            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThatThrownBy(() -> store.exportEvents(EventFilter.all(), out))
                .isInstanceOf(EventStoreConfigurationException.class).hasMessageContaining("plaintext");
            assertThat(store.exportEvents(EventFilter.all(), out, true)).isEqualTo(2);
        }
    }

    @Test
    void aPlaintextStoreIsEncryptedInPlaceAndBack() throws IOException {
        final List<VersionedDomainEvent> events = SampleEvents.all(EncryptionTest::firstOfItsAggregate);
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir.resolve("store")))) {
            store.saveAll(events);
        }
        assertThat(filesHolding("Grüße Ünïcode")).isNotEmpty();
        final Path key = keyFile("master.key", newKey());
        try (FilesystemEventStoreAdapter store = open(key)) {
            assertThat(store.encryptStoredEvents()).isEqualTo(events.size());
            assertThat(store.encryptStoredEvents()).isZero();
            for (final VersionedDomainEvent event : events) {
                assertThat(store.getEventsForAggregate(event.getAggregateType(), event.getAggregateId()))
                    .containsExactly(event);
            }
        }
        assertThat(filesHolding("Grüße Ünïcode")).isEmpty();
        try (FilesystemEventStoreAdapter store = open(key)) {
            assertThat(store.decryptStoredEvents()).isEqualTo(events.size());
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir.resolve("store")))) {
            assertThat(store.getEventsByType(events.get(0).getEventType())).containsExactly(events.get(0));
        }
        assertThat(filesHolding("Grüße Ünïcode")).isNotEmpty();
    }

    @Test
    void aKeyGivenInCodeIsNeverPrinted() {
        final byte[] key = newKey();
        final EventStoreConfiguration configuration = EventStoreConfiguration.defaults().withEncryptionKey(key);
        final StringBuilder hex = new StringBuilder();
        for (final byte b : key) {
            hex.append(String.format("%02x", b));
        }
        assertThat(configuration.toString()).doesNotContain(hex.toString()).contains("(hidden)");
    }
}
