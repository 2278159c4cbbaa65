//! `EventStore`: open, append (one event or a batch), the read APIs, health and verify.
//!
//! Invariants (see DESIGN.md section 3):
//! - Inside an aggregate, versions run 1, 2, 3 ... : every append happens under the
//!   aggregate's in-process mutex *and* an exclusive `flock` on its directory, and
//!   re-reads the directory under that lock, so threads and processes both serialize.
//! - An event file appears under its final name only complete: it is written to a dot
//!   temp file, synced, then renamed. Readers ignore dot files.
//! - The per-aggregate cache holds only what is derivable from the file names and the
//!   files themselves, and is checked against the directory listing on every use.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use crate::config::{Config, Durability};
use crate::error::{Error, NameKind, Result};
use crate::event::{Event, format_instant};
use crate::index::{self, Index};
use crate::io::{OsIo, StoreIo};
use crate::journal::{self, Journal};
use crate::layout::{self, FileName};
use crate::metadata::{
    AGGREGATE_TYPES, AggregateTypeEntry, AggregateTypesFile, MetadataLock, SCHEMA_VERSIONS,
    STATISTICS, SchemaVersionsFile, StorageStatistics,
};

/// Where "now" comes from; injectable so tests can step the clock backwards.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Result of [`EventStore::health`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// True when the store can be read and written.
    pub healthy: bool,
    /// What is wrong, each naming a path.
    pub problems: Vec<String>,
}

type AggKey = (String, String);

/// Aggregates whose names and versions a store keeps in memory; beyond this the idle
/// ones are dropped (and re-read from their directory when used again: a listing and,
/// for an aggregate without `.ids`, a parse of each of its files).
const MAX_CACHED_AGGREGATES: usize = 16_384;

/// Known events (a name, a version and an id each: a few hundred bytes) over all cached
/// aggregates beyond which the idle aggregates are dropped too: the count of aggregates
/// alone would let a store of large aggregates hold far more memory.
const MAX_CACHED_ENTRIES: usize = 262_144;

/// New aggregates between two checks of the cache's size.
const CACHE_CHECK_EVERY: usize = 1024;

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    version: u64,
    event_id: String,
    /// The parsed event, while the event cache holds it.
    body: Option<Arc<Cached>>,
}

/// A parsed event in the event cache. Event files never change once written, so a copy
/// stays right for as long as its name is in the aggregate's (re-checked) listing.
#[derive(Debug)]
struct Cached {
    event: Event,
    size: usize,
    account: Arc<AtomicUsize>,
}

impl Drop for Cached {
    fn drop(&mut self) {
        self.account.fetch_sub(self.size, Ordering::Relaxed);
    }
}

/// What the store knows of one aggregate directory, checked against it on every use.
#[derive(Debug, Default)]
struct AggState {
    dir: Option<PathBuf>,
    /// True for a directory named the way ByteHot's old adapter named it: it may hold
    /// events of colliding ids, so events are matched by their metadata, not the path.
    legacy: bool,
    /// Every event file name in the directory, sorted.
    listed: Vec<(FileName, String)>,
    /// This aggregate's events, in version order.
    entries: Vec<Entry>,
    ids: HashMap<String, usize>,
    /// `.ids` (inode, bytes) as far as `entries` reflects it; `None`: not in step.
    ids_file: Option<(u64, u64)>,
}

impl AggState {
    fn current_version(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.version)
    }

    fn last_event_id(&self) -> Option<&str> {
        self.entries.last().map(|e| e.event_id.as_str())
    }

    fn last_key(&self) -> Option<(u64, u16)> {
        self.listed.last().map(|(n, _)| n.sort_key())
    }
}

/// An embedded, file-per-event store rooted at one directory.
pub struct EventStore {
    base: PathBuf,
    metadata_dir: PathBuf,
    config: Config,
    clock: Arc<dyn Clock>,
    io: Arc<dyn StoreIo>,
    /// The write-ahead journal (unsynced with `durability = none`); `None` only while
    /// opening and after close.
    journal: Option<Arc<Journal>>,
    index: Index,
    aggregates: Mutex<HashMap<AggKey, Arc<Mutex<AggState>>>>,
    /// Set after a failed sync: what was written since the last good sync may be lost,
    /// so the store refuses writes until it is reopened.
    poisoned: Mutex<Option<String>>,
    known: Mutex<SchemaVersionsFile>,
    known_types: Mutex<AggregateTypesFile>,
    tmp_counter: AtomicU64,
    /// Bytes of events in the event cache (see [`Config::event_cache_bytes`]).
    cached_bytes: Arc<AtomicUsize>,
    /// The journal's syncing thread (`always`, `batch`); stopped and joined on drop.
    syncer: Option<journal::Syncer>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these leaves only caches behind, which are re-checked
    // against the directory on use, so a poisoned mutex is safe to keep using.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes a directory's entries (a created or renamed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, e))
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `<aggregate dir>/.ids`: one line per event file, `<file name> <eventId as JSON>`, in
/// name order, appended by the writer *before* it renames the files (under the directory
/// lock). It lets an aggregate be known without parsing its files: at first use, when
/// its names match the directory listing and its last line matches the last file; and
/// later, by reading only the lines appended since (each must name an existing file).
/// Anything else (a crash between the append and the rename, a hand edit) makes the
/// reader list and parse the directory instead, and the next writer rewrite the file.
const IDS_FILE: &str = ".ids";

/// The file earlier versions kept instead of `.ids`; left alone, accepted by `verify`.
const OLD_HEAD_FILE: &str = ".head";

/// Aggregates with at most this many event files have no `.ids`: listing and parsing
/// them costs about as much, and every file costs an inode and a block.
const IDS_FROM_EVENTS: usize = 16;

fn ids_line(name: &str, event_id: &str) -> String {
    let id = serde_json::Value::String(event_id.to_string());
    format!("{name} {id}\n")
}

fn parse_ids_line(line: &str) -> Option<(&str, String)> {
    let (name, id) = line.split_once(' ')?;
    Some((name, serde_json::from_str::<String>(id).ok()?))
}

/// The complete lines of `.ids` bytes; `None` when the last one is torn.
fn ids_lines(bytes: &[u8]) -> Option<Vec<(&str, String)>> {
    if bytes.last().is_some_and(|b| *b != b'\n') {
        return None;
    }
    std::str::from_utf8(bytes)
        .ok()?
        .lines()
        .map(parse_ids_line)
        .collect()
}

/// After `state` was rebuilt from the listing: the `.ids` file's (inode, bytes) when it
/// says exactly what `state` knows, so that the next refresh reads only its new lines
/// and the next write appends rather than rewrites (two processes that each rewrote the
/// other's file would otherwise never stop).
fn adopt_ids(file: Option<File>, state: &AggState) -> Option<(u64, u64)> {
    let mut file = file?;
    let meta = file.metadata().ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let lines = ids_lines(&bytes)?;
    let same = lines.len() == state.entries.len()
        && state.entries.len() == state.listed.len()
        && lines
            .iter()
            .zip(&state.entries)
            .all(|((name, id), e)| *name == e.name && *id == e.event_id);
    same.then_some((meta.ino(), bytes.len() as u64))
}

/// Records the names and ids about to be written, after those `state` knows: appended
/// when `state` has read the whole file, otherwise the file is rewritten. Only right
/// after a refresh under the directory's exclusive lock, which leaves `state.ids_file`
/// describing `.ids` as it is: no writer can have changed it since.
fn write_ids(dir: &Path, state: &mut AggState, new: &[(String, String)]) -> Result<()> {
    let path = dir.join(IDS_FILE);
    let current = state.ids_file;
    if state.legacy
        || (current.is_none()
            && state.entries.len() + new.len() <= IDS_FROM_EVENTS
            && !path.exists())
    {
        return Ok(());
    }
    let lines: String = new.iter().map(|(n, id)| ids_line(n, id)).collect();
    let fail = |e| Error::io("write", &path, e);
    if let Some((ino, len)) = current {
        let mut file = OpenOptions::new().append(true).open(&path).map_err(fail)?;
        file.write_all(lines.as_bytes()).map_err(fail)?;
        state.ids_file = Some((ino, len + lines.len() as u64));
        return Ok(());
    }
    let mut all: String = state
        .entries
        .iter()
        .map(|e| ids_line(&e.name, &e.event_id))
        .collect();
    all.push_str(&lines);
    let tmp = dir.join(format!(".ids.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<u64> {
        let mut file = File::create(&tmp)?;
        file.write_all(all.as_bytes())?;
        fs::rename(&tmp, &path)?;
        Ok(file.metadata()?.ino())
    };
    let ino = write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })?;
    state.ids_file = Some((ino, all.len() as u64));
    Ok(())
}

/// Takes the exclusive cross-process lock of an aggregate directory.
fn lock_dir(dir: &Path) -> Result<File> {
    File::open(dir)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|e| Error::io("lock", dir, e))
}

/// Reads and parses one event file; any failure names the file.
fn read_event_file(io: &dyn StoreIo, path: &Path) -> Result<Event> {
    read_event_file_sized(io, path).map(|(event, _)| event)
}

/// [`read_event_file`], with the file's size.
fn read_event_file_sized(io: &dyn StoreIo, path: &Path) -> Result<(Event, usize)> {
    parse_event_file(path, io.read(path))
}

/// The events in the files at `paths`, with their sizes, in order: read a few at a time
/// ([`StoreIo::read_many`]), so that files not in the page cache are fetched together,
/// and parsed before the next few are read, so that a long chunk holds only a few files'
/// bytes at once.
fn read_event_files(io: &dyn StoreIo, paths: &[PathBuf]) -> Vec<Result<(Event, usize)>> {
    let mut out = Vec::with_capacity(paths.len());
    for window in paths.chunks(crate::io::READ_AHEAD_FILES) {
        let read = io.read_many(window);
        if read.len() != window.len() {
            out.push(Err(Error::Unavailable {
                reason: format!(
                    "the store's I/O returned {} reads for {} files",
                    read.len(),
                    window.len()
                ),
            }));
            return out;
        }
        out.extend(
            window
                .iter()
                .zip(read)
                .map(|(path, bytes)| parse_event_file(path, bytes)),
        );
    }
    out
}

fn parse_event_file(path: &Path, bytes: std::io::Result<Vec<u8>>) -> Result<(Event, usize)> {
    let bytes = bytes.map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            Error::corrupt(path, "is a symbolic link; the store never follows links")
        } else {
            Error::io("read", path, e)
        }
    })?;
    Event::from_json(&bytes)
        .map(|event| (event, bytes.len()))
        .map_err(|e| Error::corrupt(path, e.to_string()))
}

/// The event files of an aggregate directory, in version order (missing directory:
/// none). Temp files of dead processes found on the way are removed: under `always` a
/// file is written under its temp name before its journal record is durable, so after a
/// machine crash one may remain that no journal names.
fn list_events(dir: &Path) -> Result<Vec<(FileName, String)>> {
    let all = index::dir_names(dir)?;
    remove_dead_temps(dir, &all)?;
    let mut names: Vec<(FileName, String)> = all
        .into_iter()
        .filter_map(|name| FileName::parse(&name).map(|parsed| (parsed, name)))
        .collect();
    names.sort_by(|a, b| {
        a.0.sort_key()
            .cmp(&b.0.sort_key())
            .then_with(|| a.1.cmp(&b.1))
    });
    Ok(names)
}

/// Sub-directories of `dir` that are not store internals (dot names) nor links.
fn list_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let (true, Some(name)) = (is_dir, entry.file_name().to_str())
            && !name.starts_with('.')
        {
            out.push((name.to_string(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Every file under `dir`, sorted; none when `dir` does not exist.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("list", &dir, e)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Symbolic links directly inside `dir`, as problems: the store never follows them, so
/// whatever they point at is invisible to it and must be reported, not skipped silently.
fn symlinks_in(dir: &Path) -> Result<Vec<String>> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            out.push(format!(
                "{}: is a symbolic link; the store never follows links",
                entry.path().display()
            ));
        }
    }
    Ok(out)
}

/// The writer's pid in the name of a temp file it leaves: `.<final name>.<pid>-<n>.tmp`,
/// or `.ids.<pid>.tmp` for a rewrite of `.ids`.
fn tmp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (final_name, owner) = rest.rsplit_once('.')?;
    match owner.split_once('-') {
        Some((pid, _)) => pid.parse().ok(),
        None if final_name == IDS_FILE.trim_start_matches('.') => owner.parse().ok(),
        None => None,
    }
}

/// Removes the temp files a dead writer left in `dir` (a live writer's stay).
fn remove_dead_temp_files(dir: &Path) -> Result<()> {
    remove_dead_temps(dir, &index::dir_names(dir)?)
}

/// Of `names` in `dir`, removes the temp files of dead writers (another reader may have
/// removed one already).
fn remove_dead_temps(dir: &Path, names: &[String]) -> Result<()> {
    for name in names {
        if tmp_owner(name).is_some_and(|owner| !journal::pid_alive(owner)) {
            let path = dir.join(name);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove temp file", &path, e));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Removes temp files a failed save staged; what cannot be removed is a dead writer's
/// leftover for the next listing.
fn remove_staged<P: AsRef<Path>>(tmps: impl IntoIterator<Item = P>) {
    for tmp in tmps {
        let _ = fs::remove_file(tmp);
    }
}

/// Threads that read the files of one query or aggregate read.
const QUERY_READERS: usize = 16;

/// Files per reader thread at least (fewer are read by the calling thread).
const QUERY_CHUNK_MIN: usize = 32;

/// `f` of every chunk of at least `min_chunk` items, concatenated in order, by up to
/// [`QUERY_READERS`] threads; the first error wins. Several threads keep both cores busy
/// when the files are cached, and more reads in flight when they are not.
fn in_parallel<T: Sync, X: Send>(
    items: &[T],
    min_chunk: usize,
    f: impl Fn(&[T]) -> Result<Vec<X>> + Sync,
) -> Result<Vec<X>> {
    let chunk = items.len().div_ceil(QUERY_READERS).max(min_chunk.max(1));
    if items.len() <= chunk {
        return f(items);
    }
    let parts: Vec<Result<Vec<X>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::Unavailable {
                        reason: "a reader thread panicked".to_string(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Files per reader thread at least when an aggregate's files are read: an aggregate's
/// files lie together, so fewer threads already keep the disk busy.
const AGGREGATE_CHUNK_MIN: usize = 16;

/// Serializes the recovery at open between processes (in the journal directory).
const RECOVERY_LOCK: &str = "recovery.lock";

/// Where an open puts the event files a power loss tore, under the base directory.
pub(crate) const LOST_DIR: &str = ".lost";

/// What an open knows after a power loss cut short writers under `batch` or `none`: the
/// event files their journals still name (restored whole by the replay before this), and
/// when the oldest of those journals was created.
///
/// Such a writer renamed files into place before their journal record was durable, so
/// the loss can leave a file with its name but not (all of) its bytes, that no record can
/// restore: a save from the interval the mode may lose. In each aggregate, a file that
/// does not parse, together with every file after it, is such a loss when all were
/// created since the oldest cut-short journal and none of them is named by a record of
/// an `always` or `batch` journal. Such a record is never set aside: it may be an
/// acknowledged durable save (`always`), and one writer's records are appended in
/// order, its checkpoints syncing the files before a new epoch, so it proves that
/// writer's earlier files durable (a torn file before it is then another writer's, or
/// other damage: left in place). A `none` checkpoint syncs nothing, so a `none` record
/// of a later epoch proves nothing, and the files after a torn one go with it. What is
/// set aside goes to `.lost/`, and the aggregate reads whole up to its last durable
/// save. Any other file that does not parse is left where it is, reported by reads and
/// `verify`.
struct PowerLoss {
    /// The files that records of `always` and `batch` journals name.
    journaled: std::collections::HashSet<String>,
    since: std::time::SystemTime,
}

impl PowerLoss {
    /// `None` when a cut-short journal's creation time cannot be known: nothing is then
    /// set aside.
    fn new(cut_short: &[&Path], vouching: Vec<String>) -> Option<Self> {
        let mut since: Option<std::time::SystemTime> = None;
        for journal in cut_short {
            let born = fs::metadata(journal).ok().and_then(|m| created(&m))?;
            since = Some(since.map_or(born, |s| s.min(born)));
        }
        Some(PowerLoss {
            journaled: vouching.into_iter().collect(),
            since: since?,
        })
    }

    /// Where the torn tail of one aggregate's files (in order; a schema version of `None`
    /// marks a file that did not parse) starts, if it has one.
    fn torn_tail(&self, files: &[(index::Entry, Option<u32>, PathBuf)]) -> Option<usize> {
        let from = files.iter().position(|(_, schema, _)| schema.is_none())?;
        // The file systems' creation times are coarse: a second of slack.
        let slack = std::time::Duration::from_secs(1);
        let cut_short = |(entry, _, path): &(index::Entry, Option<u32>, PathBuf)| {
            !self.journaled.contains(&entry.rel)
                && fs::symlink_metadata(path)
                    .ok()
                    .and_then(|m| created(&m))
                    .is_some_and(|born| born + slack >= self.since)
        };
        files[from..].iter().all(cut_short).then_some(from)
    }
}

/// A file's creation time, or its modification time where the file system keeps none.
/// Without creation times nothing is set aside in practice: a journal's modification
/// time is its last append, later than the files it saw created, so none qualifies.
fn created(meta: &fs::Metadata) -> Option<std::time::SystemTime> {
    meta.created().or_else(|_| meta.modified()).ok()
}

impl EventStore {
    /// Opens (creating if needed) the store described by `config`.
    pub fn open(config: Config) -> Result<EventStore> {
        EventStore::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Opens with an explicit clock (tests inject one that steps backwards).
    pub fn open_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<EventStore> {
        EventStore::open_with(config, clock, Arc::new(OsIo))
    }

    /// Opens with an explicit clock and I/O layer (tests inject faults through it).
    pub fn open_with(
        config: Config,
        clock: Arc<dyn Clock>,
        io: Arc<dyn StoreIo>,
    ) -> Result<EventStore> {
        let base = config.path.clone();
        let unusable = |what: &str, e: std::io::Error| Error::Unavailable {
            reason: format!("{what} {}: {e}", base.display()),
        };
        fs::create_dir_all(&base).map_err(|e| unusable("cannot create base directory", e))?;
        if !fs::metadata(&base)
            .map_err(|e| unusable("cannot read base directory", e))?
            .is_dir()
        {
            return Err(Error::Unavailable {
                reason: format!("{} is not a directory", base.display()),
            });
        }
        let metadata_dir = base.join(layout::METADATA_DIR);
        fs::create_dir_all(&metadata_dir)
            .map_err(|e| unusable("cannot create metadata directory in", e))?;
        let mut store = EventStore {
            index: Index::new(&base),
            base,
            metadata_dir,
            config,
            clock,
            io,
            journal: None,
            aggregates: Mutex::new(HashMap::new()),
            poisoned: Mutex::new(None),
            known: Mutex::new(SchemaVersionsFile::default()),
            known_types: Mutex::new(AggregateTypesFile::default()),
            tmp_counter: AtomicU64::new(0),
            cached_bytes: Arc::new(AtomicUsize::new(0)),
            syncer: None,
        };
        let journal = Arc::new(store.recover()?);
        store.syncer = match store.config.durability {
            Durability::Batch => Some(journal::spawn_batch_syncer(
                &journal,
                store.config.batch_interval,
            )),
            Durability::Always => journal::spawn_sync_ahead(&journal),
            Durability::None => None,
        };
        store.journal = Some(journal);
        Ok(store)
    }

    /// What every open does, one process at a time: finish what dead writers journaled,
    /// bring the index up to date with it, check the metadata files, and create this
    /// store's journal. Reads no event
    /// file unless a crash left the index unaccounted for (then it is rebuilt).
    fn recover(&self) -> Result<Journal> {
        let journal_dir = self.base.join(journal::JOURNAL_DIR);
        self.io
            .create_dir_all(&journal_dir)
            .map_err(|e| Error::io("create directory", &journal_dir, e))?;
        let lock_path = journal_dir.join(RECOVERY_LOCK);
        let _recovery = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .and_then(|f| f.lock().map(|()| f))
            .map_err(|e| Error::io("lock", &lock_path, e))?;
        index::remove_leftovers(&self.base)?;
        let mut rebuild = !self.index.is_complete();
        let journals = journal::abandoned_journals(&self.base)?;
        let mut replayed = Vec::new();
        let mut cut_short = Vec::new();
        let mut vouching = Vec::new();
        let mut kept = Vec::new();
        for (path, _owner_lock) in &journals {
            rebuild |= !journal::accounts_for_everything(path);
            if journal::cut_short_by_reboot(path) {
                cut_short.push(path.as_path());
            }
            let (events, complete) = self.replay_journal(path)?;
            if journal::checkpoints_sync(path) {
                vouching.extend(events.iter().map(|(e, _)| e.rel.clone()));
            }
            if !complete {
                kept.push(path.clone());
            }
            replayed.extend(events);
        }
        if rebuild {
            let loss = PowerLoss::new(&cut_short, vouching);
            self.rebuild_all(loss.as_ref())?;
        } else {
            self.index.repair(&replayed, self.durable())?;
            self.check_metadata()?;
        }
        // Retired only now: a crash before this line replays them again (idempotent). A
        // journal with records that could not be replayed is kept, set aside.
        for (path, _) in journals {
            if kept.contains(&path) {
                journal::sync_file_system(&self.base)
                    .map_err(|e| Error::io("sync", &self.base, e))?;
                self.set_aside(&path)?;
            } else {
                journal::retire(&self.base, &path)?;
            }
        }
        // Created under the recovery lock: a journal exists unlocked for a moment after
        // its creation, and another opener's scan for abandoned journals must not see it
        // then (it would replay and delete a live store's journal).
        Journal::create(&self.base, self.io.clone(), self.config.durability)
    }

    /// Finishes what one dead writer journaled: an acknowledged event whose file a crash
    /// lost or tore is written again; an event that was never acknowledged (its
    /// aggregate has moved on without it) is dropped. Returns the journal's events, each
    /// with whether its file exists now, for the index repair, and false when a record
    /// could not be settled because an earlier file of its aggregate does not parse (the
    /// journal is then kept, not deleted).
    fn replay_journal(&self, path: &Path) -> Result<(Vec<(index::Entry, bool)>, bool)> {
        let bytes = fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let (records, _) = journal::decode_records(&bytes);
        let records: Vec<(PathBuf, String, Event)> = records
            .into_iter()
            .filter_map(|(rel, content)| {
                let target = self.journaled_target(&rel)?;
                Event::from_json(content).ok().map(|e| (target, rel, e))
            })
            .collect();
        // Torn files first: a reader of an aggregate must be able to parse it all.
        for (target, _, event) in &records {
            if target.exists() && read_event_file(&*self.io, target).is_err() {
                let dir = target.parent().unwrap_or(&self.base);
                let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
                self.write_atomically(dir, name, &event.to_file_json())?;
            }
        }
        let mut dirs = std::collections::BTreeSet::new();
        let mut out = Vec::with_capacity(records.len());
        let mut complete = true;
        for (target, rel, event) in records {
            if !target.exists() {
                match self.replay_missing(&target, event.clone()) {
                    // Whether it follows its aggregate cannot be told: the open goes on,
                    // the reads report that file, and the record stays in the journal.
                    Err(Error::Corrupt { .. }) => complete = false,
                    other => other?,
                }
            }
            let size = fs::metadata(&target).ok().map(|m| m.len());
            out.push((
                index::Entry {
                    event_type: event.event_type,
                    timestamp: event.metadata.timestamp,
                    bytes: size.unwrap_or(0),
                    rel,
                },
                size.is_some(),
            ));
            if let Some(dir) = target.parent() {
                dirs.insert(dir.to_path_buf());
            }
        }
        for dir in dirs {
            remove_dead_temp_files(&dir)?;
        }
        Ok((out, complete))
    }

    /// The file a journal record names, if it is a well-formed event path in the store.
    fn journaled_target(&self, rel: &str) -> Option<PathBuf> {
        let parts: Vec<&str> = rel.split('/').collect();
        let [type_dir, id_dir, name] = parts.as_slice() else {
            return None;
        };
        let plain = |c: &str| !c.is_empty() && !c.starts_with('.') && !c.contains('\\');
        (plain(type_dir) && plain(id_dir) && *type_dir != layout::METADATA_DIR)
            .then_some(())
            .and(FileName::parse(name))
            .map(|_| self.base.join(type_dir).join(id_dir).join(name))
    }

    fn replay_missing(&self, target: &Path, event: Event) -> Result<()> {
        let key = (
            event.metadata.aggregate_type.clone(),
            event.metadata.aggregate_id.clone(),
        );
        let (dir, _, _) = self.resolve_dir(&key.0, &key.1)?;
        if Some(dir.as_path()) != target.parent() {
            return Ok(()); // a record that does not belong where it points: never ours
        }
        let state = self.state(&key);
        let mut state = lock(&state);
        if !dir.is_dir() {
            self.create_aggregate_dir(&key, &mut state)?;
        }
        let _dir_lock = lock_dir(&dir)?;
        self.refresh(&key, &mut state)?;
        let m = &event.metadata;
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let follows = m.aggregate_version == state.current_version() + 1
            && m.previous_event_id.as_deref() == state.last_event_id()
            && FileName::parse(name).is_some_and(|n| Some(n.sort_key()) > state.last_key());
        if follows && !state.ids.contains_key(&m.event_id) {
            write_ids(&dir, &mut state, &[(name.to_string(), m.event_id.clone())])?;
            self.write_atomically(&dir, name, &event.to_file_json())?;
            // The cached view does not hold this file: list the directory next time.
            state.ids_file = None;
        }
        Ok(())
    }

    /// The base directory.
    pub fn path(&self) -> &Path {
        &self.base
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn durable(&self) -> bool {
        self.config.durability != Durability::None
    }

    /// Walks every aggregate directory and reads every event file: rebuilds the index
    /// and every metadata file, and removes temp files of dead writers. Runs when the
    /// index is missing (a store written before it existed, or by hand) or when a crash
    /// under `batch`/`none` may have left files the journals do not account for.
    fn rebuild_all(&self, loss: Option<&PowerLoss>) -> Result<()> {
        let mut stats = StorageStatistics::default();
        let mut types = AggregateTypesFile::default();
        let mut schemas = SchemaVersionsFile::default();
        let mut entries = Vec::new();
        for (type_dir, type_path) in self.type_dirs()? {
            let name = layout::decode_component(&type_dir).unwrap_or_else(|| type_dir.clone());
            let per_type = stats.aggregate_types.entry(name.clone()).or_default();
            types.aggregate_types.push(AggregateTypeEntry {
                name,
                directory: type_dir.clone(),
            });
            for (agg_dir, agg_path) in list_dirs(&type_path)? {
                let mut found = Vec::new();
                for (name, file) in list_events(&agg_path)? {
                    let path = agg_path.join(&file);
                    let bytes = self
                        .io
                        .read(&path)
                        .map_err(|e| Error::io("read", &path, e))?;
                    // A file that does not parse is indexed by its name (type, no time):
                    // reads by type then report it, as `verify` does, instead of the open
                    // failing or the file vanishing from the queries.
                    let (event_type, timestamp, schema) = match Event::from_json(&bytes) {
                        Ok(event) => (
                            event.event_type,
                            event.metadata.timestamp,
                            Some(event.metadata.schema_version),
                        ),
                        Err(_) => (name.event_type, None, None),
                    };
                    let entry = index::Entry {
                        event_type,
                        timestamp,
                        bytes: bytes.len() as u64,
                        rel: format!("{type_dir}/{agg_dir}/{file}"),
                    };
                    found.push((entry, schema, path));
                }
                if let Some(from) = loss.and_then(|l| l.torn_tail(&found)) {
                    // Last file first: an open that dies halfway leaves the torn file in
                    // place for the next open to find, never a gap before later files.
                    for (_, _, path) in found.drain(from..).rev() {
                        self.set_aside(&path)?;
                    }
                }
                if !found.is_empty() {
                    per_type.aggregates += 1;
                }
                for (entry, schema, _) in found {
                    per_type.events += 1;
                    per_type.bytes += entry.bytes;
                    if let Some(version) = schema {
                        schemas
                            .event_types
                            .entry(entry.event_type.clone())
                            .or_default()
                            .insert(version);
                    }
                    entries.push(entry);
                }
            }
        }
        self.index.rebuild(&entries, self.durable())?;
        stats.updated_at = format_instant(&self.clock.now());
        stats.total();
        let meta = MetadataLock::acquire(&self.metadata_dir)?;
        meta.write(SCHEMA_VERSIONS, &schemas, self.durable())?;
        meta.write(AGGREGATE_TYPES, &types, self.durable())?;
        meta.write(STATISTICS, &stats, false)?;
        *lock(&self.known) = schemas;
        *lock(&self.known_types) = types;
        Ok(())
    }

    /// Moves a file of the store (an event file a power loss tore, one saved after it in
    /// its aggregate, or a journal that could not be replayed whole) to the same path
    /// under `.lost/`, out of the store's sight but not deleted.
    fn set_aside(&self, path: &Path) -> Result<()> {
        let rel = path.strip_prefix(&self.base).unwrap_or(path);
        let target = self.base.join(LOST_DIR).join(rel);
        if let Some(dir) = target.parent() {
            self.io
                .create_dir_all(dir)
                .map_err(|e| Error::io("create directory", dir, e))?;
        }
        // A second loss may tear a file of the same name again: both are kept.
        let mut free = target.clone();
        let mut n = 1;
        while free.exists() {
            let mut name = target.file_name().unwrap_or_default().to_os_string();
            name.push(format!(".{n}"));
            free = target.with_file_name(name);
            n += 1;
        }
        self.io
            .rename(path, &free)
            .map_err(|e| Error::io("set aside", path, e))
    }

    /// The cheap check of every open: each metadata file that is missing, unreadable or
    /// disagrees with the directories and the index is rebuilt.
    fn check_metadata(&self) -> Result<()> {
        let types = AggregateTypesFile {
            aggregate_types: self
                .type_dirs()?
                .into_iter()
                .map(|(directory, _)| AggregateTypeEntry {
                    name: layout::decode_component(&directory).unwrap_or_else(|| directory.clone()),
                    directory,
                })
                .collect(),
        };
        let indexed_types = self.index.event_types()?;
        let meta = MetadataLock::acquire(&self.metadata_dir)?;
        let believable = |s: &SchemaVersionsFile| s.event_types.keys().eq(indexed_types.iter());
        let schemas = match meta
            .read::<SchemaVersionsFile>(SCHEMA_VERSIONS)
            .filter(believable)
        {
            Some(s) => s,
            None => {
                let s = self.scan_schema_versions(&indexed_types)?;
                meta.write(SCHEMA_VERSIONS, &s, self.durable())?;
                s
            }
        };
        if meta.read::<AggregateTypesFile>(AGGREGATE_TYPES).as_ref() != Some(&types) {
            meta.write(AGGREGATE_TYPES, &types, self.durable())?;
        }
        if meta.read::<StorageStatistics>(STATISTICS).is_none() {
            meta.write(STATISTICS, &self.statistics_from_index()?, false)?;
        }
        *lock(&self.known) = schemas;
        *lock(&self.known_types) = types;
        Ok(())
    }

    /// Schema versions of the given event types, from their events (found by the index).
    fn scan_schema_versions(&self, event_types: &[String]) -> Result<SchemaVersionsFile> {
        let mut out = SchemaVersionsFile::default();
        for t in event_types {
            for event in self.read_by_type(t)? {
                out.event_types
                    .entry(event.event_type)
                    .or_default()
                    .insert(event.metadata.schema_version);
            }
        }
        Ok(out)
    }

    /// Statistics from the index's records (no event file is read).
    fn statistics_from_index(&self) -> Result<StorageStatistics> {
        let mut stats = StorageStatistics::default();
        let mut aggregates = std::collections::HashSet::new();
        for record in self.index.all()? {
            let mut parts = record.rel.splitn(3, '/');
            let (Some(type_dir), Some(id_dir)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = layout::decode_component(type_dir).unwrap_or_else(|| type_dir.to_string());
            let per_type = stats.aggregate_types.entry(name).or_default();
            per_type.events += 1;
            per_type.bytes += record.bytes;
            if aggregates.insert((type_dir.to_string(), id_dir.to_string())) {
                per_type.aggregates += 1;
            }
        }
        stats.total();
        stats.updated_at = format_instant(&self.clock.now());
        Ok(stats)
    }

    /// Recomputes `storage-statistics.json` from the index (done at close too).
    pub fn refresh_statistics(&self) -> Result<StorageStatistics> {
        let stats = self.statistics_from_index()?;
        MetadataLock::acquire(&self.metadata_dir)?.write(STATISTICS, &stats, false)?;
        Ok(stats)
    }

    /// Aggregate type directories (everything at the top but `metadata` and dot names).
    fn type_dirs(&self) -> Result<Vec<(String, PathBuf)>> {
        Ok(list_dirs(&self.base)?
            .into_iter()
            .filter(|(name, _)| name != layout::METADATA_DIR)
            .collect())
    }

    fn check_writable(&self) -> Result<()> {
        match lock(&self.poisoned).as_ref() {
            Some(reason) => Err(Error::Unavailable {
                reason: format!(
                    "writes refused after an earlier failure ({reason}); reopen the store"
                ),
            }),
            None => Ok(()),
        }
    }

    /// Records a failed sync: what was written since the last good one may be lost
    /// whatever a later sync says (the "fsyncgate" lesson), so writes stop until reopen.
    fn poison(&self, error: Error) -> Error {
        let reason = lock(&self.poisoned)
            .get_or_insert_with(|| error.to_string())
            .clone();
        // Nor may a checkpoint (another thread's, or the application's) start the journal
        // over: what the failure left unknown is settled by replaying it at the next open.
        if let Some(journal) = &self.journal {
            journal.refuse(&reason);
        }
        error
    }

    fn state(&self, key: &AggKey) -> Arc<Mutex<AggState>> {
        let mut aggregates = lock(&self.aggregates);
        // Checked every so many new aggregates, not at every insert: a batch that holds
        // thousands of aggregates at once must not pay for a check per aggregate.
        if !aggregates.is_empty()
            && aggregates.len().is_multiple_of(CACHE_CHECK_EVERY)
            && !aggregates.contains_key(key)
        {
            let full = aggregates.len() >= MAX_CACHED_AGGREGATES
                || aggregates
                    .values()
                    .map(|s| s.try_lock().map_or(0, |s| s.entries.len()))
                    .sum::<usize>()
                    > MAX_CACHED_ENTRIES;
            // The cache is only a shortcut (it is re-checked against the directory on every
            // use), so idle entries can go at any time; one in use is shared and stays.
            if full {
                aggregates.retain(|_, state| Arc::strong_count(state) > 1);
            }
        }
        aggregates.entry(key.clone()).or_default().clone()
    }

    /// The directory an aggregate lives in: its own encoded name, or the directory
    /// ByteHot's old adapter made for it, or (for a new aggregate) its own.
    fn resolve_dir(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<(PathBuf, bool, bool)> {
        let type_path = self.base.join(layout::aggregate_type_dir(aggregate_type)?);
        let (id_dir, hashed) = layout::aggregate_id_dir(aggregate_id)?;
        let primary = type_path.join(&id_dir);
        if is_symlink(&type_path) || is_symlink(&primary) {
            return Err(Error::corrupt(
                &primary,
                "is a symbolic link; the store never follows links",
            ));
        }
        if !primary.is_dir()
            && let Some(legacy) = layout::legacy_id_dir(aggregate_id).filter(|l| *l != id_dir)
        {
            let legacy_path = type_path.join(&legacy);
            if legacy_path.is_dir()
                && !is_symlink(&legacy_path)
                && self.is_legacy_home(&legacy_path, &legacy, aggregate_type, aggregate_id)?
            {
                return Ok((legacy_path, true, false));
            }
        }
        if hashed && primary.is_dir() {
            let marker = primary.join(layout::LONG_ID_FILE);
            let stored = fs::read_to_string(&marker).map_err(|e| Error::io("read", &marker, e))?;
            if stored != aggregate_id {
                return Err(Error::invalid_name(
                    NameKind::AggregateId,
                    aggregate_id,
                    "collides with another long id's hashed directory",
                ));
            }
        }
        Ok((primary, false, hashed))
    }

    /// Whether `dir` (named `name`, the old adapter's name for the id) holds the id's
    /// events. A name that is no id's canonical name was made by the old adapter; a
    /// canonical one (`%2F` is the id `/`'s own directory, and the old name of the id
    /// `%2F`) counts only if one of its events names the id.
    fn is_legacy_home(&self, dir: &Path, name: &str, ty: &str, id: &str) -> Result<bool> {
        if layout::decode_component(name).is_none() {
            return Ok(true);
        }
        for (_, file) in list_events(dir)? {
            let m = read_event_file(&*self.io, &dir.join(file))?.metadata;
            if m.aggregate_type == ty && m.aggregate_id == id {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The names written after the cache's last one, from the lines `.ids` gained since
    /// `state` read it, when each names an existing file that sorts after the cache;
    /// `None` when the directory must be listed. With them, the length of `.ids` they end
    /// at.
    fn names_after_cache(
        &self,
        dir: &Path,
        state: &AggState,
    ) -> Option<(Vec<(FileName, String)>, u64)> {
        let (ino, len) = state.ids_file?;
        let (_, last) = state.listed.last()?;
        let path = dir.join(IDS_FILE);
        // The common case, nothing written since, costs one `stat` and no descriptor.
        let meta = fs::metadata(&path).ok()?;
        if meta.ino() != ino || meta.len() < len {
            return None;
        }
        if meta.len() == len {
            return Some((Vec::new(), len));
        }
        let mut file = File::open(&path).ok()?;
        if file.metadata().ok()?.ino() != ino {
            return None;
        }
        let mut grown = Vec::new();
        file.seek(SeekFrom::Start(len)).ok()?;
        file.read_to_end(&mut grown).ok()?;
        let mut after = FileName::parse(last)?.sort_key();
        let names = ids_lines(&grown)?
            .into_iter()
            .map(|(name, _)| {
                let parsed = FileName::parse(name).filter(|p| p.sort_key() > after)?;
                after = parsed.sort_key();
                dir.join(name).exists().then(|| (parsed, name.to_string()))
            })
            .collect::<Option<Vec<_>>>()?;
        Some((names, len + grown.len() as u64))
    }

    /// First use of an aggregate with an `.ids` file that agrees with the listing and
    /// with its last file: knows every name, version and id after parsing one file.
    /// Returns false (state untouched) when the files must be parsed instead.
    fn load_ids(&self, key: &AggKey, dir: &Path, state: &mut AggState) -> Result<bool> {
        if state.legacy || !state.listed.is_empty() {
            return Ok(false);
        }
        let names = list_events(dir)?;
        if names.len() <= IDS_FROM_EVENTS {
            return Ok(false);
        }
        let path = dir.join(IDS_FILE);
        let Ok(mut file) = File::open(&path) else {
            return Ok(false);
        };
        // Both are asked for before either is read: on a cold directory the last file
        // then arrives with `.ids` instead of in a second wait after it.
        crate::io::will_need(&file);
        if let Some(last) = names.last().and_then(|(_, n)| File::open(dir.join(n)).ok()) {
            crate::io::will_need(&last);
        }
        let mut bytes = Vec::new();
        let Ok(meta) = file
            .metadata()
            .and_then(|m| file.read_to_end(&mut bytes).map(|_| m))
        else {
            return Ok(false);
        };
        let Some(lines) = ids_lines(&bytes) else {
            return Ok(false);
        };
        let agrees = lines.len() == names.len()
            && lines
                .iter()
                .zip(&names)
                .all(|((l, _), (_, n))| *l == n.as_str());
        let (Some((last_name, last_id)), true) = (lines.last(), agrees) else {
            return Ok(false);
        };
        let (last_event, size) = read_event_file_sized(&*self.io, &dir.join(last_name))?;
        let m = &last_event.metadata;
        if m.aggregate_type != key.0
            || m.aggregate_id != key.1
            || m.aggregate_version != lines.len() as u64
            || m.event_id != *last_id
        {
            return Ok(false);
        }
        state.entries = lines
            .iter()
            .enumerate()
            .map(|(i, (name, id))| Entry {
                name: name.to_string(),
                version: i as u64 + 1,
                event_id: id.clone(),
                body: None,
            })
            .collect();
        state.ids = lines
            .into_iter()
            .enumerate()
            .map(|(i, (_, id))| (id, i))
            .collect();
        if let Some(last) = state.entries.last_mut() {
            last.body = self.cache(last_event, size);
        }
        state.listed = names;
        state.ids_file = Some((meta.ino(), bytes.len() as u64));
        Ok(true)
    }

    fn refresh(&self, key: &AggKey, state: &mut AggState) -> Result<()> {
        self.refresh_for(key, state, false, false)
    }

    /// [`Self::refresh`] of an aggregate whose directory, `state.dir`, the caller has
    /// open (its lock): it exists, so it is not looked up again.
    fn refresh_locked(&self, key: &AggKey, state: &mut AggState) -> Result<()> {
        self.refresh_for(key, state, false, true)
    }

    /// [`Self::refresh`]; `whole` when the caller is about to read every event anyway:
    /// a first use then parses the files (all at once) instead of believing `.ids` and
    /// parsing its last file first, which would only add two reads in a row. `dir_open`
    /// as in [`Self::refresh_locked`].
    fn refresh_for(
        &self,
        key: &AggKey,
        state: &mut AggState,
        whole: bool,
        dir_open: bool,
    ) -> Result<()> {
        if state.dir.is_none() || !(dir_open || state.dir.as_ref().is_some_and(|d| d.is_dir())) {
            let (dir, legacy, _) = self.resolve_dir(&key.0, &key.1)?;
            *state = AggState {
                dir: Some(dir),
                legacy,
                ..AggState::default()
            };
        }
        let Some(dir) = state.dir.clone() else {
            return Ok(());
        };
        if !whole && self.load_ids(key, &dir, state)? {
            return Ok(());
        }
        // The lines `.ids` gained count as read only once the files they name are parsed:
        // a failure on the way leaves them for the next refresh, which would otherwise
        // find nothing new and serve (and append after) the shorter history.
        let mut ids_caught_up = None;
        let skip = match self.names_after_cache(&dir, state) {
            // Only what follows the cache.
            Some((newer, ids_len)) => {
                ids_caught_up = state.ids_file.map(|(ino, _)| (ino, ids_len));
                (newer, 0)
            }
            None => {
                state.ids_file = None;
                let names = list_events(&dir)?;
                let known = state.listed.len();
                // Files are never removed, so the cache must be a prefix of the listing;
                // if it is not (a person edited the directory), start over.
                let is_prefix = known <= names.len()
                    && state
                        .listed
                        .last()
                        .is_none_or(|(_, last)| names[known - 1].1 == *last);
                if !is_prefix {
                    state.listed.clear();
                    state.entries.clear();
                    state.ids.clear();
                }
                let skip = state.listed.len();
                (names, skip)
            }
        };
        let (names, skip) = skip;
        let names: Vec<(FileName, String)> = names.into_iter().skip(skip).collect();
        // `.ids` is read after the files, to be adopted: asked for now, it arrives with
        // them rather than as one more wait after them on a cold directory.
        let ids = (state.ids_file.is_none() && !state.legacy)
            .then(|| File::open(dir.join(IDS_FILE)).ok())
            .flatten()
            .inspect(crate::io::will_need);
        // All of them are parsed: with several threads, so that a cold directory keeps
        // several reads in flight.
        let read = in_parallel(&names, AGGREGATE_CHUNK_MIN, |part| {
            let paths: Vec<PathBuf> = part.iter().map(|(_, name)| dir.join(name)).collect();
            read_event_files(&*self.io, &paths).into_iter().collect()
        })?;
        for ((parsed, name), (event, size)) in names.into_iter().zip(read) {
            let path = dir.join(&name);
            let m = &event.metadata;
            let mine = m.aggregate_type == key.0 && m.aggregate_id == key.1;
            // The old adapter put `a/b` and `a_b` in one directory, which may also be
            // the canonical directory of `a_b`: such a neighbour is not corruption.
            let old_neighbour = m.aggregate_type == key.0
                && layout::legacy_id_dir(&m.aggregate_id).as_deref()
                    == dir.file_name().and_then(|n| n.to_str());
            if !mine && !state.legacy && !old_neighbour {
                return Err(Error::corrupt(
                    &path,
                    format!(
                        "its metadata names aggregate {}/{} but it lies in the directory of {}/{}",
                        m.aggregate_type, m.aggregate_id, key.0, key.1
                    ),
                ));
            }
            // A missing file (lost, or removed by hand) must not pass for a history: a
            // reader rebuilding state from it would silently skip an event.
            if mine && m.aggregate_version != state.current_version() + 1 {
                return Err(Error::corrupt(
                    &path,
                    format!(
                        "version {} follows version {}: an event file of {}/{} is missing",
                        m.aggregate_version,
                        state.current_version(),
                        key.0,
                        key.1
                    ),
                ));
            }
            if mine {
                state.ids.insert(m.event_id.clone(), state.entries.len());
                state.entries.push(Entry {
                    name: name.clone(),
                    version: m.aggregate_version,
                    event_id: m.event_id.clone(),
                    body: None,
                });
                if let Some(last) = state.entries.last_mut() {
                    last.body = self.cache(event, size);
                }
            }
            state.listed.push((parsed, name));
        }
        if ids_caught_up.is_some() {
            state.ids_file = ids_caught_up;
        } else if state.ids_file.is_none() && !state.legacy {
            state.ids_file = adopt_ids(ids, state);
        }
        Ok(())
    }

    /// Appends one event; returns it as stored (version, previous id, timestamp filled).
    pub fn append(&self, event: Event) -> Result<Event> {
        let mut stored = self.append_batch(vec![event])?;
        stored
            .pop()
            .ok_or_else(|| Error::invalid_event("events", "batch of one returned nothing"))
    }

    /// Appends a batch. Every event is validated, and every aggregate's versions checked,
    /// before anything is written: one bad event or conflict writes nothing. Events of an
    /// already stored `eventId` are not written again; their stored copy is returned.
    pub fn append_batch(&self, events: Vec<Event>) -> Result<Vec<Event>> {
        self.check_writable()?;
        let mut groups: BTreeMap<AggKey, Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            layout::check_event_type(&e.event_type)?;
            layout::aggregate_type_dir(&e.metadata.aggregate_type)?;
            layout::aggregate_id_dir(&e.metadata.aggregate_id)?;
            if e.metadata.event_id.is_empty() {
                return Err(Error::invalid_event(
                    format!("events[{i}].eventMetadata.eventId"),
                    "must not be empty",
                ));
            }
            groups
                .entry((
                    e.metadata.aggregate_type.clone(),
                    e.metadata.aggregate_id.clone(),
                ))
                .or_default()
                .push(i);
        }
        // Locks are taken in key order, so two batches never wait on each other in a cycle.
        let states: Vec<(AggKey, Arc<Mutex<AggState>>)> =
            groups.keys().map(|k| (k.clone(), self.state(k))).collect();
        let mut guards: Vec<MutexGuard<'_, AggState>> =
            states.iter().map(|(_, s)| lock(s)).collect();
        let mut dir_locks = Vec::with_capacity(states.len());
        let mut plans = Vec::with_capacity(states.len());
        let mut out: Vec<Option<Event>> = vec![None; events.len()];
        for (((key, _), state), indices) in
            states.iter().zip(guards.iter_mut()).zip(groups.values())
        {
            // A known directory is listed once, under its lock, below: listing is O(events).
            let mut exists = state.dir.as_ref().is_some_and(|d| d.is_dir());
            if !exists {
                self.refresh(key, state)?;
                exists = state.dir.as_ref().is_some_and(|d| d.is_dir());
            }
            // Plan once without the directory lock to reject conflicts on new aggregates
            // before creating anything, then again under the lock, which is what counts.
            if !exists {
                self.plan(key, state, &events, indices, None)?;
                self.create_aggregate_dir(key, state)?;
            }
            // Per directory of the batch: its lock and the last name planned in it. Two ids
            // can share a directory (ByteHot's old adapter put `a/b` and `a_b` in one): a
            // second `flock` of it would wait for the first, and the same stamp and type
            // would name the same file.
            let dir = state.dir.clone().unwrap_or_default();
            let at = match dir_locks.iter().position(|(locked, _, _)| *locked == dir) {
                Some(at) => at,
                None => {
                    let lock = lock_dir(&dir)?;
                    dir_locks.push((dir, lock, None));
                    dir_locks.len() - 1
                }
            };
            self.refresh_locked(key, state)?;
            let plan = self.plan(key, state, &events, indices, dir_locks[at].2)?;
            let last = plan.iter().rev().find_map(|step| match step {
                Planned::New(_, name, _) => Some(name.sort_key()),
                _ => None,
            });
            dir_locks[at].2 = dir_locks[at].2.max(last);
            plans.push(plan);
        }
        let ticket = self.journal_plans(&guards, &plans)?;
        // Once journaled, a failure leaves the outcome unknown: stop writing (the journal
        // stays behind for the next open to settle).
        let failed = |e| if ticket.is_some() { self.poison(e) } else { e };
        // The files are written under temporary names while the journal syncs, and
        // renamed into place only once it is durable: no reader sees an event that a
        // crash could take back, and a save waits for one sync rather than a sync and
        // then its writes.
        let mut staged: Vec<Vec<PathBuf>> = Vec::with_capacity(plans.len());
        for (state, plan) in guards.iter_mut().zip(&plans) {
            match self.stage_plan(state, plan) {
                Ok(tmps) => staged.push(tmps),
                Err(e) => {
                    remove_staged(staged.iter().flatten());
                    return Err(failed(e));
                }
            }
        }
        if let Some(ticket) = &ticket
            && self.config.durability == Durability::Always
            && let Err(e) = ticket.wait_durable()
        {
            remove_staged(staged.iter().flatten());
            return Err(self.poison(e));
        }
        let mut indexed = Vec::new();
        let mut staged = staged.into_iter();
        for ((state, plan), indices) in guards.iter_mut().zip(plans).zip(groups.values()) {
            let tmps = staged.next().unwrap_or_default();
            let written = self
                .commit_plan(state, plan, tmps, &mut indexed)
                .map_err(|e| {
                    remove_staged(staged.by_ref().flatten());
                    failed(e)
                })?;
            for (slot, event) in indices.iter().zip(written) {
                out[*slot] = Some(event);
            }
        }
        // Before the ticket goes: until then no checkpoint can empty the journal, which
        // is what tells the next open which lines a crash here may have lost.
        self.index.append(&indexed).map_err(|e| self.poison(e))?;
        drop(ticket);
        drop(dir_locks);
        drop(guards);
        if let Some(journal) = &self.journal
            && journal.wants_checkpoint()
        {
            journal.checkpoint()?;
        }
        self.note_schema_versions(&events)?;
        self.trim_cache();
        out.into_iter()
            .map(|e| e.ok_or_else(|| Error::invalid_event("events", "an event was not planned")))
            .collect()
    }

    /// Decides, for each event of one aggregate, whether it is a retry of a stored event
    /// or a new one, and what version, previous id, timestamp and file name it gets. New
    /// names sort after the directory's last file and after `floor`.
    fn plan(
        &self,
        key: &AggKey,
        state: &AggState,
        events: &[Event],
        indices: &[usize],
        floor: Option<(u64, u16)>,
    ) -> Result<Vec<Planned>> {
        let mut version = state.current_version();
        let mut last_id = state.last_event_id().map(str::to_string);
        let mut last_key = state.last_key().max(floor);
        let mut pending: HashMap<&str, usize> = HashMap::new();
        let mut plan = Vec::with_capacity(indices.len());
        let conflict = |expected: u64, actual: u64, detail: String| Error::Conflict {
            aggregate_type: key.0.clone(),
            aggregate_id: key.1.clone(),
            expected_version: expected,
            actual_version: actual,
            detail,
        };
        for &i in indices {
            let e = &events[i];
            let m = &e.metadata;
            if let Some(&at) = state.ids.get(&m.event_id) {
                plan.push(Planned::Stored(
                    state
                        .dir
                        .clone()
                        .unwrap_or_default()
                        .join(&state.entries[at].name),
                ));
                continue;
            }
            if let Some(&at) = pending.get(m.event_id.as_str()) {
                plan.push(Planned::SameAs(at));
                continue;
            }
            if m.aggregate_version != 0 && m.aggregate_version != version + 1 {
                return Err(conflict(
                    m.aggregate_version - 1,
                    version,
                    format!(
                        "event {} carries version {}, the next version is {}",
                        m.event_id,
                        m.aggregate_version,
                        version + 1
                    ),
                ));
            }
            if let Some(prev) = &m.previous_event_id
                && Some(prev) != last_id.as_ref()
            {
                let expected = state
                    .ids
                    .get(prev)
                    .map_or(0, |&at| state.entries[at].version);
                return Err(conflict(
                    expected,
                    version,
                    format!(
                        "event {} names previous event {prev}, the last event is {}",
                        m.event_id,
                        last_id.as_deref().unwrap_or("none")
                    ),
                ));
            }
            let timestamp = m.timestamp.unwrap_or_else(|| self.clock.now());
            let stamp = layout::time_to_stamp(&timestamp).ok_or_else(|| {
                Error::invalid_event(
                    "eventMetadata.timestamp",
                    "must lie in the years 0000 to 9999",
                )
            })?;
            let name = layout::next_name(last_key, stamp, &e.event_type).ok_or_else(|| {
                Error::invalid_event("eventMetadata.timestamp", "no file name after 9999")
            })?;
            version += 1;
            let mut stored = e.clone();
            stored.metadata.aggregate_version = version;
            stored.metadata.previous_event_id = last_id.clone();
            stored.metadata.timestamp = Some(timestamp);
            last_key = Some(name.sort_key());
            last_id = Some(m.event_id.clone());
            pending.insert(m.event_id.as_str(), plan.len());
            let bytes = stored.to_file_json();
            if bytes.len() > self.config.max_event_size {
                return Err(Error::invalid_event(
                    format!("events[{i}].eventData"),
                    format!(
                        "event {} is {} bytes, over max-event-size-bytes = {}",
                        m.event_id,
                        bytes.len(),
                        self.config.max_event_size
                    ),
                ));
            }
            plan.push(Planned::New(Box::new(stored), name, bytes));
        }
        Ok(plan)
    }

    /// Journals every new file of the batch in one record group and, with `always`,
    /// waits until the journal is synced (shared with concurrent saves).
    fn journal_plans(
        &self,
        guards: &[MutexGuard<'_, AggState>],
        plans: &[Vec<Planned>],
    ) -> Result<Option<journal::Ticket<'_>>> {
        let Some(journal) = &self.journal else {
            return Ok(None);
        };
        let mut records = Vec::new();
        for (state, plan) in guards.iter().zip(plans) {
            let dir = state.dir.as_deref().unwrap_or(&self.base);
            let rel = dir
                .strip_prefix(&self.base)
                .unwrap_or(dir)
                .to_string_lossy();
            for step in plan {
                if let Planned::New(_, name, bytes) = step {
                    records.extend(journal::encode_record(
                        &format!("{rel}/{}", name.render()),
                        bytes,
                    ));
                }
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        journal.append(records).map(Some)
    }

    fn create_aggregate_dir(&self, key: &AggKey, state: &mut AggState) -> Result<()> {
        let (dir, legacy, hashed) = self.resolve_dir(&key.0, &key.1)?;
        let type_path = dir.parent().map(Path::to_path_buf).unwrap_or_default();
        let new_type = !type_path.is_dir();
        self.io
            .create_dir_all(&dir)
            .map_err(|e| Error::io("create directory", &dir, e))?;
        if hashed {
            let marker = dir.join(layout::LONG_ID_FILE);
            if !marker.exists() {
                self.write_atomically(&dir, layout::LONG_ID_FILE, key.1.as_bytes())?;
            }
        }
        if new_type {
            self.note_aggregate_type(&key.0)?;
        }
        *state = AggState {
            dir: Some(dir),
            legacy,
            ..AggState::default()
        };
        Ok(())
    }

    fn tmp_name(&self, name: &str) -> String {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        format!(".{name}.{}-{n}.tmp", std::process::id())
    }

    /// Writes `bytes` to `dir/name` so that it appears whole or not at all. Not synced:
    /// the journal makes event files recoverable, and a checkpoint makes them durable.
    fn write_atomically(&self, dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
        let tmp = dir.join(self.tmp_name(name));
        let target = dir.join(name);
        let result = self
            .io
            .create_and_write(&tmp, bytes)
            .map_err(|e| Error::io("write", &tmp, e))
            .and_then(|_| {
                self.io
                    .rename(&tmp, &target)
                    .map_err(|e| Error::io("rename", &target, e))
            });
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Before the journal is durable: records the new names in `.ids` and writes each new
    /// event file under a temporary name. Returns those names, in plan order; on failure
    /// none is left behind.
    fn stage_plan(&self, state: &mut AggState, plan: &[Planned]) -> Result<Vec<PathBuf>> {
        let dir = state.dir.clone().unwrap_or_default();
        let new_names: Vec<(String, String)> = plan
            .iter()
            .filter_map(|step| match step {
                Planned::New(event, name, _) => {
                    Some((name.render(), event.metadata.event_id.clone()))
                }
                _ => None,
            })
            .collect();
        if new_names.is_empty() {
            return Ok(Vec::new());
        }
        write_ids(&dir, state, &new_names)?;
        let mut tmps = Vec::with_capacity(new_names.len());
        for step in plan {
            if let Planned::New(_, name, bytes) = step {
                let tmp = dir.join(self.tmp_name(&name.render()));
                if let Err(e) = self.io.create_and_write(&tmp, bytes) {
                    remove_staged(tmps.iter().chain([&tmp]));
                    return Err(Error::io("write", &tmp, e));
                }
                tmps.push(tmp);
            }
        }
        Ok(tmps)
    }

    /// Once the journal is durable (or at once, without `always`): renames the files
    /// [`Self::stage_plan`] wrote into place, in plan order, and records them in `state`
    /// and in `indexed`. On failure the temporary files not yet renamed are removed.
    fn commit_plan(
        &self,
        state: &mut AggState,
        plan: Vec<Planned>,
        tmps: Vec<PathBuf>,
        indexed: &mut Vec<index::Entry>,
    ) -> Result<Vec<Event>> {
        let dir = state.dir.clone().unwrap_or_default();
        let rel = dir
            .strip_prefix(&self.base)
            .unwrap_or(&dir)
            .to_string_lossy()
            .to_string();
        let mut out: Vec<Event> = Vec::with_capacity(plan.len());
        let mut tmps = tmps.into_iter();
        for step in plan {
            let event = match step {
                Planned::Stored(path) => read_event_file(&*self.io, &path),
                Planned::SameAs(at) => Ok(out[at].clone()),
                Planned::New(event, name, bytes) => {
                    let file = name.render();
                    let target = dir.join(&file);
                    let renamed = match tmps.next() {
                        Some(tmp) => self.io.rename(&tmp, &target).map_err(|e| {
                            let _ = fs::remove_file(&tmp);
                            Error::io("rename", &target, e)
                        }),
                        None => Err(Error::Unavailable {
                            reason: format!("{} was not staged", target.display()),
                        }),
                    };
                    renamed.map(|()| {
                        indexed.push(index::Entry {
                            event_type: event.event_type.clone(),
                            timestamp: event.metadata.timestamp,
                            bytes: bytes.len() as u64,
                            rel: format!("{rel}/{file}"),
                        });
                        state
                            .ids
                            .insert(event.metadata.event_id.clone(), state.entries.len());
                        state.entries.push(Entry {
                            name: file.clone(),
                            version: event.metadata.aggregate_version,
                            event_id: event.metadata.event_id.clone(),
                            body: self.cache((*event).clone(), bytes.len()),
                        });
                        state.listed.push((name, file));
                        *event
                    })
                }
            };
            match event {
                Ok(event) => out.push(event),
                Err(e) => {
                    remove_staged(tmps);
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    fn note_aggregate_type(&self, aggregate_type: &str) -> Result<()> {
        let entry = AggregateTypeEntry {
            name: aggregate_type.to_string(),
            directory: layout::aggregate_type_dir(aggregate_type)?,
        };
        let meta = MetadataLock::acquire(&self.metadata_dir)?;
        let mut file: AggregateTypesFile = meta.read(AGGREGATE_TYPES).unwrap_or_default();
        if !file.aggregate_types.contains(&entry) {
            file.aggregate_types.push(entry);
            file.aggregate_types.sort();
            meta.write(AGGREGATE_TYPES, &file, self.durable())?;
        }
        *lock(&self.known_types) = file;
        Ok(())
    }

    fn note_schema_versions(&self, events: &[Event]) -> Result<()> {
        let unseen: Vec<&Event> = {
            let known = lock(&self.known);
            events
                .iter()
                .filter(|e| {
                    !known
                        .event_types
                        .get(&e.event_type)
                        .is_some_and(|v| v.contains(&e.metadata.schema_version))
                })
                .collect()
        };
        if unseen.is_empty() {
            return Ok(());
        }
        let meta = MetadataLock::acquire(&self.metadata_dir)?;
        let mut file: SchemaVersionsFile = meta.read(SCHEMA_VERSIONS).unwrap_or_default();
        for e in unseen {
            file.event_types
                .entry(e.event_type.clone())
                .or_default()
                .insert(e.metadata.schema_version);
        }
        meta.write(SCHEMA_VERSIONS, &file, self.durable())?;
        *lock(&self.known) = file;
        Ok(())
    }

    /// Refreshes `state` under a shared `flock` of its directory (shared with other
    /// readers, exclusive of writers: a consistent `.head`); returns the lock.
    fn refresh_shared(
        &self,
        key: &AggKey,
        state: &mut AggState,
        whole: bool,
    ) -> Result<Option<File>> {
        let dir = match &state.dir {
            Some(dir) => dir.clone(),
            None => self.resolve_dir(&key.0, &key.1)?.0,
        };
        let shared = match File::open(&dir) {
            Ok(f) => Some(
                f.lock_shared()
                    .map(|()| f)
                    .map_err(|e| Error::io("lock", &dir, e))?,
            ),
            Err(_) => None,
        };
        self.refresh_for(key, state, whole, shared.is_some() && state.dir.is_some())?;
        Ok(shared)
    }

    /// `f` applied to an aggregate's view, refreshed under the directory's shared lock.
    fn with_state<R>(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        f: impl FnOnce(&AggState) -> R,
    ) -> Result<R> {
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let state = self.state(&key);
        let mut state = lock(&state);
        let _shared = self.refresh_shared(&key, &mut state, false)?;
        let out = f(&state);
        drop(state);
        self.trim_cache();
        Ok(out)
    }

    /// The event-file names of an aggregate with version > `since`, after a refresh.
    fn entries_since(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        since: u64,
    ) -> Result<(PathBuf, Vec<Entry>)> {
        self.with_state(aggregate_type, aggregate_id, |state| {
            let start = state.entries.partition_point(|e| e.version <= since);
            (
                state.dir.clone().unwrap_or_default(),
                state.entries[start..].to_vec(),
            )
        })
    }

    /// An aggregate's events with version > `since_version` (0: all), in version order.
    /// Events in the event cache are not read again; those read are added to it.
    pub fn read_aggregate(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        since_version: u64,
    ) -> Result<Vec<Event>> {
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let events = {
            let state = self.state(&key);
            let mut state = lock(&state);
            let _shared = self.refresh_shared(&key, &mut state, since_version == 0)?;
            let dir = state.dir.clone().unwrap_or_default();
            let start = state
                .entries
                .partition_point(|e| e.version <= since_version);
            let mut events: Vec<Option<Event>> = state.entries[start..]
                .iter()
                .map(|e| e.body.as_ref().map(|cached| cached.event.clone()))
                .collect();
            let missing: Vec<usize> = (0..events.len()).filter(|&k| events[k].is_none()).collect();
            let read = in_parallel(&missing, AGGREGATE_CHUNK_MIN, |part| {
                let paths: Vec<PathBuf> = part
                    .iter()
                    .map(|&k| dir.join(&state.entries[start + k].name))
                    .collect();
                read_event_files(&*self.io, &paths).into_iter().collect()
            })?;
            for (k, (event, size)) in missing.into_iter().zip(read) {
                state.entries[start + k].body = self.cache(event.clone(), size);
                events[k] = Some(event);
            }
            events.into_iter().flatten().collect::<Vec<Event>>()
        };
        self.trim_cache();
        Ok(events)
    }

    /// Bytes of parsed events the event cache holds now (at most about
    /// [`Config::event_cache_bytes`] once a read or save returns).
    pub fn cached_event_bytes(&self) -> usize {
        self.cached_bytes.load(Ordering::Relaxed)
    }

    /// A copy for the event cache, when it has a budget (the caller trims it after).
    fn cache(&self, event: Event, size: usize) -> Option<Arc<Cached>> {
        let budget = self.config.event_cache_bytes;
        // One huge event must not push out everything else.
        if size > budget / 8 {
            return None;
        }
        self.cached_bytes.fetch_add(size, Ordering::Relaxed);
        Some(Arc::new(Cached {
            event,
            size,
            account: self.cached_bytes.clone(),
        }))
    }

    /// Over budget: drops the cached events of idle aggregates, in no particular order,
    /// until half the budget is free (so that trimming is rare, not per read).
    fn trim_cache(&self) {
        let budget = self.config.event_cache_bytes;
        if self.cached_bytes.load(Ordering::Relaxed) <= budget {
            return;
        }
        let states: Vec<Arc<Mutex<AggState>>> = lock(&self.aggregates).values().cloned().collect();
        for state in states {
            if self.cached_bytes.load(Ordering::Relaxed) <= budget / 2 {
                break;
            }
            if let Ok(mut state) = state.try_lock() {
                for entry in &mut state.entries {
                    entry.body = None;
                }
            }
        }
    }

    /// One event of an aggregate by version.
    pub fn read_event(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        version: u64,
    ) -> Result<Event> {
        let (dir, entries) =
            self.entries_since(aggregate_type, aggregate_id, version.saturating_sub(1))?;
        match entries.first() {
            Some(Entry {
                body: Some(cached),
                version: v,
                ..
            }) if *v == version => Ok(cached.event.clone()),
            Some(e) if e.version == version => read_event_file(&*self.io, &dir.join(&e.name)),
            _ => Err(Error::NotFound {
                what: format!("version {version} of aggregate {aggregate_type}/{aggregate_id}"),
            }),
        }
    }

    /// The aggregate's last version; 0 when it has no events.
    pub fn current_version(&self, aggregate_type: &str, aggregate_id: &str) -> Result<u64> {
        self.with_state(aggregate_type, aggregate_id, AggState::current_version)
    }

    /// Number of events of one aggregate.
    pub fn event_count(&self, aggregate_type: &str, aggregate_id: &str) -> Result<u64> {
        self.with_state(aggregate_type, aggregate_id, |state| {
            state.entries.len() as u64
        })
    }

    /// True when the aggregate has at least one event.
    pub fn aggregate_exists(&self, aggregate_type: &str, aggregate_id: &str) -> Result<bool> {
        Ok(self.event_count(aggregate_type, aggregate_id)? > 0)
    }

    /// The events the index lists, read from their files, keeping those `keep` accepts
    /// (the files are the truth), ordered by time; a file removed by hand is skipped.
    fn read_indexed(
        &self,
        records: Vec<index::Record>,
        keep: impl Fn(&Event) -> bool + Sync,
    ) -> Result<Vec<Event>> {
        let read = |part: &[index::Record]| -> Result<Vec<Event>> {
            let paths: Vec<PathBuf> = part.iter().map(|r| self.base.join(&r.rel)).collect();
            let mut events = Vec::with_capacity(part.len());
            for read in read_event_files(&*self.io, &paths) {
                match read {
                    Ok((event, _)) => events.extend(keep(&event).then_some(event)),
                    // Deleted by hand since the index named it: not an event any more.
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(events)
        };
        let out = in_parallel(&records, QUERY_CHUNK_MIN, read)?;
        Ok(EventStore::sorted_by_time(out))
    }

    fn sorted_by_time(mut events: Vec<Event>) -> Vec<Event> {
        events.sort_by(|a, b| {
            let (a, b) = (&a.metadata, &b.metadata);
            (
                a.timestamp,
                &a.aggregate_type,
                &a.aggregate_id,
                a.aggregate_version,
            )
                .cmp(&(
                    b.timestamp,
                    &b.aggregate_type,
                    &b.aggregate_id,
                    b.aggregate_version,
                ))
        });
        events
    }

    /// Every event of one type, ordered by timestamp, aggregate, version. Reads the
    /// type's index log and those events' files only.
    pub fn read_by_type(&self, event_type: &str) -> Result<Vec<Event>> {
        layout::check_event_type(event_type)?;
        let records = self.index.by_type(event_type)?;
        self.read_indexed(records, |e| e.event_type == event_type)
    }

    /// Every event whose timestamp lies in `[start, end]`, ordered like [`Self::read_by_type`].
    /// Reads the index logs of the minutes in range and the matching events' files only.
    pub fn read_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<Event>> {
        let records = self.index.between(&start, &end)?;
        self.read_indexed(records, |e| {
            e.metadata.timestamp.is_some_and(|t| t >= start && t <= end)
        })
    }

    /// Number of events in the store, from the index (no event file is read).
    pub fn total_event_count(&self) -> Result<u64> {
        self.index.count()
    }

    /// Aggregate types with a directory in the store, sorted.
    pub fn aggregate_types(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = self
            .type_dirs()?
            .into_iter()
            .map(|(dir, _)| layout::decode_component(&dir).unwrap_or(dir))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Ids of the aggregates of one type that hold events, sorted. A directory named by
    /// this crate's encoding gives its id by its name (or its `.aggregate-id` file when
    /// hashed); only directories of ByteHot's old adapter have their first event read.
    pub fn aggregate_ids(&self, aggregate_type: &str) -> Result<Vec<String>> {
        let type_path = self.base.join(layout::aggregate_type_dir(aggregate_type)?);
        let mut out = Vec::new();
        for (agg_dir, agg_path) in list_dirs(&type_path)? {
            let names = list_events(&agg_path)?;
            let Some((_, first)) = names.first() else {
                continue;
            };
            let marker = agg_path.join(layout::LONG_ID_FILE);
            // A `_` may stand for the `/` or `\` of an old-adapter id: ask the event.
            let canonical = layout::decode_component(&agg_dir).filter(|id| {
                !id.contains('_') && layout::aggregate_id_dir(id).is_ok_and(|(d, _)| d == agg_dir)
            });
            let id = match (fs::read_to_string(&marker), canonical) {
                (Ok(id), _) => id,
                (Err(_), Some(id)) => id,
                (Err(_), None) => {
                    read_event_file(&*self.io, &agg_path.join(first))?
                        .metadata
                        .aggregate_id
                }
            };
            out.push(id);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// A cheap check: base directory present and writable, metadata readable, no earlier
    /// failure pending. See [`Self::verify`] for the deep check.
    pub fn health(&self) -> Health {
        let mut problems = Vec::new();
        if let Some(reason) = lock(&self.poisoned).as_ref() {
            problems.push(format!("writes refused after an earlier failure: {reason}"));
        }
        if !self.base.is_dir() {
            problems.push(format!(
                "{}: base directory is missing",
                self.base.display()
            ));
        } else if let Err(e) = self.write_atomically(&self.base, ".health-probe", b"ok") {
            problems.push(format!("{}: not writable: {e}", self.base.display()));
        } else {
            let _ = fs::remove_file(self.base.join(".health-probe"));
        }
        for name in [AGGREGATE_TYPES, SCHEMA_VERSIONS] {
            let path = self.metadata_dir.join(name);
            let parses = fs::read(&path)
                .ok()
                .is_some_and(|b| serde_json::from_slice::<serde_json::Value>(&b).is_ok());
            if !parses {
                problems.push(format!("{}: missing or unreadable", path.display()));
            }
        }
        Health {
            healthy: problems.is_empty(),
            problems,
        }
    }

    /// Reads every file and checks every invariant; returns the problems, each naming a
    /// path (an empty list means the store is consistent).
    pub fn verify(&self) -> Result<Vec<String>> {
        let mut problems = symlinks_in(&self.base)?;
        problems.extend(files_under(&self.base.join(LOST_DIR))?.into_iter().map(|path| {
            format!(
                "{}: set aside at open after a crash (an event file a power loss tore, a later one of its aggregate, or a journal with records that could not be replayed); inspect it, then delete it",
                path.display()
            )
        }));
        let mut indexed: HashMap<String, usize> = HashMap::new();
        for record in self.index.all()? {
            *indexed.entry(record.rel).or_default() += 1;
        }
        for (type_dir, type_path) in self.type_dirs()? {
            problems.extend(symlinks_in(&type_path)?);
            for (agg_dir, agg_path) in list_dirs(&type_path)? {
                let mut versions: HashMap<String, u64> = HashMap::new();
                let rd = fs::read_dir(&agg_path).map_err(|e| Error::io("list", &agg_path, e))?;
                for entry in rd {
                    let entry = entry.map_err(|e| Error::io("list", &agg_path, e))?;
                    let name = entry.file_name().to_string_lossy().to_string();
                    if FileName::parse(&name).is_none()
                        && name != layout::LONG_ID_FILE
                        && name != IDS_FILE
                        && name != OLD_HEAD_FILE
                        && tmp_owner(&name).is_none()
                    {
                        problems.push(format!("{}: not an event file", entry.path().display()));
                    }
                }
                for (_, name) in list_events(&agg_path)? {
                    let path = agg_path.join(&name);
                    match indexed.remove(&format!("{type_dir}/{agg_dir}/{name}")) {
                        Some(1) => {}
                        None => problems.push(format!(
                            "{}: missing from the index (reopen after removing {}/format to rebuild it)",
                            path.display(),
                            index::INDEX_DIR
                        )),
                        Some(n) => problems.push(format!("{}: indexed {n} times", path.display())),
                    }
                    match read_event_file(&*self.io, &path) {
                        Err(e) => problems.push(e.to_string()),
                        Ok(e) => {
                            let m = &e.metadata;
                            let dir_ok = layout::aggregate_type_dir(&m.aggregate_type)
                                .is_ok_and(|d| d == type_dir)
                                && (layout::aggregate_id_dir(&m.aggregate_id)
                                    .is_ok_and(|(d, _)| d == agg_dir)
                                    || layout::legacy_id_dir(&m.aggregate_id).as_deref()
                                        == Some(agg_dir.as_str()));
                            if !dir_ok {
                                problems.push(format!(
                                    "{}: metadata names {}/{}, which does not live here",
                                    path.display(),
                                    m.aggregate_type,
                                    m.aggregate_id
                                ));
                            }
                            if !name.ends_with(&format!("-{}.json", e.event_type)) {
                                problems.push(format!(
                                    "{}: eventType {} differs from the file name",
                                    path.display(),
                                    e.event_type
                                ));
                            }
                            let last = versions.entry(m.aggregate_id.clone()).or_insert(0);
                            if m.aggregate_version != *last + 1 {
                                problems.push(format!(
                                    "{}: version {} follows version {}",
                                    path.display(),
                                    m.aggregate_version,
                                    last
                                ));
                            }
                            *last = m.aggregate_version;
                        }
                    }
                }
            }
        }
        let mut stale: Vec<String> = indexed.into_keys().collect();
        stale.sort();
        problems.extend(stale.into_iter().map(|rel| {
            format!(
                "{}: in the index, but no such event file",
                self.base.join(rel).display()
            )
        }));
        Ok(problems)
    }

    /// Makes every event saved so far durable (one `syncfs`, unless `durability = none`)
    /// and starts the journal over; saves wait while it runs. Stores do this by themselves
    /// every 64 MiB of journal and at close; call it to bound what `batch` or `none` may
    /// lose at a moment of the application's choosing.
    pub fn checkpoint(&self) -> Result<()> {
        self.check_writable()?;
        match &self.journal {
            Some(journal) => journal.checkpoint().map_err(|e| self.poison(e)),
            None => Ok(()),
        }
    }

    /// Makes everything durable, removes the journal, writes final statistics and
    /// releases the store.
    pub fn close(mut self) -> Result<()> {
        let journal = self.journal.take();
        if let Some(reason) = lock(&self.poisoned).clone() {
            // The journal stays behind: the next open's replay settles what the failure
            // left unknown (files written, index lines missing).
            return Err(Error::Unavailable {
                reason: format!(
                    "closed after an earlier failure ({reason}); the next open recovers it"
                ),
            });
        }
        self.refresh_statistics()?;
        self.index.save_counts()?;
        match journal {
            Some(journal) => journal.finish(),
            None => Ok(()),
        }
    }
}

enum Planned {
    /// Already stored under this path (a retry).
    Stored(PathBuf),
    /// Same event id as an earlier event of this batch.
    SameAs(usize),
    /// To be written under this name, with these bytes.
    New(Box<Event>, FileName, Vec<u8>),
}

/// Builds an [`Event`] from parts; `data` must be valid JSON.
pub fn event(event_type: &str, metadata: crate::event::EventMetadata, data: &str) -> Result<Event> {
    let data = RawValue::from_string(data.to_string())
        .map_err(|e| Error::invalid_event("eventData", e.to_string()))?;
    Ok(Event {
        event_type: event_type.to_string(),
        metadata,
        data,
    })
}
