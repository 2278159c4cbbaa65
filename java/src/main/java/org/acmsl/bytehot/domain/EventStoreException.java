package org.acmsl.bytehot.domain;

/**
 * A failure of the event store. Subclasses name the failures a caller may want to handle.
 */
public class EventStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception (this constructor is called by the native store).
     * @param message what went wrong
     */
    public EventStoreException(final String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public EventStoreException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
