//! `encode_component` / `decode_component`, `aggregate_id_dir`, `aggregate_type_dir` and
//! `legacy_id_dir` on arbitrary UTF-8 (invalid UTF-8 is replaced lossily first).
//!
//! Asserts: the encoding is one safe path component (no `/`, `\`, NUL; never `.`, `..`,
//! `metadata`, a leading or trailing `.`, or a Windows device name; only
//! `[A-Za-z0-9._%-]`); `decode(encode(s)) == Some(s)` for every non-empty `s`; `decode`
//! never panics and `decode(x) == Some(y)` implies `encode(y) == x`; `aggregate_id_dir`
//! never panics and its name is safe and at most 200 bytes; hashed names never decode.
#![no_main]

use bytehot_eventstore::{
    MAX_ENCODED_COMPONENT, aggregate_id_dir, aggregate_type_dir, decode_component,
    encode_component, legacy_id_dir,
};
use libfuzzer_sys::fuzz_target;

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn assert_safe(input: &str, name: &str) {
    assert!(
        !name.contains(['/', '\\', '\0']),
        "{input:?} -> {name:?} has a separator or NUL"
    );
    assert!(
        !name.starts_with('.'),
        "{input:?} -> {name:?} starts with '.'"
    );
    assert!(!name.ends_with('.'), "{input:?} -> {name:?} ends with '.'");
    assert!(
        name != "." && name != ".." && name != "metadata",
        "{input:?} -> {name:?} is reserved"
    );
    let stem = name.split('.').next().unwrap_or("");
    assert!(
        !WINDOWS_RESERVED
            .iter()
            .any(|r| r.eq_ignore_ascii_case(stem)),
        "{input:?} -> {name:?} is a Windows device name"
    );
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s: &str = &s;

    let enc = encode_component(s);
    if s.is_empty() {
        assert_eq!(enc, "");
    } else {
        assert_safe(s, &enc);
        assert!(
            enc.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'%')),
            "{s:?} -> {enc:?} has a byte outside [A-Za-z0-9._%-]"
        );
        assert_eq!(
            decode_component(&enc).as_deref(),
            Some(s),
            "{s:?} -> {enc:?}"
        );
    }

    // The input read as a directory name found on disk.
    if let Some(decoded) = decode_component(s) {
        assert_eq!(
            encode_component(&decoded),
            s,
            "{s:?} decodes to {decoded:?}"
        );
    }

    if let Ok((dir, hashed)) = aggregate_id_dir(s) {
        assert!(
            dir.len() <= MAX_ENCODED_COMPONENT,
            "{s:?} -> {dir:?} is {} bytes",
            dir.len()
        );
        assert_safe(s, &dir);
        if hashed {
            assert!(dir.contains('~'));
            assert_eq!(decode_component(&dir), None, "hashed {dir:?} decodes");
        } else {
            assert_eq!(dir, enc);
        }
    }

    if let Ok(dir) = aggregate_type_dir(s) {
        assert!(dir.len() <= MAX_ENCODED_COMPONENT);
        assert_eq!(dir, enc);
    }

    if let Some(legacy) = legacy_id_dir(s) {
        assert!(!legacy.contains(['/', '\\', '\0']), "{s:?} -> {legacy:?}");
        assert!(
            !legacy.starts_with('.') && legacy != "..",
            "{s:?} -> {legacy:?}"
        );
    }
});
