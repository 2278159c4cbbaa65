package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sharing stores through Git from Java (issue 24), with the real git command and a local bare
 * repository: two stores sync, each reads the other's events, by type across both; what a
 * cleanup removed comes back from the history when asked.
 */
class GitSyncTest {

    @TempDir
    Path dir;

    private static EventMetadata firstOfItsAggregate(final String type) {
        return EventMetadata.forExistingAggregate(type, "/app/" + UUID.randomUUID() + "/Foo.class", null, 0);
    }

    private FilesystemEventStoreAdapter open(final String name) {
        return new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(dir.resolve(name)));
    }

    @Test
    void twoStoresSyncAndReadEachOthersEvents() throws Exception {
        final Path remote = dir.resolve("team.git");
        final Process init = new ProcessBuilder("git", "init", "--quiet", "--bare", remote.toString()).start();
        assertThat(init.waitFor()).isZero();
        final List<VersionedDomainEvent> events = SampleEvents.all(GitSyncTest::firstOfItsAggregate);
        try (FilesystemEventStoreAdapter laptop = open("laptop"); FilesystemEventStoreAdapter ci = open("ci")) {
            laptop.saveAll(events.subList(0, 3));
            ci.saveAll(events.subList(3, 5));
            assertThat(laptop.sync(remote.toString(), "laptop").isPushed()).isTrue();
            final SyncResult second = ci.sync(remote.toString(), "ci");
            assertThat(second.isPushed()).isTrue();
            assertThat(second.getOtherStores()).containsExactly("laptop");
            assertThat(laptop.sync(remote.toString(), "laptop").getOtherStores()).containsExactly("ci");

            try (FilesystemEventStoreAdapter copy = laptop.openOtherStore("laptop", "ci")) {
                final VersionedDomainEvent first = events.get(3);
                assertThat(copy.getEventsForAggregate(first.getAggregateType(), first.getAggregateId()))
                    .containsExactly(first);
            }
            // The other stores' side of a subscription: each event once, across syncs.
            final OtherStoresPoll first = ci.pollOtherStores("ci", "{}", org.acmsl.bytehot.domain.StreamFilter.all());
            assertThat(first.getEvents()).extracting(Map.Entry::getKey).containsOnly("laptop");
            assertThat(first.getEvents()).extracting(Map.Entry::getValue).containsExactlyInAnyOrderElementsOf(
                events.subList(0, 3));
            assertThat(ci.pollOtherStores("ci", first.getCursor(), org.acmsl.bytehot.domain.StreamFilter.all())
                .getEvents()).isEmpty();
            laptop.save(events.get(6));
            laptop.sync(remote.toString(), "laptop");
            ci.sync(remote.toString(), "ci");
            assertThat(ci.pollOtherStores("ci", first.getCursor(), org.acmsl.bytehot.domain.StreamFilter.all())
                .getEvents()).extracting(Map.Entry::getValue).containsExactly(events.get(6));

            final String type = events.get(0).getEventType();
            final Map<String, List<VersionedDomainEvent>> byStore = ci.getEventsByTypeAcrossStores("ci", type);
            assertThat(byStore.keySet()).containsExactly("ci", "laptop");
            assertThat(byStore.get("laptop")).containsExactly(events.get(0));
            // Any query spans the stores: by aggregate and by time too.
            final VersionedDomainEvent laptops = events.get(0);
            assertThat(ci.acrossStores("ci", s -> s.getEventsForAggregate(laptops.getAggregateType(),
                laptops.getAggregateId())).get("laptop")).contains(laptops);
            assertThat(ci.acrossStores("ci", s -> s.getEventsBetween(laptops.getTimestamp(),
                laptops.getTimestamp().plusNanos(1))).get("laptop")).contains(laptops);

            // A second team's repository, read only.
            final Path other = dir.resolve("other.git");
            assertThat(new ProcessBuilder("git", "init", "--quiet", "--bare", other.toString()).start().waitFor())
                .isZero();
            try (FilesystemEventStoreAdapter desk = open("desk")) {
                desk.saveAll(events.subList(5, 6));
                desk.sync(other.toString(), "desk");
            }
            assertThat(laptop.pull(other.toString(), "team2")).containsExactly("team2/desk");
            assertThat(laptop.getOtherStores("laptop")).containsExactly("ci", "team2/desk");
            try (FilesystemEventStoreAdapter copy = laptop.openOtherStore("laptop", "team2/desk")) {
                assertThat(copy.getEventsByType(events.get(5).getEventType())).containsExactly(events.get(5));
            }
        }
    }

    @Test
    void whatACleanupRemovedComesBackFromTheHistoryWhenAsked() throws Exception {
        final Path remote = dir.resolve("team.git");
        assertThat(new ProcessBuilder("git", "init", "--quiet", "--bare", remote.toString()).start().waitFor())
            .isZero();
        final Instant old = Instant.now().minus(Duration.ofDays(400));
        final List<VersionedDomainEvent> saved = List.of(changed(old), changed(old.plusSeconds(60)),
            changed(Instant.now()));
        try (FilesystemEventStoreAdapter laptop = new FilesystemEventStoreAdapter(
                EventStoreConfiguration.defaults().withPath(dir.resolve("laptop")).withCleanupMaxAgeDays(30))) {
            saved.forEach(laptop::save);
            laptop.sync(remote.toString(), "laptop");
            assertThat(laptop.cleanup().getEventsRemoved()).isEqualTo(2);
            laptop.sync(remote.toString(), "laptop");
            assertThat(laptop.getEventsForAggregate("filewatch", "a")).hasSize(1);

            final RestoreResult restored = laptop.restoreRemoved("laptop");
            assertThat(restored).isEqualTo(new RestoreResult(1, 2, 2, List.of()));
            assertThat(laptop.getEventsForAggregate("filewatch", "a"))
                .extracting(VersionedDomainEvent::getEventId)
                .containsExactlyElementsOf(saved.stream().map(VersionedDomainEvent::getEventId)
                    .collect(Collectors.toList()));
            assertThat(laptop.verify()).isEmpty();
        }
    }

    private static VersionedDomainEvent changed(final Instant at) {
        return new ClassFileChanged(new EventMetadata(UUID.randomUUID().toString(), "filewatch", "a", 0L, at, null,
            1, null, null, null), null, "com.acme.C", 1, null);
    }
}
