package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schema migration as a program ({@link SchemaMigrationMain}) and through the command-line
 * tool ({@code bytehot-eventstore migrate --schemas}, which starts it in a real JVM).
 */
class SchemaMigrationMainTest {

    @TempDir
    Path dir;

    /** What the application runs at startup: its event type and upcasters. */
    public static final class TemperatureSetup implements Runnable {
        @Override
        public void run() {
            EventSerializationSupport.registerEventType("TemperatureRead", SchemaMigrationTest.TemperatureRead.class);
            EventSerializationSupport.registerUpcaster("TemperatureRead", 1, data -> {
                final String reading = data.remove("reading").asText();
                return data.put("celsius", reading.substring(0, reading.indexOf(' ')));
            });
            EventSerializationSupport.registerUpcaster("TemperatureRead", 2, data -> {
                final double celsius = Double.parseDouble(data.remove("celsius").asText());
                return data.put("deciCelsius", Math.round(celsius * 10)).put("sensor", "unknown");
            });
        }
    }

    @AfterEach
    void forget() {
        EventSerializationSupport.clearCache();
    }

    private Path storeVersionOne() {
        final Path store = dir.resolve("store");
        try (FilesystemEventStoreAdapter adapter = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(store))) {
            for (final String reading : List.of("21.5 C", "22.0 C")) {
                adapter.save(new SchemaMigrationTest.TemperatureReadV1(new EventMetadata(UUID.randomUUID().toString(),
                    "sensor", "s1", 0L, Instant.now(), null, 1, null, null, null), reading));
            }
        }
        EventSerializationSupport.clearCache();
        return store;
    }

    private static List<Long> deciCelsius(final Path store) {
        EventSerializationSupport.clearCache();
        new TemperatureSetup().run();
        try (FilesystemEventStoreAdapter adapter = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.defaults().withPath(store))) {
            final List<VersionedDomainEvent> events = adapter.getEventsForAggregate("sensor", "s1");
            assertThat(events).allMatch(e -> e.getSchemaVersion() == 3);
            return events.stream().map(e -> ((SchemaMigrationTest.TemperatureRead) e).getDeciCelsius())
                .collect(java.util.stream.Collectors.toList());
        }
    }

    private static String storedText(final Path store) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(store.resolve("sensor"))) {
            final StringBuilder all = new StringBuilder();
            for (final Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                all.append(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
            }
            return all.toString();
        }
    }

    @Test
    void theProgramRunsTheSetupClassesThenMigratesAndPrintsTheResult() throws IOException {
        final Path store = storeVersionOne();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = SchemaMigrationMain.run(new String[] {"--store", store.toString(), "--backup",
            dir.resolve("backup").toString(), "--setup", TemperatureSetup.class.getName()},
            new PrintStream(out, true, "UTF-8"), new PrintStream(err, true, "UTF-8"));
        assertThat(exit).as(err.toString("UTF-8")).isZero();
        assertThat(out.toString("UTF-8")).contains("\"eventsRewritten\":2").contains("\"TemperatureRead\":3");
        assertThat(storedText(store)).contains("deciCelsius").doesNotContain("21.5 C");
        assertThat(deciCelsius(store)).containsExactly(215L, 220L);
    }

    @Test
    void aSetupClassThatIsNoRunnableOrAMissingOptionIsRefusedBeforeTheStoreIsTouched() throws IOException {
        final Path store = storeVersionOne();
        final String before = storedText(store);
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream errors = new PrintStream(err, true, "UTF-8");
        final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, "UTF-8");
        assertThat(SchemaMigrationMain.run(new String[] {"--store", store.toString(), "--backup",
            dir.resolve("b").toString(), "--setup", String.class.getName()}, out, errors)).isEqualTo(3);
        assertThat(SchemaMigrationMain.run(new String[] {"--store", store.toString(), "--setup",
            TemperatureSetup.class.getName()}, out, errors)).isEqualTo(2);
        assertThat(err.toString("UTF-8")).contains("is not a Runnable").contains("--backup");
        assertThat(storedText(store)).isEqualTo(before);
        assertThat(Files.exists(dir.resolve("b"))).isFalse();
    }

    @Test
    void theCommandLineToolRunsTheMigrationInAJvmWithTheApplicationsClasspath() throws Exception {
        final Path store = storeVersionOne();
        final Path cli = Paths.get(System.getProperty("bytehot.test.cli", "target/release/bytehot-eventstore"));
        assertThat(cli).as("gradle builds the tool before the tests (cargoBuildCli)").exists();
        final ProcessBuilder builder = new ProcessBuilder(cli.toString(), "--store", store.toString(), "--json",
            "migrate", "--schemas", "--classpath", System.getProperty("java.class.path"), "--setup",
            TemperatureSetup.class.getName(), "--backup", dir.resolve("cli-backup").toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // The JVM the tool starts loads the library the tests load.
        final String library = System.getProperty("bytehot.eventstore.library");
        if (library != null) {
            builder.environment().put("JAVA_TOOL_OPTIONS", "-Dbytehot.eventstore.library=" + library);
        }
        builder.redirectErrorStream(false);
        final Process process = builder.start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out + err).isZero();
        assertThat(EventMapper.MAPPER.readTree(out).path("eventsRewritten").asLong()).as(out).isEqualTo(2L);
        assertThat(Files.exists(dir.resolve("cli-backup").resolve("bytehot-backup.json"))).isTrue();
        assertThat(deciCelsius(store)).containsExactly(215L, 220L);
    }
}
