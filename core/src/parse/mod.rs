//! Parsers for the Prometheus text format (0.0.4, and 1.0.0 with quoted UTF-8 names) and
//! OpenMetrics 1.0 (plus the native-histogram samples prometheus_client 0.26 reads), into
//! the core's [`MetricFamily`] model.
//!
//! Every entry point takes the [`ValidationScheme`](crate::names::ValidationScheme) its
//! names are checked under; errors are [`Error::Parse`](crate::Error::Parse) with the line
//! and the column of the part at fault. What both formats read alike (quoting, escapes,
//! label sets, Python's numbers, timestamps) lives in one shared lexer. The Python face,
//! which also needs to know which values prometheus_client holds as `int`, parses through
//! [`crate::compat::python::parse`] instead.

pub(crate) mod lex;
pub mod openmetrics;
pub(crate) mod stream;
pub mod text;

pub use text::Mode;

use std::fmt::Write as _;

use crate::floatfmt;
use crate::model::{Exemplar, MetricFamily, Timestamp};

/// A canonical, line-oriented dump of parsed families, used to compare fastprom's parsers
/// with prometheus_client's (tools/parse_dump.py writes the same format from Python).
///
/// One line per family, `F <name> <type> <unit> <help>`, then one line per sample,
/// `S <name> <labels> <value> <timestamp> <exemplar> <native>`; strings are written as
/// Python's `repr()` would write them, floats as `repr(float)`, labels sorted by name as
/// `{k: v, ...}`, absent parts as `-`.
pub fn canonical(families: &[MetricFamily]) -> String {
    let mut out = String::new();
    for f in families {
        let _ = writeln!(
            out,
            "F {} {} {} {}",
            crate::compat::python::repr::str_repr(&f.name),
            f.metric_type.as_str(),
            crate::compat::python::repr::str_repr(&f.unit),
            crate::compat::python::repr::str_repr(&f.help)
        );
        for s in &f.samples {
            let _ = writeln!(
                out,
                "S {} {} {} {} {} {}",
                crate::compat::python::repr::str_repr(&s.name),
                labels_repr(&s.labels),
                if s.native_histogram.is_some() { "-".to_owned() } else { floatfmt::py_repr(s.value) },
                ts_repr(s.timestamp),
                s.exemplar.as_ref().map_or("-".to_owned(), exemplar_repr),
                s.native_histogram.as_ref().map_or("-".to_owned(), |n| {
                    let spans = |v: &[crate::model::BucketSpan]| {
                        v.iter().map(|s| format!("{}:{}", s.offset, s.length)).collect::<Vec<_>>().join(",")
                    };
                    let ints = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                    let exs = n.exemplars.iter().map(exemplar_repr).collect::<Vec<_>>().join(";");
                    format!(
                        "NH(count={},sum={},schema={},zt={},zc={},pos=[{}],neg=[{}],pd=[{}],nd=[{}],ex=[{}])",
                        floatfmt::py_repr(n.count_value),
                        floatfmt::py_repr(n.sum_value),
                        n.schema,
                        floatfmt::py_repr(n.zero_threshold),
                        floatfmt::py_repr(n.zero_count),
                        spans(&n.pos_spans),
                        spans(&n.neg_spans),
                        ints(&n.pos_deltas),
                        ints(&n.neg_deltas),
                        exs
                    )
                })
            );
        }
    }
    out
}

fn labels_repr(labels: &[(String, String)]) -> String {
    let mut l: Vec<&(String, String)> = labels.iter().collect();
    l.sort_by(|a, b| a.0.cmp(&b.0));
    let inner: Vec<String> = l
        .iter()
        .map(|(k, v)| {
            format!("{}: {}", crate::compat::python::repr::str_repr(k), crate::compat::python::repr::str_repr(v))
        })
        .collect();
    format!("{{{}}}", inner.join(", "))
}

fn ts_repr(ts: Option<Timestamp>) -> String {
    match ts {
        None => "-".into(),
        Some(Timestamp::Exact { sec, nsec }) => format!("T({sec},{nsec})"),
        Some(t) => floatfmt::py_repr(t.as_f64()),
    }
}

fn exemplar_repr(e: &Exemplar) -> String {
    format!("E({},{},{})", labels_repr(&e.labels), floatfmt::py_repr(e.value), ts_repr(e.timestamp))
}
