//! One index line per event, `<secs>.<nanos> <bytes> <type>/<id>/<file>`: writing it
//! ([`Entry`]), reading it ([`Record`]), and finding the lines of a time range in a log
//! without parsing the others. A line without its newline (a torn append) is never read.

use chrono::{DateTime, Utc};

/// What the index records of one event.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) event_type: String,
    pub(crate) timestamp: Option<DateTime<Utc>>,
    pub(crate) bytes: u64,
    /// `<type dir>/<id dir>/<file name>`.
    pub(crate) rel: String,
    /// The event's id (`None`: a file that does not parse): what keeps an event's stream
    /// position when a compaction moves it into a segment.
    pub(crate) event_id: Option<String>,
    /// `correlationId`, if any: the event's line in `correlations/`.
    pub(crate) correlation: Option<String>,
    /// `userId`, if any: the event's line in `users/`.
    pub(crate) user: Option<String>,
}

/// One line of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Seconds and nanoseconds since the epoch of the event's timestamp.
    pub(crate) time: Option<(i64, u32)>,
    pub(crate) bytes: u64,
    pub(crate) rel: String,
}

pub(super) fn time_key(t: &DateTime<Utc>) -> (i64, u32) {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

impl Entry {
    /// The entry of an event stored at `rel`, `bytes` long.
    pub(crate) fn of(event: &crate::event::Event, rel: String, bytes: u64) -> Entry {
        let m = &event.metadata;
        Entry {
            event_type: event.event_type.clone(),
            timestamp: m.timestamp,
            bytes,
            rel,
            event_id: Some(m.event_id.clone()),
            correlation: m.correlation_id.clone(),
            user: m.user_id.clone(),
        }
    }

    /// The entry of a file that does not parse (or a line known only by the index):
    /// indexed by its type and place alone.
    pub(crate) fn unparsed(event_type: String, rel: String, bytes: u64) -> Entry {
        Entry {
            event_type,
            timestamp: None,
            bytes,
            rel,
            event_id: None,
            correlation: None,
            user: None,
        }
    }

    pub(super) fn line(&self) -> String {
        let time = match self.timestamp.as_ref().map(time_key) {
            Some(time) => time_text(time),
            None => "-".to_string(),
        };
        format!("{time} {} {}\n", self.bytes, self.rel)
    }
}

/// Parses one line (without its newline); `None` for anything this crate did not write.
pub(crate) fn parse_line(line: &str) -> Option<Record> {
    let mut parts = line.splitn(3, ' ');
    let time = parts.next()?;
    let bytes = parts.next()?.parse().ok()?;
    let rel = parts.next()?;
    let time = match time {
        "-" => None,
        t => {
            let (secs, nanos) = t.split_once('.')?;
            Some((
                secs.parse().ok()?,
                nanos.parse().ok().filter(|n| *n < 1_000_000_000)?,
            ))
        }
    };
    valid_rel(rel).then(|| Record {
        time,
        bytes,
        rel: rel.to_string(),
    })
}

/// Whether `rel` names an event file (or a segment's line) of the store:
/// `<type dir>/<id dir>/<event file>.json` or `.../<segment>.jsonl@<offset>`, no component
/// empty or starting with a dot. What a derived file says is never a path outside the store.
pub(crate) fn valid_rel(rel: &str) -> bool {
    let mut components = rel.split('/');
    let (Some(type_dir), Some(id_dir), Some(name), None) = (
        components.next(),
        components.next(),
        components.next(),
        components.next(),
    ) else {
        return false;
    };
    let plain = |c: &str| !c.is_empty() && !c.starts_with('.');
    let file = |n: &str| match crate::journal::split_record_path(n) {
        (segment, Some(_)) => segment.strip_suffix(".jsonl").is_some_and(plain),
        (n, None) => crate::layout::plain_name(n)
            .strip_suffix(".json")
            .is_some_and(plain),
    };
    plain(type_dir) && plain(id_dir) && file(name)
}

/// The time field of a line, parsed without touching the rest (by-time queries scan
/// whole minute logs, most of whose lines fall outside the range).
pub(super) fn line_time(line: &[u8]) -> Option<(i64, u32)> {
    let end = line.iter().position(|b| *b == b' ')?;
    let field = std::str::from_utf8(&line[..end]).ok()?;
    let (secs, nanos) = field.split_once('.')?;
    Some((
        secs.parse().ok()?,
        nanos.parse().ok().filter(|n| *n < 1_000_000_000)?,
    ))
}

/// Whether `field` is `digits.nnnnnnnnn` (at least one digit before the dot): such fields
/// of one length compare as text exactly as they compare as numbers.
pub(super) fn canonical(field: &[u8]) -> bool {
    let Some(dot) = field.len().checked_sub(10).filter(|d| *d > 0) else {
        return false;
    };
    field[dot] == b'.'
        && field[..dot].iter().all(u8::is_ascii_digit)
        && field[dot + 1..].iter().all(u8::is_ascii_digit)
}

/// `secs.nanos` as a line writes it.
pub(super) fn time_text((secs, nanos): (i64, u32)) -> String {
    format!("{secs}.{nanos:09}")
}

/// The complete lines of a minute log whose time lies in `[lo, hi]`. A minute log holds
/// tens of thousands of lines in a busy store, so the time field is compared as bytes
/// where that is exact (non-negative seconds of as many digits as the bounds': text
/// order is then numeric order) and parsed only otherwise.
pub(super) fn lines_between(
    bytes: &[u8],
    lo: (i64, u32),
    hi: (i64, u32),
) -> impl Iterator<Item = &str> {
    let (lo_text, hi_text) = (time_text(lo), time_text(hi));
    let width = (lo.0 >= 0 && lo_text.len() == hi_text.len()).then_some(lo_text.len());
    complete_byte_lines(bytes)
        .filter(move |line| {
            // A line's time field ends at its first space: one of the bounds' width is
            // known by where that space must be, without searching for it.
            match width {
                Some(w) if line.get(w) == Some(&b' ') && canonical(&line[..w]) => {
                    let field = &line[..w];
                    field >= lo_text.as_bytes() && field <= hi_text.as_bytes()
                }
                _ => line_time(line).is_some_and(|t| t >= lo && t <= hi),
            }
        })
        .filter_map(|l| std::str::from_utf8(l).ok())
}

/// The complete, non-empty lines of a log's bytes, as bytes (a torn last line is left out).
pub(super) fn complete_byte_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let end = memchr::memrchr(b'\n', bytes).map_or(0, |at| at + 1);
    let whole = &bytes[..end];
    let mut start = 0;
    memchr::memchr_iter(b'\n', whole)
        .map(move |at| {
            let line = &whole[start..at];
            start = at + 1;
            line
        })
        .filter(|l| !l.is_empty())
}

/// The complete lines of a log's bytes (a torn last line is left out).
pub(super) fn complete_lines(bytes: &[u8]) -> impl Iterator<Item = &str> {
    complete_byte_lines(bytes).filter_map(|l| std::str::from_utf8(l).ok())
}
