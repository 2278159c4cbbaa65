//! The global order across real processes (`durability = always`): three writer
//! processes and a subscriber process, the subscriber killed and restarted from its
//! checkpoint, a writer killed in the middle of its saves.
//!
//! The roles are this very test binary, re-spawned with `STREAM_TEST_ROLE`.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bytehot_eventstore::{Config, EventStore, StartAt, StreamFilter};
use common::*;

const ROLE: &str = "STREAM_TEST_ROLE";
const SUBSCRIPTION: &str = "recorder";

fn spawn(role: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .args(["--exact", "child_role", "--nocapture", "--test-threads=1"])
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The child roles: nothing unless spawned by a test below.
///
/// - `writer:<tag>:<store>:<batches>`: saves `<batches>` batches of 1 to 4 events over a
///   few aggregates, writing each acknowledged event id to `<store>/.acked-<tag>` once its
///   save returned; waits for `<store>/.go` first.
/// - `subscriber:<store>`: the named subscription `recorder` from the beginning, writing
///   `<position> <eventId>` per delivered event to `<store>/.delivered` and acknowledging
///   each page once written; stops when `<store>/.stop` exists and nothing more comes.
#[test]
fn child_role() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let parts: Vec<&str> = role.split(':').collect();
    match parts[0] {
        "writer" => {
            let (tag, base, batches) = (
                parts[1],
                Path::new(parts[2]),
                parts[3].parse::<usize>().unwrap(),
            );
            let store = EventStore::open(Config::new(base)).unwrap();
            let mut acked = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(base.join(format!(".acked-{tag}")))
                .unwrap();
            std::fs::write(base.join(format!(".ready-{tag}")), b"").unwrap();
            wait_for("go", || base.join(".go").exists());
            for b in 0..batches {
                let batch: Vec<_> = (0..=(b % 4))
                    .map(|k| {
                        ev(
                            "order",
                            &format!("{tag}-{}", (b + k) % 5),
                            &format!("{tag}-{b}-{k}"),
                        )
                    })
                    .collect();
                let ids: Vec<String> = batch.iter().map(|e| e.metadata.event_id.clone()).collect();
                store.append_batch(batch).unwrap();
                // Unbuffered: a kill leaves exactly the acknowledged ones on record.
                acked
                    .write_all(format!("{}\n", ids.join("\n")).as_bytes())
                    .unwrap();
            }
            store.close().unwrap();
        }
        "subscriber" => {
            let base = Path::new(parts[1]);
            let store = EventStore::open(Config::new(base)).unwrap();
            let mut sub = store
                .subscribe_named(SUBSCRIPTION, StartAt::Beginning, StreamFilter::default())
                .unwrap();
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(base.join(".delivered"))
                .unwrap();
            std::fs::write(base.join(".subscribed"), b"").unwrap();
            loop {
                let stop = base.join(".stop").exists();
                let events = store
                    .poll(&mut sub, 50, Duration::from_millis(100))
                    .unwrap();
                if events.is_empty() && stop {
                    break;
                }
                let mut text = String::new();
                for e in &events {
                    text.push_str(&format!("{} {}\n", e.position, e.event.metadata.event_id));
                }
                out.write_all(text.as_bytes()).unwrap();
                if let Some(last) = events.last() {
                    store.acknowledge(&mut sub, last.position).unwrap();
                }
            }
            drop(sub);
            store.close().unwrap();
        }
        other => panic!("unknown role {other}"),
    }
}

fn start_writers(base: &Path, tags: &[&str], batches: usize) -> Vec<Child> {
    let children: Vec<Child> = tags
        .iter()
        .map(|tag| spawn(&format!("writer:{tag}:{}:{batches}", base.display())))
        .collect();
    for tag in tags {
        wait_for("writers ready", || {
            base.join(format!(".ready-{tag}")).exists()
        });
    }
    children
}

fn delivered(base: &Path) -> Vec<(u64, String)> {
    lines(&base.join(".delivered"))
        .iter()
        .map(|l| {
            let (p, id) = l.split_once(' ').unwrap();
            (p.parse().unwrap(), id.to_string())
        })
        .collect()
}

#[test]
fn three_writers_and_a_restarted_subscriber_see_every_event_once_in_position_order() {
    let t = TempStore::new();
    let base: PathBuf = t.base.clone();
    EventStore::open(Config::new(&base))
        .unwrap()
        .close()
        .unwrap();
    let tags = ["w1", "w2", "w3"];
    let mut subscriber = spawn(&format!("subscriber:{}", base.display()));
    wait_for("subscriber", || base.join(".subscribed").exists());
    let writers = start_writers(&base, &tags, 300);
    std::fs::write(base.join(".go"), b"").unwrap();

    // Killed once it has recorded a few hundred events, then started again.
    wait_for("deliveries", || delivered(&base).len() >= 300);
    subscriber.kill().unwrap();
    subscriber.wait().unwrap();
    let before_kill = delivered(&base);
    let checkpoint = EventStore::open(Config::new(&base))
        .unwrap()
        .subscription_checkpoint(SUBSCRIPTION)
        .unwrap()
        .unwrap_or(0);
    let mut subscriber = spawn(&format!("subscriber:{}", base.display()));
    for mut w in writers {
        assert!(w.wait().unwrap().success(), "a writer failed");
    }
    std::fs::write(base.join(".stop"), b"").unwrap();
    assert!(
        subscriber.wait().unwrap().success(),
        "the subscriber failed"
    );

    let acked: HashSet<String> = tags
        .iter()
        .flat_map(|tag| lines(&base.join(format!(".acked-{tag}"))))
        .collect();
    assert_eq!(acked.len(), 3 * (0..300).map(|b| b % 4 + 1).sum::<usize>());
    let all = delivered(&base);
    let (first_run, second_run) = all.split_at(before_kill.len());
    // Each run delivers in strictly increasing position order, without a gap.
    for run in [first_run, second_run] {
        for pair in run.windows(2) {
            assert_eq!(pair[1].0, pair[0].0 + 1, "a gap or a repeat inside one run");
        }
    }
    // The restart resumes right after the checkpoint: it repeats only what was delivered
    // but not acknowledged, and misses nothing.
    assert!(checkpoint >= 1 && checkpoint <= first_run.last().unwrap().0);
    assert_eq!(second_run.first().unwrap().0, checkpoint + 1);
    let mut by_position: HashMap<u64, String> = HashMap::new();
    for (p, id) in &all {
        if let Some(earlier) = by_position.insert(*p, id.clone()) {
            assert_eq!(&earlier, id, "position {p} named two events");
            assert!(
                *p > checkpoint,
                "position {p} was delivered again though acknowledged"
            );
        }
    }
    let ids: HashSet<String> = by_position.values().cloned().collect();
    assert_eq!(
        ids, acked,
        "every acknowledged event delivered, nothing else"
    );
    assert_eq!(by_position.len(), acked.len(), "one position per event");
    // The order delivered is the store's order.
    let store = EventStore::open(Config::new(&base)).unwrap();
    let stored = store.read_all(1, usize::MAX).unwrap();
    let expected: Vec<(u64, String)> = stored
        .iter()
        .map(|e| (e.position, e.event.metadata.event_id.clone()))
        .collect();
    let mut seen: Vec<(u64, String)> = by_position.into_iter().collect();
    seen.sort();
    assert_eq!(seen, expected);
    // Within an aggregate, positions follow versions.
    let mut last_version: HashMap<String, u64> = HashMap::new();
    for e in &stored {
        let m = &e.event.metadata;
        let last = last_version.entry(m.aggregate_id.clone()).or_insert(0);
        assert_eq!(
            m.aggregate_version,
            *last + 1,
            "{} at position {}",
            m.aggregate_id,
            e.position
        );
        *last = m.aggregate_version;
    }
}

#[test]
fn a_writer_killed_mid_save_gets_nothing_delivered_that_the_store_does_not_keep() {
    let t = TempStore::new();
    let base: PathBuf = t.base.clone();
    let store = EventStore::open(Config::new(&base)).unwrap();
    let mut sub = store
        .subscribe(StartAt::Beginning, StreamFilter::default())
        .unwrap();
    let mut writers = start_writers(&base, &["steady", "doomed"], 400);
    std::fs::write(base.join(".go"), b"").unwrap();
    let mut got = Vec::new();
    let mut killed = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "timed out");
        got.extend(
            store
                .poll(&mut sub, 100, Duration::from_millis(20))
                .unwrap(),
        );
        if !killed && lines(&base.join(".acked-doomed")).len() >= 200 {
            writers[1].kill().unwrap();
            writers[1].wait().unwrap();
            killed = true;
        }
        if killed && writers[0].try_wait().unwrap().is_some() {
            // Whatever else there is to deliver.
            got.extend(
                store
                    .poll(&mut sub, usize::MAX, Duration::from_millis(200))
                    .unwrap(),
            );
            break;
        }
    }
    let acked: HashSet<String> = lines(&base.join(".acked-doomed")).into_iter().collect();
    let delivered: Vec<String> = got
        .iter()
        .map(|e| e.event.metadata.event_id.clone())
        .filter(|id| id.starts_with("doomed-"))
        .collect();
    // What the killed writer had committed but not yet acknowledged is at most the batch it
    // was in (up to 4 events), delivered only because it is stored: commit, then the answer.
    let unacknowledged: Vec<&String> = delivered.iter().filter(|id| !acked.contains(*id)).collect();
    assert!(unacknowledged.len() <= 4, "{unacknowledged:?}");
    drop(sub);
    store.close().unwrap();
    // The next open replays the dead writer's journal: everything delivered is there, and
    // so is everything acknowledged.
    let store = EventStore::open(Config::new(&base)).unwrap();
    let stored: HashSet<String> = store
        .read_all(1, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.event.metadata.event_id)
        .collect();
    for id in &delivered {
        assert!(stored.contains(id), "{id} was delivered but is not stored");
    }
    for id in &acked {
        assert!(
            stored.contains(id),
            "{id} was acknowledged but is not stored"
        );
    }
    let positions: Vec<u64> = store
        .read_all(1, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}
