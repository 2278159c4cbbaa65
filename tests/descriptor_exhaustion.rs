//! A batch over more new aggregates than the process has file descriptors fails with an
//! error naming the cause and leaves no directory behind, and the store goes on taking
//! saves. The test runs itself again in a child whose descriptor limit is low (`ulimit
//! -n` through `sh`), so that no other test shares that limit.

mod common;

use bytehot_eventstore::{Config, Durability, EventStore};
use common::ev;

const TEST: &str = "a_batch_that_runs_out_of_descriptors_leaves_no_empty_directory";
const CHILD: &str = "DESCRIPTOR_EXHAUSTION_CHILD";
const LIMIT: u32 = 256;
const AGGREGATES: usize = 2_000;

#[test]
fn a_batch_that_runs_out_of_descriptors_leaves_no_empty_directory() {
    if std::env::var_os(CHILD).is_none() {
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg(format!("ulimit -n {LIMIT} && exec \"$@\""))
            .arg("sh")
            .env(CHILD, "1");
        common::assert_child_passed("child", &common::rerun_test(sh, TEST).unwrap());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("store");
    let store = EventStore::open(Config::new(&base).durability(Durability::None)).unwrap();
    store.append(ev("hotswap", "before", "b1")).unwrap();
    let batch: Vec<_> = (0..AGGREGATES)
        .map(|i| ev("hotswap", &format!("agg-{i}"), &format!("e{i}")))
        .collect();

    let failed = store.append_batch(batch);
    let message = failed
        .expect_err("the batch needs more descriptors than allowed")
        .to_string();
    assert!(message.contains("Too many open files"), "{message}");
    let left: Vec<_> = std::fs::read_dir(base.join("hotswap"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["before".to_string()], "directories left behind");

    store.append(ev("hotswap", "agg-1", "again")).unwrap();
    store.append(ev("hotswap", "before", "b2")).unwrap();
    assert_eq!(
        store.read_aggregate("hotswap", "agg-1", 0).unwrap().len(),
        1
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}
