//! The checks a caller can ask for: `health` (cheap) and `verify` (reads everything).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::error::{Error, Result};
use crate::event::unreadable_part;
use crate::file::{self, files_under, list_dirs, lock};
use crate::index;
use crate::journal;
use crate::layout::{self, FileName};
use crate::metadata::{AGGREGATE_TYPES, SCHEMA_VERSIONS};

use super::files::{
    TRUNCATED_FILE, decoded, list_events_truncated, read_event_file, scan_segment, tmp_owner,
    written_by_old_adapter,
};
use super::ids_file::{IDS_FILE, OLD_HEAD_FILE};
use super::recovery::LOST_DIR;
use super::{EventStore, ReadOnly};

/// Result of [`EventStore::health`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// True when the store can be read and written.
    pub healthy: bool,
    /// What is wrong, each naming a path.
    pub problems: Vec<String>,
}

/// Symbolic links directly inside `dir`, as problems: the store never follows them, so
/// whatever they point at is invisible to it and must be reported, not skipped silently.
pub(super) fn symlinks_in(dir: &Path) -> Result<Vec<String>> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            out.push(format!(
                "{}: is a symbolic link; the store never follows links",
                entry.path().display()
            ));
        }
    }
    Ok(out)
}

impl EventStore {
    /// A cheap check: base directory present and writable, metadata readable, no earlier
    /// failure pending. See [`Self::verify`] for the deep check.
    pub fn health(&self) -> Health {
        let mut problems = Vec::new();
        if let Some(reason) = lock(&self.poisoned).as_ref() {
            problems.push(format!("writes refused after an earlier failure: {reason}"));
        }
        if let Some(read_only) = &self.read_only {
            problems.extend(self.read_only_problems(read_only));
        }
        if !self.base.is_dir() {
            problems.push(format!(
                "{}: base directory is missing",
                self.base.display()
            ));
        } else if self.read_only.is_some() {
            // Nothing is written, not even a probe.
        } else if let Err(e) = self.write_atomically(&self.base, ".health-probe", b"ok") {
            problems.push(format!("{}: not writable: {e}", self.base.display()));
        } else {
            let _ = fs::remove_file(self.base.join(".health-probe"));
        }
        for name in [AGGREGATE_TYPES, SCHEMA_VERSIONS] {
            let path = self.metadata_dir.join(name);
            let parses = file::read_regular(&path)
                .ok()
                .is_some_and(|b| serde_json::from_slice::<serde_json::Value>(&b).is_ok());
            if !parses {
                problems.push(format!("{}: missing or unreadable", path.display()));
            }
        }
        Health {
            healthy: problems.is_empty(),
            problems,
        }
    }

    /// What a store that never writes cannot settle: journals it did not replay, an
    /// index it did not rebuild, and why it cannot write when that was not asked for.
    fn read_only_problems(&self, read_only: &ReadOnly) -> Vec<String> {
        let mut problems = Vec::new();
        if !read_only.by_choice {
            problems.push(format!("writes unavailable: {}", read_only.reason));
        }
        if read_only.pending_journals > 0 {
            problems.push(format!(
                "{}: {} journal(s) of writers that stopped abnormally are not replayed \
                 (saves they acknowledged may be missing from the files): open the store \
                 read-write to recover them",
                self.base.join(journal::JOURNAL_DIR).display(),
                read_only.pending_journals
            ));
        }
        if !read_only.index_complete {
            problems.push(format!(
                "{}: incomplete; queries by type and time are refused until a read-write \
                 open rebuilds it",
                self.base.join(index::INDEX_DIR).display()
            ));
        }
        problems
    }

    /// Reads every file and checks every invariant; returns the problems, each naming a
    /// path (an empty list means the store is consistent).
    pub fn verify(&self) -> Result<Vec<String>> {
        let mut problems = symlinks_in(&self.base)?;
        if let Some(read_only) = &self.read_only {
            problems.extend(self.read_only_problems(read_only));
        }
        problems.extend(files_under(&self.base.join(LOST_DIR))?.into_iter().map(|path| {
            format!(
                "{}: set aside at open after a crash (an event file a power loss tore, a later one of its aggregate, or a journal with records that could not be replayed); inspect it, then delete it",
                path.display()
            )
        }));
        let mut indexed: HashMap<String, usize> = HashMap::new();
        for record in self.index.all()? {
            *indexed.entry(record.rel).or_default() += 1;
        }
        // Every event has one position; every position names an event (or none: void).
        let stream = self.index.stream();
        let mut streamed: HashMap<String, u64> = HashMap::new();
        if stream.exists() {
            let page = stream.page(stream.seek(1)?, usize::MAX, false)?;
            for line in page.lines {
                if let Some(e) = line.event
                    && let Some(earlier) = streamed.insert(e.rel.clone(), line.position)
                {
                    problems.push(format!(
                        "{}: has two stream positions, {earlier} and {}",
                        self.base.join(&e.rel).display(),
                        line.position
                    ));
                }
            }
        } else {
            problems.push(format!(
                "{}: missing; a read-write open gives every event a new position",
                stream.path().display()
            ));
        }
        let check_stream = stream.exists();
        // A directory that cannot be listed is a problem to report, not a reason to stop:
        // the rest of the store is still checked, and its index lines are not reported
        // as files missing.
        let unlisted =
            |(indexed, streamed): (&mut HashMap<String, usize>, &mut HashMap<String, u64>),
             path: &Path,
             rel: String,
             e: &dyn std::fmt::Display| {
                indexed.retain(|line, _| !line.starts_with(&rel));
                streamed.retain(|line, _| !line.starts_with(&rel));
                format!(
                    "{}: cannot be listed ({e}); the events in it were not checked",
                    path.display()
                )
            };
        for (type_dir, type_path) in self.type_dirs()? {
            let listed = symlinks_in(&type_path)
                .and_then(|links| list_dirs(&type_path).map(|dirs| (links, dirs)));
            let (links, aggregates) = match listed {
                Ok(listed) => listed,
                Err(e) => {
                    problems.push(unlisted(
                        (&mut indexed, &mut streamed),
                        &type_path,
                        format!("{type_dir}/"),
                        &e,
                    ));
                    continue;
                }
            };
            problems.extend(links);
            for (agg_dir, agg_path) in aggregates {
                let mut versions: HashMap<String, u64> = HashMap::new();
                let rd = match fs::read_dir(&agg_path) {
                    Ok(rd) => rd,
                    Err(e) => {
                        let rel = format!("{type_dir}/{agg_dir}/");
                        problems.push(unlisted((&mut indexed, &mut streamed), &agg_path, rel, &e));
                        continue;
                    }
                };
                for entry in rd {
                    let entry = entry.map_err(|e| Error::io("list", &agg_path, e))?;
                    let name = entry.file_name().to_string_lossy().to_string();
                    if FileName::parse(&name).is_none()
                        && name != layout::LONG_ID_FILE
                        && name != IDS_FILE
                        && name != OLD_HEAD_FILE
                        && name != TRUNCATED_FILE
                        && name != super::SNAPSHOT_DIR
                        && name != crate::crypto::KEY_FILE
                        && name != crate::crypto::FORGOTTEN_FILE
                        && tmp_owner(&name).is_none()
                    {
                        problems.push(format!("{}: not an event file", entry.path().display()));
                    }
                    let zst = format!("{name}{}", layout::COMPRESSED_EXT);
                    if FileName::parse(&name).is_some() && agg_path.join(&zst).exists() {
                        problems.push(format!(
                            "{}: left beside {zst} by an interrupted compression (never read); \
                             compact removes it",
                            entry.path().display()
                        ));
                    }
                }
                let mut units = Vec::new();
                let (names, truncation) = match list_events_truncated(&agg_path, self.clean()) {
                    Ok(listed) => listed,
                    Err(e) => {
                        problems.push(e.to_string());
                        continue;
                    }
                };
                let base = truncation.map_or(0, |t| t.through_version);
                for (parsed, name) in names {
                    let path = agg_path.join(&name);
                    if parsed.segment {
                        let read = self
                            .io
                            .read(&path)
                            .map_err(|e| Error::io("read", &path, e))
                            .and_then(|bytes| decoded(&path, bytes, u64::MAX));
                        let bytes = match read {
                            Ok(bytes) => bytes,
                            Err(e) => {
                                problems.push(e.to_string());
                                continue;
                            }
                        };
                        let (lines, bad) = scan_segment(&bytes, 0);
                        for (event, _, at) in lines.events {
                            units.push((name.clone(), Ok(event), Some(at)));
                        }
                        problems.extend(bad.map(|bad| match bad.reason {
                            Some(reason) => format!(
                                "{}: the line at byte {} is not an event: {reason}",
                                path.display(),
                                bad.offset
                            ),
                            None => format!(
                                "{}: ends in a line cut short at byte {} (a crash in \
                                 mid-append: never read; the next save to this aggregate \
                                 sets it aside in {LOST_DIR}/)",
                                path.display(),
                                bad.offset
                            ),
                        }));
                    } else {
                        units.push((name, read_event_file(&*self.io, &path), None));
                    }
                }
                // An event both in a file and in a segment: `compact` was cut short. One
                // problem for the pair; the index must name one of the two.
                let mut copies: HashMap<(String, u64), usize> = HashMap::new();
                let mut copy_of: HashMap<usize, usize> = HashMap::new();
                for (i, (_, event, at)) in units.iter().enumerate() {
                    let Ok(e) = event else { continue };
                    let id = (e.metadata.event_id.clone(), e.metadata.aggregate_version);
                    match copies.get(&id) {
                        Some(&j) if units[j].2.is_some() != at.is_some() => {
                            copy_of.insert(i, j);
                        }
                        _ => {
                            copies.insert(id, i);
                        }
                    }
                }
                let place_of = |name: &str, at: Option<(u64, u32)>| {
                    let path = agg_path.join(name);
                    match at {
                        Some((offset, _)) => format!("{} (line at byte {offset})", path.display()),
                        None => path.display().to_string(),
                    }
                };
                // A segment's lines go by its plain name, compressed or not.
                let rel_of = |name: &str, at: Option<(u64, u32)>| {
                    let name = if at.is_some() {
                        layout::plain_name(name)
                    } else {
                        name
                    };
                    journal::record_path(&format!("{type_dir}/{agg_dir}/{name}"), at)
                };
                for (i, (name, event, at)) in units.iter().enumerate() {
                    let (rel, place) = (rel_of(name, *at), place_of(name, *at));
                    if let Some(&j) = copy_of.get(&i) {
                        let (other_name, _, other_at) = &units[j];
                        let other = rel_of(other_name, *other_at);
                        let listed = [&rel, &other]
                            .iter()
                            .filter(|r| indexed.remove(r.as_str()).is_some())
                            .count();
                        streamed.remove(&rel);
                        streamed.remove(&other);
                        problems.push(format!(
                            "{place}: the same event as {}: a copy an interrupted compact left \
                             ({listed} of the two indexed); run compact again",
                            place_of(other_name, *other_at)
                        ));
                        continue;
                    }
                    let path = agg_path.join(name);
                    // The index of a pair was checked with its copy.
                    let paired = copy_of.values().any(|&j| j == i);
                    match (paired, indexed.get(&rel).copied()) {
                        (true, _) | (false, Some(1)) => {}
                        (false, None) => problems.push(format!(
                            "{place}: missing from the index (reopen after removing {}/format to rebuild it)",
                            index::INDEX_DIR
                        )),
                        (false, Some(n)) => problems.push(format!("{place}: indexed {n} times")),
                    }
                    if !paired {
                        indexed.remove(&rel);
                        if streamed.remove(&rel).is_none() && check_stream {
                            problems.push(format!(
                                "{place}: has no stream position (rebuild-index gives it the next one)"
                            ));
                        }
                    }
                    match event {
                        Err(e) => problems.push(e.to_string()),
                        Ok(e) => {
                            if let Some(part) = unreadable_part(e.data.get()) {
                                problems.push(format!(
                                    "{place}: its eventData holds {part}: readers cannot load it"
                                ));
                            }
                            let m = &e.metadata;
                            let dir_ok = layout::aggregate_type_dir(&m.aggregate_type)
                                .is_ok_and(|d| d == type_dir)
                                && (layout::aggregate_id_dir(&m.aggregate_id)
                                    .is_ok_and(|(d, _)| d == agg_dir)
                                    || layout::legacy_id_dir(&m.aggregate_id).as_deref()
                                        == Some(agg_dir.as_str()));
                            if !dir_ok {
                                problems.push(format!(
                                    "{place}: metadata names {}/{}, which does not live here",
                                    m.aggregate_type, m.aggregate_id
                                ));
                            }
                            if at.is_none()
                                && !layout::plain_name(name)
                                    .ends_with(&format!("-{}.json", e.event_type))
                            {
                                problems.push(format!(
                                    "{place}: eventType {} differs from the file name",
                                    e.event_type
                                ));
                            }
                            // A cleanup removed the versions up to `base`.
                            let last = versions.entry(m.aggregate_id.clone()).or_insert(base);
                            if m.aggregate_version == *last + 1 {
                                *last = m.aggregate_version;
                            } else if at.is_none() && written_by_old_adapter(&*self.io, &path) {
                                problems.push(format!(
                                    "{place}: legacy anomaly, not corruption: ByteHot's adapter stored \
                                     version {} here, where the file's place makes it version {} \
                                     (which reads return); the tool's migrate (Java: rewriteLegacyVersions) fixes the file",
                                    m.aggregate_version,
                                    *last + 1
                                ));
                                *last += 1;
                            } else {
                                problems.push(format!(
                                    "{place}: version {} follows version {}",
                                    m.aggregate_version, last
                                ));
                                *last = m.aggregate_version;
                            }
                        }
                    }
                }
            }
        }
        let mut unborn: Vec<(u64, String)> = streamed.into_iter().map(|(r, p)| (p, r)).collect();
        unborn.sort();
        problems.extend(unborn.into_iter().map(|(position, rel)| {
            format!(
                "{}: named by stream position {position}, but no such event (rebuild-index voids the position)",
                self.base.join(rel).display()
            )
        }));
        let mut stale: Vec<String> = indexed.into_keys().collect();
        stale.sort();
        problems.extend(stale.into_iter().map(|rel| {
            format!(
                "{}: in the index, but no such event file",
                self.base.join(rel).display()
            )
        }));
        Ok(problems)
    }
}
