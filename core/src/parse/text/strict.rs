//! The strict rules: the text format as Prometheus itself (Go's `expfmt.TextParser`) reads
//! it, with the checks the format requires (see the [module docs](super)).

use crate::compat::python::kinds::SampleKinds;
use crate::compat::python::strings::strip as py_strip;
use crate::error::Result;
use crate::model::{MetricFamily, MetricType, Sample, Timestamp};

use super::super::lex::number::{is_decimal_syntax, is_infinity_word, parse_value, Num};
use super::super::lex::{
    is_name_cont, is_name_start, line_error, name_error_text, offset_of, unescape, unquote_unescape,
    validate_label_name, validate_metric_name, LabelSet, Line, LineError,
};
use super::super::stream::{Rules, Sink};
use super::lenient::split_quoted_ws;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

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

/// The family being read.
struct StrictFamily {
    name: String,
    help: Option<String>,
    typ: Option<SType>,
    samples: Vec<Sample>,
    /// The line that started it.
    line: usize,
}

/// Where the parts of a sample line start (byte offsets in the line).
#[derive(Clone, Copy)]
struct SampleAt {
    name: usize,
    /// The label set's `{`, or where it would be.
    labels: usize,
}

/// The state of the strict parser.
pub(super) struct Strict {
    rules: Rules,
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

/// The end of the name that starts at `b[i]`.
fn name_end(b: &[u8], mut i: usize, colon: bool) -> usize {
    while i < b.len() && is_name_cont(b[i], colon) {
        i += 1;
    }
    i
}

/// Reads a quoted string starting at the opening quote `b[i]`; returns the unescaped text
/// and the index after the closing quote. `\\`, `\"` and `\n` are the only escapes.
fn read_quoted(line: &str, i: usize) -> Result<(String, usize), LineError> {
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
                        return Err(LineError::at(j, format!("invalid escape sequence '\\{c}'")));
                    }
                    None => break,
                }
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
    Err(LineError::at(i, "unterminated quoted string"))
}

/// Go's `parseFloat` (no `p`, `P`, `_`; within range) on a token, read as Python reads it.
fn go_value(tok: &str) -> Result<f64, String> {
    let bad = || format!("expected float as value, got {tok:?}");
    let b = tok.as_bytes();
    let (signed, body) = match b.first() {
        Some(b'+' | b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let special = is_infinity_word(body);
    let nan = body.eq_ignore_ascii_case(b"nan");
    if !(special || (nan && !signed) || is_decimal_syntax(body)) {
        return Err(bad());
    }
    let v = parse_value(tok).map_err(|_| bad())?.f64();
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
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let ms = tok.parse::<i64>().map_err(|_| bad())?;
    Ok(Timestamp::Float(Num::Int(i128::from(ms)).millis_to_seconds(tok)?))
}

/// Whether Go's `parseFloat` takes `s`, for `le` and `quantile` values.
fn is_go_float(s: &str) -> bool {
    go_value(s).is_ok()
}

/// The value and optional timestamp from `line[i..]` to the end of the line.
fn value_and_timestamp(line: &str, mut i: usize) -> Result<(f64, Option<Timestamp>), LineError> {
    let b = line.as_bytes();
    let vs = i;
    while i < b.len() && !is_blank(b[i]) {
        i += 1;
    }
    if vs == i {
        return Err(LineError::at(vs, "expected a value"));
    }
    let value = go_value(&line[vs..i]).map_err(|m| LineError::at(vs, m))?;
    if i == b.len() {
        return Ok((value, None));
    }
    let ts = skip_blank(b, i);
    i = ts;
    while i < b.len() && !is_blank(b[i]) {
        i += 1;
    }
    if ts == i {
        return Err(LineError::at(ts, "expected integer as timestamp, got trailing whitespace"));
    }
    let timestamp = go_timestamp(&line[ts..i]).map_err(|m| LineError::at(ts, m))?;
    if i < b.len() {
        return Err(LineError::at(i, format!("spurious string after timestamp: {:?}", &line[i..])));
    }
    Ok((value, Some(timestamp)))
}

impl Strict {
    pub(super) fn new(rules: Rules) -> Self {
        Self { rules, cur: None, seen: HashMap::default() }
    }

    /// One line, without its `\n`; `terminated` tells whether it had one.
    pub(super) fn line(&mut self, line: &str, lineno: usize, terminated: bool, out: &mut dyn Sink) -> Result<()> {
        let here = Line { no: lineno, text: line };
        let b = line.as_bytes();
        let i = skip_blank(b, 0);
        if i == b.len() {
            return Ok(());
        }
        if b[i] == b'#' {
            self.comment(here, i, out)?;
        } else {
            let (sample, at) = self.parse_sample(line, i).map_err(|e| here.error(e))?;
            self.add_sample(sample, at, here, out)?;
        }
        if !terminated {
            return Err(here.error_at(line.len(), "unexpected end of input stream: the last line has no final newline"));
        }
        Ok(())
    }

    /// A comment line whose `#` is at `hash`.
    fn comment(&mut self, here: Line<'_>, hash: usize, out: &mut dyn Sink) -> Result<()> {
        let line = here.text;
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
        let parts = split_quoted_ws(py_strip(line));
        let py_kw = parts.len() >= 2 && (parts[1] == "HELP" || parts[1] == "TYPE");
        if !go_kw && !py_kw {
            return Ok(());
        }
        if go_kw != py_kw || parts[0] != "#" {
            return Err(
                here.error_at(hash, "ambiguous comment: HELP and TYPE must follow '# ' and be followed by a blank")
            );
        }
        let name_at = skip_blank(b, kw_end);
        if kw_end == b.len() || name_at == b.len() {
            return Err(here.error_at(name_at, format!("{kw} line without a metric name")));
        }
        let (name, i) = comment_name(line, name_at).map_err(|e| here.error(e))?;
        // Both readings must name the same family.
        let py_name = parts.get(2).map(|p| unquote_unescape(p));
        if !matches!(py_name, Some(Ok((ref n, _))) if *n == *name) {
            return Err(here.error_at(name_at, "ambiguous metric name in comment"));
        }
        let rest_start = skip_blank(b, i);
        let rest = &line[rest_start..];
        if kw == "HELP" {
            let doc = help_text(line, rest_start, parts.get(3).copied()).map_err(|e| here.error(e))?;
            self.meta(name, name_at, Some(doc), None, here, out)
        } else {
            if rest.is_empty() {
                return Err(here.error_at(rest_start, "TYPE line without a type"));
            }
            let Some(t) = SType::parse(rest) else {
                return Err(here.error_at(rest_start, format!("unknown metric type {rest:?}")));
            };
            self.meta(name, name_at, None, Some(t), here, out)
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

    /// A HELP or TYPE for `name`, whose name starts at byte `name_at`.
    fn meta(
        &mut self,
        name: String,
        name_at: usize,
        help: Option<String>,
        typ: Option<SType>,
        here: Line<'_>,
        out: &mut dyn Sink,
    ) -> Result<()> {
        if let Some(f) = self.cur.as_mut().filter(|f| f.name == name) {
            if let Some(h) = help {
                if f.help.is_some() {
                    return Err(line_error(here.no, format!("second HELP line for metric name {name:?}")));
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
                    return Err(line_error(here.no, msg));
                }
                f.typ = Some(t);
            }
            return Ok(());
        }
        if self.seen.contains_key(&name) {
            let msg =
                format!("metric family {name:?} appears again after other families: its lines must be contiguous");
            return Err(here.error_at(name_at, msg));
        }
        if let Some(base) = self.suffix_parent(&name, true) {
            let msg = format!("HELP/TYPE for {name:?} inside the histogram or summary {base:?}");
            return Err(here.error_at(name_at, msg));
        }
        self.finish_current(here.no, out)?;
        self.cur = Some(StrictFamily { name, help, typ, samples: Vec::new(), line: here.no });
        Ok(())
    }

    /// A sample line, Go's grammar: `name [{labels}] value [timestamp]` or
    /// `{"name", labels} value [timestamp]`, starting at byte `start`.
    fn parse_sample(&self, line: &str, start: usize) -> Result<(Sample, SampleAt), LineError> {
        let b = line.as_bytes();
        let mut i = start;
        let mut name: Option<String> = None;
        let braces_first = b[i] == b'{';
        if !braces_first {
            if b[i] == b'"' {
                return Err(LineError::at(i, "a quoted metric name must be the first item inside the braces"));
            }
            if !is_name_start(b[i], true) {
                return Err(LineError::at(i, "invalid metric name"));
            }
            let s = i;
            i = name_end(b, i, true);
            name = Some(line[s..i].to_owned());
            // Go would read `a+1` as the name `a` and the value `+1`; the format (and
            // prometheus_client) want a blank or a brace after the name.
            if i < b.len() && !is_blank(b[i]) && b[i] != b'{' {
                let c = line[i..].chars().next().unwrap_or('?');
                return Err(LineError::at(i, format!("invalid character {c:?} in metric name")));
            }
            i = skip_blank(b, i);
        }
        let at = SampleAt { name: start, labels: i };
        let mut labels = LabelSet::new();
        if i < b.len() && b[i] == b'{' {
            i = self.label_set(line, i + 1, braces_first, &mut name, &mut labels)?;
            i = skip_blank(b, i);
        }
        let Some(name) = name else {
            return Err(LineError::at(start, "invalid metric name: no name in the braces"));
        };
        let (value, timestamp) = value_and_timestamp(line, i)?;
        let sample =
            Sample { name, labels: labels.into_vec(), value, timestamp, exemplar: None, native_histogram: None };
        Ok((sample, at))
    }

    /// The labels after the `{` before byte `i`, into `labels` (and, braces first, the
    /// metric name into `name`); returns the index after the `}`.
    fn label_set(
        &self,
        line: &str,
        mut i: usize,
        braces_first: bool,
        name: &mut Option<String>,
        labels: &mut LabelSet,
    ) -> Result<usize, LineError> {
        let b = line.as_bytes();
        let mut first = true;
        loop {
            i = skip_blank(b, i);
            let Some(&c) = b.get(i) else {
                return Err(LineError::at(i, "unexpected end of line inside the label set"));
            };
            if c == b'}' {
                return Ok(i + 1);
            }
            let label_at = i;
            let (lname, quoted, j) = label_name(line, i, name.as_deref())?;
            i = skip_blank(b, j);
            if b.get(i) != Some(&b'=') {
                if braces_first && first && quoted && matches!(b.get(i), Some(b',' | b'}')) {
                    *name = Some(lname);
                    first = false;
                    if b[i] == b',' {
                        i += 1;
                    }
                    continue;
                }
                return Err(LineError::at(i, format!("expected '=' after label name {lname:?}")));
            }
            first = false;
            if braces_first && name.is_none() {
                return Err(LineError::at(label_at, "the metric name must be the first item inside the braces"));
            }
            i = skip_blank(b, i + 1);
            if b.get(i) != Some(&b'"') {
                return Err(LineError::at(i, format!("expected '\"' at start of the value of label {lname:?}")));
            }
            let (value, j) = read_quoted(line, i)?;
            i = skip_blank(b, j);
            self.check_label(&lname, labels).map_err(|m| LineError::at(label_at, m))?;
            labels.push(lname, value);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => return Ok(i + 1),
                _ => {
                    let msg = format!("unexpected text after the value of label {:?}", labels.last_name());
                    return Err(LineError::at(i, msg));
                }
            }
        }
    }

    /// A label name must not be `__name__`, must be valid, and must not repeat.
    fn check_label(&self, lname: &str, labels: &LabelSet) -> Result<(), String> {
        if lname == "__name__" {
            return Err("label name \"__name__\" is reserved".into());
        }
        validate_label_name(lname, self.rules.scheme).map_err(|e| name_error_text(&e))?;
        if labels.contains(lname) {
            return Err(format!("duplicate label name {lname:?}"));
        }
        Ok(())
    }

    fn add_sample(&mut self, s: Sample, at: SampleAt, here: Line<'_>, out: &mut dyn Sink) -> Result<()> {
        if self.seen.contains_key(&s.name) {
            let msg =
                format!("metric family {:?} appears again after other families: its lines must be contiguous", s.name);
            return Err(here.error_at(at.name, msg));
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
                check_member(f, &s, suffix.unwrap_or_default(), at).map_err(|e| here.error(e))?;
                f.typ.get_or_insert(SType::Untyped);
                f.samples.push(s);
                return Ok(());
            }
        }
        if let Some(base) = self.suffix_parent(&s.name, false) {
            let msg =
                format!("sample {:?} of {base:?} appears after other families: its lines must be contiguous", s.name);
            return Err(here.error_at(at.name, msg));
        }
        self.finish_current(here.no, out)?;
        self.cur = Some(StrictFamily {
            name: s.name.clone(),
            help: None,
            typ: Some(SType::Untyped),
            samples: vec![s],
            line: here.no,
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
        validate_metric_name(&name, self.rules.scheme)
            .map_err(|e| line_error(if f.line > 0 { f.line } else { lineno }, name_error_text(&e)))?;
        // Go's parser knows only floats, so every value is a Python float.
        let kinds = if self.rules.kinds { vec![SampleKinds::default(); samples.len()] } else { Vec::new() };
        let family = MetricFamily {
            name,
            help: f.help.unwrap_or_default(),
            metric_type: typ.metric_type(),
            unit: String::new(),
            samples,
        };
        out.put(family, kinds);
        Ok(())
    }

    pub(super) fn finish(&mut self, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        self.finish_current(lineno, out)
    }
}

/// A label name at `b[i]`, quoted or bare: the name, whether it was quoted, and the index
/// after it. `metric` names the metric, for the message.
fn label_name(line: &str, i: usize, metric: Option<&str>) -> Result<(String, bool, usize), LineError> {
    let b = line.as_bytes();
    let (lname, quoted, j) = if b[i] == b'"' {
        let (n, j) = read_quoted(line, i)?;
        (n, true, j)
    } else if is_name_start(b[i], false) {
        let j = name_end(b, i, false);
        (line[i..j].to_owned(), false, j)
    } else {
        return Err(LineError::at(i, format!("invalid label name for metric {:?}", metric.unwrap_or(""))));
    };
    if lname.is_empty() {
        return Err(LineError::at(i, "empty label name"));
    }
    Ok((lname, quoted, j))
}

/// The metric name of a HELP or TYPE line, starting at `b[i]`, and the index after it.
fn comment_name(line: &str, i: usize) -> Result<(String, usize), LineError> {
    let b = line.as_bytes();
    let (name, j) = if b[i] == b'"' {
        read_quoted(line, i)?
    } else if is_name_start(b[i], true) {
        let j = name_end(b, i, true);
        (line[i..j].to_owned(), j)
    } else {
        return Err(LineError::at(i, "invalid metric name in comment"));
    };
    if name.is_empty() {
        return Err(LineError::at(i, "empty metric name in comment"));
    }
    if j < b.len() && !is_blank(b[j]) {
        return Err(LineError::at(j, "invalid metric name in comment"));
    }
    Ok((name, j))
}

/// The HELP text from `line[rest_start..]` as Go reads it (only `\\` and `\n` are
/// escapes), which must also be where prometheus_client's docstring (`py_doc`) starts.
fn help_text(line: &str, rest_start: usize, py_doc: Option<&str>) -> Result<String, LineError> {
    let rb = &line.as_bytes()[rest_start..];
    let mut k = 0;
    while k < rb.len() {
        if rb[k] != b'\\' {
            k += 1;
            continue;
        }
        match rb.get(k + 1) {
            Some(b'\\' | b'n') => k += 2,
            Some(_) => {
                let c = line[rest_start + k + 1..].chars().next().unwrap_or('?');
                return Err(LineError::at(rest_start + k, format!("invalid escape sequence '\\{c}' in HELP")));
            }
            None => return Err(LineError::at(rest_start + k, "HELP ends with a lone backslash")),
        }
    }
    match py_doc {
        Some(d) => {
            if offset_of(line, d) != rest_start {
                return Err(LineError::at(rest_start, "ambiguous whitespace before the HELP text"));
            }
            Ok(unescape(d, false).into_owned())
        }
        None => Ok(String::new()),
    }
}

/// The checks on a sample that joins the current family `f` as `f.name + suffix`.
fn check_member(f: &StrictFamily, s: &Sample, suffix: &str, at: SampleAt) -> Result<(), LineError> {
    let label = |k: &str| s.labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let labels_err = |msg: String| Err(LineError::at(at.labels, msg));
    match (f.typ, suffix) {
        (Some(SType::Histogram), "") => {
            Err(LineError::at(at.name, format!("histogram {:?} sample without _bucket, _sum or _count", f.name)))
        }
        (Some(SType::Histogram), "_bucket") => match label("le") {
            Some(v) if is_go_float(v) => Ok(()),
            Some(v) => labels_err(format!("expected float as value for 'le' label, got {v:?}")),
            None => labels_err(format!("histogram bucket of {:?} without an 'le' label", f.name)),
        },
        (Some(SType::Histogram), _) if label("le").is_some() => {
            labels_err(format!("'le' label on {:?}, which is not a bucket", s.name))
        }
        (Some(SType::Summary), "") => match label("quantile") {
            Some(v) if is_go_float(v) => Ok(()),
            Some(v) => labels_err(format!("expected float as value for 'quantile' label, got {v:?}")),
            None => labels_err(format!("summary {:?} sample without a 'quantile' label", f.name)),
        },
        (Some(SType::Summary), _) if label("quantile").is_some() => {
            labels_err(format!("'quantile' label on {:?}, which is not a quantile", s.name))
        }
        _ => Ok(()),
    }
}
