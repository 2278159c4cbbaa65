//! Retention, as the spec configures it (`cleanup.max-age-days`,
//! `cleanup.max-total-size-mb`), with the semantics of an event store's truncate-before
//! (KurrentDB's `$maxAge`, `$tb`): an aggregate loses its oldest events, keeps its version
//! numbers, and goes on from where it was.
//!
//! Invariants:
//! - What goes is a prefix of each aggregate, in whole files (a segment goes when every
//!   event in it may), never its last file: an aggregate keeps at least its latest event,
//!   its version and its place in every listing. Events without a timestamp are never
//!   judged old, nor is anything after them.
//! - An aggregate with a valid snapshot loses only events before the snapshot's version
//!   (the event at that version stays, so the snapshot stays valid): the application
//!   rebuilds it from the snapshot and what follows. With `cleanup.require-snapshot`, an
//!   aggregate without one loses nothing.
//! - Per aggregate, `.truncated` (the last version and event id removed, the first file
//!   kept) is written, synced, before anything is removed; from then on the files before
//!   the first kept one are never read, whether or not they are gone yet.
//! - The index loses the removed events' lines before their files go, so a query in
//!   another process never meets a listed file that is gone; files an earlier run covered
//!   but left are treated the same way by the next run. One run at a time per store
//!   (`metadata/cleanup.lock`, a `flock`); `metadata/cleanup.running` marks a run, and
//!   an open that finds it while nobody holds the lock rebuilds the index.
//! - `.ids` goes before `.truncated` is written: a store with the aggregate cached trusts
//!   an unchanged `.ids` without listing the directory.
//! - With `backup-enabled`, a backup generation is taken before anything is removed.
//! - Every truncation is appended to `metadata/cleanup.log` (JSON Lines) before it is
//!   made.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::event::format_instant;
use crate::file::{self, FileLock, lock, lock_dir};
use crate::index::{Entry, Replayed};
use crate::io::StoreIo;
use crate::layout::{self, FileName};

use super::files::{
    TRUNCATED_FILE, Truncation, list_all_events, list_events_truncated, read_truncation,
};
use super::ids_file::IDS_FILE;
use super::migrate::MIGRATION_RUNNING;
use super::periodic::Periodic;
use super::snapshot::SNAPSHOT_DIR;
use super::{EventStore, Role};

/// The log of removals under `metadata/`.
pub const CLEANUP_LOG: &str = "cleanup.log";

/// Present under `metadata/` while a cleanup runs (it holds the pid of its process).
const CLEANUP_RUNNING: &str = "cleanup.running";

/// Locked (`flock`) under `metadata/` by the cleanup running on the store.
const CLEANUP_LOCK: &str = "cleanup.lock";

/// What [`EventStore::cleanup`] removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CleanupReport {
    /// Aggregates that lost their oldest events.
    pub aggregates: u64,
    /// Events removed.
    pub events_removed: u64,
    /// Event files removed (single-event files and whole segments).
    pub files_removed: u64,
    /// Bytes of the events removed.
    pub bytes_removed: u64,
    /// Bytes of the events left.
    pub bytes_kept: u64,
    /// The size limit is still exceeded: what is left is each aggregate's last file,
    /// recent events, or events without a timestamp.
    pub over_size_limit: bool,
    /// Nothing was removed: the report says what would be.
    pub dry_run: bool,
}

/// One event file of an aggregate, as the index knows it.
#[derive(Debug)]
struct IndexedFile {
    name: String,
    sort_key: (u64, u16),
    /// Its newest event's timestamp; `None` when one has none (never judged old).
    newest: Option<DateTime<Utc>>,
    bytes: u64,
    entries: Vec<Entry>,
    /// The version of its last event (its place: the versions before it, and those an
    /// earlier cleanup removed, counted).
    last_version: u64,
}

/// One aggregate's planned truncation: its first `remove` files go.
#[derive(Debug)]
struct Plan {
    aggregate_type: String,
    aggregate_id: String,
    dir: PathBuf,
    files: Vec<IndexedFile>,
    remove: usize,
    by_age: bool,
    by_size: bool,
    /// An earlier cleanup truncated it (`.truncated`): files it covers may be left.
    truncated: bool,
    /// Only files whose events all lie before this version may go: the version of the
    /// aggregate's latest valid snapshot (whose own event stays, so that the snapshot
    /// stays valid), or 0 when it has none and `cleanup.require-snapshot` is set.
    /// `None`: no such limit.
    before_version: Option<u64>,
}

impl Plan {
    /// The next file that may go (not the last one, not one of unknown age, none a
    /// kept snapshot does not cover).
    fn next(&self) -> Option<&IndexedFile> {
        (self.remove + 1 < self.files.len())
            .then(|| &self.files[self.remove])
            .filter(|f| f.newest.is_some())
            .filter(|f| self.before_version.is_none_or(|v| f.last_version < v))
    }
}

impl EventStore {
    /// Applies the configured retention (see [`crate::Config::cleanup_max_age_days`] and
    /// [`crate::Config::cleanup_max_total_size_mb`]): each aggregate's events older than
    /// the age are removed, then the oldest of the whole store until its events fit the
    /// size, in whole files, never an aggregate's last one. Versions keep their numbers: a
    /// read returns the events kept, the first of them at the version after the last one
    /// removed. Runs online; with `dry_run` nothing is changed. Does nothing when neither
    /// setting is given.
    pub fn cleanup(&self, dry_run: bool) -> Result<CleanupReport> {
        self.cleanup_with(
            self.config.cleanup_max_age_days,
            self.config.cleanup_max_total_size_mb,
            dry_run,
        )
    }

    /// [`Self::cleanup`] with the limits given here instead of the configured ones (the
    /// command-line tool's `--max-age-days`, `--max-total-size-mb`).
    pub fn cleanup_with(
        &self,
        max_age_days: Option<u32>,
        max_total_size_mb: Option<u64>,
        dry_run: bool,
    ) -> Result<CleanupReport> {
        let (max_age, max_size) = (max_age_days.filter(|d| *d > 0), max_total_size_mb);
        if max_age.is_none() && max_size.is_none() {
            return Ok(CleanupReport {
                dry_run,
                ..CleanupReport::default()
            });
        }
        // One cleanup at a time per store directory, across processes: held to the end.
        let _run = if dry_run {
            None
        } else {
            self.check_writable()?;
            Some(self.cleanup_lock()?)
        };
        self.check_index()?;
        let (mut plans, leftovers) = self.plan_from_index()?;
        if !dry_run {
            // Files an earlier run covered with `.truncated` but did not remove (it failed
            // or was killed): their index lines go first, then the files.
            self.index.repair(&leftovers, self.durable())?;
            for plan in plans.iter().filter(|p| p.truncated) {
                let _dir = lock_dir(&plan.dir)?;
                self.remove_covered_files(&plan.dir)?;
            }
        }
        let total: u64 = plans.iter().flat_map(|p| &p.files).map(|f| f.bytes).sum();
        if let Some(days) = max_age {
            let cutoff = self.clock.now() - Duration::days(i64::from(days));
            for plan in &mut plans {
                while plan.next().is_some_and(|f| f.newest < Some(cutoff)) {
                    plan.remove += 1;
                    plan.by_age = true;
                }
            }
        }
        let removed = |plans: &[Plan]| -> u64 {
            plans
                .iter()
                .flat_map(|p| &p.files[..p.remove])
                .map(|f| f.bytes)
                .sum()
        };
        let mut kept = total - removed(&plans);
        let mut over_size_limit = false;
        if let Some(mb) = max_size {
            let limit = mb.saturating_mul(1024 * 1024);
            // The oldest next file of every aggregate first, store-wide.
            let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, usize)>> = plans
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some(Reverse((p.next()?.newest?, i))))
                .collect();
            while kept > limit {
                let Some(Reverse((_, i))) = heap.pop() else {
                    over_size_limit = true;
                    break;
                };
                let plan = &mut plans[i];
                kept -= plan.files[plan.remove].bytes;
                plan.remove += 1;
                plan.by_size = true;
                if let Some(newest) = plan.next().and_then(|f| f.newest) {
                    heap.push(Reverse((newest, i)));
                }
            }
        }
        plans.retain(|p| p.remove > 0);
        let mut report = CleanupReport {
            aggregates: plans.len() as u64,
            events_removed: plans
                .iter()
                .flat_map(|p| &p.files[..p.remove])
                .map(|f| f.entries.len() as u64)
                .sum(),
            files_removed: plans.iter().map(|p| p.remove as u64).sum(),
            bytes_removed: total - kept,
            bytes_kept: kept,
            over_size_limit,
            dry_run,
        };
        if dry_run || plans.is_empty() {
            return Ok(report);
        }
        if self.config.backup_enabled {
            self.backup_generation()?;
        }
        let mark = self.mark_running()?;
        let mut gone = Vec::new();
        let mut done = Vec::new();
        for plan in &plans {
            match self.truncate(plan)? {
                Some(events) => {
                    gone.extend(plan.files[..plan.remove].iter().flat_map(|f| {
                        f.entries.iter().map(|e| Replayed {
                            entry: e.clone(),
                            on_disk: false,
                        })
                    }));
                    done.push((plan, events));
                }
                None => report.aggregates -= 1,
            }
        }
        // The lines go before the files: a query never meets a listed file that is gone.
        self.index.repair(&gone, self.durable())?;
        for (plan, _) in &done {
            self.remove_truncated(plan)?;
        }
        self.unmark_running(mark)?;
        report.events_removed = done.iter().map(|(_, events)| events).sum();
        report.files_removed = done.iter().map(|(p, _)| p.remove as u64).sum();
        report.bytes_removed = done
            .iter()
            .flat_map(|(p, _)| &p.files[..p.remove])
            .map(|f| f.bytes)
            .sum();
        report.bytes_kept = total - report.bytes_removed;
        log::info!(
            "{}: cleanup removed {} events ({} files, {} bytes) of {} aggregates; see metadata/{CLEANUP_LOG}",
            self.base.display(),
            report.events_removed,
            report.files_removed,
            report.bytes_removed,
            report.aggregates
        );
        Ok(report)
    }

    /// Every aggregate's event files from the index (no event file is read), those of
    /// directories of ByteHot's old adapter left out (they may hold several aggregates).
    fn plan_from_index(&self) -> Result<(Vec<Plan>, Vec<Replayed>)> {
        let mut dirs: HashMap<(String, String), HashMap<String, IndexedFile>> = HashMap::new();
        for event_type in self.index.event_types()? {
            for record in self.index.by_type(&event_type)? {
                let mut parts = record.rel.splitn(3, '/');
                let (Some(type_dir), Some(id_dir), Some(rest)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let name = rest.split('@').next().unwrap_or(rest).to_string();
                let Some(parsed) = FileName::parse(layout::plain_name(&name)) else {
                    continue;
                };
                let timestamp = record
                    .time
                    .and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos));
                let file = dirs
                    .entry((type_dir.to_string(), id_dir.to_string()))
                    .or_default()
                    .entry(name.clone())
                    .or_insert_with(|| IndexedFile {
                        name,
                        sort_key: parsed.sort_key(),
                        newest: timestamp,
                        bytes: 0,
                        entries: Vec::new(),
                        last_version: 0,
                    });
                file.newest = match (file.newest, timestamp) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                file.bytes += record.bytes;
                // Known by its index line alone: its correlation and user lines stay
                // until the index is rebuilt (a query skips a line whose file is gone).
                file.entries.push(Entry {
                    timestamp,
                    ..Entry::unparsed(event_type.clone(), record.rel, record.bytes)
                });
            }
        }
        let mut plans = Vec::new();
        let mut leftovers = Vec::new();
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                let found = self.resolve_dir(&aggregate_type, &aggregate_id)?;
                if found.legacy {
                    continue;
                }
                let key = (
                    layout::aggregate_type_dir(&aggregate_type)?,
                    found
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default(),
                );
                let Some(files) = dirs.remove(&key) else {
                    continue;
                };
                let mut files: Vec<IndexedFile> = files.into_values().collect();
                files.sort_by_key(|f| f.sort_key);
                // Files an earlier truncation covers are no part of the aggregate any more.
                let truncation = read_truncation(&found.path)?;
                if let Some(first) = truncation
                    .as_ref()
                    .and_then(|t| FileName::parse(layout::plain_name(&t.first_kept)))
                {
                    let kept = files.partition_point(|f| f.sort_key < first.sort_key());
                    leftovers.extend(files.drain(..kept).flat_map(|f| f.entries).map(|entry| {
                        Replayed {
                            entry,
                            on_disk: false,
                        }
                    }));
                }
                let mut version = truncation.as_ref().map_or(0, |t| t.through_version);
                for file in &mut files {
                    version += file.entries.len() as u64;
                    file.last_version = version;
                }
                // Events a snapshot does not cover are what the application rebuilds the
                // aggregate from. Only a directory with snapshots is asked for one.
                let snapshot = if found.path.join(SNAPSHOT_DIR).is_dir() {
                    self.load_latest_snapshot(&aggregate_type, &aggregate_id)?
                        .map(|s| s.version)
                } else {
                    None
                };
                let before_version = match snapshot {
                    Some(version) => Some(version),
                    None if self.config.cleanup_require_snapshot => Some(0),
                    None => None,
                };
                plans.push(Plan {
                    aggregate_type: aggregate_type.clone(),
                    aggregate_id,
                    dir: found.path,
                    files,
                    remove: 0,
                    by_age: false,
                    by_size: false,
                    truncated: truncation.is_some(),
                    before_version,
                });
            }
        }
        Ok((plans, leftovers))
    }

    /// Writes the aggregate's `.truncated` (synced) and its line in the log, under the
    /// aggregate's locks; returns how many events go, or `None` when the aggregate no
    /// longer starts with the planned files (a `compact` ran since: left for next time).
    fn truncate(&self, plan: &Plan) -> Result<Option<u64>> {
        let key = (plan.aggregate_type.clone(), plan.aggregate_id.clone());
        let state = self.state(&key);
        let mut state = lock(&state);
        let _dir = lock_dir(&plan.dir)?;
        self.refresh_locked(&key, &mut state)?;
        let planned: Vec<&str> = plan.files[..plan.remove]
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let listed: Vec<&str> = state
            .listed
            .iter()
            .map(|(_, name)| layout::plain_name(name))
            .collect();
        if listed.len() <= planned.len() || listed[..planned.len()] != planned[..] {
            log::info!(
                "{}: cleanup left {}/{} for its next run: its files changed since it was planned",
                self.base.display(),
                plan.aggregate_type,
                plan.aggregate_id
            );
            return Ok(None);
        }
        let removed: HashSet<&str> = planned.iter().copied().collect();
        let gone: Vec<_> = state
            .entries
            .iter()
            .filter(|e| removed.contains(layout::plain_name(&e.name)))
            .collect();
        let (Some(last), Some(first_kept)) = (gone.last(), state.listed.get(planned.len())) else {
            return Ok(None);
        };
        // The plan counted versions from the index: the files say whether it holds.
        if plan.before_version.is_some_and(|v| last.version >= v) {
            log::info!(
                "{}: cleanup left {}/{} for its next run: its files do not match the versions planned",
                self.base.display(),
                plan.aggregate_type,
                plan.aggregate_id
            );
            return Ok(None);
        }
        let now = format_instant(&self.clock.now());
        let truncation = Truncation {
            through_version: last.version,
            last_event_id: last.event_id.clone(),
            first_kept: layout::plain_name(&first_kept.1).to_string(),
            at: now.clone(),
        };
        let events = gone.len() as u64;
        let reason = match (plan.by_age, plan.by_size) {
            (true, true) => "cleanup.max-age-days, cleanup.max-total-size-mb",
            (true, false) => "cleanup.max-age-days",
            _ => "cleanup.max-total-size-mb",
        };
        let line = serde_json::json!({
            "at": now,
            "aggregateType": plan.aggregate_type,
            "aggregateId": plan.aggregate_id,
            "throughVersion": truncation.through_version,
            "lastEventId": truncation.last_event_id,
            "events": events,
            "files": planned,
            "reason": reason,
        });
        self.append_cleanup_log(&line)?;
        // `.ids` names the files about to go, and a store with the aggregate cached trusts
        // it while it is unchanged: it goes first, so that every cached view lists the
        // directory again (and finds `.truncated`) from now on.
        remove_ids_file(&plan.dir)?;
        state.ids_file = None;
        // The truncation must be on disk before any file it covers goes.
        self.write_truncation(&plan.dir, &truncation)?;
        self.refresh_locked(&key, &mut state)?;
        Ok(Some(events))
    }

    /// Writes `.truncated` in `dir` (synced, renamed in, the folder synced), with `.ids`
    /// already gone (see the module's invariants).
    pub(super) fn write_truncation(&self, dir: &Path, truncation: &Truncation) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(truncation).unwrap_or_default();
        let tmp = dir.join(self.tmp_name(TRUNCATED_FILE));
        let file = self
            .io
            .create_and_write(&tmp, &bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        self.io
            .sync_file(&file)
            .map_err(|e| Error::io("sync", &tmp, e))?;
        let target = dir.join(TRUNCATED_FILE);
        self.io
            .rename(&tmp, &target)
            .map_err(|e| Error::io("rename", &tmp, e))?;
        // fsync the folder: the rename is durable only once the directory is.
        self.sync_directory(dir)
    }

    /// Removes the files `.truncated` covers in one aggregate directory.
    fn remove_truncated(&self, plan: &Plan) -> Result<()> {
        let key = (plan.aggregate_type.clone(), plan.aggregate_id.clone());
        let state = self.state(&key);
        let _state = lock(&state);
        let _dir = lock_dir(&plan.dir)?;
        self.remove_covered_files(&plan.dir)
    }

    /// Removes the files before the first one `.truncated` keeps in `dir`, if any.
    pub(super) fn remove_covered_files(&self, dir: &Path) -> Result<()> {
        let (kept, truncation) = list_events_truncated(dir, self.clean())?;
        if truncation.is_none() {
            return Ok(());
        }
        let kept: HashSet<String> = kept.into_iter().map(|(_, name)| name).collect();
        let mut removed = false;
        for (_, name) in list_all_events(dir, self.clean())? {
            if kept.contains(&name) {
                continue;
            }
            for path in [
                dir.join(&name),
                dir.join(format!("{name}{}", layout::COMPRESSED_EXT)),
            ] {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed = true,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("remove", &path, e)),
                }
            }
        }
        if removed {
            self.sync_directory(dir)?;
        }
        Ok(())
    }

    /// `metadata/cleanup.lock`, held (`flock`) by the cleanup running on this store, in
    /// whichever process: the lock, not a pid, tells a live run from a dead one, across
    /// PID namespaces too.
    pub(super) fn cleanup_lock(&self) -> Result<std::fs::File> {
        let path = self.metadata_dir.join(CLEANUP_LOCK);
        file::open_regular(
            &path,
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true),
        )
        .and_then(|f| f.acquire().map(|()| f))
        .map_err(|e| Error::io("lock", &path, e))
    }

    /// Whether a cleanup that is not running any more left `metadata/cleanup.running`:
    /// the index may list files it removed, so the open rebuilds it.
    pub(super) fn cleanup_cut_short(&self) -> bool {
        let marked = [CLEANUP_RUNNING, MIGRATION_RUNNING]
            .iter()
            .any(|mark| self.metadata_dir.join(mark).exists());
        if !marked {
            return false;
        }
        let path = self.metadata_dir.join(CLEANUP_LOCK);
        // No lock file at all: the run that left the mark is long gone.
        file::open_regular(&path, std::fs::OpenOptions::new().write(true))
            .map_or(true, |f| f.try_acquire().is_ok())
    }

    /// After the rebuild that [`Self::cleanup_cut_short`] asked for.
    pub(super) fn clear_cleanup_mark(&self) -> Result<()> {
        self.clear_mark(CLEANUP_RUNNING)?;
        self.clear_mark(MIGRATION_RUNNING)
    }

    /// Marks a run that changes event files and index lines apart
    /// (`metadata/cleanup.running`, with this process's id): an open that finds it while
    /// no run holds the cleanup lock rebuilds the index. Call with the cleanup lock held.
    /// Returns false when the mark was there already: left by a run that failed or died, it
    /// asks for that rebuild, and stays until an open makes it.
    pub(super) fn mark_running(&self) -> Result<bool> {
        if self.metadata_dir.join(CLEANUP_RUNNING).exists() {
            return Ok(false);
        }
        let pid = std::process::id().to_string();
        self.write_metadata_file(CLEANUP_RUNNING, pid.as_bytes())?;
        Ok(true)
    }

    /// Ends what [`Self::mark_running`] began: the mark goes if this run made it.
    pub(super) fn unmark_running(&self, made: bool) -> Result<()> {
        if made {
            self.clear_mark(CLEANUP_RUNNING)?;
        }
        Ok(())
    }

    /// Removes the mark `name` from `metadata/`, if it is there.
    pub(super) fn clear_mark(&self, name: &str) -> Result<()> {
        let running = self.metadata_dir.join(name);
        match std::fs::remove_file(&running) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("remove", &running, e))
            }
            _ => Ok(()),
        }
    }

    /// Appends `line` to `metadata/cleanup.log` (synced).
    pub(super) fn append_cleanup_log(&self, line: &serde_json::Value) -> Result<()> {
        let path = self.metadata_dir.join(CLEANUP_LOG);
        let mut bytes = serde_json::to_vec(line).unwrap_or_default();
        bytes.push(b'\n');
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        log.write_all(&bytes)
            .and_then(|()| log.sync_data())
            .map_err(|e| Error::io("append to", &path, e))
    }

    pub(super) fn write_metadata_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.metadata_dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("remove", &path, e));
            }
            _ => {}
        }
        let file = self
            .io
            .create_and_write(&path, bytes)
            .map_err(|e| Error::io("write", &path, e))?;
        self.io
            .sync_file(&file)
            .map_err(|e| Error::io("sync", &path, e))?;
        self.sync_directory(&self.metadata_dir)
    }
}

/// Removes an aggregate directory's `.ids` (a cache of its listing), if any.
pub(super) fn remove_ids_file(dir: &Path) -> Result<()> {
    let path = dir.join(IDS_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", &path, e)),
        _ => Ok(()),
    }
}

/// Runs the cleanup every [`crate::Config::cleanup_interval`], each time through a store
/// of its own (opened and closed as another process would), so that it needs nothing of
/// the application's store but its configuration.
pub(super) fn spawn_cleanup_timer(
    config: Config,
    clock: Arc<dyn Clock>,
    io: Arc<dyn StoreIo>,
) -> Periodic {
    Periodic::spawn(config.cleanup_interval, move || {
        let ran =
            EventStore::open_inner(config.clone(), clock.clone(), io.clone(), Role::Maintenance)
                .and_then(|store| {
                    store.cleanup(false)?;
                    store.close()
                });
        if let Err(e) = ran {
            log::error!("{}: the daily cleanup failed: {e}", config.path.display());
        }
    })
}
