//! Setting the index right: [`Index::repair`] rewrites the logs a dead writer's journal
//! touched, [`Index::rebuild`] builds the whole index from the event files aside and
//! swaps it in by rename, `format` written last.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::file::{self, Access, FileLock, lock, remove_tree};

use super::line::{Entry, complete_lines, parse_line};
use super::{COUNTS_FILE, FORMAT, FORMAT_FILE, INDEX_DIR, Index};

/// An event of a dead writer's journal, as its replay left it.
#[derive(Debug, Clone)]
pub(crate) struct Replayed {
    pub(crate) entry: Entry,
    /// Whether its file exists now (a record of an event its aggregate moved on
    /// without has none).
    pub(crate) on_disk: bool,
}

impl Index {
    /// After a crash: makes the logs agree with the files for the events of a dead
    /// writer's journal.
    /// Each touched log is rewritten without any line of these events (and without a
    /// torn tail), then with one line for each that exists.
    pub(crate) fn repair(&self, events: &[Replayed], durable: bool) -> Result<()> {
        let all: Vec<Entry> = events.iter().map(|r| r.entry.clone()).collect();
        let present: Vec<Entry> = events
            .iter()
            .filter(|r| r.on_disk)
            .map(|r| r.entry.clone())
            .collect();
        let gone: HashSet<&str> = all.iter().map(|e| e.rel.as_str()).collect();
        if !all.is_empty() {
            // A rewritten log gets a new inode, and a later one might reuse the number
            // the saved counts name: they go, and the next count reads the logs.
            let counts = self.dir.join(COUNTS_FILE);
            match fs::remove_file(&counts) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove", &counts, e));
                }
                _ => {}
            }
            lock(&self.counted).clear();
            lock(&self.spans).clear();
        }
        let mut add = Index::lines_by_log(&self.dir, &present);
        for path in Index::lines_by_log(&self.dir, &all).into_keys() {
            let extra = add.remove(&path).unwrap_or_default();
            self.rewrite(&path, &gone, &extra, durable)?;
        }
        lock(&self.open).clear();
        self.stream.repair(events, durable)
    }

    pub(super) fn rewrite(
        &self,
        path: &Path,
        drop: &HashSet<&str>,
        extra: &[u8],
        durable: bool,
    ) -> Result<()> {
        let fail = |e: std::io::Error| Error::io("rewrite index", path, e);
        let (dir, name) = self.log_dir(path).map_err(fail)?;
        let mut lock = loop {
            let lock = dir.open_file(name, Access::AppendCreate).map_err(fail)?;
            lock.acquire().map_err(fail)?;
            // Another rewrite may have replaced the log while this one waited for the
            // lock: the file it holds is one nobody appends to any more, and rewriting
            // from it would drop what was appended to its successor.
            let held = file::file_id(&lock).map_err(fail)?;
            if file::identify(path).is_ok_and(|(id, _)| id == held) {
                break lock;
            }
            let _ = lock.release();
        };
        let mut bytes = Vec::new();
        lock.read_to_end(&mut bytes).map_err(fail)?;
        let kept: Vec<u8> = complete_lines(&bytes)
            .filter(|l| parse_line(l).is_none_or(|r| !drop.contains(r.rel.as_str())))
            .flat_map(|l| l.bytes().chain(std::iter::once(b'\n')))
            .chain(extra.iter().copied())
            .collect();
        bytes.clear();
        crate::io::replace(&*self.io, &dir, name, &kept, durable).map_err(fail)
    }

    /// Replaces the whole index with one built from `entries` (every event file). The
    /// new index is written beside the old and swapped in by rename; `format` is written
    /// last, so a build cut short is redone at the next open.
    pub(crate) fn rebuild(&self, entries: &[Entry], durable: bool) -> Result<()> {
        let base = self.dir.parent().unwrap_or(Path::new("."));
        let pid = std::process::id();
        let build = base.join(format!("{INDEX_DIR}.build-{pid}"));
        let old = base.join(format!("{INDEX_DIR}.old-{pid}"));
        for leftover in [&build, &old] {
            remove_tree(leftover)?;
        }
        for (path, bytes) in Index::lines_by_log(&build, entries) {
            let write = || -> std::io::Result<()> {
                let f = file::open_beneath(base, &path, Access::CreateTruncate, true)?;
                self.io.write_file(&f, &bytes)?;
                if durable {
                    self.io.sync_file(&f)?;
                }
                Ok(())
            };
            write().map_err(|e| Error::io("write index", &path, e))?;
        }
        // Before `format`: a build cut short is done again, stream included (a second
        // pass over the stream changes nothing).
        self.stream.rebuild(entries, durable)?;
        let format = build.join(FORMAT_FILE);
        file::open_beneath(base, &format, Access::CreateTruncate, true)
            .and_then(|f| self.io.write_file(&f, FORMAT.as_bytes()))
            .map_err(|e| Error::io("write index", &format, e))?;
        if durable {
            self.io
                .sync_file_system(base)
                .map_err(|e| Error::io("sync", base, e))?;
        }
        // Whatever is there goes aside, a file or a link included (never followed).
        if fs::symlink_metadata(&self.dir).is_ok() {
            fs::rename(&self.dir, &old).map_err(|e| Error::io("rename", &self.dir, e))?;
        }
        fs::rename(&build, &self.dir).map_err(|e| Error::io("rename", &build, e))?;
        if durable {
            crate::file::open_dir(base)
                .and_then(|dir| self.io.sync_dir(&dir))
                .map_err(|e| Error::io("sync directory", base, e))?;
        }
        remove_tree(&old)?;
        lock(&self.open).clear();
        lock(&self.counted).clear();
        lock(&self.spans).clear();
        Ok(())
    }
}
