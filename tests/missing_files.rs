//! An event file that disappears (deleted by hand, lost) is reported, never served as a
//! shorter history whose versions the next save would reuse: in the middle of an
//! aggregate by the version gap, at its end by the index together with `.ids` or, where
//! an aggregate has none (at most 16 events, or segments), with the name its directory
//! records as its last file; within one store's life and across a reopen.

mod common;

use bytehot_eventstore::Error;
use common::*;

/// More events than an aggregate needs to have a `.ids` file.
const EVENTS: usize = 20;

fn store_with_one_aggregate(t: &TempStore) -> std::path::PathBuf {
    let store = t.open();
    for i in 0..EVENTS {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    t.base.join("hotswap").join("agg")
}

#[test]
fn a_deleted_last_event_file_is_reported_after_a_reopen_and_its_version_is_not_reused() {
    let t = TempStore::new();
    let dir = store_with_one_aggregate(&t);
    let last = event_file_names(&dir).pop().unwrap();
    std::fs::remove_file(dir.join(&last)).unwrap();

    let store = t.open();
    for attempt in 0..2 {
        match store.read_aggregate("hotswap", "agg", 0) {
            Err(Error::Corrupt { path, reason }) => {
                assert!(path.ends_with(&last), "{attempt}: {path:?}");
                assert!(reason.contains("missing"), "{reason}");
            }
            other => panic!("{attempt}: expected the loss reported, got {other:?}"),
        }
    }
    let saved = store.append(ev("hotswap", "agg", "next"));
    assert!(matches!(saved, Err(Error::Corrupt { .. })), "{saved:?}");
    assert!(matches!(
        store.current_version("hotswap", "agg"),
        Err(Error::Corrupt { .. })
    ));
    assert!(
        store
            .verify()
            .unwrap()
            .iter()
            .any(|p| p.contains(&last) && p.contains("no such event file"))
    );
}

#[test]
fn a_name_only_ids_knows_is_a_save_that_never_landed_and_no_loss() {
    let t = TempStore::new();
    let dir = store_with_one_aggregate(&t);
    let mut ids = std::fs::read_to_string(dir.join(".ids")).unwrap();
    ids.push_str("99990101000000000000-TestEvent.json \"never-renamed\"\n");
    std::fs::write(dir.join(".ids"), ids).unwrap();

    let store = t.open();
    assert_eq!(
        store.read_aggregate("hotswap", "agg", 0).unwrap().len(),
        EVENTS
    );
    let next = store.append(ev("hotswap", "agg", "next")).unwrap();
    assert_eq!(next.metadata.aggregate_version, EVENTS as u64 + 1);
}

/// The event files of `dir`, single or segments, compressed or not, sorted.
fn files_of(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// The loss of `last` in `dir` is reported by reads and saves of `hotswap/agg`.
fn assert_loss_reported(store: &bytehot_eventstore::EventStore, last: &str) {
    match store.read_aggregate("hotswap", "agg", 0) {
        Err(Error::Corrupt { path, reason }) => {
            assert!(path.ends_with(last), "{path:?}");
            assert!(reason.contains("missing"), "{reason}");
        }
        other => panic!("expected the loss of {last} reported, got {other:?}"),
    }
    let saved = store.append(ev("hotswap", "agg", "next"));
    assert!(matches!(saved, Err(Error::Corrupt { .. })), "{saved:?}");
}

#[test]
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn a_deleted_last_file_of_an_aggregate_without_ids_is_reported_after_a_reopen() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..3 {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    let dir = t.base.join("hotswap").join("agg");
    assert!(!dir.join(".ids").exists(), "three events need no .ids");
    let last = event_file_names(&dir).pop().unwrap();
    std::fs::remove_file(dir.join(&last)).unwrap();

    assert_loss_reported(&t.open(), &last);
}

#[test]
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn a_deleted_last_segment_is_reported_after_a_reopen() {
    let t = TempStore::new();
    let store = open_segmented(&t.base, 4, false);
    for i in 0..10 {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    let dir = t.base.join("hotswap").join("agg");
    let segments = files_of(&dir);
    assert_eq!(segments.len(), 3, "{segments:?}");
    let last = segments.last().unwrap().clone();
    std::fs::remove_file(dir.join(&last)).unwrap();

    assert_loss_reported(&open_segmented(&t.base, 4, false), &last);
}

#[test]
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn after_compaction_the_deleted_last_segment_is_reported_and_nothing_before() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..6 {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    let store = open_segmented(&t.base, 4, true);
    store.compact().unwrap();
    store.close().unwrap();
    let store = open_segmented(&t.base, 4, true);
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 6);
    store.close().unwrap();

    let dir = t.base.join("hotswap").join("agg");
    let files = files_of(&dir);
    assert_eq!(
        files.len(),
        2,
        "a sealed segment and the open one: {files:?}"
    );
    let last = files.last().unwrap().clone();
    std::fs::remove_file(dir.join(&last)).unwrap();
    assert_loss_reported(&open_segmented(&t.base, 4, true), &last);
}

#[test]
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn a_last_file_the_directory_names_but_the_index_does_not_is_a_save_that_never_landed() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..3 {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    let dir = t.base.join("hotswap").join("agg");
    rustix::fs::lsetxattr(
        &dir,
        "user.bytehot.last",
        b"99990101000000000000-TestEvent.json",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();

    let store = t.open();
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 3);
    let next = store.append(ev("hotswap", "agg", "next")).unwrap();
    assert_eq!(next.metadata.aggregate_version, 4);
}
