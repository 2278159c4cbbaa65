//! The write path: validate a batch, plan versions and names under each aggregate's
//! locks, journal the new files, stage them under temp names while the journal syncs,
//! rename them into place once it is durable, and index them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::Durability;
use crate::error::{Error, Result};
use crate::event::{Event, unreadable_part};
use crate::file::{self, lock, lock_dir};
use crate::index;
use crate::journal;
use crate::layout::{self, FileName};

use super::EventStore;
use super::cache::{AggKey, AggState, KnownEvent, SegmentTail};
use super::files::{Bad, Staged, compressed, read_located, scan_segment};
use super::ids_file::{IDS_FILE, write_ids};
use super::plan::Planned;

/// A directory a batch has locked. Two ids can share a directory (ByteHot's old adapter
/// put `a/b` and `a_b` in one): a second `flock` of it would wait for the first, and the
/// same stamp and type would name the same file, so a batch locks each directory once
/// and plans its names after the last one it planned there.
struct LockedDir {
    path: PathBuf,
    _lock: File,
    last_planned: Option<(u64, u16)>,
}

/// The aggregate directories a batch created. Unless the batch reaches its journal
/// record, dropping this removes those still empty (a batch over thousands of new
/// aggregates that runs out of descriptors must not leave thousands of directories).
/// Each is removed under its exclusive lock, and a writer that locks a directory checks
/// it was not removed meanwhile ([`locked_dir`]), so no save lands in a removed one.
#[derive(Default)]
struct NewDirs {
    dirs: Vec<PathBuf>,
    journaled: bool,
}

impl Drop for NewDirs {
    fn drop(&mut self) {
        if self.journaled {
            return;
        }
        for dir in &self.dirs {
            let Ok(lock) = lock_dir(dir) else { continue };
            if file::is_removed(&lock) {
                continue;
            }
            let names = file::dir_names(dir).unwrap_or_default();
            let only_marker = names.iter().all(|n| n == layout::LONG_ID_FILE);
            if !names.is_empty() && !only_marker {
                continue;
            }
            for name in &names {
                let _ = std::fs::remove_file(dir.join(name));
            }
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Fails when a save's files could not be staged in the aggregate directory `dir`: this
/// process may not create files there (see [`file::may_create_in`]), or its `.ids` is
/// something other than a regular file.
fn preflight(dir: &Path) -> Result<()> {
    file::may_create_in(dir).map_err(|e| Error::io("write", dir, e))?;
    let ids = dir.join(IDS_FILE);
    match std::fs::symlink_metadata(&ids) {
        Ok(meta) if !meta.is_file() => Err(Error::io(
            "write",
            &ids,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        )),
        _ => Ok(()),
    }
}

/// Removes the `.ids` of the aggregate directory `dir`, if it has one.
pub(super) fn remove_ids(dir: &Path) -> Result<()> {
    let ids = dir.join(IDS_FILE);
    match std::fs::remove_file(&ids) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", &ids, e)),
        _ => Ok(()),
    }
}

/// Locks an aggregate's directory for a save; one a failed batch removed between the
/// caller's look and the lock ([`NewDirs`]) is created again first.
fn locked_dir(store: &EventStore, key: &AggKey, state: &mut AggState) -> Result<File> {
    const ATTEMPTS: usize = 3;
    let mut attempt = 0;
    loop {
        let dir = state.dir.clone().unwrap_or_default();
        match lock_dir(&dir) {
            Ok(lock) if !file::is_removed(&lock) => return Ok(lock),
            Err(e) if !matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound) =>
            {
                return Err(e);
            }
            Ok(_) | Err(_) if attempt + 1 < ATTEMPTS => {
                attempt += 1;
                store.create_aggregate_dir(key, state)?;
            }
            _ => {
                return Err(Error::io(
                    "lock",
                    &dir,
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ));
            }
        }
    }
}

impl EventStore {
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
            self.check_data(i, e)?;
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
        let mut new_dirs = NewDirs::default();
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
                self.plan(key, state, &events, indices, None, None)?;
                self.create_aggregate_dir(key, state)?;
                new_dirs.dirs.extend(state.dir.clone());
            }
            let dir = state.dir.clone().unwrap_or_default();
            let at = match dir_locks.iter().position(|d: &LockedDir| d.path == dir) {
                Some(at) => at,
                None => {
                    let lock = locked_dir(self, key, state)?;
                    dir_locks.push(LockedDir {
                        _lock: lock,
                        path: dir,
                        last_planned: None,
                    });
                    dir_locks.len() - 1
                }
            };
            self.refresh_locked(key, state)?;
            let data_key = match &state.dir {
                Some(dir) => self.data_key_for_write(key, dir)?,
                None => None,
            };
            let locked = &mut dir_locks[at];
            let plan = self.plan(
                key,
                state,
                &events,
                indices,
                locked.last_planned,
                data_key.as_deref(),
            )?;
            let last = plan.iter().rev().find_map(|step| match step {
                Planned::New { name, .. } => Some(name.sort_key()),
                _ => None,
            });
            locked.last_planned = locked.last_planned.max(last);
            plans.push(plan);
        }
        // Derived, but noted before the commit point: once the events are stored, a
        // failure to note their schema versions would report a stored save as failed.
        self.note_schema_versions(&events)?;
        // What would fail staging for one aggregate alone (a directory this process may not
        // write, a `.ids` that is not a file) is checked before the journal record, so that
        // it fails this save alone; after the record its outcome would be unknown and the
        // store would refuse writes. Two system calls per aggregate, where staging the
        // files first would keep them from overlapping the journal's sync.
        for ((key, _), (state, plan)) in states.iter().zip(guards.iter().zip(&plans)) {
            if plan.iter().any(|step| matches!(step, Planned::New { .. })) {
                let dir = state.dir.as_deref().unwrap_or(&self.base);
                preflight(dir).map_err(|e| Error::unwritable(key, e))?;
                // A segment grows without a line in `.ids`, so a directory with segments
                // has none: a reader believing it would miss the lines. Only a hint, it
                // goes before the directory's first segment is journaled.
                let first_segment = !state.has_segments()
                    && plan
                        .iter()
                        .any(|step| matches!(step, Planned::New { at: Some(_), .. }));
                if first_segment {
                    remove_ids(dir).map_err(|e| Error::unwritable(key, e))?;
                }
                // A torn line where this save appends goes aside now: after the record,
                // a failure to set it aside would leave the save's outcome unknown.
                if let (Some(tail), Some((_, last))) = (state.tail, state.listed.last())
                    && tail.torn > 0
                    && plan
                        .iter()
                        .any(|step| matches!(step, Planned::New { append: true, .. }))
                {
                    let path = dir.join(last);
                    file::open_regular(&path, std::fs::OpenOptions::new().write(true))
                        .map_err(|e| Error::io("open", &path, e))
                        .and_then(|segment| self.set_aside_tail(&path, &segment, tail.end))
                        .map_err(|e| Error::unwritable(key, e))?;
                }
            }
        }
        let ticket = self.journal_plans(&guards, &plans)?;
        new_dirs.journaled = true;
        // Once journaled, a failure leaves the outcome unknown: stop writing (the journal
        // stays behind for the next open to settle), and say so to the caller.
        let unknown = |e| Error::OutcomeUnknown {
            cause: Box::new(self.poison(e)),
        };
        let failed = |e| if ticket.is_some() { unknown(e) } else { e };
        // The files are written under temporary names while the journal syncs, and
        // renamed into place only once it is durable: no reader sees an event that a
        // crash could take back, and a save waits for one sync rather than a sync and
        // then its writes. Declared after the locks, so an early return removes what is
        // still staged before it lets them go.
        let mut staged: Vec<Staged> = Vec::with_capacity(plans.len());
        for (state, plan) in guards.iter_mut().zip(&plans) {
            staged.push(self.stage_plan(state, plan).map_err(failed)?);
        }
        if let Some(ticket) = &ticket
            && self.config.durability == Durability::Always
            && let Err(e) = ticket.wait_durable()
        {
            return Err(unknown(e));
        }
        let mut indexed = Vec::new();
        let mut staged = staged.into_iter();
        let mut sealed = Vec::with_capacity(plans.len());
        for ((state, plan), indices) in guards.iter_mut().zip(plans).zip(groups.values()) {
            sealed.push(self.sealed_by(state, &plan));
            let tmps = staged.next().unwrap_or_default();
            let written = self
                .commit_plan(state, plan, indices, tmps, &mut indexed)
                .map_err(failed)?;
            for (slot, event) in indices.iter().zip(written) {
                out[*slot] = Some(event);
            }
        }
        // The stream takes a batch's events in the caller's order, not by aggregate.
        indexed.sort_by_key(|(slot, _)| *slot);
        let indexed: Vec<index::Entry> = indexed.into_iter().map(|(_, e)| e).collect();
        // Before the ticket goes: until then no checkpoint can empty the journal, which
        // is what tells the next open which lines a crash here may have lost.
        self.index.append(&indexed).map_err(unknown)?;
        for (state, names) in guards.iter_mut().zip(sealed) {
            for name in names {
                // The save is stored whatever happens here: a segment left uncompressed
                // is compressed by the next `compact`.
                let _ = self.seal(state, &name);
            }
        }
        drop(ticket);
        drop(dir_locks);
        drop(guards);
        if let Some(journal) = &self.journal
            && journal.wants_checkpoint()
        {
            journal.checkpoint()?;
        }
        self.trim_cache();
        let stored = out
            .into_iter()
            .map(|e| e.ok_or_else(|| Error::invalid_event("events", "an event was not planned")))
            .collect::<Result<Vec<Event>>>()?;
        self.reveal(stored)
    }

    /// Refuses, before anything is rendered, data whose file cannot be within
    /// `max-event-size-bytes` (the file holds the data and more) or that the Java side
    /// could not read back ([`unreadable_part`]).
    pub(super) fn check_data(&self, i: usize, e: &Event) -> Result<()> {
        let data = e.data.get();
        let max = self.config.max_event_size;
        if data.len() > max {
            return Err(Error::invalid_event(
                format!("events[{i}].eventData"),
                format!(
                    "event {} is {} bytes, over max-event-size-bytes = {max}",
                    e.metadata.event_id,
                    data.len()
                ),
            ));
        }
        if crate::crypto::is_sealed(data) || crate::crypto::is_forgotten(data) {
            return Err(Error::invalid_event(
                format!("events[{i}].eventData"),
                format!(
                    "event {} starts with a member the store reserves ({} or {})",
                    e.metadata.event_id,
                    crate::crypto::ENCRYPTED_MEMBER,
                    crate::crypto::FORGOTTEN_MEMBER
                ),
            ));
        }
        if let Some(part) = unreadable_part(data) {
            return Err(Error::invalid_event(
                format!("events[{i}].eventData"),
                format!(
                    "event {} holds {part}: it could be stored but never read back",
                    e.metadata.event_id
                ),
            ));
        }
        Ok(())
    }

    /// Journals every new file of the batch in one record group and, with `always`,
    /// waits until the journal is synced (shared with concurrent saves).
    pub(super) fn journal_plans(
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
                if let Planned::New {
                    name, bytes, at, ..
                } = step
                {
                    records.extend(journal::encode_record(
                        &journal::record_path(&format!("{rel}/{}", name.render()), *at),
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

    /// Before the journal is durable: records the new names in `.ids` (not in a
    /// directory with segments, which has none) and writes each file the save creates
    /// under a temporary name (a single event's, or a new segment with its lines).
    /// Returns them staged, in plan order; on failure none is left behind. Lines for a
    /// segment that exists already are written by [`Self::commit_plan`].
    pub(super) fn stage_plan(&self, state: &mut AggState, plan: &[Planned]) -> Result<Staged> {
        let dir = state.dir.clone().unwrap_or_default();
        let mut staged = Staged::default();
        let segments = plan
            .iter()
            .any(|step| matches!(step, Planned::New { at: Some(_), .. }))
            || state.has_segments();
        if !segments {
            let new_names: Vec<(String, String)> = plan
                .iter()
                .filter_map(|step| match step {
                    Planned::New { event, name, .. } => {
                        Some((name.render(), event.metadata.event_id.clone()))
                    }
                    _ => None,
                })
                .collect();
            if new_names.is_empty() {
                return Ok(staged);
            }
            write_ids(&*self.io, &dir, state, &new_names)?;
        }
        // Before the rename, like `.ids`: the directory names its last file, so that a
        // reader listing it after a reopen can tell that file deleted (aggregates without
        // `.ids`, segments). A hint: a failure leaves an earlier name, which never accuses.
        let last_new = plan.iter().rev().find_map(|step| match step {
            Planned::New {
                name, at, append, ..
            } if !append && at.is_none_or(|(offset, _)| offset == 0) => Some(name.render()),
            _ => None,
        });
        if let Some(last) = last_new
            && !state.legacy
        {
            let _ = file::set_last_file(&dir, &last);
        }
        for (name, bytes) in new_files(plan) {
            let tmp = dir.join(self.tmp_name(&name.render()));
            // Compressed while the journal syncs: the record holds the plain bytes.
            let bytes = if name.compressed {
                Cow::Owned(compressed(&bytes)?)
            } else {
                bytes
            };
            staged.push(tmp.clone());
            self.io
                .create_and_write(&tmp, &bytes)
                .map_err(|e| Error::io("write", &tmp, e))?;
        }
        Ok(staged)
    }

    /// Once the journal is durable (or at once, without `always`): appends the lines
    /// for the segment that exists already (setting aside a torn line a crash left at
    /// its end first), renames the files [`Self::stage_plan`] wrote into place, in plan
    /// order, and records them in `state` and in `indexed`. On failure the temporary
    /// files not yet renamed are removed (by `staged`, dropped).
    pub(super) fn commit_plan(
        &self,
        state: &mut AggState,
        plan: Vec<Planned>,
        slots: &[usize],
        mut staged: Staged,
        indexed: &mut Vec<(usize, index::Entry)>,
    ) -> Result<Vec<Event>> {
        let dir = state.dir.clone().unwrap_or_default();
        let rel = dir
            .strip_prefix(&self.base)
            .unwrap_or(&dir)
            .to_string_lossy()
            .to_string();
        self.append_to_segment(&dir, state, &plan)?;
        let mut out: Vec<Event> = Vec::with_capacity(plan.len());
        for (step, slot) in plan.into_iter().zip(slots) {
            let event = match step {
                Planned::Stored(path, at) => read_located(&*self.io, &path, at).map(|(e, _)| e),
                Planned::SameAs(at) => Ok(out[at].clone()),
                Planned::New {
                    event,
                    name,
                    bytes,
                    at,
                    append,
                } => {
                    let file = name.render();
                    let first_of_file = !append && at.is_none_or(|(offset, _)| offset == 0);
                    let renamed = if first_of_file {
                        staged.rename_next(&*self.io, &dir.join(&file))
                    } else {
                        Ok(())
                    };
                    renamed.map(|()| {
                        let size = at.map_or(bytes.len(), |(_, len)| len as usize - 1);
                        indexed.push((
                            *slot,
                            index::Entry::of(
                                &event,
                                journal::record_path(&format!("{rel}/{file}"), at),
                                bytes.len() as u64,
                            ),
                        ));
                        state
                            .ids
                            .insert(event.metadata.event_id.clone(), state.entries.len());
                        state.entries.push(KnownEvent {
                            name: file.clone(),
                            at,
                            version: event.metadata.aggregate_version,
                            event_id: event.metadata.event_id.clone(),
                            body: self.cache((*event).clone(), size),
                        });
                        state.tail = at.map(|(offset, len)| SegmentTail {
                            end: offset + u64::from(len),
                            torn: 0,
                            lines: if first_of_file {
                                1
                            } else {
                                state.tail.map_or(0, |t| t.lines) + 1
                            },
                        });
                        if first_of_file {
                            state.listed.push((name, file));
                        }
                        *event
                    })
                }
            };
            out.push(event?);
        }
        Ok(out)
    }

    /// With compression on: the segments `plan` fills to `max-events-per-file` lines.
    fn sealed_by(&self, state: &AggState, plan: &[Planned]) -> Vec<String> {
        if !self.config.compression {
            return Vec::new();
        }
        let mut lines: Vec<(String, u32)> = Vec::new();
        for step in plan {
            if let Planned::New {
                name,
                at: Some(_),
                append,
                ..
            } = step
            {
                let file = name.render();
                match lines.last_mut() {
                    Some((last, n)) if *last == file => *n += 1,
                    _ if *append => lines.push((file, state.tail.map_or(0, |t| t.lines) + 1)),
                    _ => lines.push((file, 1)),
                }
            }
        }
        lines
            .into_iter()
            .filter(|(_, n)| *n >= self.config.max_events_per_file)
            .map(|(file, _)| file)
            .collect()
    }

    /// Replaces the full segment `name` of `state`'s directory by its compressed copy
    /// (`<name>.zst`), under the directory's exclusive lock. The copy is synced and
    /// renamed into place, and the directory synced, before the segment goes: a crash
    /// leaves the segment, or both (readers take the copy), never neither.
    pub(super) fn seal(&self, state: &mut AggState, name: &str) -> Result<()> {
        let dir = state.dir.clone().unwrap_or_default();
        let path = dir.join(name);
        let mut bytes = self
            .io
            .read(&path)
            .map_err(|e| Error::io("read", &path, e))?;
        // Only complete events are sealed: a torn line (a crash in mid-append, that a
        // save by a writer of one event per file never set aside) goes to `.lost/` first,
        // and a line that is not an event stays for reads and `verify` to report.
        match scan_segment(&bytes, 0) {
            (_, None) => {}
            (found, Some(Bad { reason: None, .. })) => {
                let file = file::open_regular(&path, std::fs::OpenOptions::new().write(true))
                    .map_err(|e| Error::io("open", &path, e))?;
                self.set_aside_tail(&path, &file, found.end)?;
                bytes.truncate(usize::try_from(found.end).unwrap_or(usize::MAX));
            }
            (_, Some(Bad { offset, .. })) => {
                return Err(Error::corrupt(
                    &path,
                    format!("the line at byte {offset} is not an event: not compressed"),
                ));
            }
        }
        let zst = format!("{name}{}", layout::COMPRESSED_EXT);
        self.write_synced(&dir, &zst, &compressed(&bytes)?)?;
        // fsync the folder: the copy's name must be durable before the segment goes.
        self.sync_directory(&dir)?;
        std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
        // And again: a removal lost to a power cut would bring back a segment whose
        // lines were never synced (the journal vouched for them) beside the copy.
        self.sync_directory(&dir)?;
        for (parsed, listed) in &mut state.listed {
            if listed == name {
                *listed = zst.clone();
                parsed.compressed = true;
            }
        }
        // Its lines are together, near the end: stop once past them.
        let mut met = false;
        for known in state.entries.iter_mut().rev() {
            if known.name == name {
                known.name = zst.clone();
                met = true;
            } else if met {
                break;
            }
        }
        if state.listed.last().is_some_and(|(_, last)| *last == zst) {
            state.tail = None;
        }
        Ok(())
    }

    /// Writes, in one positioned write, the plan's lines for the segment that exists
    /// already (its last file). Bytes after its last complete line are a line a crash
    /// cut short, never an event: they are set aside to `.lost/` first, so that the new
    /// lines follow the last complete one.
    fn append_to_segment(&self, dir: &Path, state: &AggState, plan: &[Planned]) -> Result<()> {
        let mut lines = Vec::new();
        let mut first = None;
        let mut target = None;
        for step in plan {
            if let Planned::New {
                name,
                bytes,
                at: Some((offset, _)),
                append: true,
                ..
            } = step
            {
                first.get_or_insert(*offset);
                target.get_or_insert_with(|| name.render());
                lines.extend_from_slice(bytes);
            }
        }
        let (Some(offset), Some(name)) = (first, target) else {
            return Ok(());
        };
        let path = dir.join(&name);
        if state.tail.map(|t| t.end) != Some(offset) {
            return Err(Error::Unavailable {
                reason: format!(
                    "{}: planned at byte {offset}, where no line ends",
                    path.display()
                ),
            });
        }
        let file = file::open_regular(&path, std::fs::OpenOptions::new().write(true))
            .map_err(|e| Error::io("open", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", &path, e))?
            .len();
        if len > offset {
            self.set_aside_tail(&path, &file, offset)?;
        }
        self.io
            .append(&file, offset, &lines)
            .map_err(|e| Error::io("write", &path, e))
    }
}

/// The files a plan creates, in plan order, each with its bytes: a single event's file
/// (borrowed from the plan), or a new segment with all the plan's lines for it.
fn new_files(plan: &[Planned]) -> Vec<(&FileName, Cow<'_, [u8]>)> {
    let mut out: Vec<(&FileName, Cow<'_, [u8]>)> = Vec::new();
    for step in plan {
        match step {
            Planned::New {
                name,
                bytes,
                at: Some((offset, _)),
                append: false,
                ..
            } if *offset > 0 => {
                if let Some((_, file)) = out.last_mut().filter(|(n, _)| *n == name) {
                    file.to_mut().extend_from_slice(bytes);
                }
            }
            Planned::New {
                name,
                bytes,
                append: false,
                ..
            } => out.push((name, Cow::Borrowed(bytes))),
            _ => {}
        }
    }
    out
}
