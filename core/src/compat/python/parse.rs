//! The parsers as fastprom's Python face runs them: prometheus_client's rules (the text
//! format's lenient mode, and OpenMetrics), with each sample's [`SampleKinds`] next to the
//! families, so that the binding can build an `int` where prometheus_client holds one.
//!
//! They accept, reject and build exactly what [`crate::parse::text`] (in
//! [`Mode::Lenient`](crate::parse::text::Mode::Lenient)) and [`crate::parse::openmetrics`]
//! do; only the kinds are added.
//!
//! ```
//! use fastprom::compat::python::parse;
//! use fastprom::names::ValidationScheme;
//!
//! let parsed = parse::text("a 1\nb 1.0\n", ValidationScheme::Utf8)?;
//! assert!(parsed[0].kinds[0].value_int);
//! assert!(!parsed[1].kinds[0].value_int);
//! # Ok::<(), fastprom::Error>(())
//! ```

use std::io::BufRead;

use crate::error::Result;
use crate::model::MetricFamily;
use crate::names::ValidationScheme;
use crate::parse::stream::{Kinded, Stream};
use crate::parse::{openmetrics as om, text as txt};

use super::kinds::SampleKinds;

/// A parsed family with, for each of its samples, how prometheus_client holds it:
/// `kinds[i]` belongs to `family.samples[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFamily {
    /// The family, as the neutral parsers give it.
    pub family: MetricFamily,
    /// One entry per sample, in order.
    pub kinds: Vec<SampleKinds>,
}

fn rules(scheme: ValidationScheme) -> crate::parse::stream::Rules {
    crate::parse::stream::Rules { scheme, kinds: true }
}

fn pair((family, kinds): Kinded) -> ParsedFamily {
    ParsedFamily { family, kinds }
}

/// prometheus_client's `parser.text_string_to_metric_families` on a whole string, names
/// checked under `scheme`.
pub fn text(text: &str, scheme: ValidationScheme) -> Result<Vec<ParsedFamily>> {
    Ok(txt::parse_kinded(text, txt::Mode::Lenient, rules(scheme))?.into_iter().map(pair).collect())
}

/// The same, streamed from a reader: the families before an error come out before it.
pub fn text_reader<R: BufRead>(reader: R, scheme: ValidationScheme) -> TextReader<R> {
    TextReader { inner: txt::stream_kinded(reader, txt::Mode::Lenient, rules(scheme)) }
}

/// prometheus_client's `openmetrics.parser.text_string_to_metric_families` on a whole
/// string, names checked under `scheme`.
pub fn openmetrics(text: &str, scheme: ValidationScheme) -> Result<Vec<ParsedFamily>> {
    Ok(om::parse_kinded(text, rules(scheme))?.into_iter().map(pair).collect())
}

/// The same, streamed from a reader: each family once its last line has been read, then
/// the error (if any).
pub fn openmetrics_reader<R: BufRead>(reader: R, scheme: ValidationScheme) -> OpenMetricsReader<R> {
    OpenMetricsReader { inner: om::stream_kinded(reader, rules(scheme)) }
}

/// The iterator of [`text_reader`].
pub struct TextReader<R: BufRead> {
    inner: Stream<R, txt::Engine>,
}

/// The iterator of [`openmetrics_reader`].
pub struct OpenMetricsReader<R: BufRead> {
    inner: Stream<R, om::Core>,
}

impl<R: BufRead> Iterator for TextReader<R> {
    type Item = Result<ParsedFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| r.map(pair))
    }
}

impl<R: BufRead> Iterator for OpenMetricsReader<R> {
    type Item = Result<ParsedFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| r.map(pair))
    }
}

impl<R: BufRead> std::iter::FusedIterator for TextReader<R> {}
impl<R: BufRead> std::iter::FusedIterator for OpenMetricsReader<R> {}

impl<R: BufRead> std::fmt::Debug for TextReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextReader").field("line", &self.inner.lines()).finish_non_exhaustive()
    }
}

impl<R: BufRead> std::fmt::Debug for OpenMetricsReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMetricsReader").field("line", &self.inner.lines()).finish_non_exhaustive()
    }
}
