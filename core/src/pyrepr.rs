//! Python `repr()` of strings and containers of strings, for error messages that
//! prometheus_client builds with `%s` / `{}` over tuples, lists and dicts.

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
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (0x80..0xa0).contains(&(c as u32)) => out.push_str(&format!("\\x{:02x}", c as u32)),
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
        assert_eq!(tuple_repr(&["a"]), "('a',)");
        assert_eq!(tuple_repr(&["a", "b"]), "('a', 'b')");
        assert_eq!(tuple_repr::<&str>(&[]), "()");
        assert_eq!(list_repr(&["x"]), "['x']");
        assert_eq!(dict_repr(&[("k", "v")]), "{'k': 'v'}");
    }
}
