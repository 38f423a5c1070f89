//! Python's whitespace and decimal-digit rules, which prometheus_client's parsers and
//! `choose_encoder` rely on (`str.isspace()`, `str.strip()`, the digits `int()` reads):
//! the parsers, the content negotiation and the Python binding share this one module.

/// `str.isspace()` for one character (the set is the same from Unicode 6 to 16).
#[inline]
pub fn is_space(c: char) -> bool {
    matches!(c,
        '\t'..='\r' | '\x1c'..='\x20' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}'
        | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

/// The zero of every run of Unicode decimal digits (category Nd, Unicode 14 as in
/// Python 3.11); each run holds the ten digits in order.
const DECIMAL_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0,
    0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620,
    0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0,
    0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60,
    0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a Unicode decimal digit (`unicodedata.decimal(c, None)`, what `int()` and
/// `float()` accept as digits).
#[inline]
pub fn decimal(c: char) -> Option<u8> {
    let n = c as u32;
    if n < 0x80 {
        return c.to_digit(10).map(|d| d as u8);
    }
    let run = DECIMAL_ZEROS.partition_point(|&z| z <= n).checked_sub(1)?;
    let d = n - DECIMAL_ZEROS[run];
    (d < 10).then_some(d as u8)
}

/// Whether a byte is printable ASCII other than the space (so it cannot start a run of
/// Python whitespace, even as the first byte of a UTF-8 sequence).
#[inline]
fn solid(b: u8) -> bool {
    (0x21..0x7f).contains(&b)
}

/// `str.strip()`.
#[inline]
pub fn strip(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if solid(f) && solid(l) => s,
        _ => s.trim_matches(is_space),
    }
}

/// `str.lstrip()`.
#[inline]
pub fn lstrip(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(&f) if solid(f) => s,
        _ => s.trim_start_matches(is_space),
    }
}

/// `str.rstrip()`.
#[inline]
pub fn rstrip(s: &str) -> &str {
    match s.as_bytes().last() {
        Some(&l) if solid(l) => s,
        _ => s.trim_end_matches(is_space),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python() {
        assert!(is_space('\u{1c}') && is_space('\u{3000}') && is_space(' '));
        assert!(!is_space('\u{200b}') && !is_space('x') && !is_space('\u{7f}'));
        assert_eq!(strip("\u{a0} a b\t\n"), "a b");
        assert_eq!(strip("ab"), "ab");
        assert_eq!(lstrip("  a "), "a ");
        assert_eq!(rstrip("  a \u{2028}"), "  a");
        assert_eq!(strip(""), "");
        assert_eq!(decimal('7'), Some(7));
        assert_eq!(decimal('\u{669}'), Some(9));
        assert_eq!(decimal('\u{1FBF9}'), Some(9));
        assert_eq!(decimal('\u{1FBFA}'), None);
        assert_eq!(decimal('\u{b2}'), None);
        assert_eq!(decimal('a'), None);
        assert_eq!(decimal(char::MAX), None);
    }
}
