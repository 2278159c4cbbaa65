//! Unit tests of the stream log.
use super::*;

fn entry(rel: &str, id: &str) -> Entry {
    Entry {
        event_id: Some(id.to_string()),
        ..Entry::unparsed("E".to_string(), rel.to_string(), 10)
    }
}

fn stream() -> (tempfile::TempDir, Stream) {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = Stream::new(dir.path(), Arc::new(crate::io::OsIo));
    (dir, stream)
}

fn all(stream: &Stream) -> Vec<Line> {
    let cursor = stream.seek(1).expect("seek");
    stream.page(cursor, usize::MAX, false).expect("page").lines
}

#[test]
fn appends_number_events_one_after_another_across_calls() {
    let (_dir, stream) = stream();
    assert_eq!(
        stream.append(&[entry("t/a/1.json", "x")]).expect("append"),
        vec![1]
    );
    assert_eq!(
        stream
            .append(&[entry("t/a/2.json", "y"), entry("t/b/1.json", "z")])
            .expect("append"),
        vec![2, 3]
    );
    // Another appender (another process) continues from the file, not its memory.
    let other = Stream::new(&stream.base, Arc::new(crate::io::OsIo));
    assert_eq!(
        other.append(&[entry("t/c/1.json", "w")]).expect("append"),
        vec![4]
    );
    assert_eq!(
        stream.append(&[entry("t/c/2.json", "v")]).expect("append"),
        vec![5]
    );
    let positions: Vec<u64> = all(&stream).iter().map(|l| l.position).collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5]);
    assert_eq!(stream.last_position().expect("last"), 5);
}

#[test]
fn seek_finds_a_position_by_bisection_in_a_long_log() {
    let (_dir, stream) = stream();
    let entries: Vec<Entry> = (0..20_000)
        .map(|k| entry(&format!("t/a/{k:08}.json"), &format!("id-{k}")))
        .collect();
    stream.append(&entries).expect("append");
    for from in [1, 2, 777, 12_345, 19_999, 20_000] {
        let page = stream
            .page(stream.seek(from).expect("seek"), 3, false)
            .expect("page");
        assert_eq!(page.lines[0].position, from);
    }
    let past = stream
        .page(stream.seek(20_001).expect("seek"), 3, true)
        .expect("page");
    assert!(past.lines.is_empty() && past.at_end);
}

#[test]
fn a_page_continues_where_the_last_stopped() {
    let (_dir, stream) = stream();
    let entries: Vec<Entry> = (0..10)
        .map(|k| entry(&format!("t/a/{k}.json"), &format!("id-{k}")))
        .collect();
    stream.append(&entries).expect("append");
    let first = stream
        .page(stream.seek(1).expect("seek"), 4, false)
        .expect("page");
    assert!(!first.at_end);
    let second = stream.page(first.cursor, 100, false).expect("page");
    let positions: Vec<u64> = second.lines.iter().map(|l| l.position).collect();
    assert_eq!(positions, (5..=10).collect::<Vec<_>>());
    assert!(second.at_end);
}

#[test]
fn a_repair_keeps_moved_events_positions_voids_gone_ones_and_numbers_new_ones_after_the_last() {
    let (_dir, stream) = stream();
    stream
        .append(&[
            entry("t/a/1.json", "x"),
            entry("t/a/2.json", "y"),
            entry("t/b/1.json", "z"),
        ])
        .expect("append");
    let old_cursor = stream.seek(3).expect("seek");
    let moved = |rel: &str, id: &str, on_disk| Replayed {
        entry: entry(rel, id),
        on_disk,
    };
    stream
        .repair(
            &[
                moved("t/a/1.json", "x", false),
                moved("t/a/s.jsonl@0", "x", true),
                moved("t/b/1.json", "z", false),
                moved("t/c/1.json", "new", true),
            ],
            false,
        )
        .expect("repair");
    let lines = all(&stream);
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0].event.as_ref().map(|e| e.rel.as_str()),
        Some("t/a/s.jsonl@0")
    );
    assert_eq!(
        lines[1].event.as_ref().map(|e| e.rel.as_str()),
        Some("t/a/2.json")
    );
    assert_eq!(
        lines[2],
        Line {
            position: 3,
            event: None
        }
    );
    assert_eq!(lines[3].position, 4);
    // A reader's cursor into the replaced file finds its place by position.
    let page = stream.page(old_cursor, 10, false).expect("page");
    assert_eq!(
        page.lines.iter().map(|l| l.position).collect::<Vec<_>>(),
        vec![3, 4]
    );
    // The next append follows the void line's position too.
    assert_eq!(
        stream.append(&[entry("t/d/1.json", "d")]).expect("append"),
        vec![5]
    );
}

#[test]
fn a_torn_last_line_is_not_read_and_the_next_append_ends_it_first() {
    let (_dir, stream) = stream();
    stream.append(&[entry("t/a/1.json", "x")]).expect("append");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(stream.path())
        .expect("open");
    std::io::Write::write_all(&mut f, b"[2,\"E\",\"t/a/2.js").expect("write");
    assert_eq!(all(&stream).len(), 1);
    let again = Stream::new(&stream.base, Arc::new(crate::io::OsIo));
    assert_eq!(
        again.append(&[entry("t/a/3.json", "z")]).expect("append"),
        vec![2]
    );
    assert_eq!(
        all(&stream).iter().map(|l| l.position).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn long_ids_are_kept_as_a_hash() {
    let long = "c".repeat(MAX_ID_IN_LINE + 1);
    assert!(matches!(LineId::of(&long), LineId::Hashed { .. }));
    assert_eq!(LineId::of("short"), LineId::Plain("short".to_string()));
}

#[test]
fn a_torn_last_line_that_parses_keeps_its_position_and_the_next_append_follows_it() {
    let (_dir, stream) = stream();
    stream.append(&[entry("t/a/1.json", "x")]).expect("append");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(stream.path())
        .expect("open");
    std::io::Write::write_all(&mut f, b"[2,\"E\",\"t/a/2.json\",10,\"y\",null,null]")
        .expect("write");
    let again = Stream::new(&stream.base, Arc::new(crate::io::OsIo));
    assert_eq!(
        again.append(&[entry("t/a/3.json", "z")]).expect("append"),
        vec![3]
    );
    let lines = all(&stream);
    assert_eq!(
        lines.iter().map(|l| l.position).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[test]
fn a_line_naming_a_place_outside_the_store_is_not_a_line() {
    for rel in [
        "/etc/passwd",
        "../x/y.json",
        "t/../y.json",
        "t/a/.hidden.json",
        "t/a",
    ] {
        let raw = format!("[1,\"E\",{rel:?},10,null,null,null]");
        assert!(Line::parse(raw.as_bytes()).is_none(), "{rel}");
    }
    assert!(Line::parse(b"[1,\"E\",\"t/a/1.json\",10,null,null,null]").is_some());
}

#[test]
fn events_numbered_by_a_rebuild_follow_their_aggregate_order_whatever_their_timestamps() {
    let at = |rel: &str, t: &str| Entry {
        timestamp: crate::event::parse_instant(t),
        ..entry(rel, rel)
    };
    // Version 2 of `a` carries an earlier timestamp than version 1; segment offsets
    // compare as numbers.
    let entries = [
        at("t/a/20260101000000000000-E.json", "2026-01-01T00:00:05Z"),
        at("t/a/20260101000000001000-E.json", "2026-01-01T00:00:01Z"),
        at(
            "t/b/20260101000000000000-E.jsonl@999",
            "2026-01-01T00:00:02Z",
        ),
        at(
            "t/b/20260101000000000000-E.jsonl@1000",
            "2026-01-01T00:00:03Z",
        ),
        at("t/b/20260101000000000000-E.jsonl@0", "2026-01-01T00:00:04Z"),
    ];
    let (_dir, stream) = stream();
    stream.rebuild(&entries, false).expect("rebuild");
    let rels: Vec<String> = all(&stream)
        .into_iter()
        .filter_map(|l| l.event.map(|e| e.rel))
        .collect();
    let a: Vec<&String> = rels.iter().filter(|r| r.starts_with("t/a/")).collect();
    assert_eq!(a, [&entries[0].rel, &entries[1].rel]);
    let b: Vec<&String> = rels.iter().filter(|r| r.starts_with("t/b/")).collect();
    assert_eq!(b, [&entries[4].rel, &entries[2].rel, &entries[3].rel]);
}
