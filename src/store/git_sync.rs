//! Sharing a store through Git (`docs/git-sharing.md`): the spec's "GitHub EventStore" as
//! one store per machine in one repository, read together.
//!
//! Invariants:
//! - The repository holds `stores/<name>/`, one subtree per store, each written by its own
//!   store only: a sync never merges files, so two machines appending to the same
//!   aggregate never lose an event or give two events one version (each history stays
//!   its store's; readers see both, each event under its store's name).
//! - Only what the event files are enters Git: event files and segments as stored (sealed
//!   when the store is encrypted), `.truncated`, the long id file, the wrapped data keys,
//!   the snapshots. Derived state (`.index/`, `.journal/`, `.stream/`, `.ids`,
//!   `metadata/`) never does (`.gitignore`).
//! - The clone (`<base>/.git-sync/`) is the sync's alone (`metadata/git-sync.lock`): a sync
//!   resets it to the remote, mirrors this store's files into its subtree, commits and
//!   pushes, again from the remote's new state when the push is refused. The store itself
//!   is only read, and a sync killed at any point leaves it as it was; the remote only ever
//!   moves by a push of a whole commit.
//! - Other stores' subtrees in the clone are opened as stores of their own for reading;
//!   what they derive stays in the clone, ignored by Git, and goes at the next sync (which
//!   changes their files): a copy must be closed before this store syncs.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::file::{self, FileLock};
use crate::layout;

use super::EventStore;
use super::files::{Clean, list_events};

/// The clone, under the base directory (a dot directory: never an aggregate type).
pub const SYNC_DIR: &str = ".git-sync";

/// The clones of the repositories a store reads only ([`EventStore::pull`]), by alias.
pub const READ_DIR: &str = ".git-read";

/// The file that marks a store's subtree in the repository (always present).
const STORE_MARK: &str = ".bytehot-store";

/// The branch every store pushes to.
pub(super) const BRANCH: &str = "main";

/// Pushes refused because another store pushed first are retried this many times.
const PUSH_ATTEMPTS: usize = 8;

const GITIGNORE: &str = "# bytehot-eventstore: derived state never enters Git\n\
.index/\n.journal/\n.stream/\n.lost/\nmetadata/\n.ids\n.ids.*\n*.tmp\n.head\n";

/// What [`EventStore::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Files of this store added, changed or removed in its subtree.
    pub files_changed: u64,
    /// Whether a commit was pushed (false: the remote had this store's files already).
    pub pushed: bool,
    /// The other stores the repository holds, by name.
    pub other_stores: Vec<String>,
}

/// How far a reader of the other stores has read: per store, aggregate type and aggregate,
/// the last version delivered. Stable across syncs: a store's aggregates only grow (a
/// cleanup keeps versions), whereas a copy's stream positions are derived anew after each
/// sync. Serializable, so that a consumer can keep it where it keeps its own state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct OtherStoresCursor {
    /// Store name -> aggregate type -> aggregate id -> the last version delivered.
    #[serde(default)]
    pub delivered: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
}

/// A store's name in a shared repository: what its subtree is called.
pub(super) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "git.store-name",
            format!("{name:?}: 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"),
        ))
    }
}

impl EventStore {
    /// Syncs this store with the Git repository `remote` (a URL or a path: anything
    /// `git clone` takes) as the store `name`: its event files are committed under
    /// `stores/<name>/` and pushed, and the other stores' files are pulled into the clone,
    /// to be read with [`Self::open_other_store`]. Uses the `git` command (with the
    /// caller's credentials, no prompt). Killed at any point, the store is unchanged and
    /// the next sync finishes; run by several machines in any order, they end with the same
    /// repository.
    pub fn sync(&self, remote: &str, name: &str) -> Result<SyncReport> {
        check_name(name)?;
        let _lock = self.sync_lock()?;
        let clone = self.base.join(SYNC_DIR);
        self.ensure_clone(remote, &clone)?;
        let mut report = SyncReport::default();
        for attempt in 1..=PUSH_ATTEMPTS {
            reset_to_remote(&clone)?;
            write_if_changed(&clone.join(".gitignore"), GITIGNORE.as_bytes())?;
            let subtree = clone.join("stores").join(name);
            let before = Mirror::read(&clone, name);
            let (files_changed, mirror) = self.mirror_into(&subtree, before.as_ref())?;
            report.files_changed = files_changed;
            git(
                &clone,
                &[
                    "add",
                    "--all",
                    "--",
                    ".gitignore",
                    &format!("stores/{name}"),
                ],
            )?;
            if git(&clone, &["diff", "--cached", "--quiet"]).is_err() {
                git(
                    &clone,
                    &[
                        "commit",
                        "--quiet",
                        "--no-verify",
                        "-m",
                        &format!(
                            "bytehot-eventstore: {name} at {}",
                            crate::event::format_instant(&self.clock.now())
                        ),
                    ],
                )?;
            }
            let tree = git(&clone, &["write-tree", &format!("--prefix=stores/{name}/")])?;
            // Pushed unless the remote has this commit: a sync cut short after its commit
            // (and before its push) left one to push even when nothing changed since.
            let head = git(&clone, &["rev-parse", "--verify", "--quiet", "HEAD"]).ok();
            let pushed = git(
                &clone,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("refs/remotes/origin/{BRANCH}"),
                ],
            )
            .ok();
            if head.is_none() || head == pushed {
                report.pushed = false;
                mirror.keep(before.as_ref(), &clone, name, tree.trim());
                break;
            }
            match git(
                &clone,
                &[
                    "push",
                    "--quiet",
                    "origin",
                    &format!("HEAD:refs/heads/{BRANCH}"),
                ],
            ) {
                Ok(_) => {
                    report.pushed = true;
                    mirror.keep(before.as_ref(), &clone, name, tree.trim());
                    break;
                }
                Err(e) if attempt == PUSH_ATTEMPTS => return Err(e),
                // Another store pushed first: start again from its commit.
                Err(_) => continue,
            }
        }
        report.other_stores = self.other_stores(name)?;
        Ok(report)
    }

    /// Brings the stores of another repository, for reading only (a team's stores): its
    /// clone under `<base>/.git-read/<alias>/` is reset to the remote; nothing is pushed.
    /// Its stores are then named `<alias>/<store>` by [`Self::other_stores`]. Returns them.
    pub fn pull(&self, remote: &str, alias: &str) -> Result<Vec<String>> {
        check_name(alias)?;
        let _lock = self.sync_lock()?;
        let clone = self.base.join(READ_DIR).join(alias);
        if let Some(parent) = clone.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create directory", parent, e))?;
        }
        self.ensure_clone(remote, &clone)?;
        reset_to_remote(&clone)?;
        Ok(stores_in(&clone, "")?
            .into_iter()
            .map(|n| format!("{alias}/{n}"))
            .collect())
    }

    /// The stores other than `name` the last sync brought (their subtrees in the clone),
    /// then those of the repositories [`Self::pull`] reads, as `<alias>/<store>`.
    pub fn other_stores(&self, name: &str) -> Result<Vec<String>> {
        let mut names: Vec<String> = stores_in(&self.base.join(SYNC_DIR), name)?;
        let read = self.base.join(READ_DIR);
        if read.is_dir() {
            for (alias, clone) in file::list_dirs(&read)? {
                names.extend(
                    stores_in(&clone, "")?
                        .into_iter()
                        .map(|n| format!("{alias}/{n}")),
                );
            }
        }
        Ok(names)
    }

    /// `f` of this store (as `name`) and of every other store ([`Self::other_stores`]), by
    /// store name: a query that spans them, each result telling where it came from.
    pub fn across_stores<T>(
        &self,
        name: &str,
        f: impl Fn(&EventStore) -> Result<T>,
    ) -> Result<Vec<(String, T)>> {
        let mut out = vec![(name.to_string(), f(self)?)];
        for other in self.other_stores(name)? {
            let store = self.open_other_store(&other)?;
            out.push((other, f(&store)?));
        }
        Ok(out)
    }

    /// The events the other stores hold (as the last sync and pulls brought them) that
    /// `cursor` has not delivered and `filter` admits, each with its store's name, store by
    /// store, each aggregate's in version order; `cursor` then covers them. The other
    /// stores' side of a subscription: a consumer polls it after each sync, beside its
    /// subscription to this store.
    pub fn poll_other_stores(
        &self,
        name: &str,
        cursor: &mut OtherStoresCursor,
        filter: &crate::StreamFilter,
    ) -> Result<Vec<(String, crate::Event)>> {
        let mut out = Vec::new();
        for other in self.other_stores(name)? {
            let store = self.open_other_store(&other)?;
            let seen = cursor.delivered.entry(other.clone()).or_default();
            let types = match &filter.aggregate_type {
                Some(t) => vec![t.clone()],
                None => store.aggregate_types()?,
            };
            for aggregate_type in types {
                let ids = store.aggregate_ids(&aggregate_type)?;
                let versions = seen.entry(aggregate_type.clone()).or_default();
                for id in ids {
                    let since = versions.get(&id).copied().unwrap_or(0);
                    if store.current_version(&aggregate_type, &id)? <= since {
                        continue;
                    }
                    let events = store.read_aggregate(&aggregate_type, &id, since)?;
                    if let Some(last) = events.last() {
                        versions.insert(id.clone(), last.metadata.aggregate_version);
                    }
                    out.extend(
                        events
                            .into_iter()
                            .filter(|e| filter.admits(e))
                            .map(|e| (other.clone(), e)),
                    );
                }
            }
            store.close()?;
        }
        Ok(out)
    }

    /// Opens, for reading, the store `name` the last sync brought (or `<alias>/<store>`, of
    /// a repository [`Self::pull`] reads): a store of its own over its subtree in the clone
    /// (what it derives, its index, stays there, ignored by Git). With this store's
    /// encryption key, so that a team sharing one key reads each other.
    pub fn open_other_store(&self, name: &str) -> Result<EventStore> {
        let path = match name.split_once('/') {
            Some((alias, store)) => {
                check_name(alias)?;
                check_name(store)?;
                self.base
                    .join(READ_DIR)
                    .join(alias)
                    .join("stores")
                    .join(store)
            }
            None => {
                check_name(name)?;
                self.base.join(SYNC_DIR).join("stores").join(name)
            }
        };
        if !path.is_dir() {
            return Err(Error::NotFound {
                what: format!("store {name} at {} (sync or pull first)", path.display()),
            });
        }
        let mut config = Config::new(&path);
        config.max_events_per_file = self.config.max_events_per_file;
        config.encryption_key = self.config.encryption_key.clone();
        EventStore::open(config)
    }

    /// `metadata/git-sync.lock`: one sync of this store at a time, across processes.
    pub(super) fn sync_lock(&self) -> Result<fs::File> {
        let path = self.metadata_dir.join("git-sync.lock");
        file::open_regular(
            &path,
            fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true),
        )
        .and_then(|f| f.acquire().map(|()| f))
        .map_err(|e| Error::io("lock", &path, e))
    }

    /// Makes `clone` a clone of `remote`: cloned when missing (or left unfinished), checked
    /// to be of `remote` otherwise; the lock files a killed git leaves behind (of the index,
    /// `HEAD`, the refs a sync moves) go (the sync lock says no git of this store runs).
    fn ensure_clone(&self, remote: &str, clone: &Path) -> Result<()> {
        if !clone.join(".git").join("HEAD").is_file() {
            if clone.exists() {
                fs::remove_dir_all(clone).map_err(|e| Error::io("remove", clone, e))?;
            }
            let partial = self.base.join(format!("{SYNC_DIR}.cloning"));
            if partial.exists() {
                fs::remove_dir_all(&partial).map_err(|e| Error::io("remove", &partial, e))?;
            }
            git(
                &self.base,
                &["clone", "--quiet", remote, &partial.to_string_lossy()],
            )?;
            fs::rename(&partial, clone).map_err(|e| Error::io("rename", &partial, e))?;
            return Ok(());
        }
        let url = git(clone, &["config", "--get", "remote.origin.url"])?;
        if url.trim() != remote {
            return Err(Error::config(
                "git.remote",
                format!(
                    "{} syncs with {}, not {remote}: remove {} to sync with another repository",
                    self.base.display(),
                    url.trim(),
                    clone.display()
                ),
            ));
        }
        let git_dir = clone.join(".git");
        for stale in [
            "index.lock".to_string(),
            "HEAD.lock".to_string(),
            "packed-refs.lock".to_string(),
            format!("refs/heads/{BRANCH}.lock"),
            format!("refs/remotes/origin/{BRANCH}.lock"),
        ] {
            let lock = git_dir.join(stale);
            if lock.exists() {
                fs::remove_file(&lock).map_err(|e| Error::io("remove", &lock, e))?;
            }
        }
        Ok(())
    }

    /// Makes `target` hold exactly this store's shared files, each as it is now (an
    /// aggregate read under its directory's shared lock; an open segment up to its last
    /// whole line). With `before`, the record of what `target` holds, a file whose identity
    /// is the one recorded is not read again. Returns how many files it added, changed or
    /// removed, and the record of what `target` then holds.
    fn mirror_into(&self, target: &Path, before: Option<&Mirror>) -> Result<(u64, Mirror)> {
        let mut now = Mirror {
            taken_ns: ns_since_epoch(std::time::SystemTime::now()),
            ..Mirror::default()
        };
        let mut changed = 0;
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                let dir = self.resolve_dir(&aggregate_type, &aggregate_id)?.path;
                let rel = dir.strip_prefix(&self.base).unwrap_or(&dir).to_path_buf();
                let _shared = file::open_dir_lock(&dir)
                    .and_then(|f| f.acquire_shared().map(|()| f))
                    .map_err(|e| Error::io("lock", &dir, e))?;
                let mut names: Vec<(String, bool)> = list_events(&dir, Clean::Nothing)?
                    .into_iter()
                    .map(|(parsed, name)| {
                        let open_segment = parsed.segment && !parsed.compressed;
                        (name, open_segment)
                    })
                    .collect();
                for marker in [
                    layout::LONG_ID_FILE,
                    super::files::TRUNCATED_FILE,
                    crate::crypto::KEY_FILE,
                    crate::crypto::FORGOTTEN_FILE,
                ] {
                    if dir.join(marker).is_file() {
                        names.push((marker.to_string(), false));
                    }
                }
                // Snapshots too (sealed when the store is encrypted): a copy rebuilds a
                // long aggregate from its newest one, checked against its history.
                let snapshots = dir.join(super::SNAPSHOT_DIR);
                for (_, name) in super::snapshot::snapshot_names(&snapshots)? {
                    names.push((format!("{}/{name}", super::SNAPSHOT_DIR), false));
                }
                for (name, open_segment) in names {
                    let source = dir.join(&name);
                    let rel_file = rel.join(&name);
                    // Taken before the read, under the directory's lock: the copy holds
                    // at least what this identity stands for.
                    let stamp = Stamp::of(&source)?;
                    if before.is_some_and(|b| b.vouches_for(&rel_file, &stamp)) {
                        now.files.insert(rel_file, stamp);
                        continue;
                    }
                    let mut bytes = self
                        .io
                        .read(&source)
                        .map_err(|e| Error::io("read", &source, e))?;
                    if open_segment {
                        let whole = memchr::memrchr(b'\n', &bytes).map_or(0, |end| end + 1);
                        bytes.truncate(whole);
                    }
                    if write_if_changed(&target.join(&rel_file), &bytes)? {
                        changed += 1;
                    }
                    now.files.insert(rel_file, stamp);
                }
            }
        }
        // The subtree's mark: it exists, with the store's name, even when the store is empty.
        if write_if_changed(&target.join(STORE_MARK), b"bytehot-eventstore store\n")? {
            changed += 1;
        }
        // What this store no longer has (a cleanup, a compaction) leaves its subtree too:
        // with a record, what it lists and the store does not; otherwise every file of the
        // subtree the store does not have.
        let gone: Vec<PathBuf> = match before {
            Some(before) => before
                .files
                .keys()
                .filter(|rel| !now.files.contains_key(*rel))
                .cloned()
                .collect(),
            None if target.is_dir() => file::files_under(target)?
                .into_iter()
                .map(|path| path.strip_prefix(target).unwrap_or(&path).to_path_buf())
                .filter(|rel| rel != Path::new(STORE_MARK) && !now.files.contains_key(rel))
                .collect(),
            None => Vec::new(),
        };
        for rel in gone {
            let path = target.join(&rel);
            match fs::remove_file(&path) {
                Ok(()) => changed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove", &path, e)),
            }
        }
        Ok((changed, now))
    }
}

/// A file's identity as a sync saw it: device, inode, length, modification and change
/// times. A save appends to a segment (its length grows) or creates a file, every rewrite
/// (compaction, migration, encryption, key rotation) renames a new file in (a new inode),
/// and a torn tail cut off changes the times: an unchanged identity, away from the
/// record's taking ([`Mirror::vouches_for`]), is unchanged bytes. A hand edit that keeps
/// length, inode and times could pass unseen; the next sync without a record (or after
/// `rm <base>/.git-sync/.git/bytehot-mirror`) compares every byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
}

impl Stamp {
    fn of(path: &Path) -> Result<Stamp> {
        let (id, meta) = file::identify(path).map_err(|e| Error::io("stat", path, e))?;
        let modified_ns = meta.modified().map_or(0, ns_since_epoch);
        #[cfg(unix)]
        let changed_ns = {
            use std::os::unix::fs::MetadataExt;
            i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec())
        };
        #[cfg(not(unix))]
        let changed_ns = 0;
        Ok(Stamp {
            dev: id.dev,
            ino: id.ino,
            len: meta.len(),
            modified_ns,
            changed_ns,
        })
    }
}

/// The clone's record of this store's subtree as of the last sync that pushed it (or
/// found the remote holding it): the identity of each file when it was copied, and the
/// tree Git made of them. It is trusted only while the clone's `HEAD` holds that very
/// tree, so a sync cut short, a refused push or a subtree changed by hand falls back to
/// comparing every file. Kept in the clone's `.git/`: never committed, untouched by
/// `reset` and `clean`.
///
/// Invariants: a record lists every file of the subtree but its mark (one whose name it
/// cannot hold is not written at all), and ends with a line counting them (one cut short
/// is no record). An identity whose modification or change time lies within
/// [`RACY_NS`] of when the identities were taken is not vouched for: a file changed again
/// within the file system's clock tick keeps its time, as Git's "racy" entries do.
#[derive(Debug, Default, PartialEq, Eq)]
struct Mirror {
    files: HashMap<PathBuf, Stamp>,
    /// When the identities were taken (nanoseconds since 1970).
    taken_ns: i128,
}

const MIRROR_RECORD: &str = "bytehot-mirror";
const MIRROR_HEADER: &str = "bytehot-eventstore mirror 2";

/// How close to the taking of a record a file's times make its identity unreliable: more
/// than any file system's timestamp granularity (FAT's is 2 s).
const RACY_NS: i128 = 3_000_000_000;

/// `t` in nanoseconds since 1970 (0 before it).
fn ns_since_epoch(t: std::time::SystemTime) -> i128 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

impl Mirror {
    /// Whether the file `rel`, whose identity is now `stamp`, holds what this record says
    /// was copied: the same identity, not changed too close to the record's taking.
    fn vouches_for(&self, rel: &Path, stamp: &Stamp) -> bool {
        self.files.get(rel) == Some(stamp)
            && stamp.modified_ns.max(stamp.changed_ns) < self.taken_ns - RACY_NS
    }

    /// The record of `clone`, if there is one for the store `name`, whole, and its tree is
    /// the one `HEAD` holds for that store.
    fn read(clone: &Path, name: &str) -> Option<Mirror> {
        let text = fs::read_to_string(clone.join(".git").join(MIRROR_RECORD)).ok()?;
        let (mirror, tree) = Mirror::parse(&text, name)?;
        let head = git(
            clone,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("HEAD:stores/{name}"),
            ],
        )
        .ok()?;
        (head.trim() == tree).then_some(mirror)
    }

    /// The record `text` holds for the store `name`, with the tree it names.
    fn parse<'t>(text: &'t str, name: &str) -> Option<(Mirror, &'t str)> {
        let mut lines = text.split('\n');
        let header = lines.next()?.strip_prefix(MIRROR_HEADER)?;
        let mut fields = header.split(' ').skip(1);
        let (store, tree, taken_ns) = (fields.next()?, fields.next()?, fields.next()?);
        if store != name || fields.next().is_some() {
            return None;
        }
        let mut mirror = Mirror {
            files: HashMap::new(),
            taken_ns: taken_ns.parse().ok()?,
        };
        for line in lines {
            if let Some(count) = line.strip_prefix("end ") {
                let whole = count.parse::<usize>().ok()? == mirror.files.len();
                return whole.then_some((mirror, tree));
            }
            let mut fields = line.splitn(6, ' ');
            let mut number = || fields.next()?.parse::<i128>().ok();
            let (dev, ino, len, modified_ns, changed_ns) =
                (number()?, number()?, number()?, number()?, number()?);
            let rel = PathBuf::from(fields.next().filter(|r| !r.is_empty())?);
            let stamp = Stamp {
                dev: u64::try_from(dev).ok()?,
                ino: u64::try_from(ino).ok()?,
                len: u64::try_from(len).ok()?,
                modified_ns,
                changed_ns,
            };
            mirror.files.insert(rel, stamp);
        }
        None
    }

    /// The record's text, or `None` when a name cannot be held in a line (it would be
    /// left out, and its removal from the store never reach the repository).
    fn render(&self, name: &str, tree: &str) -> Option<String> {
        let mut text = format!("{MIRROR_HEADER} {name} {tree} {}\n", self.taken_ns);
        for (rel, s) in &self.files {
            let rel = rel.to_str().filter(|r| !r.contains(['\n', '\r']))?;
            text.push_str(&format!(
                "{} {} {} {} {} {rel}\n",
                s.dev, s.ino, s.len, s.modified_ns, s.changed_ns
            ));
        }
        text.push_str(&format!("end {}\n", self.files.len()));
        Some(text)
    }

    /// Makes this the record of `clone` for the store `name`, whose subtree is now `tree`
    /// (by rename: a record cut short is no record), unless `before` is the same record.
    /// Called once the remote holds the tree, so a failure to keep the record is not a
    /// failure of the sync: it is logged, and the next sync compares every file.
    fn keep(&self, before: Option<&Mirror>, clone: &Path, name: &str, tree: &str) {
        if before.is_some_and(|b| b.files == self.files) {
            return;
        }
        let path = clone.join(".git").join(MIRROR_RECORD);
        let written = match self.render(name, tree) {
            Some(text) => {
                let tmp = path.with_extension("tmp");
                fs::write(&tmp, text).and_then(|()| fs::rename(&tmp, &path))
            }
            None => match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        };
        if let Err(e) = written {
            log::warn!(
                "{}: the record of what this sync pushed was not kept ({e}): the next sync \
                 compares every file",
                path.display()
            );
        }
    }
}

/// Writes `bytes` to `path` (directories created) unless it holds them already; whether
/// it wrote.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io("create directory", parent, e))?;
    }
    let tmp = path.with_extension("sync.tmp");
    fs::write(&tmp, bytes).map_err(|e| Error::io("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io("rename", &tmp, e))?;
    Ok(true)
}

/// Fetches and makes the clone's branch and work tree exactly the remote's (an unborn
/// branch when the remote has none yet): untracked leftovers of a sync cut short go, and
/// what the other stores' copies derived (their index knows only the files before; the
/// next open rebuilds it).
fn reset_to_remote(clone: &Path) -> Result<()> {
    git(clone, &["fetch", "--quiet", "origin"])?;
    let remote = format!("origin/{BRANCH}");
    let has_branch = git(
        clone,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/remotes/{remote}"),
        ],
    )
    .is_ok();
    git(
        clone,
        &["symbolic-ref", "HEAD", &format!("refs/heads/{BRANCH}")],
    )?;
    if has_branch {
        // One pass over the work tree (moving the branch, the index and the files at
        // once): with a million files, each pass is minutes.
        git(clone, &["reset", "--quiet", "--hard", &remote])?;
    }
    git(clone, &["clean", "--quiet", "-fdx"])?;
    Ok(())
}

/// The stores of a clone but `except`, sorted.
fn stores_in(clone: &Path, except: &str) -> Result<Vec<String>> {
    let stores = clone.join("stores");
    if !stores.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = file::list_dirs(&stores)?
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n != except && check_name(n).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// Runs `git` in `dir` ([`git_command`]); its standard output, or an error with its
/// standard error.
fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = git_command(dir, args).output().map_err(cannot_run_git)?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).to_string());
    }
    Err(git_failed(dir, args, &out.stderr))
}

/// The error of a `git` that cannot be started.
pub(super) fn cannot_run_git(e: std::io::Error) -> Error {
    Error::Unavailable {
        reason: format!("cannot run git (is it installed?): {e}"),
    }
}

/// The error of a `git` that failed, with what it said.
pub(super) fn git_failed(dir: &Path, args: &[&str], stderr: &[u8]) -> Error {
    Error::Unavailable {
        reason: format!(
            "git {} in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(stderr).trim()
        ),
    }
}

/// `git args` in `dir`, without prompts or the user's hooks, signing or pager.
pub(super) fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=bytehot-eventstore",
            "-c",
            "user.email=bytehot-eventstore@localhost",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(ino: u64, at_ns: i128) -> Stamp {
        Stamp {
            dev: 1,
            ino,
            len: 10,
            modified_ns: at_ns,
            changed_ns: at_ns,
        }
    }

    fn record(taken_ns: i128) -> Mirror {
        let mut files = HashMap::new();
        files.insert(PathBuf::from("t/a/1-A.json"), stamp(7, 1_000));
        files.insert(PathBuf::from("t/a b/2-A.json"), stamp(8, 2_000));
        Mirror { files, taken_ns }
    }

    #[test]
    fn a_record_reads_back_whole_and_not_at_all_when_cut_short_or_of_another_store() {
        let mirror = record(10 * RACY_NS);
        let text = mirror.render("laptop", "abc").unwrap();
        let (back, tree) = Mirror::parse(&text, "laptop").unwrap();
        assert_eq!((back, tree), (mirror, "abc"));
        assert!(Mirror::parse(&text, "desk").is_none());
        // Cut at every line boundary but the last: no end line, or a count that disagrees.
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for keep in 1..lines.len() {
            assert!(
                Mirror::parse(&lines[..keep].concat(), "laptop").is_none(),
                "{keep}"
            );
        }
        let mut short = lines.clone();
        short.remove(1);
        assert!(Mirror::parse(&short.concat(), "laptop").is_none());
    }

    #[test]
    fn a_record_is_not_written_when_a_name_cannot_be_held_in_a_line() {
        for odd in ["t/a/1-A.json\r", "t/a/x\ny.json"] {
            let mut mirror = record(0);
            mirror.files.insert(PathBuf::from(odd), stamp(9, 0));
            assert!(mirror.render("laptop", "abc").is_none(), "{odd:?}");
        }
    }

    #[test]
    fn an_identity_changed_close_to_the_taking_of_the_record_is_not_vouched_for() {
        let taken = 100 * RACY_NS;
        let mut mirror = record(taken);
        let rel = PathBuf::from("t/a/3-A.json");
        let old = stamp(3, taken - RACY_NS - 1);
        let racy = stamp(4, taken - RACY_NS + 1);
        mirror.files.insert(rel.clone(), old);
        assert!(mirror.vouches_for(&rel, &old));
        assert!(!mirror.vouches_for(&rel, &stamp(5, taken - RACY_NS - 1)));
        mirror.files.insert(rel.clone(), racy);
        assert!(!mirror.vouches_for(&rel, &racy));
    }
}
