//! The write-ahead journal of every open store.
//!
//! Each open store appends the complete bytes of every event file it is about to create
//! to its own journal, `<base>/.journal/<pid>-<n>-<mode>-<boot>.journal`. With
//! `durability = always` it syncs the journal *before* renaming the event file into
//! place, and concurrent saves share one `fdatasync` (group commit); a sync-ahead thread
//! starts that sync as soon as a save has appended, while the save writes its files
//! under temporary names (see [`spawn_sync_ahead`]); with `batch` a timer
//! syncs it; with `none` nothing does, and the journal only tells the next open what a
//! killed writer had in flight. Event files and new directories are not synced one by
//! one: a checkpoint (`syncfs`, skipped under `none`) makes them durable in bulk, after
//! which the journal starts over.
//!
//! The journal is written in place, never grown by a save when it can be helped: it is
//! created with zeroed space ahead of its records, extended ahead of need, and reused
//! from its start after a checkpoint. An `fdatasync` of blocks that already belong to
//! the file has no file-system metadata to commit (no size, no extent), only the data
//! and a cache flush: that is the disk's cheapest durable write, and what a save waits for.
//! The extension is written by a thread of its own once less than half a step is left
//! (see [`Zeroing`]), a piece at a time and each piece written back before the next, so
//! that no save's sync has to write megabytes of zeros (3-19 ms at each step, 1 to
//! 8 MiB, when the save that ran out of space wrote them).
//!
//! Invariants:
//! - The file starts with a 16-byte header: [`JOURNAL_MAGIC`] (8 bytes) and the epoch
//!   (`u64` LE). Records follow from byte 16; after the last one come zeros or records of
//!   earlier epochs. (A journal without the header, written by an older version, holds
//!   epoch-0 records from byte 0, and is still read.)
//! - A record is `len: u32 LE | check: u32 LE | payload`, payload =
//!   `path_len: u32 LE | relative path (UTF-8) | file bytes`; `check` is the payload's
//!   CRC-32 XOR a value that differs for every epoch (none for epoch 0). A record whose
//!   check fails under the header's epoch ends the readable journal: a torn record was
//!   never acknowledged, and a record of an earlier epoch was checkpointed.
//! - Under `always` an event is acknowledged only after its record is synced and its
//!   file renamed; so after a crash, replaying the journals of dead processes restores
//!   exactly the acknowledged events whose files the crash lost.
//! - The owner holds an exclusive `flock` on its journal for its whole life; a journal
//!   whose lock can be taken belongs to nobody and is replayed by the next open.
//! - The journal starts over (epoch + 1, records from byte 16) only when every record in
//!   it is synced and every writer that journaled has renamed its file (and indexed it),
//!   and, unless under `none`, only after `syncfs` made those files durable. The new
//!   header reaches the disk with the first sync of the new epoch: until then a crash
//!   replays the old epoch's records, whose files exist, which changes nothing.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard};

use crate::config::Durability;
use crate::error::{Error, Result};
use crate::file::{Access, FileExt, FileLock, StoreDir, lock, wait, zero_fill};
use crate::io::StoreIo;

mod format;
mod recovery;
mod syncer;
#[cfg(test)]
mod tests;
mod zeroing;

pub use format::{
    JOURNAL_MAGIC, crc32, decode_records, encode_header, encode_record, encode_record_in,
    journal_epoch, record_path, split_record_path,
};
pub(crate) use recovery::{
    abandoned_journals, accounts_for_everything, checkpoints_sync, cut_short_by_reboot,
    live_journals, retire, writer_alive,
};
pub(crate) use syncer::{Syncer, spawn_batch_syncer, spawn_sync_ahead};

use format::{HEADER_LEN, rekey};
use recovery::boot_id;
use syncer::Doorbell;
use zeroing::Zeroing;

/// Journal directory under the base directory.
pub(crate) const JOURNAL_DIR: &str = ".journal";

/// Journal size that triggers a checkpoint.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// Zeroed space a new journal starts with, and the first step it grows by.
const FIRST_ALLOCATION: u64 = 1024 * 1024;

/// The largest step the zeroed space grows by at once.
const MAX_GROWTH: u64 = 8 * 1024 * 1024;

/// Journals this copy of the library has created.
static INSTANCE: AtomicU64 = AtomicU64::new(0);

/// A random number of this copy of the library. A JVM can load two copies (an agent's and
/// its application's class loaders each extract their own), each with its own
/// [`INSTANCE`] count: without it both would name their first journal `<pid>-0-...`, and
/// the second open would find the first one's locked.
static LIBRARY_COPY: LazyLock<u32> = LazyLock::new(|| {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the operating system's randomness.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::ptr::addr_of!(INSTANCE) as u64);
    hasher.finish() as u32
});

#[derive(Debug)]
struct Inner {
    /// Records appended (a ticket is the count after one's own records).
    appended: u64,
    synced: u64,
    syncing: bool,
    /// Writers between their journal append and their rename.
    in_flight: usize,
    /// Where the next record goes.
    bytes: u64,
    /// The file's size as appends last saw it (the zeroing's end, which only grows):
    /// zeros (or an earlier epoch's records) from `bytes` on. Kept here so that an
    /// append with room to spare takes no second lock.
    allocated: u64,
    epoch: u64,
    checkpoint_wanted: bool,
    failed: Option<String>,
    /// The sync that failed: up to which ticket it was to make durable, and its error,
    /// so that each save it covered gets that error whichever thread ran it.
    failed_sync: Option<(u64, std::io::ErrorKind, Option<i32>, String)>,
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
    /// Under `always`: rung by every append, so that [`spawn_sync_ahead`]'s thread starts
    /// the sync while the saver writes its files.
    ahead: Option<Arc<Doorbell>>,
    zeroing: Arc<Zeroing>,
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.zeroing.stop.store(true, Ordering::Relaxed);
        let thread = lock(&self.zeroing.thread).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
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

/// `<base>/.journal`, created when missing and opened following no link. A link (or a
/// file) there is refused, neither followed nor set aside: the journals it leads to may
/// hold saves a dead writer acknowledged.
pub(crate) fn open_dir(base: &Path, io: &dyn StoreIo) -> Result<StoreDir> {
    let path = base.join(JOURNAL_DIR);
    if fs::symlink_metadata(&path).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::Unavailable {
            reason: format!(
                "{} is a link or a file, not a directory: the store never follows links, \
                 and journals may hold acknowledged saves; put the directory itself there",
                path.display()
            ),
        });
    }
    io.create_dir_all(&path)
        .map_err(|e| Error::io("create directory", &path, e))?;
    StoreDir::open(base, Path::new(JOURNAL_DIR), false).map_err(|e| Error::io("open", &path, e))
}

impl Journal {
    /// Creates this store's journal (after the open replayed the abandoned ones: see
    /// `EventStore::recover`).
    pub(crate) fn create(base: &Path, io: Arc<dyn StoreIo>, mode: Durability) -> Result<Journal> {
        let dir = base.join(JOURNAL_DIR);
        let journals = open_dir(base, &*io)?;
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let copy = *LIBRARY_COPY;
        let name = format!(
            "{}-{n}.{copy:08x}-{}-{}.journal",
            std::process::id(),
            mode.name(),
            boot_id().unwrap_or_default()
        );
        let path = dir.join(&name);
        let file = journals
            .open_file(&name, Access::CreateTruncate)
            .map_err(|e| Error::io("create", &path, e))?;
        file.try_acquire()
            .map_err(|e| Error::io("lock", &path, e.into()))?;
        let durable = mode != Durability::None;
        let prepare = || -> std::io::Result<()> {
            file.write_all_at(&encode_header(0), 0)?;
            zero_fill(&file, HEADER_LEN, FIRST_ALLOCATION)?;
            if durable {
                // The space is synced now so that the first save's sync has no metadata
                // to commit.
                file.sync_all()?;
            }
            Ok(())
        };
        let prepared = prepare()
            .map_err(|e| Error::io("prepare", &path, e))
            // The folder too, so that the journal's name survives a crash: in every mode,
            // as under `none` its name is how the open after a power loss learns that
            // files this writer renamed may be torn (one sync per open, none per save).
            .and_then(|()| {
                io.sync_dir(journals.handle())
                    .map_err(|e| Error::io("sync directory", &dir, e))
            });
        if let Err(e) = prepared {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Ok(Journal {
            base: base.to_path_buf(),
            durable,
            path,
            file,
            io,
            inner: Mutex::new(Inner {
                appended: 0,
                synced: 0,
                syncing: false,
                in_flight: 0,
                bytes: HEADER_LEN,
                allocated: FIRST_ALLOCATION,
                epoch: 0,
                checkpoint_wanted: false,
                failed: None,
                failed_sync: None,
            }),
            changed: Condvar::new(),
            ahead: (mode == Durability::Always).then(Arc::default),
            zeroing: Arc::new(Zeroing {
                state: Mutex::new((FIRST_ALLOCATION, false)),
                ..Zeroing::default()
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        wait(&self.changed, guard)
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

    /// This journal's file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the records of one batch (framed by [`encode_record`], outside the lock)
    /// in one write; the returned ticket must be held until the batch's files are renamed
    /// into place.
    pub(crate) fn append(&self, mut records: Vec<u8>) -> Result<Ticket<'_>> {
        let mut inner = self.lock();
        while inner.checkpoint_wanted {
            inner = self.wait(inner);
        }
        self.failure(&inner)?;
        let at = inner.bytes;
        let end = at + records.len() as u64;
        if end > inner.allocated {
            inner.allocated = self.zeroed_past(end)?;
        }
        rekey(&mut records, inner.epoch);
        if let Err(e) = self.io.append(&self.file, at, &records) {
            // Part of the batch may have landed, whole records among it: zero it all, or
            // a later sync could make a record of this failed save replayable (behind the
            // next append when that one happens to be as long as the records before it).
            if let Err(zeroing) = zero_fill(&self.file, at, end) {
                inner.failed = Some(format!("could not clear a failed write ({e}): {zeroing}"));
            }
            return Err(Error::io("append journal", &self.path, e));
        }
        inner.bytes += records.len() as u64;
        inner.appended += 1;
        inner.in_flight += 1;
        let number = inner.appended;
        self.zero_ahead(&inner);
        drop(inner);
        if let Some(bell) = &self.ahead {
            bell.ring();
        }
        Ok(Ticket {
            journal: self,
            number,
        })
    }

    /// Group commit: the first waiter syncs for everyone appended so far.
    pub(crate) fn sync_up_to(&self, ticket: u64) -> Result<()> {
        let mut inner = self.lock();
        loop {
            // Durable before a later sync failed: that failure is not this save's.
            if inner.synced >= ticket {
                return Ok(());
            }
            if let Some((target, kind, errno, message)) = &inner.failed_sync
                && ticket <= *target
            {
                let error = match errno {
                    Some(code) => std::io::Error::from_raw_os_error(*code),
                    None => std::io::Error::new(*kind, message.clone()),
                };
                return Err(Error::io("sync", &self.path, error));
            }
            self.failure(&inner)?;
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
            Err(ref e) => {
                inner.failed = Some(format!("fdatasync: {e}"));
                inner.failed_sync = Some((target, e.kind(), e.raw_os_error(), e.to_string()));
            }
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

    /// Refuses every later append, sync and checkpoint: the store failed in a way only
    /// the next open's replay of this journal settles, so its records must stay.
    pub(crate) fn refuse(&self, reason: &str) {
        let mut inner = self.lock();
        inner.failed.get_or_insert_with(|| reason.to_string());
        self.changed.notify_all();
    }

    /// Makes every journaled file durable with one `syncfs`, then starts the journal
    /// over. When another thread is at it, waits for that one: it covers every save that
    /// returned before it began.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        let mut inner = self.lock();
        if inner.checkpoint_wanted {
            while inner.checkpoint_wanted {
                inner = self.wait(inner);
            }
            return self.failure(&inner);
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
        if inner.bytes == HEADER_LEN {
            return Ok(());
        }
        if self.durable
            && let Err(e) = self.io.sync_file_system(&self.base)
        {
            inner.failed = Some(format!("syncfs: {e}"));
            return Err(Error::io("sync", &self.base, e));
        }
        let epoch = inner.epoch + 1;
        // Not synced here: the next sync carries it (see the module's invariants).
        if let Err(e) = self.file.write_all_at(&encode_header(epoch), 0) {
            inner.failed = Some(format!("could not start a new epoch: {e}"));
            return Err(Error::io("write", &self.path, e));
        }
        inner.epoch = epoch;
        inner.bytes = HEADER_LEN;
        inner.synced = inner.appended;
        Ok(())
    }

    /// Checkpoints and removes the journal (a clean close).
    pub(crate) fn finish(&self) -> Result<()> {
        self.checkpoint()?;
        fs::remove_file(&self.path).map_err(|e| Error::io("remove", &self.path, e))
    }
}
