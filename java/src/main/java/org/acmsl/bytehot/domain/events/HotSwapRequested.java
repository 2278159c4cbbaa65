package org.acmsl.bytehot.domain.events;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
     * The request to hot-swap a changed class file, as ByteHot's factory of that name makes it:
     * version 1 of aggregate {@code hotswap/<className>-request}, correlated with the change, by
     * the change's user (or {@code system}). Where ByteHot's factory put placeholder bytes, the
     * new bytecode is the class file as it is on disk now; the original bytecode, which only the
     * running JVM knows, is empty.
     * @param fileChange the change that prompts the request
     * @param sessionId the ByteHot session, named in the reason
     * @return the event
     * @throws UncheckedIOException when the class file cannot be read
     */
    public static HotSwapRequested fromFileChange(final ClassFileChanged fileChange, final String sessionId) {
        final byte[] newBytecode;
        try {
            newBytecode = Files.readAllBytes(fileChange.getClassFile());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + fileChange.getClassFile() + " for its hot-swap request", e);
        }
        final String user = fileChange.getUserId() != null ? fileChange.getUserId() : "system";
        final EventMetadata metadata = EventMetadata.withCorrelation(AGGREGATE_TYPE,
            fileChange.getClassName() + "-request", null, 0L, user, fileChange.getEventId());
        return new HotSwapRequested(metadata, fileChange.getClassFile(), fileChange.getClassName(), new byte[0],
            newBytecode, "File change detected in session: " + sessionId, Instant.now(), fileChange.getEventId());
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
    protected HotSwapRequested withMetadata(final EventMetadata newMetadata) {
        return new HotSwapRequested(newMetadata, classFile, className, originalBytecode, newBytecode, requestReason,
            timestamp, precedingEventId);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "originalBytecode", originalBytecode, "newBytecode", newBytecode, "requestReason", requestReason, "timestamp", timestamp, "precedingEventId", precedingEventId);
    }
}
