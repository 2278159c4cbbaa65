//! The one error type of the store. Every variant is something a caller can act on and
//! names what went wrong: the aggregate, the field, the setting or the path.

use std::fmt;
use std::path::PathBuf;

/// Which kind of name an [`Error::InvalidName`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameKind {
    /// An aggregate type (the first directory level).
    AggregateType,
    /// An aggregate id (the second directory level).
    AggregateId,
    /// An event type (part of each file name).
    EventType,
    /// A named subscription's name (its checkpoint file's name).
    Subscription,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::AggregateType => "aggregate type",
            NameKind::AggregateId => "aggregate id",
            NameKind::EventType => "event type",
            NameKind::Subscription => "subscription name",
        })
    }
}

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Optimistic concurrency failed: the event expected the aggregate at
    /// `expected_version` (its own version minus one, or the version of the
    /// `previousEventId` it named) but the aggregate is at `actual_version`.
    /// Re-read the aggregate and retry.
    #[error(
        "concurrency conflict on aggregate {aggregate_type}/{aggregate_id}: expected version {expected_version}, actual version {actual_version} ({detail})"
    )]
    Conflict {
        /// Aggregate type of the rejected event.
        aggregate_type: String,
        /// Aggregate id of the rejected event.
        aggregate_id: String,
        /// The version the caller believed current.
        expected_version: u64,
        /// The version actually current.
        actual_version: u64,
        /// What disagreed.
        detail: String,
    },
    /// The event (or an argument) is malformed; `field` names the offending part.
    #[error("invalid event: {field}: {reason}")]
    InvalidEvent {
        /// JSON path or argument name, e.g. `eventMetadata.aggregateVersion`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An aggregate type, aggregate id or event type cannot be stored.
    #[error("invalid {kind} {name:?}: {reason}")]
    InvalidName {
        /// Which name.
        kind: NameKind,
        /// The name, shortened to 80 characters.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// A configuration setting is unknown, malformed or not implemented.
    #[error("configuration {key}: {reason}")]
    Config {
        /// The setting (`path`, `durability`, an environment variable ...).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The requested event does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// An operating-system I/O call failed.
    #[error("I/O error: {op} {path}: {source}")]
    Io {
        /// What the store was doing.
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file in the store cannot be understood; nothing was skipped silently.
    #[error("corrupt file {path}: {reason}")]
    Corrupt {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A result too large to hand over in one piece: `bytes` is over `limit`, the most
    /// the receiving side can hold (a Java `byte[]` holds at most 2 GiB - 1 bytes). Read
    /// it in parts (an aggregate from a later version on, a narrower query).
    #[error(
        "result too large: {what} is {bytes} bytes, over the {limit} {receiver} can hold; read it in parts"
    )]
    TooLarge {
        /// What was asked for.
        what: String,
        /// Its size.
        bytes: usize,
        /// The most the receiver can hold.
        limit: usize,
        /// Who receives it (`a Java byte[]`).
        receiver: &'static str,
    },
    /// A save failed after its events were journaled: they may be in the store or not,
    /// and the next open settles which (replaying the journal). The store refuses writes
    /// until it is reopened. Retry with the same `eventId`s after reopening: an event
    /// already stored is not written again, so the retry cannot store it twice.
    #[error(
        "outcome unknown: the save failed after it was journaled ({cause}); reopen the store, then retry with the same eventIds (a stored event is not written twice)"
    )]
    OutcomeUnknown {
        /// What failed.
        cause: Box<Error>,
    },
    /// A save could not write into one aggregate's directory (its owner or mode, a `.ids`
    /// that is not a file), found before anything was journaled: nothing of the save was
    /// stored and the other aggregates are unaffected; `cause` names the path.
    #[error(
        "cannot write aggregate {aggregate_type}/{aggregate_id}; nothing of this save was stored: {cause} (let this process create and write files in that directory: check its owner and its mode)"
    )]
    AggregateUnwritable {
        /// Aggregate type of the refused save.
        aggregate_type: String,
        /// Aggregate id of the refused save.
        aggregate_id: String,
        /// The failure, naming the path.
        cause: Box<Error>,
    },
    /// The store cannot be used: its base directory is unusable, or an earlier failed
    /// sync left data whose durability is unknown (reopen the store to recover).
    #[error("event store unavailable: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Whether this is a file system out of space (or of the user's quota).
    pub(crate) fn is_out_of_space(&self) -> bool {
        match self {
            Error::Io { source, .. } => crate::file::is_out_of_space(source),
            Error::AggregateUnwritable { cause, .. } | Error::OutcomeUnknown { cause } => {
                cause.is_out_of_space()
            }
            _ => false,
        }
    }

    /// Whether this is a write refused by a file system mounted read-only.
    pub(crate) fn is_read_only_file_system(&self) -> bool {
        matches!(self, Error::Io { source, .. } if crate::file::is_read_only_file_system(source))
    }

    /// A failure to stage a save's files in the aggregate `key`.
    pub(crate) fn unwritable(key: &(String, String), cause: Error) -> Error {
        Error::AggregateUnwritable {
            aggregate_type: key.0.clone(),
            aggregate_id: key.1.clone(),
            cause: Box::new(cause),
        }
    }

    pub(crate) fn invalid_event(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidEvent {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_name(kind: NameKind, name: &str, reason: &str) -> Error {
        let shown: String = name.chars().take(80).collect();
        let shown = if shown.len() < name.len() {
            format!("{shown}...")
        } else {
            shown
        };
        Error::InvalidName {
            kind,
            name: shown,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn config(key: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
