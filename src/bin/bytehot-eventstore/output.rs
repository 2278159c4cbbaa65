//! How results reach the user: aligned tables, JSON, and progress bars that only a
//! terminal sees.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use bytehot_eventstore::{Event, format_instant};
use indicatif::{ProgressBar, ProgressStyle};

/// Prints rows under a header, each column as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (k, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if k + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string()
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", line(header.to_vec()));
    for row in rows {
        let _ = writeln!(stdout, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

/// A JSON document on stdout.
pub fn json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// One event as a JSON Lines line: the compact envelope.
pub fn event_line(event: &Event) -> Vec<u8> {
    event.to_line_within(usize::MAX).unwrap_or_default()
}

/// The columns a table of events shows.
pub const EVENT_HEADER: [&str; 6] = ["TIMESTAMP", "TYPE", "AGGREGATE", "ID", "V", "EVENT ID"];

/// One event as a table row (see [`EVENT_HEADER`]).
pub fn event_row(event: &Event) -> Vec<String> {
    let m = &event.metadata;
    vec![
        m.timestamp
            .as_ref()
            .map(format_instant)
            .unwrap_or_else(|| "-".to_string()),
        event.event_type.clone(),
        m.aggregate_type.clone(),
        m.aggregate_id.clone(),
        m.aggregate_version.to_string(),
        m.event_id.clone(),
    ]
}

/// Bytes as people read them.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A progress bar of `total` steps on stderr, drawn only when stderr is a terminal.
pub fn progress(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({elapsed}, {eta} left)")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// A spinner on stderr for work of unknown length, drawn only on a terminal.
pub fn spinner(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
