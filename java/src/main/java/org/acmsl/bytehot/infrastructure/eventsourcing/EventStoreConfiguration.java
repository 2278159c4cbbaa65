package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeSet;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.UnicodeReader;

/**
 * Settings of a {@link FilesystemEventStoreAdapter} (keys as in {@code docs/configuration.md}).
 *
 * <p>Immutable; the {@code with...} methods return changed copies. Only the settings a user set
 * are sent to the store, which validates them: an unknown or malformed one fails the open
 * instead of being ignored.
 * Sources, lowest to highest precedence: defaults, a configuration file (see {@link #load()}),
 * system properties {@code bytehot.eventstore.<key>}, then environment variables
 * {@code BYTEHOT_EVENTSTORE_*}, which the native store applies last, except that a base
 * directory set here and another in the environment is an error.
 */
public final class EventStoreConfiguration {

    /** Prefix of the keys in system properties and properties files. */
    public static final String PREFIX = "bytehot.eventstore.";

    /** System property naming the configuration file (YAML or properties, by extension). */
    public static final String CONFIG_FILE_PROPERTY = PREFIX + "config";

    /**
     * ByteHot's own system property naming its configuration file, read when
     * {@value #CONFIG_FILE_PROPERTY} is not set, so that one file configures both.
     */
    public static final String BYTEHOT_CONFIG_FILE_PROPERTY = "bhconfig";

    /**
     * The YAML files looked for in the working directory, in this order, when no system
     * property names one: ByteHot's own names, so that one file configures both.
     */
    public static final List<String> DEFAULT_FILES =
        List.of("bytehot.yml", "bytehot.yaml", "application.yml", "application.yaml");

    /** The section of a YAML file whose keys are this store's settings. */
    public static final String SECTION = "bytehot.eventstore";

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

    /** Key of the spec's events-per-file setting (1 to 100000; more than 1 writes segment files). */
    public static final String MAX_EVENTS_PER_FILE = "max-events-per-file";

    /**
     * Key of the spec's compression setting: {@code true} compresses full segments and
     * single-event files over {@value #COMPRESSION_MIN_BYTES} with zstd.
     */
    public static final String COMPRESSION_ENABLED = "compression-enabled";

    /** Key of the size in bytes from which a single-event file is compressed (with compression on). */
    public static final String COMPRESSION_MIN_BYTES = "compression-min-bytes";

    /**
     * Key of the spec's backup setting: {@code true} takes a backup generation at close and every
     * {@value #BACKUP_INTERVAL_MINUTES} while open, into {@value #BACKUP_PATH}.
     */
    public static final String BACKUP_ENABLED = "backup-enabled";

    /** Key of the directory of automatic backups (default: {@code <path>-backups} beside the store). */
    public static final String BACKUP_PATH = "backup.path";

    /** Key of the minutes between automatic backups while open (default 60). */
    public static final String BACKUP_INTERVAL_MINUTES = "backup.interval-minutes";

    /** Key of the number of automatic backup generations kept (default 7). */
    public static final String BACKUP_KEEP = "backup.keep";

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

    /** Key of the spec's retention by age: events older than this many days are removed (see cleanup). */
    public static final String CLEANUP_MAX_AGE_DAYS = "cleanup.max-age-days";

    /** Key of the spec's retention by size: the oldest events go until the store's take this many MiB. */
    public static final String CLEANUP_MAX_TOTAL_SIZE_MB = "cleanup.max-total-size-mb";

    /**
     * Key of the retention's snapshot rule: {@code true} keeps every event of an aggregate
     * without a snapshot. With or without it, an aggregate with a snapshot loses only events
     * before the snapshot's version.
     */
    public static final String CLEANUP_REQUIRE_SNAPSHOT = "cleanup.require-snapshot";

    /**
     * Key of the file holding the master key of encryption at rest (32 bytes, 64 hexadecimal
     * digits or base64): see {@code docs/encryption.md}.
     */
    public static final String ENCRYPTION_KEY_FILE = "encryption.key-file";

    /** Key of the master key itself (hexadecimal or base64), for a key given in code. */
    public static final String ENCRYPTION_KEY = "encryption.key";

    /** Key of the file holding the master key being replaced, during a key rotation. */
    public static final String ENCRYPTION_PREVIOUS_KEY_FILE = "encryption.previous-key-file";

    /** Every key of the store's settings, in the order of {@code docs/configuration.md}. */
    public static final List<String> KEYS = List.of(PATH, DURABILITY, BATCH_INTERVAL_MS, MAX_EVENT_SIZE_BYTES,
        EVENT_CACHE_BYTES, READ_ONLY, LEGACY_READABLE, MAX_EVENTS_PER_FILE, COMPRESSION_ENABLED,
        COMPRESSION_MIN_BYTES, BACKUP_ENABLED, BACKUP_PATH, BACKUP_INTERVAL_MINUTES, BACKUP_KEEP,
        CLEANUP_MAX_AGE_DAYS, CLEANUP_MAX_TOTAL_SIZE_MB, CLEANUP_REQUIRE_SNAPSHOT, ENCRYPTION_KEY_FILE,
        ENCRYPTION_KEY, ENCRYPTION_PREVIOUS_KEY_FILE);

    /** Keys under the prefix that configure this class or the loader, not the store. */
    private static final List<String> NOT_STORE_SETTINGS = List.of("config", "library", "tmpdir");

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
     * Defaults, overridden by a configuration file, overridden by the system properties
     * {@code bytehot.eventstore.<key>}. The file is the one named by the system property
     * {@value #CONFIG_FILE_PROPERTY}, else by {@value #BYTEHOT_CONFIG_FILE_PROPERTY}, else the
     * first of {@link #DEFAULT_FILES} that exists in the working directory, else none. A file
     * ending in {@code .yml} or {@code .yaml} is YAML, read for its {@value #SECTION} section;
     * any other is a properties file with keys {@code bytehot.eventstore.<key>}.
     * @return the configuration
     * @throws EventStoreConfigurationException when the file cannot be read or parsed, or sets
     *     a key that is not one of {@link #KEYS}
     */
    public static EventStoreConfiguration load() {
        return load(System.getProperties());
    }

    /**
     * As {@link #load()}, reading the given properties instead of the system properties.
     * @param systemProperties stand-in for the system properties
     * @return the configuration
     * @throws EventStoreConfigurationException as {@link #load()}
     */
    public static EventStoreConfiguration load(final Properties systemProperties) {
        return load(systemProperties, Paths.get(""));
    }

    /**
     * As {@link #load()}, reading the given properties instead of the system properties and
     * taking another directory as the working directory: the default files are looked for
     * there, and a relative file name in a property is resolved against it.
     * @param systemProperties stand-in for the system properties
     * @param workingDirectory stand-in for the working directory
     * @return the configuration
     * @throws EventStoreConfigurationException as {@link #load()}
     */
    public static EventStoreConfiguration load(final Properties systemProperties, final Path workingDirectory) {
        Objects.requireNonNull(systemProperties, "systemProperties must not be null");
        Objects.requireNonNull(workingDirectory, "workingDirectory must not be null");
        return new EventStoreConfiguration(readConfigurationFile(systemProperties, workingDirectory))
            .withAll(systemProperties);
    }

    private static Map<String, String> readConfigurationFile(final Properties systemProperties,
        final Path workingDirectory) {
        for (final String property : List.of(CONFIG_FILE_PROPERTY, BYTEHOT_CONFIG_FILE_PROPERTY)) {
            final String named = systemProperties.getProperty(property);
            if (named != null) {
                return readFile(workingDirectory.resolve(named), "named by " + property);
            }
        }
        for (final String name : DEFAULT_FILES) {
            final Path file = workingDirectory.resolve(name);
            if (Files.exists(file)) {
                return readFile(file, "found in the working directory");
            }
        }
        return Collections.emptyMap();
    }

    private static Map<String, String> readFile(final Path file, final String origin) {
        final Path shown = file.toAbsolutePath();
        final byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (final IOException e) {
            throw new EventStoreConfigurationException("cannot read the configuration file " + shown + " " + origin
                + ": " + e, e);
        }
        final String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yml") || name.endsWith(".yaml") ? readYaml(content, shown) : readProperties(content, shown);
    }

    private static Map<String, String> readProperties(final byte[] content, final Path file) {
        final Properties properties = new Properties();
        try {
            properties.load(new ByteArrayInputStream(content));
        } catch (final IOException | IllegalArgumentException e) {
            throw new EventStoreConfigurationException("cannot parse the properties file " + file + ": " + e, e);
        }
        final Map<String, String> settings = new LinkedHashMap<>();
        // Sorted so that the settings sent (and any error about them) do not depend on hash order.
        for (final String name : new TreeSet<>(properties.stringPropertyNames())) {
            if (name.startsWith(PREFIX)) {
                put(settings, name.substring(PREFIX.length()), properties.getProperty(name).trim(), file);
            }
        }
        return settings;
    }

    private static Map<String, String> readYaml(final byte[] content, final Path file) {
        final Map<String, String> settings = new LinkedHashMap<>();
        try {
            // Nodes rather than Java objects: a scalar keeps the text the file has (1000, false,
            // 0777), where constructed objects would turn it into what YAML 1.1 resolves it to.
            for (final Node document : new Yaml(new LoaderOptions()).composeAll(
                new UnicodeReader(new ByteArrayInputStream(content)))) {
                if (document instanceof MappingNode) {
                    readYamlMapping((MappingNode) document, "", settings, file);
                }
            }
        } catch (final YAMLException e) {
            throw new EventStoreConfigurationException("cannot parse the YAML file " + file + ": " + e.getMessage(), e);
        }
        return settings;
    }

    /**
     * Collects the settings of the {@value #SECTION} section under a mapping whose entries'
     * keys, dot-joined after {@code prefix}, are full names: so the nested form, the flat form
     * ({@code bytehot.eventstore.path: x} at the top) and any mix of them all read alike.
     */
    private static void readYamlMapping(final MappingNode mapping, final String prefix,
        final Map<String, String> settings, final Path file) {
        final boolean inSection = prefix.equals(SECTION) || prefix.startsWith(SECTION + ".");
        for (final NodeTuple entry : mapping.getValue()) {
            if (!(entry.getKeyNode() instanceof ScalarNode)) {
                if (inSection) {
                    throw new EventStoreConfigurationException("the " + SECTION + " section of " + file
                        + " has a key that is not a plain name (line " + line(entry.getKeyNode()) + ")");
                }
                continue;
            }
            final String key = ((ScalarNode) entry.getKeyNode()).getValue();
            final String name = prefix.isEmpty() ? key : prefix + "." + key;
            final Node value = entry.getValueNode();
            if (name.equals(SECTION)) {
                if (value instanceof MappingNode) {
                    readYamlMapping((MappingNode) value, name, settings, file);
                } else if (!isNull(value)) {
                    throw new EventStoreConfigurationException(SECTION + " in " + file + " is not a map of settings"
                        + " (line " + line(value) + ")");
                }
            } else if (name.startsWith(SECTION + ".")) {
                readYamlSetting(name.substring(SECTION.length() + 1), value, settings, file);
            } else if (SECTION.startsWith(name + ".") && value instanceof MappingNode) {
                readYamlMapping((MappingNode) value, name, settings, file);
            }
        }
    }

    private static void readYamlSetting(final String key, final Node value, final Map<String, String> settings,
        final Path file) {
        if (value instanceof MappingNode) {
            // Only a key some setting continues (cleanup) may hold a map; checking here rather
            // than at the leaves also stops an alias that nests a map in itself.
            if (KEYS.stream().noneMatch(known -> known.startsWith(key + "."))) {
                throw unknownKey(key, file);
            }
            readYamlMapping((MappingNode) value, SECTION + "." + key, settings, file);
        } else if (value instanceof SequenceNode) {
            throw new EventStoreConfigurationException("the setting " + key + " in " + file
                + " is a list; it takes a single value (line " + line(value) + ")");
        } else if (isNull(value)) {
            throw new EventStoreConfigurationException("the setting " + key + " in " + file
                + " has no value (line " + line(value) + "); remove it to keep the default");
        } else {
            put(settings, key, ((ScalarNode) value).getValue(), file);
        }
    }

    private static void put(final Map<String, String> settings, final String key, final String value,
        final Path file) {
        if (!KEYS.contains(key)) {
            throw unknownKey(key, file);
        }
        if (settings.putIfAbsent(key, value) != null) {
            // Spring-style profile documents would need the active profiles to choose between.
            throw new EventStoreConfigurationException("the setting " + key + " is set twice in " + file
                + "; set it once (every document of a YAML file applies: profiles are not evaluated)");
        }
    }

    private static EventStoreConfigurationException unknownKey(final String key, final Path file) {
        final String hint = NOT_STORE_SETTINGS.contains(key)
            ? " (" + PREFIX + key + " is read from the system properties only)" : "";
        return new EventStoreConfigurationException("unknown setting " + key + " in " + file + hint + "; known: "
            + String.join(", ", KEYS));
    }

    private static boolean isNull(final Node node) {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    private static int line(final Node node) {
        return node.getStartMark().getLine() + 1;
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
            if (name.startsWith(PREFIX) && !NOT_STORE_SETTINGS.contains(key)) {
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
     * The spec's events-per-file setting: 1 (the default) writes one file per event, more (up
     * to 100000) appends an aggregate's events to segment files of that many.
     * @param events the number
     * @return the copy
     */
    public EventStoreConfiguration withMaxEventsPerFile(final int events) {
        return with(MAX_EVENTS_PER_FILE, Integer.toString(events));
    }

    /**
     * The spec's compression setting ({@link #COMPRESSION_ENABLED}): {@code true} writes full
     * segments as {@code .jsonl.zst} and single-event files over
     * {@link #withCompressionMinBytes the minimum} as {@code .json.zst}; reads decompress.
     * @param enabled the flag
     * @return the copy
     */
    public EventStoreConfiguration withCompressionEnabled(final boolean enabled) {
        return with(COMPRESSION_ENABLED, Boolean.toString(enabled));
    }

    /**
     * A copy with another size from which a single-event file is compressed, when compression
     * is on ({@link #COMPRESSION_MIN_BYTES}).
     * @param bytes the size
     * @return the copy
     */
    public EventStoreConfiguration withCompressionMinBytes(final long bytes) {
        return with(COMPRESSION_MIN_BYTES, Long.toString(bytes));
    }

    /**
     * The spec's backup setting: {@code true} takes a backup generation at close and every
     * {@value #BACKUP_INTERVAL_MINUTES} minutes while open, into {@value #BACKUP_PATH}, keeping
     * {@value #BACKUP_KEEP} generations (see {@code docs/operations.md}).
     * @param enabled the flag
     * @return the copy
     */
    public EventStoreConfiguration withBackupEnabled(final boolean enabled) {
        return with(BACKUP_ENABLED, Boolean.toString(enabled));
    }

    /**
     * Where the automatic backup generations go ({@value #BACKUP_PATH}; default
     * {@code <path>-backups} beside the store). One inside the store fails the open.
     * @param path the directory
     * @return the copy
     */
    public EventStoreConfiguration withBackupPath(final Path path) {
        return with(BACKUP_PATH, Objects.requireNonNull(path, "path must not be null").toString());
    }

    /**
     * Minutes between automatic backups while the store is open
     * ({@value #BACKUP_INTERVAL_MINUTES}, 1 to 525600; default 60).
     * @param minutes the interval
     * @return the copy
     */
    public EventStoreConfiguration withBackupIntervalMinutes(final long minutes) {
        return with(BACKUP_INTERVAL_MINUTES, Long.toString(minutes));
    }

    /**
     * Automatic backup generations kept ({@value #BACKUP_KEEP}, 1 to 10000; default 7).
     * @param generations how many
     * @return the copy
     */
    public EventStoreConfiguration withBackupKeep(final int generations) {
        return with(BACKUP_KEEP, Integer.toString(generations));
    }

    /**
     * The spec's retention by age (see {@link FilesystemEventStoreAdapter#cleanup()}).
     * @param days the age
     * @return the copy
     */
    public EventStoreConfiguration withCleanupMaxAgeDays(final int days) {
        return with(CLEANUP_MAX_AGE_DAYS, Integer.toString(days));
    }

    /**
     * The spec's retention by size (see {@link FilesystemEventStoreAdapter#cleanup()}).
     * @param megabytes the size
     * @return the copy
     */
    public EventStoreConfiguration withCleanupMaxTotalSizeMb(final long megabytes) {
        return with(CLEANUP_MAX_TOTAL_SIZE_MB, Long.toString(megabytes));
    }

    /**
     * The retention's snapshot rule (see {@link #CLEANUP_REQUIRE_SNAPSHOT}).
     * @param required whether an aggregate without a snapshot keeps all its events
     * @return the copy
     */
    public EventStoreConfiguration withCleanupRequireSnapshot(final boolean required) {
        return with(CLEANUP_REQUIRE_SNAPSHOT, Boolean.toString(required));
    }

    /**
     * Encryption at rest with the master key in {@code keyFile} (see {@link #ENCRYPTION_KEY_FILE}).
     * @param keyFile the key file (never inside the store)
     * @return the copy
     */
    public EventStoreConfiguration withEncryptionKeyFile(final Path keyFile) {
        return with(ENCRYPTION_KEY_FILE, Objects.requireNonNull(keyFile, "keyFile").toString());
    }

    /**
     * Encryption at rest with a master key given in code.
     * @param key 32 bytes (copied)
     * @return the copy
     * @throws IllegalArgumentException when the key is not 32 bytes
     */
    public EventStoreConfiguration withEncryptionKey(final byte[] key) {
        if (key == null || key.length != 32) {
            throw new IllegalArgumentException("an encryption key is 32 bytes");
        }
        final StringBuilder hex = new StringBuilder(64);
        for (final byte b : key) {
            hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return with(ENCRYPTION_KEY, hex.toString());
    }

    /**
     * During a master key rotation: the file holding the key being replaced (see
     * {@link FilesystemEventStoreAdapter#rotateMasterKey()}).
     * @param keyFile the previous key's file
     * @return the copy
     */
    public EventStoreConfiguration withEncryptionPreviousKeyFile(final Path keyFile) {
        return with(ENCRYPTION_PREVIOUS_KEY_FILE, Objects.requireNonNull(keyFile, "keyFile").toString());
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
        // A key given in code is never printed.
        final Map<String, String> shown = new LinkedHashMap<>(settings);
        shown.computeIfPresent(ENCRYPTION_KEY, (k, v) -> "(hidden)");
        return "EventStoreConfiguration" + shown;
    }
}
