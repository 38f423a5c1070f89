//! What the core's parsed model does not keep yet, read back from the sample lines: whether
//! prometheus_client's `_parse_value` made a sample's (or exemplar's) value an `int` or a
//! `float`, and whether a native histogram's labels are `None` or `{}`.
//!
//! The core parses values as prometheus_client does (`int(v)`, else `float(v)`) but stores
//! only the `f64`, and keeps `labels_none` private. Until its model carries them (see the
//! binding's report: a `value_int` flag, or the value's text, on `Sample` and `Exemplar`,
//! and `labels_none` on native samples), this module finds, for each sample the core
//! returned, the line it came from and the value's text in it, following
//! prometheus_client's own tokenizing (`_parse_sample`, `_parse_value_and_timestamp`,
//! `_parse_remaining_text`, `_parse_nh_sample`). The core has accepted these lines, so only
//! the token boundaries matter here, never validity.
//!
//! Lines map to samples in order: in the text format each sample line gives exactly one
//! sample. In OpenMetrics a line repeating a series at the same timestamp is dropped; when
//! the counts show that lines were dropped, each sample takes the next line whose value,
//! name, timestamp and label values agree with it (only a repeated line that agrees with
//! the next sample on all of these, yet writes an integer differently, would be misread).
//! Samples whose value cannot come from `int()` (fractions, NaN) are not looked up.

use fastprom::model::{MetricFamily, Sample};
use fastprom::pystr::{lstrip as py_lstrip, strip as py_strip};

/// Where the value of one sample came from: byte ranges into the parsed text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Origin {
    /// The sample value's text, when `int()` may take it.
    pub(crate) value: Option<(usize, usize)>,
    /// The exemplar value's text, when `int()` may take it.
    pub(crate) exemplar: Option<(usize, usize)>,
    /// A native-histogram sample whose labels prometheus_client leaves as `None`.
    pub(crate) labels_none: bool,
}

/// `_next_unquoted_char(text, chs, start)` over bytes (`chs` is ASCII, never `"` or `\`).
fn next_unquoted(b: &[u8], chs: &[u8], start: usize) -> Option<usize> {
    if let [ch] = chs {
        if !b.contains(&b'\\') {
            return next_unquoted_plain(b, *ch, start);
        }
    }
    let mut run = b[..start.min(b.len())].iter().rev().take_while(|&&c| c == b'\\').count();
    let mut in_quotes = false;
    for (i, &c) in b.iter().enumerate().skip(start) {
        if c == b'\\' {
            run += 1;
            continue;
        }
        if c == b'"' {
            if run % 2 == 0 {
                in_quotes = !in_quotes;
            }
        } else if !in_quotes && chs.contains(&c) {
            return Some(i);
        }
        run = 0;
    }
    None
}

/// [`next_unquoted`] of one character in text without backslashes: the first `ch` with
/// an even number of quotes between `start` and it (found with `memchr`-style searches).
fn next_unquoted_plain(b: &[u8], ch: u8, start: usize) -> Option<usize> {
    let mut from = start;
    let mut quotes = 0;
    loop {
        let p = from + b.get(from..)?.iter().position(|&c| c == ch)?;
        quotes += b[from..p].iter().filter(|&&c| c == b'"').count();
        if quotes % 2 == 0 {
            return Some(p);
        }
        from = p + 1;
    }
}

/// Whether `" # "` occurs in `b`.
fn has_space_hash_space(b: &[u8]) -> bool {
    let mut from = 0;
    while let Some(p) = b.get(from..).and_then(|r| r.iter().position(|&c| c == b'#')) {
        let i = from + p;
        if i > 0 && b[i - 1] == b' ' && b.get(i + 1) == Some(&b' ') {
            return true;
        }
        from = i + 1;
    }
    false
}

/// `text[pos + 1:]` in characters, from the character at byte `pos`.
fn after_char(text: &str, pos: usize) -> usize {
    text[pos..].chars().next().map_or(text.len(), |c| pos + c.len_utf8())
}

/// Whether `int()` may take `tok`: ASCII `[+-]?[0-9]+`, or any non-ASCII text (Unicode
/// digits; decided by Python's `int()` itself when the object is built).
fn int_candidate(tok: &str) -> bool {
    let b = tok.as_bytes();
    let digits = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    !digits.is_empty() && (digits.iter().all(u8::is_ascii_digit) || !tok.is_ascii())
}

/// The range of `tok` (a subslice of `base`) when it is an int candidate.
fn range_of(base: &str, tok: &str) -> Option<(usize, usize)> {
    if !int_candidate(tok) {
        return None;
    }
    let start = tok.as_ptr() as usize - base.as_ptr() as usize;
    Some((start, start + tok.len()))
}

/// `float(tok)` for matching lines to samples; `None` when Rust cannot read it (then any
/// value matches).
fn approx_value(tok: &str) -> Option<f64> {
    tok.parse::<f64>().ok()
}

fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// The lines of `text` as prometheus_client's `StringIO` iteration gives them, without
/// their `\n`.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n').map(|l| l.strip_suffix('\n').unwrap_or(l))
}

// ---------------------------------------------------------------------------------------
// Prometheus text format

/// The value token of a text-format sample line (already stripped), as
/// `_parse_sample` / `_parse_value_and_timestamp` find it.
fn text_value(t: &str) -> &str {
    let b = t.as_bytes();
    if let Some(v) = single_space_value(b) {
        return py_strip(&t[v..]);
    }
    let remaining = match next_unquoted(b, b"{", 0) {
        Some(ls) if !has_space_hash_space(&b[..ls]) => match next_unquoted(b, b"}", ls) {
            Some(le) => &t[after_char(t, le)..],
            None => &t[ls..],
        },
        _ => match next_unquoted(b, b" \t", 0) {
            Some(ne) => &t[after_char(t, ne)..],
            None => t,
        },
    };
    let s = py_lstrip(remaining);
    let sep = if s.contains(' ') { ' ' } else { '\t' };
    s.split(sep).map(py_strip).find(|v| !v.is_empty()).unwrap_or("")
}

/// The usual line, `name value` or `name{labels} value` with one blank in all (no tab,
/// no timestamp, no blank in label values): where its value starts. Both formats' rules
/// then put the value after that blank (the core accepted the line, so a `}` before the
/// blank ends the labels).
fn single_space_value(b: &[u8]) -> Option<usize> {
    let mut blanks = b.iter().filter(|&&c| c == b' ' || c == b'\t');
    let first = blanks.next()?;
    if blanks.next().is_some() || *first != b' ' {
        return None;
    }
    let sp = b.iter().position(|&c| c == b' ')?;
    (sp > 0 && (b[sp - 1] == b'}' || !b.contains(&b'{'))).then_some(sp + 1)
}

/// The origins of the samples of `families`, parsed from `text` in the text format: the
/// n-th sample line gave the n-th sample.
pub(crate) fn text_origins(text: &str, families: &[MetricFamily]) -> Vec<Origin> {
    let total: usize = families.iter().map(|f| f.samples.len()).sum();
    let mut out = Vec::with_capacity(total);
    let samples = families.iter().flat_map(|f| f.samples.iter());
    let sample_lines = lines(text).map(py_strip).filter(|t| !t.is_empty() && !t.starts_with('#'));
    for (s, t) in samples.zip(sample_lines) {
        if !may_be_int(s.value) {
            out.push(Origin::default());
            continue;
        }
        let tok = text_value(t);
        let value = range_of(text, tok).filter(|_| value_fits(s, tok));
        out.push(Origin { value, ..Origin::default() });
    }
    out.resize(total, Origin::default());
    out
}

/// A cross-check of the line-to-sample mapping: an int token's value is the sample's.
fn value_fits(s: &Sample, tok: &str) -> bool {
    approx_value(tok).is_none_or(|v| same_value(v, s.value))
}

// ---------------------------------------------------------------------------------------
// OpenMetrics

/// A sample line as `_parse_nh_sample` sees it: `Some(named_labels)` when it holds a
/// native histogram, `named_labels` telling whether it has `{...}` labels after a name.
fn om_native(t: &str) -> Option<bool> {
    let b = t.as_bytes();
    let mut i = next_unquoted(b, b" {", 0)?;
    let has_labels = b[i] == b'{';
    if has_labels {
        i = next_unquoted(b, b"}", i)?;
    }
    let nh_start = next_unquoted(b, b"{", i + 1)?;
    if next_unquoted(b, b"#", i + 1).is_some_and(|h| h < nh_start) {
        return None;
    }
    let first = next_unquoted(b, b" {", 0)?;
    Some(has_labels && first > 0)
}

/// A regular OpenMetrics sample line cut as `_parse_sample` cuts it.
struct OmLine<'t> {
    /// The text before the labels or the value (the name, unless it is in the labels).
    name: &'t str,
    /// The text inside the braces, when there are labels.
    labels: Option<&'t str>,
    /// The value's text.
    value: &'t str,
    /// The text after the value (timestamp, exemplar).
    rest: Option<&'t str>,
}

/// `_parse_sample` / `_parse_remaining_text`'s cuts of a line.
fn om_line(t: &str) -> OmLine<'_> {
    let b = t.as_bytes();
    if let Some(v) = single_space_value(b) {
        let (name, labels) = match next_unquoted(b, b"{", 0) {
            Some(ls) => (&t[..ls], t.get(ls + 1..v - 2)),
            None => (&t[..v - 1], None),
        };
        return OmLine { name, labels, value: &t[v..], rest: None };
    }
    let (name, labels, rest) = match next_unquoted(b, b"{", 0) {
        Some(ls) if !has_space_hash_space(&b[..ls]) => match next_unquoted(b, b"}", 0) {
            Some(le) => {
                let p = after_char(t, le);
                let rest = if p < t.len() { &t[after_char(t, p)..] } else { "" };
                (&t[..ls], t.get(ls + 1..le), rest)
            }
            None => (&t[..ls], None, &t[after_char(t, 0)..]),
        },
        _ => match next_unquoted(b, b" ", 0) {
            Some(ne) => (&t[..ne], None, &t[ne + 1..]),
            None => (t, None, t),
        },
    };
    let (value, rest) = match rest.split_once(' ') {
        Some((v, r)) => (v, Some(r)),
        None => (rest, None),
    };
    OmLine { name, labels, value, rest }
}

/// Whether line `l` may be the one that gave `s` (used only when the parser dropped lines
/// as repeated series): the same value, name, timestamp and label values where they can be
/// compared as text.
fn om_line_may_give(l: &OmLine<'_>, s: &Sample) -> bool {
    if !value_fits(s, l.value) {
        return false;
    }
    if !l.name.is_empty() && !l.name.contains('"') && l.name != s.name {
        return false;
    }
    let ts = l.rest.map_or("", |r| r.split([' ', '#']).next().unwrap_or(""));
    match (s.timestamp, ts) {
        (None, "") => {}
        (None, _) | (Some(_), "") => return false,
        (Some(t), tok) => {
            if approx_value(tok).is_some_and(|v| (v - t.as_f64()).abs() > 1e-6 * v.abs().max(1.0)) {
                return false;
            }
        }
    }
    let text = l.labels.unwrap_or("");
    s.labels.iter().all(|(_, v)| v.contains(['\\', '"', '\n']) || text.contains(v.as_str()))
}

/// The exemplar value of `_parse_remaining_text`'s state machine, over the text after the
/// sample value.
fn om_exemplar_value(t: &str) -> Option<&str> {
    #[derive(PartialEq)]
    enum St {
        Ts,
        Hash,
        Space,
        Labels,
        InLabels,
        ValueSpace,
        Value,
    }
    let b = t.as_bytes();
    let mut state = St::Ts;
    let mut in_quotes = false;
    let mut ts_empty = true;
    let mut start = None;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' {
            in_quotes = !in_quotes;
        }
        if in_quotes {
            continue;
        }
        match state {
            St::Ts if c == b'#' && ts_empty => state = St::Space,
            St::Ts if c == b' ' => state = St::Hash,
            St::Ts => ts_empty = false,
            St::Hash => state = St::Space,
            St::Space => state = St::Labels,
            St::Labels => state = St::InLabels,
            St::InLabels if c == b'}' => state = St::ValueSpace,
            St::InLabels => {}
            St::ValueSpace => state = St::Value,
            St::Value if c == b' ' => return start.map(|s| &t[s..i]),
            St::Value => {
                start.get_or_insert(i);
            }
        }
    }
    (state == St::Value).then(|| start.map(|s| &t[s..]))?
}

/// The origins of the samples of `families`, parsed from `text` in OpenMetrics.
pub(crate) fn openmetrics_origins(text: &str, families: &[MetricFamily]) -> Vec<Origin> {
    let total: usize = families.iter().map(|f| f.samples.len()).sum();
    let mut out = Vec::with_capacity(total);
    let sample_lines: Vec<&str> =
        lines(text).take_while(|l| *l != "# EOF").filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let samples = families.iter().flat_map(|f| f.samples.iter());
    if sample_lines.len() == total {
        // No line was dropped: the n-th line gave the n-th sample.
        for (s, t) in samples.zip(sample_lines) {
            out.push(om_origin(text, s, t, false).unwrap_or_default());
        }
        return out;
    }
    let mut lines = sample_lines.into_iter();
    'samples: for s in samples {
        for t in lines.by_ref() {
            if let Some(o) = om_origin(text, s, t, true) {
                out.push(o);
                continue 'samples;
            }
        }
        break;
    }
    out.resize(total, Origin::default());
    out
}

/// Whether a value parsed from a line may have been a Python `int` (an integer beyond
/// float's range is infinite).
fn may_be_int(v: f64) -> bool {
    v.is_infinite() || v.fract() == 0.0
}

/// The origin of `s` in line `t`; with `check`, `None` when `t` cannot be its line (a
/// line the parser dropped as a repeated series).
fn om_origin(text: &str, s: &Sample, t: &str, check: bool) -> Option<Origin> {
    if s.native_histogram.is_some() {
        let named_labels = match om_native(t) {
            Some(n) => n,
            None if check => return None,
            None => false,
        };
        return Some(Origin { labels_none: s.labels.is_empty() && !named_labels, ..Origin::default() });
    }
    if !check && s.exemplar.is_none() && !may_be_int(s.value) {
        return Some(Origin::default());
    }
    let l = om_line(t);
    if check && !om_line_may_give(&l, s) {
        return None;
    }
    let exemplar = match (&s.exemplar, l.rest) {
        (Some(e), Some(rest)) if may_be_int(e.value) => om_exemplar_value(rest)
            .filter(|v| approx_value(v).is_none_or(|x| same_value(x, e.value)))
            .and_then(|v| range_of(text, v)),
        _ => None,
    };
    Some(Origin { value: range_of(text, l.value).filter(|_| value_fits(s, l.value)), exemplar, labels_none: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_tokens() {
        assert_eq!(text_value("a 1"), "1");
        assert_eq!(text_value("a{b=\"} 2\"} 3 4"), "3");
        assert_eq!(text_value("a\t\t5"), "5");
        assert_eq!(text_value("{\"a b\"}  6 7"), "6");
        assert_eq!(text_value("inf"), "inf");
        assert_eq!(text_value("a{b=\"c\"} 7"), "7");
        assert_eq!(text_value("a \u{b}8"), "8");
        assert_eq!(single_space_value(b"a{b=\"c\"}x 1"), None);
    }

    #[test]
    fn openmetrics_tokens() {
        let v = |t| {
            let l = om_line(t);
            (l.value, l.rest)
        };
        assert_eq!(v("a 1 2"), ("1", Some("2")));
        assert_eq!(v("a{b=\"}\"} 3"), ("3", None));
        assert_eq!(v("{\"a\"} 4 # {x=\"y\"} 5 6").0, "4");
        assert_eq!(om_line("a{b=\"c\"} 1").labels, Some("b=\"c\""));
        assert_eq!(om_line("a{b=\"c\"} 1").name, "a");
        assert_eq!(om_line("a 1").name, "a");
        assert_eq!(om_line("{\"a\"} 1").labels, Some("\"a\""));
        assert_eq!(om_exemplar_value("# {x=\"} \"} 5 6"), Some("5"));
        assert_eq!(om_exemplar_value("7 # {x=\"y\"} 55"), Some("55"));
        assert_eq!(om_native("a {count:1}"), Some(false));
        assert_eq!(om_native("a{b=\"c\"} {count:1}"), Some(true));
        assert_eq!(om_native("{\"a\"} {count:1}"), Some(false));
        assert_eq!(om_native("a 1 # {x=\"y\"} 1"), None);
    }
}
