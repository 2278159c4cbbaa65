package org.acmsl.bytehot.domain;

/**
 * A failure of the event store. Subclasses name the failures a caller may want to handle.
 */
public class EventStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The operation that failed; set once, by the constructor or {@link #initContext}. */
    private OperationType operationType;

    private String aggregateType;

    private String aggregateId;

    /**
     * Creates the exception (this constructor is called by the native store; the adapter then
     * says which operation failed, see {@link #initContext}).
     * @param message what went wrong
     */
    public EventStoreException(final String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public EventStoreException(final String message, final Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates the exception for an operation (ByteHot's constructor).
     * @param message what went wrong
     * @param operationType the operation that failed
     */
    public EventStoreException(final String message, final OperationType operationType) {
        this(message, null, operationType, null, null);
    }

    /**
     * Creates the exception for an operation, with a cause (ByteHot's constructor).
     * @param message what went wrong
     * @param cause the underlying failure
     * @param operationType the operation that failed
     */
    public EventStoreException(final String message, final Throwable cause, final OperationType operationType) {
        this(message, cause, operationType, null, null);
    }

    /**
     * Creates the exception for an operation on one aggregate (ByteHot's constructor).
     * @param message what went wrong
     * @param operationType the operation that failed
     * @param aggregateType the aggregate's type
     * @param aggregateId the aggregate's id
     */
    public EventStoreException(final String message, final OperationType operationType, final String aggregateType,
        final String aggregateId) {
        this(message, null, operationType, aggregateType, aggregateId);
    }

    /**
     * Creates the exception for an operation on one aggregate, with a cause (ByteHot's
     * constructor).
     * @param message what went wrong
     * @param cause the underlying failure, or {@code null}
     * @param operationType the operation that failed
     * @param aggregateType the aggregate's type
     * @param aggregateId the aggregate's id
     */
    public EventStoreException(final String message, final Throwable cause, final OperationType operationType,
        final String aggregateType, final String aggregateId) {
        super(message, cause);
        this.operationType = operationType;
        this.aggregateType = aggregateType;
        this.aggregateId = aggregateId;
    }

    /**
     * Says which operation, on which aggregate, failed: for an exception created without
     * (the native store creates them from a message). Like {@link Throwable#initCause}, it
     * takes effect once; later calls, or calls on an exception created with an operation,
     * change nothing.
     * @param operation the operation that failed
     * @param type the aggregate's type, or {@code null} when not about one aggregate
     * @param id the aggregate's id, or {@code null}
     * @return this exception
     */
    public final synchronized EventStoreException initContext(final OperationType operation, final String type,
        final String id) {
        if (operationType == null) {
            operationType = operation;
            aggregateType = type;
            aggregateId = id;
        }
        return this;
    }

    /**
     * The operation that failed.
     * @return the operation, or {@code null} when not known
     */
    public synchronized OperationType getOperationType() {
        return operationType;
    }

    /**
     * The type of the aggregate the failed operation was about.
     * @return the type, or {@code null} when it was not about one aggregate
     */
    public synchronized String getAggregateType() {
        return aggregateType;
    }

    /**
     * The id of the aggregate the failed operation was about.
     * @return the id, or {@code null} when it was not about one aggregate
     */
    public synchronized String getAggregateId() {
        return aggregateId;
    }

    /**
     * Whether the failed operation was about one aggregate.
     * @return true when both its type and id are known
     */
    public synchronized boolean isAggregateSpecific() {
        return aggregateType != null && aggregateId != null;
    }
}
