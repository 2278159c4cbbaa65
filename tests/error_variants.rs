//! Every `Error` variant, triggered through the real file system.

mod common;

use bytehot_eventstore::{Config, Error, Event, EventStore};
use common::*;

#[test]
fn unavailable_when_the_base_path_is_a_regular_file() {
    let t = TempStore::new();
    std::fs::write(&t.base, b"not a directory").unwrap();
    match EventStore::open(t.config()) {
        Err(Error::Unavailable { reason }) => assert!(reason.contains("eventstore"), "{reason}"),
        other => panic!("expected Unavailable, got {:?}", other.err()),
    }
    // Also when a parent of the base is a file.
    match EventStore::open(Config::new(t.base.join("below"))) {
        Err(Error::Unavailable { .. }) => {}
        other => panic!("expected Unavailable, got {:?}", other.err()),
    }
}

#[test]
fn corrupt_when_an_event_file_is_truncated_and_the_error_names_it() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "1")).unwrap();
    // Closed cleanly, so no journal is left that could restore the file at reopen.
    store.close().unwrap();
    let dir = t.base.join("t").join("a");
    let name = event_file_names(&dir).remove(0);
    let bytes = std::fs::read(dir.join(&name)).unwrap();
    std::fs::write(dir.join(&name), &bytes[..bytes.len() / 2]).unwrap();
    let store = t.open();
    match store.read_aggregate("t", "a", 0) {
        Err(Error::Corrupt { path, reason }) => {
            assert_eq!(path, dir.join(&name));
            assert!(!reason.is_empty());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(matches!(
        store.append(ev("t", "a", "2")),
        Err(Error::Corrupt { .. })
    ));
    let problems = store.verify().unwrap();
    assert!(problems.iter().any(|p| p.contains(&name)), "{problems:?}");
}

#[test]
fn io_when_an_event_name_is_a_directory_or_a_type_dir_is_a_file() {
    // Root ignores permissions, so use shapes the OS refuses whoever you are.
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "1")).unwrap();
    drop(store);
    let dir = t.base.join("t").join("a");
    std::fs::create_dir(dir.join("29990101000000000000-TestEvent.json")).unwrap();
    let store = t.open();
    match store.read_aggregate("t", "a", 0) {
        Err(Error::Io { path, .. }) => {
            assert_eq!(path, dir.join("29990101000000000000-TestEvent.json"))
        }
        other => panic!("expected Io, got {other:?}"),
    }
    // A regular file where an aggregate's directory must be created.
    std::fs::write(t.base.join("u"), b"").unwrap();
    match store.append(ev("u", "x", "u1")) {
        Err(Error::Io { .. }) => {}
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn config_errors_name_the_setting() {
    let settings: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(r#"{"backup-enabled":"sometimes"}"#).unwrap();
    match Config::resolve(&settings, Vec::new()) {
        Err(Error::Config { key, .. }) => assert_eq!(key, "backup-enabled"),
        other => panic!("{other:?}"),
    }
    let typo = Config::resolve(
        &serde_json::Map::new(),
        vec![("BYTEHOT_EVENTSTORE_PAHT".to_string(), "/x".to_string())],
    );
    assert!(matches!(typo, Err(Error::Config { key, .. }) if key == "BYTEHOT_EVENTSTORE_PAHT"));
}

#[test]
fn invalid_event_names_the_field() {
    let t = TempStore::new();
    let store = t.open();
    for (json, field) in [
        (
            r#"{"eventType":"A","eventMetadata":{"eventId":"e","aggregateType":"t","aggregateId":"i","aggregateVersion":-1},"eventData":{}}"#,
            "eventMetadata.aggregateVersion",
        ),
        (
            r#"{"eventType":"A","eventMetadata":{"aggregateType":"t","aggregateId":"i"},"eventData":{}}"#,
            "eventMetadata.eventId",
        ),
        (
            r#"{"eventType":"A","eventMetadata":{"eventId":"e","aggregateType":"t","aggregateId":"i","timestamp":"yesterday"},"eventData":{}}"#,
            "eventMetadata.timestamp",
        ),
        (
            r#"{"eventType":"A","eventMetadata":{"eventId":"e","aggregateType":"t","aggregateId":"i"}}"#,
            "eventData",
        ),
    ] {
        match Event::from_json(json.as_bytes()) {
            Err(Error::InvalidEvent { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{json}: {other:?}"),
        }
    }
    // An event past the configured size limit.
    let small = EventStore::open(Config {
        max_event_size: 2048,
        ..t.config()
    })
    .unwrap();
    let big = format!(r#"{{"b":"{}"}}"#, "x".repeat(4096));
    match small.append(ev_with(meta("t", "a", "big"), "TestEvent", &big)) {
        Err(Error::InvalidEvent { field, .. }) => assert!(field.contains("eventData"), "{field}"),
        other => panic!("{other:?}"),
    }
    // A timestamp the file name cannot carry.
    let mut m = meta("t", "a", "old");
    m.timestamp = Some(utc(10000, 1, 1, 0, 0, 0, 0));
    assert!(matches!(
        store.append(ev_with(m, "TestEvent", "{}")),
        Err(Error::InvalidEvent { .. })
    ));
    assert_eq!(store.total_event_count().unwrap(), 0);
}

#[test]
fn conflict_not_found_and_invalid_name_are_typed() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "1")).unwrap();
    assert!(matches!(
        store.append(versioned("t", "a", "x", 3)),
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        store.read_event("t", "a", 2),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.append(ev("t", "a\0", "y")),
        Err(Error::InvalidName { .. })
    ));
}
