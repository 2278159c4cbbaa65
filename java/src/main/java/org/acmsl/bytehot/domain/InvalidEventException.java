package org.acmsl.bytehot.domain;

/**
 * An event, name, argument or setting the store cannot accept as it is; retrying will not help.
 */
public class InvalidEventException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception (this constructor is called by the native store).
     * @param message what is wrong, naming the field
     */
    public InvalidEventException(final String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     * @param message what is wrong
     * @param cause the underlying failure
     */
    public InvalidEventException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
