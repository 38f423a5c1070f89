//! Differential golden-file tests against Python's prometheus_client 0.26.0.
//!
//! `tools/golden/scenarios.json` describes scenarios (metrics to create, operations on them,
//! custom collector families, registry options, formats); `tools/gen_golden.py` runs each on
//! prometheus_client and writes the exact expositions to `tests/golden/<scenario>.<format>.txt`
//! and the exceptions of the steps meant to fail to `tests/golden/errors.json`. This test runs
//! the same scenarios through fastprom's API and requires byte-identical output and the same
//! error messages.
//!
//! Each scenario gets its own settings: a clock shared by its families (moved by `clock`
//! ops), its validation scheme on every family and custom family, and its `_created` toggle
//! on its registry. Everything still runs in one `#[test]`, which also checks that no golden
//! file or error record is stale. Every output fastprom produces is also written to
//! `target/golden-out/` for `tests/py/test_exposition_checks.py`.
//!
//! Scenarios marked `known_diff` document a known divergence: they are still run and reported
//! (so a fix shows up as "now matches"), but do not fail the test and write no output.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fastprom::compat::python::message::{message, remove_label_count_message};
use fastprom::expose::{encode_openmetrics, encode_text};
use fastprom::metrics::InfoConfig;
use fastprom::names::ValidationScheme;
use fastprom::{
    BucketSpan, Buckets, Child, Clock, Collector, CollectorId, Counter, Enum, Error, EscapingScheme, Exemplar, Family,
    Gauge, Histogram, Info, MetricCore, MetricFamily, MetricType, NativeHistogram, Opts, Registry, States, Summary,
    SummaryConfig, Timestamp,
};
use serde::Deserialize;
use serde_json::Value;

const ESCAPINGS: [&str; 4] = ["underscores", "dots", "values", "allow-utf-8"];

/// One record of `errors.json`.
#[derive(Debug, Clone, Deserialize)]
struct ErrorRecord {
    scenario: String,
    step: String,
    #[serde(rename = "type")]
    py_type: String,
    message: String,
    arg0: String,
    #[serde(default)]
    duplicates: Option<Vec<String>>,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------
// JSON helpers. A malformed scenario is a bug of the test, so these panic.

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("missing string {key:?} in {v}"))
}

fn s_or<'a>(v: &'a Value, key: &str, default: &'a str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or(default)
}

fn flag(v: &Value, key: &str, default: bool) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(default)
}

/// A float written as a string ("0.5", "nan", "inf", "-inf", "1e+16") or a JSON number.
fn num(v: &Value) -> f64 {
    match v {
        Value::String(t) => match t.trim().to_ascii_lowercase().as_str() {
            "nan" | "+nan" | "-nan" => f64::NAN,
            "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
            "-inf" | "-infinity" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or_else(|_| panic!("bad float {t:?}")),
        },
        Value::Number(n) => n.as_f64().unwrap_or_else(|| panic!("bad number {n}")),
        other => panic!("expected a float, got {other}"),
    }
}

fn num_at(v: &Value, key: &str) -> f64 {
    num(v.get(key).unwrap_or_else(|| panic!("missing {key:?} in {v}")))
}

fn opt_num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).filter(|x| !x.is_null()).map(num)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list of strings, got {v}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_else(|| panic!("expected a string, got {x}")).to_owned())
        .collect()
}

fn strs_at(v: &Value, key: &str) -> Vec<String> {
    v.get(key).map(strs).unwrap_or_default()
}

/// A dict given as a list of `[key, value]` pairs (order kept) or a JSON object.
fn pairs(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Null => Vec::new(),
        Value::Object(m) => m.iter().map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_owned())).collect(),
        Value::Array(a) => a
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap_or_else(|| panic!("expected a pair, got {p}"));
                (p[0].as_str().unwrap_or_default().to_owned(), p[1].as_str().unwrap_or_default().to_owned())
            })
            .collect(),
        other => panic!("expected pairs, got {other}"),
    }
}

/// Python dict semantics: a repeated key keeps its first position and takes the last value.
fn dict(items: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(items.len());
    for (k, v) in items {
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// `dict(zip(names, values))`.
fn zip_labels(names: &[String], values: &[String]) -> Vec<(String, String)> {
    dict(names.iter().cloned().zip(values.iter().cloned()).collect())
}

// ---------------------------------------------------------------------------------------
// Custom collector: builds its families from the scenario at every collect(), as
// prometheus_client's custom collectors (and the generator's) do.

fn timestamp(v: Option<&Value>) -> fastprom::Result<Option<Timestamp>> {
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(x @ Value::String(_)) => Some(Timestamp::Float(num(x))),
        Some(Value::Number(n)) => {
            Some(Timestamp::Int(n.as_i64().unwrap_or_else(|| panic!("integer timestamp out of i64 range: {n}"))))
        }
        Some(o @ Value::Object(_)) => Some(Timestamp::exact(num_at(o, "sec"), num_at(o, "nsec"))?),
        Some(other) => panic!("bad timestamp {other}"),
    })
}

/// prometheus_client's `Exemplar` namedtuple: not validated.
fn exemplar(v: Option<&Value>) -> fastprom::Result<Option<Exemplar>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(e) => Ok(Some(Exemplar {
            labels: dict(pairs(e.get("labels").unwrap_or(&Value::Null))),
            value: num_at(e, "value"),
            timestamp: timestamp(e.get("timestamp"))?,
        })),
    }
}

fn native(v: &Value) -> fastprom::Result<NativeHistogram> {
    let spans = |key: &str| -> Vec<BucketSpan> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|p| BucketSpan {
                        offset: p[0].as_i64().expect("span offset") as i32,
                        length: p[1].as_u64().expect("span length") as u32,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let deltas = |key: &str| -> Vec<i64> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|d| d.as_i64().expect("delta")).collect())
            .unwrap_or_default()
    };
    let mut exemplars = Vec::new();
    if let Some(a) = v.get("exemplars").and_then(Value::as_array) {
        for e in a {
            exemplars.extend(exemplar(Some(e))?);
        }
    }
    Ok(NativeHistogram {
        count_value: num_at(v, "count"),
        sum_value: num_at(v, "sum"),
        schema: v.get("schema").and_then(Value::as_i64).expect("schema") as i32,
        zero_threshold: num_at(v, "zero_threshold"),
        zero_count: num_at(v, "zero_count"),
        pos_spans: spans("pos_spans"),
        neg_spans: spans("neg_spans"),
        pos_deltas: deltas("pos_deltas"),
        neg_deltas: deltas("neg_deltas"),
        exemplars,
        int_counts: false,
    })
}

type HistBuckets = Vec<(String, f64, Option<Exemplar>)>;

fn hist_buckets(v: &Value) -> fastprom::Result<HistBuckets> {
    let mut out = Vec::new();
    for b in v.as_array().unwrap_or_else(|| panic!("expected buckets, got {v}")) {
        let le = b[0].as_str().expect("le").to_owned();
        out.push((le, num(&b[1]), exemplar(b.get(2))?));
    }
    Ok(out)
}

fn build_family(spec: &Value, scheme: ValidationScheme) -> fastprom::Result<MetricFamily> {
    let t = s(spec, "type");
    let (name, help, unit) = (s(spec, "name"), s_or(spec, "help", ""), s_or(spec, "unit", ""));
    let names = strs_at(spec, "labels");
    let entries: &[Value] = spec.get("metrics").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let labels_of = |e: &Value| zip_labels(&names, &strs_at(e, "labels"));
    match t {
        "Metric" => {
            let mt = MetricType::from_name(s(spec, "metric_type"))?;
            let mut f = MetricFamily::with_scheme(name, help, mt, unit, scheme)?;
            for smp in spec.get("samples").and_then(Value::as_array).map_or(&[][..], Vec::as_slice) {
                let labels = dict(pairs(smp.get("labels").unwrap_or(&Value::Null)));
                let ts = timestamp(smp.get("timestamp"))?;
                let ex = exemplar(smp.get("exemplar"))?;
                f.add_sample(s(smp, "name"), labels, num_at(smp, "value"), ts, ex);
                if let Some(nh) = smp.get("native_histogram").filter(|x| !x.is_null()) {
                    let nh = native(nh)?;
                    if let Some(last) = f.samples.last_mut() {
                        last.native_histogram = Some(Box::new(nh));
                    }
                }
            }
            Ok(f)
        }
        "CounterMetricFamily" => {
            let mut f = MetricFamily::counter_with_scheme(name, help, unit, scheme)?;
            if spec.get("value").is_some_and(|x| !x.is_null()) {
                let ex = exemplar(spec.get("exemplar"))?;
                f.add_counter(&[], num_at(spec, "value"), opt_num(spec, "created"), None, ex);
            }
            for e in entries {
                let (ts, ex) = (timestamp(e.get("timestamp"))?, exemplar(e.get("exemplar"))?);
                f.add_counter(&labels_of(e), num_at(e, "value"), opt_num(e, "created"), ts, ex);
            }
            Ok(f)
        }
        "GaugeMetricFamily" | "UnknownMetricFamily" => {
            let mt = if t == "GaugeMetricFamily" { MetricType::Gauge } else { MetricType::Unknown };
            let mut f = MetricFamily::with_scheme(name, help, mt, unit, scheme)?;
            if let Some(v) = opt_num(spec, "value") {
                f.add_value(&[], v, None);
            }
            for e in entries {
                f.add_value(&labels_of(e), num_at(e, "value"), timestamp(e.get("timestamp"))?);
            }
            Ok(f)
        }
        "SummaryMetricFamily" => {
            let mut f = MetricFamily::with_scheme(name, help, MetricType::Summary, unit, scheme)?;
            if let (Some(c), Some(sm)) = (opt_num(spec, "count"), opt_num(spec, "sum")) {
                f.add_summary(&[], c, sm, None);
            }
            for e in entries {
                f.add_summary(&labels_of(e), num_at(e, "count"), num_at(e, "sum"), timestamp(e.get("timestamp"))?);
            }
            Ok(f)
        }
        "HistogramMetricFamily" => {
            let mut f = MetricFamily::with_scheme(name, help, MetricType::Histogram, unit, scheme)?;
            if let Some(b) = spec.get("buckets").filter(|x| !x.is_null()) {
                f.add_histogram(&[], &hist_buckets(b)?, opt_num(spec, "sum"), None)?;
            }
            for e in entries {
                let b = hist_buckets(e.get("buckets").expect("buckets"))?;
                f.add_histogram(&labels_of(e), &b, opt_num(e, "sum"), timestamp(e.get("timestamp"))?)?;
            }
            Ok(f)
        }
        "GaugeHistogramMetricFamily" => {
            let mut f = MetricFamily::with_scheme(name, help, MetricType::GaugeHistogram, unit, scheme)?;
            let plain = |b: HistBuckets| -> Vec<(String, f64)> { b.into_iter().map(|(le, v, _)| (le, v)).collect() };
            if let Some(b) = spec.get("buckets").filter(|x| !x.is_null()) {
                let gsum = opt_num(spec, "gsum").expect("gsum (None fails exposition in Python)");
                f.add_gauge_histogram(&[], &plain(hist_buckets(b)?), gsum, None)?;
            }
            for e in entries {
                let b = plain(hist_buckets(e.get("buckets").expect("buckets"))?);
                let gsum = opt_num(e, "gsum").expect("gsum (None fails exposition in Python)");
                f.add_gauge_histogram(&labels_of(e), &b, gsum, timestamp(e.get("timestamp"))?)?;
            }
            Ok(f)
        }
        "InfoMetricFamily" => {
            let mut f = MetricFamily::with_scheme(name, help, MetricType::Info, "", scheme)?;
            if let Some(v) = spec.get("value").filter(|x| !x.is_null()) {
                f.add_info(&[], &dict(pairs(v)), None);
            }
            for e in entries {
                let value = dict(pairs(e.get("value").unwrap_or(&Value::Null)));
                f.add_info(&labels_of(e), &value, timestamp(e.get("timestamp"))?);
            }
            Ok(f)
        }
        "StateSetMetricFamily" => {
            let mut f = MetricFamily::with_scheme(name, help, MetricType::StateSet, "", scheme)?;
            let states = |v: &Value| -> Vec<(String, bool)> {
                let mut out: Vec<(String, bool)> = Vec::new();
                for p in v.as_array().expect("states") {
                    let (k, on) = (p[0].as_str().expect("state").to_owned(), p[1].as_bool().expect("bool"));
                    match out.iter_mut().find(|(n, _)| *n == k) {
                        Some(slot) => slot.1 = on,
                        None => out.push((k, on)),
                    }
                }
                out
            };
            if let Some(v) = spec.get("value").filter(|x| !x.is_null()) {
                f.add_stateset(&[], &states(v), None);
            }
            for e in entries {
                let st = states(e.get("value").expect("value"));
                // StateSetMetricFamily zips label names + (name,) with values + (state,), so
                // a short label value list pairs the state with a family label name; the
                // scenarios only use matching lengths.
                f.add_stateset(&labels_of(e), &st, timestamp(e.get("timestamp"))?);
            }
            Ok(f)
        }
        other => panic!("unknown custom family type {other:?}"),
    }
}

struct CustomCollector {
    specs: Vec<Value>,
    scheme: ValidationScheme,
}

impl Collector for CustomCollector {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        self.specs.iter().map(|spec| build_family(spec, self.scheme)).collect()
    }
}

// ---------------------------------------------------------------------------------------
// A scenario's settings.

/// The time a scenario's families read: its `clock`, moved by `clock` ops. All the
/// scenario's families share it, as all of prometheus_client's read the patched `time.time`.
struct ScenarioClock(AtomicU64);

impl ScenarioClock {
    fn new(t: f64) -> Self {
        Self(AtomicU64::new(t.to_bits()))
    }

    fn set(&self, t: f64) {
        self.0.store(t.to_bits(), Ordering::Relaxed);
    }
}

impl Clock for ScenarioClock {
    fn now(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// What every family of a scenario is built with.
struct Env {
    clock: Arc<ScenarioClock>,
    scheme: ValidationScheme,
}

impl Env {
    fn of(sc: &Value) -> Self {
        let legacy = flag(sc, "legacy_validation", false);
        Self {
            clock: Arc::new(ScenarioClock::new(num_at(sc, "clock"))),
            scheme: if legacy { ValidationScheme::Legacy } else { ValidationScheme::Utf8 },
        }
    }

    /// `Opts::new(name, help)` with the scenario's clock and validation scheme.
    fn opts(&self, name: &str, help: &str) -> Opts {
        Opts::new(name, help).clock(Arc::clone(&self.clock) as Arc<dyn Clock>).validation(self.scheme)
    }
}

// ---------------------------------------------------------------------------------------
// Native metrics.

#[derive(Clone)]
enum Fam {
    Counter(Family<Counter>),
    Gauge(Family<Gauge>),
    Histogram(Family<Histogram>),
    Summary(Family<Summary>),
    Info(Family<Info>),
    Enum(Family<Enum>),
}

macro_rules! each {
    ($fam:expr, $f:ident => $body:expr) => {
        match $fam {
            Fam::Counter($f) => $body,
            Fam::Gauge($f) => $body,
            Fam::Histogram($f) => $body,
            Fam::Summary($f) => $body,
            Fam::Info($f) => $body,
            Fam::Enum($f) => $body,
        }
    };
}

impl Fam {
    fn register(&self, registry: &Registry) -> fastprom::Result<CollectorId> {
        each!(self, f => registry.register(f.clone()))
    }
}

fn create_metric(spec: &Value, env: &Env) -> fastprom::Result<Fam> {
    let opts = env
        .opts(s(spec, "name"), s_or(spec, "help", ""))
        .namespace(s_or(spec, "namespace", ""))
        .subsystem(s_or(spec, "subsystem", ""))
        .unit(s_or(spec, "unit", ""))
        .labels(strs_at(spec, "labels"));
    Ok(match s(spec, "type") {
        "counter" => Fam::Counter(Family::new(opts, ())?),
        "gauge" => Fam::Gauge(Family::new(opts, ())?),
        "summary" => Fam::Summary(Family::new(opts, SummaryConfig::default())?),
        "histogram" => {
            // prometheus_client checks the buckets first, as here.
            let buckets = match spec.get("buckets") {
                Some(b) => Buckets::new(&b.as_array().expect("buckets").iter().map(num).collect::<Vec<_>>())?,
                None => Buckets::default(),
            };
            Fam::Histogram(Family::new(opts, buckets)?)
        }
        "info" => Fam::Info(Family::new(opts, InfoConfig::default())?),
        "enum" => Fam::Enum(Family::new(opts, States::new(strs_at(spec, "states")))?),
        other => panic!("unknown metric type {other:?}"),
    })
}

/// `m.labels(*labels)`, `m.labels(**labelkw)` or the metric itself.
fn child<M: MetricCore>(f: &Family<M>, op: &Value) -> fastprom::Result<Child<M>> {
    if let Some(v) = op.get("labels") {
        f.labels(&strs(v))
    } else if let Some(kw) = op.get("labelkw") {
        f.labels_by_name(&pairs(kw))
    } else {
        f.unlabelled().cloned()
    }
}

fn run_op(op: &Value, fams: &HashMap<String, Fam>, registry: &Registry, env: &Env) -> fastprom::Result<()> {
    let kind = s(op, "op");
    match kind {
        "clock" => {
            env.clock.set(num_at(op, "value"));
            return Ok(());
        }
        "set_target_info" => {
            let v = op.get("value").filter(|x| !x.is_null()).map(|x| dict(pairs(x)));
            return registry.set_target_info(v);
        }
        _ => {}
    }
    let id = s(op, "metric");
    let fam = fams.get(id).unwrap_or_else(|| panic!("op {op} on unknown metric {id:?}"));
    // "value" is a float for most ops, a state name or pairs for others: read it lazily.
    let value = || opt_num(op, "value");
    let bad = || -> ! { panic!("op {kind:?} does not apply to metric {id:?}") };
    match (kind, fam) {
        ("remove", _) => each!(fam, f => f.remove(&strs_at(op, "labels")).map(|_| ())),
        ("remove_by_labels", _) => {
            each!(fam, f => f.remove_by_labels(&pairs(op.get("labelkw").unwrap_or(&Value::Null))).map(|_| ()))
        }
        ("clear", _) => {
            each!(fam, f => f.clear());
            Ok(())
        }
        ("labels", _) => each!(fam, f => child(f, op).map(|_| ())),
        ("inc" | "inc_by", Fam::Counter(f)) => {
            let c = child(f, op)?;
            match value() {
                Some(v) => c.inc_by(v),
                None => {
                    c.inc();
                    Ok(())
                }
            }
        }
        ("inc" | "inc_by", Fam::Gauge(f)) => {
            let g = child(f, op)?;
            match value() {
                Some(v) => g.inc_by(v),
                None => g.inc(),
            }
            Ok(())
        }
        ("dec", Fam::Gauge(f)) => {
            let g = child(f, op)?;
            match value() {
                Some(v) => g.dec_by(v),
                None => g.dec(),
            }
            Ok(())
        }
        ("set", Fam::Gauge(f)) => {
            child(f, op)?.set(value().expect("value"));
            Ok(())
        }
        ("set_to_current_time", Fam::Gauge(f)) => {
            child(f, op)?.set_to_current_time();
            Ok(())
        }
        ("set_function", Fam::Gauge(f)) => {
            let v = value().expect("value");
            child(f, op)?.set_function(Arc::new(move || Ok(v)));
            Ok(())
        }
        ("observe", Fam::Histogram(f)) => {
            child(f, op)?.observe(value().expect("value"));
            Ok(())
        }
        ("observe", Fam::Summary(f)) => {
            child(f, op)?.observe(value().expect("value"));
            Ok(())
        }
        ("inc_exemplar", Fam::Counter(f)) => {
            let ex = pairs(op.get("exemplar").unwrap_or(&Value::Null));
            child(f, op)?.inc_with_exemplar(value().unwrap_or(1.0), ex)
        }
        ("observe_exemplar", Fam::Histogram(f)) => {
            let ex = pairs(op.get("exemplar").unwrap_or(&Value::Null));
            child(f, op)?.observe_with_exemplar(value().expect("value"), ex)
        }
        ("state", Fam::Enum(f)) => child(f, op)?.state(s(op, "value")),
        ("info", Fam::Info(f)) => child(f, op)?.set(pairs(op.get("value").unwrap_or(&Value::Null))),
        ("reset", Fam::Counter(f)) => {
            child(f, op)?.reset();
            Ok(())
        }
        _ => bad(),
    }
}

// ---------------------------------------------------------------------------------------
// Formats.

fn expand_formats(v: Option<&Value>) -> Vec<String> {
    let default: Vec<String> =
        ["text", "om1"].iter().flat_map(|k| ESCAPINGS.iter().map(move |e| format!("{k}-{e}"))).collect();
    let Some(v) = v else { return default };
    let mut out = Vec::new();
    for f in strs(v) {
        match f.as_str() {
            "default" => out.extend(default.iter().cloned()),
            "all" => {
                out.extend(default.iter().cloned());
                out.extend(ESCAPINGS.iter().map(|e| format!("om2-{e}")));
            }
            _ => out.push(f),
        }
    }
    out
}

fn encode(source: &dyn Collector, fmt: &str) -> fastprom::Result<Vec<u8>> {
    let (kind, esc) = fmt.split_once('-').unwrap_or_else(|| panic!("bad format {fmt:?}"));
    let escaping = EscapingScheme::from_name(esc).unwrap_or_else(|| panic!("bad escaping in {fmt:?}"));
    match kind {
        "text" => encode_text(source, escaping),
        "om1" => encode_openmetrics(source, escaping, "1.0.0"),
        "om2" => encode_openmetrics(source, escaping, "2.0.0"),
        _ => panic!("bad format {fmt:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Comparison and reporting.

/// Renders the first differing line of two expositions (long lines as a window around the
/// first differing byte).
fn first_diff(expected: &[u8], actual: &[u8]) -> String {
    let e: Vec<&[u8]> = expected.split_inclusive(|b| *b == b'\n').collect();
    let a: Vec<&[u8]> = actual.split_inclusive(|b| *b == b'\n').collect();
    for i in 0..e.len().max(a.len()) {
        let (el, al) = (e.get(i).copied(), a.get(i).copied());
        if el == al {
            continue;
        }
        let col = match (el, al) {
            (Some(x), Some(y)) => x.iter().zip(y.iter()).take_while(|(p, q)| p == q).count(),
            _ => 0,
        };
        let longest = el.map_or(0, <[u8]>::len).max(al.map_or(0, <[u8]>::len));
        let (from, to, note) = if longest > 160 {
            let from = col.saturating_sub(60);
            (from, col + 60, format!(" (bytes {from}..{} of the line)", col + 60))
        } else {
            (0, usize::MAX, String::new())
        };
        let show = |l: Option<&[u8]>| match l {
            Some(l) => {
                let w = &l[from.min(l.len())..to.min(l.len())];
                format!("{:?}", String::from_utf8_lossy(w))
            }
            None => "<end of output>".to_owned(),
        };
        return format!(
            "first difference at line {}, byte {col}{note}:\n      expected (prometheus_client): {}\n      actual   (fastprom):          {}\n      ({} vs {} bytes, {} vs {} lines)",
            i + 1,
            show(el),
            show(al),
            expected.len(),
            actual.len(),
            e.len(),
            a.len()
        );
    }
    "outputs differ".to_owned()
}

/// One scenario's run: what differed, and the outputs to keep.
#[derive(Default)]
struct Run {
    failures: Vec<String>,
    outputs: Vec<(String, Vec<u8>)>,
    compared: usize,
    errors_checked: usize,
}

struct Ctx<'a> {
    name: &'a str,
    errors: &'a HashMap<(String, String), ErrorRecord>,
    golden_dir: &'a Path,
    run: Run,
}

impl Ctx<'_> {
    fn fail(&mut self, msg: String) {
        self.run.failures.push(msg);
    }

    /// Checks one step against errors.json; returns its value when it succeeded as it should.
    fn step<T>(&mut self, step: &str, result: fastprom::Result<T>) -> Option<T> {
        self.step_as(step, result, message)
    }

    /// [`Ctx::step`] with prometheus_client's message for the error rendered by `py_message`.
    fn step_as<T>(&mut self, step: &str, result: fastprom::Result<T>, py_message: fn(&Error) -> String) -> Option<T> {
        let expected = self.errors.get(&(self.name.to_owned(), step.to_owned())).cloned();
        match (expected, result) {
            (None, Ok(v)) => Some(v),
            (None, Err(e)) => {
                self.fail(format!("{step}: prometheus_client succeeded, fastprom failed: {e:?} ({e})"));
                None
            }
            (Some(rec), Ok(_)) => {
                self.run.errors_checked += 1;
                let msg = if step.starts_with("format:") { &rec.arg0 } else { &rec.message };
                self.fail(format!("{step}: prometheus_client raised {}: {msg:?}; fastprom succeeded", rec.py_type));
                None
            }
            (Some(rec), Err(e)) => {
                self.run.errors_checked += 1;
                self.check_error(step, &rec, &e, py_message);
                None
            }
        }
    }

    fn check_error(&mut self, step: &str, rec: &ErrorRecord, e: &Error, py_message: fn(&Error) -> String) {
        if let Some(want) = &rec.duplicates {
            // Python prints a set in arbitrary order: compare as sets.
            let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
            match e {
                Error::DuplicateTimeseries { names: got } => {
                    let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
                    if got != want {
                        self.fail(format!("{step}: duplicate set: expected {want:?}, fastprom {got:?}"));
                    }
                }
                other => self.fail(format!(
                    "{step}: expected DuplicateTimeseries {:?}, fastprom failed with {other:?}",
                    rec.message
                )),
            }
            return;
        }
        // Exposition errors get the Metric appended to their args by prometheus_client, so
        // compare those with the first argument.
        let want = if step.starts_with("format:") { &rec.arg0 } else { &rec.message };
        let got = py_message(e);
        if &got != want {
            self.fail(format!(
                "{step}: error message differs\n      expected ({}): {want:?}\n      actual   ({e:?}): {got:?}",
                rec.py_type
            ));
        }
    }

    fn compare(&mut self, fmt: &str, actual: Vec<u8>) {
        self.run.compared += 1;
        let path = self.golden_dir.join(format!("{}.{fmt}.txt", self.name));
        match std::fs::read(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                let d = first_diff(&expected, &actual);
                self.fail(format!("{fmt}: output differs from {}\n      {d}", path.display()));
            }
            Err(e) => self.fail(format!("{fmt}: cannot read {} ({e}); run tools/gen_golden.py", path.display())),
        }
        self.run.outputs.push((fmt.to_owned(), actual));
    }
}

/// prometheus_client's message for an error of `remove(*values)`.
fn remove_message(e: &Error) -> String {
    match e {
        Error::LabelCount { expected, given } => remove_label_count_message(*expected, given),
        other => message(other),
    }
}

fn run_scenario(sc: &Value, errors: &HashMap<(String, String), ErrorRecord>, golden_dir: &Path) -> Run {
    let name = s(sc, "name");
    let mut ctx = Ctx { name, errors, golden_dir, run: Run::default() };

    let env = Env::of(sc);
    let ropts = sc.get("registry").cloned().unwrap_or(Value::Null);
    let registry = Registry::with_options(
        flag(&ropts, "auto_describe", false),
        flag(&ropts, "support_collectors_without_names", false),
    );
    registry.set_created(flag(sc, "created", true));
    if let Some(ti) = sc.get("target_info").filter(|x| !x.is_null()) {
        let r = registry.set_target_info(Some(dict(pairs(ti))));
        ctx.step("target_info", r);
    }

    let register_custom = |ctx: &mut Ctx<'_>| {
        if let Some(custom) = sc.get("custom").and_then(Value::as_array) {
            let c = CustomCollector { specs: custom.clone(), scheme: env.scheme };
            ctx.step("custom", registry.register(c));
        }
    };
    if flag(sc, "custom_first", false) {
        register_custom(&mut ctx);
    }
    let mut fams: HashMap<String, Fam> = HashMap::new();
    for (i, m) in sc.get("metrics").and_then(Value::as_array).map_or(&[][..], Vec::as_slice).iter().enumerate() {
        let r = create_metric(m, &env).and_then(|f| f.register(&registry).map(|_| f));
        if let Some(f) = ctx.step(&format!("metric:{i}"), r) {
            fams.insert(s(m, "id").to_owned(), f);
        }
    }
    if !flag(sc, "custom_first", false) {
        register_custom(&mut ctx);
    }
    for (i, op) in sc.get("ops").and_then(Value::as_array).map_or(&[][..], Vec::as_slice).iter().enumerate() {
        if let Some(id) = op.get("metric").and_then(Value::as_str) {
            if !fams.contains_key(id) {
                ctx.fail(format!("op:{i}: metric {id:?} was not created, skipping the op"));
                continue;
            }
        }
        let r = run_op(op, &fams, &registry, &env);
        // `remove` words a wrong label count in its own way.
        let py_message = if s(op, "op") == "remove" { remove_message } else { message };
        ctx.step_as(&format!("op:{i}"), r, py_message);
    }

    let restricted = sc.get("restrict").filter(|x| !x.is_null()).map(|r| registry.restricted(strs(r)));
    let source: &dyn Collector = match &restricted {
        Some(r) => r,
        None => &registry,
    };
    for fmt in expand_formats(sc.get("formats")) {
        if let Some(out) = ctx.step(&format!("format:{fmt}"), encode(source, &fmt)) {
            ctx.compare(&fmt, out);
        }
    }
    for fmt in expand_formats(Some(sc.get("error_formats").unwrap_or(&Value::Array(Vec::new())))) {
        let step = format!("format:{fmt}");
        if !errors.contains_key(&(name.to_owned(), step.clone())) {
            ctx.fail(format!("{step}: listed in error_formats but missing from errors.json; regenerate"));
        }
        ctx.step(&step, encode(source, &fmt));
    }
    ctx.run
}

#[test]
fn golden_files_match_prometheus_client() {
    let root = manifest_dir();
    let scenarios_path = root.join("../tools/golden/scenarios.json");
    let golden_dir = root.join("tests/golden");
    let out_dir = root.join("../target/golden-out");

    let scenarios: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(&scenarios_path).unwrap_or_else(|e| panic!("{}: {e}", scenarios_path.display())),
    )
    .expect("scenarios.json parses");
    let records: Vec<ErrorRecord> = serde_json::from_str(
        &std::fs::read_to_string(golden_dir.join("errors.json"))
            .expect("tests/golden/errors.json (run tools/gen_golden.py)"),
    )
    .expect("errors.json parses");
    let mut errors: HashMap<(String, String), ErrorRecord> = HashMap::new();
    for r in records {
        errors.insert((r.scenario.clone(), r.step.clone()), r);
    }

    // Fresh output directory: only this run's outputs.
    if out_dir.exists() {
        for entry in std::fs::read_dir(&out_dir).expect("read target/golden-out").flatten() {
            if entry.path().extension().is_some_and(|e| e == "txt") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    std::fs::create_dir_all(&out_dir).expect("create target/golden-out");

    let mut report = String::new();
    let mut failed: Vec<String> = Vec::new();
    let mut known: Vec<String> = Vec::new();
    let (mut compared, mut errors_checked, mut passed) = (0usize, 0usize, 0usize);
    let mut expected_files: BTreeSet<String> = BTreeSet::new();
    let mut seen_errors: BTreeSet<(String, String)> = BTreeSet::new();

    for sc in &scenarios {
        let name = s(sc, "name");
        for fmt in expand_formats(sc.get("formats")) {
            expected_files.insert(format!("{name}.{fmt}.txt"));
        }
        let run = run_scenario(sc, &errors, &golden_dir);
        for (k, _) in errors.iter().filter(|(k, _)| k.0 == name) {
            seen_errors.insert(k.clone());
        }
        compared += run.compared;
        errors_checked += run.errors_checked;
        if let Some(reason) = sc.get("known_diff").and_then(Value::as_str) {
            if run.failures.is_empty() {
                known.push(format!("{name}: NOW MATCHES prometheus_client, remove its known_diff ({reason})"));
            } else {
                known.push(format!("{name}: skipped, known_diff: {reason}\n    still differs: {}", run.failures[0]));
            }
            continue;
        }
        for (fmt, out) in &run.outputs {
            std::fs::write(out_dir.join(format!("{name}.{fmt}.txt")), out).expect("write target/golden-out");
        }
        if run.failures.is_empty() {
            passed += 1;
        } else {
            let mut msg = format!("scenario {name}:");
            for f in &run.failures {
                let _ = write!(msg, "\n  - {f}");
            }
            failed.push(msg);
        }
    }

    // Every golden file and error record belongs to a scenario (none is stale).
    for entry in std::fs::read_dir(&golden_dir).expect("read tests/golden").flatten() {
        let fname = entry.file_name().to_string_lossy().into_owned();
        if fname.ends_with(".txt") && !expected_files.contains(&fname) {
            failed.push(format!("stale golden file tests/golden/{fname}: no scenario produces it; regenerate"));
        }
    }
    for k in errors.keys() {
        if !seen_errors.contains(k) {
            failed.push(format!("stale errors.json record {k:?}: no such scenario; regenerate"));
        }
    }

    let _ = writeln!(
        report,
        "golden: {} scenarios ({} passed, {} failed, {} known_diff skipped), {} outputs compared, {} error cases checked",
        scenarios.len(),
        passed,
        failed.len(),
        known.len(),
        compared,
        errors_checked
    );
    if !known.is_empty() {
        let _ = writeln!(report, "known_diff scenarios (not failing the test):");
        for k in &known {
            let _ = writeln!(report, "  {k}");
        }
    }
    for f in &failed {
        let _ = writeln!(report, "{f}");
    }
    println!("{report}");
    assert!(
        failed.is_empty(),
        "{} golden scenario(s) differ from prometheus_client:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
