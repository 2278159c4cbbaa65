package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The {@link EventShape} of each event class, inspected once and kept for the life of the class
 * loader (a class's constructors and fields do not change).
 */
final class EventShapes {

    private static final Map<Class<?>, EventShape> SHAPES = new ConcurrentHashMap<>();

    private EventShapes() {
    }

    /**
     * The shape of a class: its public constructor with {@link EventMetadata} first and the most
     * parameters, or the bean mapping when it has none.
     * @throws InvalidEventException when the constructor's parameters match no field or getter
     */
    static EventShape of(final Class<?> eventClass) {
        return SHAPES.computeIfAbsent(eventClass, EventShapes::inspect);
    }

    private static EventShape inspect(final Class<?> eventClass) {
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

    /**
     * Makes a field of an event class readable, or says how to let the store read it: a
     * class in a named module whose package is not open to this library cannot be mapped.
     * @throws EventStoreConfigurationException naming the module and package to open
     */
    static void makeAccessible(final Field field, final Class<?> eventClass) {
        try {
            field.setAccessible(true);
        } catch (final InaccessibleObjectException e) {
            throw notOpen(eventClass, e);
        }
    }

    /** The configuration error for an event class whose package its module keeps closed. */
    static EventStoreConfigurationException notOpen(final Class<?> eventClass, final RuntimeException cause) {
        final String module = eventClass.getModule().getName();
        final String pkg = eventClass.getPackageName();
        return new EventStoreConfigurationException("cannot map " + eventClass.getName() + ": module " + module
            + " does not open package " + pkg + " to the event store; add \"opens " + pkg + ";\" to its"
            + " module-info.java, or run with --add-opens " + module + "/" + pkg + "=ALL-UNNAMED (" + cause.getMessage()
            + ")", cause);
    }

    /** Runs reflection whose failure means the class does not fit the mapping. */
    interface Reflective<T> {
        T run() throws ReflectiveOperationException;
    }

    static <T> T reflect(final Class<?> eventClass, final Reflective<T> action) {
        try {
            return action.run();
        } catch (final InaccessibleObjectException e) {
            throw notOpen(eventClass, e);
        } catch (final ReflectiveOperationException e) {
            final Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new InvalidEventException("cannot map " + eventClass.getName() + ": " + cause, cause);
        }
    }
}
