package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserSequence;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.ForgottenEvent;

/**
 * The store's JSON envelope ({@code {"eventType", "eventMetadata", "eventData"}}) in both
 * directions, and the UTF-8 the native side takes: metadata by hand, member by member, and
 * {@code eventData} through the event class's {@link EventShape}. Events the store returns are
 * read in one streaming pass over its array.
 */
final class EnvelopeCodec {

    /** The only member of a forgotten aggregate's events' data (the store's marker). */
    static final String FORGOTTEN_MEMBER = "$bytehot.forgotten";

    private EnvelopeCodec() {
    }

    static ObjectNode toEnvelope(final VersionedDomainEvent event) {
        Objects.requireNonNull(event, "event must not be null");
        final String eventType = event.getEventType();
        EventTypeRegistry.remember(eventType, event.getClass());
        final ObjectNode envelope = EventMapper.MAPPER.createObjectNode();
        envelope.put("eventType", eventType);
        final ObjectNode metadata = envelope.putObject("eventMetadata");
        metadata.put("eventId", event.getEventId());
        metadata.put("aggregateType", event.getAggregateType());
        metadata.put("aggregateId", event.getAggregateId());
        metadata.put("aggregateVersion", event.getAggregateVersion());
        putIfPresent(metadata, "timestamp", event.getTimestamp() == null ? null : event.getTimestamp().toString());
        putIfPresent(metadata, "previousEventId", event.getPreviousEventId());
        metadata.put("schemaVersion", DeclaredSchemaVersions.forSave(event));
        putIfPresent(metadata, "userId", event.getUserId());
        putIfPresent(metadata, "correlationId", event.getCorrelationId());
        putIfPresent(metadata, "causationId", event.getCausationId());
        envelope.set("eventData", EventShapes.of(event.getClass()).data(event));
        return envelope;
    }

    private static void putIfPresent(final ObjectNode node, final String name, final String value) {
        if (value != null) {
            node.put(name, value);
        }
    }

    /**
     * The JSON as strict UTF-8, after checking every string in it so that an unpaired surrogate
     * is reported with the field it is in.
     */
    static byte[] toUtf8(final JsonNode json, final String name) {
        check(json, name);
        final String text;
        try {
            text = json.toString();
        } catch (final RuntimeException e) {
            // JsonNode.toString wraps Jackson's write limits (nesting depth above all).
            if (e.getCause() instanceof StreamConstraintsException) {
                throw new InvalidEventException(name + " cannot be written as JSON: " + e.getCause().getMessage(), e);
            }
            throw e;
        }
        return Utf8.encode(text, name);
    }

    private static void check(final JsonNode node, final String path) {
        if (node.isTextual()) {
            Utf8.encode(node.textValue(), path);
        }
        final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            final Map.Entry<String, JsonNode> field = fields.next();
            final String fieldPath = path + "." + field.getKey();
            Utf8.encode(field.getKey(), fieldPath);
            check(field.getValue(), fieldPath);
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), path + "[" + i + "]");
            }
        }
    }

    static JsonNode readTree(final String json) {
        try {
            return EventMapper.MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new InvalidEventException("not valid JSON: " + e.getMessage(), e);
        }
    }

    static JsonNode readTree(final byte[] json) {
        try {
            return EventMapper.MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new InvalidEventException("the store returned invalid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The events of a JSON array of envelopes, as the store returns them. It is read in one
     * pass, without building a tree of the whole array: each event's metadata is read as a
     * small tree, and the members of its {@code eventData} go straight into the constructor's
     * arguments (see {@link EventShape#read}).
     */
    static List<VersionedDomainEvent> fromEnvelopes(final byte[] json) {
        return fromEnvelopes(json, null);
    }

    /**
     * The events of a JSON array of envelopes read by position, adding each one's
     * {@code eventMetadata.streamPosition} to {@code positions} (whatever the event class keeps
     * of its metadata).
     */
    static List<VersionedDomainEvent> fromEnvelopes(final byte[] json, final List<Long> positions) {
        try (JsonParser parser = EventMapper.MAPPER.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new InvalidEventException("the store returned invalid JSON: not an array");
            }
            final List<VersionedDomainEvent> events = new ArrayList<>();
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token != JsonToken.START_OBJECT) {
                    throw new InvalidEventException("the store returned invalid JSON: " + token + " in its array");
                }
                events.add(readEnvelope(parser, positions));
            }
            return events;
        } catch (final IOException e) {
            throw new InvalidEventException("the store returned invalid JSON: " + e.getMessage(), e);
        }
    }

    /** One envelope, the parser at its start; what {@link #fromEnvelope} makes of its tree. */
    private static VersionedDomainEvent readEnvelope(final JsonParser parser, final List<Long> positions)
        throws IOException {
        String eventType = null;
        JsonNode meta = MissingNode.getInstance();
        JsonNode data = MissingNode.getInstance();
        VersionedDomainEvent event = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            final String name = parser.currentName();
            final JsonToken value = parser.nextToken();
            if ("eventType".equals(name)) {
                eventType = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                parser.skipChildren();
            } else if ("eventMetadata".equals(name)) {
                meta = member(parser, value);
            } else if ("eventData".equals(name)) {
                // The store writes data last: type and metadata are known by now.
                final int version = meta.path("schemaVersion").asInt(EventMetadata.DEFAULT_SCHEMA_VERSION);
                if (value == JsonToken.START_OBJECT && eventType != null && meta.isObject()
                    && !Upcasters.applies(eventType, version)) {
                    // The first member tells a forgotten aggregate's data; otherwise it is put
                    // back in front of the rest for the class's reader.
                    final JsonToken first = parser.nextToken();
                    if (first == JsonToken.FIELD_NAME && FORGOTTEN_MEMBER.equals(parser.currentName())) {
                        parser.nextToken();
                        final String at = parser.currentToken() == JsonToken.VALUE_STRING ? parser.getText() : null;
                        parser.skipChildren();
                        while (parser.nextToken() != JsonToken.END_OBJECT) {
                            parser.nextToken();
                            parser.skipChildren();
                        }
                        event = new ForgottenEvent(metadata(meta), eventType, at);
                        data = MissingNode.getInstance();
                        continue;
                    }
                    final TokenBuffer start = new TokenBuffer(parser, null);
                    start.writeStartObject();
                    if (first == JsonToken.FIELD_NAME) {
                        start.writeFieldName(parser.currentName());
                    } else {
                        start.writeEndObject();
                    }
                    final JsonParser data0 = JsonParserSequence.createFlattened(false, start.asParser(), parser);
                    data0.nextToken();
                    final Class<? extends VersionedDomainEvent> eventClass = EventTypeRegistry.eventClass(eventType);
                    DeclaredSchemaVersions.checkRead(eventType, eventClass, version);
                    event = EventShapes.of(eventClass).read(metadata(meta), data0, eventType);
                    data = MissingNode.getInstance();
                } else {
                    event = null;
                    data = member(parser, value);
                }
            } else {
                parser.skipChildren();
            }
        }
        if (positions != null) {
            positions.add(meta.path("streamPosition").asLong(0L));
        }
        if (event != null) {
            return event;
        }
        final ObjectNode envelope = EventMapper.MAPPER.createObjectNode();
        envelope.put("eventType", eventType);
        envelope.set("eventMetadata", meta);
        envelope.set("eventData", data);
        return fromEnvelope(envelope, null);
    }

    /** The member value at the parser, as a tree ({@code null} as a null node). */
    private static JsonNode member(final JsonParser parser, final JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NULL ? NullNode.getInstance() : EventMapper.MAPPER.readTree(parser);
    }

    static List<String> strings(final byte[] json) {
        return stringsOf(readTree(json));
    }

    static List<String> stringsOf(final JsonNode array) {
        final List<String> strings = new ArrayList<>();
        for (final JsonNode item : array) {
            strings.add(item.asText());
        }
        return strings;
    }

    static VersionedDomainEvent fromEnvelope(final JsonNode stored, final String requestedType) {
        final JsonNode forgottenAt = stored.path("eventData").path(FORGOTTEN_MEMBER);
        if (!forgottenAt.isMissingNode()) {
            return new ForgottenEvent(metadata(stored.path("eventMetadata")), stored.path("eventType").asText(),
                forgottenAt.isNull() ? null : forgottenAt.asText());
        }
        final JsonNode envelope = Upcasters.upcast(stored);
        final String storedType = envelope.path("eventType").textValue();
        final String eventType = requestedType == null ? storedType : requestedType;
        if (storedType != null && !storedType.equals(eventType)) {
            throw new InvalidEventException("the JSON holds a " + storedType + ", not a " + eventType);
        }
        final Class<? extends VersionedDomainEvent> eventClass = EventTypeRegistry.eventClass(eventType);
        DeclaredSchemaVersions.checkRead(eventType, eventClass,
            envelope.path("eventMetadata").path("schemaVersion").asInt(EventMetadata.DEFAULT_SCHEMA_VERSION));
        return EventShapes.of(eventClass).create(metadata(envelope.path("eventMetadata")), envelope.path("eventData"), eventType);
    }

    private static EventMetadata metadata(final JsonNode meta) {
        final String timestamp = meta.path("timestamp").textValue();
        return new EventMetadata(
            meta.path("eventId").textValue(),
            meta.path("aggregateType").textValue(),
            meta.path("aggregateId").textValue(),
            meta.path("aggregateVersion").asLong(0L),
            timestamp == null ? null : parseInstant(timestamp),
            meta.path("previousEventId").textValue(),
            meta.path("schemaVersion").asInt(EventMetadata.DEFAULT_SCHEMA_VERSION),
            meta.path("userId").textValue(),
            meta.path("correlationId").textValue(),
            meta.path("causationId").textValue(),
            meta.path("streamPosition").isIntegralNumber() ? meta.path("streamPosition").longValue() : null);
    }

    private static Instant parseInstant(final String text) {
        try {
            return Instant.parse(text);
        } catch (final java.time.format.DateTimeParseException e) {
            throw new InvalidEventException("eventMetadata.timestamp is not an ISO-8601 instant: " + text, e);
        }
    }
}
