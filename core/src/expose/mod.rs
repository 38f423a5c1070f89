//! Exposition: the Prometheus text format and OpenMetrics, byte-identical to
//! prometheus_client 0.26, content negotiation and gzip.

pub mod negotiate;
pub mod openmetrics;
pub mod text;

#[cfg(feature = "gzip")]
use std::io::Write;

use smallvec::SmallVec;

use crate::error::Result;
use crate::model::SampleRef;
use crate::names::{self, EscapingScheme};
use crate::registry::Collector;

pub use negotiate::{gzip_accepted, negotiate, Format, Negotiated};
pub use openmetrics::{encode_openmetrics, encode_openmetrics_into, write_openmetrics};
pub use text::{encode_text, encode_text_into, write_text};

static LAST_SIZE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(8192);

/// A capacity for the next exposition: the size of a recent one, so a scrape does not
/// re-grow its buffer many times.
pub(crate) fn size_hint() -> usize {
    LAST_SIZE.load(std::sync::atomic::Ordering::Relaxed).clamp(8192, 64 << 20)
}

/// Records an exposition's size for [`size_hint`].
pub(crate) fn record_size(n: usize) {
    LAST_SIZE.store(n + n / 8, std::sync::atomic::Ordering::Relaxed);
}

/// Encodes `source` in the negotiated format (see [`negotiate`]).
pub fn encode(source: &dyn Collector, how: &Negotiated) -> Result<Vec<u8>> {
    match &how.format {
        Format::Text004 | Format::Text100 => encode_text(source, how.escaping),
        Format::OpenMetrics { version } => encode_openmetrics(source, how.escaping, version),
    }
}

/// gzip-compresses an exposition (for `Content-Encoding: gzip`). Cargo feature `gzip`.
#[cfg(feature = "gzip")]
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Whether `name` is a legacy metric name in the strict sense (no trailing newline, which
/// prometheus_client's `$`-anchored regex lets through), so an encoder may copy it as is.
#[inline]
pub(crate) fn plain_metric_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && !b[0].is_ascii_digit() && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b':')
}

/// Renders a sample's labels as `k="v",k2="v2"` (no braces) in label-name order, names
/// escaped per the scheme and values backslash-escaped, as both prometheus_client encoders
/// do. Native series render their own labels once: later samples of the same series (each
/// bucket of a histogram, `_created`, ...) copy the cached bytes and splice in the extra
/// label.
#[derive(Debug, Default)]
pub(crate) struct LabelRenderer {
    series: u64,
    rendered: Vec<u8>,
    /// Start offset in `rendered` of each label, in label-name order.
    starts: SmallVec<[u32; 8]>,
    /// The extra label's name (as pointer and length), its escaped form and its position
    /// among the series labels, for the current series.
    extra_key: (usize, usize),
    extra_name: Vec<u8>,
    extra_pos: usize,
    /// Whether the extra label has the same name as the series label at `extra_pos`
    /// (a stateset named like one of its labels): then it replaces that label, as the
    /// later key does in a Python dict.
    extra_replaces: bool,
    /// For native series (`series != 0`, `sorted` given): the escaped `name="` of each
    /// label, in label-name order, valid for the whole family.
    prefixes: Vec<u8>,
    prefix_ends: SmallVec<[u32; 8]>,
    prefixes_ready: bool,
}

impl LabelRenderer {
    /// Forgets the cache (at every family boundary: series ids are per family).
    pub(crate) fn reset(&mut self) {
        self.series = 0;
        self.extra_key = (0, 0);
        self.prefixes_ready = false;
    }

    fn render(&mut self, s: &SampleRef<'_>, scheme: EscapingScheme) {
        self.rendered.clear();
        self.starts.clear();
        if let (Some(order), true) = (s.sorted, s.series != 0) {
            if order.len() == s.labels.len() {
                if !self.prefixes_ready {
                    self.prefixes.clear();
                    self.prefix_ends.clear();
                    for &i in order {
                        names::escape_label_name_into(&mut self.prefixes, s.labels[i as usize].0, scheme);
                        self.prefixes.extend_from_slice(b"=\"");
                        self.prefix_ends.push(self.prefixes.len() as u32);
                    }
                    self.prefixes_ready = true;
                }
                let mut from = 0usize;
                for (n, &i) in order.iter().enumerate() {
                    if n > 0 {
                        self.rendered.push(b',');
                    }
                    self.starts.push(self.rendered.len() as u32);
                    let to = self.prefix_ends[n] as usize;
                    self.rendered.extend_from_slice(&self.prefixes[from..to]);
                    from = to;
                    names::escape_label_value_into(&mut self.rendered, s.labels[i as usize].1);
                    self.rendered.push(b'"');
                }
                return;
            }
        }
        let mut scratch = SmallVec::new();
        let order = label_order(s, &mut scratch);
        for (n, &i) in order.iter().enumerate() {
            let (k, v) = s.labels[i as usize];
            if n > 0 {
                self.rendered.push(b',');
            }
            self.starts.push(self.rendered.len() as u32);
            write_pair(&mut self.rendered, k, v, scheme);
        }
    }

    /// Whether the sample has any label.
    #[inline]
    pub(crate) fn has_labels(s: &SampleRef<'_>) -> bool {
        !s.labels.is_empty() || s.extra.is_some()
    }

    /// Renders the series labels if this is a new series, and works out where the extra
    /// label goes. Returns whether the sample has an extra label.
    #[inline]
    fn prepare(&mut self, s: &SampleRef<'_>, scheme: EscapingScheme) -> bool {
        let fresh = s.series == 0 || s.series != self.series;
        if fresh {
            self.render(s, scheme);
            self.series = s.series;
        }
        let Some((ek, _)) = s.extra else { return false };
        let key = (ek.as_ptr() as usize, ek.len());
        if fresh || s.series == 0 || key != self.extra_key {
            // Where the extra label goes among the sorted names, and its escaped name.
            let mut scratch = SmallVec::new();
            let order = label_order(s, &mut scratch);
            self.extra_pos = order.partition_point(|&i| s.labels[i as usize].0 < ek);
            self.extra_replaces = order.get(self.extra_pos).is_some_and(|&i| s.labels[i as usize].0 == ek);
            self.extra_name.clear();
            names::escape_label_name_into(&mut self.extra_name, ek, scheme);
            self.extra_name.extend_from_slice(b"=\"");
            self.extra_key = if s.series == 0 { (0, 0) } else { key };
        }
        true
    }

    /// The series labels around the extra label: `before` ends with the extra label's
    /// `name="` and `after` starts right after its value's closing quote.
    fn pieces(&self) -> (&[u8], &[u8], &[u8]) {
        let pos = self.extra_pos;
        if self.extra_replaces {
            let at = self.starts[pos] as usize;
            let next = self.starts.get(pos + 1).map_or(self.rendered.len(), |n| *n as usize - 1);
            (&self.rendered[..at], b"", &self.rendered[next..])
        } else if pos >= self.starts.len() {
            (&self.rendered[..], if pos > 0 { b"," } else { b"" }, b"")
        } else {
            let at = self.starts[pos] as usize;
            (&self.rendered[..at], b"", &self.rendered[at - usize::from(at > 0)..])
        }
    }

    /// Appends the sample's labels (without braces).
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, s: &SampleRef<'_>, scheme: EscapingScheme) {
        if !self.prepare(s, scheme) {
            out.extend_from_slice(&self.rendered);
            return;
        }
        let ev = s.extra.map_or("", |e| e.1);
        self.write_with_extra(out, ev);
    }

    /// Appends the prepared labels with the extra label set to `ev`.
    #[inline]
    fn write_with_extra(&self, out: &mut Vec<u8>, ev: &str) {
        let (before, sep, after) = self.pieces();
        out.extend_from_slice(before);
        out.extend_from_slice(sep);
        out.extend_from_slice(&self.extra_name);
        names::escape_label_value_into(out, ev);
        out.push(b'"');
        if !after.is_empty() && !self.extra_replaces && self.extra_pos < self.starts.len() {
            // `after` begins at the next label's start minus its comma; a label right at
            // the start has none, so add it.
            if self.starts[self.extra_pos] == 0 {
                out.push(b',');
            }
        }
        out.extend_from_slice(after);
    }

    /// For a batch of lines written with the family name as is: `before` becomes the line
    /// up to the extra label's value (`name_suffix{...le="`) and `after` the rest up to the
    /// sample value (`"...} `); each line is `before`, the escaped extra value, `after`,
    /// the value.
    pub(crate) fn batch_line(
        &mut self,
        t: &SampleRef<'_>,
        scheme: EscapingScheme,
        before: &mut Vec<u8>,
        after: &mut Vec<u8>,
    ) {
        before.clear();
        after.clear();
        before.extend_from_slice(t.name.as_bytes());
        before.extend_from_slice(t.suffix.as_bytes());
        before.push(b'{');
        self.batch_pieces(t, scheme, before, after);
        after.extend_from_slice(b"} ");
    }

    /// For a batch: the bytes before the extra label's value (`before`), and after its
    /// value up to the closing brace (`after`, without the brace). The extra value goes
    /// between them, escaped.
    fn batch_pieces(&mut self, s: &SampleRef<'_>, scheme: EscapingScheme, before: &mut Vec<u8>, after: &mut Vec<u8>) {
        self.prepare(s, scheme);
        let (b, sep, a) = self.pieces();
        before.extend_from_slice(b);
        before.extend_from_slice(sep);
        before.extend_from_slice(&self.extra_name);
        after.push(b'"');
        if !a.is_empty()
            && !self.extra_replaces
            && self.extra_pos < self.starts.len()
            && self.starts[self.extra_pos] == 0
        {
            after.push(b',');
        }
        after.extend_from_slice(a);
    }
}

#[inline]
fn write_pair(out: &mut Vec<u8>, k: &str, v: &str, scheme: EscapingScheme) {
    names::escape_label_name_into(out, k, scheme);
    out.extend_from_slice(b"=\"");
    names::escape_label_value_into(out, v);
    out.push(b'"');
}

/// Label indices of `s.labels` in label-name order.
#[inline]
pub(crate) fn label_order<'a>(s: &SampleRef<'a>, scratch: &'a mut SmallVec<[u16; 16]>) -> &'a [u16] {
    match s.sorted {
        Some(p) if p.len() == s.labels.len() => p,
        _ => {
            scratch.clear();
            // More than 65,535 labels on one sample cannot be expressed; no real sample
            // comes near (families are limited to 4,096 names).
            scratch.extend((0..s.labels.len().min(u16::MAX as usize)).map(|i| i as u16));
            let labels = s.labels;
            scratch.sort_by(|a, b| labels[*a as usize].0.cmp(labels[*b as usize].0));
            scratch
        }
    }
}
