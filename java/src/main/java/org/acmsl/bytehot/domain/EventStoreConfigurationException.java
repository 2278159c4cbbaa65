package org.acmsl.bytehot.domain;

/**
 * The store's configuration cannot be used: a setting is unknown, malformed or not
 * implemented, two sources disagree, or a configuration file cannot be read. The message names
 * the setting and what to change.
 */
public class EventStoreConfigurationException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception (this constructor is called by the native store).
     * @param message the setting, and what to change
     */
    public EventStoreConfigurationException(final String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     * @param message the setting, and what to change
     * @param cause what failed
     */
    public EventStoreConfigurationException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
