package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema evolution on read (issue 22): upcasters chained across three versions, the version
 * an event is read at, a failing upcaster named, and a renamed class reading its old name.
 */
class UpcasterTest {

    @TempDir
    Path dir;

    /** Version 1 of a price event: one text. */
    public static final class PriceSetV1 extends AbstractVersionedDomainEvent {
        private final String price;

        public PriceSetV1(final EventMetadata metadata, final String price) {
            super(metadata);
            this.price = price;
        }

        public String getPrice() {
            return price;
        }

        @Override
        public String getEventType() {
            return "PriceSet";
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("price", price);
        }
    }

    /** Version 2: amount and currency apart. */
    public static final class PriceSetV2 extends AbstractVersionedDomainEvent {
        private final String amount;
        private final String currency;

        public PriceSetV2(final EventMetadata metadata, final String amount, final String currency) {
            super(metadata);
            this.amount = amount;
            this.currency = currency;
        }

        public String getAmount() {
            return amount;
        }

        public String getCurrency() {
            return currency;
        }

        @Override
        public String getEventType() {
            return "PriceSet";
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("amount", amount, "currency", currency);
        }
    }

    /** Version 3, the current class: cents. */
    public static final class PriceSet extends AbstractVersionedDomainEvent {
        private final long amountCents;
        private final String currency;

        public PriceSet(final EventMetadata metadata, final long amountCents, final String currency) {
            super(metadata);
            this.amountCents = amountCents;
            this.currency = currency;
        }

        public long getAmountCents() {
            return amountCents;
        }

        public String getCurrency() {
            return currency;
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("amountCents", amountCents, "currency", currency);
        }
    }

    /** A class before its rename. */
    public static final class CartEmptied extends AbstractVersionedDomainEvent {
        public CartEmptied(final EventMetadata metadata) {
            super(metadata);
        }
    }

    /** The same class after its rename. */
    public static final class CartCleared extends AbstractVersionedDomainEvent {
        public CartCleared(final EventMetadata metadata) {
            super(metadata);
        }
    }

    private static EventMetadata metadata(final String aggregate, final int schemaVersion) {
        return new EventMetadata(UUID.randomUUID().toString(), "product", aggregate, 0L, Instant.now(), null,
            schemaVersion, null, null, null);
    }

    private FilesystemEventStoreAdapter open() {
        return new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(dir));
    }

    @AfterEach
    void forget() {
        EventSerializationSupport.clearCache();
    }

    private void storeThreeGenerations() {
        try (FilesystemEventStoreAdapter store = open()) {
            store.save(new PriceSetV1(metadata("p", 1), "12.50 EUR"));
            store.save(new PriceSetV1(metadata("p", 1), "3.05 USD"));
        }
        // A later release of the application: the class changed under the same type name.
        EventSerializationSupport.clearCache();
        try (FilesystemEventStoreAdapter store = open()) {
            store.save(new PriceSetV2(metadata("p", 2), "7.00", "GBP"));
        }
        EventSerializationSupport.clearCache();
    }

    private static void registerCurrent() {
        EventSerializationSupport.registerEventType("PriceSet", PriceSet.class);
        EventSerializationSupport.registerUpcaster("PriceSet", 1, data -> {
            final String[] parts = data.remove("price").asText().split(" ");
            return data.put("amount", parts[0]).put("currency", parts[1]);
        });
        EventSerializationSupport.registerUpcaster("PriceSet", 2, data -> {
            final BigDecimal amount = new BigDecimal(data.remove("amount").asText());
            return data.put("amountCents", amount.movePointRight(2).longValueExact());
        });
    }

    @Test
    void eventsOfThreeSchemaVersionsReadAsTheCurrentClassThroughTheChain() {
        storeThreeGenerations();
        registerCurrent();
        try (FilesystemEventStoreAdapter store = open()) {
            final List<VersionedDomainEvent> events = store.getEventsForAggregate("product", "p");
            assertThat(events).hasSize(3).allMatch(e -> e instanceof PriceSet);
            assertThat(events.stream().map(e -> ((PriceSet) e).getAmountCents())).containsExactly(1250L, 305L, 700L);
            assertThat(events.stream().map(e -> ((PriceSet) e).getCurrency())).containsExactly("EUR", "USD", "GBP");
            assertThat(events).allMatch(e -> e.getSchemaVersion() == 3);
            // Every read path goes through the chain, and the files keep what was written.
            assertThat(store.getEventsByType("PriceSet")).hasSize(3).allMatch(e -> e.getSchemaVersion() == 3);
            assertThat(store.readAll(1, 10)).hasSize(3).allMatch(e -> e instanceof PriceSet);
        }
        EventSerializationSupport.clearCache();
        EventSerializationSupport.registerEventType("PriceSet", PriceSetV1.class);
        try (FilesystemEventStoreAdapter store = open()) {
            assertThat(((PriceSetV1) store.getEventsForAggregate("product", "p").get(0)).getPrice())
                .isEqualTo("12.50 EUR");
        }
    }

    @Test
    void aFailingUpcasterNamesTheEventAndTheVersion() {
        storeThreeGenerations();
        EventSerializationSupport.registerEventType("PriceSet", PriceSet.class);
        EventSerializationSupport.registerUpcaster("PriceSet", 1, data -> {
            throw new IllegalStateException("no rate");
        });
        assertThatThrownBy(() -> EventSerializationSupport.registerUpcaster("PriceSet", 1, data -> data))
            .isInstanceOf(IllegalStateException.class);
        try (FilesystemEventStoreAdapter store = open()) {
            assertThatThrownBy(() -> store.getEventsForAggregate("product", "p"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("upcaster of PriceSet from schema version 1").hasMessageContaining("no rate");
        }
    }

    @Test
    void aRenamedClassKeepsReadingEventsStoredUnderItsOldName() {
        try (FilesystemEventStoreAdapter store = open()) {
            store.save(new CartEmptied(metadata("c", 1)));
        }
        EventSerializationSupport.clearCache();
        EventSerializationSupport.registerEventAlias("CartEmptied", CartCleared.class);
        try (FilesystemEventStoreAdapter store = open()) {
            store.save(new CartCleared(metadata("c", 1)));
            final List<VersionedDomainEvent> events = store.getEventsForAggregate("product", "c");
            assertThat(events).hasSize(2).allMatch(e -> e instanceof CartCleared);
        }
    }
}
