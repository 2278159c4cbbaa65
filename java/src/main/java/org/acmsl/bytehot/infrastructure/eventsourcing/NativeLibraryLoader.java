package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;

/**
 * Loads the native library once per class loader: from {@code -Dbytehot.eventstore.library},
 * else from {@code java.library.path}, else from the jar's resource
 * {@code native/<os>-<arch>/<mapLibraryName>} extracted to a uniquely named temp file.
 * The unique name matters: a JVM refuses to load one library file into two class loaders,
 * and an agent and its application may both carry this jar.
 */
final class NativeLibraryLoader {

    /** System property naming the library file to load. */
    static final String LIBRARY_PROPERTY = "bytehot.eventstore.library";

    /** The library's base name. */
    static final String LIBRARY_NAME = "bytehot_eventstore";

    /** Where the library was loaded from; {@code null} until loaded. Guarded by {@code NativeLibraryLoader.class}. */
    private static String loadedFrom;

    /** Loads a library; throws {@link UnsatisfiedLinkError} when it cannot. */
    interface Load {
        void load(String what);
    }

    private final Load loadFile;

    private final Load loadLibrary;

    private final Function<String, URL> resources;

    private final String platform;

    NativeLibraryLoader(final Load loadFile, final Load loadLibrary, final Function<String, URL> resources,
        final String platform) {
        this.loadFile = loadFile;
        this.loadLibrary = loadLibrary;
        this.resources = resources;
        this.platform = platform;
    }

    /**
     * Loads the library unless this class loader already did.
     * @throws EventStoreUnavailableException naming every location tried, when nothing loads
     */
    static synchronized void ensureLoaded() {
        if (loadedFrom == null) {
            // Lambdas, not method references: System.load binds the library to its caller's class loader.
            loadedFrom = new NativeLibraryLoader(path -> System.load(path), name -> System.loadLibrary(name),
                NativeLibraryLoader.class::getResource,
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

    /** The resource path of the library for this loader's platform. */
    String resourcePath() {
        return "native/" + platform + "/" + System.mapLibraryName(LIBRARY_NAME);
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
        final URL url = resources.apply("/" + resource);
        if (url == null) {
            tried.add("classpath resource " + resource + " (not found)");
        } else {
            try (InputStream in = url.openStream()) {
                final Path file = Files.createTempFile(LIBRARY_NAME + "-", "-" + System.mapLibraryName(LIBRARY_NAME));
                file.toFile().deleteOnExit();
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                loadFile.load(file.toAbsolutePath().toString());
                return file.toString();
            } catch (final IOException | UnsatisfiedLinkError e) {
                tried.add("classpath resource " + resource + " (" + e + ")");
            }
        }
        throw new EventStoreUnavailableException(
            "cannot load the native library " + LIBRARY_NAME + "; tried: " + String.join("; ", tried));
    }
}
