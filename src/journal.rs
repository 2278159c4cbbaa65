//! The write-ahead journal of every open store.
//!
//! Each open store appends the complete bytes of every event file it is about to create
//! to its own journal, `<base>/.journal/<pid>-<n>-<mode>-<boot>.journal`. With
//! `durability = always` it syncs the journal *before* renaming the event file into
//! place, and concurrent saves share one `fdatasync` (group commit); with `batch` a timer
//! syncs it; with `none` nothing does, and the journal only tells the next open what a
//! killed writer had in flight. Event files and new directories are not synced one by
//! one: a checkpoint (`syncfs`, skipped under `none`) makes them durable in bulk, after
//! which the journal is emptied.
//!
//! Invariants:
//! - A record is `len: u32 LE | crc32: u32 LE | payload`, payload =
//!   `path_len: u32 LE | relative path (UTF-8) | file bytes`. A torn or corrupt record
//!   ends the readable journal: everything after it was never acknowledged.
//! - Under `always` an event is acknowledged only after its record is synced and its
//!   file renamed; so after a crash, replaying the journals of dead processes restores
//!   exactly the acknowledged events whose files the crash lost.
//! - The owner holds an exclusive `flock` on its journal for its whole life; a journal
//!   whose lock can be taken belongs to nobody and is replayed by the next open.
//! - The journal is emptied only when every record in it is synced and every writer that
//!   journaled has renamed its file (and indexed it), and, unless under `none`, only
//!   after `syncfs` made those files durable.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::config::Durability;
use crate::error::{Error, Result};
use crate::io::StoreIo;

/// Journal directory under the base directory.
pub(crate) const JOURNAL_DIR: &str = ".journal";

/// Journal size that triggers a checkpoint.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

static INSTANCE: AtomicU64 = AtomicU64::new(0);

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| {
        CRC_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8)
    })
}

/// Frames one record.
pub fn encode_record(relative_path: &str, file_bytes: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + relative_path.len() + file_bytes.len());
    payload.extend_from_slice(&(relative_path.len() as u32).to_le_bytes());
    payload.extend_from_slice(relative_path.as_bytes());
    payload.extend_from_slice(file_bytes);
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Decodes records until the first torn or corrupt one; returns them and whether the
/// whole input was consumed cleanly.
pub fn decode_records(bytes: &[u8]) -> (Vec<(String, &[u8])>, bool) {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some(record) = decode_one(rest) else {
            return (out, false);
        };
        out.push((record.0, record.1));
        rest = &rest[record.2..];
    }
    (out, true)
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn decode_one(bytes: &[u8]) -> Option<(String, &[u8], usize)> {
    let len = usize::try_from(le_u32(bytes, 0)?).ok()?;
    let crc = le_u32(bytes, 4)?;
    let payload = bytes.get(8..8usize.checked_add(len)?)?;
    if crc32(payload) != crc {
        return None;
    }
    let path_len = usize::try_from(le_u32(payload, 0)?).ok()?;
    let path = payload.get(4..4usize.checked_add(path_len)?)?;
    let path = String::from_utf8(path.to_vec()).ok()?;
    Some((path, &payload[4 + path_len..], 8 + len))
}

#[derive(Debug)]
struct Inner {
    /// Records appended (a ticket is the count after one's own records).
    appended: u64,
    synced: u64,
    syncing: bool,
    /// Writers between their journal append and their rename.
    in_flight: usize,
    bytes: u64,
    checkpoint_wanted: bool,
    failed: Option<String>,
}

/// One store's journal.
pub(crate) struct Journal {
    base: PathBuf,
    /// False with `durability = none`: the journal then only tells the next open which
    /// events a killed writer had in flight; nothing is synced.
    durable: bool,
    path: PathBuf,
    file: File,
    io: Arc<dyn StoreIo>,
    inner: Mutex<Inner>,
    changed: Condvar,
}

/// Proof that a writer journaled: hold it until the event file is renamed.
pub(crate) struct Ticket<'a> {
    journal: &'a Journal,
    number: u64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut inner = self.journal.lock();
        inner.in_flight -= 1;
        self.journal.changed.notify_all();
    }
}

impl Ticket<'_> {
    /// Waits until the records of this ticket are on stable storage.
    pub(crate) fn wait_durable(&self) -> Result<()> {
        self.journal.sync_up_to(self.number)
    }
}

/// Whether a process may still run (without `/proc` nothing can be ruled out).
pub(crate) fn pid_alive(pid: u32) -> bool {
    pid == std::process::id()
        || !Path::new("/proc").is_dir()
        || Path::new(&format!("/proc/{pid}")).exists()
}

/// Makes every file of the file system holding `dir` durable.
pub(crate) fn sync_file_system(dir: &Path) -> std::io::Result<()> {
    let handle = File::open(dir)?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `syncfs` only reads the descriptor, which `handle` keeps open.
        if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        // Without syncfs the closest portable promise is a full sync of the directory.
        handle.sync_all()
    }
}

impl Journal {
    /// Creates this store's journal (after replaying abandoned ones: see [`replay_all`]).
    pub(crate) fn create(base: &Path, io: Arc<dyn StoreIo>, mode: Durability) -> Result<Journal> {
        let dir = base.join(JOURNAL_DIR);
        io.create_dir_all(&dir)
            .map_err(|e| Error::io("create directory", &dir, e))?;
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            "{}-{n}-{}-{}.journal",
            std::process::id(),
            mode.name(),
            boot_id().unwrap_or_default()
        ));
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        file.try_lock()
            .map_err(|e| Error::io("lock", &path, e.into()))?;
        Ok(Journal {
            base: base.to_path_buf(),
            durable: mode != Durability::None,
            path,
            file,
            io,
            inner: Mutex::new(Inner {
                appended: 0,
                synced: 0,
                syncing: false,
                in_flight: 0,
                bytes: 0,
                checkpoint_wanted: false,
                failed: None,
            }),
            changed: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        self.changed.wait(guard).unwrap_or_else(|p| p.into_inner())
    }

    fn failure(&self, inner: &Inner) -> Result<()> {
        match &inner.failed {
            Some(reason) => Err(Error::Unavailable {
                reason: format!(
                    "journal {} failed earlier ({reason}); reopen the store",
                    self.path.display()
                ),
            }),
            None => Ok(()),
        }
    }

    /// Appends the framed records of one batch in one write; the returned ticket must be
    /// held until the batch's files are renamed into place.
    pub(crate) fn append(&self, records: &[u8]) -> Result<Ticket<'_>> {
        let mut inner = self.lock();
        while inner.checkpoint_wanted {
            inner = self.wait(inner);
        }
        self.failure(&inner)?;
        let before = inner.bytes;
        if let Err(e) = self.io.append(&self.file, records) {
            // Cut the torn record off, or later records would hide behind it at replay.
            if self.file.set_len(before).is_err() {
                inner.failed = Some(format!("could not truncate after a failed write: {e}"));
            }
            return Err(Error::io("append journal", &self.path, e));
        }
        inner.bytes += records.len() as u64;
        inner.appended += 1;
        inner.in_flight += 1;
        Ok(Ticket {
            journal: self,
            number: inner.appended,
        })
    }

    /// Group commit: the first waiter syncs for everyone appended so far.
    pub(crate) fn sync_up_to(&self, ticket: u64) -> Result<()> {
        let mut inner = self.lock();
        loop {
            self.failure(&inner)?;
            if inner.synced >= ticket {
                return Ok(());
            }
            if !inner.syncing {
                break;
            }
            inner = self.wait(inner);
        }
        inner.syncing = true;
        let target = inner.appended;
        drop(inner);
        let result = self.io.sync_file(&self.file);
        let mut inner = self.lock();
        inner.syncing = false;
        match result {
            Ok(()) => inner.synced = inner.synced.max(target),
            Err(ref e) => inner.failed = Some(format!("fdatasync: {e}")),
        }
        self.changed.notify_all();
        result.map_err(|e| Error::io("sync", &self.path, e))
    }

    /// Syncs whatever is appended (the `batch` mode's timer calls this).
    pub(crate) fn sync_now(&self) -> Result<()> {
        let target = self.lock().appended;
        self.sync_up_to(target)
    }

    /// True when the journal has grown enough to be worth a checkpoint.
    pub(crate) fn wants_checkpoint(&self) -> bool {
        self.lock().bytes >= CHECKPOINT_BYTES
    }

    /// Makes every journaled file durable with one `syncfs`, then empties the journal.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        let mut inner = self.lock();
        if inner.checkpoint_wanted {
            return Ok(()); // another thread is at it
        }
        inner.checkpoint_wanted = true;
        while inner.in_flight > 0 || inner.syncing {
            inner = self.wait(inner);
        }
        let result = self.checkpoint_locked(&mut inner);
        inner.checkpoint_wanted = false;
        self.changed.notify_all();
        result
    }

    fn checkpoint_locked(&self, inner: &mut Inner) -> Result<()> {
        self.failure(inner)?;
        if inner.bytes == 0 {
            return Ok(());
        }
        if self.durable
            && let Err(e) = sync_file_system(&self.base)
        {
            inner.failed = Some(format!("syncfs: {e}"));
            return Err(Error::io("sync", &self.base, e));
        }
        self.file
            .set_len(0)
            .map_err(|e| Error::io("truncate", &self.path, e))?;
        inner.bytes = 0;
        inner.synced = inner.appended;
        Ok(())
    }

    /// Checkpoints and removes the journal (a clean close).
    pub(crate) fn finish(&self) -> Result<()> {
        self.checkpoint()?;
        fs::remove_file(&self.path).map_err(|e| Error::io("remove", &self.path, e))
    }
}

/// The journals in `<base>/.journal` that no live store owns, each locked for replay.
pub(crate) fn abandoned_journals(base: &Path) -> Result<Vec<(PathBuf, File)>> {
    let dir = base.join(JOURNAL_DIR);
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", &dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_suffix(".journal")
            .and_then(|s| s.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        match file.try_lock() {
            Ok(()) => out.push((path, file)),
            Err(_) if pid_alive(pid) => {} // a live store's journal
            Err(_) => {
                // Its owner is dead and another opener is replaying it: wait, then replay
                // again (replay is idempotent) unless it is gone.
                file.lock().map_err(|e| Error::io("lock", &path, e))?;
                if path.exists() {
                    out.push((path, file));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// This boot of the machine (Linux's random boot id), without dashes.
fn boot_id() -> Option<String> {
    let id = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().replace('-', ""))
}

/// Whether replaying an abandoned journal accounts for every event its writer may have
/// left half-done. True when the writer synced before writing (`always`), or when it
/// died during this boot: then the page cache, and so its unsynced journal, survived.
/// False after a power loss or reboot under `batch` or `none` (or for a journal named
/// by an older version): files of events the journal lost may exist.
pub(crate) fn accounts_for_everything(journal: &Path) -> bool {
    let name = journal.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(stem) = name.strip_suffix(".journal") else {
        return false;
    };
    let parts: Vec<&str> = stem.split('-').collect();
    match parts.as_slice() {
        [_, _, mode, boot] => {
            *mode == Durability::Always.name() || boot_id().is_some_and(|b| b == *boot)
        }
        _ => false,
    }
}

/// Makes the replayed files durable and removes the journal.
pub(crate) fn retire(base: &Path, path: &Path) -> Result<()> {
    sync_file_system(base).map_err(|e| Error::io("sync", base, e))?;
    fs::remove_file(path).map_err(|e| Error::io("remove", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_cut() {
        let mut bytes = encode_record("hotswap/a/x.json", b"{\"a\":1}");
        bytes.extend(encode_record("hotswap/a/y.json", b"{}"));
        let (records, clean) = decode_records(&bytes);
        assert!(clean);
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].0, "hotswap/a/y.json");
        for cut in 1..bytes.len() {
            let (records, clean) = decode_records(&bytes[..cut]);
            assert!(records.len() < 2 || cut == bytes.len());
            assert!(!clean || records.len() == 1);
        }
        let mut flipped = bytes.clone();
        flipped[12] ^= 1;
        assert_eq!(decode_records(&flipped).0.len(), 0);
    }
}
