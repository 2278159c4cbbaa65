package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Constructor;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;

/**
 * The {@code eventData} of every catalog event has exactly one member per parameter of the
 * class's {@code (EventMetadata, ...)} constructor, named after it and in its order: what a
 * person reads in an event file is what the constructor takes, and a field a class adds without
 * a parameter (or a parameter renamed) shows up here rather than as data lost on reload.
 */
class CatalogEventDataKeysTest {

    private static final EventMetadata METADATA = EventMetadata.forNewAggregate("agg", "id-1");

    @Test
    void everyCatalogEventsDataKeysAreItsConstructorParameterNames() throws Exception {
        final ObjectMapper json = new ObjectMapper();
        final Set<Class<?>> seen = new HashSet<>();
        for (final VersionedDomainEvent event : SampleEvents.all(type -> METADATA)) {
            seen.add(event.getClass());
            final JsonNode data = json.readTree(EventSerializationSupport.toJson(event)).get("eventData");
            final List<String> keys = new ArrayList<>();
            data.fieldNames().forEachRemaining(keys::add);

            assertThat(keys).as(event.getClass().getSimpleName()).containsExactlyElementsOf(parameterNames(event.getClass()));
        }
        assertThat(seen).as("the 16 catalog classes").hasSize(16);
    }

    /** The names after the metadata of the longest public constructor taking EventMetadata first. */
    private static List<String> parameterNames(final Class<?> eventClass) {
        final Constructor<?> constructor = Arrays.stream(eventClass.getConstructors())
            .filter(c -> c.getParameterCount() > 0 && c.getParameterTypes()[0] == EventMetadata.class)
            .max(Comparator.comparingInt(Constructor::getParameterCount))
            .orElseThrow(() -> new AssertionError(eventClass + " has no EventMetadata constructor"));
        final List<String> names = new ArrayList<>();
        for (final Parameter parameter : Arrays.asList(constructor.getParameters()).subList(1, constructor.getParameterCount())) {
            assertThat(parameter.isNamePresent()).as(eventClass + " compiled with -parameters").isTrue();
            names.add(parameter.getName());
        }
        return names;
    }
}
