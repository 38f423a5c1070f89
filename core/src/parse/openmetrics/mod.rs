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
//! Errors are [`Error::Parse`](crate::Error::Parse) with the 1-based line where
//! prometheus_client would raise, and the column of the part of the line at fault: checks
//! of a whole family (clashing names, units, histogram buckets and counts) fail on the
//! line that ends the family, at column 1, a missing `# EOF` on the line after the last.
//!
//! The sample lines are read in `sample.rs` (native-histogram values in `native.rs`), the
//! family checks made in `family.rs`.
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

mod family;
mod native;
mod sample;
#[cfg(test)]
mod tests;

use std::io::BufRead;

use crate::compat::python::kinds::SampleKinds;
use crate::error::Result;
use crate::model::{MetricFamily, MetricType};
use crate::names::ValidationScheme;

use super::lex::{
    is_legacy_metric_name, line_error, name_error_text, offset_of, split_quoted, unescape, unquote_unescape,
    validate_metric_name, Line, LineError,
};
use super::stream::{self, Kinded, Rules, Sink, Stream};
use family::{check_histogram, check_sample, Family, Hasher, Typ};
use sample::{parse_nh_sample, parse_sample};

/// Parses a whole OpenMetrics exposition (prometheus_client's
/// `text_string_to_metric_families`), which must end with `# EOF`, checking names under
/// `scheme`.
///
/// ```
/// use fastprom::names::ValidationScheme;
/// use fastprom::parse::openmetrics::parse_str;
///
/// let families = parse_str("# TYPE a counter\na_total 1\n# EOF\n", ValidationScheme::Utf8)?;
/// assert_eq!((families[0].name.as_str(), families[0].samples[0].value), ("a", 1.0));
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn parse_str(text: &str, scheme: ValidationScheme) -> Result<Vec<MetricFamily>> {
    let mut out = Vec::new();
    stream::parse_all(text, Core::new(Rules { scheme, kinds: false }), &mut out)?;
    Ok(out)
}

/// prometheus_client's `openmetrics.parser.text_string_to_metric_families`: [`parse_str`]
/// with UTF-8 names ([`ValidationScheme::Utf8`], its default).
pub fn text_string_to_metric_families(text: &str) -> Result<Vec<MetricFamily>> {
    parse_str(text, ValidationScheme::Utf8)
}

/// Parses OpenMetrics text from a reader, one line at a time, checking names under
/// `scheme`.
pub fn parse_reader<R: BufRead>(reader: R, scheme: ValidationScheme) -> OpenMetricsParser<R> {
    OpenMetricsParser { inner: Stream::new(reader, Core::new(Rules { scheme, kinds: false })) }
}

/// A streaming OpenMetrics parser: yields each family once its last line has been read,
/// then an error if the input turns out to be invalid (prometheus_client's generator
/// `text_fd_to_metric_families`). Memory holds one family and the names seen so far, not
/// the whole input. After the first error the iterator ends.
pub struct OpenMetricsParser<R: BufRead> {
    inner: Stream<R, Core>,
}

impl<R: BufRead> std::fmt::Debug for OpenMetricsParser<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMetricsParser")
            .field("line", &self.inner.lines())
            .field("done", &self.inner.done())
            .finish()
    }
}

impl<R: BufRead> Iterator for OpenMetricsParser<R> {
    type Item = Result<MetricFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| r.map(|(f, _)| f))
    }
}

impl<R: BufRead> std::iter::FusedIterator for OpenMetricsParser<R> {}

/// Parses all of `text` under `rules`, with the samples' kinds when the rules ask.
pub(crate) fn parse_kinded(text: &str, rules: Rules) -> Result<Vec<Kinded>> {
    let mut out = Vec::new();
    stream::parse_all(text, Core::new(rules), &mut out)?;
    Ok(out)
}

/// Streams the families of `r` under `rules`, with their kinds.
pub(crate) fn stream_kinded<R: BufRead>(r: R, rules: Rules) -> Stream<R, Core> {
    Stream::new(r, Core::new(rules))
}

/// This parser has always read a signed `nan` as a NaN without sign (Python's `float()`
/// keeps the sign); kept so that the values it gives stay as they were.
fn unsigned_nan(v: f64) -> f64 {
    if v.is_nan() {
        f64::NAN
    } else {
        v
    }
}

/// `_split_quoted(text, ' ', 3)`.
fn split_metadata(text: &str) -> smallvec::SmallVec<[&str; 4]> {
    split_quoted(text, |c| c == b' ')
}

/// The parser's state between lines (the locals of `text_fd_to_metric_families`).
pub(crate) struct Core {
    fam: Option<Family>,
    eof: bool,
    seen_names: hashbrown::HashSet<String, Hasher>,
    hasher: Hasher,
    rules: Rules,
}

impl stream::Engine for Core {
    fn line(&mut self, line: &str, lineno: usize, _terminated: bool, out: &mut dyn Sink) -> Result<()> {
        self.line_inner(line, out).map_err(|e| Line { no: lineno, text: line }.error(e))
    }

    /// The last family, then whether `# EOF` was seen.
    fn finish(&mut self, lines: usize, out: &mut dyn Sink) -> Result<()> {
        if let Some(f) = self.fam.take() {
            let (family, kinds) = self.build(f).map_err(|msg| line_error(lines.max(1), msg))?;
            out.put(family, kinds);
        }
        if !self.eof {
            return Err(line_error(lines + 1, "Missing # EOF at end"));
        }
        Ok(())
    }
}

impl Core {
    fn new(rules: Rules) -> Self {
        Core {
            fam: None,
            eof: false,
            seen_names: Default::default(),
            hasher: Hasher::with_seed(0x6f70_656e_6d65_7472),
            rules,
        }
    }

    fn line_inner(&mut self, line: &str, out: &mut dyn Sink) -> Result<(), LineError> {
        if self.eof {
            return Err(LineError::whole(format!("Received line after # EOF: {line}")));
        }
        if line.is_empty() {
            return Err(LineError::whole("Received blank line"));
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

    /// Ends the current family, if any, into `out`.
    fn end_family(&mut self, out: &mut dyn Sink) -> Result<(), LineError> {
        if let Some(f) = self.fam.take() {
            let (family, kinds) = self.build(f).map_err(LineError::whole)?;
            out.put(family, kinds);
        }
        Ok(())
    }

    fn metadata_line(&mut self, line: &str, out: &mut dyn Sink) -> Result<(), LineError> {
        let parts = split_metadata(line);
        if parts.len() < 4 {
            return Err(LineError::whole(format!("Invalid line: {line}")));
        }
        let name_at = offset_of(line, parts[2]);
        let (candidate, quoted) = unquote_unescape(parts[2]).map_err(|m| LineError::at(name_at, m))?;
        if !quoted && !is_legacy_metric_name(&candidate) {
            return Err(LineError::at(name_at, format!("Invalid metric name: {line}")));
        }
        let same = self.fam.as_ref().is_some_and(|f| f.name == candidate);
        if same && self.fam.as_ref().is_some_and(|f| !f.samples.is_empty()) {
            return Err(LineError::whole(format!("Received metadata after samples: {line}")));
        }
        if !same {
            self.end_family(out)?;
            self.fam = Some(Family::new(candidate.into_owned(), Typ::Unset, None, self.rules.kinds));
        }
        let Some(fam) = self.fam.as_mut() else {
            return Err(LineError::whole("no family"));
        };
        match parts[1] {
            "HELP" => {
                if fam.help.is_some() {
                    return Err(LineError::whole(format!("More than one HELP for metric: {line}")));
                }
                fam.help = Some(unescape(parts[3], true).into_owned());
            }
            "TYPE" => {
                if fam.typ != Typ::Unset {
                    return Err(LineError::whole(format!("More than one TYPE for metric: {line}")));
                }
                if parts[3] == "untyped" {
                    return Err(LineError::at(offset_of(line, parts[3]), format!("Invalid TYPE for metric: {line}")));
                }
                fam.typ = Typ::from_word(parts[3]);
            }
            "UNIT" => {
                if fam.unit.is_some() {
                    return Err(LineError::whole(format!("More than one UNIT for metric: {line}")));
                }
                fam.unit = Some(parts[3].to_owned());
            }
            _ => return Err(LineError::at(offset_of(line, parts[1]), format!("Invalid line: {line}"))),
        }
        Ok(())
    }

    fn sample_line(&mut self, line: &str, out: &mut dyn Sink) -> Result<(), LineError> {
        let histogram = self.fam.as_ref().is_some_and(|f| f.typ.is(MetricType::Histogram));
        let (parsed, is_nh) = match histogram.then(|| parse_nh_sample(line, self.rules)).transpose()?.flatten() {
            Some(p) => (p, true),
            None => (parse_sample(line, self.rules)?, false),
        };
        if !is_nh && !self.fam.as_ref().is_some_and(|f| f.allows(&parsed.name)) {
            self.end_family(out)?;
            let (candidate, quoted) = unquote_unescape(&parsed.name).map_err(LineError::whole)?;
            if !quoted && !is_legacy_metric_name(&candidate) {
                return Err(LineError::whole(format!("Invalid metric name: {line}")));
            }
            let typ = Typ::Known(MetricType::Unknown);
            self.fam = Some(Family::new(candidate.into_owned(), typ, Some(parsed.name.clone()), self.rules.kinds));
        }
        let hasher = self.hasher.clone();
        let Some(fam) = self.fam.as_mut() else {
            return Err(LineError::whole("no family"));
        };
        check_sample(fam, &hasher, parsed, is_nh, line)
    }

    /// `build_metric`: the family's checks, then the family and its samples' kinds.
    fn build(&mut self, f: Family) -> std::result::Result<(MetricFamily, Vec<SampleKinds>), String> {
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
        validate_metric_name(&f.name, self.rules.scheme).map_err(|e| name_error_text(&e))?;
        let metric_type = match &f.typ {
            Typ::Unset => MetricType::Unknown,
            Typ::Known(t) => *t,
            Typ::Other(s) => return Err(format!("Invalid metric type: {s}")),
        };
        let kinds = f.kinds.unwrap_or_default();
        let family =
            MetricFamily { name: f.name, help: f.help.unwrap_or_default(), metric_type, unit, samples: f.samples };
        Ok((family, kinds))
    }
}
