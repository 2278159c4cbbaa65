package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The JVM redefined a class.
 * Aggregate type: {@code hotswap}.
 */
public final class ClassRedefinitionSucceeded extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final String className;

    private final Path classFile;

    private final int affectedInstances;

    private final String redefinitionDetails;

    private final Duration duration;

    private final Instant timestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param className the fully qualified class name
     * @param classFile the class file
     * @param affectedInstances how many live instances the class had
     * @param redefinitionDetails what was redefined
     * @param duration how long the redefinition took
     * @param timestamp when it completed
     */
    public ClassRedefinitionSucceeded(
        final EventMetadata metadata,
        final String className,
        final Path classFile,
        final int affectedInstances,
        final String redefinitionDetails,
        final Duration duration,
        final Instant timestamp) {
        super(metadata);
        this.className = className;
        this.classFile = classFile;
        this.affectedInstances = affectedInstances;
        this.redefinitionDetails = redefinitionDetails;
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
     * The class file.
     * @return the classFile
     */
    public Path getClassFile() {
        return classFile;
    }

    /**
     * How many live instances the class had.
     * @return the affectedInstances
     */
    public int getAffectedInstances() {
        return affectedInstances;
    }

    /**
     * What was redefined.
     * @return the redefinitionDetails
     */
    public String getRedefinitionDetails() {
        return redefinitionDetails;
    }

    /**
     * How long the redefinition took.
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
    protected ClassRedefinitionSucceeded withMetadata(final EventMetadata newMetadata) {
        return new ClassRedefinitionSucceeded(newMetadata, className, classFile, affectedInstances,
            redefinitionDetails, duration, timestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("className", className, "classFile", classFile, "affectedInstances", affectedInstances, "redefinitionDetails", redefinitionDetails, "duration", duration, "timestamp", timestamp);
    }
}
