package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.List;
import java.util.Random;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;

/**
 * The second JVM of {@link SegmentStorageFromYamlTest}, started in a working directory holding
 * {@code bytehot.yml}: opens the store with the no-argument constructor, as an application
 * does, and either saves the test's events or reads them all back, printing each.
 */
public final class SegmentStoreMain {

    /** The aggregate type of every event. */
    static final String TYPE = "filewatch";

    /** How many aggregates the events are spread over. */
    static final int AGGREGATES = 100;

    /** How many events are saved. */
    static final int EVENTS = 3_000;

    /** The payload of each event, in bytes (ASCII, so also in characters). */
    static final int PAYLOAD_BYTES = 1024;

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private SegmentStoreMain() {
    }

    /**
     * The id of the {@code n}th aggregate.
     * @param n from 0
     * @return the id
     */
    static String aggregateId(final int n) {
        return String.format("agg-%03d", n);
    }

    /**
     * The payload of an aggregate's event: {@value #PAYLOAD_BYTES} letters and digits, the same
     * in every JVM, different for every event (random text, so that a file system or a format
     * that compresses cannot make it look smaller than it is).
     * @param aggregateId the aggregate
     * @param version the event's version
     * @return the payload
     */
    static String payload(final String aggregateId, final long version) {
        final Random random = new Random(aggregateId.hashCode() * 1_000_003L + version);
        final StringBuilder text = new StringBuilder(PAYLOAD_BYTES);
        for (int i = 0; i < PAYLOAD_BYTES; i++) {
            text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }

    /**
     * The line printed for an event: {@code event <aggregate id> <version> <event id> <payload>}.
     * @param event the event, a {@link ClassFileChanged} carrying the payload as its class name
     * @return the line
     */
    static String line(final VersionedDomainEvent event) {
        return "event " + event.getAggregateId() + " " + event.getAggregateVersion() + " " + event.getEventId() + " "
            + ((ClassFileChanged) event).getClassName();
    }

    /**
     * With {@code write}: saves {@value #EVENTS} events round-robin into {@value #AGGREGATES}
     * aggregates, one save each, and prints each as stored. With {@code read}: prints every
     * event of every aggregate as read. Either way prints {@code base:<base path>} and
     * {@code max-events-per-file:<setting>} first.
     * @param args {@code write} or {@code read}
     */
    public static void main(final String[] args) {
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter()) {
            System.out.println("base:" + store.getBasePath().toAbsolutePath().normalize());
            System.out.println("max-events-per-file:"
                + store.getConfiguration().getSettings().get(EventStoreConfiguration.MAX_EVENTS_PER_FILE));
            if (args.length == 1 && args[0].equals("write")) {
                for (int i = 0; i < EVENTS; i++) {
                    final String id = aggregateId(i % AGGREGATES);
                    final long version = i / AGGREGATES + 1;
                    System.out.println(line(store.saveAndReturn(new ClassFileChanged(
                        EventMetadata.forNewAggregate(TYPE, id), null, payload(id, version), PAYLOAD_BYTES, null))));
                }
            } else if (args.length == 1 && args[0].equals("read")) {
                for (int n = 0; n < AGGREGATES; n++) {
                    final List<VersionedDomainEvent> events = store.getEventsForAggregate(TYPE, aggregateId(n));
                    events.forEach(event -> System.out.println(line(event)));
                }
            } else {
                throw new IllegalArgumentException("expected write or read, got " + List.of(args));
            }
        }
    }
}
