package org.acmsl.bytehot.domain;

/**
 * A running subscription ({@link EventStreamPort#subscribe}). Closing it stops deliveries:
 * it waits for the event being handled, unless called from the handler itself.
 */
public interface EventSubscription extends AutoCloseable {

    /**
     * The subscription's name.
     * @return the name, or {@code null} for an unnamed subscription
     */
    String getName();

    /**
     * The position of the last event the handler returned from.
     * @return the position, or the one the subscription started after
     */
    long getPosition();

    /**
     * Whether events are still delivered (not closed, not stopped by an error).
     * @return true while running
     */
    boolean isRunning();

    /** Stops the subscription. Idempotent. */
    @Override
    void close();
}
