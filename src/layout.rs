//! Path and file-name rules: pure functions, no I/O.
//!
//! Invariants:
//! - `encode_component` is injective and its output is a single, portable path component
//!   that never equals `.`/`..`, never starts with `.` (dot names belong to the store),
//!   contains no separator or NUL, and never collides with the reserved top-level `metadata`.
//! - `decode_component(encode_component(x)) == Some(x)`; any other input (a directory a
//!   person or ByteHot's old adapter made) decodes to `None` unless it is exactly canonical.
//! - Event file names sort, as byte strings, in the order `(stamp, seq)` for names this
//!   crate writes; `FileName::sort_key` gives the same order for 17- and 20-digit names alike.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};

use crate::error::{Error, NameKind};

/// Longest encoded aggregate type or plain aggregate-id directory name, in bytes.
/// Well under the 255-byte limit of common file systems, leaving room for a hash suffix.
pub const MAX_ENCODED_COMPONENT: usize = 200;

/// Longest aggregate id accepted, in UTF-8 bytes. Longer ids are stored under a hashed
/// directory name with the full id in `.aggregate-id`; this bound only keeps that file sane.
pub const MAX_AGGREGATE_ID_BYTES: usize = 16 * 1024;

/// Longest event type (class simple name) accepted, in UTF-8 bytes.
pub const MAX_EVENT_TYPE_BYTES: usize = 200;

/// Top-level directory that holds the store's derived metadata files.
pub const METADATA_DIR: &str = "metadata";

/// File, inside a hashed aggregate directory, holding the full aggregate id.
pub const LONG_ID_FILE: &str = ".aggregate-id";

/// How many leading encoded bytes of a long id are kept readable in its directory name.
const LONG_ID_PREFIX: usize = 160;

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

fn needs_first_char_escape(s: &str) -> bool {
    let stem = s.split('.').next().unwrap_or("");
    s == METADATA_DIR
        || WINDOWS_RESERVED
            .iter()
            .any(|r| r.eq_ignore_ascii_case(stem))
}

/// Percent-encodes `s` into one safe path component (see the module invariants).
///
/// Bytes outside `[A-Za-z0-9._-]` become `%XX` (upper-case hex of each UTF-8 byte); so do
/// a leading `.`, a trailing `.`, and the first character of a reserved name
/// (`metadata`, Windows device names), so that plain ids such as UUIDs map to themselves.
pub fn encode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let escape_first = needs_first_char_escape(s);
    let mut out = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let edge_dot = b == b'.' && (i == 0 || i + 1 == bytes.len());
        if !is_plain(b) || edge_dot || (i == 0 && escape_first) {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a component written by [`encode_component`]; `None` for anything else.
pub fn decode_component(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.is_empty() && encode_component(&decoded) == name).then_some(decoded)
}

/// 64-bit FNV-1a: stable across platforms and releases, unlike `std`'s hasher.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn check_name(kind: NameKind, name: &str, max: usize) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "must not be empty"
    } else if name.len() > max {
        "is too long"
    } else if name.contains('\0') {
        "must not contain NUL"
    } else {
        return Ok(());
    };
    Err(Error::invalid_name(kind, name, reason))
}

/// Directory name of an aggregate type.
pub fn aggregate_type_dir(aggregate_type: &str) -> Result<String, Error> {
    check_name(
        NameKind::AggregateType,
        aggregate_type,
        MAX_ENCODED_COMPONENT,
    )?;
    let encoded = encode_component(aggregate_type);
    if encoded.len() > MAX_ENCODED_COMPONENT {
        return Err(Error::invalid_name(
            NameKind::AggregateType,
            aggregate_type,
            "is too long once encoded for the file system",
        ));
    }
    Ok(encoded)
}

/// Directory name of an aggregate id: the encoded id, or for a long id a readable prefix,
/// `~` (never produced by encoding) and a hash; `true` when the name is hashed and the full
/// id must be kept in its `.aggregate-id` file.
pub fn aggregate_id_dir(aggregate_id: &str) -> Result<(String, bool), Error> {
    check_name(NameKind::AggregateId, aggregate_id, MAX_AGGREGATE_ID_BYTES)?;
    let encoded = encode_component(aggregate_id);
    if encoded.len() <= MAX_ENCODED_COMPONENT {
        return Ok((encoded, false));
    }
    // Cut on a `%XX` boundary so the prefix stays meaningful to a reader.
    let mut cut = LONG_ID_PREFIX;
    while cut > 0 && (encoded.as_bytes()[cut - 1] == b'%' || encoded.as_bytes()[cut - 2] == b'%') {
        cut -= 1;
    }
    let hash = fnv1a64(aggregate_id.as_bytes());
    Ok((format!("{}~{hash:016x}", &encoded[..cut]), true))
}

/// The directory name ByteHot's pure-Java adapter used for an id (`/` and `\` became `_`),
/// when that name is a safe single component; `None` otherwise.
pub fn legacy_id_dir(aggregate_id: &str) -> Option<String> {
    let name = aggregate_id.replace(['/', '\\'], "_");
    let safe = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.starts_with('.')
        && !name.contains('\0')
        && name.len() <= 255;
    safe.then_some(name)
}

/// Validates an event type, which becomes part of a file name.
pub fn check_event_type(event_type: &str) -> Result<(), Error> {
    check_name(NameKind::EventType, event_type, MAX_EVENT_TYPE_BYTES)?;
    let ok = event_type
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_name(
            NameKind::EventType,
            event_type,
            "may contain only letters, digits, '_' and '$'",
        ))
    }
}

/// A parsed event file name: `<yyyyMMddHHmmssSSS>[<seq:3>]-<EventType>.json` (one event),
/// or `.jsonl` for a segment (one event per line, up to `max-events-per-file`), named as
/// its first event's file would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The 17 timestamp digits as a number; orders like the time it encodes.
    pub stamp: u64,
    /// The 3-digit tie-breaker; absent in 17-digit names.
    pub seq: Option<u16>,
    /// The event type after the dash.
    pub event_type: String,
    /// A segment (`.jsonl`) rather than a single-event file (`.json`).
    pub segment: bool,
    /// Compressed with zstd (`.zst` after either extension).
    pub compressed: bool,
}

/// Extension added to a file compressed with zstd.
pub const COMPRESSED_EXT: &str = ".zst";

/// A file name without its `.zst`: the name a segment's lines go by in the journal and
/// the index, compressed or not.
pub fn plain_name(name: &str) -> &str {
    name.strip_suffix(COMPRESSED_EXT).unwrap_or(name)
}

/// Extension of a single-event file.
pub const EVENT_EXT: &str = ".json";

/// Extension of a segment file.
pub const SEGMENT_EXT: &str = ".jsonl";

impl FileName {
    /// Parses a file name; `None` when it is not an event file name.
    pub fn parse(name: &str) -> Option<FileName> {
        let (name, compressed) = match name.strip_suffix(COMPRESSED_EXT) {
            Some(name) => (name, true),
            None => (name, false),
        };
        let (stem, segment) = match name.strip_suffix(EVENT_EXT) {
            Some(stem) => (stem, false),
            None => (name.strip_suffix(SEGMENT_EXT)?, true),
        };
        let (digits, event_type) = stem.split_once('-')?;
        if !matches!(digits.len(), 17 | 20) || event_type.is_empty() {
            return None;
        }
        // One pass over the digits: this runs for every file name listed.
        let number = |bytes: &[u8]| {
            bytes.iter().try_fold(0u64, |n, &b| {
                b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
            })
        };
        let (stamp, seq) = digits.as_bytes().split_at(17);
        let stamp = number(stamp)?;
        let seq = match seq {
            [] => None,
            seq => Some(u16::try_from(number(seq)?).ok()?),
        };
        stamp_to_time(stamp)?;
        Some(FileName {
            stamp,
            seq,
            event_type: event_type.to_string(),
            segment,
            compressed,
        })
    }

    /// Total order of names inside an aggregate directory: time, then sequence.
    pub fn sort_key(&self) -> (u64, u16) {
        (self.stamp, self.seq.unwrap_or(0))
    }

    /// The name this struct stands for, as this crate writes it (always 20 digits).
    pub fn render(&self) -> String {
        format!(
            "{:017}{:03}-{}{}{}",
            self.stamp,
            self.seq.unwrap_or(0),
            self.event_type,
            if self.segment { SEGMENT_EXT } else { EVENT_EXT },
            if self.compressed { COMPRESSED_EXT } else { "" }
        )
    }

    /// The same name as a segment's.
    pub fn as_segment(mut self) -> FileName {
        self.segment = true;
        self
    }

    /// The same name, compressed or not.
    pub fn compressed(mut self, compressed: bool) -> FileName {
        self.compressed = compressed;
        self
    }
}

/// The latest stamp an event may carry (`9999-12-30T23:59:59.999Z`). The last day of year
/// 9999 is kept free: however many events follow the latest one, each still gets a file
/// name after it (1,000 per millisecond, borrowing the next millisecond beyond that).
pub const LATEST_EVENT_STAMP: u64 = 99_991_230_235_959_999;

/// `yyyyMMddHHmmssSSS` of a UTC instant, as a number; `None` outside years 0..=9999.
pub fn time_to_stamp(t: &DateTime<Utc>) -> Option<u64> {
    let year = u64::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    // Arithmetic, not `format`: this runs for every event written.
    let ms = u64::from(t.timestamp_subsec_millis().min(999));
    Some(
        ((((year * 100 + u64::from(t.month())) * 100 + u64::from(t.day())) * 100
            + u64::from(t.hour()))
            * 100
            + u64::from(t.minute()))
            * 100_000
            + u64::from(t.second()) * 1000
            + ms,
    )
}

/// Inverse of [`time_to_stamp`] at millisecond precision.
pub fn stamp_to_time(stamp: u64) -> Option<DateTime<Utc>> {
    // Arithmetic, not `parse_from_str`: this runs for every file name listed.
    let part = |div: u64, modulo: u64| u32::try_from(stamp / div % modulo).ok();
    let year = i32::try_from(stamp / 10_000_000_000_000)
        .ok()
        .filter(|y| *y <= 9999)?;
    let naive =
        NaiveDate::from_ymd_opt(year, part(100_000_000_000, 100)?, part(1_000_000_000, 100)?)?
            .and_hms_milli_opt(
                part(10_000_000, 100)?,
                part(100_000, 100)?,
                part(1000, 100)?,
                part(1, 1000)?,
            )?;
    Some(Utc.from_utc_datetime(&naive))
}

/// The name for the next event of an aggregate whose last name sorts at `last`, for an
/// event stamped `event_stamp`: never sorts before `last`, whatever the clock did.
/// More than 1000 events in one millisecond borrow the following millisecond.
pub fn next_name(last: Option<(u64, u16)>, event_stamp: u64, event_type: &str) -> Option<FileName> {
    let (stamp, seq) = match last {
        Some((last_stamp, last_seq)) if event_stamp <= last_stamp => {
            if last_seq < 999 {
                (last_stamp, last_seq + 1)
            } else {
                let t = stamp_to_time(last_stamp)? + chrono::Duration::milliseconds(1);
                (time_to_stamp(&t)?, 0)
            }
        }
        _ => (event_stamp, 0),
    };
    Some(FileName {
        stamp,
        seq: Some(seq),
        event_type: event_type.to_string(),
        segment: false,
        compressed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_map_to_themselves() {
        for id in ["f47ac10b-58cc-4372-a567", "hotswap", "a.b", "A_b-9"] {
            assert_eq!(encode_component(id), id);
        }
    }

    #[test]
    fn hostile_names_never_escape_one_component() {
        for id in [
            "..",
            ".",
            "../x",
            "/etc/passwd",
            "a/../../b",
            "a\0b",
            "C:\\x",
            "NUL",
            "con.txt",
            "metadata",
            "x.",
            " ",
        ] {
            let enc = encode_component(id);
            assert!(
                !enc.contains('/') && !enc.contains('\\') && !enc.contains('\0'),
                "{enc}"
            );
            assert!(!enc.starts_with('.') && !enc.ends_with('.'), "{enc}");
            assert_ne!(enc, "metadata");
            assert_eq!(decode_component(&enc).as_deref(), Some(id));
        }
    }

    #[test]
    fn unicode_and_separators_round_trip() {
        for id in [
            "/app/Foo.class",
            "C:\\app\\Foo.class",
            "a b:c",
            "日本語🚀",
            "%41",
            "~x",
        ] {
            assert_eq!(decode_component(&encode_component(id)).as_deref(), Some(id));
        }
    }

    #[test]
    fn non_canonical_names_do_not_decode() {
        for name in ["%41", "%2f", "a b", "%", "%4", ".hidden", "", "a~0123"] {
            assert_eq!(decode_component(name), None, "{name}");
        }
    }

    #[test]
    fn long_ids_get_a_hashed_bounded_name() {
        let id = "é".repeat(300);
        let (dir, hashed) = aggregate_id_dir(&id).expect("valid id");
        assert!(hashed);
        assert!(dir.len() <= MAX_ENCODED_COMPONENT);
        assert!(dir.contains('~'));
        assert_eq!(decode_component(&dir), None);
        let (other, _) = aggregate_id_dir(&"é".repeat(301)).expect("valid id");
        assert_ne!(dir, other);
    }

    #[test]
    fn empty_nul_and_oversized_names_are_rejected() {
        assert!(aggregate_id_dir("").is_err());
        assert!(aggregate_id_dir(&"x".repeat(MAX_AGGREGATE_ID_BYTES + 1)).is_err());
        assert!(aggregate_type_dir("").is_err());
        assert!(aggregate_type_dir(&"ü".repeat(100)).is_err());
        assert!(check_event_type("Foo/Bar").is_err());
        assert!(check_event_type("..").is_err());
        assert!(check_event_type("Outer$Inner").is_ok());
    }

    #[test]
    fn legacy_dir_replaces_separators() {
        assert_eq!(
            legacy_id_dir("/app/Foo.class").as_deref(),
            Some("_app_Foo.class")
        );
        assert_eq!(legacy_id_dir(".."), None);
    }

    #[test]
    fn file_names_parse_in_both_widths() {
        let long =
            FileName::parse("20250617123000001042-ClassFileChanged.json").expect("20 digits");
        assert_eq!(long.stamp, 20250617123000001);
        assert_eq!(long.seq, Some(42));
        assert_eq!(long.render(), "20250617123000001042-ClassFileChanged.json");
        let short = FileName::parse("20250617123000001-ClassFileChanged.json").expect("17 digits");
        assert_eq!(short.seq, None);
        assert!(short.sort_key() < long.sort_key());
        let segment =
            FileName::parse("20250617123000001042-ClassFileChanged.jsonl").expect("a segment");
        assert!(segment.segment && !long.segment);
        assert_eq!(segment.sort_key(), long.sort_key());
        assert_eq!(
            segment.render(),
            "20250617123000001042-ClassFileChanged.jsonl"
        );
        for name in [
            "20250617123000001042-ClassFileChanged.json.zst",
            "20250617123000001042-ClassFileChanged.jsonl.zst",
        ] {
            let parsed = FileName::parse(name).expect("a compressed name");
            assert!(parsed.compressed);
            assert_eq!(parsed.render(), name);
            assert_eq!(parsed.sort_key(), long.sort_key());
        }
        for bad in [
            "x.json",
            "2025-A.json",
            "20251317123000001-A.json",
            "20250617123000001-.json",
            ".tmp",
            "20250617123000001-A.txt",
            "20250617123000001-A.jsonl.tmp",
            "20250617123000001-A.zst",
            "20250617123000001-A.json.zst.tmp",
        ] {
            assert_eq!(FileName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn next_name_never_goes_backwards_and_borrows_a_millisecond() {
        let first = next_name(None, 20250617123000001, "A").expect("name");
        assert_eq!(first.sort_key(), (20250617123000001, 0));
        let back = next_name(Some(first.sort_key()), 20200101000000000, "A").expect("name");
        assert_eq!(back.sort_key(), (20250617123000001, 1));
        let full = next_name(Some((20250617123059999, 999)), 20250617123059999, "A").expect("name");
        assert_eq!(full.sort_key(), (20250617123100000, 0));
        let later = next_name(Some(first.sort_key()), 20250617123000002, "A").expect("name");
        assert_eq!(later.sort_key(), (20250617123000002, 0));
    }
}
