//! A save into an aggregate whose directory the process cannot write fails alone: it
//! names the directory, stores nothing, and leaves every other aggregate writable and the
//! store open, closable and reopenable. A journal record that cannot be settled at open
//! (its directory unwritable) is kept aside instead of failing every open. Root writes
//! every directory whatever its mode, so under root the permission tests run themselves
//! again as `nobody` (through `runuser`).
#![cfg(unix)] // Unix permission bits, run as nobody

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use bytehot_eventstore::{Config, Error, EventStore, encode_record};
use common::ev;

const SAVE_TEST: &str = "a_save_into_an_unwritable_aggregate_fails_alone_and_stores_nothing";
const REOPEN_TEST: &str = "a_journal_record_for_an_unwritable_aggregate_is_kept_aside_at_open";

fn set_mode(path: &std::path::Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// An open store with one event in `hotswap/locked` and one in `hotswap/healthy`.
fn two_aggregates(dir: &std::path::Path) -> EventStore {
    let store = EventStore::open(Config::new(dir)).unwrap();
    store.append(ev("hotswap", "locked", "l1")).unwrap();
    store.append(ev("hotswap", "healthy", "h1")).unwrap();
    store
}

#[test]
fn a_save_into_an_unwritable_aggregate_fails_alone_and_stores_nothing() {
    if common::reran_as_nobody(SAVE_TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = two_aggregates(&dir);
    let locked = dir.join("hotswap").join("locked");
    set_mode(&locked, 0o555);

    let failed = store.append(ev("hotswap", "locked", "l2"));
    let also_failed = store.append_batch(vec![
        ev("hotswap", "healthy", "h2"),
        ev("hotswap", "locked", "l2"),
    ]);
    let after = store.append(ev("hotswap", "healthy", "h2"));
    set_mode(&locked, 0o755);

    match failed {
        Err(Error::AggregateUnwritable {
            aggregate_id,
            cause,
            ..
        }) => {
            assert_eq!(aggregate_id, "locked");
            assert!(cause.to_string().contains("locked"), "{cause}");
        }
        other => panic!("expected AggregateUnwritable, got {other:?}"),
    }
    assert!(
        matches!(also_failed, Err(Error::AggregateUnwritable { .. })),
        "a batch touching it fails whole: {also_failed:?}"
    );
    after.expect("the other aggregates still take saves");
    assert_eq!(
        store.read_aggregate("hotswap", "healthy", 0).unwrap().len(),
        2
    );
    assert_eq!(
        store.read_aggregate("hotswap", "locked", 0).unwrap().len(),
        1
    );
    assert_eq!(common::temp_files(&dir), 0, "nothing staged is left behind");
    store
        .append(ev("hotswap", "locked", "l2"))
        .expect("the aggregate takes saves once writable again");
    store.close().expect("close succeeds");

    let reopened = EventStore::open(Config::new(&dir)).unwrap();
    assert_eq!(
        reopened
            .read_aggregate("hotswap", "locked", 0)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn an_ids_file_replaced_by_a_directory_fails_that_aggregate_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    store.append(ev("hotswap", "odd", "o1")).unwrap();
    fs::create_dir(dir.join("hotswap").join("odd").join(".ids")).unwrap();

    let failed = store.append(ev("hotswap", "odd", "o2"));
    assert!(
        matches!(&failed, Err(Error::AggregateUnwritable { cause, .. }) if cause.to_string().contains(".ids")),
        "{failed:?}"
    );
    store.append(ev("hotswap", "fine", "f1")).unwrap();
    assert_eq!(store.read_aggregate("hotswap", "odd", 0).unwrap().len(), 1);
    store.close().unwrap();
    EventStore::open(Config::new(&dir)).unwrap();
}

#[test]
fn a_journal_record_for_an_unwritable_aggregate_is_kept_aside_at_open() {
    if common::reran_as_nobody(REOPEN_TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = two_aggregates(&dir);
    store.close().unwrap();
    // What a writer that died between its journal record and its rename leaves behind.
    let mut unsettled = ev("hotswap", "locked", "l2");
    unsettled.metadata.aggregate_version = 2;
    unsettled.metadata.previous_event_id = Some("l1".to_string());
    unsettled.metadata.timestamp = bytehot_eventstore::parse_instant("2031-01-01T00:00:00Z");
    let record = encode_record(
        "hotswap/locked/20310101000000000000-TestEvent.json",
        &unsettled.to_file_json(),
    );
    let journal = common::dead_journal_path(&dir, common::DEAD_PID, "always", common::OTHER_BOOT);
    fs::write(&journal, record).unwrap();
    let locked = dir.join("hotswap").join("locked");
    set_mode(&locked, 0o555);

    // Everything that needs the directory as it is runs before the mode is put back.
    let outcome = EventStore::open(Config::new(&dir)).map(|store| {
        let healthy = store
            .read_aggregate("hotswap", "healthy", 0)
            .map(|e| e.len());
        let locked_read = store
            .read_aggregate("hotswap", "locked", 0)
            .map(|e| e.len());
        let problems = store.verify();
        (store, healthy, locked_read, problems)
    });
    set_mode(&locked, 0o755);

    let (reopened, healthy, locked_read, problems) = outcome.expect("the reopen succeeds");
    assert_eq!(healthy.unwrap(), 1);
    assert_eq!(locked_read.unwrap(), 1);
    let problems = problems.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(".lost") && p.contains(".journal")),
        "the unsettled journal is kept aside and reported: {problems:?}"
    );
    reopened.append(ev("hotswap", "healthy", "h2")).unwrap();
}
