package org.acmsl.bytehot.domain;

import java.util.Optional;

/**
 * Aggregate snapshots: an application's state of an aggregate as of one version, so that a
 * rebuild reads only the events after it ({@link AggregateRebuilder}). A snapshot is derived
 * data: deleting one loses nothing; one that does not match the aggregate's history (a
 * version it lacks, another event at that version) or that is damaged is ignored.
 */
public interface SnapshotPort extends Port {

    /**
     * Stores {@code state} (written as JSON) as the aggregate's state as of {@code version}.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @param version a version the aggregate has
     * @param state the state; must serialize to JSON
     * @throws InvalidEventException if the aggregate has no such version or the state is not JSON
     */
    void saveSnapshot(String aggregateType, String aggregateId, long version, Object state);

    /**
     * The newest snapshot that matches the aggregate's history, read as {@code stateClass}.
     * @param aggregateType the aggregate type
     * @param aggregateId the aggregate id
     * @param stateClass the state's class
     * @param <T> the state's type
     * @return the snapshot, or empty when there is none (or none that matches, or none that
     *     reads as {@code stateClass})
     */
    <T> Optional<AggregateSnapshot<T>> loadLatestSnapshot(String aggregateType, String aggregateId,
        Class<T> stateClass);
}
