//! Entry keys: `[metric_name, sample_name, {label: value, ...}, help]` as JSON.
//!
//! prometheus_client writes them with `json.dumps(..., sort_keys=True)`: `", "` and `": "`
//! as separators, labels sorted by name, and every character outside printable ASCII
//! escaped (`\n`, `\"`, `\\` and the like by their short forms, the rest as `\u` escapes,
//! lower-case hex, characters beyond the BMP as surrogate pairs). [`encode_key`] writes the
//! same bytes, so a file written by fastprom is byte-identical to prometheus_client's.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::FormatError;

/// Appends `s` as a JSON string literal, escaped as Python's `json.dumps` does by default.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// The key of one value: `metric_name` (the family's name), `name` (the sample's, e.g.
/// `requests_total`), the labels as name/value pairs (any order) and the help text.
pub fn encode_key(metric_name: &str, name: &str, labels: &[(&str, &str)], help: &str) -> String {
    let mut sorted: Vec<&(&str, &str)> = labels.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::with_capacity(16 + metric_name.len() * 2 + help.len() + labels.len() * 24);
    out.push('[');
    push_json_str(&mut out, metric_name);
    out.push_str(", ");
    push_json_str(&mut out, name);
    out.push_str(", {");
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_str(&mut out, k);
        out.push_str(": ");
        push_json_str(&mut out, v);
    }
    out.push_str("}, ");
    push_json_str(&mut out, help);
    out.push(']');
    out
}

/// A key read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    /// The family's name.
    pub metric_name: String,
    /// The sample's name.
    pub name: String,
    /// The labels, sorted by name.
    pub labels: Vec<(String, String)>,
    /// The help text.
    pub help: String,
}

/// A key's parts as they appear in its text (copied only where the JSON has escapes).
#[derive(serde::Deserialize)]
pub(crate) struct BorrowedKey<'a>(
    #[serde(borrow)] pub(crate) Cow<'a, str>,
    #[serde(borrow)] pub(crate) Cow<'a, str>,
    #[serde(borrow, deserialize_with = "text::pairs")] pub(crate) Vec<(Cow<'a, str>, Cow<'a, str>)>,
    #[serde(borrow)] pub(crate) Cow<'a, str>,
);

/// Strings taken from the key's text without a copy where it has no escapes.
mod text {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

    /// A string, borrowed when possible.
    struct Text<'de>(Cow<'de, str>);

    struct TextVisitor;

    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Text<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Text(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Text(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Text(Cow::Owned(v)))
        }
    }

    impl<'de> Deserialize<'de> for Text<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(TextVisitor)
        }
    }

    /// Label name/value pairs.
    pub(crate) type Labels<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

    struct Pairs;

    impl<'de> Visitor<'de> for Pairs {
        type Value = Labels<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of string labels")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(2));
            while let Some((k, v)) = map.next_entry::<Text<'de>, Text<'de>>()? {
                out.push((k.0, v.0));
            }
            Ok(out)
        }
    }

    /// The labels object as name/value pairs, in text order.
    pub(crate) fn pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Labels<'de>, D::Error> {
        d.deserialize_map(Pairs)
    }
}

impl<'a> BorrowedKey<'a> {
    /// Parses a key; `offset` only goes into the error. Labels come sorted by name, the
    /// last of a repeated name kept (as Python's `json.loads` keeps it).
    pub(crate) fn parse(key: &'a str, offset: usize) -> Result<Self, FormatError> {
        let mut k: Self = serde_json::from_str(key).map_err(|e| FormatError::Key { offset, reason: e.to_string() })?;
        k.2.reverse();
        k.2.sort_by(|a, b| a.0.cmp(&b.0));
        k.2.dedup_by(|later, earlier| later.0 == earlier.0);
        Ok(k)
    }
}

impl ParsedKey {
    /// Parses a key; `offset` only goes into the error.
    pub fn parse(key: &str, offset: usize) -> Result<Self, FormatError> {
        let k = BorrowedKey::parse(key, offset)?;
        Ok(Self {
            metric_name: k.0.into_owned(),
            name: k.1.into_owned(),
            labels: k.2.into_iter().map(|(a, b)| (a.into_owned(), b.into_owned())).collect(),
            help: k.3.into_owned(),
        })
    }

    /// The key written back in prometheus_client's form.
    pub fn encode(&self) -> String {
        let labels: Vec<(&str, &str)> = self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        encode_key(&self.metric_name, &self.name, &labels, &self.help)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_python_json() {
        assert_eq!(encode_key("c", "c_total", &[], "help"), r#"["c", "c_total", {}, "help"]"#);
        assert_eq!(
            encode_key("h", "h_bucket", &[("path", "/a"), ("le", "0.5")], "H."),
            r#"["h", "h_bucket", {"le": "0.5", "path": "/a"}, "H."]"#
        );
        assert_eq!(
            encode_key("g", "g", &[("v", "q\"b\\n\nt\té\u{7f}\u{1}😀")], ""),
            r#"["g", "g", {"v": "q\"b\\n\nt\t\u00e9\u007f\u0001\ud83d\ude00"}, ""]"#
        );
    }

    #[test]
    fn keys_read_back() {
        let labels = [("z", "1"), ("a", "é\"\n😀")];
        let key = encode_key("m", "m_sum", &labels, "Help \\ text");
        let parsed = ParsedKey::parse(&key, 0).unwrap();
        assert_eq!(parsed.metric_name, "m");
        assert_eq!(parsed.name, "m_sum");
        assert_eq!(parsed.labels, vec![("a".into(), "é\"\n😀".into()), ("z".into(), "1".into())]);
        assert_eq!(parsed.help, "Help \\ text");
        assert_eq!(parsed.encode(), key);
    }

    #[test]
    fn malformed_keys_are_errors() {
        for key in
            ["", "[", r#"["a", "b", {}]"#, r#"["a", "b", {"x": 1}, "h"]"#, r#"{"a": 1}"#, r#"["a", "b", [], "h"]"#]
        {
            assert!(matches!(ParsedKey::parse(key, 8), Err(FormatError::Key { offset: 8, .. })), "{key}");
        }
    }
}
