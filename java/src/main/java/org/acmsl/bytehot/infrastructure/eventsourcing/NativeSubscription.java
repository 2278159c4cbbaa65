package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.acmsl.bytehot.domain.EventSubscription;
import org.acmsl.bytehot.domain.OperationType;
import org.acmsl.bytehot.domain.VersionedDomainEvent;

/**
 * A subscription's delivery thread: it asks the native store for the next page of events
 * (waiting up to {@link #WAIT_MILLIS} when caught up), hands each to the handler, and
 * acknowledges the page's last handled position (a named subscription's checkpoint). It
 * holds one page at a time, so a slow handler only delays its own subscription.
 *
 * <p>Invariants: the native subscription is released exactly once (by the thread on its way
 * out, or by the store's close, whichever comes first); {@code onError} runs at most once,
 * and never for a subscription closed by its owner or by the store's close.
 */
final class NativeSubscription implements EventSubscription {

    /** Events asked for at a time. */
    static final int PAGE = 256;

    /** How long a poll waits for a new event: also how long a close may wait for the thread. */
    static final long WAIT_MILLIS = 200L;

    private static final System.Logger LOG = System.getLogger("org.acmsl.bytehot.eventstore");

    private final NativeHandle store;

    /** The adapter, held: a running subscription keeps its store open (from the Cleaner too). */
    private final Object owner;

    private final long id;

    private final String name;

    private final Consumer<VersionedDomainEvent> handler;

    private final Consumer<Throwable> onError;

    private final Thread thread;

    private final AtomicBoolean released = new AtomicBoolean();

    private volatile boolean running = true;

    private volatile long position;

    NativeSubscription(final Object owner, final NativeHandle store, final long id,
        final String name, final long position, final Consumer<VersionedDomainEvent> handler,
        final Consumer<Throwable> onError) {
        this.owner = owner;
        this.store = store;
        this.id = id;
        this.name = name;
        this.position = position;
        this.handler = handler;
        this.onError = onError;
        this.thread = new Thread(this::deliver, "bytehot-eventstore-subscription-" + (name == null ? id : name));
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void deliver() {
        Throwable failure = null;
        try {
            while (running && failure == null) {
                final byte[] page = store.call(OperationType.RETRIEVE, null, null,
                    h -> NativeEventStore.poll(id, PAGE, WAIT_MILLIS));
                final List<Long> positions = new ArrayList<>();
                final List<VersionedDomainEvent> events = EventSerializationSupport.fromEnvelopes(page, positions);
                long handled = -1L;
                for (int i = 0; i < events.size() && running; i++) {
                    try {
                        handler.accept(events.get(i));
                    } catch (final Throwable e) {
                        // Whatever it throws (a checked exception thrown sneakily too).
                        failure = e;
                        break;
                    }
                    handled = positions.get(i);
                    position = handled;
                }
                if (handled > 0L) {
                    final long at = handled;
                    store.call(OperationType.SAVE, null, null, h -> {
                        NativeEventStore.acknowledge(id, at);
                        return null;
                    });
                }
            }
        } catch (final RuntimeException | Error e) {
            // After a close (the owner's or the store's) a failing call is the close's doing;
            // after a handler's failure, the handler's is the one to report.
            if (running && failure == null) {
                failure = e;
            }
        } finally {
            running = false;
            release();
            store.unregister(this);
        }
        if (failure != null) {
            try {
                onError.accept(failure);
            } catch (final RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "the error callback of subscription " + describe() + " failed", e);
            }
        }
    }

    /** Releases the native subscription (and a named one's lock); once. */
    void release() {
        if (released.compareAndSet(false, true)) {
            NativeEventStore.closeSubscription(id);
        }
    }

    /** Stops deliveries without waiting (the store's close). */
    void stop() {
        running = false;
    }

    private String describe() {
        return name == null ? "#" + id : '"' + name + '"';
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public long getPosition() {
        return position;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void close() {
        running = false;
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (final InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "EventSubscription[" + describe() + ", position " + position + (running ? ", running]" : ", stopped]");
    }
}
