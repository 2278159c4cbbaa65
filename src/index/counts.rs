//! The total count: the lines of the type logs, counted incrementally. A count saved at
//! close is believed for the prefix it covers only while the log is the same file (same
//! device, inode and birth time: [`LogId`]) and has only grown.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};
use crate::file::{self, FileId, lock};

use super::line::{complete_lines, parse_line};
use super::{COUNTS_FILE, INDEX_DIR, Index, TYPES_DIR};

/// Which file a log is: what a count or a summary of its prefix holds for. A rewrite
/// replaces a log by rename; the new file may reuse the old inode number once that is
/// freed, but not with the same birth time (where the file system records one: on one
/// that does not, device and inode are all there is to compare).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct LogId {
    pub(super) dev: u64,
    pub(super) ino: u64,
    /// Birth time in nanoseconds since the epoch.
    pub(super) born: Option<i128>,
}

impl LogId {
    pub(super) fn of(id: FileId, meta: &fs::Metadata) -> LogId {
        let born = meta
            .created()
            .ok()
            .map(|t| match t.duration_since(UNIX_EPOCH) {
                Ok(after) => after.as_nanos() as i128,
                Err(before) => -(before.duration().as_nanos() as i128),
            });
        LogId {
            dev: id.dev,
            ino: id.ino,
            born,
        }
    }

    /// `<dev>:<ino>:<born>` (`-` for no birth time), as the `counts` file holds it.
    pub(super) fn text(&self) -> String {
        let born = self.born.map_or_else(|| "-".to_string(), |b| b.to_string());
        format!("{}:{}:{born}", self.dev, self.ino)
    }

    /// What [`Self::text`] wrote; `None` for anything else (such as the bare inode an
    /// older version wrote), whose count is then not believed.
    pub(super) fn parse(text: &str) -> Option<LogId> {
        let mut parts = text.split(':');
        let (dev, ino, born) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Some(LogId {
            dev: dev.parse().ok()?,
            ino: ino.parse().ok()?,
            born: if born == "-" {
                None
            } else {
                Some(born.parse().ok()?)
            },
        })
    }
}

impl Index {
    /// Saves what [`Self::count`] has counted (`counts`: per log its identity, bytes and
    /// lines), so that the next open counts only what is appended after. A log that was
    /// rewritten since is another file, and is counted again.
    pub(crate) fn save_counts(&self) -> Result<()> {
        self.count()?;
        let text: String = lock(&self.counted)
            .iter()
            .filter_map(|(path, (id, bytes, lines))| {
                let name = path.file_name()?.to_str()?;
                Some(format!("{} {bytes} {lines} {name}\n", id.text()))
            })
            .collect();
        let path = self.dir.join(COUNTS_FILE);
        file::StoreDir::open(&self.base, Path::new(INDEX_DIR), false)
            .and_then(|dir| {
                crate::io::replace(&*self.io, &dir, COUNTS_FILE, text.as_bytes(), false)
            })
            .map_err(|e| Error::io("write", &path, e))
    }

    /// The counts [`Self::save_counts`] left, unless this store has counted already.
    pub(super) fn load_counts(&self, counted: &mut HashMap<PathBuf, (LogId, u64, u64)>) {
        if !counted.is_empty() {
            return;
        }
        let Some(text) = self
            .read(&self.dir.join(COUNTS_FILE))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
        else {
            return;
        };
        for line in text.lines() {
            let mut parts = line.splitn(4, ' ');
            let (Some(id), Some(bytes), Some(lines), Some(name)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let (Some(id), Ok(bytes), Ok(lines)) =
                (LogId::parse(id), bytes.parse(), lines.parse())
            {
                let path = self.dir.join(TYPES_DIR).join(name);
                counted.insert(path, (id, bytes, lines));
            }
        }
    }

    /// Events in the store: the lines of the type logs, reading only what grew since the
    /// last count (or since the counts saved at the last close).
    pub(crate) fn count(&self) -> Result<u64> {
        let mut counted = lock(&self.counted);
        self.load_counts(&mut counted);
        let mut total = 0;
        for t in self.event_types()? {
            let path = Index::type_log(&self.dir, &t);
            let mut file = match self.open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("open", &path, e)),
            };
            let (id, meta) = file::identify_open(&file).map_err(|e| Error::io("stat", &path, e))?;
            let id = LogId::of(id, &meta);
            let (mut offset, mut lines) = match counted.get(&path) {
                Some(&(known, offset, lines)) if known == id && offset <= meta.len() => {
                    (offset, lines)
                }
                _ => (0, 0),
            };
            if offset < meta.len() {
                let mut grown = Vec::new();
                file.seek(SeekFrom::Start(offset))
                    .and_then(|_| file.read_to_end(&mut grown))
                    .map_err(|e| Error::io("read", &path, e))?;
                let whole = grown
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |at| at + 1);
                // Only index lines count: anything else in a log (a hand edit, damage) is
                // skipped by the queries too.
                lines += complete_lines(&grown[..whole])
                    .filter(|line| parse_line(line).is_some())
                    .count() as u64;
                offset += whole as u64;
            }
            counted.insert(path, (id, offset, lines));
            total += lines;
        }
        Ok(total)
    }
}
