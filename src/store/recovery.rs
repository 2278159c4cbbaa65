//! What an open does, one process at a time, before the store is used: replay the
//! journals of dead writers, repair or rebuild the index and the metadata, and set aside
//! what a power loss tore.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::event::{Event, format_instant};
use crate::file::{self, Access, FileLock, list_dirs, lock, lock_dir};
use crate::index;
use crate::journal::{self, Journal};
use crate::layout::{self, FileName};
use crate::metadata::{
    AGGREGATE_TYPES, AggregateTypeEntry, AggregateTypesFile, MetadataLock, SCHEMA_VERSIONS,
    STATISTICS, SchemaVersionsFile, StorageStatistics,
};

use super::EventStore;
use super::cache::AggState;
use super::files::{
    compressed, decoded, is_compressed, jackson_printed, list_events, read_event_file,
    remove_dead_temp_files, scan_segment, sealed_path,
};
use super::ids_file::write_ids;

/// Serializes the recovery at open between processes (in the journal directory).
pub(super) const RECOVERY_LOCK: &str = "recovery.lock";

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
pub(super) struct PowerLoss {
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

    /// Where the torn tail of one aggregate's files (in order) starts, if it has one: the
    /// first file (or segment line) that does not parse, or the first file whose event does
    /// not follow the one before it (a save the loss lost whole, while it kept a later
    /// file: ext4 may write a new file back before an earlier append's new size), among the
    /// files the loss may have made (not journaled, and made since the writer started).
    fn torn_tail(&self, files: &[FoundFile]) -> Option<usize> {
        // The file systems' creation times are coarse: a second of slack.
        let slack = std::time::Duration::from_secs(1);
        // A segment's bad end counts from the segment's last change: the file itself
        // may be far older than the lines a loss tore.
        let born = |path: &Path, tail: bool| {
            fs::symlink_metadata(path)
                .ok()
                .and_then(|m| if tail { m.modified().ok() } else { created(&m) })
        };
        // From the last file back, while the loss may have made them; a segment's lines
        // share one look at its times.
        let mut since = files.len();
        let mut looked: Option<(&Path, bool, bool)> = None;
        for file in files.iter().rev() {
            let key = (file.path.as_path(), file.tail.is_some());
            let recent = match looked {
                Some((path, tail, recent)) if (path, tail) == key => recent,
                _ => {
                    let recent = born(key.0, key.1).is_some_and(|b| b + slack >= self.since);
                    looked = Some((key.0, key.1, recent));
                    recent
                }
            };
            if !recent || self.journaled.contains(&file.entry.rel) {
                break;
            }
            since -= 1;
        }
        // Per aggregate: a directory of ByteHot's old adapter may hold several.
        let mut last: HashMap<&(String, String), &FoundFile> = HashMap::new();
        for (i, file) in files.iter().enumerate() {
            let link = file.link.as_ref();
            let gap = link
                .and_then(|l| last.get(&l.aggregate))
                .is_some_and(|earlier| breaks_chain(earlier, file));
            if i >= since && (file.schema.is_none() || gap) {
                return Some(i);
            }
            if let Some(link) = link {
                last.insert(&link.aggregate, file);
            }
        }
        None
    }
}

/// An event's place in its aggregate's chain, for telling a gap a power loss left.
pub(super) struct Link {
    aggregate: (String, String),
    version: u64,
    id: String,
    previous: Option<String>,
}

impl Link {
    fn of(event: &Event) -> Link {
        let m = &event.metadata;
        Link {
            aggregate: (m.aggregate_type.clone(), m.aggregate_id.clone()),
            version: m.aggregate_version,
            id: m.event_id.clone(),
            previous: m.previous_event_id.clone(),
        }
    }
}

/// Whether `later`, a file after `earlier` of the same aggregate, names another event as
/// its previous one and another version than the next: an event between them is missing.
/// Within one segment lines follow each other by construction; a gap there is not a loss's.
fn breaks_chain(earlier: &FoundFile, later: &FoundFile) -> bool {
    let (Some(earlier_link), Some(later_link)) = (&earlier.link, &later.link) else {
        return false;
    };
    earlier.path != later.path
        && later_link
            .previous
            .as_ref()
            .is_some_and(|previous| *previous != earlier_link.id)
        && later_link.version != earlier_link.version + 1
}

/// The bytes of the event file `name` holding `event`: compressed when the name says so.
fn file_bytes(name: &str, event: &Event) -> Result<Vec<u8>> {
    let json = event.to_file_json();
    if name.ends_with(layout::COMPRESSED_EXT) {
        compressed(&json)
    } else {
        Ok(json)
    }
}

/// A file's creation time, or its modification time where the file system keeps none.
/// Without creation times nothing is set aside in practice: a journal's modification
/// time is its last append, later than the files it saw created, so none qualifies.
pub(super) fn created(meta: &fs::Metadata) -> Option<std::time::SystemTime> {
    meta.created().or_else(|_| meta.modified()).ok()
}

/// Whether a record whose settling failed with `e` is left unsettled, its journal set
/// aside, while the open goes on: an I/O error of its aggregate (a directory that cannot be
/// written). A full disk is not one aggregate's trouble and the journal is not damaged: the
/// open stops there (the store then serves reads only) and every journal stays in place,
/// replayed by the first open with space.
fn unsettled_io(e: &Error) -> bool {
    matches!(e, Error::Io { .. }) && !e.is_out_of_space()
}

/// What [`EventStore::replay_journals`] settled of one journal.
pub(super) struct JournalReplay {
    /// The journal's events, for the index repair.
    events: Vec<index::Replayed>,
    /// False when a record could not be settled (an earlier file of its aggregate does
    /// not parse): the journal is then kept, set aside, not deleted.
    complete: bool,
}

/// One record of a journal being replayed: the file it names, for a line of a segment
/// its offset and bytes, the path the record gave, and its event.
type JournaledEvent<'a> = (PathBuf, Option<(u64, &'a [u8])>, String, Event);

/// An event file, a line of a segment, or the end of a segment from its first line that
/// is not an event, met by a rebuild.
pub(super) struct FoundFile {
    entry: index::Entry,
    /// Its schema version; `None` when it does not parse.
    schema: Option<u32>,
    path: PathBuf,
    /// For a segment's bad end: where in the segment it starts. Not indexed (a torn line
    /// is no event; a line that is not an event is reported by reads and `verify`).
    tail: Option<u64>,
    /// The event's id, when it parses, and whether it is a line of a segment: a file
    /// whose event a segment holds too (a `compact` cut short) is not indexed twice.
    copy_of: Option<(String, bool)>,
    /// When it parses and this library wrote it (ByteHot's old adapter numbered versions
    /// by session): its event's place in the chain.
    link: Option<Link>,
}

impl EventStore {
    /// What every open does, one process at a time: finish what dead writers journaled,
    /// bring the index up to date with it, check the metadata files, and create this
    /// store's journal. Reads no event
    /// file unless a crash left the index unaccounted for (then it is rebuilt).
    pub(super) fn recover(&self) -> Result<Journal> {
        let _recovery = self.recovery_lock()?;
        self.recovering.store(true, Ordering::Relaxed);
        let recovered = self.recover_locked();
        self.recovering.store(false, Ordering::Relaxed);
        recovered
    }

    fn recover_locked(&self) -> Result<Journal> {
        index::remove_leftovers(&self.base)?;
        // A cleanup cut short may have removed files the index still lists.
        let cleanup_cut_short = self.cleanup_cut_short();
        let mut rebuild = !self.index.is_complete() || cleanup_cut_short;
        let journals = journal::abandoned_journals(&self.base)?;
        let mut replayed = Vec::new();
        let mut cut_short = Vec::new();
        let mut vouching = Vec::new();
        let mut kept = Vec::new();
        let paths: Vec<PathBuf> = journals.iter().map(|(path, _)| path.clone()).collect();
        for (path, JournalReplay { events, complete }) in
            paths.iter().zip(self.replay_journals(&paths)?)
        {
            rebuild |= !journal::accounts_for_everything(path);
            if journal::cut_short_by_reboot(path) {
                cut_short.push(path.as_path());
            }
            if journal::checkpoints_sync(path) {
                vouching.extend(events.iter().map(|r| r.entry.rel.clone()));
            }
            if !complete {
                kept.push(path.clone());
            }
            replayed.extend(events);
        }
        if !replayed.is_empty() {
            log::info!(
                "{}: settled {} event(s) of {} journal(s) of stores that ended without closing",
                self.base.display(),
                replayed.len(),
                paths.len()
            );
        }
        // A new store has no index yet: building its empty one is no news.
        if rebuild && !self.type_dirs()?.is_empty() {
            log::info!(
                "{}: rebuilding the index from the event files ({})",
                self.base.display(),
                if self.index.is_complete() {
                    "a crash may have left files the journals do not account for"
                } else {
                    "the index is missing or incomplete"
                }
            );
        }
        if rebuild {
            let loss = PowerLoss::new(&cut_short, vouching);
            self.rebuild_all(loss.as_ref())?;
            if cleanup_cut_short {
                self.clear_cleanup_mark()?;
            }
        } else {
            self.index.repair(&replayed, self.durable())?;
            self.check_metadata()?;
        }
        // Retired only now: a crash before this line replays them again (idempotent). A
        // journal with records that could not be replayed is kept, set aside.
        for (path, _) in journals {
            if kept.contains(&path) {
                self.io
                    .sync_file_system(&self.base)
                    .map_err(|e| Error::io("sync", &self.base, e))?;
                self.set_aside(&path)?;
            } else {
                journal::retire(&*self.io, &self.base, &path)?;
            }
        }
        // Created under the recovery lock: a journal exists unlocked for a moment after
        // its creation, and another opener's scan for abandoned journals must not see it
        // then (it would replay and delete a live store's journal).
        Journal::create(&self.base, self.io.clone(), self.config.durability)
    }

    /// Finishes what dead writers journaled: an acknowledged event whose file (or line) a
    /// crash lost or tore is written again; an event that was never acknowledged (its
    /// aggregate has moved on without it) is dropped. The journals are settled together,
    /// each aggregate's records in version order: two writers' saves to one aggregate
    /// interleave, and a record can only be settled after the one before it, whichever
    /// journal holds that. Returns, per journal, its events, each with whether it is
    /// stored now, for the index repair, and false when a record could not be settled
    /// because an earlier file of its aggregate does not parse (the journal is then kept,
    /// not deleted).
    pub(super) fn replay_journals(&self, paths: &[PathBuf]) -> Result<Vec<JournalReplay>> {
        let contents = paths
            .iter()
            .map(|path| fs::read(path).map_err(|e| Error::io("read", path, e)))
            .collect::<Result<Vec<Vec<u8>>>>()?;
        let mut records: Vec<(usize, JournaledEvent<'_>)> = Vec::new();
        for (j, bytes) in contents.iter().enumerate() {
            let (decoded, _) = journal::decode_records(bytes);
            records.extend(decoded.into_iter().filter_map(|(rel, content)| {
                let (target, offset) = self.journaled_target(&rel)?;
                let json = match offset {
                    Some(_) => content.strip_suffix(b"\n")?,
                    None => content,
                };
                let line = offset.map(|offset| (offset, content));
                Event::from_json(json)
                    .ok()
                    .map(|e| (j, (target, line, rel, e)))
            }));
        }
        records.sort_by(|(_, (_, _, _, a)), (_, (_, _, _, b))| {
            let (a, b) = (&a.metadata, &b.metadata);
            (&a.aggregate_type, &a.aggregate_id, a.aggregate_version).cmp(&(
                &b.aggregate_type,
                &b.aggregate_id,
                b.aggregate_version,
            ))
        });
        // A record that cannot be settled (its aggregate's directory cannot be written,
        // or an earlier file of it does not parse) concerns that aggregate alone: the open
        // goes on, the journal is kept (set aside) with the record, and the aggregate
        // reports its own trouble.
        let mut complete = vec![true; paths.len()];
        // Torn files first: a reader of an aggregate must be able to parse it all.
        for (j, (target, offset, _, event)) in &records {
            if offset.is_none() && target.exists() && read_event_file(&*self.io, target).is_err() {
                let dir = target.parent().unwrap_or(&self.base);
                let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
                match self.write_atomically(dir, name, &file_bytes(name, event)?) {
                    Err(e) if unsettled_io(&e) => complete[*j] = false,
                    other => other?,
                }
            }
        }
        // Segments damaged where journaled lines go, before any line is settled: the
        // lines of every journal, in offset order, tell how far the journals cover them.
        let mut lines_by_segment: std::collections::BTreeMap<&Path, Vec<(u64, u64, usize)>> =
            std::collections::BTreeMap::new();
        for (j, (target, line, _, _)) in &records {
            if let Some((offset, bytes)) = line {
                lines_by_segment.entry(target.as_path()).or_default().push((
                    *offset,
                    bytes.len() as u64,
                    *j,
                ));
            }
        }
        for (segment, mut lines) in lines_by_segment {
            lines.sort_unstable();
            lines.dedup_by_key(|(offset, _, _)| *offset);
            let spans: Vec<(u64, u64)> = lines.iter().map(|(o, l, _)| (*o, *l)).collect();
            match self.clear_damaged_end(segment, &spans) {
                Err(e) if unsettled_io(&e) => {
                    lines.iter().for_each(|(_, _, j)| complete[*j] = false)
                }
                other => other?,
            }
        }
        let mut dirs = std::collections::BTreeSet::new();
        let mut out: Vec<Vec<index::Replayed>> = vec![Vec::new(); paths.len()];
        for (j, (target, offset, rel, event)) in records {
            let on_disk = match offset {
                Some((offset, line)) => match self.replay_line(&target, offset, line, &event) {
                    Err(e) if matches!(e, Error::Corrupt { .. }) || unsettled_io(&e) => {
                        complete[j] = false;
                        None
                    }
                    other => other?,
                },
                None => {
                    if !target.exists() {
                        match self.replay_missing(&target, event.clone()) {
                            Err(e) if matches!(e, Error::Corrupt { .. }) || unsettled_io(&e) => {
                                complete[j] = false
                            }
                            other => other?,
                        }
                    }
                    fs::metadata(&target).ok().map(|m| m.len())
                }
            };
            out[j].push(index::Replayed {
                entry: index::Entry::of(&event, rel, on_disk.unwrap_or(0)),
                on_disk: on_disk.is_some(),
            });
            if let Some(dir) = target.parent() {
                dirs.insert(dir.to_path_buf());
            }
        }
        for dir in dirs {
            // Leftovers only: one that cannot be removed now is removed at a later listing.
            let _ = remove_dead_temp_files(&dir);
        }
        Ok(out
            .into_iter()
            .zip(complete)
            .map(|(events, complete)| JournalReplay { events, complete })
            .collect())
    }

    /// The file a journal record names, if it is a well-formed event path in the store,
    /// with the line's offset for a segment.
    pub(super) fn journaled_target(&self, rel: &str) -> Option<(PathBuf, Option<u64>)> {
        let (rel, offset) = journal::split_record_path(rel);
        let parts: Vec<&str> = rel.split('/').collect();
        let [type_dir, id_dir, name] = parts.as_slice() else {
            return None;
        };
        let plain = |c: &str| !c.is_empty() && !c.starts_with('.') && !c.contains('\\');
        (plain(type_dir) && plain(id_dir) && *type_dir != layout::METADATA_DIR)
            .then_some(())
            .and(FileName::parse(name))
            .filter(|parsed| parsed.segment == offset.is_some())
            .map(|_| (self.base.join(type_dir).join(id_dir).join(name), offset))
    }

    /// Before a journal's lines for `segment` (offset and length each, in journal order)
    /// are settled: where the segment stops being complete events at the offset of one of
    /// them (a crash in mid-append, or a power loss that kept some of its pages and not
    /// others), the bytes from there on are cut, so that the journaled lines can be
    /// written again in order. When those lines reach the segment's end, the cut bytes
    /// were only their damaged copy; otherwise the rest is set aside in `.lost/`.
    fn clear_damaged_end(&self, segment: &Path, lines: &[(u64, u64)]) -> Result<()> {
        // Everything below is read and decided under the directory's lock: a live writer
        // may set the same torn line aside and append after it at any time before.
        let dir = segment.parent().unwrap_or(&self.base);
        let _lock = match lock_dir(dir) {
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(()); // missing: its first journaled line creates it
            }
            lock => lock?,
        };
        if sealed_path(segment).exists() {
            // A compression cut short: the copy is whole (synced before its rename), the
            // segment may not be (its lines were never synced). The copy stands.
            return match fs::remove_file(segment) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(Error::io("remove", segment, e))
                }
                _ => Ok(()),
            };
        }
        let Ok(bytes) = self.io.read(segment) else {
            return Ok(()); // missing: its first journaled line creates it
        };
        let (found, bad) = scan_segment(&bytes, 0);
        let Some(bad) = bad else {
            return Ok(());
        };
        let Some(from) = lines.iter().position(|(offset, _)| *offset == found.end) else {
            return Ok(()); // not where this journal writes: reads report it
        };
        let mut covered = found.end;
        for (offset, len) in &lines[from..] {
            if *offset != covered {
                break;
            }
            covered += len;
        }
        let file = file::open_regular(segment, fs::OpenOptions::new().write(true))
            .map_err(|e| Error::io("open", segment, e))?;
        if covered >= bytes.len() as u64 {
            file.set_len(bad.offset)
                .map_err(|e| Error::io("truncate", segment, e))
        } else {
            self.set_aside_tail(segment, &file, bad.offset)
        }
    }

    /// Sets aside the segment's bytes from `offset` on, if its complete events still end
    /// there once its directory is locked (a live writer may have set the same torn line
    /// aside and appended after it since the segment was read).
    fn cut_bad_end(&self, segment: &Path, offset: u64) -> Result<()> {
        let dir = segment.parent().unwrap_or(&self.base);
        let _lock = lock_dir(dir)?;
        let bytes = self
            .io
            .read(segment)
            .map_err(|e| Error::io("read", segment, e))?;
        match scan_segment(&bytes, 0) {
            (found, Some(_)) if found.end == offset => {
                let file = file::open_regular(segment, fs::OpenOptions::new().write(true))
                    .map_err(|e| Error::io("open", segment, e))?;
                self.set_aside_tail(segment, &file, offset)
            }
            _ => Ok(()),
        }
    }

    /// Settles a journaled line of a segment: when the aggregate's last event is the one
    /// before it and its segment's complete lines end at `offset` (or, for a segment's
    /// first line, the segment does not exist and would be its last file), the line is
    /// written there, a torn line at that place set aside first. Returns the line's length
    /// when the event is stored (now or before), `None` when it was never acknowledged
    /// (its aggregate moved on without it).
    pub(super) fn replay_line(
        &self,
        target: &Path,
        offset: u64,
        line: &[u8],
        event: &Event,
    ) -> Result<Option<u64>> {
        self.with_replay_state(target, event, None, |dir, state| {
            let m = &event.metadata;
            if let Some(&at) = state.ids.get(&m.event_id) {
                return Ok(state.entries[at].at.map(|(_, len)| u64::from(len)));
            }
            let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // The line's place is right after the aggregate's last event: the end of its
            // line in this segment, or the start of this segment when the last event lies in
            // a file before it. Files after it may exist, empty (a power loss kept their
            // names and not their lines; their own records follow).
            let last = state.entries.last();
            let key_of = |file: &str| FileName::parse(file).map(|n| n.sort_key());
            let place_free = match last {
                Some(e) if e.name == name => {
                    e.at.is_some_and(|(at, len)| at + u64::from(len) == offset)
                }
                Some(e) => offset == 0 && key_of(&e.name) < key_of(name),
                None => offset == 0,
            };
            let follows = m.aggregate_version == state.current_version() + 1
                && m.previous_event_id.as_deref() == state.last_event_id();
            if !(place_free && follows) {
                return Ok(None);
            }
            if target.exists() {
                let file = file::open_regular(target, fs::OpenOptions::new().write(true))
                    .map_err(|e| Error::io("open", target, e))?;
                let len = file
                    .metadata()
                    .map_err(|e| Error::io("stat", target, e))?
                    .len();
                if len > offset {
                    self.set_aside_tail(target, &file, offset)?;
                }
                self.io
                    .append(&file, offset, line)
                    .map_err(|e| Error::io("write", target, e))?;
            } else {
                self.write_atomically(dir, name, line)?;
            }
            // The cached view does not hold this line: read the directory again next time.
            *state = AggState::default();
            Ok(Some(line.len() as u64))
        })
    }

    pub(super) fn replay_missing(&self, target: &Path, event: Event) -> Result<()> {
        self.with_replay_state(target, &event, (), |dir, state| {
            let m = &event.metadata;
            let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let follows = m.aggregate_version == state.current_version() + 1
                && m.previous_event_id.as_deref() == state.last_event_id()
                && FileName::parse(name).is_some_and(|n| Some(n.sort_key()) > state.last_key());
            if follows && !state.ids.contains_key(&m.event_id) {
                write_ids(
                    &*self.io,
                    dir,
                    state,
                    &[(name.to_string(), m.event_id.clone())],
                )?;
                self.write_atomically(dir, name, &file_bytes(name, &event)?)?;
                // The cached view does not hold this file: list the directory next time.
                state.ids_file = None;
            }
            Ok(())
        })
    }

    /// `f` of the directory and view of the aggregate `event` belongs to, under its locks
    /// and refreshed, for settling a journal record about `target`; `outside` when
    /// `target` does not lie in that aggregate's directory (a record that does not belong
    /// where it points is never ours).
    fn with_replay_state<R>(
        &self,
        target: &Path,
        event: &Event,
        outside: R,
        f: impl FnOnce(&Path, &mut AggState) -> Result<R>,
    ) -> Result<R> {
        let key = (
            event.metadata.aggregate_type.clone(),
            event.metadata.aggregate_id.clone(),
        );
        let dir = self.resolve_dir(&key.0, &key.1)?.path;
        if Some(dir.as_path()) != target.parent() {
            return Ok(outside);
        }
        let state = self.state(&key);
        let mut state = lock(&state);
        if !dir.is_dir() {
            self.create_aggregate_dir(&key, &mut state)?;
        }
        let _dir_lock = lock_dir(&dir)?;
        self.refresh(&key, &mut state)?;
        f(&dir, &mut state)
    }

    /// Takes `.journal/recovery.lock`, which openers hold while they replay dead writers'
    /// journals and create their own, and a rebuild holds so that no store opens meanwhile.
    fn recovery_lock(&self) -> Result<fs::File> {
        let journal_dir = self.base.join(journal::JOURNAL_DIR);
        let journals_dir = journal::open_dir(&self.base, &*self.io)?;
        let lock_path = journal_dir.join(RECOVERY_LOCK);
        let open_lock = || journals_dir.open_file(RECOVERY_LOCK, Access::WriteCreate);
        // Anything but a regular file there (a FIFO, a link) is not the lock: replaced.
        let opened = match open_lock() {
            Err(e)
                if e.kind() != std::io::ErrorKind::NotFound
                    && fs::symlink_metadata(&lock_path).is_ok_and(|m| !m.is_file()) =>
            {
                journals_dir
                    .remove_file(RECOVERY_LOCK)
                    .and_then(|()| open_lock())
            }
            other => other,
        };
        opened
            .and_then(|f| f.acquire().map(|()| f))
            .map_err(|e| Error::io("lock", &lock_path, e))
    }

    /// Rebuilds the index and the metadata files from the event files, as an open does
    /// when the index is missing: the operator's answer to an index that `verify` finds
    /// wrong. Refused while another store (in this process or another) has the base
    /// directory open: its saves append index lines meanwhile, and a line appended to a
    /// log the rebuild then replaces would be lost. Opens wait while it runs.
    pub fn rebuild_index(&self) -> Result<()> {
        self.check_writable()?;
        let _recovery = self.recovery_lock()?;
        let own = self.journal.as_ref().map(|j| j.path().to_path_buf());
        let others: Vec<String> = journal::live_journals(&self.base)?
            .into_iter()
            .filter(|path| Some(path) != own.as_ref())
            .map(|path| path.display().to_string())
            .collect();
        if !others.is_empty() {
            return Err(Error::Unavailable {
                reason: format!(
                    "other stores have {} open (their journals: {}): close them, then \
                     rebuild the index",
                    self.base.display(),
                    others.join(", ")
                ),
            });
        }
        log::info!("{}: rebuilding the index on request", self.base.display());
        self.rebuild_all(None)
    }

    /// Walks every aggregate directory and reads every event file: rebuilds the index
    /// and every metadata file, and removes temp files of dead writers. Runs when the
    /// index is missing (a store written before it existed, or by hand) or when a crash
    /// under `batch`/`none` may have left files the journals do not account for.
    pub(super) fn rebuild_all(&self, loss: Option<&PowerLoss>) -> Result<()> {
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
                for (name, file) in list_events(&agg_path, self.clean())? {
                    let path = agg_path.join(&file);
                    let bytes = self
                        .io
                        .read(&path)
                        .map_err(|e| Error::io("read", &path, e))?;
                    // A compressed file that does not decompress parses as nothing.
                    let bytes = decoded(&path, bytes, u64::MAX).unwrap_or_default();
                    if name.segment {
                        let (lines, bad) = scan_segment(&bytes, 0);
                        // Its lines go by the plain name, compressed or not.
                        let file = layout::plain_name(&file);
                        for (event, _, at) in lines.events {
                            found.push(FoundFile {
                                link: Some(Link::of(&event)),
                                copy_of: Some((event.metadata.event_id.clone(), true)),
                                schema: Some(event.metadata.schema_version),
                                entry: index::Entry::of(
                                    &event,
                                    journal::record_path(
                                        &format!("{type_dir}/{agg_dir}/{file}"),
                                        Some(at),
                                    ),
                                    u64::from(at.1),
                                ),
                                path: path.clone(),
                                tail: None,
                            });
                        }
                        if let Some(bad) = bad {
                            found.push(FoundFile {
                                schema: None,
                                entry: index::Entry::unparsed(
                                    name.event_type,
                                    format!("{type_dir}/{agg_dir}/{file}@{}", bad.offset),
                                    bytes.len() as u64 - bad.offset,
                                ),
                                path,
                                tail: Some(bad.offset),
                                copy_of: None,
                                link: None,
                            });
                        }
                        continue;
                    }
                    // A file that does not parse is indexed by its name (type, no time):
                    // reads by type then report it, as `verify` does, instead of the open
                    // failing or the file vanishing from the queries.
                    let rel = format!("{type_dir}/{agg_dir}/{file}");
                    let size = bytes.len() as u64;
                    let (entry, schema, copy_of, link) = match Event::from_json(&bytes) {
                        Ok(event) => (
                            index::Entry::of(&event, rel, size),
                            Some(event.metadata.schema_version),
                            Some((event.metadata.event_id.clone(), false)),
                            (!jackson_printed(&bytes)).then(|| Link::of(&event)),
                        ),
                        Err(_) => (
                            index::Entry::unparsed(name.event_type, rel, size),
                            None,
                            None,
                            None,
                        ),
                    };
                    found.push(FoundFile {
                        entry,
                        schema,
                        path,
                        tail: None,
                        copy_of,
                        link,
                    });
                }
                // A compaction cut short left events both as files and as segment lines:
                // the lines stand (as reads take them), the files are not indexed.
                let in_segments: std::collections::HashSet<String> = found
                    .iter()
                    .filter_map(|f| f.copy_of.clone())
                    .filter_map(|(id, line)| line.then_some(id))
                    .collect();
                if !in_segments.is_empty() {
                    found.retain(
                        |f| !matches!(&f.copy_of, Some((id, false)) if in_segments.contains(id)),
                    );
                }
                if let Some(from) = loss.and_then(|l| l.torn_tail(&found)) {
                    // Last file first: an open that dies halfway leaves the torn file in
                    // place for the next open to find, never a gap before later files.
                    let mut moved = std::collections::HashSet::new();
                    for torn in found.drain(from..).rev() {
                        let sealed = is_compressed(&torn.path);
                        match torn.tail {
                            // A compressed segment cannot be cut: it goes whole.
                            Some(_) if sealed => {
                                if moved.insert(torn.path.clone()) {
                                    self.set_aside(&torn.path)?;
                                }
                            }
                            Some(offset) => self.cut_bad_end(&torn.path, offset)?,
                            // A later segment goes whole, with its first line.
                            None if !moved.insert(torn.path.clone()) => {}
                            None => self.set_aside(&torn.path)?,
                        }
                    }
                }
                if !found.is_empty() {
                    per_type.aggregates += 1;
                }
                for FoundFile {
                    entry,
                    schema,
                    tail,
                    ..
                } in found
                {
                    if tail.is_some() {
                        continue;
                    }
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
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        schemas.migrations = meta
            .read::<SchemaVersionsFile>(SCHEMA_VERSIONS)
            .map(|old| old.migrations)
            .unwrap_or_default();
        meta.write(SCHEMA_VERSIONS, &schemas, self.durable())?;
        meta.write(AGGREGATE_TYPES, &types, self.durable())?;
        meta.write(STATISTICS, &stats, false)?;
        *lock(&self.known) = schemas;
        *lock(&self.known_types) = types;
        Ok(())
    }

    /// Moves the bytes of the segment at `path` (open for writing as `file`) from
    /// `offset` on, a line a crash or a power loss cut short, to `.lost/` (as
    /// `<segment>.tail`), then cuts the segment there. Only under the directory's
    /// exclusive lock: no writer is appending to it.
    pub(super) fn set_aside_tail(&self, path: &Path, file: &fs::File, offset: u64) -> Result<()> {
        let torn = self
            .io
            .read_at(path, offset, None)
            .map_err(|e| Error::io("read", path, e))?;
        if !torn.is_empty() {
            let rel = path.strip_prefix(&self.base).unwrap_or(path);
            let mut name = rel.file_name().unwrap_or_default().to_os_string();
            name.push(".tail");
            let target = self.base.join(LOST_DIR).join(rel.with_file_name(name));
            let dir = target.parent().unwrap_or(&self.base).to_path_buf();
            self.io
                .create_dir_all(&dir)
                .map_err(|e| Error::io("create directory", &dir, e))?;
            let file_name = target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("tail");
            let mut free = file_name.to_string();
            let mut n = 1;
            while dir.join(&free).exists() {
                free = format!("{file_name}.{n}");
                n += 1;
            }
            self.write_atomically(&dir, &free, &torn)?;
            log::warn!(
                "the torn last {} bytes of {} (a save that was never acknowledged) set aside \
                 to {}",
                torn.len(),
                path.display(),
                dir.join(&free).display()
            );
        }
        file.set_len(offset)
            .map_err(|e| Error::io("truncate", path, e))
    }

    /// Moves a file of the store (an event file a power loss tore, one saved after it in
    /// its aggregate, or a journal that could not be replayed whole) to the same path
    /// under `.lost/`, out of the store's sight but not deleted.
    pub(super) fn set_aside(&self, path: &Path) -> Result<()> {
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
            .map_err(|e| Error::io("set aside", path, e))?;
        log::warn!(
            "{} set aside to {}: a crash or power loss left it unreadable or unaccounted for \
             (see docs/reliability.md); it is no longer read",
            path.display(),
            free.display()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::{Duration, SystemTime};

    use super::*;

    fn found(dir: &Path, name: &str, parses: bool) -> FoundFile {
        let path = dir.join(name);
        fs::write(&path, b"{}").expect("write");
        FoundFile {
            entry: index::Entry::unparsed("A".to_string(), format!("t/a/{name}"), 2),
            schema: parses.then_some(1),
            path,
            tail: None,
            copy_of: None,
            link: None,
        }
    }

    fn loss(since: SystemTime, journaled: &[&str]) -> PowerLoss {
        PowerLoss {
            journaled: journaled
                .iter()
                .map(|n| format!("t/a/{n}"))
                .collect::<HashSet<_>>(),
            since,
        }
    }

    fn files(dir: &Path) -> Vec<FoundFile> {
        vec![
            found(dir, "1.json", true),
            found(dir, "2.json", false),
            found(dir, "3.json", true),
        ]
    }

    #[test]
    fn the_first_unparseable_file_and_every_later_one_created_since_the_loss_are_the_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(loss(since, &[]).torn_tail(&files(dir.path())), Some(1));
    }

    #[test]
    fn an_aggregate_whose_files_all_parse_has_no_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let all_parse = vec![found(dir.path(), "1.json", true)];
        let since = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(loss(since, &[]).torn_tail(&all_parse), None);
    }

    #[test]
    fn a_later_file_a_vouching_journal_names_keeps_the_whole_tail_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(loss(since, &["3.json"]).torn_tail(&files(dir.path())), None);
        assert_eq!(loss(since, &["2.json"]).torn_tail(&files(dir.path())), None);
    }

    fn linked(dir: &Path, name: &str, aggregate: &str, version: u64, previous: &str) -> FoundFile {
        FoundFile {
            link: Some(Link {
                aggregate: ("t".to_string(), aggregate.to_string()),
                version,
                id: format!("{aggregate}-{version}"),
                previous: (version > 1).then(|| previous.to_string()),
            }),
            ..found(dir, name, true)
        }
    }

    #[test]
    fn a_file_whose_event_does_not_follow_its_aggregate_s_last_starts_the_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        let files = vec![
            linked(dir.path(), "1.json", "a", 1, ""),
            linked(dir.path(), "2.json", "a", 2, "a-1"),
            linked(dir.path(), "4.json", "a", 4, "a-3"),
            linked(dir.path(), "5.json", "a", 5, "a-4"),
        ];
        assert_eq!(loss(since, &[]).torn_tail(&files), Some(2));
    }

    #[test]
    fn two_aggregates_sharing_an_old_adapter_directory_are_each_followed_on_their_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        let files = vec![
            linked(dir.path(), "1.json", "a/b", 1, ""),
            linked(dir.path(), "2.json", "a_b", 1, ""),
            linked(dir.path(), "3.json", "a/b", 2, "a/b-1"),
            linked(dir.path(), "4.json", "a_b", 2, "a_b-1"),
        ];
        assert_eq!(loss(since, &[]).torn_tail(&files), None);
    }

    #[test]
    fn files_created_before_the_oldest_cut_short_journal_are_no_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(loss(since, &[]).torn_tail(&files(dir.path())), None);
    }
}
