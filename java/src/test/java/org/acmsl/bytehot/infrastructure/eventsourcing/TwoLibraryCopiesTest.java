package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two copies of the library in one JVM, as when an agent loaded by the system class loader
 * and its application's own class loader both carry the jar: each class loader extracts and
 * loads its own copy, and the two share a store as two processes do.
 */
class TwoLibraryCopiesTest {

    @TempDir
    Path dir;

    /** A class loader of its own over the test's classpath, below the platform loader only. */
    private static URLClassLoader isolated() throws Exception {
        final List<URL> urls = new ArrayList<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Paths.get(entry).toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    }

    /** Opens a store through {@code loader}'s copy of the classes and saves one event there. */
    private static AutoCloseable openAndSave(final ClassLoader loader, final Path path, final String className)
        throws Exception {
        final String events = "org.acmsl.bytehot.domain.events.";
        final Class<?> adapter = loader.loadClass(FilesystemEventStoreAdapter.class.getName());
        final Object store = adapter.getConstructor(String.class).newInstance(path.toString());
        final Class<?> metadata = loader.loadClass(events + "EventMetadata");
        final Object meta = metadata.getMethod("forNewAggregate", String.class, String.class)
            .invoke(null, "hotswap", "shared");
        final Object event = loader.loadClass(events + "ClassFileChanged")
            .getConstructor(metadata, Path.class, String.class, long.class, Instant.class)
            .newInstance(meta, null, className, 1L, null);
        final Method save = adapter.getMethod("save", loader.loadClass("org.acmsl.bytehot.domain.VersionedDomainEvent"));
        save.invoke(store, event);
        return (AutoCloseable) store;
    }

    @Test
    void twoCopiesOfTheLibraryInOneJvmShareOneStore() throws Exception {
        try (URLClassLoader agent = isolated(); URLClassLoader application = isolated()) {
            assertThat(agent.loadClass(FilesystemEventStoreAdapter.class.getName()))
                .isNotSameAs(application.loadClass(FilesystemEventStoreAdapter.class.getName()));
            try (AutoCloseable first = openAndSave(agent, dir, "Agent");
                 AutoCloseable second = openAndSave(application, dir, "Application")) {
                assertThat(first).isNotNull();
                assertThat(second).isNotNull();
            }
        }
        try (FilesystemEventStoreAdapter store = new FilesystemEventStoreAdapter(dir.toString())) {
            assertThat(store.getEventsForAggregate("hotswap", "shared")).hasSize(2);
            assertThat(store.verify()).isEmpty();
        }
    }
}
