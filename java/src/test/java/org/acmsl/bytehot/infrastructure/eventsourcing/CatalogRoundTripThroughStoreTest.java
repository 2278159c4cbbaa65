package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.testing.SampleEvents;
import org.acmsl.bytehot.testing.UserEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogRoundTripThroughStoreTest {

    @TempDir
    Path dir;

    /** Each event is the first of its own aggregate, carrying version 1 and every optional id. */
    private static EventMetadata firstOfItsAggregate(final String type) {
        return EventMetadata.forExistingAggregate(type, "/app/classes/" + UUID.randomUUID() + "/Foo.class", null, 0)
            .withUserId("dev 👩‍💻").withCorrelationId("session\u0000x").withCausationId("cause");
    }

    @Test
    void everyCatalogEventLoadsEqualToWhatWasSaved() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            for (final VersionedDomainEvent event : SampleEvents.all(CatalogRoundTripThroughStoreTest::firstOfItsAggregate)) {
                store.save(event);

                assertThat(store.getEventsForAggregate(event.getAggregateType(), event.getAggregateId()))
                    .as(event.getEventType())
                    .containsExactly(event);
            }
        }
    }

    @Test
    void everyCatalogEventWithNullsLoadsEqualAfterReopening() {
        final List<VersionedDomainEvent> events =
            SampleEvents.allWithNulls(CatalogRoundTripThroughStoreTest::firstOfItsAggregate);
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.saveAll(events);
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            for (final VersionedDomainEvent event : events) {
                assertThat(store.getEventsForAggregate(event.getAggregateType(), event.getAggregateId()))
                    .containsExactly(event);
            }
            assertThat(store.getEventsByType("HotSwapRequested")).hasSize(1);
        }
    }

    @Test
    void aUserDefinedEventClassIsStorableAndLoadable() {
        EventSerializationSupport.registerEventType("DeploymentRecorded", UserEvents.DeploymentRecorded.class);
        final UserEvents.DeploymentRecorded event = new UserEvents.DeploymentRecorded(
            EventMetadata.forExistingAggregate("deployment", "prod-eu", null, 0), "prod 🚀", 3,
            List.of(Paths.get("/srv/app.jar")), Map.of("app.jar", 123_456_789_012L));
        final UserEvents.FlowDiscovered flow = new UserEvents.FlowDiscovered(
            EventMetadata.forExistingAggregate("flow", "f", null, 0), "save", 0.1 + 0.2, List.of("a"));
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.save(event);
            store.save(flow);
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThat(store.getEventsForAggregate("deployment", "prod-eu")).containsExactly(event);
            assertThat(store.getEventsByType("FlowDiscovered")).containsExactly(flow);
        }
    }
}
