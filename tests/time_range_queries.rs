//! `read_between` gives the right answer for every pair of instants the API accepts,
//! including bounds far outside the years 0000-9999 that events can carry (whose day
//! folders would not sort as their times do): checked against a plain filter of every
//! stored event, over the whole range of `DateTime<Utc>`.

mod common;

use bytehot_eventstore::{Event, EventMetadata};
use chrono::{DateTime, Utc};
use common::{Rng, TempStore, utc};

fn stamped(id: &str, at: DateTime<Utc>) -> Event {
    let mut metadata = EventMetadata::new("clock", id, id);
    metadata.timestamp = Some(at);
    Event::new("Ticked", metadata, "{}").unwrap()
}

fn ids(events: &[Event]) -> Vec<String> {
    let mut ids: Vec<String> = events.iter().map(|e| e.metadata.event_id.clone()).collect();
    ids.sort();
    ids
}

#[test]
fn every_range_returns_exactly_the_events_inside_it() {
    let t = TempStore::new();
    let store = t.open();
    let stamps = [
        utc(0, 1, 1, 0, 0, 0, 0),
        utc(1, 6, 30, 12, 0, 0, 0),
        utc(1969, 12, 31, 23, 59, 59, 999),
        utc(1970, 1, 1, 0, 0, 0, 0),
        utc(2026, 12, 4, 1, 2, 3, 4),
        utc(9999, 12, 30, 23, 59, 59, 999),
    ];
    let stored: Vec<Event> = stamps
        .iter()
        .enumerate()
        .map(|(i, at)| store.append(stamped(&format!("e{i}"), *at)).unwrap())
        .collect();
    let expect = |from: DateTime<Utc>, to: DateTime<Utc>| -> Vec<String> {
        let inside: Vec<Event> = stored
            .iter()
            .filter(|e| e.metadata.timestamp.is_some_and(|t| t >= from && t <= to))
            .cloned()
            .collect();
        ids(&inside)
    };
    let mut bounds = vec![
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        utc(-1, 12, 31, 23, 59, 59, 999),
        utc(10000, 1, 1, 0, 0, 0, 0),
        utc(99998, 6, 1, 0, 0, 0, 0),
        utc(99999, 1, 1, 0, 0, 0, 0),
        utc(100000, 1, 1, 0, 0, 0, 0),
        DateTime::UNIX_EPOCH,
        utc(9999, 12, 31, 23, 59, 59, 999),
    ];
    bounds.extend(stamps);
    // Random instants over the whole range of DateTime<Utc>, and near the stored ones.
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for i in 0..40 {
        let secs = min + (rng.next() % (max - min) as u64) as i64;
        bounds.extend(DateTime::from_timestamp(secs, 0));
        let near = stamps[i % stamps.len()].timestamp() + (rng.next() % 7_200) as i64 - 3_600;
        bounds.extend(DateTime::from_timestamp(near, 0));
    }
    for from in &bounds {
        for to in &bounds {
            let got = ids(&store.read_between(*from, *to).unwrap());
            assert_eq!(got, expect(*from, *to), "read_between({from}, {to})");
        }
    }
}
