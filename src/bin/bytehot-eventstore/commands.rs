//! One function per command: open the store, call the library, print. No store logic
//! lives here; what the tool needs and the library lacked was added to the library.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytehot_eventstore::{
    Config, Error, Event, EventFilter, EventStore, StartAt, StreamFilter, backup_root,
    parse_instant, reindent,
};
use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::json;

use crate::output::{self, EVENT_HEADER, event_line, event_row};
use crate::{Command, EncryptionCommand, Failure, Global, Outcome, settings};

/// Which events `query` and `export` select: all of them by default.
#[derive(Args, Debug, Default)]
pub struct Filter {
    /// Only events of this event type.
    #[arg(long = "type", value_name = "EVENT_TYPE")]
    event_type: Option<String>,
    /// Only events of aggregates of this type.
    #[arg(long, value_name = "TYPE")]
    aggregate_type: Option<String>,
    /// Only events at or after this instant (ISO-8601, e.g. 2026-12-04T10:00:00Z).
    #[arg(long, value_name = "INSTANT")]
    from: Option<String>,
    /// Only events at or before this instant (ISO-8601).
    #[arg(long, value_name = "INSTANT")]
    to: Option<String>,
    /// Only events with this correlation id.
    #[arg(long, value_name = "ID")]
    correlation_id: Option<String>,
    /// Only events of this user.
    #[arg(long, value_name = "ID")]
    user_id: Option<String>,
    /// At most this many events.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

/// Runs one command.
pub fn run(global: &Global, command: Command) -> Result<Outcome, Failure> {
    match command {
        Command::Stats => stats(global),
        Command::Ls { aggregate_type } => ls(global, aggregate_type),
        Command::Show {
            aggregate_type,
            aggregate_id,
            since,
            data,
        } => show(global, &aggregate_type, &aggregate_id, since, data),
        Command::Query(filter) => query(global, &filter),
        Command::Tail { lines, follow } => tail(global, lines, follow),
        Command::Verify { repair } => verify(global, repair),
        Command::RebuildIndex => rebuild_index(global),
        Command::Compact => compact(global),
        Command::Export {
            filter,
            output,
            plaintext,
        } => export(global, &filter, output.as_deref(), plaintext),
        Command::Import { file, renumber } => import(global, &file, renumber),
        Command::Migrate {
            status: true,
            schemas: false,
            ..
        } => migrate_status(global),
        Command::Migrate {
            schemas: true,
            classpath: Some(classpath),
            setup,
            backup: Some(backup),
            ..
        } => migrate_schemas(global, &classpath, &setup, &backup),
        Command::Migrate { .. } => migrate(global),
        Command::Cleanup {
            dry_run,
            max_age_days,
            max_total_size_mb,
        } => cleanup(global, dry_run, max_age_days, max_total_size_mb),
        Command::Backup { dest, link_dest } => backup(global, &dest, link_dest.as_deref()),
        Command::Sync { remote, name } => sync(global, &remote, &name),
        Command::RestoreRemoved { name } => restore_removed(global, &name),
        Command::Encryption(what) => encryption(global, what),
        Command::Restore {
            backup,
            dest,
            force,
        } => restore(global, &backup, &dest, force),
    }
}

/// Opens the store as configured, read-only when asked or when `read_only`.
fn open(global: &Global, read_only: bool) -> Result<EventStore, Failure> {
    open_store(global, read_only, false, Vec::new())
}

/// [`open`], creating the store when `create` (an import into a new store), with the
/// settings `extra` on top of the configuration.
fn open_store(
    global: &Global,
    read_only: bool,
    create: bool,
    extra: Vec<(&'static str, String)>,
) -> Result<EventStore, Failure> {
    let mut config = resolve_config(global, read_only, create, extra)?;
    // The tool inspects and repairs: it neither backs up at close nor cleans up at open
    // because the application's configuration says so (`backup` and `cleanup` do that on
    // request).
    config.backup_enabled = false;
    config.cleanup_max_age_days = None;
    config.cleanup_max_total_size_mb = None;
    Ok(EventStore::open(config)?)
}

/// The configuration of the store the command names.
fn resolve_config(
    global: &Global,
    read_only: bool,
    create: bool,
    extra: Vec<(&'static str, String)>,
) -> Result<Config, Failure> {
    let mut overrides = extra;
    if let Some(store) = &global.store {
        overrides.push(("path", store.to_string_lossy().to_string()));
    }
    if global.read_only || read_only {
        overrides.push(("read-only", "true".to_string()));
    }
    let working_dir = std::env::current_dir()
        .map_err(|e| Failure::io("read", Path::new("the working directory"), e))?;
    let config = settings::resolve(global.config.as_deref(), &working_dir, &overrides)?;
    if !create && !config.path.is_dir() {
        // Every command but restore reads an existing store: creating an empty one
        // because of a typo in a path would hide the mistake.
        return Err(Failure::config(format!(
            "{} is not a store (no such directory): give the store's directory with --store, \
             the configuration file with --config, or set BYTEHOT_EVENTSTORE_PATH",
            config.path.display()
        )));
    }
    Ok(config)
}

fn close(store: EventStore) -> Result<(), Failure> {
    store.close().map_err(Failure::from)
}

fn stats(global: &Global) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let stats = store.statistics()?;
    let path = store.path().display().to_string();
    close(store)?;
    if global.json {
        output::json(&json!({ "store": path, "statistics": stats }));
        return Ok(Outcome::Ok);
    }
    println!("store       {path}");
    println!("events      {}", stats.total_events);
    println!("aggregates  {}", stats.total_aggregates);
    println!("event bytes {}", output::bytes(stats.total_bytes));
    println!();
    let rows: Vec<Vec<String>> = stats
        .aggregate_types
        .iter()
        .map(|(name, t)| {
            vec![
                name.clone(),
                t.aggregates.to_string(),
                t.events.to_string(),
                output::bytes(t.bytes),
            ]
        })
        .collect();
    output::table(&["AGGREGATE TYPE", "AGGREGATES", "EVENTS", "BYTES"], &rows);
    Ok(Outcome::Ok)
}

fn ls(global: &Global, aggregate_type: Option<String>) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let Some(aggregate_type) = aggregate_type else {
        let types = store.aggregate_types()?;
        close(store)?;
        if global.json {
            output::json(&json!({ "aggregateTypes": types }));
        } else {
            for name in types {
                println!("{name}");
            }
        }
        return Ok(Outcome::Ok);
    };
    let ids = store.aggregate_ids(&aggregate_type)?;
    let bar = output::progress(ids.len() as u64, "reading versions");
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let version = store.current_version(&aggregate_type, &id)?;
        rows.push((id, version));
        bar.inc(1);
    }
    bar.finish_and_clear();
    close(store)?;
    if global.json {
        let aggregates: Vec<_> = rows
            .iter()
            .map(|(id, v)| json!({ "aggregateId": id, "version": v }))
            .collect();
        output::json(&json!({ "aggregateType": aggregate_type, "aggregates": aggregates }));
    } else {
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|(id, v)| vec![id, v.to_string()])
            .collect();
        output::table(&["AGGREGATE ID", "VERSION"], &rows);
    }
    Ok(Outcome::Ok)
}

fn show(
    global: &Global,
    aggregate_type: &str,
    aggregate_id: &str,
    since: u64,
    data: bool,
) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    if !store.aggregate_exists(aggregate_type, aggregate_id)? {
        return Err(Failure::input(format!(
            "the store {} has no aggregate {aggregate_type}/{aggregate_id}: `ls {aggregate_type}` \
             lists those it has",
            store.path().display()
        )));
    }
    let events = store.read_aggregate(aggregate_type, aggregate_id, since)?;
    close(store)?;
    print_events(global, &events, data)?;
    Ok(Outcome::Ok)
}

fn print_events(global: &Global, events: &[Event], data: bool) -> Result<(), Failure> {
    if global.json {
        let mut stdout = std::io::stdout().lock();
        for event in events {
            stdout
                .write_all(&event_line(event))
                .map_err(|e| Failure::io("write", Path::new("stdout"), e))?;
        }
        return Ok(());
    }
    if data {
        for event in events {
            println!("{}", event_row(event).join("  "));
            println!("{}", reindent(event.data.get(), 0));
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = events.iter().map(event_row).collect();
    output::table(&EVENT_HEADER, &rows);
    Ok(())
}

fn instant(option: &str, text: &Option<String>) -> Result<Option<DateTime<Utc>>, Failure> {
    text.as_deref()
        .map(|t| {
            parse_instant(t).ok_or_else(|| {
                Failure::input(format!(
                    "{option} {t:?} is not an ISO-8601 instant (e.g. 2026-12-04T10:00:00Z)"
                ))
            })
        })
        .transpose()
}

impl Filter {
    /// The library's filter, the instants parsed.
    fn to_filter(&self) -> Result<EventFilter, Failure> {
        let mut filter = EventFilter::default();
        filter.event_type = self.event_type.clone();
        filter.aggregate_type = self.aggregate_type.clone();
        filter.from = instant("--from", &self.from)?;
        filter.to = instant("--to", &self.to)?;
        filter.correlation_id = self.correlation_id.clone();
        filter.user_id = self.user_id.clone();
        filter.limit = self.limit;
        Ok(filter)
    }
}

fn query(global: &Global, filter: &Filter) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let mut events = Vec::new();
    let bar = output::progress(0, "reading aggregates");
    store.select(
        &filter.to_filter()?,
        |e| {
            events.push(e.clone());
            Ok(())
        },
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    close(store)?;
    print_events(global, &events, false)?;
    Ok(Outcome::Ok)
}

/// The latest events by timestamp: the last hour's, then the last day's, month's and
/// year's, then all, until there are enough.
/// The latest `n` events in commit order (the store's stream), then, with `follow`, each
/// event committed after them by any process, as it is committed (the subscription is woken
/// by the file system, not by polling), until interrupted.
fn tail(global: &Global, n: usize, follow: bool) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let last = store.last_position()?;
    let from = last.saturating_sub(n as u64) + 1;
    let events: Vec<Event> = store
        .read_all(from, n)?
        .into_iter()
        .map(|e| e.event)
        .collect();
    print_events(global, &events, false)?;
    if !follow {
        close(store)?;
        return Ok(Outcome::Ok);
    }
    let mut subscription = store.subscribe(StartAt::After(last), StreamFilter::default())?;
    loop {
        let new: Vec<Event> = store
            .poll(&mut subscription, 256, Duration::from_secs(1))?
            .into_iter()
            .map(|e| e.event)
            .collect();
        if new.is_empty() {
            continue;
        }
        if global.json {
            print_events(global, &new, false)?;
        } else {
            for event in &new {
                println!("{}", event_row(event).join("  "));
            }
        }
        let _ = std::io::stdout().flush();
    }
}

fn verify(global: &Global, repair: bool) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    if repair {
        let spinner = output::spinner("rebuilding the index");
        store.rebuild_index()?;
        spinner.finish_and_clear();
    }
    let spinner = output::spinner("reading every event");
    let problems = store.verify()?;
    spinner.finish_and_clear();
    close(store)?;
    if global.json {
        output::json(&json!({ "problems": problems }));
    } else if problems.is_empty() {
        println!("no problems found");
    } else {
        for problem in &problems {
            println!("{problem}");
        }
        println!("{} problem(s)", problems.len());
    }
    Ok(if problems.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

fn rebuild_index(global: &Global) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let spinner = output::spinner("rebuilding the index");
    store.rebuild_index()?;
    spinner.finish_and_clear();
    let events = store.total_event_count()?;
    close(store)?;
    if global.json {
        output::json(&json!({ "indexedEvents": events }));
    } else {
        println!("index rebuilt: {events} events");
    }
    Ok(Outcome::Ok)
}

fn compact(global: &Global) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let spinner = output::spinner("compacting");
    let done = store.compact()?;
    spinner.finish_and_clear();
    close(store)?;
    if global.json {
        output::json(&json!({
            "filesMerged": done.files_merged,
            "segmentsWritten": done.segments_written,
            "segmentsCompressed": done.segments_compressed,
            "leftoversRemoved": done.leftovers_removed,
        }));
    } else {
        println!(
            "{} files merged into {} segments, {} segments compressed, {} leftovers removed",
            done.files_merged,
            done.segments_written,
            done.segments_compressed,
            done.leftovers_removed
        );
    }
    Ok(Outcome::Ok)
}

fn export(
    global: &Global,
    filter: &Filter,
    output: Option<&Path>,
    plaintext: bool,
) -> Result<Outcome, Failure> {
    let filter = filter.to_filter()?;
    let store = open(global, false)?;
    let count = match output {
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let count = store.export_with(&filter, &mut stdout, plaintext)?;
            stdout
                .flush()
                .map_err(|e| Failure::io("write", Path::new("stdout"), e))?;
            count
        }
        Some(path) => {
            // Written beside and renamed when complete: an interrupted export never
            // leaves a file that looks whole.
            let partial = sibling(path, &format!("partial-{}", std::process::id()));
            let file =
                std::fs::File::create(&partial).map_err(|e| Failure::io("create", &partial, e))?;
            let mut out = std::io::BufWriter::new(file);
            let finished = store
                .export_with(&filter, &mut out, plaintext)
                .map_err(Failure::from)
                .and_then(|count| {
                    let file = out
                        .into_inner()
                        .map_err(|e| Failure::io("write", &partial, e.into_error()))?;
                    file.sync_all()
                        .map_err(|e| Failure::io("sync", &partial, e))?;
                    std::fs::rename(&partial, path)
                        .map_err(|e| Failure::io("rename", &partial, e))?;
                    Ok(count)
                });
            match finished {
                Ok(count) => count,
                Err(failure) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(failure);
                }
            }
        }
    };
    close(store)?;
    if let Some(path) = output {
        if global.json {
            output::json(&json!({ "exported": count, "file": path }));
        } else {
            eprintln!("{count} events exported to {}", path.display());
        }
    }
    Ok(Outcome::Ok)
}

/// `path` with `.<tag>` appended to its file name.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}"));
    path.with_file_name(name)
}

fn import(global: &Global, file: &Path, renumber: bool) -> Result<Outcome, Failure> {
    let mut reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin().lock()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(file).map_err(|e| Failure::io("open", file, e))?,
        ))
    };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let store = open_store(global, false, true, Vec::new())?;
    let bar = output::progress(size, "importing (bytes)");
    let report = store
        .import(&mut reader, renumber, |read| bar.set_position(read))
        .map_err(|e| match e {
            Error::InvalidEvent { .. } => Failure::input(format!("{}: {e}", file.display())),
            other => Failure::from(other),
        })?;
    bar.finish_and_clear();
    close(store)?;
    if global.json {
        output::json(&json!({
            "imported": report.imported,
            "renumbered": report.renumbered,
            "skipped": report.skipped,
            "refused": report.conflicts.len(),
            "conflicts": report.conflicts,
        }));
    } else {
        for conflict in &report.conflicts {
            eprintln!("{}: {conflict}", file.display());
        }
        println!(
            "{} events imported ({} renumbered), {} already stored, {} refused",
            report.imported,
            report.renumbered,
            report.skipped,
            report.conflicts.len()
        );
    }
    Ok(if report.conflicts.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

fn migrate(global: &Global) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let bar = output::progress(0, "rewriting legacy versions");
    let rewritten = store.rewrite_all_legacy_versions(|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    close(store)?;
    if global.json {
        output::json(&json!({ "filesRewritten": rewritten }));
    } else {
        println!("{rewritten} files of ByteHot's adapter rewritten at their versions");
    }
    Ok(Outcome::Ok)
}

fn encryption(global: &Global, what: EncryptionCommand) -> Result<Outcome, Failure> {
    let on_store =
        |done: &'static str, run: &dyn Fn(&EventStore) -> bytehot_eventstore::Result<u64>| {
            let store = open(global, false)?;
            let count = run(&store)?;
            close(store)?;
            Ok::<_, Failure>((done, count))
        };
    let (what, count) = match what {
        EncryptionCommand::Keygen { file } => return keygen(global, &file),
        EncryptionCommand::Encrypt => on_store("events encrypted", &|s| s.reseal_all(true))?,
        EncryptionCommand::Decrypt => on_store("events decrypted", &|s| s.reseal_all(false))?,
        EncryptionCommand::RotateKey => {
            on_store("data keys rewrapped", &|s| s.rotate_master_key())?
        }
        EncryptionCommand::Forget {
            aggregate_type,
            aggregate_id,
        } => on_store("aggregates forgotten", &|s| {
            s.forget_aggregate(&aggregate_type, &aggregate_id)
                .map(|()| 1)
        })?,
    };
    if global.json {
        output::json(&json!({ "done": what, "count": count }));
    } else {
        println!("{count} {what}");
    }
    Ok(Outcome::Ok)
}

/// A new master key in a new file only its owner reads.
fn keygen(global: &Global, file: &Path) -> Result<Outcome, Failure> {
    let key = bytehot_eventstore::MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(file)
        .map_err(|e| Failure::io("create", file, e))?;
    writeln!(out, "{}", key.to_hex())
        .and_then(|()| out.sync_all())
        .map_err(|e| Failure::io("write", file, e))?;
    if global.json {
        output::json(&json!({ "keyFile": file, "keyId": key.id() }));
    } else {
        println!("wrote key {} to {}", key.id(), file.display());
    }
    Ok(Outcome::Ok)
}

fn sync(global: &Global, remote: &str, name: &str) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let done = store.sync(remote, name)?;
    let clone = store.path().join(bytehot_eventstore::SYNC_DIR);
    close(store)?;
    if global.json {
        output::json(&json!({
            "filesChanged": done.files_changed,
            "pushed": done.pushed,
            "otherStores": done.other_stores,
            "clone": clone,
        }));
    } else {
        println!(
            "{} files of {name} changed, {}; other stores: {}",
            done.files_changed,
            if done.pushed {
                "pushed"
            } else {
                "nothing to push"
            },
            if done.other_stores.is_empty() {
                "none".to_string()
            } else {
                done.other_stores.join(", ")
            }
        );
        if !done.other_stores.is_empty() {
            println!("read one with --store {}/stores/<name>", clone.display());
        }
    }
    Ok(Outcome::Ok)
}

fn restore_removed(global: &Global, name: &str) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let done = store.restore_removed(name)?;
    close(store)?;
    if global.json {
        output::json(&json!({
            "aggregates": done.aggregates,
            "eventsRestored": done.events_restored,
            "filesRestored": done.files_restored,
            "stillTruncated": done.still_truncated,
        }));
    } else {
        println!(
            "{} events ({} files) of {} aggregates brought back from the history of {name}",
            done.events_restored, done.files_restored, done.aggregates
        );
        for aggregate in &done.still_truncated {
            println!("still truncated: {aggregate}");
        }
    }
    Ok(if done.still_truncated.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

/// The schema migration of the store, by the application's upcasters: in a JVM running
/// `SchemaMigrationMain` with the application's classpath, which prints its result (and,
/// with `--json`, nothing else).
fn migrate_schemas(
    global: &Global,
    classpath: &str,
    setup: &[String],
    backup: &Path,
) -> Result<Outcome, Failure> {
    let config = resolve_config(global, false, false, Vec::new())?;
    let java = std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin").join("java"))
        .filter(|java| java.exists())
        .unwrap_or_else(|| PathBuf::from("java"));
    let mut command = std::process::Command::new(&java);
    if let Some(file) = &global.config {
        command.arg(format!("-Dbytehot.eventstore.config={}", file.display()));
    }
    command
        .args(["-cp", classpath, SCHEMA_MIGRATION_MAIN, "--store"])
        .arg(&config.path)
        .arg("--backup")
        .arg(backup);
    for class in setup {
        command.args(["--setup", class]);
    }
    let out = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| Failure::io("run", &java, e))?;
    let printed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        print!("{printed}");
        return Err(Failure::input(format!(
            "the schema migration in {} exited with {} (its error is above; every event \
             reads old or new, and running it again finishes it)",
            java.display(),
            out.status
        )));
    }
    let result: serde_json::Value = serde_json::from_str(printed.trim()).map_err(|e| {
        Failure::input(format!(
            "{SCHEMA_MIGRATION_MAIN} printed no result ({e}): {printed}"
        ))
    })?;
    if global.json {
        output::json(&result);
    } else {
        println!(
            "{} of {} events rewritten ({} files), backup in {}",
            result["eventsRewritten"],
            result["eventsExamined"],
            result["filesRewritten"],
            backup.display()
        );
    }
    Ok(Outcome::Ok)
}

/// The Java program `migrate --schemas` runs.
const SCHEMA_MIGRATION_MAIN: &str =
    "org.acmsl.bytehot.infrastructure.eventsourcing.SchemaMigrationMain";

/// Events per type and schema version, from a walk of the stream, and the migrations
/// recorded.
fn migrate_status(global: &Global) -> Result<Outcome, Failure> {
    let store = open(global, true)?;
    let mut counts: std::collections::BTreeMap<(String, u32), u64> = Default::default();
    let mut from = 0;
    loop {
        let page = store.read_all(from, 1024)?;
        let Some(last) = page.last() else {
            break;
        };
        from = last.position + 1;
        for e in &page {
            *counts
                .entry((e.event.event_type.clone(), e.event.metadata.schema_version))
                .or_default() += 1;
        }
    }
    let migrations = store.schema_migrations()?;
    close(store)?;
    if global.json {
        let stored: Vec<_> = counts
            .iter()
            .map(|((t, v), n)| json!({ "eventType": t, "schemaVersion": v, "events": n }))
            .collect();
        output::json(&json!({ "stored": stored, "migrations": migrations }));
        return Ok(Outcome::Ok);
    }
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|((t, v), n)| vec![t.clone(), v.to_string(), n.to_string()])
        .collect();
    output::table(&["EVENT TYPE", "SCHEMA VERSION", "EVENTS"], &rows);
    println!();
    if migrations.is_empty() {
        println!("no schema migration recorded");
    }
    for m in &migrations {
        let types: Vec<String> = m
            .event_types
            .iter()
            .map(|(t, v)| format!("{t} -> {v}"))
            .collect();
        println!(
            "{}: {} of {} events rewritten ({}){}",
            m.finished_at,
            m.events_rewritten,
            m.events_examined,
            types.join(", "),
            m.backup
                .as_deref()
                .map(|b| format!(", backup {b}"))
                .unwrap_or_default()
        );
    }
    Ok(Outcome::Ok)
}

fn cleanup(
    global: &Global,
    dry_run: bool,
    max_age_days: Option<u32>,
    max_total_size_mb: Option<u64>,
) -> Result<Outcome, Failure> {
    let mut extra = Vec::new();
    if let Some(days) = max_age_days {
        extra.push(("cleanup.max-age-days", days.to_string()));
    }
    if let Some(mb) = max_total_size_mb {
        extra.push(("cleanup.max-total-size-mb", mb.to_string()));
    }
    let config = resolve_config(global, dry_run, false, extra)?;
    let (max_age, max_size) = (
        config.cleanup_max_age_days,
        config.cleanup_max_total_size_mb,
    );
    if max_age.is_none() && max_size.is_none() {
        return Err(Failure::config(format!(
            "no retention is configured for {}: set cleanup.max-age-days or \
             cleanup.max-total-size-mb (or pass --max-age-days / --max-total-size-mb)",
            config.path.display()
        )));
    }
    let backup_first = config.backup_enabled && !dry_run;
    // A dry run changes nothing: the store is opened read-only.
    let store = open_store(global, dry_run, false, Vec::new())?;
    if backup_first {
        let spinner = output::spinner("backing up before the cleanup");
        store.backup_generation_into(&backup_root(&config), config.backup_keep)?;
        spinner.finish_and_clear();
    }
    let spinner = output::spinner("cleaning up");
    let first = store.cleanup_with(max_age, max_size, dry_run)?;
    spinner.finish_and_clear();
    close(store)?;
    if global.json {
        output::json(&json!({
            "dryRun": first.dry_run,
            "aggregates": first.aggregates,
            "eventsRemoved": first.events_removed,
            "filesRemoved": first.files_removed,
            "bytesRemoved": first.bytes_removed,
            "bytesKept": first.bytes_kept,
            "overSizeLimit": first.over_size_limit,
        }));
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        println!(
            "{verb} {} events ({} files, {}) of {} aggregates; {} of events left{}",
            first.events_removed,
            first.files_removed,
            output::bytes(first.bytes_removed),
            first.aggregates,
            output::bytes(first.bytes_kept),
            if first.over_size_limit {
                " (over the size limit: the rest is recent, undated, or each aggregate's last file)"
            } else {
                ""
            }
        );
    }
    Ok(Outcome::Ok)
}

fn backup(global: &Global, dest: &Path, link_dest: Option<&Path>) -> Result<Outcome, Failure> {
    let store = open(global, false)?;
    let spinner = output::spinner("backing up");
    let done = store.backup(dest, link_dest)?;
    spinner.finish_and_clear();
    close(store)?;
    if global.json {
        output::json(&json!({
            "backup": dest,
            "files": done.files,
            "bytes": done.bytes,
            "linked": done.linked,
            "events": done.events,
        }));
    } else {
        println!(
            "backup {}: {} events in {} files ({}; {} files linked from the earlier backup)",
            dest.display(),
            done.events,
            done.files,
            output::bytes(done.bytes),
            done.linked
        );
    }
    Ok(Outcome::Ok)
}

fn restore(global: &Global, backup: &Path, dest: &Path, force: bool) -> Result<Outcome, Failure> {
    let _ = global;
    let spinner = output::spinner("restoring");
    let done = EventStore::restore(backup, dest, force)?;
    spinner.finish_and_clear();
    if global.json {
        output::json(&json!({ "restored": dest, "files": done.files, "events": done.events }));
    } else {
        println!(
            "restored {} events ({} files) from {} into {}; the store verifies clean",
            done.events,
            done.files,
            backup.display(),
            dest.display()
        );
    }
    Ok(Outcome::Ok)
}
