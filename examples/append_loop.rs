//! Appends events in a loop and prints the rate: a quick way to profile the write path
//! (`cargo run --release --example append_loop -- <dir> <count> <always|batch|none> [aggregates]`).

use std::time::Instant;

use bytehot_eventstore::{Config, Event, EventMetadata, EventStore};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "./eventstore-loop".to_string());
    let count: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mode = args.get(3).cloned().unwrap_or_else(|| "always".to_string());
    let aggregates: u64 = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(100);
    let settings = serde_json::json!({ "path": dir, "durability": mode });
    let config = Config::resolve(settings.as_object().unwrap(), std::iter::empty()).unwrap();
    let store = EventStore::open(config).unwrap();
    let start = Instant::now();
    for n in 0..count {
        let metadata = EventMetadata::new(
            "hotswap",
            &format!("agg-{}", n % aggregates),
            &format!("loop-{n}-{}", start.elapsed().as_nanos()),
        );
        let data = format!(r#"{{"details":"{}"}}"#, "x".repeat(1000));
        store
            .append(Event::new("BytecodeValidated", metadata, &data).unwrap())
            .unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{count} appends ({mode}) in {elapsed:?}: {:.0} events/s",
        count as f64 / elapsed.as_secs_f64()
    );
    store.close().unwrap();
}
