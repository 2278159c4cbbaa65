//! `compression-enabled`: full segments become `.jsonl.zst`, large single-event files
//! `.json.zst`, both read back exactly (and by `zstd -dc` where it is installed), queries
//! and verify see through them, and a compression cut short or a damaged file is named,
//! never served wrong.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytehot_eventstore::{Config, Durability, EventStore};

use common::{TempStore, assert_chain, data_tokens, ev, ev_with, meta, open_segmented as open};

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn unzstd(path: &Path) -> Vec<u8> {
    zstd::stream::decode_all(fs::File::open(path).unwrap()).unwrap()
}

#[test]
fn a_segment_is_compressed_once_full_and_reads_back_the_same() {
    let t = TempStore::new();
    let store = open(&t.base, 4, true);
    let mut written = Vec::new();
    for i in 0..9 {
        written.push(store.append(ev("t", "a", &format!("e{i}"))).unwrap());
    }
    let dir = t.base.join("t").join("a");
    let files = names(&dir);
    let kinds: Vec<&str> = files.iter().map(|n| &n[n.find('.').unwrap()..]).collect();
    assert_eq!(kinds, [".jsonl.zst", ".jsonl.zst", ".jsonl"], "{files:?}");
    let first = unzstd(&dir.join(&files[0]));
    assert_eq!(first.iter().filter(|b| **b == b'\n').count(), 4);
    if let Ok(out) = Command::new("zstd")
        .arg("-dc")
        .arg(dir.join(&files[1]))
        .output()
    {
        assert!(out.status.success());
        assert_eq!(out.stdout, unzstd(&dir.join(&files[1])));
    }
    assert_eq!(store.read_aggregate("t", "a", 0).unwrap(), written);
    store.close().unwrap();
    let reopened = open(&t.base, 4, true);
    let events = reopened.read_aggregate("t", "a", 0).unwrap();
    assert_chain(&events);
    assert_eq!(events.len(), 9);
    assert_eq!(reopened.read_event("t", "a", 2).unwrap(), written[1]);
    assert_eq!(reopened.read_by_type("TestEvent").unwrap().len(), 9);
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
    // The open segment goes on taking events, and the next one seals it.
    for i in 9..12 {
        reopened.append(ev("t", "a", &format!("e{i}"))).unwrap();
    }
    let files = names(&dir);
    assert!(files.iter().all(|n| n.ends_with(".jsonl.zst")), "{files:?}");
    assert_eq!(reopened.event_count("t", "a").unwrap(), 12);
}

#[test]
fn another_store_reading_a_segment_sees_it_sealed_and_goes_on_after_it() {
    let t = TempStore::new();
    let a = open(&t.base, 3, true);
    let b = open(&t.base, 3, true);
    a.append(ev("t", "x", "1")).unwrap();
    a.append(ev("t", "x", "2")).unwrap();
    assert_eq!(b.read_aggregate("t", "x", 0).unwrap().len(), 2);
    a.append(ev("t", "x", "3")).unwrap();
    b.append(ev("t", "x", "4")).unwrap();
    let events = a.read_aggregate("t", "x", 0).unwrap();
    assert_chain(&events);
    assert_eq!(events.len(), 4);
    let files = names(&t.base.join("t").join("x"));
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with(".jsonl.zst") && files[1].ends_with(".jsonl"));
}

#[test]
fn only_single_event_files_over_compression_min_bytes_are_compressed() {
    let t = TempStore::new();
    let mut config = Config::new(&t.base)
        .durability(Durability::None)
        .compression(true);
    config.compression_min_bytes = 2048;
    let store = EventStore::open(config).unwrap();
    let big = format!("{{\"bytecode\":\"{}\"}}", "QUJD".repeat(2000));
    let small = store.append(ev("t", "a", "small")).unwrap();
    let large = store
        .append(ev_with(meta("t", "a", "large"), "HotSwapRequested", &big))
        .unwrap();
    let files = names(&t.base.join("t").join("a"));
    assert!(files[0].ends_with("-TestEvent.json"), "{files:?}");
    assert!(
        files[1].ends_with("-HotSwapRequested.json.zst"),
        "{files:?}"
    );
    let on_disk = fs::metadata(t.base.join("t").join("a").join(&files[1]))
        .unwrap()
        .len();
    assert!(on_disk < 1000, "{on_disk} bytes for 8 KiB of repeated data");
    store.close().unwrap();
    let reopened = open(&t.base, 1, false);
    let events = reopened.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(events[0], small);
    assert_eq!(data_tokens(&events[1]), data_tokens(&large));
    assert_eq!(reopened.read_by_type("HotSwapRequested").unwrap().len(), 1);
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn compact_compresses_segments_no_save_appends_to_and_leaves_the_open_one() {
    let t = TempStore::new();
    let store = open(&t.base, 3, false);
    for i in 0..8 {
        store.append(ev("t", "a", &format!("e{i}"))).unwrap();
    }
    let before = store.read_aggregate("t", "a", 0).unwrap();
    store.close().unwrap();
    let store = open(&t.base, 3, true);
    let done = store.compact().unwrap();
    assert_eq!(done.segments_compressed, 2);
    let files = names(&t.base.join("t").join("a"));
    assert!(files[0].ends_with(".jsonl.zst") && files[1].ends_with(".jsonl.zst"));
    assert!(files[2].ends_with(".jsonl"), "{files:?}");
    assert_eq!(store.read_aggregate("t", "a", 0).unwrap(), before);
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 8);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    assert_eq!(store.compact().unwrap().segments_compressed, 0);
}

/// A closed store whose aggregate `t/a` holds a sealed (compressed) segment of two events
/// and an open one of one; with the aggregate's directory and the sealed segment's name.
fn one_sealed_segment() -> (TempStore, PathBuf, String) {
    let t = TempStore::new();
    let store = open(&t.base, 2, true);
    for i in 0..3 {
        store.append(ev("t", "a", &format!("e{i}"))).unwrap();
    }
    store.close().unwrap();
    let dir = t.base.join("t").join("a");
    let sealed = names(&dir)
        .into_iter()
        .find(|n| n.ends_with(".zst"))
        .unwrap();
    (t, dir, sealed)
}

#[test]
fn a_segment_left_beside_its_compressed_copy_is_not_read_twice_and_compact_removes_it() {
    let (t, dir, sealed) = one_sealed_segment();
    let plain = sealed.strip_suffix(".zst").unwrap();
    fs::write(dir.join(plain), unzstd(&dir.join(&sealed))).unwrap();
    let store = open(&t.base, 2, true);
    let events = store.read_aggregate("t", "a", 0).unwrap();
    assert_chain(&events);
    assert_eq!(events.len(), 3);
    let problems = store.verify().unwrap();
    assert!(
        problems.len() == 1 && problems[0].contains("interrupted compression"),
        "{problems:?}"
    );
    assert_eq!(store.compact().unwrap().leftovers_removed, 1);
    assert!(!dir.join(plain).exists());
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_compressed_file_that_does_not_decompress_is_a_corrupt_file_named_by_reads() {
    let (t, dir, sealed) = one_sealed_segment();
    fs::write(dir.join(&sealed), b"\x28\xb5\x2f\xfdgarbage").unwrap();
    let store = open(&t.base, 2, true);
    let err = store.read_aggregate("t", "a", 0).unwrap_err().to_string();
    assert!(err.contains(&sealed) && err.contains("zstd"), "{err}");
    assert!(!store.verify().unwrap().is_empty());
}

#[test]
fn an_aggregate_in_the_event_cache_is_not_decompressed_again() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (t, _, _) = one_sealed_segment();
    let compressed_reads = Arc::new(AtomicU64::new(0));
    let counter = compressed_reads.clone();
    let io = common::HookedIo::default().before(bytehot_eventstore::Call::Read, move |_, path| {
        if path.to_string_lossy().ends_with(".zst") {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    let config = Config::new(&t.base)
        .durability(Durability::None)
        .max_events_per_file(2)
        .compression(true);
    let store = EventStore::open_with(
        config,
        Arc::new(bytehot_eventstore::SystemClock),
        Arc::new(io),
    )
    .unwrap();
    let first = store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(compressed_reads.load(Ordering::Relaxed), 1);
    for _ in 0..3 {
        assert_eq!(store.read_aggregate("t", "a", 0).unwrap(), first);
    }
    assert_eq!(compressed_reads.load(Ordering::Relaxed), 1);
}
