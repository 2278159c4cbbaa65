package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.List;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The second JVM of {@link ConfigurationFileTest}, started in a working directory holding a
 * configuration file: opens the store as an application does, with no arguments, saves one
 * event, reads it back, and prints what it used.
 */
public final class WorkingDirectoryStoreMain {

    private WorkingDirectoryStoreMain() {
    }

    /**
     * Prints {@code base:<base path>}, {@code durability:<setting>} and
     * {@code read:<class name of each event read back>}.
     * @param args none
     */
    public static void main(final String[] args) {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter()) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "com.acme.A", 1, null));
            final List<VersionedDomainEvent> read = store.getEventsForAggregate("filewatch", "a");
            System.out.println("base:" + store.getBasePath().toAbsolutePath().normalize());
            System.out.println("durability:" + store.getConfiguration().getSettings().get("durability"));
            for (final VersionedDomainEvent event : read) {
                System.out.println("read:" + ((ClassFileChanged) event).getClassName());
            }
        }
    }
}
