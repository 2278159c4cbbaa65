package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
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
import org.acmsl.bytehot.domain.events.HotSwapCapabilityEnabled;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.domain.events.InstancesUpdated;
import org.acmsl.bytehot.domain.events.WatchPathConfigured;

/**
 * Which class loads the events of a type name: the catalog from the start, a class saved in this
 * JVM under its own {@link VersionedDomainEvent#getEventType()}, any other once registered. A
 * name, once known, keeps its class unless registered again explicitly.
 */
final class EventTypeRegistry {

    private static final Map<String, Class<? extends VersionedDomainEvent>> TYPES = new ConcurrentHashMap<>();

    static {
        registerCatalog();
    }

    private static void registerCatalog() {
        for (final Class<? extends VersionedDomainEvent> type : List.of(
            ByteHotAttachRequested.class, ByteHotAgentAttached.class, ByteHotNotStarted.class,
            WatchPathConfigured.class, HotSwapCapabilityEnabled.class, ClassFileChanged.class,
            ClassFileCreated.class, ClassFileDeleted.class, ClassFileProcessed.class,
            ClassMetadataExtracted.class, BytecodeValidated.class, BytecodeRejected.class,
            HotSwapRequested.class, ClassRedefinitionSucceeded.class, ClassRedefinitionFailed.class,
            InstancesUpdated.class)) {
            register(type.getSimpleName(), type);
        }
    }

    private EventTypeRegistry() {
    }

    /** Loads events of {@code eventType} as {@code eventClass}, after checking the class can be mapped. */
    static void register(final String eventType, final Class<? extends VersionedDomainEvent> eventClass) {
        EventShapes.of(eventClass);
        TYPES.put(eventType, eventClass);
    }

    /**
     * Records the class of an event being saved under its type name. A name already taken
     * by a class of another name ({@code com.a.UserCreated} and {@code com.b.UserCreated}
     * both say {@code UserCreated}) is refused: reading the events back would build the
     * wrong class. The same class from another class loader (a reloaded application) takes
     * the name over.
     * @throws InvalidEventException naming both classes and how to tell them apart
     */
    static void remember(final String eventType, final Class<? extends VersionedDomainEvent> eventClass) {
        final Class<? extends VersionedDomainEvent> known = TYPES.putIfAbsent(eventType, eventClass);
        if (known == null || known == eventClass) {
            return;
        }
        if (!known.getName().equals(eventClass.getName())) {
            throw new InvalidEventException("event type " + eventType + " is already " + known.getName() + ": "
                + eventClass.getName() + " cannot be saved under the same type name, or its events would be read "
                + "back as " + known.getSimpleName() + "; give it a type name of its own by overriding "
                + "getEventType()");
        }
        TYPES.put(eventType, eventClass);
    }

    /** Whether a type name has a class. */
    static boolean isRegistered(final String eventType) {
        return eventType != null && TYPES.containsKey(eventType);
    }

    /** Every type name with its class, as a copy. */
    static Map<String, Class<? extends VersionedDomainEvent>> registered() {
        return new TreeMap<>(TYPES);
    }

    /** Forgets every registration and remembered class but the catalog's. */
    static void reset() {
        TYPES.clear();
        registerCatalog();
    }

    /** The class of a type name. */
    static Class<? extends VersionedDomainEvent> eventClass(final String eventType) {
        final Class<? extends VersionedDomainEvent> eventClass = TYPES.get(String.valueOf(eventType));
        if (eventClass == null) {
            throw new InvalidEventException("unknown event type " + eventType
                + ": register its class with EventSerializationSupport.registerEventType");
        }
        return eventClass;
    }
}
