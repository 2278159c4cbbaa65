//! A store opened read-only (`read-only: true`) creates, changes and removes nothing and
//! refuses every write, so a store on a read-only mount, on a full disk or in a directory
//! this process may not write can still be read; a normal open on a full disk serves
//! reads and reports writes unavailable. The mount tests need root (a bind mount made
//! read-only, a small tmpfs, each in a mount namespace of its own through `unshare -m`,
//! so no mount outlives the test); elsewhere they print why they are skipped.
#![cfg(unix)] // mounts, mount namespaces and Unix metadata

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytehot_eventstore::{Config, Durability, Error, EventStore};
use common::*;

const CHILD: &str = "READ_ONLY_TEST_DIR";

/// Every entry under `dir` with its kind, size, modification time and inode.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (bool, u64, i64, i64, u64)> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let m = std::fs::symlink_metadata(dir.join(&p)).unwrap();
            let entry = (m.is_dir(), m.len(), m.mtime(), m.mtime_nsec(), m.ino());
            (p, entry)
        })
        .collect()
}

fn seeded_store(base: &Path) {
    let store = EventStore::open(Config::new(base).durability(Durability::None)).unwrap();
    for i in 0..3 {
        store
            .append(ev("hotswap", "agg", &format!("e{i}")))
            .unwrap();
    }
    store.append(ev("hotswap", "other", "o1")).unwrap();
    store.close().unwrap();
}

fn read_only(base: &Path) -> Config {
    Config::new(base).read_only(true)
}

/// Reads what [`seeded_store`] wrote through `store` and checks that writes are refused.
fn reads_all_and_refuses_writes(store: &EventStore) {
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 3);
    assert_eq!(store.read_by_type("TestEvent").unwrap().len(), 4);
    assert_eq!(store.total_event_count().unwrap(), 4);
    assert!(store.aggregate_exists("hotswap", "other").unwrap());
    let refused = store.append(ev("hotswap", "agg", "e3"));
    assert!(
        matches!(&refused, Err(Error::Unavailable { reason }) if reason.contains("writes refused")),
        "{refused:?}"
    );
    assert!(store.checkpoint().is_err());
    assert!(store.refresh_statistics().is_err());
}

/// Runs this test again as a child in a new mount namespace after `setup` (a shell
/// script given the directory as `$1`); returns false when this is that child.
fn rerun_in_mount_namespace(test: &str, dir: &Path, setup: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return false;
    }
    let mut unshare = Command::new("unshare");
    unshare
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(format!("{setup} && shift && exec \"$@\""))
        .arg("sh")
        .arg(dir)
        .env(CHILD, dir);
    match rerun_test(unshare, test) {
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("unshare failed") => {
            println!("skipped: cannot make a mount namespace here (needs root)");
        }
        Ok(out) => {
            assert_child_passed("child", &out);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains("1 passed"),
                "the child ran no test:\n{stdout}"
            );
        }
        Err(e) => println!("skipped: unshare cannot run ({e})"),
    }
    true
}

fn child_dir() -> PathBuf {
    PathBuf::from(std::env::var_os(CHILD).expect("set for the child"))
}

#[test]
fn a_read_only_open_changes_nothing_and_refuses_writes() {
    let t = TempStore::new();
    seeded_store(&t.base);
    // What a killed writer leaves: a temp file and a journal no open has replayed.
    let dead_temp = t
        .base
        .join("hotswap/agg/.20260101000000000000-TestEvent.json.999999999-0.tmp");
    std::fs::write(&dead_temp, b"{}").unwrap();
    let journal = dead_journal_path(&t.base, DEAD_PID, "always", OTHER_BOOT);
    std::fs::write(&journal, b"").unwrap();
    let before = snapshot(&t.base);

    let store = EventStore::open(read_only(&t.base)).unwrap();
    reads_all_and_refuses_writes(&store);
    let problems = store.verify().unwrap();
    assert!(
        problems.iter().any(|p| p.contains("not replayed")),
        "{problems:?}"
    );
    assert!(!store.health().healthy);
    store.close().unwrap();

    assert_eq!(snapshot(&t.base), before, "nothing in the store changed");
}

#[test]
fn a_read_only_open_of_a_missing_directory_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("absent");
    match EventStore::open(read_only(&base)) {
        Err(Error::Unavailable { reason }) => assert!(reason.contains("does not exist")),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(!base.exists());
}

#[test]
fn a_read_only_open_refuses_index_queries_the_index_cannot_answer_and_serves_the_rest() {
    let t = TempStore::new();
    seeded_store(&t.base);
    std::fs::remove_file(t.base.join(".index/format")).unwrap();

    let store = EventStore::open(read_only(&t.base)).unwrap();
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 3);
    match store.read_by_type("TestEvent") {
        Err(Error::Unavailable { reason }) => assert!(reason.contains("read-write"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(store.total_event_count().is_err());
    assert!(!t.base.join(".index/format").exists());
}

const READ_ONLY_MOUNT: &str = "a_store_on_a_read_only_mount_is_read_with_a_read_only_open";

#[test]
fn a_store_on_a_read_only_mount_is_read_with_a_read_only_open() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    if std::env::var_os(CHILD).is_none() {
        seeded_store(&base);
    }
    let setup = "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\"";
    if rerun_in_mount_namespace(READ_ONLY_MOUNT, &base, setup) {
        return;
    }
    let base = child_dir();
    match EventStore::open(Config::new(&base)) {
        Err(Error::Unavailable { reason }) => {
            assert!(reason.contains("read-only"), "{reason}")
        }
        other => panic!("a read-write open must say why: {:?}", other.map(|_| ())),
    }
    let store = EventStore::open(read_only(&base)).unwrap();
    reads_all_and_refuses_writes(&store);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    assert!(store.health().healthy, "{:?}", store.health());
}

const FULL_DISK: &str = "a_normal_open_on_a_full_disk_serves_reads_and_refuses_writes";

#[test]
fn a_normal_open_on_a_full_disk_serves_reads_and_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("small");
    std::fs::create_dir_all(&mount).unwrap();
    let setup = "mount -t tmpfs -o size=4m tmpfs \"$1\"";
    if rerun_in_mount_namespace(FULL_DISK, &mount, setup) {
        return;
    }
    let base = child_dir().join("store");
    seeded_store(&base);
    let filler = child_dir().join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = vec![7u8; 64 * 1024];
    while std::io::Write::write_all(&mut file, &block).is_ok() {}
    drop(file);

    let store = EventStore::open(Config::new(&base)).expect("the open serves reads");
    reads_all_and_refuses_writes(&store);
    let health = store.health();
    assert!(
        health
            .problems
            .iter()
            .any(|p| p.contains("writes unavailable") && p.contains("space")),
        "{health:?}"
    );
    store.close().unwrap();

    std::fs::remove_file(&filler).unwrap();
    let store = EventStore::open(Config::new(&base)).unwrap();
    store.append(ev("hotswap", "agg", "e3")).unwrap();
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 4);
}
