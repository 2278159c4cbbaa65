//! The command-line tool, each command run as a real process on a real store: what it
//! prints (tables and `--json`), its exit codes, and what it changes on disk.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use bytehot_eventstore::{BACKUP_MANIFEST, Config, EventStore};
use common::*;
use predicates::str::contains;
use serde_json::Value;

/// The tool run in `dir` on the store `store`, with no configuration from the test's
/// own environment.
fn tool(dir: &Path, store: &Path) -> Command {
    let mut cmd = assert_cmd::cargo_bin_cmd!("bytehot-eventstore");
    cmd.current_dir(dir).arg("--store").arg(store);
    for (var, _) in std::env::vars() {
        if var.starts_with("BYTEHOT_EVENTSTORE_") {
            cmd.env_remove(var);
        }
    }
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A store of two aggregate types: `user/u1` (3 events, the second of user ada in
/// correlation c1) and `session/s1`, `session/s2` (2 events each).
fn sample(t: &TempStore) {
    let store = t.open();
    for n in 1..=3 {
        let mut m = meta("user", "u1", &format!("u1-{n}"));
        if n == 2 {
            m.user_id = Some("ada".into());
            m.correlation_id = Some("c1".into());
        }
        m.timestamp = Some(at(&format!("2026-01-0{n}T10:00:00Z")));
        let kind = if n == 1 { "UserCreated" } else { "UserRenamed" };
        store.append(ev_with(m, kind, r#"{"n":1}"#)).unwrap();
    }
    for s in ["s1", "s2"] {
        for n in 1..=2 {
            let mut m = meta("session", s, &format!("{s}-{n}"));
            m.timestamp = Some(at(&format!("2026-02-0{n}T10:00:00Z")));
            store.append(ev_with(m, "SessionEvent", "{}")).unwrap();
        }
    }
    store.close().unwrap();
}

#[test]
fn stats_counts_events_aggregates_and_bytes_per_type() {
    let t = TempStore::new();
    sample(&t);
    let table = stdout(tool(t.tmp.path(), &t.base).arg("stats"));
    assert!(table.contains("events      7"), "{table}");
    assert!(table.contains("aggregates  3"), "{table}");
    let json: Value = serde_json::from_str(&stdout(
        tool(t.tmp.path(), &t.base).args(["stats", "--json"]),
    ))
    .unwrap();
    assert_eq!(json["statistics"]["totalEvents"], 7);
    assert_eq!(
        json["statistics"]["aggregateTypes"]["session"]["aggregates"],
        2
    );
}

#[test]
fn ls_lists_types_then_a_types_aggregates_with_their_versions() {
    let t = TempStore::new();
    sample(&t);
    assert_eq!(
        stdout(tool(t.tmp.path(), &t.base).arg("ls")),
        "session\nuser\n"
    );
    let json: Value = serde_json::from_str(&stdout(
        tool(t.tmp.path(), &t.base).args(["ls", "session", "--json"]),
    ))
    .unwrap();
    assert_eq!(
        json["aggregates"],
        serde_json::json!([
            { "aggregateId": "s1", "version": 2 },
            { "aggregateId": "s2", "version": 2 }
        ])
    );
}

#[test]
fn show_prints_an_aggregates_events_after_a_version_and_names_a_missing_one() {
    let t = TempStore::new();
    sample(&t);
    let events = json_lines(&stdout(
        tool(t.tmp.path(), &t.base).args(["show", "user", "u1", "--since", "1", "--json"]),
    ));
    let versions: Vec<u64> = events
        .iter()
        .map(|e| e["eventMetadata"]["aggregateVersion"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [2, 3]);
    let table = stdout(tool(t.tmp.path(), &t.base).args(["show", "user", "u1", "--data"]));
    assert!(table.contains("u1-3\n{\n  \"n\": 1\n}"), "{table}");
    tool(t.tmp.path(), &t.base)
        .args(["show", "user", "nobody"])
        .assert()
        .code(5)
        .stderr(contains("no aggregate user/nobody"));
}

#[test]
fn query_selects_by_type_time_correlation_and_user_up_to_a_limit() {
    let t = TempStore::new();
    sample(&t);
    let ids = |args: &[&str]| -> Vec<String> {
        let mut cmd = tool(t.tmp.path(), &t.base);
        cmd.arg("query").args(args).arg("--json");
        json_lines(&stdout(&mut cmd))
            .iter()
            .map(|e| e["eventMetadata"]["eventId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&["--type", "UserRenamed"]), ["u1-2", "u1-3"]);
    assert_eq!(
        ids(&[
            "--from",
            "2026-01-02T00:00:00Z",
            "--to",
            "2026-02-01T12:00:00Z"
        ]),
        ["u1-2", "u1-3", "s1-1", "s2-1"]
    );
    assert_eq!(ids(&["--correlation-id", "c1"]), ["u1-2"]);
    assert_eq!(
        ids(&["--user-id", "ada", "--type", "UserRenamed"]),
        ["u1-2"]
    );
    assert_eq!(ids(&["--limit", "2"]).len(), 2);
    tool(t.tmp.path(), &t.base)
        .args(["query", "--from", "yesterday"])
        .assert()
        .code(5)
        .stderr(contains("not an ISO-8601 instant"));
}

#[test]
fn tail_prints_the_latest_events_and_follows_saves_of_another_process() {
    let t = TempStore::new();
    let store = t.open();
    for n in 0..5 {
        store.append(ev("agg", "a", &format!("old-{n}"))).unwrap();
    }
    let latest = json_lines(&stdout(
        tool(t.tmp.path(), &t.base).args(["tail", "-n", "2", "--json"]),
    ));
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[1]["eventMetadata"]["eventId"], "old-4");

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("bytehot-eventstore"))
        .arg("--store")
        .arg(&t.base)
        .args(["tail", "-n", "0", "-f", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (send, lines) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            if send.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // This test process is the other writer the follower must see.
    std::thread::sleep(Duration::from_millis(200));
    for n in 0..3 {
        store.append(ev("agg", "b", &format!("new-{n}"))).unwrap();
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 3 && Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            let e: Value = serde_json::from_str(&line).unwrap();
            seen.push(e["eventMetadata"]["eventId"].as_str().unwrap().to_string());
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(seen, ["new-0", "new-1", "new-2"]);
}

#[test]
fn verify_exits_1_naming_a_damaged_file_and_repair_rebuilds_a_lost_index() {
    let t = TempStore::new();
    sample(&t);
    tool(t.tmp.path(), &t.base)
        .arg("verify")
        .assert()
        .success()
        .stdout("no problems found\n");
    std::fs::remove_dir_all(t.base.join(".index")).unwrap();
    std::fs::create_dir(t.base.join(".index")).unwrap();
    tool(t.tmp.path(), &t.base)
        .args(["verify", "--repair"])
        .assert()
        .success();
    assert_eq!(t.open().total_event_count().unwrap(), 7);

    let dir = t.base.join("user").join("u1");
    let victim = dir.join(&event_file_names(&dir)[1]);
    std::fs::write(&victim, b"{ not json").unwrap();
    let out = tool(t.tmp.path(), &t.base)
        .args(["verify", "--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let problems: Value = serde_json::from_slice(&out).unwrap();
    let listed = problems["problems"].to_string();
    assert!(
        listed.contains(&victim.file_name().unwrap().to_string_lossy().to_string()),
        "{listed}"
    );
}

#[test]
fn rebuild_index_recreates_the_index_and_is_refused_while_another_store_is_open() {
    let t = TempStore::new();
    sample(&t);
    std::fs::remove_dir_all(t.base.join(".index").join("types")).unwrap();
    let out = stdout(tool(t.tmp.path(), &t.base).arg("rebuild-index"));
    assert_eq!(out, "index rebuilt: 7 events\n");
    let store = t.open();
    assert_eq!(store.read_by_type("UserRenamed").unwrap().len(), 2);
    tool(t.tmp.path(), &t.base)
        .arg("rebuild-index")
        .assert()
        .code(4)
        .stderr(contains("close them, then rebuild the index"));
    store.close().unwrap();
}

#[test]
fn compact_reads_max_events_per_file_from_the_working_directorys_yaml() {
    let t = TempStore::new();
    let store = t.open();
    for n in 0..12 {
        store.append(ev("agg", "a", &format!("e{n}"))).unwrap();
    }
    store.close().unwrap();
    std::fs::write(
        t.tmp.path().join("application.yml"),
        "spring:\n  name: x\nbytehot:\n  eventstore:\n    max-events-per-file: 5\n",
    )
    .unwrap();
    let out = stdout(tool(t.tmp.path(), &t.base).args(["compact", "--json"]));
    let done: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(done["filesMerged"], 12);
    assert_eq!(done["segmentsWritten"], 3);
    let store = t.open();
    assert_eq!(store.read_aggregate("agg", "a", 0).unwrap().len(), 12);
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn a_bad_configuration_or_a_missing_store_exits_3_naming_it() {
    let t = TempStore::new();
    sample(&t);
    std::fs::write(
        t.tmp.path().join("bytehot.yml"),
        "bytehot.eventstore:\n  colour: red\n",
    )
    .unwrap();
    tool(t.tmp.path(), &t.base)
        .arg("stats")
        .assert()
        .code(3)
        .stderr(contains("unknown setting colour"));
    std::fs::remove_file(t.tmp.path().join("bytehot.yml")).unwrap();
    tool(t.tmp.path(), &t.tmp.path().join("typo"))
        .arg("stats")
        .assert()
        .code(3)
        .stderr(contains("is not a store"));
    assert!(!t.tmp.path().join("typo").exists());
}

#[test]
fn export_then_import_copies_a_store_and_a_second_import_changes_nothing() {
    let t = TempStore::new();
    sample(&t);
    let file = t.tmp.path().join("all.jsonl");
    tool(t.tmp.path(), &t.base)
        .args(["export", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 7);
    let copy = t.tmp.path().join("copy");
    let out = stdout(tool(t.tmp.path(), &copy).arg("import").arg(&file));
    assert!(out.contains("7 events imported"), "{out}");
    let out = stdout(tool(t.tmp.path(), &copy).arg("import").arg(&file));
    assert!(
        out.contains("0 events imported") && out.contains("7 already stored"),
        "{out}"
    );
    let original = t.open();
    let copied = EventStore::open(Config::new(&copy)).unwrap();
    for (ty, id) in [("user", "u1"), ("session", "s1"), ("session", "s2")] {
        let a = original.read_aggregate(ty, id, 0).unwrap();
        let b = copied.read_aggregate(ty, id, 0).unwrap();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_same_event(x, y);
        }
    }
}

#[test]
fn an_import_conflicting_with_stored_versions_is_refused_unless_renumbered() {
    let t = TempStore::new();
    sample(&t);
    let file = t.tmp.path().join("user.jsonl");
    tool(t.tmp.path(), &t.base)
        .args(["export", "--aggregate-type", "user", "-o"])
        .arg(&file)
        .assert()
        .success();
    // Another store whose u1 already has a different first event.
    let other = t.tmp.path().join("other");
    let store = EventStore::open(Config::new(&other)).unwrap();
    store.append(ev("user", "u1", "someone-else")).unwrap();
    store.close().unwrap();
    tool(t.tmp.path(), &other)
        .arg("import")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(contains("refused: renumbering appends it as version 2"));
    // u1-2 and u1-3 follow u1-1, which was refused: they are refused too.
    let store = EventStore::open(Config::new(&other)).unwrap();
    assert_eq!(store.current_version("user", "u1").unwrap(), 1);
    store.close().unwrap();
    let out = stdout(
        tool(t.tmp.path(), &other)
            .args(["import", "--renumber"])
            .arg(&file),
    );
    assert!(out.contains("3 events imported (3 renumbered)"), "{out}");
    let store = EventStore::open(Config::new(&other)).unwrap();
    let events = store.read_aggregate("user", "u1", 0).unwrap();
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e.metadata.event_id.as_str())
        .collect();
    assert_eq!(ids, ["someone-else", "u1-1", "u1-2", "u1-3"]);
}

#[test]
fn backup_and_restore_round_trip_refusing_damaged_incomplete_and_occupied_targets() {
    let t = TempStore::new();
    sample(&t);
    let root = t.tmp.path();
    tool(root, &t.base)
        .arg("backup")
        .arg(root.join("b1"))
        .assert()
        .success();
    // Inside the store: refused, nothing written there.
    tool(root, &t.base)
        .arg("backup")
        .arg(t.base.join("b"))
        .assert()
        .code(4);
    assert!(!t.base.join("b").exists());
    let store = t.open();
    store.append(ev("user", "u1", "u1-4")).unwrap();
    store.close().unwrap();
    let out = stdout(
        tool(root, &t.base)
            .args(["backup", "--json", "--link-dest"])
            .arg(root.join("b1"))
            .arg(root.join("b2")),
    );
    let done: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(done["events"], 8);
    assert_eq!(done["linked"], 7);

    let restored = root.join("restored");
    tool(root, &t.base)
        .arg("restore")
        .arg(root.join("b2"))
        .arg(&restored)
        .assert()
        .success();
    let store = EventStore::open(Config::new(&restored)).unwrap();
    assert_eq!(store.current_version("user", "u1").unwrap(), 4);
    assert!(store.verify().unwrap().is_empty());
    store.close().unwrap();

    // An occupied target is kept unless --force.
    tool(root, &t.base)
        .arg("restore")
        .arg(root.join("b1"))
        .arg(&restored)
        .assert()
        .code(4)
        .stderr(contains("--force"));
    tool(root, &t.base)
        .args(["restore", "--force"])
        .arg(root.join("b1"))
        .arg(&restored)
        .assert()
        .success();
    let store = EventStore::open(Config::new(&restored)).unwrap();
    assert_eq!(store.current_version("user", "u1").unwrap(), 3);
    store.close().unwrap();

    // A damaged file and a backup without its manifest are refused; nothing is created.
    let dir = root.join("b2").join("user").join("u1");
    let file = dir.join(&event_file_names(&dir)[0]);
    std::fs::remove_file(&file).unwrap(); // a hard link: the other backup keeps its copy
    std::fs::write(&file, b"{}").unwrap();
    tool(root, &t.base)
        .arg("restore")
        .arg(root.join("b2"))
        .arg(root.join("r2"))
        .assert()
        .code(5)
        .stderr(contains("differs from the backup's manifest"));
    std::fs::remove_file(root.join("b1").join(BACKUP_MANIFEST)).unwrap();
    tool(root, &t.base)
        .arg("restore")
        .arg(root.join("b1"))
        .arg(root.join("r2"))
        .assert()
        .code(5)
        .stderr(contains("not a complete backup"));
    assert!(!root.join("r2").exists());
}

/// An event stamped `days` before now.
fn aged_event(id: &str, event_id: &str, days: i64) -> bytehot_eventstore::Event {
    let mut m = meta("user", id, event_id);
    m.timestamp = Some(chrono::Utc::now() - chrono::Duration::days(days));
    ev_with(m, "Aged", "{}")
}

#[test]
fn cleanup_removes_old_events_as_configured_after_a_dry_run_that_changes_nothing() {
    let t = TempStore::new();
    let store = t.open();
    for (n, days) in [400, 300, 200, 1].iter().enumerate() {
        store
            .append(aged_event("u", &format!("e{n}"), *days))
            .unwrap();
    }
    store.close().unwrap();
    // Without a retention setting there is nothing to apply: said, not guessed.
    tool(t.tmp.path(), &t.base)
        .arg("cleanup")
        .assert()
        .code(3)
        .stderr(contains("no retention is configured"));
    // The application's YAML sets it; inspecting the store does not apply it.
    std::fs::write(
        t.tmp.path().join("bytehot.yml"),
        "bytehot:\n  eventstore:\n    cleanup:\n      max-age-days: 250\n",
    )
    .unwrap();
    stdout(tool(t.tmp.path(), &t.base).arg("stats"));
    assert_eq!(t.open().read_aggregate("user", "u", 0).unwrap().len(), 4);
    let dry: Value = serde_json::from_str(&stdout(tool(t.tmp.path(), &t.base).args([
        "cleanup",
        "--dry-run",
        "--json",
    ])))
    .unwrap();
    assert_eq!(dry["eventsRemoved"], 2);
    assert_eq!(t.open().read_aggregate("user", "u", 0).unwrap().len(), 4);
    let out = stdout(tool(t.tmp.path(), &t.base).arg("cleanup"));
    assert!(out.starts_with("removed 2 events"), "{out}");
    // An explicit limit wins over the file's.
    let out = stdout(tool(t.tmp.path(), &t.base).args(["cleanup", "--max-age-days", "100"]));
    assert!(out.starts_with("removed 1 events"), "{out}");
    let store = t.open();
    let kept: Vec<u64> = store
        .read_aggregate("user", "u", 0)
        .unwrap()
        .iter()
        .map(|e| e.metadata.aggregate_version)
        .collect();
    assert_eq!(kept, [4]);
    assert!(store.verify().unwrap().is_empty());
    let log = std::fs::read_to_string(t.base.join("metadata").join("cleanup.log")).unwrap();
    assert_eq!(log.lines().count(), 2);
}

#[test]
fn migrate_rewrites_files_byte_hots_adapter_numbered_by_session() {
    let t = TempStore::new();
    let dir = t.base.join("filewatch").join("Foo.class");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, name) in ["20250617120000000", "20250617120100000"]
        .iter()
        .enumerate()
    {
        let mut m = meta("filewatch", "Foo.class", &format!("s{n}"));
        m.aggregate_version = 1; // ByteHot's forNewSession: version 1 in every session
        let event = ev_with(m, "ClassFileChanged", r#"{"className":"Foo"}"#);
        let printed = String::from_utf8(event.to_file_json()).unwrap();
        // Jackson's `"key" : value`, as ByteHot's adapter printed it.
        std::fs::write(
            dir.join(format!("{name}-ClassFileChanged.json")),
            printed.replace("\": ", "\" : "),
        )
        .unwrap();
    }
    tool(t.tmp.path(), &t.base)
        .arg("verify")
        .assert()
        .code(1)
        .stdout(contains("legacy anomaly"));
    let out = stdout(tool(t.tmp.path(), &t.base).args(["migrate", "--json"]));
    let done: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(done["filesRewritten"], 1);
    tool(t.tmp.path(), &t.base)
        .arg("verify")
        .assert()
        .success()
        .stdout("no problems found\n");
}

#[test]
fn migrate_status_counts_events_per_schema_version_and_lists_recorded_migrations() {
    let t = TempStore::new();
    let store = t.open();
    for i in 0..3 {
        store
            .append(ev_with(
                meta("user", "u1", &format!("e{i}")),
                "UserRenamed",
                r#"{"name":"Ada"}"#,
            ))
            .unwrap();
    }
    let stored = store.read_aggregate("user", "u1", 0).unwrap();
    let mut newer = stored[0].clone();
    newer.metadata.schema_version = 2;
    store.rewrite_schemas(vec![newer]).unwrap();
    store
        .record_schema_migration(
            std::collections::BTreeMap::from([("UserRenamed".to_string(), 2)]),
            3,
            1,
            Some("/backups/b1".into()),
        )
        .unwrap();
    store.close().unwrap();

    let out = stdout(tool(t.tmp.path(), &t.base).args(["migrate", "--status", "--json"]));
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        status["stored"],
        serde_json::json!([
            {"eventType": "UserRenamed", "schemaVersion": 1, "events": 2},
            {"eventType": "UserRenamed", "schemaVersion": 2, "events": 1},
        ])
    );
    assert_eq!(status["migrations"][0]["eventsRewritten"], 1);
    assert_eq!(status["migrations"][0]["backup"], "/backups/b1");
    tool(t.tmp.path(), &t.base)
        .args(["migrate", "--status"])
        .assert()
        .success()
        .stdout(contains(
            "1 of 3 events rewritten (UserRenamed -> 2), backup /backups/b1",
        ));
}

#[test]
fn migrate_schemas_needs_the_classpath_a_setup_class_and_a_backup() {
    let t = TempStore::new();
    t.open().close().unwrap();
    tool(t.tmp.path(), &t.base)
        .args(["migrate", "--schemas", "--classpath", "app.jar"])
        .assert()
        .code(2)
        .stderr(contains("--setup"))
        .stderr(contains("--backup"));
}

/// A new bare repository `team.git` in `dir`; `None` where git is not installed.
fn bare_remote(dir: &Path) -> Option<std::path::PathBuf> {
    let remote = dir.join("team.git");
    let init = std::process::Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(&remote)
        .status()
        .ok()?;
    assert!(init.success());
    Some(remote)
}

#[test]
fn sync_pushes_to_a_git_repository_and_another_store_is_read_with_store() {
    let t = TempStore::new();
    let Some(remote) = bare_remote(t.tmp.path()) else {
        return;
    };
    let store = t.open();
    store
        .append(ev_with(meta("cart", "c1", "e1"), "ItemAdded", "{}"))
        .unwrap();
    store.close().unwrap();
    let out = stdout(tool(t.tmp.path(), &t.base).args([
        "sync",
        remote.to_str().unwrap(),
        "--name",
        "laptop",
        "--json",
    ]));
    let done: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(done["pushed"], true);
    let other = t.tmp.path().join("other");
    EventStore::open(Config::new(&other))
        .unwrap()
        .close()
        .unwrap();
    tool(t.tmp.path(), &other)
        .args(["sync", remote.to_str().unwrap(), "--name", "ci"])
        .assert()
        .success()
        .stdout(contains("other stores: laptop"));
    tool(t.tmp.path(), &other.join(".git-sync/stores/laptop"))
        .args(["show", "cart", "c1"])
        .assert()
        .success()
        .stdout(contains("e1"));
}

#[test]
fn restore_removed_brings_back_from_the_sync_history_what_a_cleanup_removed() {
    let t = TempStore::new();
    let Some(remote) = bare_remote(t.tmp.path()) else {
        return;
    };
    let store = t.open();
    let mut old = meta("cart", "c1", "old-e1");
    old.timestamp = Some(chrono::Utc::now() - chrono::Duration::days(400));
    store.append(ev_with(old, "ItemAdded", "{}")).unwrap();
    store
        .append(ev_with(meta("cart", "c1", "e2"), "ItemAdded", "{}"))
        .unwrap();
    store.sync(remote.to_str().unwrap(), "laptop").unwrap();
    store.cleanup_with(Some(30), None, false).unwrap();
    store.close().unwrap();
    tool(t.tmp.path(), &t.base)
        .args(["restore-removed", "--name", "laptop"])
        .assert()
        .success()
        .stdout(contains("1 events (1 files) of 1 aggregates"));
    tool(t.tmp.path(), &t.base)
        .args(["show", "cart", "c1"])
        .assert()
        .success()
        .stdout(contains("old-e1"));
}

#[test]
fn encryption_commands_make_a_key_encrypt_forget_and_decrypt_a_store() {
    let t = TempStore::new();
    let store = t.open();
    for (id, n) in [("c1", 1), ("c2", 2)] {
        store
            .append(ev_with(
                meta("cart", id, &format!("e{n}")),
                "ItemAdded",
                r#"{"item":"secret-marker-93"}"#,
            ))
            .unwrap();
    }
    store.close().unwrap();
    let key = t.tmp.path().join("master.key");
    tool(t.tmp.path(), &t.base)
        .args(["encryption", "keygen"])
        .arg(&key)
        .assert()
        .success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let holding = |needle: &str| {
        walk(&t.base)
            .iter()
            .filter(|rel| {
                std::fs::read(t.base.join(rel))
                    .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            })
            .count()
    };
    assert_eq!(holding("secret-marker-93"), 2);
    let with_key = |args: &[&str]| {
        let mut cmd = tool(t.tmp.path(), &t.base);
        cmd.env("BYTEHOT_EVENTSTORE_ENCRYPTION_KEY_FILE", &key)
            .args(args);
        cmd
    };
    with_key(&["encryption", "encrypt"])
        .assert()
        .success()
        .stdout(contains("2 events encrypted"));
    assert_eq!(holding("secret-marker-93"), 0);
    // Without the key the store does not open; with it, the data reads.
    tool(t.tmp.path(), &t.base)
        .args(["show", "cart", "c1"])
        .assert()
        .failure();
    with_key(&["show", "cart", "c1", "--data"])
        .assert()
        .success()
        .stdout(contains("secret-marker-93"));
    with_key(&["encryption", "forget", "cart", "c2"])
        .assert()
        .success();
    with_key(&["encryption", "decrypt"]).assert().success();
    // c1 back in plaintext; c2's data stays gone.
    assert_eq!(holding("secret-marker-93"), 1);
    tool(t.tmp.path(), &t.base)
        .args(["show", "cart", "c2", "--data"])
        .assert()
        .success()
        .stdout(contains("$bytehot.forgotten"));
}
