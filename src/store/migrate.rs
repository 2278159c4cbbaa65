//! Rewrites of stored events, on request. The files ByteHot's pure-Java adapter wrote
//! with versions that do not follow their place (it stamped version 1 on every event of a
//! session): reads already serve them at the version their place gives them, a rewrite
//! makes the file say so too, so that queries by type and time (which return files as they
//! are) and other readers agree. And schema migration: events replaced by newer schema
//! versions of themselves (their `eventData` and `schemaVersion`, nothing else), which the
//! Java side computes with the application's upcasters.
//!
//! Invariants of a schema rewrite: a file is replaced whole, by a synced copy renamed over
//! it under the aggregate directory's exclusive lock, so a kill or a power loss leaves
//! every event old or new, never neither; the directory is synced before the call
//! returns; an event's identity (type, aggregate, version, id, time, chain, correlation,
//! user) never changes; `metadata/migration.running` is present while a rewrite may have
//! moved segment lines the index still names at their old offsets, so an open after a
//! rewrite cut short rebuilds the index.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::event::{Event, minify};
use crate::file::{lock, lock_dir};
use crate::index;
use crate::journal;
use crate::layout;

use super::EventStore;
use super::cache::AggKey;
use super::files::{
    Staged, compressed, jackson_printed, parse_event_file, read_located, read_segment,
    segment_bytes,
};

/// Under `metadata/` while a schema rewrite runs: see the module's invariants.
pub(super) const MIGRATION_RUNNING: &str = "migration.running";

/// A file's new events by `eventId`, each with its index in the caller's list.
type Replacements = HashMap<String, (usize, Event)>;

/// What [`EventStore::rewrite_schemas`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaRewrite {
    /// Events now stored at their new schema version.
    pub events_rewritten: u64,
    /// Events already stored as given (a rewrite done before, by a run cut short).
    pub events_current: u64,
    /// Files replaced (single-event files and segments).
    pub files_rewritten: u64,
}

impl EventStore {
    /// [`Self::rewrite_legacy_versions`] of every aggregate of the store; returns how many
    /// files were rewritten. `progress` hears of each aggregate done (done, total).
    pub fn rewrite_all_legacy_versions(&self, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        self.check_writable()?;
        let mut keys = Vec::new();
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                keys.push((aggregate_type.clone(), aggregate_id));
            }
        }
        let mut rewritten = 0;
        for (done, (aggregate_type, aggregate_id)) in keys.iter().enumerate() {
            rewritten += self.rewrite_legacy_versions(aggregate_type, aggregate_id)?;
            progress(done as u64 + 1, keys.len() as u64);
        }
        if rewritten > 0 {
            log::info!(
                "{}: rewrote {rewritten} files of ByteHot's adapter at the versions their places give them",
                self.base.display()
            );
        }
        Ok(rewritten)
    }

    /// Rewrites each event file of one aggregate that ByteHot's adapter wrote with a
    /// version other than its place's, in this library's format and with that version;
    /// returns how many were rewritten. Each file is synced, then renamed over the old one
    /// under the aggregate's lock, and the directory synced at the end, whatever the
    /// durability mode (this replaces the only copy of an event): run again after a
    /// crash, it finishes the job.
    pub fn rewrite_legacy_versions(&self, aggregate_type: &str, aggregate_id: &str) -> Result<u64> {
        self.check_writable()?;
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let state = self.state(&key);
        let mut state = lock(&state);
        self.refresh(&key, &mut state)?;
        let Some(dir) = state.dir.clone().filter(|d| d.is_dir()) else {
            return Ok(0);
        };
        let _exclusive = lock_dir(&dir)?;
        self.refresh_locked(&key, &mut state)?;
        let mut rewritten = 0;
        // Segments hold only lines this library wrote.
        for known in state.entries.iter().filter(|known| known.at.is_none()) {
            let path = dir.join(&known.name);
            let bytes = self.io.read(&path);
            if bytes.as_ref().is_ok_and(|bytes| !jackson_printed(bytes)) {
                continue;
            }
            let (mut event, _) = parse_event_file(&path, bytes)?;
            if event.metadata.aggregate_version == known.version {
                continue;
            }
            event.metadata.aggregate_version = known.version;
            // The new bytes are synced before they replace the only copy of the event: a
            // power loss must leave the old file or the new one, never an empty one.
            let mut staged = Staged::default();
            let tmp = dir.join(self.tmp_name(&known.name));
            staged.push(tmp.clone());
            self.io
                .create_and_write(&tmp, &event.to_file_json())
                .and_then(|file| self.io.sync_file(&file))
                .map_err(|e| Error::io("rewrite", &path, e))?;
            staged.rename_next(&*self.io, &path)?;
            rewritten += 1;
        }
        if rewritten > 0 {
            // fsync the folder: the renames are durable only once the directory is.
            self.sync_directory(&dir)?;
        }
        Ok(rewritten)
    }

    /// Replaces stored events by newer schema versions of themselves: each of `events`
    /// names a stored event (type, aggregate, version and `eventId`, and every other
    /// metadata field as stored) with a greater `schemaVersion` and its data in that
    /// schema. An event already stored exactly so counts as current (a run cut short is
    /// run again). Anything else is refused before any file changes: an unknown event,
    /// a changed identity, a schema version that does not grow, data the store refuses at
    /// save. Online: other readers and writers, in this process and others, keep working;
    /// each aggregate is rewritten under its directory's exclusive lock. See the module's
    /// invariants for what a crash leaves.
    pub fn rewrite_schemas(&self, events: Vec<Event>) -> Result<SchemaRewrite> {
        self.check_writable()?;
        for (i, event) in events.iter().enumerate() {
            self.check_data(i, event)?;
        }
        if events.is_empty() {
            return Ok(SchemaRewrite::default());
        }
        // Before any file changes, as a save notes them before its commit point.
        self.note_schema_versions(&events)?;
        let mut by_aggregate: BTreeMap<AggKey, Vec<(usize, Event)>> = BTreeMap::new();
        for (i, event) in events.into_iter().enumerate() {
            let key = (
                event.metadata.aggregate_type.clone(),
                event.metadata.aggregate_id.clone(),
            );
            by_aggregate.entry(key).or_default().push((i, event));
        }
        let mut done = SchemaRewrite::default();
        // One cleanup or rewrite at a time (both move files under the index), across
        // processes; the mark tells an open whether one was cut short.
        let _run = self.cleanup_lock()?;
        self.write_metadata_file(MIGRATION_RUNNING, std::process::id().to_string().as_bytes())?;
        for (key, events) in by_aggregate {
            let one = self.rewrite_aggregate_schemas(&key, events)?;
            done.events_rewritten += one.events_rewritten;
            done.events_current += one.events_current;
            done.files_rewritten += one.files_rewritten;
        }
        self.clear_mark(MIGRATION_RUNNING)?;
        Ok(done)
    }

    /// [`Self::rewrite_schemas`] of one aggregate, under its locks.
    fn rewrite_aggregate_schemas(
        &self,
        key: &AggKey,
        events: Vec<(usize, Event)>,
    ) -> Result<SchemaRewrite> {
        let state = self.state(key);
        let mut state = lock(&state);
        self.refresh(key, &mut state)?;
        let missing = |i: usize, e: &Event| {
            Error::invalid_event(
                format!("events[{i}]"),
                format!(
                    "{}/{} has no event {} at version {}: a schema rewrite replaces stored events only",
                    key.0, key.1, e.metadata.event_id, e.metadata.aggregate_version
                ),
            )
        };
        let Some(dir) = state.dir.clone().filter(|d| d.is_dir()) else {
            return match events.first() {
                Some((i, e)) => Err(missing(*i, e)),
                None => Ok(SchemaRewrite::default()),
            };
        };
        let _exclusive = lock_dir(&dir)?;
        self.refresh_locked(key, &mut state)?;
        // The new events are sealed like any save's (the given ones are plaintext).
        let data_key = self.data_key_for_write(key, &dir)?;
        let mut done = SchemaRewrite::default();
        // Per file, in the aggregate's order: its replacements by eventId.
        let mut by_file: BTreeMap<usize, (String, Replacements)> = BTreeMap::new();
        for (i, new) in events {
            let Some(&k) = state.ids.get(&new.metadata.event_id) else {
                return Err(missing(i, &new));
            };
            let known = &state.entries[k];
            if known.version != new.metadata.aggregate_version {
                return Err(missing(i, &new));
            }
            let (stored, _) = read_located(&*self.io, &dir.join(&known.name), known.at)?;
            let mut stored = self
                .reveal(vec![stored])?
                .pop()
                .ok_or_else(|| missing(i, &new))?;
            // A file of ByteHot's adapter reads at the version its place gives it.
            stored.metadata.aggregate_version = known.version;
            if stored.event_type != new.event_type
                || schema_neutral(&stored.metadata) != schema_neutral(&new.metadata)
            {
                return Err(Error::invalid_event(
                    format!("events[{i}].eventMetadata"),
                    format!(
                        "event {} of {}/{} differs from the stored one in more than its \
                         eventData and schemaVersion",
                        new.metadata.event_id, key.0, key.1
                    ),
                ));
            }
            // Token for token: a single-event file holds its data indented.
            if stored.metadata.schema_version == new.metadata.schema_version
                && minify(stored.data.get()) == minify(new.data.get())
            {
                done.events_current += 1;
                continue;
            }
            if new.metadata.schema_version <= stored.metadata.schema_version {
                return Err(Error::invalid_event(
                    format!("events[{i}].eventMetadata.schemaVersion"),
                    format!(
                        "event {} of {}/{} is stored at schema version {}: a rewrite goes to a \
                         greater one, not {}",
                        new.metadata.event_id,
                        key.0,
                        key.1,
                        stored.metadata.schema_version,
                        new.metadata.schema_version
                    ),
                ));
            }
            by_file
                .entry(file_slot(&state.entries, k))
                .or_insert_with(|| (known.name.clone(), HashMap::new()))
                .1
                .insert(
                    new.metadata.event_id.clone(),
                    (i, self.encrypt(data_key.as_deref(), new)?),
                );
        }
        if by_file.is_empty() {
            return Ok(done);
        }
        self.replace_in_files(&dir, &mut state, by_file, &mut done)?;
        Ok(done)
    }

    /// Writes each file of `by_file` anew with its replacements (a single event's file, or
    /// a whole segment with its other lines as they were), synced and renamed over the
    /// old; syncs the directory; repairs the index and the stream (lines of a segment
    /// move); resets the aggregate's view. Under the directory's exclusive lock and the
    /// migration mark (see the module's invariants).
    fn replace_in_files(
        &self,
        dir: &std::path::Path,
        state: &mut super::cache::AggState,
        by_file: BTreeMap<usize, (String, Replacements)>,
        done: &mut SchemaRewrite,
    ) -> Result<()> {
        let rel_dir = dir
            .strip_prefix(&self.base)
            .unwrap_or(dir)
            .to_string_lossy()
            .to_string();
        let mut index_changes = Vec::new();
        for (_, (name, mut replacements)) in by_file {
            let path = dir.join(&name);
            let segment = layout::FileName::parse(&name).is_some_and(|n| n.segment);
            if !segment {
                let Some((_, (i, new))) = replacements.drain().next() else {
                    continue;
                };
                let bytes = new
                    .to_file_json_within(self.config.max_event_size.saturating_mul(2))
                    .ok_or_else(|| too_large(i, &new))?;
                let bytes = if name.ends_with(layout::COMPRESSED_EXT) {
                    compressed(&bytes)?
                } else {
                    bytes
                };
                self.write_synced(dir, &name, &bytes)?;
                index_changes.push(index::Replayed {
                    entry: index::Entry::of(&new, format!("{rel_dir}/{name}"), bytes.len() as u64),
                    on_disk: true,
                });
                done.events_rewritten += 1;
                done.files_rewritten += 1;
                continue;
            }
            // A segment is written anew whole: its lines after a changed one move, and the
            // index names every line by its offset.
            let lines = read_segment(&*self.io, &path, 0)?;
            let plain = layout::plain_name(&name).to_string();
            let mut bytes = Vec::with_capacity(lines.end as usize);
            for (old, _, (offset, len)) in lines.events {
                let event = match replacements.remove(&old.metadata.event_id) {
                    Some((i, new)) => {
                        done.events_rewritten += 1;
                        let line = new
                            .to_line_within(self.config.max_event_size.saturating_mul(2))
                            .ok_or_else(|| too_large(i, &new))?;
                        (new, line)
                    }
                    None => {
                        let line = old.to_line_within(usize::MAX).unwrap_or_default();
                        (old, line)
                    }
                };
                let (event, line) = event;
                let at = (bytes.len() as u64, line.len() as u32);
                if at != (offset, len) {
                    let old_rel =
                        journal::record_path(&format!("{rel_dir}/{plain}"), Some((offset, len)));
                    let new_rel = journal::record_path(&format!("{rel_dir}/{plain}"), Some(at));
                    if old_rel != new_rel {
                        index_changes.push(index::Replayed {
                            entry: index::Entry::of(&event, old_rel, u64::from(len)),
                            on_disk: false,
                        });
                    }
                    index_changes.push(index::Replayed {
                        entry: index::Entry::of(&event, new_rel, u64::from(at.1)),
                        on_disk: true,
                    });
                }
                bytes.extend_from_slice(&line);
            }
            // A line a crash cut short stays after the complete ones, still torn, for the
            // next save to set aside.
            if lines.torn > 0 {
                bytes.extend(segment_bytes(&*self.io, &path, lines.end, None)?);
            }
            let bytes = if name.ends_with(layout::COMPRESSED_EXT) {
                compressed(&bytes)?
            } else {
                bytes
            };
            self.write_synced(dir, &name, &bytes)?;
            done.files_rewritten += 1;
        }
        // fsync the folder: the renames are durable only once the directory is.
        self.sync_directory(dir)?;
        self.index.repair(&index_changes, self.durable())?;
        // The view holds the old bodies: list and read the aggregate again next time.
        *state = super::cache::AggState {
            dir: state.dir.clone(),
            legacy: state.legacy,
            ..Default::default()
        };
        Ok(())
    }

    /// Encryption of a store's existing events, or its reverse: every event of every
    /// aggregate stored in plaintext rewritten sealed (`seal`), or every sealed one
    /// rewritten in plaintext, file by file as a schema rewrite does (online, crash-safe:
    /// killed at any point each event reads, sealed or not, and a second run finishes).
    /// After a complete run in reverse, the store holds no key and opens without one.
    /// Returns how many events were rewritten.
    pub fn reseal_all(&self, seal: bool) -> Result<u64> {
        self.check_writable()?;
        if self.keyring.is_none() {
            return Err(Error::config(
                "encryption.key-file",
                "encrypting or decrypting a store's events needs its master key",
            ));
        }
        let _run = self.cleanup_lock()?;
        self.write_metadata_file(MIGRATION_RUNNING, std::process::id().to_string().as_bytes())?;
        let mut done = SchemaRewrite::default();
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                let key = (aggregate_type.clone(), aggregate_id);
                self.reseal_aggregate(&key, seal, &mut done)?;
            }
        }
        self.clear_mark(MIGRATION_RUNNING)?;
        if !seal {
            self.forget_encryption()?;
        }
        Ok(done.events_rewritten)
    }

    /// [`Self::reseal_all`] of one aggregate, under its locks.
    fn reseal_aggregate(&self, key: &AggKey, seal: bool, done: &mut SchemaRewrite) -> Result<()> {
        let state = self.state(key);
        let mut state = lock(&state);
        self.refresh(key, &mut state)?;
        let Some(dir) = state.dir.clone().filter(|d| d.is_dir()) else {
            return Ok(());
        };
        let _exclusive = lock_dir(&dir)?;
        self.refresh_locked(key, &mut state)?;
        let data_key = if seal {
            self.data_key_for_write(key, &dir)?
        } else {
            None
        };
        let mut by_file: BTreeMap<usize, (String, Replacements)> = BTreeMap::new();
        for (k, known) in state.entries.iter().enumerate() {
            let (mut stored, _) = read_located(&*self.io, &dir.join(&known.name), known.at)?;
            stored.metadata.aggregate_version = known.version;
            let sealed = crate::crypto::is_sealed(stored.data.get());
            if sealed == seal {
                continue;
            }
            let replacement = if seal {
                self.encrypt(data_key.as_deref(), stored)?
            } else {
                self.reveal(vec![stored])?
                    .pop()
                    .ok_or_else(|| Error::Unavailable {
                        reason: "an event was not revealed".to_string(),
                    })?
            };
            by_file
                .entry(file_slot(&state.entries, k))
                .or_insert_with(|| (known.name.clone(), HashMap::new()))
                .1
                .insert(replacement.metadata.event_id.clone(), (k, replacement));
        }
        if by_file.is_empty() {
            return Ok(());
        }
        self.replace_in_files(&dir, &mut state, by_file, done)
    }
}

/// Where the replacements of the file holding `entries[k]` are kept: a single event's own
/// index, or, for a line of a segment, the index of the segment's first line.
fn file_slot(entries: &[super::cache::KnownEvent], k: usize) -> usize {
    match entries.get(k) {
        Some(known) if known.at.is_some() => entries
            .iter()
            .position(|e| e.name == known.name)
            .unwrap_or(k),
        _ => k,
    }
}

/// Metadata but for its schema version: what a schema rewrite must leave as it is.
fn schema_neutral(m: &crate::event::EventMetadata) -> crate::event::EventMetadata {
    let mut m = m.clone();
    m.schema_version = 0;
    m
}

fn too_large(i: usize, e: &Event) -> Error {
    Error::invalid_event(
        format!("events[{i}]"),
        format!(
            "event {} in its new schema is over max-event-size-bytes",
            e.metadata.event_id
        ),
    )
}
