package org.acmsl.bytehot.infrastructure.eventsourcing;

import org.acmsl.bytehot.domain.EventSchemaVersion;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The schema versions event classes declare ({@link EventSchemaVersion}), and the checks that
 * hold saves and reads to them. A class without the annotation declares nothing (0 here).
 */
final class DeclaredSchemaVersions {

    private static final ClassValue<Integer> DECLARED = new ClassValue<Integer>() {
        @Override
        protected Integer computeValue(final Class<?> type) {
            final EventSchemaVersion declared = type.getAnnotation(EventSchemaVersion.class);
            if (declared == null) {
                return 0;
            }
            if (declared.value() < 1) {
                throw new InvalidEventException(type.getName() + " declares schema version " + declared.value()
                    + ": schema versions start at 1");
            }
            return declared.value();
        }
    };

    private DeclaredSchemaVersions() {
    }

    /** The version {@code eventClass} declares; 0 when it declares none. */
    static int of(final Class<?> eventClass) {
        return DECLARED.get(eventClass);
    }

    /** The schema version {@code event} is stored at. */
    static int forSave(final VersionedDomainEvent event) {
        final int declared = of(event.getClass());
        final int given = event.getSchemaVersion();
        if (declared == 0 || given == declared) {
            return given;
        }
        if (given == EventMetadata.DEFAULT_SCHEMA_VERSION) {
            return declared;
        }
        throw new InvalidEventException("event " + event.getEventId() + " says schema version " + given + " but "
            + event.getClass().getName() + " declares schema version " + declared
            + " (@EventSchemaVersion): its data has the declared shape, so it is stored at that version");
    }

    /**
     * Fails unless an event of {@code eventType}, upcast as far as the registered chain goes
     * (to {@code version}), can be read as {@code eventClass}.
     */
    static void checkRead(final String eventType, final Class<?> eventClass, final int version) {
        final int declared = of(eventClass);
        if (declared == 0 || declared == version) {
            return;
        }
        if (version < declared) {
            throw new InvalidEventException("an event of " + eventType + " at schema version " + version
                + " cannot be read as " + eventClass.getName() + ", which declares schema version " + declared
                + ": register an upcaster of " + eventType + " from version " + version
                + " (EventSerializationSupport.registerUpcaster)");
        }
        throw new InvalidEventException("an event of " + eventType + " at schema version " + version
            + " is newer than " + eventClass.getName() + " (schema version " + declared
            + "): it was written by a later release of the application");
    }
}
