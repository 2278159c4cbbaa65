package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The configuration file: the {@code bytehot.eventstore} section of a YAML file (the
 * spec's "Application Properties") or a properties file, named by a system property or
 * found in the working directory under ByteHot's names.
 */
class ConfigurationFileTest {

    /** The milestone spec's sample, as printed under "Application Properties". */
    static final String SPEC_SAMPLE = String.join("\n",
        "bytehot:",
        "  eventstore:",
        "    path: \"./eventstore\"",
        "    max-events-per-file: 1000",
        "    compression-enabled: false",
        "    backup-enabled: true",
        "    cleanup:",
        "      max-age-days: 365",
        "      max-total-size-mb: 1024",
        "");

    @TempDir
    Path dir;

    private Path write(final String name, final String content) throws Exception {
        final Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    private EventStoreConfiguration loadIn(final Path workingDirectory, final String... properties) {
        final Properties system = new Properties();
        for (int i = 0; i < properties.length; i += 2) {
            system.setProperty(properties[i], properties[i + 1]);
        }
        return EventStoreConfiguration.load(system, workingDirectory);
    }

    @Test
    void theSpecSampleInBytehotYmlInTheWorkingDirectoryYieldsExactlyItsSettings() throws Exception {
        write("bytehot.yml", SPEC_SAMPLE);

        assertThat(loadIn(dir).getSettings()).containsExactly(
            Map.entry("path", "./eventstore"), Map.entry("max-events-per-file", "1000"),
            Map.entry("compression-enabled", "false"), Map.entry("backup-enabled", "true"),
            Map.entry("cleanup.max-age-days", "365"), Map.entry("cleanup.max-total-size-mb", "1024"));
    }

    @Test
    void theWorkingDirectoryIsSearchedInByteHotsOrderAndOnlyTheFirstFileFoundIsRead() throws Exception {
        final List<String> names = List.of("bytehot.yml", "bytehot.yaml", "application.yml", "application.yaml");
        for (final String name : names) {
            write(name, "bytehot:\n  eventstore:\n    path: " + name + "\n");
        }
        for (final String name : names) {
            assertThat(loadIn(dir).getPath()).isEqualTo(name);
            // A later file that does not parse is never read while an earlier one exists.
            write(name, "bytehot: [\n");
            assertThatThrownBy(() -> loadIn(dir)).hasMessageContaining(name);
            Files.delete(dir.resolve(name));
        }
        assertThat(loadIn(dir)).isEqualTo(EventStoreConfiguration.defaults());
    }

    static Stream<Arguments> namedFiles() {
        return Stream.of("bytehot.eventstore.config", "bhconfig").flatMap(property -> Stream.of(
            Arguments.of(property, "store.yml", "bytehot:\n  eventstore:\n    path: /from/named\n    durability: none\n"),
            Arguments.of(property, "store.YAML", "bytehot.eventstore:\n  path: /from/named\n  durability: none\n"),
            Arguments.of(property, "store.properties",
                "bytehot.eventstore.path=/from/named\nbytehot.eventstore.durability=none\nother.key=1\n"),
            Arguments.of(property, "store.conf", "bytehot.eventstore.path = /from/named\n"
                + "bytehot.eventstore.durability = none\n")));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("namedFiles")
    void aFileNamedBySystemPropertyIsReadByItsExtensionInsteadOfTheWorkingDirectorysFiles(final String property,
        final String name, final String content) throws Exception {
        final Path workingDirectory = Files.createDirectory(dir.resolve("work"));
        Files.writeString(workingDirectory.resolve("bytehot.yml"), "bytehot: {eventstore: {no-such-key: 1}}\n");
        final Path file = write(name, content);

        final Map<String, String> expected = Map.of("path", "/from/named", "durability", "none");
        assertThat(loadIn(workingDirectory, property, file.toString()).getSettings()).isEqualTo(expected);
        // A relative name is resolved against the working directory.
        assertThat(loadIn(workingDirectory, property, "../" + name).getSettings()).isEqualTo(expected);
    }

    @Test
    void theStoresOwnPropertyWinsOverByteHotsWhenBothNameAFile() throws Exception {
        final Path own = write("own.yml", "bytehot: {eventstore: {path: /own}}\n");
        final Path bytehots = write("bytehot-agent.yml", "bytehot: {eventstore: {path: /bytehot}}\n");

        assertThat(loadIn(dir, "bytehot.eventstore.config", own.toString(), "bhconfig", bytehots.toString()).getPath())
            .isEqualTo("/own");
    }

    @Test
    void keysOutsideTheSectionAreIgnored() throws Exception {
        write("application.yml", String.join("\n",
            "spring:",
            "  application:",
            "    name: shop",
            "eventstore:",
            "  path: /not/ours",
            "bytehot-eventstore:",
            "  path: /not/ours/either",
            "bytehot:",
            "  port: 8080",
            "  watch:",
            "    - path: target/classes",
            "      patterns: ['*.class']",
            "  eventsourcing:",
            "    path: /not/this/one",
            "  eventstore:",
            "    path: /ours",
            "bytehot.other: 1",
            ""));

        assertThat(loadIn(dir).getSettings()).containsExactly(Map.entry("path", "/ours"));
    }

    @Test
    void aByteHotFileWithoutTheSectionConfiguresNothing() throws Exception {
        write("bytehot.yml", "bytehot:\n  watch:\n    - path: target/classes\n");
        assertThat(loadIn(dir)).isEqualTo(EventStoreConfiguration.defaults());
        write("bytehot.yml", "bytehot: just text\n");
        assertThat(loadIn(dir)).isEqualTo(EventStoreConfiguration.defaults());
        write("bytehot.yml", "bytehot:\n  eventstore:\n");
        assertThat(loadIn(dir)).isEqualTo(EventStoreConfiguration.defaults());
        write("bytehot.yml", "");
        assertThat(loadIn(dir)).isEqualTo(EventStoreConfiguration.defaults());
    }

    @Test
    void nestedFlatAndMixedFormsFlattenToTheSameKeys() throws Exception {
        write("bytehot.yml", String.join("\n",
            "bytehot.eventstore.path: /flat",
            "bytehot:",
            "  eventstore.durability: none",
            "bytehot.eventstore:",
            "  cleanup.max-age-days: 30",
            "  cleanup:",
            "    max-total-size-mb: 10",
            "---",
            "bytehot: {eventstore: {read-only: true}}",
            ""));

        assertThat(loadIn(dir).getSettings()).containsOnly(
            Map.entry("path", "/flat"), Map.entry("durability", "none"), Map.entry("cleanup.max-age-days", "30"),
            Map.entry("cleanup.max-total-size-mb", "10"), Map.entry("read-only", "true"));
    }

    @Test
    void scalarsKeepTheTextTheFilePrints() throws Exception {
        write("bytehot.yml", String.join("\n",
            "bytehot:",
            "  eventstore:",
            "    path: ' ./spaced store '",
            "    durability: none",
            "    batch-interval-ms: 0050",
            "    max-event-size-bytes: 0x400",
            "    read-only: no",
            "    legacy-readable: 'true'",
            "    event-cache-bytes: &cache 1_000",
            "    max-events-per-file: *cache",
            ""));

        assertThat(loadIn(dir).getSettings()).containsExactly(
            Map.entry("path", " ./spaced store "), Map.entry("durability", "none"),
            Map.entry("batch-interval-ms", "0050"), Map.entry("max-event-size-bytes", "0x400"),
            Map.entry("read-only", "no"), Map.entry("legacy-readable", "true"),
            Map.entry("event-cache-bytes", "1_000"), Map.entry("max-events-per-file", "1_000"));
    }

    @Test
    void systemPropertiesAndCodeOverrideTheFile() throws Exception {
        write("bytehot.yml", "bytehot:\n  eventstore:\n    path: /from/file\n    durability: none\n"
            + "    event-cache-bytes: 0\n");

        final EventStoreConfiguration configuration = loadIn(dir, "bytehot.eventstore.path", "/from/system");

        assertThat(configuration.getSettings()).containsOnly(
            Map.entry("path", "/from/system"), Map.entry("durability", "none"), Map.entry("event-cache-bytes", "0"));
        assertThat(configuration.withDurability("always").getSettings()).containsEntry("durability", "always");
    }

    static Stream<Arguments> unknownKeys() {
        return Stream.of(
            Arguments.of("bytehot.yml", "bytehot:\n  eventstore:\n    pth: /a\n", "pth"),
            Arguments.of("bytehot.yml", "bytehot:\n  eventstore:\n    cleanup:\n      max-age: 3\n", "cleanup.max-age"),
            Arguments.of("bytehot.yml", "bytehot:\n  eventstore:\n    backups:\n      enabled: true\n", "backups"),
            Arguments.of("bytehot.yml", "bytehot.eventstore.compression: true\n", "compression"),
            Arguments.of("bytehot.yml", "bytehot:\n  eventstore:\n    library: /opt/x.so\n", "library"),
            Arguments.of("bytehot.yml", "bytehot:\n  eventstore: &s\n    eventstore: *s\n", "eventstore"),
            Arguments.of("store.properties", "bytehot.eventstore.durabilty=none\n", "durabilty"));
    }

    @ParameterizedTest(name = "{2} in {0}")
    @MethodSource("unknownKeys")
    void anUnknownKeyInTheSectionIsAnErrorNamingTheKeyAndTheFile(final String name, final String content,
        final String key) throws Exception {
        final Path file = write(name, content);

        assertThatThrownBy(() -> loadIn(dir, "bhconfig", file.toString()))
            .isInstanceOf(EventStoreConfigurationException.class)
            .hasMessageContaining("unknown setting " + key + " in " + file.toAbsolutePath())
            .hasMessageContaining("known: path, durability,");
    }

    static Stream<Arguments> unusableFiles() {
        return Stream.of(
            Arguments.of("bytehot:\n  eventstore:\n    path: [unclosed\n", "cannot parse the YAML file"),
            Arguments.of("bytehot:\n  eventstore:\n  path: x\n    durability: none\n", "cannot parse the YAML file"),
            Arguments.of("bytehot: {eventstore: {path: /a}}\nbytehot: {eventstore: {path: /b}}\n",
                "the setting path is set twice"),
            Arguments.of("bytehot.eventstore.path: /a\nbytehot: {eventstore: {path: /b}}\n",
                "the setting path is set twice"),
            Arguments.of("bytehot: {eventstore: {path: /a}}\n---\nbytehot: {eventstore: {path: /b}}\n",
                "the setting path is set twice"),
            Arguments.of("bytehot:\n  eventstore: ./eventstore\n", "bytehot.eventstore in"),
            Arguments.of("bytehot:\n  eventstore:\n    - path: ./eventstore\n", "is not a map of settings"),
            Arguments.of("bytehot:\n  eventstore:\n    path: [./a, ./b]\n", "the setting path in"),
            Arguments.of("bytehot:\n  eventstore:\n    cleanup:\n      max-age-days:\n", "cleanup.max-age-days in"),
            Arguments.of("bytehot:\n  eventstore:\n    ? [path]\n    : ./a\n", "a key that is not a plain name"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("unusableFiles")
    void aFileTheStoreCannotUseIsAnErrorNamingTheFile(final String content, final String message) throws Exception {
        final Path file = write("bytehot.yml", content);

        assertThatThrownBy(() -> loadIn(dir))
            .isInstanceOf(EventStoreConfigurationException.class)
            .hasMessageContaining(message)
            .hasMessageContaining(file.toAbsolutePath().toString());
    }

    @Test
    void aListOrAnEmptyValueIsAnErrorNamingTheKey() throws Exception {
        write("bytehot.yml", "bytehot:\n  eventstore:\n    durability:\n      - none\n");
        assertThatThrownBy(() -> loadIn(dir)).hasMessageContaining("the setting durability in")
            .hasMessageContaining("is a list");
        write("bytehot.yml", "bytehot:\n  eventstore:\n    durability:\n");
        assertThatThrownBy(() -> loadIn(dir)).hasMessageContaining("the setting durability in")
            .hasMessageContaining("has no value");
    }

    @Test
    void aNamedFileThatCannotBeReadIsAnErrorNamingItAndTheProperty() {
        assertThatThrownBy(() -> loadIn(dir, "bhconfig", "absent.yml"))
            .isInstanceOf(EventStoreConfigurationException.class)
            .hasMessageContaining("cannot read the configuration file " + dir.resolve("absent.yml").toAbsolutePath())
            .hasMessageContaining("named by bhconfig");
    }

    @Test
    void theKnownKeysAreTheDocumentedOnes() throws Exception {
        final Pattern row = Pattern.compile("^\\| `([a-z.-]+)` \\| `BYTEHOT_EVENTSTORE_");
        final List<String> documented = Files.readAllLines(Paths.get("docs/configuration.md")).stream()
            .map(row::matcher).filter(Matcher::find).map(m -> m.group(1)).collect(Collectors.toList());

        assertThat(EventStoreConfiguration.KEYS).isEqualTo(documented);
    }

    @Test
    void theNoArgumentAdapterOpensTheStoreTheWorkingDirectorysYamlDescribes() throws Exception {
        new FilesystemEventStoreAdapter(EventStoreConfiguration.defaults().withPath(dir.resolve("loads-the-library")))
            .close();
        final Path workingDirectory = Files.createDirectory(dir.resolve("app"));
        Files.writeString(workingDirectory.resolve("bytehot.yml"),
            "bytehot:\n  watch:\n    - path: target/classes\n  eventstore:\n    path: ./events\n    durability: none\n");
        final ProcessBuilder command = ChildJvm.command(WorkingDirectoryStoreMain.class).directory(workingDirectory.toFile());
        command.environment().keySet().removeIf(name -> name.startsWith("BYTEHOT_EVENTSTORE_"));
        final ChildJvm.Output child = ChildJvm.run(command);
        final List<String> lines = child.lines;

        assertThat(child.status).as(String.join("\n", lines)).isZero();
        final Path events = workingDirectory.toRealPath().resolve("events");
        assertThat(lines).containsExactly("base:" + events, "durability:none", "read:com.acme.A");
        assertThat(events.resolve("filewatch").resolve("a")).isDirectory();
    }
}
