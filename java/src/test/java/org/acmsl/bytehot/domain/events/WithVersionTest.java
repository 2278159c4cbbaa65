package org.acmsl.bytehot.domain.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WithVersionTest {

    private static final EventMetadata METADATA =
        new EventMetadata("id-1", "hotswap", "agg", 3, Instant.EPOCH, "id-0", 2, "user", "corr", "cause");

    /** Every catalog event twice: with every field set, and with nulls and zeros. */
    static Stream<VersionedDomainEvent> catalog() {
        final List<VersionedDomainEvent> full = SampleEvents.all(type -> METADATA);
        final List<VersionedDomainEvent> nulls = SampleEvents.allWithNulls(type -> METADATA);
        assertThat(full).hasSize(16);
        return Stream.concat(full.stream(), nulls.stream());
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("catalog")
    void copiesTheEventWithOnlyTheVersionReplaced(final VersionedDomainEvent event) {
        final AbstractVersionedDomainEvent original = (AbstractVersionedDomainEvent) event;

        final AbstractVersionedDomainEvent copy = original.withVersion(7L);

        assertThat(copy).isNotSameAs(original).isExactlyInstanceOf(original.getClass());
        assertThat(copy.getAggregateVersion()).isEqualTo(7L);
        assertThat(copy.getEventId()).isEqualTo("id-1");
        assertThat(copy.getMetadata()).isEqualTo(METADATA.withVersion(7L));
        assertThat(copy.eventData().keySet()).containsExactlyElementsOf(original.eventData().keySet());
        assertThat(Arrays.deepEquals(copy.eventData().values().toArray(), original.eventData().values().toArray()))
            .as("the same fields").isTrue();
        assertThat(copy).isNotEqualTo(original);
        // Back at the original version, nothing else may differ (arrays are compared by content).
        assertThat(copy.withVersion(3L)).isEqualTo(original).hasSameHashCodeAs(original);
        assertThat(original.getAggregateVersion()).isEqualTo(3L);
    }

    @Test
    void zeroLeavesTheVersionToTheStore() {
        final ClassFileDeleted event = ClassFileDeleted.forNewSession(SampleEvents.CLASS_FILE, "A", Instant.EPOCH);

        assertThat(event.withVersion(0L).getAggregateVersion()).isZero();
    }

    @Test
    void anEventClassThatDoesNotOverrideWithMetadataCannotBeCopied() {
        assertThatThrownBy(() -> new Plain().withVersion(2L))
            .isInstanceOf(UnsupportedOperationException.class)
            .hasMessageContaining(Plain.class.getName())
            .hasMessageContaining("override withMetadata(EventMetadata)");
    }

    @Test
    void aSubclassThatInheritsWithMetadataIsRefusedRatherThanCopiedAsItsParent() {
        assertThat(new Copyable(METADATA).withVersion(4L)).isEqualTo(new Copyable(METADATA.withVersion(4L)));
        assertThatThrownBy(() -> new CopyableChild(METADATA).withVersion(4L))
            .isInstanceOf(UnsupportedOperationException.class)
            .hasMessageContaining(CopyableChild.class.getName())
            .hasMessageContaining("override withMetadata(EventMetadata)");
    }

    /** An application's event written for ByteHot: no withMetadata. */
    static final class Plain extends AbstractVersionedDomainEvent {
        Plain() {
            super("e", "t", "i", 1, Instant.EPOCH, null, 1);
        }
    }

    /** An application's event that supports withVersion. */
    static class Copyable extends AbstractVersionedDomainEvent {
        Copyable(final EventMetadata metadata) {
            super(metadata);
        }

        @Override
        protected Copyable withMetadata(final EventMetadata newMetadata) {
            return new Copyable(newMetadata);
        }
    }

    /** Its subclass, which forgot to override withMetadata. */
    static final class CopyableChild extends Copyable {
        CopyableChild(final EventMetadata metadata) {
            super(metadata);
        }
    }
}
