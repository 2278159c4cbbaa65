package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.lang.reflect.InaccessibleObjectException;
import java.net.URI;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.WatchConfiguration;

/**
 * The one Jackson {@link ObjectMapper} of the binding, configured for domain classes that carry
 * no Jackson annotations: ISO-8601 times, paths as plain text, unknown members ignored (an older
 * reader of a newer event keeps what it knows). Every conversion failure becomes an
 * {@link InvalidEventException} naming what was being converted.
 */
final class EventMapper {

    static final ObjectMapper MAPPER = createMapper();

    private EventMapper() {
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
            return path(parser.getValueAsString());
        }
    }

    /**
     * A stored path: as this library writes it (the path's text), or as ByteHot's adapter's
     * Jackson wrote it (the path's URI, {@code file:///app/Foo.class}).
     */
    static Path path(final String text) {
        if (text.startsWith("file:/")) {
            try {
                return Paths.get(URI.create(text));
            } catch (final IllegalArgumentException | FileSystemNotFoundException notAFileUri) {
                return Paths.get(text);
            }
        }
        return Paths.get(text);
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
     * Jackson reports a class in a module that keeps its package closed as an
     * {@link IllegalArgumentException} caused by an {@link InaccessibleObjectException}: that
     * is a deployment to fix, not a bad event.
     */
    private static void throwIfNotOpen(final Class<?> type, final Exception failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof InaccessibleObjectException) {
                throw EventShapes.notOpen(type, (InaccessibleObjectException) cause);
            }
        }
    }

    /** {@code value} as a JSON tree. */
    static JsonNode tree(final Object value, final String what) {
        try {
            return MAPPER.valueToTree(value);
        } catch (final IllegalArgumentException e) {
            throwIfNotOpen(value.getClass(), e);
            throw new InvalidEventException(what + " cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    /** {@code value} read as {@code type}. */
    static Object convert(final JsonNode value, final JavaType type, final String what) {
        try {
            return MAPPER.readerFor(type).readValue(value);
        } catch (final IOException | IllegalArgumentException e) {
            throwIfNotOpen(type.getRawClass(), e);
            throw new InvalidEventException(what + " cannot be read as " + type.toCanonical() + ": " + e.getMessage(), e);
        }
    }
}
