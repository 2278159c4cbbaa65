//! `compact`: single-event files rewritten into segments, the same events read before
//! and after, with writers going on meanwhile, and a compaction killed at random points
//! (a real child process, SIGKILL) leaving every event readable once, finished by the
//! next run.
//!
//! `EVENTSTORE_COMPACT_KILL_TRIALS` sets the kill trials (default 12).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytehot_eventstore::{Compaction, Config, Durability, Event, EventMetadata, EventStore};

use common::{Rng, assert_chain, data_tokens, ev, ev_with, meta, open_segmented, walk};

const CHILD_DIR: &str = "EVENTSTORE_TEST_COMPACT_DIR";
const CHILD_COMPRESSION: &str = "EVENTSTORE_TEST_COMPACT_COMPRESSION";

fn open(base: &Path, per_file: u32) -> EventStore {
    open_segmented(base, per_file, false)
}

/// Seeds `aggregates` aggregates of `events` events each, one file per event.
fn seed(base: &Path, aggregates: usize, events: usize) {
    let store = open(base, 1);
    for i in 0..events {
        let batch: Vec<Event> = (0..aggregates)
            .map(|a| {
                let data = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "p".repeat(200));
                ev_with(
                    meta("agg", &format!("a{a:02}"), &format!("{a}-{i}")),
                    "Seeded",
                    &data,
                )
            })
            .collect();
        store.append_batch(batch).unwrap();
    }
    store.close().unwrap();
}

/// An event as a reader sees it: type, metadata, and `eventData` token for token (a
/// segment's line holds it without the file's indentation).
type Seen = (String, EventMetadata, String);

fn seen(events: Vec<Event>) -> Vec<Seen> {
    events
        .into_iter()
        .map(|e| {
            let data = data_tokens(&e);
            (e.event_type, e.metadata, data)
        })
        .collect()
}

/// Everything a reader can see: each aggregate's events, the events by type, the count.
fn snapshot(store: &EventStore) -> (BTreeMap<String, Vec<Seen>>, Vec<Seen>, u64) {
    let mut aggregates = BTreeMap::new();
    for id in store.aggregate_ids("agg").unwrap() {
        let events = store.read_aggregate("agg", &id, 0).unwrap();
        assert_chain(&events);
        aggregates.insert(id, seen(events));
    }
    (
        aggregates,
        seen(store.read_by_type("Seeded").unwrap()),
        store.total_event_count().unwrap(),
    )
}

fn files(base: &Path, suffix: &str) -> usize {
    walk(base)
        .iter()
        .filter(|p| {
            let p = p.to_string_lossy();
            p.ends_with(suffix)
                && !p.contains("/.")
                && !p.starts_with('.')
                && !p.starts_with("metadata")
        })
        .count()
}

#[test]
fn compact_rewrites_single_event_files_into_full_segments_and_reads_the_same_events() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 3, 25);
    let before = snapshot(&open(&base, 1));
    let store = open(&base, 10);
    let done = store.compact().unwrap();
    assert_eq!((done.files_merged, done.segments_written), (75, 9));
    assert_eq!(files(&base, ".json"), 0);
    assert_eq!(files(&base, ".jsonl"), 9);
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    assert_eq!(
        store.compact().unwrap(),
        Compaction::default(),
        "idempotent"
    );
    store.close().unwrap();
    assert_eq!(snapshot(&open(&base, 10)), before);
    // New saves go on after the compacted history, into the last (open) segment.
    let store = open(&base, 10);
    let next = store.append(ev("agg", "a00", "after")).unwrap();
    assert_eq!(next.metadata.aggregate_version, 26);
    assert_eq!(files(&base, ".jsonl"), 9);
}

#[test]
fn with_one_event_per_file_compact_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 2, 5);
    let store = open(&base, 1);
    assert_eq!(store.compact().unwrap(), Compaction::default());
    assert_eq!(files(&base, ".json"), 10);
}

#[test]
fn compacting_one_aggregate_leaves_the_others_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 2, 6);
    let store = open(&base, 100);
    let done = store.compact_aggregate("agg", "a01").unwrap();
    assert_eq!((done.files_merged, done.segments_written), (6, 1));
    assert_eq!(files(&base.join("agg").join("a00"), ".json"), 6);
    assert_eq!(files(&base.join("agg").join("a01"), ".jsonl"), 1);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn writers_and_readers_go_on_while_compact_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 4, 40);
    let store = open(&base, 16);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for i in 0..200 {
                store
                    .append(ev("agg", &format!("a{:02}", i % 4), &format!("w{i}")))
                    .unwrap();
            }
        });
        let reader = scope.spawn(|| {
            for i in 0..200 {
                let events = store
                    .read_aggregate("agg", &format!("a{:02}", i % 4), 0)
                    .unwrap();
                assert_chain(&events);
            }
        });
        for _ in 0..5 {
            store.compact().unwrap();
        }
        writer.join().unwrap();
        reader.join().unwrap();
    });
    store.compact().unwrap();
    for a in 0..4 {
        let events = store.read_aggregate("agg", &format!("a{a:02}"), 0).unwrap();
        assert_eq!(events.len(), 90);
        assert_chain(&events);
    }
    assert_eq!(store.total_event_count().unwrap(), 360);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

/// The compacting role, run in a child process: compact until done, then wait to be
/// killed (so a kill never lands after a clean close).
#[test]
fn compact_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let compression = std::env::var(CHILD_COMPRESSION).is_ok();
    let store = open_segmented(Path::new(&dir), 8, compression);
    store.compact().unwrap();
    println!("done");
    std::thread::sleep(Duration::from_secs(3600));
}

#[test]
fn a_compaction_killed_at_any_point_loses_and_duplicates_nothing_and_the_next_one_finishes() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let trials: u64 = std::env::var("EVENTSTORE_COMPACT_KILL_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(12);
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut interrupted = 0;
    for trial in 0..trials {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("eventstore");
        seed(&base, 12, 20);
        let before = snapshot(&open(&base, 1));
        // Every other trial with compression: full runs are written compressed.
        let compression = trial % 2 == 1;
        let mut command = Command::new(std::env::current_exe().unwrap());
        if compression {
            command.env(CHILD_COMPRESSION, "1");
        }
        let mut child = command
            .args([
                "--exact",
                "compact_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, &base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let store = open_segmented(&base, 8, compression);
        assert_eq!(snapshot(&store), before, "trial {trial}: after the kill");
        let problems = store.verify().unwrap();
        if !problems.is_empty() {
            interrupted += 1;
        }
        assert!(
            problems.iter().all(|p| p.contains("interrupted compact")),
            "trial {trial}: {problems:?}"
        );
        store.compact().unwrap();
        assert_eq!(
            snapshot(&store),
            before,
            "trial {trial}: after the next compact"
        );
        assert_eq!(
            store.verify().unwrap(),
            Vec::<String>::new(),
            "trial {trial}"
        );
        assert_eq!(files(&base, ".json"), 0, "trial {trial}");
        store.close().unwrap();
        // The index the next open rebuilds from the files agrees too.
        std::fs::remove_file(base.join(".index").join("format")).unwrap();
        let rebuilt = open_segmented(&base, 8, compression);
        assert_eq!(snapshot(&rebuilt), before, "trial {trial}: after a rebuild");
    }
    println!("compact kill test: {trials} trials, {interrupted} left copies for the next run");
}

/// Seeds `agg/a00` with three single-event files; returns the store's base and the path
/// and bytes of the second file.
fn three_files(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let base = tmp.join("eventstore");
    seed(&base, 1, 3);
    let dir = base.join("agg").join("a00");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let second = names[1].clone();
    let bytes = std::fs::read(&second).unwrap();
    (base, second, bytes)
}

#[test]
fn a_rebuilt_index_names_an_event_a_killed_compact_left_twice_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, second, bytes) = three_files(tmp.path());
    let store = open(&base, 2);
    store.compact().unwrap();
    store.close().unwrap();
    // As if the kill came before the file was removed; then the index is rebuilt.
    std::fs::write(&second, bytes).unwrap();
    std::fs::remove_file(base.join(".index").join("format")).unwrap();
    let store = open(&base, 2);
    assert_eq!(store.read_by_type("Seeded").unwrap().len(), 3);
    assert_eq!(store.total_event_count().unwrap(), 3);
}

#[test]
fn a_store_whose_view_of_the_files_compact_replaced_reads_every_event() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, second, bytes) = three_files(tmp.path());
    // No event cache: the view's names are all it has.
    let mut config = Config::new(&base).durability(Durability::None);
    config.event_cache_bytes = 0;
    let viewer = EventStore::open(config).unwrap();
    assert_eq!(viewer.read_aggregate("agg", "a00", 0).unwrap().len(), 3);
    let compactor = open(&base, 2);
    compactor.compact().unwrap();
    // A kill between removing the first file of the run and the second.
    std::fs::write(&second, bytes).unwrap();
    let events = viewer.read_aggregate("agg", "a00", 0).unwrap();
    assert_eq!(events.len(), 3);
    assert_chain(&events);
}

#[test]
fn queries_running_beside_compact_return_every_event_once() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 6, 30);
    let store = open(&base, 4);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut queries = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || queries == 0 {
                let events = store.read_by_type("Seeded").unwrap();
                let ids: std::collections::HashSet<_> =
                    events.iter().map(|e| e.metadata.event_id.clone()).collect();
                assert_eq!((events.len(), ids.len()), (180, 180), "query {queries}");
                queries += 1;
            }
        });
        for a in 0..6 {
            store.compact_aggregate("agg", &format!("a{a:02}")).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap();
    });
    assert_eq!(files(&base, ".json"), 0);
}
