//! Replay of abandoned journals at open: what a crash of the machine can leave behind
//! (a synced journal record whose event file is missing or torn) is repaired, what was
//! never acknowledged is dropped, and nothing a journal says can reach outside the store.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytehot_eventstore::{
    Call, Config, Event, EventMetadata, EventStore, Fault, FaultyIo, SystemClock, encode_header,
    encode_record, encode_record_in, journal_epoch,
};

use common::DEAD_PID;

fn new_event(event_id: &str, version: u64, previous: Option<&str>) -> Event {
    let metadata = EventMetadata {
        event_id: event_id.to_string(),
        aggregate_type: "hotswap".to_string(),
        aggregate_id: "agg".to_string(),
        aggregate_version: version,
        timestamp: bytehot_eventstore::parse_instant("2030-01-01T00:00:00.123Z"),
        previous_event_id: previous.map(str::to_string),
        schema_version: 1,
        user_id: None,
        correlation_id: None,
        causation_id: None,
    };
    Event::new(
        "ClassRedefinitionSucceeded",
        metadata,
        r#"{"affectedInstances":3}"#,
    )
    .unwrap()
}

fn seeded_store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut first = new_event("e1", 0, None);
    first.metadata.timestamp = bytehot_eventstore::parse_instant("2029-01-01T00:00:00Z");
    common::seeded(&dir, [first]);
    (tmp, dir)
}

const E2_PATH: &str = "hotswap/agg/20300101000000123000-ClassRedefinitionSucceeded.json";

fn write_journal(dir: &Path, bytes: &[u8]) {
    fs::create_dir_all(dir.join(".journal")).unwrap();
    fs::write(dir.join(format!(".journal/{DEAD_PID}-0.journal")), bytes).unwrap();
}

fn ids(dir: &Path) -> Vec<String> {
    let store = EventStore::open(Config::new(dir)).unwrap();
    let ids = store
        .read_aggregate("hotswap", "agg", 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect();
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    store.close().unwrap();
    ids
}

#[test]
fn an_acknowledged_event_whose_file_was_lost_is_restored() {
    let (_tmp, dir) = seeded_store();
    let e2 = new_event("e2", 2, Some("e1"));
    write_journal(&dir, &encode_record(E2_PATH, &e2.to_file_json()));
    assert_eq!(ids(&dir), ["e1", "e2"]);
    assert!(
        !dir.join(format!(".journal/{DEAD_PID}-0.journal")).exists(),
        "replayed journal is retired"
    );
}

#[test]
fn a_torn_event_file_is_rewritten_from_the_journal() {
    let (_tmp, dir) = seeded_store();
    let e2 = new_event("e2", 2, Some("e1"));
    let bytes = e2.to_file_json();
    fs::write(dir.join(E2_PATH), &bytes[..bytes.len() / 3]).unwrap();
    write_journal(&dir, &encode_record(E2_PATH, &bytes));
    assert_eq!(ids(&dir), ["e1", "e2"]);
}

#[test]
fn a_record_the_aggregate_moved_past_was_never_acknowledged_and_is_dropped() {
    let (_tmp, dir) = seeded_store();
    let store = EventStore::open(Config::new(&dir)).unwrap();
    store.append(new_event("other", 0, None)).unwrap();
    store.close().unwrap();
    let e2 = new_event("e2", 2, Some("e1"));
    write_journal(&dir, &encode_record(E2_PATH, &e2.to_file_json()));
    assert_eq!(ids(&dir), ["e1", "other"]);
}

#[test]
fn a_record_a_full_disk_keeps_from_being_settled_waits_in_place_for_an_open_with_space() {
    let (_tmp, dir) = seeded_store();
    let e2 = new_event("e2", 2, Some("e1"));
    write_journal(&dir, &encode_record(E2_PATH, &e2.to_file_json()));
    let full = Arc::new(FaultyIo::on(Call::Write, 1, Fault::ShortWrite));
    let store = EventStore::open_with(Config::new(&dir), Arc::new(SystemClock), full).unwrap();
    let refused = store.append(new_event("e3", 0, None)).unwrap_err();
    assert!(refused.to_string().contains("free some space"), "{refused}");
    store.close().unwrap();
    assert!(
        dir.join(format!(".journal/{DEAD_PID}-0.journal")).exists(),
        "the journal waits for an open that can settle it"
    );
    assert!(
        !dir.join(".lost").exists(),
        "nothing is set aside for want of space"
    );
    assert_eq!(ids(&dir), ["e1", "e2"]);
}

#[test]
fn a_torn_journal_tail_ends_the_replay_without_error() {
    let (_tmp, dir) = seeded_store();
    let e2 = new_event("e2", 2, Some("e1"));
    let mut bytes = encode_record(E2_PATH, &e2.to_file_json());
    let e3 = new_event("e3", 3, Some("e2"));
    let third = encode_record(
        "hotswap/agg/20300101000000123001-ClassRedefinitionSucceeded.json",
        &e3.to_file_json(),
    );
    bytes.extend_from_slice(&third[..third.len() - 5]);
    write_journal(&dir, &bytes);
    assert_eq!(ids(&dir), ["e1", "e2"]);
}

#[test]
fn journal_records_cannot_write_outside_the_store() {
    let (tmp, dir) = seeded_store();
    let e2 = new_event("e2", 2, Some("e1"));
    let mut bytes = Vec::new();
    for path in [
        "../escaped/x/20300101000000123000-A.json",
        "/etc/20300101000000123000-A.json",
        "hotswap/../../20300101000000123000-A.json",
        "metadata/x/20300101000000123000-A.json",
        "hotswap/other-aggregate/20300101000000123000-ClassRedefinitionSucceeded.json",
    ] {
        bytes.extend(encode_record(path, &e2.to_file_json()));
    }
    write_journal(&dir, &bytes);
    assert_eq!(ids(&dir), ["e1"]);
    let outside: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(outside, ["store"]);
    assert!(!dir.join("hotswap/other-aggregate").exists());
}

#[test]
fn a_restored_event_of_a_larger_aggregate_is_read_by_the_store_that_restored_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    for n in 1..=20 {
        let mut e = new_event(&format!("e{n}"), 0, None);
        e.metadata.timestamp = bytehot_eventstore::parse_instant("2029-01-01T00:00:00Z");
        store.append(e).unwrap();
    }
    store.close().unwrap();
    // A writer killed after its journal sync and its `.ids` append, before its rename.
    let e21 = new_event("e21", 21, Some("e20"));
    let mut ids_file = fs::OpenOptions::new()
        .append(true)
        .open(dir.join("hotswap/agg/.ids"))
        .unwrap();
    std::io::Write::write_all(
        &mut ids_file,
        b"20300101000000123000-ClassRedefinitionSucceeded.json \"e21\"\n",
    )
    .unwrap();
    write_journal(&dir, &encode_record(E2_PATH, &e21.to_file_json()));
    let read = ids(&dir);
    assert_eq!(read.len(), 21);
    assert_eq!(read.last().map(String::as_str), Some("e21"));
}

#[test]
fn a_record_of_an_earlier_epoch_after_the_current_records_is_not_replayed() {
    let (_tmp, dir) = seeded_store();
    let e2 = new_event("e2", 2, Some("e1"));
    let e3 = new_event("e3", 3, Some("e2"));
    let mut bytes = encode_header(4).to_vec();
    bytes.extend(encode_record_in(4, E2_PATH, &e2.to_file_json()));
    // Left over from before the last checkpoint: never to be replayed again.
    bytes.extend(encode_record_in(
        3,
        "hotswap/agg/20300101000000123001-ClassRedefinitionSucceeded.json",
        &e3.to_file_json(),
    ));
    bytes.extend([0u8; 1000]);
    write_journal(&dir, &bytes);
    assert_eq!(ids(&dir), ["e1", "e2"]);
}

/// Copies a directory tree (files and directories only).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_journal_reused_after_a_checkpoint_replays_exactly_the_events_since() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir)).unwrap();
    let journal = || {
        fs::read_dir(dir.join(".journal"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "journal"))
            .unwrap()
    };
    let mut previous: Option<String> = None;
    let mut save = |id: &str| {
        let mut e = new_event(id, 0, None);
        e.metadata.timestamp = None;
        let stored = store.append(e).unwrap();
        assert_eq!(stored.metadata.previous_event_id, previous);
        previous = Some(id.to_string());
        dir.join("hotswap/agg").join(
            fs::read_dir(dir.join("hotswap/agg"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".json"))
                .max()
                .unwrap(),
        )
    };
    for n in 1..=5 {
        save(&format!("old{n}"));
    }
    let size = fs::metadata(journal()).unwrap().len();
    store.checkpoint().unwrap();
    let reused = fs::read(journal()).unwrap();
    assert_eq!(
        reused.len() as u64,
        size,
        "a checkpoint reuses the journal's space"
    );
    assert_eq!(journal_epoch(&reused), Some(1));
    let new_file = save("new1");
    // What a crash could leave: the store's files and journal as they are now, the
    // journal's owner gone, and the last event's file lost.
    let copy = tmp.path().join("copy");
    copy_tree(&dir, &copy);
    let live_journal = journal();
    let name = live_journal.file_name().unwrap().to_str().unwrap();
    let dead = name.replacen(&std::process::id().to_string(), &DEAD_PID.to_string(), 1);
    fs::rename(
        copy.join(".journal").join(name),
        copy.join(".journal").join(dead),
    )
    .unwrap();
    let lost = copy.join(new_file.strip_prefix(&dir).unwrap());
    fs::remove_file(&lost).unwrap();
    fs::remove_file(copy.join(".journal/recovery.lock")).ok();
    store.close().unwrap();
    assert_eq!(ids(&copy), ["old1", "old2", "old3", "old4", "old5", "new1"]);
    assert!(lost.exists(), "the event since the checkpoint was replayed");
}

/// A store whose aggregate `hotswap/agg` holds `e1` as the first line of a segment;
/// returns the segment's path relative to the store, and its length.
fn seeded_segment() -> (tempfile::TempDir, PathBuf, String, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EventStore::open(Config::new(&dir).max_events_per_file(100)).unwrap();
    store.append(new_event("e1", 0, None)).unwrap();
    store.close().unwrap();
    let agg = dir.join("hotswap").join("agg");
    let name = fs::read_dir(&agg)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .find(|n| n.ends_with(".jsonl"))
        .unwrap();
    let len = fs::metadata(agg.join(&name)).unwrap().len();
    (tmp, dir, format!("hotswap/agg/{name}"), len)
}

fn line(event: &Event) -> Vec<u8> {
    event.to_line_within(usize::MAX).unwrap()
}

/// Records for `e2` and `e3`, the lines after `e1` at `offset`.
fn two_line_journal(segment: &str, offset: u64) -> (Vec<u8>, Vec<u8>) {
    let (e2, e3) = (
        line(&new_event("e2", 2, Some("e1"))),
        line(&new_event("e3", 3, Some("e2"))),
    );
    let mut journal = encode_record(&format!("{segment}@{offset}"), &e2);
    journal.extend(encode_record(
        &format!("{segment}@{}", offset + e2.len() as u64),
        &e3,
    ));
    (journal, [e2, e3].concat())
}

#[test]
fn acknowledged_lines_a_segment_lost_are_appended_again() {
    let (_tmp, dir, segment, len) = seeded_segment();
    let (journal, _) = two_line_journal(&segment, len);
    write_journal(&dir, &journal);
    assert_eq!(ids(&dir), ["e1", "e2", "e3"]);
    assert!(!dir.join(".lost").exists());
}

#[test]
fn a_segment_whose_journaled_lines_a_power_loss_damaged_is_repaired_with_nothing_set_aside() {
    for damage in ["torn", "zeros", "zeros-then-a-later-line"] {
        let (_tmp, dir, segment, len) = seeded_segment();
        let (journal, lines) = two_line_journal(&segment, len);
        let path = dir.join(&segment);
        let mut bytes = fs::read(&path).unwrap();
        match damage {
            "torn" => bytes.extend_from_slice(&lines[..lines.len() / 3]),
            "zeros" => bytes.extend(vec![0u8; lines.len()]),
            _ => {
                // The first line's page never reached the disk; the second's did.
                let first = lines.iter().position(|b| *b == b'\n').unwrap() + 1;
                bytes.extend(vec![0u8; first]);
                bytes.extend_from_slice(&lines[first..]);
            }
        }
        fs::write(&path, &bytes).unwrap();
        write_journal(&dir, &journal);
        assert_eq!(ids(&dir), ["e1", "e2", "e3"], "{damage}");
        assert!(!dir.join(".lost").exists(), "{damage}");
    }
}

#[test]
fn a_journaled_first_line_of_a_segment_that_was_lost_creates_it_again() {
    let (_tmp, dir, segment, len) = seeded_segment();
    let (journal, _) = two_line_journal(&segment, len);
    fs::remove_file(dir.join(&segment)).unwrap();
    let e1 = line(&new_event("e1", 1, None));
    let mut whole = encode_record(&format!("{segment}@0"), &e1);
    assert_eq!(e1.len() as u64, len);
    whole.extend(journal);
    write_journal(&dir, &whole);
    assert_eq!(ids(&dir), ["e1", "e2", "e3"]);
}

#[test]
fn a_journaled_line_where_another_line_now_stands_was_never_acknowledged_and_is_dropped() {
    let (_tmp, dir, segment, len) = seeded_segment();
    let other = line(&new_event("other", 2, Some("e1")));
    let mut bytes = fs::read(dir.join(&segment)).unwrap();
    bytes.extend_from_slice(&other);
    fs::write(dir.join(&segment), &bytes).unwrap();
    let (journal, _) = two_line_journal(&segment, len);
    write_journal(&dir, &journal);
    assert_eq!(ids(&dir), ["e1", "other"]);
}

#[test]
fn lines_are_restored_in_a_segment_followed_by_a_newer_one_a_power_loss_left_empty() {
    let (_tmp, dir, segment, len) = seeded_segment();
    let (journal, _) = two_line_journal(&segment, len);
    // A later segment whose name survived the loss and whose lines did not.
    let later = "hotswap/agg/20991231000000000000-ClassRedefinitionSucceeded.jsonl";
    let e4 = line(&new_event("e4", 4, Some("e3")));
    fs::write(dir.join(later), vec![0u8; e4.len()]).unwrap();
    let mut whole = journal;
    whole.extend(encode_record(&format!("{later}@0"), &e4));
    write_journal(&dir, &whole);
    assert_eq!(ids(&dir), ["e1", "e2", "e3", "e4"]);
    assert!(!dir.join(".lost").exists());
}

#[test]
fn lines_of_two_dead_journals_interleaved_in_one_segment_are_all_restored() {
    // Two writers took turns on one aggregate: one journaled e2 and e4, the other e3.
    // A power loss took all three lines; whichever journal is replayed first, all return.
    let (_tmp, dir, segment, len) = seeded_segment();
    let lines = [
        line(&new_event("e2", 2, Some("e1"))),
        line(&new_event("e3", 3, Some("e2"))),
        line(&new_event("e4", 4, Some("e3"))),
    ];
    let mut offsets = vec![len];
    for l in &lines {
        offsets.push(offsets.last().unwrap() + l.len() as u64);
    }
    let record = |k: usize| encode_record(&format!("{segment}@{}", offsets[k]), &lines[k]);
    let first = [record(0), record(2)].concat();
    let second = record(1);
    fs::create_dir_all(dir.join(".journal")).unwrap();
    fs::write(dir.join(format!(".journal/{DEAD_PID}-0.journal")), &first).unwrap();
    fs::write(
        dir.join(format!(".journal/{}-0.journal", DEAD_PID + 1)),
        &second,
    )
    .unwrap();
    assert_eq!(ids(&dir), ["e1", "e2", "e3", "e4"]);
    assert!(!dir.join(".lost").exists());
}
