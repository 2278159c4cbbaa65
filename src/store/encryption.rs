//! The store's side of encryption at rest (`crate::crypto` holds the cipher and the key
//! files' format): which master key a store needs at open, each aggregate's data key
//! (created, durably, before the first sealed event of the aggregate is journaled), the
//! sealing of new events and the opening of stored ones at the API's edge (caches, the
//! journal, compaction and rewrites only ever see sealed data), crypto-shredding and
//! master key rotation.
//!
//! Invariants: `metadata/encryption.json` exists once any event was sealed, and names the
//! master key (by id) every `.key` is wrapped by, or, during a rotation, the new one and
//! the previous one; an open without the key it names fails. A `.key` is synced, with its
//! directory, before any event it seals is journaled.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::crypto::{
    self, AggregateKey, DataKey, FORGOTTEN_FILE, KEY_FILE, Keyring, STORE_FILE, StoreFile,
};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::file::{self, lock, lock_dir};

use super::EventStore;
use super::cache::{AggKey, AggState};

impl EventStore {
    /// The keyring the configuration gives; checks it against `metadata/encryption.json`
    /// and, when `write`, records it there (a store encrypted from now on, or a rotation
    /// begun). Fails on a missing or wrong key, naming both ids.
    pub(super) fn open_encryption(&mut self, write: bool) -> Result<()> {
        let path = self.metadata_dir.join(STORE_FILE);
        let recorded: Option<StoreFile> = match file::read_regular(&path) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                Error::corrupt(&path, format!("is not the store's encryption record: {e}"))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        let Some(master) = self.config.encryption_key.clone() else {
            if let Some(recorded) = recorded {
                return Err(Error::config(
                    "encryption.key-file",
                    format!(
                        "{} is encrypted (master key {}, see {}): configure its key \
                         (encryption.key-file or BYTEHOT_EVENTSTORE_ENCRYPTION_KEY_FILE)",
                        self.base.display(),
                        recorded.master_key_id,
                        path.display()
                    ),
                ));
            }
            return Ok(());
        };
        if self.config.legacy_readable {
            return Err(Error::config(
                "legacy-readable",
                "cannot be combined with encryption: ByteHot's adapter would read sealed data",
            ));
        }
        let previous = self.config.encryption_previous_key.clone();
        let wanted = match &recorded {
            None => StoreFile::new(&master, None),
            Some(r) if r.master_key_id == master.id() => r.clone(),
            // A rotation begins: the key the store names is given as the previous one.
            Some(r) if previous.as_ref().is_some_and(|p| p.id() == r.master_key_id) => {
                StoreFile::new(&master, previous.as_ref())
            }
            Some(r) => {
                return Err(Error::config(
                    "encryption.key-file",
                    format!(
                        "the configured master key {} is not the key of {} ({}{}): give \
                         that key; to rotate to a new key, give the current one as \
                         encryption.previous-key-file",
                        master.id(),
                        self.base.display(),
                        r.master_key_id,
                        r.previous_master_key_id
                            .as_ref()
                            .map(|p| format!(", rotating from {p}"))
                            .unwrap_or_default()
                    ),
                ));
            }
        };
        if write && recorded.as_ref() != Some(&wanted) {
            self.write_metadata_file(
                STORE_FILE,
                &serde_json::to_vec_pretty(&wanted).unwrap_or_default(),
            )?;
        }
        self.keyring = Some(Keyring::new(
            master,
            previous,
            self.config.compression,
            self.config.event_cache_bytes,
        ));
        Ok(())
    }

    /// The data key new events of the aggregate in `dir` are sealed with: read from its
    /// `.key`, or created (the file and its directory synced) when it has none. `None`
    /// without encryption. Under the directory's exclusive lock.
    pub(super) fn data_key_for_write(
        &self,
        key: &AggKey,
        dir: &Path,
    ) -> Result<Option<Arc<DataKey>>> {
        let Some(ring) = &self.keyring else {
            return Ok(None);
        };
        let rel = self.rel_dir(dir);
        match ring.key_of(dir, &rel)? {
            AggregateKey::Key(k) => Ok(Some(k)),
            AggregateKey::Forgotten(at) => Err(Error::Unavailable {
                reason: format!(
                    "{}/{} was forgotten ({at}): its data key is destroyed, it takes no new events",
                    key.0, key.1
                ),
            }),
            AggregateKey::None => {
                let (data_key, wrapped) = ring.new_key(&rel)?;
                // fsync the folder: the key must be durable before any event it seals is
                // journaled, or a crash would leave journaled events nobody can read.
                self.write_synced(dir, KEY_FILE, &wrapped)?;
                self.sync_directory(dir)?;
                Ok(Some(ring.remember(dir, data_key)))
            }
        }
    }

    /// `dir` relative to the base directory, as the key files bind it.
    fn rel_dir(&self, dir: &Path) -> String {
        dir.strip_prefix(&self.base)
            .unwrap_or(dir)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// `event` sealed with `data_key` (unchanged without one, or when already sealed).
    pub(super) fn encrypt(&self, data_key: Option<&DataKey>, event: Event) -> Result<Event> {
        match (data_key, &self.keyring) {
            (Some(k), Some(ring)) => crypto::seal_event(k, event, ring.compress),
            _ => Ok(event),
        }
    }

    /// Whether the data key the aggregate in `dir` has now opens the sealed `event` (a key
    /// it had before a decryption and a new encryption does not). Takes no lock: the
    /// caller may hold the aggregate's.
    pub(super) fn opens_with_current_key(&self, dir: &Path, event: &Event) -> bool {
        let Some(ring) = &self.keyring else {
            return false;
        };
        match ring.key_of(dir, &self.rel_dir(dir)) {
            Ok(AggregateKey::Key(key)) => ring.open(&key, event.clone()).is_ok(),
            _ => false,
        }
    }

    /// Events as the API returns them: sealed data opened, a forgotten aggregate's data
    /// replaced by its marker. Plaintext events pass as they are.
    pub(super) fn reveal(&self, events: Vec<Event>) -> Result<Vec<Event>> {
        if !events.iter().any(|e| crypto::is_sealed(e.data.get())) {
            return Ok(events);
        }
        let mut keys: HashMap<(String, String), (PathBuf, AggregateKey)> = HashMap::new();
        events
            .into_iter()
            .map(|event| {
                if !crypto::is_sealed(event.data.get()) {
                    return Ok(event);
                }
                let Some(ring) = &self.keyring else {
                    return Err(Error::config(
                        "encryption.key-file",
                        format!(
                            "event {} of {}/{} is encrypted and no key is configured",
                            event.metadata.event_id,
                            event.metadata.aggregate_type,
                            event.metadata.aggregate_id
                        ),
                    ));
                };
                let m = &event.metadata;
                let id = (m.aggregate_type.clone(), m.aggregate_id.clone());
                if !keys.contains_key(&id) {
                    let dir = self.resolve_dir(&id.0, &id.1)?.path;
                    let key = ring.key_of(&dir, &self.rel_dir(&dir))?;
                    keys.insert(id.clone(), (dir, key));
                }
                let (dir, key) = &keys[&id];
                match key {
                    AggregateKey::Key(k) => {
                        let (event_id, version) = (event.metadata.event_id.clone(), event.metadata.aggregate_version);
                        ring.open(k, event).map_err(|reason| {
                            Error::corrupt(
                                self.event_path(&id, version).unwrap_or_else(|| dir.clone()),
                                format!("event {event_id} (version {version}): {reason}"),
                            )
                        })
                    }
                    AggregateKey::Forgotten(at) => Ok(crypto::forgotten_event(event, at)),
                    AggregateKey::None => Err(Error::corrupt(
                        dir.join(KEY_FILE),
                        format!(
                            "is missing: the data key of {}/{} is gone, its events' data cannot be read",
                            id.0, id.1
                        ),
                    )),
                }
            })
            .collect()
    }

    /// The file (or segment) that holds version `version` of an aggregate, to name in an
    /// error; `None` when it cannot be told.
    fn event_path(&self, key: &AggKey, version: u64) -> Option<PathBuf> {
        let (dir, entries) = self
            .entries_since(&key.0, &key.1, version.saturating_sub(1))
            .ok()?;
        entries
            .first()
            .filter(|e| e.version == version)
            .map(|e| dir.join(&e.name))
    }

    /// Crypto-shredding: destroys the data key of an aggregate. Its events stay (counts,
    /// versions, times, types) and their data reads as `{"$bytehot.forgotten":"<when>"}`
    /// from then on, here and in every copy of the store made later; a backup made before
    /// keeps the key. Refused without encryption. Idempotent.
    pub fn forget_aggregate(&self, aggregate_type: &str, aggregate_id: &str) -> Result<()> {
        self.check_writable()?;
        let Some(ring) = &self.keyring else {
            return Err(Error::config(
                "encryption.key-file",
                "forgetting an aggregate destroys its data key: the store is not encrypted",
            ));
        };
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let state = self.state(&key);
        let mut state = lock(&state);
        let dir = self.resolve_dir(aggregate_type, aggregate_id)?.path;
        if !dir.is_dir() {
            return Err(Error::invalid_event(
                "aggregateId",
                format!("{aggregate_type}/{aggregate_id} has no events"),
            ));
        }
        let _exclusive = lock_dir(&dir)?;
        let at = crate::event::format_instant(&self.clock.now());
        if !dir.join(FORGOTTEN_FILE).exists() {
            self.write_synced(&dir, FORGOTTEN_FILE, at.as_bytes())?;
        }
        match std::fs::remove_file(dir.join(KEY_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("remove", dir.join(KEY_FILE), e));
            }
            _ => {}
        }
        // fsync the folder: a forgotten key must stay gone after a power loss.
        self.sync_directory(&dir)?;
        ring.drop_key(&dir);
        ring.forget_opened();
        *state = AggState {
            dir: state.dir.clone(),
            legacy: state.legacy,
            ..AggState::default()
        };
        log::info!(
            "{}: {aggregate_type}/{aggregate_id} forgotten: its data key is destroyed",
            self.base.display()
        );
        Ok(())
    }

    /// Finishes a master key rotation (the store opened with the new key, and the old one
    /// as `encryption.previous-key-file`): every aggregate's `.key` wrapped anew by the new
    /// key (synced, renamed over the old), then `metadata/encryption.json` names the new
    /// key alone. No event is rewritten. Killed at any point, the store opens with both
    /// keys and a second run finishes. Returns how many keys were rewrapped.
    pub fn rotate_master_key(&self) -> Result<u64> {
        self.check_writable()?;
        let Some(ring) = &self.keyring else {
            return Err(Error::config(
                "encryption.key-file",
                "a rotation needs the new key (and the old one as encryption.previous-key-file)",
            ));
        };
        let mut rewrapped = 0;
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                let dir = self.resolve_dir(&aggregate_type, &aggregate_id)?.path;
                let path = dir.join(KEY_FILE);
                let _exclusive = lock_dir(&dir)?;
                let bytes = match file::read_regular(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(Error::io("read", &path, e)),
                };
                if let Some(new) = ring.rewrap(&path, &bytes, &self.rel_dir(&dir))? {
                    self.write_synced(&dir, KEY_FILE, &new)?;
                    self.sync_directory(&dir)?;
                    rewrapped += 1;
                }
            }
        }
        self.write_metadata_file(
            STORE_FILE,
            &serde_json::to_vec_pretty(&StoreFile::new(&ring.master, None)).unwrap_or_default(),
        )?;
        Ok(rewrapped)
    }

    /// After every event was rewritten in plaintext: the data keys and
    /// `metadata/encryption.json` go (in that order: an open with the key still works
    /// whenever this stops), and the store opens without a key.
    pub(super) fn forget_encryption(&self) -> Result<()> {
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                let dir = self.resolve_dir(&aggregate_type, &aggregate_id)?.path;
                let _exclusive = lock_dir(&dir)?;
                for name in [KEY_FILE, FORGOTTEN_FILE] {
                    match std::fs::remove_file(dir.join(name)) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(Error::io("remove", dir.join(name), e));
                        }
                        _ => {}
                    }
                }
                if let Some(ring) = &self.keyring {
                    ring.drop_key(&dir);
                }
            }
        }
        self.clear_mark(STORE_FILE)?;
        // fsync the folder: the store must not come back encrypted after a power loss.
        self.sync_directory(&self.metadata_dir)
    }
}
