//! prometheus_client's quote-aware scanning and unescaping, shared by both parsers: its
//! `_next_unquoted_char`, `_split_quoted(text, sep, 3)` and `_replace_escaping`; and the
//! text both parsers give a failed name check.

use std::borrow::Cow;

use smallvec::SmallVec;

/// The text a parser puts in its own message for a failed name check. Every parser
/// message built from a name-validation error goes through here, so the wording the
/// Python face matches on is decided in one place.
pub(crate) fn name_error_text(e: &crate::Error) -> String {
    e.to_string()
}

/// `_replace_escaping` (label names and values, OpenMetrics HELP: `\\`, `\n`, `\"`) or, with
/// `quote = false`, the text format's HELP unescaping (`\\` and `\n` only). Any other
/// backslash stays as it is. Borrows when there is nothing to replace.
pub(crate) fn unescape(s: &str, quote: bool) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let rep = match b.get(i + 1) {
                Some(b'\\') => Some('\\'),
                Some(b'n') => Some('\n'),
                Some(b'"') if quote => Some('"'),
                _ => None,
            };
            if let Some(c) = rep {
                // Escapes are ASCII, so these are character boundaries.
                out.push_str(&s[run..i]);
                out.push(c);
                i += 2;
                run = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[run..]);
    Cow::Owned(out)
}

/// `_next_unquoted_char(text, chs, start)`: the first byte at or after `start` for which
/// `is_sep` holds, outside double quotes (a quote after an odd number of backslashes does
/// not count); no quote is open at `start`. `is_sep` never accepts `"` or `\`.
pub(crate) fn next_unquoted(b: &[u8], start: usize, is_sep: impl Fn(u8) -> bool) -> Option<usize> {
    let mut backslashes = b[..start.min(b.len())].iter().rev().take_while(|&&c| c == b'\\').count();
    let mut in_quotes = false;
    for (i, &c) in b.iter().enumerate().skip(start) {
        if c == b'"' && backslashes % 2 == 0 {
            in_quotes = !in_quotes;
        }
        if !in_quotes && is_sep(c) {
            return Some(i);
        }
        backslashes = if c == b'\\' { backslashes + 1 } else { 0 };
    }
    None
}

/// `_split_quoted(text, sep, 3)`: at most four tokens separated by runs of `is_sep`
/// bytes, double quotes protecting separators, the fourth holding the rest of the line.
pub(crate) fn split_quoted(text: &str, is_sep: impl Fn(u8) -> bool + Copy) -> SmallVec<[&str; 4]> {
    let b = text.as_bytes();
    let n = b.len();
    let mut tokens: SmallVec<[&str; 4]> = SmallVec::new();
    tokens.push("");
    let mut x = 0;
    while x < n {
        match next_unquoted(b, x, is_sep) {
            None => {
                if let Some(last) = tokens.last_mut() {
                    *last = &text[x..];
                }
                x = n;
            }
            Some(p) if p == x => x += 1,
            Some(p) => {
                if tokens.len() > 3 {
                    if let Some(last) = tokens.last_mut() {
                        *last = &text[x..];
                    }
                    break;
                }
                if let Some(last) = tokens.last_mut() {
                    *last = &text[x..p];
                }
                x = p + 1;
                tokens.push("");
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_protect_separators() {
        let sp = |c: u8| c == b' ';
        assert_eq!(next_unquoted(br#"a "b c" d"#, 0, sp), Some(1));
        assert_eq!(next_unquoted(br#"a "b c" d"#, 2, sp), Some(7));
        assert_eq!(next_unquoted(br#""b \" c" d"#, 0, sp), Some(8));
        assert_eq!(&split_quoted(r#"x  "a b" c d e"#, sp)[..], &["x", r#""a b""#, "c", "d e"]);
        assert_eq!(&split_quoted("", sp)[..], &[""]);
        assert_eq!(unescape(r#"a\\b\nc\"d\x"#, true), "a\\b\nc\"d\\x");
        assert_eq!(unescape(r#"\"q\n"#, false), "\\\"q\n");
        assert!(matches!(unescape("plain", true), Cow::Borrowed("plain")));
    }
}
