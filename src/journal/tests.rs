use std::fs;
use std::sync::Arc;

use crate::config::Durability;
use crate::file::wait;

use super::format::{
    crc32, decode_records, encode_header, encode_record, encode_record_in, epoch_mask, rekey,
};
use super::{FIRST_ALLOCATION, Journal};

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn records_round_trip_and_a_torn_tail_is_cut() {
    let mut bytes = encode_record("hotswap/a/x.json", b"{\"a\":1}");
    bytes.extend(encode_record("hotswap/a/y.json", b"{}"));
    let (records, clean) = decode_records(&bytes);
    assert!(clean);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].0, "hotswap/a/y.json");
    for cut in 1..bytes.len() {
        let (records, clean) = decode_records(&bytes[..cut]);
        assert!(records.len() < 2 || cut == bytes.len());
        assert!(!clean || records.len() == 1);
    }
    let mut flipped = bytes.clone();
    flipped[12] ^= 1;
    assert_eq!(decode_records(&flipped).0.len(), 0);
}

#[test]
fn a_header_journal_reads_its_epoch_and_stops_at_an_earlier_epochs_record() {
    let mut bytes = encode_header(7).to_vec();
    bytes.extend(encode_record_in(7, "hotswap/a/x.json", b"{}"));
    let stale = encode_record_in(6, "hotswap/a/y.json", b"{}");
    bytes.extend(&stale);
    let (records, clean) = decode_records(&bytes);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].0, "hotswap/a/x.json");
    assert!(!clean);
    // The same record framed for epoch 7 is read.
    bytes.truncate(bytes.len() - stale.len());
    bytes.extend(encode_record_in(7, "hotswap/a/y.json", b"{}"));
    assert_eq!(decode_records(&bytes).0.len(), 2);
}

#[test]
fn zeroed_space_after_the_records_is_clean_and_ends_the_journal() {
    let mut bytes = encode_header(3).to_vec();
    bytes.extend(encode_record_in(3, "hotswap/a/x.json", b"{}"));
    bytes.extend([0u8; 4096]);
    let (records, clean) = decode_records(&bytes);
    assert_eq!((records.len(), clean), (1, true));
    // Without a header zeros are not padding: such journals never had any.
    let (records, clean) = decode_records(&bytes[16..]);
    assert_eq!((records.len(), clean), (0, false));
}

#[test]
fn rekeying_epoch_zero_records_equals_framing_them_in_the_epoch() {
    let mut records = encode_record("hotswap/a/x.json", b"{\"a\":1}");
    records.extend(encode_record("hotswap/a/y.json", b"{}"));
    let mut expected = encode_record_in(5, "hotswap/a/x.json", b"{\"a\":1}");
    expected.extend(encode_record_in(5, "hotswap/a/y.json", b"{}"));
    rekey(&mut records, 5);
    assert_eq!(records, expected);
    assert_ne!(epoch_mask(5), epoch_mask(6));
}

fn zeroing_done(journal: &Journal) -> u64 {
    let mut state = journal.zeroing.state();
    while state.1 {
        state = wait(&journal.zeroing.grown, state);
    }
    state.0
}

#[test]
fn the_zeroed_space_is_extended_ahead_of_need_and_no_record_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let journal =
        Journal::create(dir.path(), Arc::new(crate::io::OsIo), Durability::Always).unwrap();
    let body = vec![b'x'; 10 * 1024];
    let record = |name: &str| encode_record(&format!("t/a/{name}"), &body);
    let size = || fs::metadata(&journal.path).unwrap().len();
    // Past half of the first MiB: the next step is zeroed by the thread, before any
    // append needs it.
    let mut n = 0;
    while journal.lock().bytes < FIRST_ALLOCATION / 2 + 1 {
        drop(journal.append(record(&format!("s{n}"))).unwrap());
        n += 1;
    }
    assert_eq!(zeroing_done(&journal), 2 * FIRST_ALLOCATION);
    assert_eq!(size(), 2 * FIRST_ALLOCATION);
    assert!(journal.lock().bytes < FIRST_ALLOCATION);
    // Four threads append through several steps while the thread zeros ahead.
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (journal, record) = (&journal, &record);
            scope.spawn(move || {
                for i in 0..150 {
                    drop(journal.append(record(&format!("t{t}-{i}"))).unwrap());
                }
            });
        }
    });
    let end = zeroing_done(&journal);
    let bytes = journal.lock().bytes;
    assert!(bytes > 4 * FIRST_ALLOCATION, "several steps were crossed");
    assert_eq!(size(), end);
    assert!(end > bytes);
    let file = fs::read(&journal.path).unwrap();
    let (records, clean) = decode_records(&file);
    assert!(clean, "only zeros follow the records");
    let mut names: Vec<&str> = records.iter().map(|(p, _)| p.as_str()).collect();
    assert!(records.iter().all(|(_, b)| *b == body.as_slice()));
    names.sort_unstable();
    let mut expected: Vec<String> = (0..n).map(|i| format!("t/a/s{i}")).collect();
    expected.extend((0..4).flat_map(|t| (0..150).map(move |i| format!("t/a/t{t}-{i}"))));
    expected.sort_unstable();
    assert_eq!(names, expected);
}

#[test]
fn a_torn_header_reads_as_an_empty_journal() {
    let header = encode_header(1);
    for cut in 4..header.len() {
        assert_eq!(decode_records(&header[..cut]), (Vec::new(), false));
    }
}
