//! Criterion microbenchmarks of the hot paths, each beside the baseline it should be
//! judged against, measured in the same run: name encoding, envelope parsing, append
//! (per durability mode, against the disk's own create+write+fsync and append+fdatasync
//! loops) and aggregate reads.

use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::io::Write;

use bytehot_eventstore::{Config, Durability, Event, EventMetadata, EventStore, encode_component};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn sample(id: &str, n: usize, payload: usize) -> Event {
    let metadata = EventMetadata::new("hotswap", id, &format!("{id}-{n}"));
    let data = format!(
        r#"{{"className":"com.acme.Foo","details":"{}"}}"#,
        "x".repeat(payload)
    );
    Event::new("BytecodeValidated", metadata, &data).unwrap()
}

fn names(c: &mut Criterion) {
    let mut g = c.benchmark_group("layout");
    g.bench_function("encode uuid", |b| {
        b.iter(|| encode_component(black_box("f47ac10b-58cc-4372-a567-0e02b2c3d479")))
    });
    g.bench_function("encode path id", |b| {
        b.iter(|| {
            encode_component(black_box(
                "/app/target/classes/com/acme/service/Foo$Bar.class",
            ))
        })
    });
    g.bench_function("parse file name", |b| {
        b.iter(|| {
            bytehot_eventstore::FileName::parse(black_box(
                "20250617123000001042-ClassFileChanged.json",
            ))
        })
    });
    g.finish();
}

fn envelopes(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope");
    let file = sample("agg", 1, 1000).to_file_json();
    g.bench_function("parse 1 KiB", |b| {
        b.iter(|| Event::from_json(black_box(&file)).unwrap())
    });
    let big = sample("agg", 1, 100_000).to_file_json();
    g.bench_function("parse 100 KiB", |b| {
        b.iter(|| Event::from_json(black_box(&big)).unwrap())
    });
    let e = sample("agg", 1, 1000);
    g.bench_function("render 1 KiB", |b| b.iter(|| black_box(&e).to_file_json()));
    g.finish();
}

fn appends(c: &mut Criterion) {
    let mut g = c.benchmark_group("append 1 KiB");
    g.sample_size(200);
    let tmp = tempfile::tempdir().unwrap();
    let bytes = sample("agg", 0, 1000).to_file_json();
    let mut n = 0u64;
    g.bench_function("disk limit: create+write+fsync", |b| {
        b.iter(|| {
            n += 1;
            let mut f = File::create(tmp.path().join(format!("f{n}"))).unwrap();
            f.write_all(&bytes).unwrap();
            f.sync_all().unwrap();
        })
    });
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(tmp.path().join("log"))
        .unwrap();
    g.bench_function("disk limit: append+fdatasync", |b| {
        b.iter(|| {
            log.write_all(&bytes).unwrap();
            log.sync_data().unwrap();
        })
    });
    for (label, durability) in [
        ("always", Durability::Always),
        ("batch", Durability::Batch),
        ("none", Durability::None),
    ] {
        let store =
            EventStore::open(Config::new(tmp.path().join(label)).durability(durability)).unwrap();
        let mut i = 0;
        g.bench_function(format!("store durability={label}"), |b| {
            b.iter(|| {
                i += 1;
                store
                    .append(sample(&format!("agg-{}", i % 100), i, 1000))
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn reads(c: &mut Criterion) {
    let mut g = c.benchmark_group("read aggregate of 100 events");
    let tmp = tempfile::tempdir().unwrap();
    let store = EventStore::open(Config::new(tmp.path()).durability(Durability::None)).unwrap();
    store
        .append_batch((0..100).map(|n| sample("agg", n, 1000)).collect())
        .unwrap();
    g.bench_function("read_aggregate", |b| {
        b.iter(|| store.read_aggregate("hotswap", "agg", 0).unwrap())
    });
    g.bench_function("current_version", |b| {
        b.iter(|| store.current_version("hotswap", "agg").unwrap())
    });
    g.bench_function("reopen + read_aggregate", |b| {
        b.iter_batched(
            || EventStore::open(Config::new(tmp.path()).durability(Durability::None)).unwrap(),
            |s| s.read_aggregate("hotswap", "agg", 0).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Issue 22: rebuilding a long aggregate from its latest snapshot and the events since,
/// beside reading it whole and beside a short aggregate, in a store kept open with its
/// event cache off (every event read from its file; the files are in the page cache), and
/// once more opening the store each time (its view of the aggregate's files built anew).
fn snapshots(c: &mut Criterion) {
    let mut g = c.benchmark_group("rebuild of a 10,000-event aggregate");
    g.sample_size(10);
    let tmp = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = Config::new(tmp.path()).durability(Durability::None);
        config.event_cache_bytes = 0;
        config
    };
    let store = EventStore::open(config()).unwrap();
    for chunk in 0..100 {
        store
            .append_batch(
                (0..100)
                    .map(|n| sample("long", chunk * 100 + n, 200))
                    .collect(),
            )
            .unwrap();
    }
    store
        .append_batch((0..100).map(|n| sample("short", n, 200)).collect())
        .unwrap();
    store
        .save_snapshot("hotswap", "long", 9_900, r#"{"lines":[1,2,3,4,5,6,7,8,9]}"#)
        .unwrap();
    let from_snapshot = |s: &EventStore| {
        let snapshot = s.load_latest_snapshot("hotswap", "long").unwrap().unwrap();
        s.read_aggregate("hotswap", "long", snapshot.version)
            .unwrap()
            .len()
    };
    g.bench_function("every event (no snapshot)", |b| {
        b.iter(|| store.read_aggregate("hotswap", "long", 0).unwrap().len())
    });
    g.bench_function("latest snapshot + the 100 events since", |b| {
        b.iter(|| from_snapshot(&store))
    });
    g.bench_function("a 100-event aggregate, whole (the target)", |b| {
        b.iter(|| store.read_aggregate("hotswap", "short", 0).unwrap().len())
    });
    store.close().unwrap();
    g.bench_function("reopen + every event", |b| {
        b.iter_batched(
            || EventStore::open(config()).unwrap(),
            |s| s.read_aggregate("hotswap", "long", 0).unwrap().len(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("reopen + latest snapshot + the 100 events since", |b| {
        b.iter_batched(
            || EventStore::open(config()).unwrap(),
            |s| from_snapshot(&s),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, names, envelopes, appends, reads, snapshots);
criterion_main!(benches);
