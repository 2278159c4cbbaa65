package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.WatchConfiguration;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ByteHotAgentAttached;
import org.acmsl.bytehot.domain.events.ByteHotAttachRequested;
import org.acmsl.bytehot.domain.events.ByteHotNotStarted;
import org.acmsl.bytehot.domain.events.BytecodeRejected;
import org.acmsl.bytehot.domain.events.BytecodeValidated;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.ClassFileCreated;
import org.acmsl.bytehot.domain.events.ClassFileDeleted;
import org.acmsl.bytehot.domain.events.ClassFileProcessed;
import org.acmsl.bytehot.domain.events.ClassMetadataExtracted;
import org.acmsl.bytehot.domain.events.ClassRedefinitionFailed;
import org.acmsl.bytehot.domain.events.ClassRedefinitionSucceeded;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapCapabilityEnabled;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.domain.events.InstancesUpdated;
import org.acmsl.bytehot.domain.events.WatchPathConfigured;

/**
 * Converts events to and from the store's JSON envelope
 * ({@code {"eventType", "eventMetadata", "eventData"}}).
 *
 * <p>The domain classes carry no Jackson annotations; the mapping lives here. An event class is
 * mapped in one of two ways:
 * <ul>
 * <li>it has a public constructor whose first parameter is {@link EventMetadata} (as every catalog
 * event does): {@code eventData} holds one member per remaining parameter, named after the
 * parameter (compile with {@code -parameters}; without it, the class's own instance fields must
 * match the parameters in number, order and type) and read from the field of that name or its
 * getter; loading calls that constructor;</li>
 * <li>otherwise Jackson maps the class as a bean: {@code eventData} holds its properties minus the
 * metadata ones, and loading lets Jackson build it from those plus the metadata.</li>
 * </ul>
 * Events are looked up by type name: the catalog is registered, a class saved in this JVM is
 * registered under its {@link VersionedDomainEvent#getEventType()}, and other classes are
 * registered with {@link #registerEventType(String, Class)}.
 */
public final class EventSerializationSupport {

    private static final ObjectMapper MAPPER = createMapper();

    private static final Map<String, Class<? extends VersionedDomainEvent>> TYPES = new ConcurrentHashMap<>();

    private static final Map<Class<?>, Shape> SHAPES = new ConcurrentHashMap<>();

    private static final String[] METADATA_PROPERTIES = {"eventId", "aggregateType", "aggregateId",
        "aggregateVersion", "timestamp", "previousEventId", "schemaVersion", "userId", "correlationId",
        "causationId", "eventType"};

    static {
        for (final Class<? extends VersionedDomainEvent> type : List.of(
            ByteHotAttachRequested.class, ByteHotAgentAttached.class, ByteHotNotStarted.class,
            WatchPathConfigured.class, HotSwapCapabilityEnabled.class, ClassFileChanged.class,
            ClassFileCreated.class, ClassFileDeleted.class, ClassFileProcessed.class,
            ClassMetadataExtracted.class, BytecodeValidated.class, BytecodeRejected.class,
            HotSwapRequested.class, ClassRedefinitionSucceeded.class, ClassRedefinitionFailed.class,
            InstancesUpdated.class)) {
            registerEventType(type.getSimpleName(), type);
        }
    }

    private EventSerializationSupport() {
    }

    /** Builds the domain's value object, which carries no Jackson annotations. */
    static final class WatchConfigurationDeserializer extends JsonDeserializer<WatchConfiguration> {
        @Override
        public WatchConfiguration deserialize(final JsonParser parser, final DeserializationContext context)
            throws IOException {
            final JsonNode node = parser.readValueAsTree();
            final JavaType paths = context.getTypeFactory().constructCollectionType(List.class, Path.class);
            final JavaType strings = context.getTypeFactory().constructCollectionType(List.class, String.class);
            return new WatchConfiguration(
                read(context, node.get("watchPaths"), paths),
                read(context, node.get("patterns"), strings),
                node.path("recursive").asBoolean(false));
        }

        private static <T> T read(final DeserializationContext context, final JsonNode node, final JavaType type)
            throws IOException {
            return node == null || node.isNull() ? null : context.readTreeAsValue(node, type);
        }
    }

    /** Paths as plain text: Jackson's default writes file URIs, which turns relative paths absolute. */
    static final class PathDeserializer extends JsonDeserializer<Path> {
        @Override
        public Path deserialize(final JsonParser parser, final DeserializationContext context) throws IOException {
            return Paths.get(parser.getValueAsString());
        }
    }

    private static ObjectMapper createMapper() {
        final SimpleModule paths = new SimpleModule("bytehot-values");
        paths.addSerializer(Path.class, ToStringSerializer.instance);
        paths.addDeserializer(Path.class, new PathDeserializer());
        paths.addDeserializer(WatchConfiguration.class, new WatchConfigurationDeserializer());
        return new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(paths)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
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
        shape(eventClass);
        TYPES.put(eventType, eventClass);
    }

    /**
     * The envelope of an event as pretty-printed JSON.
     * @param event the event
     * @return the JSON
     */
    public static String toJson(final VersionedDomainEvent event) {
        return toEnvelope(event).toPrettyString();
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
        return fromEnvelope(readTree(json), eventType);
    }

    // ---------------------------------------------------------------------------------------

    static ObjectNode toEnvelope(final VersionedDomainEvent event) {
        Objects.requireNonNull(event, "event must not be null");
        final String eventType = event.getEventType();
        TYPES.putIfAbsent(eventType, event.getClass());
        final ObjectNode envelope = MAPPER.createObjectNode();
        envelope.put("eventType", eventType);
        final ObjectNode metadata = envelope.putObject("eventMetadata");
        metadata.put("eventId", event.getEventId());
        metadata.put("aggregateType", event.getAggregateType());
        metadata.put("aggregateId", event.getAggregateId());
        metadata.put("aggregateVersion", event.getAggregateVersion());
        putIfPresent(metadata, "timestamp", event.getTimestamp() == null ? null : event.getTimestamp().toString());
        putIfPresent(metadata, "previousEventId", event.getPreviousEventId());
        metadata.put("schemaVersion", event.getSchemaVersion());
        putIfPresent(metadata, "userId", event.getUserId());
        putIfPresent(metadata, "correlationId", event.getCorrelationId());
        putIfPresent(metadata, "causationId", event.getCausationId());
        envelope.set("eventData", shape(event.getClass()).data(event));
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
        return Utf8.encode(json.toString(), name);
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
            return MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new InvalidEventException("not valid JSON: " + e.getMessage(), e);
        }
    }

    static JsonNode readTree(final byte[] json) {
        try {
            return MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new InvalidEventException("the store returned invalid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The events of a JSON array of envelopes, as the store returns them. It is read in one
     * pass, without building a tree of the whole array: each event's metadata is read as a
     * small tree, and the members of its {@code eventData} go straight into the constructor's
     * arguments (see {@link Shape#read}).
     */
    static List<VersionedDomainEvent> fromEnvelopes(final byte[] json) {
        try (JsonParser parser = MAPPER.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new InvalidEventException("the store returned invalid JSON: not an array");
            }
            final List<VersionedDomainEvent> events = new ArrayList<>();
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token != JsonToken.START_OBJECT) {
                    throw new InvalidEventException("the store returned invalid JSON: " + token + " in its array");
                }
                events.add(readEnvelope(parser));
            }
            return events;
        } catch (final IOException e) {
            throw new InvalidEventException("the store returned invalid JSON: " + e.getMessage(), e);
        }
    }

    /** One envelope, the parser at its start; what {@link #fromEnvelope} makes of its tree. */
    private static VersionedDomainEvent readEnvelope(final JsonParser parser) throws IOException {
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
                if (value == JsonToken.START_OBJECT && eventType != null && meta.isObject()) {
                    event = shape(eventClass(eventType)).read(metadata(meta), parser, eventType);
                    data = MissingNode.getInstance();
                } else {
                    event = null;
                    data = member(parser, value);
                }
            } else {
                parser.skipChildren();
            }
        }
        if (event != null) {
            return event;
        }
        final ObjectNode envelope = MAPPER.createObjectNode();
        envelope.put("eventType", eventType);
        envelope.set("eventMetadata", meta);
        envelope.set("eventData", data);
        return fromEnvelope(envelope, null);
    }

    /** The member value at the parser, as a tree ({@code null} as a null node). */
    private static JsonNode member(final JsonParser parser, final JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NULL ? NullNode.getInstance() : MAPPER.readTree(parser);
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

    static VersionedDomainEvent fromEnvelope(final JsonNode envelope, final String requestedType) {
        final String storedType = envelope.path("eventType").textValue();
        final String eventType = requestedType == null ? storedType : requestedType;
        if (storedType != null && !storedType.equals(eventType)) {
            throw new InvalidEventException("the JSON holds a " + storedType + ", not a " + eventType);
        }
        final Class<? extends VersionedDomainEvent> eventClass = eventClass(eventType);
        return shape(eventClass).create(metadata(envelope.path("eventMetadata")), envelope.path("eventData"), eventType);
    }

    private static Class<? extends VersionedDomainEvent> eventClass(final String eventType) {
        final Class<? extends VersionedDomainEvent> eventClass = TYPES.get(String.valueOf(eventType));
        if (eventClass == null) {
            throw new InvalidEventException("unknown event type " + eventType
                + ": register its class with EventSerializationSupport.registerEventType");
        }
        return eventClass;
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
            meta.path("causationId").textValue());
    }

    private static Instant parseInstant(final String text) {
        try {
            return Instant.parse(text);
        } catch (final java.time.format.DateTimeParseException e) {
            throw new InvalidEventException("eventMetadata.timestamp is not an ISO-8601 instant: " + text, e);
        }
    }

    private static Shape shape(final Class<?> eventClass) {
        return SHAPES.computeIfAbsent(eventClass, EventSerializationSupport::inspect);
    }

    private static Shape inspect(final Class<?> eventClass) {
        Constructor<?> best = null;
        for (final Constructor<?> candidate : eventClass.getConstructors()) {
            final Class<?>[] types = candidate.getParameterTypes();
            if (types.length > 0 && types[0] == EventMetadata.class
                && (best == null || types.length > best.getParameterCount())) {
                best = candidate;
            }
        }
        return best == null ? new BeanShape(eventClass) : new ConstructorShape(eventClass, best);
    }

    /** How one event class maps to and from {@code eventData}. */
    private interface Shape {
        JsonNode data(VersionedDomainEvent event);

        VersionedDomainEvent create(EventMetadata metadata, JsonNode data, String eventType);

        /**
         * What {@link #create} makes of the object at the parser, read without a tree where the
         * shape allows it; the parser ends on the object's end.
         */
        default VersionedDomainEvent read(final EventMetadata metadata, final JsonParser parser, final String eventType)
            throws IOException {
            return create(metadata, MAPPER.readTree(parser), eventType);
        }
    }

    /** Reads a value from an event. */
    private interface Accessor {
        Object get(Object target) throws ReflectiveOperationException;
    }

    /** Runs reflection whose failure means the class does not fit the mapping. */
    private interface Reflective<T> {
        T run() throws ReflectiveOperationException;
    }

    private static <T> T reflect(final Class<?> eventClass, final Reflective<T> action) {
        try {
            return action.run();
        } catch (final ReflectiveOperationException e) {
            final Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new InvalidEventException("cannot map " + eventClass.getName() + ": " + cause, cause);
        }
    }

    /** The convention of the catalog: a public constructor (EventMetadata, fields...). */
    private static final class ConstructorShape implements Shape {

        private final Class<?> eventClass;
        private final Constructor<?> constructor;
        private final String[] names;
        private final JavaType[] types;
        private final ObjectReader[] readers;
        private final Accessor[] accessors;

        ConstructorShape(final Class<?> eventClass, final Constructor<?> constructor) {
            this.eventClass = eventClass;
            this.constructor = constructor;
            final Parameter[] parameters = constructor.getParameters();
            final int count = parameters.length - 1;
            names = new String[count];
            types = new JavaType[count];
            readers = new ObjectReader[count];
            accessors = new Accessor[count];
            final List<Field> ownFields = ownFields(eventClass);
            final boolean named = parameters[0].isNamePresent();
            if (!named && ownFields.size() != count) {
                throw new InvalidEventException(eventClass.getName() + " was compiled without -parameters and its "
                    + ownFields.size() + " instance fields do not match the " + count
                    + " constructor parameters after EventMetadata: compile it with -parameters");
            }
            for (int i = 0; i < count; i++) {
                final Parameter parameter = parameters[i + 1];
                names[i] = named ? parameter.getName() : ownFields.get(i).getName();
                types[i] = MAPPER.getTypeFactory().constructType(parameter.getParameterizedType());
                readers[i] = MAPPER.readerFor(types[i]);
                accessors[i] = accessor(eventClass, names[i]);
            }
        }

        private static List<Field> ownFields(final Class<?> eventClass) {
            final List<Field> fields = new ArrayList<>();
            for (final Field field : eventClass.getDeclaredFields()) {
                if (!Modifier.isStatic(field.getModifiers()) && !field.isSynthetic()) {
                    fields.add(field);
                }
            }
            return fields;
        }

        private static Accessor accessor(final Class<?> eventClass, final String name) {
            // The field first: an event's own "timestamp" must not be read through getTimestamp(),
            // which returns the metadata's.
            for (Class<?> type = eventClass; type != AbstractVersionedDomainEvent.class && type != Object.class;
                type = type.getSuperclass()) {
                for (final Field field : type.getDeclaredFields()) {
                    if (field.getName().equals(name) && !Modifier.isStatic(field.getModifiers())) {
                        field.setAccessible(true);
                        return field::get;
                    }
                }
            }
            final String capitalized = Character.toUpperCase(name.charAt(0)) + name.substring(1);
            for (final String getter : new String[] {"get" + capitalized, "is" + capitalized, name}) {
                for (final Method method : eventClass.getMethods()) {
                    if (method.getName().equals(getter) && method.getParameterCount() == 0) {
                        return method::invoke;
                    }
                }
            }
            throw new InvalidEventException("cannot map " + eventClass.getName() + ": constructor parameter "
                + name + " has no field or getter of that name");
        }

        @Override
        public JsonNode data(final VersionedDomainEvent event) {
            final ObjectNode data = MAPPER.createObjectNode();
            for (int i = 0; i < names.length; i++) {
                final Accessor accessor = accessors[i];
                data.set(names[i], tree(reflect(eventClass, () -> accessor.get(event)), eventClass.getName() + "." + names[i]));
            }
            return data;
        }

        @Override
        public VersionedDomainEvent create(final EventMetadata metadata, final JsonNode data, final String eventType) {
            final Object[] arguments = new Object[names.length + 1];
            arguments[0] = metadata;
            for (int i = 0; i < names.length; i++) {
                final JsonNode value = data.path(names[i]);
                arguments[i + 1] = convert(value.isMissingNode() ? NullNode.getInstance() : value, types[i],
                    eventType + " " + metadata.getEventId() + " eventData." + names[i]);
            }
            return (VersionedDomainEvent) reflect(eventClass, () -> constructor.newInstance(arguments));
        }

        @Override
        public VersionedDomainEvent read(final EventMetadata metadata, final JsonParser parser, final String eventType)
            throws IOException {
            final Object[] arguments = new Object[names.length + 1];
            final boolean[] given = new boolean[names.length];
            arguments[0] = metadata;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final int i = indexOf(parser.currentName());
                parser.nextToken();
                if (i < 0) {
                    parser.skipChildren();
                    continue;
                }
                final String what = eventType + " " + metadata.getEventId() + " eventData." + names[i];
                try {
                    // Jackson's own reading of a JSON string as a String, without its per-value set-up.
                    arguments[i + 1] = parser.currentToken() == JsonToken.VALUE_STRING && types[i].hasRawClass(String.class)
                        ? parser.getText()
                        : readers[i].readValue(parser);
                } catch (final IOException | IllegalArgumentException e) {
                    throw new InvalidEventException(what + " cannot be read as " + types[i].toCanonical() + ": "
                        + e.getMessage(), e);
                }
                given[i] = true;
            }
            for (int i = 0; i < names.length; i++) {
                if (!given[i]) {
                    arguments[i + 1] = convert(NullNode.getInstance(), types[i],
                        eventType + " " + metadata.getEventId() + " eventData." + names[i]);
                }
            }
            return (VersionedDomainEvent) reflect(eventClass, () -> constructor.newInstance(arguments));
        }

        private int indexOf(final String name) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Any other class: Jackson maps it as a bean. */
    private static final class BeanShape implements Shape {

        private final Class<?> eventClass;

        BeanShape(final Class<?> eventClass) {
            this.eventClass = eventClass;
        }

        @Override
        public JsonNode data(final VersionedDomainEvent event) {
            final ObjectNode data = (ObjectNode) tree(event, eventClass.getName());
            data.remove(List.of(METADATA_PROPERTIES));
            return data;
        }

        @Override
        public VersionedDomainEvent create(final EventMetadata metadata, final JsonNode data, final String eventType) {
            final ObjectNode merged = data.isObject() ? ((ObjectNode) data).deepCopy() : MAPPER.createObjectNode();
            merged.setAll((ObjectNode) MAPPER.valueToTree(metadata));
            return (VersionedDomainEvent) convert(merged, MAPPER.constructType(eventClass),
                eventType + " " + metadata.getEventId());
        }
    }

    private static JsonNode tree(final Object value, final String what) {
        try {
            return MAPPER.valueToTree(value);
        } catch (final IllegalArgumentException e) {
            throw new InvalidEventException(what + " cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private static Object convert(final JsonNode value, final JavaType type, final String what) {
        try {
            return MAPPER.readerFor(type).readValue(value);
        } catch (final IOException | IllegalArgumentException e) {
            throw new InvalidEventException(what + " cannot be read as " + type.toCanonical() + ": " + e.getMessage(), e);
        }
    }
}
