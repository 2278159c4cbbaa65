//! Retention (`cleanup.max-age-days`, `cleanup.max-total-size-mb`): an aggregate loses a
//! prefix of its files, never its last one, keeps its version numbers and goes on after
//! them; the index, `verify`, another store's cached view, backups and a kill at any point
//! of the cleanup all agree with what is left.
//!
//! `EVENTSTORE_CLEANUP_KILL_TRIALS` sets the kill trials (default 8).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytehot_eventstore::{CLEANUP_LOG, Config, Durability, Event, EventStore};
use common::*;

const NOW: &str = "2026-12-01T00:00:00Z";
const CHILD_DIR: &str = "EVENTSTORE_TEST_CLEANUP_DIR";

fn config(base: &Path) -> Config {
    Config::new(base).durability(Durability::None)
}

fn with_age(base: &Path, days: u32) -> Config {
    let mut c = config(base);
    c.cleanup_max_age_days = Some(days);
    c
}

fn open_at(config: Config) -> EventStore {
    EventStore::open_with_clock(config, ScriptedClock::fixed(at(NOW))).unwrap()
}

/// An event of `type/id` stamped `days` before [`NOW`], with `pad` bytes of data.
fn aged(aggregate_type: &str, id: &str, event_id: &str, days: i64, pad: usize) -> Event {
    let mut m = meta(aggregate_type, id, event_id);
    m.timestamp = Some(at(NOW) - chrono::Duration::days(days));
    ev_with(m, "Aged", &format!("{{\"pad\":\"{}\"}}", "p".repeat(pad)))
}

fn ids(store: &EventStore, aggregate_type: &str, id: &str) -> Vec<String> {
    store
        .read_aggregate(aggregate_type, id, 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect()
}

fn versions(store: &EventStore, aggregate_type: &str, id: &str) -> Vec<u64> {
    store
        .read_aggregate(aggregate_type, id, 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.aggregate_version)
        .collect()
}

/// `a`: five events 100 days old, then two of today; `b`: three events 100 days old.
fn seed(base: &Path) {
    let store = open_at(config(base));
    for n in 0..5 {
        store
            .append(aged("agg", "a", &format!("a{n}"), 100 - n, 10))
            .unwrap();
    }
    for n in 5..7 {
        store
            .append(aged("agg", "a", &format!("a{n}"), 0, 10))
            .unwrap();
    }
    for n in 0..3 {
        store
            .append(aged("agg", "b", &format!("b{n}"), 100, 10))
            .unwrap();
    }
    store.close().unwrap();
}

#[test]
fn events_older_than_the_age_go_and_each_aggregate_keeps_its_versions_and_last_event() {
    let t = TempStore::new();
    seed(&t.base);
    // The open cleans up; a run right after finds nothing left to do.
    let store = open_at(with_age(&t.base, 30));
    assert_eq!(store.cleanup(false).unwrap().events_removed, 0);
    assert_eq!(ids(&store, "agg", "a"), ["a5", "a6"]);
    assert_eq!(versions(&store, "agg", "a"), [6, 7]);
    assert_eq!(store.current_version("agg", "a").unwrap(), 7);
    // b keeps its last event, whatever its age.
    assert_eq!(ids(&store, "agg", "b"), ["b2"]);
    assert_eq!(store.current_version("agg", "b").unwrap(), 3);
    assert_eq!(store.read_aggregate("agg", "a", 6).unwrap().len(), 1);
    // Saves go on after the versions kept, naming the last event as before.
    let next = store.append(aged("agg", "b", "b3", 0, 10)).unwrap();
    assert_eq!(next.metadata.aggregate_version, 4);
    assert_eq!(next.metadata.previous_event_id.as_deref(), Some("b2"));
    let by_type: Vec<String> = store
        .read_by_type("Aged")
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect();
    assert_eq!(by_type.len(), 4, "{by_type:?}");
    assert_eq!(store.total_event_count().unwrap(), 4);
    assert!(store.verify().unwrap().is_empty());
    store.close().unwrap();

    let log = std::fs::read_to_string(t.base.join("metadata").join(CLEANUP_LOG)).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .any(|l| l["aggregateId"] == "a" && l["throughVersion"] == 5)
    );
    assert!(lines.iter().all(|l| l["reason"] == "cleanup.max-age-days"));

    // A new store sees the same after a reopen; so does a restored backup.
    let store = open_at(config(&t.base));
    assert_eq!(versions(&store, "agg", "a"), [6, 7]);
    let backup = t.tmp.path().join("backup");
    store.backup(&backup, None).unwrap();
    store.close().unwrap();
    let restored = t.tmp.path().join("restored");
    EventStore::restore(&backup, &restored, false).unwrap();
    let copy = open_at(config(&restored));
    assert_eq!(versions(&copy, "agg", "b"), [3, 4]);
}

#[test]
fn a_dry_run_changes_nothing_and_says_what_would_go() {
    let t = TempStore::new();
    seed(&t.base);
    let store = open_at(config(&t.base));
    let mut c = with_age(&t.base, 30);
    c.read_only = true;
    let reader = open_at(c);
    let dry = reader.cleanup(true).unwrap();
    assert!(dry.dry_run);
    assert_eq!(
        (dry.aggregates, dry.events_removed, dry.files_removed),
        (2, 7, 7)
    );
    assert_eq!(versions(&store, "agg", "a"), [1, 2, 3, 4, 5, 6, 7]);
    assert!(!t.base.join("metadata").join(CLEANUP_LOG).exists());
}

#[test]
fn the_size_limit_removes_the_oldest_events_of_the_whole_store_first() {
    let t = TempStore::new();
    let store = open_at(config(&t.base));
    // 3 aggregates of 4 events of about 300 KiB, stamped round-robin: x is oldest.
    for n in 0..4 {
        for (k, id) in ["x", "y", "z"].iter().enumerate() {
            let days = 100 - (n * 3 + k as i64);
            store
                .append(aged("agg", id, &format!("{id}{n}"), days, 300 * 1024))
                .unwrap();
        }
    }
    store.close().unwrap();
    let mut c = config(&t.base);
    c.cleanup_max_total_size_mb = Some(1);
    let store = open_at(c);
    // 12 events of ~300 KiB: 9 must go for 1 MiB, the most that may (each keeps its last).
    let report = store.cleanup(false).unwrap();
    assert_eq!(
        report.events_removed, 0,
        "the open did the work: {report:?}"
    );
    assert_eq!(ids(&store, "agg", "x"), ["x3"]);
    assert_eq!(ids(&store, "agg", "y"), ["y3"]);
    assert_eq!(ids(&store, "agg", "z"), ["z3"]);
    let stats = store.statistics().unwrap();
    assert_eq!(stats.total_events, 3);
    assert!(stats.total_bytes <= 1024 * 1024);

    // A limit three events cannot meet: every aggregate down to its last, and said so.
    let t = TempStore::new();
    let store = open_at(config(&t.base));
    for n in 0..3 {
        store
            .append(aged("agg", "w", &format!("w{n}"), 10, 1536 * 1024))
            .unwrap();
    }
    store.close().unwrap();
    let mut c = config(&t.base);
    c.cleanup_max_total_size_mb = Some(1);
    let limited = open_at(c);
    assert_eq!(ids(&limited, "agg", "w"), ["w2"]);
    let again = limited.cleanup(true).unwrap();
    assert!(again.over_size_limit, "{again:?}");
}

#[test]
fn segments_go_whole_or_not_at_all() {
    let t = TempStore::new();
    let store = EventStore::open_with_clock(
        config(&t.base).max_events_per_file(3),
        ScriptedClock::fixed(at(NOW)),
    )
    .unwrap();
    // Versions 1-3 old, 4 old, 5 new, 6-7 new: the segment of 4-6 holds a new event.
    for n in 0..7 {
        let days = if n < 4 { 100 } else { 0 };
        store
            .append(aged("agg", "s", &format!("s{n}"), days, 10))
            .unwrap();
    }
    store.close().unwrap();
    let store = open_at(with_age(&t.base, 30).max_events_per_file(3));
    assert_eq!(versions(&store, "agg", "s"), [4, 5, 6, 7]);
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn another_store_with_the_aggregate_cached_reads_what_is_left_and_saves_after_it() {
    let t = TempStore::new();
    seed(&t.base);
    let other = open_at(config(&t.base));
    assert_eq!(versions(&other, "agg", "a").len(), 7);
    let cleaner = open_at(with_age(&t.base, 30));
    assert_eq!(versions(&cleaner, "agg", "a"), [6, 7]);
    assert_eq!(versions(&other, "agg", "a"), [6, 7]);
    let saved = other.append(aged("agg", "a", "a7", 0, 10)).unwrap();
    assert_eq!(saved.metadata.aggregate_version, 8);
    assert_eq!(versions(&cleaner, "agg", "a"), [6, 7, 8]);
}

#[test]
fn with_backups_enabled_the_removed_events_are_in_a_backup_first() {
    let t = TempStore::new();
    seed(&t.base);
    let mut c = with_age(&t.base, 30);
    c.backup_enabled = true;
    c.backup_path = Some(t.tmp.path().join("backups"));
    let store = open_at(c);
    assert_eq!(versions(&store, "agg", "a"), [6, 7]);
    store.close().unwrap();
    let mut generations: Vec<_> = std::fs::read_dir(t.tmp.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    generations.sort();
    let restored = t.tmp.path().join("before-cleanup");
    EventStore::restore(&generations[0], &restored, false).unwrap();
    let copy = open_at(config(&restored));
    assert_eq!(versions(&copy, "agg", "a"), [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn the_daily_cleanup_runs_while_the_store_is_open() {
    let t = TempStore::new();
    let mut c = with_age(&t.base, 30);
    c.cleanup_interval = Duration::from_millis(100);
    let clock = ScriptedClock::fixed(at(NOW));
    let store = EventStore::open_with_clock(c, clock).unwrap();
    for n in 0..3 {
        store
            .append(aged("agg", "d", &format!("d{n}"), 100, 10))
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while versions(&store, "agg", "d").len() > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(versions(&store, "agg", "d"), [3]);
    store.close().unwrap();
}

/// The child: opens with the retention set, which cleans up at open, until killed.
#[test]
fn cleanup_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let store = open_at(with_age(Path::new(&dir), 30));
    store.close().unwrap();
}

#[test]
fn a_cleanup_killed_at_a_random_point_leaves_each_aggregate_a_suffix_and_the_next_run_finishes() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let trials: u64 = std::env::var("EVENTSTORE_CLEANUP_KILL_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(8);
    let mut rng = Rng(0x853c_49e6_748f_ea9b);
    for trial in 0..trials {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("eventstore");
        let store = open_at(config(&base));
        let mut all: Vec<Vec<String>> = Vec::new();
        for a in 0..20 {
            let id = format!("k{a}");
            let batch: Vec<Event> = (0..30)
                .map(|n| {
                    aged(
                        "agg",
                        &id,
                        &format!("{id}-{n}"),
                        if n < 25 { 100 } else { 0 },
                        300,
                    )
                })
                .collect();
            all.push(batch.iter().map(|e| e.metadata.event_id.clone()).collect());
            store.append_batch(batch).unwrap();
        }
        store.close().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "cleanup_child", "--test-threads=1"])
            .env(CHILD_DIR, &base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(600)));
        let _ = child.kill();
        child.wait().unwrap();

        let store = open_at(config(&base));
        assert!(
            store.verify().unwrap().is_empty(),
            "trial {trial}: {:?}",
            store.verify()
        );
        let mut readable = 0;
        for (a, expected) in all.iter().enumerate() {
            let kept = ids(&store, "agg", &format!("k{a}"));
            assert!(
                kept.len() == 30 || kept.len() == 5,
                "trial {trial}: k{a} kept {}",
                kept.len()
            );
            assert_eq!(kept[..], expected[30 - kept.len()..], "trial {trial}: k{a}");
            readable += kept.len();
        }
        assert_eq!(
            store.read_by_type("Aged").unwrap().len(),
            readable,
            "trial {trial}"
        );
        store.close().unwrap();
        let store = open_at(with_age(&base, 30));
        for (a, expected) in all.iter().enumerate() {
            assert_eq!(ids(&store, "agg", &format!("k{a}"))[..], expected[25..]);
        }
        assert_eq!(store.read_by_type("Aged").unwrap().len(), 100);
        assert!(store.verify().unwrap().is_empty());
        let leftovers: Vec<_> = walk(&base)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| p.starts_with("agg"))
            .collect();
        assert_eq!(
            leftovers.len(),
            100,
            "trial {trial}: files left: {leftovers:?}"
        );
    }
}

/// `a`: 20 events (so it has `.ids`), the first 10 of them 100 days old.
fn seed_large(base: &Path) {
    let store = open_at(config(base));
    for n in 0..20 {
        let days = if n < 10 { 100 } else { 0 };
        store
            .append(aged("agg", "a", &format!("a{n}"), days, 10))
            .unwrap();
    }
    store.close().unwrap();
}

#[test]
fn a_cleanup_that_fails_after_its_truncation_is_seen_by_cached_views_and_finished_by_the_next_run()
{
    use bytehot_eventstore::{Call, Fault, FaultyIo};
    use std::sync::Arc;
    // Where the truncation's directory sync falls: counted on an identical store.
    let count_dir_syncs = |base: &Path, fail_at: u64| {
        let io = Arc::new(FaultyIo::on(Call::SyncDir, fail_at, Fault::Errno(5)));
        let store =
            EventStore::open_with(config(base), ScriptedClock::fixed(at(NOW)), io.clone()).unwrap();
        let opened = io.calls().iter().filter(|c| **c == Call::SyncDir).count() as u64;
        (store, io, opened)
    };
    let probe = TempStore::new();
    seed_large(&probe.base);
    let (store, io, opened) = count_dir_syncs(&probe.base, 0);
    store.cleanup_with(Some(30), None, false).unwrap();
    let syncs: Vec<u64> = io
        .calls()
        .iter()
        .filter(|c| **c == Call::SyncDir)
        .enumerate()
        .map(|(n, _)| n as u64 + 1)
        .collect();
    assert!(syncs.len() as u64 >= opened + 2);
    drop(store);

    let t = TempStore::new();
    seed_large(&t.base);
    let cached = open_at(config(&t.base));
    assert_eq!(versions(&cached, "agg", "a").len(), 20);
    // The cleanup's first directory sync is its mark of the run, the second the one
    // after `.truncated` is renamed into place: that one fails.
    let (cleaner, _, _) = count_dir_syncs(&t.base, opened + 2);
    assert!(cleaner.cleanup_with(Some(30), None, false).is_err());
    assert!(t.base.join("agg").join("a").join(".truncated").exists());
    // The store that had the whole aggregate cached serves what is kept, not the rest.
    assert_eq!(
        versions(&cached, "agg", "a"),
        (11..=20).collect::<Vec<u64>>()
    );
    drop(cleaner);

    // The next run, in a store of this (live) process, finishes the job: files gone,
    // their index lines too, nothing left for verify to find.
    let next = open_at(config(&t.base));
    next.cleanup_with(Some(30), None, false).unwrap();
    assert_eq!(next.read_by_type("Aged").unwrap().len(), 10);
    assert!(next.verify().unwrap().is_empty(), "{:?}", next.verify());
    assert_eq!(event_file_names(&t.base.join("agg").join("a")).len(), 10);
    assert_eq!(
        versions(&cached, "agg", "a"),
        (11..=20).collect::<Vec<u64>>()
    );
}

#[test]
fn an_import_of_an_older_export_does_not_bring_back_what_a_cleanup_removed() {
    let t = TempStore::new();
    seed(&t.base);
    let mut export = Vec::new();
    open_at(config(&t.base))
        .export(&Default::default(), &mut export)
        .unwrap();
    let store = open_at(with_age(&t.base, 30));
    assert_eq!(versions(&store, "agg", "a"), [6, 7]);
    for renumber in [false, true] {
        let report = store
            .import(&mut export.as_slice(), renumber, |_| {})
            .unwrap();
        assert_eq!((report.imported, report.skipped), (0, 10), "{report:?}");
    }
    assert_eq!(versions(&store, "agg", "a"), [6, 7]);
}

#[test]
fn an_aggregate_with_a_snapshot_loses_only_events_before_the_snapshot_version() {
    let t = TempStore::new();
    seed(&t.base);
    // a: versions 1-5 are 96-100 days old; its snapshot at version 3 covers 1-2 only.
    let store = open_at(config(&t.base));
    let third = store.read_aggregate("agg", "a", 2).unwrap().remove(0);
    store
        .save_snapshot("agg", "a", 3, r#"{"total":3}"#)
        .unwrap();
    assert_eq!(third.metadata.aggregate_version, 3);
    store.close().unwrap();

    let store = open_at(with_age(&t.base, 30));
    assert_eq!(versions(&store, "agg", "a"), [3, 4, 5, 6, 7]);
    // b has no snapshot: age alone decides, as before.
    assert_eq!(ids(&store, "agg", "b"), ["b2"]);
    // The snapshot is still valid: its event is kept.
    assert_eq!(
        store
            .load_latest_snapshot("agg", "a")
            .unwrap()
            .map(|s| s.version),
        Some(3)
    );
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn with_require_snapshot_an_aggregate_without_one_loses_nothing() {
    let t = TempStore::new();
    seed(&t.base);
    let store = open_at(config(&t.base));
    store.save_snapshot("agg", "b", 2, r#"{"n":2}"#).unwrap();
    store.close().unwrap();

    let mut c = with_age(&t.base, 30);
    c.cleanup_require_snapshot = true;
    let store = open_at(c);
    assert_eq!(versions(&store, "agg", "a"), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(ids(&store, "agg", "b"), ["b1", "b2"]);
    let dry = store.cleanup(true).unwrap();
    assert_eq!(dry.events_removed, 0);
}
