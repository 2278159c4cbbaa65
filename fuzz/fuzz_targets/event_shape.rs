//! Event data of any shape down the save path: `Event::new` (the envelope check), the
//! read limits (`unreadable_part`), the file rendering (`to_file_json_within`) and the
//! read back (`Event::from_json`). The input picks the shape: nesting up to 4,000 levels
//! (four times the limit), up to 4,095 copies of a leaf taken from its bytes, texts of up
//! to 8 KiB (whose rendering at depth can pass the 16 KiB bound many times over, as the
//! issue's 2 MB event passed the default 16 MiB), so run it under a memory limit
//! (`-rss_limit_mb=2048`): each shape must be refused or rendered within the bound given,
//! never use memory growing with the square of its depth, never crash.
//!
//! Asserts: a rendered file is within its bound and reads back with the same tokens.
#![no_main]

mod common;

use bytehot_eventstore::{Event, EventMetadata, unreadable_part};
use libfuzzer_sys::fuzz_target;

/// The largest text built from one input.
const MAX_TEXT: usize = 8 << 10;

/// File size bounds to render within: a tight one (many refusals) and a loose one; the
/// default 16 MiB takes the same path at a small fraction of the executions per second.
const BOUNDS: [usize; 2] = [2 << 10, 16 << 10];

fn shape(data: &[u8]) -> Option<String> {
    let (header, leaf) = data.split_at_checked(5)?;
    let objects = header[0] & 1 == 1;
    let width_at_every_level = header[0] & 2 == 2;
    let depth = usize::from(u16::from_le_bytes([header[1], header[2]])) % 4001;
    let width = usize::from(u16::from_le_bytes([header[3], header[4]])) % 4096;
    let leaf = match std::str::from_utf8(leaf) {
        Ok(text) if serde_json::from_str::<serde_json::Value>(text).is_ok() => text.to_string(),
        _ => serde_json::to_string(&String::from_utf8_lossy(leaf)).ok()?,
    };
    let mut text = String::new();
    let (open, close) = if objects { ("{\"k\":", '}') } else { ("[", ']') };
    for _ in 0..depth {
        text.push_str(open);
    }
    for i in 0..width.max(1) {
        if text.len() + leaf.len() > MAX_TEXT {
            break;
        }
        if i > 0 && !objects {
            text.push(',');
        }
        if i > 0 && objects {
            break; // one member per object: a second would need a name
        }
        text.push_str(&leaf);
    }
    for level in 0..depth {
        if width_at_every_level && !objects && level % 7 == 0 && text.len() + 64 < MAX_TEXT {
            text.push_str(",1,\"two\",[3]");
        }
        text.push(close);
    }
    Some(text)
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = shape(data) else {
        return;
    };
    let Ok(event) = Event::new("Fuzzed", EventMetadata::new("t", "a", "e"), &text) else {
        return;
    };
    if unreadable_part(event.data.get()).is_some() {
        return; // the store refuses it at save
    }
    for bound in BOUNDS {
        let Some(file) = event.to_file_json_within(bound) else {
            continue;
        };
        assert!(file.len() <= bound, "{} bytes over {bound}", file.len());
        let back = Event::from_json(&file).expect("a file the store renders reads back");
        assert_eq!(
            common::minify(back.data.get()),
            common::minify(event.data.get()),
            "a token changed"
        );
    }
});
