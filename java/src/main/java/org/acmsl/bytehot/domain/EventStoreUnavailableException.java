package org.acmsl.bytehot.domain;

/**
 * The store cannot be used: it is closed, its native library could not be loaded, its base
 * directory is unusable, or an earlier failure to sync left it poisoned; or the domain was
 * asked for a store none was made known to (see
 * {@code AbstractVersionedDomainEvent.useEventStore}).
 */
public class EventStoreUnavailableException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception (this constructor is called by the native store too).
     * @param message why the store is unavailable
     */
    public EventStoreUnavailableException(final String message) {
        super(message);
    }
}
