//! Queries: every record of a type, of a time range, or of the store. A by-time query
//! opens its minutes' logs by name and reads only the 64 KiB stretches ([`Spans`]) whose
//! times can meet its range, plus what was appended since.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::file::{FileExt, lock};

use super::counts::LogId;
use super::line::{Record, complete_lines, line_time, lines_between, parse_line, time_key};
use super::{
    Index, LOG_SUFFIX, MAX_SUMMARISED_LOGS, MINUTES_NAMED, SPAN_BYTES, TIME_DIR, TYPES_DIR,
    names_in,
};

/// What a minute log holds where: the times of its lines, stretch by stretch, up to
/// `covered` bytes. A log only grows while it is the same file (a repair replaces it by
/// rename, which `identity` tells apart), so a summary of a prefix stays right; lines
/// are appended in about time order, so a short range meets one or two stretches.
#[derive(Clone)]
pub(super) struct Spans {
    /// The file summarised.
    pub(super) identity: LogId,
    pub(super) covered: u64,
    pub(super) spans: Vec<Span>,
}

/// Bytes `start..end` of a minute log (whole lines) and the least and greatest time of
/// its lines (`lo > hi` when none has a readable time: no query can match them).
#[derive(Clone, Copy)]
pub(super) struct Span {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) lo: (i64, u32),
    pub(super) hi: (i64, u32),
}

/// The first and last instants an event can carry: 0000-01-01T00:00:00Z and
/// 9999-12-31T23:59:59.999999999Z.
const STORABLE_FROM: Option<DateTime<Utc>> = DateTime::from_timestamp(-62_167_219_200, 0);
const STORABLE_UNTIL: Option<DateTime<Utc>> =
    DateTime::from_timestamp(253_402_300_799, 999_999_999);

impl Index {
    /// Events of one type, in the order they were recorded.
    pub(crate) fn by_type(&self, event_type: &str) -> Result<Vec<Record>> {
        self.read_log(&Index::type_log(&self.dir, event_type))
    }

    /// The events of one `correlationId`, unordered (with those of other ids whose log
    /// name they share: see `id_log_name`).
    pub(crate) fn by_correlation(&self, id: &str) -> Result<Vec<Record>> {
        self.read_log(&Index::correlation_log(&self.dir, id))
    }

    /// The events of one `userId`, unordered (see [`Self::by_correlation`]).
    pub(crate) fn by_user(&self, id: &str) -> Result<Vec<Record>> {
        self.read_log(&Index::user_log(&self.dir, id))
    }

    /// Whether the index has a line for an event of the file `rel_file` (relative to the
    /// base directory, its plain name): the file itself, or a line of the segment.
    pub(crate) fn lists_file(&self, event_type: &str, rel_file: &str) -> Result<bool> {
        Ok(self.by_type(event_type)?.iter().any(|r| {
            crate::layout::plain_name(crate::journal::split_record_path(&r.rel).0) == rel_file
        }))
    }

    /// The complete, well-formed lines of the log at `path` (none when it is missing).
    fn read_log(&self, path: &Path) -> Result<Vec<Record>> {
        let bytes = match self.read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        Ok(complete_lines(&bytes).filter_map(parse_line).collect())
    }

    /// Events whose timestamp lies in `[start, end]`, unordered.
    pub(crate) fn between(
        &self,
        start: &DateTime<Utc>,
        end: &DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        // No event lies outside the years 0000-9999 (four-digit day folders and file
        // names), and out there the folders' names would not sort as the times do.
        let start = STORABLE_FROM.map_or(*start, |from| (*start).max(from));
        let end = STORABLE_UNTIL.map_or(*end, |until| (*end).min(until));
        if start > end {
            return Ok(out);
        }
        let (lo, hi) = (time_key(&start), time_key(&end));
        for log in self.minute_logs(&start, &end)? {
            self.lines_in_log(&log, lo, hi, &mut out)?;
        }
        Ok(out)
    }

    /// The minute logs that may exist for `[start, end]`: named one by one when the range
    /// is short (a query of a few seconds opens one or two files, whatever the store
    /// holds), found by listing the day directories otherwise.
    pub(super) fn minute_logs(
        &self,
        start: &DateTime<Utc>,
        end: &DateTime<Utc>,
    ) -> Result<Vec<PathBuf>> {
        let first = start.timestamp().div_euclid(60);
        let last = end.timestamp().div_euclid(60);
        if last - first < MINUTES_NAMED {
            return Ok((first..=last)
                .filter_map(|m| DateTime::from_timestamp(m * 60, 0))
                .map(|t| Index::time_log(&self.dir, &t))
                .collect());
        }
        let key = |t: &DateTime<Utc>| {
            Index::time_log(Path::new(""), t)
                .to_string_lossy()
                .to_string()
        };
        let (first, last) = (key(start), key(end));
        let root = self.dir.join(TIME_DIR);
        let mut out = Vec::new();
        for day in names_in(&root)? {
            if day.as_str() < &first[TIME_DIR.len() + 1..][..8]
                || day.as_str() > &last[TIME_DIR.len() + 1..][..8]
            {
                continue;
            }
            for minute in names_in(&root.join(&day))? {
                let k = format!("{TIME_DIR}/{day}/{minute}");
                if k >= first && k <= last {
                    out.push(root.join(&day).join(&minute));
                }
            }
        }
        Ok(out)
    }

    /// Adds the records of one minute log whose time lies in `[lo, hi]` to `out`.
    ///
    /// What [`Spans`] summarises is read only where its times can meet the range; what
    /// was appended since is read whole, filtered, and summarised for the next query.
    pub(super) fn lines_in_log(
        &self,
        path: &Path,
        lo: (i64, u32),
        hi: (i64, u32),
        out: &mut Vec<Record>,
    ) -> Result<()> {
        let fail = |e: std::io::Error| Error::io("read", path, e);
        let file = match self.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(fail(e)),
        };
        let (id, meta) = crate::file::identify_open(&file).map_err(fail)?;
        let identity = LogId::of(id, &meta);
        let known = lock(&self.spans)
            .get(path)
            .filter(|s| s.identity == identity && s.covered <= meta.len())
            .cloned();
        let mut spans = known.unwrap_or(Spans {
            identity,
            covered: 0,
            spans: Vec::new(),
        });
        // A short last stretch is read again with the tail and summarised anew, so that
        // a log queried while it grows keeps stretches of full size.
        if let Some(last) = spans.spans.pop_if(|s| s.end - s.start < SPAN_BYTES) {
            spans.covered = last.start;
        }
        for span in spans.spans.iter().filter(|s| s.lo <= hi && s.hi >= lo) {
            let mut bytes = vec![0; (span.end - span.start) as usize];
            file.read_exact_at(&mut bytes, span.start).map_err(fail)?;
            out.extend(lines_between(&bytes, lo, hi).filter_map(parse_line));
        }
        let mut tail = Vec::new();
        (&file)
            .seek(SeekFrom::Start(spans.covered))
            .and_then(|_| (&file).read_to_end(&mut tail))
            .map_err(fail)?;
        let whole = memchr::memrchr(b'\n', &tail).map_or(0, |at| at + 1);
        let mut span: Option<Span> = None;
        let mut at = spans.covered;
        for line in tail[..whole].split_inclusive(|b| *b == b'\n') {
            let time = line_time(line);
            if time.is_some_and(|t| t >= lo && t <= hi) {
                out.extend(
                    std::str::from_utf8(&line[..line.len() - 1])
                        .ok()
                        .and_then(parse_line),
                );
            }
            let current = span.get_or_insert(Span {
                start: at,
                end: at,
                lo: (i64::MAX, u32::MAX),
                hi: (i64::MIN, 0),
            });
            at += line.len() as u64;
            current.end = at;
            if let Some(t) = time {
                current.lo = current.lo.min(t);
                current.hi = current.hi.max(t);
            }
            if current.end - current.start >= SPAN_BYTES {
                spans.spans.extend(span.take());
            }
        }
        spans.spans.extend(span);
        spans.covered = at;
        let mut cache = lock(&self.spans);
        if cache.len() >= MAX_SUMMARISED_LOGS && !cache.contains_key(path) {
            cache.clear();
        }
        cache.insert(path.to_path_buf(), spans);
        Ok(())
    }

    /// Event types that have a log.
    pub(crate) fn event_types(&self) -> Result<Vec<String>> {
        Ok(names_in(&self.dir.join(TYPES_DIR))?
            .into_iter()
            .filter_map(|n| n.strip_suffix(LOG_SUFFIX).map(str::to_string))
            .collect())
    }

    /// Every record of every type log (for statistics).
    pub(crate) fn all(&self) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for t in self.event_types()? {
            out.extend(self.by_type(&t)?);
        }
        Ok(out)
    }
}
