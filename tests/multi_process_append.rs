//! Two real processes append to the same aggregate of the same store at the same time,
//! with the default (fsync) durability: versions 1..=10,000 each exactly once, no gap,
//! every event id once, and every previousEventId names the event before it.
//!
//! The child role is this very test binary, re-spawned with `EVENTSTORE_TEST_CHILD`.

mod common;

use std::collections::HashSet;
use std::process::Command;

use bytehot_eventstore::{Config, EventStore};
use common::*;

const PER_PROCESS: usize = 5_000;
const CHILD_ENV: &str = "EVENTSTORE_TEST_CHILD";

/// The child role: does nothing unless spawned by the parent test below.
#[test]
fn child_appender() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (tag, path) = spec.split_once(':').expect("tag:path");
    // Default durability: every append is fsynced, as in production.
    let store = EventStore::open(Config::new(path)).unwrap();
    let ready = std::path::Path::new(path).join(format!(".ready-{tag}"));
    std::fs::write(&ready, b"").unwrap();
    // Start together so the appends really interleave.
    let go = std::path::Path::new(path).join(".go");
    while !go.exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    for i in 0..PER_PROCESS {
        let stored = store
            .append(ev("hotswap", "shared", &format!("{tag}-{i}")))
            .unwrap();
        assert!(stored.metadata.aggregate_version >= 1);
    }
    store.close().unwrap();
}

#[test]
fn two_processes_appending_to_one_aggregate_get_every_version_exactly_once() {
    let t = TempStore::new();
    std::fs::create_dir_all(&t.base).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["p1", "p2"]
        .iter()
        .map(|tag| {
            Command::new(&exe)
                .env(CHILD_ENV, format!("{tag}:{}", t.base.display()))
                .args([
                    "--exact",
                    "child_appender",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for tag in ["p1", "p2"] {
        let ready = t.base.join(format!(".ready-{tag}"));
        while !ready.exists() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    std::fs::write(t.base.join(".go"), b"").unwrap();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child process failed");
    }

    let store = EventStore::open(Config::new(&t.base)).unwrap();
    let events = store.read_aggregate("hotswap", "shared", 0).unwrap();
    assert_eq!(events.len(), 2 * PER_PROCESS);
    assert_chain(&events); // versions 1..=10,000 in order, each naming its predecessor
    let ids: HashSet<&str> = events
        .iter()
        .map(|e| e.metadata.event_id.as_str())
        .collect();
    assert_eq!(ids.len(), 2 * PER_PROCESS);
    for tag in ["p1", "p2"] {
        for i in 0..PER_PROCESS {
            assert!(ids.contains(format!("{tag}-{i}").as_str()), "{tag}-{i}");
        }
        // Each process's own events keep their order.
        let own: Vec<&str> = events
            .iter()
            .map(|e| e.metadata.event_id.as_str())
            .filter(|id| id.starts_with(&format!("{tag}-")))
            .collect();
        let expected: Vec<String> = (0..PER_PROCESS).map(|i| format!("{tag}-{i}")).collect();
        assert_eq!(own, expected);
    }
    // They really interleaved (both processes ran at once, not one after the other).
    let switches = events
        .windows(2)
        .filter(|w| w[0].metadata.event_id[..2] != w[1].metadata.event_id[..2])
        .count();
    assert!(switches > 1, "appends did not interleave");
    assert_eq!(
        event_file_names(&t.base.join("hotswap").join("shared")).len(),
        2 * PER_PROCESS
    );
    assert!(store.verify().unwrap().is_empty());
    assert_eq!(store.total_event_count().unwrap(), 2 * PER_PROCESS as u64);
}
