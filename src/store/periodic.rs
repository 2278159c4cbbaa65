//! A thread that runs a job every interval until dropped: the automatic backups and the
//! daily cleanup. Dropping it wakes the thread and waits for it (for at most the job it
//! may be running), so a store's close or drop never leaves one behind.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::file::lock;

pub(super) struct Periodic {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Periodic {
    /// Runs `job` every `interval`, the first time one interval from now.
    pub(super) fn spawn(interval: Duration, mut job: impl FnMut() + Send + 'static) -> Periodic {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let (stopped, bell) = &*flag;
            loop {
                let guard = lock(stopped);
                let (guard, _) = bell
                    .wait_timeout_while(guard, interval, |stop| !*stop)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if *guard {
                    return;
                }
                drop(guard);
                job();
            }
        });
        Periodic {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Periodic {
    fn drop(&mut self) {
        let (stopped, bell) = &*self.stop;
        *lock(stopped) = true;
        bell.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
