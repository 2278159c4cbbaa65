package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store as ByteHot's pure-Java adapter writes it, with an event of every catalog type: files
 * named with 17 digits, printed by Jackson ({@code "key" : value}), the metadata repeated in
 * {@code eventData}, {@code Path}s as {@code file:} URIs, and version 1 on every event of a
 * session. Every event reads back with its data, ids and time, at the version its place gives
 * it; every aggregate takes appends after its last event; {@code verify()} reports the
 * repeated versions as legacy anomalies and nothing else.
 */
class ByteHotWrittenStoreTest {

    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS").withZone(ZoneOffset.UTC);

    private static final Instant START = Instant.parse("2025-06-17T12:00:00Z");

    @TempDir
    Path dir;

    private static final ObjectMapper JACKSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The file ByteHot's adapter would have written for {@code event}. */
    private static byte[] asByteHotWroteIt(final VersionedDomainEvent event) throws Exception {
        final ObjectNode envelope = (ObjectNode) JACKSON.readTree(EventSerializationSupport.toJson(event));
        final ObjectNode metadata = (ObjectNode) envelope.get("eventMetadata");
        metadata.put("aggregateVersion", 1);
        final ObjectNode data = JACKSON.createObjectNode();
        data.setAll(metadata);
        data.remove("causationId");
        data.setAll((ObjectNode) envelope.get("eventData"));
        if (data.hasNonNull("classFile")) {
            data.put("classFile", Paths.get(data.get("classFile").asText()).toUri().toString());
        }
        envelope.set("eventData", data);
        return JACKSON.writeValueAsBytes(envelope);
    }

    @Test
    void everyCatalogEventByteHotWroteReadsBackAndEveryAggregateTakesAppends() throws Exception {
        final Map<String, Integer> perType = new LinkedHashMap<>();
        final List<VersionedDomainEvent> written = new ArrayList<>();
        for (final VersionedDomainEvent event : SampleEvents.all(type -> {
            final int n = perType.merge(type, 1, Integer::sum);
            return new EventMetadata(UUID.randomUUID().toString(), type, "session", 1L,
                START.plusMillis(written.size() * 10L + n), null, 1, "dev", null, null);
        })) {
            written.add(event);
            final Path folder = Files.createDirectories(dir.resolve(event.getAggregateType()).resolve("session"));
            Files.write(folder.resolve(NAME.format(event.getTimestamp()) + "-" + event.getEventType() + ".json"),
                asByteHotWroteIt(event));
        }

        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            for (final String type : perType.keySet()) {
                final List<VersionedDomainEvent> read = store.getEventsForAggregate(type, "session");
                final List<VersionedDomainEvent> expected = new ArrayList<>();
                written.stream().filter(e -> e.getAggregateType().equals(type)).forEach(expected::add);
                assertThat(read).as(type).hasSameSizeAs(expected);
                for (int i = 0; i < read.size(); i++) {
                    final VersionedDomainEvent got = read.get(i);
                    final VersionedDomainEvent want = expected.get(i);
                    assertThat(got.getClass()).isEqualTo(want.getClass());
                    assertThat(got.getEventId()).isEqualTo(want.getEventId());
                    assertThat(got.getTimestamp()).isEqualTo(want.getTimestamp());
                    assertThat(got.getUserId()).isEqualTo("dev");
                    assertThat(got.getAggregateVersion()).as(type + " #" + i).isEqualTo(i + 1L);
                    assertThat(eventData(got)).as(want.getEventType()).isEqualTo(eventData(want));
                }
                final VersionedDomainEvent last = read.get(read.size() - 1);
                store.save(new ClassFileChanged(EventMetadata.forExistingAggregate(type, "session", last.getEventId(),
                    last.getAggregateVersion()), SampleEvents.CLASS_FILE, "com.acme.Appended", 1L, START));
                assertThat(store.getCurrentVersion(type, "session")).isEqualTo(read.size() + 1L);
            }
            final List<String> problems = store.verify();
            assertThat(problems).isNotEmpty().allMatch(p -> p.contains("legacy anomaly"));
        }
    }

    private static JsonNode eventData(final VersionedDomainEvent event) throws Exception {
        return JACKSON.readTree(EventSerializationSupport.toJson(event)).get("eventData");
    }
}
