//! Online backup and restore with real processes: a backup taken while two other
//! processes save restores to a store that verifies clean, each aggregate a prefix of
//! the live one; and the tool killed (SIGKILL) at random points of a backup or a restore
//! leaves the store reading the same events, and either a complete result or one that
//! `restore` refuses / a destination left as it was.
//!
//! `EVENTSTORE_BACKUP_KILL_TRIALS` sets the kill trials per command (default 8).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytehot_eventstore::{BACKUP_MANIFEST, Config, Durability, EventStore};
use common::*;

const CHILD_ENV: &str = "EVENTSTORE_TEST_BACKUP_WRITER";

fn config(base: &Path, per_file: u32) -> Config {
    Config::new(base)
        .durability(Durability::Batch)
        .max_events_per_file(per_file)
}

/// The writer role: appends to eight aggregates round-robin until `<base>.stop` exists.
#[test]
fn backup_writer_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, ':');
    let (tag, per_file, base) = (
        parts.next().unwrap(),
        parts.next().unwrap().parse::<u32>().unwrap(),
        parts.next().unwrap(),
    );
    let base = Path::new(base);
    let store = EventStore::open(config(base, per_file)).unwrap();
    let stop = base.with_extension("stop");
    let mut n = 0u64;
    while !stop.exists() {
        let data = format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(300));
        let event = ev_with(
            meta("agg", &format!("a{}", n % 8), &format!("{tag}-{n}")),
            "Saved",
            &data,
        );
        store.append(event).unwrap();
        n += 1;
    }
    store.close().unwrap();
}

fn event_ids(store: &EventStore, id: &str) -> Vec<String> {
    store
        .read_aggregate("agg", id, 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect()
}

fn backup_while_two_processes_save(per_file: u32) {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    std::fs::create_dir_all(&base).unwrap();
    let exe = std::env::current_exe().unwrap();
    let writers: Vec<_> = ["p1", "p2"]
        .iter()
        .map(|tag| {
            Command::new(&exe)
                .env(CHILD_ENV, format!("{tag}:{per_file}:{}", base.display()))
                .args(["--exact", "backup_writer_child", "--test-threads=1"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let store = EventStore::open(config(&base, per_file)).unwrap();
    // Until both writers have saved a little, then back up twice while they go on.
    while store.total_event_count().unwrap() < 400 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let first = store.backup(&tmp.path().join("b1"), None).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let second = store
        .backup(&tmp.path().join("b2"), Some(&tmp.path().join("b1")))
        .unwrap();
    std::fs::write(base.with_extension("stop"), b"").unwrap();
    for mut writer in writers {
        assert!(writer.wait().unwrap().success(), "a writer failed");
    }
    assert!(first.events >= 400 && second.events > first.events);
    assert!(second.linked > 0, "nothing linked from the earlier backup");

    for (backup, report) in [("b1", &first), ("b2", &second)] {
        let restored = tmp.path().join(format!("restored-{backup}"));
        let done = EventStore::restore(&tmp.path().join(backup), &restored, false).unwrap();
        assert_eq!(done.events, report.events);
        let copy = EventStore::open(Config::new(&restored)).unwrap();
        assert!(copy.verify().unwrap().is_empty());
        let mut total = 0;
        for a in 0..8 {
            let id = format!("a{a}");
            let live = event_ids(&store, &id);
            let kept = event_ids(&copy, &id);
            assert_eq!(
                kept[..],
                live[..kept.len()],
                "{backup}: {id} is not a prefix"
            );
            assert_chain(&copy.read_aggregate("agg", &id, 0).unwrap());
            total += kept.len() as u64;
        }
        assert_eq!(total, report.events);
        copy.close().unwrap();
    }
    store.close().unwrap();
}

#[test]
fn a_backup_taken_while_other_processes_save_restores_each_aggregate_as_a_prefix() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    backup_while_two_processes_save(1);
}

#[test]
fn a_backup_of_growing_segments_restores_each_aggregate_as_a_prefix() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    backup_while_two_processes_save(7);
}

fn trials() -> u64 {
    std::env::var("EVENTSTORE_BACKUP_KILL_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(8)
}

/// Each aggregate's event ids, for comparing a store before and after.
fn contents(base: &Path) -> Vec<Vec<String>> {
    let store = EventStore::open(Config::new(base)).unwrap();
    assert!(store.verify().unwrap().is_empty());
    let out = (0..30)
        .map(|a| event_ids(&store, &format!("a{a}")))
        .collect();
    store.close().unwrap();
    out
}

fn seed(base: &Path) {
    let store = EventStore::open(config(base, 1)).unwrap();
    for n in 0..60 {
        let batch = (0..30)
            .map(|a| {
                let data = format!("{{\"pad\":\"{}\"}}", "y".repeat(2000));
                ev_with(
                    meta("agg", &format!("a{a}"), &format!("{a}-{n}")),
                    "Seeded",
                    &data,
                )
            })
            .collect();
        store.append_batch(batch).unwrap();
    }
    store.close().unwrap();
}

fn killed_after(args: &[&std::ffi::OsStr], rng: &mut Rng, max_ms: u64) -> bool {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("bytehot-eventstore"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(rng.below(max_ms)));
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
    !finished
}

#[test]
fn a_backup_killed_at_a_random_point_leaves_the_store_whole_and_no_manifest() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base);
    let before = contents(&base);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut interrupted = 0;
    for trial in 0..trials() {
        let dest = tmp.path().join(format!("b{trial}"));
        let args = [
            "--store".as_ref(),
            base.as_os_str(),
            "backup".as_ref(),
            dest.as_os_str(),
        ];
        if killed_after(&args, &mut rng, 1000) {
            interrupted += 1;
        }
        assert_eq!(contents(&base), before, "trial {trial}: the store changed");
        let restored = tmp.path().join(format!("r{trial}"));
        if dest.join(BACKUP_MANIFEST).exists() {
            EventStore::restore(&dest, &restored, false).unwrap();
            assert_eq!(contents(&restored), before, "trial {trial}");
        } else {
            let refused = EventStore::restore(&dest, &restored, false).unwrap_err();
            assert!(refused.to_string().contains("not a complete backup"));
            assert!(!restored.exists());
        }
    }
    println!("{interrupted} of {} backups interrupted", trials());
}

#[test]
fn a_restore_killed_at_a_random_point_leaves_its_destination_absent_or_whole() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    seed(&base);
    let before = contents(&base);
    let backup = tmp.path().join("backup");
    EventStore::open(Config::new(&base))
        .unwrap()
        .backup(&backup, None)
        .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut interrupted = 0;
    for trial in 0..trials() {
        let dest = tmp.path().join(format!("r{trial}"));
        let args = ["restore".as_ref(), backup.as_os_str(), dest.as_os_str()];
        if killed_after(&args, &mut rng, 2000) {
            interrupted += 1;
        }
        if dest.exists() {
            assert_eq!(contents(&dest), before, "trial {trial}");
        }
        // What the kill left beside is named for the restore that left it.
        for entry in std::fs::read_dir(tmp.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name.starts_with(&format!("r{trial}.")) {
                assert!(name.starts_with(&format!("r{trial}.restoring-")), "{name}");
            }
        }
    }
    println!("{interrupted} of {} restores interrupted", trials());
}

#[test]
fn backup_enabled_takes_a_generation_at_close_and_every_interval_keeping_the_newest() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("eventstore");
    let mut config = Config::new(&base).durability(Durability::None);
    config.backup_enabled = true;
    config.backup_keep = 2;
    config.backup_interval = Duration::from_millis(300);
    let root = tmp.path().join("eventstore-backups");
    let generations = || -> Vec<std::path::PathBuf> {
        let mut dirs: Vec<_> = std::fs::read_dir(&root)
            .map(|rd| rd.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        dirs.sort();
        dirs
    };
    let store = EventStore::open(config.clone()).unwrap();
    for n in 0..3 {
        store.append(ev("agg", "a", &format!("e{n}"))).unwrap();
    }
    // The timer's first generation, beside the store by default.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while generations().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!generations().is_empty(), "no periodic backup");
    store.append(ev("agg", "a", "e3")).unwrap();
    store.close().unwrap();
    let kept = generations();
    assert_eq!(kept.len(), 2, "{kept:?}");
    // The newest, taken at close, holds every event; it restores and verifies clean.
    let restored = tmp.path().join("restored");
    let done = EventStore::restore(kept.last().unwrap(), &restored, false).unwrap();
    assert_eq!(done.events, 4);

    // A backup path inside the store is refused at open.
    config.backup_path = Some(base.join("backups"));
    let refused = EventStore::open(config).err().unwrap();
    assert!(
        refused.to_string().contains("inside the store"),
        "{refused}"
    );
}
