package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;

/**
 * Where the native store's log records arrive: its recoveries, index rebuilds, files set
 * aside, backups and compactions, never the happy path of a save or a read. They go to the
 * {@link System.Logger} named {@value #LOGGER_NAME}, so they land wherever the application
 * routes {@code System.Logger} (java.util.logging by default; SLF4J or Log4j through their
 * {@code System.LoggerFinder} bridges).
 *
 * <p>Called from native code only, on the thread that logged (a store's background thread
 * is attached to the JVM as a daemon for the call).
 */
final class NativeLog {

    /** Name of the logger the store's records go to. */
    static final String LOGGER_NAME = "org.acmsl.bytehot.eventstore";

    private static final Logger LOGGER = System.getLogger(LOGGER_NAME);

    /** Native levels, indexed by the code the native side sends. */
    private static final Level[] LEVELS = {Level.TRACE, Level.DEBUG, Level.INFO, Level.WARNING, Level.ERROR};

    private NativeLog() {
    }

    /**
     * Logs one record of the native store.
     * @param level 0 trace, 1 debug, 2 info, 3 warning, 4 error
     * @param message the message, UTF-8
     */
    static void log(final int level, final byte[] message) {
        final Level mapped = LEVELS[Math.max(0, Math.min(LEVELS.length - 1, level))];
        if (LOGGER.isLoggable(mapped)) {
            LOGGER.log(mapped, new String(message, StandardCharsets.UTF_8));
        }
    }
}
