//! The index under `.index/`: queries and counts agree with the event files, opening a
//! store reads no event file, a dead writer's journal repairs exactly its index lines,
//! and what no journal accounts for (a lost index, a reboot under `none`) is rebuilt.

mod common;

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;

use bytehot_eventstore::{Event, EventStore, parse_instant};
use common::{DEAD_PID, OTHER_BOOT, TempStore, dead_journal_path, meta};

const TYPES: [&str; 3] = [
    "ClassFileChanged",
    "HotSwapRequested",
    "ClassRedefinitionSucceeded",
];

/// Event `i`: type `TYPES[i % 3]`, aggregate `i % 7`, stamped `2026-01-01T00:00:00Z + i s`
/// (so the events span several index minutes).
fn append_numbered(store: &EventStore, range: std::ops::Range<u64>) {
    for i in range {
        let mut m = meta("hotswap", &format!("agg-{}", i % 7), &format!("e{i}"));
        let t =
            parse_instant("2026-01-01T00:00:00Z").unwrap() + chrono::Duration::seconds(i as i64);
        m.timestamp = Some(t);
        store
            .append(Event::new(TYPES[(i % 3) as usize], m, &format!("{{\"i\":{i}}}")).unwrap())
            .unwrap();
    }
}

fn ids(events: Vec<bytehot_eventstore::Event>) -> Vec<String> {
    events.into_iter().map(|e| e.metadata.event_id).collect()
}

fn expected_by_type(n: u64, t: usize) -> Vec<String> {
    (0..n)
        .filter(|i| i % 3 == t as u64)
        .map(|i| format!("e{i}"))
        .collect()
}

fn assert_agrees(store: &EventStore, n: u64) {
    assert_eq!(store.total_event_count().unwrap(), n);
    for (t, name) in TYPES.iter().enumerate() {
        assert_eq!(
            ids(store.read_by_type(name).unwrap()),
            expected_by_type(n, t)
        );
    }
    let start = parse_instant("2026-01-01T00:00:50Z").unwrap();
    let end = parse_instant("2026-01-01T00:02:10Z").unwrap();
    let expected: Vec<String> = (50..=130)
        .filter(|i| *i < n)
        .map(|i| format!("e{i}"))
        .collect();
    assert_eq!(ids(store.read_between(start, end).unwrap()), expected);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn queries_and_counts_agree_with_the_files_across_reopens() {
    let t = TempStore::new();
    let store = t.open();
    append_numbered(&store, 0..100);
    assert_agrees(&store, 100);
    store.close().unwrap();
    let store = t.open();
    assert_agrees(&store, 100);
    append_numbered(&store, 100..200);
    assert_agrees(&store, 200);
}

#[test]
fn opening_a_store_and_counting_its_events_reads_no_event_file() {
    let t = TempStore::new();
    let store = t.open();
    append_numbered(&store, 0..300);
    store.close().unwrap();
    let (store, io) = t.open_counting(t.config().event_cache_bytes);
    assert_eq!(store.total_event_count().unwrap(), 300);
    assert_eq!(io.reads(), 0);
    // A query reads the events it returns, and no others.
    assert_eq!(store.read_by_type(TYPES[0]).unwrap().len(), 100);
    assert_eq!(io.reads(), 100);
}

#[test]
fn a_deleted_index_is_rebuilt_from_the_files_at_open() {
    let t = TempStore::new();
    let store = t.open();
    append_numbered(&store, 0..150);
    store.close().unwrap();
    fs::remove_dir_all(t.base.join(".index")).unwrap();
    assert_agrees(&t.open(), 150);
}

#[cfg(unix)]
fn type_log(t: &TempStore, event_type: &str) -> std::path::PathBuf {
    t.base
        .join(".index/types")
        .join(format!("{event_type}.log"))
}

#[test]
#[cfg(unix)] // compares inodes
fn a_dead_writers_journal_repairs_exactly_its_index_lines() {
    let t = TempStore::new();
    let store = t.open();
    append_numbered(&store, 0..30);
    store.close().unwrap();
    let untouched = fs::metadata(type_log(&t, TYPES[1])).unwrap().ino();
    // A writer that dies after renaming its file, before its index line is written:
    // its journal (left behind, unlocked) names the event.
    let store = t.open();
    append_numbered(&store, 30..31); // e30: a TYPES[0] event
    drop(store);
    let log = type_log(&t, TYPES[0]);
    let lines = fs::read_to_string(&log).unwrap();
    let kept: Vec<&str> = lines.lines().filter(|l| !l.contains("agg-2/")).collect();
    assert!(kept.len() < lines.lines().count());
    // Also a torn last line, as a crash in mid-append leaves.
    fs::write(
        &log,
        format!("{}\n1767225600.000000000 9 hotswap/agg-", kept.join("\n")),
    )
    .unwrap();
    let store = t.open();
    let events = store.read_by_type(TYPES[0]).unwrap();
    // The lines of agg-2's older events were not in the journal, so they stay lost:
    // the repair touches only what the journal names, and verify says what is missing.
    assert!(ids(events).contains(&"e30".to_string()));
    let problems = store.verify().unwrap();
    assert!(!problems.is_empty());
    assert!(
        problems
            .iter()
            .all(|p| p.contains("missing from the index")),
        "{problems:?}"
    );
    // Repair, not rebuild: a log the journal does not touch is the same file.
    assert_eq!(
        fs::metadata(type_log(&t, TYPES[1])).unwrap().ino(),
        untouched
    );
}

#[test]
fn a_journal_of_another_boot_under_none_rebuilds_the_index_but_an_always_journal_does_not() {
    for (mode, rebuilt) in [("none", true), ("batch", true), ("always", false)] {
        let t = TempStore::new();
        let store = t.open();
        append_numbered(&store, 0..20);
        store.close().unwrap();
        // An event file whose index line a power loss took (a file no journal names).
        let other = TempStore::new();
        let store = other.open();
        store
            .append(
                Event::new("HotSwapRequested", meta("hotswap", "lost-line", "x1"), "{}").unwrap(),
            )
            .unwrap();
        store.close().unwrap();
        fs::rename(
            other.base.join("hotswap/lost-line"),
            t.base.join("hotswap/lost-line"),
        )
        .unwrap();
        let journal = dead_journal_path(&t.base, DEAD_PID, mode, OTHER_BOOT);
        fs::write(&journal, b"").unwrap();
        let store = t.open();
        let found =
            ids(store.read_by_type("HotSwapRequested").unwrap()).contains(&"x1".to_string());
        assert_eq!(found, rebuilt, "{mode}");
        assert_eq!(store.verify().unwrap().is_empty(), rebuilt, "{mode}");
        assert!(!journal.exists());
    }
}

#[test]
fn a_rebuild_indexes_a_corrupt_file_by_its_name_so_queries_report_it() {
    let t = TempStore::new();
    let store = t.open();
    append_numbered(&store, 0..9);
    store.close().unwrap();
    let dir = t.base.join("hotswap/agg-0");
    let name = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.ends_with(&format!("-{}.json", TYPES[0])))
        .unwrap();
    fs::write(dir.join(&name), b"{ torn").unwrap();
    fs::remove_dir_all(t.base.join(".index")).unwrap();
    let store = t.open();
    assert_eq!(store.total_event_count().unwrap(), 9);
    match store.read_by_type(TYPES[0]) {
        Err(bytehot_eventstore::Error::Corrupt { path, .. }) => assert_eq!(path, dir.join(&name)),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(
        ids(store.read_by_type(TYPES[1]).unwrap()),
        expected_by_type(9, 1)
    );
    assert!(store.verify().unwrap().iter().any(|p| p.contains(&name)));
}

#[test]
fn a_regular_file_named_index_gives_way_to_a_rebuilt_index_at_open() {
    let t = TempStore::new();
    let store = t.open();
    append_numbered(&store, 0..30);
    store.close().unwrap();
    let index = t.base.join(".index");
    fs::remove_dir_all(&index).unwrap();
    fs::write(&index, b"not an index").unwrap();

    for _ in 0..2 {
        let store = t.open();
        assert_eq!(store.total_event_count().unwrap(), 30);
        assert_eq!(store.read_by_type(TYPES[0]).unwrap().len(), 10);
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        store.close().unwrap();
    }
    assert!(index.is_dir());
}
