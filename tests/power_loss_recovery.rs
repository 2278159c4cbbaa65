//! What an open does with event files a power loss tore under `batch` or `none`: files
//! renamed into place before their journal record was durable, so that no record can
//! restore them. The states are built by hand, as a lost page cache leaves them (the
//! real thing, on a real file system, is `tests/power_cut.rs`, which needs root).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytehot_eventstore::{
    Call, Config, Durability, Error, Event, EventMetadata, EventStore, Fault, FaultyIo, SystemClock,
};
use common::{DEAD_PID, OTHER_BOOT, dead_journal_path};

/// A store holding e1..e3 of `hotswap/agg`, closed (so durable).
fn seeded() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    common::seeded(
        &dir,
        (1..=3).map(|i| {
            let m = EventMetadata::new("hotswap", "agg", &format!("e{i}"));
            Event::new("ClassRedefinitionSucceeded", m, "{}").unwrap()
        }),
    );
    (tmp, dir)
}

/// The empty journal of a writer under `mode` that a power loss cut short (another boot).
fn dead_journal(dir: &Path, mode: &str) -> PathBuf {
    dead_journal_of(dir, mode, DEAD_PID)
}

fn dead_journal_of(dir: &Path, mode: &str, pid: u32) -> PathBuf {
    let path = dead_journal_path(dir, pid, mode, OTHER_BOOT);
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
    let e5 = Event::new("ClassRedefinitionSucceeded", m, "{}").unwrap();
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
            .append(Event::new("ClassRedefinitionSucceeded", m, "{}").unwrap())
            .unwrap();
        assert_eq!(stored.metadata.aggregate_version, 4);
        assert_eq!(stored.metadata.previous_event_id.as_deref(), Some("e3"));
        store.close().unwrap();
    }
}

#[test]
fn a_later_file_the_loss_kept_after_a_save_it_lost_whole_is_set_aside() {
    // A lost page cache can keep a new file and lose an earlier append whole (ext4 writes
    // an appended file's new size back later than another file's creation): nothing is
    // torn, but the aggregate has a gap before the kept file.
    for (mode, per_file) in [("none", 1), ("batch", 1), ("none", 2)] {
        let (_tmp, dir) = seeded();
        dead_journal(&dir, mode);
        let mut m = EventMetadata::new("hotswap", "agg", "e5");
        m.aggregate_version = 5;
        m.previous_event_id = Some("e4".to_string());
        let e5 = Event::new("ClassRedefinitionSucceeded", m, "{}").unwrap();
        let (name, bytes) = if per_file == 1 {
            (
                "29991231235959998000-ClassRedefinitionSucceeded.json",
                e5.to_file_json(),
            )
        } else {
            let line = e5.to_line_within(usize::MAX).unwrap();
            (
                "29991231235959998000-ClassRedefinitionSucceeded.jsonl",
                line,
            )
        };
        let later = dir.join("hotswap/agg").join(name);
        fs::write(&later, bytes).unwrap();
        let config = Config::new(&dir).max_events_per_file(per_file);
        let store = EventStore::open(config).unwrap();
        assert_eq!(ids(&store), ["e1", "e2", "e3"], "{mode} {per_file}");
        assert!(!later.exists(), "{mode} {per_file}");
        assert!(
            dir.join(".lost/hotswap/agg").join(name).exists(),
            "{mode} {per_file}"
        );
        let problems = store.verify().unwrap();
        assert!(
            problems.len() == 1 && problems[0].contains("set aside"),
            "{mode} {per_file}: {problems:?}"
        );
        store.close().unwrap();
    }
}

#[test]
fn a_torn_file_older_than_the_cut_short_writer_is_reported_not_moved() {
    for mode in ["batch", "none", "always"] {
        let (_tmp, dir) = seeded();
        let torn = write_fourth(&dir, "29991231235959997", b"{\"eventType\":");
        // Created well before the writer's journal (the rule allows a second of slack):
        // the loss cannot have torn it.
        std::thread::sleep(Duration::from_millis(2_500));
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

fn journal_naming(journal: &Path, dir: &Path, file: &Path) {
    let rel = file
        .strip_prefix(dir)
        .unwrap()
        .to_string_lossy()
        .to_string();
    fs::write(
        journal,
        bytehot_eventstore::encode_record(&rel, &fs::read(file).unwrap()),
    )
    .unwrap();
}

#[test]
fn a_save_a_batch_or_always_record_names_is_never_set_aside_whatever_else_died() {
    // A none writer cut short beside it does not make the other journal's record count
    // for less: that save may be acknowledged and durable.
    for mode in ["batch", "always"] {
        let (_tmp, dir) = seeded();
        dead_journal_of(&dir, "none", 999_999_998);
        let journal = dead_journal(&dir, mode);
        let torn = write_fourth(&dir, "29991231235959997", b"");
        let fifth = write_fifth(&dir);
        journal_naming(&journal, &dir, &fifth);
        let store = EventStore::open(Config::new(&dir)).unwrap();
        assert!(
            torn.exists() && fifth.exists(),
            "{mode}: a journaled save was moved"
        );
        assert!(!dir.join(".lost/hotswap").exists(), "{mode}");
        store.close().unwrap();
    }
}

#[test]
fn a_record_that_cannot_be_settled_behind_a_torn_file_does_not_stop_the_open_and_is_kept() {
    // Event 5's record survived, its file did not, and event 4 before it is torn: whether
    // 5 follows its aggregate cannot be told. The open goes on, and the journal is kept.
    let (_tmp, dir) = seeded();
    let journal = dead_journal(&dir, "none");
    let torn = write_fourth(&dir, "29991231235959997", b"");
    let fifth = write_fifth(&dir);
    journal_naming(&journal, &dir, &fifth);
    fs::remove_file(&fifth).unwrap();
    let store = EventStore::open(Config::new(&dir)).unwrap();
    assert_eq!(ids(&store), ["e1", "e2", "e3"]);
    assert!(!torn.exists());
    let kept = dir
        .join(".lost/.journal")
        .join(journal.file_name().unwrap());
    assert!(kept.exists(), "the journal was not kept");
    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    store.close().unwrap();
}

#[test]
fn an_open_that_dies_while_setting_files_aside_leaves_no_gap_for_the_next() {
    let (_tmp, dir) = seeded();
    dead_journal(&dir, "batch");
    write_fourth(&dir, "29991231235959997", b"");
    write_fifth(&dir);
    // The second move fails: the first must not have been the torn file's.
    let io = Arc::new(FaultyIo::on(Call::Rename, 2, Fault::Errno(5)));
    assert!(EventStore::open_with(Config::new(&dir), Arc::new(SystemClock), io).is_err());
    let store = EventStore::open(Config::new(&dir)).unwrap();
    assert_eq!(ids(&store), ["e1", "e2", "e3"]);
    let problems = store.verify().unwrap();
    assert!(
        problems.iter().all(|p| p.contains("set aside")),
        "{problems:?}"
    );
    store.close().unwrap();
}

#[test]
fn a_journal_without_a_boot_id_is_not_taken_for_a_power_loss() {
    // Without a boot id a process crash looks the same: nothing may be moved for it.
    let (_tmp, dir) = seeded();
    fs::write(dead_journal_path(&dir, DEAD_PID, "batch", ""), b"").unwrap();
    let torn = write_fourth(&dir, "29991231235959997", b"");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    assert!(torn.exists());
    assert!(!dir.join(".lost").exists());
    store.close().unwrap();
}
