package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Paths;
import java.time.Instant;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The helpers of ByteHot's {@code EventSerializationSupport}, as callers written for it use them. */
class ByteHotSerializationHelpersTest {

    @AfterEach
    void forgetRegistrations() {
        EventSerializationSupport.clearCache();
    }

    @Test
    void theCatalogIsRegisteredAndClearCacheKeepsIt() {
        assertThat(EventSerializationSupport.isEventTypeRegistered("ClassFileChanged")).isTrue();
        assertThat(EventSerializationSupport.isEventTypeRegistered("NoSuchEvent")).isFalse();
        assertThat(EventSerializationSupport.isEventTypeRegistered(null)).isFalse();
        EventSerializationSupport.registerEventType("Renamed", HotSwapRequested.class);
        assertThat(EventSerializationSupport.getRegisteredEventTypes()).containsEntry("Renamed", HotSwapRequested.class);
        EventSerializationSupport.clearCache();
        assertThat(EventSerializationSupport.isEventTypeRegistered("Renamed")).isFalse();
        assertThat(EventSerializationSupport.getRegisteredEventTypes()).containsEntry("ClassFileChanged",
            ClassFileChanged.class);
        assertThat(new EventSerializationSupport()).isNotNull();
    }

    @Test
    void anEnvelopesTypeAndShapeAreReadWithoutLoadingIt() {
        final String json = EventSerializationSupport.toJson(new ClassFileChanged(
            EventMetadata.forNewAggregate("filewatch", "Foo.class"), Paths.get("Foo.class"), "Foo", 1L, Instant.EPOCH));
        assertThat(EventSerializationSupport.extractEventType(json)).isEqualTo("ClassFileChanged");
        assertThat(EventSerializationSupport.isValidEventJson(json)).isTrue();
        assertThat(EventSerializationSupport.isValidEventJson("{\"eventType\":\"A\"}")).isFalse();
        assertThat(EventSerializationSupport.isValidEventJson("not json")).isFalse();
        assertThat(EventSerializationSupport.extractEventType("not json")).isNull();
        assertThat(EventSerializationSupport.extractEventType(null)).isNull();
    }

    @Test
    void aMinimalEnvelopeHasTheTypeTheDataAndEmptyMetadata() {
        final String json = EventSerializationSupport.createMinimalEventJson("Probe", "{\"a\":1}");
        assertThat(EventSerializationSupport.isValidEventJson(json)).isTrue();
        assertThat(EventSerializationSupport.extractEventType(json)).isEqualTo("Probe");
        assertThat(json).contains("\"eventData\":{\"a\":1}").contains("\"eventMetadata\":{}");
    }
}
