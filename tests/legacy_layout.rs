//! A store written by ByteHot's pure-Java adapter (pretty-printed Jackson JSON with " : ",
//! 17- and 20-digit names, `/` mapped to `_` in id directories) reads back correctly and
//! continues where it left off. The fixture is copied to a temp dir before any write.

mod common;

use std::path::Path;

use common::*;

const FOO: &str = "/app/target/classes/com/acme/Foo.class";
const FOO_DIR: &str = "_app_target_classes_com_acme_Foo.class";
const SESSION: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-store")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn legacy_store() -> TempStore {
    let t = TempStore::new();
    copy_dir(&fixture(), &t.base);
    t
}

fn file_data(path: &Path) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["eventData"].clone()
}

#[test]
fn legacy_aggregates_read_back_by_their_real_ids_in_version_order() {
    let t = legacy_store();
    let store = t.open();
    let events = store.read_aggregate("filewatch", FOO, 0).unwrap();
    assert_eq!(events.len(), 3);
    assert_chain(&events);
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["ClassFileChanged", "ClassFileProcessed", "ClassFileChanged"]
    );
    assert_eq!(events[0].metadata.aggregate_id, FOO);
    assert_eq!(
        events[1].metadata.timestamp,
        Some(at("2025-06-17T12:30:00.001345678Z"))
    );
    assert_eq!(events[1].metadata.correlation_id.as_deref(), Some("corr-1"));
    assert_eq!(events[2].metadata.user_id.as_deref(), Some("dev@acme"));
    // eventData means exactly what the file says.
    let dir = t.base.join("filewatch").join(FOO_DIR);
    for (e, name) in events.iter().zip(event_file_names(&dir)) {
        let data: serde_json::Value = serde_json::from_str(e.data.get()).unwrap();
        assert_eq!(data, file_data(&dir.join(name)));
    }
    let hs = store.read_aggregate("hotswap", SESSION, 0).unwrap();
    assert_eq!(hs.len(), 4);
    assert_chain(&hs);
    assert_eq!(hs[2].event_type, "ClassRedefinitionSucceeded"); // the 17-digit name
    assert_eq!(
        store.read_aggregate("hotswap", SESSION, 2).unwrap().len(),
        2
    );
    assert_eq!(store.current_version("filewatch", FOO).unwrap(), 3);
    assert_eq!(
        store.read_event("hotswap", SESSION, 4).unwrap().event_type,
        "InstancesUpdated"
    );
    assert_eq!(store.aggregate_ids("filewatch").unwrap(), [FOO]);
    assert_eq!(store.aggregate_ids("hotswap").unwrap(), [SESSION]);
    assert_eq!(
        store.aggregate_types().unwrap(),
        ["bytehot", "filewatch", "hotswap"]
    );
    assert_eq!(store.total_event_count().unwrap(), 8);
    assert_eq!(store.read_by_type("ClassFileChanged").unwrap().len(), 2);
    let between = store
        .read_between(
            at("2025-06-17T12:30:00.001Z"),
            at("2025-06-17T12:30:01.003Z"),
        )
        .unwrap();
    assert_eq!(between.len(), 5);
    assert!(store.verify().unwrap().is_empty(), "{:?}", store.verify());
    // The old adapter's metadata file (another shape) was rebuilt, not believed.
    let types: serde_json::Value = serde_json::from_slice(
        &std::fs::read(t.base.join("metadata/aggregate-types.json")).unwrap(),
    )
    .unwrap();
    assert!(types.is_object(), "{types}");
}

#[test]
fn appending_to_a_legacy_aggregate_continues_its_version_in_its_directory() {
    let t = legacy_store();
    let store = t.open();
    let stored = store.append(ev("filewatch", FOO, "new-1")).unwrap();
    assert_eq!(stored.metadata.aggregate_version, 4);
    assert_eq!(
        stored.metadata.previous_event_id.as_deref(),
        Some("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")
    );
    let hs = store
        .append(versioned("hotswap", SESSION, "new-2", 5))
        .unwrap();
    assert_eq!(hs.metadata.aggregate_version, 5);
    // No second directory for the same aggregate: the old one is continued.
    let dirs: Vec<_> = std::fs::read_dir(t.base.join("filewatch"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dirs, [FOO_DIR]);
    let names = event_file_names(&t.base.join("filewatch").join(FOO_DIR));
    assert_eq!(names.len(), 4);
    assert!(names[3].ends_with("-TestEvent.json") && names[3].len() == 20 + 15);
    drop(store);
    let store = t.open();
    let events = store.read_aggregate("filewatch", FOO, 0).unwrap();
    assert_eq!(events.len(), 4);
    assert_chain(&events);
    assert_eq!(store.aggregate_ids("filewatch").unwrap(), [FOO]);
    assert!(store.verify().unwrap().is_empty());
    // The fixture itself is untouched.
    assert_eq!(
        event_file_names(&fixture().join("filewatch").join(FOO_DIR)).len(),
        3
    );
}

/// The old store with a second id in `FOO`'s directory: the old adapter put
/// `/app/X.class` and `_app_X.class` in the same directory, and the latter's canonical
/// directory is that very directory.
fn legacy_store_with_a_neighbour() -> TempStore {
    let t = legacy_store();
    let dir = t.base.join("filewatch").join(FOO_DIR);
    let src = std::fs::read_to_string(dir.join("20250617123000001-ClassFileChanged.json"))
        .unwrap()
        .replace(FOO, NEIGHBOUR)
        .replace("3f1e6c2a-0b8d-4c1e-9a57-1d2f3e4a5b61", "other-1");
    std::fs::write(dir.join("20250617123000002000-ClassFileChanged.json"), src).unwrap();
    t
}

/// The id whose canonical directory is `FOO`'s old one.
const NEIGHBOUR: &str = FOO_DIR;

#[test]
fn colliding_ids_in_one_old_directory_are_told_apart_by_their_metadata() {
    let t = legacy_store_with_a_neighbour();
    let other = NEIGHBOUR;
    let store = t.open();
    let mine = store.read_aggregate("filewatch", FOO, 0).unwrap();
    assert_eq!(mine.len(), 3);
    assert_chain(&mine);
    let theirs = store.read_aggregate("filewatch", other, 0).unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].metadata.event_id, "other-1");
    assert_eq!(
        store
            .append(ev("filewatch", other, "other-2"))
            .unwrap()
            .metadata
            .aggregate_version,
        2
    );
    assert_eq!(
        store
            .append(ev("filewatch", FOO, "mine-4"))
            .unwrap()
            .metadata
            .aggregate_version,
        4
    );
    assert_chain(&store.read_aggregate("filewatch", FOO, 0).unwrap());
    assert_chain(&store.read_aggregate("filewatch", other, 0).unwrap());
}

#[test]
fn one_batch_for_both_ids_of_an_old_directory_locks_it_once_and_names_no_file_twice() {
    // `flock` makes a second lock of a directory wait for the first, even in the process
    // that holds it: a batch naming both ids of one old directory used to wait forever.
    // Planned apart, the two events (same type, same millisecond) also got one file name,
    // and the second rename replaced the first event.
    let t = legacy_store_with_a_neighbour();
    let store = std::sync::Arc::new(t.open());
    let (tx, rx) = std::sync::mpsc::channel();
    let saver = store.clone();
    std::thread::spawn(move || {
        let _ = tx.send(saver.append_batch(vec![
            ev("filewatch", FOO, "mine-4"),
            ev("filewatch", NEIGHBOUR, "other-2"),
        ]));
    });
    let stored = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the batch waits on its own lock")
        .unwrap();
    assert_eq!(stored[0].metadata.aggregate_version, 4);
    assert_eq!(stored[1].metadata.aggregate_version, 2);
    let mine = store.read_aggregate("filewatch", FOO, 0).unwrap();
    let theirs = store.read_aggregate("filewatch", NEIGHBOUR, 0).unwrap();
    assert_eq!((mine.len(), theirs.len()), (4, 2));
    assert_eq!(mine[3].metadata.event_id, "mine-4");
    assert_eq!(theirs[1].metadata.event_id, "other-2");
    assert_chain(&mine);
    assert_chain(&theirs);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_corrupt_file_in_a_b_neither_fails_nor_slows_the_never_saved_id_a_slash_b() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..30 {
        store
            .append(ev("hotswap", "a_b", &format!("e{i}")))
            .unwrap();
    }
    store.close().unwrap();
    let dir = t.base.join("hotswap").join("a_b");
    let victim = event_file_names(&dir)[10].clone();
    std::fs::write(dir.join(&victim), b"{ not json").unwrap();

    let (store, reads) = t.open_counting(0);
    for _ in 0..20 {
        assert!(!store.aggregate_exists("hotswap", "a/b").unwrap());
    }
    assert!(
        reads.reads() <= 30,
        "the old directory is parsed once, not per call: {} reads",
        reads.reads()
    );
    store.append(ev("hotswap", "a/b", "s1")).unwrap();
    let events = store.read_aggregate("hotswap", "a/b", 0).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].metadata.aggregate_id, "a/b");
    assert!(store.aggregate_exists("hotswap", "a/b").unwrap());
    assert!(
        store.read_aggregate("hotswap", "a_b", 0).is_err(),
        "the corrupt file is still reported by its own aggregate"
    );
    assert!(store.verify().unwrap().iter().any(|p| p.contains(&victim)));
}

#[test]
fn every_id_of_a_shared_old_directory_is_listed() {
    let t = legacy_store_with_a_neighbour();
    let store = t.open();
    let ids = store.aggregate_ids("filewatch").unwrap();
    assert!(ids.contains(&FOO.to_string()), "{ids:?}");
    assert!(ids.contains(&NEIGHBOUR.to_string()), "{ids:?}");
    assert_eq!(ids.len(), 2, "{ids:?}");
}
