//! The layout of a multi-process file, as prometheus_client 0.26 writes it.
//!
//! ```text
//! offset 0   i32  used: bytes in use, header included (native byte order)
//! offset 4   4 bytes of padding
//! offset 8   entries, back to back, up to `used`:
//!            i32  length of the key in bytes
//!            key  UTF-8, then spaces up to the next multiple of 8 (counting the length)
//!            f64  value
//!            f64  timestamp (seconds; 0.0 when not set)
//! ```
//!
//! A new file is 64 KiB of zeros; its writer sets `used` to 8, appends each entry before
//! raising `used` past it, and doubles the file when it runs out of room. Because `used` is
//! raised last, a reader that honours it never sees half an entry, even from a writer killed
//! mid-write.

use std::fmt;

/// Size of a new file (prometheus_client's `_INITIAL_MMAP_SIZE`).
pub const INITIAL_SIZE: usize = 1 << 16;

/// Bytes before the first entry.
pub const HEADER: usize = 8;

/// Why a file's bytes cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// Fewer than 8 bytes: not even a header.
    Short {
        /// Bytes available.
        len: usize,
    },
    /// `used` is below the header size or above the bytes available (a truncated file).
    Used {
        /// The header's value.
        used: i64,
        /// Bytes available.
        len: usize,
    },
    /// An entry would end beyond `used`.
    Overrun {
        /// Where the entry starts.
        offset: usize,
    },
    /// A key is not UTF-8.
    Utf8 {
        /// Where the key starts.
        offset: usize,
    },
    /// A key is not the JSON prometheus_client writes.
    Key {
        /// Where the key starts.
        offset: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The file name does not say which metric type it holds.
    Name {
        /// The file name.
        name: String,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Short { len } => write!(f, "file too short for a header ({len} bytes)"),
            Self::Used { used, len } => write!(f, "header says {used} bytes are used but the file has {len}"),
            Self::Overrun { offset } => write!(f, "entry at offset {offset} runs past the used size"),
            Self::Utf8 { offset } => write!(f, "key at offset {offset} is not UTF-8"),
            Self::Key { offset, reason } => write!(f, "key at offset {offset} is not valid: {reason}"),
            Self::Name { name } => write!(f, "file name {name:?} does not name a metric type"),
        }
    }
}

impl std::error::Error for FormatError {}

/// One entry of a file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry<'a> {
    /// The key, as stored.
    pub key: &'a str,
    /// The value.
    pub value: f64,
    /// The timestamp (0.0 when none was set).
    pub timestamp: f64,
    /// Offset of the value (the timestamp follows it).
    pub pos: usize,
}

/// The `used` field of a file's header; `None` when there are fewer than 4 bytes.
#[inline]
pub fn used(data: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(data.get(..4)?.try_into().ok()?))
}

/// Bytes a key takes in an entry, length field and padding included: the next multiple of
/// 8 above `4 + key_len` (a key whose length field and bytes fill a multiple of 8 still
/// gets 8 spaces, as prometheus_client pads).
#[inline]
pub fn padded_key_len(key_len: usize) -> usize {
    key_len + (8 - (key_len + 4) % 8)
}

/// The bytes of a new entry for `key` with value and timestamp 0.0; the value sits 16
/// bytes before its end.
pub fn new_entry(key: &str) -> Vec<u8> {
    let padded = padded_key_len(key.len());
    let mut out = Vec::with_capacity(4 + padded + 16);
    out.extend_from_slice(&(key.len() as i32).to_ne_bytes());
    out.extend_from_slice(key.as_bytes());
    out.resize(4 + padded, b' ');
    out.extend_from_slice(&[0u8; 16]);
    out
}

/// A whole file's bytes (up to `used`) holding `entries` (key, value, timestamp) in order,
/// as a writer that appended them one by one would leave it.
pub fn encode_file<K: AsRef<str>>(entries: &[(K, f64, f64)]) -> Vec<u8> {
    let mut data = vec![0u8; HEADER];
    for (key, value, timestamp) in entries {
        let mut e = new_entry(key.as_ref());
        let n = e.len();
        e[n - 16..n - 8].copy_from_slice(&value.to_ne_bytes());
        e[n - 8..].copy_from_slice(&timestamp.to_ne_bytes());
        data.extend_from_slice(&e);
    }
    let used = data.len() as i32;
    data[..4].copy_from_slice(&used.to_ne_bytes());
    data
}

/// Reads two `f64` at `pos`.
#[inline]
pub fn read_pair(data: &[u8], pos: usize) -> Option<(f64, f64)> {
    let v = f64::from_ne_bytes(data.get(pos..pos + 8)?.try_into().ok()?);
    let t = f64::from_ne_bytes(data.get(pos + 8..pos + 16)?.try_into().ok()?);
    Some((v, t))
}

/// Every entry of a file, checked: the header's `used` must fit in `data`, and every entry
/// must end within it with a UTF-8 key. `data` may be longer than `used` (the rest is
/// ignored).
pub fn entries(data: &[u8]) -> Result<Vec<Entry<'_>>, FormatError> {
    let mut out = Vec::new();
    for_each_entry(data, |e| out.push(e))?;
    Ok(out)
}

/// Calls `f` with each entry of `data`, in file order, after checking the header; stops at
/// the first malformed entry with its error (entries before it have been passed to `f`).
pub fn for_each_entry<'a>(data: &'a [u8], mut f: impl FnMut(Entry<'a>)) -> Result<(), FormatError> {
    let mut bad = None;
    for_each_raw_entry(data, |key, value, timestamp, pos| {
        if bad.is_some() {
            return;
        }
        match std::str::from_utf8(key) {
            Ok(key) => f(Entry { key, value, timestamp, pos }),
            Err(_) => bad = Some(FormatError::Utf8 { offset: pos - padded_key_len(key.len()) - 4 }),
        }
    })?;
    bad.map_or(Ok(()), Err)
}

/// As [`for_each_entry`], with each key as bytes, not checked for UTF-8: for readers that
/// recognise keys they have already checked (`f` gets key, value, timestamp, position).
pub fn for_each_raw_entry<'a>(data: &'a [u8], mut f: impl FnMut(&'a [u8], f64, f64, usize)) -> Result<(), FormatError> {
    if data.is_empty() {
        // Created, not yet sized: its writer is about to lay it out.
        return Ok(());
    }
    if data.len() < HEADER {
        return Err(FormatError::Short { len: data.len() });
    }
    let used = used(data).unwrap_or(0);
    if used == 0 {
        // Sized, header not yet written: empty, as prometheus_client reads it.
        return Ok(());
    }
    if (used as i64) < HEADER as i64 || used as usize > data.len() {
        return Err(FormatError::Used { used: used as i64, len: data.len() });
    }
    let used = used as usize;
    let mut pos = HEADER;
    while pos < used {
        let start = pos;
        let len = data.get(pos..pos + 4).and_then(|b| b.try_into().ok()).map(i32::from_ne_bytes);
        let Some(len) = len.filter(|l| *l >= 0).map(|l| l as usize) else {
            return Err(FormatError::Overrun { offset: start });
        };
        let value_at = pos + 4 + padded_key_len(len);
        if value_at + 16 > used {
            return Err(FormatError::Overrun { offset: start });
        }
        let key = &data[pos + 4..pos + 4 + len];
        let (value, timestamp) = read_pair(data, value_at).ok_or(FormatError::Overrun { offset: start })?;
        f(key, value, timestamp, value_at);
        pos = value_at + 16;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(keys: &[(&str, f64, f64)]) -> Vec<u8> {
        let mut data = encode_file(keys);
        data.resize(data.len() + 40, 0);
        data
    }

    #[test]
    fn entries_are_aligned_and_read_back() {
        for len in 0..20 {
            let key = "k".repeat(len);
            let e = new_entry(&key);
            assert_eq!(e.len() % 8, 0, "entry for a {len}-byte key");
            assert!(e.len() >= 4 + len + 16);
        }
        let data = file(&[("a", 1.5, 0.0), ("bcdefgh", -2.0, 17.25), ("", 3.0, 0.0)]);
        let got = entries(&data).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!((got[0].key, got[0].value, got[0].timestamp), ("a", 1.5, 0.0));
        assert_eq!((got[1].key, got[1].value, got[1].timestamp), ("bcdefgh", -2.0, 17.25));
        assert_eq!(got[2].key, "");
        assert!(got.iter().all(|e| e.pos % 8 == 0));
        assert_eq!(read_pair(&data, got[1].pos), Some((-2.0, 17.25)));
    }

    #[test]
    fn damage_is_reported_not_read() {
        let good = file(&[("alpha", 1.0, 0.0), ("beta", 2.0, 0.0)]);
        let used = used(&good).unwrap() as usize;
        // Truncated below `used`.
        assert!(matches!(entries(&good[..used - 3]), Err(FormatError::Used { .. })));
        assert!(matches!(entries(&good[..5]), Err(FormatError::Short { len: 5 })));
        // A length running past `used`.
        let mut long = good.clone();
        long[8..12].copy_from_slice(&1000i32.to_ne_bytes());
        assert!(matches!(entries(&long), Err(FormatError::Overrun { offset: 8 })));
        let mut negative = good.clone();
        negative[8..12].copy_from_slice(&(-4i32).to_ne_bytes());
        assert!(matches!(entries(&negative), Err(FormatError::Overrun { offset: 8 })));
        // A key that is not UTF-8.
        let mut bad = good.clone();
        bad[12] = 0xff;
        assert!(matches!(entries(&bad), Err(FormatError::Utf8 { offset: 8 })));
        // `used` below the header.
        let mut tiny = good;
        tiny[..4].copy_from_slice(&3i32.to_ne_bytes());
        assert!(matches!(entries(&tiny), Err(FormatError::Used { used: 3, .. })));
    }

    #[test]
    fn an_empty_file_has_no_entries() {
        assert!(entries(&[]).unwrap().is_empty());
        assert!(entries(&[0u8; INITIAL_SIZE]).unwrap().is_empty());
        let mut data = vec![0u8; INITIAL_SIZE];
        data[..4].copy_from_slice(&8i32.to_ne_bytes());
        assert!(entries(&data).unwrap().is_empty());
    }
}
