//! The core's metric families as JSON text, for `RawRegistry.families()`: a few lines of
//! writer instead of serde and serde-wasm-bindgen, which cost the .wasm about 5 KB gzipped.
//! Values are written as Python's `repr` writes them (the core's float formatting, which is
//! valid JSON for every finite number); NaN and the infinities, which JSON has no numbers
//! for, are written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, which JS's
//! `Number()` reads back.

use fastprom::{floatfmt, MetricFamily};

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\u00XX`.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            // Multi-byte UTF-8 sequences pass through whole: none of their bytes is below 0x80.
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Appends a number, or the string naming a non-finite one.
fn number(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        floatfmt::write_py_repr(out, v);
    } else if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v > 0.0 {
        out.extend_from_slice(b"\"Infinity\"");
    } else {
        out.extend_from_slice(b"\"-Infinity\"");
    }
}

/// `[{"name", "help", "metric_type", "unit", "samples": [{"name", "labels": [[k, v], ...],
/// "value"}, ...]}, ...]`: each family's name (a counter's without `_total`), help text,
/// type (`counter`, `gauge`, `histogram`, `summary`, `info`, `stateset`, ...), unit and
/// samples in exposition order. Timestamps, exemplars and native histograms, which this
/// package's metrics never have, are left out.
pub(crate) fn families(families: &[MetricFamily]) -> String {
    let mut out = Vec::with_capacity(64 + families.iter().map(|f| f.samples.len() * 64).sum::<usize>());
    out.push(b'[');
    for (i, f) in families.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        string(&mut out, &f.name);
        out.extend_from_slice(b",\"help\":");
        string(&mut out, &f.help);
        out.extend_from_slice(b",\"metric_type\":");
        string(&mut out, f.metric_type.as_str());
        out.extend_from_slice(b",\"unit\":");
        string(&mut out, &f.unit);
        out.extend_from_slice(b",\"samples\":[");
        for (j, s) in f.samples.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            string(&mut out, &s.name);
            out.extend_from_slice(b",\"labels\":[");
            for (k, (name, value)) in s.labels.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                string(&mut out, name);
                out.push(b',');
                string(&mut out, value);
                out.push(b']');
            }
            out.extend_from_slice(b"],\"value\":");
            number(&mut out, s.value);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
    // Only ASCII was added around whole UTF-8 strings.
    String::from_utf8(out).unwrap_or_default()
}
