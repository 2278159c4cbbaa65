package org.acmsl.bytehot.domain.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.WatchConfiguration;
import org.acmsl.bytehot.testing.SampleEvents;
import org.junit.jupiter.api.Test;

class CatalogEventsTest {

    private static final EventMetadata METADATA =
        new EventMetadata("id-1", "hotswap", "agg", 3, Instant.EPOCH, "id-0", 1, "user", "corr", "cause");

    @Test
    void everyCatalogEventEqualsAnEqualCopyAndDiffersFromOthers() {
        final List<VersionedDomainEvent> first = SampleEvents.all(type -> METADATA);
        final List<VersionedDomainEvent> second = SampleEvents.all(type -> METADATA);
        final List<VersionedDomainEvent> nulls = SampleEvents.allWithNulls(type -> METADATA);

        assertThat(first).hasSize(16);
        for (int i = 0; i < first.size(); i++) {
            assertThat(first.get(i)).isEqualTo(second.get(i)).hasSameHashCodeAs(second.get(i));
            assertThat(first.get(i)).isNotEqualTo(nulls.get(i));
            assertThat(first.get(i).getEventType()).isEqualTo(first.get(i).getClass().getSimpleName());
            assertThat(first.get(i).toString()).startsWith(first.get(i).getClass().getSimpleName() + "[eventId=id-1");
        }
        assertThat(new ArrayList<>(first)).doesNotHaveDuplicates();
    }

    @Test
    void metadataIsPartOfEquality() {
        final ClassFileDeleted a = new ClassFileDeleted(METADATA, Paths.get("/a"), "A", Instant.EPOCH);
        final ClassFileDeleted b = new ClassFileDeleted(METADATA.withUserId("other"), Paths.get("/a"), "A", Instant.EPOCH);

        assertThat(a).isNotEqualTo(b).isEqualTo(a).isNotEqualTo(null).isNotEqualTo("A");
        assertThat(a.getMetadata()).isEqualTo(METADATA);
        assertThat(a.getUserId()).isEqualTo("user");
        assertThat(a.getCorrelationId()).isEqualTo("corr");
        assertThat(a.getCausationId()).isEqualTo("cause");
        assertThat(a.getPreviousEventId()).isEqualTo("id-0");
        assertThat(a.getSchemaVersion()).isEqualTo(1);
        assertThat(a.getTimestamp()).isEqualTo(Instant.EPOCH);
        assertThat(a.getAggregateVersion()).isEqualTo(3);
    }

    @Test
    void bytecodeIsComparedByContentAndCopiedInAndOut() {
        final byte[] original = {1, 2, 3};
        final HotSwapRequested event = new HotSwapRequested(METADATA, null, "A", original, new byte[] {4}, null, null, null);
        original[0] = 9;
        event.getOriginalBytecode()[1] = 9;

        assertThat(event.getOriginalBytecode()).containsExactly(1, 2, 3);
        assertThat(event).isEqualTo(new HotSwapRequested(METADATA, null, "A", new byte[] {1, 2, 3}, new byte[] {4}, null, null, null));
        assertThat(event.toString()).contains("originalBytecode=byte[3]").doesNotContain("[1, 2, 3]");
    }

    @Test
    void listsAreCopiedAndUnmodifiable() {
        final List<String> methods = new ArrayList<>(Arrays.asList("a", "b"));
        final ClassMetadataExtracted event =
            new ClassMetadataExtracted(METADATA, null, "A", null, null, null, methods, null);
        methods.add("c");

        assertThat(event.getMethods()).containsExactly("a", "b");
        assertThatThrownBy(() -> event.getMethods().add("d")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(event.getInterfaces()).isNull();
    }

    @Test
    void notStartedKeepsTheErrorsClassAndMessage() {
        final ByteHotNotStarted event = ByteHotNotStarted.fromError(METADATA, new IllegalStateException("no agent"), "p");

        assertThat(event.getErrorClass()).isEqualTo("java.lang.IllegalStateException");
        assertThat(event.getErrorMessage()).isEqualTo("no agent");
        assertThat(event.getPrecedingEventId()).isEqualTo("p");
        assertThat(ByteHotNotStarted.fromError(METADATA, null, null).getErrorClass()).isNull();
    }

    @Test
    void theSpecsSevenFieldConstructorLeavesTheOptionalIdsEmpty() {
        final VersionedDomainEvent event = new Minimal();

        assertThat(event.getEventId()).isEqualTo("e");
        assertThat(event.getUserId()).isNull();
        assertThat(event.getCausationId()).isNull();
        assertThat(event).isEqualTo(new Minimal());
        assertThat(event.toString()).isEqualTo("Minimal[" + ((Minimal) event).getMetadata() + "]");
        assertThatThrownBy(() -> new ByteHotAttachRequested(null, null))
            .isInstanceOf(NullPointerException.class).hasMessageContaining("metadata");
    }

    @Test
    void createMetadataAssignsAFreshIdAndKeepsThePreviousEvent() {
        final EventMetadata metadata = Minimal.create("t", "i", "p");

        assertThat(metadata.getPreviousEventId()).isEqualTo("p");
        assertThat(metadata.getAggregateVersion()).isZero();
        assertThat(metadata.getTimestamp()).isNotNull();
    }

    @Test
    void watchConfigurationIsAValue() {
        final WatchConfiguration a = new WatchConfiguration(List.of(Paths.get("/a")), List.of("*.class"), true);

        assertThat(a).isEqualTo(new WatchConfiguration(List.of(Paths.get("/a")), List.of("*.class"), true))
            .hasSameHashCodeAs(new WatchConfiguration(List.of(Paths.get("/a")), List.of("*.class"), true))
            .isEqualTo(a)
            .isNotEqualTo(new WatchConfiguration(List.of(Paths.get("/a")), List.of("*.class"), false))
            .isNotEqualTo(new WatchConfiguration(List.of(), List.of("*.class"), true))
            .isNotEqualTo(new WatchConfiguration(List.of(Paths.get("/a")), List.of(), true))
            .isNotEqualTo("a");
        assertThat(a.toString()).contains("/a", "*.class", "recursive=true");
    }

    @Test
    void eventDataListsTheCatalogFieldsInOrder() {
        final InstancesUpdated event = new InstancesUpdated(METADATA, "A", 1, 2, null, 0, null, null, null);
        final Map<String, Object> data = event.eventData();

        assertThat(data.keySet()).containsExactly("className", "updatedInstances", "totalInstances", "updateMethod",
            "failedUpdates", "updateDetails", "duration", "timestamp");
    }

    @Test
    void everyGetterReturnsWhatTheConstructorWasGiven() throws Exception {
        for (final VersionedDomainEvent event : SampleEvents.all(type -> METADATA)) {
            final Map<String, Object> data = ((AbstractVersionedDomainEvent) event).eventData();
            assertThat(data).as(event.getEventType()).isNotEmpty();
            for (final Map.Entry<String, Object> field : data.entrySet()) {
                final String name = field.getKey();
                final String capitalized = Character.toUpperCase(name.charAt(0)) + name.substring(1);
                final String getter = name.equals("timestamp") ? "getEventTimestamp"
                    : field.getValue() instanceof Boolean ? "is" + capitalized : "get" + capitalized;
                final Object value = event.getClass().getMethod(getter).invoke(event);
                assertThat(value).as(event.getEventType() + "." + getter).isEqualTo(field.getValue());
            }
        }
    }

    /** An event of its own, built through the spec's seven-field constructor. */
    static final class Minimal extends AbstractVersionedDomainEvent {
        Minimal() {
            super("e", "t", "i", 1, Instant.EPOCH, null, 1);
        }

        static EventMetadata create(final String type, final String id, final String previous) {
            return createMetadata(type, id, previous);
        }
    }
}
