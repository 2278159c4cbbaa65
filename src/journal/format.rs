//! The journal's bytes: the 16-byte header (magic, epoch) and the records after it
//! (`len | check | path_len | path | file bytes`, the check a CRC-32 keyed by the epoch).
//! Pure functions of bytes, public for the fuzzer: decoding never panics, and stops at
//! the first record whose check fails under the header's epoch.

/// The first 8 bytes of a journal with a header. As an old journal's first record length
/// it would read 4 GiB - 1, which no record has, so the two formats cannot be confused.
pub const JOURNAL_MAGIC: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, b'B', b'H', b'J', b'2'];

/// Header bytes: magic and epoch.
pub(super) const HEADER_LEN: u64 = 16;

pub(super) const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

pub(super) static CRC_TABLE: [u32; 256] = crc_table();

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| {
        CRC_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8)
    })
}

/// What a record's check is XORed with in `epoch`: distinct for every epoch below 2^32
/// (an odd multiplier is a bijection), zero for epoch 0, so old journals read unchanged.
pub(super) fn epoch_mask(epoch: u64) -> u32 {
    (epoch as u32).wrapping_mul(0x9E37_79B1)
}

/// The path a record names for an event: its file's path, or for a line of a segment the
/// segment's path, `@` and the line's offset (`t/a/<name>.jsonl@4096`). The index names
/// events the same way.
pub fn record_path(file: &str, at: Option<(u64, u32)>) -> String {
    match at {
        Some((offset, _)) => format!("{file}@{offset}"),
        None => file.to_string(),
    }
}

/// Splits what [`record_path`] made into the file's path and the line's offset.
pub fn split_record_path(path: &str) -> (&str, Option<u64>) {
    match path.rsplit_once('@') {
        Some((file, text)) if file.ends_with(".jsonl") => match text.parse::<u64>() {
            // Only the digits `record_path` writes: no sign, no leading zero.
            Ok(offset) if offset.to_string() == text => (file, Some(offset)),
            _ => (path, None),
        },
        _ => (path, None),
    }
}

/// Frames one record of epoch 0 (a journal without header).
pub fn encode_record(relative_path: &str, file_bytes: &[u8]) -> Vec<u8> {
    encode_record_in(0, relative_path, file_bytes)
}

/// Frames one record of `epoch`.
pub fn encode_record_in(epoch: u64, relative_path: &str, file_bytes: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + relative_path.len() + file_bytes.len());
    payload.extend_from_slice(&(relative_path.len() as u32).to_le_bytes());
    payload.extend_from_slice(relative_path.as_bytes());
    payload.extend_from_slice(file_bytes);
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&(crc32(&payload) ^ epoch_mask(epoch)).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// A journal header naming `epoch`.
pub fn encode_header(epoch: u64) -> [u8; HEADER_LEN as usize] {
    let mut out = [0u8; HEADER_LEN as usize];
    out[..8].copy_from_slice(&JOURNAL_MAGIC);
    out[8..].copy_from_slice(&epoch.to_le_bytes());
    out
}

/// The epoch a journal's header names, `None` for a journal without header.
pub fn journal_epoch(bytes: &[u8]) -> Option<u64> {
    if !bytes.starts_with(&JOURNAL_MAGIC) {
        return None;
    }
    let b: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Decodes a journal's records until the first torn or corrupt one, or one of an earlier
/// epoch; returns them and whether the rest of the input is clean: nothing, or (after a
/// header) only the zeros of space not yet used.
pub fn decode_records(bytes: &[u8]) -> (Vec<(String, &[u8])>, bool) {
    let (epoch, mut rest) = match journal_epoch(bytes) {
        Some(epoch) => (epoch, &bytes[HEADER_LEN as usize..]),
        None if bytes.starts_with(&JOURNAL_MAGIC[..4]) => return (Vec::new(), false),
        None => (0, bytes),
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        let Some(record) = decode_one(epoch, rest) else {
            let padding = journal_epoch(bytes).is_some() && rest.iter().all(|b| *b == 0);
            return (out, padding);
        };
        out.push((record.0, record.1));
        rest = &rest[record.2..];
    }
    (out, true)
}

pub(super) fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(super) fn decode_one(epoch: u64, bytes: &[u8]) -> Option<(String, &[u8], usize)> {
    let len = usize::try_from(le_u32(bytes, 0)?).ok()?;
    let check = le_u32(bytes, 4)?;
    let payload = bytes.get(8..8usize.checked_add(len)?)?;
    if crc32(payload) ^ epoch_mask(epoch) != check {
        return None;
    }
    let path_len = usize::try_from(le_u32(payload, 0)?).ok()?;
    let path = payload.get(4..4usize.checked_add(path_len)?)?;
    let path = String::from_utf8(path.to_vec()).ok()?;
    Some((path, &payload[4 + path_len..], 8 + len))
}

/// Re-keys records framed for epoch 0 for `epoch` (only their checks change).
pub(super) fn rekey(records: &mut [u8], epoch: u64) {
    let mask = epoch_mask(epoch);
    let mut at = 0;
    while let (Some(len), Some(check)) = (le_u32(records, at), le_u32(records, at + 4)) {
        records[at + 4..at + 8].copy_from_slice(&(check ^ mask).to_le_bytes());
        at += 8 + len as usize;
    }
}
