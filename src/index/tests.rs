use std::fs;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::file::lock;

use super::line::{Entry, Record, complete_lines, line_time, lines_between, parse_line, time_key};
use super::{Index, Replayed};

/// The index of the store at `base`, on the real file system.
fn index_at(base: &std::path::Path) -> Index {
    Index::new(base, Arc::new(crate::io::OsIo))
}

fn entry(event_type: &str, t: &str, rel: &str) -> Entry {
    Entry {
        timestamp: crate::event::parse_instant(t),
        ..Entry::unparsed(event_type.to_string(), rel.to_string(), 100)
    }
}

fn replayed(entry: Entry, on_disk: bool) -> Replayed {
    Replayed { entry, on_disk }
}

#[test]
fn lines_round_trip_including_times_before_1970() {
    for t in ["2026-11-28T10:00:00.123456789Z", "0001-01-01T00:00:00Z"] {
        let e = entry("A", t, "x/y/z.json");
        let line = e.line();
        let r = parse_line(line.trim_end()).unwrap();
        assert_eq!(r.time, e.timestamp.as_ref().map(time_key));
        assert_eq!(r.rel, "x/y/z.json");
    }
    assert_eq!(parse_line("- 5 a/b/c.json").unwrap().time, None);
    for bad in [
        "",
        "1.5 x a/b/c.json",
        "1.5 3 a/b",
        "x 3 a/b/c.json",
        "1.2000000000 3 a/b/c.json",
        "1.5 3 a/b/c.js",
        "1.5 3 a/b/c",
        "1.5 3 ../b/c.json",
        "1.5 3 a/b/c/d.json",
    ] {
        assert!(parse_line(bad).is_none(), "{bad}");
    }
}

/// A repeatable stream of pseudo-random numbers below `n`, for randomized tests.
fn numbers(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    }
}

#[test]
fn lines_between_keeps_exactly_the_lines_whose_parsed_time_is_in_range() {
    // The scan compares time fields as bytes where it can; whatever a line holds, it
    // must keep the same lines as parsing every line's time would.
    let mut next = numbers(0x9E37_79B9_7F4A_7C15_u64);
    let digits = |next: &mut dyn FnMut(u64) -> u64, n: u64| -> String {
        (0..n).map(|_| char::from(b'0' + next(10) as u8)).collect()
    };
    for round in 0..300 {
        let mut log = Vec::new();
        for _ in 0..40 {
            let secs = match next(6) {
                0 => format!("-{}", next(100)),
                1 => format!("+{}", next(100)),
                2 => format!("0{}", next(100)),
                _ => (next(3) * 10 + next(200)).to_string(),
            };
            let nanos = match next(8) {
                0 => {
                    let width = next(12);
                    digits(&mut next, width)
                }
                1 => "5x0000000".to_string(),
                _ => digits(&mut next, 9),
            };
            let mut line = format!("{secs}.{nanos}").into_bytes();
            match next(10) {
                0 => line.retain(|b| *b != b'.'),
                1 => line.insert(next(line.len() as u64) as usize, b' '),
                2 => line.push(0xff),
                _ => {}
            }
            if next(12) != 0 {
                line.extend_from_slice(b" 12 a/b/c.json");
            }
            log.extend_from_slice(&line);
            log.push(b'\n');
            if next(20) == 0 {
                log.push(b'\n');
            }
        }
        if round % 2 == 0 {
            log.extend_from_slice(b"250.000000000 1 a/b/torn");
        }
        let bound =
            |next: &mut dyn FnMut(u64) -> u64| (next(400) as i64 - 50, next(1_000_000_000) as u32);
        let (a, b) = (bound(&mut next), bound(&mut next));
        let (lo, hi) = (a.min(b), a.max(b));
        let expected: Vec<&str> = complete_lines(&log)
            .filter(|l| line_time(l.as_bytes()).is_some_and(|t| t >= lo && t <= hi))
            .collect();
        let got: Vec<&str> = lines_between(&log, lo, hi).collect();
        assert_eq!(got, expected, "round {round}, bounds {lo:?}..={hi:?}");
    }
}

#[test]
fn lines_between_compares_times_as_numbers_whatever_their_width() {
    let log = b"9.000000000 1 a/b/early\n\
10.000000000 1 a/b/ten\n\
10.500000000 1 a/b/half\n\
11.000000000 1 a/b/eleven\n\
100.000000000 1 a/b/late\n\
-5.000000000 1 a/b/before1970\n\
10.5 1 a/b/short-nanos\n\
100.00000000 1 a/b/eight-digit-nanos\n\
+0.500000000 1 a/b/plus\n\
10.700000000 1 a/b/torn";
    let got = |lo, hi| lines_between(log, lo, hi).collect::<Vec<_>>();
    assert_eq!(
        got((10, 0), (11, 0)),
        [
            "10.000000000 1 a/b/ten",
            "10.500000000 1 a/b/half",
            "11.000000000 1 a/b/eleven",
            "10.5 1 a/b/short-nanos",
        ]
    );
    assert_eq!(
        got((9, 999_999_999), (99, 0)).len(),
        4,
        "bounds of different widths"
    );
    assert_eq!(
        got((-10, 0), (9, 0)).len(),
        3,
        "negative bounds (-5, +0.5, 9)"
    );
    assert_eq!(
        got((10, 500_000_001), (10, 999_999_999)),
        Vec::<&str>::new()
    );
}

#[test]
fn between_agrees_with_a_full_scan_while_minute_logs_grow_and_are_replaced() {
    // Queries read only the stretches of a log whose times can match, and what grew
    // since the last query; across appends, disorder and a rewrite by rename, they
    // must return exactly what filtering every line returns.
    let dir = tempfile::tempdir().unwrap();
    let index = index_at(dir.path());
    let mut next = numbers(0x2545_F491_4F6C_DD1D_u64);
    let base = crate::event::parse_instant("2026-03-01T10:00:00Z").unwrap();
    let at = |ms: i64| base + chrono::Duration::milliseconds(ms);
    let mut stored: Vec<(DateTime<Utc>, String)> = Vec::new();
    let mut clock = 0_i64;
    for round in 0..40 {
        let mut batch = Vec::new();
        for _ in 0..next(400) + 1 {
            // Mostly in order, some jitter, now and then one far off in the 2 minutes.
            clock += next(20) as i64;
            let ms = match next(50) {
                0 => next(120_000) as i64,
                _ => (clock + next(30) as i64 - 15).clamp(0, 119_999),
            };
            let rel = format!("t/{}/e{}.json", next(5), stored.len() + batch.len());
            batch.push(entry("A", &crate::event::format_instant(&at(ms)), &rel));
        }
        index.append(&batch).unwrap();
        stored.extend(batch.iter().map(|e| (e.timestamp.unwrap(), e.rel.clone())));
        if round == 25 {
            // A rewrite by rename: another file (another inode), as long as the old
            // one, its lines in reverse order, so stale stretches would point amiss.
            let log = Index::time_log(&index.dir, &at(0));
            let old = fs::read_to_string(&log).unwrap();
            let text: String = old.lines().rev().map(|l| format!("{l}\n")).collect();
            let tmp = log.with_extension("tmp");
            fs::write(&tmp, text).unwrap();
            fs::rename(&tmp, &log).unwrap();
        }
        for q in 0..24 {
            let (lo, hi) = if q % 2 == 0 {
                let (a, b) = (next(121_000) as i64, next(121_000) as i64);
                (at(a.min(b)), at(a.min(b) + (a.max(b) - a.min(b)) % 3_000))
            } else {
                // Bounds on stored times: the edges of a stretch are inclusive.
                let pick = |k: u64| stored[k as usize].0;
                let (a, b) = (
                    pick(next(stored.len() as u64)),
                    pick(next(stored.len() as u64)),
                );
                (
                    a.min(b),
                    a.max(b).min(a.min(b) + chrono::Duration::seconds(3)),
                )
            };
            let mut expected: Vec<String> = stored
                .iter()
                .filter(|(t, _)| *t >= lo && *t <= hi)
                .map(|(_, rel)| rel.clone())
                .collect();
            let mut got: Vec<String> = index
                .between(&lo, &hi)
                .unwrap()
                .into_iter()
                .map(|r| r.rel)
                .collect();
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "round {round}, {lo}..={hi}");
        }
    }
    // Point queries at each stretch's least and greatest time.
    let edges: Vec<(i64, u32)> = lock(&index.spans)
        .values()
        .flat_map(|s| s.spans.iter().flat_map(|span| [span.lo, span.hi]))
        .collect();
    assert!(edges.len() > 8, "the logs grew past several stretches");
    for (secs, nanos) in edges {
        let t = DateTime::from_timestamp(secs, nanos).unwrap();
        let expected = stored.iter().filter(|(at, _)| *at == t).count();
        assert_eq!(index.between(&t, &t).unwrap().len(), expected, "at {t}");
        assert!(expected > 0);
    }
}

#[test]
fn a_torn_last_line_is_not_read() {
    let lines: Vec<&str> = complete_lines(b"1.0 1 a/b/c\n2.0 1 a/b/").collect();
    assert_eq!(lines, ["1.0 1 a/b/c"]);
}

#[test]
fn between_reads_only_the_minutes_in_range_and_filters_inside_them() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_at(dir.path());
    index
        .append(&[
            entry("A", "2026-01-01T00:00:00.5Z", "t/1/a.json"),
            entry("A", "2026-01-01T00:00:59Z", "t/1/b.json"),
            entry("B", "2026-01-01T00:01:00Z", "t/1/c.json"),
            entry("B", "2026-01-02T00:00:00Z", "t/1/d.json"),
        ])
        .unwrap();
    let rels = |v: Vec<Record>| v.into_iter().map(|r| r.rel).collect::<Vec<_>>();
    let t = |s| crate::event::parse_instant(s).unwrap();
    assert_eq!(
        rels(
            index
                .between(&t("2026-01-01T00:00:01Z"), &t("2026-01-01T00:01:00Z"))
                .unwrap()
        ),
        ["t/1/b.json", "t/1/c.json"]
    );
    assert_eq!(
        rels(index.by_type("B").unwrap()),
        ["t/1/c.json", "t/1/d.json"]
    );
    assert_eq!(index.count().unwrap(), 4);
    index
        .append(&[entry("A", "2026-01-03T00:00:00Z", "t/1/e.json")])
        .unwrap();
    assert_eq!(index.count().unwrap(), 5);
}

#[test]
fn repair_drops_lines_of_missing_files_and_adds_missing_lines_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_at(dir.path());
    let kept = entry("A", "2026-01-01T00:00:00Z", "t/1/a.json");
    let lost = entry("A", "2026-01-01T00:00:01Z", "t/1/b.json");
    let unindexed = entry("A", "2026-01-01T00:00:02Z", "t/1/c.json");
    index.append(&[kept.clone(), lost.clone()]).unwrap();
    let log = dir.path().join(".index/types/A.log");
    let mut torn = fs::read(&log).unwrap();
    torn.extend_from_slice(b"9.0 1 t/1/");
    fs::write(&log, torn).unwrap();
    index
        .repair(
            &[
                replayed(kept.clone(), true),
                replayed(lost, false),
                replayed(unindexed, true),
            ],
            false,
        )
        .unwrap();
    let rels: Vec<String> = index
        .by_type("A")
        .unwrap()
        .into_iter()
        .map(|r| r.rel)
        .collect();
    assert_eq!(rels, ["t/1/a.json", "t/1/c.json"]);
    assert_eq!(index.count().unwrap(), 2);
    index.repair(&[replayed(kept, true)], false).unwrap();
    assert_eq!(index.count().unwrap(), 2);
}

#[test]
fn a_saved_count_is_believed_only_for_the_file_it_was_counted_in() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_at(dir.path());
    index
        .append(&[
            entry("A", "2026-01-01T00:00:00Z", "t/1/a.json"),
            entry("A", "2026-01-01T00:00:01Z", "t/1/b.json"),
        ])
        .unwrap();
    index.save_counts().unwrap();
    let counts = dir.path().join(".index/counts");
    let saved = fs::read_to_string(&counts).unwrap();
    let (id, rest) = saved.split_once(' ').unwrap();
    let (bytes, name) = rest.split_once(" 2 ").unwrap();
    // Each forgery claims 20 lines for the bytes that hold 2.
    let forge = |id: &str| fs::write(&counts, format!("{id} {bytes} 20 {name}"));
    let (dev_ino, born) = id.rsplit_once(':').unwrap();
    // The same file with a forged count of 20: believed, so the check below can fail.
    forge(id).unwrap();
    assert_eq!(index_at(dir.path()).count().unwrap(), 20);
    // Same device and inode, another birth: a rewrite that reused the inode number.
    let other_birth = if born == "-" {
        "1".to_string()
    } else {
        format!("{}", born.parse::<i128>().unwrap() + 1)
    };
    forge(&format!("{dev_ino}:{other_birth}")).unwrap();
    assert_eq!(index_at(dir.path()).count().unwrap(), 2);
    // What an older version wrote (the inode alone) is counted again too.
    forge(dev_ino.split_once(':').unwrap().1).unwrap();
    assert_eq!(index_at(dir.path()).count().unwrap(), 2);
}

#[test]
fn saved_counts_are_used_for_the_prefix_they_cover_and_dropped_by_a_repair() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_at(dir.path());
    let a = entry("A", "2026-01-01T00:00:00Z", "t/1/a.json");
    index
        .append(&[a.clone(), entry("A", "2026-01-01T00:00:01Z", "t/1/b.json")])
        .unwrap();
    index.save_counts().unwrap();
    // Forge the saved count: a reopened index believes it for the prefix it covers.
    let counts = dir.path().join(".index/counts");
    let forged = fs::read_to_string(&counts)
        .unwrap()
        .replacen(" 2 ", " 7 ", 1);
    fs::write(&counts, forged).unwrap();
    let reopened = index_at(dir.path());
    reopened
        .append(&[entry("A", "2026-01-01T00:00:02Z", "t/1/c.json")])
        .unwrap();
    assert_eq!(reopened.count().unwrap(), 8);
    reopened.repair(&[replayed(a, true)], false).unwrap();
    assert!(!counts.exists());
    assert_eq!(index_at(dir.path()).count().unwrap(), 3);
}

/// Whether a process waits in `flock` for the file with inode `ino` (Linux's `/proc/locks`
/// lists waiters with `->`).
#[cfg(target_os = "linux")]
fn someone_waits_for(ino: u64) -> bool {
    fs::read_to_string("/proc/locks").is_ok_and(|locks| {
        locks.lines().any(|l| {
            l.contains("->")
                && l.split_whitespace()
                    .any(|f| f.rsplit(':').next() == Some(ino.to_string().as_str()))
        })
    })
}

#[cfg(target_os = "linux")]
#[test]
fn a_rewrite_that_waited_for_the_lock_works_on_the_log_that_replaced_the_one_it_waited_for() {
    use std::os::unix::fs::MetadataExt;

    use crate::file::FileLock;

    let tmp = tempfile::tempdir().unwrap();
    let index = index_at(tmp.path());
    let log = index.dir.join("types").join("A.log");
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    fs::write(&log, "1.5 3 a/b/kept.json\n1.6 3 a/b/gone.json\n").unwrap();
    let held = fs::OpenOptions::new().append(true).open(&log).unwrap();
    held.acquire().unwrap();
    let waited_for = held.metadata().unwrap().ino();
    let drop: std::collections::HashSet<&str> = ["a/b/gone.json"].into();
    std::thread::scope(|s| {
        let rewrite = s.spawn(|| index.rewrite(&log, &drop, b"", false));
        while !someone_waits_for(waited_for) {
            assert!(
                !rewrite.is_finished(),
                "the rewrite did not wait for the lock"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // What another rewrite does while holding the lock: a new log, with a line
        // appended to it since, renamed over the one locked.
        let next = log.with_extension("next");
        fs::write(
            &next,
            "1.5 3 a/b/kept.json\n1.6 3 a/b/gone.json\n1.7 3 a/b/appended.json\n",
        )
        .unwrap();
        fs::rename(&next, &log).unwrap();
        held.release().unwrap();
        rewrite.join().unwrap().unwrap();
    });
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "1.5 3 a/b/kept.json\n1.7 3 a/b/appended.json\n"
    );
}
