package org.acmsl.bytehot.domain.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** ByteHot's {@code ClassFileChanged} factories, with ByteHot's parameters and versions. */
class ByteHotFactoriesTest {

    private static final Path FILE = Paths.get("target/classes/com/acme/Foo.class");

    private static final Instant DETECTED = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void forNewSessionIsVersionOneOfTheFilesAggregateAtTheDetectionTime() {
        final ClassFileChanged first = ClassFileChanged.forNewSession(FILE, "com.acme.Foo", 10L, DETECTED);
        assertThat(first.getAggregateType()).isEqualTo("filewatch");
        assertThat(first.getAggregateId()).isEqualTo(FILE.toString());
        assertThat(first.getAggregateVersion()).isEqualTo(1L);
        assertThat(first.getPreviousEventId()).isNull();
        assertThat(first.getTimestamp()).isEqualTo(DETECTED);
        assertThat(first.getDetectionTimestamp()).isEqualTo(DETECTED);
        assertThat(ClassFileChanged.forNewSession(FILE, "com.acme.Foo", 10L, DETECTED).getEventId())
            .isNotEqualTo(first.getEventId());
    }

    @Test
    void forExistingSessionFollowsThePreviousEventAtTheNextVersion() {
        final ClassFileChanged next =
            ClassFileChanged.forExistingSession(FILE, "com.acme.Foo", 20L, DETECTED, "previous-id", 4L);
        assertThat(next.getAggregateVersion()).isEqualTo(5L);
        assertThat(next.getPreviousEventId()).isEqualTo("previous-id");
        assertThat(next.getFileSize()).isEqualTo(20L);
        assertThat(next.getUserId()).isNull();
    }

    @Test
    void withUserAttributesTheEventAndAMissingDetectionTimeIsNow() {
        final Instant before = Instant.now();
        final ClassFileChanged event =
            ClassFileChanged.withUser(FILE, "com.acme.Foo", 20L, null, "ada", "previous-id", 1L);
        assertThat(event.getUserId()).isEqualTo("ada");
        assertThat(event.getAggregateVersion()).isEqualTo(2L);
        assertThat(event.getTimestamp()).isBetween(before, Instant.now());
    }

    @Test
    void metadataHelpersAndEventDefaultsAnswerAsByteHotsDid() {
        final EventMetadata first = EventMetadata.forExistingAggregate("t", "a", null, 0L);
        assertThat(first.isFirstEvent()).isTrue();
        assertThat(first.withVersion(2L).isFirstEvent()).isFalse();
        assertThat(first.withVersion(2L).getEventId()).isEqualTo(first.getEventId());
        assertThat(first.hasUser()).isFalse();
        assertThat(first.hasCorrelation()).isFalse();
        final EventMetadata attributed = EventMetadata.withCorrelation("t", "a", "p", 3L, "ada", "c-1");
        assertThat(attributed.getAggregateVersion()).isEqualTo(4L);
        assertThat(attributed.hasUser()).isTrue();
        assertThat(attributed.hasCorrelation()).isTrue();
        assertThat(EventMetadata.withUser("t", "a", "p", 3L, " ").hasUser()).isFalse();

        final ClassFileChanged firstEvent = ClassFileChanged.forNewSession(FILE, "Foo", 1L, DETECTED);
        assertThat(firstEvent.isFirstEvent()).isTrue();
        assertThat(firstEvent.hasCausality()).isFalse();
        assertThat(firstEvent.hasUser()).isFalse();
        assertThat(firstEvent.isCorrelated()).isFalse();
        final ClassFileChanged later = ClassFileChanged.withUser(FILE, "Foo", 1L, DETECTED, "ada", "p", 1L);
        assertThat(later.isFirstEvent()).isFalse();
        assertThat(later.hasCausality()).isTrue();
        assertThat(later.hasUser()).isTrue();
    }

    @Test
    void theOtherCatalogFactoriesFollowByteHotsParametersAndTheCatalogsAggregates() {
        final ClassFileDeleted deleted = ClassFileDeleted.forNewSession(FILE, "com.acme.Foo", DETECTED);
        assertThat(deleted.getAggregateType()).isEqualTo("filewatch");
        assertThat(deleted.getAggregateVersion()).isEqualTo(1L);
        assertThat(deleted.getTimestamp()).isEqualTo(DETECTED);

        final BytecodeRejected rejected = BytecodeRejected.forNewSession(FILE, "com.acme.Foo", "schema change", DETECTED);
        assertThat(rejected.getAggregateType()).isEqualTo("hotswap");
        assertThat(rejected.getAggregateVersion()).isEqualTo(1L);
        assertThat(rejected.getRejectionReason()).isEqualTo("schema change");
        assertThat(rejected.isValidForHotSwap()).isFalse();

        final ClassFileChanged change = ClassFileChanged.withUser(FILE, "com.acme.Foo", 1L, DETECTED, "ada", "p", 2L);
        final ClassFileProcessed processed = ClassFileProcessed.fromFileChange(change);
        assertThat(processed.getAggregateId()).isEqualTo(change.getAggregateId());
        assertThat(processed.getAggregateVersion()).isEqualTo(4L);
        assertThat(processed.getPreviousEventId()).isEqualTo(change.getEventId());
        assertThat(processed.getUserId()).isEqualTo("ada");
        assertThat(processed.getResult()).isEqualTo(org.acmsl.bytehot.domain.ProcessingResult.SUCCESS);
        assertThat(ClassFileProcessed.withResult(change, org.acmsl.bytehot.domain.ProcessingResult.FAILURE, "no")
            .getMessage()).isEqualTo("no");
    }

    @Test
    void aSubclassBuildsItsMetadataWithByteHotsHelpersAndDescribesItself() {
        final class Probe extends AbstractVersionedDomainEvent {
            Probe(final EventMetadata metadata) {
                super(metadata);
            }
        }
        final Probe first = new Probe(Probe.createMetadataForNewAggregate("t", "a"));
        assertThat(first.getAggregateVersion()).isEqualTo(1L);
        assertThat(first.isFirstEvent()).isTrue();
        final Probe next = new Probe(Probe.createMetadataWithCorrelation("t", "a", first.getEventId(), 1L, "ada", "c"));
        assertThat(next.getAggregateVersion()).isEqualTo(2L);
        assertThat(next.getCorrelationId()).isEqualTo("c");
        assertThat(new Probe(Probe.createMetadataForExistingAggregate("t", "a", "p", 4L)).getAggregateVersion())
            .isEqualTo(5L);
        assertThat(new Probe(Probe.createMetadataWithUser("t", "a", "p", 0L, "ada")).getUserId()).isEqualTo("ada");
        assertThat(next.getDescription()).isEqualTo("Probe[aggregateType=t, aggregateId=a, version=2]");
    }
}
