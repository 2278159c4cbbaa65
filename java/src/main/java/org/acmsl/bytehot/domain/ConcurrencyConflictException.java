package org.acmsl.bytehot.domain;

/**
 * An event carried a version that is not the aggregate's next one: another writer got there first.
 */
public class ConcurrencyConflictException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /** The version the rejected event expected to follow. */
    private final long expectedVersion;

    /** The aggregate's version in the store. */
    private final long actualVersion;

    /**
     * Creates the exception (this constructor is called by the native store).
     * @param message what went wrong, naming the aggregate
     * @param expectedVersion the version the event expected to follow
     * @param actualVersion the aggregate's version in the store
     */
    public ConcurrencyConflictException(final String message, final long expectedVersion, final long actualVersion) {
        super(message);
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    /**
     * The version the rejected event expected the aggregate to be at.
     * @return the expected version
     */
    public long getExpectedVersion() {
        return expectedVersion;
    }

    /**
     * The aggregate's version in the store.
     * @return the actual version
     */
    public long getActualVersion() {
        return actualVersion;
    }
}
