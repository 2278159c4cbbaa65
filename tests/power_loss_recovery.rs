//! What an open does with event files a power loss tore under `batch` or `none`: files
//! renamed into place before their journal record was durable, so that no record can
//! restore them. The states are built by hand, as a lost page cache leaves them (the
//! real thing, on a real file system, is `tests/power_cut.rs`, which needs root).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytehot_eventstore::{Config, Durability, Error, EventMetadata, EventStore, event};

const OTHER_BOOT: &str = "00000000000000000000000000000000";

/// A store holding e1..e3 of `hotswap/agg`, closed (so durable).
fn seeded() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    for i in 1..=3 {
        let m = EventMetadata::new("hotswap", "agg", &format!("e{i}"));
        store
            .append(event("ClassRedefinitionSucceeded", m, "{}").unwrap())
            .unwrap();
    }
    store.close().unwrap();
    (tmp, dir)
}

/// The empty journal of a writer under `mode` that a power loss cut short (another boot).
fn dead_journal(dir: &Path, mode: &str) -> PathBuf {
    let path = dir.join(format!(".journal/999999999-0-{mode}-{OTHER_BOOT}.journal"));
    fs::write(&path, b"").unwrap();
    path
}

/// Event 4 with a well-formed file name after e3's, written by hand: torn (`bytes`).
fn write_fourth(dir: &Path, name_time: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(format!(
        "hotswap/agg/{name_time}000-ClassRedefinitionSucceeded.json"
    ));
    fs::write(&path, bytes).unwrap();
    path
}

/// A whole event 5, as the writer rendered it after event 4.
fn write_fifth(dir: &Path) -> PathBuf {
    let mut m = EventMetadata::new("hotswap", "agg", "e5");
    m.aggregate_version = 5;
    m.previous_event_id = Some("e4".to_string());
    let e5 = event("ClassRedefinitionSucceeded", m, "{}").unwrap();
    let path = dir.join("hotswap/agg/29991231235959998000-ClassRedefinitionSucceeded.json");
    fs::write(&path, e5.to_file_json()).unwrap();
    path
}

fn ids(store: &EventStore) -> Vec<String> {
    store
        .read_aggregate("hotswap", "agg", 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect()
}

#[test]
fn a_torn_file_no_record_names_is_set_aside_with_the_saves_after_it() {
    for mode in ["batch", "none"] {
        let (_tmp, dir) = seeded();
        dead_journal(&dir, mode);
        let torn = write_fourth(&dir, "29991231235959997", b"");
        let fifth = write_fifth(&dir);
        let store = EventStore::open(Config::new(&dir).durability(Durability::Batch)).unwrap();
        assert_eq!(ids(&store), ["e1", "e2", "e3"], "{mode}");
        assert_eq!(store.total_event_count().unwrap(), 3, "{mode}");
        let lost = dir.join(".lost/hotswap/agg");
        for moved in [&torn, &fifth] {
            assert!(
                !moved.exists(),
                "{mode}: {} still in place",
                moved.display()
            );
            assert!(
                lost.join(moved.file_name().unwrap()).exists(),
                "{mode}: not kept"
            );
        }
        let problems = store.verify().unwrap();
        assert_eq!(problems.len(), 2, "{mode}: {problems:?}");
        assert!(
            problems.iter().all(|p| p.contains("set aside")),
            "{problems:?}"
        );
        // The aggregate goes on from its last durable save.
        let m = EventMetadata::new("hotswap", "agg", "e4-again");
        let stored = store
            .append(event("ClassRedefinitionSucceeded", m, "{}").unwrap())
            .unwrap();
        assert_eq!(stored.metadata.aggregate_version, 4);
        assert_eq!(stored.metadata.previous_event_id.as_deref(), Some("e3"));
        store.close().unwrap();
    }
}

#[test]
fn a_torn_file_older_than_the_cut_short_writer_is_reported_not_moved() {
    for mode in ["batch", "none", "always"] {
        let (_tmp, dir) = seeded();
        let torn = write_fourth(&dir, "29991231235959997", b"{\"eventType\":");
        // Created well before the writer's journal: the loss cannot have torn it.
        std::thread::sleep(Duration::from_millis(1_200));
        dead_journal(&dir, mode);
        let store = EventStore::open(Config::new(&dir)).unwrap();
        assert!(
            torn.exists(),
            "{mode}: a file the loss cannot have torn was moved"
        );
        match store.read_aggregate("hotswap", "agg", 0) {
            Err(Error::Corrupt { path, .. }) => assert_eq!(path, torn, "{mode}"),
            other => panic!("{mode}: expected Corrupt, got {other:?}"),
        }
        assert!(!dir.join(".lost").exists(), "{mode}");
        store.close().unwrap();
    }
}

#[test]
fn under_always_a_torn_file_no_record_names_is_left_for_reads_to_report() {
    // An `always` writer renames only after its record is durable: a torn file no
    // record names is not the loss's doing, and the open does not rebuild.
    let (_tmp, dir) = seeded();
    dead_journal(&dir, "always");
    let torn = write_fourth(&dir, "29991231235959997", b"");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    assert!(torn.exists());
    assert!(matches!(
        store.read_aggregate("hotswap", "agg", 0),
        Err(Error::Corrupt { .. })
    ));
    assert!(!dir.join(".lost").exists());
    store.close().unwrap();
}

#[test]
fn under_batch_a_torn_file_before_a_save_its_journal_still_holds_is_not_the_losss() {
    // Records are appended in order, and a batch checkpoint syncs the files before a new
    // epoch: a durable record of event 5 means event 4 was durable (in the journal or as a
    // file), so this torn file is other damage. Under none a checkpoint syncs nothing, and
    // the record proves nothing about event 4: both go.
    for (mode, set_aside) in [("batch", false), ("none", true)] {
        let (_tmp, dir) = seeded();
        let journal = dead_journal(&dir, mode);
        let torn = write_fourth(&dir, "29991231235959997", b"");
        let fifth = write_fifth(&dir);
        let rel = fifth
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        fs::write(
            &journal,
            bytehot_eventstore::encode_record(&rel, &fs::read(&fifth).unwrap()),
        )
        .unwrap();
        let store = EventStore::open(Config::new(&dir)).unwrap();
        if set_aside {
            assert!(!torn.exists() && !fifth.exists(), "{mode}");
            assert_eq!(ids(&store), ["e1", "e2", "e3"], "{mode}");
        } else {
            assert!(torn.exists() && fifth.exists(), "{mode}");
            assert!(matches!(
                store.read_aggregate("hotswap", "agg", 0),
                Err(Error::Corrupt { path, .. }) if path == torn
            ));
            assert!(!dir.join(".lost").exists());
        }
        store.close().unwrap();
    }
}
