//! The store's one global order: `<base>/.stream/log`, one line per committed event
//! with its **position**, so that every event of the store can be read, and followed, in
//! the order it was committed, by every process sharing the directory.
//!
//! Format (JSON, one value per line): a header `{"format":"bytehot-eventstore stream 1",
//! "id":"<hex>"}`, then `[position, eventType, rel, bytes, eventId, correlationId, userId]`
//! per event (`rel` and `bytes` as the index writes them, `<type dir>/<id dir>/<file>[@offset]`
//! and the file's or line's length; the three
//! ids `null` when absent, and as `{"fnv":"<hex>"}` beyond [`MAX_ID_IN_LINE`] bytes), or
//! `[position]` for a position whose event is gone (a cleanup removed it, or a power loss
//! took it back before it was durable).
//!
//! Invariants:
//! - A line is appended only once its event is committed (renamed into place, after the
//!   journal sync under `always`), under the log's exclusive `flock`: positions are
//!   handed out in commit order, one after another, by whichever process appends. No line
//!   is ever removed, so the last line's position is the greatest ever given, and no
//!   position is given twice while the log lives.
//! - Positions grow with the offset of their line: a position is found by bisection,
//!   and a page costs what it returns.
//! - A rewrite (compaction moved events, a cleanup removed some, a crash's repair) takes
//!   the exclusive lock, keeps every position, and replaces the file by rename; an
//!   appender or reader whose descriptor no longer names the log reopens it.
//! - The log is not derived from the files: a rebuild of the index keeps it, giving new
//!   positions only to events it lacks. If it is lost, a new one (with a new `id`) numbers
//!   the events again from 1; a checkpoint names the log's `id`, so it is not believed then.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::file::{self, Access, FileExt, FileId, FileLock, lock};
use crate::index::{Entry, Replayed};
use crate::io::StoreIo;

/// The stream's directory under the base directory.
pub(crate) const STREAM_DIR: &str = ".stream";

const LOG_FILE: &str = "log";

const FORMAT: &str = "bytehot-eventstore stream 1";

/// Ids longer than this are kept in a line as a hash: a line stays short (the last one is
/// found by reading the log's last few KiB), and a filter compares the event itself.
pub(crate) const MAX_ID_IN_LINE: usize = 256;

/// How much of the log's end is read first looking for its last line (widened four
/// times over up to [`MAX_TAIL_SEARCH`] when that holds none).
const TAIL_READ: u64 = 16 * 1024;

/// Beyond this, a log whose end holds no line is not searched further: it is damaged.
const MAX_TAIL_SEARCH: u64 = 64 * 1024 * 1024;

/// A line longer than this is not one this module wrote (ids are hashed past 256 bytes):
/// a reader skips it rather than holding it.
const MAX_LINE: usize = 1024 * 1024;

/// Below this many bytes between the bounds, bisection stops and lines are read in turn.
const SCAN_BYTES: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    id: String,
}

/// An id as a line holds it: itself, or its hash when long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum LineId {
    /// The id itself.
    Plain(String),
    /// FNV-1a of a long id.
    Hashed {
        /// Hex digits of the hash.
        fnv: String,
    },
}

impl LineId {
    pub(crate) fn of(id: &str) -> LineId {
        if id.len() <= MAX_ID_IN_LINE {
            LineId::Plain(id.to_string())
        } else {
            LineId::Hashed {
                fnv: format!("{:016x}", crate::layout::fnv1a64(id.as_bytes())),
            }
        }
    }
}

/// One event's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) position: u64,
    /// `None`: the position's event is gone.
    pub(crate) event: Option<LineEvent>,
}

/// What a line says of its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineEvent {
    pub(crate) event_type: String,
    pub(crate) rel: String,
    pub(crate) bytes: u64,
    pub(crate) event_id: Option<LineId>,
    pub(crate) correlation: Option<LineId>,
    pub(crate) user: Option<LineId>,
}

type LineOut<'a> = (
    u64,
    &'a str,
    &'a str,
    u64,
    &'a Option<LineId>,
    &'a Option<LineId>,
    &'a Option<LineId>,
);

type LineIn = (
    u64,
    String,
    String,
    u64,
    Option<LineId>,
    Option<LineId>,
    Option<LineId>,
);

impl Line {
    fn render(&self, out: &mut Vec<u8>) {
        // Numbers, strings and the id enum always serialize.
        let _ = match &self.event {
            None => serde_json::to_writer(&mut *out, &[self.position]),
            Some(e) => {
                let line: LineOut<'_> = (
                    self.position,
                    &e.event_type,
                    &e.rel,
                    e.bytes,
                    &e.event_id,
                    &e.correlation,
                    &e.user,
                );
                serde_json::to_writer(&mut *out, &line)
            }
        };
        out.push(b'\n');
    }

    /// One line without its newline; `None` for anything this module did not write.
    fn parse(line: &[u8]) -> Option<Line> {
        if let Ok((position, event_type, rel, bytes, event_id, correlation, user)) =
            serde_json::from_slice::<LineIn>(line)
        {
            // A place outside the store's event files is never read, whatever the log says.
            if !crate::index::valid_rel(&rel) {
                return None;
            }
            return Some(Line {
                position,
                event: Some(LineEvent {
                    event_type,
                    rel,
                    bytes,
                    event_id,
                    correlation,
                    user,
                }),
            });
        }
        let (position,) = serde_json::from_slice::<(u64,)>(line).ok()?;
        Some(Line {
            position,
            event: None,
        })
    }

    fn of(position: u64, e: &Entry) -> Line {
        Line {
            position,
            event: Some(LineEvent {
                event_type: e.event_type.clone(),
                rel: e.rel.clone(),
                bytes: e.bytes,
                event_id: e.event_id.as_deref().map(LineId::of),
                correlation: e.correlation.as_deref().map(LineId::of),
                user: e.user.as_deref().map(LineId::of),
            }),
        }
    }
}

/// `<type dir>/<id dir>` of a `rel`: which aggregate directory an event lives in.
fn aggregate_of(rel: &str) -> &str {
    let mut slashes = rel.match_indices('/').map(|(at, _)| at);
    let _ = slashes.next();
    slashes.next().map_or(rel, |at| &rel[..at])
}

/// What identifies an event across moves: its aggregate directory and its id (its place
/// alone when its file does not parse).
fn key_of_entry(e: &Entry) -> (String, Option<LineId>, Option<String>) {
    match &e.event_id {
        Some(id) => (aggregate_of(&e.rel).to_string(), Some(LineId::of(id)), None),
        None => (aggregate_of(&e.rel).to_string(), None, Some(e.rel.clone())),
    }
}

fn key_of_line(e: &LineEvent) -> (String, Option<LineId>, Option<String>) {
    match &e.event_id {
        Some(id) => (aggregate_of(&e.rel).to_string(), Some(id.clone()), None),
        None => (aggregate_of(&e.rel).to_string(), None, Some(e.rel.clone())),
    }
}

/// Identity of the file a descriptor names.
fn identity(file: &File) -> std::io::Result<FileId> {
    file::file_id(file)
}

/// The log as an appender holds it between appends.
struct Appender {
    file: File,
    id: FileId,
    /// Length and last position when this process last appended: the next append reads
    /// the end again only if another process wrote since.
    len: u64,
    last: u64,
}

/// Where a reader stands in the log: which file, the offset of the next line to read
/// and the position that line must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// `None` before the log existed.
    id: Option<FileId>,
    offset: u64,
    next: u64,
}

/// A page of lines and where the next page starts.
pub(crate) struct Page {
    pub(crate) lines: Vec<Line>,
    pub(crate) cursor: Cursor,
    /// Whether the page stopped at the end of what may be read (rather than at its limit).
    pub(crate) at_end: bool,
}

/// The stream log of one store.
pub(crate) struct Stream {
    base: PathBuf,
    path: PathBuf,
    io: Arc<dyn StoreIo>,
    appender: Mutex<Option<Appender>>,
    /// The log's identity and length known durable (synced by this process), for readers
    /// that deliver only what a power cut cannot take back.
    synced: Mutex<(Option<FileId>, u64)>,
}

impl Stream {
    pub(crate) fn new(base: &Path, io: Arc<dyn StoreIo>) -> Stream {
        Stream {
            base: base.to_path_buf(),
            path: base.join(STREAM_DIR).join(LOG_FILE),
            io,
            appender: Mutex::new(None),
            synced: Mutex::new((None, 0)),
        }
    }

    /// The log's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding the log (what a watcher watches).
    pub(crate) fn dir(&self) -> PathBuf {
        self.base.join(STREAM_DIR)
    }

    /// Whether the log exists with its header (a store whose index is complete has one).
    pub(crate) fn exists(&self) -> bool {
        self.open_read()
            .ok()
            .and_then(|mut f| read_header(&mut f).ok())
            .is_some()
    }

    fn open_read(&self) -> std::io::Result<File> {
        file::open_beneath(&self.base, &self.path, Access::Read, false)
    }

    fn open_append(&self) -> std::io::Result<File> {
        file::open_beneath(&self.base, &self.path, Access::AppendCreate, true)
    }

    fn fail(&self, what: &'static str) -> impl Fn(std::io::Error) -> Error + '_ {
        move |e| Error::io(what, self.path(), e)
    }

    /// Whether the descriptor still names the log (a rewrite replaces it by rename).
    fn current(&self, id: FileId) -> bool {
        file::identify(&self.path).is_ok_and(|(now, _)| now == id)
    }

    /// The log's id (from its header), creating the log when missing.
    pub(crate) fn id(&self) -> Result<String> {
        let fail = self.fail("read stream");
        if let Ok(mut f) = self.open_read()
            && let Ok(header) = read_header(&mut f)
        {
            return Ok(header.id);
        }
        let f = self.open_append().map_err(self.fail("create stream"))?;
        f.acquire().map_err(&fail)?;
        let result = ensure_header(&*self.io, &f).map_err(&fail);
        let _ = f.release();
        result
    }

    /// Gives the entries (events just committed, in order) the next positions and
    /// appends their lines in one write. Returns the positions.
    pub(crate) fn append(&self, entries: &[Entry]) -> Result<Vec<u64>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let fail = self.fail("append stream");
        let mut held = lock(&self.appender);
        loop {
            let mut app = match held.take() {
                Some(app) => app,
                None => {
                    let file = self.open_append().map_err(&fail)?;
                    let id = identity(&file).map_err(&fail)?;
                    Appender {
                        file,
                        id,
                        len: u64::MAX,
                        last: 0,
                    }
                }
            };
            app.file.acquire().map_err(&fail)?;
            if !self.current(app.id) {
                let _ = app.file.release();
                continue;
            }
            let written = (|| -> std::io::Result<Vec<u64>> {
                let len = app.file.metadata()?.len();
                let mut bytes = Vec::with_capacity(entries.len() * 128);
                if len == 0 {
                    bytes.extend_from_slice(&header_line());
                } else if len != app.len {
                    let (last, torn) = last_position(&app.file, len)?;
                    app.last = last;
                    // A torn end (a write a full disk cut short) is ended first, so that
                    // this line does not join it.
                    if torn {
                        bytes.push(b'\n');
                    }
                }
                let positions: Vec<u64> =
                    (1..=entries.len() as u64).map(|k| app.last + k).collect();
                for (position, e) in positions.iter().zip(entries) {
                    Line::of(*position, e).render(&mut bytes);
                }
                self.io.append_line(&app.file, &bytes)?;
                app.len = len + bytes.len() as u64;
                app.last = positions.last().copied().unwrap_or(app.last);
                Ok(positions)
            })();
            let _ = app.file.release();
            match written {
                Ok(positions) => {
                    *held = Some(app);
                    return Ok(positions);
                }
                Err(e) => return Err(fail(e)),
            }
        }
    }

    /// Makes the log durable as it is now (a checkpoint is never ahead of the positions
    /// it counts on).
    pub(crate) fn sync(&self) -> Result<()> {
        match self.open_read() {
            Ok(f) => {
                let len = f.metadata().map_err(self.fail("sync stream"))?.len();
                self.sync_log(&f).map_err(self.fail("sync stream"))?;
                let id = identity(&f).map_err(self.fail("sync stream"))?;
                let mut synced = lock(&self.synced);
                if synced.0 != Some(id) || synced.1 < len {
                    *synced = (Some(id), len);
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.fail("sync stream")(e)),
        }
    }

    /// Syncs the log open for reading as `f`. Windows flushes only a handle open for
    /// writing: refused there, the log is opened again to append (never written).
    fn sync_log(&self, f: &File) -> std::io::Result<()> {
        match self.io.sync_file(f) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                self.io.sync_file(&self.open_append()?)
            }
            other => other,
        }
    }

    /// The greatest position given so far (0 when none).
    pub(crate) fn last_position(&self) -> Result<u64> {
        let fail = self.fail("read stream");
        let f = match self.open_read() {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(fail(e)),
        };
        let len = f.metadata().map_err(&fail)?.len();
        Ok(last_position(&f, len).map_err(&fail)?.0)
    }

    /// A cursor before the first line whose position is at least `from`.
    pub(crate) fn seek(&self, from: u64) -> Result<Cursor> {
        let fail = self.fail("read stream");
        let mut f = match self.open_read() {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Cursor {
                    id: None,
                    offset: 0,
                    next: from.max(1),
                });
            }
            Err(e) => return Err(fail(e)),
        };
        let meta = f.metadata().map_err(&fail)?;
        let len = meta.len();
        let start = match header_end(&mut f) {
            Ok(end) => end,
            Err(_) => len,
        };
        let offset = bisect(&f, start, len, from.max(1)).map_err(&fail)?;
        Ok(Cursor {
            id: Some(identity(&f).map_err(&fail)?),
            offset,
            next: from.max(1),
        })
    }

    /// Up to `limit` lines from `cursor` on (void lines included), reading only what lies
    /// within the log's durable part when `durable_only` (syncing the log first when it
    /// grew since this process last synced it).
    pub(crate) fn page(&self, cursor: Cursor, limit: usize, durable_only: bool) -> Result<Page> {
        let fail = self.fail("read stream");
        let mut f = match self.open_read() {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Page {
                    lines: Vec::new(),
                    cursor,
                    at_end: true,
                });
            }
            Err(e) => return Err(fail(e)),
        };
        let meta = f.metadata().map_err(&fail)?;
        let id = identity(&f).map_err(&fail)?;
        let cursor = if Some(id) == cursor.id {
            cursor
        } else {
            // Replaced by a rewrite (or created since): positions stand, offsets do not.
            let len = meta.len();
            let start = header_end(&mut f).unwrap_or(len);
            Cursor {
                id: Some(id),
                offset: bisect(&f, start, len, cursor.next).map_err(&fail)?,
                next: cursor.next,
            }
        };
        let mut end = meta.len();
        if durable_only {
            let mut synced = lock(&self.synced);
            if synced.0 != Some(id) || synced.1 < end {
                self.sync_log(&f).map_err(self.fail("sync stream"))?;
                *synced = (Some(id), end);
            }
            end = end.min(synced.1);
        }
        let mut lines = Vec::new();
        let mut offset = cursor.offset;
        let mut next = cursor.next;
        let mut at_end = true;
        let mut chunk = vec![0u8; SCAN_BYTES as usize];
        'read: while offset < end {
            let want = ((end - offset) as usize).min(chunk.len());
            let got = read_full_at(&f, &mut chunk[..want], offset).map_err(&fail)?;
            let bytes = &chunk[..got];
            let Some(last_newline) = memchr::memrchr(b'\n', bytes) else {
                if got == chunk.len() && chunk.len() >= MAX_LINE {
                    // Not a line this module wrote: passed over, to the next newline.
                    match next_newline(&f, offset + got as u64, end).map_err(&fail)? {
                        Some(at) => {
                            offset = at + 1;
                            continue;
                        }
                        None => break,
                    }
                }
                if got == chunk.len() {
                    // A line longer than the chunk: read it whole.
                    chunk.resize(chunk.len() * 2, 0);
                    continue;
                }
                break; // a torn last line: not a line yet
            };
            let mut start = 0;
            for at in memchr::memchr_iter(b'\n', &bytes[..=last_newline]) {
                let raw = &bytes[start..at];
                let line_end = offset + at as u64 + 1;
                start = at + 1;
                let Some(line) = Line::parse(raw) else {
                    continue;
                };
                if line.position < next {
                    continue;
                }
                if lines.len() == limit {
                    at_end = false;
                    offset = line_end - raw.len() as u64 - 1;
                    break 'read;
                }
                next = line.position + 1;
                lines.push(line);
            }
            offset += last_newline as u64 + 1;
        }
        Ok(Page {
            lines,
            cursor: Cursor {
                id: Some(id),
                offset,
                next,
            },
            at_end,
        })
    }

    /// After a crash, a compaction or a cleanup: the lines of `events` made to agree with
    /// the files. An event on disk keeps its position (its line names its new place) or,
    /// without a line, gets the next one; a line of an event that is gone is voided.
    pub(crate) fn repair(&self, events: &[Replayed], durable: bool) -> Result<()> {
        let present: Vec<&Entry> = events
            .iter()
            .filter(|r| r.on_disk)
            .map(|r| &r.entry)
            .collect();
        let gone: HashSet<&str> = events
            .iter()
            .filter(|r| !r.on_disk)
            .map(|r| r.entry.rel.as_str())
            .collect();
        self.reconcile(&present, |rel| gone.contains(rel), durable)
    }

    /// After an index rebuild: every event of `entries` (all the store's) keeps its
    /// position or gets a new one; every other line is voided.
    pub(crate) fn rebuild(&self, entries: &[Entry], durable: bool) -> Result<()> {
        let present: Vec<&Entry> = entries.iter().collect();
        self.reconcile(&present, |_| true, durable)
    }

    /// The lines rewritten under the exclusive lock: those of `present` events named
    /// where they are now, lines not matched and whose place `gone` accepts voided, the
    /// unmatched `present` events appended in time order.
    fn reconcile(
        &self,
        present: &[&Entry],
        gone: impl Fn(&str) -> bool,
        durable: bool,
    ) -> Result<()> {
        let fail = self.fail("rewrite stream");
        let mut held = lock(&self.appender);
        *held = None;
        let (mut f, dir) = loop {
            let dir =
                file::StoreDir::open(&self.base, Path::new(STREAM_DIR), true).map_err(&fail)?;
            let f = dir
                .open_file(LOG_FILE, Access::AppendCreate)
                .map_err(&fail)?;
            f.acquire().map_err(&fail)?;
            // Another rewrite may have replaced the log since it was opened: its lock
            // guards a file nobody appends to any more.
            if self.current(identity(&f).map_err(&fail)?) {
                break (f, dir);
            }
            let _ = f.release();
        };
        let result = (|| -> Result<()> {
            let mut bytes = Vec::new();
            f.seek(SeekFrom::Start(0)).map_err(&fail)?;
            f.read_to_end(&mut bytes).map_err(&fail)?;
            let header_len = memchr::memchr(b'\n', &bytes)
                .filter(|end| {
                    serde_json::from_slice::<Header>(&bytes[..*end])
                        .is_ok_and(|h| h.format == FORMAT)
                })
                .map(|end| end + 1);
            let mut by_key: HashMap<_, &Entry> =
                present.iter().map(|e| (key_of_entry(e), *e)).collect();
            let mut out = match header_len {
                Some(end) => bytes[..end].to_vec(),
                None => header_line(),
            };
            let body = &bytes[header_len.unwrap_or(bytes.len())..];
            let mut changed = header_len.is_none();
            let mut last = 0;
            // A last line without its newline (a write cut short) still counts if it
            // parses: its position may have been read, and must not be given again.
            let torn = !body.is_empty() && body.last() != Some(&b'\n');
            changed |= torn;
            for raw in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let Some(mut line) = Line::parse(raw) else {
                    changed = true;
                    continue;
                };
                if line.position <= last {
                    // Out of order (a hand edit): dropped, it would break bisection.
                    changed = true;
                    continue;
                }
                last = line.position;
                if let Some(e) = &mut line.event {
                    match by_key.remove(&key_of_line(e)) {
                        // Moved (a compaction), or the same place with other bytes (a
                        // schema rewrite of a segment's first line, or of a file).
                        Some(now) if now.rel != e.rel || now.bytes != e.bytes => {
                            e.rel = now.rel.clone();
                            e.bytes = now.bytes;
                            changed = true;
                        }
                        Some(_) => {}
                        None if gone(&e.rel) => {
                            line.event = None;
                            changed = true;
                        }
                        None => {}
                    }
                }
                line.render(&mut out);
            }
            let mut appended = Vec::new();
            for (k, e) in in_numbering_order(by_key.into_values().collect())
                .into_iter()
                .enumerate()
            {
                Line::of(last + 1 + k as u64, e).render(&mut appended);
            }
            if changed {
                out.extend_from_slice(&appended);
                crate::io::replace(&*self.io, &dir, LOG_FILE, &out, durable).map_err(&fail)?;
            } else if !appended.is_empty() {
                self.io
                    .append_line(&f, &appended)
                    .and_then(|()| {
                        if durable {
                            self.io.sync_file(&f)
                        } else {
                            Ok(())
                        }
                    })
                    .map_err(&fail)?;
            }
            Ok(())
        })();
        let _ = f.release();
        result
    }
}

/// The order in which events the log lacks are numbered: by timestamp (then place), except
/// that within one aggregate they take their positions in the order of its files and
/// lines, its versions' order, whatever their timestamps say.
fn in_numbering_order(mut missing: Vec<&Entry>) -> Vec<&Entry> {
    missing.sort_by(|a, b| (a.timestamp, &a.rel).cmp(&(b.timestamp, &b.rel)));
    let place = |e: &Entry| {
        let (file, offset) = crate::journal::split_record_path(&e.rel);
        let name = file.rsplit('/').next().unwrap_or(file);
        let key =
            crate::layout::FileName::parse(crate::layout::plain_name(name)).map(|n| n.sort_key());
        (key, name.to_string(), offset)
    };
    let mut slots: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in missing.iter().enumerate() {
        slots.entry(aggregate_of(&e.rel)).or_default().push(i);
    }
    let mut ordered = missing.clone();
    for indices in slots.values() {
        let mut entries: Vec<&Entry> = indices.iter().map(|&i| missing[i]).collect();
        entries.sort_by_cached_key(|e| place(e));
        for (&i, e) in indices.iter().zip(entries) {
            ordered[i] = e;
        }
    }
    ordered
}

/// A stream log's bytes under a new id (its header replaced; every line kept).
pub(crate) fn with_new_id(log: &[u8]) -> Vec<u8> {
    let body = match memchr::memchr(b'\n', log) {
        Some(end)
            if serde_json::from_slice::<Header>(&log[..end]).is_ok_and(|h| h.format == FORMAT) =>
        {
            &log[end + 1..]
        }
        _ => log,
    };
    let mut out = header_line();
    out.extend_from_slice(body);
    out
}

fn header_line() -> Vec<u8> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // A process-random seed: two logs created in one nanosecond still differ.
    let random = std::hash::BuildHasher::hash_one(
        &std::collections::hash_map::RandomState::new(),
        (nanos, std::process::id()),
    );
    let header = Header {
        format: FORMAT.to_string(),
        id: format!("{:016x}{random:016x}", nanos as u64),
    };
    let mut out = serde_json::to_vec(&header).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Writes the header of an empty log (under the caller's exclusive lock); its id.
fn ensure_header(io: &dyn StoreIo, f: &File) -> std::io::Result<String> {
    let mut reader = f;
    reader.seek(SeekFrom::Start(0))?;
    if let Ok(header) = read_header(&mut reader) {
        return Ok(header.id);
    }
    if f.metadata()?.len() > 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the stream log has no valid header (the index rebuild sets it right)",
        ));
    }
    let line = header_line();
    io.append_line(f, &line)?;
    let header: Header = serde_json::from_slice(&line[..line.len() - 1])?;
    Ok(header.id)
}

fn read_header(f: &mut impl Read) -> std::io::Result<Header> {
    let mut first = Vec::new();
    let mut byte = [0u8; 256];
    loop {
        let n = f.read(&mut byte)?;
        if n == 0 {
            break;
        }
        first.extend_from_slice(&byte[..n]);
        if memchr::memchr(b'\n', &first).is_some() || first.len() > 4096 {
            break;
        }
    }
    let end = memchr::memchr(b'\n', &first).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the stream log has no header",
        )
    })?;
    let header: Header = serde_json::from_slice(&first[..end])?;
    if header.format != FORMAT {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("unknown stream format {:?}", header.format),
        ));
    }
    Ok(header)
}

/// The offset just after the header line.
fn header_end(f: &mut File) -> std::io::Result<u64> {
    f.seek(SeekFrom::Start(0))?;
    let mut first = [0u8; 4096];
    let n = read_full_at(f, &mut first, 0)?;
    memchr::memchr(b'\n', &first[..n])
        .map(|at| at as u64 + 1)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no stream header"))
}

/// The offset of the first newline at or after `from`, before `end`.
fn next_newline(f: &File, mut from: u64, end: u64) -> std::io::Result<Option<u64>> {
    let mut buf = vec![0u8; SCAN_BYTES as usize];
    while from < end {
        let want = ((end - from) as usize).min(buf.len());
        let got = read_full_at(f, &mut buf[..want], from)?;
        if got == 0 {
            break;
        }
        if let Some(at) = memchr::memchr(b'\n', &buf[..got]) {
            return Ok(Some(from + at as u64));
        }
        from += got as u64;
    }
    Ok(None)
}

fn read_full_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read_at(&mut buf[got..], offset + got as u64)? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// The position of the log's last line (0 when none) and whether the log ends with a torn
/// line (no newline). A torn last line that parses counts: a reader may not have read it,
/// but its writer gave that position away.
fn last_position(f: &File, len: u64) -> std::io::Result<(u64, bool)> {
    let mut window = TAIL_READ.min(len);
    let mut torn = false;
    while window > 0 {
        let start = len - window;
        let mut buf = vec![0u8; window as usize];
        let got = read_full_at(f, &mut buf, start)?;
        buf.truncate(got);
        torn = buf.last().is_some_and(|b| *b != b'\n');
        let mut pieces: Vec<&[u8]> = buf.split(|b| *b == b'\n').collect();
        // The first piece may be the end of a line that began before the window.
        let partial_first = start > 0;
        if partial_first {
            pieces.remove(0);
        }
        if let Some(line) = pieces.iter().rev().find_map(|p| Line::parse(p)) {
            return Ok((line.position, torn));
        }
        if start == 0 {
            return Ok((0, torn));
        }
        if window >= MAX_TAIL_SEARCH {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "no stream line in the last {window} bytes of the stream log: rebuild-index \
                     sets it right"
                ),
            ));
        }
        window = (window * 4).min(len);
    }
    Ok((0, torn))
}

/// The offset of the first line whose position is at least `from`, searching the lines
/// between `lo` (a line start) and `hi` (the end).
fn bisect(f: &File, mut lo: u64, mut hi: u64, from: u64) -> std::io::Result<u64> {
    let mut probe = vec![0u8; 4096];
    while hi.saturating_sub(lo) > SCAN_BYTES {
        let mid = lo + (hi - lo) / 2;
        let got = read_full_at(f, &mut probe, mid)?;
        let bytes = &probe[..got];
        // The first line starting after `mid`.
        let Some(nl) = memchr::memchr(b'\n', bytes) else {
            break;
        };
        let start = mid + nl as u64 + 1;
        let rest = &bytes[nl + 1..];
        let position = memchr::memchr(b'\n', rest).and_then(|end| Line::parse(&rest[..end]));
        match position {
            Some(line) if line.position < from => lo = start,
            Some(_) => hi = start,
            // A line longer than the probe, or one that does not parse: scan from `lo`.
            None => break,
        }
    }
    // Linear from `lo`: the first line at or past `from`.
    let mut offset = lo;
    let mut chunk = vec![0u8; SCAN_BYTES as usize];
    loop {
        let got = read_full_at(f, &mut chunk, offset)?;
        let bytes = &chunk[..got];
        let Some(last) = memchr::memrchr(b'\n', bytes) else {
            return Ok(offset);
        };
        let mut start = 0;
        for at in memchr::memchr_iter(b'\n', &bytes[..=last]) {
            if Line::parse(&bytes[start..at]).is_some_and(|l| l.position >= from) {
                return Ok(offset + start as u64);
            }
            start = at + 1;
        }
        offset += last as u64 + 1;
    }
}

#[cfg(test)]
mod tests;
mod watch;

pub(crate) use watch::Watcher;
