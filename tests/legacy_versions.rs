//! Stores ByteHot's pure-Java adapter wrote hold aggregates whose files repeat or skip
//! versions (it stamped version 1 on every event of a session). They read in file order,
//! each event at the version its place gives it; appends continue after the last;
//! `verify` names each such file as a legacy anomaly with the stored number, not as
//! corruption; `rewrite_legacy_versions` makes the files say what reads return. A gap in
//! files this library wrote is still a missing file.

mod common;

use std::path::Path;

use bytehot_eventstore::{Config, Durability, Error, Event, EventMetadata, EventStore};

/// An event file as ByteHot's adapter printed it: Jackson's `"key" : value`.
fn write_bytehot_file(dir: &Path, name: &str, event_id: &str, version: u64, at: &str) {
    let mut metadata = EventMetadata::new("filewatch", "Foo.class", event_id);
    metadata.aggregate_version = version;
    metadata.timestamp = bytehot_eventstore::parse_instant(at);
    let event = Event::new("ClassFileChanged", metadata, r#"{"className":"Foo"}"#).unwrap();
    let ours = String::from_utf8(event.to_file_json()).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), ours.replace("\": ", "\" : ")).unwrap();
}

fn config(base: &Path) -> Config {
    Config::new(base).durability(Durability::None)
}

fn versions(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e.metadata.aggregate_version)
        .collect()
}

/// Three sessions' first events (all version 1) and one skipping to version 7.
fn bytehot_aggregate(base: &Path) -> std::path::PathBuf {
    let dir = base.join("filewatch").join("Foo.class");
    write_bytehot_file(
        &dir,
        "20250617120000000-ClassFileChanged.json",
        "a",
        1,
        "2025-06-17T12:00:00Z",
    );
    write_bytehot_file(
        &dir,
        "20250617120100000-ClassFileChanged.json",
        "b",
        1,
        "2025-06-17T12:01:00Z",
    );
    write_bytehot_file(
        &dir,
        "20250617120200000-ClassFileChanged.json",
        "c",
        1,
        "2025-06-17T12:02:00Z",
    );
    write_bytehot_file(
        &dir,
        "20250617120300000-ClassFileChanged.json",
        "d",
        7,
        "2025-06-17T12:03:00Z",
    );
    dir
}

#[test]
fn repeated_and_gapped_versions_of_the_old_adapter_read_in_file_order_and_appends_follow() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    bytehot_aggregate(&base);

    let store = EventStore::open(config(&base)).unwrap();
    let events = store.read_aggregate("filewatch", "Foo.class", 0).unwrap();
    assert_eq!(versions(&events), [1, 2, 3, 4]);
    let ids: Vec<_> = events.iter().map(|e| e.metadata.event_id.clone()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(store.current_version("filewatch", "Foo.class").unwrap(), 4);
    assert_eq!(
        store
            .read_event("filewatch", "Foo.class", 3)
            .unwrap()
            .metadata
            .event_id,
        "c"
    );
    let mut next = EventMetadata::new("filewatch", "Foo.class", "e");
    next.aggregate_version = 5;
    let stored = store
        .append(Event::new("ClassFileChanged", next, "{}").unwrap())
        .unwrap();
    assert_eq!(stored.metadata.aggregate_version, 5);

    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.contains("legacy anomaly") && p.contains("not corruption")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("version 7") && p.contains("version 4"))
    );

    // A reopen reads them the same way (nothing was cached).
    drop(store);
    let store = EventStore::open(config(&base)).unwrap();
    assert_eq!(
        versions(&store.read_aggregate("filewatch", "Foo.class", 0).unwrap()),
        [1, 2, 3, 4, 5]
    );
}

#[test]
fn a_rewrite_makes_the_files_say_the_versions_reads_return() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let dir = bytehot_aggregate(&base);
    let store = EventStore::open(config(&base)).unwrap();

    assert_eq!(
        store
            .rewrite_legacy_versions("filewatch", "Foo.class")
            .unwrap(),
        3
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    assert_eq!(
        versions(&store.read_by_type("ClassFileChanged").unwrap()),
        [1, 2, 3, 4]
    );
    assert_eq!(common::temp_files(&dir), 0);
    assert_eq!(
        store
            .rewrite_legacy_versions("filewatch", "Foo.class")
            .unwrap(),
        0,
        "a second run has nothing left to do"
    );
    let events = store.read_aggregate("filewatch", "Foo.class", 0).unwrap();
    assert_eq!(versions(&events), [1, 2, 3, 4]);
}

#[test]
fn a_gap_in_files_this_library_wrote_is_still_a_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let store = EventStore::open(config(&base)).unwrap();
    for id in ["a", "b", "c"] {
        store.append(common::ev("hotswap", "agg", id)).unwrap();
    }
    store.close().unwrap();
    let dir = base.join("hotswap").join("agg");
    let middle = common::event_file_names(&dir)[1].clone();
    std::fs::remove_file(dir.join(middle)).unwrap();

    let store = EventStore::open(config(&base)).unwrap();
    assert!(matches!(
        store.read_aggregate("hotswap", "agg", 0),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn compacting_an_aggregate_byte_hots_adapter_wrote_keeps_each_event_once_at_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let dir = bytehot_aggregate(&base);
    let store = EventStore::open(config(&base).max_events_per_file(10)).unwrap();
    let before = store.read_aggregate("filewatch", "Foo.class", 0).unwrap();
    assert_eq!(versions(&before), [1, 2, 3, 4]);
    let kept = std::fs::read(dir.join("20250617120100000-ClassFileChanged.json")).unwrap();
    let done = store.compact_aggregate("filewatch", "Foo.class").unwrap();
    assert_eq!((done.files_merged, done.segments_written), (4, 1));
    let after = store.read_aggregate("filewatch", "Foo.class", 0).unwrap();
    assert_eq!(versions(&after), [1, 2, 3, 4]);
    let ids: Vec<&str> = after.iter().map(|e| e.metadata.event_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    // A compaction killed before it removed the files: a file of the adapter beside the
    // segment, whose place would give it another version, is still the same event.
    std::fs::write(dir.join("20250617120100000-ClassFileChanged.json"), kept).unwrap();
    let reopened = EventStore::open(config(&base).max_events_per_file(10)).unwrap();
    assert_eq!(
        versions(
            &reopened
                .read_aggregate("filewatch", "Foo.class", 0)
                .unwrap()
        ),
        [1, 2, 3, 4]
    );
    assert_eq!(reopened.compact().unwrap().leftovers_removed, 1);
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
}
