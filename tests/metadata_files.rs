//! `metadata/aggregate-types.json`, `event-schema-versions.json` and
//! `storage-statistics.json` exist and are right after writes and close, and are rebuilt
//! at the next open when deleted or corrupted.

mod common;

use bytehot_eventstore::{AggregateTypesFile, SchemaVersionsFile, StorageStatistics};
use common::*;

fn read<T: serde::de::DeserializeOwned>(t: &TempStore, name: &str) -> T {
    let path = t.base.join("metadata").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn populate(t: &TempStore) {
    let store = t.open();
    store.append(ev("hotswap", "s1", "1")).unwrap();
    let mut m = meta("hotswap", "s1", "2");
    m.schema_version = 3;
    store.append(ev_with(m, "HotSwapRequested", "{}")).unwrap();
    store
        .append(ev_with(
            meta("filewatch", "/a/B.class", "3"),
            "ClassFileChanged",
            "{}",
        ))
        .unwrap();
    store
        .append(ev_with(
            meta("hotswap", "s2", "4"),
            "HotSwapRequested",
            "{}",
        ))
        .unwrap();
    store.close().unwrap();
}

fn assert_correct(t: &TempStore) {
    let types: AggregateTypesFile = read(t, "aggregate-types.json");
    let names: Vec<(&str, &str)> = types
        .aggregate_types
        .iter()
        .map(|e| (e.name.as_str(), e.directory.as_str()))
        .collect();
    assert_eq!(names, [("filewatch", "filewatch"), ("hotswap", "hotswap")]);
    let schemas: SchemaVersionsFile = read(t, "event-schema-versions.json");
    assert_eq!(
        schemas.event_types["TestEvent"]
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(
        schemas.event_types["HotSwapRequested"]
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(schemas.event_types["ClassFileChanged"].len(), 1);
    let stats: StorageStatistics = read(t, "storage-statistics.json");
    assert_eq!(stats.total_events, 4);
    assert_eq!(stats.total_aggregates, 3);
    assert_eq!(stats.aggregate_types["hotswap"].events, 3);
    assert_eq!(stats.aggregate_types["hotswap"].aggregates, 2);
    assert_eq!(stats.aggregate_types["filewatch"].events, 1);
    assert!(stats.total_bytes > 0);
    assert!(bytehot_eventstore::parse_instant(&stats.updated_at).is_some());
}

#[test]
fn metadata_files_are_correct_after_writes_and_close() {
    let t = TempStore::new();
    populate(&t);
    assert_correct(&t);
}

#[test]
fn metadata_files_are_written_while_the_store_is_open() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("hotswap", "s1", "1")).unwrap();
    let types: AggregateTypesFile = read(&t, "aggregate-types.json");
    assert_eq!(types.aggregate_types.len(), 1);
    let schemas: SchemaVersionsFile = read(&t, "event-schema-versions.json");
    assert!(schemas.event_types.contains_key("TestEvent"));
    assert!(t.base.join("metadata/storage-statistics.json").is_file());
}

#[test]
fn deleted_metadata_files_are_rebuilt_at_open() {
    let t = TempStore::new();
    populate(&t);
    std::fs::remove_dir_all(t.base.join("metadata")).unwrap();
    t.open().close().unwrap();
    assert_correct(&t);
    for name in [
        "aggregate-types.json",
        "event-schema-versions.json",
        "storage-statistics.json",
    ] {
        std::fs::remove_file(t.base.join("metadata").join(name)).unwrap();
        drop(t.open());
        assert_correct(&t);
    }
}

#[test]
fn corrupted_metadata_files_are_rebuilt_at_open() {
    let t = TempStore::new();
    populate(&t);
    for garbage in [&b""[..], b"{", b"[1,2]", b"{\"aggregateTypes\":[{\"name\":\"bogus\",\"directory\":\"bogus\"}],\"eventTypes\":{},\"totalEvents\":99,\"totalAggregates\":0,\"totalBytes\":0,\"aggregateTypes\":{},\"updatedAt\":\"x\"}", b"\xff\xfe"] {
        for name in ["aggregate-types.json", "event-schema-versions.json", "storage-statistics.json"] {
            std::fs::write(t.base.join("metadata").join(name), garbage).unwrap();
        }
        drop(t.open());
        assert_correct(&t);
    }
}

#[test]
fn stale_but_well_formed_metadata_is_not_believed() {
    let t = TempStore::new();
    populate(&t);
    std::fs::write(
        t.base.join("metadata/aggregate-types.json"),
        br#"{"aggregateTypes":[{"name":"ghost","directory":"ghost"}]}"#,
    )
    .unwrap();
    std::fs::write(
        t.base.join("metadata/event-schema-versions.json"),
        br#"{"eventTypes":{"Ghost":[1]}}"#,
    )
    .unwrap();
    drop(t.open());
    assert_correct(&t);
}
