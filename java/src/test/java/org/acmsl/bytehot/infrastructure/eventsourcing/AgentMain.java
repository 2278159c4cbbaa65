package org.acmsl.bytehot.infrastructure.eventsourcing;

import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The {@code -javaagent} of {@link AgentAndApplicationTest}: loaded by the system class loader,
 * as ByteHot is, it opens the store named by its argument, saves one event, and keeps the store
 * open while the application runs.
 */
public final class AgentMain {

    /** Kept open for the life of the JVM, as an agent keeps its store. */
    static FilesystemEventStoreAdapter store;

    private AgentMain() {
    }

    /**
     * Opens the store in {@code args} and saves the agent's event.
     * @param args the store's base directory
     */
    public static void premain(final String args) {
        store = new FilesystemEventStoreAdapter(args);
        store.save(new ClassFileChanged(EventMetadata.forNewAggregate("hotswap", "shared"), null, "Agent", 1L, null));
        System.out.println("agent:saved");
    }
}
