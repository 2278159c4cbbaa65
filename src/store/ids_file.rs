//! The `.ids` file of an aggregate directory (see [`IDS_FILE`] for its format and when it
//! is believed).

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::file;
use crate::io::StoreIo;

use super::cache::AggState;

/// `<aggregate dir>/.ids`: one line per event file, `<file name> <eventId as JSON>`, in
/// name order, appended by the writer *before* it renames the files (under the directory
/// lock). It lets an aggregate be known without parsing its files: at first use, when
/// its names match the directory listing and its last line matches the last file; and
/// later, by reading only the lines appended since (each must name an existing file).
/// Anything else (a crash between the append and the rename, a hand edit) makes the
/// reader list and parse the directory instead, and the next writer rewrite the file.
pub(super) const IDS_FILE: &str = ".ids";

/// The file earlier versions kept instead of `.ids`; left alone, accepted by `verify`.
pub(super) const OLD_HEAD_FILE: &str = ".head";

/// Aggregates with at most this many event files have no `.ids`: listing and parsing
/// them costs about as much, and every file costs an inode and a block.
pub(super) const IDS_FROM_EVENTS: usize = 16;

pub(super) fn ids_line(name: &str, event_id: &str) -> String {
    let id = serde_json::Value::String(event_id.to_string());
    format!("{name} {id}\n")
}

pub(super) fn parse_ids_line(line: &str) -> Option<(&str, String)> {
    let (name, id) = line.split_once(' ')?;
    Some((name, serde_json::from_str::<String>(id).ok()?))
}

/// The complete lines of `.ids` bytes; `None` when the last one is torn.
pub(super) fn ids_lines(bytes: &[u8]) -> Option<Vec<(&str, String)>> {
    if bytes.last().is_some_and(|b| *b != b'\n') {
        return None;
    }
    std::str::from_utf8(bytes)
        .ok()?
        .lines()
        .map(parse_ids_line)
        .collect()
}

/// After `state` was rebuilt from the listing: the `.ids` file's (inode, bytes) when it
/// says exactly what `state` knows, so that the next refresh reads only its new lines
/// and the next write appends rather than rewrites (two processes that each rewrote the
/// other's file would otherwise never stop).
pub(super) fn adopt_ids(file: Option<File>, state: &AggState) -> Option<(u64, u64)> {
    let mut file = file?;
    let ids_file = file::file_id(&file).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let lines = ids_lines(&bytes)?;
    let same = lines.len() == state.entries.len()
        && state.entries.len() == state.listed.len()
        && lines
            .iter()
            .zip(&state.entries)
            .all(|((name, id), e)| *name == e.name && *id == e.event_id);
    same.then_some((ids_file.ino, bytes.len() as u64))
}

/// Records the names and ids about to be written, after those `state` knows: appended
/// when `state` has read the whole file, otherwise the file is rewritten. Only right
/// after a refresh under the directory's exclusive lock, which leaves `state.ids_file`
/// describing `.ids` as it is: no writer can have changed it since.
pub(super) fn write_ids(
    io: &dyn StoreIo,
    dir: &Path,
    state: &mut AggState,
    new: &[(String, String)],
) -> Result<()> {
    let path = dir.join(IDS_FILE);
    let current = state.ids_file;
    if state.legacy
        || (current.is_none()
            && state.entries.len() + new.len() <= IDS_FROM_EVENTS
            && !path.exists())
    {
        return Ok(());
    }
    let lines: String = new.iter().map(|(n, id)| ids_line(n, id)).collect();
    let fail = |e| Error::io("write", &path, e);
    if let Some((ino, len)) = current {
        let file = file::open_regular(&path, OpenOptions::new().append(true)).map_err(fail)?;
        io.append_line(&file, lines.as_bytes()).map_err(fail)?;
        state.ids_file = Some((ino, len + lines.len() as u64));
        return Ok(());
    }
    let mut all: String = state
        .entries
        .iter()
        .map(|e| ids_line(&e.name, &e.event_id))
        .collect();
    all.push_str(&lines);
    let tmp = dir.join(format!(".ids.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<u64> {
        let file = File::create(&tmp)?;
        io.write_file(&file, all.as_bytes())?;
        io.rename(&tmp, &path)?;
        Ok(file::file_id(&file)?.ino)
    };
    let ino = write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })?;
    state.ids_file = Some((ino, all.len() as u64));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ids_line_round_trips_any_event_id_as_json() {
        for id in [
            "plain",
            "with space",
            "quote\"and\\slash",
            "new\nline",
            "ü-é",
        ] {
            let line = ids_line("20260101000000000000-A.json", id);
            assert!(line.ends_with('\n'));
            assert_eq!(line.matches('\n').count(), 1, "one line for {id:?}");
            let parsed = parse_ids_line(line.trim_end_matches('\n'));
            assert_eq!(
                parsed,
                Some(("20260101000000000000-A.json", id.to_string()))
            );
        }
    }

    #[test]
    fn ids_lines_refuses_a_torn_last_line_and_a_line_that_does_not_parse() {
        let whole = format!("{}{}", ids_line("a.json", "1"), ids_line("b.json", "2"));
        let lines = ids_lines(whole.as_bytes()).expect("complete lines");
        assert_eq!(
            lines,
            vec![("a.json", "1".to_string()), ("b.json", "2".to_string())]
        );
        assert_eq!(ids_lines(&whole.as_bytes()[..whole.len() - 1]), None);
        assert_eq!(ids_lines(b"a.json not-json\n"), None);
        assert_eq!(ids_lines(b"no-space-at-all\n"), None);
        assert_eq!(ids_lines(b""), Some(Vec::new()));
    }
}
