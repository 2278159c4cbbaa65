//! `bytehot-eventstore`: the operator's tool for a store (`docs/operations.md`).
//!
//! Each command opens the store the way an application configured it (the same YAML or
//! properties file, the same environment variables), does one thing, and closes it.
//! Tables are for people; `--json` prints JSON (one document, or JSON Lines for events)
//! for scripts. Progress goes to stderr, and only on a terminal. Exit codes are
//! documented in [`Exit`]; every error names the path and what to do.

mod commands;
mod output;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use bytehot_eventstore::Error;
use clap::{Args, Parser, Subcommand};

/// Inspect, check, repair, back up and move the events of a bytehot-eventstore store.
#[derive(Parser, Debug)]
#[command(name = "bytehot-eventstore", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Args, Debug)]
struct Global {
    /// The store's base directory (else the configuration file's `path`, else
    /// BYTEHOT_EVENTSTORE_PATH, else ./eventstore).
    #[arg(short, long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    /// A YAML or properties file with a `bytehot.eventstore` section (default: the first
    /// of bytehot.yml, bytehot.yaml, application.yml, application.yaml in the working
    /// directory).
    #[arg(short, long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Open without writing anything into the store (no recovery, no index rebuild).
    #[arg(long, global = true)]
    read_only: bool,
    /// Print JSON for scripts instead of tables.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Counts of events, aggregates and bytes, per aggregate type (from the index).
    Stats,
    /// The aggregate types, or the aggregates of one type with their versions.
    Ls {
        /// List this type's aggregates.
        aggregate_type: Option<String>,
    },
    /// One aggregate's events in version order.
    Show {
        aggregate_type: String,
        aggregate_id: String,
        /// Only the events after this version.
        #[arg(long, default_value_t = 0, value_name = "VERSION")]
        since: u64,
        /// Print each event's data too (tables only; --json always has it).
        #[arg(long)]
        data: bool,
    },
    /// Events by type and time, filtered by correlation or user.
    Query(commands::Filter),
    /// The latest events in commit order; with -f, then every event committed after, by any process.
    Tail {
        /// How many of the latest events to print first.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: usize,
        /// Keep printing events as they are committed, by any process, until interrupted.
        #[arg(short, long)]
        follow: bool,
    },
    /// Reads every event file and checks the index; exit code 1 when it finds problems.
    Verify {
        /// Rebuild the index and metadata from the event files first (needs the store
        /// closed by every other process), then check.
        #[arg(long)]
        repair: bool,
    },
    /// Rebuilds the index and the metadata files from the event files (needs the store
    /// closed by every other process).
    RebuildIndex,
    /// Merges runs of single-event files into segments (with max-events-per-file > 1) and
    /// compresses full segments (with compression-enabled).
    Compact,
    /// Writes events as JSON Lines of envelopes, one aggregate after another in version
    /// order (or only those the filters select).
    Export {
        #[command(flatten)]
        filter: commands::Filter,
        /// Write to this file instead of stdout (replaced only once complete).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Export an encrypted store's events with their data in plaintext (refused
        /// without it).
        #[arg(long)]
        plaintext: bool,
    },
    /// Saves the events of a JSON Lines file (an export). Events already stored (same
    /// aggregate, same eventId) are skipped, so a repeated import changes nothing; an
    /// event whose version the aggregate already holds or skips is a conflict, refused.
    Import {
        /// The JSON Lines file (`-` for stdin).
        file: PathBuf,
        /// Append conflicting events after the aggregate's last event instead of refusing
        /// them (their version changes; their eventId stays).
        #[arg(long)]
        renumber: bool,
    },
    /// Rewrites the files ByteHot's pure-Java adapter wrote with versions that do not
    /// follow their place (reads already serve them right) so that the files say so too.
    /// With --schemas, rewrites the stored events to their current schemas instead, with
    /// the application's upcasters, in a JVM (docs/migration.md).
    Migrate {
        /// Change nothing: count the events per type and schema version, and list the
        /// schema migrations recorded in metadata/event-schema-versions.json.
        #[arg(long, conflicts_with = "schemas")]
        status: bool,
        /// Migrate the stored events to their current schemas: runs
        /// SchemaMigrationMain in `$JAVA_HOME/bin/java` (else `java`) with --classpath,
        /// after a backup into --backup.
        #[arg(long, requires_all = ["classpath", "setup", "backup"])]
        schemas: bool,
        /// The application's classpath, bytehot-eventstore's jar included.
        #[arg(long, value_name = "CLASSPATH")]
        classpath: Option<String>,
        /// A class of the application whose run() registers its event types and upcasters
        /// (a public Runnable); repeatable.
        #[arg(long, value_name = "CLASS")]
        setup: Vec<String>,
        /// Where the backup taken first goes (a new or empty directory outside the store).
        #[arg(long, value_name = "DIR")]
        backup: Option<PathBuf>,
    },
    /// Applies the retention the configuration sets (cleanup.max-age-days,
    /// cleanup.max-total-size-mb): each aggregate's oldest files go, its versions stay.
    Cleanup {
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Events older than this many days (overrides cleanup.max-age-days).
        #[arg(long, value_name = "DAYS")]
        max_age_days: Option<u32>,
        /// The store's events in at most this many MiB (overrides cleanup.max-total-size-mb).
        #[arg(long, value_name = "MIB")]
        max_total_size_mb: Option<u64>,
    },
    /// Copies the store into DEST (a new or empty directory) while other processes keep
    /// saving: each aggregate as it was at one moment, with a manifest of checksums.
    Backup {
        dest: PathBuf,
        /// An earlier backup: files it holds unchanged are hard-linked, not copied.
        #[arg(long, value_name = "BACKUP")]
        link_dest: Option<PathBuf>,
    },
    /// Checks a backup against its manifest and restores it into DEST (new or empty,
    /// unless --force), then opens and verifies the restored store.
    Restore {
        backup: PathBuf,
        dest: PathBuf,
        /// Replace a non-empty DEST (it is moved aside and removed only once the restore
        /// is complete).
        #[arg(long)]
        force: bool,
    },
    /// Syncs the store through a Git repository (docs/git-sharing.md): its event files are
    /// pushed under stores/NAME/, the other stores' pulled into <store>/.git-sync/stores/
    /// (read one with --store <store>/.git-sync/stores/OTHER).
    Sync {
        /// Anything `git clone` takes: a URL, a path to a bare repository.
        remote: String,
        /// This store's name in the repository.
        #[arg(long)]
        name: String,
    },
    /// Brings back what retention (cleanup) removed, from the history of the Git
    /// repository the store syncs with as NAME (docs/git-sharing.md): per aggregate, the
    /// newest removed events the history holds whole; exit code 1 lists the aggregates
    /// whose older events it does not hold.
    RestoreRemoved {
        /// This store's name in the repository (as given to sync).
        #[arg(long)]
        name: String,
    },
    /// Encryption at rest (docs/encryption.md); the store's key comes from the
    /// configuration (encryption.key-file) like any other setting.
    #[command(subcommand)]
    Encryption(EncryptionCommand),
}

/// What `encryption` does.
#[derive(Subcommand, Debug)]
enum EncryptionCommand {
    /// Writes a new random master key into FILE (64 hexadecimal digits, mode 600); FILE
    /// must not exist. Needs no store.
    Keygen { file: PathBuf },
    /// Encrypts the events the store holds in plaintext, in place, online.
    Encrypt,
    /// Rewrites every event in plaintext, then removes the keys: the store opens without
    /// one afterwards.
    Decrypt,
    /// Finishes a key rotation: the store opened with the new key and the old one as
    /// encryption.previous-key-file; every data key is wrapped anew, no event rewritten.
    RotateKey,
    /// Destroys an aggregate's data key: its events keep their shape, their data is gone.
    Forget {
        aggregate_type: String,
        aggregate_id: String,
    },
}

/// The tool's exit codes.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
enum Exit {
    /// The command found problems (`verify`) or refused some events (`import`).
    Problems = 1,
    /// The command line is wrong (clap's own code).
    #[allow(dead_code)]
    Usage = 2,
    /// The configuration (file, options, environment) is wrong.
    Config = 3,
    /// The store cannot do this now: opened read-only, in use by other processes, or
    /// refusing writes after a failure.
    Unavailable = 4,
    /// Stored data is damaged or an input event is invalid or conflicts.
    Data = 5,
    /// The file system refused (permissions, space, a missing path).
    Io = 6,
}

/// What a command ends with.
pub enum Outcome {
    /// Done.
    Ok,
    /// Done, but what it found or refused is listed: exit code 1.
    Problems,
}

/// An error of the tool: the message to print and the exit code.
pub struct Failure {
    message: String,
    exit: Exit,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let exit = match &e {
            Error::Config { .. } => Exit::Config,
            Error::Unavailable { .. } | Error::AggregateUnwritable { .. } => Exit::Unavailable,
            Error::Io { .. } | Error::OutcomeUnknown { .. } => Exit::Io,
            _ => Exit::Data,
        };
        Failure {
            message: e.to_string(),
            exit,
        }
    }
}

impl From<settings::SettingsError> for Failure {
    fn from(e: settings::SettingsError) -> Self {
        Failure {
            message: e.0,
            exit: Exit::Config,
        }
    }
}

impl Failure {
    /// A failure of the file system outside the store (an input or output file).
    pub fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> Failure {
        Failure {
            message: format!("cannot {what} {}: {e}", path.display()),
            exit: Exit::Io,
        }
    }

    /// A configuration or command line that names no usable store.
    pub fn config(message: String) -> Failure {
        Failure {
            message,
            exit: Exit::Config,
        }
    }

    /// Invalid input given to the tool (a file to import, a time).
    pub fn input(message: String) -> Failure {
        Failure {
            message,
            exit: Exit::Data,
        }
    }
}

/// The store's log records (recovery, rebuilds, set-asides, backups) on stderr.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = record.level().to_string().to_lowercase();
            eprintln!("bytehot-eventstore: {level}: {}", record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: StderrLogger = StderrLogger;

fn main() -> ExitCode {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
    let cli = Cli::parse();
    match commands::run(&cli.global, cli.command) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(Exit::Problems as u8),
        Err(failure) => {
            eprintln!("bytehot-eventstore: {}", failure.message);
            ExitCode::from(failure.exit as u8)
        }
    }
}
