//! Event files on disk: reading and parsing them (alone, a few at a time, or by several
//! threads), listing an aggregate directory in version order, temp files and the
//! atomic write. Nothing here knows an aggregate's history.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::file;
use crate::io::StoreIo;
use crate::journal;
use crate::layout::{self, FileName};

use super::EventStore;
use super::ids_file::IDS_FILE;

/// Reads and parses one event file; any failure names the file.
pub(super) fn read_event_file(io: &dyn StoreIo, path: &Path) -> Result<Event> {
    read_event_file_sized(io, path).map(|(event, _)| event)
}

/// [`read_event_file`], with the file's size.
pub(super) fn read_event_file_sized(io: &dyn StoreIo, path: &Path) -> Result<(Event, usize)> {
    parse_event_file(path, io.read(path))
}

/// Whether the event file at `path` was written by ByteHot's pure-Java adapter: Jackson
/// pretty-printed its envelope (`"eventType" : ...`, a space before each colon), where
/// this library writes `"eventType": ...`. That adapter stamped version 1 on every event
/// of a new session, so its aggregates can hold repeated or gapped versions that mean
/// nothing lost; in a file this library wrote, a gap means a missing file.
pub(super) fn written_by_old_adapter(io: &dyn StoreIo, path: &Path) -> bool {
    io.read(path).is_ok_and(|bytes| jackson_printed(&bytes))
}

/// Whether the first member of a JSON object is followed by `" :"`: the bytes of a file
/// [`written_by_old_adapter`].
pub(super) fn jackson_printed(bytes: &[u8]) -> bool {
    let Some(open) = bytes.iter().position(|b| *b == b'"') else {
        return false;
    };
    let rest = &bytes[open + 1..];
    rest.iter()
        .position(|b| *b == b'"')
        .is_some_and(|close| rest[close + 1..].starts_with(b" :"))
}

/// The events in the files at `paths`, with their sizes, in order: read a few at a time
/// ([`StoreIo::read_many`]), so that files not in the page cache are fetched together,
/// and parsed before the next few are read, so that a long chunk holds only a few files'
/// bytes at once.
pub(super) fn read_event_files(io: &dyn StoreIo, paths: &[PathBuf]) -> Vec<Result<(Event, usize)>> {
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

pub(super) fn parse_event_file(
    path: &Path,
    bytes: std::io::Result<Vec<u8>>,
) -> Result<(Event, usize)> {
    let bytes = bytes.map_err(|e| read_error(path, e))?;
    let bytes = decoded(path, bytes, MAX_DECODED_FILE)?;
    Event::from_json(&bytes)
        .map(|event| (event, bytes.len()))
        .map_err(|e| Error::corrupt(path, e.to_string()))
}

/// The events of a segment's complete lines, each with its size and its line's offset
/// and length (newline included), as [`parse_segment`] found them.
pub(super) type SegmentLine = (Event, usize, (u64, u32));

/// What [`parse_segment`] read of a segment.
#[derive(Debug, Default)]
pub(super) struct SegmentLines {
    pub(super) events: Vec<SegmentLine>,
    /// Where its complete lines end (from the start of the file).
    pub(super) end: u64,
    /// Bytes after them: a line cut short (a crash in mid-append, or a power loss), never
    /// an event.
    pub(super) torn: u64,
}

/// The events of a segment's bytes read from offset `from` on: one compact envelope per
/// line. A line without its newline is torn (a crash in mid-append), never served. A
/// complete line that is not an envelope is a corrupt file, named with the line's offset.
pub(super) fn parse_segment(path: &Path, bytes: &[u8], from: u64) -> Result<SegmentLines> {
    let (lines, bad) = scan_segment(bytes, from);
    if let Some(Bad {
        offset,
        reason: Some(reason),
    }) = bad
    {
        return Err(Error::corrupt(
            path,
            format!("the line at byte {offset} is not an event: {reason}"),
        ));
    }
    Ok(lines)
}

/// Where [`scan_segment`] stopped before the end.
#[derive(Debug)]
pub(super) struct Bad {
    /// The offset of the first line that is not an event.
    pub(super) offset: u64,
    /// Why the line is not an event; `None` for a torn line (no newline).
    pub(super) reason: Option<String>,
}

/// The events of a segment's bytes (read from offset `from` on) up to the first line that
/// is not one, and where and why it stopped early.
pub(super) fn scan_segment(bytes: &[u8], from: u64) -> (SegmentLines, Option<Bad>) {
    let mut out = SegmentLines::default();
    let mut start = 0;
    let mut bad = None;
    for at in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[start..at];
        let offset = from + start as u64;
        let len = u32::try_from(at + 1 - start);
        match (Event::from_json(line), len) {
            (Ok(event), Ok(len)) => out.events.push((event, line.len(), (offset, len))),
            (Err(e), _) => {
                bad = Some(Bad {
                    offset,
                    reason: Some(e.to_string()),
                });
                break;
            }
            (_, Err(_)) => {
                bad = Some(Bad {
                    offset,
                    reason: Some("the line is over 4 GiB".to_string()),
                });
                break;
            }
        }
        start = at + 1;
    }
    out.end = from + start as u64;
    out.torn = (bytes.len() - start) as u64;
    if bad.is_none() && out.torn > 0 {
        bad = Some(Bad {
            offset: out.end,
            reason: None,
        });
    }
    (out, bad)
}

/// Reads and parses one segment from offset `from` on.
pub(super) fn read_segment(io: &dyn StoreIo, path: &Path, from: u64) -> Result<SegmentLines> {
    let bytes = segment_bytes(io, path, from, None)?;
    parse_segment(path, &bytes, from)
}

/// Largest decompressed single-event file: more than any event the store accepts, far
/// less than a decompression bomb would make.
const MAX_DECODED_FILE: u64 = 1 << 30;

/// Largest decompressed segment (line offsets are kept in 32 bits of length each, and
/// a segment is read whole).
pub(super) const MAX_DECODED_SEGMENT: u64 = 1 << 34;

/// `bytes` as read from `path`, decompressed when the name ends in `.zst`, at most `max`
/// bytes (more is a corrupt file, not an allocation as large as the file claims).
pub(super) fn decoded(path: &Path, bytes: Vec<u8>, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    if !is_compressed(path) {
        return Ok(bytes);
    }
    let corrupt = |e: String| Error::corrupt(path, format!("is not readable zstd data: {e}"));
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    zstd::stream::read::Decoder::new(bytes.as_slice())
        .map_err(|e| corrupt(e.to_string()))?
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| corrupt(e.to_string()))?;
    if out.len() as u64 > max {
        return Err(corrupt(format!("it decompresses to more than {max} bytes")));
    }
    Ok(out)
}

/// Whether the file at `path` is compressed (its name ends in `.zst`).
pub(super) fn is_compressed(path: &Path) -> bool {
    path.as_os_str()
        .as_encoded_bytes()
        .ends_with(layout::COMPRESSED_EXT.as_bytes())
}

/// The path of the compressed copy of the segment at `path`.
pub(super) fn sealed_path(path: &Path) -> PathBuf {
    let mut sealed = path.as_os_str().to_os_string();
    sealed.push(layout::COMPRESSED_EXT);
    PathBuf::from(sealed)
}

/// `bytes` compressed with zstd, as the store writes `.zst` files.
pub(super) fn compressed(bytes: &[u8]) -> Result<Vec<u8>> {
    zstd::bulk::compress(bytes, ZSTD_LEVEL).map_err(|e| Error::io("compress", Path::new(""), e))
}

/// zstd's default level: most of the gain of the higher ones at a fraction of the time.
const ZSTD_LEVEL: i32 = 3;

/// The bytes of a segment from `from` on (`len` of them, or all): read where they lie in
/// the file, or decompressed from it when it is compressed, or from `<path>.zst` when the
/// segment named `path` was compressed since its lines were named (the journal and the
/// index name lines by the plain name).
pub(super) fn segment_bytes(
    io: &dyn StoreIo,
    path: &Path,
    from: u64,
    len: Option<u64>,
) -> Result<Vec<u8>> {
    let whole_compressed = |path: &Path| -> Result<Vec<u8>> {
        let bytes = io.read(path).map_err(|e| read_error(path, e))?;
        let all = decoded(path, bytes, MAX_DECODED_SEGMENT)?;
        let start = usize::try_from(from).unwrap_or(usize::MAX).min(all.len());
        let end = len.map_or(all.len(), |n| {
            start
                .saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
                .min(all.len())
        });
        Ok(all[start..end].to_vec())
    };
    if is_compressed(path) {
        return whole_compressed(path);
    }
    match io.read_at(path, from, len) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let zst = sealed_path(path);
            if zst.exists() {
                whole_compressed(&zst)
            } else {
                Err(read_error(path, e))
            }
        }
        other => other.map_err(|e| read_error(path, e)),
    }
}

/// Reads one event where `at` says: its own file, or a line of a segment.
pub(super) fn read_located(
    io: &dyn StoreIo,
    path: &Path,
    at: Option<(u64, u32)>,
) -> Result<(Event, usize)> {
    match at {
        None => read_event_file_sized(io, path),
        Some(at) => read_lines(io, path, &[at])?
            .pop()
            .ok_or_else(|| Error::Unavailable {
                reason: format!("{}: a line was not read", path.display()),
            }),
    }
}

/// Reads the lines `at` (in file order, one after another) of the segment at `path` in
/// one read, and parses each.
pub(super) fn read_lines(
    io: &dyn StoreIo,
    path: &Path,
    at: &[(u64, u32)],
) -> Result<Vec<(Event, usize)>> {
    let (Some(&(start, _)), Some(&(last, last_len))) = (at.first(), at.last()) else {
        return Ok(Vec::new());
    };
    let span = last + u64::from(last_len) - start;
    let bytes = segment_bytes(io, path, start, Some(span))?;
    let parsed = parse_lines(path, &bytes, start, at);
    // A segment left beside its compressed copy by a compression a crash cut short may
    // be torn: the copy is whole.
    match parsed {
        Err(_) if !is_compressed(path) && sealed_path(path).exists() => {
            let sealed = sealed_path(path);
            let bytes = segment_bytes(io, &sealed, start, Some(span))?;
            parse_lines(&sealed, &bytes, start, at)
        }
        parsed => parsed,
    }
}

/// The events of the lines `at` within `bytes`, the segment's bytes from offset `start`.
fn parse_lines(
    path: &Path,
    bytes: &[u8],
    start: u64,
    at: &[(u64, u32)],
) -> Result<Vec<(Event, usize)>> {
    at.iter()
        .map(|&(offset, len)| {
            let from = usize::try_from(offset - start).unwrap_or(usize::MAX);
            let line = from
                .checked_add(len as usize)
                .and_then(|to| bytes.get(from..to))
                .and_then(|line| line.strip_suffix(b"\n"))
                .ok_or_else(|| {
                    Error::corrupt(
                        path,
                        format!("no complete line of {len} bytes at byte {offset}: the segment was cut short"),
                    )
                })?;
            Event::from_json(line)
                .map(|event| (event, line.len()))
                .map_err(|e| Error::corrupt(path, format!("the line at byte {offset} is not an event: {e}")))
        })
        .collect()
}

fn read_error(path: &Path, e: std::io::Error) -> Error {
    if file::is_link_refused(&e) {
        Error::corrupt(path, "is a symbolic link; the store never follows links")
    } else {
        Error::io("read", path, e)
    }
}

/// Whether a listing removes what dead writers left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clean {
    /// Temp files of dead writers are removed.
    DeadTemps,
    /// Nothing is touched (a read-only store).
    Nothing,
}

/// The file in an aggregate directory that `cleanup` writes before it removes the
/// aggregate's oldest files: the version and event id of the last event removed, and the
/// first file kept. Files that sort before that one are removed (or about to be) and are
/// never read; the aggregate's versions go on from the one it names.
pub(crate) const TRUNCATED_FILE: &str = ".truncated";

/// What `.truncated` says (see [`TRUNCATED_FILE`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Truncation {
    /// The version of the last event removed: the first one kept is the next.
    pub(super) through_version: u64,
    /// The id of that event, which the first event kept names as its previous one.
    pub(super) last_event_id: String,
    /// The first event file kept.
    pub(super) first_kept: String,
    /// When the cleanup ran (ISO-8601).
    pub(super) at: String,
}

/// The aggregate directory's `.truncated`, if any. One that cannot be read or parsed is
/// corruption named by its path: serving the files without it would renumber them.
pub(super) fn read_truncation(dir: &Path) -> Result<Option<Truncation>> {
    let path = dir.join(TRUNCATED_FILE);
    match file::read_regular(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::corrupt(
                &path,
                format!("not a cleanup record ({e}): restore it from a backup"),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", &path, e)),
    }
}

/// The event files of an aggregate directory, in version order (missing directory:
/// none), without those a cleanup removed (see [`TRUNCATED_FILE`]).
pub(super) fn list_events(dir: &Path, clean: Clean) -> Result<Vec<(FileName, String)>> {
    Ok(list_events_truncated(dir, clean)?.0)
}

/// Event files with their parsed names, in version order.
pub(super) type Listing = Vec<(FileName, String)>;

/// [`list_events`] and the directory's truncation, if any.
pub(super) fn list_events_truncated(
    dir: &Path,
    clean: Clean,
) -> Result<(Listing, Option<Truncation>)> {
    let all = file::dir_names(dir)?;
    let mut names = event_names(dir, &all, clean)?;
    // Read only when the listing shows it: the saves and reads that list a directory
    // pay no extra `open` for aggregates no cleanup touched.
    let truncation = if all.iter().any(|name| name == TRUNCATED_FILE) {
        read_truncation(dir)?
    } else {
        None
    };
    if let Some(first) = truncation
        .as_ref()
        .and_then(|t| FileName::parse(layout::plain_name(&t.first_kept)))
    {
        names.retain(|(parsed, _)| parsed.sort_key() >= first.sort_key());
    }
    Ok((names, truncation))
}

/// The event files of an aggregate directory, in version order (missing directory:
/// none), those a cleanup removed included. Temp files of dead processes found on the way
/// are removed: under `always` a file is written under its temp name before its journal
/// record is durable, so after a machine crash one may remain that no journal names.
pub(super) fn list_all_events(dir: &Path, clean: Clean) -> Result<Listing> {
    event_names(dir, &file::dir_names(dir)?, clean)
}

/// The event files among `all`, the names in `dir`, in version order.
fn event_names(dir: &Path, all: &[String], clean: Clean) -> Result<Listing> {
    if clean == Clean::DeadTemps {
        remove_dead_temps(dir, all)?;
    }
    // A segment and its compressed copy both there: the compression was cut short
    // after its copy was complete (synced, then renamed into place). The copy stands.
    let compressed: std::collections::HashSet<&str> = all
        .iter()
        .filter_map(|name| name.strip_suffix(layout::COMPRESSED_EXT))
        .collect();
    let mut names: Listing = all
        .iter()
        .filter(|name| !compressed.contains(name.as_str()))
        .filter_map(|name| FileName::parse(name).map(|parsed| (parsed, name.clone())))
        .collect();
    names.sort_by(|a, b| {
        a.0.sort_key()
            .cmp(&b.0.sort_key())
            .then_with(|| a.1.cmp(&b.1))
    });
    Ok(names)
}

/// The writer's pid in the name of a temp file it leaves: `.<final name>.<pid>-<n>.tmp`,
/// or `.ids.<pid>.tmp` for a rewrite of `.ids`.
pub(super) fn tmp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (final_name, owner) = rest.rsplit_once('.')?;
    match owner.split_once('-') {
        Some((pid, _)) => pid.parse().ok(),
        None if final_name == IDS_FILE.trim_start_matches('.') => owner.parse().ok(),
        None => None,
    }
}

/// Removes the temp files a dead writer left in `dir` (a live writer's stay).
pub(super) fn remove_dead_temp_files(dir: &Path) -> Result<()> {
    remove_dead_temps(dir, &file::dir_names(dir)?)
}

/// Of `names` in the aggregate directory `dir`, removes the temp files of dead writers
/// (another reader may have removed one already). A writer is dead when no process here
/// has its pid and no journal named after that pid is locked: a writer in another PID
/// namespace (a container sharing the volume) is invisible in `/proc` but holds its
/// journal's lock, so its files being written are left alone.
pub(super) fn remove_dead_temps(dir: &Path, names: &[String]) -> Result<()> {
    // An aggregate directory lies two levels below the base: `<type>/<id>`.
    let base = dir.parent().and_then(Path::parent);
    let dead = |owner: u32| {
        !file::pid_alive(owner) && !base.is_some_and(|base| journal::writer_alive(base, owner))
    };
    for name in names {
        if tmp_owner(name).is_some_and(dead) {
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

/// Temp files written for a save and not yet renamed into place, oldest first. Dropping
/// it removes those still staged, so a save that fails at any step (or panics) leaves
/// none behind; what cannot be removed is a dead writer's leftover for the next listing.
#[derive(Debug, Default)]
pub(super) struct Staged {
    paths: VecDeque<PathBuf>,
}

impl Staged {
    /// Takes charge of `path` before it is created, so that a failed or partial write
    /// is removed too.
    pub(super) fn push(&mut self, path: PathBuf) {
        self.paths.push_back(path);
    }

    /// Renames the oldest staged file to `target`; on failure it stays staged, to be
    /// removed with the rest.
    pub(super) fn rename_next(&mut self, io: &dyn StoreIo, target: &Path) -> Result<()> {
        let Some(tmp) = self.paths.front() else {
            return Err(Error::Unavailable {
                reason: format!("{} was not staged", target.display()),
            });
        };
        io.rename(tmp, target)
            .map_err(|e| Error::io("rename", target, e))?;
        self.paths.pop_front();
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for tmp in self.paths.drain(..) {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Threads that read the files of one query or aggregate read.
pub(super) const QUERY_READERS: usize = 16;

/// Files per reader thread at least (fewer are read by the calling thread).
pub(super) const QUERY_CHUNK_MIN: usize = 32;

/// `f` of every chunk of at least `min_chunk` items, concatenated in order, by up to
/// [`QUERY_READERS`] threads; the first error wins. Several threads keep both cores busy
/// when the files are cached, and more reads in flight when they are not.
pub(super) fn in_parallel<T: Sync, X: Send>(
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
pub(super) const AGGREGATE_CHUNK_MIN: usize = 16;

impl EventStore {
    pub(super) fn tmp_name(&self, name: &str) -> String {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        format!(".{name}.{}-{n}.tmp", std::process::id())
    }

    /// Makes the entries of the directory `dir` durable (files created, renamed, removed).
    pub(super) fn sync_directory(&self, dir: &Path) -> Result<()> {
        file::open_dir(dir)
            .and_then(|handle| self.io.sync_dir(&handle))
            .map_err(|e| Error::io("sync directory", dir, e))
    }

    /// Writes `bytes` to `dir/name` so that it appears whole or not at all. Not synced:
    /// the journal makes event files recoverable, and a checkpoint makes them durable.
    pub(super) fn write_atomically(&self, dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
        let tmp = dir.join(self.tmp_name(name));
        let mut staged = Staged::default();
        staged.push(tmp.clone());
        self.io
            .create_and_write(&tmp, bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        staged.rename_next(&*self.io, &dir.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_jackson_printed_envelope_counts_as_the_old_adapters() {
        assert!(jackson_printed(b"{\n  \"eventType\" : \"A\",\n"));
        assert!(!jackson_printed(b"{\n  \"eventType\": \"A\",\n"));
        assert!(!jackson_printed(b"{\"eventType\":\"A\"}"));
        assert!(!jackson_printed(b""));
        assert!(!jackson_printed(b"{\"unterminated"));
    }

    #[test]
    fn tmp_owner_reads_the_writers_pid_from_both_temp_file_shapes() {
        assert_eq!(
            tmp_owner(".20260101000000000000-A.json.4242-7.tmp"),
            Some(4242)
        );
        assert_eq!(tmp_owner(".ids.77.tmp"), Some(77));
        assert_eq!(tmp_owner("..aggregate-id.9-0.tmp"), Some(9));
    }

    #[test]
    fn tmp_owner_knows_no_other_name_for_a_temp_file() {
        for name in [
            "20260101000000000000-A.json",
            ".20260101000000000000-A.json.4242-7",
            ".A.json.abc-1.tmp",
            ".A.json.77.tmp",
            ".ids.x.tmp",
            "ids.77.tmp",
            ".tmp",
        ] {
            assert_eq!(tmp_owner(name), None, "{name}");
        }
    }

    #[test]
    fn staged_files_are_removed_unless_renamed_into_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join(".a.tmp"), dir.path().join(".b.tmp"));
        let target = dir.path().join("a.json");
        let mut staged = Staged::default();
        for tmp in [&a, &b] {
            fs::write(tmp, b"{}").expect("write");
            staged.push(tmp.clone());
        }
        staged
            .rename_next(&crate::io::OsIo, &target)
            .expect("rename");
        drop(staged);
        assert!(target.exists());
        assert!(!a.exists() && !b.exists());
    }

    #[test]
    fn a_staged_file_whose_rename_fails_is_removed_with_the_guard() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tmp = dir.path().join(".a.tmp");
        fs::write(&tmp, b"{}").expect("write");
        let mut staged = Staged::default();
        staged.push(tmp.clone());
        let target = dir.path().join("missing-dir").join("a.json");
        assert!(staged.rename_next(&crate::io::OsIo, &target).is_err());
        assert!(tmp.exists(), "still staged after a failed rename");
        drop(staged);
        assert!(!tmp.exists());
        assert!(
            Staged::default()
                .rename_next(&crate::io::OsIo, &target)
                .is_err(),
            "nothing staged is an error, not a silent success"
        );
    }
}
