//! Sharing stores through Git, with real `git` and local bare repositories (no network):
//! two and three stores appending to the same and to different aggregates, syncing in
//! every order, ending with the same events everywhere, each store's copies verified; a
//! sync killed at random points (a real child process, SIGKILL) leaving the store
//! unchanged, the repository sound (`git fsck`) and the next sync finishing; derived state
//! never in Git; what a cleanup removed not brought back.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytehot_eventstore::{Config, Durability, Event, EventStore};

use common::{Rng, ev_with, kill_child_after, meta, trials};

const CHILD_DIR: &str = "EVENTSTORE_TEST_SYNC_DIR";
const CHILD_REMOTE: &str = "EVENTSTORE_TEST_SYNC_REMOTE";

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn bare_repository(dir: &Path) -> String {
    let path = dir.join("shared.git");
    let out = Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    path.to_string_lossy().to_string()
}

fn open(base: &Path) -> EventStore {
    EventStore::open(Config::new(base).durability(Durability::None)).unwrap()
}

fn event(aggregate: &str, id: &str) -> Event {
    ev_with(
        meta("cart", aggregate, id),
        "ItemAdded",
        &format!("{{\"item\":\"{id}\"}}"),
    )
}

/// Every event a store sees, its own and the other stores', by (store, aggregate): event ids
/// in version order.
fn everything(store: &EventStore, name: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out = BTreeMap::new();
    let mut add = |owner: &str, s: &EventStore| {
        for id in s.aggregate_ids("cart").unwrap_or_default() {
            let events = s.read_aggregate("cart", &id, 0).unwrap();
            for (i, e) in events.iter().enumerate() {
                assert_eq!(e.metadata.aggregate_version, i as u64 + 1, "{owner}/{id}");
            }
            out.insert(
                (owner.to_string(), id),
                events.into_iter().map(|e| e.metadata.event_id).collect(),
            );
        }
    };
    add(name, store);
    for other in store.other_stores(name).unwrap() {
        let copy = store.open_other_store(&other).unwrap();
        assert_eq!(
            copy.verify().unwrap(),
            Vec::<String>::new(),
            "{name} sees {other}"
        );
        add(&other, &copy);
    }
    out
}

#[test]
fn three_stores_appending_to_the_same_and_other_aggregates_end_identical_in_all_six_orders() {
    if !git_available() {
        println!("skipped: git is not installed");
        return;
    }
    let orders: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let tmp = tempfile::tempdir().unwrap();
        let remote = bare_repository(tmp.path());
        let names = ["laptop", "ci-runner", "desktop"];
        let bases: Vec<PathBuf> = names.iter().map(|n| tmp.path().join(n)).collect();
        let stores: Vec<EventStore> = bases.iter().map(|b| open(b)).collect();
        for round in 0..3 {
            for &i in &order {
                // Every store appends to the shared aggregate "c1" and to one of its own.
                stores[i]
                    .append(event("c1", &format!("{}-{round}", names[i])))
                    .unwrap();
                stores[i]
                    .append(event(
                        &format!("own-{}", names[i]),
                        &format!("o-{}-{round}", names[i]),
                    ))
                    .unwrap();
                let report = stores[i].sync(&remote, names[i]).unwrap();
                assert!(
                    report.pushed,
                    "{order:?} round {round}: {} pushed nothing",
                    names[i]
                );
            }
        }
        // One more pass so that everyone has everyone's last push.
        for &i in &order {
            assert!(!stores[i].sync(&remote, names[i]).unwrap().pushed);
        }
        let views: Vec<_> = stores
            .iter()
            .zip(names)
            .map(|(s, n)| everything(s, n))
            .collect();
        assert_eq!(views[0].len(), 6, "{order:?}: {:?}", views[0].keys());
        assert!(views.iter().all(|v| *v == views[0]), "{order:?}");
        // The shared aggregate: three histories of three events, none lost or merged.
        for n in names {
            assert_eq!(views[0][&(n.to_string(), "c1".to_string())].len(), 3);
        }
        for (store, base) in stores.iter().zip(&bases) {
            assert_eq!(store.verify().unwrap(), Vec::<String>::new());
            // Derived state never entered Git.
            let tracked = Command::new("git")
                .arg("-C")
                .arg(base.join(".git-sync"))
                .args(["ls-files"])
                .output()
                .unwrap();
            let tracked = String::from_utf8_lossy(&tracked.stdout).to_string();
            for derived in [".index/", ".journal/", ".stream/", "metadata/", "/.ids"] {
                assert!(!tracked.contains(derived), "{derived} in Git:\n{tracked}");
            }
        }
    }
}

#[test]
fn what_a_cleanup_removed_leaves_the_repository_and_is_not_brought_back() {
    let Some((tmp, remote, base)) = rig() else {
        return;
    };
    let store = open(&base);
    let mut old = meta("cart", "c1", "old");
    old.timestamp = Some(chrono::Utc::now() - chrono::Duration::days(400));
    store.append(ev_with(old, "ItemAdded", "{}")).unwrap();
    store.append(event("c1", "new")).unwrap();
    store.sync(&remote, "a").unwrap();
    store.cleanup_with(Some(30), None, false).unwrap();
    assert!(store.sync(&remote, "a").unwrap().pushed);
    let ids: Vec<String> = store
        .read_aggregate("cart", "c1", 0)
        .unwrap()
        .into_iter()
        .map(|e| e.metadata.event_id)
        .collect();
    assert_eq!(ids, ["new"]);
    // Another store sees the truncated history, with its versions.
    let other = open(&tmp.path().join("b"));
    other.sync(&remote, "b").unwrap();
    let copy = other.open_other_store("a").unwrap();
    let seen = copy.read_aggregate("cart", "c1", 0).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].metadata.aggregate_version, 2);
}

/// The syncing role, in a child process: sync, then wait to be killed.
#[test]
fn sync_child() {
    let (Ok(dir), Ok(remote)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_REMOTE)) else {
        return;
    };
    let store = open(Path::new(&dir));
    println!("syncing");
    store.sync(&remote, "killed").unwrap();
    println!("done");
    std::thread::sleep(Duration::from_secs(3600));
}

#[test]
fn a_sync_killed_at_random_points_leaves_store_and_repository_sound_and_the_next_finishes() {
    if std::env::var(CHILD_DIR).is_ok() || !git_available() {
        return;
    }
    let trials = trials("EVENTSTORE_SYNC_KILL_TRIALS", 5);
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    for trial in 0..trials {
        let tmp = tempfile::tempdir().unwrap();
        let remote = bare_repository(tmp.path());
        let base = tmp.path().join("killed");
        let store = open(&base);
        for n in 0..200 {
            store
                .append(event(&format!("c{}", n % 20), &format!("e{n}")))
                .unwrap();
        }
        // Every other trial kills a sync that follows one pushed: it starts from the
        // clone's record of what it pushed.
        let expected = if trial % 2 == 1 {
            store.sync(&remote, "killed").unwrap();
            for n in 200..250 {
                store
                    .append(event(&format!("c{}", n % 30), &format!("e{n}")))
                    .unwrap();
            }
            250
        } else {
            200
        };
        store.close().unwrap();
        kill_child_after(
            "sync_child",
            &[
                (CHILD_DIR, base.to_string_lossy().to_string()),
                (CHILD_REMOTE, remote.clone()),
            ],
            "syncing",
            Duration::from_millis(rng.below(400)),
        );

        let label = format!("trial {trial}");
        let fsck = Command::new("git")
            .args(["--git-dir", &remote, "fsck", "--no-progress"])
            .output()
            .unwrap();
        assert!(
            fsck.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&fsck.stderr)
        );
        let store = open(&base);
        assert_eq!(store.verify().unwrap(), Vec::<String>::new(), "{label}");
        store.sync(&remote, "killed").unwrap();
        let reader = open(&tmp.path().join("reader"));
        reader.sync(&remote, "reader").unwrap();
        let copy = reader.open_other_store("killed").unwrap();
        let mut total = 0;
        for id in copy.aggregate_ids("cart").unwrap() {
            total += copy.read_aggregate("cart", &id, 0).unwrap().len();
        }
        assert_eq!(total, expected, "{label}");
    }
}

#[test]
fn two_stores_on_one_aggregate_keep_both_histories_whoever_syncs_first() {
    if !git_available() {
        return;
    }
    for first in [0, 1] {
        let tmp = tempfile::tempdir().unwrap();
        let remote = bare_repository(tmp.path());
        let names = ["a", "b"];
        let stores: Vec<EventStore> = names.iter().map(|n| open(&tmp.path().join(n))).collect();
        for (i, store) in stores.iter().enumerate() {
            for k in 0..3 {
                store
                    .append(event("c1", &format!("{}-{k}", names[i])))
                    .unwrap();
            }
        }
        let second = 1 - first;
        stores[first].sync(&remote, names[first]).unwrap();
        stores[second].sync(&remote, names[second]).unwrap();
        stores[first].sync(&remote, names[first]).unwrap();
        let a = everything(&stores[0], "a");
        let b = everything(&stores[1], "b");
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert!(a.values().all(|ids| ids.len() == 3));
    }
}

#[test]
fn a_store_reads_the_stores_of_several_repositories_each_event_telling_where_it_came_from() {
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let team1 = bare_repository(&tmp.path().join("1"));
    let team2 = bare_repository(&tmp.path().join("2"));
    let x = open(&tmp.path().join("x"));
    x.append(event("c1", "from-x")).unwrap();
    x.sync(&team1, "x").unwrap();
    let y = open(&tmp.path().join("y"));
    y.append(event("c1", "from-y")).unwrap();
    y.sync(&team2, "y").unwrap();

    let z = open(&tmp.path().join("z"));
    z.append(event("c2", "from-z")).unwrap();
    z.sync(&team1, "z").unwrap();
    assert_eq!(z.pull(&team2, "team2").unwrap(), ["team2/y"]);
    assert_eq!(z.other_stores("z").unwrap(), ["x", "team2/y"]);
    let by_store = z
        .across_stores("z", |s| {
            Ok(s.read_by_type("ItemAdded")?
                .into_iter()
                .map(|e| e.metadata.event_id)
                .collect::<Vec<_>>())
        })
        .unwrap();
    assert_eq!(
        by_store,
        [
            ("z".to_string(), vec!["from-z".to_string()]),
            ("x".to_string(), vec!["from-x".to_string()]),
            ("team2/y".to_string(), vec!["from-y".to_string()]),
        ]
    );
    // Reading a repository pushes nothing to it.
    let log = Command::new("git")
        .args(["--git-dir", &team2, "log", "--format=%s", "main"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&log.stdout).contains(": z at"));
}

#[test]
fn a_copy_opened_again_after_a_sync_sees_the_other_stores_new_events_by_type() {
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repository(tmp.path());
    let a = open(&tmp.path().join("a"));
    let b = open(&tmp.path().join("b"));
    a.append(event("c1", "a-1")).unwrap();
    a.sync(&remote, "a").unwrap();
    b.sync(&remote, "b").unwrap();
    let copy = b.open_other_store("a").unwrap();
    assert_eq!(copy.read_by_type("ItemAdded").unwrap().len(), 1);
    copy.close().unwrap();
    a.append(event("c1", "a-2")).unwrap();
    a.append(event("c9", "a-3")).unwrap();
    a.sync(&remote, "a").unwrap();
    b.sync(&remote, "b").unwrap();
    let copy = b.open_other_store("a").unwrap();
    assert_eq!(copy.read_by_type("ItemAdded").unwrap().len(), 3);
    assert_eq!(copy.total_event_count().unwrap(), 3);
    assert_eq!(copy.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn an_encrypted_store_shares_only_ciphertext_and_a_team_sharing_its_key_reads_it() {
    if !git_available() {
        return;
    }
    use bytehot_eventstore::MasterKey;
    const SECRET: &str = "classified-path-4711";
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repository(tmp.path());
    let key = MasterKey::generate();
    let encrypted = |base: &Path, key: &MasterKey| {
        EventStore::open(
            Config::new(base)
                .durability(Durability::None)
                .encryption_key(key.clone()),
        )
        .unwrap()
    };
    let a = encrypted(&tmp.path().join("a"), &key);
    a.append(ev_with(
        meta("cart", "c1", "e1"),
        "ItemAdded",
        &format!("{{\"path\":\"{SECRET}\"}}"),
    ))
    .unwrap();
    a.sync(&remote, "a").unwrap();
    // Every version of every file the repository holds, as Git gives it back.
    let everything = Command::new("git")
        .args(["--git-dir", &remote, "log", "--all", "-p", "--binary"])
        .output()
        .unwrap();
    assert!(everything.status.success());
    let text = String::from_utf8_lossy(&everything.stdout);
    assert!(
        text.contains("$bytehot.encrypted"),
        "the events are in the repository"
    );
    assert!(!text.contains(SECRET), "plaintext left the machine");

    let teammate = encrypted(&tmp.path().join("b"), &key);
    teammate.sync(&remote, "b").unwrap();
    let copy = teammate.open_other_store("a").unwrap();
    assert!(
        copy.read_aggregate("cart", "c1", 0).unwrap()[0]
            .data
            .get()
            .contains(SECRET)
    );
    copy.close().unwrap();
    let stranger = encrypted(&tmp.path().join("c"), &MasterKey::generate());
    stranger.sync(&remote, "c").unwrap();
    // Another key: the data key does not unwrap, and the error says which key it needs.
    let read = stranger
        .open_other_store("a")
        .unwrap()
        .read_aggregate("cart", "c1", 0);
    match read {
        Err(bytehot_eventstore::Error::Config { reason, .. }) => {
            assert!(reason.contains(&key.id()), "{reason}")
        }
        other => panic!("expected the key named, got {other:?}"),
    }
}

#[test]
fn a_reader_of_the_other_stores_gets_each_of_their_events_once_across_syncs() {
    if !git_available() {
        return;
    }
    use bytehot_eventstore::{OtherStoresCursor, StreamFilter};
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repository(tmp.path());
    let a = open(&tmp.path().join("a"));
    let b = open(&tmp.path().join("b"));
    let ids = |events: &[(String, Event)]| -> Vec<String> {
        events
            .iter()
            .map(|(store, e)| format!("{store}:{}", e.metadata.event_id))
            .collect()
    };
    for n in 0..3 {
        a.append(event("c1", &format!("a{n}"))).unwrap();
    }
    a.sync(&remote, "a").unwrap();
    b.sync(&remote, "b").unwrap();
    let all = StreamFilter::default();
    let mut cursor = OtherStoresCursor::default();
    assert_eq!(
        ids(&b.poll_other_stores("b", &mut cursor, &all).unwrap()),
        ["a:a0", "a:a1", "a:a2"]
    );
    assert!(
        b.poll_other_stores("b", &mut cursor, &all)
            .unwrap()
            .is_empty()
    );

    // Kept where the consumer keeps its state, and taken up again after more syncs.
    let kept = serde_json::to_string(&cursor).unwrap();
    a.append(event("c1", "a3")).unwrap();
    a.append(event("c9", "a4")).unwrap();
    a.sync(&remote, "a").unwrap();
    b.sync(&remote, "b").unwrap();
    let mut cursor: OtherStoresCursor = serde_json::from_str(&kept).unwrap();
    assert_eq!(
        ids(&b.poll_other_stores("b", &mut cursor, &all).unwrap()),
        ["a:a3", "a:a4"]
    );
    assert!(
        b.poll_other_stores("b", &mut cursor, &all)
            .unwrap()
            .is_empty()
    );

    // A filter admits what it names; the cursor still moves past the rest.
    let mut fresh = OtherStoresCursor::default();
    let none = StreamFilter {
        event_types: vec!["SomethingElse".to_string()],
        ..StreamFilter::default()
    };
    assert!(
        b.poll_other_stores("b", &mut fresh, &none)
            .unwrap()
            .is_empty()
    );
    assert!(
        b.poll_other_stores("b", &mut fresh, &all)
            .unwrap()
            .is_empty()
    );
}

/// `git` in `dir`, as a teammate would run it by hand; its standard output.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The event files of the store at `base` (`<type>/<id>/<name>.json`), relative to it,
/// sorted.
fn event_files(base: &Path) -> Vec<PathBuf> {
    common::walk(base)
        .into_iter()
        .filter(|rel| {
            let first = rel
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy());
            rel.components().count() == 3
                && rel.extension().is_some_and(|e| e == "json")
                && first.is_some_and(|f| !f.starts_with('.') && f != "metadata")
        })
        .collect()
}

/// A plain clone of `remote` at `tmp/<dir>`, as a teammate makes it.
fn clone_at(tmp: &Path, remote: &str, dir: &str) -> PathBuf {
    git_in(tmp, &["clone", "--quiet", "--branch", "main", remote, dir]);
    tmp.join(dir)
}

/// A store `a` at `tmp/a` with two events (in aggregates `c1` and `second`), synced once
/// to a new bare repository: the remote, the store's base, the store.
fn store_synced_once(tmp: &Path, second: &str) -> (String, PathBuf, EventStore) {
    let remote = bare_repository(tmp);
    let base = tmp.join("a");
    let store = open(&base);
    store.append(event("c1", "e1")).unwrap();
    store.append(event(second, "e2")).unwrap();
    store.sync(&remote, "a").unwrap();
    (remote, base, store)
}

#[test]
fn a_sync_after_one_it_pushed_reads_only_the_files_changed_since() {
    use std::sync::Arc;

    use bytehot_eventstore::{Call, Fault, FaultyIo, SystemClock};

    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repository(tmp.path());
    let io = Arc::new(FaultyIo::new(0, Fault::Errno(5)));
    let config = Config::new(tmp.path().join("a")).durability(Durability::None);
    let store = EventStore::open_with(config, Arc::new(SystemClock), io.clone()).unwrap();
    for n in 0..40 {
        store
            .append(event(&format!("c{}", n % 4), &format!("e{n}")))
            .unwrap();
    }
    let reads = || io.calls().iter().filter(|c| **c == Call::Read).count();
    // A file changed within seconds of a sync is read again by the next one (its times
    // may not show a change within the file system's clock tick): these are older.
    std::thread::sleep(Duration::from_millis(3500));
    let before = reads();
    store.sync(&remote, "a").unwrap();
    assert!(reads() - before >= 40, "the first sync reads every file");

    store.append(event("c1", "e40")).unwrap();
    store.append(event("c9", "e41")).unwrap();
    let before = reads();
    assert_eq!(store.sync(&remote, "a").unwrap().files_changed, 2);
    assert_eq!(reads() - before, 2, "only the two new files are read");

    // What the repository holds is what the store holds, file by file.
    let check = clone_at(tmp.path(), &remote, "check");
    for rel in event_files(&tmp.path().join("a")) {
        assert_eq!(
            std::fs::read(check.join("stores/a").join(&rel)).unwrap(),
            std::fs::read(tmp.path().join("a").join(&rel)).unwrap(),
            "{rel:?}"
        );
    }
}

#[test]
fn a_file_renamed_over_with_new_bytes_of_the_same_length_reaches_the_repository() {
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (remote, base, store) = store_synced_once(tmp.path(), "c1");
    // What every rewrite of the store does (migration, encryption, compaction): new bytes
    // written beside and renamed over. Here the same length, within the same second.
    let rel = event_files(&base)[0].clone();
    let path = base.join(&rel);
    let bytes = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    let rewritten = bytes.replace("\"item\": \"e1\"", "\"item\": \"x1\"");
    assert_ne!(rewritten, bytes, "{bytes}");
    std::fs::write(path.with_extension("tmp"), &rewritten).unwrap();
    std::fs::rename(path.with_extension("tmp"), &path).unwrap();
    assert!(store.sync(&remote, "a").unwrap().pushed);
    let check = clone_at(tmp.path(), &remote, "check");
    assert_eq!(
        std::fs::read_to_string(check.join("stores/a").join(&rel)).unwrap(),
        rewritten
    );
}

#[test]
fn a_file_removed_from_the_repository_by_hand_is_put_back_by_the_next_sync() {
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (remote, base, store) = store_synced_once(tmp.path(), "c2");
    let rel = event_files(&base)[0].clone();
    let hand = clone_at(tmp.path(), &remote, "hand");
    let in_repo = format!("stores/a/{}", rel.to_string_lossy());
    git_in(&hand, &["rm", "--quiet", &in_repo]);
    git_in(&hand, &["commit", "--quiet", "-m", "a hand edit"]);
    git_in(&hand, &["push", "--quiet", "origin", "main"]);
    // Nothing changed in the store since its last sync: its record of what it pushed no
    // longer describes the repository, and every file is compared again.
    assert!(store.sync(&remote, "a").unwrap().pushed);
    git_in(&hand, &["pull", "--quiet", "origin", "main"]);
    assert_eq!(
        std::fs::read(hand.join(&in_repo)).unwrap(),
        std::fs::read(base.join(&rel)).unwrap()
    );
}

#[test]
fn the_lock_files_a_killed_git_left_in_the_clone_do_not_stop_the_next_sync() {
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (remote, base, store) = store_synced_once(tmp.path(), "c2");
    let git_dir = base.join(".git-sync").join(".git");
    for stale in ["index.lock", "HEAD.lock", "refs/heads/main.lock"] {
        std::fs::write(git_dir.join(stale), b"").unwrap();
    }
    store.append(event("c3", "e3")).unwrap();
    assert!(store.sync(&remote, "a").unwrap().pushed);
}

#[test]
fn a_snapshot_is_shared_and_a_copy_of_the_store_loads_it() {
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (remote, _, store) = store_synced_once(tmp.path(), "c1");
    store
        .save_snapshot("cart", "c1", 2, r#"{"items":["e1","e2"]}"#)
        .unwrap();
    assert!(store.sync(&remote, "a").unwrap().pushed);
    let reader = open(&tmp.path().join("b"));
    reader.sync(&remote, "b").unwrap();
    let copy = reader.open_other_store("a").unwrap();
    let snapshot = copy.load_latest_snapshot("cart", "c1").unwrap().unwrap();
    assert_eq!(snapshot.version, 2);
    assert_eq!(snapshot.state.get(), r#"{"items":["e1","e2"]}"#);
}

/// A temporary directory, a bare repository in it, and the base of a store `a` there;
/// `None` where git is not installed.
fn rig() -> Option<(tempfile::TempDir, String, PathBuf)> {
    if !git_available() {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repository(tmp.path());
    let base = tmp.path().join("a");
    Some((tmp, remote, base))
}

/// A restore that brought nothing back of `cart/c1` (its two removed files passed over for
/// how they are sealed) and left it reading `n3` only, verified.
fn assert_passed_over(store: &EventStore, why: &str) {
    let report = store.restore_removed("a").unwrap();
    assert_eq!(report.events_restored, 0, "{report:?}");
    assert_eq!(report.still_truncated.len(), 1, "{report:?}");
    assert!(
        report.still_truncated[0].contains(&format!("2 files passed over: {why}")),
        "{report:?}"
    );
    assert_eq!(history(store, "c1"), owned(&[("n3", 3)]));
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

/// An event of `cart/<aggregate>` stamped `days` days ago.
fn aged(aggregate: &str, id: &str, days: i64) -> Event {
    let mut metadata = meta("cart", aggregate, id);
    metadata.timestamp = Some(chrono::Utc::now() - chrono::Duration::days(days));
    ev_with(metadata, "ItemAdded", &format!("{{\"item\":\"{id}\"}}"))
}

/// An aggregate's events as (event id, version).
fn history(store: &EventStore, aggregate: &str) -> Vec<(String, u64)> {
    store
        .read_aggregate("cart", aggregate, 0)
        .unwrap()
        .into_iter()
        .map(|e| (e.metadata.event_id, e.metadata.aggregate_version))
        .collect()
}

fn owned(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(id, v)| (id.to_string(), *v)).collect()
}

/// Appends `ids` to `cart/c1`, stamped 400, 399, ... days ago.
fn append_old(store: &EventStore, ids: &[&str]) {
    for (i, id) in ids.iter().enumerate() {
        store.append(aged("c1", id, 400 - i as i64)).unwrap();
    }
}

/// A cleanup of what is over 30 days old, which must remove `expected` events, then a sync
/// that pushes the removal.
fn clean_and_sync(store: &EventStore, remote: &str, expected: u64) {
    let report = store.cleanup_with(Some(30), None, false).unwrap();
    assert_eq!(report.events_removed, expected);
    store.sync(remote, "a").unwrap();
}

#[test]
fn what_retention_removed_comes_back_from_the_history_when_asked_and_is_shared_again() {
    let Some((tmp, remote, base)) = rig() else {
        return;
    };
    let store = open(&base);
    append_old(&store, &["o1", "o2", "o3"]);
    store.append(event("c1", "n4")).unwrap();
    store.append(event("c2", "untouched")).unwrap();
    store.sync(&remote, "a").unwrap();
    clean_and_sync(&store, &remote, 3);
    assert_eq!(history(&store, "c1"), owned(&[("n4", 4)]));

    let err = store.restore_removed("b").unwrap_err().to_string();
    assert!(err.contains("holds no store named \"b\""), "{err}");
    let report = store.restore_removed("a").unwrap();
    assert_eq!(
        (
            report.aggregates,
            report.events_restored,
            report.files_restored
        ),
        (1, 3, 3)
    );
    assert!(report.still_truncated.is_empty(), "{report:?}");
    let whole = owned(&[("o1", 1), ("o2", 2), ("o3", 3), ("n4", 4)]);
    assert_eq!(history(&store, "c1"), whole);
    assert_eq!(
        store.read_by_type("ItemAdded").unwrap().len(),
        5,
        "the index lists them"
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    assert!(!base.join("cart/c1/.truncated").exists());
    store.close().unwrap();
    let store = open(&base);
    assert_eq!(history(&store, "c1"), whole);
    assert_eq!(store.read_by_type("ItemAdded").unwrap().len(), 5);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    // Asked again, nothing is left to bring back.
    assert_eq!(store.restore_removed("a").unwrap().events_restored, 0);

    // The next sync shares them again.
    assert!(store.sync(&remote, "a").unwrap().pushed);
    let other = open(&tmp.path().join("b"));
    other.sync(&remote, "b").unwrap();
    let copy = other.open_other_store("a").unwrap();
    assert_eq!(history(&copy, "c1"), whole);
}

#[test]
fn events_removed_before_any_sync_saw_them_stay_removed_and_the_rest_comes_back() {
    let Some((_tmp, remote, base)) = rig() else {
        return;
    };
    let store = open(&base);
    append_old(&store, &["o1", "o2", "o3"]);
    // o1 and o2 go before the first sync; o3 (the last file then) stays.
    clean_and_sync(&store, &remote, 2);
    store.append(aged("c1", "o4", 300)).unwrap();
    store.append(event("c1", "n5")).unwrap();
    store.sync(&remote, "a").unwrap();
    clean_and_sync(&store, &remote, 2);

    let report = store.restore_removed("a").unwrap();
    assert_eq!((report.events_restored, report.files_restored), (2, 2));
    assert_eq!(report.still_truncated.len(), 1, "{report:?}");
    assert!(
        report.still_truncated[0].contains("versions through 2"),
        "{report:?}"
    );
    assert_eq!(
        history(&store, "c1"),
        owned(&[("o3", 3), ("o4", 4), ("n5", 5)])
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    store.close().unwrap();
    assert_eq!(open(&base).verify().unwrap(), Vec::<String>::new());
}

#[test]
fn removed_segments_come_back_whole_compressed_or_not() {
    if !git_available() {
        return;
    }
    for compression in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let remote = bare_repository(tmp.path());
        let base = tmp.path().join("a");
        let store = common::open_segmented(&base, 2, compression);
        append_old(&store, &["o1", "o2", "o3", "o4"]);
        store.append(event("c1", "n5")).unwrap();
        // The full segments are compressed (when asked) by a compaction.
        store.compact().unwrap();
        store.sync(&remote, "a").unwrap();
        clean_and_sync(&store, &remote, 4);
        assert_eq!(history(&store, "c1"), owned(&[("n5", 5)]));

        let report = store.restore_removed("a").unwrap();
        assert_eq!(
            (report.events_restored, report.files_restored),
            (4, 2),
            "compression {compression}"
        );
        let whole = owned(&[("o1", 1), ("o2", 2), ("o3", 3), ("o4", 4), ("n5", 5)]);
        assert_eq!(history(&store, "c1"), whole);
        let ext = if compression { ".jsonl.zst" } else { ".jsonl" };
        let segments = std::fs::read_dir(base.join("cart/c1"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(ext)
            })
            .count();
        // The two restored, and (uncompressed) the open one holding n5.
        assert_eq!(
            segments,
            if compression { 2 } else { 3 },
            "compression {compression}"
        );
        assert_eq!(store.read_by_type("ItemAdded").unwrap().len(), 5);
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        store.close().unwrap();
        let store = common::open_segmented(&base, 2, compression);
        assert_eq!(history(&store, "c1"), whole);
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    }
}

#[test]
fn restoring_without_a_sync_clone_says_to_sync_first_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("a");
    let store = open(&base);
    store.append(aged("c1", "o1", 400)).unwrap();
    store.append(event("c1", "n2")).unwrap();
    store.cleanup_with(Some(30), None, false).unwrap();
    let err = store.restore_removed("a").unwrap_err().to_string();
    assert!(err.contains("sync first"), "{err}");
    assert!(base.join("cart/c1/.truncated").exists());
    assert_eq!(history(&store, "c1"), owned(&[("n2", 2)]));
}

#[test]
fn after_a_compaction_the_history_s_segment_comes_back_not_also_the_files_it_replaced() {
    let Some((_tmp, remote, base)) = rig() else {
        return;
    };
    let store = open(&base);
    append_old(&store, &["o1", "o2", "o3", "o4"]);
    store.append(event("c1", "n5")).unwrap();
    store.sync(&remote, "a").unwrap();
    store.close().unwrap();
    // The single files the history holds are replaced by segments, synced too.
    let store = common::open_segmented(&base, 2, false);
    store.compact().unwrap();
    store.sync(&remote, "a").unwrap();
    clean_and_sync(&store, &remote, 4);

    let report = store.restore_removed("a").unwrap();
    assert_eq!((report.events_restored, report.files_restored), (4, 2));
    assert_eq!(
        history(&store, "c1"),
        owned(&[("o1", 1), ("o2", 2), ("o3", 3), ("o4", 4), ("n5", 5)])
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_restore_failing_at_any_step_leaves_a_store_that_verifies_and_a_second_run_finishes() {
    use bytehot_eventstore::{Fault, FaultyIo, SystemClock};
    use std::sync::Arc;
    if !git_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("template");
    let remote = bare_repository(&template);
    let store = open(&template.join("a"));
    append_old(&store, &["o1", "o2", "o3"]);
    store.append(event("c1", "n4")).unwrap();
    store.sync(&remote, "a").unwrap();
    clean_and_sync(&store, &remote, 3);
    store.close().unwrap();
    let whole = owned(&[("o1", 1), ("o2", 2), ("o3", 3), ("n4", 4)]);
    let trial = |n: u64, io: Arc<FaultyIo>| {
        let trial = tmp.path().join(format!("trial-{n}"));
        let copied = Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(&trial)
            .status()
            .unwrap();
        assert!(copied.success());
        let base = trial.join("a");
        let config = Config::new(&base).durability(Durability::None);
        let store = EventStore::open_with(config, Arc::new(SystemClock), io).unwrap();
        (base, store)
    };
    // The open's own calls, counted on a copy, are not failed.
    let counting = Arc::new(FaultyIo::new(0, Fault::Errno(5)));
    let opened = trial(0, counting.clone()).1;
    let open_calls = counting.calls().len() as u64;
    drop(opened);
    for step in 1.. {
        let fail_at = open_calls + step;
        let io = Arc::new(FaultyIo::new(fail_at, Fault::Errno(5)));
        let (base, faulty) = trial(step, io.clone());
        assert_eq!(io.calls().len() as u64, open_calls);
        let outcome = faulty.restore_removed("a");
        let failed = io.calls().len() as u64 >= fail_at;
        drop(faulty);
        let store = open(&base);
        assert_eq!(
            store.verify().unwrap(),
            Vec::<String>::new(),
            "fault at call {fail_at}"
        );
        let seen = history(&store, "c1");
        assert!(
            seen == whole || seen == owned(&[("n4", 4)]),
            "fault at call {fail_at}: {seen:?}"
        );
        if outcome.is_ok() && !failed {
            assert_eq!(seen, whole);
            break;
        }
        store.restore_removed("a").unwrap();
        assert_eq!(
            history(&store, "c1"),
            whole,
            "fault at call {fail_at}, run again"
        );
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        assert_eq!(store.read_by_type("ItemAdded").unwrap().len(), 4);
        assert!(step < 200, "the restore never got through");
    }
}

#[test]
fn covered_files_a_cleanup_left_come_back_even_where_the_history_lacks_them() {
    let Some((_tmp, remote, base)) = rig() else {
        return;
    };
    let store = open(&base);
    store.append(event("c2", "synced")).unwrap();
    store.sync(&remote, "a").unwrap();
    append_old(&store, &["o1", "o2", "o3"]);
    store.append(event("c1", "n4")).unwrap();
    let dir = base.join("cart/c1");
    let before: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    store.cleanup_with(Some(30), None, false).unwrap();
    // As a cleanup killed after `.truncated` and before its removals leaves them.
    for (path, bytes) in &before {
        std::fs::write(path, bytes).unwrap();
    }
    assert_eq!(history(&store, "c1"), owned(&[("n4", 4)]));

    let report = store.restore_removed("a").unwrap();
    assert_eq!((report.events_restored, report.files_restored), (3, 3));
    assert!(report.still_truncated.is_empty(), "{report:?}");
    assert_eq!(
        history(&store, "c1"),
        owned(&[("o1", 1), ("o2", 2), ("o3", 3), ("n4", 4)])
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn plaintext_history_is_not_put_back_into_a_store_encrypted_since() {
    use bytehot_eventstore::MasterKey;
    let Some((_tmp, remote, base)) = rig() else {
        return;
    };
    let store = open(&base);
    append_old(&store, &["o1", "o2"]);
    store.append(event("c1", "n3")).unwrap();
    store.sync(&remote, "a").unwrap();
    clean_and_sync(&store, &remote, 2);
    store.close().unwrap();
    let store = EventStore::open(
        Config::new(&base)
            .durability(Durability::None)
            .encryption_key(MasterKey::generate()),
    )
    .unwrap();
    store.reseal_all(true).unwrap();
    assert_passed_over(&store, "plaintext");
}

#[test]
fn history_sealed_with_a_data_key_the_aggregate_no_longer_has_is_passed_over() {
    use bytehot_eventstore::MasterKey;
    let Some((_tmp, remote, base)) = rig() else {
        return;
    };
    let key = MasterKey::generate();
    let encrypted = || {
        EventStore::open(
            Config::new(&base)
                .durability(Durability::None)
                .encryption_key(key.clone()),
        )
        .unwrap()
    };
    let store = encrypted();
    append_old(&store, &["o1", "o2"]);
    store.append(event("c1", "n3")).unwrap();
    store.sync(&remote, "a").unwrap();
    clean_and_sync(&store, &remote, 2);
    // Decrypted (the data keys go), then encrypted again (a new data key).
    store.reseal_all(false).unwrap();
    store.close().unwrap();
    let store = encrypted();
    store.reseal_all(true).unwrap();
    assert_passed_over(
        &store,
        "plaintext where the store keeps only sealed events, or sealed",
    );
}
