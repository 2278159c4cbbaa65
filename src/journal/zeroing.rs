//! The zeroed space ahead of a journal's records, extended by a thread of its own once
//! less than half a step is left, so that no save's sync has to write megabytes of
//! zeros. Records are only ever written below the end an append last saw, and the thread
//! only ever writes past the end it started from: it never overwrites a record.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::file::{self, lock, wait, zero_fill};

use super::{Inner, Journal, MAX_GROWTH};

/// The zeroed space past the records, and the thread that extends it. Records are only
/// ever written below `zeroed` as an append last saw it, and the thread only ever writes
/// past the `zeroed` it started from, so it never overwrites a record.
#[derive(Default)]
pub(super) struct Zeroing {
    /// (the file's size: zeros from the records' end to here, a thread is extending it)
    pub(super) state: Mutex<(u64, bool)>,
    pub(super) grown: Condvar,
    pub(super) thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Set when the journal goes: the thread stops after the piece it is writing.
    pub(super) stop: AtomicBool,
}

/// Bytes the zeroing thread writes, and has written back, at a time: the most a save's
/// sync can find of it still to write.
pub(super) const ZEROING_PIECE: u64 = 128 * 1024;

impl Zeroing {
    pub(super) fn state(&self) -> MutexGuard<'_, (u64, bool)> {
        lock(&self.state)
    }

    /// Zeros `[from, to)` of `file` a piece at a time; with `write_back` each piece is
    /// on its way to the disk before the next is written, so at most one is dirty.
    pub(super) fn extend(&self, file: &File, from: u64, to: u64, write_back: bool) {
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

impl Journal {
    /// The end of the zeroed space once it reaches `end`: what the zeroing thread has
    /// reached, waiting for it if it is on its way; without one, this thread zeros a
    /// step (grown by steps ahead of need, so that most syncs find no metadata to commit).
    pub(super) fn zeroed_past(&self, end: u64) -> Result<u64> {
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
    pub(super) fn zero_ahead(&self, inner: &Inner) {
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
}
