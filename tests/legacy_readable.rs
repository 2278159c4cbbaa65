//! `legacy-readable`: files ByteHot's pure-Java adapter can read, because it reads an
//! event's metadata from `eventData`: the metadata is repeated at the start of an object
//! `eventData`, the event's own members after it (and winning on a shared name).

mod common;

use bytehot_eventstore::{Config, Durability, Event, EventMetadata, EventStore};
use serde_json::Value;

fn saved_file(legacy_readable: bool, data: &str) -> (Event, Value, Vec<Event>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let mut config = Config::new(&base).durability(Durability::None);
    config.legacy_readable = legacy_readable;
    let store = EventStore::open(config).unwrap();
    let mut metadata = EventMetadata::new("filewatch", "Foo.class", "e1");
    metadata.user_id = Some("ada".to_string());
    store
        .append(Event::new("ClassFileChanged", metadata, data).unwrap())
        .unwrap();
    let mut next = EventMetadata::new("filewatch", "Foo.class", "e2");
    next.correlation_id = Some("c-1".to_string());
    let stored = store
        .append(Event::new("ClassFileChanged", next, data).unwrap())
        .unwrap();
    let dir = base.join("filewatch").join("Foo.class");
    let name = common::event_file_names(&dir).pop().unwrap();
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let read = store.read_aggregate("filewatch", "Foo.class", 0).unwrap();
    (stored, file, read, text)
}

#[test]
fn legacy_readable_files_repeat_the_metadata_at_the_start_of_event_data() {
    let (stored, file, read, text) = saved_file(true, r#"{"className":"Foo","fileSize":3}"#);
    let data = &file["eventData"];
    let m = &stored.metadata;
    assert_eq!(data["eventId"], "e2");
    assert_eq!(data["aggregateType"], "filewatch");
    assert_eq!(data["aggregateId"], "Foo.class");
    assert_eq!(data["aggregateVersion"], 2);
    assert_eq!(data["previousEventId"], "e1");
    assert_eq!(data["correlationId"], "c-1");
    assert_eq!(data["schemaVersion"], 1);
    assert_eq!(
        data["timestamp"]
            .as_str()
            .and_then(bytehot_eventstore::parse_instant),
        m.timestamp
    );
    assert_eq!(data["className"], "Foo");
    assert_eq!(data["fileSize"], 3);
    assert_eq!(
        file["eventMetadata"]["eventId"], "e2",
        "the envelope is unchanged"
    );
    let event_data = &text[text.find("\"eventData\"").unwrap()..];
    assert!(
        event_data.find("\"eventId\"").unwrap() < event_data.find("\"className\"").unwrap(),
        "the metadata comes first: {event_data}"
    );
    assert!(read[0].data.get().contains("\"userId\":\"ada\""));
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[1].data.get(),
        stored.data.get(),
        "reads return what the file holds"
    );
}

#[test]
fn an_events_own_member_wins_over_the_repeated_metadata_of_the_same_name() {
    let (_, file, _, _) = saved_file(true, r#"{"timestamp":"own","aggregateId":"own-id"}"#);
    assert_eq!(file["eventData"]["timestamp"], "own");
    assert_eq!(file["eventData"]["aggregateId"], "own-id");
    assert_eq!(file["eventMetadata"]["aggregateId"], "Foo.class");
}

#[test]
fn without_the_setting_event_data_holds_the_events_own_members_only() {
    let (_, file, _, _) = saved_file(false, r#"{"className":"Foo"}"#);
    assert_eq!(file["eventData"], serde_json::json!({"className": "Foo"}));
}

#[test]
fn data_that_is_not_an_object_is_written_as_it_is() {
    let (_, file, _, _) = saved_file(true, "[1,2]");
    assert_eq!(file["eventData"], serde_json::json!([1, 2]));
}
