package org.acmsl.bytehot.domain;

/**
 * A save failed after its events were journaled: they may be in the store or not, and the next
 * open of the store settles which. The store refuses further writes until it is reopened. Retry
 * with the same event ids after reopening: an event already stored is not written again, so a
 * retry never stores it twice (a retry with new ids could).
 */
public class EventStoreOutcomeUnknownException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception (this constructor is called by the native store).
     * @param message what failed, and what to do
     */
    public EventStoreOutcomeUnknownException(final String message) {
        super(message);
    }
}
