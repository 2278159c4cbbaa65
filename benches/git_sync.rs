//! Issue 24: sharing a store through Git, timed with the real `git` and a local bare
//! repository: a sync that pushes 10,000 new events, and the first sync of a new store
//! against a repository holding a large store (a clone of it). `GIT_BENCH_LARGE` sets the
//! large store's events (100,000 by default); the 1,000,000 is timed once by
//! `examples/git_first_clone.rs` (ten samples of it would take hours).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytehot_eventstore::{Config, Durability, Event, EventMetadata, EventStore};
use criterion::{Criterion, criterion_group, criterion_main};

fn open(base: &Path) -> EventStore {
    EventStore::open(Config::new(base).durability(Durability::None)).unwrap()
}

/// `count` events of ~300 bytes over 100 aggregates, in batches of 1,000.
fn append(store: &EventStore, from: usize, count: usize) {
    for chunk in (from..from + count).collect::<Vec<_>>().chunks(1000) {
        let batch: Vec<Event> = chunk
            .iter()
            .map(|n| {
                let meta =
                    EventMetadata::new("hotswap", &format!("agg-{}", n % 100), &format!("e{n}"));
                Event::new(
                    "HotSwapRequested",
                    meta,
                    &format!(
                        "{{\"className\":\"com.acme.Class{n}\",\"bytecode\":\"{}\"}}",
                        "QUJD".repeat(60)
                    ),
                )
                .unwrap()
            })
            .collect();
        store.append_batch(batch).unwrap();
    }
}

fn bare(dir: &Path) -> String {
    let path = dir.join("team.git");
    assert!(
        Command::new("git")
            .args(["init", "--quiet", "--bare"])
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    path.to_string_lossy().to_string()
}

fn git_sync(c: &mut Criterion) {
    let mut g = c.benchmark_group("git sync");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(1));
    g.warm_up_time(Duration::from_millis(1));

    let tmp = tempfile::tempdir().unwrap();
    let remote = bare(tmp.path());
    let store = open(&tmp.path().join("writer"));
    let mut next = 0;
    append(&store, next, 10_000);
    next += 10_000;
    store.sync(&remote, "writer").unwrap();
    g.bench_function("sync of 10,000 new events", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                append(&store, next, 10_000);
                next += 10_000;
                let t0 = Instant::now();
                assert!(store.sync(&remote, "writer").unwrap().pushed);
                total += t0.elapsed();
            }
            total
        })
    });

    let large: usize = std::env::var("GIT_BENCH_LARGE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let big_remote = bare(&tmp.path().join("big"));
    let big = open(&tmp.path().join("big-store"));
    append(&big, 0, large);
    big.sync(&big_remote, "big").unwrap();
    g.bench_function(
        format!("first sync of a new store against a {large}-event store"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let reader = open(&tmp.path().join(format!("reader-{i}-{}", next)));
                    next += 1;
                    let t0 = Instant::now();
                    let report = reader.sync(&big_remote, "reader").unwrap();
                    total += t0.elapsed();
                    assert_eq!(report.other_stores, ["big"]);
                    drop(reader);
                }
                total
            })
        },
    );
    g.finish();
}

criterion_group!(benches, git_sync);
criterion_main!(benches);
