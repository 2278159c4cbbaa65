//! `decode_records` on arbitrary bytes: the journal replayed at open after a crash.
//!
//! Asserts: never panics; every decoded record re-encodes to exactly the bytes it was
//! decoded from, in order (so a torn or corrupt record can only end the journal, never
//! change one); a clean decode consumed the whole input.
#![no_main]

use bytehot_eventstore::{decode_records, encode_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (records, clean) = decode_records(data);
    let mut again = Vec::new();
    for (path, bytes) in &records {
        again.extend(encode_record(path, bytes));
    }
    assert_eq!(&data[..again.len()], again.as_slice(), "records re-encode to their input");
    assert_eq!(clean, again.len() == data.len(), "clean means everything was consumed");
});
