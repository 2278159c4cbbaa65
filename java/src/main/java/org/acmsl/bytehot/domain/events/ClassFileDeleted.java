package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A watched class file was deleted.
 * Aggregate type: {@code filewatch}.
 */
public final class ClassFileDeleted extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "filewatch";

    private final Path classFile;

    private final String className;

    private final Instant detectionTimestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param detectionTimestamp when the deletion was detected
     */
    public ClassFileDeleted(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final Instant detectionTimestamp) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.detectionTimestamp = detectionTimestamp;
    }

    /**
     * The deletion of a class file, as ByteHot's factory of that name makes it: version 1 of
     * aggregate {@code filewatch/<classFile>}, stamped with the detection time (now when
     * {@code null}). A class file that already has events is a concurrency conflict.
     * @param classFile the class file (its path is the aggregate id)
     * @param className the fully qualified class name
     * @param detectionTimestamp when the deletion was detected
     * @return the event
     */
    public static ClassFileDeleted forNewSession(
        final Path classFile, final String className, final Instant detectionTimestamp) {
        final EventMetadata metadata = new EventMetadata(UUID.randomUUID().toString(), AGGREGATE_TYPE,
            classFile.toString(), 1L, detectionTimestamp == null ? Instant.now() : detectionTimestamp, null,
            EventMetadata.DEFAULT_SCHEMA_VERSION, null, null, null);
        return new ClassFileDeleted(metadata, classFile, className, detectionTimestamp);
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
     * When the deletion was detected.
     * @return the detectionTimestamp
     */
    public Instant getDetectionTimestamp() {
        return detectionTimestamp;
    }

    @Override
    protected ClassFileDeleted withMetadata(final EventMetadata newMetadata) {
        return new ClassFileDeleted(newMetadata, classFile, className, detectionTimestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "detectionTimestamp", detectionTimestamp);
    }
}
