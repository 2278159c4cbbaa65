package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A class file appeared in a watched directory.
 * Aggregate type: {@code filewatch}.
 */
public final class ClassFileCreated extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "filewatch";

    private final Path classFile;

    private final String className;

    private final long fileSize;

    private final Instant timestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param fileSize the file's size in bytes
     * @param timestamp when the file was created
     */
    public ClassFileCreated(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final long fileSize,
        final Instant timestamp) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.fileSize = fileSize;
        this.timestamp = timestamp;
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
     * When the file was created (the event's own {@code timestamp} field; {@link #getTimestamp()} is the metadata's).
     * @return the timestamp
     */
    public Instant getEventTimestamp() {
        return timestamp;
    }

    @Override
    protected ClassFileCreated withMetadata(final EventMetadata newMetadata) {
        return new ClassFileCreated(newMetadata, classFile, className, fileSize, timestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "fileSize", fileSize, "timestamp", timestamp);
    }
}
