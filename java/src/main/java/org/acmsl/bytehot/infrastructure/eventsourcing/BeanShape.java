package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * Any other class: Jackson maps it as a bean; {@code eventData} holds its properties minus the
 * metadata ones, and loading lets Jackson build it from those plus the metadata.
 */
final class BeanShape implements EventShape {

    /**
     * The bean properties of {@link VersionedDomainEvent} that are metadata or derived from it
     * ({@code isFirstEvent()}, {@code isCorrelated()}), or the store's ({@code getStreamPosition()}),
     * not data.
     */
    private static final String[] METADATA_PROPERTIES = {"eventId", "aggregateType", "aggregateId",
        "aggregateVersion", "timestamp", "previousEventId", "schemaVersion", "userId", "correlationId",
        "causationId", "eventType", "firstEvent", "correlated", "streamPosition"};

    private final Class<?> eventClass;

    BeanShape(final Class<?> eventClass) {
        this.eventClass = eventClass;
    }

    @Override
    public JsonNode data(final VersionedDomainEvent event) {
        final ObjectNode data = (ObjectNode) EventMapper.tree(event, eventClass.getName());
        data.remove(List.of(METADATA_PROPERTIES));
        return data;
    }

    @Override
    public VersionedDomainEvent create(final EventMetadata metadata, final JsonNode data, final String eventType) {
        final ObjectNode merged = data.isObject() ? ((ObjectNode) data).deepCopy() : EventMapper.MAPPER.createObjectNode();
        merged.setAll((ObjectNode) EventMapper.MAPPER.valueToTree(metadata));
        return (VersionedDomainEvent) EventMapper.convert(merged, EventMapper.MAPPER.constructType(eventClass),
            eventType + " " + metadata.getEventId());
    }
}
