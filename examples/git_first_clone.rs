//! Issue 24's "first clone of a 1M-event store", timed once (a Criterion group would repeat
//! a clone of many minutes ten times): a store of `count` events is synced to a local bare
//! repository, two syncs of 10,000 new events follow (with the clone's record of what the
//! last sync pushed, and without it: every file compared), then a new store's first sync
//! brings it (the clone a teammate's machine makes), its copy is opened (its index built)
//! and read. A plain `git clone` of the same repository, in the same run, is the baseline
//! of the clone.
//!
//! `cargo run --release --example git_first_clone -- <work dir> [count, default 1000000]`
//! (the work directory must not exist; about 10 GB at 1,000,000 events).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use bytehot_eventstore::{Config, Durability, Event, EventMetadata, EventStore};

/// Events of ~300 bytes over 1,000 aggregates, in batches of 1,000 (the shape of
/// `benches/git_sync.rs`, with aggregates of 1,000 events at 1,000,000).
fn append(store: &EventStore, from: usize, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let end = from + count;
    for first in (from..end).step_by(1000) {
        let batch = (first..end.min(first + 1000))
            .map(|n| {
                let meta =
                    EventMetadata::new("hotswap", &format!("agg-{}", n % 1000), &format!("e{n}"));
                Event::new(
                    "HotSwapRequested",
                    meta,
                    &format!(
                        "{{\"className\":\"com.acme.Class{n}\",\"bytecode\":\"{}\"}}",
                        "QUJD".repeat(60)
                    ),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        store.append_batch(batch)?;
    }
    Ok(())
}

fn du(path: &Path) -> String {
    Command::new("du")
        .args(["-sh"])
        .arg(path)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// Waits until no `git gc --auto` runs in the repository `git_dir` (a commit or a push may
/// start one in the background: on a large store a repack of minutes, which would land in
/// the next measure); returns the seconds waited.
fn wait_for_gc(git_dir: &Path) -> f64 {
    let t = Instant::now();
    while git_dir.join("gc.pid").exists() {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    t.elapsed().as_secs_f64()
}

fn run(cmd: &mut Command) -> Result<(), Box<dyn std::error::Error>> {
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!("{cmd:?}: {status}").into());
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let work = Path::new(
        args.get(1)
            .ok_or("usage: git_first_clone <work dir> [count]")?,
    );
    let count: usize = match args.get(2) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    std::fs::create_dir(work)?;
    let open =
        |dir: &str| EventStore::open(Config::new(work.join(dir)).durability(Durability::None));
    let remote = work.join("team.git");
    run(Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(&remote))?;
    let remote = remote.to_string_lossy().to_string();

    let writer = open("writer")?;
    let t = Instant::now();
    append(&writer, 0, count)?;
    println!(
        "built a {count}-event store: {:.1} s ({} on disk)",
        t.elapsed().as_secs_f64(),
        du(&work.join("writer"))
    );

    let t = Instant::now();
    let pushed = writer.sync(&remote, "writer")?;
    println!(
        "first sync (commit and push of {} files): {:.1} s; repository {}",
        pushed.files_changed,
        t.elapsed().as_secs_f64(),
        du(Path::new(&remote))
    );
    let clone_git = work.join("writer").join(".git-sync").join(".git");
    let quiet = || {
        let waited = wait_for_gc(&clone_git) + wait_for_gc(Path::new(&remote));
        if waited > 0.5 {
            println!("  (waited {waited:.1} s for a background `git gc --auto` to finish)");
        }
    };
    // A sync of 10,000 new events into the large store: with the clone's record of what the
    // last sync pushed, then (the baseline) with every file compared, as without a record.
    let record = clone_git.join("bytehot-mirror");
    for (n, how) in [
        (1, "with the clone's record"),
        (2, "every file compared (record removed)"),
    ] {
        append(&writer, count + (n - 1) * 10_000, 10_000)?;
        if n == 2 {
            std::fs::remove_file(&record)?;
        }
        quiet();
        let t = Instant::now();
        let done = writer.sync(&remote, "writer")?;
        println!(
            "sync of 10,000 new events into it, {how}: {:.1} s ({} files changed)",
            t.elapsed().as_secs_f64(),
            done.files_changed
        );
    }
    writer.close()?;

    quiet();
    let t = Instant::now();
    run(Command::new("git")
        .args(["clone", "--quiet", "--branch", "main", &remote])
        .arg(work.join("plain-clone")))?;
    let plain = t.elapsed().as_secs_f64();
    println!("baseline, plain git clone: {plain:.1} s");

    let reader = open("reader")?;
    quiet();
    let t = Instant::now();
    let report = reader.sync(&remote, "reader")?;
    let first = t.elapsed().as_secs_f64();
    if report.other_stores != ["writer"] {
        return Err(format!("expected the writer's store, got {:?}", report.other_stores).into());
    }
    println!(
        "first clone (a new store's first sync): {first:.1} s, {:.2}x the plain clone",
        first / plain
    );

    let t = Instant::now();
    let copy = reader.open_other_store("writer")?;
    let total = copy.total_event_count()?;
    println!(
        "first open of the copy (index built): {:.1} s, {total} events",
        t.elapsed().as_secs_f64()
    );
    if total != count as u64 + 20_000 {
        return Err(format!("the copy holds {total} events, not {count} + 20,000").into());
    }
    let t = Instant::now();
    let events = copy.read_aggregate("hotswap", "agg-7", 0)?;
    println!(
        "reading one aggregate of the copy ({} events): {:.1} ms",
        events.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
