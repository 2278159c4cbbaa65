package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * New bytecode was found incompatible with hot-swapping.
 * Aggregate type: {@code hotswap}.
 */
public final class BytecodeRejected extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final Path classFile;

    private final String className;

    private final boolean validForHotSwap;

    private final String rejectionReason;

    private final Instant detectionTimestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param validForHotSwap whether the change can be hot-swapped (false)
     * @param rejectionReason why it was rejected
     * @param detectionTimestamp when it was rejected
     */
    public BytecodeRejected(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final boolean validForHotSwap,
        final String rejectionReason,
        final Instant detectionTimestamp) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.validForHotSwap = validForHotSwap;
        this.rejectionReason = rejectionReason;
        this.detectionTimestamp = detectionTimestamp;
    }

    /**
     * The class file.
     * @return the classFile
     */
    public Path getClassFile() {
        return classFile;
    }

    /**
     * The fully qualified class name.
     * @return the className
     */
    public String getClassName() {
        return className;
    }

    /**
     * Whether the change can be hot-swapped (false).
     * @return the validForHotSwap
     */
    public boolean isValidForHotSwap() {
        return validForHotSwap;
    }

    /**
     * Why it was rejected.
     * @return the rejectionReason
     */
    public String getRejectionReason() {
        return rejectionReason;
    }

    /**
     * When it was rejected.
     * @return the detectionTimestamp
     */
    public Instant getDetectionTimestamp() {
        return detectionTimestamp;
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "validForHotSwap", validForHotSwap, "rejectionReason", rejectionReason, "detectionTimestamp", detectionTimestamp);
    }
}
