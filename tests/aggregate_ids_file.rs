//! `.ids` in larger aggregate directories: a store knows an aggregate after parsing one
//! file, an `.ids` that disagrees with the directory (a crash between its append and the
//! rename, a hand edit) is never believed, and the next write repairs it.

mod common;

use std::fs;
use std::io::Write;

use bytehot_eventstore::{Event, EventStore};
use common::{ReadCount, TempStore, ev};

fn open_counting(t: &TempStore) -> (EventStore, ReadCount) {
    t.open_counting(0)
}

fn populate(t: &TempStore, events: usize) {
    let store = t.open();
    let batch: Vec<Event> = (0..events)
        .map(|e| ev("hotswap", "a", &format!("e{e}")))
        .collect();
    store.append_batch(batch).unwrap();
    store.close().unwrap();
}

fn ids_path(t: &TempStore) -> std::path::PathBuf {
    t.base.join("hotswap/a/.ids")
}

#[test]
fn a_larger_aggregate_is_known_after_parsing_its_last_file_only() {
    let t = TempStore::new();
    populate(&t, 100);
    assert_eq!(
        fs::read_to_string(ids_path(&t)).unwrap().lines().count(),
        100
    );
    let (store, io) = open_counting(&t);
    assert_eq!(store.current_version("hotswap", "a").unwrap(), 100);
    assert_eq!(io.reads(), 1);
    // A retry of an old event is still recognised: its id came from `.ids`.
    let again = store.append(ev("hotswap", "a", "e3")).unwrap();
    assert_eq!(again.metadata.aggregate_version, 4);
    let next = store.append(ev("hotswap", "a", "new")).unwrap();
    assert_eq!(next.metadata.aggregate_version, 101);
    let events = store.read_aggregate("hotswap", "a", 0).unwrap();
    assert_eq!(events.len(), 101);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.metadata.aggregate_version == i as u64 + 1)
    );
}

#[test]
fn small_aggregates_have_no_ids_file() {
    let t = TempStore::new();
    populate(&t, 16);
    assert!(!ids_path(&t).exists());
    let store = t.open();
    store.append(ev("hotswap", "a", "17th")).unwrap();
    assert_eq!(
        fs::read_to_string(ids_path(&t)).unwrap().lines().count(),
        17
    );
}

#[test]
fn a_line_whose_file_was_never_written_is_not_believed_and_the_next_write_repairs_it() {
    let t = TempStore::new();
    populate(&t, 40);
    // What a writer killed between its `.ids` append and its rename leaves behind.
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(ids_path(&t))
        .unwrap();
    file.write_all(b"29990101000000000000-TestEvent.json \"ghost\"\n")
        .unwrap();
    drop(file);
    let (store, io) = open_counting(&t);
    assert_eq!(store.current_version("hotswap", "a").unwrap(), 40);
    assert!(io.reads() >= 40, "the directory was parsed");
    let stored = store.append(ev("hotswap", "a", "41st")).unwrap();
    assert_eq!(stored.metadata.aggregate_version, 41);
    assert!(!fs::read_to_string(ids_path(&t)).unwrap().contains("ghost"));
    store.close().unwrap();
    let (store, io) = open_counting(&t);
    assert_eq!(store.current_version("hotswap", "a").unwrap(), 41);
    assert_eq!(io.reads(), 1);
}

#[test]
fn an_ids_file_edited_by_hand_is_not_believed() {
    let t = TempStore::new();
    populate(&t, 30);
    for garbage in [&b""[..], b"not a line\n", b"x \"y\"\n", b"\xff\n"] {
        fs::write(ids_path(&t), garbage).unwrap();
        let store = t.open();
        let events = store.read_aggregate("hotswap", "a", 0).unwrap();
        assert_eq!(events.len(), 30);
        assert_eq!(events[29].metadata.event_id, "e29");
        assert_eq!(
            store
                .append(ev("hotswap", "a", "e5"))
                .unwrap()
                .metadata
                .aggregate_version,
            6
        );
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    }
}

#[test]
fn a_store_catches_up_with_another_writer_through_the_lines_it_appended() {
    let t = TempStore::new();
    populate(&t, 20);
    let (reader, io) = open_counting(&t);
    let writer = t.open();
    assert_eq!(reader.current_version("hotswap", "a").unwrap(), 20);
    let before = io.reads();
    for n in 0..5 {
        writer.append(ev("hotswap", "a", &format!("w{n}"))).unwrap();
    }
    assert_eq!(reader.current_version("hotswap", "a").unwrap(), 25);
    assert_eq!(io.reads() - before, 5, "only the five new files are parsed");
}

#[test]
#[cfg(unix)] // counts inodes
fn two_stores_taking_turns_append_to_one_ids_file_instead_of_rewriting_it() {
    use std::os::unix::fs::MetadataExt;
    let t = TempStore::new();
    populate(&t, 10);
    // Both know the aggregate while it is small (listed, no `.ids`), then it grows.
    let (a, b) = (t.open(), t.open());
    assert_eq!(a.current_version("hotswap", "a").unwrap(), 10);
    assert_eq!(b.current_version("hotswap", "a").unwrap(), 10);
    let mut inodes = std::collections::HashSet::new();
    for n in 0..60 {
        let store = if n % 2 == 0 { &b } else { &a };
        store
            .append(ev("hotswap", "a", &format!("turn{n}")))
            .unwrap();
        if let Ok(m) = fs::metadata(ids_path(&t)) {
            inodes.insert(m.ino());
        }
    }
    // Created once, rewritten at most once by the store that did not create it.
    assert!(inodes.len() <= 2, "{} rewrites", inodes.len());
    assert_eq!(
        fs::read_to_string(ids_path(&t)).unwrap().lines().count(),
        70
    );
    assert_eq!(a.current_version("hotswap", "a").unwrap(), 70);
}

#[test]
fn a_reader_that_met_a_damaged_new_file_reads_it_again_rather_than_forgetting_it() {
    // Another writer's `.ids` lines tell a store which files are new. When one of them
    // cannot be parsed, the store must not count those lines as read: its next refresh
    // would then find nothing new, serve the shorter history and append a second version
    // 21 after it.
    let t = TempStore::new();
    populate(&t, 20);
    let reader = t.open();
    assert_eq!(reader.read_aggregate("hotswap", "a", 0).unwrap().len(), 20);
    let writer = t.open();
    writer.append(ev("hotswap", "a", "e20")).unwrap();
    writer.close().unwrap();
    let dir = t.base.join("hotswap/a");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let newest = dir.join(names.last().unwrap());
    let whole = fs::read(&newest).unwrap();
    fs::write(&newest, b"{\"eventType\":").unwrap();

    assert!(reader.read_aggregate("hotswap", "a", 0).is_err());
    assert!(
        reader.read_aggregate("hotswap", "a", 0).is_err(),
        "the damaged file is read again, not skipped"
    );
    assert!(reader.append(ev("hotswap", "a", "fork")).is_err());

    fs::write(&newest, whole).unwrap();
    let events = reader.read_aggregate("hotswap", "a", 0).unwrap();
    assert_eq!(events.len(), 21);
    assert_eq!(events[20].metadata.event_id, "e20");
    assert_eq!(reader.verify().unwrap(), Vec::<String>::new());
}
