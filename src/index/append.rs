//! Appending lines to the logs: one `write` per log to an `O_APPEND` file under a shared
//! `flock`, through descriptors kept open between saves; a descriptor whose file is no
//! longer the log's (a repair replaced it) is reopened.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::file::{Access, FileExt, FileId, FileLock, lock};

use super::line::Entry;
use super::{Index, MAX_OPEN_LOGS};

/// Whether a log's last byte is not a newline.
fn ends_torn(file: &File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

/// A log kept open between appends, with the identity it had when opened (a
/// descriptor's file never changes, so this is compared with the path's, not re-read).
pub(super) struct OpenLog {
    pub(super) file: File,
    pub(super) id: FileId,
    /// Whether the log is known to end with a newline since this descriptor's first append.
    pub(super) checked_end: bool,
}

impl Index {
    /// The lines of `entries`, grouped by the log each belongs in, under `dir`.
    pub(super) fn lines_by_log(dir: &Path, entries: &[Entry]) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
        for e in entries {
            let line = e.line();
            out.entry(Index::type_log(dir, &e.event_type))
                .or_default()
                .extend_from_slice(line.as_bytes());
            if let Some(t) = &e.timestamp {
                out.entry(Index::time_log(dir, t))
                    .or_default()
                    .extend_from_slice(line.as_bytes());
            }
            if let Some(id) = &e.correlation {
                out.entry(Index::correlation_log(dir, id))
                    .or_default()
                    .extend_from_slice(line.as_bytes());
            }
            if let Some(id) = &e.user {
                out.entry(Index::user_log(dir, id))
                    .or_default()
                    .extend_from_slice(line.as_bytes());
            }
        }
        out
    }

    /// Records newly renamed event files (one `write` per log touched), then gives them
    /// their stream positions (last: an event a subscriber meets is in every log).
    pub(crate) fn append(&self, entries: &[Entry]) -> Result<Vec<u64>> {
        for (path, bytes) in Index::lines_by_log(&self.dir, entries) {
            self.append_to(&path, &bytes)?;
        }
        self.stream.append(entries)
    }

    /// Opens (creating it and its directories when missing) the log at `path` for
    /// appends, beneath `base` and following no link.
    pub(super) fn open_log(base: &Path, path: &Path) -> std::io::Result<File> {
        crate::file::open_beneath(base, path, Access::AppendCreate, true)
    }

    pub(super) fn append_to(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let fail = |e: std::io::Error| Error::io("append index", path, e);
        let mut open = lock(&self.open);
        if open.len() >= MAX_OPEN_LOGS && !open.contains_key(path) {
            open.clear();
        }
        loop {
            let mut log = match open.remove(path) {
                Some(log) => log,
                None => {
                    let file = Index::open_log(&self.base, path).map_err(fail)?;
                    let id = crate::file::file_id(&file).map_err(fail)?;
                    OpenLog {
                        file,
                        id,
                        checked_end: false,
                    }
                }
            };
            log.file.acquire_shared().map_err(fail)?;
            // A repair may have replaced the log since this descriptor was opened.
            let current = crate::file::identify(path).is_ok_and(|(id, _)| id == log.id);
            if !current {
                continue;
            }
            // A log that does not end with a newline (a hand edit, a write a full disk cut
            // short) would glue this line to that torn one, and both would be lost: the
            // first append through a descriptor ends the torn line first. Readers skip the
            // empty line two appenders may leave doing so at once.
            let torn = match log.checked_end {
                true => Ok(false),
                false => ends_torn(&log.file),
            };
            let written = torn.and_then(|torn| {
                if torn {
                    self.io.append_line(&log.file, b"\n")?;
                }
                self.io.append_line(&log.file, bytes)
            });
            let _ = log.file.release();
            written.map_err(fail)?;
            log.checked_end = true;
            open.insert(path.to_path_buf(), log);
            return Ok(());
        }
    }
}
