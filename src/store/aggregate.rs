//! One aggregate's view: which directory it lives in (its own, or one ByteHot's old
//! adapter made), and bringing what the store knows of it up to date with that
//! directory, by `.ids` when it can be believed, by listing and parsing otherwise.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::error::{Error, NameKind, Result};
use crate::file::{self, FileLock, is_symlink, lock};
use crate::layout::{self, FileName};

use super::EventStore;
use super::cache::{AggKey, AggState, KnownEvent, SegmentTail};
use super::files::{
    AGGREGATE_CHUNK_MIN, in_parallel, list_events, list_events_truncated, read_event_file,
    read_event_file_sized, read_event_files, read_segment, written_by_old_adapter,
};
use super::ids_file::{IDS_FILE, IDS_FROM_EVENTS, adopt_ids, ids_lines};

/// Where an aggregate lives, as [`EventStore::resolve_dir`] found it.
pub(super) struct AggregateDir {
    pub(super) path: PathBuf,
    /// Made by ByteHot's old adapter: it may hold events of colliding ids, so events
    /// are matched by their metadata, not by the path.
    pub(super) legacy: bool,
    /// Named by a hash of a long id, kept whole in its `.aggregate-id` file.
    pub(super) hashed: bool,
}

/// What a refresh is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Versions and ids (a save, a count): at first use `.ids` is believed, and only
    /// the last file parsed.
    Versions,
    /// Every event, about to be read anyway: at first use the files are parsed, all at
    /// once, rather than `.ids` and the last file first, which would only add two reads
    /// in a row.
    Events,
}

/// Whether the caller holds the aggregate's directory open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    /// Not known to exist: it is looked up.
    Unchecked,
    /// Held open (under its lock) by the caller: it exists, and is not looked up again.
    HeldOpen,
}

/// What an aggregate's view held before a listing that does not extend it.
struct Known {
    listed: Vec<(FileName, String)>,
    entries: Vec<KnownEvent>,
    ids: std::collections::HashMap<String, usize>,
    tail: Option<SegmentTail>,
    superseded: Vec<(String, String)>,
}

impl EventStore {
    /// The directory an aggregate lives in: its own encoded name, or the directory
    /// ByteHot's old adapter made for it, or (for a new aggregate) its own.
    pub(super) fn resolve_dir(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<AggregateDir> {
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
                return Ok(AggregateDir {
                    path: legacy_path,
                    legacy: true,
                    hashed: false,
                });
            }
        }
        if hashed && primary.is_dir() {
            let marker = primary.join(layout::LONG_ID_FILE);
            let stored =
                file::read_regular_to_string(&marker).map_err(|e| Error::io("read", &marker, e))?;
            if stored != aggregate_id {
                return Err(Error::invalid_name(
                    NameKind::AggregateId,
                    aggregate_id,
                    "collides with another long id's hashed directory",
                ));
            }
        }
        Ok(AggregateDir {
            path: primary,
            legacy: false,
            hashed,
        })
    }

    /// Whether `dir` (named `name`, the old adapter's name for the id) holds the id's
    /// events. A name that is no id's canonical name was made by the old adapter; a
    /// canonical one (`a_b` is the id `a_b`'s own directory, and the old name of `a/b`)
    /// counts only if one of its events names the id. A file there that does not parse
    /// names no id: it is that aggregate's problem (its reads and `verify` report it),
    /// not a reason to fail every call about another id.
    pub(super) fn is_legacy_home(
        &self,
        dir: &Path,
        name: &str,
        ty: &str,
        id: &str,
    ) -> Result<bool> {
        if layout::decode_component(name).is_none() {
            return Ok(true);
        }
        Ok(self.ids_in(dir, ty)?.iter().any(|named| named == id))
    }

    /// The aggregate ids of type `ty` that the event files of `dir` name, each once, in
    /// the order first met. Parses only the files added since the last call for `dir`
    /// (event files never change); a file that does not parse names no id.
    pub(super) fn ids_in(&self, dir: &Path, ty: &str) -> Result<Vec<String>> {
        let names = list_events(dir, self.clean())?;
        let mut scans = lock(&self.legacy_scans);
        let known = scans.entry(dir.to_path_buf()).or_default();
        let listed: HashSet<&str> = names.iter().map(|(_, file)| file.as_str()).collect();
        known.retain(|file, _| listed.contains(file.as_str()));
        let mut ids: Vec<String> = Vec::new();
        for (parsed, file) in &names {
            if !known.contains_key(file) {
                let path = dir.join(file);
                // A segment holds one aggregate's events: its first line names it.
                let first = if parsed.segment {
                    read_segment(&*self.io, &path, 0)
                        .ok()
                        .and_then(|lines| lines.events.into_iter().next())
                        .map(|(event, _, _)| event)
                } else {
                    read_event_file(&*self.io, &path).ok()
                };
                let named = first
                    .filter(|e| e.metadata.aggregate_type == ty)
                    .map(|e| e.metadata.aggregate_id);
                known.insert(file.clone(), named);
            }
            if let Some(Some(id)) = known.get(file)
                && !ids.contains(id)
            {
                ids.push(id.clone());
            }
        }
        Ok(ids)
    }

    /// The names written after the cache's last one, from the lines `.ids` gained since
    /// `state` read it, when each names an existing file that sorts after the cache;
    /// `None` when the directory must be listed. With them, the length of `.ids` they end
    /// at.
    pub(super) fn names_after_cache(
        &self,
        dir: &Path,
        state: &AggState,
    ) -> Option<(Vec<(FileName, String)>, u64)> {
        let (ino, len) = state.ids_file?;
        let (last_name, last) = state.listed.last()?;
        // A segment grows without a line in `.ids`: only a listing and its size tell.
        if last_name.segment {
            return None;
        }
        let path = dir.join(IDS_FILE);
        // The common case, nothing written since, costs one `stat` and no descriptor (on
        // Unix: Windows opens the file to learn its id).
        let (id, meta) = file::identify(&path).ok()?;
        if id.ino != ino || meta.len() < len {
            return None;
        }
        if meta.len() == len {
            return Some((Vec::new(), len));
        }
        let mut file = file::open_regular(&path, OpenOptions::new().read(true)).ok()?;
        if file::file_id(&file).ok()?.ino != ino {
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
    pub(super) fn load_ids(&self, key: &AggKey, dir: &Path, state: &mut AggState) -> Result<bool> {
        if state.legacy || !state.listed.is_empty() {
            return Ok(false);
        }
        let (names, truncation) = list_events_truncated(dir, self.clean())?;
        let base = truncation.as_ref().map_or(0, |t| t.through_version);
        // A directory with segments has no `.ids` (see [`IDS_FILE`]).
        if names.len() <= IDS_FROM_EVENTS || names.iter().any(|(n, _)| n.segment) {
            return Ok(false);
        }
        let path = dir.join(IDS_FILE);
        let Ok(mut file) = file::open_regular(&path, OpenOptions::new().read(true)) else {
            return Ok(false);
        };
        // Both are asked for before either is read: on a cold directory the last file
        // then arrives with `.ids` instead of in a second wait after it.
        file::will_need(&file);
        if let Some(last) = names
            .last()
            .and_then(|(_, n)| file::open_regular(&dir.join(n), OpenOptions::new().read(true)).ok())
        {
            file::will_need(&last);
        }
        let mut bytes = Vec::new();
        let Ok(ids_file) =
            file::file_id(&file).and_then(|id| file.read_to_end(&mut bytes).map(|_| id))
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
            || m.aggregate_version != base + lines.len() as u64
            || m.event_id != *last_id
        {
            return Ok(false);
        }
        state.entries = lines
            .iter()
            .enumerate()
            .map(|(i, (name, id))| KnownEvent {
                name: name.to_string(),
                at: None,
                version: base + i as u64 + 1,
                event_id: id.clone(),
                body: None,
            })
            .collect();
        state.base = base;
        state.base_event_id = truncation.map(|t| t.last_event_id);
        state.ids = lines
            .into_iter()
            .enumerate()
            .map(|(i, (_, id))| (id, i))
            .collect();
        if let Some(last) = state.entries.last_mut() {
            last.body = self.cache(last_event, size);
        }
        state.listed = names;
        state.ids_file = Some((ids_file.ino, bytes.len() as u64));
        Ok(true)
    }

    pub(super) fn refresh(&self, key: &AggKey, state: &mut AggState) -> Result<()> {
        self.refresh_for(key, state, Need::Versions, Dir::Unchecked)
    }

    /// [`Self::refresh`] of an aggregate whose directory, `state.dir`, the caller has
    /// open (its lock): it exists, so it is not looked up again.
    pub(super) fn refresh_locked(&self, key: &AggKey, state: &mut AggState) -> Result<()> {
        self.refresh_for(key, state, Need::Versions, Dir::HeldOpen)
    }

    /// Brings `state` up to date with the aggregate's directory, for what `need` says.
    pub(super) fn refresh_for(
        &self,
        key: &AggKey,
        state: &mut AggState,
        need: Need,
        dir: Dir,
    ) -> Result<()> {
        let known = match dir {
            Dir::HeldOpen => state.dir.is_some(),
            Dir::Unchecked => state.dir.as_ref().is_some_and(|d| d.is_dir()),
        };
        if !known {
            let found = self.resolve_dir(&key.0, &key.1)?;
            *state = AggState {
                dir: Some(found.path),
                legacy: found.legacy,
                ..AggState::default()
            };
        }
        let Some(dir) = state.dir.clone() else {
            return Ok(());
        };
        if need == Need::Versions && self.load_ids(key, &dir, state)? {
            return Ok(());
        }
        // The lines `.ids` gained count as read only once the files they name are parsed:
        // a failure on the way leaves them for the next refresh, which would otherwise
        // find nothing new and serve (and append after) the shorter history.
        let mut ids_caught_up = None;
        let mut before: Option<Known> = None;
        let skip = match self.names_after_cache(&dir, state) {
            // Only what follows the cache.
            Some((newer, ids_len)) => {
                ids_caught_up = state.ids_file.map(|(ino, _)| (ino, ids_len));
                (newer, 0)
            }
            None => {
                state.ids_file = None;
                let (names, truncation) = list_events_truncated(&dir, self.clean())?;
                let base = truncation
                    .map(|t| (t.through_version, Some(t.last_event_id)))
                    .unwrap_or_default();
                if (state.base, &state.base_event_id) != (base.0, &base.1) {
                    // A cleanup removed the oldest files since: the view starts over.
                    state.listed.clear();
                    state.entries.clear();
                    state.ids.clear();
                    state.tail = None;
                    state.superseded.clear();
                    (state.base, state.base_event_id) = base;
                }
                let known = state.listed.len();
                // Files only come, except where `compact` replaced single-event files by
                // a segment holding the same events: unless the cache is a prefix of the
                // listing, start over, and check below that every event it knew is
                // still there.
                // Every known name, not only the last: `compact` removes files from the
                // front. A segment compressed since keeps its place under its new name.
                let is_prefix = known <= names.len()
                    && state
                        .listed
                        .iter()
                        .zip(&names)
                        .all(|((_, a), (_, b))| layout::plain_name(a) == layout::plain_name(b));
                if is_prefix {
                    for (mine, now) in state.listed.iter_mut().zip(&names) {
                        if mine.1 != now.1 {
                            *mine = now.clone();
                        }
                    }
                }
                if !is_prefix {
                    // Kept whole until the new view is known to hold every event it held.
                    before = Some(Known {
                        listed: std::mem::take(&mut state.listed),
                        entries: std::mem::take(&mut state.entries),
                        ids: std::mem::take(&mut state.ids),
                        tail: state.tail.take(),
                        superseded: std::mem::take(&mut state.superseded),
                    });
                }
                let skip = state.listed.len();
                (names, skip)
            }
        };
        let (names, skip) = skip;
        let names: Vec<(FileName, String)> = names.into_iter().skip(skip).collect();
        // The last segment read may have grown since (another writer appended to it).
        if let (Some(tail), Some((_, last))) = (state.tail, state.listed.last().cloned()) {
            let path = dir.join(&last);
            let grown = read_segment(&*self.io, &path, tail.end)?;
            state.tail = Some(SegmentTail {
                end: grown.end,
                lines: tail.lines + grown.events.len() as u32,
                torn: grown.torn,
            });
            for (event, size, at) in grown.events {
                self.accept(key, state, &path, last.clone(), Some(at), event, size)?;
            }
            // Compressed since: sealed, nothing more comes.
            if last.ends_with(layout::COMPRESSED_EXT) {
                state.tail = None;
            }
        }
        if !names.is_empty() {
            state.tail = None;
        }
        // `.ids` is read after the files, to be adopted: asked for now, it arrives with
        // them rather than as one more wait after them on a cold directory.
        // A directory with segments has none (see `write.rs`): not looked for.
        let segments = state.has_segments() || names.iter().any(|(n, _)| n.segment);
        let ids = (state.ids_file.is_none() && !state.legacy && !segments)
            .then(|| file::open_regular(&dir.join(IDS_FILE), OpenOptions::new().read(true)).ok())
            .flatten()
            .inspect(file::will_need);
        // All single-event files are parsed: with several threads, so that a cold
        // directory keeps several reads in flight. Segments are read whole, one by one.
        let singles: Vec<&String> = names
            .iter()
            .filter(|(parsed, _)| !parsed.segment)
            .map(|(_, name)| name)
            .collect();
        let read = in_parallel(&singles, AGGREGATE_CHUNK_MIN, |part| {
            let paths: Vec<PathBuf> = part.iter().map(|name| dir.join(name)).collect();
            read_event_files(&*self.io, &paths).into_iter().collect()
        })?;
        let mut read = read.into_iter();
        let last_at = names.len().checked_sub(1);
        for (i, (parsed, name)) in names.into_iter().enumerate() {
            let path = dir.join(&name);
            if parsed.segment {
                let lines = read_segment(&*self.io, &path, 0)?;
                // A compressed segment is sealed: nothing is appended to it.
                if Some(i) == last_at && !parsed.compressed {
                    state.tail = Some(SegmentTail {
                        end: lines.end,
                        lines: lines.events.len() as u32,
                        torn: lines.torn,
                    });
                }
                for (event, size, at) in lines.events {
                    self.accept(key, state, &path, name.clone(), Some(at), event, size)?;
                }
                state.listed.push((parsed, name));
                continue;
            }
            let Some((mut event, size)) = read.next() else {
                return Err(Error::Unavailable {
                    reason: format!("{}: not read with the other files", path.display()),
                });
            };
            let mine =
                event.metadata.aggregate_type == key.0 && event.metadata.aggregate_id == key.1;
            // ByteHot's adapter stamped version 1 on every event of a session: its files
            // are read in file order, each at the version its place gives it.
            let effective = state.current_version() + 1;
            if mine
                && event.metadata.aggregate_version != effective
                && written_by_old_adapter(&*self.io, &path)
            {
                event.metadata.aggregate_version = effective;
            }
            self.accept(key, state, &path, name.clone(), None, event, size)?;
            state.listed.push((parsed, name));
        }
        // An event this store saw is gone: serving the rest would pass a shorter history
        // for the whole one, and the next save would reuse a version.
        let gone = before.as_ref().and_then(|known| {
            known
                .entries
                .iter()
                .find(|e| !state.ids.contains_key(&e.event_id))
                .map(|e| e.name.clone())
        });
        if let (Some(gone), Some(known)) = (gone, before) {
            // The old view stays, so that every later use fails the same way until the
            // file is back, instead of taking the shorter listing for the history.
            state.listed = known.listed;
            state.entries = known.entries;
            state.ids = known.ids;
            state.tail = known.tail;
            state.superseded = known.superseded;
            return Err(Error::corrupt(
                dir.join(gone),
                format!(
                    "an event of {}/{} read before from this file is gone (events are never \
                     removed): restore it from a backup",
                    key.0, key.1
                ),
            ));
        }
        if ids_caught_up.is_some() {
            state.ids_file = ids_caught_up;
        } else if state.ids_file.is_none() && !state.legacy {
            let had_ids = ids.is_some();
            state.ids_file = adopt_ids(ids, state);
            if had_ids && state.ids_file.is_none() {
                self.check_last_files_present(key, &dir, state, &ids_names(&dir))?;
            } else if !had_ids {
                let last = file::last_file(&dir);
                self.check_last_files_present(key, &dir, state, last.as_slice())?;
            }
        }
        Ok(())
    }

    /// Takes one event read from `path` (its own file, or the line `at` of a segment)
    /// into `state`: the aggregate's next version, or a neighbour of an old-layout
    /// directory; anything else is corruption, named.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &self,
        key: &AggKey,
        state: &mut AggState,
        path: &Path,
        name: String,
        at: Option<(u64, u32)>,
        event: crate::event::Event,
        size: usize,
    ) -> Result<()> {
        let m = &event.metadata;
        let mine = m.aggregate_type == key.0 && m.aggregate_id == key.1;
        let place = match at {
            Some((offset, _)) => format!("the line at byte {offset}: "),
            None => String::new(),
        };
        // The old adapter put `a/b` and `a_b` in one directory, which may also be
        // the canonical directory of `a_b`: such a neighbour is not corruption.
        let dir_name = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str());
        let old_neighbour = m.aggregate_type == key.0
            && layout::legacy_id_dir(&m.aggregate_id).as_deref() == dir_name;
        if !mine && !state.legacy && !old_neighbour {
            return Err(Error::corrupt(
                path,
                format!(
                    "{place}its metadata names aggregate {}/{} but it lies in the directory of {}/{}",
                    m.aggregate_type, m.aggregate_id, key.0, key.1
                ),
            ));
        }
        if !mine {
            return Ok(());
        }
        // The same event as a single-event file and as a line of a segment: `compact`
        // was cut short between writing the segment and removing the files it replaces.
        // The segment's copy stands; the file is superseded (the next `compact` removes it).
        // Their versions may differ: a file of ByteHot's adapter reads at the version its
        // place gives it, which the copy beside it shifts.
        if let Some(&known) = state.ids.get(&m.event_id) {
            let event_id = m.event_id.clone();
            let earlier = &mut state.entries[known];
            if earlier.at.is_some() != at.is_some() {
                let file = if at.is_some() {
                    let file = std::mem::replace(&mut earlier.name, name);
                    earlier.at = at;
                    earlier.body = self.cache(event, size);
                    file
                } else {
                    name
                };
                state.superseded.push((file, event_id));
                return Ok(());
            }
        }
        // A missing file (lost, or removed by hand) must not pass for a history: a
        // reader rebuilding state from it would silently skip an event.
        if m.aggregate_version != state.current_version() + 1 {
            return Err(Error::corrupt(
                path,
                format!(
                    "{place}version {} follows version {}: an event of {}/{} is missing",
                    m.aggregate_version,
                    state.current_version(),
                    key.0,
                    key.1
                ),
            ));
        }
        state.ids.insert(m.event_id.clone(), state.entries.len());
        state.entries.push(KnownEvent {
            name,
            at,
            version: m.aggregate_version,
            event_id: m.event_id.clone(),
            body: None,
        });
        if let Some(last) = state.entries.last_mut() {
            last.body = self.cache(event, size);
        }
        Ok(())
    }

    /// After a listing: fails when a file `names` holds (from `.ids` when it disagrees
    /// with the listing, or the name the directory records as its last file, see
    /// `file::set_last_file`) sorts after the last one listed and is gone although the
    /// index shows it was renamed into place (the aggregate's last events deleted by hand,
    /// or lost), so that the shorter history is not served and its versions not reused.
    /// A name only `.ids` or the directory knows is a save that failed or crashed before
    /// its rename (both are written first): no loss.
    fn check_last_files_present(
        &self,
        key: &AggKey,
        dir: &Path,
        state: &AggState,
        names: &[String],
    ) -> Result<()> {
        if self.recovering.load(Ordering::Relaxed) {
            return Ok(());
        }
        let after = state.last_key();
        let rel_dir = dir
            .strip_prefix(&self.base)
            .unwrap_or(dir)
            .to_string_lossy();
        for name in names {
            let Some(parsed) = FileName::parse(name) else {
                continue;
            };
            // A segment sealed since is the same file under its compressed name; a file
            // that appeared since the listing was renamed by a writer meanwhile.
            let plain = layout::plain_name(name);
            let present = |n: &str| dir.join(n).exists();
            if after.is_some_and(|last| parsed.sort_key() <= last)
                || present(plain)
                || present(&format!("{plain}{}", layout::COMPRESSED_EXT))
            {
                continue;
            }
            if self
                .index
                .lists_file(&parsed.event_type, &format!("{rel_dir}/{plain}"))?
            {
                return Err(Error::corrupt(
                    dir.join(name),
                    format!(
                        "this event file of {}/{} is missing although it was stored (the \
                         index lists it): restore it from a backup; to accept the loss, \
                         delete .ids if there is one and rebuild the index",
                        key.0, key.1
                    ),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn create_aggregate_dir(&self, key: &AggKey, state: &mut AggState) -> Result<()> {
        let AggregateDir {
            path: dir,
            legacy,
            hashed,
        } = self.resolve_dir(&key.0, &key.1)?;
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

    /// Refreshes `state` under a shared `flock` of its directory (shared with other
    /// readers, exclusive of writers: a consistent `.head`); returns the lock.
    pub(super) fn refresh_shared(
        &self,
        key: &AggKey,
        state: &mut AggState,
        need: Need,
    ) -> Result<Option<File>> {
        let dir = match &state.dir {
            Some(dir) => dir.clone(),
            None => self.resolve_dir(&key.0, &key.1)?.path,
        };
        let shared = match file::open_dir_lock(&dir) {
            Ok(f) => Some(
                f.acquire_shared()
                    .map(|()| f)
                    .map_err(|e| Error::io("lock", &dir, e))?,
            ),
            Err(_) => None,
        };
        let held = match shared {
            Some(_) if state.dir.is_some() => Dir::HeldOpen,
            _ => Dir::Unchecked,
        };
        self.refresh_for(key, state, need, held)?;
        Ok(shared)
    }

    /// `f` applied to an aggregate's view, refreshed under the directory's shared lock.
    pub(super) fn with_state<R>(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        f: impl FnOnce(&AggState) -> R,
    ) -> Result<R> {
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let state = self.state(&key);
        let mut state = lock(&state);
        let _shared = self.refresh_shared(&key, &mut state, Need::Versions)?;
        let out = f(&state);
        drop(state);
        self.trim_cache();
        Ok(out)
    }

    /// The event-file names of an aggregate with version > `since`, after a refresh.
    pub(super) fn entries_since(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        since: u64,
    ) -> Result<(PathBuf, Vec<KnownEvent>)> {
        self.with_state(aggregate_type, aggregate_id, |state| {
            let start = state.entries.partition_point(|e| e.version <= since);
            (
                state.dir.clone().unwrap_or_default(),
                state.entries[start..].to_vec(),
            )
        })
    }
}

/// The names `.ids` of the directory `dir` lists, in its complete lines.
fn ids_names(dir: &Path) -> Vec<String> {
    let Ok(bytes) = file::read_regular(&dir.join(IDS_FILE)) else {
        return Vec::new();
    };
    let whole = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(&[][..], |end| &bytes[..=end]);
    ids_lines(whole)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect()
}
