//! The Prometheus text format (0.0.4 and 1.0.0; prometheus_client writes the same bytes
//! for both), as prometheus_client's `generate_latest`.

use crate::error::Result;
use crate::floatfmt;
use crate::model::{FamilyHeader, MetricType, SampleRef, Visitor};
use crate::names::{self, EscapingScheme};
use crate::registry::Collector;

use super::write_labels;

/// Encodes everything `source` collects in the Prometheus text format.
pub fn encode_text(source: &dyn Collector, escaping: EscapingScheme) -> Result<Vec<u8>> {
    let mut enc = TextEncoder::new(escaping);
    source.visit(&mut enc)?;
    Ok(enc.out)
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
}

const HELD: [&str; 3] = ["_created", "_gcount", "_gsum"];

impl TextEncoder {
    /// An encoder with an empty output.
    pub fn new(escaping: EscapingScheme) -> Self {
        Self { out: Vec::with_capacity(8192), escaping, name: String::new(), help: String::new(), held: Default::default(), namebuf: String::new() }
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

    fn line(out: &mut Vec<u8>, namebuf: &mut String, escaping: EscapingScheme, s: &SampleRef<'_>) -> Result<()> {
        namebuf.clear();
        namebuf.push_str(s.name);
        namebuf.push_str(s.suffix);
        let quoted = escaping == EscapingScheme::AllowUtf8 && !names::is_valid_legacy_metric_name(namebuf);
        if quoted {
            out.push(b'{');
            names::escape_metric_name_into(out, namebuf, escaping);
            if !s.labels.is_empty() {
                out.push(b',');
                write_labels(out, s, escaping);
            }
            out.push(b'}');
        } else {
            names::escape_metric_name_into(out, namebuf, escaping);
            if !s.labels.is_empty() {
                out.push(b'{');
                write_labels(out, s, escaping);
                out.push(b'}');
            }
        }
        out.push(b' ');
        floatfmt::write_go_float(out, s.value);
        if let Some(ts) = s.timestamp {
            out.push(b' ');
            out.extend_from_slice(ts.millis()?.to_string().as_bytes());
        }
        out.push(b'\n');
        Ok(())
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
        let mname = format!("{}{}", h.name, suffix);
        Self::header(&mut self.out, self.escaping, &mname, h.help, typ);
        Ok(())
    }

    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        let slot = HELD.iter().position(|suf| s.name_is(&self.name, suf));
        let out = match slot {
            Some(i) => &mut self.held[i],
            None => &mut self.out,
        };
        Self::line(out, &mut self.namebuf, self.escaping, s)
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
