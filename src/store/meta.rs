//! Upkeep of the metadata files under `metadata/` (aggregate types, schema versions,
//! statistics): derived data, checked at every open and rebuilt when they disagree with
//! the directories and the index.

use std::path::PathBuf;

use crate::error::Result;
use crate::event::{Event, format_instant};
use crate::file::{list_dirs, lock};
use crate::layout;
use crate::metadata::{
    AGGREGATE_TYPES, AggregateTypeEntry, AggregateTypesFile, MetadataLock, SCHEMA_VERSIONS,
    STATISTICS, SchemaMigration, SchemaVersionsFile, StorageStatistics,
};

use super::EventStore;

impl EventStore {
    /// The cheap check of every open: each metadata file that is missing, unreadable or
    /// disagrees with the directories and the index is rebuilt.
    pub(super) fn check_metadata(&self) -> Result<()> {
        let types = AggregateTypesFile {
            aggregate_types: self
                .type_dirs()?
                .into_iter()
                .map(|(directory, _)| AggregateTypeEntry {
                    name: layout::decode_component(&directory).unwrap_or_else(|| directory.clone()),
                    directory,
                })
                .collect(),
        };
        let indexed_types = self.index.event_types()?;
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        let believable = |s: &SchemaVersionsFile| s.event_types.keys().eq(indexed_types.iter());
        let schemas = match meta
            .read::<SchemaVersionsFile>(SCHEMA_VERSIONS)
            .filter(believable)
        {
            Some(s) => s,
            None => {
                let mut s = self.scan_schema_versions(&indexed_types)?;
                s.migrations = meta
                    .read::<SchemaVersionsFile>(SCHEMA_VERSIONS)
                    .map(|old| old.migrations)
                    .unwrap_or_default();
                meta.write(SCHEMA_VERSIONS, &s, self.durable())?;
                s
            }
        };
        if meta.read::<AggregateTypesFile>(AGGREGATE_TYPES).as_ref() != Some(&types) {
            meta.write(AGGREGATE_TYPES, &types, self.durable())?;
        }
        if meta.read::<StorageStatistics>(STATISTICS).is_none() {
            meta.write(STATISTICS, &self.statistics_from_index()?, false)?;
        }
        *lock(&self.known) = schemas;
        *lock(&self.known_types) = types;
        Ok(())
    }

    /// Schema versions of the given event types, from their events (found by the index).
    pub(super) fn scan_schema_versions(
        &self,
        event_types: &[String],
    ) -> Result<SchemaVersionsFile> {
        let mut out = SchemaVersionsFile::default();
        for t in event_types {
            for event in self.read_by_type(t)? {
                out.event_types
                    .entry(event.event_type)
                    .or_default()
                    .insert(event.metadata.schema_version);
            }
        }
        Ok(out)
    }

    /// Statistics from the index's records (no event file is read).
    pub(super) fn statistics_from_index(&self) -> Result<StorageStatistics> {
        let mut stats = StorageStatistics::default();
        let mut aggregates = std::collections::HashSet::new();
        for record in self.index.all()? {
            let mut parts = record.rel.splitn(3, '/');
            let (Some(type_dir), Some(id_dir)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = layout::decode_component(type_dir).unwrap_or_else(|| type_dir.to_string());
            let per_type = stats.aggregate_types.entry(name).or_default();
            per_type.events += 1;
            per_type.bytes += record.bytes;
            if aggregates.insert((type_dir.to_string(), id_dir.to_string())) {
                per_type.aggregates += 1;
            }
        }
        stats.total();
        stats.updated_at = format_instant(&self.clock.now());
        Ok(stats)
    }

    /// The store's statistics, counted from the index (no event file is read, nothing is
    /// written; a read-only store answers too while its index is complete).
    pub fn statistics(&self) -> Result<StorageStatistics> {
        self.check_index()?;
        self.statistics_from_index()
    }

    /// Recomputes `storage-statistics.json` from the index (done at close too).
    pub fn refresh_statistics(&self) -> Result<StorageStatistics> {
        self.check_writable()?;
        let stats = self.statistics_from_index()?;
        MetadataLock::acquire(&self.base, self.io.clone())?.write(STATISTICS, &stats, false)?;
        Ok(stats)
    }

    /// Aggregate type directories (everything at the top but `metadata` and dot names).
    pub(super) fn type_dirs(&self) -> Result<Vec<(String, PathBuf)>> {
        Ok(list_dirs(&self.base)?
            .into_iter()
            .filter(|(name, _)| name != layout::METADATA_DIR)
            .collect())
    }

    pub(super) fn note_aggregate_type(&self, aggregate_type: &str) -> Result<()> {
        let entry = AggregateTypeEntry {
            name: aggregate_type.to_string(),
            directory: layout::aggregate_type_dir(aggregate_type)?,
        };
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        let mut file: AggregateTypesFile = meta.read(AGGREGATE_TYPES).unwrap_or_default();
        if !file.aggregate_types.contains(&entry) {
            file.aggregate_types.push(entry);
            file.aggregate_types.sort();
            meta.write(AGGREGATE_TYPES, &file, self.durable())?;
        }
        *lock(&self.known_types) = file;
        Ok(())
    }

    pub(super) fn note_schema_versions(&self, events: &[Event]) -> Result<()> {
        let unseen: Vec<&Event> = {
            let known = lock(&self.known);
            events
                .iter()
                .filter(|e| {
                    !known
                        .event_types
                        .get(&e.event_type)
                        .is_some_and(|v| v.contains(&e.metadata.schema_version))
                })
                .collect()
        };
        if unseen.is_empty() {
            return Ok(());
        }
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        let mut file: SchemaVersionsFile = meta.read(SCHEMA_VERSIONS).unwrap_or_default();
        for e in unseen {
            file.event_types
                .entry(e.event_type.clone())
                .or_default()
                .insert(e.metadata.schema_version);
        }
        meta.write(SCHEMA_VERSIONS, &file, self.durable())?;
        *lock(&self.known) = file;
        Ok(())
    }

    /// Records a schema migration that finishes now in
    /// `metadata/event-schema-versions.json` (after the others), durably whatever the
    /// durability mode: it is the store's only record of it. Returns the record.
    pub fn record_schema_migration(
        &self,
        event_types: std::collections::BTreeMap<String, u32>,
        events_examined: u64,
        events_rewritten: u64,
        backup: Option<String>,
    ) -> Result<SchemaMigration> {
        self.check_writable()?;
        let migration = SchemaMigration {
            finished_at: format_instant(&self.clock.now()),
            event_types,
            events_examined,
            events_rewritten,
            backup,
        };
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        let mut file: SchemaVersionsFile = meta.read(SCHEMA_VERSIONS).unwrap_or_default();
        file.migrations.push(migration.clone());
        meta.write(SCHEMA_VERSIONS, &file, true)?;
        *lock(&self.known) = file;
        Ok(migration)
    }

    /// The schema migrations recorded in `metadata/event-schema-versions.json`, oldest first.
    pub fn schema_migrations(&self) -> Result<Vec<SchemaMigration>> {
        let meta = MetadataLock::acquire(&self.base, self.io.clone())?;
        Ok(meta
            .read::<SchemaVersionsFile>(SCHEMA_VERSIONS)
            .map(|f| f.migrations)
            .unwrap_or_default())
    }
}
