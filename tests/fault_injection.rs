//! Fault injection through the `StoreIo` seam: the Nth I/O call of a save fails (an
//! error, `ENOSPC`, `EIO`, a short write, a failed fsync). Each must surface as an error
//! for that save, leave the store consistent on disk, and after a failed sync the store
//! must refuse further writes until reopened.

mod common;

use std::path::Path;
use std::sync::Arc;

use bytehot_eventstore::{
    Call, Config, Error, Event, EventMetadata, EventStore, Fault, FaultyIo, SystemClock,
};

const ENOSPC: i32 = 28;
const EIO: i32 = 5;

fn new_event(aggregate_type: &str, id: &str, event_id: &str) -> Event {
    let metadata = EventMetadata::new(aggregate_type, id, event_id);
    Event::new(
        "BytecodeValidated",
        metadata,
        r#"{"className":"com.acme.Foo","bytes":"QUJDRA=="}"#,
    )
    .unwrap()
}

fn open_faulty(dir: &Path, fail_at: u64, fault: Fault) -> (EventStore, Arc<FaultyIo>) {
    let io = Arc::new(FaultyIo::new(fail_at, fault));
    let store = EventStore::open_with(Config::new(dir), Arc::new(SystemClock), io.clone()).unwrap();
    (store, io)
}

/// A store with one event, closed cleanly (so no journal is left to replay).
fn seed(dir: &Path) {
    common::seeded(dir, [new_event("hotswap", "agg", "seed")]);
}

/// The calls one save makes: into an existing aggregate, and into a new aggregate type.
fn calls_of_a_save(new_type: bool) -> Vec<Call> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    seed(&dir);
    let (store, io) = open_faulty(&dir, 0, Fault::Errno(EIO));
    store.current_version("hotswap", "agg").unwrap();
    let before = io.calls().len();
    let target = if new_type { "filewatch" } else { "hotswap" };
    store.append(new_event(target, "agg", "probe")).unwrap();
    io.calls()[before..].to_vec()
}

/// Whether a save failing at `step` must leave the store refusing writes: once its
/// journal append has landed, the outcome of the save is unknown until the store is
/// reopened (the sync-ahead thread may already have made the record durable). What only
/// one aggregate's directory could make fail (its mode, a `.ids` that is not a file) is
/// checked before the append and is that save's alone (`tests/unwritable_aggregate.rs`);
/// the calls after the append may interleave with the sync-ahead thread's sync, so they
/// are all held to the same rule.
fn poisons(calls: &[Call], step: usize) -> bool {
    calls
        .iter()
        .position(|c| *c == Call::Append)
        .is_some_and(|append| step > append)
}

#[test]
fn every_failing_step_of_a_save_is_an_error_and_leaves_the_store_consistent() {
    let mut injected = 0;
    for new_type in [false, true] {
        let calls = calls_of_a_save(new_type);
        assert!(
            calls.contains(&Call::Append)
                && calls.contains(&Call::SyncFile)
                && calls.contains(&Call::Rename)
        );
        for (step, &call) in calls.iter().enumerate() {
            for fault in [Fault::Errno(ENOSPC), Fault::Errno(EIO), Fault::ShortWrite] {
                let tmp = tempfile::tempdir().unwrap();
                let dir = tmp.path().join("store");
                seed(&dir);
                // Count the calls the warm-up makes, then fail the chosen step of the save.
                let (probe, io) = open_faulty(&dir, 0, fault);
                probe.current_version("hotswap", "agg").unwrap();
                let warmup = io.calls().len() as u64;
                probe.close().unwrap();
                let (store, _) = open_faulty(&dir, warmup + step as u64 + 1, fault);
                store.current_version("hotswap", "agg").unwrap();
                let target = if new_type { "filewatch" } else { "hotswap" };
                let result = store.append(new_event(target, "agg", "victim"));
                // After the journal append the save may be in the store: it says so.
                let failed_as_documented = match &result {
                    Err(Error::OutcomeUnknown { cause }) => {
                        poisons(&calls, step) && matches!(**cause, Error::Io { .. })
                    }
                    Err(Error::Io { .. }) => !poisons(&calls, step),
                    _ => false,
                };
                assert!(
                    failed_as_documented,
                    "step {step} ({call:?}) {fault:?}: {result:?}"
                );
                injected += 1;

                let next = store.append(new_event("hotswap", "agg", "after"));
                if poisons(&calls, step) {
                    assert!(
                        matches!(next, Err(Error::Unavailable { .. })),
                        "after failed {call:?}: {next:?}"
                    );
                } else {
                    assert!(
                        next.is_ok(),
                        "after failed {call:?} the store must keep working: {next:?}"
                    );
                }
                drop(store);

                let reopened = EventStore::open(Config::new(&dir)).unwrap();
                assert_eq!(
                    reopened.verify().unwrap(),
                    Vec::<String>::new(),
                    "step {step} {fault:?}"
                );
                assert_eq!(
                    common::temp_files(&dir),
                    0,
                    "step {step} {fault:?}: temp file left behind"
                );
                let events = reopened.read_aggregate("hotswap", "agg", 0).unwrap();
                assert_eq!(events[0].metadata.event_id, "seed");
                for (i, e) in events.iter().enumerate() {
                    assert_eq!(e.metadata.aggregate_version, i as u64 + 1);
                }
                // Reopening clears the refusal: writes work again.
                reopened
                    .append(new_event("hotswap", "agg", "recovered"))
                    .unwrap();
            }
        }
    }
    println!(
        "fault injection: {injected} faults injected, 0 reported as success, 0 inconsistent stores"
    );
}

#[test]
fn read_errors_name_the_file_and_do_not_poison_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    for n in 0..3 {
        store
            .append(new_event("hotswap", "agg", &format!("e{n}")))
            .unwrap();
    }
    store.close().unwrap();
    let io = Arc::new(FaultyIo::on(Call::Read, 2, Fault::Errno(EIO)));
    let store = EventStore::open_with(Config::new(&dir), Arc::new(SystemClock), io).unwrap();
    match store.read_aggregate("hotswap", "agg", 0) {
        Err(Error::Io { op, path, source }) => {
            assert_eq!(op, "read");
            assert!(
                path.to_string_lossy().ends_with("-BytecodeValidated.json"),
                "{path:?}"
            );
            assert_eq!(source.raw_os_error(), Some(EIO));
        }
        other => panic!("expected an EIO read error, got {other:?}"),
    }
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 3);
    store.append(new_event("hotswap", "agg", "e3")).unwrap();
    assert_eq!(store.current_version("hotswap", "agg").unwrap(), 4);
}

/// An event of `agg` with a fixed timestamp and ids of one length, so that the journal
/// records of a batch are all the same size.
fn sized_event(n: u32) -> Event {
    let mut metadata = EventMetadata::new("hotswap", "agg", &format!("ev{n:02}"));
    metadata.timestamp = bytehot_eventstore::parse_instant(&format!("2030-01-01T00:00:00.{n:03}Z"));
    Event::new(
        "BytecodeValidated",
        metadata,
        r#"{"className":"com.acme.Foo"}"#,
    )
    .unwrap()
}

/// The records of the store's own journal, as the next open would replay them.
fn journaled_paths(dir: &Path) -> Vec<String> {
    let journal = std::fs::read_dir(dir.join(".journal"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "journal"))
        .unwrap();
    let bytes = std::fs::read(journal).unwrap();
    bytehot_eventstore::decode_records(&bytes)
        .0
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

#[test]
fn a_journal_write_that_failed_halfway_leaves_no_record_a_later_sync_could_make_replayable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    store.append(sized_event(0)).unwrap();
    store.close().unwrap();
    // The batch's journal write stores two of its four records, then fails.
    let io = Arc::new(FaultyIo::on(Call::Append, 1, Fault::ShortWrite));
    let store = EventStore::open_with(Config::new(&dir), Arc::new(SystemClock), io).unwrap();
    let batch: Vec<Event> = (1..=4).map(sized_event).collect();
    assert!(matches!(store.append_batch(batch), Err(Error::Io { .. })));
    // A retry of the first event writes a record exactly as long as the first torn one,
    // so the failed batch's second record would follow it, whole, if it were still there.
    store.append(sized_event(1)).unwrap();
    let paths = journaled_paths(&dir);
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert_eq!(
        store
            .read_aggregate("hotswap", "agg", 0)
            .unwrap()
            .iter()
            .map(|e| e.metadata.event_id.clone())
            .collect::<Vec<_>>(),
        ["ev00", "ev01"]
    );
    store.close().unwrap();
}

#[test]
fn after_a_failure_past_the_journal_no_checkpoint_starts_the_journal_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    seed(&dir);
    // Journaled and synced, then the rename fails: the outcome is unknown until reopen.
    let io = Arc::new(FaultyIo::on(Call::Rename, 1, Fault::Errno(EIO)));
    let store = EventStore::open_with(Config::new(&dir), Arc::new(SystemClock), io).unwrap();
    assert!(store.append(new_event("hotswap", "agg", "lost?")).is_err());
    assert!(store.checkpoint().is_err());
    // The record whose outcome the failure left unknown stays for the next open.
    assert_eq!(journaled_paths(&dir).len(), 1);
    assert!(store.close().is_err());
    let store = EventStore::open(Config::new(&dir)).unwrap();
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    store.close().unwrap();
}

/// Opens, saves 20 events to one aggregate (so it gets a `.ids`), one to a new aggregate
/// type (a metadata write), checkpoints (a `syncfs`) and closes, through `io`; returns
/// the event ids whose save was acknowledged. Every failure must be a typed error.
fn scenario(dir: &Path, io: Arc<FaultyIo>) -> Vec<String> {
    let mut acknowledged = Vec::new();
    let Ok(store) = EventStore::open_with(Config::new(dir), Arc::new(SystemClock), io) else {
        return acknowledged;
    };
    for n in 0..20 {
        let id = format!("e{n}");
        if store.append(new_event("hotswap", "agg", &id)).is_ok() {
            acknowledged.push(id);
        }
    }
    if store.append(new_event("filewatch", "agg", "w1")).is_ok() {
        acknowledged.push("w1".to_string());
    }
    let _ = store.checkpoint();
    let _ = store.close();
    acknowledged
}

const SEAM_CALLS: [Call; 10] = [
    Call::Write,
    Call::Append,
    Call::SyncFile,
    Call::Rename,
    Call::CreateDir,
    Call::Read,
    Call::AppendLine,
    Call::WriteFile,
    Call::SyncDir,
    Call::SyncFileSystem,
];

#[test]
fn every_call_durability_rests_on_goes_through_the_seam_and_a_failure_of_any_loses_nothing_acknowledged()
 {
    let tmp = tempfile::tempdir().unwrap();
    let probe = Arc::new(FaultyIo::new(0, Fault::Errno(EIO)));
    seed(&tmp.path().join("probe"));
    scenario(&tmp.path().join("probe"), probe.clone());
    let calls = probe.calls();
    for call in SEAM_CALLS {
        assert!(calls.contains(&call), "{call:?} is not seen: {calls:?}");
    }
    let mut injected = 0;
    for call in SEAM_CALLS {
        let made = calls.iter().filter(|c| **c == call).count() as u64;
        // The first few of each kind, and its last: open, steady state, close.
        let mut nths: Vec<u64> = (1..=made.min(4)).collect();
        nths.push(made);
        nths.dedup();
        for nth in nths {
            for fault in [Fault::Errno(ENOSPC), Fault::Errno(EIO), Fault::ShortWrite] {
                let case = tmp.path().join(format!("{call:?}-{nth}-{fault:?}"));
                seed(&case);
                let acknowledged = scenario(&case, Arc::new(FaultyIo::on(call, nth, fault)));
                injected += 1;
                let store = EventStore::open(Config::new(&case)).unwrap();
                assert_eq!(
                    store.verify().unwrap(),
                    Vec::<String>::new(),
                    "{call:?} #{nth} {fault:?}"
                );
                let stored: Vec<String> = ["hotswap", "filewatch"]
                    .iter()
                    .flat_map(|t| store.read_aggregate(t, "agg", 0).unwrap())
                    .map(|e| e.metadata.event_id)
                    .collect();
                for id in &acknowledged {
                    assert!(stored.contains(id), "{call:?} #{nth} {fault:?}: {id} lost");
                }
                assert_eq!(common::temp_files(&case), 0, "{call:?} #{nth} {fault:?}");
                store.append(new_event("hotswap", "agg", "after")).unwrap();
            }
        }
    }
    println!(
        "{injected} faults injected over {} call kinds",
        SEAM_CALLS.len()
    );
}
