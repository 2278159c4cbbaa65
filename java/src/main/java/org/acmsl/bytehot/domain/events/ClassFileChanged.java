package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A watched class file changed on disk.
 * Aggregate type: {@code filewatch}.
 */
public final class ClassFileChanged extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "filewatch";

    private final Path classFile;

    private final String className;

    private final long fileSize;

    private final Instant detectionTimestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param fileSize the file's size in bytes
     * @param detectionTimestamp when the change was detected
     */
    public ClassFileChanged(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final long fileSize,
        final Instant detectionTimestamp) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.fileSize = fileSize;
        this.detectionTimestamp = detectionTimestamp;
    }

    /**
     * The first change of a class file in a session, as ByteHot's factory of that name makes
     * it: version 1 of aggregate {@code filewatch/<classFile>}, a new event id, stamped with
     * the detection time (now when {@code null}). A class file that already has events is a
     * concurrency conflict: continue with {@link #forExistingSession}.
     * @param classFile the class file (its path is the aggregate id)
     * @param className the fully qualified class name
     * @param fileSize the file's size in bytes
     * @param detectionTimestamp when the change was detected
     * @return the event
     */
    public static ClassFileChanged forNewSession(
        final Path classFile, final String className, final long fileSize, final Instant detectionTimestamp) {
        return forExistingSession(classFile, className, fileSize, detectionTimestamp, null, 0L);
    }

    /**
     * A later change of a class file, as ByteHot's factory of that name makes it: version
     * {@code currentVersion + 1}, following {@code previousEventId}, stamped with the
     * detection time (now when {@code null}).
     * @param classFile the class file (its path is the aggregate id)
     * @param className the fully qualified class name
     * @param fileSize the file's size in bytes
     * @param detectionTimestamp when the change was detected
     * @param previousEventId the aggregate's last event id ({@code null} when it has none)
     * @param currentVersion the aggregate's current version
     * @return the event
     */
    public static ClassFileChanged forExistingSession(
        final Path classFile, final String className, final long fileSize, final Instant detectionTimestamp,
        final String previousEventId, final long currentVersion) {
        return withUser(classFile, className, fileSize, detectionTimestamp, null, previousEventId, currentVersion);
    }

    /**
     * {@link #forExistingSession} attributed to a user, as ByteHot's factory of that name.
     * @param classFile the class file (its path is the aggregate id)
     * @param className the fully qualified class name
     * @param fileSize the file's size in bytes
     * @param detectionTimestamp when the change was detected
     * @param userId the user ({@code null}: none)
     * @param previousEventId the aggregate's last event id ({@code null} when it has none)
     * @param currentVersion the aggregate's current version (0 when it has no events)
     * @return the event
     */
    public static ClassFileChanged withUser(
        final Path classFile, final String className, final long fileSize, final Instant detectionTimestamp,
        final String userId, final String previousEventId, final long currentVersion) {
        final EventMetadata metadata = new EventMetadata(UUID.randomUUID().toString(), AGGREGATE_TYPE,
            classFile.toString(), currentVersion + 1,
            detectionTimestamp == null ? Instant.now() : detectionTimestamp, previousEventId,
            EventMetadata.DEFAULT_SCHEMA_VERSION, userId, null, null);
        return new ClassFileChanged(metadata, classFile, className, fileSize, detectionTimestamp);
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
     * The file's size in bytes.
     * @return the fileSize
     */
    public long getFileSize() {
        return fileSize;
    }

    /**
     * When the change was detected.
     * @return the detectionTimestamp
     */
    public Instant getDetectionTimestamp() {
        return detectionTimestamp;
    }

    @Override
    protected ClassFileChanged withMetadata(final EventMetadata newMetadata) {
        return new ClassFileChanged(newMetadata, classFile, className, fileSize, detectionTimestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "fileSize", fileSize, "detectionTimestamp", detectionTimestamp);
    }
}
