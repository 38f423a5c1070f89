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
//!   ([`Timestamp::Float`](crate::model::Timestamp::Float)), the milliseconds divided by
//!   1000 as Python does (an integer division is correctly rounded).
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
//! Name checks follow the [`ValidationScheme`] a parse is given. The lenient rules are in
//! `lenient.rs`, the strict ones in `strict.rs`; both read a line at a time, hold one
//! family, and never panic; [`TextParser`] streams families from any [`BufRead`].

mod lenient;
mod strict;
#[cfg(test)]
mod tests;

use std::io::BufRead;

use crate::error::Result;
use crate::model::MetricFamily;
use crate::names::ValidationScheme;

use super::stream::{self, Kinded, Rules, Sink, Stream};
use lenient::Lenient;
use strict::Strict;

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
///
/// ```
/// use fastprom::names::ValidationScheme;
/// use fastprom::parse::text::{parse_str, Mode};
///
/// let families = parse_str("# TYPE a_total counter\na_total 1\n", Mode::Strict, ValidationScheme::Utf8)?;
/// assert_eq!(families[0].name, "a");
/// assert_eq!(families[0].samples[0].name, "a_total");
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn parse_str(text: &str, mode: Mode, scheme: ValidationScheme) -> Result<Vec<MetricFamily>> {
    let mut out = Vec::new();
    stream::parse_all(text, Engine::new(mode, Rules { scheme, kinds: false }), &mut out)?;
    Ok(out)
}

/// prometheus_client's `text_string_to_metric_families`: [`parse_str`] in
/// [`Mode::Lenient`] with UTF-8 names ([`ValidationScheme::Utf8`], its default).
pub fn text_string_to_metric_families(text: &str) -> Result<Vec<MetricFamily>> {
    parse_str(text, Mode::Lenient, ValidationScheme::Utf8)
}

/// Streams the families of an exposition read from `r`, checking names under `scheme`.
pub fn parse_reader<R: BufRead>(r: R, mode: Mode, scheme: ValidationScheme) -> TextParser<R> {
    TextParser { inner: Stream::new(r, Engine::new(mode, Rules { scheme, kinds: false })) }
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
    inner: Stream<R, Engine>,
}

impl<R: BufRead> std::fmt::Debug for TextParser<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextParser")
            .field("line", &self.inner.lines())
            .field("done", &self.inner.done())
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> TextParser<R> {
    /// The number of lines read so far.
    pub fn line(&self) -> usize {
        self.inner.lines()
    }
}

impl<R: BufRead> Iterator for TextParser<R> {
    type Item = Result<MetricFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| r.map(|(f, _)| f))
    }
}

impl<R: BufRead> std::iter::FusedIterator for TextParser<R> {}

/// Parses all of `text` under `rules` into `out` (for the Python face, which asks for
/// kinds).
pub(crate) fn parse_kinded(text: &str, mode: Mode, rules: Rules) -> Result<Vec<Kinded>> {
    let mut out = Vec::new();
    stream::parse_all(text, Engine::new(mode, rules), &mut out)?;
    Ok(out)
}

/// Streams the families of `r` under `rules`, with their kinds.
pub(crate) fn stream_kinded<R: BufRead>(r: R, mode: Mode, rules: Rules) -> Stream<R, Engine> {
    Stream::new(r, Engine::new(mode, rules))
}

/// The parser of one mode.
pub(crate) struct Engine(ModeRules);

enum ModeRules {
    Lenient(Lenient),
    Strict(Strict),
}

impl Engine {
    fn new(mode: Mode, rules: Rules) -> Self {
        Self(match mode {
            Mode::Lenient => ModeRules::Lenient(Lenient::new(rules)),
            Mode::Strict => ModeRules::Strict(Strict::new(rules)),
        })
    }
}

impl stream::Engine for Engine {
    fn line(&mut self, line: &str, lineno: usize, terminated: bool, out: &mut dyn Sink) -> Result<()> {
        match &mut self.0 {
            ModeRules::Lenient(p) => p.line(line, lineno, out),
            ModeRules::Strict(p) => p.line(line, lineno, terminated, out),
        }
    }

    fn finish(&mut self, lines: usize, out: &mut dyn Sink) -> Result<()> {
        match &mut self.0 {
            ModeRules::Lenient(p) => p.finish(lines, out),
            ModeRules::Strict(p) => p.finish(lines, out),
        }
    }
}
