package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Map;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * That a run on another platform really ran there: with {@code -PexpectedPlatform}
 * ({@code scripts/test-aarch64} passes {@code linux-aarch64}, its test JVM being an arm64 one
 * under qemu-user) the test JVM must report that platform and must have loaded the library
 * {@code -PnativeLibrary} named, a file built for that platform's machine. Without the
 * property there is nothing to compare with, and the test skips, saying so.
 */
class PlatformTest {

    /** The ELF {@code e_machine} of each Linux architecture the library is built for. */
    private static final Map<String, Integer> ELF_MACHINES = Map.of("x86_64", 62, "aarch64", 183);

    @TempDir
    Path dir;

    @Test
    void theTestJvmRunsOnTheExpectedPlatformWithTheGivenLibrary() throws Exception {
        // The library works here, whichever platform this is.
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            final VersionedDomainEvent saved = store.saveAndReturn(new ClassFileChanged(
                EventMetadata.forNewAggregate("filewatch", "/app/Foo.class"), Paths.get("/app/Foo.class"), "Foo", 1024,
                Instant.now()));
            assertThat(store.getEventsForAggregate(saved.getAggregateType(), saved.getAggregateId()))
                .extracting(VersionedDomainEvent::getEventId).containsExactly(saved.getEventId());
        }
        final String expected = System.getProperty("bytehot.test.expectedPlatform");
        Assumptions.assumeTrue(expected != null,
            "skipped: no -PexpectedPlatform given (scripts/test-aarch64 gives linux-aarch64)");

        final String platform = NativeLibraryLoader.platform(System.getProperty("os.name"),
            System.getProperty("os.arch"));
        assertThat(platform).as("the test JVM's platform (os.name, os.arch)").isEqualTo(expected);

        final String library = System.getProperty(NativeLibraryLoader.LIBRARY_PROPERTY);
        assertThat(library).as("-PnativeLibrary, the library the run is meant to test").isNotNull();
        assertThat(NativeLibraryLoader.loadedFrom()).as("where the library was loaded from").isEqualTo(library);
        if (expected.startsWith("linux-")) {
            final Integer machine = ELF_MACHINES.get(expected.substring("linux-".length()));
            assertThat(machine).as("a known ELF machine for " + expected).isNotNull();
            assertThat(elfMachine(Paths.get(library))).as("the ELF machine of " + library).isEqualTo(machine);
        }
    }

    /** The {@code e_machine} field of an ELF file (little-endian, at offset 18). */
    private static int elfMachine(final Path file) throws Exception {
        final byte[] header = new byte[20];
        try (InputStream in = Files.newInputStream(file)) {
            assertThat(in.readNBytes(header, 0, header.length)).as(file + " is too short for ELF").isEqualTo(20);
        }
        assertThat(new String(header, 1, 3, "US-ASCII")).as(file + " is an ELF file").isEqualTo("ELF");
        assertThat(header[5]).as(file + " is little-endian ELF").isEqualTo((byte) 1);
        return (header[18] & 0xff) | (header[19] & 0xff) << 8;
    }
}
