//! A directory the process cannot list is reported by `verify`, with its path, and the
//! rest of the store is still checked and read. Root reads every directory whatever its
//! mode, so under root the test runs itself again as `nobody` (through `runuser`).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{TempStore, ev};

/// Set in the copy of this test that runs as an ordinary user.
const AS_USER: &str = "EVENTSTORE_TEST_AS_USER";

fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

#[test]
fn verify_lists_a_directory_it_cannot_read_and_checks_the_rest() {
    if is_root() && std::env::var_os(AS_USER).is_none() {
        let exe = std::env::current_exe().unwrap();
        let out = Command::new("runuser")
            .args(["-u", "nobody", "--"])
            .arg(&exe)
            .args([
                "--exact",
                "verify_lists_a_directory_it_cannot_read_and_checks_the_rest",
                "--nocapture",
            ])
            .env(AS_USER, "1")
            .env("TMPDIR", "/tmp")
            .output();
        match out {
            Ok(out) => assert!(
                out.status.success(),
                "as nobody: {:?}\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => println!("skipped: runuser is not available ({e})"),
        }
        return;
    }
    let t = TempStore::new();
    let store = t.open();
    store.append(ev("hotswap", "readable", "e1")).unwrap();
    store.append(ev("hotswap", "locked", "e2")).unwrap();
    let locked = t.base.join("hotswap").join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();

    let problems = store.verify();
    let readable = store.read_aggregate("hotswap", "readable", 0);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    let problems = problems.expect("verify lists the problem instead of failing");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&locked.display().to_string())
            && problems[0].contains("cannot be listed"),
        "{problems:?}"
    );
    assert_eq!(readable.unwrap().len(), 1);
}
