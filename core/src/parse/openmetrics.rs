//! The OpenMetrics 1.0 text parser, as prometheus_client 0.26's
//! `openmetrics.parser.text_string_to_metric_families`, plus the native-histogram sample
//! syntax (`{count:...,sum:...,schema:...,...}`) and quoted UTF-8 metric and label names it
//! reads.
//!
//! It accepts and rejects what prometheus_client accepts and rejects, and builds the same
//! families: the functions below follow prometheus_client's helpers one for one
//! (`_split_quoted`, `_next_unquoted_char`, `parse_labels`, `_parse_sample`,
//! `_parse_remaining_text`, `_parse_timestamp`, `_parse_nh_sample`, `_check_histogram`, the
//! grouping rules, ...), quirks included, but as hand-written byte scanners over `&str`
//! lines: no regular expressions, no backtracking, no recursion, linear in the line length.
//! Numbers follow Python's `int()` / `float()` (Unicode decimal digits and spaces included);
//! integer sample values are kept exact for the comparisons prometheus_client makes
//! (bucket order, `_count` against the `+Inf` bucket) up to ±2^127.
//!
//! Names are checked under the [`ValidationScheme`] a parse is given (prometheus_client
//! takes its scheme from `PROMETHEUS_LEGACY_NAME_VALIDATION`).
//!
//! Errors are [`Error::Parse`] with the 1-based line where prometheus_client would raise:
//! checks of a whole family (clashing names, units, histogram buckets and counts) fail on
//! the line that ends the family, a missing `# EOF` on the line after the last.
//!
//! Known differences, all on inputs no exporter writes:
//!
//! * Where prometheus_client would hold a Python integer the model cannot (a timestamp
//!   beyond `i128` seconds, a native-histogram schema beyond `i32`, a span beyond
//!   `i32`/`u32`, a delta beyond `i64`), the parser reports an error.
//! * Integer sample values beyond ±2^127 are compared after rounding to `f64`.
//! * The native-histogram field regex's `\w` is Python's for ASCII; beyond ASCII it is
//!   Unicode's alphanumeric property, which differs from `str.isalnum()` on a few marks.
//! * A native-histogram sample has no plain value in prometheus_client (`None`); here its
//!   `value` is NaN, and its labels are empty when prometheus_client has `None`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::io::BufRead;

use smallvec::SmallVec;

use crate::compat::python::strings::{decimal as py_decimal, is_space as py_is_space, strip as py_strip};
use crate::error::{Error, Result};
use crate::model::{BucketSpan, Exemplar, MetricFamily, MetricType, NativeHistogram, Sample, SampleKinds, Timestamp};
use crate::names::{self, ValidationScheme};

use super::quoted;

type Msg = String;
type PResult<T> = std::result::Result<T, Msg>;
type Hasher = foldhash::fast::FixedState;
type IndexMap = hashbrown::HashMap<u64, SmallVec<[u32; 1]>, Hasher>;

/// Parses a whole OpenMetrics exposition (prometheus_client's
/// `text_string_to_metric_families`), which must end with `# EOF`, checking names under
/// `scheme`.
pub fn parse_str(text: &str, scheme: ValidationScheme) -> Result<Vec<MetricFamily>> {
    let mut core = Core::new(scheme);
    let mut families = Vec::new();
    let mut lineno = 0usize;
    for raw in text.split_inclusive('\n') {
        lineno += 1;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let (fam, res) = core.line(lineno, line);
        if let Some(f) = fam {
            families.push(f);
        }
        res?;
    }
    let (fam, res) = core.finish(lineno);
    if let Some(f) = fam {
        families.push(f);
    }
    res?;
    Ok(families)
}

/// prometheus_client's `openmetrics.parser.text_string_to_metric_families`: [`parse_str`]
/// with UTF-8 names ([`ValidationScheme::Utf8`], its default).
pub fn text_string_to_metric_families(text: &str) -> Result<Vec<MetricFamily>> {
    parse_str(text, ValidationScheme::Utf8)
}

/// Parses OpenMetrics text from a reader, one line at a time, checking names under
/// `scheme`.
pub fn parse_reader<R: BufRead>(reader: R, scheme: ValidationScheme) -> OpenMetricsParser<R> {
    OpenMetricsParser { reader, buf: Vec::new(), core: Core::new(scheme), lineno: 0, done: false, pending: None }
}

/// A streaming OpenMetrics parser: yields each family once its last line has been read,
/// then an error if the input turns out to be invalid (prometheus_client's generator
/// `text_fd_to_metric_families`). Memory holds one family and the names seen so far, not
/// the whole input. After the first error the iterator ends.
pub struct OpenMetricsParser<R: BufRead> {
    reader: R,
    buf: Vec<u8>,
    core: Core,
    lineno: usize,
    done: bool,
    pending: Option<Error>,
}

impl<R: BufRead> std::fmt::Debug for OpenMetricsParser<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMetricsParser").field("line", &self.lineno).field("done", &self.done).finish()
    }
}

impl<R: BufRead> Iterator for OpenMetricsParser<R> {
    type Item = Result<MetricFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::Parse {
                        line: self.lineno + 1,
                        column: 1,
                        msg: format!("read error: {e}"),
                    }));
                }
                Ok(0) => {
                    self.done = true;
                    let (fam, res) = self.core.finish(self.lineno);
                    return match (fam, res) {
                        (Some(f), res) => {
                            self.pending = res.err();
                            Some(Ok(f))
                        }
                        (None, Err(e)) => Some(Err(e)),
                        (None, Ok(())) => None,
                    };
                }
                Ok(_) => {
                    self.lineno += 1;
                    let bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
                    let line = match std::str::from_utf8(bytes) {
                        Ok(l) => l,
                        Err(e) => {
                            self.done = true;
                            return Some(Err(Error::Parse {
                                line: self.lineno,
                                column: 1,
                                msg: format!("invalid UTF-8: {e}"),
                            }));
                        }
                    };
                    let (fam, res) = self.core.line(self.lineno, line);
                    match (fam, res) {
                        (Some(f), res) => {
                            if let Err(e) = res {
                                self.pending = Some(e);
                            }
                            return Some(Ok(f));
                        }
                        (None, Err(e)) => {
                            self.done = true;
                            return Some(Err(e));
                        }
                        (None, Ok(())) => {}
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Python's character classes and number parsing.

/// Whether `s` is non-empty printable ASCII without `_`: `int()` and `float()` then need
/// no Unicode transform, stripping or underscore handling.
fn plain_number_text(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| (0x21..0x7f).contains(&c) && c != b'_')
}

/// `int()` of plain ASCII (see [`plain_number_text`]) that fits an `i128`.
fn plain_int(b: &[u8]) -> Option<i128> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 38 {
        return None;
    }
    let mut acc: i128 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        acc = acc * 10 + i128::from(c - b'0');
    }
    Some(if neg { -acc } else { acc })
}

/// `\w` in a `str` regex. Exact for ASCII; other characters use Unicode's alphanumeric
/// property, which differs from Python's `str.isalnum()` on a few marks and symbols.
fn py_is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// `_PyUnicode_TransformDecimalAndSpaceToASCII`, as `int()` and `float()` apply it first.
fn to_ascii_number(s: &str) -> Option<Cow<'_, str>> {
    if s.is_ascii() {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (c as u32) < 127 {
            out.push(c);
        } else if py_is_space(c) {
            out.push(' ');
        } else {
            let d = py_decimal(c)?;
            out.push(char::from(b'0' + d));
        }
    }
    Some(Cow::Owned(out))
}

fn trim_c_space(b: &[u8]) -> &[u8] {
    let sp = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = b.iter().position(|c| !sp(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !sp(c)).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// A Python integer: exact when it fits an `i128`, else rounded to a float.
#[derive(Debug, Clone, Copy)]
enum PyInt {
    Small(i128),
    Big(f64),
}

/// The longest digit string Python's `int()` converts (`sys.get_int_max_str_digits()`).
const INT_MAX_STR_DIGITS: usize = 4300;

/// The digits `int()` counts against [`INT_MAX_STR_DIGITS`] in a value it parsed: all
/// characters but the sign (values hold no underscores or whitespace).
fn int_digit_count(s: &str) -> usize {
    s.chars().filter(|c| !matches!(c, '+' | '-')).count()
}

/// Python's `int(s)` (base 10).
fn py_int(s: &str) -> Option<PyInt> {
    let t = to_ascii_number(s)?;
    let b = trim_c_space(t.as_bytes());
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut acc: Option<i128> = Some(0);
    let mut prev = b'_';
    for (i, &c) in digits.iter().enumerate() {
        if c == b'_' {
            if i == 0 || prev == b'_' {
                return None;
            }
        } else if c.is_ascii_digit() {
            acc = acc.and_then(|a| a.checked_mul(10)).and_then(|a| a.checked_add(i128::from(c - b'0')));
        } else {
            return None;
        }
        prev = c;
    }
    if prev == b'_' {
        return None;
    }
    Some(match acc {
        Some(v) => PyInt::Small(if neg { -v } else { v }),
        None => {
            let clean: String = digits.iter().filter(|&&c| c != b'_').map(|&c| char::from(c)).collect();
            let v: f64 = clean.parse().ok()?;
            PyInt::Big(if neg { -v } else { v })
        }
    })
}

/// Python's `float(s)`.
fn py_float(s: &str) -> Option<f64> {
    let t = to_ascii_number(s)?;
    let raw = t.as_bytes();
    let cleaned: Cow<'_, [u8]> = if raw.contains(&b'_') {
        let mut out = Vec::with_capacity(raw.len());
        let mut prev = 0u8;
        for &c in raw {
            if c == b'_' {
                if !prev.is_ascii_digit() {
                    return None;
                }
            } else {
                if prev == b'_' && !c.is_ascii_digit() {
                    return None;
                }
                out.push(c);
            }
            prev = c;
        }
        if prev == b'_' {
            return None;
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    float_grammar(trim_c_space(&cleaned))
}

/// `PyOS_string_to_double` over the whole (stripped, ASCII) string.
fn float_grammar(b: &[u8]) -> Option<f64> {
    let (neg, body) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if body.eq_ignore_ascii_case(b"nan") {
        return Some(f64::NAN);
    }
    let n = body.len();
    let mut i = 0;
    let mut digits = 0;
    while i < n && body[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < n && body[i] == b'.' {
        i += 1;
        while i < n && body[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < n && (body[i] == b'e' || body[i] == b'E') {
        i += 1;
        if i < n && (body[i] == b'+' || body[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < n && body[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != n {
        return None;
    }
    let v: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// A sample value as prometheus_client holds it: a Python `int` or `float`.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    /// An integer beyond `i128`, rounded (compared approximately).
    BigInt(f64),
    Float(f64),
}

const TWO_127: f64 = 1.7014118346046923e38;

/// Python's exact comparison of an int with a float.
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= TWO_127 {
        return Some(Ordering::Less);
    }
    if f < -TWO_127 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // Exact: |t| <= 2^127 and t is integral.
    let ti = t as i128;
    Some(match i.cmp(&ti) {
        Ordering::Equal => {
            let frac = f - t;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        o => o,
    })
}

impl Num {
    fn f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::BigInt(f) | Num::Float(f) => f,
        }
    }

    /// Whether `_parse_value` made it a Python `int`.
    fn is_int(self) -> bool {
        matches!(self, Num::Int(_) | Num::BigInt(_))
    }

    /// The exact digits of an `int` that an `f64` may not hold (magnitude 2^53 or more),
    /// `text` being what `_parse_value` read it from.
    fn big_digits(self, text: &str) -> Option<Box<str>> {
        match self {
            Num::Int(i) if i.unsigned_abs() >= 1 << 53 => Some(i.to_string().into_boxed_str()),
            Num::BigInt(_) => {
                SampleKinds::big_int_digits(std::str::from_utf8(trim_c_space(to_ascii_number(text)?.as_bytes())).ok()?)
            }
            _ => None,
        }
    }

    fn is_integer(self) -> bool {
        match self {
            Num::Float(f) => f.is_finite() && f.trunc() == f,
            _ => true,
        }
    }

    fn cmp(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (Num::Int(a), Num::Float(f) | Num::BigInt(f)) => cmp_int_float(a, f),
            (Num::Float(f) | Num::BigInt(f), Num::Int(b)) => cmp_int_float(b, f).map(Ordering::reverse),
            (a, b) => a.f64().partial_cmp(&b.f64()),
        }
    }

    fn lt(self, other: Num) -> bool {
        self.cmp(other) == Some(Ordering::Less)
    }

    fn eq(self, other: Num) -> bool {
        self.cmp(other) == Some(Ordering::Equal)
    }

    fn is_nan(self) -> bool {
        matches!(self, Num::Float(f) if f.is_nan())
    }

    /// `math.isnan(v)` raises for an int too large for a float.
    fn too_large_for_float(self) -> bool {
        matches!(self, Num::BigInt(f) if f.is_infinite())
    }
}

/// `_parse_value`: an `int` if `int()` takes it, else a `float`.
fn parse_value(v: &str) -> PResult<Num> {
    if plain_number_text(v) {
        if let Some(i) = plain_int(v.as_bytes()) {
            return Ok(Num::Int(i));
        }
        if !v.as_bytes().iter().all(|c| c.is_ascii_digit() || *c == b'-' || *c == b'+') {
            if let Some(f) = float_grammar(v.as_bytes()) {
                return Ok(Num::Float(f));
            }
        }
    }
    if v != py_strip(v) || v.contains('_') {
        return Err(format!("Invalid value: {}", crate::compat::python::repr::str_repr(v)));
    }
    // `int()` refuses more than `sys.get_int_max_str_digits()` digits (leading zeros
    // count): then `float()` reads them.
    let int = if v.len() > INT_MAX_STR_DIGITS && int_digit_count(v) > INT_MAX_STR_DIGITS { None } else { py_int(v) };
    match int {
        Some(PyInt::Small(i)) => Ok(Num::Int(i)),
        Some(PyInt::Big(f)) => Ok(Num::BigInt(f)),
        None => match py_float(v) {
            Some(f) => Ok(Num::Float(f)),
            None => Err(format!("could not convert string to float: {}", crate::compat::python::repr::str_repr(v))),
        },
    }
}

/// `_parse_timestamp`: `Timestamp(sec, nsec)` for `int` or `int.frac` forms, else a float.
fn parse_timestamp(ts: &str) -> PResult<Option<Timestamp>> {
    if ts.is_empty() {
        return Ok(None);
    }
    let bad = || format!("Invalid timestamp: {}", crate::compat::python::repr::str_repr(ts));
    if ts != py_strip(ts) || ts.contains('_') {
        return Err(bad());
    }
    let too_big = || format!("Timestamp out of range: {}", crate::compat::python::repr::str_repr(ts));
    if plain_number_text(ts) {
        // Fast path: `int` or `int.digits` in plain ASCII.
        if let Some(sec) = plain_int(ts.as_bytes()) {
            return Ok(Some(Timestamp::Exact { sec, nsec: 0 }));
        }
        if let Some((whole, frac)) = ts.split_once('.') {
            let fb = frac.as_bytes();
            if let (Some(sec), true) = (plain_int(whole.as_bytes()), fb.iter().all(u8::is_ascii_digit)) {
                let mut nsec: i64 = 0;
                for i in 0..9 {
                    nsec = nsec * 10 + fb.get(i).map_or(0, |c| i64::from(c - b'0'));
                }
                return Ok(Some(Timestamp::Exact { sec, nsec: if sec < 0 { -nsec } else { nsec } }));
            }
        }
    }
    match py_int(ts) {
        Some(PyInt::Small(sec)) => return Ok(Some(Timestamp::Exact { sec, nsec: 0 })),
        Some(PyInt::Big(_)) => return Err(too_big()),
        None => {}
    }
    if let Some((whole, frac)) = ts.split_once('.') {
        if let Some(sec) = py_int(whole) {
            // parts[1][:9].ljust(9, "0")
            let mut f: String = frac.chars().take(9).collect();
            let n = f.chars().count();
            for _ in n..9 {
                f.push('0');
            }
            if let Some(PyInt::Small(nsec)) = py_int(&f) {
                if (0..1_000_000_000).contains(&nsec) {
                    let sec = match sec {
                        PyInt::Small(s) => s,
                        PyInt::Big(_) => return Err(too_big()),
                    };
                    let nsec = nsec as i64;
                    return Ok(Some(Timestamp::Exact { sec, nsec: if sec < 0 { -nsec } else { nsec } }));
                }
            }
        }
    }
    match py_float(ts) {
        Some(f) if f.is_finite() => Ok(Some(Timestamp::Float(f))),
        _ => Err(bad()),
    }
}

/// `group_timestamp > sample.timestamp`; `Timestamp` and `float` do not compare.
fn ts_gt(a: Timestamp, b: Timestamp) -> PResult<bool> {
    match (a, b) {
        (Timestamp::Exact { sec: s1, nsec: n1 }, Timestamp::Exact { sec: s2, nsec: n2 }) => {
            Ok(if s1 == s2 { n1 > n2 } else { s1 > s2 })
        }
        (Timestamp::Float(x), Timestamp::Float(y)) => Ok(x > y),
        _ => Err("Timestamps of different types cannot be compared".into()),
    }
}

// ---------------------------------------------------------------------------------------
// prometheus_client's string helpers.

/// Number of backslashes right before `pos` (`_is_character_escaped` counts them).
fn backslashes_before(b: &[u8], pos: usize) -> usize {
    let mut n = 0;
    while pos > n && b[pos - 1 - n] == b'\\' {
        n += 1;
    }
    n
}

/// `_next_unquoted_char(text, chs, start)`.
fn next_unquoted(text: &str, chs: &[u8], start: usize) -> Option<usize> {
    quoted::next_unquoted(text.as_bytes(), start, |c| chs.contains(&c))
}

/// `_last_unquoted_char(text, ch)` (never looks at index 0).
fn last_unquoted(text: &str, ch: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut in_quotes = false;
    for i in (1..b.len()).rev() {
        let c = b[i];
        if c == b'"' && backslashes_before(b, i) % 2 == 0 {
            in_quotes = !in_quotes;
        }
        if !in_quotes && c == ch {
            return Some(i);
        }
    }
    None
}

/// The byte length of `text` without its last character (`text[:-1]`).
fn minus_last_char(text: &str) -> usize {
    text.char_indices().next_back().map_or(0, |(i, _)| i)
}

/// `text[start:end]` where `end == None` stands for Python's `-1`.
fn py_slice(text: &str, start: usize, end: Option<usize>) -> &str {
    let end = end.unwrap_or_else(|| minus_last_char(text));
    if start >= end || end > text.len() {
        return "";
    }
    text.get(start..end).unwrap_or("")
}

/// `text[pos + n:]` in characters, from a character boundary `pos`.
fn skip_chars(text: &str, pos: usize, n: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    match rest.char_indices().nth(n) {
        Some((i, _)) => &rest[i..],
        None => "",
    }
}

/// `sample_name[len(name):]`, in characters.
fn char_suffix<'a>(sample_name: &'a str, name: &str) -> &'a str {
    if let Some(rest) = sample_name.strip_prefix(name) {
        return rest;
    }
    let n = name.chars().count();
    match sample_name.char_indices().nth(n) {
        Some((i, _)) => &sample_name[i..],
        None => "",
    }
}

/// `_split_quoted(text, ' ', 3)`.
fn split_metadata(text: &str) -> SmallVec<[&str; 4]> {
    quoted::split_quoted(text, |c| c == b' ')
}

/// `_replace_escaping` (and `_unescape_help`, which is the same mapping).
fn unescape(s: &str) -> Cow<'_, str> {
    quoted::unescape(s, true)
}

/// `_unquote_unescape`: the string and whether it was quoted.
fn unquote_unescape(text: &str) -> PResult<(Cow<'_, str>, bool)> {
    if text.is_empty() {
        return Ok((Cow::Borrowed(text), false));
    }
    let t = py_strip(text);
    if t.is_empty() {
        return Err("string index out of range".into());
    }
    if t.as_bytes()[0] == b'"' {
        if t.len() == 1 || !t.ends_with('"') {
            return Err("missing close quote".into());
        }
        Ok((unescape(&t[1..t.len() - 1]), true))
    } else {
        Ok((unescape(t), false))
    }
}

/// `_next_term(text, openmetrics=True)`: label name, stripped value term, stripped rest.
fn next_term(text: &str) -> PResult<(&str, &str, &str)> {
    let mut text = text;
    if text.as_bytes().first() == Some(&b',') {
        text = &text[1..];
        if text.is_empty() {
            return Ok(("", "", ""));
        }
        if text.as_bytes()[0] == b',' {
            return Err("multiple commas".into());
        }
    }
    let mut split = next_unquoted(text, b"=,}", 0);
    let label_name = match split {
        Some(p) if text.as_bytes()[p] == b'=' => {
            let name = &text[..p];
            text = &text[p + 1..];
            split = next_unquoted(text, b",}", 0);
            name
        }
        _ => "__name__",
    };
    let split = split.unwrap_or(text.len());
    let term = &text[..split];
    if term.is_empty() {
        return Err("empty term".into());
    }
    Ok((label_name, py_strip(term), py_strip(&text[split..])))
}

/// Whether `labels` holds `name`; hashes once the list grows long.
struct LabelSet {
    names: Option<hashbrown::HashSet<String, Hasher>>,
}

impl LabelSet {
    const LINEAR: usize = 16;

    fn contains_or_track(&mut self, labels: &[(String, String)], name: &str) -> bool {
        if labels.len() < Self::LINEAR {
            return labels.iter().any(|(k, _)| k == name);
        }
        let set = self.names.get_or_insert_with(|| labels.iter().map(|(k, _)| k.clone()).collect());
        if set.contains(name) {
            return true;
        }
        set.insert(name.to_owned());
        false
    }
}

/// `parse_labels(text, openmetrics=True)`.
fn parse_labels(labels_string: &str, legacy: bool) -> PResult<Vec<(String, String)>> {
    let sub = py_strip(labels_string);
    if sub.as_bytes().first() == Some(&b',') {
        return Err(format!("leading comma: {labels_string}"));
    }
    parse_label_terms(sub, legacy).map_err(|e| format!("Invalid labels: {labels_string} ({e})"))
}

fn parse_label_terms(mut sub: &str, legacy: bool) -> PResult<Vec<(String, String)>> {
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut seen = LabelSet { names: None };
    while !sub.is_empty() {
        let (name_term, value_term, rest) = next_term(sub)?;
        if value_term.is_empty() {
            return Err("empty term".into());
        }
        let (label_name, quoted) = unquote_unescape(name_term)?;
        if !quoted && !names::is_valid_legacy_metric_name(&label_name) {
            return Err("unquoted UTF-8 metric name".into());
        }
        let vb = value_term.as_bytes();
        if vb[0] != b'"' {
            return Err("missing quote".into());
        }
        let mut i = 1;
        while i < vb.len() {
            match vb[i..].iter().position(|&c| c == b'"') {
                Some(p) => i += p,
                None => return Err("substring not found".into()),
            }
            if backslashes_before(vb, i) % 2 == 0 {
                break;
            }
            i += 1;
        }
        if i + 1 != vb.len() {
            return Err("unexpected text after quote".into());
        }
        let (label_value, _) = unquote_unescape(value_term)?;
        if label_name == "__name__" {
            names::validate_metric_name_with_legacy(&label_name, legacy).map_err(|e| quoted::name_error_text(&e))?;
        } else {
            names::validate_label_name_with_legacy(&label_name, legacy).map_err(|e| quoted::name_error_text(&e))?;
        }
        if seen.contains_or_track(&labels, &label_name) {
            return Err("invalid line, duplicate label name".into());
        }
        labels.push((label_name.into_owned(), label_value.into_owned()));
        sub = rest;
    }
    Ok(labels)
}

fn take_label(labels: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let i = labels.iter().position(|(k, _)| k == name)?;
    Some(labels.remove(i).1)
}

fn label<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------
// Sample lines.

/// A parsed sample line before the family checks.
struct Parsed {
    name: String,
    labels: Vec<(String, String)>,
    /// prometheus_client's labels are `None` (native histograms only).
    labels_none: bool,
    /// `None` for a native histogram.
    value: Option<Num>,
    timestamp: Option<Timestamp>,
    exemplar: Option<Exemplar>,
    /// The Python types of the value and the exemplar's value (`labels_none` unset).
    kinds: SampleKinds,
    native: Option<Box<NativeHistogram>>,
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

/// What `_parse_remaining_text` reads: value, timestamp, exemplar, and the Python types
/// of the two values.
type Remaining = (Num, Option<Timestamp>, Option<Exemplar>, SampleKinds);

/// `_parse_remaining_text`: value, timestamp and exemplar after the name and labels.
fn parse_remaining(text: &str, legacy: bool) -> PResult<Remaining> {
    let (first, rest) = match text.find(' ') {
        Some(p) => (&text[..p], Some(&text[p + 1..])),
        None => (text, None),
    };
    let value = parse_value(first)?;
    let mut kinds =
        SampleKinds { value_int: value.is_int(), value_digits: value.big_digits(first), ..SampleKinds::default() };
    let Some(t) = rest else {
        return Ok((value, None, None, kinds));
    };
    let invalid = || format!("Invalid line: {t}");
    let b = t.as_bytes();
    let mut state = St::Timestamp;
    let mut in_quotes = false;
    let mut ts = Chars::default();
    let mut ex_value = Chars::default();
    let mut ex_ts = Chars::default();
    let mut ex_labels: Option<Vec<(String, String)>> = None;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' {
            in_quotes = !in_quotes;
        }
        if in_quotes {
            continue;
        }
        match state {
            St::Timestamp => {
                if c == b'#' && ts.is_empty() {
                    state = St::ExSpace;
                } else if c == b' ' {
                    state = St::ExHash;
                } else {
                    ts.push(b, i);
                }
            }
            St::ExHash => {
                if c != b'#' {
                    return Err(invalid());
                }
                state = St::ExSpace;
            }
            St::ExSpace => {
                if c != b' ' {
                    return Err(invalid());
                }
                state = St::ExStartOfLabels;
            }
            St::ExStartOfLabels => {
                if c != b'{' {
                    return Err(invalid());
                }
                let start = next_unquoted(t, b"{", 0).map_or(0, |s| s + 1);
                let end = last_unquoted(t, b'}');
                ex_labels = Some(parse_labels(py_slice(t, start, end), legacy)?);
                state = St::ExParsedLabels;
            }
            St::ExParsedLabels => {
                if c == b'}' {
                    state = St::ExValueSpace;
                }
            }
            St::ExValueSpace => {
                if c != b' ' {
                    return Err(invalid());
                }
                state = St::ExValue;
            }
            St::ExValue => {
                if c == b' ' {
                    if ex_value.is_empty() {
                        return Err(invalid());
                    }
                    state = St::ExTimestamp;
                } else {
                    ex_value.push(b, i);
                }
            }
            St::ExTimestamp => ex_ts.push(b, i),
        }
    }
    match state {
        St::Timestamp if ts.is_empty() => return Err(invalid()),
        St::ExTimestamp if ex_ts.is_empty() => return Err(invalid()),
        St::ExHash | St::ExSpace | St::ExStartOfLabels | St::ExParsedLabels => return Err(invalid()),
        _ => {}
    }
    let timestamp = parse_timestamp(&ts.get(t))?;
    let exemplar = match ex_labels {
        None => None,
        Some(labels) => {
            let length: usize = labels.iter().map(|(k, v)| k.chars().count() + v.chars().count()).sum();
            if length > 128 {
                return Err(format!("Exemplar labels are too long: {t}"));
            }
            let text = ex_value.get(t);
            let num = parse_value(&text)?;
            kinds.exemplar_value_int = num.is_int();
            kinds.exemplar_value_digits = num.big_digits(&text);
            let timestamp = parse_timestamp(&ex_ts.get(t))?;
            Some(Exemplar { labels, value: num.f64(), timestamp })
        }
    };
    Ok((value, timestamp, exemplar, kinds))
}

/// `_parse_sample`.
fn parse_sample(text: &str, legacy: bool) -> PResult<Parsed> {
    let label_start = next_unquoted(text, b"{", 0);
    let label_start = match label_start {
        Some(p) if !(text.as_bytes()[..p].contains(&b'#') && text[..p].contains(" # ")) => p,
        _ => {
            let name_end = next_unquoted(text, b" ", 0);
            let name = match name_end {
                Some(p) => &text[..p],
                None => &text[..minus_last_char(text)],
            };
            if !names::is_valid_legacy_metric_name(name) {
                return Err(format!("invalid metric name: {text}"));
            }
            let rest = match name_end {
                Some(p) => &text[p + 1..],
                None => text,
            };
            let (value, timestamp, exemplar, kinds) = parse_remaining(rest, legacy)?;
            return Ok(Parsed {
                name: name.to_owned(),
                labels: Vec::new(),
                labels_none: false,
                value: Some(value),
                timestamp,
                exemplar,
                kinds,
                native: None,
            });
        }
    };
    let raw_name = &text[..label_start];
    let label_end = next_unquoted(text, b"}", 0);
    let mut labels = parse_labels(py_slice(text, label_start + 1, label_end), legacy)?;
    let name = if raw_name.is_empty() {
        take_label(&mut labels, "__name__").ok_or_else(|| format!("no metric name: {text}"))?
    } else if label(&labels, "__name__").is_some() {
        return Err("metric name specified more than once".into());
    } else {
        raw_name.to_owned()
    };
    let rest = match label_end {
        Some(e) => skip_chars(text, e, 2),
        None => skip_chars(text, 0, 1),
    };
    let (value, timestamp, exemplar, kinds) = parse_remaining(rest, legacy)?;
    Ok(Parsed { name, labels, labels_none: false, value: Some(value), timestamp, exemplar, kinds, native: None })
}

const NH_SUFFIXES: [&str; 4] = ["_count", "_sum", "_bucket", "_created"];

/// `_parse_nh_sample`: `Ok(None)` when the line is not a native-histogram sample.
fn parse_nh_sample(text: &str, legacy: bool) -> PResult<Option<Parsed>> {
    let labels_start = next_unquoted(text, b"{", 0);
    let Some(mut i) = next_unquoted(text, b" {", 0) else {
        return Ok(None);
    };
    let has_labels = text.as_bytes()[i] == b'{';
    let mut labels_end = i;
    if has_labels {
        match next_unquoted(text, b"}", i) {
            Some(e) => {
                labels_end = e;
                i = e;
            }
            None => return Err(format!("unterminated labels: {text}")),
        }
    }
    let Some(nh_start) = next_unquoted(text, b"{", i + 1) else {
        return Ok(None);
    };
    if let Some(hash) = next_unquoted(text, b"#", i + 1) {
        if hash < nh_start {
            return Ok(None);
        }
    }
    if next_unquoted(text, b"}", nh_start).is_none() {
        return Err(format!("unterminated native histogram: {text}"));
    }
    let bad_suffix = |name: &str| NH_SUFFIXES.iter().any(|s| name.ends_with(s));
    if has_labels {
        let ls = labels_start.unwrap_or(i);
        let mut labels = parse_labels(py_slice(text, ls + 1, Some(labels_end)), legacy)?;
        let raw_name = &text[..ls];
        if bad_suffix(raw_name) {
            return Err(format!(
                "the sample name of a native histogram with labels should have no suffixes: {raw_name}"
            ));
        }
        let mut labels_none = false;
        let name = if raw_name.is_empty() {
            let n = take_label(&mut labels, "__name__").ok_or_else(|| format!("no metric name: {text}"))?;
            labels_none = labels.is_empty();
            n
        } else {
            raw_name.to_owned()
        };
        let native = parse_nh_struct(&text[nh_start..])?;
        Ok(Some(Parsed {
            name,
            labels,
            labels_none,
            value: None,
            timestamp: None,
            exemplar: None,
            kinds: SampleKinds::default(),
            native: Some(Box::new(native)),
        }))
    } else {
        let name = &text[..minus_last_char(&text[..nh_start])];
        if bad_suffix(name) {
            return Err(format!("the sample name of a native histogram should have no suffixes: {name}"));
        }
        let native = parse_nh_struct(&text[nh_start..])?;
        Ok(Some(Parsed {
            name: name.to_owned(),
            labels: Vec::new(),
            labels_none: true,
            value: None,
            timestamp: None,
            exemplar: None,
            kinds: SampleKinds::default(),
            native: Some(Box::new(native)),
        }))
    }
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

/// `_parse_nh_struct`.
fn parse_nh_struct(text: &str) -> PResult<NativeHistogram> {
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

// ---------------------------------------------------------------------------------------
// Families.

/// The TYPE of the family being read: unset, one of the eight, or an unknown word
/// (rejected when the family ends, as `Metric()` does).
#[derive(Debug, Clone, PartialEq)]
enum Typ {
    Unset,
    Known(MetricType),
    Other(String),
}

impl Typ {
    fn from_word(s: &str) -> Typ {
        match s {
            "counter" => Typ::Known(MetricType::Counter),
            "gauge" => Typ::Known(MetricType::Gauge),
            "summary" => Typ::Known(MetricType::Summary),
            "histogram" => Typ::Known(MetricType::Histogram),
            "gaugehistogram" => Typ::Known(MetricType::GaugeHistogram),
            "unknown" => Typ::Known(MetricType::Unknown),
            "info" => Typ::Known(MetricType::Info),
            "stateset" => Typ::Known(MetricType::StateSet),
            other => Typ::Other(other.to_owned()),
        }
    }

    fn is(&self, t: MetricType) -> bool {
        matches!(self, Typ::Known(x) if *x == t)
    }

    fn is_histogram_like(&self) -> bool {
        self.is(MetricType::Histogram) || self.is(MetricType::GaugeHistogram)
    }

    /// `type_suffixes.get(typ, [''])`: the sample names a typed family accepts.
    fn allowed_suffixes(&self) -> &'static [&'static str] {
        match self {
            Typ::Known(MetricType::Counter) => &["_total", "_created"],
            Typ::Known(MetricType::Summary) => &["", "_count", "_sum", "_created"],
            Typ::Known(MetricType::Histogram) => &["_count", "_sum", "_bucket", "_created"],
            Typ::Known(MetricType::GaugeHistogram) => &["_gcount", "_gsum", "_bucket"],
            Typ::Known(MetricType::Info) => &["_info"],
            _ => &[""],
        }
    }
}

/// Per sample: the Python value (for `_check_histogram`'s exact comparisons) and whether
/// the labels are `None`.
#[derive(Debug, Clone, Copy)]
struct Meta {
    num: Option<Num>,
    labels_none: bool,
}

/// Which labels make up a sample's group (`_group_for_sample`).
#[derive(Clone, Copy)]
enum Excl<'a> {
    All,
    Without(&'a str),
    Nothing,
}

fn view<'a>(labels: &'a [(String, String)], excl: Excl<'a>) -> impl Iterator<Item = &'a (String, String)> + 'a {
    let (skip_all, without) = match excl {
        Excl::All => (false, None),
        Excl::Without(n) => (false, Some(n)),
        Excl::Nothing => (true, None),
    };
    labels.iter().filter(move |(k, _)| !skip_all && without != Some(k.as_str()))
}

/// Dict equality of two label views.
fn views_equal(a: &[(String, String)], ea: Excl<'_>, b: &[(String, String)], eb: Excl<'_>) -> bool {
    let na = view(a, ea).count();
    if na != view(b, eb).count() {
        return false;
    }
    if na <= 16 {
        return view(a, ea).all(|x| view(b, eb).any(|y| y == x));
    }
    let mut va: Vec<_> = view(a, ea).collect();
    let mut vb: Vec<_> = view(b, eb).collect();
    va.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    vb.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    va == vb
}

fn view_hash(h: &Hasher, labels: &[(String, String)], excl: Excl<'_>) -> u64 {
    view(labels, excl).fold(0u64, |acc, (k, v)| acc.wrapping_add(h.hash_one((k.as_str(), v.as_str()))))
}

/// The family being read.
struct Family {
    name: String,
    help: Option<String>,
    typ: Typ,
    unit: Option<String>,
    /// `allowed_names` when it is one raw sample name (families a sample starts).
    allowed_exact: Option<String>,
    samples: Vec<Sample>,
    meta: Vec<Meta>,
    /// Index of a sample of the current group (`group`), if any.
    group: Option<usize>,
    group_ts: Option<Timestamp>,
    /// `seen_groups`: group hash to representative samples.
    seen_groups: IndexMap,
    /// `group_timestamp_samples`: series hash to samples, for the current group.
    group_series: IndexMap,
}

impl Family {
    fn new(name: String, typ: Typ, allowed_exact: Option<String>) -> Self {
        Family {
            name,
            help: None,
            typ,
            unit: None,
            allowed_exact,
            samples: Vec::new(),
            meta: Vec::new(),
            group: None,
            group_ts: None,
            seen_groups: IndexMap::default(),
            group_series: IndexMap::default(),
        }
    }

    fn allows(&self, sample_name: &str) -> bool {
        match &self.allowed_exact {
            Some(n) => n == sample_name,
            None => sample_name
                .strip_prefix(self.name.as_str())
                .is_some_and(|rest| self.typ.allowed_suffixes().contains(&rest)),
        }
    }

    fn is_name_plus(&self, sample_name: &str, suffix: &str) -> bool {
        sample_name.len() == self.name.len() + suffix.len()
            && sample_name.starts_with(self.name.as_str())
            && sample_name.ends_with(suffix)
    }

    /// `_group_for_sample(sample, name, typ)`.
    fn group_excl<'a>(&'a self, sample_name: &str) -> Excl<'a> {
        match &self.typ {
            Typ::Known(MetricType::Info) => Excl::Nothing,
            Typ::Known(MetricType::Summary) if sample_name == self.name => Excl::Without("quantile"),
            Typ::Known(MetricType::StateSet) => Excl::Without(self.name.as_str()),
            Typ::Known(MetricType::Histogram | MetricType::GaugeHistogram)
                if self.is_name_plus(sample_name, "_bucket") =>
            {
                Excl::Without("le")
            }
            _ => Excl::All,
        }
    }

    /// `_group_for_sample(s, name, 'histogram')` in `_check_histogram`.
    fn hist_excl(&self, sample_name: &str) -> Excl<'static> {
        if self.is_name_plus(sample_name, "_bucket") {
            Excl::Without("le")
        } else {
            Excl::All
        }
    }
}

#[derive(Default)]
struct HistState {
    count: Option<Num>,
    bucket: Option<f64>,
    value: Option<Num>,
    negative_buckets: bool,
    sum: bool,
    gsum: bool,
    negative_gsum: bool,
}

impl HistState {
    fn check(&self, name: &str) -> PResult<()> {
        if self.bucket != Some(f64::INFINITY) {
            return Err(format!("+Inf bucket missing: {name}"));
        }
        let value = self.value.unwrap_or(Num::Int(0));
        if let Some(count) = self.count {
            if !value.eq(count) {
                return Err(format!("Count does not match +Inf value: {name}"));
            }
        }
        if self.sum && self.count.is_none() {
            return Err(format!("_count must be present if _sum is present: {name}"));
        }
        if self.gsum && self.count.is_none() {
            return Err(format!("_gcount must be present if _gsum is present: {name}"));
        }
        if !(self.sum || self.gsum) && self.count.is_some() {
            return Err(format!("_sum/_gsum must be present if _count is present: {name}"));
        }
        if self.negative_buckets && self.sum {
            return Err(format!("Cannot have _sum with negative buckets: {name}"));
        }
        if !self.negative_buckets && self.negative_gsum {
            return Err(format!("Cannot have negative _gsum with non-negative buckets: {name}"));
        }
        Ok(())
    }
}

/// `_check_histogram(samples, name)`.
fn check_histogram(f: &Family) -> PResult<()> {
    let name = f.name.as_str();
    let mut group: Option<usize> = None;
    let mut timestamp: Option<Timestamp> = None;
    let mut st = HistState::default();
    for (idx, (s, m)) in f.samples.iter().zip(&f.meta).enumerate() {
        let suffix = char_suffix(&s.name, name);
        let g = if m.labels_none { None } else { Some(idx) };
        if suffix.is_empty() {
            continue;
        }
        let same = match (g, group) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                let (sa, sb) = (&f.samples[a], &f.samples[b]);
                views_equal(&sa.labels, f.hist_excl(&sa.name), &sb.labels, f.hist_excl(&sb.name))
            }
            _ => false,
        };
        if !same || s.timestamp != timestamp {
            if group.is_some() {
                st.check(name)?;
            }
            st = HistState::default();
        }
        group = g;
        timestamp = s.timestamp;
        let num = m.num.ok_or_else(|| format!("native histogram sample with a suffix: {}", s.name));
        match suffix {
            "_bucket" => {
                let le = s.label("le").ok_or_else(|| format!("KeyError: 'le': {name}"))?;
                let b = py_float(le).ok_or_else(|| format!("could not convert string to float: {le}"))?;
                if b < 0.0 {
                    st.negative_buckets = true;
                }
                if st.bucket.is_some_and(|prev| b <= prev) {
                    return Err(format!("Buckets out of order: {name}"));
                }
                let v = num?;
                if v.lt(st.value.unwrap_or(Num::Int(0))) {
                    return Err(format!("Bucket values out of order: {name}"));
                }
                st.bucket = Some(b);
                st.value = Some(v);
            }
            "_count" | "_gcount" => st.count = Some(num?),
            "_sum" => st.sum = true,
            "_gsum" => {
                st.gsum = true;
                if num?.lt(Num::Int(0)) {
                    st.negative_gsum = true;
                }
            }
            _ => {}
        }
    }
    if group.is_some() {
        st.check(name)?;
    }
    Ok(())
}

/// The parser's state between lines (the locals of `text_fd_to_metric_families`).
struct Core {
    fam: Option<Family>,
    eof: bool,
    seen_names: hashbrown::HashSet<String, Hasher>,
    hasher: Hasher,
    /// Whether names are checked under legacy validation.
    legacy: bool,
}

impl Core {
    fn new(scheme: ValidationScheme) -> Self {
        Core {
            fam: None,
            eof: false,
            seen_names: Default::default(),
            hasher: Hasher::with_seed(0x6f70_656e_6d65_7472),
            legacy: scheme.is_legacy(),
        }
    }

    /// Feeds one line (without its `\n`); returns a family the line completed and the
    /// line's verdict (a family can complete on a line that is then rejected).
    fn line(&mut self, lineno: usize, line: &str) -> (Option<MetricFamily>, Result<()>) {
        let mut out = None;
        let res = self.line_inner(line, &mut out).map_err(|msg| Error::Parse { line: lineno, column: 1, msg });
        (out, res)
    }

    /// Ends the input: the last family, then whether `# EOF` was seen.
    fn finish(&mut self, lines: usize) -> (Option<MetricFamily>, Result<()>) {
        let at = lines.max(1);
        let fam = match self.fam.take() {
            Some(f) => match self.build(f) {
                Ok(m) => Some(m),
                Err(msg) => return (None, Err(Error::Parse { line: at, column: 1, msg })),
            },
            None => None,
        };
        if !self.eof {
            return (fam, Err(Error::Parse { line: lines + 1, column: 1, msg: "Missing # EOF at end".into() }));
        }
        (fam, Ok(()))
    }

    fn line_inner(&mut self, line: &str, out: &mut Option<MetricFamily>) -> PResult<()> {
        if self.eof {
            return Err(format!("Received line after # EOF: {line}"));
        }
        if line.is_empty() {
            return Err("Received blank line".into());
        }
        if line == "# EOF" {
            self.eof = true;
            return Ok(());
        }
        if line.starts_with('#') {
            self.metadata_line(line, out)
        } else {
            self.sample_line(line, out)
        }
    }

    fn metadata_line(&mut self, line: &str, out: &mut Option<MetricFamily>) -> PResult<()> {
        let parts = split_metadata(line);
        if parts.len() < 4 {
            return Err(format!("Invalid line: {line}"));
        }
        let (candidate, quoted) = unquote_unescape(parts[2])?;
        if !quoted && !names::is_valid_legacy_metric_name(&candidate) {
            return Err(format!("Invalid metric name: {line}"));
        }
        let same = self.fam.as_ref().is_some_and(|f| f.name == candidate);
        if same && self.fam.as_ref().is_some_and(|f| !f.samples.is_empty()) {
            return Err(format!("Received metadata after samples: {line}"));
        }
        if !same {
            if let Some(f) = self.fam.take() {
                *out = Some(self.build(f)?);
            }
            self.fam = Some(Family::new(candidate.into_owned(), Typ::Unset, None));
        }
        let Some(fam) = self.fam.as_mut() else {
            return Err("no family".into());
        };
        match parts[1] {
            "HELP" => {
                if fam.help.is_some() {
                    return Err(format!("More than one HELP for metric: {line}"));
                }
                fam.help = Some(unescape(parts[3]).into_owned());
            }
            "TYPE" => {
                if fam.typ != Typ::Unset {
                    return Err(format!("More than one TYPE for metric: {line}"));
                }
                if parts[3] == "untyped" {
                    return Err(format!("Invalid TYPE for metric: {line}"));
                }
                fam.typ = Typ::from_word(parts[3]);
            }
            "UNIT" => {
                if fam.unit.is_some() {
                    return Err(format!("More than one UNIT for metric: {line}"));
                }
                fam.unit = Some(parts[3].to_owned());
            }
            _ => return Err(format!("Invalid line: {line}")),
        }
        Ok(())
    }

    fn sample_line(&mut self, line: &str, out: &mut Option<MetricFamily>) -> PResult<()> {
        let histogram = self.fam.as_ref().is_some_and(|f| f.typ.is(MetricType::Histogram));
        let (parsed, is_nh) = if histogram {
            match parse_nh_sample(line, self.legacy)? {
                Some(p) => (p, true),
                None => (parse_sample(line, self.legacy)?, false),
            }
        } else {
            (parse_sample(line, self.legacy)?, false)
        };
        if !is_nh && !self.fam.as_ref().is_some_and(|f| f.allows(&parsed.name)) {
            if let Some(f) = self.fam.take() {
                *out = Some(self.build(f)?);
            }
            let (candidate, quoted) = unquote_unescape(&parsed.name)?;
            if !quoted && !names::is_valid_legacy_metric_name(&candidate) {
                return Err(format!("Invalid metric name: {line}"));
            }
            self.fam =
                Some(Family::new(candidate.into_owned(), Typ::Known(MetricType::Unknown), Some(parsed.name.clone())));
        }
        let hasher = self.hasher.clone();
        let Some(fam) = self.fam.as_mut() else {
            return Err("no family".into());
        };
        check_sample(fam, &hasher, parsed, is_nh, line)
    }

    /// `build_metric`.
    fn build(&mut self, f: Family) -> PResult<MetricFamily> {
        let clash: &[&str] = match &f.typ {
            Typ::Known(MetricType::Counter) => &["", "_total", "_created"],
            Typ::Known(MetricType::Summary) => &["", "_count", "_sum", "_created"],
            Typ::Known(MetricType::Histogram) => &["", "_count", "_sum", "_bucket", "_created"],
            Typ::Known(MetricType::GaugeHistogram) => &["", "_gcount", "_gsum", "_bucket"],
            Typ::Known(MetricType::Info) => &["", "_info"],
            _ => &[""],
        };
        for suffix in clash {
            let mut n = String::with_capacity(f.name.len() + suffix.len());
            n.push_str(&f.name);
            n.push_str(suffix);
            if self.seen_names.contains(&n) {
                return Err(format!("Clashing name: {n}"));
            }
            self.seen_names.insert(n);
        }
        let unit = f.unit.clone().unwrap_or_default();
        if !unit.is_empty() {
            let ok = f.name.strip_suffix(unit.as_str()).is_some_and(|head| head.ends_with('_'));
            if !ok {
                return Err(format!("Unit does not match metric name: {}", f.name));
            }
            if f.typ.is(MetricType::Info) || f.typ.is(MetricType::StateSet) {
                return Err(format!("Units not allowed for this metric type: {}", f.name));
            }
        }
        if f.typ.is_histogram_like() {
            check_histogram(&f)?;
        }
        names::validate_metric_name_with_legacy(&f.name, self.legacy).map_err(|e| quoted::name_error_text(&e))?;
        let metric_type = match &f.typ {
            Typ::Unset => MetricType::Unknown,
            Typ::Known(t) => *t,
            Typ::Other(s) => return Err(format!("Invalid metric type: {s}")),
        };
        Ok(MetricFamily { name: f.name, help: f.help.unwrap_or_default(), metric_type, unit, samples: f.samples })
    }
}

/// The per-sample checks of `text_fd_to_metric_families`, then the append.
fn check_sample(fam: &mut Family, hasher: &Hasher, p: Parsed, is_nh: bool, line: &str) -> PResult<()> {
    let name = fam.name.as_str();
    let typ = &fam.typ;
    if typ.is(MetricType::StateSet) && label(&p.labels, name).is_none() {
        return Err(format!("Stateset missing label: {line}"));
    }
    let is_bucket = fam.is_name_plus(&p.name, "_bucket");
    if is_bucket {
        let ok = match label(&p.labels, "le") {
            None | Some("NaN") => false,
            Some(le) => match py_float(le) {
                None => return Err(format!("could not convert string to float: {le}")),
                Some(f) => !(f == f64::INFINITY && le != "+Inf"),
            },
        };
        if !ok {
            return Err(format!("Invalid le label: {line}"));
        }
        if !p.value.is_some_and(Num::is_integer) {
            return Err(format!("Bucket value must be an integer: {line}"));
        }
    }
    if (fam.is_name_plus(&p.name, "_count") || fam.is_name_plus(&p.name, "_gcount"))
        && !p.value.is_some_and(Num::is_integer)
    {
        return Err(format!("Count value must be an integer: {line}"));
    }
    let quantile_sample = typ.is(MetricType::Summary) && p.name == name;
    if quantile_sample {
        let q = match label(&p.labels, "quantile") {
            None => -1.0,
            Some(q) => py_float(q).ok_or_else(|| format!("could not convert string to float: {q}"))?,
        };
        if !(0.0..=1.0).contains(&q) {
            return Err(format!("Invalid quantile label: {line}"));
        }
    }

    let value = p.value;
    let exemplar_present = p.exemplar.is_some();
    let sample_name_suffix_kind = {
        let suffix = char_suffix(&p.name, name);
        match suffix {
            "_total" | "_sum" | "_count" | "_bucket" | "_gcount" => 2u8,
            "_gsum" => 1,
            _ => 0,
        }
    };
    let exemplar_ok = (typ.is_histogram_like() && p.name.ends_with("_bucket"))
        || (typ.is(MetricType::Counter) && p.name.ends_with("_total"));

    if !is_nh {
        let excl = fam.group_excl(&p.name);
        let ghash = view_hash(hasher, &p.labels, excl);
        let same_group = match fam.group {
            Some(gi) => {
                let rep = &fam.samples[gi];
                views_equal(&p.labels, excl, &rep.labels, fam.group_excl(&rep.name))
            }
            None => false,
        };
        if fam.group.is_some() && !same_group {
            let seen = fam.seen_groups.get(&ghash).is_some_and(|v| {
                v.iter().any(|&i| {
                    let s = &fam.samples[i as usize];
                    views_equal(&p.labels, excl, &s.labels, fam.group_excl(&s.name))
                })
            });
            if seen {
                return Err(format!("Invalid metric grouping: {line}"));
            }
        }
        if same_group {
            if p.timestamp.is_none() != fam.group_ts.is_none() {
                return Err(format!("Mix of timestamp presence within a group: {line}"));
            }
            if let (Some(gts), Some(ts)) = (fam.group_ts, p.timestamp) {
                if ts_gt(gts, ts)? && !typ.is(MetricType::Info) {
                    return Err(format!("Timestamps went backwards within a group: {line}"));
                }
            }
        } else if fam.group_series.capacity() > 64 {
            // A big table is dropped rather than cleared: clearing costs its capacity.
            fam.group_series = IndexMap::default();
        } else {
            fam.group_series.clear();
        }
        let shash =
            view_hash(hasher, &p.labels, Excl::All).wrapping_add(hasher.hash_one(p.name.as_str()).rotate_left(17));
        let present = fam.group_series.get(&shash).is_some_and(|v| {
            v.iter().any(|&i| {
                let s = &fam.samples[i as usize];
                s.name == p.name && views_equal(&p.labels, Excl::All, &s.labels, Excl::All)
            })
        });
        let new_idx = fam.samples.len();
        let idx32 = u32::try_from(new_idx).map_err(|_| "too many samples in one family".to_owned())?;
        if p.timestamp != fam.group_ts || !present {
            fam.samples.push(Sample {
                name: p.name,
                labels: p.labels,
                value: value.map_or(f64::NAN, Num::f64),
                timestamp: p.timestamp,
                exemplar: p.exemplar,
                native_histogram: None,
                kinds: p.kinds,
            });
            fam.meta.push(Meta { num: value, labels_none: false });
            if !present {
                fam.group_series.entry(shash).or_default().push(idx32);
            }
        }
        if !same_group {
            // A new group: its first sample was just appended (the series set was reset).
            fam.group = Some(new_idx);
            fam.seen_groups.entry(ghash).or_default().push(idx32);
        }
        fam.group_ts = p.timestamp;
    } else {
        fam.samples.push(Sample {
            name: p.name,
            labels: p.labels,
            value: f64::NAN,
            timestamp: p.timestamp,
            exemplar: p.exemplar,
            native_histogram: p.native,
            kinds: SampleKinds { labels_none: p.labels_none, ..p.kinds },
        });
        fam.meta.push(Meta { num: None, labels_none: p.labels_none });
    }

    let typ = &fam.typ;
    if typ.is(MetricType::StateSet) && !value.is_some_and(|v| v.eq(Num::Int(0)) || v.eq(Num::Int(1))) {
        return Err(format!("Stateset samples can only have values zero and one: {line}"));
    }
    if typ.is(MetricType::Info) && !value.is_some_and(|v| v.eq(Num::Int(1))) {
        return Err(format!("Info samples can only have value one: {line}"));
    }
    if quantile_sample && value.is_some_and(|v| v.lt(Num::Int(0))) {
        return Err(format!("Quantile values cannot be negative: {line}"));
    }
    if sample_name_suffix_kind > 0 {
        let Some(v) = value else {
            return Err(format!("must be real number, not NoneType: {line}"));
        };
        if v.is_nan() {
            return Err(format!("Counter-like samples cannot be NaN: {line}"));
        }
        if v.too_large_for_float() {
            return Err(format!("int too large to convert to float: {line}"));
        }
        if sample_name_suffix_kind == 2 && v.lt(Num::Int(0)) {
            return Err(format!("Counter-like samples cannot be negative: {line}"));
        }
    }
    if exemplar_present && !exemplar_ok {
        return Err(format!(
            "Invalid line only histogram/gaugehistogram buckets and counters can have exemplars: {line}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<MetricFamily> {
        match parse_str(text, ValidationScheme::Utf8) {
            Ok(f) => f,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    #[test]
    fn python_numbers() {
        assert!(matches!(py_int("١٢"), Some(PyInt::Small(12))));
        assert!(matches!(py_int(" +0_1 "), Some(PyInt::Small(1))));
        assert!(py_int("1__0").is_none());
        assert!(py_int("_1").is_none());
        assert_eq!(py_float("1_0.5"), Some(10.5));
        assert_eq!(py_float(" -Infinity "), Some(f64::NEG_INFINITY));
        assert!(py_float("1_e5").is_none());
        assert!(py_float("\x1c1").is_none());
        assert_eq!(py_float("\u{a0}1"), Some(1.0));
        assert!(py_float(".").is_none());
        assert_eq!(py_float(".5e1"), Some(5.0));
        assert!(matches!(py_int("99999999999999999999999999999999999999999"), Some(PyInt::Big(_))));
    }

    #[test]
    fn timestamps_follow_prometheus_client() {
        let ts = |s: &str| parse_timestamp(s).unwrap();
        assert_eq!(ts("1.1234567891e3"), Some(Timestamp::Exact { sec: 1, nsec: 123_456_789 }));
        assert_eq!(ts("1e3"), Some(Timestamp::Float(1000.0)));
        assert_eq!(ts("1\t.5"), Some(Timestamp::Exact { sec: 1, nsec: 500_000_000 }));
        assert_eq!(ts("-1.5"), Some(Timestamp::Exact { sec: -1, nsec: -500_000_000 }));
        assert_eq!(ts("-0.5"), Some(Timestamp::Exact { sec: 0, nsec: 500_000_000 }));
        assert!(parse_timestamp("inf").is_err());
        assert!(parse_timestamp("1.-5").is_err());
        assert_eq!(ts("1.+5"), Some(Timestamp::Exact { sec: 1, nsec: 50_000_000 }));
    }

    #[test]
    fn quirks() {
        let f = ok("nan\n# EOF\n");
        assert_eq!(f[0].name, "na");
        assert!(f[0].samples[0].value.is_nan());
        let f = ok("foo 1 5\"abc\n# EOF\n");
        assert_eq!(f[0].samples[0].timestamp, Some(Timestamp::Exact { sec: 5, nsec: 0 }));
        assert!(parse_str("{\"foo.bar\"} 1\n# EOF\n", ValidationScheme::Utf8).is_err());
        let f = ok("# TYPE \"foo.bar\" gauge\n{\"foo.bar\"} 1\n# EOF\n");
        assert_eq!(f[0].samples[0].name, "foo.bar");
        assert_eq!(ok("a 1\na 1\n# EOF\n")[0].samples.len(), 1);
        assert!(parse_str("a{b=\"c\",} 1\n# EOF\n", ValidationScheme::Utf8).is_err());
        assert_eq!(ok("#  HELP  a  x y\n# EOF\n")[0].help, "x y");
        let f = ok("\"foo\"{a=\"b\"} 1\n# EOF\n");
        assert_eq!((f[0].name.as_str(), f[0].samples[0].name.as_str()), ("foo", "\"foo\""));
    }

    #[test]
    fn native_histograms() {
        let nh = "{count:1,sum:2,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],positive_deltas:[1,-1]}";
        let f = ok(&format!("# TYPE foo histogram\nfoo {nh}\n# EOF\n"));
        let s = &f[0].samples[0];
        let n = s.native_histogram.as_ref().unwrap();
        assert_eq!(n.pos_spans, vec![BucketSpan { offset: 0, length: 2 }]);
        assert_eq!(n.pos_deltas, vec![1, -1]);
        assert!(ok(&format!("# TYPE foo histogram\nfoo_x {nh}\n# EOF\n"))[0].samples[0].native_histogram.is_some());
        assert!(parse_str(&format!("# TYPE foo histogram\nfoo_x{{}} {nh}\n# EOF\n"), ValidationScheme::Utf8).is_err());
        assert!(parse_str(&format!("# TYPE foo histogram\nfoo_count {nh}\n# EOF\n"), ValidationScheme::Utf8).is_err());
    }

    #[test]
    fn errors_name_the_line() {
        match parse_str("# TYPE a gauge\na 1\n\n# EOF\n", ValidationScheme::Utf8) {
            Err(Error::Parse { line, msg, .. }) => assert_eq!((line, msg.as_str()), (3, "Received blank line")),
            other => panic!("{other:?}"),
        }
        match parse_str("a 1\n", ValidationScheme::Utf8) {
            Err(Error::Parse { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reader_streams_families_then_errors() {
        let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n";
        let items: Vec<_> = parse_reader(text.as_bytes(), ValidationScheme::Utf8).collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok() && items[2].is_err());
    }
}
