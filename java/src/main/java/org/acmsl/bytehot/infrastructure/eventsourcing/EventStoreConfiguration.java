package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeSet;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;

/**
 * Settings of a {@link FilesystemEventStoreAdapter} (keys as in {@code docs/configuration.md}).
 *
 * <p>Immutable; the {@code with...} methods return changed copies. Only the settings a user set
 * are sent to the store, which validates them: a setting it does not implement yet (compression,
 * backups, cleanup, more than one event per file) fails the open instead of being ignored.
 * Sources, lowest to highest precedence: defaults, the properties file named by the system
 * property {@value #CONFIG_FILE_PROPERTY}, system properties {@code bytehot.eventstore.<key>},
 * then environment variables {@code BYTEHOT_EVENTSTORE_*}, which the native store applies last,
 * except that a base directory set here and another in the environment is an error.
 */
public final class EventStoreConfiguration {

    /** Prefix of the keys in system properties and properties files. */
    public static final String PREFIX = "bytehot.eventstore.";

    /** System property naming an optional properties file. */
    public static final String CONFIG_FILE_PROPERTY = PREFIX + "config";

    /** The base directory when none is configured. */
    public static final String DEFAULT_PATH = "./eventstore";

    /** Key of the base directory. */
    public static final String PATH = "path";

    /** Key of the durability ({@code always}, {@code batch} or {@code none}). */
    public static final String DURABILITY = "durability";

    /** Key of the interval between journal syncs with durability {@code batch}, in milliseconds. */
    public static final String BATCH_INTERVAL_MS = "batch-interval-ms";

    /** Key of the largest accepted event, in bytes. */
    public static final String MAX_EVENT_SIZE_BYTES = "max-event-size-bytes";

    /** Key of the budget of the store's in-memory cache of parsed events, in bytes (0: none). */
    public static final String EVENT_CACHE_BYTES = "event-cache-bytes";

    /** Key of the spec's events-per-file setting (only 1 is accepted). */
    public static final String MAX_EVENTS_PER_FILE = "max-events-per-file";

    /** Key of the spec's compression setting (only false is accepted). */
    public static final String COMPRESSION_ENABLED = "compression-enabled";

    /** Key of the spec's backup setting (only false is accepted). */
    public static final String BACKUP_ENABLED = "backup-enabled";

    /**
     * Key of the read-only flag: {@code true} opens the store without creating, changing or
     * removing anything (a read-only mount, a full disk, a directory this user may not
     * write); every save then throws {@link org.acmsl.bytehot.domain.EventStoreUnavailableException}.
     */
    public static final String READ_ONLY = "read-only";

    /**
     * Key of the legacy-readable flag: {@code true} writes files ByteHot's pure-Java adapter
     * can read too (the metadata repeated at the start of each object {@code eventData}).
     */
    public static final String LEGACY_READABLE = "legacy-readable";

    /** Key of the spec's cleanup age (not implemented: rejected when set). */
    public static final String CLEANUP_MAX_AGE_DAYS = "cleanup.max-age-days";

    /** Key of the spec's cleanup size (not implemented: rejected when set). */
    public static final String CLEANUP_MAX_TOTAL_SIZE_MB = "cleanup.max-total-size-mb";

    /** Keys under the prefix that configure this class or the loader, not the store. */
    private static final String[] NOT_STORE_SETTINGS = {"config", "library"};

    private final Map<String, String> settings;

    private EventStoreConfiguration(final Map<String, String> settings) {
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /**
     * The defaults: nothing set, so the store takes its base directory from the environment
     * variable {@code BYTEHOT_EVENTSTORE_PATH}, or else {@value #DEFAULT_PATH}, and everything
     * else from its own defaults.
     * @return the configuration
     */
    public static EventStoreConfiguration defaults() {
        return new EventStoreConfiguration(Collections.emptyMap());
    }

    /**
     * Defaults, overridden by the properties file named by {@value #CONFIG_FILE_PROPERTY} (if
     * set), overridden by the system properties {@code bytehot.eventstore.<key>}.
     * @return the configuration
     * @throws EventStoreConfigurationException when the named properties file cannot be read
     */
    public static EventStoreConfiguration load() {
        return load(System.getProperties());
    }

    /**
     * As {@link #load()}, reading the given properties instead of the system properties.
     * @param systemProperties stand-in for the system properties
     * @return the configuration
     */
    public static EventStoreConfiguration load(final Properties systemProperties) {
        EventStoreConfiguration result = defaults();
        final String file = systemProperties.getProperty(CONFIG_FILE_PROPERTY);
        if (file != null) {
            result = result.withAll(readFile(Paths.get(file)));
        }
        return result.withAll(systemProperties);
    }

    private static Properties readFile(final Path file) {
        final Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (final IOException e) {
            throw new EventStoreConfigurationException("cannot read the configuration file " + file + " named by "
                + CONFIG_FILE_PROPERTY + ": " + e, e);
        }
        return properties;
    }

    /**
     * A copy with every {@code bytehot.eventstore.<key>} property applied (other keys ignored).
     * @param properties the properties
     * @return the copy
     */
    public EventStoreConfiguration withAll(final Properties properties) {
        final Map<String, String> copy = new LinkedHashMap<>(settings);
        // Sorted so that the settings sent (and any error about them) do not depend on hash order.
        for (final String name : new TreeSet<>(properties.stringPropertyNames())) {
            final String key = name.substring(Math.min(PREFIX.length(), name.length()));
            if (name.startsWith(PREFIX) && !java.util.Arrays.asList(NOT_STORE_SETTINGS).contains(key)) {
                copy.put(key, properties.getProperty(name).trim());
            }
        }
        return new EventStoreConfiguration(copy);
    }

    /**
     * A copy with one setting changed; {@code null} removes it (the store's default applies).
     * The store rejects unknown keys.
     * @param key the key, e.g. {@value #DURABILITY}
     * @param value the value, or {@code null}
     * @return the copy
     */
    public EventStoreConfiguration with(final String key, final String value) {
        Objects.requireNonNull(key, "key must not be null");
        final Map<String, String> copy = new LinkedHashMap<>(settings);
        if (value == null) {
            copy.remove(key);
        } else {
            copy.put(key, value);
        }
        return new EventStoreConfiguration(copy);
    }

    /**
     * A copy with another base directory.
     * @param path the directory (created if absent)
     * @return the copy
     */
    public EventStoreConfiguration withPath(final String path) {
        return with(PATH, Objects.requireNonNull(path, "path must not be null"));
    }

    /**
     * A copy with another base directory.
     * @param path the directory (created if absent)
     * @return the copy
     */
    public EventStoreConfiguration withPath(final Path path) {
        return withPath(Objects.requireNonNull(path, "path must not be null").toString());
    }

    /**
     * A copy with another durability: {@code always} (a save returns once it is synced),
     * {@code batch} (the store's journal is synced every {@value #BATCH_INTERVAL_MS}) or
     * {@code none} (page cache only: survives a crash of the process, not of the machine).
     * @param durability the durability
     * @return the copy
     */
    public EventStoreConfiguration withDurability(final String durability) {
        return with(DURABILITY, durability);
    }

    /**
     * A copy with another journal sync interval for durability {@code batch}.
     * @param milliseconds the interval
     * @return the copy
     */
    public EventStoreConfiguration withBatchIntervalMs(final long milliseconds) {
        return with(BATCH_INTERVAL_MS, Long.toString(milliseconds));
    }

    /**
     * A copy with another limit on the size of one event.
     * @param bytes the limit
     * @return the copy
     */
    public EventStoreConfiguration withMaxEventSizeBytes(final long bytes) {
        return with(MAX_EVENT_SIZE_BYTES, Long.toString(bytes));
    }

    /**
     * A copy with another budget for the store's cache of parsed events (0 turns it off).
     * @param bytes the budget
     * @return the copy
     */
    public EventStoreConfiguration withEventCacheBytes(final long bytes) {
        return with(EVENT_CACHE_BYTES, Long.toString(bytes));
    }

    /**
     * A copy that opens the store for reading only, or not ({@link #READ_ONLY}).
     * @param readOnly the flag
     * @return the copy
     */
    public EventStoreConfiguration withReadOnly(final boolean readOnly) {
        return with(READ_ONLY, Boolean.toString(readOnly));
    }

    /**
     * A copy that writes files ByteHot's pure-Java adapter can read too, or not
     * ({@link #LEGACY_READABLE}).
     * @param legacyReadable the flag
     * @return the copy
     */
    public EventStoreConfiguration withLegacyReadable(final boolean legacyReadable) {
        return with(LEGACY_READABLE, Boolean.toString(legacyReadable));
    }

    /**
     * The spec's events-per-file setting; the store accepts only 1.
     * @param events the number
     * @return the copy
     */
    public EventStoreConfiguration withMaxEventsPerFile(final int events) {
        return with(MAX_EVENTS_PER_FILE, Integer.toString(events));
    }

    /**
     * The spec's compression setting; the store accepts only {@code false}.
     * @param enabled the flag
     * @return the copy
     */
    public EventStoreConfiguration withCompressionEnabled(final boolean enabled) {
        return with(COMPRESSION_ENABLED, Boolean.toString(enabled));
    }

    /**
     * The spec's backup setting; the store accepts only {@code false}.
     * @param enabled the flag
     * @return the copy
     */
    public EventStoreConfiguration withBackupEnabled(final boolean enabled) {
        return with(BACKUP_ENABLED, Boolean.toString(enabled));
    }

    /**
     * The spec's cleanup age; not implemented by the store, which rejects it.
     * @param days the age
     * @return the copy
     */
    public EventStoreConfiguration withCleanupMaxAgeDays(final int days) {
        return with(CLEANUP_MAX_AGE_DAYS, Integer.toString(days));
    }

    /**
     * The spec's cleanup size; not implemented by the store, which rejects it.
     * @param megabytes the size
     * @return the copy
     */
    public EventStoreConfiguration withCleanupMaxTotalSizeMb(final long megabytes) {
        return with(CLEANUP_MAX_TOTAL_SIZE_MB, Long.toString(megabytes));
    }

    /**
     * The base directory set here, or {@value #DEFAULT_PATH} when none is. With none set, the
     * environment variable {@code BYTEHOT_EVENTSTORE_PATH} decides when present; set here and
     * there to different directories, the open fails naming both. The directory an open store
     * uses is {@link FilesystemEventStoreAdapter#getBasePath()}.
     * @return the path
     */
    public String getPath() {
        return settings.getOrDefault(PATH, DEFAULT_PATH);
    }

    /**
     * Every setting that will be sent to the store, path included.
     * @return an unmodifiable map in the order set
     */
    public Map<String, String> getSettings() {
        return settings;
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof EventStoreConfiguration && settings.equals(((EventStoreConfiguration) other).settings);
    }

    @Override
    public int hashCode() {
        return settings.hashCode();
    }

    @Override
    public String toString() {
        return "EventStoreConfiguration" + settings;
    }
}
