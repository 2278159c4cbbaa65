package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

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
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "fileSize", fileSize, "detectionTimestamp", detectionTimestamp);
    }
}
