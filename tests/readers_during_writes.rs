//! Readers running while writers append only ever see a contiguous prefix 1..n of whole
//! events: never a gap, never a torn file, never a version twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytehot_eventstore::EventStore;
use common::*;

const WRITERS: usize = 2;
const PER_WRITER: usize = 400;

fn assert_prefix(events: &[bytehot_eventstore::Event], last_seen: &mut usize) {
    assert!(
        events.len() >= *last_seen,
        "a read went backwards: {} after {}",
        events.len(),
        last_seen
    );
    *last_seen = events.len();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e.metadata.aggregate_version,
            i as u64 + 1,
            "read of {} events is not the prefix 1..n",
            events.len()
        );
        // Whole events only: the data written is always complete.
        assert!(e.data.get().contains("\"payload\""), "torn event {i}");
    }
    assert_chain(events);
}

fn run(writer_store: Arc<EventStore>, reader_stores: Vec<Arc<EventStore>>) {
    let done = Arc::new(AtomicBool::new(false));
    let payload = format!(r#"{{"payload":"{}"}}"#, "x".repeat(4000));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = writer_store.clone();
            let payload = payload.clone();
            std::thread::spawn(move || {
                for i in 0..PER_WRITER {
                    store
                        .append(ev_with(
                            meta("t", "a", &format!("w{w}-{i}")),
                            "TestEvent",
                            &payload,
                        ))
                        .unwrap();
                }
            })
        })
        .collect();
    let readers: Vec<_> = reader_stores
        .into_iter()
        .map(|store| {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut reads = 0usize;
                let mut last_seen = 0usize;
                while !done.load(Ordering::Acquire) {
                    let events = store.read_aggregate("t", "a", 0).unwrap();
                    assert_prefix(&events, &mut last_seen);
                    // Versions read one by one agree with the listing.
                    if let Some(last) = events.last() {
                        let v = last.metadata.aggregate_version;
                        assert!(store.current_version("t", "a").unwrap() >= v);
                        let again = store.read_event("t", "a", v).unwrap();
                        assert_eq!(again.metadata.event_id, last.metadata.event_id);
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let events = writer_store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(events.len(), WRITERS * PER_WRITER);
    assert_chain(&events);
}

#[test]
fn readers_through_the_writing_store_see_only_contiguous_prefixes() {
    let t = TempStore::new();
    let store = Arc::new(t.open());
    run(store.clone(), vec![store.clone(), store]);
}

#[test]
fn readers_through_another_store_instance_see_only_contiguous_prefixes() {
    // A second instance shares no cache or mutex with the writer: it sees only the files.
    let t = TempStore::new();
    let writer = Arc::new(t.open());
    let reader = Arc::new(t.open());
    let reader2 = Arc::new(t.open());
    run(writer, vec![reader, reader2]);
}
