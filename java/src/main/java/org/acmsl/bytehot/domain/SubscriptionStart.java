package org.acmsl.bytehot.domain;

import java.util.Objects;

/**
 * Where a subscription starts: at the beginning of the store, after a position, or with the
 * first event committed after it was made. Immutable, with value equality.
 */
public final class SubscriptionStart {

    /** Which kind of start. */
    public enum Kind {
        /** With the first event of the store. */
        BEGINNING,
        /** With the first event after a position. */
        AFTER,
        /** With the first event committed after the subscription was made. */
        NOW
    }

    private static final SubscriptionStart BEGINNING = new SubscriptionStart(Kind.BEGINNING, 0L);

    private static final SubscriptionStart NOW = new SubscriptionStart(Kind.NOW, 0L);

    private final Kind kind;

    private final long position;

    private SubscriptionStart(final Kind kind, final long position) {
        this.kind = kind;
        this.position = position;
    }

    /**
     * From the first event of the store.
     * @return the start
     */
    public static SubscriptionStart beginning() {
        return BEGINNING;
    }

    /**
     * From the first event committed after the subscription was made.
     * @return the start
     */
    public static SubscriptionStart now() {
        return NOW;
    }

    /**
     * From the first event after {@code position}.
     * @param position a stream position (0: the beginning)
     * @return the start
     * @throws IllegalArgumentException if the position is negative
     */
    public static SubscriptionStart after(final long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must not be negative: " + position);
        }
        return new SubscriptionStart(Kind.AFTER, position);
    }

    /**
     * The kind of start.
     * @return the kind
     */
    public Kind getKind() {
        return kind;
    }

    /**
     * The position it starts after ({@link Kind#AFTER} only; 0 otherwise).
     * @return the position
     */
    public long getPosition() {
        return position;
    }

    @Override
    public boolean equals(final Object other) {
        if (!(other instanceof SubscriptionStart)) {
            return false;
        }
        final SubscriptionStart that = (SubscriptionStart) other;
        return kind == that.kind && position == that.position;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, position);
    }

    @Override
    public String toString() {
        return kind == Kind.AFTER ? "after " + position : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
