//! Bringing back, when asked, what retention removed ([`EventStore::restore_removed`]):
//! a sync pushes a cleanup's removals and a pull never writes into the store, but the
//! repository's history still holds the files this store pushed before they went.
//!
//! Invariants:
//! - Only this store's own subtree (`stores/<name>/`) of the history of the clone's branch
//!   and of the remote's is read; nothing is fetched, pushed or committed, and the clone's
//!   work tree is not touched.
//! - Per aggregate, what comes back is the newest stretch of its removed events that the
//!   history (or a file an earlier cleanup covered and left) holds whole: a chain of files
//!   whose last event is the one `.truncated` names, each file's events the aggregate's,
//!   contiguous in version and linked by their previous event ids, each file sorting
//!   before the next, and each as this store reads it now (sealed when it is encrypted and
//!   the aggregate not forgotten, plain when it is not encrypted). Where the history has a
//!   gap, the versions before it stay removed and `.truncated` moves back to the gap;
//!   nothing is renumbered.
//! - Per aggregate, under its locks: the files are written (each synced, then the folder)
//!   while `.truncated` still covers them, so no reader sees them before they are whole;
//!   covered files the chain does not take go; then `.ids` goes and `.truncated` is
//!   removed or rewritten (folder synced); then the index and stream lines. The run holds
//!   the cleanup lock and marks itself with `metadata/cleanup.running`, so an open after a
//!   crash rebuilds the index.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use crate::crypto::{FORGOTTEN_FILE, is_sealed};
use crate::error::{Error, Result};
use crate::event::{Event, format_instant};
use crate::file::{lock, lock_dir};
use crate::index::{Entry, Replayed};
use crate::journal;
use crate::layout::{self, FileName};

use super::EventStore;
use super::cleanup::remove_ids_file;
use super::files::{
    MAX_DECODED_SEGMENT, TRUNCATED_FILE, Truncation, decoded, list_all_events,
    list_events_truncated, parse_event_file, parse_segment, read_truncation,
};
use super::git_sync::{BRANCH, SYNC_DIR, cannot_run_git, check_name, git_command, git_failed};

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
    /// versions the repository's history does not hold in a form the store reads).
    pub still_truncated: Vec<String>,
}

/// Where a candidate file's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A blob of the clone's history.
    Git(String),
    /// A file an earlier cleanup covered and did not remove, in the aggregate directory.
    Covered,
}

/// A file that could be put back, known by the ends of its events (its bytes are read
/// again when it is chosen: the history may hold many versions of a segment).
#[derive(Debug)]
struct Candidate {
    name: String,
    source: Source,
    /// The first event's version and previous event id.
    first: (u64, Option<String>),
    /// The last event's version and id.
    last: (u64, String),
}

/// An aggregate directory that a cleanup truncated.
struct Truncated {
    key: (String, String),
    dir: PathBuf,
    /// `<type dir>/<id dir>`, as in the repository's subtree and the index.
    rel: String,
    truncation: Truncation,
}

/// What was done for one aggregate.
#[derive(Default)]
struct Restored {
    files: u64,
    events: u64,
    /// Why versions stay removed, if some do.
    still: Option<String>,
}

impl EventStore {
    /// Brings back what retention removed from this store, from the history of the Git
    /// repository it syncs with as `name` (a sync pushes a cleanup's removals and never
    /// brings them back by itself). Per aggregate, the newest removed events the history
    /// holds whole come back as the files they were, with their versions; those the history
    /// lacks (removed before any sync saw them) stay removed, listed in the report. Needs
    /// the clone an earlier [`Self::sync`] made; reads its history only. The restored events
    /// reach subscriptions again, after the stream's current end; a cleanup whose limits
    /// they exceed removes them again.
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
        let mark = self.mark_running()?;
        for aggregate in &truncated {
            let listed = history.remove(&aggregate.rel).unwrap_or_default();
            let done = self.restore_aggregate(aggregate, listed, &mut blobs)?;
            if done.files > 0 {
                report.aggregates += 1;
                report.files_restored += done.files;
                report.events_restored += done.events;
            }
            if let Some(why) = done.still {
                report
                    .still_truncated
                    .push(format!("{}: {why}", aggregate.rel));
            }
        }
        self.unmark_running(mark)?;
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

    /// Puts back the newest stretch of one aggregate's removed files that `listed` (the
    /// history's versions of its files) and the covered files left hold, and lifts the
    /// truncation over it (to the gap before it when it does not reach the first event),
    /// under the aggregate's locks.
    fn restore_aggregate(
        &self,
        aggregate: &Truncated,
        listed: Vec<(String, String)>,
        blobs: &mut CatFile,
    ) -> Result<Restored> {
        let state = self.state(&aggregate.key);
        let mut state = lock(&state);
        let dir = &aggregate.dir;
        let _dir = lock_dir(dir)?;
        let (kept, truncation) = list_events_truncated(dir, self.clean())?;
        if truncation.as_ref() != Some(&aggregate.truncation) {
            return Ok(Restored {
                still: Some(format!(
                    "its {TRUNCATED_FILE} changed while the restore ran; run it again"
                )),
                ..Restored::default()
            });
        }
        let kept: HashSet<String> = kept.into_iter().map(|(_, name)| name).collect();
        let covered: Vec<String> = list_all_events(dir, self.clean())?
            .into_iter()
            .map(|(_, name)| name)
            .filter(|name| !kept.contains(name))
            .collect();
        let sealing = Sealing {
            encrypted: self.keyring.is_some(),
            forgotten: dir.join(FORGOTTEN_FILE).exists(),
        };
        let mut passed_over = 0;
        let mut candidates = Vec::new();
        // Covered files first: on a tie they are taken, and need no writing.
        let sources = covered
            .iter()
            .map(|name| (name.clone(), Source::Covered))
            .chain(
                listed
                    .into_iter()
                    .map(|(name, blob)| (name, Source::Git(blob))),
            );
        for (name, source) in sources {
            let Some(bytes) = self.candidate_bytes(dir, &name, &source, blobs)? else {
                continue;
            };
            let opens = |event: &Event| self.opens_with_current_key(dir, event);
            match candidate(aggregate, &sealing, &opens, name, source, &bytes) {
                Verdict::Usable(c) => candidates.push(c),
                Verdict::Sealing => passed_over += 1,
                Verdict::Unusable => {}
            }
        }
        let (chain, complete) = chain(&aggregate.truncation, candidates);
        let still = (!complete).then(|| {
            let through = chain
                .first()
                .map_or(aggregate.truncation.through_version, |c| {
                    c.first.0.saturating_sub(1)
                });
            let mut why = format!("versions through {through} are not in the repository's history");
            if passed_over > 0 {
                why.push_str(&format!(
                    " in a form this store reads ({passed_over} files passed over: {})",
                    sealing.expected()
                ));
            }
            why
        });
        let Some(first) = chain.first() else {
            return Ok(Restored {
                still,
                ..Restored::default()
            });
        };
        let mut events = Vec::new();
        let mut index = Vec::new();
        for file in &chain {
            let Some(bytes) = self.candidate_bytes(dir, &file.name, &file.source, blobs)? else {
                return Err(Error::Unavailable {
                    reason: format!(
                        "{}: {} could be read from the sync clone's history, then not",
                        aggregate.rel, file.name
                    ),
                });
            };
            let parsed = parse_file(&file.name, &bytes).ok_or_else(|| {
                Error::corrupt(dir.join(&file.name), "changed while the restore ran")
            })?;
            index.extend(index_lines(
                &aggregate.rel,
                &file.name,
                bytes.len(),
                &parsed,
            ));
            events.extend(parsed.into_iter().map(|(event, _)| event));
            if file.source != Source::Covered {
                self.write_synced(dir, &file.name, &bytes)?;
            }
        }
        // Covered files the chain does not take would be read once uncovered; those before
        // its first file stay covered when the chain stops at a gap (a later run may use
        // them).
        let chosen: HashSet<&str> = chain.iter().map(|c| c.name.as_str()).collect();
        let still_covered = |name: &str| !complete && sort_key_of(name) < sort_key_of(&first.name);
        for name in covered
            .iter()
            .filter(|n| !chosen.contains(n.as_str()) && !still_covered(n))
        {
            let path = dir.join(name);
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
        }
        // fsync the folder: the files must be on disk before the truncation stops covering
        // them.
        self.sync_directory(dir)?;
        // A store with the aggregate cached trusts an unchanged `.ids`: it goes first.
        remove_ids_file(dir)?;
        state.ids_file = None;
        if complete {
            let path = dir.join(TRUNCATED_FILE);
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            self.sync_directory(dir)?;
        } else {
            self.write_truncation(
                dir,
                &Truncation {
                    through_version: first.first.0.saturating_sub(1),
                    last_event_id: first.first.1.clone().unwrap_or_default(),
                    first_kept: layout::plain_name(&first.name).to_string(),
                    at: format_instant(&self.clock.now()),
                },
            )?;
        }
        // Under the aggregate's locks: a compaction cannot move the files before their
        // lines are in.
        self.index.repair(&index, self.durable())?;
        self.note_schema_versions(&events)?;
        self.append_cleanup_log(&serde_json::json!({
            "at": format_instant(&self.clock.now()),
            "aggregateType": aggregate.key.0,
            "aggregateId": aggregate.key.1,
            "restoredFromVersion": first.first.0,
            "throughVersion": aggregate.truncation.through_version,
            "events": events.len(),
            "files": chain.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            "reason": "restore_removed, from the sync clone's history",
        }))?;
        self.refresh_locked(&aggregate.key, &mut state)?;
        Ok(Restored {
            files: chain.len() as u64,
            events: events.len() as u64,
            still,
        })
    }

    /// The bytes of a candidate: its blob, or the covered file.
    fn candidate_bytes(
        &self,
        dir: &Path,
        name: &str,
        source: &Source,
        blobs: &mut CatFile,
    ) -> Result<Option<Vec<u8>>> {
        match source {
            Source::Git(blob) => blobs.read(blob),
            Source::Covered => {
                let path = dir.join(name);
                self.io
                    .read(&path)
                    .map(Some)
                    .map_err(|e| Error::io("read", &path, e))
            }
        }
    }
}

/// What the events put back must be to read as the aggregate's others do.
struct Sealing {
    encrypted: bool,
    /// The aggregate's data key was forgotten: its events read as the marker, and a
    /// plaintext one would undo that.
    forgotten: bool,
}

impl Sealing {
    fn accepts(&self, event: &Event) -> bool {
        is_sealed(event.data.get()) == (self.encrypted || self.forgotten)
    }

    /// Whether the events put back must open with the aggregate's data key.
    fn needs_key(&self) -> bool {
        self.encrypted && !self.forgotten
    }

    fn expected(&self) -> &'static str {
        if self.encrypted || self.forgotten {
            "plaintext where the store keeps only sealed events, or sealed with a key the \
             aggregate no longer has"
        } else {
            "sealed where the store is not encrypted"
        }
    }
}

/// What [`candidate`] made of a file.
enum Verdict {
    Usable(Candidate),
    /// Whole and the aggregate's, but sealed or plain where the store is not.
    Sealing,
    /// Not a file of the removed stretch.
    Unusable,
}

/// `name` of `aggregate` as `bytes` hold it, when it is a file of the removed stretch: an
/// event file or segment named before the first one kept, whose events all parse, are the
/// aggregate's, follow each other, and are sealed as the store's are.
fn candidate(
    aggregate: &Truncated,
    sealing: &Sealing,
    opens: &dyn Fn(&Event) -> bool,
    name: String,
    source: Source,
    bytes: &[u8],
) -> Verdict {
    let before_kept = FileName::parse(layout::plain_name(&name))
        .zip(FileName::parse(layout::plain_name(
            &aggregate.truncation.first_kept,
        )))
        .is_some_and(|(file, first_kept)| file.sort_key() < first_kept.sort_key());
    let Some(events) = before_kept.then(|| parse_file(&name, bytes)).flatten() else {
        return Verdict::Unusable;
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
    let (Some((first, _)), Some((last, _))) = (events.first(), events.last()) else {
        return Verdict::Unusable;
    };
    if !ours || !linked {
        return Verdict::Unusable;
    }
    // A file's events share one data key: the first tells whether the aggregate's key now
    // (not one it had before a decryption and a new encryption) opens them.
    if !events.iter().all(|(e, _)| sealing.accepts(e)) || (sealing.needs_key() && !opens(first)) {
        return Verdict::Sealing;
    }
    Verdict::Usable(Candidate {
        first: (
            first.metadata.aggregate_version,
            first.metadata.previous_event_id.clone(),
        ),
        last: (
            last.metadata.aggregate_version,
            last.metadata.event_id.clone(),
        ),
        name,
        source,
    })
}

/// A file's events, each with its line's offset and length when the file is a segment.
type FileEvents = Vec<(Event, Option<(u64, u32)>)>;

/// The events of a file named `name` (a segment's with each line's offset and length),
/// when it is whole: every line of a segment an event, none torn.
fn parse_file(name: &str, bytes: &[u8]) -> Option<FileEvents> {
    let path = Path::new(name);
    if FileName::parse(layout::plain_name(name))?.segment {
        let plain = decoded(path, bytes.to_vec(), MAX_DECODED_SEGMENT).ok()?;
        let lines = parse_segment(path, &plain, 0).ok()?;
        (lines.torn == 0).then(|| {
            lines
                .events
                .into_iter()
                .map(|(event, _, at)| (event, Some(at)))
                .collect()
        })
    } else {
        let (event, _) = parse_event_file(path, Ok(bytes.to_vec())).ok()?;
        Some(vec![(event, None)])
    }
}

/// The newest stretch of removed files the candidates make, oldest first: back from the
/// event `truncation` names, each step the file that ends at the event needed and reaches
/// furthest back (a segment a compaction made rather than the single files it replaced),
/// in the listing's order. True when it reaches the aggregate's first event (version 1,
/// no previous event).
fn chain(truncation: &Truncation, mut candidates: Vec<Candidate>) -> (Vec<Candidate>, bool) {
    let sort_key = |c: &Candidate| sort_key_of(&c.name);
    let mut chain: Vec<Candidate> = Vec::new();
    let mut needed = (
        truncation.through_version,
        Some(truncation.last_event_id.clone()),
    );
    let complete = loop {
        let (version, Some(event_id)) = &needed else {
            // `chain` is newest first until it is reversed below.
            break chain.last().is_some_and(|c| c.first.0 == 1);
        };
        let best = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.last.0 == *version && &c.last.1 == event_id)
            // Files list in name order: each must list before the one after it.
            .filter(|(_, c)| {
                chain
                    .last()
                    .is_none_or(|later| sort_key(c) < sort_key(later))
            })
            .min_by_key(|(_, c)| c.first.0)
            .map(|(i, _)| i);
        let Some(best) = best else {
            break false;
        };
        let file = candidates.swap_remove(best);
        needed = (file.first.0.saturating_sub(1), file.first.1.clone());
        chain.push(file);
    };
    chain.reverse();
    (chain, complete)
}

/// Where a file named `name` lists among its aggregate's (`None` for no event file).
fn sort_key_of(name: &str) -> Option<(u64, u16)> {
    FileName::parse(layout::plain_name(name)).map(|f| f.sort_key())
}

/// The index and stream lines of a restored file's events (`bytes` long as stored).
fn index_lines(rel_dir: &str, name: &str, bytes: usize, events: &FileEvents) -> Vec<Replayed> {
    let plain = layout::plain_name(name);
    events
        .iter()
        .map(|(event, at)| {
            let (rel, bytes) = match at {
                Some(at) => (
                    journal::record_path(&format!("{rel_dir}/{plain}"), Some(*at)),
                    u64::from(at.1),
                ),
                None => (format!("{rel_dir}/{name}"), bytes as u64),
            };
            Replayed {
                entry: Entry::of(event, rel, bytes),
                on_disk: true,
            }
        })
        .collect()
}

/// Every version of every file that the history of `stores/<name>/` (the clone's branch
/// and the remote's, not any other ref) holds in the truncated aggregates' directories, by
/// directory: (file name, blob id), each blob once. Read from `git log --raw` as it
/// streams (the history of a large store is large). An error when the history holds no
/// file of `stores/<name>/` at all (a name this store never synced under).
fn history_of(
    clone: &Path,
    name: &str,
    truncated: &[Truncated],
) -> Result<HashMap<String, Vec<(String, String)>>> {
    let prefix = format!("stores/{name}/");
    let no_store = || Error::Unavailable {
        reason: format!(
            "the history of {} holds no store named {name:?}: give the name this store syncs \
             under",
            clone.display()
        ),
    };
    let refs: Vec<String> = ["HEAD".to_string(), format!("refs/remotes/origin/{BRANCH}")]
        .into_iter()
        .filter(|r| {
            git_command(clone, &["rev-parse", "--verify", "--quiet", r])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if refs.is_empty() {
        return Err(no_store());
    }
    // The root commit's files too (a first sync into an empty repository), whatever the
    // user's `log.showRoot`; every commit that touched the subtree.
    let mut args = vec![
        "-c",
        "log.showRoot=true",
        "log",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--full-history",
        "-z",
        "--format=",
    ];
    args.extend(refs.iter().map(String::as_str));
    args.extend(["--", prefix.as_str()]);
    let mut child = git_command(clone, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot_run_git)?;
    // Drained beside: a git that fills the error pipe must not stall the output.
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = err.read_to_end(&mut text);
            text
        })
    });
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
    let read_fail = |e: std::io::Error| Error::io("read git log of", clone, e);
    // `:<old mode> <new mode> <old blob> <new blob> <status>`, then the path.
    while let Some(field) = fields.next() {
        let field = field.map_err(read_fail)?;
        let Some(entry) = field.trim_ascii_start().strip_prefix(b":") else {
            continue;
        };
        let Some(path) = fields.next() else {
            break;
        };
        let path = path.map_err(read_fail)?;
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
        // The newer blob first (the log runs newest first): of two versions holding the
        // same events (a schema rewrite), the chain takes the first met.
        for blob in [parts.get(3), parts.get(2)].into_iter().flatten() {
            let blob = String::from_utf8_lossy(blob).to_string();
            if !blob.bytes().all(|b| b == b'0') && seen.insert(blob.clone()) {
                files.push((file.to_string(), blob));
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::io("run git log in", clone, e))?;
    let errors = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(git_failed(clone, &args, &errors));
    }
    if !any {
        return Err(no_store());
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

    /// The bytes of the blob `id`; `None` (logged) when the clone lacks it, it is no
    /// blob, or it is larger than any file the store reads.
    fn read(&mut self, id: &str) -> Result<Option<Vec<u8>>> {
        let fail = |e: std::io::Error| Error::io("read a blob of", &self.clone, e);
        writeln!(self.input, "{id}")
            .and_then(|()| self.input.flush())
            .map_err(fail)?;
        let mut header = String::new();
        self.output.read_line(&mut header).map_err(fail)?;
        // `<id> <type> <size>` then the bytes and a newline, or `<id> missing`.
        let (kind, size) = match header.split_whitespace().collect::<Vec<_>>().as_slice() {
            [_, kind, size] => (kind.to_string(), size.parse::<u64>().ok()),
            _ => (String::new(), None),
        };
        let Some(size) = size else {
            log::warn!(
                "{}: {id} is not in the sync clone ({}): passed over",
                self.clone.display(),
                header.trim()
            );
            return Ok(None);
        };
        if kind != "blob" || size > MAX_DECODED_SEGMENT {
            std::io::copy(&mut (&mut self.output).take(size + 1), &mut std::io::sink())
                .map_err(fail)?;
            log::warn!(
                "{}: {id} is a {kind} of {size} bytes, not a file the store reads: passed over",
                self.clone.display()
            );
            return Ok(None);
        }
        let mut bytes = vec![0; usize::try_from(size + 1).map_err(|_| fail(closed()))?];
        self.output.read_exact(&mut bytes).map_err(fail)?;
        bytes.pop();
        Ok(Some(bytes))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        // Done with: stopped and reaped, not left a zombie.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
