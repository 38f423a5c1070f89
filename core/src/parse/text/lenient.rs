//! The lenient rules: prometheus_client 0.26's `parser.text_fd_to_metric_families`, one
//! line at a time, quirks included (see the [module docs](super)).

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::compat::python::kinds::SampleKinds;
use crate::compat::python::repr::str_repr;
use crate::compat::python::strings::{lstrip as py_lstrip, strip as py_strip};
use crate::error::Result;
use crate::model::{MetricFamily, MetricType, Sample, Timestamp};

use super::super::lex::number::{parse_value, Num};
use super::super::lex::{
    is_legacy_metric_name, line_error, minus_last_char, name_error_text, next_unquoted, offset_of, parse_labels,
    split_quoted, unescape, unquote_unescape, validate_metric_name, Grammar, LineError,
};
use super::super::stream::{Rules, Sink};

/// `string.whitespace`, the separators of `_split_quoted(text, None)`.
fn is_ascii_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// prometheus_client's `_split_quoted(text, None, 3)`: at most four whitespace-separated
/// tokens, double quotes protecting separators, the fourth holding the rest of the line.
pub(super) fn split_quoted_ws(text: &str) -> SmallVec<[&str; 4]> {
    split_quoted(text, is_ascii_ws)
}

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
pub(super) struct Lenient {
    rules: Rules,
    /// `name`; empty means no current family.
    name: String,
    name_line: usize,
    documentation: String,
    typ: String,
    type_line: usize,
    samples: Vec<Sample>,
    /// The samples' kinds, when the rules ask for them.
    kinds: Vec<SampleKinds>,
    /// `allowed_names`: `None` is `[]`, `Some(sfx)` is `[name + s for s in sfx]`.
    allowed: Option<&'static [&'static str]>,
}

impl Lenient {
    pub(super) fn new(rules: Rules) -> Self {
        Self {
            rules,
            name: String::new(),
            name_line: 0,
            documentation: String::new(),
            typ: "untyped".into(),
            type_line: 0,
            samples: Vec::new(),
            kinds: Vec::new(),
            allowed: None,
        }
    }

    /// One line, without its `\n`.
    pub(super) fn line(&mut self, line: &str, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        let t = py_strip(line);
        if t.starts_with('#') {
            self.header(line, t, lineno, out)
        } else if t.is_empty() {
            Ok(())
        } else {
            self.sample(line, t, lineno, out)
        }
    }

    /// A sample line; `t` is `line` stripped.
    fn sample(&mut self, line: &str, t: &str, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        let base = offset_of(line, t);
        let (sample, kinds) = parse_sample(t, self.rules).map_err(|e| e.shifted(base).into_error(lineno, line))?;
        let allowed = self
            .allowed
            .is_some_and(|sfx| sample.name.strip_prefix(self.name.as_str()).is_some_and(|rest| sfx.contains(&rest)));
        if allowed {
            self.samples.push(sample);
            if self.rules.kinds {
                self.kinds.push(kinds);
            }
            return Ok(());
        }
        if !self.name.is_empty() {
            let (f, k) = self.build(lineno)?;
            out.put(f, k);
        }
        self.name.clear();
        self.documentation.clear();
        self.typ.clear();
        self.typ.push_str("untyped");
        self.samples = Vec::new();
        self.kinds = Vec::new();
        self.allowed = None;
        // A family of its own, untyped.
        validate_metric_name(&sample.name, self.rules.scheme)
            .map_err(|e| LineError::at(base, name_error_text(&e)).into_error(lineno, line))?;
        let family = MetricFamily {
            name: sample.name.clone(),
            help: String::new(),
            metric_type: MetricType::Unknown,
            unit: String::new(),
            samples: vec![sample],
        };
        out.put(family, if self.rules.kinds { vec![kinds] } else { Vec::new() });
        Ok(())
    }

    /// A comment line; `t` is `line` stripped.
    fn header(&mut self, line: &str, t: &str, lineno: usize, out: &mut dyn Sink) -> Result<()> {
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
            let at = offset_of(line, parts[2]);
            let (c, quoted) = unquote_unescape(parts[2]).map_err(|m| LineError::at(at, m).into_error(lineno, line))?;
            if !quoted && !is_legacy_metric_name(&c) {
                let msg = format!("invalid metric name in {kw} line: {}", str_repr(&c));
                return Err(LineError::at(at, msg).into_error(lineno, line));
            }
            cand = c;
        }
        match kw {
            "HELP" => {
                if *cand != *self.name {
                    self.switch_family(cand.into_owned(), lineno, out)?;
                    self.typ.clear();
                    self.typ.push_str("untyped");
                    self.allowed = Some(&[""]);
                }
                self.documentation = match parts.get(3) {
                    Some(doc) if parts.len() == 4 => unescape(doc, false).into_owned(),
                    _ => String::new(),
                };
            }
            "TYPE" => {
                let Some(typ) = parts.get(3).filter(|_| parts.len() == 4) else {
                    return Err(line_error(lineno, "TYPE line without a type"));
                };
                if *cand != *self.name {
                    self.switch_family(cand.into_owned(), lineno, out)?;
                    self.documentation.clear();
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

    /// Ends the current family (if any) and starts `name`'s, named on line `lineno`.
    fn switch_family(&mut self, name: String, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        if !self.name.is_empty() {
            let (f, k) = self.build(lineno)?;
            out.put(f, k);
        }
        self.name = name;
        self.name_line = lineno;
        self.samples = Vec::new();
        self.kinds = Vec::new();
        Ok(())
    }

    /// `build_metric(name, documentation, typ, samples)`, taking the current family.
    fn build(&mut self, lineno: usize) -> Result<(MetricFamily, Vec<SampleKinds>)> {
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
        validate_metric_name(&name, self.rules.scheme).map_err(|e| line_error(line, name_error_text(&e)))?;
        let metric_type = MetricType::from_name(&self.typ)
            .map_err(|_| line_error(self.type_line.max(1), format!("Invalid metric type: {}", self.typ)))?;
        let family = MetricFamily {
            name,
            help: std::mem::take(&mut self.documentation),
            metric_type,
            unit: String::new(),
            samples,
        };
        Ok((family, std::mem::take(&mut self.kinds)))
    }

    pub(super) fn finish(&mut self, lineno: usize, out: &mut dyn Sink) -> Result<()> {
        if !self.name.is_empty() {
            let (f, k) = self.build(lineno)?;
            out.put(f, k);
        }
        Ok(())
    }
}

/// prometheus_client's `_parse_sample` for a stripped, non-empty line: the sample and,
/// when the rules ask for them, its kinds. Error offsets are in `text`.
fn parse_sample(text: &str, rules: Rules) -> Result<(Sample, SampleKinds), LineError> {
    let b = text.as_bytes();
    let label_start = next_unquoted(b, 0, |c| c == b'{');
    let ls = match label_start {
        Some(ls) if !has_space_hash_space(&b[..ls]) => ls,
        _ => {
            // No labels (or an exemplar-looking " # " before the brace).
            let name_end = next_unquoted(b, 0, |c| c == b' ' || c == b'\t');
            let (raw, rest_at) = match name_end {
                Some(p) => (&text[..p], p + 1),
                // Python slices text[:-1]: the name loses its last character.
                None => (&text[..minus_last_char(text)], 0),
            };
            let name = py_strip(raw);
            if !is_legacy_metric_name(name) {
                return Err(LineError::whole(format!("invalid metric name:{text}")));
            }
            let (value, timestamp, kinds) = value_and_timestamp(text, rest_at, rules)?;
            let sample = Sample {
                name: name.to_owned(),
                labels: Vec::new(),
                value,
                timestamp,
                exemplar: None,
                native_histogram: None,
            };
            return Ok((sample, kinds));
        }
    };
    let name = py_strip(&text[..ls]);
    let Some(rel) = next_unquoted(&b[ls..], 0, |c| c == b'}') else {
        // Without a closing brace the value is read from the brace on: never a number.
        return Err(LineError::at(ls, format!("Invalid line, no closing brace: {text}")));
    };
    let le = ls + rel;
    let mut labels = parse_labels(&text[ls + 1..le], Grammar::Text, rules.scheme).map_err(|e| e.shifted(ls + 1))?;
    let name = if name.is_empty() {
        match labels.iter().position(|(k, _)| k == "__name__") {
            Some(i) => labels.remove(i).1,
            None => return Err(LineError::at(ls, format!("Invalid line, no metric name: {text}"))),
        }
    } else if labels.iter().any(|(k, _)| k == "__name__") {
        return Err(LineError::at(ls, "metric name specified more than once"));
    } else {
        name.to_owned()
    };
    let (value, timestamp, kinds) = value_and_timestamp(text, le + 1, rules)?;
    Ok((Sample { name, labels, value, timestamp, exemplar: None, native_histogram: None }, kinds))
}

/// Whether `" # "` occurs in `b`.
fn has_space_hash_space(b: &[u8]) -> bool {
    b.len() >= 3 && (1..b.len() - 1).any(|i| b[i] == b'#' && b[i - 1] == b' ' && b[i + 1] == b' ')
}

/// prometheus_client's `_parse_value_and_timestamp` on `text[start..]`: the first token
/// is the value, the last (if there are two or more) the timestamp in milliseconds;
/// tokens are separated by spaces, or by tabs when there is no space.
fn value_and_timestamp(
    text: &str,
    start: usize,
    rules: Rules,
) -> Result<(f64, Option<Timestamp>, SampleKinds), LineError> {
    let s = py_lstrip(&text[start..]);
    if s.is_empty() {
        return Err(LineError::at(text.len(), "could not convert string to float: ''"));
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
        let at = offset_of(text, s);
        return Err(LineError::at(at, format!("could not convert string to float: {}", str_repr(s))));
    };
    let value_at = offset_of(text, first);
    let num = parse_value(first).map_err(|m| LineError::at(value_at, m))?;
    let kinds = if rules.kinds { SampleKinds::of_value(num, first) } else { SampleKinds::default() };
    let timestamp = if count > 1 {
        let ts_at = offset_of(text, last);
        let ms: Num = parse_value(last).map_err(|m| LineError::at(ts_at, m))?;
        Some(Timestamp::Float(ms.millis_to_seconds(last).map_err(|m| LineError::at(ts_at, m))?))
    } else {
        None
    };
    Ok((num.f64(), timestamp, kinds))
}
