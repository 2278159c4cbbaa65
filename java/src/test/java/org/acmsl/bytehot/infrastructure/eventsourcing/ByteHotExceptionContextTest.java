package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import org.acmsl.bytehot.domain.Adapter;
import org.acmsl.bytehot.domain.ConcurrencyConflictException;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.EventStorePort;
import org.acmsl.bytehot.domain.OperationType;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ByteHot's view of failures: each exception says which operation failed and, when it was
 * about one aggregate, which; and the adapter says which port it adapts.
 */
class ByteHotExceptionContextTest {

    @TempDir
    Path dir;

    @Test
    void aConflictOnSaveNamesTheOperationAndTheAggregate() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.save(new ClassFileChanged(EventMetadata.forNewAggregate("filewatch", "a"), null, "A", 1, null));
            final ConcurrencyConflictException conflict = catchThrowableOfType(ConcurrencyConflictException.class,
                () -> store.save(new ClassFileChanged(
                    EventMetadata.forExistingAggregate("filewatch", "a", null, 5), null, "A", 1, null)));
            assertThat(conflict.getOperationType()).isEqualTo(OperationType.SAVE);
            assertThat(conflict.getAggregateType()).isEqualTo("filewatch");
            assertThat(conflict.getAggregateId()).isEqualTo("a");
            assertThat(conflict.isAggregateSpecific()).isTrue();
        }
    }

    @Test
    void failuresOfOpeningAndOfStoreWideCallsSayWhichOperationAndNoAggregate() throws Exception {
        final Path file = java.nio.file.Files.createFile(dir.resolve("a-file"));
        final EventStoreException open = catchThrowableOfType(EventStoreException.class,
            () -> new FilesystemEventStoreAdapter(file.toString()));
        assertThat(open.getOperationType()).isEqualTo(OperationType.INITIALIZATION);
        assertThat(open.isAggregateSpecific()).isFalse();

        final FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.resolve("store").toString());
        store.close();
        final EventStoreException closed = catchThrowableOfType(EventStoreException.class, store::getTotalEventCount);
        assertThat(closed.getOperationType()).isEqualTo(OperationType.COUNT);
    }

    @Test
    void theContextIsSetOnceAndAnExplicitOneIsKept() {
        final EventStoreException explicit = new EventStoreException("m", OperationType.RETRIEVE, "t", "i");
        explicit.initContext(OperationType.SAVE, "other", "other");
        assertThat(explicit.getOperationType()).isEqualTo(OperationType.RETRIEVE);
        assertThat(explicit.getAggregateId()).isEqualTo("i");
        final EventStoreException bare = new EventStoreException("m");
        assertThat(bare.getOperationType()).isNull();
        bare.initContext(OperationType.COUNT, null, null).initContext(OperationType.SAVE, "t", "i");
        assertThat(bare.getOperationType()).isEqualTo(OperationType.COUNT);
        assertThat(bare.isAggregateSpecific()).isFalse();
    }

    @Test
    void theAdapterAdaptsTheEventStorePort() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final Adapter<EventStorePort> adapter = store;
            assertThat(adapter.adapts()).isEqualTo(EventStorePort.class);
        }
    }
}
