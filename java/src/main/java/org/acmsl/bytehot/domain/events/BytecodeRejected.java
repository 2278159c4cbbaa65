package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

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
     * A rejection of a class's new bytecode, as ByteHot's factory of that name makes it:
     * version 1 of aggregate {@code hotswap/<classFile>} (the catalog's aggregate type; ByteHot
     * used {@code validation}), not valid for hot-swap, stamped with the detection time (now
     * when {@code null}).
     * @param classFile the class file (its path is the aggregate id)
     * @param className the fully qualified class name
     * @param rejectionReason why the bytecode was rejected
     * @param detectionTimestamp when it was rejected
     * @return the event
     */
    public static BytecodeRejected forNewSession(final Path classFile, final String className,
        final String rejectionReason, final Instant detectionTimestamp) {
        final EventMetadata metadata = new EventMetadata(UUID.randomUUID().toString(), AGGREGATE_TYPE,
            classFile.toString(), 1L, detectionTimestamp == null ? Instant.now() : detectionTimestamp, null,
            EventMetadata.DEFAULT_SCHEMA_VERSION, null, null, null);
        return new BytecodeRejected(metadata, classFile, className, false, rejectionReason, detectionTimestamp);
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
    protected BytecodeRejected withMetadata(final EventMetadata newMetadata) {
        return new BytecodeRejected(newMetadata, classFile, className, validForHotSwap, rejectionReason,
            detectionTimestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "validForHotSwap", validForHotSwap, "rejectionReason", rejectionReason, "detectionTimestamp", detectionTimestamp);
    }
}
