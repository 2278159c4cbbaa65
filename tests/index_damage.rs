//! Damage to the index (it is derived data) never changes what the store answers: lines
//! that are not index lines are neither counted nor returned, and a line a writer left
//! without its newline does not swallow the next one appended.

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;

use common::{TempStore, ev};

fn type_log(t: &TempStore) -> std::path::PathBuf {
    t.base.join(".index").join("types").join("TestEvent.log")
}

#[test]
fn garbage_lines_in_a_log_are_neither_counted_nor_returned() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..30 {
        store
            .append(ev("hotswap", &format!("a{i}"), &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    let mut log = OpenOptions::new().append(true).open(type_log(&t)).unwrap();
    log.write_all(b"garbage\nnot an index line at all\n\xff\xfe\x00\n")
        .unwrap();
    drop(log);

    let store = t.open();
    assert_eq!(store.total_event_count().unwrap(), 30);
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 30);
}

#[test]
fn a_line_left_without_its_newline_does_not_swallow_the_next_append() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("hotswap", "a", "e1")).unwrap();
    store.close().unwrap();
    let mut log = OpenOptions::new().append(true).open(type_log(&t)).unwrap();
    log.write_all(b"1700000000.000000000 12 torn/line/without-its-newl")
        .unwrap();
    drop(log);

    let store = t.open();
    store.append(ev("hotswap", "b", "e2")).unwrap();
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 2);
    assert_eq!(store.total_event_count().unwrap(), 2);
    let text = fs::read(type_log(&t)).unwrap();
    assert!(text.ends_with(b"\n"));
}

#[test]
fn an_index_line_naming_a_file_outside_the_store_is_never_followed() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("hotswap", "a", "e1")).unwrap();
    store.close().unwrap();
    // A copy of a real event, outside the base directory, where the lines below point.
    let dir = t.base.join("hotswap").join("a");
    let real = dir.join(common::event_file_names(&dir).pop().unwrap());
    let outside = t.tmp.path().join("x");
    fs::create_dir_all(&outside).unwrap();
    fs::copy(&real, outside.join("z.json")).unwrap();
    let mut log = OpenOptions::new().append(true).open(type_log(&t)).unwrap();
    log.write_all(b"1700000000.000000000 100 ../x/z.json\n1700000000.000000000 100 /x/z.json\n")
        .unwrap();
    drop(log);

    let store = t.open();
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 1);
    assert_eq!(store.total_event_count().unwrap(), 1);
}
