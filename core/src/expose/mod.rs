//! Exposition: the Prometheus text format and OpenMetrics, byte-identical to
//! prometheus_client 0.26, content negotiation and gzip.

pub mod negotiate;
pub mod openmetrics;
pub mod text;

use std::io::Write;

use smallvec::SmallVec;

use crate::error::Result;
use crate::model::SampleRef;
use crate::names::{self, EscapingScheme};
use crate::registry::Collector;

pub use negotiate::{gzip_accepted, negotiate, Format, Negotiated};
pub use openmetrics::encode_openmetrics;
pub use text::encode_text;

/// Encodes `source` in the negotiated format (see [`negotiate`]).
pub fn encode(source: &dyn Collector, how: &Negotiated) -> Result<Vec<u8>> {
    match &how.format {
        Format::Text004 | Format::Text100 => encode_text(source, how.escaping),
        Format::OpenMetrics { version } => encode_openmetrics(source, how.escaping, version),
    }
}

/// gzip-compresses an exposition (for `Content-Encoding: gzip`).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Label indices of `s` in label-name order.
#[inline]
pub(crate) fn label_order<'a>(s: &SampleRef<'a>, scratch: &'a mut SmallVec<[u8; 16]>) -> &'a [u8] {
    match s.sorted {
        Some(p) if p.len() == s.labels.len() => p,
        _ => {
            scratch.clear();
            scratch.extend(0..s.labels.len().min(255) as u8);
            let labels = s.labels;
            scratch.sort_by(|a, b| labels[*a as usize].0.cmp(labels[*b as usize].0));
            scratch
        }
    }
}

/// Writes `k="v",k2="v2"` (no braces) with names escaped per `scheme` and values
/// backslash-escaped, in label-name order.
#[inline]
pub(crate) fn write_labels(out: &mut Vec<u8>, s: &SampleRef<'_>, scheme: EscapingScheme) {
    let mut scratch = SmallVec::new();
    let order = label_order(s, &mut scratch);
    for (n, &i) in order.iter().enumerate() {
        let (k, v) = s.labels[i as usize];
        if n > 0 {
            out.push(b',');
        }
        names::escape_label_name_into(out, k, scheme);
        out.extend_from_slice(b"=\"");
        names::escape_label_value_into(out, v);
        out.push(b'"');
    }
}
