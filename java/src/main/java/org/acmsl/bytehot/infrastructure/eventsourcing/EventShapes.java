package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.lang.reflect.Constructor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

    /** Runs reflection whose failure means the class does not fit the mapping. */
    interface Reflective<T> {
        T run() throws ReflectiveOperationException;
    }

    static <T> T reflect(final Class<?> eventClass, final Reflective<T> action) {
        try {
            return action.run();
        } catch (final ReflectiveOperationException e) {
            final Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new InvalidEventException("cannot map " + eventClass.getName() + ": " + cause, cause);
        }
    }
}
