package org.acmsl.bytehot.bench;

import java.util.Map;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The benchmark's event: a type name chosen at run time ({@code kind}, so that one class can
 * stand for many event types in the by-type queries) and an opaque text payload.
 */
public final class BenchEvent extends AbstractVersionedDomainEvent {

    private final String kind;
    private final String payload;

    /**
     * Creates the event.
     * @param metadata its metadata
     * @param kind its event type name
     * @param payload its payload
     */
    public BenchEvent(final EventMetadata metadata, final String kind, final String payload) {
        super(metadata);
        this.kind = kind;
        this.payload = payload;
    }

    @Override
    public String getEventType() {
        return kind;
    }

    /**
     * The payload.
     * @return the payload
     */
    public String getPayload() {
        return payload;
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("kind", kind, "payload", payload);
    }
}
