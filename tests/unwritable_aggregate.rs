//! A save into an aggregate whose directory the process cannot write fails (its outcome
//! unknown, the store refusing writes until reopened), and the reopen serves every
//! aggregate, keeping aside the journal whose record it could not settle, instead of
//! failing every open from then on. Root writes every directory whatever its mode, so
//! under root the test runs itself again as `nobody` (through `runuser`).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use bytehot_eventstore::{Config, Error, EventStore};
use common::ev;

const TEST: &str = "an_unwritable_aggregate_fails_its_save_and_the_reopen_serves_the_rest";

#[test]
fn an_unwritable_aggregate_fails_its_save_and_the_reopen_serves_the_rest() {
    if common::reran_as_nobody(TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    store.append(ev("hotswap", "locked", "l1")).unwrap();
    store.append(ev("hotswap", "healthy", "h1")).unwrap();
    let locked = dir.join("hotswap").join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();

    let failed = store.append(ev("hotswap", "locked", "l2"));
    assert!(
        matches!(failed, Err(Error::OutcomeUnknown { .. })),
        "{failed:?}"
    );
    drop(store);

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
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

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
