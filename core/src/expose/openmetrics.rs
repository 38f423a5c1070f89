//! OpenMetrics text (1.0.0, and 2.0.0's native histograms where prometheus_client emits
//! them), as prometheus_client's `openmetrics.exposition.generate_latest`.

use crate::error::{Error, Result};
use crate::floatfmt;
use crate::model::{Exemplar, FamilyHeader, MetricType, NativeHistogram, SampleRef, Visitor};
use crate::names::{self, EscapingScheme, Rune};
use crate::registry::Collector;

use super::LabelRenderer;

/// Encodes everything `source` collects as OpenMetrics `version` (e.g. "1.0.0"), ending
/// with `# EOF`.
pub fn encode_openmetrics(source: &dyn Collector, escaping: EscapingScheme, version: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(super::size_hint());
    encode_openmetrics_into(source, escaping, version, &mut out)?;
    super::record_size(out.len());
    Ok(out)
}

/// [`encode_openmetrics`] appending to the caller's buffer; on an error the buffer is left
/// as it was.
///
/// ```
/// use fastprom::{expose, Counter, EscapingScheme, Registry, Settings};
///
/// let registry = Registry::new();
/// let c = Counter::with_opts(fastprom::Opts::new("hits", "Cache hits.").settings(Settings::default().created(false)))?;
/// registry.register(c.clone())?;
/// c.inc_by(3.0)?;
/// let mut buf = Vec::new();
/// expose::encode_openmetrics_into(&registry, EscapingScheme::Underscores, "1.0.0", &mut buf)?;
/// assert_eq!(buf, b"# HELP hits Cache hits.\n# TYPE hits counter\nhits_total 3.0\n# EOF\n");
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn encode_openmetrics_into(
    source: &dyn Collector,
    escaping: EscapingScheme,
    version: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    let mut enc = OpenMetricsEncoder::with_buffer(escaping, version, std::mem::take(out));
    let res = source.visit(&mut enc);
    *out = if res.is_ok() { enc.finish() } else { enc.out };
    if res.is_err() {
        out.truncate(start);
    }
    res
}

/// [`encode_openmetrics`] written to `w`.
pub fn write_openmetrics(
    source: &dyn Collector,
    escaping: EscapingScheme,
    version: &str,
    mut w: impl std::io::Write,
) -> Result<()> {
    let body = encode_openmetrics(source, escaping, version)?;
    w.write_all(&body).map_err(|e| Error::Io(e.to_string()))
}

/// A [`Visitor`] writing OpenMetrics text.
pub struct OpenMetricsEncoder {
    out: Vec<u8>,
    escaping: EscapingScheme,
    native: bool,
    name: String,
    metric_type: MetricType,
    namebuf: String,
    labels: LabelRenderer,
    raw_name: bool,
    before: Vec<u8>,
    after: Vec<u8>,
}

fn major_at_least_2(version: &str) -> bool {
    version.split('.').next().and_then(|m| m.trim().parse::<u64>().ok()).is_some_and(|m| m >= 2)
}

impl OpenMetricsEncoder {
    /// An encoder for OpenMetrics `version`.
    pub fn new(escaping: EscapingScheme, version: &str) -> Self {
        Self::with_buffer(escaping, version, Vec::with_capacity(super::size_hint()))
    }

    /// An encoder for OpenMetrics `version` appending to `out`.
    pub fn with_buffer(escaping: EscapingScheme, version: &str, out: Vec<u8>) -> Self {
        Self {
            out,
            escaping,
            native: major_at_least_2(version),
            name: String::new(),
            metric_type: MetricType::Unknown,
            namebuf: String::new(),
            labels: LabelRenderer::default(),
            raw_name: false,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    /// Appends `# EOF` and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(b"# EOF\n");
        self.out
    }

    /// prometheus_client's `_is_valid_exemplar_metric`.
    fn exemplar_allowed(&self, s: &SampleRef<'_>) -> bool {
        let full = s.full_name();
        match self.metric_type {
            MetricType::Counter => full.ends_with("_total"),
            MetricType::GaugeHistogram => full.ends_with("_bucket"),
            MetricType::Histogram => full.ends_with("_bucket") || full == self.name,
            _ => false,
        }
    }

    fn write_exemplar(&mut self, ex: &Exemplar) {
        let out = &mut self.out;
        out.extend_from_slice(b" # {");
        let mut labels: Vec<&(String, String)> = ex.labels.iter().collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        for (i, (k, v)) in labels.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b"=\"");
            names::escape_label_value_into(out, v);
            out.push(b'"');
        }
        out.extend_from_slice(b"} ");
        floatfmt::write_go_float(out, ex.value);
        if let Some(ts) = ex.timestamp {
            out.push(b' ');
            ts.write_seconds(out);
        }
    }

    fn write_native(out: &mut Vec<u8>, nh: &NativeHistogram) {
        out.extend_from_slice(b"{count:");
        let count = |out: &mut Vec<u8>, v: f64| {
            if nh.int_counts && v.is_finite() && v.abs() < 9.0e15 {
                out.extend_from_slice((v as i64).to_string().as_bytes());
            } else {
                floatfmt::write_py_repr(out, v);
            }
        };
        count(out, nh.count_value);
        out.extend_from_slice(b",sum:");
        floatfmt::write_py_repr(out, nh.sum_value);
        out.extend_from_slice(b",schema:");
        out.extend_from_slice(nh.schema.to_string().as_bytes());
        out.extend_from_slice(b",zero_threshold:");
        floatfmt::write_py_repr(out, nh.zero_threshold);
        out.extend_from_slice(b",zero_count:");
        count(out, nh.zero_count);
        let join = |out: &mut Vec<u8>, key: &str, items: Vec<String>| {
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(items.join(",").as_bytes());
            out.push(b']');
        };
        if !nh.neg_spans.is_empty() {
            join(out, ",negative_spans:[", nh.neg_spans.iter().map(|s| format!("{}:{}", s.offset, s.length)).collect());
            join(out, ",negative_deltas:[", nh.neg_deltas.iter().map(|d| d.to_string()).collect());
        }
        if !nh.pos_spans.is_empty() {
            join(out, ",positive_spans:[", nh.pos_spans.iter().map(|s| format!("{}:{}", s.offset, s.length)).collect());
            join(out, ",positive_deltas:[", nh.pos_deltas.iter().map(|d| d.to_string()).collect());
        }
        out.push(b'}');
    }
}

impl Visitor for OpenMetricsEncoder {
    fn family(&mut self, h: &FamilyHeader<'_>) -> Result<()> {
        self.name.clear();
        self.name.push_str(h.name);
        self.metric_type = h.metric_type;
        self.labels.reset();
        // Sample names go through `_escape(name, scheme, labelname rune)`: unchanged for a
        // legacy name under allow-utf-8, and for a name of label runes under underscores.
        self.raw_name = match self.escaping {
            EscapingScheme::AllowUtf8 => super::plain_metric_name(h.name),
            EscapingScheme::Underscores => {
                !h.name.is_empty()
                    && !h.name.as_bytes()[0].is_ascii_digit()
                    && h.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            }
            _ => false,
        };
        let out = &mut self.out;
        out.extend_from_slice(b"# HELP ");
        names::escape_metric_name_into(out, h.name, self.escaping);
        out.push(b' ');
        names::escape_label_value_into(out, h.help);
        out.extend_from_slice(b"\n# TYPE ");
        names::escape_metric_name_into(out, h.name, self.escaping);
        out.push(b' ');
        out.extend_from_slice(h.metric_type.as_str().as_bytes());
        out.push(b'\n');
        if !h.unit.is_empty() {
            out.extend_from_slice(b"# UNIT ");
            names::escape_metric_name_into(out, h.name, self.escaping);
            out.push(b' ');
            out.extend_from_slice(h.unit.as_bytes());
            out.push(b'\n');
        }
        Ok(())
    }

    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        let has_exemplar = s.exemplar.is_some() || s.native_histogram.is_some_and(|nh| !nh.exemplars.is_empty());
        if has_exemplar && !self.exemplar_allowed(s) {
            return Err(Error::ExemplarNotAllowed { name: self.name.to_owned() });
        }
        // prometheus_client checks exemplars first, then skips native samples before 2.0.0.
        if s.native_histogram.is_some() && !self.native {
            return Ok(());
        }
        let has_labels = LabelRenderer::has_labels(s);
        let out = &mut self.out;
        if self.raw_name && (s.series != 0 || s.name == self.name) {
            out.extend_from_slice(s.name.as_bytes());
            out.extend_from_slice(s.suffix.as_bytes());
            if has_labels {
                out.push(b'{');
                self.labels.write(out, s, self.escaping);
                out.push(b'}');
            }
        } else {
            self.namebuf.clear();
            self.namebuf.push_str(s.name);
            self.namebuf.push_str(s.suffix);
            let quoted =
                self.escaping == EscapingScheme::AllowUtf8 && !names::is_valid_legacy_metric_name(&self.namebuf);
            if quoted {
                out.push(b'{');
                names::escape_metric_name_into(out, &self.namebuf, self.escaping);
                if has_labels {
                    out.push(b',');
                    self.labels.write(out, s, self.escaping);
                }
                out.push(b'}');
            } else {
                names::escape_into(out, &[s.name, s.suffix], self.escaping, Rune::LabelName);
                if has_labels {
                    out.push(b'{');
                    self.labels.write(out, s, self.escaping);
                    out.push(b'}');
                }
            }
        }
        out.push(b' ');
        match s.native_histogram {
            Some(nh) => Self::write_native(out, nh),
            None => floatfmt::write_go_float(out, s.value),
        }
        if let Some(ts) = s.timestamp {
            out.push(b' ');
            ts.write_seconds(out);
        }
        if let Some(ex) = s.exemplar {
            self.write_exemplar(ex);
        }
        if let Some(nh) = s.native_histogram {
            for ex in &nh.exemplars {
                self.write_exemplar(ex);
            }
        }
        self.out.push(b'\n');
        Ok(())
    }

    fn sample_batch(
        &mut self,
        t: &SampleRef<'_>,
        extras: &[String],
        values: &[f64],
        exemplars: Option<&[Option<Exemplar>]>,
    ) -> Result<()> {
        let fast =
            self.raw_name && (t.series != 0 || t.name == self.name) && t.extra.is_some() && t.timestamp.is_none();
        if !fast {
            let name = t.extra.map_or("", |e| e.0);
            for (i, (ev, v)) in extras.iter().zip(values).enumerate() {
                let mut s = *t;
                s.extra = Some((name, ev.as_str()));
                s.value = *v;
                s.exemplar = exemplars.and_then(|e| e.get(i)).and_then(Option::as_ref);
                self.sample(&s)?;
            }
            return Ok(());
        }
        if exemplars.is_some_and(|e| e.iter().any(Option::is_some)) && !self.exemplar_allowed(t) {
            return Err(Error::ExemplarNotAllowed { name: self.name.to_owned() });
        }
        // Render everything but the extra label's value and the sample value once.
        self.labels.batch_line(t, self.escaping, &mut self.before, &mut self.after);
        for (i, (ev, v)) in extras.iter().zip(values).enumerate() {
            let out = &mut self.out;
            out.extend_from_slice(&self.before);
            names::escape_label_value_into(out, ev);
            out.extend_from_slice(&self.after);
            floatfmt::write_go_float(out, *v);
            if let Some(ex) = exemplars.and_then(|e| e.get(i)).and_then(Option::as_ref) {
                self.write_exemplar(ex);
            }
            self.out.push(b'\n');
        }
        Ok(())
    }

    fn end_family(&mut self) -> Result<()> {
        Ok(())
    }
}
