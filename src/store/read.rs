//! The read APIs: by aggregate (served from the event cache where it can), one event, counts,
//! and the index-backed queries by type and by time.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::event::Event;
use crate::file::{self, list_dirs, lock};
use crate::index;
use crate::journal;
use crate::layout;

use super::EventStore;
use super::aggregate::Need;
use super::cache::{AggState, KnownEvent};
use super::files::{
    AGGREGATE_CHUNK_MIN, QUERY_CHUNK_MIN, in_parallel, list_events, read_event_files, read_lines,
    read_located,
};

/// `missing` (indices into `entries`) grouped into runs: consecutive lines of one segment
/// together, every single-event file alone.
fn segment_runs(entries: &[KnownEvent], missing: &[usize]) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for &k in missing {
        let e = &entries[k];
        match runs.last_mut() {
            Some(run)
                if e.at.is_some()
                    && run
                        .last()
                        .is_some_and(|&p| p + 1 == k && entries[p].name == e.name) =>
            {
                run.push(k)
            }
            _ => runs.push(vec![k]),
        }
    }
    runs
}

impl EventStore {
    /// An aggregate's events with version > `since_version` (0: all), in version order.
    /// Events in the event cache are not read again; those read are added to it.
    pub fn read_aggregate(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        since_version: u64,
    ) -> Result<Vec<Event>> {
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let events = {
            let state = self.state(&key);
            let mut state = lock(&state);
            let need = if since_version == 0 {
                Need::Events
            } else {
                Need::Versions
            };
            let _shared = self.refresh_shared(&key, &mut state, need)?;
            let dir = state.dir.clone().unwrap_or_default();
            let start = state
                .entries
                .partition_point(|e| e.version <= since_version);
            let mut events: Vec<Option<Event>> = state.entries[start..]
                .iter()
                .map(|e| e.body.as_ref().map(|cached| cached.event.clone()))
                .collect();
            let missing: Vec<usize> = (0..events.len()).filter(|&k| events[k].is_none()).collect();
            // A run of lines of one segment is one read: a cold segment costs one wait.
            let runs = segment_runs(&state.entries[start..], &missing);
            let read = in_parallel(&runs, AGGREGATE_CHUNK_MIN, |part| {
                let mut out = Vec::new();
                let singles: Vec<PathBuf> = part
                    .iter()
                    .filter(|run| run.len() == 1 && state.entries[start + run[0]].at.is_none())
                    .map(|run| dir.join(&state.entries[start + run[0]].name))
                    .collect();
                let mut singles = read_event_files(&*self.io, &singles).into_iter();
                for run in part {
                    let first = &state.entries[start + run[0]];
                    if first.at.is_none() {
                        out.push(singles.next().unwrap_or_else(|| {
                            Err(Error::Unavailable {
                                reason: "an event file was not read".to_string(),
                            })
                        })?);
                        continue;
                    }
                    let located: Vec<(u64, u32)> = run
                        .iter()
                        .filter_map(|&k| state.entries[start + k].at)
                        .collect();
                    out.extend(read_lines(&*self.io, &dir.join(&first.name), &located)?);
                }
                Ok(out)
            })?;
            let missing: Vec<usize> = runs.into_iter().flatten().collect();
            for (k, (mut event, size)) in missing.into_iter().zip(read) {
                // The version its place gives it (a file of ByteHot's adapter may say another).
                event.metadata.aggregate_version = state.entries[start + k].version;
                state.entries[start + k].body = self.cache(event.clone(), size);
                events[k] = Some(event);
            }
            events.into_iter().flatten().collect::<Vec<Event>>()
        };
        self.trim_cache();
        self.reveal(events)
    }

    /// One event of an aggregate by version.
    pub fn read_event(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        version: u64,
    ) -> Result<Event> {
        let (dir, entries) =
            self.entries_since(aggregate_type, aggregate_id, version.saturating_sub(1))?;
        let event = match entries.first() {
            Some(KnownEvent {
                body: Some(cached),
                version: v,
                ..
            }) if *v == version => Ok(cached.event.clone()),
            Some(e) if e.version == version => read_located(&*self.io, &dir.join(&e.name), e.at)
                .map(|(mut event, _)| {
                    event.metadata.aggregate_version = version;
                    event
                }),
            _ => Err(Error::NotFound {
                what: format!("version {version} of aggregate {aggregate_type}/{aggregate_id}"),
            }),
        }?;
        let mut revealed = self.reveal(vec![event])?;
        revealed.pop().ok_or_else(|| Error::NotFound {
            what: format!("version {version} of aggregate {aggregate_type}/{aggregate_id}"),
        })
    }

    /// The aggregate's last version; 0 when it has no events.
    pub fn current_version(&self, aggregate_type: &str, aggregate_id: &str) -> Result<u64> {
        self.with_state(aggregate_type, aggregate_id, AggState::current_version)
    }

    /// Number of events of one aggregate.
    pub fn event_count(&self, aggregate_type: &str, aggregate_id: &str) -> Result<u64> {
        self.with_state(aggregate_type, aggregate_id, |state| {
            state.entries.len() as u64
        })
    }

    /// True when the aggregate has at least one event.
    pub fn aggregate_exists(&self, aggregate_type: &str, aggregate_id: &str) -> Result<bool> {
        Ok(self.event_count(aggregate_type, aggregate_id)? > 0)
    }

    /// The events the index lists, read from their files, keeping those `keep` accepts
    /// (the files are the truth), ordered by time; a file removed by hand is skipped.
    ///
    /// A file the index named and that is gone makes the query run once more on the index
    /// as it is then: `compact` renames events into segments (the index names the lines
    /// before the files go), so a query that read the index before may meet the files
    /// after. Gone a second time, the file was deleted by hand: not an event any more.
    pub(super) fn query(
        &self,
        records: impl Fn() -> Result<Vec<index::Record>>,
        keep: impl Fn(&Event) -> bool + Sync,
    ) -> Result<Vec<Event>> {
        let events = match self.read_indexed(records()?, &keep)? {
            (events, false) => events,
            (_, true) => self.read_indexed(records()?, &keep)?.0,
        };
        self.reveal(events)
    }

    /// The events `records` name that `keep` accepts, ordered by time, and whether a file
    /// they named was gone.
    fn read_indexed(
        &self,
        records: Vec<index::Record>,
        keep: &(impl Fn(&Event) -> bool + Sync),
    ) -> Result<(Vec<Event>, bool)> {
        let (read, gone) = self.read_records(&records)?;
        let events = read
            .into_iter()
            .map(|(_, event)| event)
            .filter(|e| keep(e))
            .collect();
        Ok((EventStore::sorted_by_time(events), gone))
    }

    /// The events `records` name, each with its record's place (`rel`), in no particular
    /// order, and whether a file they named was gone (left out).
    pub(super) fn read_records(
        &self,
        records: &[index::Record],
    ) -> Result<(Vec<(String, Event)>, bool)> {
        let gone = std::sync::atomic::AtomicBool::new(false);
        let read = |part: &[index::Record]| -> Result<Vec<(String, Event)>> {
            let (lines, files): (Vec<&index::Record>, Vec<&index::Record>) = part
                .iter()
                .partition(|r| journal::split_record_path(&r.rel).1.is_some());
            let paths: Vec<PathBuf> = files.iter().map(|r| self.base.join(&r.rel)).collect();
            let mut read: Vec<(String, Result<(Event, usize)>)> = files
                .iter()
                .map(|r| r.rel.clone())
                .zip(read_event_files(&*self.io, &paths))
                .collect();
            // The lines of one segment are read together: one read, or one decompression
            // of a compressed segment, per segment.
            let mut by_segment: std::collections::BTreeMap<&str, Vec<(u64, u32)>> =
                std::collections::BTreeMap::new();
            for r in lines {
                if let (file, Some(offset)) = journal::split_record_path(&r.rel) {
                    let len = u32::try_from(r.bytes).unwrap_or(u32::MAX);
                    by_segment.entry(file).or_default().push((offset, len));
                }
            }
            for (file, mut at) in by_segment {
                at.sort_unstable();
                match read_lines(&*self.io, &self.base.join(file), &at) {
                    Ok(events) => read.extend(
                        at.iter()
                            .map(|at| journal::record_path(file, Some(*at)))
                            .zip(events.into_iter().map(Ok)),
                    ),
                    Err(e) => read.push((file.to_string(), Err(e))),
                }
            }
            let mut events = Vec::with_capacity(part.len());
            for (rel, read) in read {
                match read {
                    Ok((event, _)) => events.push((rel, event)),
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        gone.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(events)
        };
        let out = in_parallel(records, QUERY_CHUNK_MIN, read)?;
        Ok((out, gone.load(std::sync::atomic::Ordering::Relaxed)))
    }

    pub(super) fn sorted_by_time(mut events: Vec<Event>) -> Vec<Event> {
        events.sort_by(|a, b| {
            let (a, b) = (&a.metadata, &b.metadata);
            (
                a.timestamp,
                &a.aggregate_type,
                &a.aggregate_id,
                a.aggregate_version,
            )
                .cmp(&(
                    b.timestamp,
                    &b.aggregate_type,
                    &b.aggregate_id,
                    b.aggregate_version,
                ))
        });
        events
    }

    /// Every event of one type, ordered by timestamp, aggregate, version. Reads the
    /// type's index log and those events' files only.
    pub fn read_by_type(&self, event_type: &str) -> Result<Vec<Event>> {
        layout::check_event_type(event_type)?;
        self.check_index()?;
        self.query(
            || self.index.by_type(event_type),
            |e| e.event_type == event_type,
        )
    }

    /// Every event whose timestamp lies in `[start, end]`, ordered like [`Self::read_by_type`].
    /// Reads the index logs of the minutes in range and the matching events' files only.
    pub fn read_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<Event>> {
        self.check_index()?;
        self.query(
            || self.index.between(&start, &end),
            |e| e.metadata.timestamp.is_some_and(|t| t >= start && t <= end),
        )
    }

    /// Number of events in the store, from the index (no event file is read).
    pub fn total_event_count(&self) -> Result<u64> {
        self.check_index()?;
        self.index.count()
    }

    /// Aggregate types with a directory in the store, sorted.
    pub fn aggregate_types(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = self
            .type_dirs()?
            .into_iter()
            .map(|(dir, _)| layout::decode_component(&dir).unwrap_or(dir))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Ids of the aggregates of one type that hold events, sorted. A directory named by
    /// this crate's encoding gives its id by its name (or its `.aggregate-id` file when
    /// hashed); only directories of ByteHot's old adapter have their events read (once per
    /// store, then only the files added since), each id they hold listed.
    pub fn aggregate_ids(&self, aggregate_type: &str) -> Result<Vec<String>> {
        let type_path = self.base.join(layout::aggregate_type_dir(aggregate_type)?);
        let mut out = Vec::new();
        for (agg_dir, agg_path) in list_dirs(&type_path)? {
            if list_events(&agg_path, self.clean())?.is_empty() {
                continue;
            }
            let marker = agg_path.join(layout::LONG_ID_FILE);
            // A `_` may stand for the `/` or `\` of an old-adapter id: ask the event.
            let canonical = layout::decode_component(&agg_dir).filter(|id| {
                !id.contains('_') && layout::aggregate_id_dir(id).is_ok_and(|(d, _)| d == agg_dir)
            });
            match (file::read_regular_to_string(&marker), canonical) {
                (Ok(id), _) => out.push(id),
                (Err(_), Some(id)) => out.push(id),
                // A folder of the old adapter may hold several ids (`a/b` and `a_b`).
                (Err(_), None) => out.extend(self.ids_in(&agg_path, aggregate_type)?),
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}
