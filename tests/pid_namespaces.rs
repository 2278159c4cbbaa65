//! Stores in different PID namespaces (containers sharing a volume) share one directory
//! as processes do: an open never takes the other's live store for dead because its pid
//! means nothing here; a journal's lock, held by a live store whatever its namespace,
//! says so. Needs root (`unshare --pid --mount-proc`); skips with the reason otherwise.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytehot_eventstore::{Config, Durability, EventStore};
use common::{TempStore, ev};

/// Set in the child that runs in a PID namespace of its own.
const CHILD_DIR: &str = "EVENTSTORE_TEST_PIDNS_DIR";

const TEST: &str = "a_store_in_another_pid_namespace_opens_beside_a_live_one";

#[test]
fn a_store_in_another_pid_namespace_opens_beside_a_live_one() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        let store = EventStore::open(Config::new(&dir).durability(Durability::None)).unwrap();
        store.append(ev("ns", "child", "c1")).unwrap();
        store.close().unwrap();
        println!("child-done");
        return;
    }
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("ns", "parent", "p1")).unwrap();
    let spawned = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture"])
        .env(CHILD_DIR, &t.base)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        println!("skipped: unshare cannot run here");
        return;
    };
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the store in the other namespace waited for the live one to close");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    if !status.success() && err.contains("unshare failed") {
        println!("skipped: {err}");
        return;
    }
    assert!(
        status.success() && out.contains("child-done"),
        "{status:?}\n{out}\n{err}"
    );

    store.append(ev("ns", "parent", "p2")).unwrap();
    store.close().unwrap();
    let store = t.open();
    assert_eq!(store.read_aggregate("ns", "parent", 0).unwrap().len(), 2);
    assert_eq!(store.read_aggregate("ns", "child", 0).unwrap().len(), 1);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}
