//! The derived files under `<base>/metadata/`: `aggregate-types.json`,
//! `event-schema-versions.json` and `storage-statistics.json`.
//!
//! Invariants: every file here can be rebuilt from the event files alone (but the list of
//! schema migrations, kept across rebuilds while readable); each is
//! replaced atomically (temp file + rename), and read-merge-written under an exclusive
//! lock on the `metadata` directory so that two processes merge rather than overwrite.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::file::{Access, StoreDir};
use crate::io::StoreIo;
use crate::layout::METADATA_DIR;

/// `aggregate-types.json`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateTypesFile {
    /// Known aggregate types, sorted by name.
    pub aggregate_types: Vec<AggregateTypeEntry>,
}

/// One aggregate type and the directory that holds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AggregateTypeEntry {
    /// The aggregate type.
    pub name: String,
    /// Its directory name under the base directory.
    pub directory: String,
}

/// `event-schema-versions.json`: every event type seen and the schema versions it used,
/// and the schema migrations run on the store.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaVersionsFile {
    /// Event type -> sorted schema versions.
    pub event_types: BTreeMap<String, BTreeSet<u32>>,
    /// The migrations run, oldest first. The one part of the file the event files cannot
    /// give back: a rebuild keeps it when the file it replaces is readable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<SchemaMigration>,
}

/// One schema migration, as `EventStore::record_schema_migration` recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SchemaMigration {
    /// When it finished (ISO-8601).
    pub finished_at: String,
    /// Event type -> the schema version its stored events were rewritten to.
    pub event_types: BTreeMap<String, u32>,
    /// Events examined.
    pub events_examined: u64,
    /// Events rewritten.
    pub events_rewritten: u64,
    /// The backup taken before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
}

/// `storage-statistics.json`: a snapshot, refreshed at close (from the index), when it
/// is missing or unreadable at open, and whenever the index is rebuilt.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageStatistics {
    /// Event files in the store.
    pub total_events: u64,
    /// Aggregate directories holding at least one event.
    pub total_aggregates: u64,
    /// Bytes of event files.
    pub total_bytes: u64,
    /// Per aggregate type.
    pub aggregate_types: BTreeMap<String, TypeStatistics>,
    /// When this snapshot was taken (ISO-8601).
    pub updated_at: String,
}

impl StorageStatistics {
    /// Sets the totals to the sums of the per-type figures.
    pub(crate) fn total(&mut self) {
        (self.total_events, self.total_aggregates, self.total_bytes) = (0, 0, 0);
        for t in self.aggregate_types.values() {
            self.total_events += t.events;
            self.total_aggregates += t.aggregates;
            self.total_bytes += t.bytes;
        }
    }
}

/// Statistics of one aggregate type.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeStatistics {
    /// Aggregates of this type.
    pub aggregates: u64,
    /// Events of this type.
    pub events: u64,
    /// Bytes of their files.
    pub bytes: u64,
}

pub(crate) const AGGREGATE_TYPES: &str = "aggregate-types.json";
pub(crate) const SCHEMA_VERSIONS: &str = "event-schema-versions.json";
pub(crate) const STATISTICS: &str = "storage-statistics.json";

/// Holds the exclusive lock on the metadata directory while alive; its files are read
/// and written through the directory's descriptor, following no link.
pub(crate) struct MetadataLock {
    dir: StoreDir,
    io: Arc<dyn StoreIo>,
    /// What holds the lock (see [`StoreDir::lock`]).
    _lock: std::fs::File,
}

impl MetadataLock {
    /// Locks `<base>/metadata`, which the open made sure is a directory (not a link).
    pub(crate) fn acquire(base: &Path, io: Arc<dyn StoreIo>) -> Result<MetadataLock> {
        let path = base.join(METADATA_DIR);
        let dir = StoreDir::open(base, Path::new(METADATA_DIR), true)
            .map_err(|e| Error::io("open", &path, e))?;
        let lock = dir.lock().map_err(|e| Error::io("lock", &path, e))?;
        Ok(MetadataLock {
            dir,
            io,
            _lock: lock,
        })
    }

    /// Reads one file; `None` when it is missing or does not parse (it is then rebuilt).
    pub(crate) fn read<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Option<T> {
        let mut bytes = Vec::new();
        let mut file = self.dir.open_file(name, Access::Read).ok()?;
        file.read_to_end(&mut bytes).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Replaces one file atomically; `sync` makes the replacement durable.
    pub(crate) fn write<T: Serialize>(&self, name: &str, value: &T, sync: bool) -> Result<()> {
        let path = self.dir.path().join(name);
        let mut bytes =
            serde_json::to_vec_pretty(value).map_err(|e| Error::corrupt(&path, e.to_string()))?;
        bytes.push(b'\n');
        crate::io::replace(&*self.io, &self.dir, name, &bytes, sync)
            .map_err(|e| Error::io("write", &path, e))
    }
}
