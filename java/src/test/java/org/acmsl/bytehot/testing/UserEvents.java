package org.acmsl.bytehot.testing;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;

/** Events defined outside the catalog, the way a ByteHot user (or a later milestone) would. */
public final class UserEvents {

    private UserEvents() {
    }

    /** Follows the catalog's convention: a constructor (EventMetadata, fields...). */
    public static final class DeploymentRecorded extends AbstractVersionedDomainEvent {
        private final String environment;
        private final int replicas;
        private final List<Path> artifacts;
        private final Map<String, Long> sizes;

        public DeploymentRecorded(final EventMetadata metadata, final String environment, final int replicas,
            final List<Path> artifacts, final Map<String, Long> sizes) {
            super(metadata);
            this.environment = environment;
            this.replicas = replicas;
            this.artifacts = artifacts;
            this.sizes = sizes;
        }

        /** A convenience constructor: the mapping must pick the longest one. */
        public DeploymentRecorded(final EventMetadata metadata, final String environment) {
            this(metadata, environment, 1, List.of(), Map.of());
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("environment", environment, "replicas", replicas, "artifacts", artifacts, "sizes", sizes);
        }
    }

    /** A record: the canonical constructor is the mapping. */
    public record FlowDiscovered(EventMetadata metadata, String flowName, double confidence, List<String> steps)
        implements VersionedDomainEvent {
        @Override public String getEventId() { return metadata.getEventId(); }
        @Override public String getAggregateType() { return metadata.getAggregateType(); }
        @Override public String getAggregateId() { return metadata.getAggregateId(); }
        @Override public long getAggregateVersion() { return metadata.getAggregateVersion(); }
        @Override public Instant getTimestamp() { return metadata.getTimestamp(); }
        @Override public String getPreviousEventId() { return metadata.getPreviousEventId(); }
        @Override public int getSchemaVersion() { return metadata.getSchemaVersion(); }
        @Override public String getUserId() { return metadata.getUserId(); }
        @Override public String getCorrelationId() { return metadata.getCorrelationId(); }
        @Override public String getCausationId() { return metadata.getCausationId(); }
    }

    /** Values reachable only through getters (is-, get- and bare accessors), not same-named fields. */
    public static final class UserAuthenticated extends AbstractVersionedDomainEvent {
        private final String storedName;
        private final boolean storedSuccess;
        private final String storedMethod;

        public UserAuthenticated(final EventMetadata metadata, final String userName, final boolean success,
            final String method) {
            super(metadata);
            this.storedName = userName;
            this.storedSuccess = success;
            this.storedMethod = method;
        }

        public String getUserName() {
            return storedName;
        }

        public boolean isSuccess() {
            return storedSuccess;
        }

        public String method() {
            return storedMethod;
        }

        @Override
        protected Map<String, Object> eventData() {
            return data("userName", storedName, "success", storedSuccess, "method", storedMethod);
        }
    }

    /** No EventMetadata constructor: Jackson maps it as a bean, metadata included. */
    public static final class UserRegistered implements VersionedDomainEvent {
        private final String eventId;
        private final String aggregateId;
        private final long aggregateVersion;
        private final Instant timestamp;
        private final String previousEventId;
        private final String email;

        @JsonCreator
        public UserRegistered(@JsonProperty("eventId") final String eventId,
            @JsonProperty("aggregateId") final String aggregateId,
            @JsonProperty("aggregateVersion") final long aggregateVersion,
            @JsonProperty("timestamp") final Instant timestamp,
            @JsonProperty("previousEventId") final String previousEventId,
            @JsonProperty("email") final String email) {
            this.eventId = eventId;
            this.aggregateId = aggregateId;
            this.aggregateVersion = aggregateVersion;
            this.timestamp = timestamp;
            this.previousEventId = previousEventId;
            this.email = email;
        }

        @Override public String getEventId() { return eventId; }
        @Override public String getAggregateType() { return "user"; }
        @Override public String getAggregateId() { return aggregateId; }
        @Override public long getAggregateVersion() { return aggregateVersion; }
        @Override public Instant getTimestamp() { return timestamp; }
        @Override public String getPreviousEventId() { return previousEventId; }
        @Override public int getSchemaVersion() { return 1; }
        @Override public String getUserId() { return null; }
        @Override public String getCorrelationId() { return null; }

        public String getEmail() {
            return email;
        }

        @Override
        public boolean equals(final Object o) {
            if (!(o instanceof UserRegistered)) {
                return false;
            }
            final UserRegistered u = (UserRegistered) o;
            return Objects.equals(eventId, u.eventId) && Objects.equals(aggregateId, u.aggregateId)
                && aggregateVersion == u.aggregateVersion && Objects.equals(timestamp, u.timestamp)
                && Objects.equals(previousEventId, u.previousEventId) && Objects.equals(email, u.email);
        }

        @Override
        public int hashCode() {
            return Objects.hash(eventId, aggregateId, aggregateVersion, timestamp, previousEventId, email);
        }
    }

    /** A constructor parameter with neither a field nor a getter of its name: cannot be mapped. */
    public static final class Unmappable extends AbstractVersionedDomainEvent {
        public Unmappable(final EventMetadata metadata, final String mystery) {
            super(metadata);
        }
    }

    /** Validates in its constructor: a stored value it rejects cannot be loaded. */
    public static final class Picky extends AbstractVersionedDomainEvent {
        private final String value;

        public Picky(final EventMetadata metadata, final String value) {
            super(metadata);
            if ("bad".equals(value)) {
                throw new IllegalArgumentException("value must not be bad");
            }
            this.value = value;
        }
    }

    /** Holds a value Jackson cannot write. */
    public static final class Unwritable extends AbstractVersionedDomainEvent {
        private final Object payload;

        public Unwritable(final EventMetadata metadata, final Object payload) {
            super(metadata);
            this.payload = payload;
        }
    }

    /** A bean whose getter fails: Jackson cannot write it. */
    public static final class Exploding {
        public String getBoom() {
            throw new IllegalStateException("boom");
        }
    }
}
