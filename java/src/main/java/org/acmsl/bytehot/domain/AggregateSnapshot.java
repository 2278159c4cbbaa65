package org.acmsl.bytehot.domain;

import java.time.Instant;
import java.util.Objects;

/**
 * An aggregate's state as of one version ({@link SnapshotPort}). Immutable, with value
 * equality (as far as its state has it).
 * @param <T> the state's type
 */
public final class AggregateSnapshot<T> {

    private final long version;

    private final String eventId;

    private final Instant takenAt;

    private final T state;

    /**
     * A snapshot.
     * @param version the version whose state it is
     * @param eventId the id of the event at that version
     * @param takenAt when it was taken
     * @param state the state
     */
    public AggregateSnapshot(final long version, final String eventId, final Instant takenAt, final T state) {
        this.version = version;
        this.eventId = eventId;
        this.takenAt = takenAt;
        this.state = state;
    }

    /**
     * The version whose state it is: the events after it complete it.
     * @return the version
     */
    public long getVersion() {
        return version;
    }

    /**
     * The id of the event at that version.
     * @return the event id
     */
    public String getEventId() {
        return eventId;
    }

    /**
     * When it was taken.
     * @return the instant
     */
    public Instant getTakenAt() {
        return takenAt;
    }

    /**
     * The state.
     * @return the state
     */
    public T getState() {
        return state;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof AggregateSnapshot)) {
            return false;
        }
        final AggregateSnapshot<?> that = (AggregateSnapshot<?>) other;
        return version == that.version && Objects.equals(eventId, that.eventId)
            && Objects.equals(takenAt, that.takenAt) && Objects.equals(state, that.state);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, eventId, takenAt, state);
    }

    @Override
    public String toString() {
        return "AggregateSnapshot[version " + version + ", " + eventId + ", " + takenAt + "]";
    }
}
