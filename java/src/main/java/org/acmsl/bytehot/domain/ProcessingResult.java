package org.acmsl.bytehot.domain;

/**
 * How the processing of a changed class file ended.
 */
public enum ProcessingResult {
    /** The file was processed and led to a hot-swap. */
    SUCCESS,
    /** Processing failed. */
    FAILURE,
    /** The file did not need processing. */
    SKIPPED
}
