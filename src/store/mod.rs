//! `EventStore`: one directory of aggregate folders, a journal and an index. This file
//! holds the struct, its open and close, and the poison that stops writes after a
//! failed sync; each other concern adds an `impl EventStore` block of its own:
//!
//! | file | concern |
//! |---|---|
//! | `files.rs` | event files: read, parse, list; temp files, atomic writes, parallel reads |
//! | `cache.rs` | what the store keeps in memory of aggregates and events, and its bounds |
//! | `ids_file.rs` | the `.ids` file of an aggregate directory |
//! | `meta.rs` | the metadata files under `metadata/` |
//! | `aggregate.rs` | finding an aggregate's directory and bringing its view up to date |
//! | `write.rs` | append: validate, plan, journal, stage, rename, index |
//! | `read.rs` | the read APIs |
//! | `recovery.rs` | what an open does after a crash: replay, rebuild, set aside |
//! | `verify.rs` | health and verify |
//! | `compact.rs` | single-event files rewritten into segments, online |
//! | `backup.rs` | online backup with a manifest, and restore |
//! | `cleanup.rs` | retention: an aggregate's oldest files removed, its versions kept |
//! | `periodic.rs` | the thread of the automatic backups and the daily cleanup |
//! | `transfer.rs` | export and import as JSON Lines, and the filter that selects events |
//! | `snapshot.rs` | aggregate snapshots: saved beside the aggregate, the newest matching one loaded |
//! | `subscribe.rs` | the global order: `read_all`, subscriptions, checkpoints; by correlation and user |
//!
//! Invariants (see DESIGN.md section 3):
//! - Inside an aggregate, versions run 1, 2, 3 ... : every append happens under the
//!   aggregate's in-process mutex *and* an exclusive `flock` on its directory, and
//!   re-reads the directory under that lock, so threads and processes both serialize.
//! - An event file appears under its final name only complete: it is written to a dot
//!   temp file, synced, then renamed. Readers ignore dot files.
//! - The per-aggregate cache holds only what is derivable from the file names and the
//!   files themselves, and is checked against the directory listing on every use.

mod aggregate;
mod backup;
mod cache;
mod cleanup;
mod compact;
mod encryption;
mod files;
mod git_restore;
mod git_sync;
mod ids_file;
mod meta;
mod migrate;
mod periodic;
mod plan;
mod read;
mod rebuild;
mod recovery;
mod snapshot;
mod subscribe;
mod transfer;
mod verify;
mod write;

pub use backup::{BACKUP_MANIFEST, BackupReport, backup_root};
pub use cleanup::{CLEANUP_LOG, CleanupReport};
pub use compact::Compaction;
pub use git_restore::RestoreReport;
pub use git_sync::{OtherStoresCursor, SYNC_DIR, SyncReport};
pub use migrate::SchemaRewrite;
pub use snapshot::{SNAPSHOT_DIR, SNAPSHOTS_KEPT, Snapshot};
pub use subscribe::{StartAt, StreamEvent, StreamFilter, Subscription};
pub use transfer::{EventFilter, ImportReport};
pub use verify::Health;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Durability};
use crate::error::{Error, Result};
use crate::file::{self, lock};
use crate::index::Index;
use crate::io::{OsIo, StoreIo};
use crate::journal::{self, Journal};
use crate::layout;
use crate::metadata::{AggregateTypesFile, SchemaVersionsFile};

use self::cache::*;

/// Why a store refuses every write for its whole life, and what its reads must allow for.
#[derive(Debug)]
struct ReadOnly {
    /// Said by every refused write.
    reason: String,
    /// Opened read-only on purpose (not a problem to report), rather than unable to write.
    by_choice: bool,
    /// Journals of dead writers that no open has replayed: saves they acknowledged may be
    /// missing from the files until a read-write open recovers them.
    pending_journals: usize,
    /// Whether the index can be believed; if not, the queries it serves are refused (a
    /// read-write open rebuilds it).
    index_complete: bool,
}

/// An embedded, file-per-event store rooted at one directory.
pub struct EventStore {
    base: PathBuf,
    metadata_dir: PathBuf,
    config: Config,
    clock: Arc<dyn Clock>,
    io: Arc<dyn StoreIo>,
    /// The write-ahead journal (unsynced with `durability = none`); `None` while opening,
    /// after close, and when writes are refused for good ([`ReadOnly`]).
    journal: Option<Arc<Journal>>,
    /// Set when this store never writes: opened read-only, or unable to write at open.
    read_only: Option<ReadOnly>,
    index: Index,
    aggregates: Mutex<HashMap<AggKey, Arc<Mutex<AggState>>>>,
    /// Per directory whose name the old adapter may have given to another id too (`a_b`
    /// for `a/b`), the aggregate id each of its event files names (`None`: the file does
    /// not parse). Event files never change, so asking whether it holds an id parses only
    /// the files added since the last question.
    legacy_scans: Mutex<HashMap<PathBuf, HashMap<String, Option<String>>>>,
    /// Set after a failed sync: what was written since the last good sync may be lost,
    /// so the store refuses writes until it is reopened.
    poisoned: Mutex<Option<String>>,
    known: Mutex<SchemaVersionsFile>,
    known_types: Mutex<AggregateTypesFile>,
    tmp_counter: AtomicU64,
    /// With encryption at rest: the master key and the aggregates' data keys.
    keyring: Option<crate::crypto::Keyring>,
    /// While the open recovers (replays dead writers' journals, rebuilds): a last file
    /// that `.ids` or the directory names and that is gone may be one a record is about
    /// to restore, so it is not reported missing (`aggregate::check_last_files_present`).
    recovering: AtomicBool,
    /// Bytes of events in the event cache (see [`crate::Config::event_cache_bytes`]).
    cached_bytes: Arc<AtomicUsize>,
    /// The journal's syncing thread (`always`, `batch`); stopped and joined on drop.
    syncer: Option<journal::Syncer>,
    /// With `backup-enabled`: the thread that takes a backup every interval; stopped and
    /// joined on drop (after the backup it may be taking).
    backup_timer: Option<periodic::Periodic>,
    /// With a `cleanup.*` setting: the thread that runs the cleanup daily.
    cleanup_timer: Option<periodic::Periodic>,
    role: Role,
}

/// Who opened a store: the application, or this library's daily cleanup (which opens a
/// store of its own, as another process would, and must not start timers or back up at
/// close in its turn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Application,
    Maintenance,
}

impl EventStore {
    /// Opens (creating if needed) the store described by `config`.
    pub fn open(config: Config) -> Result<EventStore> {
        EventStore::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Opens with an explicit clock (tests inject one that steps backwards).
    pub fn open_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<EventStore> {
        EventStore::open_with(config, clock, Arc::new(OsIo))
    }

    /// Opens with an explicit clock and I/O layer (tests inject faults through it).
    pub fn open_with(
        config: Config,
        clock: Arc<dyn Clock>,
        io: Arc<dyn StoreIo>,
    ) -> Result<EventStore> {
        let store = EventStore::open_inner(config, clock, io, Role::Application)?;
        if store.read_only.is_none()
            && store.config.has_cleanup()
            && let Err(e) = store.cleanup(false)
        {
            log::error!("{}: the cleanup at open failed: {e}", store.base.display());
        }
        Ok(store)
    }

    fn open_inner(
        config: Config,
        clock: Arc<dyn Clock>,
        io: Arc<dyn StoreIo>,
        role: Role,
    ) -> Result<EventStore> {
        let base = config.path.clone();
        let unusable = |what: &str, e: std::io::Error| Error::Unavailable {
            reason: format!("{what} {}: {e}", base.display()),
        };
        let not_a_directory = || Error::Unavailable {
            reason: format!(
                "{} is not a directory (the base directory's path names a file)",
                base.display()
            ),
        };
        if fs::metadata(&base).is_ok_and(|m| !m.is_dir()) {
            return Err(not_a_directory());
        }
        backup::check_backup_root(&config)?;
        if config.read_only {
            return EventStore::open_read_only(config, clock, io);
        }
        fs::create_dir_all(&base).map_err(|e| unusable("cannot create base directory", e))?;
        if !fs::metadata(&base)
            .map_err(|e| unusable("cannot read base directory", e))?
            .is_dir()
        {
            return Err(not_a_directory());
        }
        file::set_aside_unless_directory(&base.join(layout::METADATA_DIR))?;
        file::StoreDir::open(&base, Path::new(layout::METADATA_DIR), true)
            .map_err(|e| unusable("cannot create metadata directory in", e))?;
        let mut store = EventStore::unopened(base, config, clock, io);
        store.open_encryption(true)?;
        let journal = match store.recover() {
            Ok(journal) => Arc::new(journal),
            // A full disk still lets the store be read: what the open could not write (the
            // journal's first megabyte, most likely) only stops writes.
            Err(e) if e.is_out_of_space() => {
                log::warn!(
                    "{}: opened for reading only, the disk is full ({e}): free some space \
                     and reopen the store to write",
                    store.base.display()
                );
                store.read_only = Some(ReadOnly {
                    reason: format!(
                        "the open could not write ({e}): reads are served, writes are \
                         refused; free some space and reopen the store"
                    ),
                    by_choice: false,
                    pending_journals: journal::abandoned_journals(&store.base)?.len(),
                    index_complete: store.index.is_complete(),
                });
                return Ok(store);
            }
            Err(e) if e.is_read_only_file_system() => {
                return Err(Error::Unavailable {
                    reason: format!(
                        "{e}: the store's file system is mounted read-only; open it with \
                         read-only: true (BYTEHOT_EVENTSTORE_READ_ONLY=true) to read it"
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        store.syncer = match store.config.durability {
            Durability::Batch => Some(journal::spawn_batch_syncer(
                &journal,
                store.config.batch_interval,
            )),
            Durability::Always => journal::spawn_sync_ahead(&journal),
            Durability::None => None,
        };
        store.journal = Some(journal);
        store.role = role;
        if role == Role::Application {
            if store.config.backup_enabled {
                store.backup_timer = Some(backup::spawn_backup_timer(
                    store.base.clone(),
                    store.io.clone(),
                    store.clock.clone(),
                    &store.config,
                ));
            }
            if store.config.has_cleanup() {
                store.cleanup_timer = Some(cleanup::spawn_cleanup_timer(
                    store.config.clone(),
                    store.clock.clone(),
                    store.io.clone(),
                ));
            }
        }
        Ok(store)
    }

    /// A store over `base` with nothing read or written yet: no journal, empty caches.
    fn unopened(
        base: PathBuf,
        config: Config,
        clock: Arc<dyn Clock>,
        io: Arc<dyn StoreIo>,
    ) -> EventStore {
        EventStore {
            index: Index::new(&base, io.clone()),
            metadata_dir: base.join(layout::METADATA_DIR),
            base,
            config,
            clock,
            io,
            journal: None,
            read_only: None,
            aggregates: Mutex::new(HashMap::new()),
            legacy_scans: Mutex::new(HashMap::new()),
            poisoned: Mutex::new(None),
            known: Mutex::new(SchemaVersionsFile::default()),
            known_types: Mutex::new(AggregateTypesFile::default()),
            tmp_counter: AtomicU64::new(0),
            keyring: None,
            recovering: AtomicBool::new(false),
            cached_bytes: Arc::new(AtomicUsize::new(0)),
            syncer: None,
            backup_timer: None,
            cleanup_timer: None,
            role: Role::Application,
        }
    }

    /// [`Config::read_only`]: checks the base directory is there and notes what a
    /// read-write open would have to settle first; creates, changes and removes nothing.
    fn open_read_only(
        config: Config,
        clock: Arc<dyn Clock>,
        io: Arc<dyn StoreIo>,
    ) -> Result<EventStore> {
        let base = config.path.clone();
        if !base.is_dir() {
            return Err(Error::Unavailable {
                reason: format!(
                    "{} does not exist: a read-only open creates nothing",
                    base.display()
                ),
            });
        }
        let mut store = EventStore::unopened(base, config, clock, io);
        store.open_encryption(false)?;
        store.read_only = Some(ReadOnly {
            reason: "the store was opened read-only".to_string(),
            by_choice: true,
            pending_journals: journal::abandoned_journals(&store.base)?.len(),
            index_complete: store.index.is_complete(),
        });
        Ok(store)
    }

    /// The base directory.
    pub fn path(&self) -> &Path {
        &self.base
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn durable(&self) -> bool {
        self.config.durability != Durability::None
    }

    /// What a listing may remove: nothing in a read-only store.
    fn clean(&self) -> files::Clean {
        match self.read_only {
            Some(_) => files::Clean::Nothing,
            None => files::Clean::DeadTemps,
        }
    }

    /// Refuses the queries the index serves when it cannot be believed and this store
    /// may not rebuild it.
    fn check_index(&self) -> Result<()> {
        match &self.read_only {
            Some(read_only) if !read_only.index_complete => Err(Error::Unavailable {
                reason: format!(
                    "the index of {} is incomplete (a crash or an index build cut short) and \
                     {}: open the store read-write once to rebuild it",
                    self.base.display(),
                    read_only.reason
                ),
            }),
            _ => Ok(()),
        }
    }

    fn check_writable(&self) -> Result<()> {
        if let Some(read_only) = &self.read_only {
            return Err(Error::Unavailable {
                reason: format!("writes refused: {}", read_only.reason),
            });
        }
        match lock(&self.poisoned).as_ref() {
            Some(reason) => Err(Error::Unavailable {
                reason: format!(
                    "writes refused after an earlier failure ({reason}); reopen the store"
                ),
            }),
            None => Ok(()),
        }
    }

    /// Records a failed sync: what was written since the last good one may be lost
    /// whatever a later sync says (the "fsyncgate" lesson), so writes stop until reopen.
    fn poison(&self, error: Error) -> Error {
        let reason = {
            let mut poisoned = lock(&self.poisoned);
            if poisoned.is_none() {
                log::error!(
                    "{}: writes refused until the store is reopened: a sync failed ({error}), \
                     so what was written since the last good sync may not be on disk",
                    self.base.display()
                );
            }
            poisoned.get_or_insert_with(|| error.to_string()).clone()
        };
        // Nor may a checkpoint (another thread's, or the application's) start the journal
        // over: what the failure left unknown is settled by replaying it at the next open.
        if let Some(journal) = &self.journal {
            journal.refuse(&reason);
        }
        error
    }

    /// Makes every event saved so far durable (one `syncfs`) and starts the journal over;
    /// saves wait while it runs. Stores do this by themselves every 64 MiB of journal and at
    /// close; call it to bound what `batch` may lose at a moment of the application's
    /// choosing. With `durability = none` it syncs nothing (that mode never does): only
    /// the journal starts over, and a machine crash may still lose every save.
    pub fn checkpoint(&self) -> Result<()> {
        self.check_writable()?;
        match &self.journal {
            Some(journal) => journal.checkpoint().map_err(|e| self.poison(e)),
            None => Ok(()),
        }
    }

    /// Makes everything durable, removes the journal, writes final statistics, takes a
    /// backup generation when `backup-enabled`, and releases the store.
    pub fn close(mut self) -> Result<()> {
        if self.read_only.is_some() {
            return Ok(()); // it wrote nothing
        }
        let journal = self.journal.take();
        if let Some(reason) = lock(&self.poisoned).clone() {
            // The journal stays behind: the next open's replay settles what the failure
            // left unknown (files written, index lines missing).
            return Err(Error::Unavailable {
                reason: format!(
                    "closed after an earlier failure ({reason}); the next open recovers it"
                ),
            });
        }
        drop(self.backup_timer.take());
        drop(self.cleanup_timer.take());
        self.refresh_statistics()?;
        self.index.save_counts()?;
        // The journal is finished even when the backup fails: the events are safe either way.
        let backup = if self.config.backup_enabled && self.role == Role::Application {
            self.backup_generation().map(|_| ()).inspect_err(|e| {
                log::error!("{}: the backup at close failed: {e}", self.base.display());
            })
        } else {
            Ok(())
        };
        match journal {
            Some(journal) => journal.finish(),
            None => Ok(()),
        }?;
        backup
    }
}
