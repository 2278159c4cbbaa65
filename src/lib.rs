//! bytehot-eventstore: an embedded, file-per-event event store.
//!
//! Every event is one pretty-printed JSON file at
//! `<base>/<aggregateType>/<aggregateId>/<yyyyMMddHHmmssSSS><seq>-<EventType>.json`, or,
//! with `max-events-per-file` above 1, one line of a segment file (`.jsonl`); see
//! `docs/filesystem-format.md` for the format and `docs/architecture.md` for the map.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![warn(missing_docs)]

mod clock;
mod config;
mod crypto;
mod error;
mod event;
mod ffi;
mod file;
mod index;
mod io;
mod jni_log;
mod jni_stream;
mod journal;
mod layout;
mod metadata;
mod store;
mod stream;

pub use clock::{Clock, SystemClock};
pub use config::{
    Config, DEFAULT_COMPRESSION_MIN_BYTES, DEFAULT_EVENT_CACHE_BYTES, DEFAULT_MAX_EVENT_SIZE,
    Durability, MAX_EVENTS_PER_FILE, SETTINGS,
};
pub use crypto::{ENCRYPTED_MEMBER, FORGOTTEN_MEMBER, MasterKey, is_forgotten};
pub use error::{Error, NameKind, Result};
pub use event::{
    Event, EventMetadata, MAX_DATA_DEPTH, MAX_NAME_LENGTH, MAX_NUMBER_LENGTH, MAX_STRING_LENGTH,
    format_instant, parse_instant, reindent, reindent_within, unreadable_part,
};
pub use io::{Call, Fault, FaultyIo, OsIo, StoreIo};
pub use journal::{
    JOURNAL_MAGIC, crc32, decode_records, encode_header, encode_record, encode_record_in,
    journal_epoch,
};
pub use layout::{
    FileName, MAX_AGGREGATE_ID_BYTES, MAX_ENCODED_COMPONENT, MAX_EVENT_TYPE_BYTES,
    aggregate_id_dir, aggregate_type_dir, decode_component, encode_component, legacy_id_dir,
};
pub use metadata::{
    AggregateTypeEntry, AggregateTypesFile, SchemaMigration, SchemaVersionsFile, StorageStatistics,
    TypeStatistics,
};
pub use store::{
    BACKUP_MANIFEST, BackupReport, CLEANUP_LOG, CleanupReport, Compaction, EventFilter, EventStore,
    Health, ImportReport, OtherStoresCursor, RestoreReport, SNAPSHOT_DIR, SNAPSHOTS_KEPT, SYNC_DIR,
    SchemaRewrite, Snapshot, StartAt, StreamEvent, StreamFilter, Subscription, SyncReport,
    backup_root,
};
