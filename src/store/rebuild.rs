//! The index and metadata rebuilt from the event files (at an open that cannot trust the
//! index, or on request), and what a power loss tore set aside on the way.
//!
//! Invariants: a rebuild reads every event file and indexes each event once (a file whose
//! event a segment holds too, from a `compact` cut short, is not indexed); a file or line
//! that does not parse is indexed by its name alone; what [`PowerLoss`] judges a loss's
//! tail goes to `.lost/`, last file first, so that an open dying halfway leaves no gap
//! before later files.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::event::{Event, format_instant};
use crate::file::{list_dirs, lock};
use crate::index;
use crate::journal;
use crate::layout;
use crate::metadata::{
    AGGREGATE_TYPES, AggregateTypeEntry, AggregateTypesFile, MetadataLock, SCHEMA_VERSIONS,
    STATISTICS, SchemaVersionsFile, StorageStatistics,
};

use super::EventStore;
use super::files::{decoded, is_compressed, jackson_printed, list_events, scan_segment};

/// What an open knows after a power loss cut short writers under `batch` or `none`: the
/// event files their journals still name (restored whole by the replay before this), and
/// when the oldest of those journals was created.
///
/// Such a writer renamed files into place before their journal record was durable, so
/// the loss can leave a file with its name but not (all of) its bytes, that no record can
/// restore: a save from the interval the mode may lose; or it can keep a later file and
/// lose a save whole. In each aggregate, a file that does not parse or whose event does
/// not follow the aggregate's previous one, together with every file after it, is such a
/// loss when all were created since the oldest cut-short journal and none of them is
/// named by a record of an `always` or `batch` journal. Such a record is never set aside: it may be an
/// acknowledged durable save (`always`), and one writer's records are appended in
/// order, its checkpoints syncing the files before a new epoch, so it proves that
/// writer's earlier files durable (a torn file before it is then another writer's, or
/// other damage: left in place). A `none` checkpoint syncs nothing, so a `none` record
/// of a later epoch proves nothing, and the files after a torn one go with it. What is
/// set aside goes to `.lost/`, and the aggregate reads whole up to its last durable
/// save. Any other file that does not parse is left where it is, reported by reads and
/// `verify`.
pub(super) struct PowerLoss {
    /// The files that records of `always` and `batch` journals name.
    journaled: std::collections::HashSet<String>,
    since: std::time::SystemTime,
}

impl PowerLoss {
    /// `None` when a cut-short journal's creation time cannot be known: nothing is then
    /// set aside.
    pub(super) fn new(cut_short: &[&Path], vouching: Vec<String>) -> Option<Self> {
        let mut since: Option<std::time::SystemTime> = None;
        for journal in cut_short {
            let born = fs::metadata(journal).ok().and_then(|m| created(&m))?;
            since = Some(since.map_or(born, |s| s.min(born)));
        }
        Some(PowerLoss {
            journaled: vouching.into_iter().collect(),
            since: since?,
        })
    }

    /// Where the torn tail of one aggregate's files (in order) starts, if it has one: the
    /// first file (or segment line) that does not parse, or the first file whose event does
    /// not follow the one before it (a save the loss lost whole, while it kept a later
    /// file: ext4 may write a new file back before an earlier append's new size), among the
    /// files the loss may have made (not journaled, and made since the writer started).
    fn torn_tail(&self, files: &[FoundFile]) -> Option<usize> {
        // The file systems' creation times are coarse: a second of slack.
        let slack = std::time::Duration::from_secs(1);
        // A segment's bad end counts from the segment's last change: the file itself
        // may be far older than the lines a loss tore.
        let born = |path: &Path, tail: bool| {
            fs::symlink_metadata(path)
                .ok()
                .and_then(|m| if tail { m.modified().ok() } else { created(&m) })
        };
        // From the last file back, while the loss may have made them; a segment's lines
        // share one look at its times.
        let mut since = files.len();
        let mut looked: Option<(&Path, bool, bool)> = None;
        for file in files.iter().rev() {
            let key = (file.path.as_path(), file.tail.is_some());
            let recent = match looked {
                Some((path, tail, recent)) if (path, tail) == key => recent,
                _ => {
                    let recent = born(key.0, key.1).is_some_and(|b| b + slack >= self.since);
                    looked = Some((key.0, key.1, recent));
                    recent
                }
            };
            if !recent || self.journaled.contains(&file.entry.rel) {
                break;
            }
            since -= 1;
        }
        // Per aggregate: a directory of ByteHot's old adapter may hold several.
        let mut last: HashMap<&(String, String), &FoundFile> = HashMap::new();
        for (i, file) in files.iter().enumerate() {
            let link = file.link.as_ref();
            let gap = link
                .and_then(|l| last.get(&l.aggregate))
                .is_some_and(|earlier| breaks_chain(earlier, file));
            if i >= since && (file.schema.is_none() || gap) {
                return Some(i);
            }
            if let Some(link) = link {
                last.insert(&link.aggregate, file);
            }
        }
        None
    }
}

/// An event's place in its aggregate's chain, for telling a gap a power loss left.
pub(super) struct Link {
    aggregate: (String, String),
    version: u64,
    id: String,
    previous: Option<String>,
}

impl Link {
    fn of(event: &Event) -> Link {
        let m = &event.metadata;
        Link {
            aggregate: (m.aggregate_type.clone(), m.aggregate_id.clone()),
            version: m.aggregate_version,
            id: m.event_id.clone(),
            previous: m.previous_event_id.clone(),
        }
    }
}

/// Whether `later`, a file after `earlier` of the same aggregate, names another event as
/// its previous one and another version than the next: an event between them is missing.
/// Within one segment lines follow each other by construction; a gap there is not a loss's.
fn breaks_chain(earlier: &FoundFile, later: &FoundFile) -> bool {
    let (Some(earlier_link), Some(later_link)) = (&earlier.link, &later.link) else {
        return false;
    };
    earlier.path != later.path
        && later_link
            .previous
            .as_ref()
            .is_some_and(|previous| *previous != earlier_link.id)
        && later_link.version != earlier_link.version + 1
}

/// A file's creation time, or its modification time where the file system keeps none.
/// Without creation times nothing is set aside in practice: a journal's modification
/// time is its last append, later than the files it saw created, so none qualifies.
pub(super) fn created(meta: &fs::Metadata) -> Option<std::time::SystemTime> {
    meta.created().or_else(|_| meta.modified()).ok()
}

/// An event file, a line of a segment, or the end of a segment from its first line that
/// is not an event, met by a rebuild.
pub(super) struct FoundFile {
    entry: index::Entry,
    /// Its schema version; `None` when it does not parse.
    schema: Option<u32>,
    path: PathBuf,
    /// For a segment's bad end: where in the segment it starts. Not indexed (a torn line
    /// is no event; a line that is not an event is reported by reads and `verify`).
    tail: Option<u64>,
    /// The event's id, when it parses, and whether it is a line of a segment: a file
    /// whose event a segment holds too (a `compact` cut short) is not indexed twice.
    copy_of: Option<(String, bool)>,
    /// When it parses and this library wrote it (ByteHot's old adapter numbered versions
    /// by session): its event's place in the chain.
    link: Option<Link>,
}

impl EventStore {
    /// Rebuilds the index and the metadata files from the event files, as an open does
    /// when the index is missing: the operator's answer to an index that `verify` finds
    /// wrong. Refused while another store (in this process or another) has the base
    /// directory open: its saves append index lines meanwhile, and a line appended to a
    /// log the rebuild then replaces would be lost. Opens wait while it runs.
    pub fn rebuild_index(&self) -> Result<()> {
        self.check_writable()?;
        let _recovery = self.recovery_lock()?;
        let own = self.journal.as_ref().map(|j| j.path().to_path_buf());
        let others: Vec<String> = journal::live_journals(&self.base)?
            .into_iter()
            .filter(|path| Some(path) != own.as_ref())
            .map(|path| path.display().to_string())
            .collect();
        if !others.is_empty() {
            return Err(Error::Unavailable {
                reason: format!(
                    "other stores have {} open (their journals: {}): close them, then \
                     rebuild the index",
                    self.base.display(),
                    others.join(", ")
                ),
            });
        }
        log::info!("{}: rebuilding the index on request", self.base.display());
        self.rebuild_all(None)
    }

    /// Walks every aggregate directory and reads every event file: rebuilds the index
    /// and every metadata file, and removes temp files of dead writers. Runs when the
    /// index is missing (a store written before it existed, or by hand) or when a crash
    /// under `batch`/`none` may have left files the journals do not account for.
    pub(super) fn rebuild_all(&self, loss: Option<&PowerLoss>) -> Result<()> {
        let mut stats = StorageStatistics::default();
        let mut types = AggregateTypesFile::default();
        let mut schemas = SchemaVersionsFile::default();
        let mut entries = Vec::new();
        for (type_dir, type_path) in self.type_dirs()? {
            let name = layout::decode_component(&type_dir).unwrap_or_else(|| type_dir.clone());
            let per_type = stats.aggregate_types.entry(name.clone()).or_default();
            types.aggregate_types.push(AggregateTypeEntry {
                name,
                directory: type_dir.clone(),
            });
            for (agg_dir, agg_path) in list_dirs(&type_path)? {
                let mut found = Vec::new();
                for (name, file) in list_events(&agg_path, self.clean())? {
                    let path = agg_path.join(&file);
                    let bytes = self
                        .io
                        .read(&path)
                        .map_err(|e| Error::io("read", &path, e))?;
                    // A compressed file that does not decompress parses as nothing.
                    let bytes = decoded(&path, bytes, u64::MAX).unwrap_or_default();
                    if name.segment {
                        let (lines, bad) = scan_segment(&bytes, 0);
                        // Its lines go by the plain name, compressed or not.
                        let file = layout::plain_name(&file);
                        for (event, _, at) in lines.events {
                            found.push(FoundFile {
                                link: Some(Link::of(&event)),
                                copy_of: Some((event.metadata.event_id.clone(), true)),
                                schema: Some(event.metadata.schema_version),
                                entry: index::Entry::of(
                                    &event,
                                    journal::record_path(
                                        &format!("{type_dir}/{agg_dir}/{file}"),
                                        Some(at),
                                    ),
                                    u64::from(at.1),
                                ),
                                path: path.clone(),
                                tail: None,
                            });
                        }
                        if let Some(bad) = bad {
                            found.push(FoundFile {
                                schema: None,
                                entry: index::Entry::unparsed(
                                    name.event_type,
                                    format!("{type_dir}/{agg_dir}/{file}@{}", bad.offset),
                                    bytes.len() as u64 - bad.offset,
                                ),
                                path,
                                tail: Some(bad.offset),
                                copy_of: None,
                                link: None,
                            });
                        }
                        continue;
                    }
                    // A file that does not parse is indexed by its name (type, no time):
                    // reads by type then report it, as `verify` does, instead of the open
                    // failing or the file vanishing from the queries.
                    let rel = format!("{type_dir}/{agg_dir}/{file}");
                    let size = bytes.len() as u64;
                    let (entry, schema, copy_of, link) = match Event::from_json(&bytes) {
                        Ok(event) => (
                            index::Entry::of(&event, rel, size),
                            Some(event.metadata.schema_version),
                            Some((event.metadata.event_id.clone(), false)),
                            (!jackson_printed(&bytes)).then(|| Link::of(&event)),
                        ),
                        Err(_) => (
                            index::Entry::unparsed(name.event_type, rel, size),
                            None,
                            None,
                            None,
                        ),
                    };
                    found.push(FoundFile {
                        entry,
                        schema,
                        path,
                        tail: None,
                        copy_of,
                        link,
                    });
                }
                // A compaction cut short left events both as files and as segment lines:
                // the lines stand (as reads take them), the files are not indexed.
                let in_segments: std::collections::HashSet<String> = found
                    .iter()
                    .filter_map(|f| f.copy_of.clone())
                    .filter_map(|(id, line)| line.then_some(id))
                    .collect();
                if !in_segments.is_empty() {
                    found.retain(
                        |f| !matches!(&f.copy_of, Some((id, false)) if in_segments.contains(id)),
                    );
                }
                if let Some(from) = loss.and_then(|l| l.torn_tail(&found)) {
                    // Last file first: an open that dies halfway leaves the torn file in
                    // place for the next open to find, never a gap before later files.
                    let mut moved = std::collections::HashSet::new();
                    for torn in found.drain(from..).rev() {
                        let sealed = is_compressed(&torn.path);
                        match torn.tail {
                            // A compressed segment cannot be cut: it goes whole.
                            Some(_) if sealed => {
                                if moved.insert(torn.path.clone()) {
                                    self.set_aside(&torn.path)?;
                                }
                            }
                            Some(offset) => self.cut_bad_end(&torn.path, offset)?,
                            // A later segment goes whole, with its first line.
                            None if !moved.insert(torn.path.clone()) => {}
                            None => self.set_aside(&torn.path)?,
                        }
                    }
                }
                if !found.is_empty() {
                    per_type.aggregates += 1;
                }
                for FoundFile {
                    entry,
                    schema,
                    tail,
                    ..
                } in found
                {
                    if tail.is_some() {
                        continue;
                    }
                    per_type.events += 1;
                    per_type.bytes += entry.bytes;
                    if let Some(version) = schema {
                        schemas
                            .event_types
                            .entry(entry.event_type.clone())
                            .or_default()
                            .insert(version);
                    }
                    entries.push(entry);
                }
            }
        }
        self.index.rebuild(&entries, self.durable())?;
        stats.updated_at = format_instant(&self.clock.now());
        stats.total();
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        schemas.migrations = meta
            .read::<SchemaVersionsFile>(SCHEMA_VERSIONS)
            .map(|old| old.migrations)
            .unwrap_or_default();
        meta.write(SCHEMA_VERSIONS, &schemas, self.durable())?;
        meta.write(AGGREGATE_TYPES, &types, self.durable())?;
        meta.write(STATISTICS, &stats, false)?;
        *lock(&self.known) = schemas;
        *lock(&self.known_types) = types;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::{Duration, SystemTime};

    use super::*;

    fn found(dir: &Path, name: &str, parses: bool) -> FoundFile {
        let path = dir.join(name);
        fs::write(&path, b"{}").expect("write");
        FoundFile {
            entry: index::Entry::unparsed("A".to_string(), format!("t/a/{name}"), 2),
            schema: parses.then_some(1),
            path,
            tail: None,
            copy_of: None,
            link: None,
        }
    }

    fn loss(since: SystemTime, journaled: &[&str]) -> PowerLoss {
        PowerLoss {
            journaled: journaled
                .iter()
                .map(|n| format!("t/a/{n}"))
                .collect::<HashSet<_>>(),
            since,
        }
    }

    fn files(dir: &Path) -> Vec<FoundFile> {
        vec![
            found(dir, "1.json", true),
            found(dir, "2.json", false),
            found(dir, "3.json", true),
        ]
    }

    #[test]
    fn the_first_unparseable_file_and_every_later_one_created_since_the_loss_are_the_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(loss(since, &[]).torn_tail(&files(dir.path())), Some(1));
    }

    #[test]
    fn an_aggregate_whose_files_all_parse_has_no_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let all_parse = vec![found(dir.path(), "1.json", true)];
        let since = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(loss(since, &[]).torn_tail(&all_parse), None);
    }

    #[test]
    fn a_later_file_a_vouching_journal_names_keeps_the_whole_tail_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(loss(since, &["3.json"]).torn_tail(&files(dir.path())), None);
        assert_eq!(loss(since, &["2.json"]).torn_tail(&files(dir.path())), None);
    }

    fn linked(dir: &Path, name: &str, aggregate: &str, version: u64, previous: &str) -> FoundFile {
        FoundFile {
            link: Some(Link {
                aggregate: ("t".to_string(), aggregate.to_string()),
                version,
                id: format!("{aggregate}-{version}"),
                previous: (version > 1).then(|| previous.to_string()),
            }),
            ..found(dir, name, true)
        }
    }

    #[test]
    fn a_file_whose_event_does_not_follow_its_aggregate_s_last_starts_the_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        let files = vec![
            linked(dir.path(), "1.json", "a", 1, ""),
            linked(dir.path(), "2.json", "a", 2, "a-1"),
            linked(dir.path(), "4.json", "a", 4, "a-3"),
            linked(dir.path(), "5.json", "a", 5, "a-4"),
        ];
        assert_eq!(loss(since, &[]).torn_tail(&files), Some(2));
    }

    #[test]
    fn two_aggregates_sharing_an_old_adapter_directory_are_each_followed_on_their_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() - Duration::from_secs(60);
        let files = vec![
            linked(dir.path(), "1.json", "a/b", 1, ""),
            linked(dir.path(), "2.json", "a_b", 1, ""),
            linked(dir.path(), "3.json", "a/b", 2, "a/b-1"),
            linked(dir.path(), "4.json", "a_b", 2, "a_b-1"),
        ];
        assert_eq!(loss(since, &[]).torn_tail(&files), None);
    }

    #[test]
    fn files_created_before_the_oldest_cut_short_journal_are_no_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let since = SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(loss(since, &[]).torn_tail(&files(dir.path())), None);
    }
}
