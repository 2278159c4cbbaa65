//! `FileName::parse` on arbitrary strings.
//!
//! Asserts: never panics; a parsed name's `render()` parses again to the same
//! `sort_key()` and event type, with a 3-digit sequence; a 20-digit name renders to
//! exactly itself.
#![no_main]

use bytehot_eventstore::FileName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let Some(parsed) = FileName::parse(name) else {
        return;
    };
    let rendered = parsed.render();
    let Some(again) = FileName::parse(&rendered) else {
        panic!("{name:?} renders to {rendered:?}, which does not parse");
    };
    assert_eq!(
        again.sort_key(),
        parsed.sort_key(),
        "{name:?} -> {rendered:?}"
    );
    assert_eq!(
        again.event_type, parsed.event_type,
        "{name:?} -> {rendered:?}"
    );
    assert_eq!(again.seq, Some(parsed.seq.unwrap_or(0)));
    if parsed.seq.is_some() {
        assert_eq!(rendered, name, "a 20-digit name renders to itself");
    }
});
