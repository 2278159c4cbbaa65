//! Every timestamp a save accepts leaves room for the saves after it: the last day of year
//! 9999 is refused, so however many events follow the latest one (1,000 per millisecond
//! borrow the next millisecond), each still gets a file name and its aggregate stays
//! writable.

mod common;

use bytehot_eventstore::{Error, Event, EventMetadata};
use common::{TempStore, utc};

fn at(id: &str, t: chrono::DateTime<chrono::Utc>) -> Event {
    let mut metadata = EventMetadata::new("clock", "late", id);
    metadata.timestamp = Some(t);
    Event::new("Ticked", metadata, "{}").unwrap()
}

#[test]
fn a_timestamp_on_the_last_day_of_year_9999_is_refused_and_writes_nothing() {
    let t = TempStore::new();
    let store = t.open();
    match store.append(at("e1", utc(9999, 12, 31, 23, 59, 59, 999))) {
        Err(Error::InvalidEvent { field, reason }) => {
            assert_eq!(field, "eventMetadata.timestamp");
            assert!(reason.contains("9999-12-30"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.current_version("clock", "late").unwrap(), 0);
}

#[test]
fn the_latest_accepted_timestamp_leaves_room_for_thousands_of_later_saves() {
    let t = TempStore::new();
    let store = t.open();
    store
        .append(at("e0", utc(9999, 12, 30, 23, 59, 59, 999)))
        .unwrap();
    let later: Vec<Event> = (1..=2_500)
        .map(|i| at(&format!("e{i}"), utc(2026, 1, 1, 0, 0, 0, 0)))
        .collect();
    for chunk in later.chunks(500) {
        store.append_batch(chunk.to_vec()).unwrap();
    }
    assert_eq!(store.current_version("clock", "late").unwrap(), 2_501);
    assert_eq!(
        store.read_aggregate("clock", "late", 2_500).unwrap().len(),
        1
    );
}
