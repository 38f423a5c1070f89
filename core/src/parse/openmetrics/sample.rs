//! Sample lines: prometheus_client's `_parse_sample`, `_parse_remaining_text` and
//! `_parse_nh_sample`, before the checks that need the family.

use std::borrow::Cow;

use crate::compat::python::kinds::SampleKinds;
use crate::model::{Exemplar, NativeHistogram, Timestamp};

use super::super::lex::number::{parse_timestamp, parse_value, Num};
use super::super::lex::{
    is_legacy_metric_name, label, last_unquoted, minus_last_char, next_unquoted_of, parse_labels, py_slice, skip_chars,
    take_label, Grammar, LineError,
};
use super::super::stream::Rules;
use super::native::parse_nh_struct;
use super::unsigned_nan;

/// Where the parts of a sample line start (byte offsets in the line), for errors about
/// them; a part that is absent points where it would be.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SampleAt {
    pub(super) labels: usize,
    pub(super) value: usize,
    pub(super) timestamp: usize,
    pub(super) exemplar: usize,
}

/// A parsed sample line before the family checks.
pub(super) struct Parsed {
    pub(super) name: String,
    pub(super) labels: Vec<(String, String)>,
    /// prometheus_client's labels are `None` (native histograms only).
    pub(super) labels_none: bool,
    /// `None` for a native histogram.
    pub(super) value: Option<Num>,
    pub(super) timestamp: Option<Timestamp>,
    pub(super) exemplar: Option<Exemplar>,
    /// The Python types of the values, when the rules ask for them.
    pub(super) kinds: SampleKinds,
    pub(super) native: Option<Box<NativeHistogram>>,
    pub(super) at: SampleAt,
}

/// `_parse_value`, with the NaN this parser has always produced.
fn om_value(v: &str) -> Result<Num, String> {
    parse_value(v).map(|n| match n {
        Num::Float(f) => Num::Float(unsigned_nan(f)),
        n => n,
    })
}

/// Characters collected by `_parse_remaining_text`'s state machine: a slice of the text
/// while they are contiguous.
#[derive(Default)]
struct Chars {
    start: usize,
    end: usize,
    owned: Option<Vec<u8>>,
}

impl Chars {
    fn push(&mut self, b: &[u8], i: usize) {
        if let Some(o) = &mut self.owned {
            o.push(b[i]);
        } else if self.start == self.end {
            self.start = i;
            self.end = i + 1;
        } else if self.end == i {
            self.end += 1;
        } else {
            let mut o = b[self.start..self.end].to_vec();
            o.push(b[i]);
            self.owned = Some(o);
        }
    }

    fn is_empty(&self) -> bool {
        self.owned.is_none() && self.start == self.end
    }

    fn get<'a>(&'a self, text: &'a str) -> Cow<'a, str> {
        match &self.owned {
            Some(o) => String::from_utf8_lossy(o),
            None => Cow::Borrowed(text.get(self.start..self.end).unwrap_or("")),
        }
    }

    /// Where the characters start, or `or` when there are none.
    fn at(&self, or: usize) -> usize {
        if self.is_empty() {
            or
        } else {
            self.start
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    Timestamp,
    ExHash,
    ExSpace,
    ExStartOfLabels,
    ExParsedLabels,
    ExValueSpace,
    ExValue,
    ExTimestamp,
}

/// What `_parse_remaining_text`'s state machine collects after the value.
#[derive(Default)]
struct Scan {
    ts: Chars,
    ex_value: Chars,
    ex_ts: Chars,
    ex_labels: Option<Vec<(String, String)>>,
    /// Where the exemplar's `#` and label set start.
    hash_at: usize,
    ex_labels_at: usize,
}

/// The state machine of `_parse_remaining_text` over `t`, the text after the value and
/// its space. Error offsets are in `t`.
fn scan_remaining(t: &str, rules: Rules) -> Result<Scan, LineError> {
    let invalid = |at: usize| LineError::at(at, format!("Invalid line: {t}"));
    let b = t.as_bytes();
    let mut scan = Scan { hash_at: b.len(), ex_labels_at: b.len(), ..Scan::default() };
    let mut state = St::Timestamp;
    let mut in_quotes = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' {
            in_quotes = !in_quotes;
        }
        if in_quotes {
            continue;
        }
        state = match state {
            St::Timestamp if c == b'#' && scan.ts.is_empty() => {
                scan.hash_at = i;
                St::ExSpace
            }
            St::Timestamp if c == b' ' => St::ExHash,
            St::Timestamp => {
                scan.ts.push(b, i);
                St::Timestamp
            }
            St::ExHash if c == b'#' => {
                scan.hash_at = i;
                St::ExSpace
            }
            St::ExSpace if c == b' ' => St::ExStartOfLabels,
            St::ExStartOfLabels if c == b'{' => {
                let start = next_unquoted_of(t, b"{", 0).map_or(0, |s| s + 1);
                let end = last_unquoted(t, b'}');
                scan.ex_labels_at = i;
                let labels = parse_labels(py_slice(t, start, end), Grammar::OpenMetrics, rules.scheme)
                    .map_err(|e| e.shifted(start))?;
                scan.ex_labels = Some(labels);
                St::ExParsedLabels
            }
            St::ExParsedLabels if c == b'}' => St::ExValueSpace,
            St::ExParsedLabels => St::ExParsedLabels,
            St::ExValueSpace if c == b' ' => St::ExValue,
            St::ExValue if c == b' ' && scan.ex_value.is_empty() => return Err(invalid(i)),
            St::ExValue if c == b' ' => St::ExTimestamp,
            St::ExValue => {
                scan.ex_value.push(b, i);
                St::ExValue
            }
            St::ExTimestamp => {
                scan.ex_ts.push(b, i);
                St::ExTimestamp
            }
            St::ExHash | St::ExSpace | St::ExStartOfLabels | St::ExValueSpace => return Err(invalid(i)),
        };
    }
    match state {
        St::Timestamp if scan.ts.is_empty() => Err(invalid(b.len())),
        St::ExTimestamp if scan.ex_ts.is_empty() => Err(invalid(b.len())),
        St::ExHash | St::ExSpace | St::ExStartOfLabels | St::ExParsedLabels => Err(invalid(b.len())),
        _ => Ok(scan),
    }
}

/// What `_parse_remaining_text` reads: value, timestamp, exemplar, and the Python types
/// of the two values.
struct Remaining {
    value: Num,
    timestamp: Option<Timestamp>,
    exemplar: Option<Exemplar>,
    kinds: SampleKinds,
    at: SampleAt,
}

/// `_parse_remaining_text` on `line[start..]`: value, timestamp and exemplar after the
/// name and labels.
fn parse_remaining(line: &str, start: usize, rules: Rules) -> Result<Remaining, LineError> {
    let text = &line[start..];
    let (first, rest) = match text.find(' ') {
        Some(p) => (&text[..p], Some(&text[p + 1..])),
        None => (text, None),
    };
    let value = om_value(first).map_err(|m| LineError::at(start, m))?;
    let kinds = if rules.kinds { SampleKinds::of_value(value, first) } else { SampleKinds::default() };
    let mut at = SampleAt { labels: 0, value: start, timestamp: line.len(), exemplar: line.len() };
    let Some(t) = rest else {
        return Ok(Remaining { value, timestamp: None, exemplar: None, kinds, at });
    };
    let t_at = start + first.len() + 1;
    let scan = scan_remaining(t, rules).map_err(|e| e.shifted(t_at))?;
    at.timestamp = t_at + scan.ts.at(0);
    at.exemplar = t_at + scan.hash_at;
    let timestamp = parse_timestamp(&scan.ts.get(t)).map_err(|m| LineError::at(at.timestamp, m))?;
    let mut rem = Remaining { value, timestamp, exemplar: None, kinds, at };
    if let Some(labels) = scan.ex_labels {
        let length: usize = labels.iter().map(|(k, v)| k.chars().count() + v.chars().count()).sum();
        if length > 128 {
            return Err(LineError::at(t_at + scan.ex_labels_at, format!("Exemplar labels are too long: {t}")));
        }
        let text = scan.ex_value.get(t);
        let num = om_value(&text).map_err(|m| LineError::at(t_at + scan.ex_value.at(t.len()), m))?;
        if rules.kinds {
            rem.kinds.set_exemplar(num, &text);
        }
        let ex_ts = parse_timestamp(&scan.ex_ts.get(t)).map_err(|m| LineError::at(t_at + scan.ex_ts.at(t.len()), m))?;
        rem.exemplar = Some(Exemplar { labels, value: num.f64(), timestamp: ex_ts });
    }
    Ok(rem)
}

/// `_parse_sample`. Error offsets are in `text`, the whole line.
pub(super) fn parse_sample(text: &str, rules: Rules) -> Result<Parsed, LineError> {
    let label_start = next_unquoted_of(text, b"{", 0);
    let label_start = match label_start {
        Some(p) if !(text.as_bytes()[..p].contains(&b'#') && text[..p].contains(" # ")) => p,
        _ => return unlabelled_sample(text, rules),
    };
    let raw_name = &text[..label_start];
    let label_end = next_unquoted_of(text, b"}", 0);
    let mut labels = parse_labels(py_slice(text, label_start + 1, label_end), Grammar::OpenMetrics, rules.scheme)
        .map_err(|e| e.shifted(label_start + 1))?;
    let name = if raw_name.is_empty() {
        take_label(&mut labels, "__name__")
            .ok_or_else(|| LineError::at(label_start, format!("no metric name: {text}")))?
    } else if label(&labels, "__name__").is_some() {
        return Err(LineError::at(label_start, "metric name specified more than once"));
    } else {
        raw_name.to_owned()
    };
    let rest = match label_end {
        Some(e) => skip_chars(text, e, 2),
        None => skip_chars(text, 0, 1),
    };
    let rem = parse_remaining(text, text.len() - rest.len(), rules)?;
    Ok(Parsed {
        name,
        labels,
        labels_none: false,
        value: Some(rem.value),
        timestamp: rem.timestamp,
        exemplar: rem.exemplar,
        kinds: rem.kinds,
        native: None,
        at: SampleAt { labels: label_start, ..rem.at },
    })
}

/// `_parse_sample` of a line without labels.
fn unlabelled_sample(text: &str, rules: Rules) -> Result<Parsed, LineError> {
    let name_end = next_unquoted_of(text, b" ", 0);
    let (name, rest_at) = match name_end {
        Some(p) => (&text[..p], p + 1),
        None => (&text[..minus_last_char(text)], 0),
    };
    if !is_legacy_metric_name(name) {
        return Err(LineError::whole(format!("invalid metric name: {text}")));
    }
    let rem = parse_remaining(text, rest_at, rules)?;
    Ok(Parsed {
        name: name.to_owned(),
        labels: Vec::new(),
        labels_none: false,
        value: Some(rem.value),
        timestamp: rem.timestamp,
        exemplar: rem.exemplar,
        kinds: rem.kinds,
        native: None,
        at: SampleAt { labels: name.len(), ..rem.at },
    })
}

const NH_SUFFIXES: [&str; 4] = ["_count", "_sum", "_bucket", "_created"];

/// Where `_parse_nh_sample` finds the parts of a native-histogram line.
struct NhAt {
    /// The series' label set `{` and `}`, if it has one.
    labels: Option<(usize, usize)>,
    /// The struct's `{`.
    nh_start: usize,
}

/// Finds the parts of a native-histogram sample; `Ok(None)` when the line is not one.
fn locate_nh(text: &str) -> Result<Option<NhAt>, LineError> {
    let labels_start = next_unquoted_of(text, b"{", 0);
    let Some(mut i) = next_unquoted_of(text, b" {", 0) else {
        return Ok(None);
    };
    let mut labels = None;
    if text.as_bytes()[i] == b'{' {
        let Some(e) = next_unquoted_of(text, b"}", i) else {
            return Err(LineError::at(i, format!("unterminated labels: {text}")));
        };
        labels = Some((labels_start.unwrap_or(i), e));
        i = e;
    }
    let Some(nh_start) = next_unquoted_of(text, b"{", i + 1) else {
        return Ok(None);
    };
    if next_unquoted_of(text, b"#", i + 1).is_some_and(|hash| hash < nh_start) {
        return Ok(None);
    }
    if next_unquoted_of(text, b"}", nh_start).is_none() {
        return Err(LineError::at(nh_start, format!("unterminated native histogram: {text}")));
    }
    Ok(Some(NhAt { labels, nh_start }))
}

/// `_parse_nh_sample`: `Ok(None)` when the line is not a native-histogram sample.
pub(super) fn parse_nh_sample(text: &str, rules: Rules) -> Result<Option<Parsed>, LineError> {
    let Some(NhAt { labels: label_set, nh_start }) = locate_nh(text)? else {
        return Ok(None);
    };
    let bad_suffix = |name: &str| NH_SUFFIXES.iter().any(|s| name.ends_with(s));
    let (name, labels, labels_none, labels_at) = match label_set {
        Some((ls, le)) => {
            let mut labels = parse_labels(py_slice(text, ls + 1, Some(le)), Grammar::OpenMetrics, rules.scheme)
                .map_err(|e| e.shifted(ls + 1))?;
            let raw_name = &text[..ls];
            if bad_suffix(raw_name) {
                return Err(LineError::whole(format!(
                    "the sample name of a native histogram with labels should have no suffixes: {raw_name}"
                )));
            }
            if raw_name.is_empty() {
                let n = take_label(&mut labels, "__name__")
                    .ok_or_else(|| LineError::at(ls, format!("no metric name: {text}")))?;
                let none = labels.is_empty();
                (n, labels, none, ls)
            } else {
                (raw_name.to_owned(), labels, false, ls)
            }
        }
        None => {
            let name = &text[..minus_last_char(&text[..nh_start])];
            if bad_suffix(name) {
                return Err(LineError::whole(format!(
                    "the sample name of a native histogram should have no suffixes: {name}"
                )));
            }
            (name.to_owned(), Vec::new(), true, nh_start)
        }
    };
    let native = parse_nh_struct(&text[nh_start..]).map_err(|m| LineError::at(nh_start, m))?;
    let kinds = SampleKinds { labels_none, ..SampleKinds::default() };
    let at = SampleAt { labels: labels_at, value: nh_start, timestamp: nh_start, exemplar: nh_start };
    let (value, timestamp, exemplar) = (None, None, None);
    Ok(Some(Parsed {
        name,
        labels,
        labels_none,
        value,
        timestamp,
        exemplar,
        kinds,
        native: Some(Box::new(native)),
        at,
    }))
}
