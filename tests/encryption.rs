//! Encryption at rest: events' data and snapshots sealed under per-aggregate data keys
//! wrapped by the master key; nothing of the data in plaintext on disk (event files,
//! segments, journal); a wrong or missing key fails the open; tampered, truncated and moved
//! blocks are reported, not served; crypto-shredding; master key rotation, also killed at
//! random points (a real child process, SIGKILL).
//!
//! `EVENTSTORE_ROTATE_KILL_TRIALS` sets the kill trials (default 6).

mod common;

use std::path::Path;
use std::time::Duration;

use bytehot_eventstore::{
    Config, Durability, Error, Event, EventFilter, EventStore, MasterKey, is_forgotten,
};

use common::{Rng, ev_with, kill_child_after, meta, trials, walk};

/// What the data of every event holds: found anywhere on disk, it leaked.
const MARKER: &str = "Lovelace-secret-4711";

const CHILD_DIR: &str = "EVENTSTORE_TEST_ROTATE_DIR";
const CHILD_KEYS: &str = "EVENTSTORE_TEST_ROTATE_KEYS";

fn config(base: &Path, key: &MasterKey, per_file: u32) -> Config {
    Config::new(base)
        .durability(Durability::Always)
        .max_events_per_file(per_file)
        .compression(per_file > 1)
        .encryption_key(key.clone())
}

fn secret(aggregate: &str, id: &str, n: usize) -> Event {
    let mut m = meta("user", aggregate, id);
    m.correlation_id = Some("corr-1".into());
    ev_with(
        m,
        "UserRenamed",
        &format!("{{\"name\":\"Ada {MARKER}\",\"n\":{n}}}"),
    )
}

/// Every byte under `dir` (journal included), as text, with the files that hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    walk(dir)
        .into_iter()
        .filter(|rel| {
            std::fs::read(dir.join(rel))
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .map(|rel| rel.display().to_string())
        .collect()
}

fn data_of(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.data.get().to_string()).collect()
}

#[test]
fn every_read_path_returns_the_plaintext_and_no_file_holds_it() {
    for per_file in [1, 4] {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("store");
        let key = MasterKey::generate();
        let store = EventStore::open(config(&base, &key, per_file)).unwrap();
        for n in 0..10 {
            let saved = store
                .append(secret(&format!("u{}", n % 2), &format!("e{n}"), n))
                .unwrap();
            assert!(
                saved.data.get().contains(MARKER),
                "the save returns plaintext"
            );
        }
        store
            .save_snapshot("user", "u0", 3, &format!("{{\"last\":\"{MARKER}\"}}"))
            .unwrap();
        // While open: the journal holds the records of these saves.
        assert_eq!(
            files_holding(&base, MARKER),
            Vec::<String>::new(),
            "{per_file}"
        );
        let u0 = store.read_aggregate("user", "u0", 0).unwrap();
        assert_eq!(u0.len(), 5);
        assert!(data_of(&u0).iter().all(|d| d.contains(MARKER)));
        assert_eq!(store.read_by_type("UserRenamed").unwrap().len(), 10);
        assert!(
            data_of(&store.read_by_type("UserRenamed").unwrap())
                .iter()
                .all(|d| d.contains(MARKER))
        );
        let all = store.read_all(0, 100).unwrap();
        assert!(all.iter().all(|s| s.event.data.get().contains(MARKER)));
        let by_corr = store.read_by_correlation("corr-1", None).unwrap();
        assert_eq!(by_corr.len(), 10);
        assert!(
            store
                .read_event("user", "u1", 2)
                .unwrap()
                .data
                .get()
                .contains(MARKER)
        );
        let snapshot = store.load_latest_snapshot("user", "u0").unwrap().unwrap();
        assert!(snapshot.state.get().contains(MARKER));
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        store.close().unwrap();
        assert_eq!(
            files_holding(&base, MARKER),
            Vec::<String>::new(),
            "{per_file}"
        );
        // The key itself is nowhere in the store either.
        assert_eq!(files_holding(&base, &key.to_hex()), Vec::<String>::new());

        let reopened = EventStore::open(config(&base, &key, per_file)).unwrap();
        assert_eq!(
            data_of(&reopened.read_aggregate("user", "u0", 0).unwrap()),
            data_of(&u0)
        );
    }
}

#[test]
fn a_wrong_or_missing_key_fails_the_open_naming_the_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let key = MasterKey::generate();
    let store = EventStore::open(config(&base, &key, 1)).unwrap();
    store.append(secret("u0", "e0", 0)).unwrap();
    store.close().unwrap();

    let wrong = MasterKey::generate();
    match EventStore::open(config(&base, &wrong, 1)).err() {
        Some(Error::Config { reason, .. }) => {
            assert!(
                reason.contains(&wrong.id()) && reason.contains(&key.id()),
                "{reason}"
            );
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    for read_only in [false, true] {
        match EventStore::open(Config::new(&base).read_only(read_only)).err() {
            Some(Error::Config { reason, .. }) => assert!(reason.contains("encrypted"), "{reason}"),
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
}

#[test]
fn a_tampered_truncated_or_moved_block_is_reported_never_served() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let key = MasterKey::generate();
    let store = EventStore::open(config(&base, &key, 1)).unwrap();
    for n in 0..3 {
        store.append(secret("u0", &format!("e{n}"), n)).unwrap();
    }
    store.close().unwrap();
    let dir = base.join("user").join("u0");
    let files = common::event_file_names(&dir);
    let pristine: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    let text = |i: usize| String::from_utf8(pristine[i].clone()).unwrap();
    let data_member = |file: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(file).unwrap();
        v["eventData"]["$bytehot.encrypted"]["data"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let flipped = {
        let data = data_member(&text(1));
        let mut bytes = data.clone().into_bytes();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        text(1).replace(&data, &String::from_utf8(bytes).unwrap())
    };
    let moved = text(1).replace(&data_member(&text(1)), &data_member(&text(2)));
    let truncated = text(1)[..text(1).len() / 2].to_string();
    for (what, damaged) in [
        ("bit flip", flipped),
        ("block of another event", moved),
        ("truncated", truncated),
    ] {
        std::fs::write(dir.join(&files[1]), &damaged).unwrap();
        let store = EventStore::open(config(&base, &key, 1)).unwrap();
        match store.read_aggregate("user", "u0", 0) {
            Err(Error::Corrupt { path, reason }) => {
                assert_eq!(path, dir.join(&files[1]), "{what}: {reason}");
                assert!(!reason.contains(MARKER), "{what}: {reason}");
            }
            other => panic!("{what}: expected Corrupt, got {other:?}"),
        }
        store.close().unwrap();
        std::fs::write(dir.join(&files[1]), &pristine[1]).unwrap();
    }
    let store = EventStore::open(config(&base, &key, 1)).unwrap();
    assert_eq!(store.read_aggregate("user", "u0", 0).unwrap().len(), 3);
}

#[test]
fn a_forgotten_aggregate_keeps_its_history_shape_and_loses_its_data_for_good() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let key = MasterKey::generate();
    let store = EventStore::open(config(&base, &key, 1)).unwrap();
    for n in 0..4 {
        store
            .append(secret(&format!("u{}", n % 2), &format!("e{n}"), n))
            .unwrap();
    }
    store.save_snapshot("user", "u0", 2, r#"{"s":1}"#).unwrap();
    store.forget_aggregate("user", "u0").unwrap();
    store.forget_aggregate("user", "u0").unwrap();
    for store in [store, EventStore::open(config(&base, &key, 1)).unwrap()] {
        let events = store.read_aggregate("user", "u0", 0).unwrap();
        assert_eq!(events.len(), 2);
        assert!(
            events.iter().all(|e| is_forgotten(e.data.get())),
            "{:?}",
            data_of(&events)
        );
        assert_eq!(store.current_version("user", "u0").unwrap(), 2);
        assert!(store.load_latest_snapshot("user", "u0").unwrap().is_none());
        assert!(
            data_of(&store.read_aggregate("user", "u1", 0).unwrap())
                .iter()
                .all(|d| d.contains(MARKER))
        );
        assert_eq!(store.read_by_type("UserRenamed").unwrap().len(), 4);
        assert!(matches!(
            store.append(secret("u0", "after", 9)),
            Err(Error::Unavailable { .. })
        ));
        store.close().unwrap();
    }
}

#[test]
fn a_rotated_master_key_reads_everything_and_the_old_key_alone_no_longer_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let old = MasterKey::generate();
    let store = EventStore::open(config(&base, &old, 1)).unwrap();
    for n in 0..6 {
        store
            .append(secret(&format!("u{}", n % 3), &format!("e{n}"), n))
            .unwrap();
    }
    store.close().unwrap();
    let before: Vec<u8> = std::fs::read(
        base.join("user/u0")
            .join(&common::event_file_names(&base.join("user/u0"))[0]),
    )
    .unwrap();

    let new = MasterKey::generate();
    let mut rotating = config(&base, &new, 1);
    rotating.encryption_previous_key = Some(old.clone());
    let store = EventStore::open(rotating).unwrap();
    assert_eq!(store.rotate_master_key().unwrap(), 3);
    store.close().unwrap();
    // No event was rewritten.
    assert_eq!(
        std::fs::read(
            base.join("user/u0")
                .join(&common::event_file_names(&base.join("user/u0"))[0])
        )
        .unwrap(),
        before
    );

    let store = EventStore::open(config(&base, &new, 1)).unwrap();
    assert_eq!(store.read_by_type("UserRenamed").unwrap().len(), 6);
    store.close().unwrap();
    assert!(matches!(
        EventStore::open(config(&base, &old, 1)),
        Err(Error::Config { .. })
    ));
}

#[test]
fn an_encrypted_store_exports_plaintext_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let key = MasterKey::generate();
    let store = EventStore::open(config(&base, &key, 1)).unwrap();
    store.append(secret("u0", "e0", 0)).unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        store.export(&EventFilter::default(), &mut out),
        Err(Error::Config { .. })
    ));
    assert_eq!(
        store
            .export_with(&EventFilter::default(), &mut out, true)
            .unwrap(),
        1
    );
    assert!(String::from_utf8(out).unwrap().contains(MARKER));
}

/// The rotating role, in a child process: rotate, then wait to be killed.
#[test]
fn rotate_child() {
    let (Ok(dir), Ok(keys)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_KEYS)) else {
        return;
    };
    let (old, new) = keys.split_once(':').unwrap();
    let mut config = config(Path::new(&dir), &MasterKey::from_text(new).unwrap(), 1);
    config.encryption_previous_key = MasterKey::from_text(old);
    let store = EventStore::open(config).unwrap();
    println!("rotating");
    store.rotate_master_key().unwrap();
    println!("done");
    std::thread::sleep(Duration::from_secs(3600));
}

#[test]
fn a_rotation_killed_at_random_points_leaves_every_event_readable_and_the_next_run_finishes() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let trials = trials("EVENTSTORE_ROTATE_KILL_TRIALS", 6);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for trial in 0..trials {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("store");
        let old = MasterKey::generate();
        let store = EventStore::open(config(&base, &old, 1).durability(Durability::None)).unwrap();
        for n in 0..60 {
            store
                .append(secret(&format!("u{n:02}"), &format!("e{n}"), n))
                .unwrap();
        }
        store.close().unwrap();
        let new = MasterKey::generate();
        kill_child_after(
            "rotate_child",
            &[
                (CHILD_DIR, base.to_string_lossy().to_string()),
                (CHILD_KEYS, format!("{}:{}", old.to_hex(), new.to_hex())),
            ],
            "rotating",
            Duration::from_millis(rng.below(60)),
        );

        let label = format!("trial {trial}");
        let mut both = config(&base, &new, 1);
        both.encryption_previous_key = Some(old.clone());
        let store = EventStore::open(both).unwrap();
        let events = store.read_by_type("UserRenamed").unwrap();
        assert_eq!(events.len(), 60, "{label}");
        assert!(
            data_of(&events).iter().all(|d| d.contains(MARKER)),
            "{label}"
        );
        store.rotate_master_key().unwrap();
        store.close().unwrap();
        let store = EventStore::open(config(&base, &new, 1)).unwrap();
        assert_eq!(
            store.read_by_type("UserRenamed").unwrap().len(),
            60,
            "{label}"
        );
        store.close().unwrap();
    }
}

#[test]
fn a_backup_stays_encrypted_and_restores_readable_with_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let key = MasterKey::generate();
    let store = EventStore::open(config(&base, &key, 1)).unwrap();
    for n in 0..3 {
        store.append(secret("u0", &format!("e{n}"), n)).unwrap();
    }
    let backup = tmp.path().join("backup");
    store.backup(&backup, None).unwrap();
    store.close().unwrap();
    assert_eq!(files_holding(&backup, MARKER), Vec::<String>::new());
    let restored = tmp.path().join("restored");
    EventStore::restore(&backup, &restored, false).unwrap();
    // The restored copy is encrypted too: no open, and no plaintext save, without its key.
    assert!(matches!(
        EventStore::open(Config::new(&restored)).err(),
        Some(Error::Config { .. })
    ));
    let copy = EventStore::open(config(&restored, &key, 1)).unwrap();
    assert!(
        data_of(&copy.read_aggregate("user", "u0", 0).unwrap())
            .iter()
            .all(|d| d.contains(MARKER))
    );
}

const CHILD_RESEAL: &str = "EVENTSTORE_TEST_RESEAL_DIR";

/// A plaintext store of 30 aggregates, 2 files of 4-event segments each (per_file 4) or
/// 6 single files.
fn plaintext_store(base: &Path, per_file: u32) -> Vec<String> {
    let store = EventStore::open(
        Config::new(base)
            .durability(Durability::None)
            .max_events_per_file(per_file),
    )
    .unwrap();
    for n in 0..180 {
        store
            .append(secret(&format!("u{:02}", n % 30), &format!("e{n}"), n))
            .unwrap();
    }
    let data = data_of(&store.read_by_type("UserRenamed").unwrap());
    store.close().unwrap();
    data
}

#[test]
fn a_plaintext_store_is_encrypted_in_place_and_back() {
    for per_file in [1, 4] {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("store");
        let before = plaintext_store(&base, per_file);
        let key = MasterKey::generate();
        let store = EventStore::open(config(&base, &key, per_file)).unwrap();
        assert_eq!(store.reseal_all(true).unwrap(), 180);
        assert_eq!(data_of(&store.read_by_type("UserRenamed").unwrap()), before);
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        store.close().unwrap();
        assert_eq!(
            files_holding(&base, MARKER),
            Vec::<String>::new(),
            "{per_file}"
        );

        let store = EventStore::open(config(&base, &key, per_file)).unwrap();
        assert_eq!(store.reseal_all(true).unwrap(), 0, "idempotent");
        assert_eq!(store.reseal_all(false).unwrap(), 180);
        store.close().unwrap();
        let plain = EventStore::open(Config::new(&base).max_events_per_file(per_file)).unwrap();
        assert_eq!(data_of(&plain.read_by_type("UserRenamed").unwrap()), before);
        assert_eq!(plain.verify().unwrap(), Vec::<String>::new());
    }
}

/// The encrypting role, in a child process: seal every event, then wait to be killed.
#[test]
fn reseal_child() {
    let (Ok(dir), Ok(keys)) = (std::env::var(CHILD_RESEAL), std::env::var(CHILD_KEYS)) else {
        return;
    };
    let key = MasterKey::from_text(&keys).unwrap();
    let store = EventStore::open(config(Path::new(&dir), &key, 4)).unwrap();
    println!("sealing");
    store.reseal_all(true).unwrap();
    println!("done");
    std::thread::sleep(Duration::from_secs(3600));
}

#[test]
fn an_encryption_of_a_store_killed_at_random_points_loses_nothing_and_the_next_run_finishes() {
    if std::env::var(CHILD_RESEAL).is_ok() {
        return;
    }
    let trials = trials("EVENTSTORE_ROTATE_KILL_TRIALS", 6);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut partial = 0;
    for trial in 0..trials {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("store");
        let before = plaintext_store(&base, 4);
        let key = MasterKey::generate();
        kill_child_after(
            "reseal_child",
            &[
                (CHILD_RESEAL, base.to_string_lossy().to_string()),
                (CHILD_KEYS, key.to_hex()),
            ],
            "sealing",
            Duration::from_millis(rng.below(150)),
        );

        let label = format!("trial {trial}");
        let plaintext_left = files_holding(&base, MARKER).len();
        if plaintext_left > 0 && plaintext_left < 60 {
            partial += 1;
        }
        let store = EventStore::open(config(&base, &key, 4)).unwrap();
        assert_eq!(
            data_of(&store.read_by_type("UserRenamed").unwrap()),
            before,
            "{label}"
        );
        assert_eq!(store.verify().unwrap(), Vec::<String>::new(), "{label}");
        store.reseal_all(true).unwrap();
        store.close().unwrap();
        assert_eq!(
            files_holding(&base, MARKER),
            Vec::<String>::new(),
            "{label}"
        );
    }
    println!("encryption kill test: {trials} trials, {partial} killed part way");
}
