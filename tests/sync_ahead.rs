//! Under `durability = always` a save's journal sync runs while the save writes its event
//! files under temporary names, and the files are renamed into place only once that sync
//! has completed: no reader can see an event that a crash of the machine could take back.
//! The I/O goes through a `StoreIo` that delegates to the real one and records when each
//! call started and ended; its sync is slowed down so that the overlap is unmistakable.

mod common;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use bytehot_eventstore::{
    Call, Config, Durability, Error, Event, EventMetadata, EventStore, SystemClock,
};
use common::{HookedIo, seeded};

const SLOW_SYNC: Duration = Duration::from_millis(60);

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Append,
    Sync,
    Write(PathBuf),
    Rename(PathBuf),
}

/// When each call of interest started and ended: (call, start, end).
#[derive(Default)]
struct Timings {
    log: Mutex<Vec<(Op, Instant, Instant)>>,
    started: Mutex<HashMap<ThreadId, Instant>>,
}

/// The real I/O, timed, with a slow sync.
fn open(dir: &Path, durability: Durability) -> (EventStore, Arc<Timings>) {
    let timings = Arc::new(Timings::default());
    let mut io = HookedIo::default();
    for call in [Call::Write, Call::Append, Call::SyncFile, Call::Rename] {
        let (starts, ends) = (timings.clone(), timings.clone());
        io = io
            .before(call, move |_, _| {
                let now = Instant::now();
                starts
                    .started
                    .lock()
                    .unwrap()
                    .insert(thread::current().id(), now);
                Ok(())
            })
            .after(call, move |call, path| {
                let start = ends.started.lock().unwrap()[&thread::current().id()];
                let op = match call {
                    Call::Write => Op::Write(path.to_path_buf()),
                    Call::Append => Op::Append,
                    Call::SyncFile => Op::Sync,
                    _ => Op::Rename(path.to_path_buf()),
                };
                ends.log.lock().unwrap().push((op, start, Instant::now()));
                Ok(())
            });
    }
    let io = io.before(Call::SyncFile, |_, _| {
        thread::sleep(SLOW_SYNC);
        Ok(())
    });
    let config = Config::new(dir).durability(durability);
    let store = EventStore::open_with(config, Arc::new(SystemClock), Arc::new(io)).unwrap();
    (store, timings)
}

fn event(id: &str) -> Event {
    let metadata = EventMetadata::new("hotswap", "agg", id);
    let data = format!(r#"{{"payload":"{}"}}"#, "x".repeat(1000));
    Event::new("BytecodeValidated", metadata, &data).unwrap()
}

fn save(store: &EventStore, id: &str) {
    store.append(event(id)).unwrap();
}

#[test]
fn an_always_save_writes_its_file_before_its_journal_sync_completes_and_renames_it_after() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, io) = open(&tmp.path().join("store"), Durability::Always);
    save(&store, "warm-up");
    for n in 0..5 {
        io.log.lock().unwrap().clear();
        let started = Instant::now();
        save(&store, &format!("e{n}"));
        let took = started.elapsed();
        let log = io.log.lock().unwrap().clone();
        let find = |pick: fn(&Op) -> bool| {
            log.iter()
                .find(|(op, _, _)| pick(op))
                .cloned()
                .unwrap_or_else(|| panic!("missing call in {log:?}"))
        };
        let (_, _, appended) = find(|op| *op == Op::Append);
        let (_, sync_start, sync_end) = find(|op| *op == Op::Sync);
        let (_, write_start, _) =
            find(|op| matches!(op, Op::Write(p) if p.to_string_lossy().ends_with(".tmp")));
        let (renamed, rename_start, _) = find(|op| matches!(op, Op::Rename(_)));
        assert!(
            sync_start >= appended,
            "the sync covers the append: {log:?}"
        );
        assert!(
            write_start < sync_end,
            "the event file is written before the journal sync completes: {log:?}"
        );
        assert!(
            rename_start >= sync_end,
            "{renamed:?} must not be visible before the journal is durable: {log:?}"
        );
        // One slow sync, not a sync and then the writes after it.
        assert!(took >= SLOW_SYNC, "the save waited for its sync");
    }
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 6);
    store.close().unwrap();
}

/// The real I/O with a slow sync, which fails with `EIO` when `fails`: slow enough for a
/// syncing thread to be caught in the middle of one, or for the save to be writing its
/// file when the sync fails.
fn slow_sync(delay: Duration, fails: bool) -> Arc<HookedIo> {
    Arc::new(HookedIo::default().before(Call::SyncFile, move |_, _| {
        thread::sleep(delay);
        if fails {
            Err(io::Error::from_raw_os_error(5))
        } else {
            Ok(())
        }
    }))
}

#[test]
fn a_save_whose_sync_fails_gets_that_error_whichever_thread_ran_it_and_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    seeded(&dir, [event("seed")]);
    let io = slow_sync(Duration::from_millis(30), true);
    let store = EventStore::open_with(Config::new(&dir), Arc::new(SystemClock), io).unwrap();
    let result = store.append(
        Event::new(
            "BytecodeValidated",
            EventMetadata::new("hotswap", "agg", "victim"),
            "{}",
        )
        .unwrap(),
    );
    assert!(
        matches!(&result, Err(Error::OutcomeUnknown { cause })
            if matches!(&**cause, Error::Io { source, .. } if source.raw_os_error() == Some(5))),
        "{result:?}"
    );
    let next = store.append(
        Event::new(
            "BytecodeValidated",
            EventMetadata::new("hotswap", "agg", "after"),
            "{}",
        )
        .unwrap(),
    );
    assert!(matches!(next, Err(Error::Unavailable { .. })), "{next:?}");
    drop(store);
    let names: Vec<String> = std::fs::read_dir(dir.join("hotswap").join("agg"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "the staged file was removed: {names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".json")).count(),
        1,
        "only the seed is in place: {names:?}"
    );
    let reopened = EventStore::open(Config::new(&dir)).unwrap();
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn temp_files_no_journal_names_are_removed_when_their_aggregate_is_first_listed() {
    // Under `always` a file is written under its temp name before its journal record is
    // durable: a machine crash can leave one behind whose record did not survive, so no
    // replay names its directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    save(&store, "kept");
    store.close().unwrap();
    let dead = (4_000_000..4_194_304)
        .find(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        .unwrap();
    let agg = dir.join("hotswap").join("agg");
    let orphan = agg.join(format!(
        ".20260101000000000000-BytecodeValidated.json.{dead}-0.tmp"
    ));
    std::fs::write(&orphan, b"{\"half\":").unwrap();
    // `.ids` is rewritten under a temp name of its own shape (no counter): a writer
    // killed in that window leaves this one.
    let orphan_ids = agg.join(format!(".ids.{dead}.tmp"));
    std::fs::write(&orphan_ids, b"2026").unwrap();
    let live = agg.join(format!(
        ".20260101000000001000-BytecodeValidated.json.{}-0.tmp",
        std::process::id()
    ));
    std::fs::write(&live, b"{}").unwrap();

    let reopened = EventStore::open(Config::new(&dir)).unwrap();
    assert_eq!(
        reopened.read_aggregate("hotswap", "agg", 0).unwrap().len(),
        1
    );
    assert!(!orphan.exists(), "a dead process's temp file is removed");
    assert!(!orphan_ids.exists(), "so is its temp `.ids`");
    assert!(live.exists(), "a live process's temp file is left alone");
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_store_dropped_while_its_thread_syncs_releases_its_journal_before_the_drop_returns() {
    // The `batch` timer is caught in a 300 ms sync when the store is dropped without
    // `close`: a store opened right after, in the same process, must find that journal
    // abandoned (and replay and retire it), not held by a thread still running.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let config = Config::new(&dir).durability(Durability::Batch);
    let store = EventStore::open_with(
        config,
        Arc::new(SystemClock),
        slow_sync(Duration::from_millis(300), false),
    )
    .unwrap();
    save(&store, "in-flight");
    let journals = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir.join(".journal"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "journal"))
            .collect()
    };
    let dropped = journals(&dir);
    assert_eq!(dropped.len(), 1);
    std::thread::sleep(Duration::from_millis(120));
    drop(store);

    let reopened = EventStore::open(Config::new(&dir)).unwrap();
    assert!(
        !dropped[0].exists(),
        "the dropped store's journal was replayed and retired at the reopen"
    );
    assert_eq!(
        reopened.read_aggregate("hotswap", "agg", 0).unwrap().len(),
        1
    );
    assert_eq!(reopened.verify().unwrap(), Vec::<String>::new());
}
