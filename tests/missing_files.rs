//! An event file that disappears (deleted by hand, lost) is reported, never served as a
//! shorter history whose versions the next save would reuse: in the middle of an
//! aggregate by the version gap, at its end by `.ids` and the index, which both list it,
//! within one store's life and across a reopen.

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
