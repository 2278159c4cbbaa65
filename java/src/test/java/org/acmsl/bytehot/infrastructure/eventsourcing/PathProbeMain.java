package org.acmsl.bytehot.infrastructure.eventsourcing;

import org.acmsl.bytehot.domain.EventStoreException;

/**
 * The second JVM of {@link EnvironmentPathTest}: opens a store with the defaults and one
 * with the path in {@code args[0]}, and prints what each did.
 */
public final class PathProbeMain {

    private PathProbeMain() {
    }

    /**
     * Prints {@code default:<base path>} and {@code explicit:opened} or
     * {@code explicit:refused:<message>}.
     * @param args the explicit path
     */
    public static void main(final String[] args) {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults())) {
            System.out.println("default:" + store.getBasePath());
        }
        try {
            new FilesystemEventStoreAdapter(args[0]).close();
            System.out.println("explicit:opened");
        } catch (final EventStoreException e) {
            System.out.println("explicit:refused:" + e.getMessage());
        }
    }
}
