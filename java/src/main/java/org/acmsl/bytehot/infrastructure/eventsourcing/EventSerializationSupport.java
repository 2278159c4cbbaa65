package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * Converts events to and from the store's JSON envelope
 * ({@code {"eventType", "eventMetadata", "eventData"}}).
 *
 * <p>The domain classes carry no Jackson annotations; the mapping lives in this package (this
 * facade over {@code EnvelopeCodec}, {@code EventShapes}, {@code EventTypeRegistry} and
 * {@code EventMapper}). An event class is
 * mapped in one of two ways:
 * <ul>
 * <li>it has a public constructor whose first parameter is {@link EventMetadata} (as every catalog
 * event does): {@code eventData} holds one member per remaining parameter, named after the
 * parameter (so the class must be compiled with {@code -parameters}; without it the names are
 * unknown and the class is refused, never guessed) and read from the field of that name or its
 * getter; loading calls that constructor;</li>
 * <li>otherwise Jackson maps the class as a bean: {@code eventData} holds its properties minus the
 * metadata ones, and loading lets Jackson build it from those plus the metadata.</li>
 * </ul>
 * Events are looked up by type name: the catalog is registered, a class saved in this JVM is
 * registered under its {@link VersionedDomainEvent#getEventType()} (a name another class
 * already has is refused: override {@code getEventType()} to tell them apart), and other
 * classes are registered with {@link #registerEventType(String, Class)}.
 */
public final class EventSerializationSupport {

    /**
     * An instance, for callers written against ByteHot's class, which could be instantiated;
     * every method is static.
     */
    public EventSerializationSupport() {
    }

    /**
     * Whether events of a type name can be loaded (the catalog, a class registered or saved).
     * @param eventType the type name
     * @return true when a class is known for it
     */
    public static boolean isEventTypeRegistered(final String eventType) {
        return EventTypeRegistry.isRegistered(eventType);
    }

    /**
     * Every type name with the class that loads it.
     * @return a copy, sorted by name
     */
    public static Map<String, Class<? extends VersionedDomainEvent>> getRegisteredEventTypes() {
        return EventTypeRegistry.registered();
    }

    /**
     * Forgets the types and upcasters registered and the classes remembered from saves; the
     * catalog stays. (ByteHot's method of this name cleared its cache of type names.)
     */
    public static void clearCache() {
        EventTypeRegistry.reset();
        Upcasters.reset();
    }

    /**
     * The {@code eventType} of an envelope.
     * @param json the envelope
     * @return its event type, or {@code null} when it is not JSON or names none
     */
    public static String extractEventType(final String json) {
        if (json == null) {
            return null;
        }
        try {
            final JsonNode type = EnvelopeCodec.readTree(json).get("eventType");
            return type == null || type.isNull() ? null : type.asText();
        } catch (final InvalidEventException notJson) {
            return null;
        }
    }

    /**
     * Whether a text is JSON with the three members of an envelope.
     * @param json the text
     * @return true when it has {@code eventType}, {@code eventMetadata} and {@code eventData}
     */
    public static boolean isValidEventJson(final String json) {
        if (json == null) {
            return false;
        }
        try {
            final JsonNode envelope = EnvelopeCodec.readTree(json);
            return envelope.has("eventType") && envelope.has("eventMetadata") && envelope.has("eventData");
        } catch (final InvalidEventException notJson) {
            return false;
        }
    }

    /**
     * An envelope with a type, the given data and empty metadata (a test fixture in ByteHot's
     * API; the store refuses it until the metadata is filled).
     * @param eventType the type name
     * @param eventData the data, as JSON
     * @return the envelope
     * @throws InvalidEventException when {@code eventData} is not JSON
     */
    public static String createMinimalEventJson(final String eventType, final String eventData) {
        final ObjectNode envelope = EventMapper.MAPPER.createObjectNode();
        envelope.put("eventType", eventType);
        envelope.set("eventMetadata", EventMapper.MAPPER.createObjectNode());
        envelope.set("eventData", EnvelopeCodec.readTree(eventData));
        return envelope.toString();
    }

    /**
     * Makes events of a class loadable under a type name (the name the class's
     * {@link VersionedDomainEvent#getEventType()} returns).
     * @param eventType the type name
     * @param eventClass the class
     * @throws InvalidEventException when the class has an {@link EventMetadata} constructor whose
     *     parameters cannot be matched to fields or getters
     */
    public static void registerEventType(final String eventType, final Class<? extends VersionedDomainEvent> eventClass) {
        Objects.requireNonNull(eventType, "eventType must not be null");
        Objects.requireNonNull(eventClass, "eventClass must not be null");
        EventTypeRegistry.register(eventType, eventClass);
    }

    /**
     * Registers the transform of an event type's {@code eventData} from one schema version
     * to the next. Reads apply the transforms in a chain, version by version, until none is
     * registered for the version reached; the event read then has that {@code schemaVersion}.
     * Stored events are left as they are.
     * @param eventType the event type (its name as stored)
     * @param fromVersion the schema version the transform reads (the result is version + 1)
     * @param transform from the old data to the new; it may change and return its argument
     * @throws IllegalStateException if another transform of that type and version is registered
     */
    public static void registerUpcaster(final String eventType, final int fromVersion,
        final java.util.function.UnaryOperator<com.fasterxml.jackson.databind.node.ObjectNode> transform) {
        Objects.requireNonNull(eventType, "eventType must not be null");
        Objects.requireNonNull(transform, "transform must not be null");
        Upcasters.register(eventType, fromVersion, transform);
    }

    /**
     * Keeps reading events stored under an event type's old name as {@code eventClass}, after
     * that class was renamed (new events are stored under its new name).
     * @param oldEventType the name events were stored under
     * @param eventClass the class they are read as now
     */
    public static void registerEventAlias(final String oldEventType,
        final Class<? extends VersionedDomainEvent> eventClass) {
        registerEventType(oldEventType, eventClass);
    }

    /**
     * The envelope of an event as pretty-printed JSON.
     * @param event the event
     * @return the JSON
     */
    public static String toJson(final VersionedDomainEvent event) {
        return EnvelopeCodec.toEnvelope(event).toPrettyString();
    }

    /**
     * Loads an event from its envelope; the envelope's {@code eventType} selects the class.
     * @param json the envelope
     * @return the event
     * @throws InvalidEventException when the JSON is not an envelope of a registered event type
     */
    public static VersionedDomainEvent fromJson(final String json) {
        return fromJson(json, null);
    }

    /**
     * Loads an event of a given type from its envelope.
     * @param json the envelope
     * @param eventType the type name, or {@code null} to use the envelope's
     * @return the event
     * @throws InvalidEventException when the JSON is not an envelope of that type
     */
    public static VersionedDomainEvent fromJson(final String json, final String eventType) {
        Objects.requireNonNull(json, "json must not be null");
        return EnvelopeCodec.fromEnvelope(EnvelopeCodec.readTree(json), eventType);
    }

    // The binding's own entry points; see EnvelopeCodec.

    static ObjectNode toEnvelope(final VersionedDomainEvent event) {
        return EnvelopeCodec.toEnvelope(event);
    }

    static byte[] toUtf8(final JsonNode json, final String name) {
        return EnvelopeCodec.toUtf8(json, name);
    }

    static JsonNode readTree(final byte[] json) {
        return EnvelopeCodec.readTree(json);
    }

    /**
     * A count in a result object the native library returned; anything else (missing,
     * negative, not an integer) is an error: read as 0, it would report work not done.
     */
    static long count(final JsonNode result, final String name) {
        final JsonNode value = result.path(name);
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new EventStoreException("the native library returned a result whose " + name
                + " is not a count: " + result + " (is the library the version this class was built with?)");
        }
        return value.asLong();
    }

    static List<VersionedDomainEvent> fromEnvelopes(final byte[] json) {
        return EnvelopeCodec.fromEnvelopes(json);
    }

    static List<VersionedDomainEvent> fromEnvelopes(final byte[] json, final List<Long> positions) {
        return EnvelopeCodec.fromEnvelopes(json, positions);
    }

    static List<String> strings(final byte[] json) {
        return EnvelopeCodec.strings(json);
    }

    static List<String> stringsOf(final JsonNode array) {
        return EnvelopeCodec.stringsOf(array);
    }
}
