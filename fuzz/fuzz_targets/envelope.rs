//! `Event::from_json` / `Event::batch_from_json` on arbitrary bytes.
//!
//! Asserts: parsing never panics; a parsed event's file form (`to_file_json`) re-parses
//! to the same type and metadata with `eventData` token-for-token equal; its wire form
//! (`write_json`, `batch_to_json`) re-parses to an equal `Event` (raw data byte-equal).
#![no_main]

mod common;

use bytehot_eventstore::Event;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn check(e: &Event) {
    let file = e.to_file_json();
    let again = match Event::from_json(&file) {
        Ok(again) => again,
        Err(err) => panic!(
            "file form does not re-parse: {err}\n{}",
            String::from_utf8_lossy(&file)
        ),
    };
    assert_eq!(again.event_type, e.event_type);
    assert_eq!(again.metadata, e.metadata);
    assert_eq!(
        common::minify(again.data.get()),
        common::minify(e.data.get()),
        "file form changed a token of eventData"
    );
    if let Ok(v) = serde_json::from_str::<Value>(e.data.get()) {
        let w: Value = serde_json::from_str(again.data.get()).expect("file form data is JSON");
        assert_eq!(v, w);
    }

    let mut wire = Vec::new();
    e.write_json(&mut wire);
    match Event::from_json(&wire) {
        Ok(w) => assert!(w == *e, "wire form re-parses to a different event"),
        Err(err) => panic!(
            "wire form does not re-parse: {err}\n{}",
            String::from_utf8_lossy(&wire)
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Event::from_json(data) {
        check(&e);
    }
    if let Ok(batch) = Event::batch_from_json(data) {
        for e in &batch {
            check(e);
        }
        let wire = Event::batch_to_json(&batch);
        match Event::batch_from_json(&wire) {
            Ok(again) => assert!(again == batch, "batch wire form re-parses differently"),
            Err(err) => panic!("batch wire form does not re-parse: {err}"),
        }
    }
});
