package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.acmsl.bytehot.domain.InvalidEventException;

/**
 * The registered upcasters: per event type and schema version, the transform of an event's
 * {@code eventData} from that version to the next. A read applies them in a chain, version by
 * version, until none is registered for the version reached, and the event then carries that
 * version as its {@code schemaVersion}. Stored files are never changed by a read.
 */
final class Upcasters {

    private static final Map<String, Map<Integer, UnaryOperator<ObjectNode>>> BY_TYPE = new ConcurrentHashMap<>();

    private Upcasters() {
    }

    static void register(final String eventType, final int fromVersion, final UnaryOperator<ObjectNode> transform) {
        if (fromVersion < 1) {
            throw new IllegalArgumentException("schema versions start at 1: " + fromVersion);
        }
        final UnaryOperator<ObjectNode> earlier = BY_TYPE.computeIfAbsent(eventType, t -> new ConcurrentHashMap<>())
            .putIfAbsent(fromVersion, transform);
        if (earlier != null && earlier != transform) {
            throw new IllegalStateException("an upcaster of " + eventType + " from version " + fromVersion
                + " is already registered");
        }
    }

    /** Whether an event of this type and schema version is read through an upcaster. */
    static boolean applies(final String eventType, final int schemaVersion) {
        final Map<Integer, UnaryOperator<ObjectNode>> chain = BY_TYPE.get(String.valueOf(eventType));
        return chain != null && chain.containsKey(schemaVersion);
    }

    /** The envelope with its data upcast as far as the chain goes (the same object when none applies). */
    static JsonNode upcast(final JsonNode envelope) {
        final String eventType = envelope.path("eventType").textValue();
        final JsonNode metadata = envelope.path("eventMetadata");
        int version = metadata.path("schemaVersion").asInt(1);
        if (!applies(eventType, version) || !metadata.isObject()) {
            return envelope;
        }
        final ObjectNode copy = (ObjectNode) envelope.deepCopy();
        JsonNode data = copy.path("eventData");
        final Map<Integer, UnaryOperator<ObjectNode>> chain = BY_TYPE.get(eventType);
        UnaryOperator<ObjectNode> step;
        while ((step = chain.get(version)) != null) {
            if (!data.isObject()) {
                throw new InvalidEventException("the eventData of " + eventType + " version " + version
                    + " is not an object, which its upcaster needs");
            }
            final ObjectNode next;
            try {
                next = step.apply((ObjectNode) data);
            } catch (final RuntimeException e) {
                throw new InvalidEventException("the upcaster of " + eventType + " from schema version " + version
                    + " failed on event " + metadata.path("eventId").asText() + ": " + e, e);
            }
            if (next == null) {
                throw new InvalidEventException("the upcaster of " + eventType + " from schema version " + version
                    + " returned null");
            }
            data = next;
            version++;
        }
        copy.set("eventData", data);
        ((ObjectNode) copy.get("eventMetadata")).put("schemaVersion", version);
        return copy;
    }

    static void reset() {
        BY_TYPE.clear();
    }
}
