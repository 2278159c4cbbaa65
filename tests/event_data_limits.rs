//! `eventData` the store cannot keep, or the Java side could not read back, is refused
//! before anything is rendered or written, and refusing it costs memory in proportion to
//! the limit, not to the pretty-printed size (which grows with depth times lines).

mod common;

use std::process::Command;

use bytehot_eventstore::{
    Error, Event, EventMetadata, MAX_DATA_DEPTH, MAX_NAME_LENGTH, MAX_NUMBER_LENGTH,
    MAX_STRING_LENGTH,
};
use common::TempStore;

/// Set in the child process that saves the event under an address-space limit.
const CHILD_DIR: &str = "EVENTSTORE_TEST_LIMITS_DIR";

/// The child's address-space limit: far below what printing the deep event would take
/// (1.8 GB), far above what refusing it needs.
const CHILD_ADDRESS_SPACE: u64 = 1 << 30;

fn event(data: &str) -> Event {
    Event::new("Deep", EventMetadata::new("t", "a", "e1"), data).unwrap()
}

/// `[[[...1,1,...]]]`: `depth` levels, each holding `width` numbers beside the next level.
fn deep_and_wide(depth: usize, width: usize) -> String {
    let row = "1,".repeat(width);
    let mut s = String::with_capacity(depth * (row.len() + 2));
    for _ in 0..depth {
        s.push('[');
        s.push_str(&row);
    }
    s.push('0');
    for _ in 0..depth {
        s.push(']');
    }
    s
}

fn assert_refused(result: Result<Event, Error>, what: &str) {
    match result {
        Err(Error::InvalidEvent { field, reason }) => {
            assert!(field.ends_with("eventData"), "{field}: {reason}");
            assert!(reason.contains(what), "{reason}");
        }
        other => panic!("expected an InvalidEvent about {what}, got {other:?}"),
    }
}

#[test]
fn data_nested_deeper_than_a_reader_accepts_is_refused() {
    let t = TempStore::new();
    let store = t.open();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_refused(store.append(event(&deep)), "levels deep");
    let limit = deep_and_wide(MAX_DATA_DEPTH + 1, 0);
    assert_refused(store.append(event(&limit)), "levels deep");
    assert_eq!(store.current_version("t", "a").unwrap(), 0);
    assert!(!t.base.join("t").exists(), "nothing was written");
}

#[test]
fn data_nested_as_deep_as_a_reader_accepts_is_stored() {
    let t = TempStore::new();
    let store = t.open();
    let data = deep_and_wide(MAX_DATA_DEPTH, 1);
    let stored = store.append(event(&data)).unwrap();
    let read = store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(common::data_tokens(&read[0]), common::data_tokens(&stored));
}

#[test]
fn data_whose_printed_file_would_pass_the_limit_is_refused_within_bounded_memory() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        // The child: 2 MB of data, 900 levels with 1,000 numbers each, whose file would
        // be ~1.8 GB once indented; refused under the default 16 MiB limit.
        let store = bytehot_eventstore::EventStore::open(
            bytehot_eventstore::Config::new(&dir).durability(bytehot_eventstore::Durability::None),
        )
        .unwrap();
        let data = deep_and_wide(900, 1_000);
        assert!(data.len() < 4 << 20);
        assert_refused(store.append(event(&data)), "once pretty-printed");
        println!("refused");
        return;
    }
    let t = TempStore::new();
    let out = Command::new("prlimit")
        .arg(format!("--as={CHILD_ADDRESS_SPACE}"))
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "data_whose_printed_file_would_pass_the_limit_is_refused_within_bounded_memory",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, &t.base)
        .output()
        .expect("prlimit (util-linux) runs the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("refused"),
        "the child under a {CHILD_ADDRESS_SPACE}-byte address space: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn data_over_the_size_limit_is_refused_before_it_is_rendered() {
    let t = TempStore::new();
    let mut config = t.config();
    config.max_event_size = 1024;
    let store = bytehot_eventstore::EventStore::open(config).unwrap();
    let data = format!("\"{}\"", "x".repeat(2000));
    assert_refused(store.append(event(&data)), "over max-event-size-bytes");
    assert_eq!(store.current_version("t", "a").unwrap(), 0);
}

#[test]
fn numbers_strings_and_names_a_reader_would_refuse_are_refused_at_save() {
    let t = TempStore::new();
    let mut config = t.config();
    config.max_event_size = 64 << 20;
    let store = bytehot_eventstore::EventStore::open(config).unwrap();
    let number = format!("{{\"n\":{}}}", "9".repeat(MAX_NUMBER_LENGTH + 1));
    assert_refused(store.append(event(&number)), "a number over");
    let name = format!("{{\"{}\":1}}", "k".repeat(MAX_NAME_LENGTH + 1));
    assert_refused(store.append(event(&name)), "a member name of");
    let string = format!("\"{}\"", "é".repeat(MAX_STRING_LENGTH + 1));
    assert_refused(store.append(event(&string)), "a string of");
    assert_eq!(store.current_version("t", "a").unwrap(), 0);

    let at_the_limits = format!(
        "{{\"{}\":{},\"s\":\"{}\"}}",
        "k".repeat(MAX_NAME_LENGTH),
        "9".repeat(MAX_NUMBER_LENGTH),
        "\\u00e9".repeat(1000)
    );
    let stored = store.append(event(&at_the_limits)).unwrap();
    let read = store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(common::data_tokens(&read[0]), common::data_tokens(&stored));
}

#[test]
fn verify_reports_a_stored_event_a_reader_would_refuse() {
    let t = TempStore::new();
    let store = t.open();
    let stored = store.append(event("{}")).unwrap();
    let dir = t.base.join("t").join("a");
    let file = dir.join(common::event_file_names(&dir).pop().unwrap());
    let planted = Event::new(
        &stored.event_type,
        stored.metadata.clone(),
        &format!("{{\"n\":{}}}", "1".repeat(MAX_NUMBER_LENGTH + 1)),
    )
    .unwrap();
    std::fs::write(&file, planted.to_file_json()).unwrap();
    let problems = store.verify().unwrap();
    assert!(
        problems.iter().any(
            |p| p.contains(&file.display().to_string()) && p.contains("readers cannot load it")
        ),
        "{problems:?}"
    );
}
