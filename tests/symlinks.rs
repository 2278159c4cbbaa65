//! Symbolic links inside the store are never followed: reads refuse them with the path,
//! `verify` reports them, and nothing they point at is read or written, whether they
//! stand for event files and aggregates or for the store's own folders (`.index`,
//! `metadata`, `.journal`) and files.
#![cfg(unix)] // plants symbolic links (Windows asks a privilege for that)

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use bytehot_eventstore::Error;
use common::*;

#[test]
fn links_to_outside_the_store_are_reported_and_never_followed() {
    let t = TempStore::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), "{}").unwrap();
    let store = t.open();
    store.append(ev("hotswap", "real", "e1")).unwrap();
    let base = t.config().path;
    symlink(outside.path(), base.join("evil")).unwrap();
    symlink(outside.path(), base.join("hotswap/linked")).unwrap();
    symlink(
        outside.path().join("secret.json"),
        base.join("hotswap/real/29990101000000000000-Stolen.json"),
    )
    .unwrap();

    match store.read_aggregate("hotswap", "linked", 0) {
        Err(Error::Corrupt { path, reason }) => {
            assert!(path.ends_with("hotswap/linked"), "{path:?}");
            assert!(reason.contains("symbolic link"));
        }
        other => panic!("expected a corrupt-link error, got {other:?}"),
    }
    let problems = store.verify().unwrap();
    for name in ["evil", "hotswap/linked", "29990101000000000000-Stolen.json"] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(name) && p.contains("symbolic link")),
            "{name}: {problems:?}"
        );
    }
    assert!(
        !store
            .aggregate_types()
            .unwrap()
            .contains(&"evil".to_string())
    );
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        1,
        "nothing written outside"
    );
}

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(dir)
        .into_iter()
        .filter(|p| dir.join(p).is_file())
        .map(|p| {
            let bytes = std::fs::read(dir.join(&p)).unwrap();
            (p, bytes)
        })
        .collect()
}

/// An outside directory shaped like the store's own folders, so that following a link
/// into it would find what the store expects there.
fn decoy() -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    for d in ["index/types", "index/time/20260101", "day", "meta", "types"] {
        std::fs::create_dir_all(outside.path().join(d)).unwrap();
    }
    std::fs::write(
        outside.path().join("index/format"),
        "bytehot-eventstore index 1\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("victim.log"), "keep me\n").unwrap();
    std::fs::write(outside.path().join("meta/aggregate-types.json"), "{}").unwrap();
    outside
}

/// A store with one event, closed; an outside decoy and what it holds.
fn closed_store_and_decoy() -> (
    TempStore,
    PathBuf,
    tempfile::TempDir,
    BTreeMap<PathBuf, Vec<u8>>,
) {
    let t = TempStore::new();
    let base = t.config().path;
    let store = t.open();
    store.append(ev("hotswap", "agg", "e1")).unwrap();
    store.close().unwrap();
    let outside = decoy();
    let before = contents(outside.path());
    (t, base, outside, before)
}

#[test]
fn links_planted_as_the_stores_own_folders_are_set_aside_and_never_written_through() {
    let (t, base, outside, before) = closed_store_and_decoy();
    std::fs::remove_dir_all(base.join(".index")).unwrap();
    symlink(outside.path().join("index"), base.join(".index")).unwrap();
    std::fs::remove_dir_all(base.join("metadata")).unwrap();
    symlink(outside.path().join("meta"), base.join("metadata")).unwrap();

    let store = t.open();
    store.append(ev("hotswap", "agg", "e2")).unwrap();
    store.append(ev("hotswap", "other", "o1")).unwrap();
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 3);
    assert_eq!(store.total_event_count().unwrap(), 3);
    store.close().unwrap();

    assert_eq!(contents(outside.path()), before, "nothing written outside");
    for name in [".index", "metadata"] {
        let meta = std::fs::symlink_metadata(base.join(name)).unwrap();
        assert!(meta.is_dir(), "{name} is a directory of the store again");
    }
}

#[test]
fn links_planted_inside_the_index_make_the_open_rebuild_it_and_are_never_written_through() {
    let (t, base, outside, before) = closed_store_and_decoy();
    let types = base.join(".index/types");
    std::fs::remove_file(types.join("TestEvent.log")).unwrap();
    symlink(
        outside.path().join("victim.log"),
        types.join("TestEvent.log"),
    )
    .unwrap();
    let days: Vec<_> = std::fs::read_dir(base.join(".index/time"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for day in &days {
        std::fs::remove_dir_all(day).unwrap();
        symlink(outside.path().join("day"), day).unwrap();
    }

    let store = t.open();
    store.append(ev("hotswap", "agg", "e2")).unwrap();
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 2);
    store.close().unwrap();

    assert_eq!(contents(outside.path()), before, "nothing written outside");
    assert!(!is_link(&types.join("TestEvent.log")));
}

#[test]
fn a_link_planted_in_the_index_while_the_store_is_open_is_refused_not_followed() {
    let t = TempStore::new();
    let base = t.config().path;
    let store = t.open();
    store.append(ev("hotswap", "agg", "e1")).unwrap();
    let outside = decoy();
    let before = contents(outside.path());
    std::fs::rename(base.join(".index/types"), base.join("moved-types")).unwrap();
    symlink(outside.path().join("types"), base.join(".index/types")).unwrap();

    let saved = store.append(ev("hotswap", "agg", "e2"));
    let by_type = store.read_by_type("TestEvent");
    drop(store);
    assert_eq!(contents(outside.path()), before, "nothing written outside");
    assert!(saved.is_err() || by_type.is_err(), "{saved:?} {by_type:?}");

    let reopened = t.open();
    let ids: Vec<_> = reopened
        .read_aggregate("hotswap", "agg", 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect();
    assert_eq!(reopened.read_by_type("TestEvent").unwrap().len(), ids.len());
    assert_eq!(contents(outside.path()), before, "nothing written outside");
}

#[test]
fn a_link_as_the_journal_folder_or_its_lock_is_never_followed() {
    let t = TempStore::new();
    let base = t.config().path;
    t.open().close().unwrap();
    let outside = decoy();

    std::fs::remove_file(base.join(".journal/recovery.lock")).unwrap();
    let target = outside.path().join("created-by-the-store");
    symlink(&target, base.join(".journal/recovery.lock")).unwrap();
    let store = t.open();
    store.append(ev("hotswap", "agg", "e1")).unwrap();
    store.close().unwrap();
    assert!(
        !target.exists(),
        "a dangling lock link's target is not created"
    );

    let before = contents(outside.path());
    std::fs::rename(base.join(".journal"), base.join("moved-journal")).unwrap();
    symlink(outside.path().join("types"), base.join(".journal")).unwrap();
    match bytehot_eventstore::EventStore::open(t.config()) {
        Err(Error::Unavailable { reason }) => {
            assert!(
                reason.contains(".journal") && reason.contains("link"),
                "{reason}"
            )
        }
        other => panic!("expected the open refused, got {:?}", other.map(|_| ())),
    }
    assert_eq!(contents(outside.path()), before, "nothing written outside");
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
