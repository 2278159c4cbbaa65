//! Closing and reopening the store continues every aggregate at its true last version,
//! whatever a cache held before.

mod common;

use bytehot_eventstore::{Config, EventStore};
use common::*;

#[test]
fn close_and_reopen_continues_each_aggregate_at_its_last_version() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..7 {
        store.append(ev("hotswap", "a", &format!("a{i}"))).unwrap();
    }
    for i in 0..3 {
        store.append(ev("hotswap", "b", &format!("b{i}"))).unwrap();
    }
    store.append(ev("filewatch", "/x/Y.class", "f0")).unwrap();
    store.close().unwrap();

    let store = t.open();
    assert_eq!(store.current_version("hotswap", "a").unwrap(), 7);
    assert_eq!(store.current_version("hotswap", "b").unwrap(), 3);
    assert_eq!(store.current_version("filewatch", "/x/Y.class").unwrap(), 1);
    assert_eq!(
        store
            .append(ev("hotswap", "a", "a7"))
            .unwrap()
            .metadata
            .aggregate_version,
        8
    );
    assert_eq!(
        store
            .append(versioned("hotswap", "b", "b3", 4))
            .unwrap()
            .metadata
            .aggregate_version,
        4
    );
    let f = store.append(ev("filewatch", "/x/Y.class", "f1")).unwrap();
    assert_eq!(f.metadata.aggregate_version, 2);
    assert_eq!(f.metadata.previous_event_id.as_deref(), Some("f0"));
    store.close().unwrap();

    let store = t.open();
    for (ty, id, n) in [
        ("hotswap", "a", 8),
        ("hotswap", "b", 4),
        ("filewatch", "/x/Y.class", 2),
    ] {
        let events = store.read_aggregate(ty, id, 0).unwrap();
        assert_eq!(events.len(), n);
        assert_chain(&events);
    }
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn a_second_store_instance_sees_what_the_first_wrote_and_continues_it() {
    // Two handles on one directory (as two class loaders or a restart without close).
    let t = TempStore::new();
    let first = t.open();
    let second = EventStore::open(Config::new(&t.base).durability(t.config().durability)).unwrap();
    first.append(ev("t", "a", "1")).unwrap();
    assert_eq!(second.current_version("t", "a").unwrap(), 1);
    assert_eq!(
        second
            .append(ev("t", "a", "2"))
            .unwrap()
            .metadata
            .aggregate_version,
        2
    );
    // The first instance's cache is stale; it must notice and continue at 3.
    let third = first.append(ev("t", "a", "3")).unwrap();
    assert_eq!(third.metadata.aggregate_version, 3);
    assert_eq!(third.metadata.previous_event_id.as_deref(), Some("2"));
    assert_chain(&second.read_aggregate("t", "a", 0).unwrap());
}

#[test]
fn reopen_after_drop_without_close_continues_too() {
    let t = TempStore::new();
    {
        let store = t.open();
        for i in 0..4 {
            store.append(ev("t", "a", &format!("{i}"))).unwrap();
        }
    }
    let store = t.open();
    assert_eq!(
        store
            .append(ev("t", "a", "4"))
            .unwrap()
            .metadata
            .aggregate_version,
        5
    );
}

#[test]
fn versions_continue_when_more_aggregates_are_touched_than_the_store_caches() {
    let t = TempStore::new();
    let store = t.open();
    // More aggregates than the in-memory cache holds (16,384): evicted ones are re-read
    // from disk.
    let ids: Vec<String> = (0..17_000).map(|i| format!("agg-{i}")).collect();
    for part in ids.chunks(1000) {
        store
            .append_batch(
                part.iter()
                    .map(|id| ev("hotswap", id, &format!("{id}-1")))
                    .collect(),
            )
            .unwrap();
    }
    for id in ids.iter().step_by(97) {
        let second = store.append(ev("hotswap", id, &format!("{id}-2"))).unwrap();
        assert_eq!(second.metadata.aggregate_version, 2, "{id}");
        assert_eq!(
            second.metadata.previous_event_id.as_deref(),
            Some(format!("{id}-1").as_str())
        );
    }
    assert_eq!(
        store.total_event_count().unwrap(),
        17_000 + ids.iter().step_by(97).count() as u64
    );
}
