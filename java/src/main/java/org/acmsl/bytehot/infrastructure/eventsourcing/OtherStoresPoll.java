package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.acmsl.bytehot.domain.VersionedDomainEvent;

/**
 * What {@link FilesystemEventStoreAdapter#pollOtherStores} found: the other stores' new
 * events, each with its store's name, and the cursor that covers them. Immutable.
 */
public final class OtherStoresPoll {

    private final List<Map.Entry<String, VersionedDomainEvent>> events;

    private final String cursor;

    /**
     * A poll's result.
     * @param events the events, each with its store's name, in delivery order
     * @param cursor the cursor after them (JSON text)
     */
    public OtherStoresPoll(final List<Map.Entry<String, VersionedDomainEvent>> events, final String cursor) {
        this.events = Collections.unmodifiableList(List.copyOf(Objects.requireNonNull(events, "events")));
        this.cursor = Objects.requireNonNull(cursor, "cursor");
    }

    /**
     * The new events, each with the name of the store it came from.
     * @return store name and event, in delivery order
     */
    public List<Map.Entry<String, VersionedDomainEvent>> getEvents() {
        return events;
    }

    /**
     * The cursor to give the next poll (keep it with the consumer's state).
     * @return a JSON text
     */
    public String getCursor() {
        return cursor;
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof OtherStoresPoll && events.equals(((OtherStoresPoll) other).events)
            && cursor.equals(((OtherStoresPoll) other).cursor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(events, cursor);
    }

    @Override
    public String toString() {
        return "OtherStoresPoll{events=" + events.size() + ", cursor=" + cursor + '}';
    }
}
