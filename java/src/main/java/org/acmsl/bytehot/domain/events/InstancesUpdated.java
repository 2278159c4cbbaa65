package org.acmsl.bytehot.domain.events;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.acmsl.bytehot.domain.InstanceUpdateMethod;

/**
 * Existing instances of a redefined class were brought up to date.
 * Aggregate type: {@code hotswap}.
 */
public final class InstancesUpdated extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final String className;

    private final int updatedInstances;

    private final int totalInstances;

    private final InstanceUpdateMethod updateMethod;

    private final int failedUpdates;

    private final String updateDetails;

    private final Duration duration;

    private final Instant timestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param className the fully qualified class name
     * @param updatedInstances instances updated
     * @param totalInstances instances found
     * @param updateMethod how they were updated
     * @param failedUpdates instances that could not be updated
     * @param updateDetails what was done
     * @param duration how long it took
     * @param timestamp when it completed
     */
    public InstancesUpdated(
        final EventMetadata metadata,
        final String className,
        final int updatedInstances,
        final int totalInstances,
        final InstanceUpdateMethod updateMethod,
        final int failedUpdates,
        final String updateDetails,
        final Duration duration,
        final Instant timestamp) {
        super(metadata);
        this.className = className;
        this.updatedInstances = updatedInstances;
        this.totalInstances = totalInstances;
        this.updateMethod = updateMethod;
        this.failedUpdates = failedUpdates;
        this.updateDetails = updateDetails;
        this.duration = duration;
        this.timestamp = timestamp;
    }

    /**
     * The fully qualified class name.
     * @return the className
     */
    public String getClassName() {
        return className;
    }

    /**
     * Instances updated.
     * @return the updatedInstances
     */
    public int getUpdatedInstances() {
        return updatedInstances;
    }

    /**
     * Instances found.
     * @return the totalInstances
     */
    public int getTotalInstances() {
        return totalInstances;
    }

    /**
     * How they were updated.
     * @return the updateMethod
     */
    public InstanceUpdateMethod getUpdateMethod() {
        return updateMethod;
    }

    /**
     * Instances that could not be updated.
     * @return the failedUpdates
     */
    public int getFailedUpdates() {
        return failedUpdates;
    }

    /**
     * What was done.
     * @return the updateDetails
     */
    public String getUpdateDetails() {
        return updateDetails;
    }

    /**
     * How long it took.
     * @return the duration
     */
    public Duration getDuration() {
        return duration;
    }

    /**
     * When it completed (the event's own {@code timestamp} field; {@link #getTimestamp()} is the metadata's).
     * @return the timestamp
     */
    public Instant getEventTimestamp() {
        return timestamp;
    }

    @Override
    protected InstancesUpdated withMetadata(final EventMetadata newMetadata) {
        return new InstancesUpdated(newMetadata, className, updatedInstances, totalInstances, updateMethod,
            failedUpdates, updateDetails, duration, timestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("className", className, "updatedInstances", updatedInstances, "totalInstances", totalInstances, "updateMethod", updateMethod, "failedUpdates", failedUpdates, "updateDetails", updateDetails, "duration", duration, "timestamp", timestamp);
    }
}
