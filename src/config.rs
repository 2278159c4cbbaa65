//! Configuration: defaults < explicit settings (a JSON object or builder, which the Java
//! side fills from its properties file and system properties) < environment variables.
//!
//! Every known setting is listed in [`SETTINGS`]; an unknown key, an unknown
//! `BYTEHOT_EVENTSTORE_*` variable, a malformed value or a setting the store does not
//! implement yet is an [`Error::Config`], never silently ignored.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::crypto::MasterKey;
use crate::error::{Error, Result};

/// How hard a save waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// A save returns only after it is on stable storage (its journal record is synced;
    /// concurrent saves share one sync). Survives a crash of the process or the machine.
    Always,
    /// Saves are journaled and the journal is synced every `batch-interval-ms` in the
    /// background: a crash of the machine loses at most the saves of the last interval
    /// (whole saves, never a torn event); a crash of the process loses nothing.
    Batch,
    /// Saves reach the page cache only: they survive a crash of the process, not of the
    /// machine or the power.
    None,
}

impl Durability {
    /// The mode's name in configuration (`always`, `batch`, `none`).
    pub fn name(self) -> &'static str {
        match self {
            Durability::Always => "always",
            Durability::Batch => "batch",
            Durability::None => "none",
        }
    }
}

/// Default upper bound of one event's envelope, in bytes.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// The store's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Base directory (`./eventstore` by default).
    pub path: PathBuf,
    /// Durability mode (`always` by default).
    pub durability: Durability,
    /// Largest accepted event envelope in bytes.
    pub max_event_size: usize,
    /// With [`Durability::Batch`], how often the journal is synced.
    pub batch_interval: Duration,
    /// Bytes of parsed events kept in memory for aggregate reads (0: none).
    pub event_cache_bytes: usize,
    /// Open for reading only (`false` by default): nothing in the base directory is
    /// created, changed or removed (no journal, no recovery, no index rebuild), so a store
    /// on a read-only mount, a full disk or a directory this process may not write can
    /// be read; every write is refused.
    pub read_only: bool,
    /// Write files ByteHot's pure-Java adapter can read too (`false` by default): the
    /// metadata is repeated at the start of each object `eventData` (see
    /// [`crate::Event::legacy_readable`]).
    pub legacy_readable: bool,
    /// Events per file (`max-events-per-file`, 1 by default, at most
    /// [`MAX_EVENTS_PER_FILE`]). 1 writes one file per event, the spec's layout and the
    /// files ByteHot's adapter writes. More appends an aggregate's events, one compact
    /// envelope per line, to a segment file (`.jsonl`) until it holds that many. Reads
    /// take both kinds in any mix, so the setting may change between opens.
    pub max_events_per_file: u32,
    /// Compress with zstd (`compression-enabled`, `false` by default): a segment once it
    /// holds `max-events-per-file` events (`.jsonl.zst`), and a single-event file larger
    /// than [`Config::compression_min_bytes`] (`.json.zst`). `zstdcat` reads both.
    pub compression: bool,
    /// The size from which a single-event file is compressed (`compression-min-bytes`,
    /// [`DEFAULT_COMPRESSION_MIN_BYTES`] by default).
    pub compression_min_bytes: usize,
    /// Back up by itself (`backup-enabled`, `false` by default): at close and every
    /// [`Config::backup_interval`] while open, a generation into [`Config::backup_path`],
    /// keeping [`Config::backup_keep`] of them.
    pub backup_enabled: bool,
    /// Where automatic backups go (`backup.path`); `None`: `<path>-backups` beside the store.
    pub backup_path: Option<PathBuf>,
    /// Time between automatic backups while open (`backup.interval-minutes`, 60 by default).
    pub backup_interval: Duration,
    /// Automatic backup generations kept (`backup.keep`, 7 by default); older ones are removed.
    pub backup_keep: u32,
    /// Retention by age (`cleanup.max-age-days`): events older than this are removed by
    /// [`crate::EventStore::cleanup`] (at open, daily while open, on request). `None`: kept.
    pub cleanup_max_age_days: Option<u32>,
    /// Retention by size (`cleanup.max-total-size-mb`): the oldest events of the store are
    /// removed until its events take at most this many MiB. `None`: no limit.
    pub cleanup_max_total_size_mb: Option<u64>,
    /// `cleanup.require-snapshot` (false by default): an aggregate without a snapshot loses
    /// nothing to retention. Whatever it says, an aggregate with a snapshot loses only
    /// events older than its latest valid snapshot's version (see `store::cleanup`).
    pub cleanup_require_snapshot: bool,
    /// Time between two cleanups while open (a day; no setting, the spec says daily).
    pub cleanup_interval: Duration,
    /// Encryption at rest (`encryption.key-file`, `encryption.key`, or a key given in
    /// code; `docs/encryption.md`): events' data and snapshots are sealed under per-aggregate
    /// data keys this master key wraps. `None` (the default): plaintext; a store that holds
    /// encrypted events then refuses to write.
    pub encryption_key: Option<MasterKey>,
    /// During a master key rotation (`encryption.previous-key-file`): the key being
    /// replaced, which unwraps the data keys not rewrapped yet.
    pub encryption_previous_key: Option<MasterKey>,
}

/// Default `compression-min-bytes`: one 4 KiB block. A smaller file takes a whole block on
/// the file systems the store runs on (ext4, XFS, APFS, NTFS) compressed or not, so
/// compressing it would only cost time.
pub const DEFAULT_COMPRESSION_MIN_BYTES: usize = 4096;

/// The largest accepted `max-events-per-file`.
pub const MAX_EVENTS_PER_FILE: u32 = 100_000;

/// Default budget of the in-memory event cache, in bytes.
pub const DEFAULT_EVENT_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Config {
            path: PathBuf::from("./eventstore"),
            durability: Durability::Always,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            batch_interval: Duration::from_millis(50),
            event_cache_bytes: DEFAULT_EVENT_CACHE_BYTES,
            read_only: false,
            legacy_readable: false,
            max_events_per_file: 1,
            compression: false,
            compression_min_bytes: DEFAULT_COMPRESSION_MIN_BYTES,
            backup_enabled: false,
            backup_path: None,
            backup_interval: Duration::from_secs(60 * 60),
            backup_keep: 7,
            cleanup_max_age_days: None,
            cleanup_require_snapshot: false,
            cleanup_max_total_size_mb: None,
            cleanup_interval: Duration::from_secs(24 * 60 * 60),
            encryption_key: None,
            encryption_previous_key: None,
        }
    }
}

/// Every setting the store knows: its key and its environment variable.
pub const SETTINGS: &[(&str, &str)] = &[
    ("path", "BYTEHOT_EVENTSTORE_PATH"),
    ("durability", "BYTEHOT_EVENTSTORE_DURABILITY"),
    ("batch-interval-ms", "BYTEHOT_EVENTSTORE_BATCH_INTERVAL_MS"),
    (
        "max-event-size-bytes",
        "BYTEHOT_EVENTSTORE_MAX_EVENT_SIZE_BYTES",
    ),
    ("event-cache-bytes", "BYTEHOT_EVENTSTORE_EVENT_CACHE_BYTES"),
    ("read-only", "BYTEHOT_EVENTSTORE_READ_ONLY"),
    ("legacy-readable", "BYTEHOT_EVENTSTORE_LEGACY_READABLE"),
    (
        "max-events-per-file",
        "BYTEHOT_EVENTSTORE_MAX_EVENTS_PER_FILE",
    ),
    (
        "compression-enabled",
        "BYTEHOT_EVENTSTORE_COMPRESSION_ENABLED",
    ),
    (
        "compression-min-bytes",
        "BYTEHOT_EVENTSTORE_COMPRESSION_MIN_BYTES",
    ),
    ("backup-enabled", "BYTEHOT_EVENTSTORE_BACKUP_ENABLED"),
    ("backup.path", "BYTEHOT_EVENTSTORE_BACKUP_PATH"),
    (
        "backup.interval-minutes",
        "BYTEHOT_EVENTSTORE_BACKUP_INTERVAL_MINUTES",
    ),
    ("backup.keep", "BYTEHOT_EVENTSTORE_BACKUP_KEEP"),
    (
        "cleanup.max-age-days",
        "BYTEHOT_EVENTSTORE_CLEANUP_MAX_AGE_DAYS",
    ),
    (
        "cleanup.max-total-size-mb",
        "BYTEHOT_EVENTSTORE_CLEANUP_MAX_TOTAL_SIZE_MB",
    ),
    (
        "cleanup.require-snapshot",
        "BYTEHOT_EVENTSTORE_CLEANUP_REQUIRE_SNAPSHOT",
    ),
    (
        "encryption.key-file",
        "BYTEHOT_EVENTSTORE_ENCRYPTION_KEY_FILE",
    ),
    ("encryption.key", "BYTEHOT_EVENTSTORE_ENCRYPTION_KEY"),
    (
        "encryption.previous-key-file",
        "BYTEHOT_EVENTSTORE_ENCRYPTION_PREVIOUS_KEY_FILE",
    ),
];

const ENV_PREFIX: &str = "BYTEHOT_EVENTSTORE_";

fn text(key: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(Error::config(
            key,
            format!("expected a string, number or boolean, got {other}"),
        )),
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::config(
            key,
            format!("expected true or false, got {v:?}"),
        )),
    }
}

impl Config {
    /// A default configuration rooted at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Config {
        Config {
            path: path.into(),
            ..Config::default()
        }
    }

    /// Opens for reading only (see [`Config::read_only`]).
    pub fn read_only(mut self, read_only: bool) -> Config {
        self.read_only = read_only;
        self
    }

    /// Sets how many events a file holds (see [`Config::max_events_per_file`]).
    pub fn max_events_per_file(mut self, events: u32) -> Config {
        self.max_events_per_file = events;
        self
    }

    /// Whether a retention setting is given (see [`crate::EventStore::cleanup`]).
    pub fn has_cleanup(&self) -> bool {
        self.cleanup_max_age_days.is_some() || self.cleanup_max_total_size_mb.is_some()
    }

    /// Turns compression on or off (see [`Config::compression`]).
    pub fn compression(mut self, compression: bool) -> Config {
        self.compression = compression;
        self
    }

    /// Encrypts the store's events under `key` (see [`Config::encryption_key`]).
    pub fn encryption_key(mut self, key: MasterKey) -> Config {
        self.encryption_key = Some(key);
        self
    }

    /// Sets the durability mode.
    pub fn durability(mut self, durability: Durability) -> Config {
        self.durability = durability;
        self
    }

    /// Resolves explicit settings (keys of [`SETTINGS`]) and then the given environment.
    pub fn resolve(
        settings: &Map<String, Value>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut config = Config::default();
        let mut explicit_path = None;
        for (key, value) in settings {
            if value.is_null() {
                continue;
            }
            let value = text(key, value)?;
            config.apply(key, &value)?;
            if key == "path" {
                explicit_path = Some(value);
            }
        }
        let mut env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        env.sort();
        for (var, value) in env {
            let key = SETTINGS
                .iter()
                .find(|(_, v)| *v == var)
                .map(|(k, _)| *k)
                .ok_or_else(|| {
                    Error::config(
                        &var,
                        "unknown environment variable (known: see docs/configuration.md)",
                    )
                })?;
            // A path given in code and another in the environment would put the store
            // where the code does not look, and merge stores opened with different paths.
            if let Some(explicit) = explicit_path.as_deref().filter(|_| key == "path")
                && explicit.trim() != value.trim()
            {
                return Err(Error::config(
                    "path",
                    format!(
                        "is {explicit:?} in the code and {:?} in {var}: remove one of them",
                        value.trim()
                    ),
                ));
            }
            config.apply(key, value.trim()).map_err(|e| match e {
                Error::Config { reason, .. } => Error::config(format!("{var} ({key})"), reason),
                other => other,
            })?;
        }
        Ok(config)
    }

    /// [`Config::resolve`] against the process environment. Variables of other programs
    /// are not looked at, so one that is not UTF-8 is no concern of the store's; one of
    /// its own that is not UTF-8 is a configuration error naming it.
    pub fn from_settings(settings: &Map<String, Value>) -> Result<Config> {
        let mut env = Vec::new();
        for (var, value) in std::env::vars_os() {
            let Some(var) = var.to_str().filter(|v| v.starts_with(ENV_PREFIX)) else {
                continue;
            };
            let value = value
                .into_string()
                .map_err(|_| Error::config(var, "is not valid UTF-8"))?;
            env.push((var.to_string(), value));
        }
        Config::resolve(settings, env)
    }

    fn apply(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            "path" if value.is_empty() => return Err(Error::config(key, "must not be empty")),
            "path" => self.path = PathBuf::from(value),
            "durability" => {
                self.durability = match value.to_ascii_lowercase().as_str() {
                    "always" => Durability::Always,
                    "none" => Durability::None,
                    "batch" => Durability::Batch,
                    _ => {
                        return Err(Error::config(
                            key,
                            format!("expected always, batch or none, got {value:?}"),
                        ));
                    }
                }
            }
            "batch-interval-ms" => {
                self.batch_interval = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=60_000).contains(n))
                    .map(Duration::from_millis)
                    .ok_or_else(|| {
                        Error::config(
                            key,
                            format!("expected 1 to 60000 milliseconds, got {value:?}"),
                        )
                    })?
            }
            "max-event-size-bytes" => {
                self.max_event_size = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::config(key, format!("expected a positive integer, got {value:?}"))
                })?
            }
            "event-cache-bytes" => {
                self.event_cache_bytes = value.parse().map_err(|_| {
                    Error::config(
                        key,
                        format!("expected a non-negative integer, got {value:?}"),
                    )
                })?
            }
            "read-only" => self.read_only = parse_bool(key, value)?,
            "legacy-readable" => self.legacy_readable = parse_bool(key, value)?,
            "encryption.key-file" => {
                self.encryption_key = Some(MasterKey::from_file(std::path::Path::new(value))?)
            }
            "encryption.previous-key-file" => {
                self.encryption_previous_key = Some(
                    MasterKey::from_file(std::path::Path::new(value)).map_err(|e| match e {
                        Error::Config { reason, .. } => Error::config(key, reason),
                        other => other,
                    })?,
                )
            }
            "encryption.key" => {
                self.encryption_key = Some(MasterKey::from_text(value).ok_or_else(|| {
                    Error::config(
                        key,
                        "expected 64 hexadecimal digits or the base64 of 32 bytes",
                    )
                })?)
            }
            "max-events-per-file" => {
                self.max_events_per_file = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_EVENTS_PER_FILE).contains(n))
                    .ok_or_else(|| {
                        Error::config(
                            key,
                            format!("expected 1 to {MAX_EVENTS_PER_FILE}, got {value:?}"),
                        )
                    })?
            }
            "compression-enabled" => self.compression = parse_bool(key, value)?,
            "compression-min-bytes" => {
                self.compression_min_bytes = value.parse().map_err(|_| {
                    Error::config(
                        key,
                        format!("expected a non-negative integer, got {value:?}"),
                    )
                })?
            }
            "backup-enabled" => self.backup_enabled = parse_bool(key, value)?,
            "backup.path" if value.is_empty() => {
                return Err(Error::config(key, "must not be empty"));
            }
            "backup.path" => self.backup_path = Some(PathBuf::from(value)),
            "backup.interval-minutes" => {
                self.backup_interval = value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=525_600).contains(n))
                    .map(|n| Duration::from_secs(n * 60))
                    .ok_or_else(|| {
                        Error::config(key, format!("expected 1 to 525600 minutes, got {value:?}"))
                    })?
            }
            "backup.keep" => {
                self.backup_keep = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| {
                        Error::config(
                            key,
                            format!("expected 1 to 10000 generations, got {value:?}"),
                        )
                    })?
            }
            "cleanup.require-snapshot" => {
                self.cleanup_require_snapshot = parse_bool(key, value)?;
            }
            "cleanup.max-age-days" => {
                self.cleanup_max_age_days = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|n| (1..=3_650_000).contains(n))
                        .ok_or_else(|| {
                            Error::config(
                                key,
                                format!("expected a number of days from 1, got {value:?}"),
                            )
                        })?,
                )
            }
            "cleanup.max-total-size-mb" => {
                self.cleanup_max_total_size_mb = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|n| (1..=u64::MAX / (1024 * 1024)).contains(n))
                        .ok_or_else(|| {
                            Error::config(
                                key,
                                format!("expected a number of MiB from 1, got {value:?}"),
                            )
                        })?,
                )
            }
            _ => {
                return Err(Error::config(
                    key,
                    "unknown setting (known: see docs/configuration.md)",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).expect("test JSON")
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = Config::resolve(&Map::new(), env(&[("HOME", "/root")])).expect("defaults");
        assert_eq!(c, Config::default());
        assert_eq!(c.path, PathBuf::from("./eventstore"));
        assert_eq!(c.durability, Durability::Always);
    }

    #[test]
    fn environment_overrides_explicit_settings_but_the_path() {
        let c = Config::resolve(
            &settings(r#"{"path":"/a","durability":"always"}"#),
            env(&[
                ("BYTEHOT_EVENTSTORE_PATH", "/a"),
                ("BYTEHOT_EVENTSTORE_DURABILITY", "NONE"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.path, PathBuf::from("/a"));
        assert_eq!(c.durability, Durability::None);
    }

    #[test]
    fn the_environment_gives_the_path_when_the_code_does_not() {
        let c =
            Config::resolve(&Map::new(), env(&[("BYTEHOT_EVENTSTORE_PATH", "/b")])).expect("valid");
        assert_eq!(c.path, PathBuf::from("/b"));
    }

    #[test]
    fn a_path_in_the_code_and_another_in_the_environment_is_an_error_naming_both() {
        let err = Config::resolve(
            &settings(r#"{"path":"/a"}"#),
            env(&[("BYTEHOT_EVENTSTORE_PATH", "/b")]),
        )
        .expect_err("conflict");
        let text = err.to_string();
        assert!(
            text.contains("\"/a\"")
                && text.contains("\"/b\"")
                && text.contains("BYTEHOT_EVENTSTORE_PATH"),
            "{text}"
        );
    }

    #[test]
    fn spec_defaults_that_match_behaviour_are_accepted() {
        let c = Config::resolve(
            &settings(r#"{"compression-enabled":false,"backup-enabled":"false","max-events-per-file":1,"max-event-size-bytes":"1024"}"#),
            env(&[("BYTEHOT_EVENTSTORE_COMPRESSION_ENABLED", "false")]),
        )
        .expect("valid");
        assert_eq!(c.max_event_size, 1024);
    }

    #[test]
    fn max_events_per_file_takes_1_to_100000() {
        for (value, expected) in [("1", 1), ("1000", 1000), ("100000", 100_000)] {
            let c = Config::resolve(
                &Map::new(),
                env(&[("BYTEHOT_EVENTSTORE_MAX_EVENTS_PER_FILE", value)]),
            )
            .expect("valid");
            assert_eq!(c.max_events_per_file, expected);
        }
    }

    #[test]
    fn unknown_malformed_and_unimplemented_settings_are_errors() {
        for json in [
            r#"{"pth":"/a"}"#,
            r#"{"durability":"sometimes"}"#,
            r#"{"batch-interval-ms":0}"#,
            r#"{"compression-enabled":"maybe"}"#,
            r#"{"compression-min-bytes":-1}"#,
            r#"{"backup-enabled":"yes"}"#,
            r#"{"max-events-per-file":0}"#,
            r#"{"max-events-per-file":100001}"#,
            r#"{"cleanup.max-total-size-mb":0}"#,
            r#"{"cleanup.max-age-days":"forever"}"#,
            r#"{"max-event-size-bytes":0}"#,
            r#"{"path":""}"#,
            r#"{"path":[1]}"#,
        ] {
            assert!(
                matches!(
                    Config::resolve(&settings(json), env(&[])),
                    Err(Error::Config { .. })
                ),
                "{json}"
            );
        }
        let typo = Config::resolve(&Map::new(), env(&[("BYTEHOT_EVENTSTORE_PAHT", "/x")]));
        assert!(matches!(typo, Err(Error::Config { key, .. }) if key == "BYTEHOT_EVENTSTORE_PAHT"));
        let bad = Config::resolve(&Map::new(), env(&[("BYTEHOT_EVENTSTORE_BACKUP_KEEP", "0")]));
        assert!(matches!(bad, Err(Error::Config { key, .. }) if key.contains("backup.keep")));
    }

    #[test]
    fn backup_settings_read_from_keys_and_environment() {
        let c = Config::resolve(
            &settings(r#"{"path":"/s","backup-enabled":true,"backup.keep":"3"}"#),
            env(&[("BYTEHOT_EVENTSTORE_BACKUP_INTERVAL_MINUTES", "15")]),
        )
        .expect("valid");
        assert!(c.backup_enabled);
        assert_eq!(c.backup_keep, 3);
        assert_eq!(c.backup_interval, Duration::from_secs(15 * 60));
        assert_eq!(c.backup_path, None);
        for bad in [
            r#"{"backup.interval-minutes":0}"#,
            r#"{"backup.keep":"many"}"#,
            r#"{"backup.path":""}"#,
        ] {
            assert!(
                matches!(
                    Config::resolve(&settings(bad), env(&[])),
                    Err(Error::Config { .. })
                ),
                "{bad}"
            );
        }
    }
}
