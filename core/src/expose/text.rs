//! The Prometheus text format (0.0.4 and 1.0.0; prometheus_client writes the same bytes
//! for both), as prometheus_client's `generate_latest`.

use crate::error::Result;
use crate::floatfmt;
use crate::model::{FamilyHeader, MetricType, SampleRef, Visitor};
use crate::names::{self, EscapingScheme};
use crate::registry::Collector;

use super::LabelRenderer;

/// Encodes everything `source` collects in the Prometheus text format.
///
/// ```
/// use fastprom::{expose, Counter, EscapingScheme, Registry};
///
/// let registry = Registry::new();
/// let jobs = Counter::new("jobs", "Jobs run.")?;
/// registry.register(jobs.clone())?;
/// jobs.inc();
/// let text = expose::encode_text(&registry, EscapingScheme::Underscores)?;
/// assert!(text.starts_with(b"# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 1.0\n"));
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn encode_text(source: &dyn Collector, escaping: EscapingScheme) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(super::size_hint());
    encode_text_into(source, escaping, &mut out)?;
    super::record_size(out.len());
    Ok(out)
}

/// [`encode_text`] appending to the caller's buffer, which a scrape loop can reuse; on an
/// error the buffer is left as it was.
///
/// ```
/// use fastprom::{expose, Gauge, EscapingScheme, Registry};
///
/// let registry = Registry::new();
/// let temp = Gauge::new("temperature", "Degrees.")?;
/// registry.register(temp.clone())?;
/// let mut buf = Vec::new();
/// for reading in [20.5, 21.0] {
///     temp.set(reading);
///     buf.clear();
///     expose::encode_text_into(&registry, EscapingScheme::Underscores, &mut buf)?;
/// }
/// assert!(buf.ends_with(b"temperature 21.0\n"));
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn encode_text_into(source: &dyn Collector, escaping: EscapingScheme, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    let mut enc = TextEncoder::with_buffer(escaping, std::mem::take(out));
    let res = source.visit(&mut enc);
    *out = enc.out;
    if res.is_err() {
        out.truncate(start);
    }
    res
}

/// [`encode_text`] written to `w` (a socket, a file, stdout).
pub fn write_text(source: &dyn Collector, escaping: EscapingScheme, mut w: impl std::io::Write) -> Result<()> {
    let body = encode_text(source, escaping)?;
    w.write_all(&body).map_err(|e| crate::Error::Io(e.to_string()))
}

/// A [`Visitor`] writing the Prometheus text format. `_created`, `_gsum` and `_gcount`
/// samples are held back and written after their family as gauges of their own, as
/// prometheus_client does.
pub struct TextEncoder {
    out: Vec<u8>,
    escaping: EscapingScheme,
    name: String,
    help: String,
    held: [Vec<u8>; 3],
    namebuf: String,
    labels: LabelRenderer,
    /// Whether the family name may be written as is (plus a native suffix).
    raw_name: bool,
    /// Scratch for batches: the line up to the extra label's value, and after it.
    before: Vec<u8>,
    after: Vec<u8>,
}

const HELD: [&str; 3] = ["_created", "_gcount", "_gsum"];

impl TextEncoder {
    /// An encoder with an empty output.
    pub fn new(escaping: EscapingScheme) -> Self {
        Self::with_buffer(escaping, Vec::with_capacity(super::size_hint()))
    }

    /// An encoder appending to `out`.
    pub fn with_buffer(escaping: EscapingScheme, out: Vec<u8>) -> Self {
        Self {
            out,
            escaping,
            name: String::new(),
            help: String::new(),
            held: Default::default(),
            namebuf: String::new(),
            labels: LabelRenderer::default(),
            raw_name: false,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    fn header(out: &mut Vec<u8>, escaping: EscapingScheme, name: &str, help: &str, typ: &str) {
        out.extend_from_slice(b"# HELP ");
        names::escape_metric_name_into(out, name, escaping);
        out.push(b' ');
        names::escape_help_text_into(out, help);
        out.extend_from_slice(b"\n# TYPE ");
        names::escape_metric_name_into(out, name, escaping);
        out.push(b' ');
        out.extend_from_slice(typ.as_bytes());
        out.push(b'\n');
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        out: &mut Vec<u8>,
        namebuf: &mut String,
        labels: &mut LabelRenderer,
        escaping: EscapingScheme,
        raw: bool,
        s: &SampleRef<'_>,
    ) -> Result<()> {
        let has_labels = LabelRenderer::has_labels(s);
        if raw {
            out.extend_from_slice(s.name.as_bytes());
            out.extend_from_slice(s.suffix.as_bytes());
            if has_labels {
                out.push(b'{');
                labels.write(out, s, escaping);
                out.push(b'}');
            }
        } else {
            namebuf.clear();
            namebuf.push_str(s.name);
            namebuf.push_str(s.suffix);
            let quoted = escaping == EscapingScheme::AllowUtf8 && !names::is_valid_legacy_metric_name(namebuf);
            if quoted {
                out.push(b'{');
                names::escape_metric_name_into(out, namebuf, escaping);
                if has_labels {
                    out.push(b',');
                    labels.write(out, s, escaping);
                }
                out.push(b'}');
            } else {
                names::escape_metric_name_into(out, namebuf, escaping);
                if has_labels {
                    out.push(b'{');
                    labels.write(out, s, escaping);
                    out.push(b'}');
                }
            }
        }
        out.push(b' ');
        floatfmt::write_go_float(out, s.value);
        if let Some(ts) = s.timestamp {
            out.push(b' ');
            ts.write_millis(out)?;
        }
        out.push(b'\n');
        Ok(())
    }

    /// Which held-back suffix (`_created`, `_gcount`, `_gsum`) the sample has, if any.
    #[inline]
    fn held_slot(&self, s: &SampleRef<'_>, same_name: bool) -> Option<usize> {
        if same_name {
            if s.suffix.len() < 5 {
                return None;
            }
            return HELD.iter().position(|h| *h == s.suffix);
        }
        if s.suffix.is_empty() {
            let n = s.name;
            if n.len() <= self.name.len() || !n.starts_with(self.name.as_str()) {
                return None;
            }
            let rest = &n[self.name.len()..];
            HELD.iter().position(|h| *h == rest)
        } else if s.suffix.len() >= 5 && s.name == self.name {
            HELD.iter().position(|h| *h == s.suffix)
        } else {
            HELD.iter().position(|h| s.name_is(&self.name, h))
        }
    }
}

impl Visitor for TextEncoder {
    fn family(&mut self, h: &FamilyHeader<'_>) -> Result<()> {
        self.name.clear();
        self.name.push_str(h.name);
        self.help.clear();
        self.help.push_str(h.help);
        let (suffix, typ) = match h.metric_type {
            MetricType::Counter => ("_total", "counter"),
            MetricType::Info => ("_info", "gauge"),
            MetricType::StateSet => ("", "gauge"),
            MetricType::GaugeHistogram => ("", "histogram"),
            MetricType::Unknown => ("", "untyped"),
            other => ("", other.as_str()),
        };
        self.labels.reset();
        self.raw_name = self.escaping != EscapingScheme::Dots && super::plain_metric_name(h.name);
        let mname = format!("{}{}", h.name, suffix);
        Self::header(&mut self.out, self.escaping, &mname, h.help, typ);
        Ok(())
    }

    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        let same_name = s.series != 0 || s.name == self.name;
        let slot = self.held_slot(s, same_name);
        let raw = self.raw_name && same_name;
        let out = match slot {
            Some(i) => &mut self.held[i],
            None => &mut self.out,
        };
        Self::line(out, &mut self.namebuf, &mut self.labels, self.escaping, raw, s)
    }

    fn sample_batch(
        &mut self,
        t: &SampleRef<'_>,
        extras: &[String],
        values: &[f64],
        exemplars: Option<&[Option<crate::model::Exemplar>]>,
    ) -> Result<()> {
        let same_name = t.series != 0 || t.name == self.name;
        if !(self.raw_name && same_name)
            || t.extra.is_none()
            || t.timestamp.is_some()
            || self.held_slot(t, same_name).is_some()
        {
            // The general path, one sample at a time (exemplars are not part of this
            // format, so they are dropped either way).
            let name = t.extra.map_or("", |e| e.0);
            for (ev, v) in extras.iter().zip(values) {
                let mut s = *t;
                s.extra = Some((name, ev.as_str()));
                s.value = *v;
                self.sample(&s)?;
            }
            let _ = exemplars;
            return Ok(());
        }
        // Render everything but the extra label's value and the sample value once.
        self.labels.batch_line(t, self.escaping, &mut self.before, &mut self.after);
        let out = &mut self.out;
        for (ev, v) in extras.iter().zip(values) {
            out.extend_from_slice(&self.before);
            names::escape_label_value_into(out, ev);
            out.extend_from_slice(&self.after);
            floatfmt::write_go_float(out, *v);
            out.push(b'\n');
        }
        Ok(())
    }

    fn end_family(&mut self) -> Result<()> {
        for (i, suf) in HELD.iter().enumerate() {
            if self.held[i].is_empty() {
                continue;
            }
            let name = format!("{}{}", self.name, suf);
            Self::header(&mut self.out, self.escaping, &name, &self.help, "gauge");
            self.out.append(&mut self.held[i]);
        }
        Ok(())
    }
}
