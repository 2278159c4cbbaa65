package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The convention of the catalog: a public constructor {@code (EventMetadata, fields...)}.
 * {@code eventData} holds one member per parameter after the metadata, named after it (a class
 * compiled without {@code -parameters} is refused: its parameters' names are unknown) and read
 * from the field of that name or its getter; loading calls the constructor.
 */
final class ConstructorShape implements EventShape {

    /** Reads a value from an event. */
    private interface Accessor {
        Object get(Object target) throws ReflectiveOperationException;
    }

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
        if (!parameters[0].isNamePresent()) {
            // Guessing the names from the fields' order would swap fields of one type
            // (a constructor (firstName, lastName) over fields (lastName, firstName)).
            throw new InvalidEventException(eventClass.getName() + " was compiled without -parameters, so the names "
                + "of its constructor's parameters, which name its eventData members, are unknown: compile it with "
                + "-parameters (javac -parameters; Gradle: options.compilerArgs << '-parameters'; Maven: "
                + "<parameters>true</parameters> in maven-compiler-plugin)");
        }
        for (int i = 0; i < count; i++) {
            final Parameter parameter = parameters[i + 1];
            names[i] = parameter.getName();
            types[i] = EventMapper.MAPPER.getTypeFactory().constructType(parameter.getParameterizedType());
            readers[i] = EventMapper.MAPPER.readerFor(types[i]);
            accessors[i] = accessor(eventClass, names[i]);
        }
    }

    private static Accessor accessor(final Class<?> eventClass, final String name) {
        // The field first: an event's own "timestamp" must not be read through getTimestamp(),
        // which returns the metadata's.
        for (Class<?> type = eventClass; type != AbstractVersionedDomainEvent.class && type != Object.class;
            type = type.getSuperclass()) {
            for (final Field field : type.getDeclaredFields()) {
                if (field.getName().equals(name) && !Modifier.isStatic(field.getModifiers())) {
                    EventShapes.makeAccessible(field, eventClass);
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
        final ObjectNode data = EventMapper.MAPPER.createObjectNode();
        for (int i = 0; i < names.length; i++) {
            final Accessor accessor = accessors[i];
            data.set(names[i], EventMapper.tree(EventShapes.reflect(eventClass, () -> accessor.get(event)), eventClass.getName() + "." + names[i]));
        }
        return data;
    }

    @Override
    public VersionedDomainEvent create(final EventMetadata metadata, final JsonNode data, final String eventType) {
        final Object[] arguments = new Object[names.length + 1];
        arguments[0] = metadata;
        for (int i = 0; i < names.length; i++) {
            final JsonNode value = data.path(names[i]);
            arguments[i + 1] = EventMapper.convert(value.isMissingNode() ? NullNode.getInstance() : value, types[i],
                eventType + " " + metadata.getEventId() + " eventData." + names[i]);
        }
        return (VersionedDomainEvent) EventShapes.reflect(eventClass, () -> constructor.newInstance(arguments));
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
                arguments[i + 1] = EventMapper.convert(NullNode.getInstance(), types[i],
                    eventType + " " + metadata.getEventId() + " eventData." + names[i]);
            }
        }
        return (VersionedDomainEvent) EventShapes.reflect(eventClass, () -> constructor.newInstance(arguments));
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
