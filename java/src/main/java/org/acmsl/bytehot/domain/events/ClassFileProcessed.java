package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.acmsl.bytehot.domain.ProcessingResult;

/**
 * ByteHot finished processing a class file change.
 * Aggregate type: {@code filewatch}.
 */
public final class ClassFileProcessed extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "filewatch";

    private final Path classFile;

    private final String className;

    private final Instant processedAt;

    private final ProcessingResult result;

    private final String message;

    private final String precedingEventId;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param processedAt when processing finished
     * @param result how it ended
     * @param message a human-readable summary
     * @param precedingEventId id of the event this one follows from (the catalog's preceding event), or {@code null}
     */
    public ClassFileProcessed(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final Instant processedAt,
        final ProcessingResult result,
        final String message,
        final String precedingEventId) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.processedAt = processedAt;
        this.result = result;
        this.message = message;
        this.precedingEventId = precedingEventId;
    }

    /**
     * The successful processing of a class-file change (ByteHot's factory): see
     * {@link #withResult}.
     * @param fileChange the change processed
     * @return the event
     */
    public static ClassFileProcessed fromFileChange(final ClassFileChanged fileChange) {
        return withResult(fileChange, ProcessingResult.SUCCESS, "File change processed successfully");
    }

    /**
     * The processing of a class-file change (ByteHot's factory): the next event of the change's
     * aggregate (its version + 1, following it), processed now, naming the change as its
     * preceding event, with the user and correlation of the change.
     * @param fileChange the change processed
     * @param result the outcome
     * @param message what happened
     * @return the event
     */
    public static ClassFileProcessed withResult(
        final ClassFileChanged fileChange, final ProcessingResult result, final String message) {
        final EventMetadata metadata = EventMetadata.forExistingAggregate(fileChange.getAggregateType(),
            fileChange.getAggregateId(), fileChange.getEventId(), fileChange.getAggregateVersion())
            .withUserId(fileChange.getUserId()).withCorrelationId(fileChange.getCorrelationId());
        return new ClassFileProcessed(metadata, fileChange.getClassFile(), fileChange.getClassName(), Instant.now(),
            result, message, fileChange.getEventId());
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
     * When processing finished.
     * @return the processedAt
     */
    public Instant getProcessedAt() {
        return processedAt;
    }

    /**
     * How it ended.
     * @return the result
     */
    public ProcessingResult getResult() {
        return result;
    }

    /**
     * A human-readable summary.
     * @return the message
     */
    public String getMessage() {
        return message;
    }

    /**
     * Id of the event this one follows from (the catalog's preceding event), or {@code null}.
     * @return the precedingEventId
     */
    public String getPrecedingEventId() {
        return precedingEventId;
    }

    @Override
    protected ClassFileProcessed withMetadata(final EventMetadata newMetadata) {
        return new ClassFileProcessed(newMetadata, classFile, className, processedAt, result, message,
            precedingEventId);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "processedAt", processedAt, "result", result, "message", message, "precedingEventId", precedingEventId);
    }
}
