package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The JVM refused to redefine a class.
 * Aggregate type: {@code hotswap}.
 */
public final class ClassRedefinitionFailed extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final String className;

    private final Path classFile;

    private final String failureReason;

    private final String jvmError;

    private final String recoveryAction;

    private final Instant timestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param className the fully qualified class name
     * @param classFile the class file
     * @param failureReason why it failed
     * @param jvmError the JVM's error message
     * @param recoveryAction what ByteHot suggests doing
     * @param timestamp when it failed
     */
    public ClassRedefinitionFailed(
        final EventMetadata metadata,
        final String className,
        final Path classFile,
        final String failureReason,
        final String jvmError,
        final String recoveryAction,
        final Instant timestamp) {
        super(metadata);
        this.className = className;
        this.classFile = classFile;
        this.failureReason = failureReason;
        this.jvmError = jvmError;
        this.recoveryAction = recoveryAction;
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
     * Why it failed.
     * @return the failureReason
     */
    public String getFailureReason() {
        return failureReason;
    }

    /**
     * The JVM's error message.
     * @return the jvmError
     */
    public String getJvmError() {
        return jvmError;
    }

    /**
     * What ByteHot suggests doing.
     * @return the recoveryAction
     */
    public String getRecoveryAction() {
        return recoveryAction;
    }

    /**
     * When it failed (the event's own {@code timestamp} field; {@link #getTimestamp()} is the metadata's).
     * @return the timestamp
     */
    public Instant getEventTimestamp() {
        return timestamp;
    }

    @Override
    protected ClassRedefinitionFailed withMetadata(final EventMetadata newMetadata) {
        return new ClassRedefinitionFailed(newMetadata, className, classFile, failureReason, jvmError,
            recoveryAction, timestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("className", className, "classFile", classFile, "failureReason", failureReason, "jvmError", jvmError, "recoveryAction", recoveryAction, "timestamp", timestamp);
    }
}
