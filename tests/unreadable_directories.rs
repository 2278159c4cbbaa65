//! A directory the process cannot list is reported by `verify`, with its path, and the
//! rest of the store is still checked and read. Root reads every directory whatever its
//! mode, so under root the test runs itself again as `nobody` (through `runuser`).
#![cfg(unix)] // Unix permission bits, run as nobody

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{TempStore, ev};

#[test]
fn verify_lists_a_directory_it_cannot_read_and_checks_the_rest() {
    if common::reran_as_nobody("verify_lists_a_directory_it_cannot_read_and_checks_the_rest") {
        return;
    }
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("hotswap", "readable", "e1")).unwrap();
    store.append(ev("hotswap", "locked", "e2")).unwrap();
    let locked = t.base.join("hotswap").join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();

    let problems = store.verify();
    let readable = store.read_aggregate("hotswap", "readable", 0);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    let problems = problems.expect("verify lists the problem instead of failing");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&locked.display().to_string())
            && problems[0].contains("cannot be listed"),
        "{problems:?}"
    );
    assert_eq!(readable.unwrap().len(), 1);
}
