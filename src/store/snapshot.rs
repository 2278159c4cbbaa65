//! Aggregate snapshots: an application's state of an aggregate as of one version, so that
//! rebuilding it reads the events after that version only.
//!
//! Each is `<aggregate dir>/.snapshots/<version, 20 digits>.json`, pretty-printed JSON
//! (`{"format", "aggregateType", "aggregateId", "version", "eventId", "takenAt", "state"}`).
//!
//! Invariants:
//! - A snapshot is derived data: deleting one loses nothing, readers of events never see
//!   them (dot names), backups leave them out.
//! - One is returned only if it matches the aggregate's history: its version exists and
//!   the event there has its `eventId` (a snapshot of a version the aggregate lacks, or of
//!   another history, as after a restore from an older backup, is passed over), and it
//!   parses (a damaged one is passed over, with a warning).
//! - Written beside and renamed (synced unless `durability = none`), the newest
//!   [`SNAPSHOTS_KEPT`] kept.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::config::Durability;
use crate::error::{Error, Result};
use crate::event::{format_instant, parse_instant};
use crate::file::{self, Access};

use super::EventStore;

/// The directory of an aggregate's snapshots, inside its directory.
pub const SNAPSHOT_DIR: &str = ".snapshots";

/// Snapshots kept per aggregate (the newest): an older one serves when a newer is damaged.
pub const SNAPSHOTS_KEPT: usize = 3;

const FORMAT: &str = "bytehot-eventstore snapshot 1";

/// An aggregate's state as of one of its versions.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The version whose state it is: events after it complete it.
    pub version: u64,
    /// The id of the event at that version (what ties it to this history).
    pub event_id: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// The state, as the application gave it (JSON, kept as it is).
    pub state: Box<RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotOut<'a> {
    format: &'a str,
    aggregate_type: &'a str,
    aggregate_id: &'a str,
    version: u64,
    event_id: &'a str,
    taken_at: String,
    state: &'a RawValue,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotIn {
    format: String,
    version: u64,
    event_id: String,
    taken_at: String,
    state: Box<RawValue>,
}

fn file_name(version: u64) -> String {
    format!("{version:020}.json")
}

impl EventStore {
    /// The aggregate's directory, its current version and the event id of `version`
    /// (`None` when the aggregate does not have that version, or it was cleaned up).
    fn snapshot_anchor(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        version: u64,
    ) -> Result<(Option<PathBuf>, u64, Option<String>)> {
        self.with_state(aggregate_type, aggregate_id, |s| {
            // Versions ascend: a bisection, not a walk of a long history.
            let at = s.entries.partition_point(|e| e.version < version);
            let id = s
                .entries
                .get(at)
                .filter(|e| e.version == version)
                .map(|e| e.event_id.clone());
            (s.dir.clone(), s.current_version(), id)
        })
    }

    /// Stores `state` (JSON) as the aggregate's state as of `version`, which it must
    /// have. Older snapshots beyond the newest [`SNAPSHOTS_KEPT`] are removed.
    pub fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        version: u64,
        state: &str,
    ) -> Result<()> {
        self.check_writable()?;
        crate::layout::aggregate_type_dir(aggregate_type)?;
        crate::layout::aggregate_id_dir(aggregate_id)?;
        let state = RawValue::from_string(state.to_string())
            .map_err(|e| Error::invalid_event("state", format!("not JSON: {e}")))?;
        if state.get().len() > self.config.max_event_size {
            return Err(Error::invalid_event(
                "state",
                format!(
                    "{} bytes, over max-event-size-bytes ({})",
                    state.get().len(),
                    self.config.max_event_size
                ),
            ));
        }
        let (dir, current, event_id) =
            self.snapshot_anchor(aggregate_type, aggregate_id, version)?;
        let (Some(dir), Some(event_id)) = (dir, event_id) else {
            return Err(Error::invalid_event(
                "version",
                format!(
                    "aggregate {aggregate_type}/{aggregate_id} has no version {version} (its \
                     current version is {current}; a cleaned-up version cannot be snapshotted)"
                ),
            ));
        };
        // Sealed like the events: under the aggregate's data key, bound to its identity.
        let sealed;
        let state: &RawValue = if self.keyring.is_some() {
            let key = (aggregate_type.to_string(), aggregate_id.to_string());
            let data_key = {
                let _exclusive = file::lock_dir(&dir)?;
                self.data_key_for_write(&key, &dir)?
            };
            sealed = match data_key {
                Some(k) => k.seal_json(
                    state.get(),
                    &crate::crypto::snapshot_aad(aggregate_type, aggregate_id, version, &event_id),
                    self.config.compression,
                )?,
                None => state,
            };
            &sealed
        } else {
            &state
        };
        let out = SnapshotOut {
            format: FORMAT,
            aggregate_type,
            aggregate_id,
            version,
            event_id: &event_id,
            taken_at: format_instant(&self.clock.now()),
            state,
        };
        let mut bytes = serde_json::to_vec_pretty(&out).unwrap_or_default();
        bytes.push(b'\n');
        let rel = dir
            .strip_prefix(&self.base)
            .unwrap_or(&dir)
            .join(SNAPSHOT_DIR);
        let snapshots = self.base.join(&rel);
        let fail = |e| Error::io("write snapshot", &snapshots, e);
        let store_dir = file::StoreDir::open(&self.base, &rel, true).map_err(fail)?;
        let durable = self.config.durability != Durability::None;
        crate::io::replace(&*self.io, &store_dir, &file_name(version), &bytes, durable)
            .map_err(fail)?;
        let mut names = snapshot_names(&snapshots)?;
        names.sort_unstable_by_key(|n| std::cmp::Reverse(n.0));
        for (_, name) in names.into_iter().skip(SNAPSHOTS_KEPT) {
            // Only an older copy: one left behind is removed by the next save.
            let _ = store_dir.remove_file(&name);
        }
        Ok(())
    }

    /// The newest snapshot that matches the aggregate's history (see the module's
    /// invariants), or `None`.
    pub fn load_latest_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>> {
        // Where the snapshots would be, without reading the aggregate: only a snapshot
        // that parses is checked against its history.
        let dir = self.resolve_dir(aggregate_type, aggregate_id)?.path;
        let snapshots = dir.join(SNAPSHOT_DIR);
        let mut names = snapshot_names(&snapshots)?;
        names.sort_unstable_by_key(|n| std::cmp::Reverse(n.0));
        for (version, name) in names {
            let path = snapshots.join(&name);
            let parsed = file::open_beneath(&self.base, &path, Access::Read, false)
                .and_then(|f| {
                    // The state is at most max-event-size-bytes; the rest is a few names.
                    let limit = self.config.max_event_size as u64 + 64 * 1024;
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::Read::take(f, limit + 1), &mut bytes)?;
                    if bytes.len() as u64 > limit {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("larger than {limit} bytes"),
                        ));
                    }
                    Ok(bytes)
                })
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    serde_json::from_slice::<SnapshotIn>(&bytes).map_err(|e| e.to_string())
                })
                .and_then(|s| {
                    if s.format != FORMAT || s.version != version {
                        return Err(format!(
                            "not a snapshot of version {version} ({})",
                            s.format
                        ));
                    }
                    let taken_at = parse_instant(&s.taken_at)
                        .ok_or_else(|| format!("takenAt {:?} is not an instant", s.taken_at))?;
                    Ok(Snapshot {
                        version: s.version,
                        event_id: s.event_id,
                        taken_at,
                        state: s.state,
                    })
                });
            let snapshot = match parsed {
                Ok(snapshot) => snapshot,
                Err(reason) => {
                    log::warn!("{}: passed over, damaged: {reason}", path.display());
                    continue;
                }
            };
            let (_, current, event_id) =
                self.snapshot_anchor(aggregate_type, aggregate_id, version)?;
            if event_id.as_deref() == Some(snapshot.event_id.as_str()) {
                match self.open_snapshot(aggregate_type, aggregate_id, &dir, snapshot)? {
                    Ok(snapshot) => return Ok(Some(snapshot)),
                    Err(reason) => {
                        log::warn!("{}: passed over: {reason}", path.display());
                        continue;
                    }
                }
            }
            log::info!(
                "{}: passed over: the aggregate (at version {current}) {}",
                path.display(),
                match event_id {
                    None => format!("has no version {version}"),
                    Some(id) => format!(
                        "has event {id} at version {version}, not {}",
                        snapshot.event_id
                    ),
                }
            );
        }
        Ok(None)
    }

    /// `snapshot` with its state opened when sealed; `Err(reason)` when it cannot be (a
    /// damaged or moved block, a forgotten aggregate), to be passed over.
    fn open_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        dir: &std::path::Path,
        mut snapshot: Snapshot,
    ) -> Result<std::result::Result<Snapshot, String>> {
        if !crate::crypto::is_sealed(snapshot.state.get()) {
            return Ok(Ok(snapshot));
        }
        let Some(ring) = &self.keyring else {
            return Ok(Err(
                "its state is encrypted and no key is configured".to_string()
            ));
        };
        let rel = dir
            .strip_prefix(&self.base)
            .unwrap_or(dir)
            .to_string_lossy()
            .replace('\\', "/");
        let crate::crypto::AggregateKey::Key(key) = ring.key_of(dir, &rel)? else {
            return Ok(Err(
                "the aggregate's data key is gone (forgotten)".to_string()
            ));
        };
        let aad = crate::crypto::snapshot_aad(
            aggregate_type,
            aggregate_id,
            snapshot.version,
            &snapshot.event_id,
        );
        Ok(key
            .open_json(snapshot.state.get(), &aad)
            .and_then(|plain| RawValue::from_string(plain).map_err(|e| e.to_string()))
            .map(|state| {
                snapshot.state = state;
                snapshot
            }))
    }
}

/// The snapshot files of a `.snapshots` directory with their versions (none when it is
/// missing); other names are not looked at.
pub(super) fn snapshot_names(dir: &Path) -> Result<Vec<(u64, String)>> {
    let names = match file::dir_names(dir) {
        Ok(names) => names,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    Ok(names
        .into_iter()
        .filter_map(|n| {
            let version = n.strip_suffix(".json")?;
            (version.len() == 20 && version.bytes().all(|b| b.is_ascii_digit()))
                .then(|| version.parse().ok().map(|v| (v, n.clone())))
                .flatten()
        })
        .collect())
}
