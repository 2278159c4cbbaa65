package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A class redefinition was requested, carrying the old and new class files.
 * Aggregate type: {@code hotswap}.
 */
public final class HotSwapRequested extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final Path classFile;

    private final String className;

    private final byte[] originalBytecode;

    private final byte[] newBytecode;

    private final String requestReason;

    private final Instant timestamp;

    private final String precedingEventId;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param originalBytecode the class file before the change
     * @param newBytecode the class file after the change
     * @param requestReason why the swap was requested
     * @param timestamp when it was requested
     * @param precedingEventId id of the event this one follows from (the catalog's preceding event), or {@code null}
     */
    public HotSwapRequested(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final byte[] originalBytecode,
        final byte[] newBytecode,
        final String requestReason,
        final Instant timestamp,
        final String precedingEventId) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.originalBytecode = originalBytecode == null ? null : originalBytecode.clone();
        this.newBytecode = newBytecode == null ? null : newBytecode.clone();
        this.requestReason = requestReason;
        this.timestamp = timestamp;
        this.precedingEventId = precedingEventId;
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
     * The class file before the change (a copy).
     * @return the originalBytecode
     */
    public byte[] getOriginalBytecode() {
        return originalBytecode == null ? null : originalBytecode.clone();
    }

    /**
     * The class file after the change (a copy).
     * @return the newBytecode
     */
    public byte[] getNewBytecode() {
        return newBytecode == null ? null : newBytecode.clone();
    }

    /**
     * Why the swap was requested.
     * @return the requestReason
     */
    public String getRequestReason() {
        return requestReason;
    }

    /**
     * When it was requested (the event's own {@code timestamp} field; {@link #getTimestamp()} is the metadata's).
     * @return the timestamp
     */
    public Instant getEventTimestamp() {
        return timestamp;
    }

    /**
     * Id of the event this one follows from (the catalog's preceding event), or {@code null}.
     * @return the precedingEventId
     */
    public String getPrecedingEventId() {
        return precedingEventId;
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "originalBytecode", originalBytecode, "newBytecode", newBytecode, "requestReason", requestReason, "timestamp", timestamp, "precedingEventId", precedingEventId);
    }
}
