//! The store reads only its own `BYTEHOT_EVENTSTORE_*` variables: a variable of another
//! program that is not UTF-8 (legal on Unix) must not stop an open, and one of its own
//! that is not UTF-8 is a configuration error naming it, never a panic.
#![cfg(unix)] // environment variables that are not UTF-8 bytes are a Unix matter

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use bytehot_eventstore::{Config, Error};
use serde_json::{Map, Value};

/// Set in the child process, which resolves its configuration and prints the outcome.
const CHILD: &str = "EVENTSTORE_TEST_ENV_CHILD";

fn child_outcome(extra: (&str, &[u8])) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env(extra.0, OsStr::from_bytes(extra.1))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "the child failed: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let mut settings = Map::new();
    settings.insert("path".into(), Value::from("/tmp/unused"));
    match Config::from_settings(&settings) {
        Ok(_) => println!("outcome: ok"),
        Err(Error::Config { key, reason }) => println!("outcome: config {key}: {reason}"),
        Err(e) => println!("outcome: other {e}"),
    }
}

#[test]
fn a_foreign_variable_that_is_not_utf8_does_not_stop_an_open() {
    let out = child_outcome(("SOME_OTHER_PROGRAM", b"\xff\xfe"));
    assert!(out.contains("outcome: ok"), "{out}");
}

#[test]
fn a_store_variable_that_is_not_utf8_is_a_configuration_error_naming_it() {
    let out = child_outcome(("BYTEHOT_EVENTSTORE_DURABILITY", b"alw\xffays"));
    assert!(
        out.contains("outcome: config BYTEHOT_EVENTSTORE_DURABILITY: is not valid UTF-8"),
        "{out}"
    );
}
