package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.acmsl.bytehot.domain.InvalidEventException;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.testing.SampleEvents;
import org.acmsl.bytehot.testing.UserEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventSerializationSupportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static EventMetadata metadata(final String type) {
        return EventMetadata.forExistingAggregate(type, "agg-" + type, "prev", 4)
            .withUserId("user-👤").withCorrelationId("corr").withCausationId("cause");
    }

    @Test
    void everyCatalogEventRoundTripsThroughJson() {
        for (final VersionedDomainEvent event : SampleEvents.all(EventSerializationSupportTest::metadata)) {
            assertThat(EventSerializationSupport.fromJson(EventSerializationSupport.toJson(event))).isEqualTo(event);
        }
    }

    @Test
    void nullsZerosAndEmptyArraysRoundTrip() {
        for (final VersionedDomainEvent event : SampleEvents.allWithNulls(EventSerializationSupportTest::metadata)) {
            assertThat(EventSerializationSupport.fromJson(EventSerializationSupport.toJson(event), event.getEventType()))
                .isEqualTo(event);
        }
    }

    @Test
    void theEnvelopeIsTheDocumentedJson() throws Exception {
        final HotSwapRequested event = (HotSwapRequested) SampleEvents.all(EventSerializationSupportTest::metadata).get(12);
        final JsonNode json = JSON.readTree(EventSerializationSupport.toJson(event));

        assertThat(json.get("eventType").asText()).isEqualTo("HotSwapRequested");
        final JsonNode meta = json.get("eventMetadata");
        assertThat(meta.get("eventId").asText()).isEqualTo(event.getEventId());
        assertThat(meta.get("aggregateType").asText()).isEqualTo("hotswap");
        assertThat(meta.get("aggregateVersion").asLong()).isEqualTo(5);
        assertThat(meta.get("timestamp").asText()).isEqualTo(event.getTimestamp().toString());
        assertThat(meta.get("previousEventId").asText()).isEqualTo("prev");
        assertThat(meta.get("schemaVersion").asInt()).isEqualTo(1);
        assertThat(meta.get("userId").asText()).isEqualTo("user-👤");
        final JsonNode data = json.get("eventData");
        assertThat(data.get("classFile").asText()).isEqualTo(SampleEvents.CLASS_FILE.toString());
        assertThat(Base64.getDecoder().decode(data.get("newBytecode").asText())).isEqualTo(SampleEvents.bytecode(2));
        assertThat(data.get("timestamp").asText()).isEqualTo("2025-06-17T12:30:00.123456789Z");
        assertThat(data.get("requestReason").asText()).isEqualTo(SampleEvents.TRICKY);
        assertThat(data.get("precedingEventId").asText()).isEqualTo("prev-6");
    }

    @Test
    void nullMetadataIsOmittedAndDurationsAreIso() throws Exception {
        final VersionedDomainEvent event = SampleEvents.all(type -> new EventMetadata(
            "e", type, "a", 0, null, null, 1, null, null, null)).get(13);
        final JsonNode json = JSON.readTree(EventSerializationSupport.toJson(event));

        assertThat(json.get("eventMetadata").has("timestamp")).isFalse();
        assertThat(json.get("eventMetadata").has("previousEventId")).isFalse();
        assertThat(json.get("eventMetadata").has("userId")).isFalse();
        assertThat(json.get("eventData").get("duration").asText()).isEqualTo("PT3.123456789S");
        assertThat(EventSerializationSupport.fromJson(json.toString())).isEqualTo(event);
    }

    @Test
    void missingDataMembersLoadAsNullAndZero() {
        final String json = "{\"eventType\":\"ClassFileChanged\",\"eventMetadata\":{\"eventId\":\"e\","
            + "\"aggregateType\":\"filewatch\",\"aggregateId\":\"/a\",\"aggregateVersion\":2}}";
        final ClassFileChanged event = (ClassFileChanged) EventSerializationSupport.fromJson(json);

        assertThat(event.getClassFile()).isNull();
        assertThat(event.getFileSize()).isZero();
        assertThat(event.getSchemaVersion()).isEqualTo(1);
        assertThat(event.getTimestamp()).isNull();
    }

    @Test
    void userEventsFollowingTheConventionRoundTrip() {
        final UserEvents.DeploymentRecorded event = new UserEvents.DeploymentRecorded(metadata("deployment"), "prod",
            3, List.of(Paths.get("/srv/app.jar")), Map.of("app.jar", 1234L));
        EventSerializationSupport.registerEventType("DeploymentRecorded", UserEvents.DeploymentRecorded.class);

        assertThat(EventSerializationSupport.fromJson(EventSerializationSupport.toJson(event))).isEqualTo(event);
    }

    @Test
    void recordsAndGetterOnlyEventsRoundTrip() {
        final UserEvents.FlowDiscovered flow = new UserEvents.FlowDiscovered(metadata("flow"), "save-flow", 0.75,
            List.of("a", "b"));
        final UserEvents.UserAuthenticated auth = new UserEvents.UserAuthenticated(metadata("user"), "ana", true, "otp");

        assertThat(EventSerializationSupport.fromJson(EventSerializationSupport.toJson(flow))).isEqualTo(flow);
        assertThat(EventSerializationSupport.fromJson(EventSerializationSupport.toJson(auth))).isEqualTo(auth);
    }

    @Test
    void beanStyleEventsRoundTripThroughJackson() throws Exception {
        final UserEvents.UserRegistered event = new UserEvents.UserRegistered("e-1", "u-1", 2,
            Instant.parse("2025-01-01T00:00:00.5Z"), "e-0", "ana@example.org");
        final String json = EventSerializationSupport.toJson(event);

        assertThat(JSON.readTree(json).get("eventData").fieldNames()).toIterable().containsExactly("email");
        assertThat(EventSerializationSupport.fromJson(json)).isEqualTo(event);
        final ObjectNode noData = (ObjectNode) JSON.readTree(json);
        noData.remove("eventData");
        assertThat(((UserEvents.UserRegistered) EventSerializationSupport.fromJson(noData.toString())).getEmail()).isNull();
    }

    @Test
    void anArrayOfEnvelopesReadsAsEachEnvelopeAloneWhateverItsMembersOrder() throws Exception {
        final List<VersionedDomainEvent> samples = new java.util.ArrayList<>(
            SampleEvents.all(EventSerializationSupportTest::metadata));
        samples.addAll(SampleEvents.allWithNulls(EventSerializationSupportTest::metadata));
        samples.add(new UserEvents.UserRegistered("e-1", "u-1", 2, Instant.parse("2025-01-01T00:00:00.5Z"), "e-0",
            "ana@example.org"));
        final List<String> envelopes = new java.util.ArrayList<>();
        final List<VersionedDomainEvent> expected = new java.util.ArrayList<>();
        for (final VersionedDomainEvent event : samples) {
            final ObjectNode envelope = (ObjectNode) JSON.readTree(EventSerializationSupport.toJson(event));
            final ObjectNode dataFirst = JSON.createObjectNode();
            dataFirst.set("eventData", envelope.get("eventData"));
            dataFirst.set("eventMetadata", envelope.get("eventMetadata"));
            dataFirst.set("eventType", envelope.get("eventType"));
            final ObjectNode extra = envelope.deepCopy();
            extra.put("unknownMember", 1);
            if (extra.get("eventData").isObject()) {
                ((ObjectNode) extra.get("eventData")).putArray("unknownData").add(JSON.createObjectNode());
            }
            final ObjectNode fewer = envelope.deepCopy();
            if (fewer.get("eventData").isObject() && fewer.get("eventData").size() > 0) {
                final ObjectNode data = (ObjectNode) fewer.get("eventData");
                data.remove(data.fieldNames().next());
            }
            for (final ObjectNode variant : List.of(envelope, dataFirst, extra, fewer)) {
                envelopes.add(variant.toString());
                expected.add(EventSerializationSupport.fromJson(variant.toString(), event.getEventType()));
            }
        }
        final byte[] array = ("[" + String.join(",", envelopes) + "]").getBytes(StandardCharsets.UTF_8);

        assertThat(EventSerializationSupport.fromEnvelopes(array)).containsExactlyElementsOf(expected);
        assertThat(expected.subList(0, 3)).containsOnly(samples.get(0));
        final String bad = EventSerializationSupport.toJson(
            new ClassFileChanged(metadata("filewatch"), Paths.get("/a"), "A", 1, null)).replace("\"fileSize\" : 1",
            "\"fileSize\" : \"big\"");
        assertThatThrownBy(() -> EventSerializationSupport.fromEnvelopes(("[" + bad + "]").getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("eventData.fileSize");
        assertThatThrownBy(() -> EventSerializationSupport.fromEnvelopes("[1]".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("the store returned invalid JSON");
    }

    @Test
    void anUnregisteredTypeIsRefusedUntilRegistered() {
        final String json = EventSerializationSupport.toJson(new ClassFileChanged(metadata("filewatch"), null, "A", 1, null))
            .replace("\"ClassFileChanged\"", "\"LaterRenamedEvent\"");

        assertThatThrownBy(() -> EventSerializationSupport.fromJson(json))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("unknown event type LaterRenamedEvent")
            .hasMessageContaining("registerEventType");
        EventSerializationSupport.registerEventType("LaterRenamedEvent", ClassFileChanged.class);
        assertThat(EventSerializationSupport.fromJson(json)).isInstanceOf(ClassFileChanged.class);
    }

    @Test
    void aRequestedTypeMustMatchTheEnvelope() {
        final String json = EventSerializationSupport.toJson(new ClassFileChanged(metadata("filewatch"), null, "A", 1, null));

        assertThatThrownBy(() -> EventSerializationSupport.fromJson(json, "ClassFileDeleted"))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("holds a ClassFileChanged, not a ClassFileDeleted");
        assertThat(EventSerializationSupport.fromJson(json, "ClassFileChanged")).isInstanceOf(ClassFileChanged.class);
    }

    @Test
    void malformedJsonIsAnInvalidEvent() {
        assertThatThrownBy(() -> EventSerializationSupport.fromJson("{not json"))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> EventSerializationSupport.fromJson("42"))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("unknown event type null");
        assertThatThrownBy(() -> EventSerializationSupport.fromEnvelopes("[{".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("the store returned invalid JSON");
        assertThatThrownBy(() -> EventSerializationSupport.fromJson(null))
            .isInstanceOf(NullPointerException.class).hasMessageContaining("json");
    }

    @Test
    void aBadTimestampOrFieldValueNamesWhatIsWrong() {
        final String good = EventSerializationSupport.toJson(
            new ClassFileChanged(metadata("filewatch"), Paths.get("/a"), "A", 1, null));

        assertThatThrownBy(() -> EventSerializationSupport.fromJson(good.replaceFirst("\"timestamp\" : \"[^\"]*\"",
            "\"timestamp\" : \"yesterday\"")))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("eventMetadata.timestamp").hasMessageContaining("yesterday");
        assertThatThrownBy(() -> EventSerializationSupport.fromJson(good.replace("\"fileSize\" : 1", "\"fileSize\" : \"big\"")))
            .isInstanceOf(InvalidEventException.class).hasMessageContaining("eventData.fileSize");
    }

    @Test
    void aClassThatCannotBeMappedIsRefusedAtRegistration() {
        assertThatThrownBy(() -> EventSerializationSupport.registerEventType("Unmappable", UserEvents.Unmappable.class))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("constructor parameter mystery has no field or getter");
        assertThatThrownBy(() -> EventSerializationSupport.registerEventType(null, UserEvents.Picky.class))
            .isInstanceOf(NullPointerException.class).hasMessageContaining("eventType");
        assertThatThrownBy(() -> EventSerializationSupport.registerEventType("Picky", null))
            .isInstanceOf(NullPointerException.class).hasMessageContaining("eventClass");
    }

    @Test
    void aConstructorThatRejectsStoredDataFailsTheLoadWithItsReason() {
        final String json = EventSerializationSupport.toJson(new UserEvents.Picky(metadata("picky"), "bad-not"))
            .replace("bad-not", "bad");

        assertThatThrownBy(() -> EventSerializationSupport.fromJson(json))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("value must not be bad")
            .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aValueJacksonCannotWriteIsAnInvalidEvent() {
        assertThatThrownBy(() -> EventSerializationSupport.toJson(
            new UserEvents.Unwritable(metadata("x"), new UserEvents.Exploding())))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("Unwritable.payload cannot be written as JSON");
    }

    @Test
    void anUnpairedSurrogateIsRefusedNamingTheField() {
        final VersionedDomainEvent event = new ClassFileChanged(metadata("filewatch"), null, "bad\uD800name", 1, null);
        final VersionedDomainEvent badKey = new UserEvents.DeploymentRecorded(metadata("d"), "ok", 1, null,
            Map.of("key\uDC00", 1L));

        assertThatThrownBy(() -> EventSerializationSupport.toUtf8(
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode()
                .add(EventSerializationSupport.toEnvelope(event)), "events"))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("events[0].eventData.className");
        assertThatThrownBy(() -> EventSerializationSupport.toUtf8(EventSerializationSupport.toEnvelope(badKey), "event"))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining("event.eventData.sizes.key");
    }

    @Test
    void strictUtf8KeepsEmojiAndNul() {
        assertThat(Utf8.encode(SampleEvents.TRICKY, "x")).isEqualTo(SampleEvents.TRICKY.getBytes(StandardCharsets.UTF_8));
        assertThat(Utf8.encode("", "x")).isEmpty();
    }

    @Test
    void classesCompiledWithoutParameterNamesAreRefusedAtRegistrationSayingHowToFix(@TempDir final Path dir)
        throws Exception {
        // Fields (lastName, firstName), constructor (firstName, lastName): matching by field
        // order would save Ada Lovelace and read back Lovelace Ada.
        final Path source = dir.resolve("p/Person.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "package p;\n"
            + "public final class Person extends org.acmsl.bytehot.domain.events.AbstractVersionedDomainEvent {\n"
            + "  private final String lastName; private final String firstName;\n"
            + "  public Person(org.acmsl.bytehot.domain.events.EventMetadata m, String firstName, String lastName) {\n"
            + "    super(m); this.firstName = firstName; this.lastName = lastName; }\n"
            + "  public String getFirstName() { return firstName; }\n"
            + "  public String getLastName() { return lastName; }\n"
            + "}\n");
        final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertThat(compiler.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", dir.toString(),
            source.toString())).isZero();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            @SuppressWarnings("unchecked")
            final Class<? extends VersionedDomainEvent> person =
                (Class<? extends VersionedDomainEvent>) loader.loadClass("p.Person");
            final VersionedDomainEvent ada = person.getConstructor(EventMetadata.class, String.class, String.class)
                .newInstance(metadata("person"), "Ada", "Lovelace");

            assertThatThrownBy(() -> EventSerializationSupport.registerEventType("Person", person))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("compiled without -parameters")
                .hasMessageContaining("compile it with -parameters");
            assertThatThrownBy(() -> EventSerializationSupport.toJson(ada))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("p.Person");
        }
    }

    /** Two classes whose simple names are one type name. */
    static final class FirstModule {
        /** An event class named like {@link SecondModule.UserCreated}. */
        public static final class UserCreated extends AbstractVersionedDomainEvent {
            private final String name;

            public UserCreated(final EventMetadata metadata, final String name) {
                super(metadata);
                this.name = name;
            }

            public String getName() {
                return name;
            }

            @Override
            protected Map<String, Object> eventData() {
                return data("name", name);
            }
        }
    }

    /** The other module. */
    static final class SecondModule {
        /** An event class named like {@link FirstModule.UserCreated}. */
        public static final class UserCreated extends AbstractVersionedDomainEvent {
            private final String email;

            public UserCreated(final EventMetadata metadata, final String email) {
                super(metadata);
                this.email = email;
            }

            public String getEmail() {
                return email;
            }

            @Override
            protected Map<String, Object> eventData() {
                return data("email", email);
            }
        }
    }

    @Test
    void twoClassesWithOneSimpleNameAreARefusalNamingBothNotAMixUp() {
        final VersionedDomainEvent first = new FirstModule.UserCreated(metadata("users"), "ada");
        final VersionedDomainEvent second = new SecondModule.UserCreated(metadata("users"), "ada@example.org");
        final String firstJson = EventSerializationSupport.toJson(first);

        assertThatThrownBy(() -> EventSerializationSupport.toJson(second))
            .isInstanceOf(InvalidEventException.class)
            .hasMessageContaining(FirstModule.UserCreated.class.getName())
            .hasMessageContaining(SecondModule.UserCreated.class.getName())
            .hasMessageContaining("getEventType()");
        assertThat(EventSerializationSupport.fromJson(firstJson)).isEqualTo(first);
    }
}
