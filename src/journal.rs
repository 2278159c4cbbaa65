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

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::Durability;
use crate::error::{Error, Result};
use crate::file::{self, lock, sync_file_system, wait, zero_fill};
use crate::io::StoreIo;

/// Journal directory under the base directory.
pub(crate) const JOURNAL_DIR: &str = ".journal";

/// Journal size that triggers a checkpoint.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// The first 8 bytes of a journal with a header. As an old journal's first record length
/// it would read 4 GiB - 1, which no record has, so the two formats cannot be confused.
pub const JOURNAL_MAGIC: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, b'B', b'H', b'J', b'2'];

/// Header bytes: magic and epoch.
const HEADER_LEN: u64 = 16;

/// Zeroed space a new journal starts with, and the first step it grows by.
const FIRST_ALLOCATION: u64 = 1024 * 1024;

/// The largest step the zeroed space grows by at once.
const MAX_GROWTH: u64 = 8 * 1024 * 1024;

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

/// What a record's check is XORed with in `epoch`: distinct for every epoch below 2^32
/// (an odd multiplier is a bijection), zero for epoch 0, so old journals read unchanged.
fn epoch_mask(epoch: u64) -> u32 {
    (epoch as u32).wrapping_mul(0x9E37_79B1)
}

/// Frames one record of epoch 0 (a journal without header).
pub fn encode_record(relative_path: &str, file_bytes: &[u8]) -> Vec<u8> {
    encode_record_in(0, relative_path, file_bytes)
}

/// Frames one record of `epoch`.
pub fn encode_record_in(epoch: u64, relative_path: &str, file_bytes: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + relative_path.len() + file_bytes.len());
    payload.extend_from_slice(&(relative_path.len() as u32).to_le_bytes());
    payload.extend_from_slice(relative_path.as_bytes());
    payload.extend_from_slice(file_bytes);
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&(crc32(&payload) ^ epoch_mask(epoch)).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// A journal header naming `epoch`.
pub fn encode_header(epoch: u64) -> [u8; HEADER_LEN as usize] {
    let mut out = [0u8; HEADER_LEN as usize];
    out[..8].copy_from_slice(&JOURNAL_MAGIC);
    out[8..].copy_from_slice(&epoch.to_le_bytes());
    out
}

/// The epoch a journal's header names, `None` for a journal without header.
pub fn journal_epoch(bytes: &[u8]) -> Option<u64> {
    if !bytes.starts_with(&JOURNAL_MAGIC) {
        return None;
    }
    let b: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Decodes a journal's records until the first torn or corrupt one, or one of an earlier
/// epoch; returns them and whether the rest of the input is clean: nothing, or (after a
/// header) only the zeros of space not yet used.
pub fn decode_records(bytes: &[u8]) -> (Vec<(String, &[u8])>, bool) {
    let (epoch, mut rest) = match journal_epoch(bytes) {
        Some(epoch) => (epoch, &bytes[HEADER_LEN as usize..]),
        None if bytes.starts_with(&JOURNAL_MAGIC[..4]) => return (Vec::new(), false),
        None => (0, bytes),
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        let Some(record) = decode_one(epoch, rest) else {
            let padding = journal_epoch(bytes).is_some() && rest.iter().all(|b| *b == 0);
            return (out, padding);
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

fn decode_one(epoch: u64, bytes: &[u8]) -> Option<(String, &[u8], usize)> {
    let len = usize::try_from(le_u32(bytes, 0)?).ok()?;
    let check = le_u32(bytes, 4)?;
    let payload = bytes.get(8..8usize.checked_add(len)?)?;
    if crc32(payload) ^ epoch_mask(epoch) != check {
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

/// The zeroed space past the records, and the thread that extends it. Records are only
/// ever written below `zeroed` as an append last saw it, and the thread only ever writes
/// past the `zeroed` it started from, so it never overwrites a record.
#[derive(Default)]
struct Zeroing {
    /// (the file's size: zeros from the records' end to here, a thread is extending it)
    state: Mutex<(u64, bool)>,
    grown: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Set when the journal goes: the thread stops after the piece it is writing.
    stop: AtomicBool,
}

/// Bytes the zeroing thread writes, and has written back, at a time: the most a save's
/// sync can find of it still to write.
const ZEROING_PIECE: u64 = 128 * 1024;

impl Zeroing {
    fn state(&self) -> MutexGuard<'_, (u64, bool)> {
        lock(&self.state)
    }

    /// Zeros `[from, to)` of `file` a piece at a time; with `write_back` each piece is
    /// on its way to the disk before the next is written, so at most one is dirty.
    fn extend(&self, file: &File, from: u64, to: u64, write_back: bool) {
        let mut at = from;
        while at < to && !self.stop.load(Ordering::Relaxed) {
            let end = (at + ZEROING_PIECE).min(to);
            let written = zero_fill(file, at, end).and_then(|()| {
                if write_back {
                    file::write_back(file, at, end - at)
                } else {
                    Ok(())
                }
            });
            let mut state = self.state();
            match written {
                Ok(()) => state.0 = end,
                // What is left is zeroed by the append that needs it, which reports
                // the error if it happens again.
                Err(_) => break,
            }
            self.grown.notify_all();
            drop(state);
            at = end;
        }
        self.state().1 = false;
        self.grown.notify_all();
    }
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

/// A doorbell between appends and a syncing thread, which the store also uses to stop
/// that thread. It lives apart from the journal so that the waiting thread does not keep
/// the journal (and its lock) alive.
#[derive(Default)]
pub(crate) struct Doorbell {
    /// (rung since the last wait, stop asked)
    state: Mutex<(bool, bool)>,
    bell: Condvar,
}

/// What woke a syncing thread.
#[derive(Debug, PartialEq, Eq)]
enum Wake {
    Rung,
    Idle,
    Stop,
}

impl Doorbell {
    fn ring(&self) {
        lock(&self.state).0 = true;
        self.bell.notify_one();
    }

    /// Asks the thread to end (it finishes a sync it is in first).
    fn stop(&self) {
        lock(&self.state).1 = true;
        self.bell.notify_all();
    }

    /// Waits up to `idle` for a ring or a stop (a ring is reset by the wait).
    fn wait(&self, idle: Duration) -> Wake {
        let state = lock(&self.state);
        let (mut state, _) = self
            .bell
            .wait_timeout_while(state, idle, |(rung, stop)| !*rung && !*stop)
            .unwrap_or_else(|p| p.into_inner());
        match (std::mem::take(&mut state.0), state.1) {
            (_, true) => Wake::Stop,
            (true, _) => Wake::Rung,
            _ => Wake::Idle,
        }
    }
}

/// A store's syncing thread: stopped and joined when the store goes away, so that the
/// journal (and its `flock`) is released by then, not a moment later: a store reopened
/// at once in the same process must find a dropped store's journal abandoned.
pub(crate) struct Syncer {
    bell: Arc<Doorbell>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.bell.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Under `always`: a thread that syncs the journal as soon as records are appended, so
/// that a save's `fdatasync` runs while the save writes its event files under temporary
/// names, and the save then waits for one sync, not for a sync and then its writes.
/// Savers still sync for themselves when it has not started yet (group commit as
/// before). It holds the journal only while syncing, and ends at its first failure or
/// when its [`Syncer`] is dropped.
pub(crate) fn spawn_sync_ahead(journal: &Arc<Journal>) -> Option<Syncer> {
    const IDLE: Duration = Duration::from_millis(100);
    let bell = journal.ahead.clone()?;
    let weak = Arc::downgrade(journal);
    let waits = bell.clone();
    let thread = std::thread::spawn(move || {
        loop {
            let wake = waits.wait(IDLE);
            let Some(journal) = weak.upgrade().filter(|_| wake != Wake::Stop) else {
                return;
            };
            // A failure is recorded in the journal and refuses every later save.
            if wake == Wake::Rung && journal.sync_now().is_err() {
                return;
            }
        }
    });
    Some(Syncer {
        bell,
        thread: Some(thread),
    })
}

/// The `batch` mode's timer: syncs the journal every `interval` until its [`Syncer`] is
/// dropped.
pub(crate) fn spawn_batch_syncer(journal: &Arc<Journal>, interval: Duration) -> Syncer {
    let bell = Arc::new(Doorbell::default());
    let weak = Arc::downgrade(journal);
    let waits = bell.clone();
    let thread = std::thread::spawn(move || {
        while waits.wait(interval) != Wake::Stop {
            let Some(journal) = weak.upgrade() else {
                return;
            };
            // A failure is recorded in the journal and refuses every later save.
            let _ = journal.sync_now();
        }
    });
    Syncer {
        bell,
        thread: Some(thread),
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

/// Re-keys records framed for epoch 0 for `epoch` (only their checks change).
fn rekey(records: &mut [u8], epoch: u64) {
    let mask = epoch_mask(epoch);
    let mut at = 0;
    while let (Some(len), Some(check)) = (le_u32(records, at), le_u32(records, at + 4)) {
        records[at + 4..at + 8].copy_from_slice(&(check ^ mask).to_le_bytes());
        at += 8 + len as usize;
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
            .and_then(|()| file::sync_dir(&dir));
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

    /// The end of the zeroed space once it reaches `end`: what the zeroing thread has
    /// reached, waiting for it if it is on its way; without one, this thread zeros a
    /// step (grown by steps ahead of need, so that most syncs find no metadata to commit).
    fn zeroed_past(&self, end: u64) -> Result<u64> {
        let mut state = self.zeroing.state();
        while state.1 && state.0 < end {
            state = wait(&self.zeroing.grown, state);
        }
        if state.0 < end {
            let grown = end.max(state.0 + state.0.min(MAX_GROWTH));
            zero_fill(&self.file, state.0, grown)
                .map_err(|e| Error::io("extend journal", &self.path, e))?;
            state.0 = grown;
        }
        Ok(state.0)
    }

    /// Starts the zeroing thread on the next step once less than half a step is left.
    fn zero_ahead(&self, inner: &Inner) {
        let step = inner.allocated.min(MAX_GROWTH);
        if inner.allocated - inner.bytes > step / 2 {
            return;
        }
        let mut state = self.zeroing.state();
        if state.1 || state.0 > inner.allocated {
            return;
        }
        let Ok(file) = self.file.try_clone() else {
            return;
        };
        let (from, to) = (state.0, state.0 + step);
        let zeroing = self.zeroing.clone();
        let write_back = self.durable;
        // Started with the flag up and under its lock, so no append can take the space
        // for its own before the thread has it; a thread the system refuses leaves the
        // flag down and the appends zero the space themselves.
        let Ok(thread) = std::thread::Builder::new()
            .name("journal-zeroing".to_string())
            .spawn(move || zeroing.extend(&file, from, to, write_back))
        else {
            return;
        };
        state.1 = true;
        drop(state);
        let mut slot = lock(&self.zeroing.thread);
        // The one before has ended (the flag was down): it only needs joining.
        if let Some(done) = slot.replace(thread) {
            let _ = done.join();
        }
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
            && let Err(e) = sync_file_system(&self.base)
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
            Err(_) if file::pid_alive(pid) => {} // a live store's journal
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
    mode_and_boot(journal).is_some_and(|(mode, boot)| {
        mode == Durability::Always.name() || boot_id().is_some_and(|b| b == boot)
    })
}

/// The durability mode and boot id a journal's name carries (`None` for a journal named
/// by an older version).
fn mode_and_boot(journal: &Path) -> Option<(&str, &str)> {
    let stem = journal.file_name()?.to_str()?.strip_suffix(".journal")?;
    match stem.split('-').collect::<Vec<&str>>().as_slice() {
        [_, _, mode, boot] => Some((mode, boot)),
        _ => None,
    }
}

/// Whether a journal's writer was cut short by a reboot (a power loss, as far as the
/// store can tell) under `batch` or `none`: its name and this machine both know a boot
/// id, and they differ. An unknown boot id proves nothing (a process crash looks the
/// same), so it does not count.
pub(crate) fn cut_short_by_reboot(journal: &Path) -> bool {
    mode_and_boot(journal).is_some_and(|(mode, boot)| {
        mode != Durability::Always.name()
            && !boot.is_empty()
            && boot_id().is_some_and(|b| !b.is_empty() && b != boot)
    })
}

/// Whether a journal's writer made every file of an epoch durable before starting the
/// next one (`always` and `batch` checkpoint with `syncfs`; `none` does not): then a
/// durable record proves every file its writer renamed before it durable too.
pub(crate) fn checkpoints_sync(journal: &Path) -> bool {
    mode_and_boot(journal).is_some_and(|(mode, _)| mode != Durability::None.name())
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

    #[test]
    fn a_header_journal_reads_its_epoch_and_stops_at_an_earlier_epochs_record() {
        let mut bytes = encode_header(7).to_vec();
        bytes.extend(encode_record_in(7, "hotswap/a/x.json", b"{}"));
        let stale = encode_record_in(6, "hotswap/a/y.json", b"{}");
        bytes.extend(&stale);
        let (records, clean) = decode_records(&bytes);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].0, "hotswap/a/x.json");
        assert!(!clean);
        // The same record framed for epoch 7 is read.
        bytes.truncate(bytes.len() - stale.len());
        bytes.extend(encode_record_in(7, "hotswap/a/y.json", b"{}"));
        assert_eq!(decode_records(&bytes).0.len(), 2);
    }

    #[test]
    fn zeroed_space_after_the_records_is_clean_and_ends_the_journal() {
        let mut bytes = encode_header(3).to_vec();
        bytes.extend(encode_record_in(3, "hotswap/a/x.json", b"{}"));
        bytes.extend([0u8; 4096]);
        let (records, clean) = decode_records(&bytes);
        assert_eq!((records.len(), clean), (1, true));
        // Without a header zeros are not padding: such journals never had any.
        let (records, clean) = decode_records(&bytes[16..]);
        assert_eq!((records.len(), clean), (0, false));
    }

    #[test]
    fn rekeying_epoch_zero_records_equals_framing_them_in_the_epoch() {
        let mut records = encode_record("hotswap/a/x.json", b"{\"a\":1}");
        records.extend(encode_record("hotswap/a/y.json", b"{}"));
        let mut expected = encode_record_in(5, "hotswap/a/x.json", b"{\"a\":1}");
        expected.extend(encode_record_in(5, "hotswap/a/y.json", b"{}"));
        rekey(&mut records, 5);
        assert_eq!(records, expected);
        assert_ne!(epoch_mask(5), epoch_mask(6));
    }

    fn zeroing_done(journal: &Journal) -> u64 {
        let mut state = journal.zeroing.state();
        while state.1 {
            state = wait(&journal.zeroing.grown, state);
        }
        state.0
    }

    #[test]
    fn the_zeroed_space_is_extended_ahead_of_need_and_no_record_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let journal =
            Journal::create(dir.path(), Arc::new(crate::io::OsIo), Durability::Always).unwrap();
        let body = vec![b'x'; 10 * 1024];
        let record = |name: &str| encode_record(&format!("t/a/{name}"), &body);
        let size = || fs::metadata(&journal.path).unwrap().len();
        // Past half of the first MiB: the next step is zeroed by the thread, before any
        // append needs it.
        let mut n = 0;
        while journal.lock().bytes < FIRST_ALLOCATION / 2 + 1 {
            drop(journal.append(record(&format!("s{n}"))).unwrap());
            n += 1;
        }
        assert_eq!(zeroing_done(&journal), 2 * FIRST_ALLOCATION);
        assert_eq!(size(), 2 * FIRST_ALLOCATION);
        assert!(journal.lock().bytes < FIRST_ALLOCATION);
        // Four threads append through several steps while the thread zeros ahead.
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (journal, record) = (&journal, &record);
                scope.spawn(move || {
                    for i in 0..150 {
                        drop(journal.append(record(&format!("t{t}-{i}"))).unwrap());
                    }
                });
            }
        });
        let end = zeroing_done(&journal);
        let bytes = journal.lock().bytes;
        assert!(bytes > 4 * FIRST_ALLOCATION, "several steps were crossed");
        assert_eq!(size(), end);
        assert!(end > bytes);
        let file = fs::read(&journal.path).unwrap();
        let (records, clean) = decode_records(&file);
        assert!(clean, "only zeros follow the records");
        let mut names: Vec<&str> = records.iter().map(|(p, _)| p.as_str()).collect();
        assert!(records.iter().all(|(_, b)| *b == body.as_slice()));
        names.sort_unstable();
        let mut expected: Vec<String> = (0..n).map(|i| format!("t/a/s{i}")).collect();
        expected.extend((0..4).flat_map(|t| (0..150).map(move |i| format!("t/a/t{t}-{i}"))));
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    #[test]
    fn a_torn_header_reads_as_an_empty_journal() {
        let header = encode_header(1);
        for cut in 4..header.len() {
            assert_eq!(decode_records(&header[..cut]), (Vec::new(), false));
        }
    }
}
