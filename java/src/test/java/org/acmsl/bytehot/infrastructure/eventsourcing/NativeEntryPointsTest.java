package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.acmsl.bytehot.domain.EventStoreUnavailableException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every native method of {@link NativeEventStore} is bound to an exported symbol of the
 * library: a Java/Rust name mismatch fails here, not as an {@link UnsatisfiedLinkError} in
 * a user's program. Each is called through reflection, so a native method added later is
 * called too.
 */
class NativeEntryPointsTest {

    /** Handles are issued from 1 upwards: this one was never issued. */
    private static final long MADE_UP_HANDLE = -7_777_777L;

    private static final Set<String> NATIVES = new TreeSet<>(Arrays.asList(
        "open", "close", "append", "readAggregate", "readByType", "readBetween", "currentVersion",
        "totalEventCount", "checkpoint", "eventCount", "aggregateExists", "aggregateTypes",
        "aggregateIds", "health", "basePath", "verify", "rewriteLegacyVersions", "compact", "compactAggregate",
        "backup", "restore", "exportEvents", "importEvents", "cleanup", "readAll", "lastPosition",
        "readByCorrelation", "readByUser", "subscribe", "poll", "acknowledge", "closeSubscription",
        "subscriptionCheckpoint", "saveSnapshot", "loadLatestSnapshot", "rewriteSchemas",
        "recordSchemaMigration", "forgetAggregate", "rotateMasterKey",
        "resealAll", "sync", "restoreRemoved", "otherStores", "pull",
        "pollOtherStores"));

    /** The native methods that take no handle. */
    private static final Set<String> WITHOUT_HANDLE = Set.of("open", "restore");

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        NativeLibraryLoader.ensureLoaded();
    }

    private static Method[] natives() {
        return Arrays.stream(NativeEventStore.class.getDeclaredMethods())
            .filter(m -> Modifier.isNative(m.getModifiers()))
            .toArray(Method[]::new);
    }

    @Test
    void theNativeMethodsAreExactlyTheOnesTheLibraryExports() {
        final Set<String> declared = Arrays.stream(natives()).map(Method::getName)
            .collect(Collectors.toCollection(TreeSet::new));

        assertThat(declared).isEqualTo(NATIVES);
    }

    @Test
    void everyNativeMethodOnAHandleRejectsAMadeUpHandleAsUnavailable() throws Exception {
        for (final Method method : natives()) {
            if (WITHOUT_HANDLE.contains(method.getName())) {
                continue;
            }
            final Class<?>[] types = method.getParameterTypes();
            assertThat(types[0]).as(method.getName() + " takes the handle first").isEqualTo(long.class);
            final Object[] args = new Object[types.length];
            args[0] = MADE_UP_HANDLE;
            for (int i = 1; i < types.length; i++) {
                args[i] = argument(types[i]);
            }

            assertThat(thrownBy(method, args)).as(method.getName())
                .isInstanceOf(EventStoreUnavailableException.class)
                .hasMessageContaining(Long.toString(MADE_UP_HANDLE));
        }
    }

    @Test
    void openOfAPathThatIsNotADirectoryIsUnavailable() throws Exception {
        final Path file = Files.createFile(dir.resolve("a-file"));
        final String config = "{\"path\":\"" + file.toString().replace("\\", "\\\\") + "\"}";
        final Method open = NativeEventStore.class.getDeclaredMethod("open", byte[].class);

        assertThat(thrownBy(open, new Object[] {config.getBytes(StandardCharsets.UTF_8)}))
            .isInstanceOf(EventStoreUnavailableException.class)
            .hasMessageContaining(file.toString());
    }

    @Test
    void restoreOfADirectoryThatIsNoBackupIsCorruptData() throws Exception {
        final Method restore = NativeEventStore.class.getDeclaredMethod("restore", byte[].class, byte[].class,
            boolean.class);

        assertThat(thrownBy(restore, new Object[] {dir.toString().getBytes(StandardCharsets.UTF_8),
            dir.resolve("restored").toString().getBytes(StandardCharsets.UTF_8), false}))
            .isInstanceOf(org.acmsl.bytehot.domain.CorruptEventDataException.class)
            .hasMessageContaining("not a complete backup");
    }

    private static Object argument(final Class<?> type) {
        if (type == byte[].class) {
            return "x".getBytes(StandardCharsets.UTF_8);
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == java.io.OutputStream.class) {
            return java.io.OutputStream.nullOutputStream();
        }
        if (type == java.io.InputStream.class) {
            return java.io.InputStream.nullInputStream();
        }
        throw new AssertionError("no sample argument for " + type);
    }

    /** What the call threw: an {@link UnsatisfiedLinkError} (no such symbol) fails the test. */
    private static Throwable thrownBy(final Method method, final Object[] args) throws Exception {
        try {
            method.invoke(null, args);
        } catch (final InvocationTargetException e) {
            return e.getCause();
        }
        throw new AssertionError(method.getName() + " returned normally");
    }
}
