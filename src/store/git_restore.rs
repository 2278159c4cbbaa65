//! Bringing back, when asked, what retention removed ([`EventStore::restore_removed`]):
//! a sync pushes a cleanup's removals and a pull never writes into the store, but the
//! repository's history still holds the files this store pushed before they went.
//!
//! Invariants:
//! - Only this store's own subtree (`stores/<name>/`) of the sync clone's history is read;
//!   nothing is fetched, pushed or committed, and the clone's work tree is not touched.
//! - Per aggregate, what comes back is the newest stretch of its removed events that Git
//!   holds whole: a chain of files whose last event is the one `.truncated` names, each
//!   file's events of this aggregate, contiguous in version and linked by their previous
//!   event ids, and each file sorting before the first one kept. Where the history has a
//!   gap (files removed before any sync saw them), the versions before it stay removed and
//!   `.truncated` is moved back to the gap; nothing is renumbered.
//! - The files are written (each synced, then the folder) while `.truncated` still covers
//!   them, so no reader sees them before they are whole; then `.ids` goes and `.truncated`
//!   is rewritten or removed (folder synced); the index and stream lines come last. The
//!   run holds the cleanup lock and marks itself with `metadata/cleanup.running`: an open
//!   after a crash rebuilds the index, and the next cleanup removes covered files left.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use crate::error::{Error, Result};
use crate::event::{Event, format_instant};
use crate::file::{lock, lock_dir};
use crate::index::{Entry, Replayed};
use crate::journal;
use crate::layout::{self, FileName};

use super::EventStore;
use super::cleanup::{CLEANUP_RUNNING, remove_ids_file};
use super::files::{
    MAX_DECODED_SEGMENT, TRUNCATED_FILE, Truncation, decoded, parse_event_file, parse_segment,
    read_truncation,
};
use super::git_sync::{SYNC_DIR, cannot_run_git, check_name, git_command, git_failed};

/// What [`EventStore::restore_removed`] brought back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestoreReport {
    /// Aggregates some of whose removed events came back.
    pub aggregates: u64,
    /// Events brought back.
    pub events_restored: u64,
    /// Files brought back.
    pub files_restored: u64,
    /// Aggregates that still start after removed events, each as `type/id: why` (the
    /// versions the repository's history does not hold).
    pub still_truncated: Vec<String>,
}

/// One file of an aggregate as a commit of the history held it.
struct Candidate {
    name: String,
    bytes: Vec<u8>,
    /// Its events in order; for a segment, each line's offset and length.
    events: Vec<(Event, Option<(u64, u32)>)>,
}

/// An aggregate directory that a cleanup truncated.
struct Truncated {
    key: (String, String),
    dir: PathBuf,
    /// `<type dir>/<id dir>`, as in the repository's subtree and the index.
    rel: String,
    truncation: Truncation,
}

impl EventStore {
    /// Brings back what retention removed from this store, from the history of the Git
    /// repository it syncs with as `name` (a sync pushes a cleanup's removals and never
    /// brings them back by itself). Per aggregate, the newest removed events the history
    /// holds whole come back as the files they were, with their versions; those the history
    /// lacks (removed before any sync saw them) stay removed, listed in the report. Needs
    /// the clone an earlier [`Self::sync`] made; reads its history only. The restored events
    /// reach subscriptions again, after the stream's current end.
    pub fn restore_removed(&self, name: &str) -> Result<RestoreReport> {
        check_name(name)?;
        self.check_writable()?;
        let clone = self.base.join(SYNC_DIR);
        if !clone.join(".git").join("HEAD").is_file() {
            return Err(Error::Unavailable {
                reason: format!(
                    "{} has no sync clone ({}): what retention removed is brought back from \
                     the history of the repository the store syncs with; sync first",
                    self.base.display(),
                    clone.display()
                ),
            });
        }
        let _sync = self.sync_lock()?;
        let _cleanup = self.cleanup_lock()?;
        self.check_index()?;
        let truncated = self.truncated_aggregates()?;
        let mut report = RestoreReport::default();
        if truncated.is_empty() {
            return Ok(report);
        }
        let mut history = history_of(&clone, name, &truncated)?;
        let mut blobs = CatFile::start(&clone)?;
        self.write_metadata_file(CLEANUP_RUNNING, std::process::id().to_string().as_bytes())?;
        let mut index = Vec::new();
        for aggregate in &truncated {
            let mut candidates = Vec::new();
            for (file, blob) in history.remove(&aggregate.rel).unwrap_or_default() {
                if let Some(candidate) = candidate(aggregate, file, blobs.read(&blob)?) {
                    candidates.push(candidate);
                }
            }
            let (chain, complete) = chain(&aggregate.truncation, candidates);
            if !complete {
                let first = chain
                    .first()
                    .and_then(|c| c.events.first())
                    .map_or(aggregate.truncation.through_version, |(e, _)| {
                        e.metadata.aggregate_version.saturating_sub(1)
                    });
                report.still_truncated.push(format!(
                    "{}: versions through {first} are not in the repository's history",
                    aggregate.rel
                ));
            }
            if chain.is_empty() {
                continue;
            }
            report.aggregates += 1;
            report.files_restored += chain.len() as u64;
            report.events_restored += chain.iter().map(|c| c.events.len() as u64).sum::<u64>();
            self.restore_aggregate(aggregate, &chain, complete)?;
            index.extend(chain.iter().flat_map(|c| index_lines(&aggregate.rel, c)));
        }
        self.index.repair(&index, self.durable())?;
        let running = self.metadata_dir.join(CLEANUP_RUNNING);
        std::fs::remove_file(&running).map_err(|e| Error::io("remove", &running, e))?;
        log::info!(
            "{}: restored {} events ({} files) of {} aggregates from the history of its sync \
             clone{}",
            self.base.display(),
            report.events_restored,
            report.files_restored,
            report.aggregates,
            if report.still_truncated.is_empty() {
                String::new()
            } else {
                format!("; still truncated: {}", report.still_truncated.join("; "))
            }
        );
        Ok(report)
    }

    /// Every aggregate directory with a `.truncated` (old-adapter directories never have
    /// one: a cleanup leaves them alone).
    fn truncated_aggregates(&self) -> Result<Vec<Truncated>> {
        let mut out = Vec::new();
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                let found = self.resolve_dir(&aggregate_type, &aggregate_id)?;
                if found.legacy {
                    continue;
                }
                let Some(truncation) = read_truncation(&found.path)? else {
                    continue;
                };
                let rel = found
                    .path
                    .strip_prefix(&self.base)
                    .unwrap_or(&found.path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(Truncated {
                    key: (aggregate_type.clone(), aggregate_id),
                    dir: found.path,
                    rel,
                    truncation,
                });
            }
        }
        Ok(out)
    }

    /// Writes `chain` into the aggregate's directory and lifts the truncation over it (to
    /// the gap before it when not `complete`), under the aggregate's locks.
    fn restore_aggregate(
        &self,
        aggregate: &Truncated,
        chain: &[Candidate],
        complete: bool,
    ) -> Result<()> {
        let state = self.state(&aggregate.key);
        let mut state = lock(&state);
        let _dir = lock_dir(&aggregate.dir)?;
        // What an earlier cleanup covered and left goes first: the files written next are
        // the aggregate's only copies of those versions.
        self.remove_covered_files(&aggregate.dir)?;
        if read_truncation(&aggregate.dir)?.as_ref() != Some(&aggregate.truncation) {
            return Err(Error::Unavailable {
                reason: format!(
                    "{}: its {TRUNCATED_FILE} changed while the restore ran; run it again",
                    aggregate.dir.display()
                ),
            });
        }
        for file in chain {
            self.write_synced(&aggregate.dir, &file.name, &file.bytes)?;
        }
        // fsync the folder: the files must be on disk before the truncation stops covering
        // them.
        self.sync_directory(&aggregate.dir)?;
        // A store with the aggregate cached trusts an unchanged `.ids`: it goes first.
        remove_ids_file(&aggregate.dir)?;
        state.ids_file = None;
        let (first, _) = &chain[0].events[0];
        if complete {
            let path = aggregate.dir.join(TRUNCATED_FILE);
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            self.sync_directory(&aggregate.dir)?;
        } else {
            self.write_truncation(
                &aggregate.dir,
                &Truncation {
                    through_version: first.metadata.aggregate_version.saturating_sub(1),
                    last_event_id: first.metadata.previous_event_id.clone().unwrap_or_default(),
                    first_kept: layout::plain_name(&chain[0].name).to_string(),
                    at: format_instant(&self.clock.now()),
                },
            )?;
        }
        self.append_cleanup_log(&serde_json::json!({
            "at": format_instant(&self.clock.now()),
            "aggregateType": aggregate.key.0,
            "aggregateId": aggregate.key.1,
            "restoredFromVersion": first.metadata.aggregate_version,
            "throughVersion": aggregate.truncation.through_version,
            "events": chain.iter().map(|c| c.events.len()).sum::<usize>(),
            "files": chain.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            "reason": "restore_removed, from the sync clone's history",
        }))?;
        self.refresh_locked(&aggregate.key, &mut state)
    }
}

/// `file` of `aggregate` as the history held it (`bytes`), when it is a file of the
/// removed stretch: an event file or segment named before the first one kept, whose
/// events all parse, are the aggregate's, and follow each other.
fn candidate(aggregate: &Truncated, name: String, bytes: Vec<u8>) -> Option<Candidate> {
    let parsed = FileName::parse(layout::plain_name(&name))?;
    let first_kept = FileName::parse(layout::plain_name(&aggregate.truncation.first_kept))?;
    if parsed.sort_key() >= first_kept.sort_key() {
        return None;
    }
    let path = Path::new(&name);
    let events: Vec<(Event, Option<(u64, u32)>)> = if parsed.segment {
        let plain = decoded(path, bytes.clone(), MAX_DECODED_SEGMENT).ok()?;
        let lines = parse_segment(path, &plain, 0).ok()?;
        if lines.torn > 0 {
            return None;
        }
        lines
            .events
            .into_iter()
            .map(|(event, _, at)| (event, Some(at)))
            .collect()
    } else {
        let (event, _) = parse_event_file(path, Ok(bytes.clone())).ok()?;
        vec![(event, None)]
    };
    let (aggregate_type, aggregate_id) = &aggregate.key;
    let ours = events.iter().all(|(e, _)| {
        &e.metadata.aggregate_type == aggregate_type && &e.metadata.aggregate_id == aggregate_id
    });
    let linked = events.windows(2).all(|pair| {
        let (a, b) = (&pair[0].0.metadata, &pair[1].0.metadata);
        b.aggregate_version == a.aggregate_version + 1
            && b.previous_event_id.as_deref() == Some(a.event_id.as_str())
    });
    (ours && linked && !events.is_empty()).then_some(Candidate {
        name,
        bytes,
        events,
    })
}

/// The newest stretch of removed files the candidates make, oldest first: back from the
/// event `truncation` names, each step the file that ends at the event needed and reaches
/// furthest back (a segment a compaction made rather than the single files it replaced),
/// in the listing's order. True when it reaches the aggregate's first event.
fn chain(truncation: &Truncation, mut candidates: Vec<Candidate>) -> (Vec<Candidate>, bool) {
    let mut chain: Vec<Candidate> = Vec::new();
    let mut needed = (
        truncation.through_version,
        Some(truncation.last_event_id.clone()),
    );
    let complete = loop {
        let (version, Some(event_id)) = &needed else {
            break true;
        };
        let best = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.events.last().is_some_and(|(e, _)| {
                    e.metadata.aggregate_version == *version && &e.metadata.event_id == event_id
                })
            })
            .min_by_key(|(_, c)| c.events[0].0.metadata.aggregate_version)
            .map(|(i, _)| i);
        let Some(best) = best else {
            break false;
        };
        let file = candidates.swap_remove(best);
        // Files list in name order: one that would list after the file following it in
        // the chain cannot be put back as it was.
        let sorts_before = |later: &Candidate| {
            let key =
                |c: &Candidate| FileName::parse(layout::plain_name(&c.name)).map(|f| f.sort_key());
            key(&file) < key(later)
        };
        if chain.last().is_some_and(|later| !sorts_before(later)) {
            break false;
        }
        let first = &file.events[0].0.metadata;
        needed = (
            first.aggregate_version.saturating_sub(1),
            first.previous_event_id.clone(),
        );
        chain.push(file);
    };
    chain.reverse();
    (chain, complete)
}

/// The index and stream lines of a restored file's events.
fn index_lines(rel_dir: &str, file: &Candidate) -> Vec<Replayed> {
    let plain = layout::plain_name(&file.name);
    file.events
        .iter()
        .map(|(event, at)| {
            let (rel, bytes) = match at {
                Some(at) => (
                    journal::record_path(&format!("{rel_dir}/{plain}"), Some(*at)),
                    u64::from(at.1),
                ),
                None => (format!("{rel_dir}/{}", file.name), file.bytes.len() as u64),
            };
            Replayed {
                entry: Entry::of(event, rel, bytes),
                on_disk: true,
            }
        })
        .collect()
}

/// Every version of every file the history of `stores/<name>/` holds in the truncated
/// aggregates' directories, by directory: (file name, blob id), each blob once. Read from
/// `git log --raw` as it streams (the history of a large store is large).
fn history_of(
    clone: &Path,
    name: &str,
    truncated: &[Truncated],
) -> Result<HashMap<String, Vec<(String, String)>>> {
    let prefix = format!("stores/{name}/");
    let args = [
        "log",
        "--all",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "-z",
        "--format=",
        "--",
        prefix.as_str(),
    ];
    let mut child = git_command(clone, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot_run_git)?;
    let mut wanted: HashMap<String, Vec<(String, String)>> = truncated
        .iter()
        .map(|t| (t.rel.clone(), Vec::new()))
        .collect();
    let mut seen = HashSet::new();
    let mut any = false;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| cannot_run_git(closed()))?;
    let mut fields = BufReader::new(stdout).split(0);
    // `:<old mode> <new mode> <old blob> <new blob> <status>`, then the path.
    while let Some(field) = fields.next() {
        let field = field.map_err(|e| Error::io("read git log of", clone, e))?;
        let Some(entry) = field.trim_ascii_start().strip_prefix(b":") else {
            continue;
        };
        let Some(path) = fields.next() else {
            break;
        };
        let path = path.map_err(|e| Error::io("read git log of", clone, e))?;
        let Some((dir, file)) = std::str::from_utf8(&path)
            .ok()
            .and_then(|p| p.strip_prefix(&prefix))
            .and_then(|p| p.rsplit_once('/'))
        else {
            continue;
        };
        any = true;
        let Some(files) = wanted.get_mut(dir) else {
            continue;
        };
        let parts: Vec<&[u8]> = entry.split(|b| *b == b' ').collect();
        for blob in parts.get(2..4).unwrap_or_default() {
            let blob = String::from_utf8_lossy(blob).to_string();
            if !blob.bytes().all(|b| b == b'0') && seen.insert(blob.clone()) {
                files.push((file.to_string(), blob));
            }
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io("run git log in", clone, e))?;
    if !out.status.success() {
        return Err(git_failed(clone, &args, &out.stderr));
    }
    if !any {
        return Err(Error::Unavailable {
            reason: format!(
                "the history of {} holds no store named {name:?}: give the name this store \
                 syncs under",
                clone.display()
            ),
        });
    }
    Ok(wanted)
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "no output pipe")
}

/// A `git cat-file --batch` of the clone, asked for one blob at a time.
struct CatFile {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    clone: PathBuf,
}

impl CatFile {
    fn start(clone: &Path) -> Result<CatFile> {
        let mut child = git_command(clone, &["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(cannot_run_git)?;
        let input = child.stdin.take().ok_or_else(|| cannot_run_git(closed()))?;
        let output = child
            .stdout
            .take()
            .ok_or_else(|| cannot_run_git(closed()))?;
        Ok(CatFile {
            child,
            input,
            output: BufReader::new(output),
            clone: clone.to_path_buf(),
        })
    }

    /// The bytes of the blob `id`.
    fn read(&mut self, id: &str) -> Result<Vec<u8>> {
        let fail = |e: std::io::Error| Error::io("read a blob of", &self.clone, e);
        writeln!(self.input, "{id}")
            .and_then(|()| self.input.flush())
            .map_err(fail)?;
        let mut header = String::new();
        self.output.read_line(&mut header).map_err(fail)?;
        // `<id> blob <size>`, or `<id> missing`.
        let size = match header.split_whitespace().collect::<Vec<_>>().as_slice() {
            [_, "blob", size] => size.parse::<usize>().ok(),
            _ => None,
        };
        let Some(size) = size else {
            return Err(Error::Unavailable {
                reason: format!(
                    "git cat-file in {}: {id} is not a blob ({})",
                    self.clone.display(),
                    header.trim()
                ),
            });
        };
        let mut bytes = vec![0; size + 1];
        self.output.read_exact(&mut bytes).map_err(fail)?;
        bytes.pop();
        Ok(bytes)
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        // Done with: stopped and reaped, not left a zombie.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
