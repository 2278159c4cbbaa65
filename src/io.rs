//! The store's system calls on its write path and its event reads, behind one trait,
//! so that tests can make the Nth call fail the way a real disk does (in the spirit of
//! SQLite's I/O-error injection). [`OsIo`] is what a store uses unless told otherwise.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The I/O calls of the store that can fail in interesting ways.
pub trait StoreIo: Send + Sync {
    /// Creates `path` (which must not exist) and writes all of `bytes` to it.
    fn create_and_write(&self, path: &Path, bytes: &[u8]) -> io::Result<File>;
    /// Writes all of `bytes` to an open file at `offset`: a journal append, into space
    /// the journal has already zeroed.
    fn append(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Flushes a file's data to stable storage.
    fn sync_file(&self, file: &File) -> io::Result<()>;
    /// Atomically renames `from` to `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Creates a directory and its missing parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Reads a whole file; a symbolic link in the last component is not followed
    /// (`ELOOP`), so that the store can report it without a `stat` per read.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
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
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)?;
        let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The call fails with this OS error number (e.g. 28 `ENOSPC`, 5 `EIO`).
    Errno(i32),
    /// A write stores only the first half of its bytes, then fails with `ENOSPC`; other
    /// calls fail with `EIO`.
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
    /// [`StoreIo::read`].
    Read,
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

    fn error(&self) -> io::Error {
        match self.fault {
            Fault::Errno(n) => io::Error::from_raw_os_error(n),
            Fault::ShortWrite => io::Error::from_raw_os_error(5),
        }
    }
}

impl StoreIo for FaultyIo {
    fn create_and_write(&self, path: &Path, bytes: &[u8]) -> io::Result<File> {
        if !self.strike(Call::Write) {
            return OsIo.create_and_write(path, bytes);
        }
        match self.fault {
            Fault::ShortWrite => {
                OsIo.create_and_write(path, &bytes[..bytes.len() / 2])?;
                Err(io::Error::from_raw_os_error(28))
            }
            Fault::Errno(_) => Err(self.error()),
        }
    }

    fn append(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
        if !self.strike(Call::Append) {
            return OsIo.append(file, offset, bytes);
        }
        match self.fault {
            Fault::ShortWrite => {
                OsIo.append(file, offset, &bytes[..bytes.len() / 2])?;
                Err(io::Error::from_raw_os_error(28))
            }
            Fault::Errno(_) => Err(self.error()),
        }
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
}
