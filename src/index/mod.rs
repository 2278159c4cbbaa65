//! The rebuildable indexes under `<base>/.index/`: by event type and by time, so that
//! `read_by_type`, `read_between` and `total_event_count` cost what they return, not
//! what the store holds, and opening a store reads no event file.
//!
//! Layout (plain text, one line per event, `<secs>.<nanos> <bytes> <type>/<id>/<file>`,
//! the time being the event's `timestamp` and the path relative to the base directory):
//! - `types/<EventType>.log`: every event of that type;
//! - `time/<yyyyMMdd>/<HHmm>.log`: every event whose timestamp falls in that UTC minute;
//! - `correlations/<id>.log`, `users/<id>.log`: every event of that `correlationId` /
//!   `userId` (the id as one file name component, [`id_log_name`]);
//! - `format`: written last by a build; without it the index is rebuilt from the files;
//! - `counts`: per type log, the lines counted up to some byte offset at the last close
//!   (logs only grow, so a count of a prefix stays right while the log is the same file:
//!   same device, inode and birth time).
//!
//! Invariants:
//! - Every event file has exactly one line in its type log and (if it has a timestamp)
//!   one in its minute log, appended after the file is renamed into place and before the
//!   writer's journal ticket is released. So after a crash, the events a line may be
//!   missing for (or stand for an unwritten file) are exactly those in the dead writer's
//!   journal, and [`Index::repair`] fixes those lines and no others. Never earlier: under
//!   `always` a line written before the journal sync could reach the disk without its
//!   record, and after a power cut (a complete journal, so no rebuild) nothing would
//!   remove it.
//! - Appends are one `write` to an `O_APPEND` file under a shared `flock`; a rewrite
//!   (repair) takes the exclusive lock and replaces the log by rename, and an appender
//!   that finds its descriptor no longer names the log reopens it.
//! - A line without its newline (a torn append) is ignored by readers and cut by repair.
//! - A by-time query opens the minute logs of its range by name, and keeps in memory,
//!   per minute log, the least and greatest time of each 64 KiB stretch of lines it has
//!   read (`Spans`). The next query reads only the stretches that can meet its range,
//!   plus what was appended since. This summary is right only for as long as the log
//!   is the same file and has only grown. A log whose device, inode or birth time
//!   differs, or that got shorter, is read whole again.
//! - The index is only a shortcut: `EventStore::rebuild_index` recreates it from the
//!   event files, and queries still read each event from its file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::error::Result;
use crate::file::{self, dir_names, remove_tree};
use crate::io::StoreIo;
use crate::stream::Stream;

mod append;
mod counts;
mod line;
mod query;
mod rebuild;
#[cfg(test)]
mod tests;

use append::OpenLog;
use counts::LogId;
pub(crate) use line::{Entry, Record, valid_rel};
use query::Spans;
pub(crate) use rebuild::Replayed;

/// Index directory under the base directory.
pub(crate) const INDEX_DIR: &str = ".index";

const FORMAT_FILE: &str = "format";

/// Version 2 added `correlations/` and `users/` and the stream (`.stream/log`): an index
/// of version 1 is rebuilt at the next open, which gives every event its position.
const FORMAT: &str = "bytehot-eventstore index 2\n";

const TYPES_DIR: &str = "types";

const TIME_DIR: &str = "time";

const CORRELATIONS_DIR: &str = "correlations";

const USERS_DIR: &str = "users";

/// Per type log: identity, bytes and lines counted at the last close.
const COUNTS_FILE: &str = "counts";

const LOG_SUFFIX: &str = ".log";

/// Open log descriptors kept between appends; beyond this they are all closed.
const MAX_OPEN_LOGS: usize = 64;

/// A by-time query names its minute logs rather than listing day directories when its
/// range covers fewer minutes than this (a day).
const MINUTES_NAMED: i64 = 24 * 60;

/// Bytes of a minute log summarised as one stretch: ~770 lines, the most a query reads
/// beyond its own lines at each end of its range.
const SPAN_BYTES: u64 = 64 * 1024;

/// Minute logs whose summary is kept; beyond this they are all dropped.
const MAX_SUMMARISED_LOGS: usize = 4096;

/// [`dir_names`] without the dot names.
fn names_in(dir: &Path) -> Result<Vec<String>> {
    let mut names = dir_names(dir)?;
    names.retain(|n| !n.starts_with('.'));
    Ok(names)
}

/// The log name of a correlation or user id: the id percent-encoded, or, beyond
/// [`crate::layout::MAX_ENCODED_COMPONENT`] bytes, `%23` and a hash of it (ids of one hash share
/// the log; a query keeps only its own id's events).
fn id_log_name(id: &str) -> String {
    let encoded = crate::layout::encode_component(id);
    if encoded.len() <= crate::layout::MAX_ENCODED_COMPONENT {
        format!("{encoded}{LOG_SUFFIX}")
    } else {
        format!(
            "%23{:016x}{LOG_SUFFIX}",
            crate::layout::fnv1a64(id.as_bytes())
        )
    }
}

/// The index of one store.
pub(crate) struct Index {
    /// The base directory: every file of the index is opened beneath it without following
    /// a link ([`file::StoreDir`]).
    base: PathBuf,
    dir: PathBuf,
    /// Appends, rewrites and syncs go through it (fault injection).
    io: Arc<dyn StoreIo>,
    /// Open append descriptors by log path.
    open: Mutex<HashMap<PathBuf, OpenLog>>,
    /// Per type log: (identity, bytes counted, lines counted), so counts read only growth.
    counted: Mutex<HashMap<PathBuf, (LogId, u64, u64)>>,
    /// Per minute log: where in it which times lie.
    spans: Mutex<HashMap<PathBuf, Spans>>,
    /// The global order (`.stream/log`): appended with the logs, repaired and rebuilt
    /// with them, but never recreated from the files (see [`crate::stream`]).
    stream: Stream,
}

/// Removes leftovers of index builds that a crash interrupted (`.index.build-*`,
/// `.index.old-*` of any process).
pub(crate) fn remove_leftovers(base: &Path) -> Result<()> {
    for name in dir_names(base)? {
        if name.starts_with(&format!("{INDEX_DIR}.build-"))
            || name.starts_with(&format!("{INDEX_DIR}.old-"))
        {
            remove_tree(&base.join(name))?;
        }
    }
    Ok(())
}

impl Index {
    pub(crate) fn new(base: &Path, io: Arc<dyn StoreIo>) -> Index {
        Index {
            io: io.clone(),
            base: base.to_path_buf(),
            dir: base.join(INDEX_DIR),
            open: Mutex::new(HashMap::new()),
            counted: Mutex::new(HashMap::new()),
            spans: Mutex::new(HashMap::new()),
            stream: Stream::new(base, io),
        }
    }

    /// The store's stream log.
    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    /// True when a build finished, nothing since asked for another, and no link has been
    /// planted in the index (a link where a directory or log belongs is never followed:
    /// appends through it would fail, so the index is rebuilt, the link set aside).
    pub(crate) fn is_complete(&self) -> bool {
        self.read(&self.dir.join(FORMAT_FILE))
            .is_ok_and(|format| format == FORMAT.as_bytes())
            && !self.holds_links()
            && self.stream.exists()
    }

    /// Whether `types/`, `time/` or an entry of either is a link or a file where the
    /// index keeps a directory. A day directory's logs are not looked at here: one planted
    /// later fails the append (or query) that meets it.
    fn holds_links(&self) -> bool {
        [TYPES_DIR, TIME_DIR, CORRELATIONS_DIR, USERS_DIR]
            .iter()
            .any(|sub| {
                let rel = Path::new(INDEX_DIR).join(sub);
                match file::StoreDir::open(&self.base, &rel, false) {
                    Err(e) => e.kind() != std::io::ErrorKind::NotFound,
                    Ok(_) => std::fs::read_dir(self.base.join(&rel)).is_ok_and(|entries| {
                        entries
                            .flatten()
                            .any(|e| e.file_type().is_ok_and(|t| t.is_symlink()))
                    }),
                }
            })
    }

    /// The directory of the log at `path` (opened beneath the base directory, created
    /// when missing) and the log's name in it.
    fn log_dir<'p>(&self, path: &'p Path) -> std::io::Result<(file::StoreDir, &'p str)> {
        let name = path.file_name().and_then(|n| n.to_str());
        let rel = path.parent().and_then(|p| p.strip_prefix(&self.base).ok());
        let (Some(name), Some(rel)) = (name, rel) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is not a log of {}", path.display(), self.dir.display()),
            ));
        };
        Ok((file::StoreDir::open(&self.base, rel, true)?, name))
    }

    /// Opens an index file for reading, beneath the base directory, following no link.
    fn open(&self, path: &Path) -> std::io::Result<std::fs::File> {
        file::open_beneath(&self.base, path, file::Access::Read, false)
    }

    /// The bytes of an index file (see [`Self::open`]).
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut self.open(path)?, &mut bytes)?;
        Ok(bytes)
    }

    fn type_log(dir: &Path, event_type: &str) -> PathBuf {
        dir.join(TYPES_DIR)
            .join(format!("{event_type}{LOG_SUFFIX}"))
    }

    fn correlation_log(dir: &Path, id: &str) -> PathBuf {
        dir.join(CORRELATIONS_DIR).join(id_log_name(id))
    }

    fn user_log(dir: &Path, id: &str) -> PathBuf {
        dir.join(USERS_DIR).join(id_log_name(id))
    }

    fn time_log(dir: &Path, t: &DateTime<Utc>) -> PathBuf {
        dir.join(TIME_DIR)
            .join(format!("{:04}{:02}{:02}", t.year(), t.month(), t.day()))
            .join(format!("{:02}{:02}{LOG_SUFFIX}", t.hour(), t.minute()))
    }
}
