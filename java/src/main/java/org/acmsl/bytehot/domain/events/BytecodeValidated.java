package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * New bytecode was checked and found compatible with hot-swapping.
 * Aggregate type: {@code hotswap}.
 */
public final class BytecodeValidated extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final Path classFile;

    private final String className;

    private final boolean validForHotSwap;

    private final String validationDetails;

    private final Instant timestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param validForHotSwap whether the change can be hot-swapped
     * @param validationDetails what the validation found
     * @param timestamp when it was validated
     */
    public BytecodeValidated(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final boolean validForHotSwap,
        final String validationDetails,
        final Instant timestamp) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.validForHotSwap = validForHotSwap;
        this.validationDetails = validationDetails;
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
     * Whether the change can be hot-swapped.
     * @return the validForHotSwap
     */
    public boolean isValidForHotSwap() {
        return validForHotSwap;
    }

    /**
     * What the validation found.
     * @return the validationDetails
     */
    public String getValidationDetails() {
        return validationDetails;
    }

    /**
     * When it was validated (the event's own {@code timestamp} field; {@link #getTimestamp()} is the metadata's).
     * @return the timestamp
     */
    public Instant getEventTimestamp() {
        return timestamp;
    }

    @Override
    protected BytecodeValidated withMetadata(final EventMetadata newMetadata) {
        return new BytecodeValidated(newMetadata, classFile, className, validForHotSwap, validationDetails, timestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "validForHotSwap", validForHotSwap, "validationDetails", validationDetails, "timestamp", timestamp);
    }
}
