//! File-system helpers: the leaf every other module builds on. It imports nothing of
//! the crate but its error type, so no module needs to reach upwards for a `sync_dir`.
//!
//! Every platform-specific call (`syncfs`, `posix_fadvise`, `sync_file_range`, `/proc`,
//! the boot id) lives here, behind `cfg`, with the equivalent or weaker fallback each
//! other platform gets spelled out where it is defined (`docs/reliability.md` sums them
//! up). The `unsafe` blocks of the crate outside its JNI entry points are the system
//! calls below: on Linux `syncfs`, `posix_fadvise` and `sync_file_range`, on macOS
//! `sysctlbyname`, on Windows the Win32 calls of its submodule.
//!
//! Windows has its own answer for everything Unix gets from `std::os::unix`, rustix and
//! errno values, in the submodule `windows`; the functions here pick one or the other,
//! so that the rest of the crate has no `cfg` of its own.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};

#[cfg(windows)]
mod windows;

/// Positional reads and writes (`read_exact_at`, `write_all_at`): `pread`/`pwrite` on
/// Unix; on Windows `seek_read`/`seek_write`, which move the cursor (see
/// [`windows::FileExt`]).
#[cfg(unix)]
pub(crate) use std::os::unix::fs::FileExt;
#[cfg(windows)]
pub(crate) use windows::FileExt;

/// The store's cross-process locks, held by an open file until released or closed (and
/// released by the system when the process ends). On Unix these are std's `flock`s. On
/// Windows, where locks are mandatory, a lock covers one byte beyond any data instead of
/// the whole file, so that it excludes other lockers and never a read or a write (see
/// `windows::LOCK_OFFSET`). `clippy.toml` forbids std's own lock methods elsewhere.
pub(crate) trait FileLock {
    /// Waits for the exclusive lock.
    fn acquire(&self) -> io::Result<()>;
    /// Waits for a shared lock.
    fn acquire_shared(&self) -> io::Result<()>;
    /// Takes the exclusive lock unless another holder has a lock (`WouldBlock`).
    fn try_acquire(&self) -> std::result::Result<(), TryLockError>;
    /// Takes a shared lock unless another holder has the exclusive one (`WouldBlock`).
    fn try_acquire_shared(&self) -> std::result::Result<(), TryLockError>;
    /// Releases this file's lock.
    fn release(&self) -> io::Result<()>;
}

#[cfg(unix)]
#[expect(
    clippy::disallowed_methods,
    reason = "on Unix the store's locks are std's flocks"
)]
impl FileLock for File {
    fn acquire(&self) -> io::Result<()> {
        self.lock()
    }
    fn acquire_shared(&self) -> io::Result<()> {
        self.lock_shared()
    }
    fn try_acquire(&self) -> std::result::Result<(), TryLockError> {
        self.try_lock()
    }
    fn try_acquire_shared(&self) -> std::result::Result<(), TryLockError> {
        self.try_lock_shared()
    }
    fn release(&self) -> io::Result<()> {
        self.unlock()
    }
}

#[cfg(windows)]
impl FileLock for File {
    fn acquire(&self) -> io::Result<()> {
        windows::lock(self)
    }
    fn acquire_shared(&self) -> io::Result<()> {
        windows::lock_shared(self)
    }
    fn try_acquire(&self) -> std::result::Result<(), TryLockError> {
        windows::try_lock(self)
    }
    fn try_acquire_shared(&self) -> std::result::Result<(), TryLockError> {
        windows::try_lock_shared(self)
    }
    fn release(&self) -> io::Result<()> {
        windows::unlock(self)
    }
}

/// Which file a path or a handle names: device and inode on Unix, volume serial number
/// and 64-bit file index on Windows (ReFS has 128-bit ids, of which this is the low
/// half: a coincidence there reads as the same file).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct FileId {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

#[cfg(unix)]
fn unix_id(meta: &fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

/// The file open as `file`.
#[cfg(unix)]
pub(crate) fn file_id(file: &File) -> io::Result<FileId> {
    Ok(unix_id(&file.metadata()?))
}

#[cfg(windows)]
pub(crate) use windows::file_id;

/// The file open as `file`, with its metadata (one `fstat` on Unix).
pub(crate) fn identify_open(file: &File) -> io::Result<(FileId, fs::Metadata)> {
    let meta = file.metadata()?;
    #[cfg(unix)]
    let id = unix_id(&meta);
    #[cfg(windows)]
    let id = windows::file_id(file)?;
    Ok((id, meta))
}

/// The file `path` names, links followed, with its metadata: one `stat` on Unix; on
/// Windows, whose metadata has no stable file id, an open without access rights.
#[cfg(unix)]
pub(crate) fn identify(path: &Path) -> io::Result<(FileId, fs::Metadata)> {
    let meta = fs::metadata(path)?;
    Ok((unix_id(&meta), meta))
}

#[cfg(windows)]
pub(crate) use windows::identify;

/// Locks `m` whether or not a panic poisoned it. Every mutex of the crate guards either a
/// cache that is re-checked against the files on use, or state whose every update is
/// complete before the next fallible step (the journal's counters, the syncer's flags),
/// so what a panicking holder left is safe to keep using; refusing it would turn one
/// panic into a store that can never be used again.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// [`Condvar::wait`] under the same rule as [`lock`].
pub(crate) fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether the directory (or file) open as `handle` has been removed since it was opened
/// (given a directory's lock, see [`open_dir_lock`], whether the directory has).
#[cfg(unix)]
pub(crate) fn is_removed(handle: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    handle.metadata().is_ok_and(|m| m.nlink() == 0)
}

#[cfg(windows)]
pub(crate) use windows::is_removed;

/// Opens what a directory's cross-process lock is taken on ([`FileLock`]): the directory
/// itself on Unix; on Windows, which locks only a file's data, a named stream of the
/// directory (see `windows::open_dir_lock`).
#[cfg(unix)]
pub(crate) fn open_dir_lock(dir: &Path) -> io::Result<File> {
    File::open(dir)
}

#[cfg(windows)]
pub(crate) use windows::open_dir_lock;

/// Takes the exclusive cross-process lock of an aggregate directory.
pub(crate) fn lock_dir(dir: &Path) -> Result<File> {
    open_dir_lock(dir)
        .and_then(|f| f.acquire().map(|()| f))
        .map_err(|e| Error::io("lock", dir, e))
}

/// Opens a directory, to sync it ([`sync_dir`]).
#[cfg(unix)]
pub(crate) fn open_dir(dir: &Path) -> io::Result<File> {
    File::open(dir)
}

#[cfg(windows)]
pub(crate) use windows::open_dir;

/// Makes the entries of the directory open as `dir` durable (files created, renamed,
/// removed): `fsync` of the directory on Unix (`F_FULLFSYNC` on macOS).
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &File) -> io::Result<()> {
    dir.sync_all()
}

/// Windows cannot flush a directory (`FlushFileBuffers` wants a handle open for writing,
/// which a directory's is not): its entries are made durable by NTFS's metadata log,
/// which a later flush of a file on the volume writes (a weaker promise: see
/// `docs/reliability.md`, Platforms).
#[cfg(windows)]
pub(crate) fn sync_dir(_dir: &File) -> io::Result<()> {
    Ok(())
}

/// The extended attribute of an aggregate directory naming its last event file (see
/// `store::aggregate`, `check_last_files_present`). In the `user.` namespace, which an
/// unprivileged process may set on a directory it owns.
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
const LAST_FILE_ATTR: &str = "user.bytehot.last";

/// Records `name` as the last event file of the directory `dir` (not following a link
/// there). A hint, never the truth: callers ignore its failure, such as `ENOTSUP` on a
/// file system without user extended attributes (tmpfs before Linux 6.6, FAT).
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
pub(crate) fn set_last_file(dir: &Path, name: &str) -> io::Result<()> {
    use rustix::fs::{XattrFlags, lsetxattr};
    Ok(lsetxattr(
        dir,
        LAST_FILE_ATTR,
        name.as_bytes(),
        XattrFlags::empty(),
    )?)
}

/// What [`set_last_file`] last recorded on `dir`; `None` when nothing was (or cannot be).
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
pub(crate) fn last_file(dir: &Path) -> Option<String> {
    // A file name: at most 255 bytes on every file system this store runs on.
    let mut buf = [0u8; 256];
    let len = rustix::fs::lgetxattr(dir, LAST_FILE_ATTR, &mut buf[..]).ok()?;
    String::from_utf8(buf.get(..len)?.to_vec()).ok()
}

/// Elsewhere (Windows: its named streams would cost a file write per save) no directory
/// records its last file: a hand-deleted last file of a small aggregate goes unnoticed
/// there (`docs/reliability.md`, Platforms).
#[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
pub(crate) fn set_last_file(_dir: &Path, _name: &str) -> io::Result<()> {
    Ok(())
}

/// See [`set_last_file`]: nothing is recorded on this platform.
#[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
pub(crate) fn last_file(_dir: &Path) -> Option<String> {
    None
}

/// Fails when this process may not create files in `dir`: on Unix its owner or mode, as
/// `access(2)` tells with the effective ids the writes will use.
#[cfg(unix)]
pub(crate) fn may_create_in(dir: &Path) -> io::Result<()> {
    use rustix::fs::{Access, AtFlags, CWD, accessat};
    Ok(accessat(
        CWD,
        dir,
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )?)
}

#[cfg(windows)]
pub(crate) use windows::may_create_in;

/// Whether `e` is an open refused because the last component is a link (`ELOOP`).
#[cfg(unix)]
pub(crate) fn is_link_refused(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(windows)]
pub(crate) use windows::is_link_refused;

/// Whether `e` says the file system (or the user's quota) is full.
#[cfg(unix)]
pub(crate) fn is_out_of_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

/// Whether `e` is a write refused by a read-only file system.
#[cfg(unix)]
pub(crate) fn is_read_only_file_system(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EROFS)
}

/// The error a full disk gives (`ENOSPC`).
#[cfg(unix)]
pub(crate) fn disk_full() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOSPC)
}

/// The error a failing device gives (`EIO`).
#[cfg(unix)]
pub(crate) fn device_error() -> io::Error {
    io::Error::from_raw_os_error(libc::EIO)
}

#[cfg(windows)]
pub(crate) use windows::{device_error, disk_full, is_out_of_space, is_read_only_file_system};

/// The entries of `dir`; none when it does not exist.
fn entries(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    match fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|entry| entry.map_err(|e| Error::io("list", dir, e)))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("list", dir, e)),
    }
}

/// Sub-directories of `dir` that are not store internals (dot names) nor links.
pub(crate) fn list_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in entries(dir)? {
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let (true, Some(name)) = (is_dir, entry.file_name().to_str())
            && !name.starts_with('.')
        {
            out.push((name.to_string(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Every file under `dir`, sorted; none when `dir` does not exist.
pub(crate) fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in entries(&dir)? {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Names in `dir` (none if it is missing) that are UTF-8, sorted.
pub(crate) fn dir_names(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in entries(dir)? {
        if let Ok(name) = entry.file_name().into_string() {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Opens `path` as `options` says, refusing without blocking anything but a regular
/// file: a FIFO planted where a file belongs would otherwise make the open, or the first
/// read, wait for a writer for ever (and an open waiting so would hold the recovery lock).
/// A link in the last component is not followed (`ELOOP`; see [`is_link_refused`]).
pub(crate) fn open_regular(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    only_regular(open_no_follow(path, options)?)
}

/// Opens `path` as `options` says, not following a link in the last component, without
/// blocking: a FIFO (Unix) opens at once, for [`open_regular`] to refuse or a read to find
/// empty.
#[cfg(unix)]
pub(crate) fn open_no_follow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    options
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(windows)]
pub(crate) use windows::open_no_follow;

/// `file` when it is a regular file; opened without blocking, a FIFO or device is
/// refused before anything waits on it.
fn only_regular(file: File) -> io::Result<File> {
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, device or directory where the store keeps a file)",
        ));
    }
    Ok(file)
}

/// Moves whatever is at `path` aside when it is not a directory itself (a link, a file,
/// a FIFO), to `<path>.set-aside-<pid>`, without following it: for derived state, which
/// is then created anew, while what was there stays for a person to look at.
pub(crate) fn set_aside_unless_directory(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => {
            let mut aside = path.as_os_str().to_owned();
            aside.push(format!(".set-aside-{}", std::process::id()));
            fs::rename(path, &aside).map_err(|e| Error::io("set aside", path, e))
        }
        _ => Ok(()),
    }
}

/// How [`StoreDir::open_file`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read an existing file.
    Read,
    /// Read, and append at the end, creating the file when missing (an index log).
    AppendCreate,
    /// Write, creating the file when missing, keeping what it holds (a lock file).
    WriteCreate,
    /// Write a new, empty file, replacing what was there (a temp file).
    CreateTruncate,
}

/// A directory of the store, opened without following a link on the way down from the
/// base directory, and the files opened, created, renamed and removed relative to its
/// descriptor: a link planted in its place or in its path, before or after it was
/// opened, is never followed, so nothing outside the base directory is touched. The
/// base directory itself is opened as the user named it (a link there is their choice).
///
/// Windows has no directory-relative calls: there each component is checked on the way
/// down and every call goes by path under the directory's (see `windows::StoreDir`), so
/// a link planted after the check is refused when it is seen, not made harmless by
/// construction.
#[derive(Debug)]
pub(crate) struct StoreDir {
    dir: File,
    path: PathBuf,
}

impl StoreDir {
    /// The directory's path (for messages: calls go through the descriptor).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's own handle (to sync it).
    pub(crate) fn handle(&self) -> &File {
        &self.dir
    }
}

/// A component of a relative path that [`StoreDir::open`] steps down into.
fn plain_component<'a>(
    rel: &Path,
    part: std::path::Component<'a>,
) -> io::Result<&'a std::ffi::OsStr> {
    match part {
        std::path::Component::Normal(name) => Ok(name),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a plain relative path", rel.display()),
        )),
    }
}

#[cfg(unix)]
impl StoreDir {
    /// `rel` beneath `base`: each component must be a directory itself (a link is
    /// refused with `ELOOP`, a file with `ENOTDIR`); with `create`, a missing one is
    /// created. `rel` is a plain relative path (no `..`, no root).
    pub(crate) fn open(base: &Path, rel: &Path, create: bool) -> io::Result<StoreDir> {
        use rustix::fs::{Mode, OFlags, mkdirat, openat};
        let subdir = |dir: &File, name: &std::ffi::OsStr| -> io::Result<File> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            Ok(File::from(openat(dir, name, flags, Mode::empty())?))
        };
        let mut dir = File::open(base)?;
        for part in rel.components() {
            let name = plain_component(rel, part)?;
            dir = match subdir(&dir, name) {
                Err(e) if create && e.kind() == io::ErrorKind::NotFound => {
                    match mkdirat(&dir, name, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                        Err(e) => return Err(e.into()),
                    }
                    subdir(&dir, name)?
                }
                other => other?,
            };
        }
        Ok(StoreDir {
            dir,
            path: base.join(rel),
        })
    }

    /// Opens the regular file `name` in this directory as `access` says; a link is not
    /// followed (`ELOOP`) and anything but a regular file is refused without blocking
    /// (see [`open_regular`]).
    pub(crate) fn open_file(&self, name: &str, access: Access) -> io::Result<File> {
        use rustix::fs::{Mode, OFlags, openat};
        let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let flags = flags
            | match access {
                Access::Read => OFlags::RDONLY,
                Access::AppendCreate => OFlags::RDWR | OFlags::APPEND | OFlags::CREATE,
                Access::WriteCreate => OFlags::WRONLY | OFlags::CREATE,
                Access::CreateTruncate => OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC,
            };
        only_regular(File::from(openat(
            &self.dir,
            name,
            flags,
            Mode::from_raw_mode(0o666),
        )?))
    }

    /// Renames `from` to `to`, both in this directory (a link is renamed, not followed).
    pub(crate) fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        Ok(rustix::fs::renameat(&self.dir, from, &self.dir, to)?)
    }

    /// Removes the file (or link) `name`.
    pub(crate) fn remove_file(&self, name: &str) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(
            &self.dir,
            name,
            rustix::fs::AtFlags::empty(),
        )?)
    }

    /// Takes the directory's exclusive cross-process lock, held while the file returned
    /// (a duplicate of the directory's descriptor, sharing its `flock`) is open.
    pub(crate) fn lock(&self) -> io::Result<File> {
        let lock = self.dir.try_clone()?;
        lock.acquire()?;
        Ok(lock)
    }
}

/// Opens the file at `path`, which lies beneath `base`, through [`StoreDir`]: no link
/// below `base` is followed; with `create`, missing directories are created.
pub(crate) fn open_beneath(
    base: &Path,
    path: &Path,
    access: Access,
    create: bool,
) -> io::Result<File> {
    let outside = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not lie in {}", path.display(), base.display()),
        )
    };
    let rel = path.strip_prefix(base).map_err(|_| outside())?;
    let (Some(parent), Some(name)) = (rel.parent(), rel.file_name().and_then(|n| n.to_str()))
    else {
        return Err(outside());
    };
    StoreDir::open(base, parent, create)?.open_file(name, access)
}

/// The bytes of the regular file at `path` (see [`open_regular`]).
pub(crate) fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path, OpenOptions::new().read(true))?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text of the regular file at `path` (see [`open_regular`]).
pub(crate) fn read_regular_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read_regular(path)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Removes `path`: a directory with everything under it, or whatever else is there (a
/// file or a link where a directory was expected, not followed); a missing `path` is no
/// error.
pub(crate) fn remove_tree(path: &Path) -> Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

/// Whether a process may still run (without `/proc` nothing can be ruled out).
#[cfg(target_os = "linux")]
pub(crate) fn pid_alive(pid: u32) -> bool {
    pid == std::process::id()
        || !Path::new("/proc").is_dir()
        || Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether a process may still run: other Unix systems (macOS) have no `/proc`, so the
/// question goes to `kill(pid, 0)`, which only `ESRCH` answers with "no such process"
/// (`EPERM` means it runs under another user).
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn pid_alive(pid: u32) -> bool {
    use rustix::process::{Pid, test_kill_process};
    pid == std::process::id()
        || i32::try_from(pid)
            .ok()
            .and_then(Pid::from_raw)
            .is_none_or(|pid| test_kill_process(pid) != Err(rustix::io::Errno::SRCH))
}

/// This boot of the machine (Linux's random boot id), without dashes.
#[cfg(target_os = "linux")]
pub(crate) fn boot_id() -> Option<String> {
    let id = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().replace('-', ""))
}

/// This boot of the machine (macOS's boot session UUID, `kern.bootsessionuuid`), without
/// dashes, in lower case like Linux's.
#[cfg(target_vendor = "apple")]
#[expect(
    unsafe_code,
    reason = "sysctlbyname has no safe wrapper in std, libc or rustix"
)]
pub(crate) fn boot_id() -> Option<String> {
    let mut buf = [0u8; 64];
    let mut len = buf.len();
    // SAFETY: the name is a NUL-terminated literal; `buf` and `len` describe a writable
    // buffer that outlives the call, which writes at most `len` bytes and stores the
    // length written in `len`; no new value is set (null pointer, length 0).
    let rc = unsafe {
        libc::sysctlbyname(
            c"kern.bootsessionuuid".as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    let id = std::str::from_utf8(buf.get(..len)?).ok()?;
    let id = id.trim_end_matches('\0').trim().replace('-', "");
    (!id.is_empty()).then(|| id.to_ascii_lowercase())
}

/// Elsewhere no boot id is known: a journal's writer then never counts as cut short by a
/// reboot, nor as having died during this boot (see `journal::accounts_for_everything`).
#[cfg(not(any(target_os = "linux", target_vendor = "apple", windows)))]
pub(crate) fn boot_id() -> Option<String> {
    None
}

#[cfg(windows)]
pub(crate) use windows::{boot_id, pid_alive};

/// Makes every file of the file system holding `dir` durable (Linux: `syncfs`).
#[cfg(target_os = "linux")]
#[expect(unsafe_code, reason = "syncfs has no safe wrapper in std or libc")]
pub(crate) fn sync_file_system(dir: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let handle = File::open(dir)?;
    // SAFETY: `syncfs` only reads the descriptor, which `handle` keeps open.
    if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Makes every file and directory under `dir` durable. Other systems have no `syncfs`
/// (and macOS's `sync` may return before the data is written), so each regular file and directory
/// beneath `dir` is synced in turn, links not followed: the same promise for everything
/// the store keeps under `dir` (which is all the callers rely on), at a cost that grows
/// with the number of files. `sync_all` is `fcntl(F_FULLFSYNC)` on macOS (the standard
/// library's choice), so the data reaches the disk, not only its cache. A file or
/// directory removed while the walk runs needs no sync.
#[cfg(not(target_os = "linux"))]
pub(crate) fn sync_file_system(root: &Path) -> io::Result<()> {
    sync_tree(root)
}

/// The walk [`sync_file_system`] does where there is no `syncfs` (compiled on Linux too,
/// so that its tests run here).
#[cfg_attr(
    all(target_os = "linux", not(test)),
    expect(
        dead_code,
        reason = "Linux has syncfs; the walk serves the other systems"
    )
)]
fn sync_tree(root: &Path) -> io::Result<()> {
    let gone = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Err(e) if gone(&e) && dir != root => continue,
            other => other?,
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                // Windows flushes only a file open for writing.
                match open_regular(
                    &entry.path(),
                    OpenOptions::new().read(true).write(cfg!(windows)),
                ) {
                    Ok(file) => file.sync_all()?,
                    Err(e) if gone(&e) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        match open_dir(&dir).and_then(|d| sync_dir(&d)) {
            Err(e) if gone(&e) => {}
            other => other?,
        }
    }
    Ok(())
}

/// Writes zeros over `[from, to)` of `file`.
pub(crate) fn zero_fill(file: &File, from: u64, to: u64) -> io::Result<()> {
    const CHUNK: usize = 256 * 1024;
    let zeros = vec![0u8; CHUNK];
    let mut at = from;
    while at < to {
        let n = usize::try_from(to - at).map_or(CHUNK, |left| left.min(CHUNK));
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Tells the kernel the whole file will be read soon, so that it starts fetching it now.
/// Only a hint: reads are correct whatever it does, so its result is not looked at.
#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "posix_fadvise has no safe wrapper in std or libc"
)]
pub(crate) fn will_need(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: posix_fadvise takes no pointer; the descriptor belongs to `file`, which is
    // open for the whole call.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_WILLNEED) };
}

/// Other systems (macOS has no `posix_fadvise`) read each file when it is read.
#[cfg(not(target_os = "linux"))]
pub(crate) fn will_need(_file: &File) {}

/// Writes `len` bytes of `file` from `offset` back to the disk and waits for that (no
/// cache flush, no metadata): afterwards a sync of the file no longer has them to write.
#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "sync_file_range has no safe wrapper in std or libc"
)]
pub(crate) fn write_back(file: &File, offset: u64, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    };
    // SAFETY: sync_file_range takes no pointer; the descriptor belongs to `file`, which
    // is open for the whole call.
    if unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Other systems have no range write-back: the whole file's data is synced instead.
#[cfg(not(target_os = "linux"))]
pub(crate) fn write_back(file: &File, _offset: u64, _len: u64) -> io::Result<()> {
    file.sync_data()
}

#[cfg(all(test, unix))] // plants a FIFO
mod tests {
    use super::*;

    #[test]
    fn the_walk_that_stands_for_syncfs_syncs_a_tree_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/1.json"), b"{}").unwrap();
        fs::write(root.join("top"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        // mkfifo(1): rustix has no mkfifoat on macOS.
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .unwrap();
        assert!(made.success());
        // A FIFO is skipped (never opened, which would block), a link not followed.
        sync_tree(&root).unwrap();
        assert_eq!(
            sync_tree(&dir.path().join("missing")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
