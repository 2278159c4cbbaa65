//! Hostile aggregate types, ids and event types either round-trip through the store or are
//! refused with a typed `InvalidName`, and nothing is ever created outside the base dir.

mod common;

use std::collections::BTreeSet;

use bytehot_eventstore::{Error, NameKind, decode_component};
use common::*;

fn hostile_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "../x",
        "/etc/passwd",
        "a/../../b",
        "..",
        ".",
        "...",
        ".hidden",
        "trailing.",
        "metadata",
        "CON",
        "con",
        "nul.txt",
        "COM1",
        "LPT9.log",
        "AUX",
        "PRN.",
        "/",
        "\\",
        "C:\\Windows\\System32",
        ":",
        "a:b",
        " ",
        " leading and trailing ",
        "tab\there",
        "new\nline",
        "日本語",
        "🚀emoji🎉",
        "e\u{301}", // combining accent
        "\u{202e}rtl",
        "%2F",
        "%",
        "~x",
        "a~0123456789abcdef",
        "*?<>|\"",
        "/app/target/classes/com/acme/Foo.class",
        "_app_target_classes_com_acme_Foo.class",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("x".repeat(500));
    ids.push("/".repeat(500));
    ids.push("é".repeat(500));
    ids.push("a".repeat(4096));
    ids.push("日".repeat(1400)); // 4200 bytes, 12600 encoded
    ids
}

/// The parent of the base dir holds only the base dir.
fn assert_nothing_outside(t: &TempStore) {
    let outside: Vec<_> = std::fs::read_dir(t.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("eventstore")]);
}

#[test]
fn hostile_aggregate_ids_round_trip_and_stay_inside_the_base_dir() {
    let t = TempStore::new();
    let store = t.open();
    let ids = hostile_ids();
    for (i, id) in ids.iter().enumerate() {
        let stored = store.append(ev("filewatch", id, &format!("e{i}"))).unwrap();
        assert_eq!(&stored.metadata.aggregate_id, id);
        store.append(ev("filewatch", id, &format!("f{i}"))).unwrap();
    }
    for (i, id) in ids.iter().enumerate() {
        let events = store.read_aggregate("filewatch", id, 0).unwrap();
        let got: Vec<&str> = events
            .iter()
            .map(|e| e.metadata.event_id.as_str())
            .collect();
        assert_eq!(got, [format!("e{i}"), format!("f{i}")], "id {id:?}");
        assert_eq!(events[0].metadata.aggregate_id, *id);
        assert_eq!(store.current_version("filewatch", id).unwrap(), 2);
    }
    let listed: BTreeSet<String> = store
        .aggregate_ids("filewatch")
        .unwrap()
        .into_iter()
        .collect();
    let expected: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(listed, expected);
    // One directory per id, each a single safe component directly under the type dir.
    let type_dir = t.base.join("filewatch");
    let dirs: Vec<String> = std::fs::read_dir(&type_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dirs.len(), ids.len());
    for d in &dirs {
        assert!(d.len() <= 255, "{d}");
        assert!(
            !d.starts_with('.') && !d.contains(['/', '\\', '\0', ':']),
            "{d}"
        );
        assert!(decode_component(d).is_some() || d.contains('~'), "{d}");
    }
    assert!(store.verify().unwrap().is_empty());
    store.close().unwrap();
    assert_nothing_outside(&t);
    // The top level holds the type dir, metadata and store-internal dot files only.
    for entry in std::fs::read_dir(&t.base).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "filewatch" || name == "metadata" || name.starts_with('.'),
            "{name}"
        );
    }
    // And everything survives a reopen.
    let store = t.open();
    let listed: BTreeSet<String> = store
        .aggregate_ids("filewatch")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn hostile_aggregate_types_round_trip_and_stay_inside_the_base_dir() {
    let t = TempStore::new();
    let store = t.open();
    let types = [
        "..",
        ".",
        "../x",
        "/etc",
        "metadata",
        "METADATA",
        "NUL",
        "com1",
        "/",
        "\\",
        ":",
        "a b",
        "日本語",
        "🚀",
        ".metadata",
        "x".repeat(66).as_str(),
    ]
    .map(str::to_string);
    for (i, ty) in types.iter().enumerate() {
        store.append(ev(ty, "id", &format!("e{i}"))).unwrap();
    }
    let listed: BTreeSet<String> = store.aggregate_types().unwrap().into_iter().collect();
    assert_eq!(listed, types.iter().cloned().collect());
    for (i, ty) in types.iter().enumerate() {
        let events = store.read_aggregate(ty, "id", 0).unwrap();
        assert_eq!(events.len(), 1, "{ty:?}");
        assert_eq!(events[0].metadata.event_id, format!("e{i}"));
        assert_eq!(store.aggregate_ids(ty).unwrap(), ["id"]);
    }
    // `metadata` the type never lands in the store's own metadata dir.
    let metadata_dir: Vec<_> = std::fs::read_dir(t.base.join("metadata"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    for n in &metadata_dir {
        assert!(n.ends_with(".json"), "{n}");
    }
    assert!(store.verify().unwrap().is_empty());
    store.close().unwrap();
    assert_nothing_outside(&t);
}

#[test]
fn unstorable_names_are_refused_with_a_typed_error_and_create_nothing() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("t", "ok", "seed")).unwrap();
    let before = walk(&t.base);
    let cases: Vec<(String, String, String, NameKind)> = vec![
        (
            "t".into(),
            "a\0b".into(),
            "TestEvent".into(),
            NameKind::AggregateId,
        ),
        (
            "t".into(),
            "\0".into(),
            "TestEvent".into(),
            NameKind::AggregateId,
        ),
        (
            "t".into(),
            "".into(),
            "TestEvent".into(),
            NameKind::AggregateId,
        ),
        (
            "t".into(),
            "x".repeat(16 * 1024 + 1),
            "TestEvent".into(),
            NameKind::AggregateId,
        ),
        (
            "".into(),
            "id".into(),
            "TestEvent".into(),
            NameKind::AggregateType,
        ),
        (
            "t\0".into(),
            "id".into(),
            "TestEvent".into(),
            NameKind::AggregateType,
        ),
        (
            "x".repeat(4096),
            "id".into(),
            "TestEvent".into(),
            NameKind::AggregateType,
        ),
        (
            "é".repeat(100),
            "id".into(),
            "TestEvent".into(),
            NameKind::AggregateType,
        ),
        ("t".into(), "id".into(), "../x".into(), NameKind::EventType),
        ("t".into(), "id".into(), "a/b".into(), NameKind::EventType),
        ("t".into(), "id".into(), "..".into(), NameKind::EventType),
        ("t".into(), "id".into(), "".into(), NameKind::EventType),
        ("t".into(), "id".into(), "A B".into(), NameKind::EventType),
        ("t".into(), "id".into(), "A\0".into(), NameKind::EventType),
        (
            "t".into(),
            "id".into(),
            "A".repeat(201),
            NameKind::EventType,
        ),
    ];
    for (ty, id, event_type, kind) in cases {
        let e = ev_with(meta(&ty, &id, "x"), &event_type, "{}");
        match store.append(e) {
            Err(Error::InvalidName { kind: k, name, .. }) => {
                assert_eq!(k, kind, "{ty:?}/{id:?}/{event_type:?}");
                assert!(name.chars().count() <= 83, "error name is shortened");
            }
            other => panic!("{ty:?}/{id:?}/{event_type:?}: expected InvalidName, got {other:?}"),
        }
        // Reading by a refused name is refused too, or finds nothing; it never creates.
        match store.read_aggregate(&ty, &id, 0) {
            Ok(events) => assert!(events.is_empty()),
            Err(Error::InvalidName { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
        assert_eq!(walk(&t.base), before);
    }
    // Reads of hostile but valid names that were never written create nothing either.
    for id in ["../../x", "/etc/passwd", "..", "."] {
        assert!(store.read_aggregate("t", id, 0).unwrap().is_empty());
        assert_eq!(store.current_version("..", id).unwrap(), 0);
        assert!(!store.aggregate_exists("/", id).unwrap());
    }
    assert!(matches!(
        store.read_by_type("../x"),
        Err(Error::InvalidName {
            kind: NameKind::EventType,
            ..
        })
    ));
    assert_eq!(walk(&t.base), before);
    assert_nothing_outside(&t);
}
