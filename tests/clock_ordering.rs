//! File names sort in version order even when the clock steps backwards, when events carry
//! their own timestamps that go backwards, and when 1500 events share one millisecond.

mod common;

use bytehot_eventstore::FileName;
use common::*;

fn assert_names_sort_in_version_order(t: &TempStore, ty: &str, id: &str, n: usize) {
    let store = t.open();
    let names = event_file_names(&t.base.join(ty).join(id));
    assert_eq!(names.len(), n);
    // Byte order of the names is the version order of their contents.
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            name.len(),
            "20250617123000001000-".len() + "TestEvent.json".len()
        );
        assert!(FileName::parse(name).is_some(), "{name}");
        let version = store.read_event(ty, id, i as u64 + 1).unwrap();
        assert_eq!(version.metadata.aggregate_version, i as u64 + 1);
        let content: serde_json::Value =
            serde_json::from_slice(&std::fs::read(t.base.join(ty).join(id).join(name)).unwrap())
                .unwrap();
        assert_eq!(
            content["eventMetadata"]["aggregateVersion"],
            serde_json::json!(i + 1),
            "{name}"
        );
    }
    let events = store.read_aggregate(ty, id, 0).unwrap();
    assert_eq!(events.len(), n);
    assert_chain(&events);
}

#[test]
fn clock_stepping_backwards_keeps_file_names_in_version_order() {
    let t = TempStore::new();
    let clock = ManualClock::new(utc(2025, 6, 17, 12, 30, 0, 5));
    let store = t.open_with_clock(clock.clone());
    let steps = [
        utc(2025, 6, 17, 12, 30, 0, 5),
        utc(2025, 6, 17, 12, 30, 0, 9),
        utc(2025, 6, 17, 12, 29, 0, 0), // a minute back (NTP step)
        utc(2024, 1, 1, 0, 0, 0, 0),    // a year back
        utc(2025, 6, 17, 12, 30, 0, 9), // same ms as an earlier event
        utc(2025, 6, 17, 12, 30, 0, 10),
    ];
    for (i, now) in steps.iter().enumerate() {
        clock.set(*now);
        store.append(ev("t", "a", &format!("e{i}"))).unwrap();
    }
    // The events keep the clock's (backwards) timestamps: only names are monotone.
    let events = store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(
        events[3].metadata.timestamp,
        Some(utc(2024, 1, 1, 0, 0, 0, 0))
    );
    drop(store);
    assert_names_sort_in_version_order(&t, "t", "a", 6);
    // After a reopen the floor is the last name on disk, not a remembered clock.
    let store = t.open_with_clock(ScriptedClock::fixed(utc(2020, 1, 1, 0, 0, 0, 0)));
    store.append(ev("t", "a", "e6")).unwrap();
    drop(store);
    assert_names_sort_in_version_order(&t, "t", "a", 7);
}

#[test]
fn event_timestamps_going_backwards_keep_file_names_in_version_order() {
    let t = TempStore::new();
    let store = t.open();
    let stamps = [
        "2025-06-17T12:30:00.500Z",
        "2025-06-17T12:30:00.100Z",
        "2025-06-17T12:30:00.100Z",
        "1999-12-31T23:59:59.999Z",
        "2025-06-17T12:30:00.500999999Z",
        "2030-01-01T00:00:00Z",
        "2025-06-17T12:30:00Z",
    ];
    for (i, ts) in stamps.iter().enumerate() {
        let mut m = meta("t", "a", &format!("e{i}"));
        m.timestamp = Some(at(ts));
        let stored = store.append(ev_with(m, "TestEvent", "{}")).unwrap();
        assert_eq!(stored.metadata.timestamp, Some(at(ts)), "timestamp kept");
    }
    drop(store);
    assert_names_sort_in_version_order(&t, "t", "a", stamps.len());
}

#[test]
fn fifteen_hundred_events_in_one_millisecond_sort_and_read_back_in_order() {
    let t = TempStore::new();
    let now = utc(2025, 6, 17, 12, 30, 0, 1);
    let store = t.open_with_clock(ScriptedClock::fixed(now));
    // Half one by one, half in one batch: both paths share the naming rule.
    for i in 0..750 {
        store.append(ev("t", "a", &format!("e{i}"))).unwrap();
    }
    let batch = (750..1500)
        .map(|i| ev("t", "a", &format!("e{i}")))
        .collect();
    store.append_batch(batch).unwrap();
    let events = store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(events.len(), 1500);
    assert_chain(&events);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.metadata.event_id, format!("e{i}"));
        assert_eq!(e.metadata.timestamp, Some(now));
    }
    let names = event_file_names(&t.base.join("t").join("a"));
    assert_eq!(names.len(), 1500);
    assert!(names[0].starts_with("20250617123000001000-"));
    assert!(names[999].starts_with("20250617123000001999-"));
    assert!(names[1000].starts_with("20250617123000002000-"));
    drop(store);
    assert_names_sort_in_version_order(&t, "t", "a", 1500);
}
