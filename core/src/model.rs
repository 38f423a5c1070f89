//! The data model: metric families and their samples, as prometheus_client's
//! `Metric` / `Sample` / `Exemplar` / `Timestamp` / `NativeHistogram` describe them.
//!
//! Custom collectors build [`MetricFamily`] values; native metrics stream borrowed
//! [`SampleRef`]s to a [`Visitor`] instead, so a scrape allocates nothing per sample.
//! Both reach the encoders through the same [`Visitor`] calls.

use crate::error::{BucketProblem, Error, Result};
use crate::floatfmt;
use crate::names::{self, ValidationScheme};
use smallvec::SmallVec;

/// The OpenMetrics metric types prometheus_client knows.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum MetricType {
    /// A monotonically increasing count (`_total`, `_created`).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// `_count` / `_sum` / `_created`, and optionally quantiles.
    Summary,
    /// Cumulative `_bucket`s with `le`, `_count`, `_sum`, `_created`.
    Histogram,
    /// A histogram of a current state: `_bucket`, `_gcount`, `_gsum`.
    GaugeHistogram,
    /// Untyped.
    Unknown,
    /// Key/value metadata as labels of a constant `1` sample named `_info`.
    Info,
    /// A set of states, one sample per state, labelled by the family's own name.
    StateSet,
}

impl MetricType {
    /// The OpenMetrics name of the type (`counter`, `gaugehistogram`, `stateset`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Summary => "summary",
            Self::Histogram => "histogram",
            Self::GaugeHistogram => "gaugehistogram",
            Self::Unknown => "unknown",
            Self::Info => "info",
            Self::StateSet => "stateset",
        }
    }

    /// Parses a type name as `Metric.__init__` does (`untyped` means `unknown`).
    pub fn from_name(s: &str) -> Result<Self> {
        Ok(match s {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "summary" => Self::Summary,
            "histogram" => Self::Histogram,
            "gaugehistogram" => Self::GaugeHistogram,
            "unknown" | "untyped" => Self::Unknown,
            "info" => Self::Info,
            "stateset" => Self::StateSet,
            other => return Err(Error::UnknownMetricType { given: other.to_owned() }),
        })
    }

    /// The sample-name suffixes a family of this type exposes, besides its bare name
    /// (prometheus_client's `type_suffixes`, used for duplicate detection).
    pub fn suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Summary => &["_sum", "_count", "_created"],
            Self::Histogram => &["_bucket", "_sum", "_count", "_created"],
            Self::GaugeHistogram => &["_bucket", "_gsum", "_gcount"],
            Self::Info => &["_info"],
            _ => &[],
        }
    }
}

/// A sample timestamp. prometheus_client accepts a float of seconds, a Python int, or a
/// nanosecond-precise `Timestamp(sec, nsec)`; OpenMetrics output prints each as Python's
/// `str()` would, so the variants are kept apart.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timestamp {
    /// Seconds since the epoch as a float.
    Float(f64),
    /// Whole seconds given as an integer.
    Int(i64),
    /// `Timestamp(sec, nsec)`: `nsec` carries the sign of `sec` as prometheus_client stores it.
    Exact {
        /// Whole seconds.
        sec: i128,
        /// Nanoseconds, negative when `sec` is negative.
        nsec: i64,
    },
}

/// Python's `int(x)` of a float, as an exact decimal string.
fn py_int_of(x: f64) -> Result<String> {
    if !x.is_finite() {
        return Err(Error::TimestampNotFinite { value: x });
    }
    let t = x.trunc();
    Ok(if t == 0.0 { "0".to_owned() } else { format!("{t:.0}") })
}

impl Timestamp {
    /// Builds an exact timestamp with prometheus_client's `Timestamp.__init__` checks.
    pub fn exact(sec: f64, nsec: f64) -> Result<Self> {
        if !(0.0..1e9).contains(&nsec) {
            return Err(Error::InvalidArgument(format!(
                "Invalid value for nanoseconds in Timestamp: {}",
                floatfmt::py_repr(nsec)
            )));
        }
        let nsec = if sec < 0.0 { -nsec } else { nsec };
        let whole = py_int_of(sec)?;
        let sec: i128 =
            whole.parse().map_err(|_| Error::InvalidArgument(format!("Timestamp seconds out of range: {whole}")))?;
        Ok(Self::Exact { sec, nsec: nsec as i64 })
    }

    /// The timestamp in seconds, as `float(ts)` gives it.
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Float(f) => f,
            Self::Int(i) => i as f64,
            Self::Exact { sec, nsec } => sec as f64 + nsec as f64 / 1e9,
        }
    }

    /// Appends Python's `str()` of the timestamp (OpenMetrics form).
    pub fn write_seconds(self, out: &mut Vec<u8>) {
        match self {
            Self::Float(f) => floatfmt::write_py_repr(out, f),
            Self::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Self::Exact { sec, nsec } => {
                out.extend_from_slice(sec.to_string().as_bytes());
                out.push(b'.');
                // f"{nsec:09d}": the sign counts toward the width.
                if nsec < 0 {
                    out.extend_from_slice(format!("-{:08}", nsec.unsigned_abs()).as_bytes());
                } else {
                    out.extend_from_slice(format!("{nsec:09}").as_bytes());
                }
            }
        }
    }

    /// Appends the Prometheus text format's milliseconds, `int(float(ts) * 1000)` (exact,
    /// however large, as Python's integers are).
    pub fn write_millis(self, out: &mut Vec<u8>) -> Result<()> {
        let ms = self.as_f64() * 1000.0;
        if ms.is_finite() && ms.abs() < 9.0e15 {
            out.extend_from_slice((ms.trunc() as i64).to_string().as_bytes());
        } else {
            out.extend_from_slice(py_int_of(ms)?.as_bytes());
        }
        Ok(())
    }
}

/// An exemplar: labels, value and optional timestamp of one observation.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    /// Exemplar labels, at most 128 UTF-8 characters in all.
    pub labels: Vec<(String, String)>,
    /// The observed value.
    pub value: f64,
    /// When it was observed.
    pub timestamp: Option<Timestamp>,
}

impl Exemplar {
    /// Builds an exemplar after prometheus_client's `_validate_exemplar` checks, label
    /// names validated with `scheme`.
    pub fn new(
        labels: Vec<(String, String)>,
        value: f64,
        timestamp: Option<Timestamp>,
        scheme: ValidationScheme,
    ) -> Result<Self> {
        names::validate_exemplar(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())), scheme)?;
        Ok(Self { labels, value, timestamp })
    }
}

/// A span of native-histogram buckets (experimental, as in prometheus_client).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpan {
    /// Gap to the previous span (or start index for the first).
    pub offset: i32,
    /// Number of consecutive buckets.
    pub length: u32,
}

/// A native histogram value (experimental, as in prometheus_client; OpenMetrics 2.0 only).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NativeHistogram {
    /// Total count of observations.
    pub count_value: f64,
    /// Sum of observations.
    pub sum_value: f64,
    /// Resolution schema.
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Positive bucket spans.
    pub pos_spans: Vec<BucketSpan>,
    /// Negative bucket spans.
    pub neg_spans: Vec<BucketSpan>,
    /// Positive bucket deltas.
    pub pos_deltas: Vec<i64>,
    /// Negative bucket deltas.
    pub neg_deltas: Vec<i64>,
    /// Exemplars attached to the native histogram.
    pub exemplars: Vec<Exemplar>,
    /// Whether `count_value` and `zero_count` are integers (as parsers produce them and
    /// as OpenMetrics 2.0 writes them: `count:5`) rather than floats (`count:5.0`, what
    /// prometheus_client writes for a Python float).
    pub int_counts: bool,
}

/// One sample of a family, owned.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Full sample name (`family` + suffix such as `_total`).
    pub name: String,
    /// Labels in insertion order; names are unique.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// Optional timestamp.
    pub timestamp: Option<Timestamp>,
    /// Optional exemplar (counters' `_total` and histogram buckets only).
    pub exemplar: Option<Exemplar>,
    /// Optional native histogram value.
    pub native_histogram: Option<Box<NativeHistogram>>,
}

impl Sample {
    /// Looks up a label value by name.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Puts `(k, v)` into `labels` with Python dict semantics: a repeated name keeps its first
/// position and takes the later value.
pub(crate) fn dict_insert(labels: &mut Vec<(String, String)>, k: String, v: String) {
    if let Some(slot) = labels.iter_mut().find(|(name, _)| *name == k) {
        slot.1 = v;
    } else {
        labels.push((k, v));
    }
}

/// A metric family with its samples, as prometheus_client's `Metric`.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    /// Family name (for counters without `_total`; includes the unit suffix).
    pub name: String,
    /// HELP text (prometheus_client's `documentation`).
    pub help: String,
    /// The type.
    pub metric_type: MetricType,
    /// Unit, or empty.
    pub unit: String,
    /// Samples in exposition order.
    pub samples: Vec<Sample>,
}

impl MetricFamily {
    /// `Metric(name, documentation, typ, unit)`: appends `_<unit>` when missing and checks
    /// the name under UTF-8 validation (any non-empty name).
    pub fn new(name: &str, help: &str, metric_type: MetricType, unit: &str) -> Result<Self> {
        Self::with_scheme(name, help, metric_type, unit, ValidationScheme::Utf8)
    }

    /// [`MetricFamily::new`] with the name checked under `scheme`.
    pub fn with_scheme(
        name: &str,
        help: &str,
        metric_type: MetricType,
        unit: &str,
        scheme: ValidationScheme,
    ) -> Result<Self> {
        let mut full = name.to_owned();
        if !unit.is_empty() && !full.ends_with(&format!("_{unit}")) {
            full.push('_');
            full.push_str(unit);
        }
        names::validate_metric_name(&full, scheme)?;
        Ok(Self { name: full, help: help.to_owned(), metric_type, unit: unit.to_owned(), samples: Vec::new() })
    }

    /// A counter family (`CounterMetricFamily`): a trailing `_total` is dropped from `name`.
    pub fn counter(name: &str, help: &str, unit: &str) -> Result<Self> {
        Self::counter_with_scheme(name, help, unit, ValidationScheme::Utf8)
    }

    /// [`MetricFamily::counter`] with the name checked under `scheme`.
    pub fn counter_with_scheme(name: &str, help: &str, unit: &str, scheme: ValidationScheme) -> Result<Self> {
        let name = name.strip_suffix("_total").unwrap_or(name);
        Self::with_scheme(name, help, MetricType::Counter, unit, scheme)
    }

    /// Appends a sample (`Metric.add_sample`). Label names repeat with dict semantics.
    pub fn add_sample(
        &mut self,
        name: impl Into<String>,
        labels: impl IntoIterator<Item = (String, String)>,
        value: f64,
        timestamp: Option<Timestamp>,
        exemplar: Option<Exemplar>,
    ) {
        let mut ls = Vec::new();
        for (k, v) in labels {
            dict_insert(&mut ls, k, v);
        }
        self.samples.push(Sample { name: name.into(), labels: ls, value, timestamp, exemplar, native_histogram: None });
    }

    /// Adds one counter child (`CounterMetricFamily.add_metric`): `_total`, then `_created`
    /// when given.
    pub fn add_counter(
        &mut self,
        labels: &[(String, String)],
        value: f64,
        created: Option<f64>,
        timestamp: Option<Timestamp>,
        exemplar: Option<Exemplar>,
    ) {
        let total = format!("{}_total", self.name);
        self.add_sample(total, labels.iter().cloned(), value, timestamp, exemplar);
        if let Some(c) = created {
            let name = format!("{}_created", self.name);
            self.add_sample(name, labels.iter().cloned(), c, timestamp, None);
        }
    }

    /// Adds a gauge or unknown child: one sample named as the family.
    pub fn add_value(&mut self, labels: &[(String, String)], value: f64, timestamp: Option<Timestamp>) {
        let name = self.name.clone();
        self.add_sample(name, labels.iter().cloned(), value, timestamp, None);
    }

    /// Adds a summary child (`SummaryMetricFamily.add_metric`): `_count` then `_sum`.
    pub fn add_summary(&mut self, labels: &[(String, String)], count: f64, sum: f64, timestamp: Option<Timestamp>) {
        let (c, s) = (format!("{}_count", self.name), format!("{}_sum", self.name));
        self.add_sample(c, labels.iter().cloned(), count, timestamp, None);
        self.add_sample(s, labels.iter().cloned(), sum, timestamp, None);
    }

    /// Adds a histogram child (`HistogramMetricFamily.add_metric`): buckets as
    /// `(le, cumulative count, exemplar)`, then `_count` and `_sum` unless the first bucket
    /// is negative or `sum` is `None`.
    pub fn add_histogram(
        &mut self,
        labels: &[(String, String)],
        buckets: &[(String, f64, Option<Exemplar>)],
        sum: Option<f64>,
        timestamp: Option<Timestamp>,
    ) -> Result<()> {
        let first = buckets.first().ok_or_else(|| Error::InvalidBuckets { problem: BucketProblem::Empty })?;
        let first_le = parse_le(&first.0)?;
        let bname = format!("{}_bucket", self.name);
        for (le, v, ex) in buckets {
            let ls = labels.iter().cloned().chain(std::iter::once(("le".to_owned(), le.clone())));
            self.add_sample(bname.clone(), ls, *v, timestamp, ex.clone());
        }
        if let (true, Some(sum)) = (first_le >= 0.0, sum) {
            let count = buckets.last().map_or(0.0, |b| b.1);
            let (c, s) = (format!("{}_count", self.name), format!("{}_sum", self.name));
            self.add_sample(c, labels.iter().cloned(), count, timestamp, None);
            self.add_sample(s, labels.iter().cloned(), sum, timestamp, None);
        }
        Ok(())
    }

    /// Adds a gauge histogram child: `_bucket`s, `_gcount` (the last bucket), `_gsum`.
    pub fn add_gauge_histogram(
        &mut self,
        labels: &[(String, String)],
        buckets: &[(String, f64)],
        gsum: f64,
        timestamp: Option<Timestamp>,
    ) -> Result<()> {
        let last = buckets.last().ok_or_else(|| Error::InvalidBuckets { problem: BucketProblem::Empty })?.1;
        let bname = format!("{}_bucket", self.name);
        for (le, v) in buckets {
            let ls = labels.iter().cloned().chain(std::iter::once(("le".to_owned(), le.clone())));
            self.add_sample(bname.clone(), ls, *v, timestamp, None);
        }
        let (c, s) = (format!("{}_gcount", self.name), format!("{}_gsum", self.name));
        self.add_sample(c, labels.iter().cloned(), last, timestamp, None);
        self.add_sample(s, labels.iter().cloned(), gsum, timestamp, None);
        Ok(())
    }

    /// Adds an info child: `_info` with the family labels and `value` merged, value 1.
    pub fn add_info(&mut self, labels: &[(String, String)], value: &[(String, String)], timestamp: Option<Timestamp>) {
        let name = format!("{}_info", self.name);
        self.add_sample(name, labels.iter().cloned().chain(value.iter().cloned()), 1.0, timestamp, None);
    }

    /// Adds a stateset child: one sample per state, sorted by state name, labelled with the
    /// family name.
    pub fn add_stateset(
        &mut self,
        labels: &[(String, String)],
        states: &[(String, bool)],
        timestamp: Option<Timestamp>,
    ) {
        let mut states: Vec<_> = states.to_vec();
        states.sort_by(|a, b| a.0.cmp(&b.0));
        let name = self.name.clone();
        for (state, on) in states {
            let ls = labels.iter().cloned().chain(std::iter::once((name.clone(), state)));
            self.add_sample(name.clone(), ls, if on { 1.0 } else { 0.0 }, timestamp, None);
        }
    }

    /// Streams this family to a visitor.
    pub fn visit(&self, v: &mut dyn Visitor) -> Result<()> {
        v.family(&FamilyHeader {
            name: &self.name,
            help: &self.help,
            metric_type: self.metric_type,
            unit: &self.unit,
        })?;
        for s in &self.samples {
            let labels: SmallVec<[(&str, &str); 8]> = s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            v.sample(&SampleRef {
                name: &s.name,
                suffix: "",
                labels: &labels,
                sorted: None,
                extra: None,
                series: 0,
                value: s.value,
                timestamp: s.timestamp,
                exemplar: s.exemplar.as_ref(),
                native_histogram: s.native_histogram.as_deref(),
            })?;
        }
        v.end_family()
    }
}

/// Parses an `le` bound exactly as Python's `float(str)` does: surrounding whitespace,
/// `inf` / `infinity` / `nan` in any case with an optional sign, and `_` between digits.
pub(crate) fn parse_le(s: &str) -> Result<f64> {
    let err = || Error::InvalidBuckets { problem: BucketProblem::BadBound(s.to_owned()) };
    let t = s.trim_matches(|c: char| c.is_whitespace());
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(sign * f64::INFINITY);
    }
    if lower == "nan" {
        return Ok(f64::NAN);
    }
    // Underscores only between two digits; no other characters than a float's.
    let b = body.as_bytes();
    let mut clean = String::with_capacity(body.len());
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let ok = i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !ok {
                return Err(err());
            }
            continue;
        }
        if !(c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')) {
            return Err(err());
        }
        clean.push(c as char);
    }
    clean.parse::<f64>().map(|v| sign * v).map_err(|_| err())
}

/// The header of a family as it reaches a [`Visitor`].
#[derive(Debug, Clone, Copy)]
pub struct FamilyHeader<'a> {
    /// Family name.
    pub name: &'a str,
    /// HELP text.
    pub help: &'a str,
    /// Type.
    pub metric_type: MetricType,
    /// Unit or empty.
    pub unit: &'a str,
}

/// A borrowed sample as it reaches a [`Visitor`]. The full sample name is
/// `name` followed by `suffix` (native metrics pass the family name and `_total` apart so
/// no string is built per sample).
#[derive(Debug, Clone, Copy)]
pub struct SampleRef<'a> {
    /// First part of the sample name.
    pub name: &'a str,
    /// Second part of the sample name (may be empty).
    pub suffix: &'a str,
    /// The series labels in insertion order, names unique.
    pub labels: &'a [(&'a str, &'a str)],
    /// When known, the indices of `labels` in label-name order (encoders sort otherwise).
    pub sorted: Option<&'a [u16]>,
    /// One more label after `labels`, such as a histogram bucket's `le`; its name is not
    /// among `labels`.
    pub extra: Option<(&'a str, &'a str)>,
    /// Non-zero when the producer guarantees that, within the current family, samples
    /// with the same `series` carry the same `labels` (encoders reuse their rendering),
    /// and, when `sorted` is given too, that every such sample of the family has the same
    /// label names at the same positions, and that such samples' `name` is the
    /// family's name (native families' samples are named by family name plus suffix).
    pub series: u64,
    /// Value.
    pub value: f64,
    /// Timestamp.
    pub timestamp: Option<Timestamp>,
    /// Exemplar.
    pub exemplar: Option<&'a Exemplar>,
    /// Native histogram value.
    pub native_histogram: Option<&'a NativeHistogram>,
}

impl<'a> SampleRef<'a> {
    /// A sample with just a name, labels and a value.
    pub fn new(name: &'a str, suffix: &'a str, labels: &'a [(&'a str, &'a str)], value: f64) -> Self {
        SampleRef {
            name,
            suffix,
            labels,
            sorted: None,
            extra: None,
            series: 0,
            value,
            timestamp: None,
            exemplar: None,
            native_histogram: None,
        }
    }

    /// All labels: `labels`, then `extra`.
    pub fn all_labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.labels.iter().copied().chain(self.extra)
    }

    /// Number of labels, `extra` included.
    pub fn label_count(&self) -> usize {
        self.labels.len() + usize::from(self.extra.is_some())
    }

    /// Whether the full name equals `a` followed by `b`.
    pub fn name_is(&self, a: &str, b: &str) -> bool {
        let (n, s) = (self.name.as_bytes(), self.suffix.as_bytes());
        if n.len() + s.len() != a.len() + b.len() {
            return false;
        }
        let full = n.iter().chain(s.iter());
        full.eq(a.as_bytes().iter().chain(b.as_bytes().iter()))
    }

    /// The full sample name, allocated.
    pub fn full_name(&self) -> String {
        let mut s = String::with_capacity(self.name.len() + self.suffix.len());
        s.push_str(self.name);
        s.push_str(self.suffix);
        s
    }

    /// Converts to an owned [`Sample`].
    pub fn to_owned_sample(&self) -> Sample {
        Sample {
            name: self.full_name(),
            labels: {
                let mut ls = Vec::with_capacity(self.label_count());
                for (k, v) in self.all_labels() {
                    dict_insert(&mut ls, k.to_owned(), v.to_owned());
                }
                ls
            },
            value: self.value,
            timestamp: self.timestamp,
            exemplar: self.exemplar.cloned(),
            native_histogram: self.native_histogram.map(|n| Box::new(n.clone())),
        }
    }
}

/// Receives families and samples, in exposition order: `family`, its `sample`s,
/// `end_family`. Encoders, the restricted view and the owned collector all implement it.
pub trait Visitor {
    /// Starts a family.
    fn family(&mut self, header: &FamilyHeader<'_>) -> Result<()>;
    /// One sample of the current family.
    fn sample(&mut self, sample: &SampleRef<'_>) -> Result<()>;
    /// Ends the current family.
    fn end_family(&mut self) -> Result<()>;

    /// Several samples that differ from `template` only in the value of its extra label
    /// (`extras[i]`), the value (`values[i]`) and the exemplar (`exemplars[i]`, when
    /// given): a histogram's buckets, a summary's quantiles, a stateset's states.
    /// `template.extra` names the label. Encoders override this to render the shared part
    /// of the lines once; the default passes each sample to [`Visitor::sample`].
    fn sample_batch(
        &mut self,
        template: &SampleRef<'_>,
        extras: &[String],
        values: &[f64],
        exemplars: Option<&[Option<Exemplar>]>,
    ) -> Result<()> {
        let name = template.extra.map_or("", |e| e.0);
        for (i, (ev, v)) in extras.iter().zip(values).enumerate() {
            let mut s = *template;
            s.extra = Some((name, ev.as_str()));
            s.value = *v;
            s.exemplar = exemplars.and_then(|e| e.get(i)).and_then(Option::as_ref);
            self.sample(&s)?;
        }
        Ok(())
    }

    /// Whether native families should send their `_created` samples to this visitor
    /// (`true` unless the visitor says otherwise; see [`WithoutCreated`]). A family's own
    /// [`Settings`](crate::Settings) can turn them off too.
    fn created(&self) -> bool {
        true
    }
}

/// Passes everything on to the inner visitor, but asks native families to leave out their
/// `_created` samples: how a registry (or a binding) turns them off for one scrape.
/// Custom collectors' samples pass unchanged, as in prometheus_client.
pub struct WithoutCreated<'a>(pub &'a mut dyn Visitor);

impl Visitor for WithoutCreated<'_> {
    fn family(&mut self, header: &FamilyHeader<'_>) -> Result<()> {
        self.0.family(header)
    }
    fn sample(&mut self, sample: &SampleRef<'_>) -> Result<()> {
        self.0.sample(sample)
    }
    fn end_family(&mut self) -> Result<()> {
        self.0.end_family()
    }
    fn sample_batch(
        &mut self,
        template: &SampleRef<'_>,
        extras: &[String],
        values: &[f64],
        exemplars: Option<&[Option<Exemplar>]>,
    ) -> Result<()> {
        self.0.sample_batch(template, extras, values, exemplars)
    }
    fn created(&self) -> bool {
        false
    }
}

/// Passes everything on to the inner visitor with extra labels on every sample (the
/// Go client's `WrapRegistererWith`, prom-client's `setDefaultLabels`): a sample that
/// already has a label of the same name keeps its own value. The extra labels come first,
/// then the sample's.
///
/// ```
/// use fastprom::model::{FamilyCollector, WithLabels};
/// use fastprom::{Collector, Counter};
///
/// let c = Counter::new("jobs", "Jobs.")?;
/// c.inc();
/// let defaults = vec![("region".to_owned(), "eu".to_owned())];
/// let mut families = FamilyCollector::default();
/// c.visit(&mut WithLabels::new(&mut families, &defaults))?;
/// assert_eq!(families.families[0].samples[0].labels, defaults);
/// # Ok::<(), fastprom::Error>(())
/// ```
pub struct WithLabels<'a> {
    inner: &'a mut dyn Visitor,
    labels: &'a [(String, String)],
}

impl<'a> WithLabels<'a> {
    /// Wraps `inner`, adding `labels` to each sample.
    pub fn new(inner: &'a mut dyn Visitor, labels: &'a [(String, String)]) -> Self {
        Self { inner, labels }
    }
}

impl Visitor for WithLabels<'_> {
    fn family(&mut self, header: &FamilyHeader<'_>) -> Result<()> {
        self.inner.family(header)
    }
    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        if self.labels.is_empty() {
            return self.inner.sample(s);
        }
        let mut all: smallvec::SmallVec<[(&str, &str); 8]> = smallvec::SmallVec::new();
        for (k, v) in self.labels {
            let own = s.labels.iter().any(|(n, _)| n == k) || s.extra.is_some_and(|(n, _)| n == k);
            if !own {
                all.push((k.as_str(), v.as_str()));
            }
        }
        all.extend_from_slice(s.labels);
        let mut out = *s;
        out.labels = &all;
        // The label positions changed; the encoders sort again.
        out.sorted = None;
        self.inner.sample(&out)
    }
    fn end_family(&mut self) -> Result<()> {
        self.inner.end_family()
    }
    fn created(&self) -> bool {
        self.inner.created()
    }
}

/// A [`Visitor`] that builds owned [`MetricFamily`] values.
#[derive(Debug, Default)]
pub struct FamilyCollector {
    /// The families built so far.
    pub families: Vec<MetricFamily>,
}

impl Visitor for FamilyCollector {
    fn family(&mut self, h: &FamilyHeader<'_>) -> Result<()> {
        self.families.push(MetricFamily {
            name: h.name.to_owned(),
            help: h.help.to_owned(),
            metric_type: h.metric_type,
            unit: h.unit.to_owned(),
            samples: Vec::new(),
        });
        Ok(())
    }

    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        match self.families.last_mut() {
            Some(f) => {
                f.samples.push(s.to_owned_sample());
                Ok(())
            }
            None => Err(Error::Collect("sample outside of a family".into())),
        }
    }

    fn end_family(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_family_drops_total_and_adds_unit() {
        let f = MetricFamily::counter("req_total", "h", "bytes").unwrap();
        assert_eq!(f.name, "req_bytes");
        let g = MetricFamily::new("x_bytes", "h", MetricType::Gauge, "bytes").unwrap();
        assert_eq!(g.name, "x_bytes");
    }

    #[test]
    fn labels_have_dict_semantics() {
        let mut f = MetricFamily::new("x", "h", MetricType::Gauge, "").unwrap();
        f.add_sample(
            "x",
            vec![("a".into(), "1".into()), ("b".into(), "2".into()), ("a".into(), "3".into())],
            1.0,
            None,
            None,
        );
        assert_eq!(f.samples[0].labels, vec![("a".into(), "3".into()), ("b".into(), "2".into())]);
    }

    #[test]
    fn timestamps_print_as_python_str() {
        let mut out = Vec::new();
        Timestamp::exact(1.0, 5.0).unwrap().write_seconds(&mut out);
        assert_eq!(out, b"1.000000005");
        out.clear();
        Timestamp::Float(1.5).write_seconds(&mut out);
        assert_eq!(out, b"1.5");
        let ms = |t: Timestamp| {
            let mut o = Vec::new();
            t.write_millis(&mut o).map(|_| String::from_utf8(o).unwrap())
        };
        assert_eq!(ms(Timestamp::Float(1.2345)).unwrap(), "1234");
        assert_eq!(ms(Timestamp::Float(1e16)).unwrap(), "10000000000000000000");
        assert_eq!(ms(Timestamp::Float(-1e16)).unwrap(), "-10000000000000000000");
        assert!(matches!(ms(Timestamp::Float(f64::NAN)), Err(Error::TimestampNotFinite { value }) if value.is_nan()));
        let inf = ms(Timestamp::Float(f64::INFINITY)).unwrap_err();
        assert_eq!(crate::compat::python::message(&inf), "cannot convert float infinity to integer");
        assert!(Timestamp::exact(1.0, 1e9).is_err());
        let mut o = Vec::new();
        Timestamp::exact(1e20, 0.0).unwrap().write_seconds(&mut o);
        assert_eq!(o, b"100000000000000000000.000000000");
    }

    #[test]
    fn histogram_family_skips_count_and_sum_for_negative_buckets() {
        let mut f = MetricFamily::new("h", "x", MetricType::Histogram, "").unwrap();
        f.add_histogram(&[], &[("-1".into(), 1.0, None), ("+Inf".into(), 2.0, None)], Some(3.0), None).unwrap();
        assert_eq!(f.samples.len(), 2);
        let mut g = MetricFamily::new("h", "x", MetricType::Histogram, "").unwrap();
        g.add_histogram(&[], &[("1".into(), 1.0, None), ("+Inf".into(), 2.0, None)], Some(3.0), None).unwrap();
        assert_eq!(g.samples.len(), 4);
        assert_eq!(g.samples[2].name, "h_count");
        assert_eq!(g.samples[2].value, 2.0);
    }
}
