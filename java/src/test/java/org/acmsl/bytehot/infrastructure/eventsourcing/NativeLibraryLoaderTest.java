package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryLoaderTest {

    private static final NativeLibraryLoader.Load FAIL = what -> {
        throw new UnsatisfiedLinkError("no " + what);
    };

    @Test
    void platformNamesFollowTheJarLayout() {
        assertThat(NativeLibraryLoader.platform("Linux", "amd64")).isEqualTo("linux-x86_64");
        assertThat(NativeLibraryLoader.platform("Linux", "aarch64")).isEqualTo("linux-aarch64");
        assertThat(NativeLibraryLoader.platform("Mac OS X", "arm64")).isEqualTo("macos-aarch64");
        assertThat(NativeLibraryLoader.platform("Darwin", "x86_64")).isEqualTo("macos-x86_64");
        assertThat(NativeLibraryLoader.platform("Windows 11", "amd64")).isEqualTo("windows-x86_64");
        assertThat(NativeLibraryLoader.platform("FreeBSD", "riscv64")).isEqualTo("freebsd-riscv64");
    }

    @Test
    void theLibraryOfThisJvmCameThroughTheLoaderAndTheResourceIsPackaged(@TempDir final Path dir) {
        new FilesystemEventStoreAdapter(dir.toString()).close();
        final String version = NativeLibraryLoader.version(
            NativeLibraryLoader.class.getResource(NativeLibraryLoader.VERSION_RESOURCE));
        final String platform = NativeLibraryLoader.platform(System.getProperty("os.name"), System.getProperty("os.arch"));

        assertThat(NativeLibraryLoader.loadedFrom()).contains(System.mapLibraryName("bytehot_eventstore"));
        assertThat(version).isNotBlank();
        final String resource = new NativeLibraryLoader(null, null, null, version, platform).resourcePath();
        assertThat(resource).isEqualTo("native/" + version + "/" + platform + "/"
            + System.mapLibraryName("bytehot_eventstore"));
        assertThat(NativeLibraryLoaderTest.class.getResource("/" + resource)).isNotNull();
    }

    @Test
    void theVersionIsReadFromItsResource(@TempDir final Path dir) throws Exception {
        assertThat(NativeLibraryLoader.version(url(Files.write(dir.resolve("v1"),
            "# written by the build\nversion = 2.3.4 \n".getBytes(StandardCharsets.ISO_8859_1)))))
            .isEqualTo("2.3.4");
        assertThat(NativeLibraryLoader.version(url(Files.write(dir.resolve("v2"), "other=1\n".getBytes(
            StandardCharsets.ISO_8859_1))))).isNull();
        assertThat(NativeLibraryLoader.version(url(dir.resolve("absent")))).isNull();
        assertThat(NativeLibraryLoader.version(null)).isNull();
    }

    @Test
    void withoutAVersionTheJarIsNotSearchedAndTheErrorSaysWhy() {
        final List<String> asked = new ArrayList<>();

        assertThatThrownBy(() -> new NativeLibraryLoader(FAIL, FAIL, name -> {
            asked.add(name);
            return null;
        }, null, "linux-x86_64").load(null))
            .isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("classpath resource native/<version>/linux-x86_64/ (no version: "
                + NativeLibraryLoader.VERSION_RESOURCE);
        assertThat(asked).isEmpty();
    }

    @Test
    void theExplicitFileComesFirst() {
        final List<String> loaded = new ArrayList<>();

        final String from = new NativeLibraryLoader(loaded::add, FAIL, name -> null, "0.1.0", "linux-x86_64").load("/opt/lib.so");

        assertThat(from).isEqualTo("/opt/lib.so");
        assertThat(loaded).containsExactly("/opt/lib.so");
    }

    @Test
    void theLibraryPathComesSecond() {
        final List<String> loaded = new ArrayList<>();

        final String from = new NativeLibraryLoader(FAIL, loaded::add, name -> null, "0.1.0", "linux-x86_64").load("/missing.so");

        assertThat(from).isEqualTo("java.library.path");
        assertThat(loaded).containsExactly("bytehot_eventstore");
    }

    @Test
    void theResourceIsExtractedToAUniqueTempFile(@TempDir final Path dir) throws Exception {
        final Path resource = Files.write(dir.resolve("lib"), new byte[] {1, 2, 3});
        final List<String> loaded = new ArrayList<>();
        final List<String> asked = new ArrayList<>();
        final NativeLibraryLoader loader = new NativeLibraryLoader(loaded::add, FAIL, name -> {
            asked.add(name);
            return url(resource);
        }, "0.1.0", "linux-x86_64");

        final String first = loader.load(null);
        final String second = loader.load(null);

        assertThat(asked.get(0)).isEqualTo("/native/0.1.0/linux-x86_64/" + System.mapLibraryName("bytehot_eventstore"));
        assertThat(first).isNotEqualTo(second);
        assertThat(loaded).containsExactly(Path.of(first).toAbsolutePath().toString(),
            Path.of(second).toAbsolutePath().toString());
        assertThat(Files.readAllBytes(Path.of(first))).containsExactly(1, 2, 3);
    }

    @Test
    void whenNothingLoadsTheErrorListsEveryLocationTried(@TempDir final Path dir) {
        assertThatThrownBy(() -> new NativeLibraryLoader(FAIL, FAIL, name -> null, "0.1.0", "linux-x86_64").load("/opt/x.so"))
            .isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("-Dbytehot.eventstore.library=/opt/x.so (no /opt/x.so)")
            .hasMessageContaining("java.library.path (no bytehot_eventstore)")
            .hasMessageContaining("classpath resource native/0.1.0/linux-x86_64/")
            .hasMessageContaining("(not found)");
        assertThatThrownBy(() -> new NativeLibraryLoader(FAIL, FAIL, name -> url(dir.resolve("absent")), "0.1.0", "linux-x86_64")
            .load(null))
            .isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining("FileNotFoundException")
            .hasMessageNotContaining("-Dbytehot");
    }

    @Test
    void copiesLeftByJvmsThatAreGoneAreRemovedAndLiveOnesKept(@TempDir final Path dir) throws Exception {
        final Path extractTo = Files.createDirectories(dir.resolve("extract"));
        final String library = "-" + System.mapLibraryName("bytehot_eventstore");
        // A JVM killed after extracting: its lock file is there, and nobody holds it.
        final Path deadLock = Files.write(extractTo.resolve("bytehot_eventstore-111.lck"), new byte[0]);
        final Path deadCopy = Files.write(extractTo.resolve("bytehot_eventstore-111" + library), new byte[] {1});
        // A copy an earlier version left, without a lock file.
        final Path orphan = Files.write(extractTo.resolve("bytehot_eventstore-222" + library), new byte[] {2});
        // A live JVM's copy: its lock is held (here, by this JVM).
        final Path liveLock = Files.write(extractTo.resolve("bytehot_eventstore-333.lck"), new byte[0]);
        final Path liveCopy = Files.write(extractTo.resolve("bytehot_eventstore-333" + library), new byte[] {3});
        final Path resource = Files.write(dir.resolve("lib"), new byte[] {1, 2, 3});
        try (FileChannel held = FileChannel.open(liveLock, StandardOpenOption.WRITE)) {
            final FileLock lock = held.lock();
            final List<String> loaded = new ArrayList<>();

            final String from = new NativeLibraryLoader(loaded::add, FAIL, name -> url(resource), "0.1.0", "linux-x86_64",
                extractTo).load(null);

            assertThat(deadLock).doesNotExist();
            assertThat(deadCopy).doesNotExist();
            assertThat(orphan).doesNotExist();
            assertThat(liveLock).exists();
            assertThat(liveCopy).exists();
            assertThat(Path.of(from).getParent()).isEqualTo(extractTo);
            assertThat(Path.of(from.substring(0, from.length() - library.length()) + ".lck")).exists();
            assertThat(Files.readAllBytes(Path.of(from))).containsExactly(1, 2, 3);
            assertThat(lock.isValid()).isTrue();
        }
    }

    private static URL url(final Path path) {
        try {
            return path.toUri().toURL();
        } catch (final java.net.MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
