//! The event cache (`event-cache-bytes`): repeated aggregate reads come from memory, the
//! cache stays within its budget, it can be turned off, and it never hides an event
//! another store (another process) wrote.

mod common;

use bytehot_eventstore::Event;
use common::{TempStore, ev};

fn populate(t: &TempStore, aggregates: usize, events: usize) {
    let store = t.open();
    for a in 0..aggregates {
        let batch: Vec<Event> = (0..events)
            .map(|e| ev("hotswap", &format!("agg-{a}"), &format!("{a}-{e}")))
            .collect();
        store.append_batch(batch).unwrap();
    }
    store.close().unwrap();
}

#[test]
fn a_second_read_of_an_aggregate_reads_no_file_and_returns_the_same_events() {
    let t = TempStore::new();
    populate(&t, 1, 100);
    let (store, io) = t.open_counting(1 << 20);
    let first = store.read_aggregate("hotswap", "agg-0", 0).unwrap();
    let after_first = io.reads();
    assert_eq!(after_first, 100);
    let second = store.read_aggregate("hotswap", "agg-0", 0).unwrap();
    assert_eq!(first, second);
    assert_eq!(
        store.read_aggregate("hotswap", "agg-0", 90).unwrap(),
        second[90..]
    );
    assert_eq!(store.read_event("hotswap", "agg-0", 7).unwrap(), second[6]);
    assert_eq!(io.reads(), after_first);
}

#[test]
fn saved_events_are_read_back_from_memory() {
    let t = TempStore::new();
    let (store, io) = t.open_counting(1 << 20);
    let saved: Vec<Event> = (0..20)
        .map(|e| store.append(ev("hotswap", "a", &e.to_string())).unwrap())
        .collect();
    assert_eq!(store.read_aggregate("hotswap", "a", 0).unwrap(), saved);
    assert_eq!(io.reads(), 0);
}

#[test]
fn with_a_zero_budget_every_read_reads_the_files() {
    let t = TempStore::new();
    populate(&t, 1, 10);
    let (store, io) = t.open_counting(0);
    // The first read also lists the aggregate (which parses its files once).
    assert_eq!(
        store.read_aggregate("hotswap", "agg-0", 0).unwrap().len(),
        10
    );
    for n in 1..=3 {
        let before = io.reads();
        assert_eq!(
            store.read_aggregate("hotswap", "agg-0", 0).unwrap().len(),
            10
        );
        assert_eq!(io.reads() - before, 10, "read {n}");
    }
    assert_eq!(store.cached_event_bytes(), 0);
}

#[test]
fn the_cache_stays_within_its_budget() {
    let t = TempStore::new();
    populate(&t, 50, 20);
    let budget = 64 * 1024;
    let (store, _) = t.open_counting(budget);
    for round in 0..2 {
        for a in 0..50 {
            let events = store
                .read_aggregate("hotswap", &format!("agg-{a}"), 0)
                .unwrap();
            assert_eq!(events.len(), 20, "round {round}");
            assert!(store.cached_event_bytes() <= budget);
        }
    }
    assert!(store.cached_event_bytes() > 0);
}

#[test]
fn events_written_by_another_store_are_seen_despite_the_cache() {
    let t = TempStore::new();
    let reader = t.open();
    let writer = t.open();
    writer.append(ev("hotswap", "a", "1")).unwrap();
    assert_eq!(reader.read_aggregate("hotswap", "a", 0).unwrap().len(), 1);
    for n in 2..=40 {
        writer.append(ev("hotswap", "a", &n.to_string())).unwrap();
        let events = reader.read_aggregate("hotswap", "a", 0).unwrap();
        assert_eq!(events.len(), n);
        assert_eq!(events.last().unwrap().metadata.event_id, n.to_string());
    }
}

#[test]
fn a_large_aggregate_read_from_its_files_by_several_threads_comes_back_in_version_order() {
    let t = TempStore::new();
    populate(&t, 1, 150);
    for budget in [0, 1 << 20] {
        let (store, io) = t.open_counting(budget);
        // The first use settles the aggregate from `.ids` and its last file.
        store.current_version("hotswap", "agg-0").unwrap();
        let before = io.reads();
        let events = store.read_aggregate("hotswap", "agg-0", 20).unwrap();
        assert!(
            io.reads() - before >= 129,
            "budget {budget}: read from the files"
        );
        let ids: Vec<String> = events.iter().map(|e| e.metadata.event_id.clone()).collect();
        let expected: Vec<String> = (20..150).map(|e| format!("0-{e}")).collect();
        assert_eq!(ids, expected, "budget {budget}");
        assert!(
            events
                .iter()
                .zip(21..)
                .all(|(e, v)| e.metadata.aggregate_version == v)
        );
    }
}
