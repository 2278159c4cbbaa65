package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Event files as ByteHot's pure-Java adapter wrote them, for the tests that read such stores. */
final class ByteHotAdapterFiles {

    private ByteHotAdapterFiles() {
    }

    /**
     * Writes a {@code ClassFileChanged} of {@code filewatch/<aggregateId>} as that adapter did:
     * Jackson's pretty printer ({@code "key" : value}) and version 1, whatever the event's place.
     * @param folder the aggregate's folder (created if missing)
     * @param name the file's name
     * @param eventId the event's id
     * @param aggregateId the aggregate's id
     * @param at the event's timestamp, as ISO-8601 text
     * @param classFile a {@code classFile} member of the event's data, or {@code null} for none
     * @throws IOException when the file cannot be written
     */
    static void write(final Path folder, final String name, final String eventId, final String aggregateId,
        final String at, final String classFile) throws IOException {
        final ObjectMapper jackson = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        final ObjectNode envelope = jackson.createObjectNode();
        envelope.put("eventType", "ClassFileChanged");
        final ObjectNode metadata = envelope.putObject("eventMetadata");
        metadata.put("eventId", eventId);
        metadata.put("aggregateType", "filewatch");
        metadata.put("aggregateId", aggregateId);
        metadata.put("aggregateVersion", 1);
        metadata.put("timestamp", at);
        metadata.put("schemaVersion", 1);
        final ObjectNode data = envelope.putObject("eventData");
        data.put("className", "com.acme.Foo");
        data.put("fileSize", 10);
        if (classFile != null) {
            data.put("classFile", classFile);
        }
        Files.createDirectories(folder);
        Files.write(folder.resolve(name), jackson.writeValueAsBytes(envelope));
    }
}
