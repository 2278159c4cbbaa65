//! The store read in its global order (`crate::stream`): `read_all` pages by position,
//! subscriptions catch up and then follow what any process commits, named subscriptions
//! keep a durable checkpoint; and the indexed queries by correlation and user.
//!
//! Invariants:
//! - A subscription is one cursor into the stream log: catching up and following live are
//!   the same read, so nothing is skipped or repeated where one turns into the other. It
//!   holds no events beyond the page it returns: a slow consumer costs writers nothing.
//! - Under `durability = always` a reader returns only lines of the log's durable part
//!   (it syncs the log first when it grew): every event delivered, and its position,
//!   survives a power cut. Under `batch` and `none` a position delivered before the log
//!   was synced can, after a power cut, be given again to another event.
//! - A named subscription's checkpoint is written (durably, except under `none`) only
//!   after the log is durable up to it, and only for positions it delivered.

use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Durability;
use crate::error::{Error, NameKind, Result};
use crate::event::Event;
use crate::file::{self, Access};
use crate::index::Record;
use crate::layout;
use crate::stream::{Cursor, Line, LineEvent, LineId, STREAM_DIR, Watcher};

use super::EventStore;

/// Named subscriptions' checkpoints, under the stream's directory.
const SUBSCRIPTIONS_DIR: &str = "subscriptions";

/// An event with its place in the store's global order.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// Its position: strictly increasing in commit order across every process writing
    /// the store, never given to another event while the stream log lives.
    pub position: u64,
    /// The event.
    pub event: Event,
}

/// Which events a subscription delivers: all of those it names (an empty filter takes
/// every event).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFilter {
    /// Only these event types (none: every type).
    pub event_types: Vec<String>,
    /// Only events of this aggregate type.
    pub aggregate_type: Option<String>,
    /// Only events of this correlation id.
    pub correlation_id: Option<String>,
}

impl StreamFilter {
    /// Whether the event a line names may pass: exact for its type, a shortcut for the
    /// rest (a long id is a hash there, an old adapter's directory name may hide the
    /// type), which [`Self::admits`] settles on the event.
    fn may_admit(&self, e: &LineEvent) -> bool {
        if !self.event_types.is_empty() && !self.event_types.contains(&e.event_type) {
            return false;
        }
        if let Some(id) = &self.correlation_id
            && e.correlation.as_ref() != Some(&LineId::of(id))
        {
            return false;
        }
        if let Some(wanted) = &self.aggregate_type {
            let dir = e.rel.split('/').next().unwrap_or_default();
            if let Some(decoded) = layout::decode_component(dir) {
                return &decoded == wanted;
            }
        }
        true
    }

    /// Whether the event passes.
    pub fn admits(&self, event: &Event) -> bool {
        (self.event_types.is_empty() || self.event_types.contains(&event.event_type))
            && self
                .aggregate_type
                .as_ref()
                .is_none_or(|t| &event.metadata.aggregate_type == t)
            && self
                .correlation_id
                .as_ref()
                .is_none_or(|c| event.metadata.correlation_id.as_ref() == Some(c))
    }
}

/// Where a subscription starts (a named one: only when it has no checkpoint yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// With the first event of the store.
    Beginning,
    /// With the first event after this position.
    After(u64),
    /// With the first event committed after the subscription was made.
    Now,
}

/// A cursor into the store's global order that catches up, then follows new events
/// (in this process or another): read it with [`EventStore::poll`].
pub struct Subscription {
    name: Option<String>,
    filter: StreamFilter,
    cursor: Cursor,
    watcher: Watcher,
    stream_id: String,
    /// Whether the last read reached the end of the log.
    caught_up: bool,
    delivered: u64,
    acknowledged: u64,
    /// Held while a named subscription lives: one subscriber per name, across processes.
    _lock: Option<File>,
}

impl Subscription {
    /// Its name, if it is a named (checkpointed) one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The position of the last event delivered (or passed over by the filter); 0 before any.
    pub fn position(&self) -> u64 {
        self.delivered
    }

    /// The last position acknowledged (a named subscription resumes after it).
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged
    }
}

/// A named subscription's checkpoint file.
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    name: String,
    /// The stream log's id: a position counts only in the log that gave it.
    stream: String,
    position: u64,
}

impl EventStore {
    /// The id of the store's stream log: positions of another id (a lost and renumbered
    /// log) do not refer to the same events.
    pub fn stream_id(&self) -> Result<String> {
        self.index.stream().id()
    }

    /// The greatest position given to an event so far (0 in an empty store).
    pub fn last_position(&self) -> Result<u64> {
        self.index.stream().last_position()
    }

    fn stream_durable(&self) -> bool {
        self.config.durability == Durability::Always
    }

    /// Up to `limit` events whose position is at least `from`, in position order. The
    /// next page starts after the last one's position; an empty page is the end (for now).
    /// Costs what the page holds (the position is found by bisection).
    pub fn read_all(&self, from: u64, limit: usize) -> Result<Vec<StreamEvent>> {
        self.check_index()?;
        let stream = self.index.stream();
        let mut cursor = stream.seek(from)?;
        let mut out = Vec::new();
        while out.len() < limit {
            let page = stream.page(cursor, limit - out.len(), self.stream_durable())?;
            let start = cursor;
            out.extend(self.events_of(&page.lines, &StreamFilter::default(), start)?);
            cursor = page.cursor;
            if page.at_end {
                break;
            }
        }
        self.reveal_stream(out)
    }

    /// [`Self::reveal`] of stream events, positions kept.
    fn reveal_stream(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>> {
        let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
        let revealed = self.reveal(events.into_iter().map(|e| e.event).collect())?;
        Ok(positions
            .into_iter()
            .zip(revealed)
            .map(|(position, event)| StreamEvent { position, event })
            .collect())
    }

    /// The events `lines` name that `filter` admits, with their positions. A file gone
    /// meanwhile (a compaction moved it) is looked up again through the log from `start`.
    fn events_of(
        &self,
        lines: &[Line],
        filter: &StreamFilter,
        start: Cursor,
    ) -> Result<Vec<StreamEvent>> {
        let (events, gone) = self.read_lines_of(lines, filter)?;
        if !gone {
            return Ok(events);
        }
        let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
            return Ok(events);
        };
        let again = self
            .index
            .stream()
            .page(start, lines.len(), self.stream_durable())?;
        let lines: Vec<Line> = again
            .lines
            .into_iter()
            .filter(|l| l.position >= first.position && l.position <= last.position)
            .collect();
        Ok(self.read_lines_of(&lines, filter)?.0)
    }

    fn read_lines_of(
        &self,
        lines: &[Line],
        filter: &StreamFilter,
    ) -> Result<(Vec<StreamEvent>, bool)> {
        let candidates: Vec<(u64, &LineEvent)> = lines
            .iter()
            .filter_map(|l| l.event.as_ref().map(|e| (l.position, e)))
            .filter(|(_, e)| filter.may_admit(e))
            .collect();
        if candidates.is_empty() {
            return Ok((Vec::new(), false));
        }
        let records: Vec<Record> = candidates
            .iter()
            .map(|(_, e)| Record {
                time: None,
                bytes: e.bytes,
                rel: e.rel.clone(),
            })
            .collect();
        let (read, gone) = self.read_records(&records)?;
        let mut by_rel: std::collections::HashMap<String, Event> = read.into_iter().collect();
        let events = candidates
            .iter()
            .filter_map(|(position, e)| {
                by_rel.remove(&e.rel).map(|event| StreamEvent {
                    position: *position,
                    event,
                })
            })
            .filter(|e| filter.admits(&e.event))
            .collect();
        Ok((events, gone))
    }

    /// A subscription from `start` on, delivering the events `filter` admits.
    pub fn subscribe(&self, start: StartAt, filter: StreamFilter) -> Result<Subscription> {
        self.new_subscription(None, start, filter, None)
    }

    /// A named subscription: resumes after the last position acknowledged under `name`
    /// (see [`Self::acknowledge`]), or starts at `start` when there is none. One
    /// subscriber per name at a time, across processes: a second is refused while the
    /// first lives.
    pub fn subscribe_named(
        &self,
        name: &str,
        start: StartAt,
        filter: StreamFilter,
    ) -> Result<Subscription> {
        // Its lock and checkpoint are files: a store that never writes cannot keep them.
        self.check_writable()?;
        let (lock, checkpoint) = self.checkpoint_paths(name)?;
        let lock_file = file::open_beneath(&self.base, &lock, Access::WriteCreate, true)
            .map_err(|e| Error::io("open", &lock, e))?;
        match crate::file::FileLock::try_acquire(&lock_file) {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Unavailable {
                    reason: format!(
                        "subscription {name:?} is already running (in this or another process); close it first"
                    ),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &lock, e)),
        }
        let stream_id = self.stream_id()?;
        let start = match self.read_checkpoint(&checkpoint)? {
            Some(c) if c.stream == stream_id => StartAt::After(c.position),
            Some(c) => {
                log::warn!(
                    "{}: subscription {name:?} was at position {} of stream {}, which this store's \
                     stream log ({stream_id}) replaced: it starts again from the beginning",
                    self.base.display(),
                    c.position,
                    c.stream
                );
                StartAt::Beginning
            }
            None => start,
        };
        self.new_subscription(Some(name.to_string()), start, filter, Some(lock_file))
    }

    fn new_subscription(
        &self,
        name: Option<String>,
        start: StartAt,
        filter: StreamFilter,
        lock: Option<File>,
    ) -> Result<Subscription> {
        self.check_index()?;
        let stream = self.index.stream();
        let stream_id = stream.id()?;
        // Before the first read: an append after it wakes the first wait.
        let watcher = Watcher::new(stream)?;
        let after = match start {
            StartAt::Beginning => 0,
            StartAt::After(position) => position,
            StartAt::Now => stream.last_position()?,
        };
        Ok(Subscription {
            name,
            filter,
            cursor: stream.seek(after.saturating_add(1))?,
            watcher,
            stream_id,
            caught_up: false,
            delivered: after,
            acknowledged: after,
            _lock: lock,
        })
    }

    /// The next events of `subscription`, at most `max`, waiting up to `timeout` for one
    /// when it has caught up (woken by any process's commit, not by polling, on Linux).
    /// Empty: nothing new within `timeout`.
    pub fn poll(
        &self,
        subscription: &mut Subscription,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<StreamEvent>> {
        let deadline = Instant::now() + timeout;
        let stream = self.index.stream();
        loop {
            let start = subscription.cursor;
            let page = stream.page(start, max.max(1), self.stream_durable())?;
            let events = self.events_of(&page.lines, &subscription.filter, start)?;
            subscription.cursor = page.cursor;
            subscription.caught_up = page.at_end;
            if let Some(last) = page.lines.last() {
                subscription.delivered = last.position;
            }
            if !events.is_empty() {
                return self.reveal_stream(events);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(events);
            }
            if subscription.caught_up {
                subscription.watcher.wait(deadline - now)?;
            }
        }
    }

    /// Records that `subscription`'s consumer has handled every event up to `position`
    /// (at most the last delivered). A named subscription writes its checkpoint (synced,
    /// except under `durability = none`); a restart resumes after it.
    pub fn acknowledge(&self, subscription: &mut Subscription, position: u64) -> Result<()> {
        if position > subscription.delivered {
            return Err(Error::invalid_event(
                "position",
                format!(
                    "{position} was not delivered yet (the last delivered is {})",
                    subscription.delivered
                ),
            ));
        }
        if position <= subscription.acknowledged {
            return Ok(());
        }
        if let Some(name) = &subscription.name {
            let durable = self.config.durability != Durability::None;
            if durable && !self.stream_durable() {
                self.index.stream().sync()?;
            }
            let (_, path) = self.checkpoint_paths(name)?;
            let checkpoint = Checkpoint {
                name: name.clone(),
                stream: subscription.stream_id.clone(),
                position,
            };
            let mut bytes = serde_json::to_vec_pretty(&checkpoint).unwrap_or_default();
            bytes.push(b'\n');
            let rel = path
                .parent()
                .and_then(|p| p.strip_prefix(&self.base).ok())
                .unwrap_or(std::path::Path::new(STREAM_DIR))
                .to_path_buf();
            let dir = file::StoreDir::open(&self.base, &rel, true)
                .map_err(|e| Error::io("open", &path, e))?;
            let file_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            crate::io::replace(&*self.io, &dir, &file_name, &bytes, durable)
                .map_err(|e| Error::io("write checkpoint", &path, e))?;
        }
        subscription.acknowledged = position;
        Ok(())
    }

    /// The last position acknowledged under `name` (`None`: never, or in a stream log
    /// since replaced).
    pub fn subscription_checkpoint(&self, name: &str) -> Result<Option<u64>> {
        let (_, path) = self.checkpoint_paths(name)?;
        let id = self.stream_id()?;
        Ok(self
            .read_checkpoint(&path)?
            .filter(|c| c.stream == id)
            .map(|c| c.position))
    }

    /// The lock and checkpoint files of a subscription name.
    fn checkpoint_paths(&self, name: &str) -> Result<(PathBuf, PathBuf)> {
        let encoded = layout::encode_component(name);
        if name.is_empty() || encoded.len() > layout::MAX_ENCODED_COMPONENT - 8 {
            return Err(Error::InvalidName {
                kind: NameKind::Subscription,
                name: name.chars().take(80).collect(),
                reason: if name.is_empty() {
                    "must not be empty".to_string()
                } else {
                    "is too long".to_string()
                },
            });
        }
        let dir = self.base.join(STREAM_DIR).join(SUBSCRIPTIONS_DIR);
        Ok((
            dir.join(format!("{encoded}.lock")),
            dir.join(format!("{encoded}.json")),
        ))
    }

    fn read_checkpoint(&self, path: &std::path::Path) -> Result<Option<Checkpoint>> {
        match file::open_beneath(&self.base, path, Access::Read, false) {
            Ok(f) => {
                // A checkpoint is a few dozen bytes: a larger file is not one (never held).
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(f, 64 * 1024), &mut bytes)
                    .map_err(|e| Error::io("read", path, e))?;
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| Error::Corrupt {
                        path: path.to_path_buf(),
                        reason: format!("not a subscription checkpoint: {e}"),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// Every event of one `correlationId`, within `[start, end]` when given, ordered like
    /// [`Self::read_by_type`]. Reads that id's index log and its events' files only.
    pub fn read_by_correlation(
        &self,
        correlation_id: &str,
        range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<Event>> {
        self.check_index()?;
        self.query(
            || Ok(within(self.index.by_correlation(correlation_id)?, range)),
            |e| e.metadata.correlation_id.as_deref() == Some(correlation_id) && in_range(e, range),
        )
    }

    /// Every event of one `userId`, within `[start, end]` when given (see
    /// [`Self::read_by_correlation`]).
    pub fn read_by_user(
        &self,
        user_id: &str,
        range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<Event>> {
        self.check_index()?;
        self.query(
            || Ok(within(self.index.by_user(user_id)?, range)),
            |e| e.metadata.user_id.as_deref() == Some(user_id) && in_range(e, range),
        )
    }
}

/// The records whose time lies in the range (all without one).
fn within(records: Vec<Record>, range: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Vec<Record> {
    let Some((start, end)) = range else {
        return records;
    };
    let key = |t: &DateTime<Utc>| (t.timestamp(), t.timestamp_subsec_nanos());
    let (lo, hi) = (key(&start), key(&end));
    records
        .into_iter()
        .filter(|r| r.time.is_some_and(|t| t >= lo && t <= hi))
        .collect()
}

fn in_range(e: &Event, range: Option<(DateTime<Utc>, DateTime<Utc>)>) -> bool {
    range.is_none_or(|(start, end)| e.metadata.timestamp.is_some_and(|t| t >= start && t <= end))
}
