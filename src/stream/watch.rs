//! The stream's [`Watcher`]: what wakes a reader when the log changes.

use std::fs::File;
#[cfg(target_os = "linux")]
use std::io::Read;
use std::path::Path;
#[cfg(not(target_os = "linux"))]
use std::path::PathBuf;

use crate::error::{Error, Result};

use super::Stream;

/// Wakes a reader when the stream log changes, in this process or any other: inotify on
/// Linux (no polling; the kernel reports each append), elsewhere a look at the log's
/// length every 20 ms (`POLL_INTERVAL`).
pub(crate) struct Watcher {
    #[cfg(target_os = "linux")]
    inotify: File,
    #[cfg(not(target_os = "linux"))]
    log: PathBuf,
}

/// Without inotify: how often a waiting reader looks at the log's length.
#[cfg(not(target_os = "linux"))]
pub(crate) const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

impl Watcher {
    /// Watches the stream's directory (`stream.dir()`, which must exist): appends to
    /// the log, and its replacement by a rewrite.
    pub(crate) fn new(stream: &Stream) -> Result<Watcher> {
        let dir = stream.dir();
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::inotify;
            let fail = |e: rustix::io::Errno| Error::io("watch", &dir, e.into());
            let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
                .map_err(fail)?;
            inotify::add_watch(
                &fd,
                &dir,
                inotify::WatchFlags::MODIFY
                    | inotify::WatchFlags::MOVED_TO
                    | inotify::WatchFlags::CREATE,
            )
            .map_err(fail)?;
            Ok(Watcher {
                inotify: File::from(fd),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = dir;
            Ok(Watcher {
                log: stream.path().to_path_buf(),
            })
        }
    }

    /// Returns when the log may have changed since the last call, or after `timeout`.
    pub(crate) fn wait(&self, timeout: std::time::Duration) -> Result<()> {
        #[cfg(target_os = "linux")]
        {
            use rustix::event::{PollFd, PollFlags, Timespec, poll};
            let timeout = Timespec {
                tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
                tv_nsec: timeout.subsec_nanos().into(),
            };
            let mut fds = [PollFd::new(&self.inotify, PollFlags::IN)];
            match poll(&mut fds, Some(&timeout)) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(Error::io("watch", Path::new(".stream"), e.into())),
            }
            // Drain what is pending: the next wait sleeps until something new happens.
            let mut buf = [0u8; 4096];
            while matches!((&self.inotify).read(&mut buf), Ok(n) if n > 0) {}
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
            let before = len(&self.log);
            let deadline = std::time::Instant::now() + timeout;
            while std::time::Instant::now() < deadline && len(&self.log) == before {
                std::thread::sleep(POLL_INTERVAL.min(deadline - std::time::Instant::now()));
            }
            Ok(())
        }
    }
}
