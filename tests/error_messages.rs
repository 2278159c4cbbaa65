//! Errors say what is wrong in the caller's terms, not the system call's that tripped.

mod common;

use bytehot_eventstore::{Config, Error, Event, EventStore};
use common::TempStore;

fn with_timestamp(text: &str) -> Result<Event, Error> {
    let json = format!(
        r#"{{"eventType":"Ticked","eventMetadata":{{"eventId":"e1","aggregateType":"t","aggregateId":"a","aggregateVersion":0,"timestamp":"{text}","schemaVersion":1}},"eventData":{{}}}}"#
    );
    Event::from_json(json.as_bytes())
}

#[test]
fn a_timestamp_outside_the_years_0000_to_9999_says_so() {
    for text in [
        "+10000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",
        "-0001-01-01T00:00:00Z",
    ] {
        match with_timestamp(text) {
            Err(Error::InvalidEvent { field, reason }) => {
                assert_eq!(field, "eventMetadata.timestamp");
                assert!(
                    reason.contains("outside the years 0000 to 9999"),
                    "{text}: {reason}"
                );
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    match with_timestamp("yesterday") {
        Err(Error::InvalidEvent { reason, .. }) => {
            assert!(reason.contains("is not an ISO-8601 instant"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_base_path_that_names_a_file_says_it_is_not_a_directory() {
    let t = TempStore::new();
    std::fs::write(&t.base, b"a file").unwrap();
    match EventStore::open(Config::new(&t.base)) {
        Err(Error::Unavailable { reason }) => {
            assert!(reason.contains("is not a directory"), "{reason}");
            assert!(!reason.contains("File exists"), "{reason}");
        }
        other => panic!("{:?}", other.err()),
    }
}
