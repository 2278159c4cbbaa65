//! What an open does, one process at a time, before the store is used: replay the
//! journals of dead writers, repair or rebuild the index and the metadata, and set aside
//! what a power loss tore.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::file::{self, Access, FileLock, lock, lock_dir};
use crate::index;
use crate::journal::{self, Journal};
use crate::layout::{self, FileName};

use super::EventStore;
use super::cache::AggState;
use super::files::{
    compressed, read_event_file, remove_dead_temp_files, scan_segment, sealed_path,
};
use super::ids_file::write_ids;
use super::rebuild::PowerLoss;

/// Serializes the recovery at open between processes (in the journal directory).
pub(super) const RECOVERY_LOCK: &str = "recovery.lock";

/// Where an open puts the event files a power loss tore, under the base directory.
pub(crate) const LOST_DIR: &str = ".lost";

/// The bytes of the event file `name` holding `event`: compressed when the name says so.
fn file_bytes(name: &str, event: &Event) -> Result<Vec<u8>> {
    let json = event.to_file_json();
    if name.ends_with(layout::COMPRESSED_EXT) {
        compressed(&json)
    } else {
        Ok(json)
    }
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
    pub(super) fn cut_bad_end(&self, segment: &Path, offset: u64) -> Result<()> {
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
    pub(super) fn recovery_lock(&self) -> Result<fs::File> {
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
