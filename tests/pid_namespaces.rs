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

/// A writer in another PID namespace has a pid no process here has; while it writes an
/// event under a temp name, only its journal's lock says it is alive. A real process
/// (`flock`) holds the lock of a journal named after such a pid.
#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "probes the flock that flock(1) takes, which std's lock methods are on Unix"
)]
fn a_temp_file_of_a_writer_invisible_here_is_kept_while_its_journal_is_locked() {
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("hotswap", "agg", "e1")).unwrap();
    store.close().unwrap();
    let pid = common::DEAD_PID;
    let temp = t
        .base
        .join("hotswap/agg")
        .join(format!(".20300101000000000000-TestEvent.json.{pid}-0.tmp"));
    std::fs::write(&temp, b"{}").unwrap();
    let journal = t.base.join(".journal").join(format!(
        "{pid}-0.0badc0de-always-{}.journal",
        common::OTHER_BOOT
    ));
    std::fs::write(&journal, b"").unwrap();
    // `-o`: the lock stays with flock itself, not with the command it starts, so killing
    // flock ends the writer; `cat` ends when its input is closed with the child handle.
    let mut holder = match Command::new("flock")
        .arg("-o")
        .arg(&journal)
        .arg("cat")
        .stdin(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            println!("skipped: flock(1) cannot run ({e})");
            return;
        }
    };
    let probe = std::fs::File::open(&journal).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while probe.try_lock_shared().is_ok() {
        probe.unlock().unwrap();
        assert!(Instant::now() < deadline, "flock never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }

    let store = t.open();
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 1);
    let kept = temp.exists();
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(kept, "a live writer's temp file was removed");
    assert_eq!(store.read_aggregate("hotswap", "agg", 0).unwrap().len(), 1);
    assert!(!temp.exists(), "a dead writer's temp file is removed");
}
