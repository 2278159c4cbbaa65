//! A FIFO (or any file that is not a regular one) planted where the store keeps a file
//! never makes an open or a read wait for ever: it is refused at once, and what is derived
//! (the index's `format`, a dead writer's journal, the recovery lock) is replaced.
#![cfg(unix)] // FIFOs

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use bytehot_eventstore::EventStore;
use common::{TempStore, ev};

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `f`'s result, or a failure if it has not returned within 20 s (it would wait for ever).
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what} hung on a FIFO"))
}

fn seeded(events: usize) -> TempStore {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..events {
        store
            .append(ev("hotswap", "big", &format!("e{i}")))
            .unwrap();
    }
    store.append(ev("hotswap", "other", "o1")).unwrap();
    store.close().unwrap();
    t
}

fn open(t: &TempStore) -> EventStore {
    let config = t.config();
    within("open", move || EventStore::open(config)).expect("the open succeeds")
}

#[test]
fn a_fifo_in_place_of_an_event_file_is_an_error_naming_it_not_a_hang() {
    let t = seeded(3);
    let fifo = t
        .base
        .join("hotswap/big/99991230235959999000-TestEvent.json");
    mkfifo(&fifo);
    let store = open(&t);
    let store = std::sync::Arc::new(store);
    let s = store.clone();
    let read = within("read_aggregate", move || {
        s.read_aggregate("hotswap", "big", 0)
    });
    assert!(read.is_err_and(|e| {
        e.to_string()
            .contains("99991230235959999000-TestEvent.json")
    }));
    let s = store.clone();
    let problems = within("verify", move || s.verify()).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("99991230235959999000")),
        "{problems:?}"
    );
    assert_eq!(
        store.read_aggregate("hotswap", "other", 0).unwrap().len(),
        1
    );
}

#[test]
fn a_fifo_in_place_of_the_ids_file_is_not_a_hang() {
    let t = seeded(20);
    mkfifo(&t.base.join("hotswap/big/.ids"));
    let store = open(&t);
    let read = within("read_aggregate", move || {
        store.read_aggregate("hotswap", "big", 0).map(|e| e.len())
    });
    assert_eq!(read.unwrap(), 20);
}

#[test]
fn fifos_in_place_of_derived_files_are_replaced_at_open() {
    let t = seeded(3);
    mkfifo(&t.base.join(".index/format"));
    mkfifo(&t.base.join(".journal/recovery.lock"));
    mkfifo(
        &t.base
            .join(".journal/999999999-0-always-00000000000000000000000000000000.journal"),
    );
    let store = open(&t);
    let count = within("total_event_count", move || store.total_event_count());
    assert_eq!(count.unwrap(), 4);
    let store = open(&t);
    assert_eq!(store.read_aggregate("hotswap", "big", 0).unwrap().len(), 3);
}

#[test]
fn a_fifo_in_place_of_an_index_log_is_not_a_hang() {
    let t = seeded(3);
    mkfifo(&t.base.join(".index/types/TestEvent.log"));
    let store = std::sync::Arc::new(open(&t));
    let s = store.clone();
    let _ = within("read_by_type", move || {
        s.read_by_type("TestEvent").map(|e| e.len())
    });
    let s = store.clone();
    let _ = within("total_event_count", move || s.total_event_count());
}
