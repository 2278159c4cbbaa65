package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.acmsl.bytehot.domain.OperationType;

/**
 * The native store's handle. Kept apart from the adapter so that the {@link java.lang.ref.Cleaner} can
 * close it without keeping the adapter reachable. Every call runs under the read lock and
 * close takes the write lock: close never frees the native store under a call in flight.
 */
final class NativeHandle implements Runnable {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private final String path;

    /** Running subscriptions: the close stops them and releases their native side first. */
    private final Set<NativeSubscription> subscriptions = ConcurrentHashMap.newKeySet();

    /** The native handle; 0 once closed. Guarded by {@link #lock}. */
    private long value;

    NativeHandle(final long value, final String path) {
        this.value = value;
        this.path = path;
    }

    /**
     * Runs {@code body} on the open handle; an {@link EventStoreException} it throws says
     * which operation on which aggregate failed ({@link EventStoreException#initContext}).
     */
    <T> T call(final OperationType operation, final String aggregateType, final String aggregateId,
        final LongFunction<T> body) {
        lock.readLock().lock();
        try {
            if (value == 0) {
                throw new EventStoreUnavailableException("the event store at " + path + " is closed");
            }
            return body.apply(value);
        } catch (final EventStoreException e) {
            throw e.initContext(operation, aggregateType, aggregateId);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The raw native handle (0 once closed), for tests of the native registry. */
    long rawValue() {
        lock.readLock().lock();
        try {
            return value;
        } finally {
            lock.readLock().unlock();
        }
    }

    boolean isOpen() {
        return rawValue() != 0;
    }

    void register(final NativeSubscription subscription) {
        subscriptions.add(subscription);
    }

    void unregister(final NativeSubscription subscription) {
        subscriptions.remove(subscription);
    }

    /** Closes the native store; runs at most once (explicit close or Cleaner). */
    @Override
    public void run() {
        subscriptions.forEach(NativeSubscription::stop);
        lock.writeLock().lock();
        try {
            // No poll is in flight now: a named subscription's lock is released here, so a
            // store reopened at once can take the name again. One registered since the
            // first stop is stopped too.
            subscriptions.forEach(NativeSubscription::stop);
            subscriptions.forEach(NativeSubscription::release);
            final long closing = value;
            value = 0;
            NativeEventStore.close(closing);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
