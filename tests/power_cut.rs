//! Power-cut test: what the disk holds at the instant the power goes, with the page cache
//! lost, read back by a fresh open.
//!
//! The store lives on a real ext4 (with its journal, as users' machines mount it) in an
//! image attached through a loop device. That image lies on an XFS, itself in an image on
//! a second loop device, so that `cp --reflink=always` (one `FICLONE`, which holds the
//! image's lock) copies it at one instant: the copy holds every write ext4 had handed to
//! its device by then and nothing still in its page cache, which is what a machine that
//! lost power would come back with. A writer process appends and reports each
//! acknowledged event; the parent copies the image at a random moment (sometimes after
//! forcing everything to the device with `syncfs` mid-trial, so that older unsynced data
//! is on the device and newer is not), then kills the writer. The copy is mounted (ext4
//! replays its own journal), the writer's journal is renamed to another boot id (the one
//! thing a reboot changes that the store looks at), and the store opened on it must hold:
//! - under `always`, every event acknowledged before the copy;
//! - under `batch`, every event acknowledged more than the sync interval (plus a margin
//!   for a slow sync) before the copy;
//! - in every mode, every event acknowledged before a `syncfs` that completed before the
//!   copy;
//! - every aggregate readable, with contiguous versions, an unbroken chain, no duplicate,
//!   no temp file, and an index that agrees with the files (`verify`); a file the cut
//!   tore (`batch`, `none`) set aside in `.lost/` with the saves after it, and reported by
//!   `verify`; under `always` nothing set aside.
//!
//! It needs root, loop devices, `mkfs.xfs` and `mkfs.ext4`. Without them it says why and
//! passes, unless `EVENTSTORE_POWER_CUT=require` (set by CI) makes that a failure.
//! `EVENTSTORE_POWER_CUT_TRIALS` sets the trials per mode (default 8 for `always`, 4 for
//! the others). Each mode runs again with segments of seven events
//! (`max-events-per-file` = 7; default 4 trials for `always`, 2 for the others): a line
//! a cut tore is restored from the journal (`always`) or set aside with what follows it.
//! `always` runs once more with compression and segments of five (2 trials).
#![cfg(target_os = "linux")] // a mount namespace and a device-mapper rig

mod common;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytehot_eventstore::{Config, EventStore};

use common::{OTHER_BOOT, Rng, append_and_acknowledge, check_crash_aggregates, durability_named};

const CHILD_DIR: &str = "EVENTSTORE_TEST_POWER_DIR";
const CHILD_TRIAL: &str = "EVENTSTORE_TEST_POWER_TRIAL";
const CHILD_MODE: &str = "EVENTSTORE_TEST_POWER_MODE";
const CHILD_PER_FILE: &str = "EVENTSTORE_TEST_POWER_PER_FILE";
const CHILD_COMPRESSION: &str = "EVENTSTORE_TEST_POWER_COMPRESSION";
/// Events per segment in the campaign with compression.
const COMPRESSED_SEGMENT_EVENTS: u32 = 5;
/// Events per segment in the segment campaigns: small, so that segments fill often.
const SEGMENT_EVENTS: u32 = 7;
/// The writer's `batch` interval; a `batch` save must be on the disk this long after its
/// acknowledgement, plus [`BATCH_MARGIN`] for a sync that is slow to finish.
const BATCH_INTERVAL: Duration = Duration::from_millis(50);
const BATCH_MARGIN: Duration = Duration::from_millis(1500);

/// One rig at a time: each takes three loop devices and a good share of the disk.
static RIG: Mutex<()> = Mutex::new(());

/// The writer role, run in a child process: append until killed.
#[test]
fn power_cut_writer_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let trial = std::env::var(CHILD_TRIAL).unwrap();
    let mode = durability_named(&std::env::var(CHILD_MODE).unwrap());
    let per_file = std::env::var(CHILD_PER_FILE).unwrap().parse().unwrap();
    let mut config = Config::new(dir)
        .durability(mode)
        .max_events_per_file(per_file)
        .compression(std::env::var(CHILD_COMPRESSION).is_ok());
    config.batch_interval = BATCH_INTERVAL;
    let store = EventStore::open(config).unwrap();
    // Some multi-block files, without filling the image over the trials.
    append_and_acknowledge(&store, &trial, 5_000, 25);
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A file system mounted from an image through a loop device; unmounted on drop (the
/// `loop` option detaches the device with it).
struct Mount(PathBuf);

impl Mount {
    fn new(image: &Path, at: &Path) -> Result<Mount, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        run(
            "mount",
            &[
                "-o",
                "loop",
                &image.to_string_lossy(),
                &at.to_string_lossy(),
            ],
        )?;
        Ok(Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let at = self.0.to_string_lossy().to_string();
        for _ in 0..50 {
            if run("umount", &[&at]).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = run("umount", &["-l", &at]);
    }
}

/// ext4 on a loop device, its image on an XFS that can copy it at one instant.
struct Rig {
    // Dropped in this order: the ext4 first, then the XFS under it, then the directory.
    inner: Mount,
    outer: Mount,
    image: PathBuf,
    tmp: tempfile::TempDir,
}

impl Rig {
    /// The rig, or why this machine cannot build one.
    #[expect(
        unsafe_code,
        reason = "geteuid and unshare have no safe wrapper in std"
    )]
    fn new() -> Result<Rig, String> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root (mounting loop devices needs it)".into());
        }
        if !Path::new("/dev/loop-control").exists() {
            return Err("no /dev/loop-control".into());
        }
        // Mounts made from here on are this thread's and its children's only, and go
        // away with the process, however it ends.
        // SAFETY: unshare has no memory-safety preconditions.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            return Err(format!(
                "unshare(CLONE_NEWNS): {}",
                std::io::Error::last_os_error()
            ));
        }
        run("mount", &["--make-rprivate", "/"])?;
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let outer_image = tmp.path().join("outer.img");
        File::create(&outer_image)
            .and_then(|f| f.set_len(8 << 30))
            .map_err(|e| e.to_string())?;
        run(
            "mkfs.xfs",
            &[
                "-q",
                "-f",
                "-m",
                "reflink=1",
                &outer_image.to_string_lossy(),
            ],
        )?;
        let outer = Mount::new(&outer_image, &tmp.path().join("outer"))?;
        let image = outer.0.join("ext4.img");
        File::create(&image)
            .and_then(|f| f.set_len(2 << 30))
            .map_err(|e| e.to_string())?;
        run(
            "mkfs.ext4",
            &[
                "-q",
                "-F",
                "-O",
                "has_journal",
                // An inode per 4 KiB: the trials create tens of thousands of small files.
                "-i",
                "4096",
                &image.to_string_lossy(),
            ],
        )?;
        let inner = Mount::new(&image, &tmp.path().join("ext4"))?;
        Ok(Rig {
            inner,
            outer,
            image,
            tmp,
        })
    }

    fn store_dir(&self) -> PathBuf {
        self.inner.0.join("eventstore")
    }

    /// What the ext4's device holds now, as a new image.
    fn cut_power(&self) -> PathBuf {
        let copy = self.outer.0.join("after-power-cut.img");
        run(
            "cp",
            &[
                "--reflink=always",
                &self.image.to_string_lossy(),
                &copy.to_string_lossy(),
            ],
        )
        .unwrap();
        copy
    }

    #[expect(unsafe_code, reason = "syncfs has no safe wrapper in std")]
    fn syncfs(&self) {
        let dir = File::open(&self.inner.0).unwrap();
        // SAFETY: the descriptor is open for the duration of the call.
        assert_eq!(unsafe { libc::syncfs(dir.as_raw_fd()) }, 0, "syncfs");
    }
}

/// The rig, or `None` (with the reason printed) when this machine cannot build one and
/// CI did not require it.
fn rig() -> Option<Rig> {
    match Rig::new() {
        Ok(rig) => Some(rig),
        Err(why) if std::env::var("EVENTSTORE_POWER_CUT").as_deref() == Ok("require") => {
            panic!("power-cut rig required but unavailable: {why}")
        }
        Err(why) => {
            println!("power-cut test skipped: {why}");
            None
        }
    }
}

/// The kernel writes dirty files back one inode at a time, in no order a program can
/// rely on: this thread plays that part, writing back one of the store's small, often
/// appended files (index logs, `.ids`) at random moments, so that copies also catch one
/// of them on the device ahead of what was written before it elsewhere.
struct Writeback {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writeback {
    fn start(store: PathBuf, seed: u64) -> Writeback {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut rng = Rng(seed | 1);
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                let files = small_files(&store);
                if !files.is_empty() {
                    let pick = &files[rng.below(files.len() as u64) as usize];
                    if let Ok(file) = File::open(pick) {
                        let _ = file.sync_data();
                    }
                }
                std::thread::sleep(Duration::from_micros(rng.below(2_000)));
            }
        });
        Writeback {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer process, killed (SIGKILL) when dropped, also when a check panics.
struct Writer(std::process::Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The index logs and `.ids` files under `dir`; what vanishes while it looks is skipped.
fn small_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if name.ends_with(".log") || name == ".ids" {
                out.push(path);
            }
        }
    }
    out
}

/// Events acknowledged by the writer, each with the moment the parent read it.
type Acks = HashMap<String, Instant>;

/// What one trial establishes before its copy is checked.
struct Cut {
    /// When the copy started: everything acknowledged before it was acknowledged before
    /// the power went.
    at: Instant,
    /// When the last `syncfs` of the trial started, if it had one.
    synced_from: Option<Instant>,
}

fn run_trial(
    rig: &Rig,
    mode: &str,
    per_file: u32,
    trial: usize,
    rng: &mut Rng,
    acks: &mut Acks,
) -> (Cut, PathBuf) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    if per_file == COMPRESSED_SEGMENT_EVENTS {
        command.env(CHILD_COMPRESSION, "1");
    }
    let mut child = Writer(
        command
            .args([
                "--exact",
                "power_cut_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, rig.store_dir())
            .env(CHILD_TRIAL, trial.to_string())
            .env(CHILD_MODE, mode)
            .env(CHILD_PER_FILE, per_file.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(id) = line.strip_prefix("ack ") {
                let _ = tx.send((id.to_string(), Instant::now()));
            }
        }
    });
    let take = |acks: &mut Acks, until: Instant| {
        while Instant::now() < until {
            if let Ok((id, at)) = rx.recv_timeout(Duration::from_millis(1)) {
                acks.insert(id, at);
            }
        }
    };
    let writeback = Writeback::start(rig.store_dir(), rng.next());
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("writer started");
    acks.insert(first.0, first.1);
    // Under `batch` the trial outlasts the interval and its margin, so that the
    // guarantee has events to bite on.
    let length = if mode == "batch" {
        2_500 + rng.below(1_000)
    } else {
        50 + rng.below(700)
    };
    let start = Instant::now();
    let mut synced_from = None;
    if rng.below(2) == 0 {
        take(acks, start + Duration::from_millis(length / 2));
        synced_from = Some(Instant::now());
        rig.syncfs();
    }
    take(acks, start + Duration::from_millis(length));
    let at = Instant::now();
    let copy = rig.cut_power();
    drop(writeback);
    drop(child);
    reader.join().unwrap();
    // Acknowledged after the copy began: not promised by it.
    let late: Vec<(String, Instant)> = rx.try_iter().collect();
    for (id, when) in late {
        acks.insert(id, when);
    }
    (Cut { at, synced_from }, copy)
}

/// Makes the copied store look as it would after a reboot: its journals were written in
/// another boot. Returns how many it renamed.
fn after_reboot(store: &Path) -> usize {
    let journals = store.join(".journal");
    let mut renamed = 0;
    for entry in std::fs::read_dir(&journals).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".journal")
            && let Some((head, _boot)) = stem.rsplit_once('-')
        {
            std::fs::rename(&path, journals.join(format!("{head}-{OTHER_BOOT}.journal"))).unwrap();
            renamed += 1;
        }
    }
    renamed
}

/// Opens the copy and checks what the mode promises; returns how many events it held.
fn check_copy(
    copy: &Path,
    rig: &Rig,
    mode: &str,
    trial: usize,
    cut: &Cut,
    acks: &Acks,
    torn: &mut usize,
) -> usize {
    let mount = Mount::new(copy, &rig.tmp.path().join("after")).unwrap();
    let dir = mount.0.join("eventstore");
    // The writer's journal name is synced when it is created: without it in the copy,
    // the open would not know a writer was cut short, and the checks would prove little.
    assert!(
        after_reboot(&dir) > 0,
        "{mode} trial {trial}: no journal in the copy"
    );
    let store = EventStore::open(Config::new(&dir)).unwrap_or_else(|e| {
        panic!("{mode} trial {trial}: the store does not open after the power cut: {e}")
    });
    let promised: HashSet<&String> = acks
        .iter()
        .filter(|(_, when)| {
            let durable_by = match mode {
                "always" => **when,
                "batch" => **when + BATCH_INTERVAL + BATCH_MARGIN,
                _ => cut.at + Duration::from_secs(3600),
            };
            durable_by < cut.at || cut.synced_from.is_some_and(|s| **when < s)
        })
        .map(|(id, _)| id)
        .collect();
    let seen = check_crash_aggregates(&store, &format!("{mode} trial {trial}"));
    let lost: Vec<&&String> = promised.iter().filter(|id| !seen.contains(**id)).collect();
    assert!(
        lost.is_empty(),
        "{mode} trial {trial}: {} of {} promised events lost after the power cut: {lost:?}",
        lost.len(),
        promised.len()
    );
    // What the open set aside is reported, and is all that is: under `always` a torn
    // file is always restored from the journal, so nothing may be set aside.
    let (set_aside, problems): (Vec<String>, Vec<String>) = store
        .verify()
        .unwrap()
        .into_iter()
        .partition(|p| p.contains("/.lost/") && p.contains("set aside"));
    assert_eq!(problems, Vec::<String>::new(), "{mode} trial {trial}");
    if mode == "always" {
        assert_eq!(set_aside, Vec::<String>::new(), "{mode} trial {trial}");
    }
    *torn += set_aside.len();
    assert_eq!(
        common::temp_files(&dir),
        0,
        "{mode} trial {trial}: temp files survived the reopen"
    );
    store.close().unwrap();
    drop(mount);
    std::fs::remove_file(copy).unwrap();
    seen.len()
}

fn power_cut_campaign(mode: &str, per_file: u32, default_trials: usize) {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let _one_rig = RIG.lock().unwrap_or_else(|p| p.into_inner());
    let Some(rig) = rig() else {
        return;
    };
    let trials = std::env::var("EVENTSTORE_POWER_CUT_TRIALS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(default_trials);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ mode.len() as u64);
    let mut acks = Acks::new();
    let (mut held, mut torn) = (0, 0);
    for trial in 0..trials {
        let (cut, copy) = run_trial(&rig, mode, per_file, trial, &mut rng, &mut acks);
        held = check_copy(&copy, &rig, mode, trial, &cut, &acks, &mut torn);
    }
    println!(
        "power-cut test ({mode}, {per_file} per file): {trials} trials, {} events acknowledged, {held} in the last \
         copy, {torn} torn files set aside over all copies",
        acks.len()
    );
}

#[test]
fn under_always_every_acknowledged_event_survives_a_power_cut() {
    power_cut_campaign("always", 1, 8);
}

#[test]
fn under_batch_only_the_last_interval_is_lost_to_a_power_cut() {
    power_cut_campaign("batch", 1, 4);
}

#[test]
fn under_none_what_was_synced_survives_a_power_cut_and_torn_files_are_named() {
    power_cut_campaign("none", 1, 4);
}

#[test]
fn in_segments_under_always_every_acknowledged_event_survives_a_power_cut() {
    power_cut_campaign("always", SEGMENT_EVENTS, 4);
}

#[test]
fn in_compressed_segments_under_always_every_acknowledged_event_survives_a_power_cut() {
    power_cut_campaign("always", COMPRESSED_SEGMENT_EVENTS, 2);
}

#[test]
fn in_segments_under_batch_only_the_last_interval_is_lost_to_a_power_cut() {
    power_cut_campaign("batch", SEGMENT_EVENTS, 2);
}

#[test]
fn in_segments_under_none_what_was_synced_survives_and_torn_lines_are_set_aside() {
    power_cut_campaign("none", SEGMENT_EVENTS, 2);
}
