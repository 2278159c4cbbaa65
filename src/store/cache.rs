//! What a store keeps in memory: per aggregate, the names, versions and ids of its events
//! (checked against its directory on every use), and a bounded cache of parsed events.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::event::Event;
use crate::file::lock;
use crate::layout::FileName;

use super::EventStore;

pub(super) type AggKey = (String, String);

/// Aggregates whose names and versions a store keeps in memory; beyond this the idle
/// ones are dropped (and re-read from their directory when used again: a listing and,
/// for an aggregate without `.ids`, a parse of each of its files).
pub(super) const MAX_CACHED_AGGREGATES: usize = 16_384;

/// Known events (a name, a version and an id each: a few hundred bytes) over all cached
/// aggregates beyond which the idle aggregates are dropped too: the count of aggregates
/// alone would let a store of large aggregates hold far more memory.
pub(super) const MAX_CACHED_ENTRIES: usize = 262_144;

/// New aggregates between two checks of the cache's size.
pub(super) const CACHE_CHECK_EVERY: usize = 1024;

#[derive(Debug, Clone)]
pub(super) struct KnownEvent {
    /// The file holding it: its own, or a segment.
    pub(super) name: String,
    /// In a segment: its line's offset and length (newline included).
    pub(super) at: Option<(u64, u32)>,
    pub(super) version: u64,
    pub(super) event_id: String,
    /// The parsed event, while the event cache holds it.
    pub(super) body: Option<Arc<Cached>>,
}

/// A parsed event in the event cache. Event files never change once written, so a copy
/// stays right for as long as its name is in the aggregate's (re-checked) listing.
#[derive(Debug)]
pub(super) struct Cached {
    pub(super) event: Event,
    pub(super) size: usize,
    pub(super) account: Arc<AtomicUsize>,
}

impl Drop for Cached {
    fn drop(&mut self) {
        self.account.fetch_sub(self.size, Ordering::Relaxed);
    }
}

/// What the store knows of one aggregate directory, checked against it on every use.
#[derive(Debug, Default)]
pub(super) struct AggState {
    pub(super) dir: Option<PathBuf>,
    /// True for a directory named the way ByteHot's old adapter named it: it may hold
    /// events of colliding ids, so events are matched by their metadata, not the path.
    pub(super) legacy: bool,
    /// Every event file name in the directory, sorted.
    pub(super) listed: Vec<(FileName, String)>,
    /// This aggregate's events, in version order.
    pub(super) entries: Vec<KnownEvent>,
    pub(super) ids: HashMap<String, usize>,
    /// `.ids` (inode, bytes) as far as `entries` reflects it; `None`: not in step.
    pub(super) ids_file: Option<(u64, u64)>,
    /// When the last listed file is a segment: how far it has been read.
    pub(super) tail: Option<SegmentTail>,
    /// Single-event files (and their event ids) whose event a segment holds too (a
    /// `compact` cut short).
    pub(super) superseded: Vec<(String, String)>,
    /// The version and id of the last event a cleanup removed (`.truncated`): the first
    /// event kept follows it. 0 and `None` for an aggregate no cleanup touched.
    pub(super) base: u64,
    pub(super) base_event_id: Option<String>,
}

/// How much of an aggregate's last segment a store has read: the bytes of its complete
/// lines and how many events they are. What follows is either lines another writer
/// appended since (read at the next refresh) or a torn line (a crash in mid-append,
/// never served; the next writer sets it aside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SegmentTail {
    pub(super) end: u64,
    pub(super) lines: u32,
    /// Bytes after `end` when it was read: a torn line, if no writer appended since.
    pub(super) torn: u64,
}

impl AggState {
    pub(super) fn current_version(&self) -> u64 {
        self.entries.last().map_or(self.base, |e| e.version)
    }

    pub(super) fn last_event_id(&self) -> Option<&str> {
        self.entries
            .last()
            .map(|e| e.event_id.as_str())
            .or(self.base_event_id.as_deref())
    }

    /// Whether a segment is among the files listed (such a directory has no `.ids`).
    pub(super) fn has_segments(&self) -> bool {
        self.listed.iter().any(|(name, _)| name.segment)
    }

    pub(super) fn last_key(&self) -> Option<(u64, u16)> {
        self.listed.last().map(|(n, _)| n.sort_key())
    }
}

impl EventStore {
    pub(super) fn state(&self, key: &AggKey) -> Arc<Mutex<AggState>> {
        let mut aggregates = lock(&self.aggregates);
        // Checked every so many new aggregates, not at every insert: a batch that holds
        // thousands of aggregates at once must not pay for a check per aggregate.
        if !aggregates.is_empty()
            && aggregates.len().is_multiple_of(CACHE_CHECK_EVERY)
            && !aggregates.contains_key(key)
        {
            let full = aggregates.len() >= MAX_CACHED_AGGREGATES
                || aggregates
                    .values()
                    .map(|s| s.try_lock().map_or(0, |s| s.entries.len()))
                    .sum::<usize>()
                    > MAX_CACHED_ENTRIES;
            // The cache is only a shortcut (it is re-checked against the directory on every
            // use), so idle entries can go at any time; one in use is shared and stays.
            if full {
                aggregates.retain(|_, state| Arc::strong_count(state) > 1);
            }
        }
        aggregates.entry(key.clone()).or_default().clone()
    }

    /// Bytes of parsed events the event cache holds now (at most about
    /// [`crate::Config::event_cache_bytes`] once a read or save returns).
    pub fn cached_event_bytes(&self) -> usize {
        self.cached_bytes.load(Ordering::Relaxed)
    }

    /// A copy for the event cache, when it has a budget (the caller trims it after).
    pub(super) fn cache(&self, event: Event, size: usize) -> Option<Arc<Cached>> {
        let budget = self.config.event_cache_bytes;
        // One huge event must not push out everything else.
        if size > budget / 8 {
            return None;
        }
        self.cached_bytes.fetch_add(size, Ordering::Relaxed);
        Some(Arc::new(Cached {
            event,
            size,
            account: self.cached_bytes.clone(),
        }))
    }

    /// Over budget: drops the cached events of idle aggregates, in no particular order,
    /// until half the budget is free (so that trimming is rare, not per read).
    pub(super) fn trim_cache(&self) {
        let budget = self.config.event_cache_bytes;
        if self.cached_bytes.load(Ordering::Relaxed) <= budget {
            return;
        }
        let states: Vec<Arc<Mutex<AggState>>> = lock(&self.aggregates).values().cloned().collect();
        for state in states {
            if self.cached_bytes.load(Ordering::Relaxed) <= budget / 2 {
                break;
            }
            if let Ok(mut state) = state.try_lock() {
                for entry in &mut state.entries {
                    entry.body = None;
                }
            }
        }
    }
}
