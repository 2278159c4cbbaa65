//! The JSON envelope: `eventType`, `eventMetadata` (parsed and validated field by field)
//! and `eventData` (kept as raw JSON text, never interpreted, so numbers, Unicode and
//! large base64 blobs come back with exactly their meaning).

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::layout;

/// The event-sourcing metadata of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMetadata {
    /// Unique id of the event (idempotency key).
    pub event_id: String,
    /// Aggregate type (first directory level).
    pub aggregate_type: String,
    /// Aggregate id (second directory level).
    pub aggregate_id: String,
    /// 1, 2, 3, ... inside the aggregate; 0 on input means "assign the next".
    pub aggregate_version: u64,
    /// When the event happened; `None` on input means "assign the store's clock".
    pub timestamp: Option<DateTime<Utc>>,
    /// Id of the aggregate's previous event; `None` for the first.
    pub previous_event_id: Option<String>,
    /// Version of the event's schema (default 1).
    pub schema_version: u32,
    /// Who caused the event, if known.
    pub user_id: Option<String>,
    /// Correlation id, if any.
    pub correlation_id: Option<String>,
    /// Id of the event that caused this one, if any.
    pub causation_id: Option<String>,
}

/// One event: type, metadata and opaque data.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event's type (a class simple name); part of its file name.
    pub event_type: String,
    /// Its metadata.
    pub metadata: EventMetadata,
    /// `eventData` as raw JSON text.
    pub data: Box<RawValue>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.event_type == other.event_type
            && self.metadata == other.metadata
            && self.data.get() == other.data.get()
    }
}

/// An optional member as raw JSON, `null` included (serde's `Option` would read a
/// `null` as missing).
fn raw<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn raw_owned<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// An envelope's members, borrowed from the input (members other than these are
/// ignored; a member given twice is an error).
#[derive(Deserialize)]
struct EnvelopeIn<'a> {
    #[serde(rename = "eventType", borrow, default, deserialize_with = "raw")]
    event_type: Option<&'a RawValue>,
    #[serde(rename = "eventMetadata", borrow, default, deserialize_with = "raw")]
    event_metadata: Option<&'a RawValue>,
    #[serde(rename = "eventData", default, deserialize_with = "raw_owned")]
    event_data: Option<Box<RawValue>>,
}

/// `eventMetadata`'s members, each checked by its own rules afterwards so that an error
/// names the field.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataIn<'a> {
    #[serde(borrow, default, deserialize_with = "raw")]
    event_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    aggregate_type: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    aggregate_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    aggregate_version: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    previous_event_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    schema_version: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    user_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    correlation_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    causation_id: Option<&'a RawValue>,
}

/// A member that is absent or `null`.
fn absent(value: Option<&RawValue>) -> bool {
    value.is_none_or(|v| v.get() == "null")
}

fn field_str(value: Option<&RawValue>, key: &str, required: bool) -> Result<Option<String>> {
    let field = || format!("eventMetadata.{key}");
    if absent(value) {
        return if required {
            Err(Error::invalid_event(field(), "is missing"))
        } else {
            Ok(None)
        };
    }
    let text = value.map_or("", RawValue::get);
    match serde_json::from_str::<String>(text) {
        Ok(s) if required && s.is_empty() => {
            Err(Error::invalid_event(field(), "must not be empty"))
        }
        Ok(s) => Ok(Some(s)),
        Err(_) => Err(Error::invalid_event(
            field(),
            format!("must be a string, got {text}"),
        )),
    }
}

fn field_u64(value: Option<&RawValue>, key: &str) -> Result<Option<u64>> {
    if absent(value) {
        return Ok(None);
    }
    let text = value.map_or("", RawValue::get);
    serde_json::from_str::<u64>(text).map(Some).map_err(|_| {
        let number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        Error::invalid_event(
            format!("eventMetadata.{key}"),
            if number {
                format!("must be a non-negative integer, got {text}")
            } else {
                format!("must be a number, got {text}")
            },
        )
    })
}

/// Parses an ISO-8601 / RFC 3339 instant, as Jackson's `JavaTimeModule` writes it.
///
/// `None` when the instant falls outside years 0..=9999 in UTC (e.g.
/// `9999-12-31T23:59:59-01:00`): [`format_instant`] could not write it back as RFC 3339
/// (it would print `+10000-...`), so the event's own file would not parse again.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| (0..=9999).contains(&t.year()))
}

/// Formats an instant the way `java.time.Instant#toString` does (Z, 0/3/6/9 digits).
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl EventMetadata {
    /// Metadata for a new event: version 0 ("append at the end"), the store's clock as
    /// timestamp, schema version 1, no optional ids.
    pub fn new(aggregate_type: &str, aggregate_id: &str, event_id: &str) -> EventMetadata {
        EventMetadata {
            event_id: event_id.to_string(),
            aggregate_type: aggregate_type.to_string(),
            aggregate_id: aggregate_id.to_string(),
            aggregate_version: 0,
            timestamp: None,
            previous_event_id: None,
            schema_version: 1,
            user_id: None,
            correlation_id: None,
            causation_id: None,
        }
    }

    fn from_fields(m: &MetadataIn<'_>) -> Result<EventMetadata> {
        let required = |value, key| field_str(value, key, true).map(Option::unwrap_or_default);
        let timestamp = match field_str(m.timestamp, "timestamp", false)? {
            None => None,
            Some(text) => Some(parse_instant(&text).ok_or_else(|| {
                let reason = if DateTime::parse_from_rfc3339(&text).is_ok()
                    || text.starts_with(['+', '-'])
                {
                    format!("{text:?} lies outside the years 0000 to 9999 (UTC) an event can carry")
                } else {
                    format!("{text:?} is not an ISO-8601 instant")
                };
                Error::invalid_event("eventMetadata.timestamp", reason)
            })?),
        };
        let schema_version = match field_u64(m.schema_version, "schemaVersion")? {
            None => 1,
            Some(v) => u32::try_from(v).map_err(|_| {
                Error::invalid_event("eventMetadata.schemaVersion", format!("{v} is too large"))
            })?,
        };
        let aggregate_version = field_u64(m.aggregate_version, "aggregateVersion")?.unwrap_or(0);
        if aggregate_version > i64::MAX as u64 {
            return Err(Error::invalid_event(
                "eventMetadata.aggregateVersion",
                format!("{aggregate_version} is too large"),
            ));
        }
        Ok(EventMetadata {
            event_id: required(m.event_id, "eventId")?,
            aggregate_type: required(m.aggregate_type, "aggregateType")?,
            aggregate_id: required(m.aggregate_id, "aggregateId")?,
            aggregate_version,
            timestamp,
            previous_event_id: field_str(m.previous_event_id, "previousEventId", false)?,
            schema_version,
            user_id: field_str(m.user_id, "userId", false)?,
            correlation_id: field_str(m.correlation_id, "correlationId", false)?,
            causation_id: field_str(m.causation_id, "causationId", false)?,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetadataOut<'a> {
    event_id: &'a str,
    aggregate_type: &'a str,
    aggregate_id: &'a str,
    aggregate_version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    causation_id: Option<&'a str>,
    /// Only on the wire, for an event read by position; never in a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_position: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeOut<'a> {
    event_type: &'a str,
    event_metadata: MetadataOut<'a>,
    event_data: &'a RawValue,
}

impl Event {
    /// An event from its parts; `data` must be valid JSON (kept as it is, never
    /// re-encoded).
    pub fn new(event_type: &str, metadata: EventMetadata, data: &str) -> Result<Event> {
        let data = RawValue::from_string(data.to_string())
            .map_err(|e| Error::invalid_event("eventData", e.to_string()))?;
        Ok(Event {
            event_type: event_type.to_string(),
            metadata,
            data,
        })
    }

    /// Parses one envelope; errors name the offending field.
    pub fn from_json(bytes: &[u8]) -> Result<Event> {
        // A derived struct would also take `[type, metadata, data]`: only an object is an
        // envelope.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(Error::invalid_event("envelope", "not a JSON object"));
        }
        let envelope: EnvelopeIn<'_> = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid_event("envelope", format!("not a JSON object: {e}")))?;
        Event::from_parts(envelope)
    }

    /// Checks one envelope already split into its top-level members.
    fn from_parts(envelope: EnvelopeIn<'_>) -> Result<Event> {
        let event_type = match envelope.event_type {
            None => return Err(Error::invalid_event("eventType", "is missing")),
            Some(raw) => serde_json::from_str::<String>(raw.get())
                .map_err(|_| Error::invalid_event("eventType", "must be a string"))?,
        };
        let metadata = match envelope.event_metadata {
            None => return Err(Error::invalid_event("eventMetadata", "is missing")),
            Some(raw) if raw.get().starts_with('{') => {
                let fields: MetadataIn<'_> = serde_json::from_str(raw.get()).map_err(|e| {
                    Error::invalid_event("eventMetadata", format!("is not readable: {e}"))
                })?;
                EventMetadata::from_fields(&fields)?
            }
            Some(_) => return Err(Error::invalid_event("eventMetadata", "must be an object")),
        };
        let data = envelope
            .event_data
            .ok_or_else(|| Error::invalid_event("eventData", "is missing"))?;
        layout::check_event_type(&event_type)?;
        layout::aggregate_type_dir(&metadata.aggregate_type)?;
        layout::aggregate_id_dir(&metadata.aggregate_id)?;
        Ok(Event {
            event_type,
            metadata,
            data,
        })
    }

    /// Parses a JSON array of envelopes (the batch wire format).
    pub fn batch_from_json(bytes: &[u8]) -> Result<Vec<Event>> {
        let items: Vec<&RawValue> = serde_json::from_slice(bytes).map_err(|e| {
            Error::invalid_event("events", format!("not a JSON array of objects: {e}"))
        })?;
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                Event::from_json(item.get().as_bytes()).map_err(|e| match e {
                    Error::InvalidEvent { field, reason } => {
                        Error::invalid_event(format!("events[{i}].{field}"), reason)
                    }
                    other => other,
                })
            })
            .collect()
    }

    fn out(&self) -> EnvelopeOut<'_> {
        let m = &self.metadata;
        EnvelopeOut {
            event_type: &self.event_type,
            event_metadata: MetadataOut {
                event_id: &m.event_id,
                aggregate_type: &m.aggregate_type,
                aggregate_id: &m.aggregate_id,
                aggregate_version: m.aggregate_version,
                timestamp: m.timestamp.as_ref().map(format_instant),
                schema_version: m.schema_version,
                previous_event_id: m.previous_event_id.as_deref(),
                user_id: m.user_id.as_deref(),
                correlation_id: m.correlation_id.as_deref(),
                causation_id: m.causation_id.as_deref(),
                stream_position: None,
            },
            event_data: &self.data,
        }
    }

    /// The file content: the envelope pretty-printed, `eventData` re-indented to match
    /// without touching a single token.
    pub fn to_file_json(&self) -> Vec<u8> {
        self.to_file_json_within(usize::MAX).unwrap_or_default()
    }

    /// [`Self::to_file_json`], or `None` when it would pass `max_len` bytes (found out
    /// while printing, so memory stays within about `max_len` whatever the data's shape).
    pub fn to_file_json_within(&self, max_len: usize) -> Option<Vec<u8>> {
        let data = reindent_within(self.data.get(), 1, max_len)?;
        let data = RawValue::from_string(data).unwrap_or_else(|_| self.data.clone());
        let mut out = self.out();
        out.event_data = &data;
        let mut bytes = serde_json::to_vec_pretty(&out).unwrap_or_default();
        bytes.push(b'\n');
        (bytes.len() <= max_len).then_some(bytes)
    }

    /// The event as one line of a segment: the compact envelope and a newline, or `None`
    /// when that would pass `max_len` bytes. `eventData` loses the whitespace between
    /// its tokens (every token keeps its bytes), so the line holds exactly one newline,
    /// its last byte.
    pub fn to_line_within(&self, max_len: usize) -> Option<Vec<u8>> {
        let data = minify(self.data.get());
        let data = RawValue::from_string(data).unwrap_or_else(|_| self.data.clone());
        let mut out = self.out();
        out.event_data = &data;
        let mut line = serde_json::to_vec(&out).unwrap_or_default();
        line.push(b'\n');
        (line.len() <= max_len).then_some(line)
    }

    /// This event as a store ByteHot's pure-Java adapter must read too keeps it
    /// (`legacy-readable`): that adapter reads an event's metadata from its `eventData`, so
    /// the metadata members it knows (`eventId`, `aggregateType`, `aggregateId`,
    /// `aggregateVersion`, `timestamp`, `schemaVersion`, and `previousEventId`, `userId`,
    /// `correlationId` when set) are written first in an object `eventData`, before the
    /// event's own members, which win where a name is in both (for ByteHot's reader and
    /// this library's alike, as both keep a repeated member's last value). Data that is not
    /// an object is written as it is.
    pub fn legacy_readable(mut self) -> Event {
        let data = self.data.get();
        let Some(inner) = data
            .trim()
            .strip_prefix('{')
            .and_then(|d| d.strip_suffix('}'))
        else {
            return self;
        };
        let m = &self.metadata;
        let mut members = serde_json::Map::new();
        let mut put = |key: &str, value: serde_json::Value| {
            members.insert(key.to_string(), value);
        };
        put("eventId", m.event_id.clone().into());
        put("aggregateType", m.aggregate_type.clone().into());
        put("aggregateId", m.aggregate_id.clone().into());
        put("aggregateVersion", m.aggregate_version.into());
        if let Some(t) = &m.timestamp {
            put("timestamp", format_instant(t).into());
        }
        put("schemaVersion", m.schema_version.into());
        for (key, value) in [
            ("previousEventId", &m.previous_event_id),
            ("userId", &m.user_id),
            ("correlationId", &m.correlation_id),
        ] {
            if let Some(value) = value {
                put(key, value.clone().into());
            }
        }
        let mut merged = serde_json::Value::Object(members).to_string();
        if !inner.trim().is_empty() {
            merged.pop();
            merged.push(',');
            merged.push_str(inner);
            merged.push('}');
        }
        if let Ok(data) = RawValue::from_string(merged) {
            self.data = data;
        }
        self
    }

    /// Appends the compact envelope to `out` (the wire format).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Serializing plain strings, numbers and already valid raw JSON cannot fail.
        let _ = serde_json::to_writer(&mut *out, &self.out());
    }

    /// Appends the compact envelope to `out` with `streamPosition` in its metadata (the
    /// wire format of an event read in the store's global order).
    pub fn write_json_at(&self, out: &mut Vec<u8>, position: u64) {
        let mut envelope = self.out();
        envelope.event_metadata.stream_position = Some(position);
        let _ = serde_json::to_writer(&mut *out, &envelope);
    }

    /// A JSON array of envelopes.
    pub fn batch_to_json(events: &[Event]) -> Vec<u8> {
        let mut out = Vec::with_capacity(events.len() * 512 + 2);
        out.push(b'[');
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            e.write_json(&mut out);
        }
        out.push(b']');
        out
    }
}

/// Levels of nesting `eventData` may have: Jackson's default read limit
/// (`StreamReadConstraints`), so every event the store takes, the Java side can read back.
pub const MAX_DATA_DEPTH: usize = 1000;

/// Longest number Jackson reads back (`StreamReadConstraints.maxNumberLength`).
pub const MAX_NUMBER_LENGTH: usize = 1000;

/// Longest string, in characters, Jackson reads back (`maxStringLength`).
pub const MAX_STRING_LENGTH: usize = 20_000_000;

/// Longest member name, in characters, Jackson reads back (`maxNameLength`).
pub const MAX_NAME_LENGTH: usize = 50_000;

/// What in valid JSON text a reader with Jackson's default limits would refuse (nesting
/// over [`MAX_DATA_DEPTH`], a number, string or member name over its limit), in one pass:
/// the store refuses to save what it could never return.
pub fn unreadable_part(json: &str) -> Option<String> {
    let bytes = json.as_bytes();
    let (mut depth, mut number) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // A string: its length in characters, escapes decoded.
                let mut chars = 0usize;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += if bytes.get(i + 1) == Some(&b'u') {
                            6
                        } else {
                            2
                        };
                    } else {
                        // Characters are counted at their first byte.
                        i += 1;
                        while i < bytes.len() && bytes[i] & 0xC0 == 0x80 {
                            i += 1;
                        }
                    }
                    chars += 1;
                }
                i += 1;
                let mut next = i;
                while bytes.get(next).is_some_and(u8::is_ascii_whitespace) {
                    next += 1;
                }
                if bytes.get(next) == Some(&b':') {
                    if chars > MAX_NAME_LENGTH {
                        return Some(format!(
                            "a member name of {chars} characters, over the {MAX_NAME_LENGTH} a reader accepts"
                        ));
                    }
                } else if chars > MAX_STRING_LENGTH {
                    return Some(format!(
                        "a string of {chars} characters, over the {MAX_STRING_LENGTH} a reader accepts"
                    ));
                }
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DATA_DEPTH {
                    return Some(format!(
                        "nesting over {MAX_DATA_DEPTH} levels deep, more than a reader accepts"
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'-' | b'+' | b'.' | b'0'..=b'9' | b'e' | b'E' => {
                number += 1;
                if number > MAX_NUMBER_LENGTH {
                    return Some(format!(
                        "a number over {MAX_NUMBER_LENGTH} characters long, more than a reader accepts"
                    ));
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        number = 0;
        i += 1;
    }
    None
}

/// Valid JSON text without the whitespace between its tokens: every string and number
/// keeps its exact bytes. Linear in the text, whatever its depth.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Re-indents valid JSON text by two spaces per level, starting at `level`; only
/// whitespace between tokens changes, so every string and number keeps its exact bytes.
pub fn reindent(json: &str, level: usize) -> String {
    reindent_within(json, level, usize::MAX).unwrap_or_default()
}

/// [`reindent`], or `None` as soon as the result would pass `max_len` bytes: indentation
/// grows with depth times lines, so deep and wide JSON can print hundreds of times its
/// own size, and the limit is checked while printing, never after.
pub fn reindent_within(json: &str, level: usize, max_len: usize) -> Option<String> {
    let mut out = String::with_capacity(json.len().min(max_len) + json.len().min(max_len) / 4);
    let mut depth = level;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| -> Option<()> {
        if out.len() + 1 + 2 * depth > max_len {
            return None;
        }
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
        Some(())
    };
    while let Some(c) = chars.next() {
        if out.len() >= max_len {
            return None;
        }
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            ' ' | '\n' | '\r' | '\t' => {}
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|n| n.is_ascii_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth)?;
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth)?;
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth)?;
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    (out.len() <= max_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    #[test]
    fn minify_drops_whitespace_between_tokens_and_keeps_strings_whole() {
        let json = "{\n  \"a b\" : [ 1 ,\t2 ],\r\n  \"q\": \"x \\\" \\\\ y\" }";
        assert_eq!(minify(json), r#"{"a b":[1,2],"q":"x \" \\ y"}"#);
    }

    const ENVELOPE: &str = r#"{"eventType":"ClassFileChanged","eventMetadata":{"eventId":"e1","aggregateType":"filewatch","aggregateId":"/app/Foo.class","aggregateVersion":0,"timestamp":"2025-06-17T12:30:00.001Z","schemaVersion":1,"previousEventId":null},"eventData":{"n":12345678901234567890123,"s":"é🚀\u0000","nested":{"a":[1,2,{}],"b":[]},"f":1.0e-7}}"#;

    #[test]
    fn envelope_round_trips_metadata_and_exact_data() {
        let e = Event::from_json(ENVELOPE.as_bytes()).expect("valid");
        assert_eq!(e.metadata.aggregate_id, "/app/Foo.class");
        assert_eq!(e.metadata.schema_version, 1);
        assert_eq!(e.metadata.previous_event_id, None);
        let again = Event::from_json(&e.to_file_json()).expect("file form parses");
        assert_eq!(reindent(e.data.get(), 0), reindent(again.data.get(), 0));
        assert!(again.data.get().contains("12345678901234567890123"));
        assert_eq!(again.metadata, e.metadata);
        let mut wire = Vec::new();
        again.write_json(&mut wire);
        assert_eq!(Event::from_json(&wire).expect("wire form parses"), again);
    }

    #[test]
    fn reindent_keeps_every_token() {
        let text = r#"{"a" : [1, "x\"]{,", {"b": null}], "c": {}, "d": [ ]}"#;
        let pretty = reindent(text, 0);
        let a: Value = serde_json::from_str(text).expect("valid");
        let b: Value = serde_json::from_str(&pretty).expect("still valid");
        assert_eq!(a, b);
        assert!(pretty.contains("\"x\\\"]{,\""));
        assert!(pretty.contains('\n'));
    }

    #[test]
    fn timestamps_keep_nanoseconds() {
        let t = parse_instant("2025-06-17T12:30:00.123456789Z").expect("valid");
        assert_eq!(format_instant(&t), "2025-06-17T12:30:00.123456789Z");
        let t = parse_instant("2025-06-17T14:30:00+02:00").expect("offset");
        assert_eq!(format_instant(&t), "2025-06-17T12:30:00Z");
        // Found by the `envelope` fuzz target: instants that leave years 0..=9999 once in
        // UTC cannot be formatted back as RFC 3339, so they are rejected on input.
        assert_eq!(parse_instant("9999-12-31T23:59:59-01:00"), None);
        assert_eq!(parse_instant("0000-01-01T00:00:00+01:00"), None);
        let t = parse_instant("9999-12-31T23:59:59.999Z").expect("last instant");
        assert_eq!(parse_instant(&format_instant(&t)), Some(t));
    }

    fn error_field(json: &str) -> String {
        match Event::from_json(json.as_bytes()) {
            Err(Error::InvalidEvent { field, .. }) => field,
            Err(Error::InvalidName { kind, .. }) => kind.to_string(),
            other => panic!("expected an invalid event, got {other:?}"),
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let base: Value = serde_json::from_str(ENVELOPE).expect("valid");
        let cases: [(&str, Value, &str); 8] = [
            (
                "/eventMetadata/aggregateVersion",
                Value::from(-1),
                "eventMetadata.aggregateVersion",
            ),
            (
                "/eventMetadata/aggregateVersion",
                Value::from("1"),
                "eventMetadata.aggregateVersion",
            ),
            (
                "/eventMetadata/eventId",
                Value::Null,
                "eventMetadata.eventId",
            ),
            (
                "/eventMetadata/aggregateId",
                Value::from(""),
                "eventMetadata.aggregateId",
            ),
            (
                "/eventMetadata/timestamp",
                Value::from("yesterday"),
                "eventMetadata.timestamp",
            ),
            (
                "/eventMetadata/schemaVersion",
                Value::from(1u64 << 40),
                "eventMetadata.schemaVersion",
            ),
            ("/eventType", Value::from("../x"), "event type"),
            ("/eventMetadata", Value::from(3), "eventMetadata"),
        ];
        for (pointer, replacement, field) in cases {
            let mut v = base.clone();
            *v.pointer_mut(pointer).expect("pointer exists") = replacement;
            assert_eq!(error_field(&v.to_string()), field, "{pointer}");
        }
        assert_eq!(error_field("[1]"), "envelope");
        assert_eq!(error_field(r#"{"eventMetadata":{}}"#), "eventType");
        assert_eq!(
            error_field(
                r#"{"eventType":"A","eventMetadata":{"eventId":"e","aggregateType":"t","aggregateId":"i"}}"#
            ),
            "eventData"
        );
    }

    #[test]
    fn only_objects_are_envelopes_and_null_is_a_value_not_an_absence() {
        let meta = r#"{"eventId":"e","aggregateType":"t","aggregateId":"i"}"#;
        let seq = format!(r#"["A",{meta},{{}}]"#);
        assert_eq!(error_field(&seq), "envelope");
        let meta_seq = r#"{"eventType":"A","eventMetadata":["e","t","i"],"eventData":{}}"#;
        assert_eq!(error_field(meta_seq), "eventMetadata");
        let null_data = format!(r#"{{"eventType":"A","eventMetadata":{meta},"eventData":null}}"#);
        let event = Event::from_json(null_data.as_bytes()).expect("null data is data");
        assert_eq!(event.data.get(), "null");
        let twice =
            format!(r#"{{"eventType":"A","eventType":"B","eventMetadata":{meta},"eventData":1}}"#);
        assert_eq!(error_field(&twice), "envelope");
        let extra = format!(r#"{{"eventType":"A","x":[1],"eventMetadata":{meta},"eventData":1}}"#);
        assert_eq!(
            Event::from_json(extra.as_bytes())
                .expect("extra members")
                .event_type,
            "A"
        );
        let escaped = format!(r#"{{"eventType":"\u0041","eventMetadata":{meta},"eventData":1}}"#);
        assert_eq!(
            Event::from_json(escaped.as_bytes())
                .expect("escapes")
                .event_type,
            "A"
        );
    }

    #[test]
    fn batch_errors_carry_the_index() {
        let batch = format!("[{ENVELOPE},{{\"eventType\":\"A\"}}]");
        match Event::batch_from_json(batch.as_bytes()) {
            Err(Error::InvalidEvent { field, .. }) => assert_eq!(field, "events[1].eventMetadata"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
