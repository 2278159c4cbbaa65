//! Many threads of one process appending to the same aggregate and to different ones,
//! through one store and through two store instances on the same directory.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use bytehot_eventstore::EventStore;
use common::*;

const THREADS: usize = 8;
const PER_THREAD: usize = 100;

fn check_aggregate(store: &EventStore, ty: &str, id: &str, expected_ids: &HashSet<String>) {
    let events = store.read_aggregate(ty, id, 0).unwrap();
    assert_eq!(events.len(), expected_ids.len(), "{ty}/{id}");
    assert_chain(&events);
    let ids: HashSet<String> = events.iter().map(|e| e.metadata.event_id.clone()).collect();
    assert_eq!(&ids, expected_ids, "{ty}/{id}");
}

#[test]
fn many_threads_appending_to_one_aggregate_get_every_version_exactly_once() {
    let t = TempStore::new();
    let store = Arc::new(t.open());
    let handles: Vec<_> = (0..THREADS)
        .map(|th| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut versions = Vec::new();
                for i in 0..PER_THREAD {
                    let e = store
                        .append(ev("t", "shared", &format!("t{th}-{i}")))
                        .unwrap();
                    versions.push(e.metadata.aggregate_version);
                }
                versions
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    let expected: Vec<u64> = (1..=(THREADS * PER_THREAD) as u64).collect();
    assert_eq!(all, expected, "each version handed out exactly once");
    let ids = (0..THREADS)
        .flat_map(|th| (0..PER_THREAD).map(move |i| format!("t{th}-{i}")))
        .collect();
    check_aggregate(&store, "t", "shared", &ids);
}

#[test]
fn many_threads_appending_to_different_aggregates_keep_each_chain() {
    let t = TempStore::new();
    let store = Arc::new(t.open());
    let handles: Vec<_> = (0..THREADS)
        .map(|th| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    // Each thread owns an aggregate, and all share a second one, in a
                    // batch that spans both (locks taken in key order: no deadlock).
                    let own = format!("own-{th}");
                    if i % 10 == 0 {
                        store
                            .append_batch(vec![
                                ev("u", "common", &format!("c{th}-{i}")),
                                ev("t", &own, &format!("{own}-{i}")),
                            ])
                            .unwrap();
                    } else {
                        store.append(ev("t", &own, &format!("{own}-{i}"))).unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for th in 0..THREADS {
        let own = format!("own-{th}");
        let ids = (0..PER_THREAD).map(|i| format!("{own}-{i}")).collect();
        check_aggregate(&store, "t", &own, &ids);
    }
    let common_ids = (0..THREADS)
        .flat_map(|th| {
            (0..PER_THREAD)
                .step_by(10)
                .map(move |i| format!("c{th}-{i}"))
        })
        .collect();
    check_aggregate(&store, "u", "common", &common_ids);
    assert_eq!(
        store.total_event_count().unwrap(),
        (THREADS * PER_THREAD + THREADS * PER_THREAD / 10) as u64
    );
}

#[test]
fn threads_on_two_store_instances_of_one_directory_serialize_through_the_file_lock() {
    let t = TempStore::new();
    let stores = [Arc::new(t.open()), Arc::new(t.open())];
    let handles: Vec<_> = (0..4)
        .map(|th| {
            let store = stores[th % 2].clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    store
                        .append(ev("t", "shared", &format!("s{th}-{i}")))
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let ids = (0..4)
        .flat_map(|th| (0..PER_THREAD).map(move |i| format!("s{th}-{i}")))
        .collect();
    check_aggregate(&stores[0], "t", "shared", &ids);
    check_aggregate(&stores[1], "t", "shared", &ids);
}
