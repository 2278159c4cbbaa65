package org.acmsl.bytehot.domain;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Rebuilds an aggregate's state from its latest snapshot plus the events since, and takes a
 * new snapshot when a rebuild had to apply at least {@code snapshotEvery} events: a long
 * history is read once, then a few events at a time.
 * @param <S> the state's type (written to JSON by the snapshot port)
 */
public final class AggregateRebuilder<S> {

    private final EventStorePort events;

    private final SnapshotPort snapshots;

    private final Class<S> stateClass;

    private final Supplier<S> initial;

    private final BiFunction<S, VersionedDomainEvent, S> apply;

    private final int snapshotEvery;

    /**
     * A rebuilder.
     * @param events where the events are read
     * @param snapshots where snapshots are loaded and saved
     * @param stateClass the state's class
     * @param initial the state before the first event
     * @param apply the state after one more event
     * @param snapshotEvery take a snapshot when a rebuild applied at least this many events
     *     (0: never)
     */
    public AggregateRebuilder(final EventStorePort events, final SnapshotPort snapshots, final Class<S> stateClass,
        final Supplier<S> initial, final BiFunction<S, VersionedDomainEvent, S> apply, final int snapshotEvery) {
        this.events = Objects.requireNonNull(events, "events must not be null");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots must not be null");
        this.stateClass = Objects.requireNonNull(stateClass, "stateClass must not be null");
        this.initial = Objects.requireNonNull(initial, "initial must not be null");
        this.apply = Objects.requireNonNull(apply, "apply must not be null");
        if (snapshotEvery < 0) {
            throw new IllegalArgumentException("snapshotEvery must not be negative: " + snapshotEvery);
        }
        this.snapshotEvery = snapshotEvery;
    }

    /**
     * The aggregate's current state.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @return the state, its version, and how it was reached
     */
    public Rebuilt<S> rebuild(final String aggregateType, final String aggregateId) {
        final Optional<AggregateSnapshot<S>> snapshot =
            snapshots.loadLatestSnapshot(aggregateType, aggregateId, stateClass);
        S state = snapshot.map(AggregateSnapshot::getState).orElseGet(initial);
        long version = snapshot.map(AggregateSnapshot::getVersion).orElse(0L);
        final List<VersionedDomainEvent> since = events.getEventsForAggregateSince(aggregateType, aggregateId, version);
        for (final VersionedDomainEvent event : since) {
            state = apply.apply(state, event);
            version = event.getAggregateVersion();
        }
        if (snapshotEvery > 0 && since.size() >= snapshotEvery) {
            snapshots.saveSnapshot(aggregateType, aggregateId, version, state);
        }
        return new Rebuilt<>(state, version, since.size(), snapshot.isPresent());
    }

    /**
     * A rebuilt state.
     * @param <S> the state's type
     */
    public static final class Rebuilt<S> {

        private final S state;

        private final long version;

        private final int eventsApplied;

        private final boolean fromSnapshot;

        Rebuilt(final S state, final long version, final int eventsApplied, final boolean fromSnapshot) {
            this.state = state;
            this.version = version;
            this.eventsApplied = eventsApplied;
            this.fromSnapshot = fromSnapshot;
        }

        /** @return the state */
        public S getState() {
            return state;
        }

        /** @return the aggregate's version the state is at */
        public long getVersion() {
            return version;
        }

        /** @return how many events the rebuild applied */
        public int getEventsApplied() {
            return eventsApplied;
        }

        /** @return whether it started from a snapshot */
        public boolean isFromSnapshot() {
            return fromSnapshot;
        }
    }
}
