//! Python's whitespace rules, which prometheus_client's parsers and `choose_encoder` rely
//! on (`str.isspace()`, `str.strip()`): the parsers, the content negotiation and the
//! Python binding all reproduce them through this one module.

/// `str.isspace()` for one character (the set is the same from Unicode 6 to 16).
#[inline]
pub fn is_space(c: char) -> bool {
    matches!(c,
        '\t'..='\r' | '\x1c'..='\x20' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}'
        | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
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
    }
}
