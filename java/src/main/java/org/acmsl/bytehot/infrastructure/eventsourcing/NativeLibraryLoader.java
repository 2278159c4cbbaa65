package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Function;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;

/**
 * Loads the native library once per class loader: from {@code -Dbytehot.eventstore.library},
 * else from {@code java.library.path}, else from the jar's resource
 * {@code native/<version>/<os>-<arch>/<mapLibraryName>} extracted to a uniquely named file in
 * {@code -Dbytehot.eventstore.tmpdir} (default {@code java.io.tmpdir}).
 * The unique name matters: a JVM refuses to load one library file into two class loaders,
 * and an agent and its application may both carry this jar.
 * The version in the resource path (read from {@link #VERSION_RESOURCE}, which the build writes)
 * keeps a class path that holds two versions of the jar, or a fat jar merging them, from pairing
 * these classes with another version's library, whose native methods may not match: the lookup
 * then fails and says so.
 *
 * <p>Each extracted copy has a lock file, created (and locked) before the copy and held for
 * the JVM's life: the operating system releases it however the JVM ends. Before extracting,
 * the copies whose lock can be taken (their JVM is gone, killed or crashed, so
 * {@code deleteOnExit} never ran) and copies without a lock file are removed.
 */
final class NativeLibraryLoader {

    /** System property naming the library file to load. */
    static final String LIBRARY_PROPERTY = "bytehot.eventstore.library";

    /** The library's base name. */
    static final String LIBRARY_NAME = "bytehot_eventstore";

    /** System property naming the directory the library is extracted to. */
    static final String EXTRACT_DIR_PROPERTY = "bytehot.eventstore.tmpdir";

    /** Resource beside this class whose {@code version} names the library's directory in the jar. */
    static final String VERSION_RESOURCE = "native-library.properties";

    /** Suffix of an extracted copy's lock file. */
    private static final String LOCK_SUFFIX = ".lck";

    /** The locks of the copies this class loader extracted, held until the JVM ends. */
    private static final List<FileChannel> HELD = new ArrayList<>();

    /** Where the library was loaded from; {@code null} until loaded. Guarded by {@code NativeLibraryLoader.class}. */
    private static String loadedFrom;

    /** Loads a library; throws {@link UnsatisfiedLinkError} when it cannot. */
    interface Load {
        void load(String what);
    }

    private final Load loadFile;

    private final Load loadLibrary;

    private final Function<String, URL> resources;

    private final String version;

    private final String platform;

    private final Path extractDir;

    NativeLibraryLoader(final Load loadFile, final Load loadLibrary, final Function<String, URL> resources,
        final String version, final String platform) {
        this(loadFile, loadLibrary, resources, version, platform, Paths.get(System.getProperty(EXTRACT_DIR_PROPERTY,
            System.getProperty("java.io.tmpdir"))));
    }

    NativeLibraryLoader(final Load loadFile, final Load loadLibrary, final Function<String, URL> resources,
        final String version, final String platform, final Path extractDir) {
        this.loadFile = loadFile;
        this.loadLibrary = loadLibrary;
        this.resources = resources;
        this.version = version;
        this.platform = platform;
        this.extractDir = extractDir;
    }

    /**
     * Loads the library unless this class loader already did.
     * @throws EventStoreUnavailableException naming every location tried, when nothing loads
     */
    static synchronized void ensureLoaded() {
        if (loadedFrom == null) {
            // Lambdas, not method references: System.load binds the library to its caller's class loader.
            loadedFrom = new NativeLibraryLoader(path -> System.load(path), name -> System.loadLibrary(name),
                NativeLibraryLoader.class::getResource, version(NativeLibraryLoader.class.getResource(VERSION_RESOURCE)),
                platform(System.getProperty("os.name"), System.getProperty("os.arch")))
                .load(System.getProperty(LIBRARY_PROPERTY));
        }
    }

    /**
     * Where this class loader loaded the library from: a file, or {@code java.library.path}.
     * @return the location, {@code null} before the first successful load
     */
    static synchronized String loadedFrom() {
        return loadedFrom;
    }

    /**
     * The resource directory name for an OS and architecture, e.g. {@code linux-x86_64}.
     */
    static String platform(final String osName, final String osArch) {
        final String os = osName.toLowerCase(Locale.ROOT);
        final String arch = osArch.toLowerCase(Locale.ROOT);
        final String osPart = os.contains("linux") ? "linux"
            : os.contains("mac") || os.contains("darwin") ? "macos"
            : os.contains("windows") ? "windows"
            : os.replaceAll("[^a-z0-9]", "");
        final String archPart = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
            : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64"
            : arch.replaceAll("[^a-z0-9_]", "");
        return osPart + "-" + archPart;
    }

    /**
     * The {@code version} a {@link #VERSION_RESOURCE} holds.
     * @param resource the resource, {@code null} when it is missing
     * @return the version, {@code null} when the resource is missing, unreadable or has none
     */
    static String version(final URL resource) {
        if (resource == null) {
            return null;
        }
        final Properties properties = new Properties();
        try (InputStream in = resource.openStream()) {
            properties.load(in);
        } catch (final IOException e) {
            return null;
        }
        final String value = properties.getProperty("version");
        return value == null || value.trim().isEmpty() ? null : value.trim();
    }

    /** The resource path of the library for this loader's version and platform. */
    String resourcePath() {
        return "native/" + version + "/" + platform + "/" + System.mapLibraryName(LIBRARY_NAME);
    }

    /**
     * Tries each location in turn.
     * @param explicitFile the value of {@link #LIBRARY_PROPERTY}, or {@code null}
     * @return where the library was loaded from
     */
    String load(final String explicitFile) {
        final List<String> tried = new ArrayList<>();
        if (explicitFile != null) {
            try {
                loadFile.load(explicitFile);
                return explicitFile;
            } catch (final UnsatisfiedLinkError e) {
                tried.add("-D" + LIBRARY_PROPERTY + "=" + explicitFile + " (" + e.getMessage() + ")");
            }
        }
        try {
            loadLibrary.load(LIBRARY_NAME);
            return "java.library.path";
        } catch (final UnsatisfiedLinkError e) {
            tried.add("java.library.path (" + e.getMessage() + ")");
        }
        final String resource = resourcePath();
        final URL url = version == null ? null : resources.apply("/" + resource);
        if (version == null) {
            tried.add("classpath resource native/<version>/" + platform + "/ (no version: " + VERSION_RESOURCE
                + " beside the loader is missing or names none)");
        } else if (url == null) {
            tried.add("classpath resource " + resource + " (not found)");
        } else {
            try (InputStream in = url.openStream()) {
                final Path file = extract(in);
                loadFile.load(file.toAbsolutePath().toString());
                return file.toString();
            } catch (final IOException | UnsatisfiedLinkError e) {
                tried.add("classpath resource " + resource + " (" + e + ")");
            }
        }
        throw new EventStoreUnavailableException(
            "cannot load the native library " + LIBRARY_NAME + "; tried: " + String.join("; ", tried));
    }

    /** Copies the library into {@link #extractDir} under a name of its own, its lock held. */
    private Path extract(final InputStream in) throws IOException {
        Files.createDirectories(extractDir);
        removeStaleCopies(extractDir);
        final Path lock = Files.createTempFile(extractDir, LIBRARY_NAME + "-", LOCK_SUFFIX);
        final FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE);
        try {
            channel.lock();
        } catch (final IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        synchronized (HELD) {
            HELD.add(channel);
        }
        final Path file = libraryOf(lock);
        lock.toFile().deleteOnExit();
        file.toFile().deleteOnExit();
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** The copy a lock file stands for: {@code <name>-<n>.lck} locks {@code <name>-<n>-<library file>}. */
    private static Path libraryOf(final Path lock) {
        final String name = lock.getFileName().toString();
        return lock.resolveSibling(name.substring(0, name.length() - LOCK_SUFFIX.length()) + "-"
            + System.mapLibraryName(LIBRARY_NAME));
    }

    /**
     * Removes the copies in {@code dir} that no running JVM holds: those whose lock can be taken
     * and those without a lock file. Best effort: a copy that cannot be removed costs disk space,
     * never a failed load.
     */
    static void removeStaleCopies(final Path dir) {
        try (DirectoryStream<Path> locks = Files.newDirectoryStream(dir, LIBRARY_NAME + "-*" + LOCK_SUFFIX)) {
            for (final Path lock : locks) {
                if (ownerIsGone(lock)) {
                    Files.deleteIfExists(libraryOf(lock));
                    Files.deleteIfExists(lock);
                }
            }
        } catch (final IOException | DirectoryIteratorException e) {
            return;
        }
        final String library = "-" + System.mapLibraryName(LIBRARY_NAME);
        try (DirectoryStream<Path> copies = Files.newDirectoryStream(dir, LIBRARY_NAME + "-*" + library)) {
            for (final Path copy : copies) {
                final String name = copy.getFileName().toString();
                final Path lock = copy.resolveSibling(name.substring(0, name.length() - library.length()) + LOCK_SUFFIX);
                if (!Files.exists(lock)) {
                    Files.deleteIfExists(copy);
                }
            }
        } catch (final IOException | DirectoryIteratorException e) {
            return;
        }
    }

    /** Whether no JVM holds this lock file (taking it for a moment to find out). */
    private static boolean ownerIsGone(final Path lock) {
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            final FileLock taken = channel.tryLock();
            if (taken == null) {
                return false;
            }
            taken.release();
            return true;
        } catch (final OverlappingFileLockException e) {
            return false;
        } catch (final IOException e) {
            return false;
        }
    }
}
