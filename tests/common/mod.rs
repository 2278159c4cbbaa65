//! Helpers shared by the integration tests: real temp directories, real files, no mocks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytehot_eventstore::{
    Call, Clock, Config, Durability, Event, EventMetadata, EventStore, OsIo, StoreIo, SystemClock,
};
use chrono::{DateTime, TimeZone, Utc};

/// A temp directory (removed on drop) and the store's base directory inside it.
pub struct TempStore {
    pub tmp: tempfile::TempDir,
    pub base: PathBuf,
}

impl TempStore {
    pub fn new() -> TempStore {
        let tmp = tempfile::tempdir().expect("temp dir");
        let base = tmp.path().join("eventstore");
        TempStore { tmp, base }
    }

    /// Config without fsync: for tests about anything but durability.
    pub fn config(&self) -> Config {
        Config::new(&self.base).durability(Durability::None)
    }

    pub fn open(&self) -> EventStore {
        EventStore::open(self.config()).expect("open store")
    }

    /// Opens with an event cache of `event_cache_bytes`, counting event-file reads.
    pub fn open_counting(&self, event_cache_bytes: usize) -> (EventStore, ReadCount) {
        let (io, count) = counting_io();
        let mut config = self.config();
        config.event_cache_bytes = event_cache_bytes;
        let store = EventStore::open_with(config, Arc::new(SystemClock), io).expect("open store");
        (store, count)
    }

    pub fn open_with_clock(&self, clock: Arc<dyn Clock>) -> EventStore {
        EventStore::open_with_clock(self.config(), clock).expect("open store")
    }
}

/// Opens a store at `base` without fsync, with `per_file` events per file and compression
/// on or off: for the tests of segments, compression and compaction.
pub fn open_segmented(base: &Path, per_file: u32, compression: bool) -> EventStore {
    EventStore::open(
        Config::new(base)
            .durability(Durability::None)
            .max_events_per_file(per_file)
            .compression(compression),
    )
    .expect("open store")
}

/// Metadata with only the required fields; version 0 ("next"), no timestamp.
pub fn meta(aggregate_type: &str, aggregate_id: &str, event_id: &str) -> EventMetadata {
    EventMetadata::new(aggregate_type, aggregate_id, event_id)
}

/// An event with version 0 (append at the end) and the store's clock as timestamp.
pub fn ev(aggregate_type: &str, aggregate_id: &str, event_id: &str) -> Event {
    ev_with(
        meta(aggregate_type, aggregate_id, event_id),
        "TestEvent",
        "{}",
    )
}

pub fn ev_with(metadata: EventMetadata, event_type: &str, data: &str) -> Event {
    bytehot_eventstore::Event::new(event_type, metadata, data).expect("valid event")
}

pub fn versioned(aggregate_type: &str, aggregate_id: &str, event_id: &str, version: u64) -> Event {
    let mut m = meta(aggregate_type, aggregate_id, event_id);
    m.aggregate_version = version;
    ev_with(m, "TestEvent", "{}")
}

pub fn at(ts: &str) -> DateTime<Utc> {
    bytehot_eventstore::parse_instant(ts).expect("valid instant")
}

/// A clock that returns a scripted sequence of instants (the last one repeats).
pub struct ScriptedClock {
    script: Mutex<Vec<DateTime<Utc>>>,
}

impl ScriptedClock {
    pub fn new(instants: Vec<DateTime<Utc>>) -> Arc<ScriptedClock> {
        let mut script = instants;
        script.reverse();
        Arc::new(ScriptedClock {
            script: Mutex::new(script),
        })
    }

    pub fn fixed(t: DateTime<Utc>) -> Arc<ScriptedClock> {
        ScriptedClock::new(vec![t])
    }
}

impl Clock for ScriptedClock {
    fn now(&self) -> DateTime<Utc> {
        let mut s = self.script.lock().unwrap();
        if s.len() > 1 { s.pop().unwrap() } else { s[0] }
    }
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() + chrono::Duration::milliseconds(ms.into())
}

/// Event files (not dot files, not directories) of a directory, sorted by name.
pub fn event_file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Every path under `dir`, recursively, relative to it.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// How many writers' temp files (`*.tmp`) lie under `dir`.
pub fn temp_files(dir: &Path) -> usize {
    walk(dir)
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .count()
}

/// Asserts versions 1..=n in order, each event naming its predecessor.
pub fn assert_chain(events: &[Event]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.metadata.aggregate_version, i as u64 + 1, "event {i}");
        let expected_prev = if i == 0 {
            None
        } else {
            Some(events[i - 1].metadata.event_id.clone())
        };
        assert_eq!(e.metadata.previous_event_id, expected_prev, "event {i}");
    }
}

/// `eventData` with whitespace between tokens normalized (every token keeps its bytes).
pub fn data_tokens(e: &Event) -> String {
    bytehot_eventstore::reindent(e.data.get(), 0)
}

/// Same type, metadata and eventData in meaning (token for token).
pub fn assert_same_event(a: &Event, b: &Event) {
    assert_eq!(a.event_type, b.event_type);
    assert_eq!(a.metadata, b.metadata);
    assert_eq!(data_tokens(a), data_tokens(b));
}

/// A clock the test sets by hand.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(t: DateTime<Utc>) -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(t)))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// What a [`HookedIo`] hook gets: the call and the path it is about (the file written,
/// renamed to, created or read; empty for a journal append or sync, which take a file).
pub type Hook = Box<dyn Fn(Call, &Path) -> std::io::Result<()> + Send + Sync>;

/// The real OS with hooks: each runs before (or after) the calls of its kind reach
/// `OsIo`, to count, time, slow down or fail them (an `Err` from a `before` hook is the
/// call's result; the real call is then not made). Calls without a hook go straight
/// through.
#[derive(Default)]
pub struct HookedIo {
    before: Vec<(Call, Hook)>,
    after: Vec<(Call, Hook)>,
}

impl HookedIo {
    /// Runs `hook` before every call of kind `call`.
    pub fn before(
        mut self,
        call: Call,
        hook: impl Fn(Call, &Path) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.before.push((call, Box::new(hook)));
        self
    }

    /// Runs `hook` after every call of kind `call` (whatever its result).
    pub fn after(
        mut self,
        call: Call,
        hook: impl Fn(Call, &Path) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.after.push((call, Box::new(hook)));
        self
    }

    fn run<T>(
        &self,
        call: Call,
        path: &Path,
        real: impl FnOnce() -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        for (_, hook) in self.before.iter().filter(|(c, _)| *c == call) {
            hook(call, path)?;
        }
        let out = real();
        for (_, hook) in self.after.iter().filter(|(c, _)| *c == call) {
            hook(call, path)?;
        }
        out
    }
}

impl StoreIo for HookedIo {
    fn create_and_write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::File> {
        self.run(Call::Write, path, || OsIo.create_and_write(path, bytes))
    }
    fn append(&self, file: &std::fs::File, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        self.run(Call::Append, Path::new(""), || {
            OsIo.append(file, offset, bytes)
        })
    }
    fn sync_file(&self, file: &std::fs::File) -> std::io::Result<()> {
        self.run(Call::SyncFile, Path::new(""), || OsIo.sync_file(file))
    }
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.run(Call::Rename, to, || OsIo.rename(from, to))
    }
    fn create_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        self.run(Call::CreateDir, dir, || OsIo.create_dir_all(dir))
    }
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.run(Call::Read, path, || OsIo.read(path))
    }
    fn read_at(&self, path: &Path, offset: u64, len: Option<u64>) -> std::io::Result<Vec<u8>> {
        self.run(Call::Read, path, || OsIo.read_at(path, offset, len))
    }
}

/// How many event files a [`counting_io`] has read.
#[derive(Clone, Default)]
pub struct ReadCount(Arc<AtomicU64>);

impl ReadCount {
    pub fn reads(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The real OS, counting event-file reads.
pub fn counting_io() -> (Arc<HookedIo>, ReadCount) {
    let count = ReadCount::default();
    let reads = count.0.clone();
    let io = HookedIo::default().before(Call::Read, move |_, _| {
        reads.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    (Arc::new(io), count)
}

/// Opens a durable store at `dir`, saves `events` and closes it cleanly (so no journal is
/// left to replay and everything is on disk).
pub fn seeded(dir: &Path, events: impl IntoIterator<Item = Event>) {
    let store = EventStore::open(Config::new(dir)).expect("open store");
    for event in events {
        store.append(event).expect("seed event");
    }
    store.close().expect("close store");
}

/// A pid no process has (above the kernel's `pid_max`).
pub const DEAD_PID: u32 = 999_999_999;

/// A boot id that is not this boot's: journals named with it were cut short by a reboot.
pub const OTHER_BOOT: &str = "00000000000000000000000000000000";

/// The path of a journal a dead writer left (`.journal/<pid>-<n>-<mode>-<boot>.journal`,
/// see docs/filesystem-format.md).
pub fn dead_journal_path(dir: &Path, pid: u32, mode: &str, boot: &str) -> PathBuf {
    dir.join(".journal")
        .join(format!("{pid}-0-{mode}-{boot}.journal"))
}

/// The aggregates the crash tests write to: a plain id, a path, non-ASCII.
pub const CRASH_AGGREGATES: [&str; 3] = [
    "f47ac10b-58cc-4372-a567",
    "/app/target/classes/Foo.class",
    "日本語 id",
];

/// A HotSwapRequested-like event of `CRASH_AGGREGATES[aggregate]` with `4 * payload`
/// bytes of bytecode.
pub fn crash_event(aggregate: usize, id: String, payload: usize) -> Event {
    let metadata = EventMetadata::new("hotswap", CRASH_AGGREGATES[aggregate], &id);
    let data = format!("{{\"bytecode\":\"{}\"}}", "QUJD".repeat(payload));
    bytehot_eventstore::Event::new("HotSwapRequested", metadata, &data).expect("valid event")
}

/// xorshift64*: enough randomness for crash timing without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The crash tests' writer, in its child process: appends single events and batches of
/// up to three to random `CRASH_AGGREGATES` (every seventh with `4 * large` bytes of
/// bytecode), prints `ack <eventId>` for each once its save returned, and checkpoints
/// every `checkpoint_every` saves (a new journal epoch over the old records), until
/// killed.
pub fn append_and_acknowledge(
    store: &EventStore,
    trial: &str,
    large: usize,
    checkpoint_every: u64,
) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut rng = Rng(u64::from(std::process::id()) | 1);
    for n in 0u64.. {
        let aggregate = rng.below(3) as usize;
        let size = if n % 7 == 0 { large } else { 100 };
        let batch: Vec<Event> = (0..1 + rng.below(3))
            .map(|k| crash_event(aggregate, format!("{trial}-{n}-{k}"), size))
            .collect();
        for stored in store.append_batch(batch).unwrap() {
            writeln!(out, "ack {}", stored.metadata.event_id).unwrap();
        }
        out.flush().unwrap();
        if n % checkpoint_every == checkpoint_every - 1 {
            store.checkpoint().unwrap();
        }
    }
}

/// The durability mode a crash test's child is told by name.
pub fn durability_named(name: &str) -> Durability {
    match name {
        "batch" => Durability::Batch,
        "none" => Durability::None,
        _ => Durability::Always,
    }
}

/// Reads every `CRASH_AGGREGATES` aggregate whole and checks what any crash must leave:
/// versions 1..n, each event naming its predecessor, no event twice, and an index that
/// counts exactly these events (total and by type). Returns their ids; `label` names the
/// trial in every failure.
pub fn check_crash_aggregates(
    store: &EventStore,
    label: &str,
) -> std::collections::HashSet<String> {
    let mut seen = std::collections::HashSet::new();
    for id in CRASH_AGGREGATES {
        let events = store
            .read_aggregate("hotswap", id, 0)
            .unwrap_or_else(|e| panic!("{label}: reading {id}: {e}"));
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                e.metadata.aggregate_version,
                i as u64 + 1,
                "{label}: gap in {id}"
            );
            let previous = (i > 0).then(|| events[i - 1].metadata.event_id.clone());
            assert_eq!(
                e.metadata.previous_event_id, previous,
                "{label}: broken chain in {id}"
            );
            assert!(
                seen.insert(e.metadata.event_id.clone()),
                "{label}: duplicated events"
            );
        }
    }
    let total = seen.len() as u64;
    assert_eq!(store.total_event_count().unwrap(), total, "{label}");
    assert_eq!(
        store.read_by_type("HotSwapRequested").unwrap().len() as u64,
        total,
        "{label}"
    );
    seen
}

/// Env var set in the copy of a test that runs as an ordinary user.
const AS_NOBODY: &str = "EVENTSTORE_TEST_AS_USER";

/// For tests that need permissions to hold (root bypasses them): under root, runs the
/// test named `test` of this binary again as `nobody` (through `runuser`), asserts it
/// passed, and returns true: the caller returns. Otherwise (not root, or already the
/// copy) returns false: the caller runs its body.
#[cfg(unix)] // root, `nobody` and runuser are Unix's
pub fn reran_as_nobody(test: &str) -> bool {
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if !root || std::env::var_os(AS_NOBODY).is_some() {
        return false;
    }
    let mut runuser = std::process::Command::new("runuser");
    runuser
        .args(["-u", "nobody", "--"])
        .env(AS_NOBODY, "1")
        .env("TMPDIR", "/tmp");
    match rerun_test(runuser, test) {
        Ok(out) => assert_child_passed("as nobody", &out),
        Err(e) => println!("skipped: runuser is not available ({e})"),
    }
    true
}

/// Runs the test named `test` of this binary again in a child started by `wrapper`
/// (`runuser -u nobody --`, `sh -c 'ulimit -n 256 && exec "$@"' sh`, ...), which gets the
/// binary and its arguments appended. `Err` when the wrapper cannot be started.
pub fn rerun_test(
    mut wrapper: std::process::Command,
    test: &str,
) -> std::io::Result<std::process::Output> {
    wrapper
        .arg(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .output()
}

/// Asserts that a child of [`rerun_test`] exited successfully.
pub fn assert_child_passed(what: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the test `child` of this binary again in a child process with `envs`, waits until
/// it prints a line holding `ready` (or exits), lets it run `delay` more, then kills it
/// (SIGKILL) and reaps it: the kill campaigns' child process.
pub fn kill_child_after(child: &str, envs: &[(&str, String)], ready: &str, delay: Duration) {
    use std::io::BufRead;
    let mut command = std::process::Command::new(std::env::current_exe().expect("test binary"));
    command.args(["--exact", child, "--nocapture", "--test-threads=1"]);
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut process = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child test process");
    let mut out = std::io::BufReader::new(process.stdout.take().expect("piped"));
    let mut line = String::new();
    while !line.contains(ready) {
        line.clear();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
    }
    std::thread::sleep(delay);
    process.kill().expect("kill"); // SIGKILL
    process.wait().expect("reap");
}

/// The number of trials a kill campaign runs: `var` when set to a number, else `default`.
pub fn trials(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(default)
}
