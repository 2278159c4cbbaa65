package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event data and settings a careless or hostile caller passes end in the exception that names
 * the problem: data nested too deep is an {@link InvalidEventException} (never a raw
 * {@code RuntimeException} from Jackson, nor a crashed JVM), a setting the store rejects an
 * {@link EventStoreConfigurationException}; nothing is written.
 */
class HostileEventDataTest {

    @TempDir
    Path dir;

    /** An event carrying any JSON. */
    public static final class Payload extends AbstractVersionedDomainEvent {
        private final JsonNode payload;

        public Payload(final EventMetadata metadata, final JsonNode payload) {
            super(metadata);
            this.payload = payload;
        }

        public JsonNode getPayload() {
            return payload;
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("payload", payload);
        }
    }

    private static JsonNode nested(final int depth) {
        final ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode at = root;
        for (int i = 0; i < depth; i++) {
            at = at.putObject("n");
        }
        at.put("leaf", 1);
        return root;
    }

    @Test
    void dataNestedDeeperThanJacksonWritesIsAnInvalidEventAndNothingIsWritten() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThatThrownBy(() -> store.save(new Payload(EventMetadata.forNewAggregate("deep", "a"), nested(1_100))))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("nesting depth");
            assertThat(store.getTotalEventCount()).isZero();
        }
    }

    @Test
    void dataNestedWithinWhatReadersAcceptIsStoredAndReadBack() {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            store.save(new Payload(EventMetadata.forNewAggregate("deep", "ok"), nested(900)));
            assertThat(store.getEventsForAggregate("deep", "ok")).hasSize(1);
        }
    }

    @Test
    void aSettingTheStoreRejectsIsAConfigurationException() {
        assertThatThrownBy(() -> new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(dir).withDurability("sometimes")))
            .isInstanceOf(EventStoreConfigurationException.class)
            .hasMessageContaining("durability");
    }
}
