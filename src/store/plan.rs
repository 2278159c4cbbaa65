//! Planning a save: for each event of one aggregate, whether it is a retry, a repeat
//! within its batch or a new event, and then its version, previous event id, timestamp,
//! file name and bytes (a single-event file or a segment's line). Nothing is written here:
//! a plan that fails leaves the store as it was.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::layout::{self, FileName};

use super::EventStore;
use super::cache::{AggKey, AggState};

/// What a save does with one event of its batch, decided by [`EventStore::plan`].
pub(super) enum Planned {
    /// Already stored under this path, at this line if in a segment (a retry).
    Stored(PathBuf, Option<(u64, u32)>),
    /// Same event id as an earlier event of this batch.
    SameAs(usize),
    /// A new event: written into the file `name`, as `bytes` (the file's JSON of `event`,
    /// or its line in a segment).
    New {
        event: Box<Event>,
        name: FileName,
        bytes: Vec<u8>,
        /// In a segment: the line's offset and length.
        at: Option<(u64, u32)>,
        /// Appended to a segment that exists already (rather than in a file this save
        /// creates).
        append: bool,
    },
}

/// The segment a plan appends to next: its name, where its lines end, how many it holds,
/// and whether it exists already.
struct OpenSegment {
    name: FileName,
    end: u64,
    lines: u32,
    exists: bool,
}

impl EventStore {
    /// Decides, for each event of one aggregate, whether it is a retry of a stored event
    /// or a new one, and what version, previous id, timestamp and file name it gets. New
    /// names sort after the directory's last file and after `floor`.
    pub(super) fn plan(
        &self,
        key: &AggKey,
        state: &AggState,
        events: &[Event],
        indices: &[usize],
        floor: Option<(u64, u16)>,
        data_key: Option<&crate::crypto::DataKey>,
    ) -> Result<Vec<Planned>> {
        let mut version = state.current_version();
        let mut last_id = state.last_event_id().map(str::to_string);
        let mut last_key = state.last_key().max(floor);
        let mut pending: HashMap<&str, usize> = HashMap::new();
        let mut plan = Vec::with_capacity(indices.len());
        // A directory ByteHot's old adapter made keeps one file per event: it may hold
        // another id's events, which a segment could not tell apart by its name.
        let per_file = if state.legacy {
            1
        } else {
            self.config.max_events_per_file
        };
        let mut segment = match (state.tail, state.listed.last()) {
            (Some(tail), Some((name, _))) if per_file > 1 => Some(OpenSegment {
                name: name.clone(),
                end: tail.end,
                lines: tail.lines,
                exists: true,
            }),
            _ => None,
        };
        let conflict = |expected: u64, actual: u64, detail: String| Error::Conflict {
            aggregate_type: key.0.clone(),
            aggregate_id: key.1.clone(),
            expected_version: expected,
            actual_version: actual,
            detail,
        };
        for &i in indices {
            let e = &events[i];
            let m = &e.metadata;
            if let Some(&at) = state.ids.get(&m.event_id) {
                let known = &state.entries[at];
                plan.push(Planned::Stored(
                    state.dir.clone().unwrap_or_default().join(&known.name),
                    known.at,
                ));
                continue;
            }
            if let Some(&at) = pending.get(m.event_id.as_str()) {
                plan.push(Planned::SameAs(at));
                continue;
            }
            if m.aggregate_version != 0 && m.aggregate_version != version + 1 {
                return Err(conflict(
                    m.aggregate_version - 1,
                    version,
                    format!(
                        "event {} carries version {}, the next version is {}",
                        m.event_id,
                        m.aggregate_version,
                        version + 1
                    ),
                ));
            }
            if let Some(prev) = &m.previous_event_id
                && Some(prev) != last_id.as_ref()
            {
                let expected = state
                    .ids
                    .get(prev)
                    .map_or(0, |&at| state.entries[at].version);
                return Err(conflict(
                    expected,
                    version,
                    format!(
                        "event {} names previous event {prev}, the last event is {}",
                        m.event_id,
                        last_id.as_deref().unwrap_or("none")
                    ),
                ));
            }
            let timestamp = m.timestamp.unwrap_or_else(|| self.clock.now());
            let stamp = layout::time_to_stamp(&timestamp)
                .filter(|stamp| *stamp <= layout::LATEST_EVENT_STAMP)
                .ok_or_else(|| {
                    Error::invalid_event(
                        "eventMetadata.timestamp",
                        "must lie from 0000-01-01 to 9999-12-30 (UTC): the last day of year \
                         9999 is kept free so that the saves after the latest event still \
                         have file names",
                    )
                })?;
            let next_name = |last: Option<(u64, u16)>| {
                layout::next_name(last, stamp, &e.event_type).ok_or_else(|| {
                    Error::invalid_event("eventMetadata.timestamp", "no file name after 9999")
                })
            };
            version += 1;
            let mut stored = e.clone();
            stored.metadata.aggregate_version = version;
            stored.metadata.previous_event_id = last_id.clone();
            stored.metadata.timestamp = Some(timestamp);
            last_id = Some(m.event_id.clone());
            pending.insert(m.event_id.as_str(), plan.len());
            let max = self.config.max_event_size;
            if self.config.legacy_readable {
                stored = stored.legacy_readable();
            }
            // Sealed now that its identity (version included) is final: what is journaled
            // and written holds no plaintext data.
            stored = self.encrypt(data_key, stored)?;
            let too_large = |how: &str| {
                Error::invalid_event(
                    format!("events[{i}].eventData"),
                    format!(
                        "event {} is over max-event-size-bytes = {max} {how}",
                        m.event_id
                    ),
                )
            };
            if per_file == 1 {
                let bytes = stored.to_file_json_within(max).ok_or_else(|| {
                    too_large("once pretty-printed (its indentation grows with the data's depth)")
                })?;
                let compress =
                    self.config.compression && bytes.len() > self.config.compression_min_bytes;
                let name = next_name(last_key)?.compressed(compress);
                last_key = Some(name.sort_key());
                plan.push(Planned::New {
                    event: Box::new(stored),
                    name,
                    bytes,
                    at: None,
                    append: false,
                });
                continue;
            }
            let bytes = stored
                .to_line_within(max)
                .ok_or_else(|| too_large("as a line of a segment"))?;
            let len = bytes.len() as u32;
            let open = match segment.take() {
                Some(open) if open.lines < per_file => open,
                _ => {
                    let name = next_name(last_key)?.as_segment();
                    last_key = Some(name.sort_key());
                    OpenSegment {
                        name,
                        end: 0,
                        lines: 0,
                        exists: false,
                    }
                }
            };
            plan.push(Planned::New {
                event: Box::new(stored),
                name: open.name.clone(),
                bytes,
                at: Some((open.end, len)),
                append: open.exists,
            });
            segment = Some(OpenSegment {
                end: open.end + u64::from(len),
                lines: open.lines + 1,
                ..open
            });
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::event::{EventMetadata, parse_instant};
    use crate::store::cache::KnownEvent;

    use super::*;

    const LAST: &str = "20260101000000000000-A.json";

    fn store(dir: &std::path::Path, max_event_size: usize) -> EventStore {
        let mut config = Config::new(dir);
        config.max_event_size = max_event_size;
        EventStore::open(config).expect("open")
    }

    fn key() -> AggKey {
        ("t".to_string(), "a".to_string())
    }

    /// An aggregate the store knows one event of: `e1`, version 1, in [`LAST`].
    fn one_event(dir: &std::path::Path) -> AggState {
        let mut state = AggState {
            dir: Some(dir.join("t").join("a")),
            ..AggState::default()
        };
        let name = FileName::parse(LAST).expect("a file name");
        state.listed.push((name, LAST.to_string()));
        state.entries.push(KnownEvent {
            name: LAST.to_string(),
            at: None,
            version: 1,
            event_id: "e1".to_string(),
            body: None,
        });
        state.ids.insert("e1".to_string(), 0);
        state
    }

    fn ev(id: &str, version: u64) -> Event {
        let mut metadata = EventMetadata::new("t", "a", id);
        metadata.aggregate_version = version;
        metadata.timestamp = parse_instant("2026-01-01T00:00:00Z");
        Event::new("A", metadata, "{}").expect("event")
    }

    fn new_steps(plan: &[Planned]) -> Vec<(u64, Option<String>, (u64, u16))> {
        plan.iter()
            .filter_map(|step| match step {
                Planned::New { event, name, .. } => Some((
                    event.metadata.aggregate_version,
                    event.metadata.previous_event_id.clone(),
                    name.sort_key(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn new_events_follow_the_last_known_one_in_version_id_and_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 1 << 20);
        let state = one_event(dir.path());
        let events = [ev("e2", 0), ev("e3", 3)];
        let plan = store
            .plan(&key(), &state, &events, &[0, 1], None, None)
            .expect("plan");
        let steps = new_steps(&plan);
        assert_eq!(steps[0].0, 2);
        assert_eq!(steps[0].1.as_deref(), Some("e1"));
        assert_eq!(steps[1].0, 3);
        assert_eq!(steps[1].1.as_deref(), Some("e2"));
        let last = state.last_key().expect("a listed file");
        assert!(last < steps[0].2 && steps[0].2 < steps[1].2);
    }

    #[test]
    fn a_retry_is_the_stored_event_and_a_repeat_within_the_batch_is_the_earlier_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 1 << 20);
        let state = one_event(dir.path());
        let events = [ev("e1", 0), ev("e2", 0), ev("e2", 0)];
        let plan = store
            .plan(&key(), &state, &events, &[0, 1, 2], None, None)
            .expect("plan");
        assert!(matches!(&plan[0], Planned::Stored(path, None) if path.ends_with(LAST)));
        assert!(matches!(&plan[1], Planned::New { .. }));
        assert!(matches!(&plan[2], Planned::SameAs(1)));
    }

    #[test]
    fn a_version_that_does_not_follow_is_a_conflict_naming_both_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 1 << 20);
        let state = one_event(dir.path());
        let err = store
            .plan(&key(), &state, &[ev("e5", 5)], &[0], None, None)
            .err()
            .expect("a conflict");
        assert!(matches!(
            err,
            Error::Conflict {
                expected_version: 4,
                actual_version: 1,
                ..
            }
        ));
    }

    #[test]
    fn new_names_sort_after_the_floor_a_batch_planned_in_the_same_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 1 << 20);
        let state = one_event(dir.path());
        let floor = FileName::parse("20270101000000000005-B.json")
            .expect("a file name")
            .sort_key();
        let plan = store
            .plan(&key(), &state, &[ev("e2", 0)], &[0], Some(floor), None)
            .expect("plan");
        assert!(new_steps(&plan)[0].2 > floor);
    }

    #[test]
    fn an_event_over_the_size_limit_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 64);
        let state = one_event(dir.path());
        let err = store
            .plan(&key(), &state, &[ev("e2", 0)], &[0], None, None)
            .err()
            .expect("too large");
        assert!(matches!(err, Error::InvalidEvent { .. }), "{err}");
        assert!(!dir.path().join("t").exists());
    }
}
