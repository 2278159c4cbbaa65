//! The threads that sync a journal: under `always` the sync-ahead thread, rung by each
//! append so that the sync starts while the save stages its files; under `batch` a timer.
//! Neither keeps the journal alive between syncs (each holds a weak reference), and
//! dropping a [`Syncer`] stops and joins its thread: when a store's drop returns, its
//! journal and the journal's lock are gone.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::file::lock;

use super::Journal;

/// A doorbell between appends and a syncing thread, which the store also uses to stop
/// that thread. It lives apart from the journal so that the waiting thread does not keep
/// the journal (and its lock) alive.
#[derive(Default)]
pub(crate) struct Doorbell {
    /// (rung since the last wait, stop asked)
    pub(super) state: Mutex<(bool, bool)>,
    pub(super) bell: Condvar,
}

/// What woke a syncing thread.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Wake {
    Rung,
    Idle,
    Stop,
}

impl Doorbell {
    pub(super) fn ring(&self) {
        lock(&self.state).0 = true;
        self.bell.notify_one();
    }

    /// Asks the thread to end (it finishes a sync it is in first).
    pub(super) fn stop(&self) {
        lock(&self.state).1 = true;
        self.bell.notify_all();
    }

    /// Waits up to `idle` for a ring or a stop (a ring is reset by the wait).
    pub(super) fn wait(&self, idle: Duration) -> Wake {
        let state = lock(&self.state);
        let (mut state, _) = self
            .bell
            .wait_timeout_while(state, idle, |(rung, stop)| !*rung && !*stop)
            .unwrap_or_else(PoisonError::into_inner);
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
    pub(super) bell: Arc<Doorbell>,
    pub(super) thread: Option<std::thread::JoinHandle<()>>,
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
