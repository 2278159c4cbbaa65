package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The application of {@link AgentAndApplicationTest}: loads the library through a class loader
 * of its own (as a web container or plugin system does), opens the store the agent holds open,
 * saves an event and prints how many events the aggregate then has.
 */
public final class IsolatedApplicationMain {

    private IsolatedApplicationMain() {
    }

    /**
     * Prints {@code application:<events of hotswap/shared>}.
     * @param args the store's base directory
     * @throws Exception when any step fails (the test reads the exit status)
     */
    public static void main(final String[] args) throws Exception {
        final List<URL> urls = new ArrayList<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Paths.get(entry).toUri().toURL());
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            final String events = "org.acmsl.bytehot.domain.events.";
            final Class<?> adapter = loader.loadClass(FilesystemEventStoreAdapter.class.getName());
            if (adapter == FilesystemEventStoreAdapter.class) {
                throw new IllegalStateException("the application's loader did not load its own copy");
            }
            try (AutoCloseable store = (AutoCloseable) adapter.getConstructor(String.class).newInstance(args[0])) {
                final Class<?> metadata = loader.loadClass(events + "EventMetadata");
                final Object meta = metadata.getMethod("forNewAggregate", String.class, String.class)
                    .invoke(null, "hotswap", "shared");
                final Object event = loader.loadClass(events + "ClassFileChanged")
                    .getConstructor(metadata, Path.class, String.class, long.class, Instant.class)
                    .newInstance(meta, null, "Application", 1L, null);
                final Class<?> versioned = loader.loadClass("org.acmsl.bytehot.domain.VersionedDomainEvent");
                adapter.getMethod("save", versioned).invoke(store, event);
                final Method read = adapter.getMethod("getEventsForAggregate", String.class, String.class);
                System.out.println("application:" + ((List<?>) read.invoke(store, "hotswap", "shared")).size());
            }
        }
        AgentMain.store.close();
    }
}
