package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * How one event class maps to and from {@code eventData}: by its {@link EventMetadata}
 * constructor ({@link ConstructorShape}) or as a Jackson bean ({@link BeanShape}); see
 * {@link EventShapes#of}.
 */
interface EventShape {

    /** The event's {@code eventData}. */
    JsonNode data(VersionedDomainEvent event);

    /** The event of this class with {@code metadata} and {@code data}. */
    VersionedDomainEvent create(EventMetadata metadata, JsonNode data, String eventType);

    /**
     * What {@link #create} makes of the object at the parser, read without a tree where the
     * shape allows it; the parser ends on the object's end.
     */
    default VersionedDomainEvent read(final EventMetadata metadata, final JsonParser parser, final String eventType)
        throws IOException {
        return create(metadata, EventMapper.MAPPER.readTree(parser), eventType);
    }
}
