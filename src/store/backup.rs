//! Online backup and restore (`docs/operations.md`, "Backup and restore").
//!
//! A backup is a directory holding the store's event files at their places (and the
//! `.aggregate-id` files of hashed directories) and the stream log (so that the restored
//! events keep their positions), plus `bytehot-backup.json`, the manifest:
//! every file with its size and CRC-32, written last. Derived state (`.index/`,
//! `metadata/`, `.ids`, journals) is left out: the restored store's first open rebuilds it.
//!
//! Invariants:
//! - Each aggregate is copied under its directory's shared lock, which every save takes
//!   exclusively to put a file or a line in place: the copy holds versions 1..k with
//!   nothing torn, a prefix of the live aggregate, while other processes keep saving.
//! - A file is in a backup only once its bytes are durable there (one `syncfs` of the
//!   backup before the manifest is written, the manifest synced with its directory):
//!   a backup without a manifest is incomplete and `restore` refuses it.
//! - The store itself is only read (and its directories locked shared): a backup killed
//!   at any point leaves the store as it was.
//! - A restore builds the store beside its destination, opens it (rebuilding the index),
//!   verifies it clean and only then renames it into place.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::event::format_instant;
use crate::file::{self, FileLock, list_dirs};
use crate::io::StoreIo;
use crate::journal::crc32;
use crate::layout;

use super::EventStore;
use super::files::{Clean, TRUNCATED_FILE, decoded, is_compressed, list_events};
use super::periodic::Periodic;

/// In a generation being written, locked (`flock`) by its writer.
const WRITING: &str = ".writing";

/// The manifest's name in a backup's directory.
pub const BACKUP_MANIFEST: &str = "bytehot-backup.json";

const BACKUP_FORMAT: &str = "bytehot-eventstore backup 1";

/// What [`EventStore::backup`] or [`EventStore::restore`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupReport {
    /// Files in the backup.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files hard-linked from the earlier backup instead of copied.
    pub linked: u64,
    /// Events in the backup.
    pub events: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    format: String,
    created: String,
    source: String,
    events: u64,
    files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestFile {
    /// Relative to the backup's directory, `/`-separated.
    path: String,
    bytes: u64,
    crc32: u32,
    events: u64,
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |e| Error::io(what, path, e)
}

/// A directory that may receive a backup or a restore: absent, or empty.
fn is_absent_or_empty(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io("list", dir, e)),
    }
}

fn read_manifest(backup: &Path) -> Result<Manifest> {
    let path = backup.join(BACKUP_MANIFEST);
    let bytes = file::read_regular(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::corrupt(
                &path,
                "no manifest: this is not a complete backup (a backup writes its manifest \
                 last; one that was interrupted has none): take the backup again",
            )
        } else {
            Error::io("read", &path, e)
        }
    })?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::corrupt(&path, format!("not a backup manifest: {e}")))?;
    if manifest.format != BACKUP_FORMAT {
        return Err(Error::corrupt(
            &path,
            format!(
                "backup format {:?} is not one this version reads ({BACKUP_FORMAT:?})",
                manifest.format
            ),
        ));
    }
    Ok(manifest)
}

/// Events in one event file's bytes: a single-event file holds one, a segment one per
/// complete line.
fn events_in(path: &Path, name: &layout::FileName, bytes: &[u8]) -> Result<u64> {
    if !name.segment {
        return Ok(1);
    }
    let plain = decoded(path, bytes.to_vec(), u64::MAX)?;
    Ok(memchr::memchr_iter(b'\n', &plain).count() as u64)
}

/// Writes `bytes` to a new file at `path`.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err("create", path))?;
    file.write_all(bytes).map_err(io_err("write", path))
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let tmp = dir.join(format!(".{BACKUP_MANIFEST}.tmp"));
    let target = dir.join(BACKUP_MANIFEST);
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    let mut file = fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
    file.write_all(&bytes).map_err(io_err("write", &tmp))?;
    file.sync_all().map_err(io_err("sync", &tmp))?;
    fs::rename(&tmp, &target).map_err(io_err("rename", &tmp))?;
    // fsync the folder: the manifest's name is what makes the backup complete.
    file::open_dir(dir)
        .and_then(|d| file::sync_dir(&d))
        .map_err(io_err("sync", dir))
}

/// Whether `inner` is `outer` or lies under it (both made absolute, links resolved where
/// they exist).
fn is_within(inner: &Path, outer: &Path) -> bool {
    let resolve = |p: &Path| {
        let mut existing = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut out = fs::canonicalize(&existing).unwrap_or(existing);
        out.extend(rest.into_iter().rev());
        out
    };
    resolve(inner).starts_with(resolve(outer))
}

/// Where automatic backups go: `backup.path`, or `<path>-backups` beside the store.
pub fn backup_root(config: &Config) -> PathBuf {
    config.backup_path.clone().unwrap_or_else(|| {
        let mut name = config
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "eventstore".into());
        name.push("-backups");
        config.path.with_file_name(name)
    })
}

/// Fails when automatic backups would land inside the store they back up.
pub(super) fn check_backup_root(config: &Config) -> Result<()> {
    let root = backup_root(config);
    if config.backup_enabled && is_within(&root, &config.path) {
        return Err(Error::config(
            "backup.path",
            format!(
                "{} lies inside the store {}: choose a directory outside it",
                root.display(),
                config.path.display()
            ),
        ));
    }
    Ok(())
}

/// Writes `bytes` as `<dest>/<dir>/<name>` (a file of no event: the stream log, the
/// encryption record) and lists it in the manifest and the report.
fn add_file(
    dest: &Path,
    dir: &str,
    name: &str,
    bytes: &[u8],
    files: &mut Vec<ManifestFile>,
    report: &mut BackupReport,
) -> Result<()> {
    let target = dest.join(dir);
    fs::create_dir_all(&target).map_err(io_err("create directory", &target))?;
    write_new(&target.join(name), bytes)?;
    files.push(ManifestFile {
        path: format!("{dir}/{name}"),
        bytes: bytes.len() as u64,
        crc32: crc32(bytes),
        events: 0,
    });
    report.files += 1;
    report.bytes += bytes.len() as u64;
    Ok(())
}

fn backup_into(
    base: &Path,
    io: &dyn StoreIo,
    now: &DateTime<Utc>,
    dest: &Path,
    link_dest: Option<&Path>,
) -> Result<BackupReport> {
    if is_within(dest, base) {
        return Err(Error::Unavailable {
            reason: format!(
                "the backup's directory {} lies inside the store {}: choose one outside it",
                dest.display(),
                base.display()
            ),
        });
    }
    let earlier: HashMap<String, ManifestFile> = match link_dest {
        Some(dir) => read_manifest(dir)?
            .files
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect(),
        None => HashMap::new(),
    };
    fs::create_dir_all(dest).map_err(io_err("create directory", dest))?;
    let mut report = BackupReport::default();
    let mut files = Vec::new();
    let type_dirs = list_dirs(base)?
        .into_iter()
        .filter(|(name, _)| name != layout::METADATA_DIR);
    for (type_dir, type_path) in type_dirs {
        for (agg_dir, agg_path) in list_dirs(&type_path)? {
            let rel_dir = format!("{type_dir}/{agg_dir}");
            let target_dir = dest.join(&type_dir).join(&agg_dir);
            backup_aggregate(
                io,
                &agg_path,
                &rel_dir,
                &target_dir,
                link_dest.map(|d| (d, &earlier)),
                &mut report,
                &mut files,
            )?;
        }
    }
    // The stream log after the events: it names every event copied, so the restored store
    // keeps their positions (its lines of events saved after their aggregate was copied
    // are voided by the restore's first open).
    let stream = base.join(crate::stream::STREAM_DIR).join("log");
    match file::read_regular(&stream) {
        Ok(mut bytes) => {
            let whole = memchr::memrchr(b'\n', &bytes).map_or(0, |end| end + 1);
            bytes.truncate(whole);
            // A restored store gives the positions after the backup's again: under another
            // stream id, so that no consumer takes them for the source's.
            bytes = crate::stream::with_new_id(&bytes);
            add_file(
                dest,
                crate::stream::STREAM_DIR,
                "log",
                &bytes,
                &mut files,
                &mut report,
            )?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("read", &stream, e)),
    }
    // The store's encryption record: a restored copy must not open, or take plaintext
    // events, without the key its events are sealed with.
    let record = base
        .join(layout::METADATA_DIR)
        .join(crate::crypto::STORE_FILE);
    match file::read_regular(&record) {
        Ok(bytes) => add_file(
            dest,
            layout::METADATA_DIR,
            crate::crypto::STORE_FILE,
            &bytes,
            &mut files,
            &mut report,
        )?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("read", &record, e)),
    }
    file::sync_file_system(dest).map_err(io_err("sync", dest))?;
    write_manifest(
        dest,
        &Manifest {
            format: BACKUP_FORMAT.to_string(),
            created: format_instant(now),
            source: base.display().to_string(),
            events: report.events,
            files,
        },
    )?;
    log::info!(
        "{}: backed up {} events in {} files to {} ({} linked from {})",
        base.display(),
        report.events,
        report.files,
        dest.display(),
        report.linked,
        link_dest.map_or("no earlier backup".to_string(), |d| d.display().to_string())
    );
    Ok(report)
}

/// A generation's directory name: its time (so names sort in time order) and the pid of
/// the process writing it (so two processes never share one, and a dead one's leftover
/// is known for one).
fn generation_name(now: &DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

fn take_generation(
    base: &Path,
    io: &dyn StoreIo,
    now: &DateTime<Utc>,
    root: &Path,
    keep: u32,
) -> Result<(PathBuf, BackupReport)> {
    fs::create_dir_all(root).map_err(io_err("create directory", root))?;
    let complete: Vec<(String, PathBuf)> = list_dirs(root)?
        .into_iter()
        .filter(|(_, dir)| dir.join(BACKUP_MANIFEST).is_file())
        .collect();
    // Created here, not found free and created later: two generations started at one
    // moment (the timer, a cleanup's, the close's) never share a directory.
    let mut dest = root.join(generation_name(now));
    let mut n = 1;
    loop {
        match fs::create_dir(&dest) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                dest = root.join(format!("{}.{n}", generation_name(now)));
                n += 1;
            }
            Err(e) => return Err(Error::io("create directory", &dest, e)),
        }
    }
    // Held while the generation is written: pruning, in whichever process or PID
    // namespace, leaves alone an unfinished generation whose writer holds it.
    let writing = dest.join(WRITING);
    let writer = fs::File::create(&writing)
        .and_then(|f| f.acquire().map(|()| f))
        .map_err(|e| Error::io("lock", &writing, e))?;
    let report = backup_into(
        base,
        io,
        now,
        &dest,
        complete.last().map(|(_, dir)| dir.as_path()),
    )?;
    drop(writer);
    fs::remove_file(&writing).map_err(|e| Error::io("remove", &writing, e))?;
    prune_generations(root, keep)?;
    Ok((dest, report))
}

/// Removes the complete generations beyond the newest `keep`, and the incomplete ones
/// (no manifest) whose writer is no longer running.
fn prune_generations(root: &Path, keep: u32) -> Result<()> {
    let mut complete = Vec::new();
    for (_, dir) in list_dirs(root)? {
        if dir.join(BACKUP_MANIFEST).is_file() {
            complete.push(dir);
            continue;
        }
        let abandoned = fs::OpenOptions::new()
            .write(true)
            .open(dir.join(WRITING))
            .is_ok_and(|f| f.try_acquire().is_ok());
        if abandoned {
            log::info!(
                "removing {}, a backup its writer did not finish",
                dir.display()
            );
            file::remove_tree(&dir)?;
        }
    }
    let excess = complete.len().saturating_sub(keep as usize);
    for dir in &complete[..excess] {
        log::info!("removing {}, beyond the backups to keep", dir.display());
        file::remove_tree(dir)?;
    }
    Ok(())
}

/// Takes a backup generation every `backup.interval-minutes` (`backup-enabled`).
pub(super) fn spawn_backup_timer(
    base: PathBuf,
    io: Arc<dyn StoreIo>,
    clock: Arc<dyn Clock>,
    config: &Config,
) -> Periodic {
    let (root, keep) = (backup_root(config), config.backup_keep);
    Periodic::spawn(config.backup_interval, move || {
        if let Err(e) = take_generation(&base, &*io, &clock.now(), &root, keep) {
            log::error!("{}: the periodic backup failed: {e}", base.display());
        }
    })
}

/// Copies one aggregate directory under its shared lock.
fn backup_aggregate(
    io: &dyn StoreIo,
    agg_path: &Path,
    rel_dir: &str,
    target_dir: &Path,
    earlier: Option<(&Path, &HashMap<String, ManifestFile>)>,
    report: &mut BackupReport,
    files: &mut Vec<ManifestFile>,
) -> Result<()> {
    let dir_lock = file::open_dir_lock(agg_path)
        .and_then(|f| f.acquire_shared().map(|()| f))
        .map_err(io_err("lock", agg_path))?;
    let names = list_events(agg_path, Clean::Nothing)?;
    if names.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(target_dir).map_err(io_err("create directory", target_dir))?;
    // The long id's own file, and what a cleanup removed: without it the restored
    // aggregate's first version would look like a gap. The wrapped data key (or the mark
    // of its destruction): the backup stays encrypted, readable with the master key.
    for marker in [
        layout::LONG_ID_FILE,
        TRUNCATED_FILE,
        crate::crypto::KEY_FILE,
        crate::crypto::FORGOTTEN_FILE,
    ] {
        let Ok(bytes) = file::read_regular(&agg_path.join(marker)) else {
            continue;
        };
        write_new(&target_dir.join(marker), &bytes)?;
        files.push(ManifestFile {
            path: format!("{rel_dir}/{marker}"),
            bytes: bytes.len() as u64,
            crc32: crc32(&bytes),
            events: 0,
        });
        report.files += 1;
        report.bytes += bytes.len() as u64;
    }
    for (name, file_name) in names {
        let source = agg_path.join(&file_name);
        let mut bytes = io.read(&source).map_err(io_err("read", &source))?;
        // A segment a save is filling may end in a line a crash tore: never an event
        // (its save was not acknowledged), so the copy stops at the last whole line.
        if name.segment && !is_compressed(&source) {
            let whole = memchr::memrchr(b'\n', &bytes).map_or(0, |end| end + 1);
            bytes.truncate(whole);
        }
        let rel = format!("{rel_dir}/{file_name}");
        let entry = ManifestFile {
            path: rel.clone(),
            bytes: bytes.len() as u64,
            crc32: crc32(&bytes),
            events: events_in(&source, &name, &bytes)?,
        };
        let target = target_dir.join(&file_name);
        let linked = earlier.is_some_and(|(dir, manifest)| {
            manifest
                .get(&rel)
                .is_some_and(|old| old.bytes == entry.bytes && old.crc32 == entry.crc32)
                && fs::hard_link(dir.join(&rel), &target).is_ok()
        });
        if linked {
            report.linked += 1;
        } else {
            write_new(&target, &bytes)?;
        }
        report.files += 1;
        report.bytes += entry.bytes;
        report.events += entry.events;
        files.push(entry);
    }
    drop(dir_lock);
    Ok(())
}

impl EventStore {
    /// Copies the store's events into `dest` (created; it must be absent or empty) while
    /// other stores keep saving: every aggregate as it was at one moment (a prefix of
    /// it, read under its directory's shared lock), with a manifest of sizes and
    /// checksums written last. With `link_dest` (an earlier backup), each file it holds
    /// with the same size and checksum is hard-linked from it instead of copied, so a
    /// generation costs only what changed. The store itself is only read.
    pub fn backup(&self, dest: &Path, link_dest: Option<&Path>) -> Result<BackupReport> {
        if !is_absent_or_empty(dest)? {
            return Err(Error::Unavailable {
                reason: format!(
                    "{} is not empty: back up into a new or empty directory",
                    dest.display()
                ),
            });
        }
        backup_into(&self.base, &*self.io, &self.clock.now(), dest, link_dest)
    }

    /// Takes one automatic backup generation into the configured backup directory (see
    /// [`Config::backup_enabled`]), hard-linking from the latest one, and removes the
    /// generations beyond [`Config::backup_keep`]; returns the new generation's directory.
    pub fn backup_generation(&self) -> Result<(PathBuf, BackupReport)> {
        self.backup_generation_into(&backup_root(&self.config), self.config.backup_keep)
    }

    /// [`Self::backup_generation`] into the generations under `root`, keeping `keep`.
    pub fn backup_generation_into(
        &self,
        root: &Path,
        keep: u32,
    ) -> Result<(PathBuf, BackupReport)> {
        take_generation(&self.base, &*self.io, &self.clock.now(), root, keep.max(1))
    }

    /// Restores the backup in `backup` into `dest`: checks every file against the
    /// manifest, builds the store in a directory beside `dest`, opens it (which rebuilds
    /// the index and metadata), verifies it clean, and only then renames it to `dest`.
    /// `dest` must be absent or empty unless `replace` is set; a replaced directory is
    /// moved aside and removed once the restored store is in place. Interrupted, it
    /// leaves `dest` as it was (or, between the two renames of a replacement, absent with
    /// `<dest>.replaced-<pid>` beside it) and a `<dest>.restoring-<pid>` to remove.
    pub fn restore(backup: &Path, dest: &Path, replace: bool) -> Result<BackupReport> {
        let manifest = read_manifest(backup)?;
        let empty = is_absent_or_empty(dest)?;
        if !empty && !replace {
            return Err(Error::Unavailable {
                reason: format!(
                    "{} is not empty: restore into a new or empty directory, or ask to \
                     replace it (--force)",
                    dest.display()
                ),
            });
        }
        let sibling = |tag: &str| {
            let mut name = dest.file_name().unwrap_or_default().to_os_string();
            name.push(format!(".{tag}-{}", std::process::id()));
            dest.with_file_name(name)
        };
        let staging = sibling("restoring");
        if staging.exists() {
            file::remove_tree(&staging)?;
        }
        let result = Self::restore_into(backup, &manifest, &staging);
        let report = match result {
            Ok(report) => report,
            Err(e) => {
                let _ = file::remove_tree(&staging);
                return Err(e);
            }
        };
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if empty {
            // An empty directory is replaced by the rename itself.
            fs::rename(&staging, dest).map_err(io_err("rename", &staging))?;
        } else {
            let aside = sibling("replaced");
            fs::rename(dest, &aside).map_err(io_err("rename", dest))?;
            fs::rename(&staging, dest).map_err(io_err("rename", &staging))?;
            file::remove_tree(&aside)?;
        }
        // fsync the folder: the rename is what puts the restored store in place.
        file::open_dir(parent)
            .and_then(|d| file::sync_dir(&d))
            .map_err(io_err("sync", parent))?;
        log::info!(
            "restored {} events from {} into {}",
            report.events,
            backup.display(),
            dest.display()
        );
        Ok(report)
    }

    fn restore_into(backup: &Path, manifest: &Manifest, staging: &Path) -> Result<BackupReport> {
        let mut report = BackupReport::default();
        let mut record = None;
        fs::create_dir_all(staging).map_err(io_err("create directory", staging))?;
        for entry in &manifest.files {
            let rel = Path::new(&entry.path);
            // The manifest is input: a path that climbs out, or is absolute, is refused.
            let plain = rel
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !plain {
                return Err(Error::corrupt(
                    backup.join(BACKUP_MANIFEST),
                    format!(
                        "lists the path {:?}, which is not inside the backup",
                        entry.path
                    ),
                ));
            }
            let source = backup.join(rel);
            let bytes = file::read_regular(&source).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::corrupt(
                        &source,
                        "is listed in the backup's manifest but missing: the backup is \
                         damaged; restore another one",
                    )
                } else {
                    Error::io("read", &source, e)
                }
            })?;
            if bytes.len() as u64 != entry.bytes || crc32(&bytes) != entry.crc32 {
                return Err(Error::corrupt(
                    &source,
                    "differs from the backup's manifest (size or checksum): the backup is \
                     damaged; restore another one",
                ));
            }
            // The encryption record goes in once the copy is verified: the check opens it
            // without the key (it reads no event's data).
            if *rel == Path::new(layout::METADATA_DIR).join(crate::crypto::STORE_FILE) {
                record = Some(bytes);
                report.files += 1;
                report.bytes += entry.bytes;
                continue;
            }
            let target = staging.join(rel);
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
            }
            write_new(&target, &bytes)?;
            report.files += 1;
            report.bytes += entry.bytes;
            report.events += entry.events;
        }
        file::sync_file_system(staging).map_err(io_err("sync", staging))?;
        let store = EventStore::open(Config::new(staging))?;
        let problems = store.verify()?;
        let count = store.total_event_count()?;
        store.close()?;
        if let Some(bytes) = record {
            let target = staging
                .join(layout::METADATA_DIR)
                .join(crate::crypto::STORE_FILE);
            fs::write(&target, bytes).map_err(io_err("write", &target))?;
            file::sync_file_system(staging).map_err(io_err("sync", staging))?;
        }
        if !problems.is_empty() {
            // Named by the backup: the store built from it is removed.
            return Err(Error::corrupt(
                backup,
                format!(
                    "the restored store does not verify clean: {}",
                    problems.join("; ")
                ),
            ));
        }
        report.events = count;
        Ok(report)
    }
}
