//! The store's global order in one process: positions, `read_all`, subscriptions
//! (catch-up, live, filters, named checkpoints), what compaction, cleanup, an index
//! rebuild and a lost stream log do to positions, and the queries by correlation and user.
//! Several processes: `stream_processes.rs`.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use bytehot_eventstore::{
    Config, Durability, EventStore, StartAt, StreamEvent, StreamFilter, Subscription,
};
use common::*;

fn ids(events: &[StreamEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.event.metadata.event_id.clone())
        .collect()
}

fn positions(events: &[StreamEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

/// Every event `read_all` pages through, `page` at a time.
fn read_everything(store: &EventStore, page: usize) -> Vec<StreamEvent> {
    let mut out: Vec<StreamEvent> = Vec::new();
    loop {
        let from = out.last().map_or(1, |e| e.position + 1);
        let next = store.read_all(from, page).unwrap();
        if next.is_empty() {
            return out;
        }
        assert!(next.len() <= page);
        out.extend(next);
    }
}

fn poll_until(store: &EventStore, sub: &mut Subscription, count: usize) -> Vec<StreamEvent> {
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while out.len() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {count} events arrived",
            out.len()
        );
        out.extend(store.poll(sub, 50, Duration::from_millis(200)).unwrap());
    }
    out
}

fn correlated(
    agg: &str,
    id: &str,
    correlation: Option<&str>,
    user: Option<&str>,
) -> bytehot_eventstore::Event {
    let mut m = meta("flow", agg, id);
    m.correlation_id = correlation.map(str::to_string);
    m.user_id = user.map(str::to_string);
    ev_with(m, "Step", "{}")
}

#[test]
fn positions_follow_commit_order_and_read_all_pages_through_every_event_once() {
    let t = TempStore::new();
    let store = t.open();
    let mut saved = Vec::new();
    for k in 0..40 {
        let batch: Vec<_> = (0..3)
            .map(|j| ev("order", &format!("o{}", (k + j) % 7), &format!("e{k}-{j}")))
            .collect();
        saved.extend(batch.iter().map(|e| e.metadata.event_id.clone()));
        store.append_batch(batch).unwrap();
    }
    let all = read_everything(&store, 7);
    assert_eq!(positions(&all), (1..=120).collect::<Vec<u64>>());
    assert_eq!(ids(&all), saved, "the stream is the order of the saves");
    assert_eq!(store.last_position().unwrap(), 120);
    // A page from the middle starts at its position.
    assert_eq!(positions(&store.read_all(57, 3).unwrap()), vec![57, 58, 59]);
    assert!(store.read_all(121, 10).unwrap().is_empty());
    // Reopened, the positions are the same.
    drop(store);
    assert_eq!(ids(&read_everything(&t.open(), 50)), saved);
}

#[test]
fn a_subscription_catches_up_then_delivers_live_events_with_no_gap_or_repeat_at_the_switch() {
    let t = TempStore::new();
    let store = std::sync::Arc::new(t.open());
    for k in 0..100 {
        store
            .append(ev("order", "o1", &format!("old-{k}")))
            .unwrap();
    }
    let mut sub = store
        .subscribe(StartAt::Beginning, StreamFilter::default())
        .unwrap();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for k in 0..300 {
                store
                    .append(ev("order", &format!("o{}", k % 5), &format!("new-{k}")))
                    .unwrap();
            }
        })
    };
    let got = poll_until(&store, &mut sub, 400);
    writer.join().unwrap();
    assert_eq!(positions(&got), (1..=400).collect::<Vec<u64>>());
    let unique: HashSet<String> = ids(&got).into_iter().collect();
    assert_eq!(unique.len(), 400);
    // Nothing more, and a poll with nothing new waits its timeout and returns empty.
    assert!(
        store
            .poll(&mut sub, 10, Duration::from_millis(50))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_subscription_from_now_skips_history_and_one_after_a_position_starts_past_it() {
    let t = TempStore::new();
    let store = t.open();
    for k in 0..10 {
        store.append(ev("order", "o1", &format!("e{k}"))).unwrap();
    }
    let mut now = store
        .subscribe(StartAt::Now, StreamFilter::default())
        .unwrap();
    let mut after = store
        .subscribe(StartAt::After(7), StreamFilter::default())
        .unwrap();
    store.append(ev("order", "o1", "later")).unwrap();
    assert_eq!(ids(&poll_until(&store, &mut now, 1)), vec!["later"]);
    assert_eq!(
        positions(&poll_until(&store, &mut after, 4)),
        vec![8, 9, 10, 11]
    );
}

#[test]
fn filters_deliver_only_their_event_types_aggregate_type_and_correlation() {
    let t = TempStore::new();
    let store = t.open();
    let mut m = meta("order", "o1", "a");
    m.correlation_id = Some("flow-1".to_string());
    store.append(ev_with(m, "Placed", "{}")).unwrap();
    store
        .append(ev_with(meta("order", "o2", "b"), "Shipped", "{}"))
        .unwrap();
    store
        .append(ev_with(meta("invoice", "i1", "c"), "Placed", "{}"))
        .unwrap();
    let long = "x".repeat(1000);
    let mut m = meta("invoice", "i2", "d");
    m.correlation_id = Some(long.clone());
    store.append(ev_with(m, "Paid", "{}")).unwrap();
    let run = |filter: StreamFilter| {
        let mut sub = store.subscribe(StartAt::Beginning, filter).unwrap();
        ids(&store
            .poll(&mut sub, 100, Duration::from_millis(10))
            .unwrap())
    };
    let types = StreamFilter {
        event_types: vec!["Placed".to_string()],
        ..StreamFilter::default()
    };
    assert_eq!(run(types), vec!["a", "c"]);
    let aggregate = StreamFilter {
        aggregate_type: Some("invoice".to_string()),
        ..StreamFilter::default()
    };
    assert_eq!(run(aggregate), vec!["c", "d"]);
    let correlation = StreamFilter {
        correlation_id: Some("flow-1".to_string()),
        ..StreamFilter::default()
    };
    assert_eq!(run(correlation), vec!["a"]);
    // A long id is kept as a hash in the stream; the event itself decides.
    let long_one = StreamFilter {
        correlation_id: Some(long),
        ..StreamFilter::default()
    };
    assert_eq!(run(long_one), vec!["d"]);
}

#[test]
fn a_named_subscription_resumes_after_its_last_acknowledged_position_and_runs_once_at_a_time() {
    let t = TempStore::new();
    let store = t.open();
    for k in 0..20 {
        store.append(ev("order", "o1", &format!("e{k}"))).unwrap();
    }
    let mut sub = store
        .subscribe_named("projector", StartAt::Beginning, StreamFilter::default())
        .unwrap();
    let first = store.poll(&mut sub, 8, Duration::from_millis(10)).unwrap();
    assert_eq!(positions(&first), (1..=8).collect::<Vec<u64>>());
    store.acknowledge(&mut sub, 5).unwrap();
    // Not delivered yet: refused.
    assert!(store.acknowledge(&mut sub, 9).is_err());
    // One subscriber per name.
    let again = store.subscribe_named("projector", StartAt::Beginning, StreamFilter::default());
    assert!(
        matches!(again, Err(bytehot_eventstore::Error::Unavailable { .. })),
        "{:?}",
        again.err()
    );
    drop(sub);
    drop(store);
    let store = t.open();
    assert_eq!(store.subscription_checkpoint("projector").unwrap(), Some(5));
    // `start` only counts for a name without a checkpoint.
    let mut sub = store
        .subscribe_named("projector", StartAt::Now, StreamFilter::default())
        .unwrap();
    let resumed = store
        .poll(&mut sub, 100, Duration::from_millis(10))
        .unwrap();
    assert_eq!(positions(&resumed), (6..=20).collect::<Vec<u64>>());
    assert!(store.subscription_checkpoint("nobody").unwrap().is_none());
    assert!(
        store
            .subscribe_named("", StartAt::Now, StreamFilter::default())
            .is_err()
    );
}

#[test]
fn compaction_moves_events_into_segments_and_they_keep_their_positions() {
    let t = TempStore::new();
    let before = {
        let store = t.open();
        for k in 0..30 {
            store
                .append(ev("order", &format!("o{}", k % 3), &format!("e{k}")))
                .unwrap();
        }
        let before = read_everything(&store, 100);
        store.close().unwrap();
        before
    };
    let store = open_segmented(&t.base, 8, true);
    store.compact().unwrap();
    let after = read_everything(&store, 4);
    assert_eq!(positions(&after), positions(&before));
    for (a, b) in after.iter().zip(&before) {
        assert_same_event(&a.event, &b.event);
    }
    // And the next save follows the last position.
    store.append(ev("order", "o1", "next")).unwrap();
    assert_eq!(
        store.read_all(31, 5).unwrap()[0].event.metadata.event_id,
        "next"
    );
}

#[test]
fn a_cleanup_removes_events_from_the_stream_and_every_other_keeps_its_position() {
    let t = TempStore::new();
    let clock = ManualClock::new(utc(2024, 1, 1, 0, 0, 0, 0));
    let store = t.open_with_clock(clock.clone());
    for k in 0..5 {
        store
            .append(ev("order", "old", &format!("old-{k}")))
            .unwrap();
    }
    clock.set(utc(2026, 11, 30, 0, 0, 0, 0));
    for k in 0..5 {
        store
            .append(ev("order", "old", &format!("new-{k}")))
            .unwrap();
    }
    clock.set(utc(2026, 12, 4, 0, 0, 0, 0));
    let report = store.cleanup_with(Some(30), None, false).unwrap();
    assert!(report.events_removed > 0, "{report:?}");
    let left = read_everything(&store, 3);
    assert_eq!(
        ids(&left),
        (0..5).map(|k| format!("new-{k}")).collect::<Vec<_>>()
    );
    assert_eq!(positions(&left), (6..=10).collect::<Vec<u64>>());
    store.append(ev("order", "old", "after")).unwrap();
    assert_eq!(store.last_position().unwrap(), 11);
}

#[test]
fn an_index_rebuild_keeps_every_position_and_a_lost_stream_log_is_a_new_stream() {
    let t = TempStore::new();
    let store = t.open();
    for k in 0..12 {
        store
            .append(ev("order", &format!("o{}", k % 4), &format!("e{k}")))
            .unwrap();
    }
    let before = read_everything(&store, 100);
    let mut sub = store
        .subscribe_named("p", StartAt::Beginning, StreamFilter::default())
        .unwrap();
    store
        .poll(&mut sub, 100, Duration::from_millis(10))
        .unwrap();
    store.acknowledge(&mut sub, 12).unwrap();
    drop(sub);
    let id = store.stream_id().unwrap();
    store.rebuild_index().unwrap();
    assert_eq!(read_everything(&store, 5), before);
    assert_eq!(store.stream_id().unwrap(), id);
    store.close().unwrap();

    // Lost: the next open numbers the events again under a new id, and the checkpoint,
    // which names the old one, is not believed.
    std::fs::remove_file(t.base.join(".stream/log")).unwrap();
    let store = t.open();
    assert_ne!(store.stream_id().unwrap(), id);
    assert_eq!(read_everything(&store, 100).len(), 12);
    assert_eq!(store.subscription_checkpoint("p").unwrap(), None);
    let mut sub = store
        .subscribe_named("p", StartAt::Now, StreamFilter::default())
        .unwrap();
    assert_eq!(
        store
            .poll(&mut sub, 100, Duration::from_millis(10))
            .unwrap()
            .len(),
        12
    );
}

#[test]
fn a_store_whose_index_predates_the_stream_gives_every_event_a_position_at_open() {
    let t = TempStore::new();
    let store = t.open();
    for k in 0..9 {
        store
            .append(ev("order", &format!("o{k}"), &format!("e{k}")))
            .unwrap();
    }
    store.close().unwrap();
    std::fs::write(t.base.join(".index/format"), "bytehot-eventstore index 1\n").unwrap();
    std::fs::remove_dir_all(t.base.join(".stream")).unwrap();
    let store = t.open();
    let all = read_everything(&store, 4);
    assert_eq!(positions(&all), (1..=9).collect::<Vec<u64>>());
    assert_eq!(ids(&all).len(), 9);
}

#[test]
fn queries_by_correlation_and_user_return_theirs_alone_within_a_time_range() {
    let t = TempStore::new();
    let clock = ManualClock::new(utc(2026, 12, 1, 10, 0, 0, 0));
    let store = t.open_with_clock(clock.clone());
    for k in 0..6u32 {
        clock.set(utc(2026, 12, 1, 10, k, 0, 0));
        let correlation = if k % 2 == 0 { "c-even" } else { "c-odd" };
        let user = if k < 3 { "alice" } else { "bob" };
        store
            .append(correlated(
                &format!("a{k}"),
                &format!("e{k}"),
                Some(correlation),
                Some(user),
            ))
            .unwrap();
    }
    store.append(correlated("z", "none", None, None)).unwrap();
    let of = |events: Vec<bytehot_eventstore::Event>| -> Vec<String> {
        events.into_iter().map(|e| e.metadata.event_id).collect()
    };
    assert_eq!(
        of(store.read_by_correlation("c-even", None).unwrap()),
        vec!["e0", "e2", "e4"]
    );
    assert_eq!(
        of(store.read_by_user("bob", None).unwrap()),
        vec!["e3", "e4", "e5"]
    );
    let window = Some((utc(2026, 12, 1, 10, 1, 0, 0), utc(2026, 12, 1, 10, 4, 0, 0)));
    assert_eq!(
        of(store.read_by_user("alice", window).unwrap()),
        vec!["e1", "e2"]
    );
    assert_eq!(
        of(store.read_by_correlation("c-odd", window).unwrap()),
        vec!["e1", "e3"]
    );
    assert!(store.read_by_user("carol", None).unwrap().is_empty());
    // The logs are rebuilt with the index.
    store.rebuild_index().unwrap();
    assert_eq!(
        of(store.read_by_user("alice", None).unwrap()),
        vec!["e0", "e1", "e2"]
    );
}

#[test]
fn under_always_a_reader_syncs_the_stream_and_delivers_what_batch_and_none_deliver() {
    for durability in [Durability::Always, Durability::Batch, Durability::None] {
        let t = TempStore::new();
        let mut config = Config::new(&t.base);
        config.durability = durability;
        let store = EventStore::open(config).unwrap();
        store.append(ev("order", "o1", "a")).unwrap();
        let mut sub = store
            .subscribe(StartAt::Beginning, StreamFilter::default())
            .unwrap();
        assert_eq!(
            ids(&store.poll(&mut sub, 10, Duration::from_millis(10)).unwrap()),
            vec!["a"]
        );
    }
}

#[test]
fn a_restored_backup_keeps_every_position_and_continues_after_the_last() {
    let t = TempStore::new();
    let store = t.open();
    for k in 0..8 {
        store
            .append(ev("order", &format!("o{}", k % 3), &format!("e{k}")))
            .unwrap();
    }
    let before = read_everything(&store, 100);
    let source_id = store.stream_id().unwrap();
    let backup = t.tmp.path().join("backup");
    store.backup(&backup, None).unwrap();
    store.close().unwrap();
    let restored = t.tmp.path().join("restored");
    EventStore::restore(&backup, &restored, false).unwrap();
    let store = EventStore::open(Config::new(&restored)).unwrap();
    assert_eq!(read_everything(&store, 3), before);
    store.append(ev("order", "o1", "after")).unwrap();
    assert_eq!(store.last_position().unwrap(), 9);
    // The source may have given 9 to another event since: the restored stream has its own id.
    assert_ne!(store.stream_id().unwrap(), source_id);
}

#[test]
fn verify_reports_an_event_without_a_position_and_a_position_without_an_event_and_a_rebuild_fixes_both()
 {
    let t = TempStore::new();
    let store = t.open();
    for k in 0..4 {
        store.append(ev("order", "o1", &format!("e{k}"))).unwrap();
    }
    assert!(
        store.verify().unwrap().is_empty(),
        "{:?}",
        store.verify().unwrap()
    );
    store.close().unwrap();
    // Line 2 (position 2) dropped, a line for a file that does not exist added.
    let log = t.base.join(".stream/log");
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(2);
    let bogus = "[9,\"Step\",\"order/o1/20990101000000000000-Step.json\",10,\"x\",null,null]";
    lines.push(bogus);
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let store = t.open();
    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("has no stream position")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("stream position 9")),
        "{problems:?}"
    );
    store.rebuild_index().unwrap();
    assert!(
        store.verify().unwrap().is_empty(),
        "{:?}",
        store.verify().unwrap()
    );
    // The event that had lost its line got the next position; 9 is void, never reused.
    let all = read_everything(&store, 100);
    assert_eq!(positions(&all), vec![1, 3, 4, 10]);
}
