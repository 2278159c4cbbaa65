//! Every read operation and the store-level queries against real files.

mod common;

use bytehot_eventstore::Error;
use common::*;

fn stamped(ty: &str, id: &str, eid: &str, event_type: &str, ts: &str) -> bytehot_eventstore::Event {
    let mut m = meta(ty, id, eid);
    m.timestamp = Some(at(ts));
    ev_with(m, event_type, "{}")
}

#[test]
fn every_read_operation_answers_from_the_files() {
    let t = TempStore::new();
    let store = t.open();
    assert!(store.aggregate_types().unwrap().is_empty());
    assert_eq!(store.total_event_count().unwrap(), 0);
    store
        .append_batch(vec![
            stamped(
                "hotswap",
                "s1",
                "a",
                "HotSwapRequested",
                "2025-06-17T12:30:01.000Z",
            ),
            stamped(
                "hotswap",
                "s1",
                "b",
                "BytecodeValidated",
                "2025-06-17T12:30:02.000Z",
            ),
            stamped(
                "hotswap",
                "s1",
                "c",
                "InstancesUpdated",
                "2025-06-17T12:30:03.000Z",
            ),
            stamped(
                "hotswap",
                "s2",
                "d",
                "HotSwapRequested",
                "2025-06-17T12:30:02.000Z",
            ),
            stamped(
                "filewatch",
                "/F.class",
                "e",
                "ClassFileChanged",
                "2025-06-17T12:30:00.500Z",
            ),
        ])
        .unwrap();
    // read_aggregate with since.
    let ids = |v: Vec<bytehot_eventstore::Event>| {
        v.into_iter()
            .map(|e| e.metadata.event_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.read_aggregate("hotswap", "s1", 0).unwrap()),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(store.read_aggregate("hotswap", "s1", 1).unwrap()),
        ["b", "c"]
    );
    assert_eq!(
        ids(store.read_aggregate("hotswap", "s1", 3).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(store.read_aggregate("hotswap", "s1", 99).unwrap()),
        Vec::<String>::new()
    );
    assert!(
        store
            .read_aggregate("hotswap", "none", 0)
            .unwrap()
            .is_empty()
    );
    // read_event, including NotFound.
    assert_eq!(
        store
            .read_event("hotswap", "s1", 2)
            .unwrap()
            .metadata
            .event_id,
        "b"
    );
    for (ty, id, v) in [
        ("hotswap", "s1", 0),
        ("hotswap", "s1", 4),
        ("hotswap", "zz", 1),
        ("nope", "s1", 1),
    ] {
        assert!(
            matches!(store.read_event(ty, id, v), Err(Error::NotFound { .. })),
            "{ty}/{id}@{v}"
        );
    }
    // read_by_type: ordered by timestamp, then aggregate.
    assert_eq!(
        ids(store.read_by_type("HotSwapRequested").unwrap()),
        ["a", "d"]
    );
    assert!(store.read_by_type("Unknown").unwrap().is_empty());
    // read_between: inclusive at both ends.
    let between = |a: &str, b: &str| ids(store.read_between(at(a), at(b)).unwrap());
    assert_eq!(
        between("2025-06-17T12:30:00.500Z", "2025-06-17T12:30:02.000Z"),
        ["e", "a", "b", "d"]
    );
    assert_eq!(
        between("2025-06-17T12:30:02Z", "2025-06-17T12:30:02Z"),
        ["b", "d"]
    );
    assert_eq!(
        between("2025-06-17T12:30:00.501Z", "2025-06-17T12:30:00.999Z"),
        Vec::<String>::new()
    );
    assert_eq!(
        between("2025-06-17T12:30:03.000Z", "2030-01-01T00:00:00Z"),
        ["c"]
    );
    assert!(between("2025-06-17T12:30:03Z", "2025-06-17T12:30:01Z").is_empty());
    // Counts and existence.
    assert_eq!(store.current_version("hotswap", "s1").unwrap(), 3);
    assert_eq!(store.current_version("hotswap", "none").unwrap(), 0);
    assert_eq!(store.event_count("hotswap", "s1").unwrap(), 3);
    assert_eq!(store.event_count("hotswap", "none").unwrap(), 0);
    assert_eq!(store.total_event_count().unwrap(), 5);
    assert!(store.aggregate_exists("filewatch", "/F.class").unwrap());
    assert!(!store.aggregate_exists("filewatch", "/G.class").unwrap());
    assert_eq!(store.aggregate_types().unwrap(), ["filewatch", "hotswap"]);
    assert_eq!(store.aggregate_ids("hotswap").unwrap(), ["s1", "s2"]);
    assert_eq!(store.aggregate_ids("filewatch").unwrap(), ["/F.class"]);
    assert!(store.aggregate_ids("unknown").unwrap().is_empty());
    // Health, verify, statistics, close.
    let health = store.health();
    assert!(health.healthy, "{:?}", health.problems);
    assert!(store.verify().unwrap().is_empty());
    let stats = store.refresh_statistics().unwrap();
    assert_eq!(stats.total_events, 5);
    assert_eq!(stats.total_aggregates, 3);
    assert_eq!(stats.aggregate_types["hotswap"].events, 4);
    assert!(stats.total_bytes > 0);
    store.close().unwrap();
}

#[test]
fn health_and_verify_report_problems_naming_the_path() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "1")).unwrap();
    store.append(ev("t", "a", "2")).unwrap();
    let dir = t.base.join("t").join("a");
    std::fs::write(dir.join("notes.txt"), b"hello").unwrap();
    let names = event_file_names(&dir);
    // An event file moved under the wrong aggregate, and a version gap.
    std::fs::create_dir_all(t.base.join("t").join("b")).unwrap();
    std::fs::rename(
        dir.join(&names[0]),
        t.base.join("t").join("b").join(&names[0]),
    )
    .unwrap();
    let problems = store.verify().unwrap();
    assert!(
        problems.iter().any(|p| p.contains("notes.txt")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("does not live here")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("follows version 0")),
        "{problems:?}"
    );
    // Health: metadata unreadable.
    std::fs::write(t.base.join("metadata/aggregate-types.json"), b"{").unwrap();
    let health = store.health();
    assert!(!health.healthy);
    assert!(
        health
            .problems
            .iter()
            .any(|p| p.contains("aggregate-types.json"))
    );
    // Health: base directory gone.
    std::fs::remove_dir_all(&t.base).unwrap();
    let health = store.health();
    assert!(!health.healthy);
    assert!(
        health.problems.iter().any(|p| p.contains("base directory")),
        "{:?}",
        health.problems
    );
}

#[test]
#[cfg(unix)] // plants a symbolic link (Windows asks a privilege for that)
fn queries_over_many_files_skip_a_deleted_one_and_report_a_link_in_place_of_one() {
    // More events than a reader thread's share and than one read-ahead window, so that
    // the reads are split across threads and windows.
    let t = TempStore::new();
    let store = t.open();
    let events: Vec<_> = (0..70)
        .map(|i| {
            stamped(
                "hotswap",
                &format!("s{}", i % 7),
                &format!("e{i}"),
                "ClassFileChanged",
                &format!("2025-06-17T12:30:{:02}.{:03}Z", i / 10, i % 10),
            )
        })
        .collect();
    store.append_batch(events).unwrap();
    let from = at("2025-06-17T12:30:00Z");
    let to = at("2025-06-17T12:31:00Z");
    let ids = |events: Vec<bytehot_eventstore::Event>| -> Vec<String> {
        events.into_iter().map(|e| e.metadata.event_id).collect()
    };
    let all: Vec<String> = (0..70).map(|i| format!("e{i}")).collect();
    assert_eq!(ids(store.read_by_type("ClassFileChanged").unwrap()), all);
    assert_eq!(ids(store.read_between(from, to).unwrap()), all);

    // A person deleted one event file: the queries leave it out, in order otherwise.
    let dir = t.base.join("hotswap/s3");
    let victim = event_file_names(&dir)[2].clone();
    std::fs::remove_file(dir.join(&victim)).unwrap();
    let without: Vec<String> = all.iter().filter(|id| *id != "e17").cloned().collect();
    assert_eq!(
        ids(store.read_by_type("ClassFileChanged").unwrap()),
        without
    );
    assert_eq!(ids(store.read_between(from, to).unwrap()), without);

    // A link where an event file was: both queries refuse it, naming it.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("elsewhere.json");
    std::fs::write(&target, "{}").unwrap();
    std::os::unix::fs::symlink(&target, dir.join(&victim)).unwrap();
    for result in [
        store.read_by_type("ClassFileChanged"),
        store.read_between(from, to),
    ] {
        match result {
            Err(Error::Corrupt { path, reason }) => {
                assert!(path.ends_with(&victim), "{path:?}");
                assert!(reason.contains("symbolic link"), "{reason}");
            }
            other => panic!("expected the link to be reported, got {other:?}"),
        }
    }
}

#[test]
fn a_missing_event_file_in_the_middle_is_reported_not_read_past() {
    let t = TempStore::new();
    let store = t.open();
    for id in ["1", "2", "3"] {
        store.append(ev("t", "a", id)).unwrap();
    }
    store.close().unwrap();
    let dir = t.base.join("t").join("a");
    let names = event_file_names(&dir);
    std::fs::remove_file(dir.join(&names[1])).unwrap();
    let store = t.open();
    match store.read_aggregate("t", "a", 0) {
        Err(Error::Corrupt { path, reason }) => {
            assert_eq!(path, dir.join(&names[2]));
            assert!(reason.contains("version 3 follows version 1"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_last_event_file_removed_behind_an_open_store_is_reported_not_forgotten() {
    let t = TempStore::new();
    let store = t.open();
    for i in 1..=5 {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 5);
    let dir = t.base.join("hotswap").join("agg");
    let last = dir.join(common::event_file_names(&dir).pop().unwrap());
    let kept = std::fs::read(&last).unwrap();
    std::fs::remove_file(&last).unwrap();

    let names_the_file = |e: Error| matches!(&e, Error::Corrupt { path, .. } if *path == last);
    assert!(names_the_file(
        store.read_aggregate("hotswap", "agg", 0).unwrap_err()
    ));
    let save = store.append(ev("hotswap", "agg", "e6"));
    assert!(names_the_file(save.unwrap_err()), "no version is reused");

    std::fs::write(&last, kept).unwrap();
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 5);
    assert_eq!(
        store
            .append(ev("hotswap", "agg", "e6"))
            .unwrap()
            .metadata
            .aggregate_version,
        6
    );
}
