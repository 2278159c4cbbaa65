package org.acmsl.bytehot.domain;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The store read as one stream: every event in the order it was committed, by any process
 * writing the store, each with its {@link VersionedDomainEvent#getStreamPosition() stream
 * position}; subscriptions that catch up and then deliver live events; and the events of a
 * correlation or of a user.
 *
 * <p>Positions are strictly increasing in commit order and never given to two events. A
 * subscription delivers each event at most once while it runs, in position order; a named
 * subscription resumes after the last position its handler returned from, so an event may be
 * delivered again after a crash (at least once). See {@code docs/subscriptions.md}.
 */
public interface EventStreamPort extends Port {

    /**
     * Up to {@code limit} events whose position is at least {@code fromPosition}, in position
     * order. The next page starts after the last one's position; an empty page is the end.
     * @param fromPosition the first position wanted (1: the beginning)
     * @param limit the most events returned
     * @return the events, each with its stream position
     * @throws EventStoreException if the store cannot be read
     */
    List<VersionedDomainEvent> readAll(long fromPosition, int limit);

    /**
     * The greatest position given to an event so far.
     * @return the last position, 0 in an empty store
     */
    long getLastPosition();

    /**
     * Delivers the events {@code filter} admits, from {@code start} on, to {@code handler}
     * on a thread of the subscription's own: first those already stored, then each new one
     * as it is committed (in this process or another). If the handler throws, the
     * subscription stops and {@code onError} receives the exception; so it does if reading
     * fails. A slow handler never slows writers.
     * @param start where to start
     * @param filter which events
     * @param handler called once per event, in position order
     * @param onError called once if the subscription stops on an error
     * @return the running subscription; close it to stop
     */
    EventSubscription subscribe(SubscriptionStart start, StreamFilter filter,
        Consumer<VersionedDomainEvent> handler, Consumer<Throwable> onError);

    /**
     * A named subscription: like {@link #subscribe(SubscriptionStart, StreamFilter, Consumer, Consumer)},
     * but it resumes after the last event its handler returned from under {@code name}, also
     * after a restart ({@code start} counts only the first time). One subscriber per name at
     * a time, across processes.
     * @param name the subscription's name (its checkpoint's)
     * @param start where to start when it has no checkpoint yet
     * @param filter which events
     * @param handler called once per event, in position order
     * @param onError called once if the subscription stops on an error
     * @return the running subscription
     * @throws EventStoreUnavailableException if another subscriber of that name is running
     */
    EventSubscription subscribe(String name, SubscriptionStart start, StreamFilter filter,
        Consumer<VersionedDomainEvent> handler, Consumer<Throwable> onError);

    /**
     * The last position a named subscription acknowledged.
     * @param name the subscription's name
     * @return the position, empty if it never acknowledged one
     */
    OptionalLong getSubscriptionCheckpoint(String name);

    /**
     * Every event of a correlation id, ordered by timestamp.
     * @param correlationId the correlation id
     * @return the events
     */
    List<VersionedDomainEvent> getEventsByCorrelationId(String correlationId);

    /**
     * The events of a correlation id whose timestamp lies in {@code [from, to]}.
     * @param correlationId the correlation id
     * @param from the earliest timestamp
     * @param to the latest timestamp
     * @return the events, ordered by timestamp
     */
    List<VersionedDomainEvent> getEventsByCorrelationId(String correlationId, Instant from, Instant to);

    /**
     * Every event of a user, ordered by timestamp.
     * @param userId the user id
     * @return the events
     */
    List<VersionedDomainEvent> getEventsByUserId(String userId);

    /**
     * The events of a user whose timestamp lies in {@code [from, to]}.
     * @param userId the user id
     * @param from the earliest timestamp
     * @param to the latest timestamp
     * @return the events, ordered by timestamp
     */
    List<VersionedDomainEvent> getEventsByUserId(String userId, Instant from, Instant to);
}
