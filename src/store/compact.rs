//! `compact`: rewrites single-event files into segments of `max-events-per-file` events,
//! online and crash-safe.
//!
//! Invariants, at every instant (a kill included), for readers of the aggregate and of
//! the index alike:
//! - every event is readable, exactly once: a segment is written whole, synced, and
//!   renamed into place beside the files it replaces (a reader that meets both keeps the
//!   segment's copy, [`AggState::superseded`] the files); the files go only after the
//!   index names the segment's lines;
//! - every index log names each event once, as a file or as a line: each log is
//!   rewritten whole (a new file renamed over it), dropping the files' lines and adding
//!   the segment's;
//! - running it again finishes what a killed run left: superseded files are removed,
//!   their lines dropped from the index and the segment's added again.

use std::path::Path;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::file::{self, lock, lock_dir};
use crate::index;
use crate::journal;
use crate::layout::FileName;

use super::EventStore;
use super::cache::{AggKey, AggState};
use super::files::{Staged, compressed, read_event_file, read_located};

/// What [`EventStore::compact`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compaction {
    /// Single-event files whose events now lie in segments (and that were removed).
    pub files_merged: u64,
    /// Segments written.
    pub segments_written: u64,
    /// Files an earlier, interrupted compaction (or compression) had already copied,
    /// removed now.
    pub leftovers_removed: u64,
    /// Full segments compressed (with `compression-enabled`).
    pub segments_compressed: u64,
}

impl Compaction {
    fn add(&mut self, other: Compaction) {
        self.files_merged += other.files_merged;
        self.segments_written += other.segments_written;
        self.leftovers_removed += other.leftovers_removed;
        self.segments_compressed += other.segments_compressed;
    }
}

/// What the first step did to one aggregate: its key, and the index changes it needs
/// (the lines of the files it copied, and of their copies in segments).
struct Copied {
    key: AggKey,
    index: Vec<index::Replayed>,
    stats: Compaction,
}

impl EventStore {
    /// Compacts every aggregate of the store (see [`Self::compact_aggregate`]); the
    /// index is rewritten once for all of them.
    pub fn compact(&self) -> Result<Compaction> {
        self.check_writable()?;
        let mut keys = Vec::new();
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                keys.push((aggregate_type.clone(), aggregate_id));
            }
        }
        let done = self.compact_keys(&keys)?;
        if done != Compaction::default() {
            log::info!(
                "{}: compacted {} files into {} segments, compressed {}, removed {} leftovers",
                self.base.display(),
                done.files_merged,
                done.segments_written,
                done.segments_compressed,
                done.leftovers_removed
            );
        }
        Ok(done)
    }

    /// Rewrites the runs of single-event files of one aggregate into segments of
    /// `max-events-per-file` events each (nothing to do when it is 1), then removes the
    /// files. Other writers and readers go on meanwhile (each aggregate is held only
    /// while its files change); a kill at any point leaves every event readable once,
    /// and running it again finishes the job. Directories of ByteHot's old adapter keep
    /// one file per event.
    pub fn compact_aggregate(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Compaction> {
        self.check_writable()?;
        self.compact_keys(&[(aggregate_type.to_string(), aggregate_id.to_string())])
    }

    fn compact_keys(&self, keys: &[AggKey]) -> Result<Compaction> {
        let mut copied = Vec::new();
        for key in keys {
            copied.extend(self.copy_into_segments(key)?);
        }
        let index: Vec<index::Replayed> = copied.iter().flat_map(|c| c.index.clone()).collect();
        if !index.is_empty() {
            // Before any file goes: the index names each event where it will stay.
            self.index.repair(&index, self.durable())?;
        }
        let mut total = Compaction::default();
        for c in copied {
            // Only the files whose lines this run took out of the index: another
            // compaction's copies wait for that one's index step (or the next run).
            let unindexed: std::collections::HashSet<&str> = c
                .index
                .iter()
                .filter(|r| !r.on_disk)
                .filter_map(|r| r.entry.rel.rsplit('/').next())
                .collect();
            let removed = self.remove_superseded(&c.key, &unindexed)?;
            let mut stats = c.stats;
            stats.leftovers_removed += removed.saturating_sub(stats.files_merged);
            total.add(stats);
        }
        Ok(total)
    }

    /// The first step for one aggregate, under its locks: each run of single-event files
    /// (up to `max-events-per-file`) written as one segment, synced, and renamed into
    /// place beside them. `None` when there is nothing to do.
    fn copy_into_segments(&self, key: &AggKey) -> Result<Option<Copied>> {
        let state = self.state(key);
        let mut state = lock(&state);
        self.refresh(key, &mut state)?;
        let Some(dir) = state.dir.clone().filter(|d| d.is_dir()) else {
            return Ok(None);
        };
        let _exclusive = lock_dir(&dir)?;
        self.refresh_locked(key, &mut state)?;
        if state.legacy {
            return Ok(None);
        }
        let rel = dir
            .strip_prefix(&self.base)
            .unwrap_or(&dir)
            .to_string_lossy()
            .to_string();
        let mut index = Vec::new();
        // Leftovers of an interrupted run: their lines go, their segment copies' come.
        for (file, event_id) in state.superseded.clone() {
            let Some(&k) = state.ids.get(&event_id) else {
                continue;
            };
            let known = &state.entries[k];
            let (event, _) = read_located(&*self.io, &dir.join(&known.name), known.at)?;
            index.push(replayed(&event, format!("{rel}/{file}"), None));
            index.push(replayed(
                &event,
                // Lines go by the segment's plain name, compressed or not.
                journal::record_path(
                    &format!("{rel}/{}", crate::layout::plain_name(&known.name)),
                    known.at,
                ),
                known.at,
            ));
        }
        let mut stats = Compaction::default();
        if self.config.compression {
            stats.leftovers_removed += remove_compressed_copies(&dir, &state)?;
            for name in self.sealed_segments(&dir, &state) {
                self.seal(&mut state, &name)?;
                stats.segments_compressed += 1;
            }
        }
        let runs = single_file_runs(&state, self.config.max_events_per_file as usize);
        if !runs.is_empty() {
            // A directory with segments has no `.ids` (see `write.rs`).
            super::write::remove_ids(&dir)?;
        }
        let mut last_written = None;
        for run in runs {
            let first = &state.entries[run[0]].name;
            let Some(segment) = FileName::parse(first).map(FileName::as_segment) else {
                continue;
            };
            // A full segment is sealed: with compression on, it is written compressed.
            let full = run.len() == self.config.max_events_per_file as usize;
            let seal = self.config.compression && full;
            let plain = segment.clone().compressed(false).render();
            let name = segment.compressed(seal).render();
            if dir.join(&plain).exists() || dir.join(&name).exists() {
                continue;
            }
            let mut bytes = Vec::new();
            let mut lines = Vec::new();
            for &k in &run {
                let known = &state.entries[k];
                let mut event = match &known.body {
                    Some(cached) => cached.event.clone(),
                    None => read_event_file(&*self.io, &dir.join(&known.name))?,
                };
                // The version its place gives it (a file of ByteHot's adapter may say another).
                event.metadata.aggregate_version = known.version;
                let line = event.to_line_within(usize::MAX).unwrap_or_default();
                let at = (bytes.len() as u64, line.len() as u32);
                bytes.extend_from_slice(&line);
                lines.push((known.name.clone(), event, at));
            }
            let bytes = if seal { compressed(&bytes)? } else { bytes };
            self.write_synced(&dir, &name, &bytes)?;
            for (file, event, at) in lines {
                index.push(replayed(&event, format!("{rel}/{file}"), None));
                index.push(replayed(
                    &event,
                    journal::record_path(&format!("{rel}/{plain}"), Some(at)),
                    Some(at),
                ));
            }
            if run.last().is_some_and(|&k| k + 1 == state.entries.len()) {
                last_written = Some(plain);
            }
            stats.files_merged += run.len() as u64;
            stats.segments_written += 1;
            stats.segments_compressed += u64::from(seal);
        }
        if stats.segments_written > 0 {
            // fsync the folder: the segments must be durable before any file they
            // replace is removed.
            self.sync_directory(&dir)?;
        }
        // The directory names its new last file (a hint, see `file::set_last_file`).
        if let Some(last) = last_written {
            let _ = file::set_last_file(&dir, &last);
        }
        // The view holds the files: list the directory again next time.
        *state = AggState {
            dir: state.dir.clone(),
            legacy: state.legacy,
            ..AggState::default()
        };
        let changed = stats != Compaction::default();
        Ok((changed || !index.is_empty()).then(|| Copied {
            key: key.clone(),
            index,
            stats,
        }))
    }

    /// The aggregate's segments no save appends to any more, still uncompressed: those
    /// holding `max-events-per-file` lines, and every one but the last file.
    fn sealed_segments(&self, dir: &Path, state: &AggState) -> Vec<String> {
        let last = state.listed.last().map(|(_, name)| name.as_str());
        state
            .listed
            .iter()
            .filter(|(parsed, name)| {
                parsed.segment && !parsed.compressed && dir.join(name).exists()
            })
            .filter(|(_, name)| {
                Some(name.as_str()) != last
                    || state.entries.iter().filter(|e| e.name == *name).count()
                        >= self.config.max_events_per_file as usize
            })
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// The last step for one aggregate, under its locks: removes the single-event files
    /// whose events a segment holds and whose index lines this run dropped (`unindexed`).
    /// Returns how many.
    fn remove_superseded(
        &self,
        key: &AggKey,
        unindexed: &std::collections::HashSet<&str>,
    ) -> Result<u64> {
        let state = self.state(key);
        let mut state = lock(&state);
        self.refresh(key, &mut state)?;
        let Some(dir) = state.dir.clone().filter(|d| d.is_dir()) else {
            return Ok(0);
        };
        let _exclusive = lock_dir(&dir)?;
        self.refresh_locked(key, &mut state)?;
        let (superseded, others): (Vec<_>, Vec<_>) = std::mem::take(&mut state.superseded)
            .into_iter()
            .partition(|(file, _)| unindexed.contains(file.as_str()));
        state.superseded = others;
        for (file, _) in &superseded {
            let path = dir.join(file);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove", &path, e));
                }
                _ => {}
            }
        }
        if !superseded.is_empty() {
            self.sync_directory(&dir)?;
            *state = AggState {
                dir: state.dir.clone(),
                legacy: state.legacy,
                ..AggState::default()
            };
        }
        Ok(superseded.len() as u64)
    }

    /// Writes `bytes` to `dir/name` whole and synced, whatever the durability mode: it
    /// takes the place of files that may be the only durable copy of their events.
    pub(super) fn write_synced(&self, dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
        let tmp = dir.join(self.tmp_name(name));
        let mut staged = Staged::default();
        staged.push(tmp.clone());
        self.io
            .create_and_write(&tmp, bytes)
            .and_then(|file| self.io.sync_file(&file))
            .map_err(|e| Error::io("write", &tmp, e))?;
        staged.rename_next(&*self.io, &dir.join(name))
    }
}

/// Removes each segment a compression cut short left beside its compressed copy (the
/// copy is complete: it was synced before it was renamed into place). Returns how many.
fn remove_compressed_copies(dir: &Path, state: &AggState) -> Result<u64> {
    let mut removed = 0;
    for (parsed, name) in &state.listed {
        if !parsed.compressed {
            continue;
        }
        let plain = dir.join(crate::layout::plain_name(name));
        match std::fs::remove_file(&plain) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &plain, e)),
        }
    }
    Ok(removed)
}

/// An index change for `event` named `rel`: present when it is a segment's line.
fn replayed(event: &Event, rel: String, at: Option<(u64, u32)>) -> index::Replayed {
    index::Replayed {
        entry: index::Entry::of(event, rel, at.map_or(0, |(_, len)| u64::from(len))),
        on_disk: at.is_some(),
    }
}

/// The aggregate's runs of consecutive single-event files, cut every `per_file`, each of
/// at least two (one file alone gains nothing as a segment), as indices into its
/// entries. Nothing when `per_file` is 1.
fn single_file_runs(state: &AggState, per_file: usize) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    if per_file < 2 {
        return runs;
    }
    let mut run: Vec<usize> = Vec::new();
    for (k, known) in state.entries.iter().enumerate() {
        if known.at.is_some() {
            runs.push(std::mem::take(&mut run));
            continue;
        }
        run.push(k);
        if run.len() == per_file {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs.push(run);
    runs.retain(|run| run.len() >= 2);
    runs
}
