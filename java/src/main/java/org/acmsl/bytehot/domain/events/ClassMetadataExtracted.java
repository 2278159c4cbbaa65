package org.acmsl.bytehot.domain.events;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The structure of a changed class was read from its bytecode.
 * Aggregate type: {@code hotswap}.
 */
public final class ClassMetadataExtracted extends AbstractVersionedDomainEvent {

    /** The aggregate type the catalog assigns to this event. */
    public static final String AGGREGATE_TYPE = "hotswap";

    private final Path classFile;

    private final String className;

    private final String superClassName;

    private final List<String> interfaces;

    private final List<String> fields;

    private final List<String> methods;

    private final Instant timestamp;

    /**
     * Creates the event.
     * @param metadata the event-sourcing metadata
     * @param classFile the class file
     * @param className the fully qualified class name
     * @param superClassName the superclass
     * @param interfaces the implemented interfaces
     * @param fields the declared fields
     * @param methods the declared methods
     * @param timestamp when the metadata was extracted
     */
    public ClassMetadataExtracted(
        final EventMetadata metadata,
        final Path classFile,
        final String className,
        final String superClassName,
        final List<String> interfaces,
        final List<String> fields,
        final List<String> methods,
        final Instant timestamp) {
        super(metadata);
        this.classFile = classFile;
        this.className = className;
        this.superClassName = superClassName;
        this.interfaces = interfaces == null ? null : Collections.unmodifiableList(new ArrayList<>(interfaces));
        this.fields = fields == null ? null : Collections.unmodifiableList(new ArrayList<>(fields));
        this.methods = methods == null ? null : Collections.unmodifiableList(new ArrayList<>(methods));
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
     * The superclass.
     * @return the superClassName
     */
    public String getSuperClassName() {
        return superClassName;
    }

    /**
     * The implemented interfaces.
     * @return the interfaces
     */
    public List<String> getInterfaces() {
        return interfaces;
    }

    /**
     * The declared fields.
     * @return the fields
     */
    public List<String> getFields() {
        return fields;
    }

    /**
     * The declared methods.
     * @return the methods
     */
    public List<String> getMethods() {
        return methods;
    }

    /**
     * When the metadata was extracted (the event's own {@code timestamp} field; {@link #getTimestamp()} is the metadata's).
     * @return the timestamp
     */
    public Instant getEventTimestamp() {
        return timestamp;
    }

    @Override
    protected ClassMetadataExtracted withMetadata(final EventMetadata newMetadata) {
        return new ClassMetadataExtracted(newMetadata, classFile, className, superClassName, interfaces, fields,
            methods, timestamp);
    }

    @Override
    protected Map<String, Object> eventData() {
        return data("classFile", classFile, "className", className, "superClassName", superClassName, "interfaces", interfaces, "fields", fields, "methods", methods, "timestamp", timestamp);
    }
}
