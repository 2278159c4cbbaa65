//! Schema migration's storage half (`rewrite_schemas`): stored events replaced by newer
//! schema versions of themselves, in single-event files, segments and compressed
//! segments; identity, stream positions and queries kept; anything else refused before a
//! file changes; and a migration killed at random points (a real child process, SIGKILL)
//! leaving every event readable, old or new, finished by the next run.
//!
//! `EVENTSTORE_MIGRATE_KILL_TRIALS` sets the kill trials (default 10).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bytehot_eventstore::{Error, Event, EventStore};

use common::{Rng, assert_chain, ev_with, kill_child_after, meta, open_segmented, trials};

const CHILD_DIR: &str = "EVENTSTORE_TEST_MIGRATE_DIR";
const CHILD_PER_FILE: &str = "EVENTSTORE_TEST_MIGRATE_PER_FILE";

/// The range of kill delays after the child starts migrating, in milliseconds.
const MIGRATION_MS: u64 = 150;

/// Seeds `aggregates` aggregates of `events` events each at schema version 1, written with
/// `per_file` events per file (and compression, so full segments are sealed).
fn seed(base: &Path, per_file: u32, aggregates: usize, events: usize) {
    let store = open_segmented(base, per_file, per_file > 1);
    for i in 0..events {
        let batch: Vec<Event> = (0..aggregates)
            .map(|a| {
                ev_with(
                    meta("user", &format!("u{a:02}"), &format!("{a}-{i}")),
                    "UserRenamed",
                    &format!("{{\"name\":\"Ada {i}\",\"pad\":\"{}\"}}", "p".repeat(150)),
                )
            })
            .collect();
        store.append_batch(batch).unwrap();
    }
    store.close().unwrap();
}

/// Version 2 of a stored version-1 event: `name` split into `first` and `last`.
fn upcast(stored: &Event) -> Event {
    let data: serde_json::Value = serde_json::from_str(stored.data.get()).unwrap();
    let name = data["name"].as_str().unwrap();
    let (first, last) = name.split_once(' ').unwrap();
    let mut metadata = stored.metadata.clone();
    metadata.schema_version = 2;
    let new = serde_json::json!({"first": first, "last": last, "pad": data["pad"]});
    Event::new(&stored.event_type, metadata, &new.to_string()).unwrap()
}

/// Every stored event of the store, by aggregate, in version order.
fn all(store: &EventStore) -> BTreeMap<String, Vec<Event>> {
    let mut out = BTreeMap::new();
    for id in store.aggregate_ids("user").unwrap() {
        let events = store.read_aggregate("user", &id, 0).unwrap();
        assert_chain(&events);
        out.insert(id, events);
    }
    out
}

/// The migration the tests run: every version-1 event rewritten, one aggregate per call.
fn migrate(store: &EventStore) -> u64 {
    let mut rewritten = 0;
    for (_, events) in all(store) {
        let new: Vec<Event> = events
            .iter()
            .filter(|e| e.metadata.schema_version == 1)
            .map(upcast)
            .collect();
        rewritten += store.rewrite_schemas(new).unwrap().events_rewritten;
    }
    rewritten
}

/// Asserts that each event of `now` is `before`'s at the same place, as it was or upcast,
/// and returns how many are upcast.
fn old_or_new(before: &BTreeMap<String, Vec<Event>>, now: &BTreeMap<String, Vec<Event>>) -> usize {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        now.keys().collect::<Vec<_>>()
    );
    let mut upcast_seen = 0;
    for (id, old) in before {
        let new = &now[id];
        assert_eq!(old.len(), new.len(), "{id}: events lost or gained");
        for (o, n) in old.iter().zip(new) {
            let mut identity = n.metadata.clone();
            identity.schema_version = o.metadata.schema_version;
            assert_eq!(identity, o.metadata, "{id}: identity changed");
            let data: serde_json::Value = serde_json::from_str(n.data.get()).unwrap();
            match n.metadata.schema_version {
                1 => assert_eq!(n.data.get(), o.data.get(), "{id}"),
                2 => {
                    assert_eq!(
                        data,
                        serde_json::from_str::<serde_json::Value>(upcast(o).data.get()).unwrap()
                    );
                    upcast_seen += 1;
                }
                v => panic!("{id}: schema version {v}"),
            }
        }
    }
    upcast_seen
}

#[test]
fn rewritten_events_read_back_in_their_new_schema_with_identity_positions_and_queries_kept() {
    for per_file in [1, 4] {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("eventstore");
        seed(&base, per_file, 3, 10);
        let store = open_segmented(&base, per_file, per_file > 1);
        let before = all(&store);
        let positions: Vec<(u64, String)> = store
            .read_all(0, 1000)
            .unwrap()
            .into_iter()
            .map(|s| (s.position, s.event.metadata.event_id))
            .collect();

        assert_eq!(migrate(&store), 30, "{per_file} per file");
        let now = all(&store);
        assert_eq!(old_or_new(&before, &now), 30);
        let by_type = store.read_by_type("UserRenamed").unwrap();
        assert_eq!(by_type.len(), 30);
        assert!(by_type.iter().all(|e| e.metadata.schema_version == 2));
        let after: Vec<(u64, String)> = store
            .read_all(0, 1000)
            .unwrap()
            .into_iter()
            .map(|s| (s.position, s.event.metadata.event_id))
            .collect();
        assert_eq!(after, positions, "stream positions kept");
        assert!(
            store
                .read_all(0, 1000)
                .unwrap()
                .iter()
                .all(|s| s.event.metadata.schema_version == 2)
        );
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        store.close().unwrap();

        // Another process's view: the files say it, and an index rebuilt from them too.
        std::fs::remove_file(base.join(".index").join("format")).unwrap();
        let reopened = open_segmented(&base, per_file, per_file > 1);
        assert_eq!(old_or_new(&before, &all(&reopened)), 30);
        assert_eq!(reopened.read_by_type("UserRenamed").unwrap().len(), 30);
        assert!(!base.join("metadata").join("migration.running").exists());
        assert_eq!(migrate(&reopened), 0, "nothing left at version 1");
    }
}

#[test]
fn a_rewrite_that_changes_more_than_data_and_schema_version_is_refused_before_any_file_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 1, 1, 3);
    let store = open_segmented(&base, 1, false);
    let before = all(&store);
    let events = &before["u00"];
    let good = upcast(&events[0]);

    let mut other_user = upcast(&events[1]);
    other_user.metadata.user_id = Some("mallory".into());
    let mut same_version = upcast(&events[2]);
    same_version.metadata.schema_version = 1;
    let mut unknown = upcast(&events[2]);
    unknown.metadata.event_id = "nobody-saved-this".into();
    for bad in [other_user, same_version, unknown] {
        match store.rewrite_schemas(vec![good.clone(), bad.clone()]) {
            Err(Error::InvalidEvent { .. }) => {}
            other => panic!("{:?}: expected InvalidEvent, got {other:?}", bad.metadata),
        }
        assert_eq!(old_or_new(&before, &all(&store)), 0, "nothing rewritten");
    }
    // An event already stored as given counts as current: a run cut short is run again.
    let first = store.rewrite_schemas(vec![good.clone()]).unwrap();
    assert_eq!((first.events_rewritten, first.events_current), (1, 0));
    let again = store.rewrite_schemas(vec![good]).unwrap();
    assert_eq!((again.events_rewritten, again.events_current), (0, 1));
}

#[test]
fn a_recorded_migration_is_kept_across_an_index_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base, 1, 1, 2);
    let store = open_segmented(&base, 1, false);
    migrate(&store);
    let migration = store
        .record_schema_migration(
            BTreeMap::from([("UserRenamed".to_string(), 2)]),
            2,
            2,
            Some("/backups/before".into()),
        )
        .unwrap();
    assert_eq!(migration.event_types["UserRenamed"], 2);
    assert_eq!(migration.backup.as_deref(), Some("/backups/before"));
    store.rebuild_index().unwrap();
    assert_eq!(store.schema_migrations().unwrap(), vec![migration.clone()]);
    let file = std::fs::read_to_string(base.join("metadata/event-schema-versions.json")).unwrap();
    assert!(file.contains("\"migrations\""), "{file}");
    assert!(file.contains("\"UserRenamed\""), "{file}");
    store.close().unwrap();
}

/// The migrating role, run in a child process: migrate until done, then wait to be
/// killed (so a kill never lands after a clean close).
#[test]
fn migrate_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let per_file: u32 = std::env::var(CHILD_PER_FILE).unwrap().parse().unwrap();
    let store = open_segmented(Path::new(&dir), per_file, per_file > 1);
    println!("migrating");
    let started = std::time::Instant::now();
    migrate(&store);
    println!("done in {} ms", started.elapsed().as_millis());
    std::thread::sleep(Duration::from_secs(3600));
}

#[test]
fn a_migration_killed_at_random_points_leaves_every_event_old_or_new_and_the_next_run_finishes() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let trials = trials("EVENTSTORE_MIGRATE_KILL_TRIALS", 10);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut partial = 0;
    for trial in 0..trials {
        // Single-event files and segments (compressed when full) in turn.
        let per_file = if trial % 2 == 0 { 1 } else { 4 };
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("eventstore");
        seed(&base, per_file, 12, 10);
        let before = all(&open_segmented(&base, per_file, per_file > 1));
        // Killed once it migrates, at a random point of a run that takes about 100 ms
        // here (`done in` when run alone), or after it.
        kill_child_after(
            "migrate_child",
            &[
                (CHILD_DIR, base.to_string_lossy().to_string()),
                (CHILD_PER_FILE, per_file.to_string()),
            ],
            "migrating",
            Duration::from_millis(rng.below(MIGRATION_MS)),
        );

        let store = open_segmented(&base, per_file, per_file > 1);
        let label = format!("trial {trial} ({per_file} per file)");
        let upcast_seen = old_or_new(&before, &all(&store));
        if upcast_seen > 0 && upcast_seen < 120 {
            partial += 1;
        }
        // Queries see what reads see, each event once.
        let by_type = store.read_by_type("UserRenamed").unwrap();
        assert_eq!(by_type.len(), 120, "{label}");
        assert_eq!(
            by_type
                .iter()
                .filter(|e| e.metadata.schema_version == 2)
                .count(),
            upcast_seen,
            "{label}"
        );
        assert_eq!(store.verify().unwrap(), Vec::<String>::new(), "{label}");
        migrate(&store);
        assert_eq!(old_or_new(&before, &all(&store)), 120, "{label}: finished");
        assert_eq!(store.verify().unwrap(), Vec::<String>::new(), "{label}");
        store.close().unwrap();
    }
    println!("migration kill test: {trials} trials, {partial} killed part way");
}
