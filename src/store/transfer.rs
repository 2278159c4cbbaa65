//! Events out of and into a store as JSON Lines of envelopes (one compact envelope per
//! line, the format of a segment's lines): `export` and `import`, shared by the Java API
//! and the command-line tool, and the filter both use to select events.
//!
//! Invariants:
//! - An import is idempotent: an event whose eventId its aggregate already holds is
//!   skipped, so importing a file twice, or a file that overlaps the store, adds nothing;
//!   so is an event at a version a cleanup removed (it is not brought back).
//! - An event is imported only where it fits: at its aggregate's next version and after
//!   the event it names as previous. Anything else is a conflict, refused and listed (the
//!   rest of the file is still imported), unless renumbering is asked for: then it is
//!   appended after the aggregate's last event, its eventId kept.
//! - An export reads one aggregate at a time (or the events of one query), so memory holds
//!   no more than one aggregate's events.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::event::Event;

use super::EventStore;

/// Which events an export (or the tool's `query`) selects; the default selects all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventFilter {
    /// Only events of this event type.
    pub event_type: Option<String>,
    /// Only events of aggregates of this type.
    pub aggregate_type: Option<String>,
    /// Only events stamped at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events stamped at or before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only events with this correlation id.
    pub correlation_id: Option<String>,
    /// Only events of this user.
    pub user_id: Option<String>,
    /// At most this many events.
    pub limit: Option<usize>,
}

impl EventFilter {
    /// Whether `event` passes every condition but the limit.
    pub fn matches(&self, event: &Event) -> bool {
        let m = &event.metadata;
        let in_time = match (m.timestamp, self.from.is_some() || self.to.is_some()) {
            (_, false) => true,
            (None, true) => false,
            (Some(t), true) => self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e),
        };
        in_time
            && self
                .event_type
                .as_ref()
                .is_none_or(|t| *t == event.event_type)
            && self
                .aggregate_type
                .as_ref()
                .is_none_or(|t| *t == m.aggregate_type)
            && self
                .correlation_id
                .as_ref()
                .is_none_or(|c| m.correlation_id.as_ref() == Some(c))
            && self
                .user_id
                .as_ref()
                .is_none_or(|u| m.user_id.as_ref() == Some(u))
    }
}

/// What [`EventStore::import`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Events saved.
    pub imported: u64,
    /// Of those, events saved at another version than the file gave (renumbering).
    pub renumbered: u64,
    /// Events skipped because their aggregate already holds their eventId.
    pub skipped: u64,
    /// Events refused, each with its line number and why.
    pub conflicts: Vec<String>,
}

/// What an import knows of one aggregate: its events' ids, its version, its last event.
struct Known {
    ids: HashSet<String>,
    version: u64,
    last: Option<String>,
    /// The last version a cleanup removed (0: none).
    removed_through: u64,
}

/// Events saved together by an import: one journal sync for many.
const IMPORT_BATCH: usize = 1000;

impl EventStore {
    /// Hands every event `filter` selects to `sink`, up to its limit, and returns how many.
    /// With an event type or a time range, the index finds them, ordered by timestamp;
    /// otherwise every aggregate (of the type, if given) is read, one at a time, in
    /// version order. `progress` hears of each aggregate read that way (done, total).
    pub fn select(
        &self,
        filter: &EventFilter,
        mut sink: impl FnMut(&Event) -> Result<()>,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64> {
        let limit = filter.limit.unwrap_or(usize::MAX) as u64;
        let mut given = 0u64;
        let mut offer = |event: &Event| -> Result<bool> {
            if given < limit && filter.matches(event) {
                given += 1;
                sink(event)?;
            }
            Ok(given < limit)
        };
        let range = (filter.from.is_some() || filter.to.is_some()).then(|| {
            (
                filter.from.unwrap_or(DateTime::<Utc>::MIN_UTC),
                filter.to.unwrap_or(DateTime::<Utc>::MAX_UTC),
            )
        });
        // The narrowest index that answers: a correlation or a user is a few events.
        let indexed = if let Some(id) = &filter.correlation_id {
            Some(self.read_by_correlation(id, range)?)
        } else if let Some(id) = &filter.user_id {
            Some(self.read_by_user(id, range)?)
        } else if let Some(event_type) = &filter.event_type {
            Some(self.read_by_type(event_type)?)
        } else if filter.from.is_some() || filter.to.is_some() {
            Some(self.read_between(
                filter.from.unwrap_or(DateTime::<Utc>::MIN_UTC),
                filter.to.unwrap_or(DateTime::<Utc>::MAX_UTC),
            )?)
        } else {
            None
        };
        if let Some(events) = indexed {
            for event in &events {
                if !offer(event)? {
                    break;
                }
            }
            return Ok(given);
        }
        let types = match &filter.aggregate_type {
            Some(t) => vec![t.clone()],
            None => self.aggregate_types()?,
        };
        let mut aggregates = Vec::new();
        for t in types {
            for id in self.aggregate_ids(&t)? {
                aggregates.push((t.clone(), id));
            }
        }
        let total = aggregates.len() as u64;
        for (done, (t, id)) in aggregates.into_iter().enumerate() {
            for event in &self.read_aggregate(&t, &id, 0)? {
                if !offer(event)? {
                    return Ok(given);
                }
            }
            progress(done as u64 + 1, total);
        }
        Ok(given)
    }

    /// Writes the events `filter` selects to `out` as JSON Lines of compact envelopes
    /// (see [`Self::select`] for the order); returns how many. Refused for an encrypted
    /// store, whose export would hold its data in plaintext: see [`Self::export_with`].
    pub fn export(&self, filter: &EventFilter, out: &mut dyn Write) -> Result<u64> {
        self.export_with(filter, out, false)
    }

    /// [`Self::export`]; with `plaintext`, an encrypted store's events are exported too,
    /// their data in plaintext (an export is for another store or another tool, which
    /// have not the keys).
    pub fn export_with(
        &self,
        filter: &EventFilter,
        out: &mut dyn Write,
        plaintext: bool,
    ) -> Result<u64> {
        if self.keyring.is_some() && !plaintext {
            return Err(Error::config(
                "export",
                "the store is encrypted and an export holds the events' data in plaintext: \
                 ask for it (the tool's export --plaintext, Java exportEvents(filter, out, true))",
            ));
        }
        self.select(
            filter,
            |event| {
                let line = event.to_line_within(usize::MAX).unwrap_or_default();
                out.write_all(&line)
                    .map_err(|e| Error::io("write", std::path::Path::new("the export"), e))
            },
            |_, _| {},
        )
    }

    /// Saves the events of JSON Lines of envelopes (an export), in the file's order:
    /// events already stored are skipped, events that do not fit their aggregate are
    /// refused and listed, or with `renumber` appended after its last event. A line that
    /// is not an envelope stops the import with an error naming it; what came before it
    /// is saved. `progress` hears the bytes read so far.
    pub fn import(
        &self,
        input: &mut dyn BufRead,
        renumber: bool,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut known: HashMap<(String, String), Known> = HashMap::new();
        let mut pending: Vec<Event> = Vec::new();
        let mut read = 0u64;
        let mut line = Vec::new();
        for number in 1.. {
            line.clear();
            let n = input
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io("read", std::path::Path::new("the import"), e))?;
            if n == 0 {
                break;
            }
            read += n as u64;
            progress(read);
            if line.trim_ascii().is_empty() {
                continue;
            }
            let mut event = match Event::from_json(&line) {
                Ok(event) => event,
                Err(e) => {
                    // What came before is saved, as the error says.
                    let count = pending.len() as u64;
                    if !pending.is_empty() {
                        self.append_batch(std::mem::take(&mut pending))?;
                    }
                    return Err(Error::invalid_event(
                        format!("line {number}"),
                        format!(
                            "is not an event envelope ({e}); the {} events before it were \
                             imported (or already stored), none after",
                            report.imported + count + report.skipped
                        ),
                    ));
                }
            };
            let m = &event.metadata;
            let key = (m.aggregate_type.clone(), m.aggregate_id.clone());
            if !known.contains_key(&key) {
                let events = self.read_aggregate(&key.0, &key.1, 0)?;
                known.insert(
                    key.clone(),
                    Known {
                        // What a cleanup removed precedes the first event kept.
                        removed_through: events
                            .first()
                            .map_or(0, |e| e.metadata.aggregate_version.saturating_sub(1)),
                        version: events.last().map_or(0, |e| e.metadata.aggregate_version),
                        last: events.last().map(|e| e.metadata.event_id.clone()),
                        ids: events.into_iter().map(|e| e.metadata.event_id).collect(),
                    },
                );
            }
            let Some(state) = known.get_mut(&key) else {
                continue;
            };
            // Stored already, or removed by a cleanup (whose ids are gone with its files: an
            // older export must not bring them back, least of all renumbered).
            if state.ids.contains(&m.event_id)
                || (m.aggregate_version > 0 && m.aggregate_version <= state.removed_through)
            {
                report.skipped += 1;
                continue;
            }
            let next = state.version + 1;
            // An event that names its predecessor follows only that one.
            let follows = m
                .previous_event_id
                .as_ref()
                .is_none_or(|previous| Some(previous) == state.last.as_ref());
            if m.aggregate_version != next || !follows {
                if !renumber {
                    report.conflicts.push(format!(
                        "line {number}: event {} of {}/{} is version {} after {}, but the \
                         aggregate's next version is {next} after {} (another event holds \
                         its place, or an earlier one is not in the file); refused: \
                         renumbering appends it as version {next}",
                        m.event_id,
                        key.0,
                        key.1,
                        m.aggregate_version,
                        m.previous_event_id.as_deref().unwrap_or("nothing"),
                        state.last.as_deref().unwrap_or("nothing"),
                    ));
                    continue;
                }
                report.renumbered += 1;
                event.metadata.aggregate_version = next;
                if event.metadata.previous_event_id.is_some() {
                    event.metadata.previous_event_id = state.last.clone();
                }
            }
            state.version = next;
            state.last = Some(event.metadata.event_id.clone());
            state.ids.insert(event.metadata.event_id.clone());
            pending.push(event);
            if pending.len() >= IMPORT_BATCH {
                let batch = std::mem::take(&mut pending);
                let count = batch.len() as u64;
                self.append_batch(batch)?;
                report.imported += count;
            }
        }
        if !pending.is_empty() {
            let count = pending.len() as u64;
            self.append_batch(pending)?;
            report.imported += count;
        }
        if report.imported > 0 || !report.conflicts.is_empty() {
            log::info!(
                "{}: imported {} events ({} renumbered), {} already stored, {} refused",
                self.base.display(),
                report.imported,
                report.renumbered,
                report.skipped,
                report.conflicts.len()
            );
        }
        Ok(report)
    }
}
