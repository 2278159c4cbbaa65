//! Version assignment and causality: version 0 means "next", an explicit version must be
//! exactly current + 1, previousEventId must name the last event, a stored eventId is an
//! idempotent retry, and a batch with one bad event writes nothing.

mod common;

use bytehot_eventstore::Error;
use common::*;

#[test]
fn version_zero_appends_at_the_end_and_chains_previous_event_id() {
    let t = TempStore::new();
    let store = t.open();
    for i in 1..=5u64 {
        let stored = store.append(ev("hotswap", "s1", &format!("e{i}"))).unwrap();
        assert_eq!(stored.metadata.aggregate_version, i);
        assert!(stored.metadata.timestamp.is_some());
    }
    let events = store.read_aggregate("hotswap", "s1", 0).unwrap();
    assert_eq!(events.len(), 5);
    assert_chain(&events);
    assert_eq!(store.current_version("hotswap", "s1").unwrap(), 5);
}

#[test]
fn explicit_version_must_be_exactly_current_plus_one() {
    let t = TempStore::new();
    let store = t.open();
    assert_eq!(
        store
            .append(versioned("t", "a", "e1", 1))
            .unwrap()
            .metadata
            .aggregate_version,
        1
    );
    assert_eq!(
        store
            .append(versioned("t", "a", "e2", 2))
            .unwrap()
            .metadata
            .aggregate_version,
        2
    );
    // A gap (4 after 2) and a duplicate (2 again) are both conflicts naming both versions.
    for (version, expected) in [(4u64, 3u64), (2, 1), (1, 0)] {
        match store.append(versioned("t", "a", &format!("x{version}"), version)) {
            Err(Error::Conflict {
                aggregate_type,
                aggregate_id,
                expected_version,
                actual_version,
                ..
            }) => {
                assert_eq!((aggregate_type.as_str(), aggregate_id.as_str()), ("t", "a"));
                assert_eq!(expected_version, expected, "version {version}");
                assert_eq!(actual_version, 2, "version {version}");
            }
            other => panic!("version {version}: expected a conflict, got {other:?}"),
        }
    }
    // Nothing was written by the rejected appends.
    assert_eq!(store.event_count("t", "a").unwrap(), 2);
    let dir = t.base.join("t").join("a");
    assert_eq!(event_file_names(&dir).len(), 2);
    // A version on a brand-new aggregate must be 1.
    match store.append(versioned("t", "fresh", "f5", 5)) {
        Err(Error::Conflict {
            expected_version: 4,
            actual_version: 0,
            ..
        }) => {}
        other => panic!("expected conflict, got {other:?}"),
    }
    assert!(!t.base.join("t").join("fresh").exists());
    assert!(!store.aggregate_exists("t", "fresh").unwrap());
}

#[test]
fn wrong_previous_event_id_is_a_conflict() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "e1")).unwrap();
    store.append(ev("t", "a", "e2")).unwrap();
    // Names an older event: the caller believed the aggregate was at version 1.
    let mut m = meta("t", "a", "e3");
    m.previous_event_id = Some("e1".into());
    match store.append(ev_with(m, "TestEvent", "{}")) {
        Err(Error::Conflict {
            expected_version,
            actual_version,
            ..
        }) => assert_eq!((expected_version, actual_version), (1, 2)),
        other => panic!("expected conflict, got {other:?}"),
    }
    // Names an unknown event.
    let mut m = meta("t", "a", "e3");
    m.previous_event_id = Some("nope".into());
    assert!(matches!(
        store.append(ev_with(m, "TestEvent", "{}")),
        Err(Error::Conflict {
            actual_version: 2,
            ..
        })
    ));
    // The first event of an aggregate cannot name a previous one.
    let mut m = meta("t", "b", "b1");
    m.previous_event_id = Some("e2".into());
    assert!(matches!(
        store.append(ev_with(m, "TestEvent", "{}")),
        Err(Error::Conflict {
            actual_version: 0,
            ..
        })
    ));
    // The right previous id (and matching version) is accepted.
    let mut m = meta("t", "a", "e3");
    m.previous_event_id = Some("e2".into());
    m.aggregate_version = 3;
    let stored = store.append(ev_with(m, "TestEvent", "{}")).unwrap();
    assert_eq!(stored.metadata.aggregate_version, 3);
    assert_eq!(store.event_count("t", "a").unwrap(), 3);
}

#[test]
fn resaving_a_stored_event_id_returns_the_stored_event_and_writes_no_second_file() {
    let t = TempStore::new();
    let store = t.open();
    let first = store
        .append(ev_with(meta("t", "a", "e1"), "Created", r#"{"n":1}"#))
        .unwrap();
    store.append(ev("t", "a", "e2")).unwrap();
    // A retry of e1, even with other data and a version that would now conflict.
    let mut retry_meta = meta("t", "a", "e1");
    retry_meta.aggregate_version = 1;
    let retry = store
        .append(ev_with(retry_meta, "Created", r#"{"n":2}"#))
        .unwrap();
    assert_same_event(&retry, &first);
    assert_eq!(retry.data.get().replace([' ', '\n'], ""), r#"{"n":1}"#);
    assert_eq!(event_file_names(&t.base.join("t").join("a")).len(), 2);
    assert_eq!(store.current_version("t", "a").unwrap(), 2);
    // Also across a reopen, and inside a batch that repeats the id.
    drop(store);
    let store = t.open();
    let out = store
        .append_batch(vec![
            ev("t", "a", "e2"),
            ev("t", "a", "e3"),
            ev("t", "a", "e3"),
        ])
        .unwrap();
    assert_eq!(out[0].metadata.aggregate_version, 2);
    assert_eq!(out[1].metadata.aggregate_version, 3);
    assert_same_event(&out[2], &out[1]);
    assert_eq!(event_file_names(&t.base.join("t").join("a")).len(), 3);
}

#[test]
fn batch_with_one_conflicting_event_writes_nothing() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "a1")).unwrap();
    let before = walk(&t.base);
    let batch = vec![
        ev("t", "b", "b1"),           // new aggregate: would create a directory
        ev("t", "a", "a2"),           // fine
        versioned("t", "a", "a3", 7), // conflict
    ];
    assert!(matches!(
        store.append_batch(batch),
        Err(Error::Conflict { .. })
    ));
    assert_eq!(walk(&t.base), before);
    assert_eq!(store.total_event_count().unwrap(), 1);
}

#[test]
fn batch_with_one_invalid_event_writes_nothing() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "a1")).unwrap();
    let before = walk(&t.base);
    let invalid_batches = vec![
        vec![
            ev("t", "a", "a2"),
            ev_with(meta("t", "a", "a3"), "Bad/Type", "{}"),
        ],
        vec![ev("t", "c", "c1"), ev("t", "a", "")],
        vec![ev("t", "d", "d1"), ev("t", "", "x")],
        vec![ev("t", "e", "e1"), ev("t", "x\0y", "x")],
    ];
    for batch in invalid_batches {
        let result = store.append_batch(batch);
        assert!(
            matches!(
                result,
                Err(Error::InvalidEvent { .. } | Error::InvalidName { .. })
            ),
            "{result:?}"
        );
        assert_eq!(walk(&t.base), before);
    }
    assert_eq!(store.total_event_count().unwrap(), 1);
}

#[test]
fn batch_assigns_consecutive_versions_per_aggregate() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "a", "a1")).unwrap();
    let out = store
        .append_batch(vec![
            ev("t", "a", "a2"),
            ev("t", "b", "b1"),
            versioned("t", "a", "a3", 3),
            ev("u", "a", "ua1"),
            ev("t", "b", "b2"),
        ])
        .unwrap();
    let versions: Vec<u64> = out.iter().map(|e| e.metadata.aggregate_version).collect();
    assert_eq!(versions, [2, 1, 3, 1, 2]);
    assert_chain(&store.read_aggregate("t", "a", 0).unwrap());
    assert_chain(&store.read_aggregate("t", "b", 0).unwrap());
    assert_chain(&store.read_aggregate("u", "a", 0).unwrap());
}
