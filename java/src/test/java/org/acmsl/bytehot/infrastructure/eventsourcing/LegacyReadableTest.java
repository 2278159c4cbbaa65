package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code legacy-readable: true} writes files that a reader following ByteHot's pure-Java
 * adapter's rules reads correctly: it takes an event's {@code eventData} alone and maps the
 * metadata from it (ByteHot's {@code JsonClassFileChanged}: eventId, aggregateType, aggregateId,
 * aggregateVersion, timestamp, previousEventId, schemaVersion, userId, correlationId beside
 * the event's own members).
 */
class LegacyReadableTest {

    @TempDir
    Path dir;

    /** What ByteHot's reader builds from {@code eventData}: its fields, by name. */
    public static final class ByteHotView {
        public String eventId;
        public String aggregateType;
        public String aggregateId;
        public long aggregateVersion;
        public Instant timestamp;
        public String previousEventId;
        public int schemaVersion;
        public String userId;
        public String correlationId;
        public String classFile;
        public String className;
        public long fileSize;
        public Instant detectionTimestamp;
    }

    private static final ObjectMapper BYTEHOT = new ObjectMapper().registerModule(new JavaTimeModule())
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Every file of the aggregate, read the way ByteHot's adapter reads: {@code eventData} only. */
    private List<ByteHotView> readAsByteHot(final Path aggregate) throws Exception {
        try (Stream<Path> files = Files.list(aggregate)) {
            final List<Path> sorted = files.filter(p -> p.toString().endsWith(".json")).sorted()
                .collect(Collectors.toList());
            final List<ByteHotView> out = new java.util.ArrayList<>();
            for (final Path file : sorted) {
                final JsonNode root = BYTEHOT.readTree(file.toFile());
                out.add(BYTEHOT.treeToValue(root.get("eventData"), ByteHotView.class));
            }
            return out;
        }
    }

    private List<VersionedDomainEvent> saveTwo(final EventStoreConfiguration configuration) {
        final Path classFile = Paths.get("/app/classes/com/acme/Foo.class");
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(configuration)) {
            final ClassFileChanged first = ClassFileChanged.forNewSession(classFile, "com.acme.Foo", 10L,
                Instant.parse("2030-01-01T00:00:00Z"));
            store.save(first);
            store.save(ClassFileChanged.withUser(classFile, "com.acme.Foo", 20L,
                Instant.parse("2030-01-01T00:00:05Z"), "ada", first.getEventId(), 1L));
            return store.getEventsForAggregate("filewatch", classFile.toString());
        }
    }

    @Test
    void aReaderFollowingByteHotsRulesReadsTheMetadataOfLegacyReadableFiles() throws Exception {
        final List<VersionedDomainEvent> saved = saveTwo(
            EventStoreConfiguration.defaults().withPath(dir).withLegacyReadable(true));
        final List<ByteHotView> read = readAsByteHot(dir.resolve("filewatch")
            .resolve("%2Fapp%2Fclasses%2Fcom%2Facme%2FFoo.class"));
        assertThat(read).hasSize(2);
        for (int i = 0; i < 2; i++) {
            final VersionedDomainEvent event = saved.get(i);
            final ByteHotView view = read.get(i);
            assertThat(view.eventId).isEqualTo(event.getEventId());
            assertThat(view.aggregateType).isEqualTo(event.getAggregateType());
            assertThat(view.aggregateId).isEqualTo(event.getAggregateId());
            assertThat(view.aggregateVersion).isEqualTo(event.getAggregateVersion());
            assertThat(view.timestamp).isEqualTo(event.getTimestamp());
            assertThat(view.previousEventId).isEqualTo(event.getPreviousEventId());
            assertThat(view.userId).isEqualTo(event.getUserId());
            assertThat(view.className).isEqualTo("com.acme.Foo");
            assertThat(Paths.get(view.classFile)).isEqualTo(((ClassFileChanged) event).getClassFile());
            assertThat(view.detectionTimestamp).isEqualTo(((ClassFileChanged) event).getDetectionTimestamp());
        }
        assertThat(read.get(1).userId).isEqualTo("ada");
        assertThat(read.get(1).aggregateVersion).isEqualTo(2L);
    }

    @Test
    void withoutTheSettingSuchAReaderFindsNoMetadata() throws Exception {
        saveTwo(EventStoreConfiguration.defaults().withPath(dir));
        final List<ByteHotView> read = readAsByteHot(dir.resolve("filewatch")
            .resolve("%2Fapp%2Fclasses%2Fcom%2Facme%2FFoo.class"));
        assertThat(read.get(0).eventId).isNull();
        assertThat(read.get(0).aggregateVersion).isZero();
    }
}
