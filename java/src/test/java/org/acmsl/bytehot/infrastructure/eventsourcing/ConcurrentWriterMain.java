package org.acmsl.bytehot.infrastructure.eventsourcing;

import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;

/** The second process of {@link TwoProcessesTest}: appends events to a shared aggregate. */
public final class ConcurrentWriterMain {

    private ConcurrentWriterMain() {
    }

    /**
     * @param args store directory, aggregate id, number of events
     */
    public static void main(final String[] args) {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(args[0])) {
            System.out.println("ready");
            System.out.flush();
            for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                store.save(new ClassFileChanged(EventMetadata.forNewAggregate("hotswap", args[1]), null,
                    "child-" + i, i, null));
            }
        }
        System.out.println("done");
    }
}
