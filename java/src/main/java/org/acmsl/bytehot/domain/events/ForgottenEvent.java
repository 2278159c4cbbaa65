package org.acmsl.bytehot.domain.events;

import java.util.Map;
import java.util.Objects;

/**
 * An event of an aggregate that was forgotten (crypto-shredding: its data key destroyed, see
 * {@code FilesystemEventStoreAdapter.forgetAggregate}): its metadata and type are what was
 * stored, its data can never be read again. Reads return it in the event's place, so that the
 * aggregate's history keeps its shape (versions, times, counts). Immutable, with value equality.
 */
public final class ForgottenEvent extends AbstractVersionedDomainEvent {

    private final String eventType;

    private final String forgottenAt;

    /**
     * The forgotten event of {@code eventType} with {@code metadata}.
     * @param metadata the stored metadata
     * @param eventType the stored event type
     * @param forgottenAt when its aggregate was forgotten (ISO-8601), as the store recorded it
     */
    public ForgottenEvent(final EventMetadata metadata, final String eventType, final String forgottenAt) {
        super(metadata);
        this.eventType = Objects.requireNonNull(eventType, "eventType");
        this.forgottenAt = forgottenAt;
    }

    @Override
    public String getEventType() {
        return eventType;
    }

    /**
     * When the aggregate's data key was destroyed.
     * @return an ISO-8601 instant, or {@code null} if the store did not say
     */
    public String getForgottenAt() {
        return forgottenAt;
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("eventType", eventType, "forgottenAt", forgottenAt);
    }
}
