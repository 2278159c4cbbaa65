//! The store's system calls that durability depends on (event files, the journal, `.ids`,
//! the index logs, the metadata files, directory syncs, `syncfs`) and its event reads,
//! behind one trait, so that tests can make the Nth call fail the way a real disk does
//! (in the spirit of SQLite's I/O-error injection). [`OsIo`] is what a store uses unless
//! told otherwise. Not behind it: opening and listing files and directories, locks, and
//! the journal's zero-filling at creation (a failure there fails the open).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::file::{Access, FileExt, StoreDir};

/// The I/O calls of the store that can fail in interesting ways.
pub trait StoreIo: Send + Sync {
    /// Creates `path` (which must not exist) and writes all of `bytes` to it.
    fn create_and_write(&self, path: &Path, bytes: &[u8]) -> io::Result<File>;
    /// Writes all of `bytes` to an open file at `offset`: a journal append, into space
    /// the journal has already zeroed, or lines appended to a segment.
    fn append(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Flushes a file's data to stable storage.
    fn sync_file(&self, file: &File) -> io::Result<()>;
    /// Atomically renames `from` to `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Creates a directory and its missing parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Appends `bytes` in one write to a file opened for appending (`O_APPEND`): lines of
    /// an index log or of an aggregate's `.ids`.
    fn append_line(&self, file: &File, bytes: &[u8]) -> io::Result<()> {
        let mut file = file;
        file.write_all(bytes)
    }
    /// Writes all of `bytes` to a new file that is then renamed over another: a metadata
    /// file, a rewritten `.ids`, the index counts, a repaired or rebuilt index log.
    fn write_file(&self, file: &File, bytes: &[u8]) -> io::Result<()> {
        let mut file = file;
        file.write_all(bytes)
    }
    /// Makes the entries of the directory open as `dir` (files created, renamed) durable.
    fn sync_dir(&self, dir: &File) -> io::Result<()> {
        crate::file::sync_dir(dir)
    }
    /// Makes every file of the file system holding `dir` durable (`syncfs`): a journal
    /// checkpoint, a journal retired after its replay, an index rebuild.
    fn sync_file_system(&self, dir: &Path) -> io::Result<()> {
        crate::file::sync_file_system(dir)
    }
    /// Reads a whole file; a symbolic link in the last component is not followed
    /// (`ELOOP`), so that the store can report it without a `stat` per read.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Reads a file from `offset` on, `len` bytes at most (`None`: to its end); like
    /// [`Self::read`], no link followed. A segment's lines, one of them or those appended
    /// since it was last read. By default the whole file is read and cut: an
    /// implementation written before segments keeps working; [`OsIo`] reads only the part.
    fn read_at(&self, path: &Path, offset: u64, len: Option<u64>) -> io::Result<Vec<u8>> {
        let mut bytes = self.read(path)?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        bytes.drain(..start);
        if let Some(len) = len {
            bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        }
        Ok(bytes)
    }
    /// Reads several whole files, like [`Self::read`] each; one result per path, in
    /// order. [`OsIo`] asks the kernel for a few files' data at once, so that reads of
    /// files that are not cached wait on the disk together instead of one after another.
    /// The store passes a few paths at a time (every result is held at once).
    fn read_many(&self, paths: &[PathBuf]) -> Vec<io::Result<Vec<u8>>> {
        paths.iter().map(|path| self.read(path)).collect()
    }
}

/// Replaces `name` in `dir` by a file holding `bytes`, written beside it and renamed over
/// it, so that a reader sees the old file or the new one, never a part; with `durable`
/// the new file and then the directory entry are synced.
pub(crate) fn replace(
    io: &dyn StoreIo,
    dir: &StoreDir,
    name: &str,
    bytes: &[u8],
    durable: bool,
) -> io::Result<()> {
    let tmp = format!(".{name}.{}.tmp", std::process::id());
    let write = || -> io::Result<()> {
        let file = dir.open_file(&tmp, Access::CreateTruncate)?;
        io.write_file(&file, bytes)?;
        if durable {
            io.sync_file(&file)?;
        }
        dir.rename(&tmp, name)
    };
    if let Err(e) = write() {
        let _ = dir.remove_file(&tmp);
        return Err(e);
    }
    if durable {
        // fsync the folder: the rename is only durable once the directory is.
        io.sync_dir(dir.handle())?;
    }
    Ok(())
}

/// Files [`OsIo::read_many`] opens and announces before it reads them, and the store
/// hands it at a time: enough for the disk to serve an aggregate's neighbouring files in
/// few requests, few enough that the reader threads of a query together hold a few
/// hundred descriptors and file buffers at most.
pub(crate) const READ_AHEAD_FILES: usize = 16;

/// The first read's room: more than most event files need.
const FIRST_READ: usize = 8 * 1024;

/// Non-blocking, so that a FIFO planted as an event file reads as empty at once (and is
/// reported as not parsing) instead of waiting for a writer; no `fstat` to check the file
/// type, which every event read would pay.
fn open_no_follow(path: &Path) -> io::Result<File> {
    crate::file::open_no_follow(path, OpenOptions::new().read(true))
}

/// The rest of `file` from its start. `File::read_to_end` would `stat` and `lseek` first
/// to size its buffer: two system calls per event file that a query of a thousand events
/// pays a thousand times. Through `Take` the generic loop reads into the vector's spare
/// room instead (an event file usually fits the first read; the next one sees the end).
fn read_whole(file: File) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(FIRST_READ);
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The real operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsIo;

impl StoreIo for OsIo {
    fn create_and_write(&self, path: &Path, bytes: &[u8]) -> io::Result<File> {
        let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
        file.write_all(bytes)?;
        Ok(file)
    }

    fn append(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
        file.write_all_at(bytes, offset)
    }

    fn sync_file(&self, file: &File) -> io::Result<()> {
        file.sync_data()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_whole(open_no_follow(path)?)
    }

    fn read_at(&self, path: &Path, offset: u64, len: Option<u64>) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = open_no_follow(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::with_capacity(len.map_or(FIRST_READ, |n| n as usize));
        file.take(len.unwrap_or(u64::MAX)).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn read_many(&self, paths: &[PathBuf]) -> Vec<io::Result<Vec<u8>>> {
        let mut out = Vec::with_capacity(paths.len());
        for window in paths.chunks(READ_AHEAD_FILES) {
            let files: Vec<io::Result<File>> = window.iter().map(|p| open_no_follow(p)).collect();
            files.iter().flatten().for_each(crate::file::will_need);
            out.extend(files.into_iter().map(|file| file.and_then(read_whole)));
        }
        out
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The call fails with this OS error number (e.g. on Linux 28 `ENOSPC`, 5 `EIO`; on
    /// Windows 112 `ERROR_DISK_FULL`).
    Errno(i32),
    /// A write stores only the first half of its bytes, then fails with `ENOSPC`; other
    /// calls fail with `EIO` (on Windows `ERROR_DISK_FULL` and `ERROR_IO_DEVICE`).
    ShortWrite,
}

/// Which calls a [`FaultyIo`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Call {
    /// [`StoreIo::create_and_write`].
    Write,
    /// [`StoreIo::append`].
    Append,
    /// [`StoreIo::sync_file`].
    SyncFile,
    /// [`StoreIo::rename`].
    Rename,
    /// [`StoreIo::create_dir_all`].
    CreateDir,
    /// [`StoreIo::read`] and [`StoreIo::read_at`].
    Read,
    /// [`StoreIo::append_line`].
    AppendLine,
    /// [`StoreIo::write_file`].
    WriteFile,
    /// [`StoreIo::sync_dir`].
    SyncDir,
    /// [`StoreIo::sync_file_system`].
    SyncFileSystem,
}

/// Real I/O whose `n`th call (1-based, counting every call) fails with a [`Fault`];
/// deterministic, for tests.
#[derive(Debug)]
pub struct FaultyIo {
    calls: AtomicU64,
    fail_at: u64,
    fault: Fault,
    only: Option<Call>,
    log: Mutex<Vec<Call>>,
}

impl FaultyIo {
    /// Fails call number `fail_at` (0: never fail, only count) with `fault`.
    pub fn new(fail_at: u64, fault: Fault) -> FaultyIo {
        FaultyIo {
            calls: AtomicU64::new(0),
            fail_at,
            fault,
            only: None,
            log: Mutex::new(Vec::new()),
        }
    }

    /// Fails the `nth` (1-based) call of one kind only.
    pub fn on(call: Call, nth: u64, fault: Fault) -> FaultyIo {
        FaultyIo {
            only: Some(call),
            ..FaultyIo::new(nth, fault)
        }
    }

    /// The calls made so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn strike(&self, call: Call) -> bool {
        if let Ok(mut log) = self.log.lock() {
            log.push(call);
        }
        if self.only.is_some_and(|only| only != call) {
            return false;
        }
        self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at
    }

    /// A write of `bytes` through `write`, unless this call is the one to fail: then
    /// [`Fault::ShortWrite`] writes the first half and fails with `ENOSPC`, and
    /// [`Fault::Errno`] writes nothing.
    fn write<T>(
        &self,
        call: Call,
        bytes: &[u8],
        write: impl Fn(&[u8]) -> io::Result<T>,
    ) -> io::Result<T> {
        if !self.strike(call) {
            return write(bytes);
        }
        match self.fault {
            Fault::ShortWrite => {
                write(&bytes[..bytes.len() / 2])?;
                Err(crate::file::disk_full())
            }
            Fault::Errno(_) => Err(self.error()),
        }
    }

    fn error(&self) -> io::Error {
        match self.fault {
            Fault::Errno(n) => io::Error::from_raw_os_error(n),
            Fault::ShortWrite => crate::file::device_error(),
        }
    }
}

impl StoreIo for FaultyIo {
    fn create_and_write(&self, path: &Path, bytes: &[u8]) -> io::Result<File> {
        self.write(Call::Write, bytes, |part| OsIo.create_and_write(path, part))
    }

    fn append(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.write(Call::Append, bytes, |part| OsIo.append(file, offset, part))
    }

    fn sync_file(&self, file: &File) -> io::Result<()> {
        if self.strike(Call::SyncFile) {
            Err(self.error())
        } else {
            OsIo.sync_file(file)
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        if self.strike(Call::Rename) {
            Err(self.error())
        } else {
            OsIo.rename(from, to)
        }
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        if self.strike(Call::CreateDir) {
            Err(self.error())
        } else {
            OsIo.create_dir_all(dir)
        }
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if self.strike(Call::Read) {
            Err(self.error())
        } else {
            OsIo.read(path)
        }
    }

    fn read_at(&self, path: &Path, offset: u64, len: Option<u64>) -> io::Result<Vec<u8>> {
        if self.strike(Call::Read) {
            Err(self.error())
        } else {
            OsIo.read_at(path, offset, len)
        }
    }

    fn append_line(&self, file: &File, bytes: &[u8]) -> io::Result<()> {
        self.write(Call::AppendLine, bytes, |part| OsIo.append_line(file, part))
    }

    fn write_file(&self, file: &File, bytes: &[u8]) -> io::Result<()> {
        self.write(Call::WriteFile, bytes, |part| OsIo.write_file(file, part))
    }

    fn sync_dir(&self, dir: &File) -> io::Result<()> {
        if self.strike(Call::SyncDir) {
            Err(self.error())
        } else {
            OsIo.sync_dir(dir)
        }
    }

    fn sync_file_system(&self, dir: &Path) -> io::Result<()> {
        if self.strike(Call::SyncFileSystem) {
            Err(self.error())
        } else {
            OsIo.sync_file_system(dir)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_many_returns_every_file_whole_in_order_and_each_failure_in_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [0, 1, FIRST_READ - 1, FIRST_READ, FIRST_READ + 1, 100 * 1024];
        let mut paths = Vec::new();
        // More files than two read-ahead windows, so that windows are stitched in order.
        for i in 0..(2 * READ_AHEAD_FILES + 3) {
            let size = sizes[i % sizes.len()];
            let bytes: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
            let path = dir.path().join(format!("{i}.json"));
            fs::write(&path, &bytes).unwrap();
            paths.push(path);
        }
        // Failures on both sides of window edges: missing, a link, a directory, missing.
        let (missing, link, directory, last) = (
            READ_AHEAD_FILES - 1,
            READ_AHEAD_FILES,
            2 * READ_AHEAD_FILES - 1,
            2 * READ_AHEAD_FILES,
        );
        fs::remove_file(&paths[missing]).unwrap();
        fs::remove_file(&paths[link]).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&paths[0], &paths[link]).unwrap();
        #[cfg(windows)]
        std::os::windows::fs::symlink_file(&paths[0], &paths[link]).unwrap();
        fs::remove_file(&paths[directory]).unwrap();
        fs::create_dir(&paths[directory]).unwrap();
        fs::remove_file(&paths[last]).unwrap();

        let many = OsIo.read_many(&paths);
        assert_eq!(many.len(), paths.len());
        for (i, (got, path)) in many.into_iter().zip(&paths).enumerate() {
            match (got, OsIo.read(path)) {
                (Ok(got), Ok(one)) => assert_eq!(got, one, "file {i}"),
                (Err(got), Err(one)) => {
                    assert_eq!(got.kind(), one.kind(), "file {i}");
                    assert_eq!(got.raw_os_error(), one.raw_os_error(), "file {i}");
                }
                (got, one) => panic!("file {i}: read_many {got:?}, read {one:?}"),
            }
        }
        let bytes = |i: usize| OsIo.read(&paths[i]);
        assert_eq!(bytes(missing).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(crate::file::is_link_refused(&bytes(link).unwrap_err()));
        assert!(bytes(directory).is_err());
        assert_eq!(bytes(5).unwrap().len(), 100 * 1024);
        assert!(OsIo.read_many(&[]).is_empty());
    }
}
