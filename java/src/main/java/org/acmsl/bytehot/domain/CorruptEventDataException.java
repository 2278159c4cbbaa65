package org.acmsl.bytehot.domain;

/**
 * A file on disk does not hold a readable event.
 */
public class CorruptEventDataException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /** The corrupt file. */
    private final String path;

    /**
     * Creates the exception (this constructor is called by the native store).
     * @param message what is wrong with the file
     * @param path the file
     */
    public CorruptEventDataException(final String message, final String path) {
        super(message);
        this.path = path;
    }

    /**
     * The corrupt file.
     * @return its path
     */
    public String getPath() {
        return path;
    }
}
