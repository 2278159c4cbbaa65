package org.acmsl.bytehot.domain.events;

import java.util.Map;

/**
 * ByteHot failed to start. The original {@code Throwable} is stored as its class name and message.
 * Aggregate type: {@code bytehot}.
 */
public final class ByteHotNotStarted extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "bytehot";

    private final String errorClass;

    private final String errorMessage;

    private final String precedingEventId;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param errorClass class name of the error that prevented the start
     * @param errorMessage its message
     * @param precedingEventId id of the event this one follows from (the catalog's preceding event), or {@code null}
     */
    public ByteHotNotStarted(
        final EventMetadata metadata,
        final String errorClass,
        final String errorMessage,
        final String precedingEventId) {
        super(metadata);
        this.errorClass = errorClass;
        this.errorMessage = errorMessage;
        this.precedingEventId = precedingEventId;
    }

    /**
     * Class name of the error that prevented the start.
     * @return the errorClass
     */
    public String getErrorClass() {
        return errorClass;
    }

    /**
     * Its message.
     * @return the errorMessage
     */
    public String getErrorMessage() {
        return errorMessage;
    }

    /**
     * Id of the event this one follows from (the catalog's preceding event), or {@code null}.
     * @return the precedingEventId
     */
    public String getPrecedingEventId() {
        return precedingEventId;
    }

    /**
     * Creates the event from the error that prevented the start.
     * @param metadata the event-sourcing metadata
     * @param error the error (its class name and message are kept; {@code null} keeps neither)
     * @param precedingEventId id of the event this one follows from, or {@code null}
     * @return the event
     */
    public static ByteHotNotStarted fromError(final EventMetadata metadata, final Throwable error, final String precedingEventId) {
        return new ByteHotNotStarted(metadata, error == null ? null : error.getClass().getName(),
            error == null ? null : error.getMessage(), precedingEventId);
    }

    @Override
    protected ByteHotNotStarted withMetadata(final EventMetadata newMetadata) {
        return new ByteHotNotStarted(newMetadata, errorClass, errorMessage, precedingEventId);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("errorClass", errorClass, "errorMessage", errorMessage, "precedingEventId", precedingEventId);
    }
}
