//! The Windows side of [`crate::file`]: what Unix gets from `std::os::unix`, rustix and
//! libc, answered with std where it has a stable way and with `windows-sys` where it has
//! not (file identity and link count, byte-range locks, process liveness, the tick
//! count). Built and type-checked for `x86_64-pc-windows-gnu`; never run (see
//! `docs/reliability.md`, Platforms). The `unsafe` blocks are those Win32 calls.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use windows_sys::Win32::Foundation::{
    ERROR_DISK_FULL, ERROR_DISK_QUOTA_EXCEEDED, ERROR_HANDLE_DISK_FULL, ERROR_INVALID_PARAMETER,
    ERROR_IO_DEVICE, ERROR_LOCK_VIOLATION, ERROR_WRITE_PROTECT, STILL_ACTIVE,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
    FILE_STANDARD_INFO, FileStandardInfo, GetFileInformationByHandle, GetFileInformationByHandleEx,
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, LockFileEx, UnlockFileEx,
};
use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_0, OVERLAPPED_0_0};
use windows_sys::Win32::System::SystemInformation::GetTickCount64;
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::{Access, FileId, StoreDir, only_regular, plain_component};

/// Positional reads and writes with Unix's names, over `seek_read`/`seek_write`. Unlike
/// `pread`/`pwrite` these move the file's cursor; no caller relies on the cursor of a
/// handle it uses them on (those that mix in cursor reads seek first), and handles
/// opened for appending ignore the cursor when they write.
pub(crate) trait FileExt {
    /// Reads into `buf` from `offset` on, as much as one read gives (0 at the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Fills `buf` from `offset` on; fails at the end of the file as `read_exact` does.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Writes all of `buf` at `offset`.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
}

impl FileExt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        use std::os::windows::fs::FileExt as _;
        self.seek_read(buf, offset)
    }

    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        use std::os::windows::fs::FileExt as _;
        while !buf.is_empty() {
            match self.seek_read(buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        use std::os::windows::fs::FileExt as _;
        while !buf.is_empty() {
            match self.seek_write(buf, offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Where every lock of the store lies: one byte far beyond any data a file of the store
/// can hold (2^62; NTFS files end below 2^44). Windows locks are mandatory: a lock on the
/// whole file, as std's `File::lock` takes, would make a shared lock refuse the holder's
/// own appends to an index log and an exclusive one refuse every other reader. Locked
/// there, a lock excludes only other lockers, as `flock` does on Unix.
const LOCK_OFFSET: u64 = 1 << 62;

fn lock_region() -> OVERLAPPED {
    OVERLAPPED {
        Anonymous: OVERLAPPED_0 {
            Anonymous: OVERLAPPED_0_0 {
                Offset: LOCK_OFFSET as u32,
                OffsetHigh: (LOCK_OFFSET >> 32) as u32,
            },
        },
        ..OVERLAPPED::default()
    }
}

/// Locks the store's lock byte of `file` (see [`LOCK_OFFSET`]); waits unless `flags`
/// has `LOCKFILE_FAIL_IMMEDIATELY`.
#[expect(unsafe_code, reason = "LockFileEx has no safe wrapper in std")]
fn lock_byte(file: &File, flags: u32) -> io::Result<()> {
    let mut region = lock_region();
    // SAFETY: the handle belongs to `file`, open for the whole call; `region` is a valid
    // OVERLAPPED that outlives it. The handle is synchronous (std opens none for
    // overlapped I/O), so the call returns only once the lock is taken or refused.
    if unsafe { LockFileEx(file.as_raw_handle(), flags, 0, 1, 0, &mut region) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn try_lock_byte(file: &File, flags: u32) -> Result<(), TryLockError> {
    match lock_byte(file, flags | LOCKFILE_FAIL_IMMEDIATELY) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) => {
            Err(TryLockError::WouldBlock)
        }
        Err(e) => Err(TryLockError::Error(e)),
    }
}

/// [`super::FileLock`] for Windows: `LockFileEx` on the lock byte. The system releases a
/// handle's locks when the handle is closed or its process ends, as with `flock`.
pub(super) fn lock(file: &File) -> io::Result<()> {
    lock_byte(file, LOCKFILE_EXCLUSIVE_LOCK)
}

pub(super) fn lock_shared(file: &File) -> io::Result<()> {
    lock_byte(file, 0)
}

pub(super) fn try_lock(file: &File) -> Result<(), TryLockError> {
    try_lock_byte(file, LOCKFILE_EXCLUSIVE_LOCK)
}

pub(super) fn try_lock_shared(file: &File) -> Result<(), TryLockError> {
    try_lock_byte(file, 0)
}

#[expect(unsafe_code, reason = "UnlockFileEx has no safe wrapper in std")]
pub(super) fn unlock(file: &File) -> io::Result<()> {
    let mut region = lock_region();
    // SAFETY: as in `lock_byte`.
    if unsafe { UnlockFileEx(file.as_raw_handle(), 0, 1, 0, &mut region) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The stream of a directory its lock is taken on: Windows locks byte ranges of a file's
/// data, which a directory has none of. A named stream of the directory itself
/// (`<dir>:bytehot.lock`, NTFS and ReFS) is not an entry of it (nothing that lists the
/// directory sees it, nothing has to step around it) and goes with the directory when
/// that is removed. File systems without named streams (FAT, exFAT) refuse to open it:
/// the store cannot lock there, and says so.
pub(crate) fn open_dir_lock(dir: &Path) -> io::Result<File> {
    // Absolute, so that a one-letter relative name does not read as a drive ("d:...").
    let mut stream = std::path::absolute(dir)?.into_os_string();
    stream.push(":bytehot.lock");
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(PathBuf::from(stream))
}

/// A directory's handle: Windows opens one only with `FILE_FLAG_BACKUP_SEMANTICS`.
pub(crate) fn open_dir(dir: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(dir)
}

/// Opens as `options` says without following a link (a symbolic link or junction) in the
/// last component: the reparse point itself is opened, then refused as Unix's
/// `O_NOFOLLOW` refuses a link with `ELOOP` (see [`is_link_refused`]). Windows has no
/// FIFOs to plant in a directory, so nothing here can block. A directory opens too (with
/// `FILE_FLAG_BACKUP_SEMANTICS`), as on Unix, for `only_regular` to refuse it as such.
pub(crate) fn open_no_follow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    let file = options
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    if file.metadata()?.file_type().is_symlink() {
        return Err(link_refused(path));
    }
    Ok(file)
}

/// What [`open_no_follow`] and `StoreDir` refuse a link with (Unix: `ELOOP`, which
/// Windows has no code for; std's `ErrorKind::FilesystemLoop` is not stable).
#[derive(Debug)]
struct LinkRefused(PathBuf);

impl std::fmt::Display for LinkRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is a link; the store does not follow links",
            self.0.display()
        )
    }
}

impl std::error::Error for LinkRefused {}

fn link_refused(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, LinkRefused(path.to_path_buf()))
}

/// Whether `e` is the refusal of a link (see [`LinkRefused`]).
pub(crate) fn is_link_refused(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<LinkRefused>())
}

/// The file's volume serial number and file index (Windows's device and inode).
#[expect(
    unsafe_code,
    reason = "GetFileInformationByHandle has no stable wrapper in std"
)]
pub(crate) fn file_id(file: &File) -> io::Result<FileId> {
    let mut info = BY_HANDLE_FILE_INFORMATION::default();
    // SAFETY: the handle belongs to `file`, open for the whole call; `info` is a valid,
    // writable BY_HANDLE_FILE_INFORMATION.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(FileId {
        dev: u64::from(info.dwVolumeSerialNumber),
        ino: (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow),
    })
}

/// The file `path` names (links followed, as `stat` does), and its metadata: opened
/// without asking for any access (as std's `fs::metadata` does), directories too.
pub(crate) fn identify(path: &Path) -> io::Result<(FileId, std::fs::Metadata)> {
    let file = OpenOptions::new()
        .access_mode(0)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    Ok((file_id(&file)?, file.metadata()?))
}

/// Whether the file or directory open as `handle` has been removed: no name left, or
/// marked for removal once its last handle closes (Windows's classic deletion, where the
/// name stays until then).
#[expect(
    unsafe_code,
    reason = "GetFileInformationByHandleEx has no stable wrapper in std"
)]
pub(crate) fn is_removed(handle: &File) -> bool {
    let mut info = FILE_STANDARD_INFO::default();
    // SAFETY: the handle belongs to `handle`, open for the whole call; the buffer is a
    // writable FILE_STANDARD_INFO of the size passed, as FileStandardInfo asks.
    let ok = unsafe {
        GetFileInformationByHandleEx(
            handle.as_raw_handle(),
            FileStandardInfo,
            (&raw mut info).cast(),
            size_of::<FILE_STANDARD_INFO>() as u32,
        )
    };
    ok != 0 && (info.DeletePending || info.NumberOfLinks == 0)
}

/// Whether a process with this id may still run: one that cannot be opened for lack of
/// rights (another user's, a protected one) runs; only an id no process has
/// (`ERROR_INVALID_PARAMETER`) or an exit code rules it out. An id is reused as on Unix:
/// a new process under an old id counts as alive (temp files are then kept, not lost).
#[expect(
    unsafe_code,
    reason = "OpenProcess and GetExitCodeProcess have no safe wrapper in std"
)]
pub(crate) fn pid_alive(pid: u32) -> bool {
    // SAFETY: OpenProcess takes no pointer; a handle it returns is closed by `OwnedHandle`.
    let raw = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if raw.is_null() {
        return io::Error::last_os_error().raw_os_error() != Some(ERROR_INVALID_PARAMETER as i32);
    }
    // SAFETY: `raw` is a valid process handle OpenProcess just returned, owned by no one else.
    let process = unsafe { OwnedHandle::from_raw_handle(raw) };
    let mut code = 0u32;
    // SAFETY: the handle is open for the whole call; `code` is a writable u32.
    let ok = unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) };
    // An exit code that cannot be read proves nothing; STILL_ACTIVE is also a code a
    // process may exit with, which then reads as running (the safe side).
    ok == 0 || code == STILL_ACTIVE as u32
}

/// How coarsely [`boot_id`] rounds the boot time: the time it computes moves with clock
/// corrections made since the boot and by the tick count's resolution, and is to read the
/// same all through one boot, while two boots are always further apart than this.
const BOOT_TIME_GRANULARITY: u64 = 10;

/// This boot of the machine: when it booted (the clock minus the milliseconds since boot,
/// which count sleep and hibernation too), in tens of seconds since the epoch, in hex.
/// Weaker than Linux's random boot id: a clock corrected by more than a few seconds since
/// the boot, or a boot time that happens to lie at a rounding edge, reads as another boot
/// (the safe side: the open after a crash then rebuilds the index and checks the writer's
/// files as after a power loss); two boots never read as one.
#[expect(unsafe_code, reason = "GetTickCount64 has no wrapper in std")]
pub(crate) fn boot_id() -> Option<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    // SAFETY: GetTickCount64 takes no argument and cannot fail.
    let up = Duration::from_millis(unsafe { GetTickCount64() });
    let booted = now.checked_sub(up)?;
    Some(format!("w{:x}", booted.as_secs() / BOOT_TIME_GRANULARITY))
}

/// Whether `e` says the disk or the user's quota is full (Unix: `ENOSPC`, `EDQUOT`).
pub(crate) fn is_out_of_space(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error().map(|code| code as u32),
        Some(ERROR_DISK_FULL | ERROR_HANDLE_DISK_FULL | ERROR_DISK_QUOTA_EXCEEDED)
    )
}

/// Whether `e` says the medium is write-protected (Unix: `EROFS`).
pub(crate) fn is_read_only_file_system(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ERROR_WRITE_PROTECT as i32)
}

/// The error a full disk gives.
pub(crate) fn disk_full() -> io::Error {
    io::Error::from_raw_os_error(ERROR_DISK_FULL as i32)
}

/// The error a failing device gives (Unix: `EIO`).
pub(crate) fn device_error() -> io::Error {
    io::Error::from_raw_os_error(ERROR_IO_DEVICE as i32)
}

/// Refuses what [`StoreDir`] must not step into or open: a link (symbolic link or
/// junction: `FilesystemLoop`, as `ELOOP`), or anything but a directory (`NotADirectory`).
fn check_dir(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    if meta.file_type().is_symlink() {
        return Err(link_refused(path));
    }
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", path.display()),
        ));
    }
    Ok(())
}

/// [`StoreDir`] on Windows, which has no directory-relative calls: each component is
/// looked at (not followed) on the way down, the directory's handle is opened on the
/// reparse point itself and checked again, and its files are opened, renamed and removed
/// by path, a link in the last component refused. A junction planted in the path after
/// that check would be followed: checked, not prevented by construction as on Unix.
impl StoreDir {
    /// `rel` beneath `base`, as on Unix (see the Unix version).
    pub(crate) fn open(base: &Path, rel: &Path, create: bool) -> io::Result<StoreDir> {
        let mut path = base.to_path_buf();
        for part in rel.components() {
            path.push(plain_component(rel, part)?);
            let meta = match std::fs::symlink_metadata(&path) {
                Err(e) if create && e.kind() == io::ErrorKind::NotFound => {
                    match std::fs::create_dir(&path) {
                        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                        _ => std::fs::symlink_metadata(&path)?,
                    }
                }
                other => other?,
            };
            check_dir(&path, &meta)?;
        }
        // The base directory is opened as the user named it (a link there is their
        // choice); a directory below it on the reparse point itself, to check again.
        if rel.as_os_str().is_empty() {
            return Ok(StoreDir {
                dir: open_dir(&path)?,
                path,
            });
        }
        let dir = OpenOptions::new()
            .read(true)
            .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
            .open(&path)?;
        check_dir(&path, &dir.metadata()?)?;
        Ok(StoreDir { dir, path })
    }

    /// Opens the regular file `name` in this directory as `access` says; a link is not
    /// followed and anything but a regular file is refused.
    pub(crate) fn open_file(&self, name: &str, access: Access) -> io::Result<File> {
        let mut options = OpenOptions::new();
        match access {
            Access::Read => options.read(true),
            Access::AppendCreate => options.read(true).append(true).create(true),
            Access::WriteCreate => options.write(true).create(true).truncate(false),
            Access::CreateTruncate => options.write(true).create(true).truncate(true),
        };
        only_regular(open_no_follow(&self.path.join(name), &mut options)?)
    }

    /// Renames `from` to `to`, both in this directory: `MoveFileExW` with
    /// `MOVEFILE_REPLACE_EXISTING` (std's rename; a link is renamed, not followed).
    pub(crate) fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path.join(from), self.path.join(to))
    }

    /// Removes the file (or link) `name`.
    pub(crate) fn remove_file(&self, name: &str) -> io::Result<()> {
        std::fs::remove_file(self.path.join(name))
    }

    /// Takes the directory's exclusive cross-process lock, held while the file returned
    /// (the directory's lock stream, see [`open_dir_lock`]) is open.
    pub(crate) fn lock(&self) -> io::Result<File> {
        let held = open_dir_lock(&self.path)?;
        lock(&held)?;
        Ok(held)
    }
}

/// Fails when this process may not create files in `dir`. Windows decides that by the
/// directory's access control list, which nothing short of `AccessCheck` with the
/// thread's token evaluates: a file is created instead, one that the system removes when
/// its handle closes (also when the process dies meanwhile). Named as a temp file of this
/// process, so that a reader meeting it ignores it.
pub(crate) fn may_create_in(dir: &Path) -> io::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use windows_sys::Win32::Storage::FileSystem::{
        DELETE, FILE_FLAG_DELETE_ON_CLOSE, FILE_GENERIC_WRITE,
    };
    static PROBES: AtomicU64 = AtomicU64::new(0);
    let n = PROBES.fetch_add(1, Ordering::Relaxed);
    let probe = dir.join(format!(".preflight.{}-{n}.tmp", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .access_mode(FILE_GENERIC_WRITE | DELETE)
        .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
        .open(probe)
        .map(drop)
}
