package org.acmsl.bytehot.domain.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventMetadataTest {

    @Test
    void forNewAggregateLeavesTheVersionToTheStore() {
        final Instant before = Instant.now();
        final EventMetadata metadata = EventMetadata.forNewAggregate("hotswap", "session-1");

        assertThat(metadata.getAggregateType()).isEqualTo("hotswap");
        assertThat(metadata.getAggregateId()).isEqualTo("session-1");
        assertThat(metadata.getAggregateVersion()).isZero();
        assertThat(metadata.getPreviousEventId()).isNull();
        assertThat(metadata.getSchemaVersion()).isEqualTo(1);
        assertThat(metadata.getTimestamp()).isAfterOrEqualTo(before);
        assertThat(metadata.getEventId()).hasSize(36);
        assertThat(metadata.getUserId()).isNull();
        assertThat(metadata.getCorrelationId()).isNull();
        assertThat(metadata.getCausationId()).isNull();
    }

    @Test
    void forExistingAggregateClaimsTheNextVersionAfterThePreviousEvent() {
        final EventMetadata metadata = EventMetadata.forExistingAggregate("hotswap", "session-1", "event-7", 7);

        assertThat(metadata.getAggregateVersion()).isEqualTo(8);
        assertThat(metadata.getPreviousEventId()).isEqualTo("event-7");
    }

    @Test
    void everyFactoryCallGetsAFreshEventId() {
        assertThat(EventMetadata.forNewAggregate("t", "i").getEventId())
            .isNotEqualTo(EventMetadata.forNewAggregate("t", "i").getEventId());
    }

    @Test
    void withersChangeOnlyTheirField() {
        final EventMetadata metadata = EventMetadata.forNewAggregate("t", "i");
        final EventMetadata changed = metadata.withUserId("u").withCorrelationId("c").withCausationId("k");

        assertThat(changed.getUserId()).isEqualTo("u");
        assertThat(changed.getCorrelationId()).isEqualTo("c");
        assertThat(changed.getCausationId()).isEqualTo("k");
        assertThat(changed.withUserId(null).withCorrelationId(null).withCausationId(null)).isEqualTo(metadata);
        assertThat(metadata.getUserId()).isNull();
    }

    @Test
    void equalityIsByValueOverEveryField() {
        final Instant now = Instant.now();
        final EventMetadata a = new EventMetadata("e", "t", "i", 1, now, "p", 1, "u", "c", "k");
        final EventMetadata b = new EventMetadata("e", "t", "i", 1, now, "p", 1, "u", "c", "k");

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isEqualTo(a).isNotEqualTo(null).isNotEqualTo("e");
        assertThat(a).isNotEqualTo(new EventMetadata("x", "t", "i", 1, now, "p", 1, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "x", "i", 1, now, "p", 1, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "x", 1, now, "p", 1, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 2, now, "p", 1, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 1, null, "p", 1, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 1, now, "x", 1, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 1, now, "p", 2, "u", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 1, now, "p", 1, "x", "c", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 1, now, "p", 1, "u", "x", "k"));
        assertThat(a).isNotEqualTo(new EventMetadata("e", "t", "i", 1, now, "p", 1, "u", "c", "x"));
        assertThat(a.toString()).contains("eventId=e", "aggregateVersion=1", "causationId=k");
    }
}
