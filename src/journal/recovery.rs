//! What an open learns from the journals in `.journal/`: which belong to no live store
//! (their `flock` can be taken), and, from a journal's name (`<pid>-<n>-<mode>-<boot>`),
//! whether its writer's files are all accounted for, whether a reboot cut it short, and
//! whether its records vouch for the files before them.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::config::Durability;
use crate::error::{Error, Result};
use crate::file::{self, FileLock};
use crate::io::StoreIo;

use super::JOURNAL_DIR;

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
        let named_as_a_journal = name
            .strip_suffix(".journal")
            .and_then(|s| s.split('-').next())
            .is_some_and(|pid| pid.parse::<u32>().is_ok());
        if !named_as_a_journal {
            continue;
        }
        let file = match file::open_regular(&path, std::fs::OpenOptions::new().read(true)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // Not a journal any store wrote (a FIFO, a link): nothing to replay.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput || file::is_link_refused(&e) => {
                continue;
            }
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        // Only a live store holds a journal's lock: the system releases it when its
        // process ends, and the openers that replay journals take turns under the
        // recovery lock, which the caller holds. So a held lock means a live owner,
        // whatever its pid says from this PID namespace.
        if file.try_acquire().is_ok() {
            out.push((path, file));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The journals in `<base>/.journal` a live store holds (this process's own included).
pub(crate) fn live_journals(base: &Path) -> Result<Vec<PathBuf>> {
    let dir = base.join(JOURNAL_DIR);
    let mut out = Vec::new();
    for name in file::dir_names(&dir)? {
        if !name.ends_with(".journal") {
            continue;
        }
        let path = dir.join(&name);
        let Ok(journal) = file::open_regular(&path, std::fs::OpenOptions::new().read(true)) else {
            continue;
        };
        if matches!(
            journal.try_acquire_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        ) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Whether a store whose process has the id `pid` (in its own PID namespace) is open on
/// the store at `base`: one of the journals named after that pid is locked. This is what
/// tells a live writer from a dead one across PID namespaces, where `/proc/<pid>` means
/// nothing. Probed with a shared lock, released at once.
pub(crate) fn writer_alive(base: &Path, pid: u32) -> bool {
    let dir = base.join(JOURNAL_DIR);
    let prefix = format!("{pid}-");
    file::dir_names(&dir)
        .unwrap_or_default()
        .iter()
        .any(|name| {
            name.starts_with(&prefix)
                && name.ends_with(".journal")
                && file::open_regular(&dir.join(name), std::fs::OpenOptions::new().read(true))
                    .is_ok_and(|journal| {
                        matches!(
                            journal.try_acquire_shared(),
                            Err(std::fs::TryLockError::WouldBlock)
                        )
                    })
        })
}

/// This boot of the machine, without dashes (see [`file::boot_id`]).
pub(super) fn boot_id() -> Option<String> {
    file::boot_id()
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
pub(super) fn mode_and_boot(journal: &Path) -> Option<(&str, &str)> {
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
pub(crate) fn retire(io: &dyn StoreIo, base: &Path, path: &Path) -> Result<()> {
    io.sync_file_system(base)
        .map_err(|e| Error::io("sync", base, e))?;
    fs::remove_file(path).map_err(|e| Error::io("remove", path, e))
}
