//! Symbolic links inside the store are never followed: reads refuse them with the path,
//! `verify` reports them, and nothing they point at is read or written.

mod common;

use std::os::unix::fs::symlink;

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
