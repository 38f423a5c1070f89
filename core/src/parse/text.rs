//! The Prometheus text format parser: 0.0.4, and 1.0.0 with quoted UTF-8 metric and label
//! names (`{"my.metric", "a.b"="x"} 1`).
//!
//! Two modes:
//!
//! * [`Mode::Lenient`] reproduces prometheus_client 0.26's
//!   `parser.text_string_to_metric_families` exactly: the families it builds (counters
//!   lose `_total` from the family name, or gain it on their samples; `untyped` becomes
//!   `unknown`; a sample that does not belong to the current family becomes a family of
//!   its own), what it accepts and what it rejects, quirks included (values are Python
//!   `int()`/`float()`, so Unicode digits parse; a value with more than one timestamp uses
//!   the last; a TYPE line may be repeated; HELP unescapes only `\\` and `\n`; a line's
//!   leading and trailing Unicode whitespace is ignored; ...). Timestamps are float seconds
//!   ([`Timestamp::Float`]), the milliseconds divided by 1000 as Python does (an integer
//!   division is correctly rounded).
//! * [`Mode::Strict`] accepts the format as Prometheus itself (Go's `expfmt.TextParser`)
//!   does, and rejects more: a repeated HELP or TYPE, a TYPE after samples, a family whose
//!   samples or metadata are not contiguous, invalid metric or label names, `__name__` as
//!   an explicit label, duplicate label names, escapes other than `\\`, `\"`, `\n` in
//!   label values (and other than `\\`, `\n` in HELP), a value or timestamp Go would not
//!   parse (a timestamp is an int64 of milliseconds, a value a Go float within range),
//!   trailing text, a missing final newline, histogram samples other than
//!   `_bucket{le=...}`/`_sum`/`_count`, summary samples other than
//!   `{quantile=...}`/`_sum`/`_count`. It also rejects the few lines that Go and
//!   prometheus_client read differently (`#HELP x` is a HELP for Go and a comment for
//!   prometheus_client). Accepted input gives the same families as lenient mode, except
//!   that samples of one name without HELP/TYPE are grouped into one `unknown` family (as
//!   Go does) instead of one family each, and a HELP after an untyped family's samples
//!   joins that family.
//!
//!   Strict mode accepts nothing that Go or prometheus_client refuses, and is stricter
//!   than Go in places: type names must be lowercase `counter`, `gauge`, `histogram`,
//!   `summary` or `untyped`; a HELP or TYPE needs a metric name (and TYPE a type); `\"` is
//!   refused in HELP text (Go reads `"`, prometheus_client keeps `\"`); a quoted metric name
//!   must come first inside the braces; a metric name must be followed by a blank or `{`
//!   (Go reads `a+1` as `a` with the value `+1`); `__`-prefixed label names are refused (as
//!   prometheus_client does); HELP or TYPE for `x_sum` while `x` is a summary is refused
//!   (Go would file it under `x`). Duplicate series are not looked for (Go's parser does
//!   not either). HELP text is read as prometheus_client reads it (trailing whitespace
//!   dropped), and `# HELP name` without text counts as an empty HELP.
//!
//! The parser works line by line over bytes, holds one family at a time, and never
//! panics; [`TextParser`] streams families from any [`BufRead`].

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::BufRead;

use smallvec::SmallVec;

use crate::compat::python::strings::{decimal as unicode_decimal, lstrip as py_lstrip, strip as py_strip};
use crate::error::{Error, Result};
use crate::model::{MetricFamily, MetricType, Sample, SampleKinds, Timestamp};
use crate::names::{self, ValidationScheme};

use super::quoted::{name_error_text, next_unquoted, split_quoted, unescape};

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// How closely to follow the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Exactly what prometheus_client 0.26's text parser accepts and builds.
    #[default]
    Lenient,
    /// The format as Prometheus (Go's `expfmt` text parser) accepts it, with the checks the
    /// format requires.
    Strict,
}

/// Parses a whole exposition in the given mode, checking names under `scheme`.
pub fn parse_str(text: &str, mode: Mode, scheme: ValidationScheme) -> Result<Vec<MetricFamily>> {
    let mut engine = Engine::new(mode, scheme);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut lineno = 0;
    while pos < text.len() {
        lineno += 1;
        let rest = &text[pos..];
        let (line, terminated, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], true, pos + i + 1),
            None => (rest, false, text.len()),
        };
        engine.line(line, lineno, terminated, &mut out)?;
        pos = next;
    }
    engine.finish(lineno, &mut out)?;
    Ok(out)
}

/// prometheus_client's `text_string_to_metric_families`: [`parse_str`] in
/// [`Mode::Lenient`] with UTF-8 names ([`ValidationScheme::Utf8`], its default).
pub fn text_string_to_metric_families(text: &str) -> Result<Vec<MetricFamily>> {
    parse_str(text, Mode::Lenient, ValidationScheme::Utf8)
}

/// Streams the families of an exposition read from `r`, checking names under `scheme`.
pub fn parse_reader<R: BufRead>(r: R, mode: Mode, scheme: ValidationScheme) -> TextParser<R> {
    TextParser {
        reader: r,
        buf: Vec::new(),
        lineno: 0,
        engine: Engine::new(mode, scheme),
        queue: VecDeque::new(),
        error: None,
        done: false,
    }
}

/// A streaming parser: an iterator over the families of an exposition, read a line at a
/// time. It holds one family (and one line) in memory, plus, in strict mode, the names of
/// the families already seen.
///
/// In lenient mode it yields what prometheus_client's generator yields, in the same order:
/// a family split in two comes out as two families, and the families before an error come
/// out before the error. After an error, or at the end, it yields `None`. The input must
/// be UTF-8 (an invalid line is an error); a read error ends the stream with an error.
pub struct TextParser<R: BufRead> {
    reader: R,
    buf: Vec<u8>,
    lineno: usize,
    engine: Engine,
    queue: VecDeque<MetricFamily>,
    error: Option<Error>,
    done: bool,
}

impl<R: BufRead> std::fmt::Debug for TextParser<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextParser").field("line", &self.lineno).field("done", &self.done).finish_non_exhaustive()
    }
}

impl<R: BufRead> TextParser<R> {
    /// The number of lines read so far.
    pub fn line(&self) -> usize {
        self.lineno
    }

    fn step(&mut self) {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Err(e) => {
                self.error = Some(perr(self.lineno + 1, format!("read error: {e}")));
                self.done = true;
            }
            Ok(0) => {
                if let Err(e) = self.engine.finish(self.lineno, &mut self.queue) {
                    self.error = Some(e);
                }
                self.done = true;
            }
            Ok(_) => {
                self.lineno += 1;
                let terminated = self.buf.last() == Some(&b'\n');
                let content = if terminated { &self.buf[..self.buf.len() - 1] } else { &self.buf[..] };
                let r = match std::str::from_utf8(content) {
                    Ok(line) => self.engine.line(line, self.lineno, terminated, &mut self.queue),
                    Err(e) => Err(perr(self.lineno, format!("invalid UTF-8: {e}"))),
                };
                if let Err(e) = r {
                    self.error = Some(e);
                    self.done = true;
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for TextParser<R> {
    type Item = Result<MetricFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(f) = self.queue.pop_front() {
                return Some(Ok(f));
            }
            if let Some(e) = self.error.take() {
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            self.step();
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for TextParser<R> {}

// ---------------------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------------------

/// Where finished families go.
trait Sink {
    fn put(&mut self, f: MetricFamily);
}

impl Sink for Vec<MetricFamily> {
    fn put(&mut self, f: MetricFamily) {
        self.push(f);
    }
}

impl Sink for VecDeque<MetricFamily> {
    fn put(&mut self, f: MetricFamily) {
        self.push_back(f);
    }
}

fn perr(line: usize, msg: impl Into<String>) -> Error {
    Error::Parse { line, column: 1, msg: msg.into() }
}

enum Engine {
    Lenient(Lenient),
    Strict(Strict),
}

impl Engine {
    fn new(mode: Mode, scheme: ValidationScheme) -> Self {
        let legacy = scheme.is_legacy();
        match mode {
            Mode::Lenient => Self::Lenient(Lenient::new(legacy)),
            Mode::Strict => Self::Strict(Strict::new(legacy)),
        }
    }

    /// One line, without its `\n`; `terminated` tells whether it had one.
    fn line(&mut self, line: &str, lineno: usize, terminated: bool, out: &mut dyn Sink) -> Result<()> {
        match self {
            Self::Lenient(p) => p.line(line, lineno, out),
            Self::Strict(p) => p.line(line, lineno, terminated, out),
        }
    }

    fn finish(&mut self, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        match self {
            Self::Lenient(p) => p.finish(lineno, out),
            Self::Strict(p) => p.finish(lineno, out),
        }
    }
}

/// `string.whitespace`, the separators of `_split_quoted(text, None)`.
fn is_ascii_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// prometheus_client's `_split_quoted(text, None, 3)`: at most four whitespace-separated
/// tokens, double quotes protecting separators, the fourth holding the rest of the line.
fn split_quoted_ws(text: &str) -> SmallVec<[&str; 4]> {
    split_quoted(text, is_ascii_ws)
}

/// `_is_valid_legacy_metric_name`, with a fast path for the usual names.
fn legacy_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(&c) if is_name_start(c, true) => {
            if b[1..].iter().all(|&c| is_name_cont(c, true)) {
                true
            } else {
                names::is_valid_legacy_metric_name(s)
            }
        }
        _ => false,
    }
}

/// prometheus_client's `_unquote_unescape`: strips, removes surrounding quotes, unescapes.
/// Returns the text and whether it was quoted.
fn unquote_unescape(text: &str) -> Result<(Cow<'_, str>, bool), String> {
    if text.is_empty() {
        return Ok((Cow::Borrowed(text), false));
    }
    let mut t = py_strip(text);
    if t.is_empty() {
        // Python indexes the empty string and raises IndexError.
        return Err("string index out of range".into());
    }
    let mut quoted = false;
    if t.as_bytes()[0] == b'"' {
        if t.len() == 1 || !t.ends_with('"') {
            return Err("missing close quote".into());
        }
        t = &t[1..t.len() - 1];
        quoted = true;
    }
    if t.contains('\\') {
        Ok((unescape(t, true), quoted))
    } else {
        Ok((Cow::Borrowed(t), quoted))
    }
}

/// A number as prometheus_client's `_parse_value` reads it.
enum PyNum<'a> {
    /// An `int`: ASCII sign and digits.
    Int(Cow<'a, str>),
    /// A `float`.
    Float(f64),
}

/// The longest digit string Python's `int()` converts (`sys.get_int_max_str_digits()`).
const INT_MAX_STR_DIGITS: usize = 4300;

/// Python's float syntax on ASCII: sign, then `inf`/`infinity`/`nan` or a decimal number.
fn is_py_float_syntax(s: &[u8]) -> bool {
    let body = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") || body.eq_ignore_ascii_case(b"nan")
    {
        return true;
    }
    is_decimal_syntax(body)
}

/// `digits [. digits] | . digits`, then an optional exponent.
fn is_decimal_syntax(b: &[u8]) -> bool {
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len()
}

/// prometheus_client's `_parse_value`: `int(v)`, else `float(v)`; underscores refused.
fn py_parse_value(v: &str) -> Result<PyNum<'_>, String> {
    let bad = || format!("could not convert string to float: {}", crate::compat::python::repr::str_repr(v));
    if v.contains('_') || v != py_strip(v) {
        return Err(format!("Invalid value: {}", crate::compat::python::repr::str_repr(v)));
    }
    // int() and float() first turn Unicode decimal digits into ASCII ones.
    let ascii: Cow<'_, str> = if v.is_ascii() {
        Cow::Borrowed(v)
    } else {
        let mut s = String::with_capacity(v.len());
        for c in v.chars() {
            if c.is_ascii() {
                s.push(c);
            } else if let Some(d) = unicode_decimal(c) {
                s.push(char::from(b'0' + d));
            } else {
                return Err(bad());
            }
        }
        Cow::Owned(s)
    };
    let b = ascii.as_bytes();
    let digits = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && digits.len() <= INT_MAX_STR_DIGITS {
        return Ok(PyNum::Int(ascii));
    }
    if !is_py_float_syntax(b) {
        return Err(bad());
    }
    ascii.parse::<f64>().map(PyNum::Float).map_err(|_| bad())
}

impl PyNum<'_> {
    /// `float(v)`; an int too large for a float gives +-inf (the nearest f64).
    fn value(&self) -> f64 {
        match self {
            Self::Int(s) => {
                let v = s.parse::<f64>().unwrap_or(f64::NAN);
                if v == 0.0 {
                    0.0
                } else {
                    v
                }
            }
            Self::Float(f) => *f,
        }
    }

    /// `v / 1000`, as Python divides: an int division is correctly rounded and raises
    /// OverflowError past float's range.
    fn millis_to_seconds(&self) -> Result<f64, String> {
        match self {
            Self::Int(s) => {
                if let Ok(i) = s.parse::<i64>() {
                    if i.unsigned_abs() < 1 << 53 {
                        // Exact in a float, so one division rounds correctly.
                        return Ok(i as f64 / 1000.0 + 0.0);
                    }
                }
                let mut e = String::with_capacity(s.len() + 3);
                e.push_str(s);
                e.push_str("e-3");
                let v = e.parse::<f64>().map_err(|_| "invalid timestamp".to_owned())?;
                if v.is_infinite() {
                    return Err("integer division result too large for a float".into());
                }
                Ok(if v == 0.0 { 0.0 } else { v })
            }
            Self::Float(f) => Ok(f / 1000.0),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Lenient: prometheus_client's parser
// ---------------------------------------------------------------------------------------

/// Sample-name suffixes a TYPE line allows (prometheus_client's `allowed_names`, relative to
/// the family name).
fn allowed_for(typ: &str) -> &'static [&'static str] {
    match typ {
        "summary" => &["_count", "_sum", ""],
        "histogram" => &["_count", "_sum", "_bucket"],
        _ => &[""],
    }
}

/// The state of `text_fd_to_metric_families`.
struct Lenient {
    legacy: bool,
    /// `name`; empty means no current family.
    name: String,
    name_line: usize,
    documentation: String,
    typ: String,
    type_line: usize,
    samples: Vec<Sample>,
    /// `allowed_names`: `None` is `[]`, `Some(sfx)` is `[name + s for s in sfx]`.
    allowed: Option<&'static [&'static str]>,
}

impl Lenient {
    fn new(legacy: bool) -> Self {
        Self {
            legacy,
            name: String::new(),
            name_line: 0,
            documentation: String::new(),
            typ: "untyped".into(),
            type_line: 0,
            samples: Vec::new(),
            allowed: None,
        }
    }

    fn line(&mut self, line: &str, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        let t = py_strip(line);
        if t.starts_with('#') {
            self.header(t, lineno, out)
        } else if t.is_empty() {
            Ok(())
        } else {
            let sample = parse_sample_lenient(t, self.legacy).map_err(|m| perr(lineno, m))?;
            let allowed = self.allowed.is_some_and(|sfx| {
                sample.name.strip_prefix(self.name.as_str()).is_some_and(|rest| sfx.contains(&rest))
            });
            if allowed {
                self.samples.push(sample);
                return Ok(());
            }
            if !self.name.is_empty() {
                out.put(self.build(lineno)?);
            }
            self.name.clear();
            self.documentation.clear();
            self.typ.clear();
            self.typ.push_str("untyped");
            self.samples = Vec::new();
            self.allowed = None;
            // A family of its own, untyped.
            names::validate_metric_name_with_legacy(&sample.name, self.legacy)
                .map_err(|e| perr(lineno, name_error_text(&e)))?;
            out.put(MetricFamily {
                name: sample.name.clone(),
                help: String::new(),
                metric_type: MetricType::Unknown,
                unit: String::new(),
                samples: vec![sample],
            });
            Ok(())
        }
    }

    fn header(&mut self, t: &str, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        let parts = split_quoted_ws(t);
        if parts.len() < 2 {
            return Ok(());
        }
        let kw = parts[1];
        let mut cand: Cow<'_, str> = Cow::Borrowed("");
        if parts.len() > 2 {
            if kw != "TYPE" && kw != "HELP" {
                return Ok(());
            }
            let (c, quoted) = unquote_unescape(parts[2]).map_err(|m| perr(lineno, m))?;
            if !quoted && !legacy_metric_name(&c) {
                return Err(perr(
                    lineno,
                    format!("invalid metric name in {kw} line: {}", crate::compat::python::repr::str_repr(&c)),
                ));
            }
            cand = c;
        }
        match kw {
            "HELP" => {
                if *cand != *self.name {
                    if !self.name.is_empty() {
                        out.put(self.build(lineno)?);
                    }
                    self.name = cand.into_owned();
                    self.name_line = lineno;
                    self.typ.clear();
                    self.typ.push_str("untyped");
                    self.samples = Vec::new();
                    self.allowed = Some(&[""]);
                }
                self.documentation = match parts.get(3) {
                    Some(doc) if parts.len() == 4 => unescape(doc, false).into_owned(),
                    _ => String::new(),
                };
            }
            "TYPE" => {
                let Some(typ) = parts.get(3).filter(|_| parts.len() == 4) else {
                    return Err(perr(lineno, "TYPE line without a type"));
                };
                if *cand != *self.name {
                    if !self.name.is_empty() {
                        out.put(self.build(lineno)?);
                    }
                    self.name = cand.into_owned();
                    self.name_line = lineno;
                    self.documentation.clear();
                    self.samples = Vec::new();
                }
                self.typ.clear();
                self.typ.push_str(typ);
                self.type_line = lineno;
                self.allowed = Some(allowed_for(typ));
            }
            _ => {}
        }
        Ok(())
    }

    /// `build_metric(name, documentation, typ, samples)`, taking the current family.
    fn build(&mut self, lineno: usize) -> Result<MetricFamily> {
        let mut name = std::mem::take(&mut self.name);
        let mut samples = std::mem::take(&mut self.samples);
        if self.typ == "counter" {
            if let Some(stripped) = name.strip_suffix("_total") {
                name.truncate(stripped.len());
            } else {
                for s in &mut samples {
                    s.name.push_str("_total");
                }
            }
        }
        let line = if self.name_line > 0 { self.name_line } else { lineno };
        names::validate_metric_name_with_legacy(&name, self.legacy).map_err(|e| perr(line, name_error_text(&e)))?;
        let metric_type = MetricType::from_name(&self.typ).map_err(|e| perr(self.type_line.max(1), e.to_string()))?;
        Ok(MetricFamily {
            name,
            help: std::mem::take(&mut self.documentation),
            metric_type,
            unit: String::new(),
            samples,
        })
    }

    fn finish(&mut self, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        if !self.name.is_empty() {
            out.put(self.build(lineno)?);
        }
        Ok(())
    }
}

/// prometheus_client's `_parse_sample` for a stripped, non-empty line.
fn parse_sample_lenient(text: &str, legacy: bool) -> Result<Sample, String> {
    let b = text.as_bytes();
    let label_start = next_unquoted(b, 0, |c| c == b'{');
    let ls = match label_start {
        Some(ls) if !has_space_hash_space(&b[..ls]) => ls,
        _ => {
            // No labels (or an exemplar-looking " # " before the brace).
            let name_end = next_unquoted(b, 0, |c| c == b' ' || c == b'\t');
            let (raw, remaining) = match name_end {
                Some(p) => (&text[..p], &text[p + 1..]),
                // Python slices text[:-1]: the name loses its last character.
                None => (&text[..text.char_indices().last().map_or(0, |(i, _)| i)], text),
            };
            let name = py_strip(raw);
            if !legacy_metric_name(name) {
                return Err(format!("invalid metric name:{text}"));
            }
            let (value, kinds, timestamp) = parse_value_and_timestamp(remaining)?;
            return Ok(Sample {
                name: name.to_owned(),
                labels: Vec::new(),
                value,
                timestamp,
                exemplar: None,
                native_histogram: None,
                kinds,
            });
        }
    };
    let name = py_strip(&text[..ls]);
    let Some(rel) = next_unquoted(&b[ls..], 0, |c| c == b'}') else {
        // Without a closing brace the value is read from the brace on: never a number.
        return Err(format!("Invalid line, no closing brace: {text}"));
    };
    let le = ls + rel;
    let mut labels = parse_labels(&text[ls + 1..le], legacy)?;
    let name = if name.is_empty() {
        match labels.iter().position(|(k, _)| k == "__name__") {
            Some(i) => labels.remove(i).1,
            None => return Err(format!("Invalid line, no metric name: {text}")),
        }
    } else if labels.iter().any(|(k, _)| k == "__name__") {
        return Err("metric name specified more than once".into());
    } else {
        name.to_owned()
    };
    let (value, kinds, timestamp) = parse_value_and_timestamp(&text[le + 1..])?;
    Ok(Sample { name, labels, value, timestamp, exemplar: None, native_histogram: None, kinds })
}

/// Whether `" # "` occurs in `b`.
fn has_space_hash_space(b: &[u8]) -> bool {
    b.len() >= 3 && (1..b.len() - 1).any(|i| b[i] == b'#' && b[i - 1] == b' ' && b[i + 1] == b' ')
}

/// prometheus_client's `_parse_value_and_timestamp`: the first token is the value, the
/// last (if there are two or more) the timestamp in milliseconds; tokens are separated by
/// spaces, or by tabs when there is no space.
fn parse_value_and_timestamp(s: &str) -> Result<(f64, SampleKinds, Option<Timestamp>), String> {
    let s = py_lstrip(s);
    if s.is_empty() {
        return Err("could not convert string to float: ''".into());
    }
    let sep = if s.contains(' ') { ' ' } else { '\t' };
    let mut first: Option<&str> = None;
    let mut last: Option<&str> = None;
    let mut count = 0usize;
    for tok in s.split(sep) {
        let t = py_strip(tok);
        if !t.is_empty() {
            if first.is_none() {
                first = Some(t);
            }
            last = Some(t);
            count += 1;
        }
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Err(format!("could not convert string to float: {}", crate::compat::python::repr::str_repr(s)));
    };
    let num = py_parse_value(first)?;
    let kinds = match &num {
        PyNum::Int(digits) => {
            SampleKinds { value_int: true, value_digits: SampleKinds::big_int_digits(digits), ..SampleKinds::default() }
        }
        PyNum::Float(_) => SampleKinds::default(),
    };
    let value = num.value();
    let timestamp = if count > 1 { Some(Timestamp::Float(py_parse_value(last)?.millis_to_seconds()?)) } else { None };
    Ok((value, kinds, timestamp))
}

/// A dict of labels being built: insertion order, duplicate detection without quadratic
/// cost on long label sets.
struct LabelSet {
    labels: Vec<(String, String)>,
    index: Option<HashSet<String>>,
}

impl LabelSet {
    fn new() -> Self {
        Self { labels: Vec::new(), index: None }
    }

    fn contains(&self, k: &str) -> bool {
        match &self.index {
            Some(ix) => ix.contains(k),
            None => self.labels.iter().any(|(n, _)| n == k),
        }
    }

    fn push(&mut self, k: String, v: String) {
        if let Some(ix) = &mut self.index {
            ix.insert(k.clone());
        } else if self.labels.len() >= 16 {
            let mut ix: HashSet<String> = self.labels.iter().map(|(n, _)| n.clone()).collect();
            ix.insert(k.clone());
            self.index = Some(ix);
        }
        self.labels.push((k, v));
    }
}

/// prometheus_client's `_next_term`: the label name (raw), the stripped value term and the
/// stripped rest (starting with `,` or empty).
fn next_term(text: &str) -> Result<(&str, &str, &str), String> {
    let mut t = text;
    if let Some(rest) = t.strip_prefix(',') {
        t = rest;
        if t.is_empty() {
            return Ok(("", "", ""));
        }
        if t.starts_with(',') {
            return Err("multiple commas".into());
        }
    }
    let b = t.as_bytes();
    let sp = next_unquoted(b, 0, |c| matches!(c, b'=' | b',' | b'}'));
    let (label_name, t, sp) = match sp {
        Some(p) if b[p] == b'=' => {
            let after = &t[p + 1..];
            (&t[..p], after, next_unquoted(after.as_bytes(), 0, |c| c == b',' || c == b'}'))
        }
        _ => ("__name__", t, sp),
    };
    let p = sp.unwrap_or(t.len());
    Ok((label_name, py_strip(&t[..p]), py_strip(&t[p..])))
}

/// The usual term, `[,]name="value"` followed by `,` or the end, read in one pass: the
/// label name (a legacy name), the unescaped value and the rest. `None` sends anything
/// else through [`next_term`]; both give the same result on what this accepts.
fn simple_term(sub: &str) -> Option<(&str, Cow<'_, str>, &str)> {
    let t = sub.strip_prefix(',').unwrap_or(sub);
    let b = t.as_bytes();
    if !is_name_start(*b.first()?, true) {
        return None;
    }
    let mut i = 1;
    while i < b.len() && is_name_cont(b[i], true) {
        i += 1;
    }
    if b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
        return None;
    }
    let start = i + 2;
    let mut j = start;
    let mut escaped = false;
    loop {
        match b.get(j)? {
            b'"' => break,
            b'\\' => {
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
    if !matches!(b.get(j + 1), None | Some(b',')) {
        return None;
    }
    let raw = &t[start..j];
    let value = if escaped { unescape(raw, true) } else { Cow::Borrowed(raw) };
    Some((&t[..i], value, &t[j + 1..]))
}

/// prometheus_client's `parse_labels(labels_string, openmetrics=False)`.
fn parse_labels(s: &str, legacy: bool) -> Result<Vec<(String, String)>, String> {
    let invalid = || format!("Invalid labels: {s}");
    let mut labels = LabelSet::new();
    let mut sub = py_strip(s);
    while !sub.is_empty() {
        if let Some((label_name, label_value, rest)) = simple_term(sub) {
            if label_name != "__name__" {
                names::validate_label_name_with_legacy(label_name, legacy).map_err(|_| invalid())?;
            }
            if labels.contains(label_name) {
                return Err(invalid());
            }
            labels.push(label_name.to_owned(), label_value.into_owned());
            sub = rest;
            continue;
        }
        let (name_term, value_term, rest) = next_term(sub).map_err(|_| invalid())?;
        if rest.len() >= sub.len() {
            // prometheus_client would loop forever here; it cannot happen on a label set
            // cut at its first unquoted '}', but never hang.
            return Err(invalid());
        }
        sub = rest;
        if value_term.is_empty() {
            continue;
        }
        let (label_name, quoted) = unquote_unescape(name_term).map_err(|_| invalid())?;
        if !quoted && !legacy_metric_name(&label_name) {
            return Err(invalid());
        }
        let vb = value_term.as_bytes();
        if vb[0] != b'"' {
            return Err(invalid());
        }
        // The first unescaped quote after the opening one must end the term.
        let mut bs = 0usize;
        let mut close = None;
        for (i, &c) in vb.iter().enumerate().skip(1) {
            if c == b'"' && bs % 2 == 0 {
                close = Some(i);
                break;
            }
            bs = if c == b'\\' { bs + 1 } else { 0 };
        }
        if close != Some(vb.len() - 1) {
            return Err(invalid());
        }
        let (label_value, _) = unquote_unescape(value_term).map_err(|_| invalid())?;
        if label_name != "__name__" {
            names::validate_label_name_with_legacy(&label_name, legacy).map_err(|_| invalid())?;
        }
        if labels.contains(&label_name) {
            return Err(invalid());
        }
        labels.push(label_name.into_owned(), label_value.into_owned());
    }
    Ok(labels.labels)
}

// ---------------------------------------------------------------------------------------
// Strict: the format as Go's expfmt reads it
// ---------------------------------------------------------------------------------------

/// The types the text format knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl SType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "histogram" => Self::Histogram,
            "summary" => Self::Summary,
            "untyped" => Self::Untyped,
            _ => return None,
        })
    }

    fn metric_type(self) -> MetricType {
        match self {
            Self::Counter => MetricType::Counter,
            Self::Gauge => MetricType::Gauge,
            Self::Histogram => MetricType::Histogram,
            Self::Summary => MetricType::Summary,
            Self::Untyped => MetricType::Unknown,
        }
    }
}

struct StrictFamily {
    name: String,
    help: Option<String>,
    typ: Option<SType>,
    samples: Vec<Sample>,
    line: usize,
}

struct Strict {
    legacy: bool,
    cur: Option<StrictFamily>,
    /// Families already finished, by exposition name.
    seen: HashMap<String, SType>,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_blank(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    i
}

fn is_name_start(c: u8, colon: bool) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':')
}

fn is_name_cont(c: u8, colon: bool) -> bool {
    is_name_start(c, colon) || c.is_ascii_digit()
}

/// Reads a quoted string starting at the opening quote `b[i]`; returns the unescaped text
/// and the index after the closing quote. `\\`, `\"` and `\n` are the only escapes.
fn read_quoted(line: &str, i: usize) -> Result<(String, usize), String> {
    let b = line.as_bytes();
    let start = i + 1;
    let mut j = start;
    let mut escaped = false;
    while j < b.len() {
        match b[j] {
            b'"' => {
                let raw = &line[start..j];
                return Ok((if escaped { unescape(raw, true).into_owned() } else { raw.to_owned() }, j + 1));
            }
            b'\\' => {
                match b.get(j + 1) {
                    Some(b'\\' | b'"' | b'n') => {}
                    Some(_) => {
                        let c = line[j + 1..].chars().next().unwrap_or('?');
                        return Err(format!("invalid escape sequence '\\{c}'"));
                    }
                    None => break,
                }
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
    Err("unterminated quoted string".into())
}

/// Go's `parseFloat` (no `p`, `P`, `_`; within range) on a token, read as Python reads it.
fn go_value(tok: &str) -> Result<f64, String> {
    let bad = || format!("expected float as value, got {tok:?}");
    let b = tok.as_bytes();
    let (signed, body) = match b.first() {
        Some(b'+' | b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let special = body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity");
    let nan = body.eq_ignore_ascii_case(b"nan");
    if !(special || (nan && !signed) || is_decimal_syntax(body)) {
        return Err(bad());
    }
    let v = py_parse_value(tok).map_err(|_| bad())?.value();
    if v.is_infinite() && !special {
        return Err(format!("value out of range: {tok:?}"));
    }
    Ok(v)
}

/// Go's `strconv.ParseInt(tok, 10, 64)`, as milliseconds turned into Python's seconds.
fn go_timestamp(tok: &str) -> Result<Timestamp, String> {
    let bad = || format!("expected integer as timestamp, got {tok:?}");
    let b = tok.as_bytes();
    let digits = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || tok.parse::<i64>().is_err() {
        return Err(bad());
    }
    let secs = PyNum::Int(Cow::Borrowed(tok)).millis_to_seconds()?;
    Ok(Timestamp::Float(secs))
}

/// Parses a float the way Go's `parseFloat` does, for `le` and `quantile` values.
fn is_go_float(s: &str) -> bool {
    go_value(s).is_ok()
}

impl Strict {
    fn new(legacy: bool) -> Self {
        Self { legacy, cur: None, seen: HashMap::default() }
    }

    fn line(&mut self, line: &str, lineno: usize, terminated: bool, out: &mut dyn Sink) -> Result<()> {
        let b = line.as_bytes();
        let i = skip_blank(b, 0);
        if i == b.len() {
            return Ok(());
        }
        if b[i] == b'#' {
            self.comment(line, i, lineno, out)?;
        } else {
            let sample = self.parse_sample(line, i).map_err(|m| perr(lineno, m))?;
            self.add_sample(sample, lineno, out)?;
        }
        if !terminated {
            return Err(perr(lineno, "unexpected end of input stream: the last line has no final newline"));
        }
        Ok(())
    }

    fn comment(&mut self, line: &str, hash: usize, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        let b = line.as_bytes();
        // Go: '#', blanks, a keyword up to the next blank.
        let kw_start = skip_blank(b, hash + 1);
        let mut kw_end = kw_start;
        while kw_end < b.len() && !is_blank(b[kw_end]) {
            kw_end += 1;
        }
        let kw = &line[kw_start..kw_end];
        let go_kw = kw == "HELP" || kw == "TYPE";
        // prometheus_client: the second whitespace-separated token.
        let stripped = py_strip(line);
        let parts = split_quoted_ws(stripped);
        let py_kw = parts.len() >= 2 && (parts[1] == "HELP" || parts[1] == "TYPE");
        if !go_kw && !py_kw {
            return Ok(());
        }
        if go_kw != py_kw || parts[0] != "#" {
            return Err(perr(lineno, "ambiguous comment: HELP and TYPE must follow '# ' and be followed by a blank"));
        }
        if kw_end == b.len() {
            return Err(perr(lineno, format!("{kw} line without a metric name")));
        }
        let mut i = skip_blank(b, kw_end);
        if i == b.len() {
            return Err(perr(lineno, format!("{kw} line without a metric name")));
        }
        let name = if b[i] == b'"' {
            let (n, j) = read_quoted(line, i).map_err(|m| perr(lineno, m))?;
            i = j;
            n
        } else if is_name_start(b[i], true) {
            let s = i;
            while i < b.len() && is_name_cont(b[i], true) {
                i += 1;
            }
            line[s..i].to_owned()
        } else {
            return Err(perr(lineno, "invalid metric name in comment"));
        };
        if name.is_empty() {
            return Err(perr(lineno, "empty metric name in comment"));
        }
        if i < b.len() && !is_blank(b[i]) {
            return Err(perr(lineno, "invalid metric name in comment"));
        }
        // Both readings must name the same family.
        let py_name = parts.get(2).map(|p| unquote_unescape(p));
        if !matches!(py_name, Some(Ok((ref n, _))) if *n == *name) {
            return Err(perr(lineno, "ambiguous metric name in comment"));
        }
        let rest_start = skip_blank(b, i);
        let rest = &line[rest_start..];
        if kw == "HELP" {
            // Go reads the rest of the line; only \\ and \n are escapes.
            let rb = rest.as_bytes();
            let mut k = 0;
            while k < rb.len() {
                if rb[k] == b'\\' {
                    match rb.get(k + 1) {
                        Some(b'\\' | b'n') => k += 2,
                        Some(_) => {
                            let c = rest[k + 1..].chars().next().unwrap_or('?');
                            return Err(perr(lineno, format!("invalid escape sequence '\\{c}' in HELP")));
                        }
                        None => return Err(perr(lineno, "HELP ends with a lone backslash")),
                    }
                } else {
                    k += 1;
                }
            }
            // prometheus_client's docstring starts at the same byte.
            let py_doc = match parts.get(3) {
                Some(d) => {
                    let off = d.as_ptr() as usize - line.as_ptr() as usize;
                    if off != rest_start {
                        return Err(perr(lineno, "ambiguous whitespace before the HELP text"));
                    }
                    unescape(d, false).into_owned()
                }
                None => String::new(),
            };
            self.meta(name, Some(py_doc), None, lineno, out)
        } else {
            if rest.is_empty() {
                return Err(perr(lineno, "TYPE line without a type"));
            }
            let Some(t) = SType::parse(rest) else {
                return Err(perr(lineno, format!("unknown metric type {rest:?}")));
            };
            self.meta(name, None, Some(t), lineno, out)
        }
    }

    /// The finished histogram or summary that Go would file `name` under by its suffix,
    /// or the current one.
    fn suffix_parent(&self, name: &str, include_current: bool) -> Option<String> {
        for (suffix, bucket) in [("_count", false), ("_sum", false), ("_bucket", true)] {
            let Some(base) = name.strip_suffix(suffix).filter(|b| !b.is_empty()) else {
                continue;
            };
            let fits = |t: Option<SType>| match t {
                Some(SType::Histogram) => true,
                Some(SType::Summary) => !bucket,
                _ => false,
            };
            if fits(self.seen.get(base).copied()) {
                return Some(base.to_owned());
            }
            if include_current {
                if let Some(f) = self.cur.as_ref().filter(|f| f.name == base) {
                    if fits(f.typ) {
                        return Some(base.to_owned());
                    }
                }
            }
        }
        None
    }

    fn meta(
        &mut self,
        name: String,
        help: Option<String>,
        typ: Option<SType>,
        lineno: usize,
        out: &mut dyn Sink,
    ) -> Result<()> {
        if let Some(f) = self.cur.as_mut().filter(|f| f.name == name) {
            if let Some(h) = help {
                if f.help.is_some() {
                    return Err(perr(lineno, format!("second HELP line for metric name {name:?}")));
                }
                f.help = Some(h);
            }
            if let Some(t) = typ {
                if f.typ.is_some() {
                    let msg = if f.samples.is_empty() {
                        format!("second TYPE line for metric name {name:?}")
                    } else {
                        format!("TYPE line for metric name {name:?} after its samples")
                    };
                    return Err(perr(lineno, msg));
                }
                f.typ = Some(t);
            }
            return Ok(());
        }
        if self.seen.contains_key(&name) {
            return Err(perr(
                lineno,
                format!("metric family {name:?} appears again after other families: its lines must be contiguous"),
            ));
        }
        if let Some(base) = self.suffix_parent(&name, true) {
            return Err(perr(lineno, format!("HELP/TYPE for {name:?} inside the histogram or summary {base:?}")));
        }
        self.finish_current(lineno, out)?;
        self.cur = Some(StrictFamily { name, help, typ, samples: Vec::new(), line: lineno });
        Ok(())
    }

    /// A sample line, Go's grammar: `name [{labels}] value [timestamp]` or
    /// `{"name", labels} value [timestamp]`.
    fn parse_sample(&self, line: &str, start: usize) -> Result<Sample, String> {
        let b = line.as_bytes();
        let mut i = start;
        let mut name: Option<String> = None;
        let mut labels = LabelSet::new();
        let braces_first = b[i] == b'{';
        if !braces_first {
            if b[i] == b'"' {
                return Err("a quoted metric name must be the first item inside the braces".into());
            }
            if !is_name_start(b[i], true) {
                return Err("invalid metric name".into());
            }
            let s = i;
            while i < b.len() && is_name_cont(b[i], true) {
                i += 1;
            }
            name = Some(line[s..i].to_owned());
            // Go would read `a+1` as the name `a` and the value `+1`; the format (and
            // prometheus_client) want a blank or a brace after the name.
            if i < b.len() && !is_blank(b[i]) && b[i] != b'{' {
                return Err(format!("invalid character {:?} in metric name", line[i..].chars().next().unwrap_or('?')));
            }
            i = skip_blank(b, i);
        }
        if i < b.len() && b[i] == b'{' {
            i += 1;
            let mut first = true;
            loop {
                i = skip_blank(b, i);
                let Some(&c) = b.get(i) else {
                    return Err("unexpected end of line inside the label set".into());
                };
                if c == b'}' {
                    i += 1;
                    break;
                }
                let (lname, quoted) = if c == b'"' {
                    let (n, j) = read_quoted(line, i)?;
                    i = j;
                    (n, true)
                } else if is_name_start(c, false) {
                    let s = i;
                    while i < b.len() && is_name_cont(b[i], false) {
                        i += 1;
                    }
                    (line[s..i].to_owned(), false)
                } else {
                    return Err(format!("invalid label name for metric {:?}", name.as_deref().unwrap_or("")));
                };
                if lname.is_empty() {
                    return Err("empty label name".into());
                }
                i = skip_blank(b, i);
                if b.get(i) != Some(&b'=') {
                    if braces_first && first && quoted && matches!(b.get(i), Some(b',' | b'}')) {
                        name = Some(lname);
                        first = false;
                        if b[i] == b',' {
                            i += 1;
                        }
                        continue;
                    }
                    return Err(format!("expected '=' after label name {lname:?}"));
                }
                first = false;
                if braces_first && name.is_none() {
                    return Err("the metric name must be the first item inside the braces".into());
                }
                i = skip_blank(b, i + 1);
                if b.get(i) != Some(&b'"') {
                    return Err(format!("expected '\"' at start of the value of label {lname:?}"));
                }
                let (value, j) = read_quoted(line, i)?;
                i = j;
                if lname == "__name__" {
                    return Err("label name \"__name__\" is reserved".into());
                }
                names::validate_label_name_with_legacy(&lname, self.legacy).map_err(|e| name_error_text(&e))?;
                if labels.contains(&lname) {
                    return Err(format!("duplicate label name {lname:?}"));
                }
                labels.push(lname, value);
                i = skip_blank(b, i);
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return Err(format!("unexpected text after the value of label {:?}", labels_last(&labels))),
                }
            }
            i = skip_blank(b, i);
        }
        let Some(name) = name else {
            return Err("invalid metric name: no name in the braces".into());
        };
        let vs = i;
        while i < b.len() && !is_blank(b[i]) {
            i += 1;
        }
        if vs == i {
            return Err("expected a value".into());
        }
        let value = go_value(&line[vs..i])?;
        let mut timestamp = None;
        if i < b.len() {
            i = skip_blank(b, i);
            let ts = i;
            while i < b.len() && !is_blank(b[i]) {
                i += 1;
            }
            if ts == i {
                return Err("expected integer as timestamp, got trailing whitespace".into());
            }
            timestamp = Some(go_timestamp(&line[ts..i])?);
            if i < b.len() {
                return Err(format!("spurious string after timestamp: {:?}", &line[i..]));
            }
        }
        // The strict mode follows Go's parser, which knows only floats.
        let kinds = SampleKinds::default();
        Ok(Sample { name, labels: labels.labels, value, timestamp, exemplar: None, native_histogram: None, kinds })
    }

    fn add_sample(&mut self, s: Sample, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        if self.seen.contains_key(&s.name) {
            return Err(perr(
                lineno,
                format!("metric family {:?} appears again after other families: its lines must be contiguous", s.name),
            ));
        }
        if let Some(f) = self.cur.as_mut() {
            let suffix = s.name.strip_prefix(f.name.as_str());
            let routed = matches!(
                (f.typ, suffix),
                (_, Some(""))
                    | (Some(SType::Summary), Some("_sum" | "_count"))
                    | (Some(SType::Histogram), Some("_sum" | "_count" | "_bucket"))
            );
            if routed {
                let label = |k: &str| s.labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                match (f.typ, suffix) {
                    (Some(SType::Histogram), Some("")) => {
                        return Err(perr(
                            lineno,
                            format!("histogram {:?} sample without _bucket, _sum or _count", f.name),
                        ));
                    }
                    (Some(SType::Histogram), Some("_bucket")) => match label("le") {
                        Some(v) if is_go_float(v) => {}
                        Some(v) => {
                            return Err(perr(lineno, format!("expected float as value for 'le' label, got {v:?}")))
                        }
                        None => {
                            return Err(perr(lineno, format!("histogram bucket of {:?} without an 'le' label", f.name)))
                        }
                    },
                    (Some(SType::Histogram), _) if label("le").is_some() => {
                        return Err(perr(lineno, format!("'le' label on {:?}, which is not a bucket", s.name)));
                    }
                    (Some(SType::Summary), Some("")) => match label("quantile") {
                        Some(v) if is_go_float(v) => {}
                        Some(v) => {
                            return Err(perr(
                                lineno,
                                format!("expected float as value for 'quantile' label, got {v:?}"),
                            ))
                        }
                        None => {
                            return Err(perr(lineno, format!("summary {:?} sample without a 'quantile' label", f.name)))
                        }
                    },
                    (Some(SType::Summary), _) if label("quantile").is_some() => {
                        return Err(perr(lineno, format!("'quantile' label on {:?}, which is not a quantile", s.name)));
                    }
                    _ => {}
                }
                f.typ.get_or_insert(SType::Untyped);
                f.samples.push(s);
                return Ok(());
            }
        }
        if let Some(base) = self.suffix_parent(&s.name, false) {
            return Err(perr(
                lineno,
                format!("sample {:?} of {base:?} appears after other families: its lines must be contiguous", s.name),
            ));
        }
        self.finish_current(lineno, out)?;
        self.cur = Some(StrictFamily {
            name: s.name.clone(),
            help: None,
            typ: Some(SType::Untyped),
            samples: vec![s],
            line: lineno,
        });
        Ok(())
    }

    fn finish_current(&mut self, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        let Some(f) = self.cur.take() else {
            return Ok(());
        };
        let typ = f.typ.unwrap_or(SType::Untyped);
        self.seen.insert(f.name.clone(), typ);
        let mut name = f.name;
        let mut samples = f.samples;
        if typ == SType::Counter {
            if let Some(stripped) = name.strip_suffix("_total") {
                name.truncate(stripped.len());
            } else {
                for s in &mut samples {
                    s.name.push_str("_total");
                }
            }
        }
        names::validate_metric_name_with_legacy(&name, self.legacy)
            .map_err(|e| perr(if f.line > 0 { f.line } else { lineno }, name_error_text(&e)))?;
        out.put(MetricFamily {
            name,
            help: f.help.unwrap_or_default(),
            metric_type: typ.metric_type(),
            unit: String::new(),
            samples,
        });
        Ok(())
    }

    fn finish(&mut self, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        self.finish_current(lineno, out)
    }
}

fn labels_last(l: &LabelSet) -> &str {
    l.labels.last().map_or("", |(k, _)| k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lenient(s: &str) -> Result<Vec<MetricFamily>> {
        parse_str(s, Mode::Lenient, ValidationScheme::Utf8)
    }

    fn strict(s: &str) -> Result<Vec<MetricFamily>> {
        parse_str(s, Mode::Strict, ValidationScheme::Utf8)
    }

    fn err_line(r: Result<Vec<MetricFamily>>) -> usize {
        match r {
            Err(Error::Parse { line, .. }) => line,
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn counters_gain_or_lose_total() -> Result<()> {
        let f = lenient("# TYPE a_total counter\na_total 1\n# TYPE b counter\nb 2\n")?;
        assert_eq!((f[0].name.as_str(), f[0].samples[0].name.as_str()), ("a", "a_total"));
        assert_eq!((f[1].name.as_str(), f[1].samples[0].name.as_str()), ("b", "b_total"));
        assert_eq!(f[1].metric_type, MetricType::Counter);
        Ok(())
    }

    #[test]
    fn untyped_samples_are_singletons() -> Result<()> {
        let f = lenient("a 1\na 2\n")?;
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].metric_type, MetricType::Unknown);
        let g = strict("a 1\na 2\n")?;
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].samples.len(), 2);
        Ok(())
    }

    #[test]
    fn python_quirks() -> Result<()> {
        // No separator: the name loses its last character, the value is the whole line.
        let f = lenient("inf")?;
        assert_eq!(f[0].name, "in");
        assert!(f[0].samples[0].value.is_infinite());
        // Values are int() or float(), Unicode digits included; the last token is the timestamp.
        let f = lenient("a \u{661}\u{662} 5 2000\n")?;
        assert_eq!(f[0].samples[0].value, 12.0);
        assert_eq!(f[0].samples[0].timestamp, Some(Timestamp::Float(2.0)));
        // -0 is an int: 0.0.
        let f = lenient("a -0 -0\n")?;
        assert!(f[0].samples[0].value.is_sign_positive());
        assert!(f[0].samples[0].timestamp.is_some_and(|t| t.as_f64().is_sign_positive()));
        // Unknown escapes stay; HELP does not unescape quotes.
        let f = lenient("# HELP a x\\ty\\\"z\\\\\\n\na 1\n")?;
        assert_eq!(f[0].help, "x\\ty\\\"z\\\n");
        // A label name with an escaped trailing newline passes the legacy regex.
        let f = lenient("a{b\\n=\"c\"} 1\n")?;
        assert_eq!(f[0].samples[0].labels, vec![("b\n".to_owned(), "c".to_owned())]);
        Ok(())
    }

    #[test]
    fn utf8_names() -> Result<()> {
        let text = "# HELP \"my.metric\" h\n# TYPE \"my.metric\" gauge\n{\"my.metric\", \"a.b\"=\"x\"} 1\n";
        for mode in [Mode::Lenient, Mode::Strict] {
            let f = parse_str(text, mode, ValidationScheme::Utf8)?;
            assert_eq!(f[0].name, "my.metric");
            assert_eq!(f[0].samples[0].labels, vec![("a.b".to_owned(), "x".to_owned())]);
        }
        Ok(())
    }

    #[test]
    fn strict_rejects() {
        let cases: &[(&str, usize)] = &[
            ("# TYPE a gauge\n# TYPE a gauge\na 1\n", 2),
            ("# HELP a x\n# HELP a y\n", 2),
            ("a 1\n# TYPE a gauge\n", 2),
            ("a 1\nb 1\na 2\n", 3),
            ("a{b=\"1\",b=\"2\"} 1\n", 1),
            ("a{b=\"\\t\"} 1\n", 1),
            ("a 1", 1),
            ("a 1 \n", 1),
            ("a 1\r\n", 1),
            ("# TYPE h histogram\nh_bucket 1\n", 2),
            ("# TYPE h histogram\nh_sum{le=\"1\"} 1\n", 2),
            ("# TYPE s summary\ns 1\n", 2),
            ("#HELP a x\n", 1),
            ("a{__name__=\"b\"} 1\n", 1),
            ("a{__x=\"b\"} 1\n", 1),
            ("a 1e400\n", 1),
            ("a 1 2 3\n", 1),
            ("\n\nx{a=\"b\"} 1 1.5\n", 3),
        ];
        for (text, line) in cases {
            assert_eq!(err_line(strict(text)), *line, "{text:?}");
        }
    }

    #[test]
    fn lenient_errors_name_their_line() {
        assert_eq!(err_line(lenient("a 1\nb{c=\"d\" 1\n")), 2);
        assert_eq!(err_line(lenient("a 1\n\n# TYPE b\n")), 3);
        assert_eq!(err_line(lenient("a x\n")), 1);
        // An invalid type is found when the family ends (as in Python), reported at its TYPE line.
        assert_eq!(err_line(lenient("x 1\n# TYPE a bogus\na 1\n# TYPE b gauge\n")), 2);
        let mut stream = parse_reader("x 1\n# TYPE a bogus\na 1\n".as_bytes(), Mode::Lenient, ValidationScheme::Utf8);
        assert!(matches!(stream.next(), Some(Ok(f)) if f.name == "x"));
        assert!(matches!(stream.next(), Some(Err(Error::Parse { line: 2, .. }))));
        assert!(stream.next().is_none());
        // A later TYPE line fixes it before the family ends.
        assert!(lenient("# TYPE a bogus\n# TYPE a gauge\na 1\n").is_ok());
    }

    #[test]
    fn streaming_matches_parse_str() {
        let text = "a 1\n# HELP b x\nb 2\nb{c=\"d\"} 3\n# TYPE b counter\nc 1\n";
        let all = lenient(text).unwrap_or_default();
        let streamed: Vec<_> = parse_reader(text.as_bytes(), Mode::Lenient, ValidationScheme::Utf8)
            .collect::<Result<_>>()
            .unwrap_or_default();
        assert_eq!(all, streamed);
        assert_eq!(all.len(), 3);
    }
}
