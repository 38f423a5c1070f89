//! Python `repr()` of strings and containers of strings, for error messages that
//! prometheus_client builds with `%s` / `{}` over tuples, lists and dicts.

/// Python's `str.isprintable()` for one character, for the categories that occur in
/// practice: controls, format characters, separators other than the space, private use.
/// (Unassigned code points, which Python also escapes, are not tracked.)
fn printable(c: char) -> bool {
    let n = c as u32;
    !matches!(n,
        0..=0x1f | 0x7f..=0xa0 | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891
        | 0x8e2 | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064
        | 0x2066..=0x206f | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb | 0x110bd
        | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001
        | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
}

/// `repr(s)` for a Python `str`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !printable(c) => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `repr(tuple_of_strs)`: `('a',)`, `('a', 'b')`, `()`.
pub fn tuple_repr<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| str_repr(s.as_ref())).collect();
    match inner.len() {
        1 => format!("({},)", inner[0]),
        _ => format!("({})", inner.join(", ")),
    }
}

/// `repr(list_of_strs)`: `['a', 'b']`.
pub fn list_repr<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| str_repr(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// `repr(dict_of_strs)`: `{'a': 'b'}`.
pub fn dict_repr<K: AsRef<str>, V: AsRef<str>>(items: &[(K, V)]) -> String {
    let inner: Vec<String> =
        items.iter().map(|(k, v)| format!("{}: {}", str_repr(k.as_ref()), str_repr(v.as_ref()))).collect();
    format!("{{{}}}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs_match_python() {
        assert_eq!(str_repr("a'b"), "\"a'b\"");
        assert_eq!(str_repr("a\nb"), "'a\\nb'");
        assert_eq!(str_repr("no\u{a0}break\u{200b}space"), "'no\\xa0break\\u200bspace'");
        assert_eq!(tuple_repr(&["a"]), "('a',)");
        assert_eq!(tuple_repr(&["a", "b"]), "('a', 'b')");
        assert_eq!(tuple_repr::<&str>(&[]), "()");
        assert_eq!(list_repr(&["x"]), "['x']");
        assert_eq!(dict_repr(&[("k", "v")]), "{'k': 'v'}");
    }
}
