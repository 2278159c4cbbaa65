//! `decode_records` on arbitrary bytes: the journal replayed at open after a crash.
//!
//! Asserts: never panics; every decoded record re-encodes (after the header, in the
//! header's epoch) to exactly the bytes it was decoded from, in order (so a torn or
//! corrupt record can only end the journal, never change one); a clean decode consumed
//! the whole input, or left only zeros after a header.
#![no_main]

use bytehot_eventstore::{decode_records, encode_header, encode_record_in, journal_epoch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (records, clean) = decode_records(data);
    let epoch = journal_epoch(data);
    let mut again = epoch.map(|e| encode_header(e).to_vec()).unwrap_or_default();
    for (path, bytes) in &records {
        again.extend(encode_record_in(epoch.unwrap_or(0), path, bytes));
    }
    assert_eq!(&data[..again.len()], again.as_slice(), "records re-encode to their input");
    let rest_is_padding = epoch.is_some() && data[again.len()..].iter().all(|b| *b == 0);
    assert_eq!(
        clean,
        again.len() == data.len() || rest_is_padding,
        "clean means everything was consumed, or only zeros after a header are left"
    );
});
