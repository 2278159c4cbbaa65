package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.acmsl.bytehot.domain.EventStoreException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.testing.UserEvents.DeploymentRecorded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read whose result passes the 2 GiB a Java {@code byte[]} can hold is an
 * {@link EventStoreException} saying to read in parts, not a
 * {@link NegativeArraySizeException} from a length that wrapped crossing JNI; the same
 * aggregate still reads in parts.
 */
class LargeResultTest {

    /** 140 events of 15.5 MB: 2.17 GB, just past {@code Integer.MAX_VALUE} bytes. */
    private static final int EVENTS = 140;

    private static final int EVENT_CHARS = 15_500_000;

    @TempDir
    Path dir;

    @Test
    void aReadOverTwoGibibytesIsAnEventStoreExceptionAndReadsInParts() {
        final String big = "x".repeat(EVENT_CHARS);
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir).withDurability("none").withEventCacheBytes(0))) {
            for (int i = 0; i < EVENTS; i++) {
                store.save(new DeploymentRecorded(EventMetadata.forNewAggregate("deploy", "big"), big));
            }

            assertThatThrownBy(() -> store.getEventsForAggregate("deploy", "big"))
                .isExactlyInstanceOf(EventStoreException.class)
                .hasMessageContaining("read it in parts");

            final List<VersionedDomainEvent> lastPart = store.getEventsForAggregateSince("deploy", "big", EVENTS - 10);
            assertThat(lastPart).hasSize(10);
            assertThat(lastPart.get(9).getAggregateVersion()).isEqualTo(EVENTS);
        }
    }
}
