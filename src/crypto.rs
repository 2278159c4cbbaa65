//! Encryption at rest (`docs/encryption.md`): XChaCha20-Poly1305 over each event's
//! `eventData` and each snapshot's state, with a data key per aggregate wrapped by the
//! store's master key.
//!
//! Invariants:
//! - The master key never enters the store: the store keeps its id (a check value that
//!   reveals nothing of it) in `metadata/encryption.json`, and each aggregate directory its
//!   data key wrapped by it (`.key`), with the id of the master key that wrapped it.
//! - A sealed `eventData` is the JSON object `{"$bytehot.encrypted":{...}}` holding a
//!   random 192-bit nonce and the ciphertext of the data (zstd-compressed first when
//!   compression is on). The associated data is the event's identity (type, aggregate
//!   type and id, version, eventId): a block moved to another event, or an event whose
//!   identity was edited, does not authenticate.
//! - The journal and the event files hold the same sealed bytes: no plaintext data reaches
//!   the disk once an aggregate's events are sealed.
//! - A forgotten aggregate (`.key` destroyed, `.key.forgotten` left) keeps its events; their
//!   data reads as `{"$bytehot.forgotten":"<when>"}`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::file::lock;

/// The member a sealed `eventData` (or snapshot state) consists of.
pub const ENCRYPTED_MEMBER: &str = "$bytehot.encrypted";

/// The member the data of a forgotten aggregate's events reads as.
pub const FORGOTTEN_MEMBER: &str = "$bytehot.forgotten";

/// An aggregate directory's wrapped data key.
pub(crate) const KEY_FILE: &str = ".key";

/// Left in an aggregate directory whose data key was destroyed (crypto-shredding).
pub(crate) const FORGOTTEN_FILE: &str = ".key.forgotten";

/// `metadata/encryption.json`.
pub(crate) const STORE_FILE: &str = "encryption.json";

const CIPHER: &str = "XChaCha20-Poly1305";
const KEY_FORMAT: &str = "bytehot-eventstore key 1";
const STORE_FORMAT: &str = "bytehot-eventstore encryption 1";

/// A store's master key: 32 bytes from a key file or from code. Never written into the
/// store, never printed (its `Debug` shows its id only).
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
}

impl MasterKey {
    /// A key of the 32 bytes given.
    pub fn from_bytes(key: [u8; 32]) -> MasterKey {
        MasterKey { key }
    }

    /// A new random key, from the operating system's random numbers (to write into a key
    /// file, or to give in code).
    pub fn generate() -> MasterKey {
        MasterKey {
            key: XChaCha20Poly1305::generate_key(&mut OsRng).into(),
        }
    }

    /// The key a key file holds: 32 raw bytes, or 64 hexadecimal digits, or the base64
    /// of 32 bytes (surrounding whitespace ignored).
    pub fn from_file(path: &Path) -> Result<MasterKey> {
        let bad = |reason: String| {
            Error::config(
                "encryption.key-file",
                format!("{}: {reason}", path.display()),
            )
        };
        let bytes = crate::file::read_regular(path).map_err(|e| bad(e.to_string()))?;
        if let Some(warning) = exposed_key_file(path) {
            log::warn!("{warning}");
        }
        if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(MasterKey { key: raw });
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| {
                bad("is not a key: expected 32 bytes, 64 hexadecimal digits or base64".into())
            })?
            .trim();
        MasterKey::from_text(text).ok_or_else(|| {
            bad(
                "is not a key: expected 32 bytes, 64 hexadecimal digits or the base64 of 32 bytes"
                    .into(),
            )
        })
    }

    /// The key written as 64 hexadecimal digits or the base64 of 32 bytes.
    pub fn from_text(text: &str) -> Option<MasterKey> {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut key = [0u8; 32];
            for (i, byte) in key.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
            }
            return Some(MasterKey { key });
        }
        let decoded = BASE64.decode(text).ok()?;
        Some(MasterKey {
            key: <[u8; 32]>::try_from(decoded.as_slice()).ok()?,
        })
    }

    /// The key as 64 hexadecimal digits (what a key file may hold).
    pub fn to_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A check value naming the key: the tag of an empty message under it (fixed nonce,
    /// fixed associated data), 16 hex digits. Tells keys apart; reveals nothing of them.
    pub fn id(&self) -> String {
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let tag = cipher
            .encrypt(
                &XNonce::default(),
                Payload {
                    msg: &[],
                    aad: b"bytehot-eventstore master key id",
                },
            )
            .unwrap_or_default();
        tag.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.key).into())
    }
}

impl PartialEq for MasterKey {
    fn eq(&self, other: &MasterKey) -> bool {
        self.key == other.key
    }
}

impl Eq for MasterKey {}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id())
    }
}

/// An aggregate's data key.
pub(crate) struct DataKey(XChaCha20Poly1305);

/// `.key`: a data key wrapped by a master key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    format: String,
    cipher: String,
    /// The id of the master key that wrapped it.
    master_key_id: String,
    nonce: String,
    wrapped: String,
}

/// `metadata/encryption.json`: that the store is encrypted, and under which master key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoreFile {
    pub(crate) format: String,
    pub(crate) cipher: String,
    pub(crate) master_key_id: String,
    /// During a rotation: the master key some `.key` files may still be wrapped by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) previous_master_key_id: Option<String>,
}

impl StoreFile {
    pub(crate) fn new(master: &MasterKey, previous: Option<&MasterKey>) -> StoreFile {
        StoreFile {
            format: STORE_FORMAT.to_string(),
            cipher: CIPHER.to_string(),
            master_key_id: master.id(),
            previous_master_key_id: previous.map(MasterKey::id),
        }
    }
}

/// What a sealed `eventData` holds under [`ENCRYPTED_MEMBER`].
#[derive(Serialize, Deserialize)]
struct Sealed {
    cipher: String,
    /// The plaintext was zstd-compressed before it was encrypted.
    #[serde(default)]
    zstd: bool,
    nonce: String,
    data: String,
}

#[derive(Deserialize)]
struct SealedValue {
    #[serde(rename = "$bytehot.encrypted")]
    sealed: Sealed,
}

/// A data key is bound to its aggregate directory (relative to the base directory, `/`
/// separated): a `.key` copied into another aggregate's directory does not unwrap. (A
/// directory ByteHot's adapter shared between two ids shares its key.)
fn key_aad(rel_dir: &str) -> Vec<u8> {
    format!("bytehot-eventstore data key\0{rel_dir}").into_bytes()
}

/// The associated data of an event's sealed data: its identity.
fn event_aad(event: &Event) -> Vec<u8> {
    let m = &event.metadata;
    format!(
        "bytehot-eventstore event\0{}\0{}\0{}\0{}\0{}",
        event.event_type, m.aggregate_type, m.aggregate_id, m.aggregate_version, m.event_id
    )
    .into_bytes()
}

/// The associated data of a snapshot's sealed state.
pub(crate) fn snapshot_aad(
    aggregate_type: &str,
    aggregate_id: &str,
    version: u64,
    event_id: &str,
) -> Vec<u8> {
    format!("bytehot-eventstore snapshot\0{aggregate_type}\0{aggregate_id}\0{version}\0{event_id}")
        .into_bytes()
}

/// Whether `json` (an `eventData`, a snapshot state) is sealed: an object whose first
/// member is [`ENCRYPTED_MEMBER`].
pub(crate) fn is_sealed(json: &str) -> bool {
    first_member_is(json, ENCRYPTED_MEMBER)
}

/// Whether `json` is the data of a forgotten aggregate's event.
pub fn is_forgotten(json: &str) -> bool {
    first_member_is(json, FORGOTTEN_MEMBER)
}

fn first_member_is(json: &str, member: &str) -> bool {
    let rest = json.trim_start();
    let Some(rest) = rest.strip_prefix('{') else {
        return false;
    };
    let rest = rest.trim_start();
    rest.strip_prefix('"')
        .and_then(|r| r.strip_prefix(member))
        .is_some_and(|r| r.starts_with('"'))
}

impl DataKey {
    #[cfg(test)]
    fn generate() -> DataKey {
        DataKey(XChaCha20Poly1305::new(&XChaCha20Poly1305::generate_key(
            &mut OsRng,
        )))
    }

    /// `plaintext` (JSON) sealed under `aad`, as the JSON object that replaces it.
    pub(crate) fn seal_json(
        &self,
        plaintext: &str,
        aad: &[u8],
        compress: bool,
    ) -> Result<Box<RawValue>> {
        let packed;
        let msg = if compress {
            packed = zstd::bulk::compress(plaintext.as_bytes(), 3)
                .map_err(|e| Error::io("compress", Path::new(""), e))?;
            packed.as_slice()
        } else {
            plaintext.as_bytes()
        };
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext =
            self.0
                .encrypt(&nonce, Payload { msg, aad })
                .map_err(|_| Error::Unavailable {
                    reason: "encryption failed".to_string(),
                })?;
        let sealed = serde_json::json!({
            ENCRYPTED_MEMBER: Sealed {
                cipher: CIPHER.to_string(),
                zstd: compress,
                nonce: BASE64.encode(nonce),
                data: BASE64.encode(ciphertext),
            }
        });
        RawValue::from_string(sealed.to_string()).map_err(|e| Error::Unavailable {
            reason: format!("sealed data is not JSON: {e}"),
        })
    }

    /// The plaintext JSON of sealed `json` under `aad`; `Err(reason)` when it does not
    /// authenticate or is not what [`Self::seal_json`] wrote.
    pub(crate) fn open_json(&self, json: &str, aad: &[u8]) -> std::result::Result<String, String> {
        let sealed: SealedValue =
            serde_json::from_str(json).map_err(|e| format!("not sealed data: {e}"))?;
        let sealed = sealed.sealed;
        if sealed.cipher != CIPHER {
            return Err(format!("sealed with {}, not {CIPHER}", sealed.cipher));
        }
        let nonce = BASE64
            .decode(&sealed.nonce)
            .ok()
            .filter(|n| n.len() == 24)
            .ok_or("its nonce is not 24 bytes of base64")?;
        let ciphertext = BASE64
            .decode(&sealed.data)
            .map_err(|e| format!("its data is not base64: {e}"))?;
        let plain = self
            .0
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                "its encrypted data does not authenticate: the file was altered, or the data \
                 belongs to another event"
                    .to_string()
            })?;
        let plain = if sealed.zstd {
            zstd::bulk::decompress(&plain, 1 << 30).map_err(|e| e.to_string())?
        } else {
            plain
        };
        String::from_utf8(plain).map_err(|e| e.to_string())
    }
}

/// The keys an encrypted store uses: the master key (and, during a rotation, the previous
/// one), and the aggregates' data keys once unwrapped.
pub(crate) struct Keyring {
    pub(crate) master: MasterKey,
    pub(crate) previous: Option<MasterKey>,
    pub(crate) compress: bool,
    keys: Mutex<HashMap<PathBuf, Arc<DataKey>>>,
    opened: Mutex<Opened>,
}

/// Data opened before, by its nonce (random, 192 bits: one per seal), with the associated
/// data it was opened under: a warm read serves it again without decrypting. A block moved
/// to another event has another associated data and is opened (and refused) anew. Within a
/// byte budget (`event-cache-bytes`); emptied when over it, and by `forget_aggregate`.
#[derive(Default)]
struct Opened {
    data: HashMap<String, (Vec<u8>, Arc<str>)>,
    bytes: usize,
    budget: usize,
}

/// What an aggregate directory holds of its data key.
pub(crate) enum AggregateKey {
    Key(Arc<DataKey>),
    /// Destroyed by `forget_aggregate`.
    Forgotten(String),
    /// No key yet (no sealed event).
    None,
}

impl Keyring {
    pub(crate) fn new(
        master: MasterKey,
        previous: Option<MasterKey>,
        compress: bool,
        opened_budget: usize,
    ) -> Keyring {
        Keyring {
            master,
            previous,
            compress,
            keys: Mutex::new(HashMap::new()),
            opened: Mutex::new(Opened {
                budget: opened_budget,
                ..Opened::default()
            }),
        }
    }

    /// `event` with its data opened by `key`, from the data opened before when its nonce
    /// and identity match; `Err(reason)` when it does not authenticate.
    pub(crate) fn open(
        &self,
        key: &DataKey,
        mut event: Event,
    ) -> std::result::Result<Event, String> {
        let aad = event_aad(&event);
        let nonce = nonce_of(event.data.get()).map(str::to_string);
        if let Some(nonce) = &nonce
            && let Some((seen_aad, plain)) = lock(&self.opened).data.get(nonce)
            && *seen_aad == aad
        {
            event.data = RawValue::from_string(plain.to_string())
                .map_err(|e| format!("its data is not JSON: {e}"))?;
            return Ok(event);
        }
        let plain = key.open_json(event.data.get(), &aad)?;
        if let Some(nonce) = nonce {
            let mut opened = lock(&self.opened);
            if opened.bytes + plain.len() > opened.budget {
                opened.data.clear();
                opened.bytes = 0;
            }
            if plain.len() <= opened.budget {
                opened.bytes += plain.len();
                opened.data.insert(nonce, (aad, Arc::from(plain.as_str())));
            }
        }
        event.data =
            RawValue::from_string(plain).map_err(|e| format!("its data is not JSON: {e}"))?;
        Ok(event)
    }

    /// Forgets every opened data (an aggregate was forgotten).
    pub(crate) fn forget_opened(&self) {
        let mut opened = lock(&self.opened);
        opened.data.clear();
        opened.bytes = 0;
    }

    /// The data key of the aggregate in `dir`, unwrapped from its `.key`.
    pub(crate) fn key_of(&self, dir: &Path, rel_dir: &str) -> Result<AggregateKey> {
        if let Some(key) = lock(&self.keys).get(dir) {
            return Ok(AggregateKey::Key(key.clone()));
        }
        let path = dir.join(KEY_FILE);
        let bytes = match crate::file::read_regular(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(match crate::file::read_regular(&dir.join(FORGOTTEN_FILE)) {
                    Ok(at) => {
                        AggregateKey::Forgotten(String::from_utf8_lossy(&at).trim().to_string())
                    }
                    Err(_) => AggregateKey::None,
                });
            }
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        let key = Arc::new(self.unwrap(&path, &bytes, rel_dir)?);
        lock(&self.keys).insert(dir.to_path_buf(), key.clone());
        Ok(AggregateKey::Key(key))
    }

    /// A new data key for the aggregate in `dir` and the `.key` bytes that keep it.
    pub(crate) fn new_key(&self, rel_dir: &str) -> Result<(DataKey, Vec<u8>)> {
        let raw = XChaCha20Poly1305::generate_key(&mut OsRng);
        let wrapped = self.wrap(&raw, rel_dir)?;
        Ok((DataKey(XChaCha20Poly1305::new(&raw)), wrapped))
    }

    /// Remembers the data key of `dir` (once its `.key` is durable).
    pub(crate) fn remember(&self, dir: &Path, key: DataKey) -> Arc<DataKey> {
        let key = Arc::new(key);
        lock(&self.keys).insert(dir.to_path_buf(), key.clone());
        key
    }

    /// Forgets the data key of `dir` (destroyed, or re-read after a rotation).
    pub(crate) fn drop_key(&self, dir: &Path) {
        lock(&self.keys).remove(dir);
    }

    fn wrap(&self, raw: &chacha20poly1305::Key, rel_dir: &str) -> Result<Vec<u8>> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let wrapped = self
            .master
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: raw.as_slice(),
                    aad: &key_aad(rel_dir),
                },
            )
            .map_err(|_| Error::Unavailable {
                reason: "key wrapping failed".to_string(),
            })?;
        let file = KeyFile {
            format: KEY_FORMAT.to_string(),
            cipher: CIPHER.to_string(),
            master_key_id: self.master.id(),
            nonce: BASE64.encode(nonce),
            wrapped: BASE64.encode(wrapped),
        };
        Ok(serde_json::to_vec_pretty(&file).unwrap_or_default())
    }

    /// The raw data key a `.key` holds, unwrapped by whichever master key wrapped it.
    fn unwrap_raw(
        &self,
        path: &Path,
        bytes: &[u8],
        rel_dir: &str,
    ) -> Result<chacha20poly1305::Key> {
        let corrupt = |reason: String| Error::corrupt(path, reason);
        let file: KeyFile = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("is not a wrapped data key: {e}")))?;
        if file.format != KEY_FORMAT || file.cipher != CIPHER {
            return Err(corrupt(format!(
                "is a {} {} key, not {KEY_FORMAT}",
                file.format, file.cipher
            )));
        }
        let master = [Some(&self.master), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|m| m.id() == file.master_key_id)
            .ok_or_else(|| {
                Error::config(
                    "encryption.key-file",
                    format!(
                        "{} is wrapped by master key {}, and the key configured is {}{}: give \
                         that key (during a key rotation, as encryption.previous-key-file)",
                        path.display(),
                        file.master_key_id,
                        self.master.id(),
                        self.previous
                            .as_ref()
                            .map(|p| format!(" (previous {})", p.id()))
                            .unwrap_or_default()
                    ),
                )
            })?;
        let nonce = BASE64
            .decode(&file.nonce)
            .ok()
            .filter(|n| n.len() == 24)
            .ok_or_else(|| corrupt("its nonce is not 24 bytes of base64".into()))?;
        let wrapped = BASE64
            .decode(&file.wrapped)
            .map_err(|e| corrupt(format!("is not base64: {e}")))?;
        let raw = master
            .cipher()
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &wrapped,
                    aad: &key_aad(rel_dir),
                },
            )
            .map_err(|_| {
                corrupt(format!(
                    "does not unwrap under master key {}: it was altered, or belongs to another \
                     aggregate directory than {rel_dir}",
                    master.id()
                ))
            })?;
        let raw: [u8; 32] = raw
            .try_into()
            .map_err(|_| corrupt("does not hold a 32-byte key".into()))?;
        Ok(raw.into())
    }

    fn unwrap(&self, path: &Path, bytes: &[u8], rel_dir: &str) -> Result<DataKey> {
        let raw = self.unwrap_raw(path, bytes, rel_dir)?;
        Ok(DataKey(XChaCha20Poly1305::new(&raw)))
    }

    /// The `.key` bytes of `bytes` wrapped anew by the current master key; `None` when
    /// it already is.
    pub(crate) fn rewrap(
        &self,
        path: &Path,
        bytes: &[u8],
        rel_dir: &str,
    ) -> Result<Option<Vec<u8>>> {
        let file: Option<KeyFile> = serde_json::from_slice(bytes).ok();
        if file.is_some_and(|f| f.master_key_id == self.master.id()) {
            return Ok(None);
        }
        let raw = self.unwrap_raw(path, bytes, rel_dir)?;
        self.wrap(&raw, rel_dir).map(Some)
    }
}

/// `event` with its data sealed under `key`.
pub(crate) fn seal_event(key: &DataKey, mut event: Event, compress: bool) -> Result<Event> {
    if is_sealed(event.data.get()) {
        return Ok(event);
    }
    event.data = key.seal_json(event.data.get(), &event_aad(&event), compress)?;
    Ok(event)
}

/// `event` with its data opened by `key`; `Err(reason)` when it does not authenticate.
#[cfg(test)]
fn open_event(key: &DataKey, mut event: Event) -> std::result::Result<Event, String> {
    let plain = key.open_json(event.data.get(), &event_aad(&event))?;
    event.data = RawValue::from_string(plain).map_err(|e| format!("its data is not JSON: {e}"))?;
    Ok(event)
}

/// The nonce of sealed `json` (the text of its `"nonce"` member), found without parsing.
fn nonce_of(json: &str) -> Option<&str> {
    let at = json.find("\"nonce\"")? + "\"nonce\"".len();
    let rest = json[at..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    rest.split('"').next()
}

/// Why the key file at `path` is exposed, if other users may read or write it (Unix: any
/// permission bit for group or others). A warning, not a refusal: the file is the
/// operator's, and a store that would not open over a mode would be a store that stops
/// after a restore by a tool that loses modes.
fn exposed_key_file(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{}: the master key file is open to other users (mode {mode:03o}): anyone who \
                 reads it reads the store; make it the owner's alone (chmod 600)",
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// `event` with its data replaced by the forgotten marker.
pub(crate) fn forgotten_event(mut event: Event, at: &str) -> Event {
    let marker = serde_json::json!({ FORGOTTEN_MEMBER: at }).to_string();
    if let Ok(data) = RawValue::from_string(marker) {
        event.data = data;
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_key_file_other_users_may_read_is_named_with_its_mode_and_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, MasterKey::generate().to_hex()).unwrap();
        for (mode, exposed) in [(0o600, false), (0o400, false), (0o640, true), (0o604, true)] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let warning = exposed_key_file(&path);
            assert_eq!(warning.is_some(), exposed, "{mode:o}");
            if let Some(w) = warning {
                assert!(
                    w.contains(&format!("mode {mode:03o}")) && w.contains("chmod 600"),
                    "{w}"
                );
            }
            assert!(
                MasterKey::from_file(&path).is_ok(),
                "a warning, not a refusal"
            );
        }
    }

    fn event(id: &str, version: u64) -> Event {
        let mut m = crate::event::EventMetadata::new("user", "u1", id);
        m.aggregate_version = version;
        Event::new("UserRenamed", m, r#"{"name":"Ada Lovelace"}"#).unwrap()
    }

    #[test]
    fn sealed_data_opens_only_for_its_own_event_and_key() {
        let key = DataKey::generate();
        for compress in [false, true] {
            let sealed = seal_event(&key, event("e1", 1), compress).unwrap();
            assert!(is_sealed(sealed.data.get()));
            assert!(!sealed.data.get().contains("Lovelace"));
            let opened = open_event(&key, sealed.clone()).unwrap();
            assert_eq!(opened.data.get(), r#"{"name":"Ada Lovelace"}"#);
            // The same block on another event, or the same event at another version.
            let mut moved = event("e2", 1);
            moved.data = sealed.data.clone();
            assert!(open_event(&key, moved).is_err());
            let mut renumbered = sealed.clone();
            renumbered.metadata.aggregate_version = 2;
            assert!(open_event(&key, renumbered).is_err());
            assert!(open_event(&DataKey::generate(), sealed).is_err());
        }
    }

    #[test]
    fn data_opened_before_is_served_again_only_to_its_own_event() {
        let ring = Keyring::new(MasterKey::generate(), None, false, 1 << 20);
        let key = DataKey::generate();
        let sealed = seal_event(&key, event("e1", 1), false).unwrap();
        let nonce = nonce_of(sealed.data.get()).unwrap().to_string();
        assert_eq!(nonce.len(), 32, "24 bytes of base64");
        let indented = crate::event::reindent(sealed.data.get(), 1);
        assert_eq!(nonce_of(&indented), Some(nonce.as_str()));
        for _ in 0..2 {
            let opened = ring.open(&key, sealed.clone()).unwrap();
            assert_eq!(opened.data.get(), r#"{"name":"Ada Lovelace"}"#);
        }
        let mut moved = event("e2", 1);
        moved.data = sealed.data.clone();
        assert!(
            ring.open(&key, moved).is_err(),
            "a moved block is opened anew and refused"
        );
        ring.forget_opened();
        assert!(ring.open(&DataKey::generate(), sealed).is_err());
    }

    #[test]
    fn a_data_key_unwraps_under_its_master_key_and_aggregate_only() {
        let ring = Keyring::new(MasterKey::generate(), None, false, 0);
        let (_, wrapped) = ring.new_key("user/u1").unwrap();
        let path = Path::new("/store/user/u1/.key");
        assert!(ring.unwrap(path, &wrapped, "user/u1").is_ok());
        assert!(matches!(
            ring.unwrap(path, &wrapped, "user/u2"),
            Err(Error::Corrupt { .. })
        ));
        let other = Keyring::new(MasterKey::generate(), None, false, 0);
        assert!(matches!(
            other.unwrap(path, &wrapped, "user/u1"),
            Err(Error::Config { .. })
        ));
        // A rotation: the new master rewraps with the old one as previous.
        let rotated = Keyring::new(MasterKey::generate(), Some(ring.master.clone()), false, 0);
        let rewrapped = rotated.rewrap(path, &wrapped, "user/u1").unwrap().unwrap();
        assert!(
            rotated
                .rewrap(path, &rewrapped, "user/u1")
                .unwrap()
                .is_none()
        );
        let after = Keyring::new(rotated.master.clone(), None, false, 0);
        assert!(after.unwrap(path, &rewrapped, "user/u1").is_ok());
    }

    #[test]
    fn a_key_file_holds_raw_hex_or_base64_and_nothing_else() {
        let key = MasterKey::generate();
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("raw", key.key.to_vec()),
            ("hex", format!("{}\n", key.to_hex()).into_bytes()),
            ("b64", BASE64.encode(key.key).into_bytes()),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(
                MasterKey::from_file(&path).unwrap().id(),
                key.id(),
                "{name}"
            );
        }
        let path = dir.path().join("short");
        std::fs::write(&path, "abcd").unwrap();
        assert!(matches!(
            MasterKey::from_file(&path),
            Err(Error::Config { .. })
        ));
        assert!(!format!("{key:?}").contains(&key.to_hex()));
    }
}
