//! Aggregate snapshots: saved and loaded, the newest matching one wins, stale (a version
//! the aggregate lacks, another history) and damaged ones are passed over, and nothing
//! that reads events sees them.

mod common;

use bytehot_eventstore::{Config, EventStore, SNAPSHOT_DIR, SNAPSHOTS_KEPT};
use common::*;

fn seed(store: &EventStore, id: &str, from: usize, to: usize) {
    for k in from..to {
        store.append(ev("order", id, &format!("{id}-{k}"))).unwrap();
    }
}

fn state(version: u64) -> String {
    format!("{{\"total\":{version},\"lines\":[\"a\",\"b\"]}}")
}

#[test]
fn the_newest_snapshot_is_loaded_and_the_events_after_it_complete_the_state() {
    let t = TempStore::new();
    let store = t.open();
    seed(&store, "o1", 0, 50);
    assert!(store.load_latest_snapshot("order", "o1").unwrap().is_none());
    for version in [10, 20, 30, 40] {
        store
            .save_snapshot("order", "o1", version, &state(version))
            .unwrap();
    }
    let snapshot = store.load_latest_snapshot("order", "o1").unwrap().unwrap();
    assert_eq!(snapshot.version, 40);
    assert_eq!(snapshot.state.get(), state(40));
    assert_eq!(snapshot.event_id, "o1-39");
    assert_eq!(
        store
            .read_aggregate("order", "o1", snapshot.version)
            .unwrap()
            .len(),
        10
    );
    // Only the newest few are kept.
    let dir = t.base.join("order/o1").join(SNAPSHOT_DIR);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), SNAPSHOTS_KEPT);
    // Nothing that reads events sees them.
    assert_eq!(store.read_aggregate("order", "o1", 0).unwrap().len(), 50);
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 50);
    assert!(
        store.verify().unwrap().is_empty(),
        "{:?}",
        store.verify().unwrap()
    );
    // Reopened, the snapshot is still there.
    drop(store);
    assert_eq!(
        t.open()
            .load_latest_snapshot("order", "o1")
            .unwrap()
            .unwrap()
            .version,
        40
    );
}

#[test]
fn a_damaged_snapshot_is_passed_over_for_an_older_one() {
    let t = TempStore::new();
    let store = t.open();
    seed(&store, "o1", 0, 20);
    store.save_snapshot("order", "o1", 10, &state(10)).unwrap();
    store.save_snapshot("order", "o1", 20, &state(20)).unwrap();
    let newest = t
        .base
        .join("order/o1")
        .join(SNAPSHOT_DIR)
        .join(format!("{:020}.json", 20));
    std::fs::write(
        &newest,
        b"{\"format\":\"bytehot-eventstore snapshot 1\",\"vers",
    )
    .unwrap();
    assert_eq!(
        store
            .load_latest_snapshot("order", "o1")
            .unwrap()
            .unwrap()
            .version,
        10
    );
    std::fs::write(&newest, b"").unwrap();
    assert_eq!(
        store
            .load_latest_snapshot("order", "o1")
            .unwrap()
            .unwrap()
            .version,
        10
    );
}

#[test]
fn a_snapshot_of_a_version_the_aggregate_lacks_or_of_another_history_is_ignored() {
    let t = TempStore::new();
    let store = t.open();
    seed(&store, "o1", 0, 30);
    let backup = t.tmp.path().join("backup");
    store.backup(&backup, None).unwrap();
    seed(&store, "o1", 30, 40);
    store.save_snapshot("order", "o1", 40, &state(40)).unwrap();
    store.close().unwrap();
    // A restore from the older backup, with the newer snapshot copied in by hand.
    let restored = t.tmp.path().join("restored");
    EventStore::restore(&backup, &restored, false).unwrap();
    let from = t.base.join("order/o1").join(SNAPSHOT_DIR);
    let to = restored.join("order/o1").join(SNAPSHOT_DIR);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let store = EventStore::open(Config::new(&restored)).unwrap();
    assert!(store.load_latest_snapshot("order", "o1").unwrap().is_none());
    // Version 40 again, but another history: still not this aggregate's state.
    seed(&store, "o1", 100, 110);
    assert_eq!(store.current_version("order", "o1").unwrap(), 40);
    assert!(store.load_latest_snapshot("order", "o1").unwrap().is_none());
}

#[test]
fn a_snapshot_of_a_missing_version_or_of_text_that_is_not_json_is_refused() {
    let t = TempStore::new();
    let store = t.open();
    seed(&store, "o1", 0, 5);
    let err = store
        .save_snapshot("order", "o1", 6, &state(6))
        .unwrap_err();
    assert!(err.to_string().contains("has no version 6"), "{err}");
    let err = store
        .save_snapshot("order", "nobody", 1, &state(1))
        .unwrap_err();
    assert!(err.to_string().contains("has no version 1"), "{err}");
    let err = store
        .save_snapshot("order", "o1", 5, "{not json")
        .unwrap_err();
    assert!(err.to_string().contains("state"), "{err}");
    assert!(!t.base.join("order/o1").join(SNAPSHOT_DIR).exists());
}
