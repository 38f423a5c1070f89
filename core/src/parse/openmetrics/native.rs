//! The value of a native-histogram sample, `{count:...,sum:...,schema:...,...}`, read as
//! prometheus_client's `_parse_nh_struct` reads it: its regular expressions, reproduced as
//! byte scanners.

use crate::compat::python::strings::{decimal as py_decimal, is_space as py_is_space};
use crate::model::{BucketSpan, NativeHistogram};

use super::super::lex::number::{py_float, py_int, PyInt};
use super::unsigned_nan;

type PResult<T> = std::result::Result<T, String>;

/// `\w` in a `str` regex. Exact for ASCII; other characters use Unicode's alphanumeric
/// property, which differs from Python's `str.isalnum()` on a few marks and symbols.
fn py_is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn char_at(text: &str, i: usize) -> char {
    text.get(i..).and_then(|s| s.chars().next()).unwrap_or('\0')
}

/// `dict(re.findall(r'(\w+):\s*([^,}]+)', text))`, for the five scalar keys.
fn nh_items(text: &str) -> [Option<&str>; 5] {
    const KEYS: [&str; 5] = ["count", "sum", "schema", "zero_threshold", "zero_count"];
    let b = text.as_bytes();
    let len = b.len();
    let mut out = [None; 5];
    let mut pos = 0;
    while pos < len {
        let c = char_at(text, pos);
        if !py_is_word(c) {
            pos += c.len_utf8();
            continue;
        }
        let key_start = pos;
        let mut j = pos;
        while j < len {
            let c = char_at(text, j);
            if !py_is_word(c) {
                break;
            }
            j += c.len_utf8();
        }
        if j < len && b[j] == b':' {
            let mut k = j + 1;
            let mut last_ws = None;
            while k < len {
                let c = char_at(text, k);
                if !py_is_space(c) {
                    break;
                }
                last_ws = Some(k);
                k += c.len_utf8();
            }
            let mut end = k;
            while end < len && b[end] != b',' && b[end] != b'}' {
                end += 1;
            }
            let value = if end > k { Some(&text[k..end]) } else { last_ws.map(|w| &text[w..end]) };
            if let Some(v) = value {
                let key = &text[key_start..j];
                if let Some(slot) = KEYS.iter().position(|&k| k == key) {
                    out[slot] = Some(v);
                }
                pos = end;
                continue;
            }
            pos = j + 1;
            continue;
        }
        pos = j;
    }
    out
}

/// Consumes `\d+` (Unicode decimal digits) at `pos`; returns the end.
fn digits_end(text: &str, pos: usize) -> usize {
    let mut j = pos;
    while j < text.len() {
        let c = char_at(text, j);
        if py_decimal(c).is_none() {
            break;
        }
        j += c.len_utf8();
    }
    j
}

/// The last `positive…:[body]` and `negative…:[body]` matches of the native-histogram
/// list regexes (`tag` is `_spans:[` or `_deltas:[`).
fn nh_lists<'a>(text: &'a str, tag: &str, spans: bool) -> (Option<&'a str>, Option<&'a str>) {
    let (mut pos_list, mut neg_list) = (None, None);
    let mut min_start = 0;
    let mut search = 0;
    while let Some(off) = text.get(search..).and_then(|s| s.find(tag)) {
        let q = search + off;
        search = q + 1;
        if q < 8 || q - 8 < min_start {
            continue;
        }
        let positive = match text.get(q - 8..q) {
            Some("positive") => true,
            Some("negative") => false,
            _ => continue,
        };
        let body_start = q + tag.len();
        let mut j = body_start;
        let ok = loop {
            if !spans && text.as_bytes().get(j) == Some(&b'-') {
                j += 1;
            }
            let e = digits_end(text, j);
            if e == j {
                break false;
            }
            j = e;
            if spans {
                if text.as_bytes().get(j) != Some(&b':') {
                    break false;
                }
                let e = digits_end(text, j + 1);
                if e == j + 1 {
                    break false;
                }
                j = e;
            }
            match text.as_bytes().get(j) {
                Some(b',') => j += 1,
                Some(b']') => break true,
                _ => break false,
            }
        };
        if ok {
            let body = &text[body_start..j];
            if positive {
                pos_list = Some(body);
            } else {
                neg_list = Some(body);
            }
            min_start = j + 1;
            search = j + 1;
        }
    }
    (pos_list, neg_list)
}

/// `int()` of a run of Unicode digits with an optional `-`, within `lo..=hi`.
fn digits_value(s: &str, lo: i128, hi: i128) -> PResult<i128> {
    match py_int(s) {
        Some(PyInt::Small(v)) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!("native histogram number out of range: {s}")),
    }
}

fn compose_spans(body: Option<&str>) -> PResult<Vec<BucketSpan>> {
    let Some(body) = body else { return Ok(Vec::new()) };
    body.split(',')
        .map(|pair| {
            let (o, l) = pair.split_once(':').ok_or_else(|| format!("bad span: {pair}"))?;
            Ok(BucketSpan {
                offset: digits_value(o, 0, i128::from(i32::MAX))? as i32,
                length: digits_value(l, 0, i128::from(u32::MAX))? as u32,
            })
        })
        .collect()
}

fn compose_deltas(body: Option<&str>) -> PResult<Vec<i64>> {
    let Some(body) = body else { return Ok(Vec::new()) };
    body.split(',').map(|d| Ok(digits_value(d, i128::from(i64::MIN), i128::from(i64::MAX))? as i64)).collect()
}

/// `_parse_nh_struct` on the text from the struct's `{` to the end of the line.
pub(super) fn parse_nh_struct(text: &str) -> PResult<NativeHistogram> {
    let [count, sum, schema, zt, zc] = nh_items(text);
    let missing = |k: &str| format!("native histogram without {k}: {text}");
    let int_f64 = |v: Option<&str>, k: &str| -> PResult<f64> {
        match py_int(v.ok_or_else(|| missing(k))?) {
            Some(PyInt::Small(i)) => Ok(i as f64),
            Some(PyInt::Big(f)) => Ok(f),
            None => Err(format!("invalid literal for int() in native histogram {k}: {text}")),
        }
    };
    let float = |v: Option<&str>, k: &str| -> PResult<f64> {
        py_float(v.ok_or_else(|| missing(k))?)
            .map(unsigned_nan)
            .ok_or_else(|| format!("could not convert string to float in native histogram {k}: {text}"))
    };
    let (pos_spans, neg_spans) = nh_lists(text, "_spans:[", true);
    let (pos_deltas, neg_deltas) = nh_lists(text, "_deltas:[", false);
    let count_value = int_f64(count, "count")?;
    let sum_value = float(sum, "sum")?;
    let schema = match py_int(schema.ok_or_else(|| missing("schema"))?) {
        Some(PyInt::Small(i)) => i32::try_from(i).map_err(|_| format!("native histogram schema out of range: {i}"))?,
        Some(PyInt::Big(_)) => return Err("native histogram schema out of range".into()),
        None => return Err(format!("invalid literal for int() in native histogram schema: {text}")),
    };
    let zero_threshold = float(zt, "zero_threshold")?;
    let zero_count = int_f64(zc, "zero_count")?;
    Ok(NativeHistogram {
        count_value,
        sum_value,
        schema,
        zero_threshold,
        zero_count,
        pos_spans: compose_spans(pos_spans)?,
        neg_spans: compose_spans(neg_spans)?,
        pos_deltas: compose_deltas(pos_deltas)?,
        neg_deltas: compose_deltas(neg_deltas)?,
        exemplars: Vec::new(),
        int_counts: true,
    })
}
