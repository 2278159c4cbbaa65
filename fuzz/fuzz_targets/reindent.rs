//! `reindent` on any valid JSON text.
//!
//! Asserts: the output parses to the same `serde_json::Value` and keeps every token
//! byte for byte (only whitespace between tokens changes), at several start levels.
#![no_main]

mod common;

use bytehot_eventstore::reindent;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let tokens = common::minify(text);
    for level in [0, 1, 3] {
        let out = reindent(text, level);
        match serde_json::from_str::<Value>(&out) {
            Ok(again) => assert_eq!(again, value, "level {level}: {out}"),
            Err(e) => panic!("level {level}: reindent output is not JSON ({e}):\n{out}"),
        }
        assert_eq!(
            common::minify(&out),
            tokens,
            "level {level}: a token changed"
        );
    }
});
