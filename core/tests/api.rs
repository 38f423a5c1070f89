#![allow(clippy::unwrap_used)]
//! Public-API tests: constructor and label errors (their variants and fields, and the
//! messages prometheus_client raises for them), registration, restricted collection,
//! target info, sample look-up, gauge functions, enum / info / histogram / summary edge
//! behaviour.
//!
//! Expected expositions were produced by prometheus_client 0.26 with `time.time` fixed at
//! 1234.5: every family here is built from [`opts`], which gives it a clock fixed there.

use std::sync::Arc;

use fastprom::clock::FixedClock;
use fastprom::compat::python::message::{message, remove_label_count_message};
use fastprom::error::{BucketProblem, Reserved};
use fastprom::expose::{encode_openmetrics, encode_text};
use fastprom::metrics::InfoConfig;
use fastprom::{
    Buckets, Collector, Counter, Enum, Error, EscapingScheme, Family, Gauge, Histogram, Info, MetricType, Objective,
    Opts, Registry, States, Summary, SummaryConfig, ValidationScheme,
};

const T: f64 = 1234.5;

/// `opts(name, help)` with the clock fixed at [`T`].
fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help).clock(Arc::new(FixedClock(T)))
}

fn text(c: &dyn Collector) -> String {
    String::from_utf8(encode_text(c, EscapingScheme::Underscores).unwrap()).unwrap()
}

fn om(c: &dyn Collector) -> String {
    String::from_utf8(encode_openmetrics(c, EscapingScheme::Underscores, "1.0.0").unwrap()).unwrap()
}

fn err<T: std::fmt::Debug>(r: fastprom::Result<T>) -> Error {
    r.expect_err("expected an error")
}

/// Asserts that `r` failed with `want`, and that prometheus_client's message for it is
/// `py`.
#[track_caller]
fn assert_err<T: std::fmt::Debug>(r: fastprom::Result<T>, want: Error, py: &str) {
    let e = err(r);
    assert_eq!(e, want);
    assert_eq!(message(&e), py, "prometheus_client's message for {e:?}");
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------

#[test]
fn constructor_errors() {
    assert_err(Family::<Counter>::new(opts("", "h"), ()), Error::MissingName, "Metric name should not be empty");
    // A counter named `_total` loses the suffix and ends up empty.
    assert_err(
        Family::<Counter>::new(opts("_total", "h"), ()),
        Error::InvalidMetricName { name: String::new() },
        "metric name cannot be empty",
    );
    assert_err(
        Family::<Counter>::new(opts("c", "h").labels(["ok", "__x"]), ()),
        Error::ReservedLabelName { name: "__x".into(), reason: Reserved::Prefix },
        "Reserved label metric name: __x",
    );
    assert_err(
        Family::<Histogram>::new(opts("h", "h").labels(["le"]), Buckets::default()),
        Error::ReservedLabelName { name: "le".into(), reason: Reserved::ForType },
        "Reserved label methe fric name: le",
    );
    assert_err(
        Family::<Summary>::new(opts("s", "h").labels(["quantile"]), SummaryConfig::default()),
        Error::ReservedLabelName { name: "quantile".into(), reason: Reserved::ForType },
        "Reserved label methe fric name: quantile",
    );
    // `le` and `quantile` are only reserved where they are used.
    assert!(Family::<Gauge>::new(opts("g", "h").labels(["le", "quantile"]), ()).is_ok());
    assert!(Family::<Histogram>::new(opts("h", "h").labels(["quantile"]), Buckets::default()).is_ok());
    assert_err(
        Family::<Gauge>::new(opts("g", "h").labels(["a", "b", "a"]), ()),
        Error::DuplicateLabelName { name: "a".into() },
        "Duplicate label name: a",
    );
    assert_err(
        Family::<Info>::new(opts("build", "h").unit("bytes"), InfoConfig::default()),
        Error::UnitNotAllowed { name: "build_bytes".into() },
        "Metric name is of a type that cannot have a unit: build_bytes",
    );
    assert_err(
        Family::<Enum>::new(opts("state", "h").unit("bytes"), States::new(["a"])),
        Error::UnitNotAllowed { name: "state_bytes".into() },
        "Metric name is of a type that cannot have a unit: state_bytes",
    );
    assert_err(
        Family::<Enum>::new(opts("state", "h"), States::new(Vec::<String>::new())),
        Error::NoStates { name: "state".into() },
        "No states provided for Enum metric: state",
    );
    assert_err(
        Family::<Enum>::new(opts("state", "h").labels(["state"]), States::new(["a"])),
        Error::ReservedLabelName { name: "state".into(), reason: Reserved::EnumName },
        "Overlapping labels for Enum metric: state",
    );
    let max = fastprom::metrics::family::MAX_LABELS;
    let many: Vec<String> = (0..=max).map(|i| format!("l{i}")).collect();
    assert_err(
        Family::<Counter>::new(opts("wide", "h").labels(many.clone()), ()),
        Error::TooManyLabels { given: max + 1, max },
        &format!("Too many label names ({}), at most {max}", max + 1),
    );
    // More than 255 labels work (label permutations are not limited to a byte), and the
    // exposition sorts them by name.
    let n = max.min(300);
    let wide = Family::<Counter>::new(opts("wide", "h").labels(many[..n].to_vec()), ()).unwrap();
    let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    wide.labels(&values).unwrap().inc();
    let out = text(&wide);
    let line = out.lines().find(|l| l.starts_with("wide_total{")).unwrap();
    let mut sorted: Vec<usize> = (0..n).collect();
    sorted.sort_by_key(|i| format!("l{i}"));
    let want: Vec<String> = sorted.iter().map(|i| format!("l{i}=\"v{i}\"")).collect();
    assert_eq!(line, format!("wide_total{{{}}} 1.0", want.join(",")));
}

#[test]
fn bucket_errors_and_builders() {
    let bucket_err = |problem| Error::InvalidBuckets { problem };
    let unsorted = "Buckets not in sorted order";
    let too_few = "Must have at least two buckets";
    assert_err(Buckets::new(&[2.0, 1.0]), bucket_err(BucketProblem::Unsorted), unsorted);
    // prometheus_client finds NaN bounds unsorted too.
    assert_err(Buckets::new(&[1.0, f64::NAN]), bucket_err(BucketProblem::NotANumber), unsorted);
    assert_err(Buckets::new(&[1.0, 2.0, f64::INFINITY, 3.0]), bucket_err(BucketProblem::Unsorted), unsorted);
    assert_err(Buckets::new(&[]), bucket_err(BucketProblem::TooFew), too_few);
    assert_err(Buckets::new(&[f64::INFINITY]), bucket_err(BucketProblem::TooFew), too_few);
    // One finite bound gets `+Inf` appended; equal neighbours are allowed.
    assert_eq!(Buckets::new(&[1.0]).unwrap().bounds(), &[1.0, f64::INFINITY]);
    assert_eq!(Buckets::new(&[1.0, 1.0]).unwrap().bounds(), &[1.0, 1.0, f64::INFINITY]);
    assert_eq!(Buckets::new(&[1.0, f64::INFINITY]).unwrap().bounds(), &[1.0, f64::INFINITY]);
    assert_eq!(Buckets::default().bounds().len(), 15);

    assert_eq!(Buckets::linear(0.5, 0.5, 3).unwrap().bounds(), &[0.5, 1.0, 1.5, f64::INFINITY]);
    assert_eq!(Buckets::linear(-1.0, 1.0, 3).unwrap().bounds(), &[-1.0, 0.0, 1.0, f64::INFINITY]);
    assert_eq!(Buckets::exponential(1.0, 2.0, 4).unwrap().bounds(), &[1.0, 2.0, 4.0, 8.0, f64::INFINITY]);
    assert_eq!(Buckets::exponential(0.001, 10.0, 1).unwrap().bounds(), &[0.001, f64::INFINITY]);
    assert_eq!(err(Buckets::linear(0.0, 1.0, 0)), bucket_err(BucketProblem::Linear));
    assert_eq!(err(Buckets::linear(0.0, 0.0, 3)), bucket_err(BucketProblem::Linear));
    assert_eq!(err(Buckets::linear(0.0, f64::NAN, 3)), bucket_err(BucketProblem::Linear));
    assert_eq!(err(Buckets::exponential(0.0, 2.0, 3)), bucket_err(BucketProblem::Exponential));
    assert_eq!(err(Buckets::exponential(1.0, 1.0, 3)), bucket_err(BucketProblem::Exponential));
    assert_eq!(err(Buckets::exponential(1.0, 2.0, 0)), bucket_err(BucketProblem::Exponential));
}

#[test]
fn full_names() {
    let c = Family::<Counter>::new(opts("requests_total", "h"), ()).unwrap();
    assert_eq!(c.name(), "requests");
    let c = Family::<Counter>::new(opts("sent", "h").namespace("app").subsystem("net").unit("bytes"), ()).unwrap();
    assert_eq!(c.name(), "app_net_sent_bytes");
    assert_eq!(c.unit(), "bytes");
    // The unit is not repeated when already there.
    let g = Family::<Gauge>::new(opts("size_bytes", "h").unit("bytes"), ()).unwrap();
    assert_eq!(g.name(), "size_bytes");
    let c = Family::<Counter>::new(opts("sent_bytes_total", "h").unit("bytes"), ()).unwrap();
    assert_eq!(c.name(), "sent_bytes");
    assert_eq!(c.help(), "h");
    assert_eq!(c.label_names(), &[] as &[String]);
}

#[test]
fn legacy_validation_per_family() {
    // UTF-8 validation (the default) accepts any non-empty name.
    assert_eq!(opts("x", "h").settings.validation_scheme(), ValidationScheme::Utf8);
    let g = Family::<Gauge>::new(opts("my.metric", "help").labels(["label with space"]), ()).unwrap();
    assert_eq!(g.settings().validation_scheme(), ValidationScheme::Utf8);
    g.labels(&["v"]).unwrap().set(1.0);
    let utf8 = String::from_utf8(encode_text(&g, EscapingScheme::AllowUtf8).unwrap()).unwrap();
    assert_eq!(
        utf8,
        "# HELP \"my.metric\" help\n# TYPE \"my.metric\" gauge\n{\"my.metric\",\"label with space\"=\"v\"} 1.0\n"
    );
    assert_eq!(text(&g), "# HELP my_metric help\n# TYPE my_metric gauge\nmy_metric{label_with_space=\"v\"} 1.0\n");
    assert!(Family::<Counter>::new(opts("1abc", "h"), ()).is_ok());

    let legacy = |name: &str| opts(name, "h").validation(ValidationScheme::Legacy);
    assert!(legacy("x").settings.validation_scheme().is_legacy());
    assert_err(
        Family::<Gauge>::new(legacy("my.metric"), ()),
        Error::InvalidMetricName { name: "my.metric".into() },
        "invalid metric name my.metric",
    );
    assert_err(
        Family::<Counter>::new(legacy("1abc"), ()),
        Error::InvalidMetricName { name: "1abc".into() },
        "invalid metric name 1abc",
    );
    assert_err(
        Family::<Gauge>::new(legacy("ok").labels(["a-b"]), ()),
        Error::InvalidLabelName { name: "a-b".into() },
        "Invalid label metric name: a-b",
    );
    assert_err(
        Family::<Gauge>::new(legacy("ok").labels(["a:b"]), ()),
        Error::InvalidLabelName { name: "a:b".into() },
        "Invalid label metric name: a:b",
    );
    // Namespace and subsystem are part of the checked name.
    assert_err(
        Family::<Gauge>::new(legacy("ok").namespace("my-app"), ()),
        Error::InvalidMetricName { name: "my-app_ok".into() },
        "invalid metric name my-app_ok",
    );
    // Reserved names stay reserved.
    assert_err(
        Family::<Gauge>::new(legacy("ok").labels(["__x"]), ()),
        Error::ReservedLabelName { name: "__x".into(), reason: Reserved::Prefix },
        "Reserved label metric name: __x",
    );
    // Colons are fine in metric names; exemplar label names are checked too.
    let c = Family::<Counter>::new(legacy("ns:ok"), ()).unwrap();
    assert!(c.settings().validation_scheme().is_legacy());
    let child = c.unlabelled().unwrap();
    assert_err(
        child.inc_with_exemplar(1.0, vec![("bad-key".into(), "v".into())]),
        Error::InvalidLabelName { name: "bad-key".into() },
        "Invalid label metric name: bad-key",
    );
    assert_eq!(child.get(), 1.0, "the increment lands even when the exemplar is refused");

    // The scheme is the family's own: families built without it still accept UTF-8 names.
    assert!(Family::<Gauge>::new(opts("my.metric", "h").labels(["a-b"]), ()).is_ok());
    let u = Family::<Counter>::new(opts("ns:ok", "h"), ()).unwrap();
    u.unlabelled().unwrap().inc_with_exemplar(1.0, vec![("bad-key".into(), "v".into())]).unwrap();
}

// ---------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------

#[test]
fn label_mismatch_messages() {
    let f = Family::<Counter>::new(opts("c2", "h").labels(["a", "b"]), ()).unwrap();
    let count = |given: &[&str]| Error::LabelCount { expected: 2, given: strings(given) };
    let py_count = "Incorrect label count";
    assert_err(f.labels(&["x"]), count(&["x"]), py_count);
    assert_err(f.labels(&["x", "y", "z"]), count(&["x", "y", "z"]), py_count);
    assert_err(f.labels::<&str>(&[]), count(&[]), py_count);
    assert_err(f.with_labels(&["x"], |c| c.inc()), count(&["x"]), py_count);
    assert_err(f.try_with_labels(&["x"], |c| c.inc_by(1.0)), count(&["x"]), py_count);
    let names = |given: &[&str]| Error::LabelNames { expected: strings(&["a", "b"]), given: strings(given) };
    let py_names = "Incorrect label names";
    assert_err(f.labels_by_name(&[("a", "1"), ("z", "2")]), names(&["a", "z"]), py_names);
    assert_err(f.labels_by_name(&[("a", "1")]), names(&["a"]), py_names);
    assert_err(f.labels_by_name(&[("a", "1"), ("a", "2")]), names(&["a", "a"]), py_names);
    assert_err(
        f.unlabelled(),
        Error::MissingLabelValues { metric_type: MetricType::Counter, name: "c2".into() },
        "counter metric is missing label values",
    );
    // remove() words a wrong count with the expected count and the values given.
    let e = err(f.remove(&["a"]));
    assert_eq!(e, count(&["a"]));
    let Error::LabelCount { expected, given } = &e else { unreachable!() };
    assert_eq!(remove_label_count_message(*expected, given), "Incorrect label count (expected 2, got ('a',))");
    assert_err(
        f.remove_by_labels(&[("z", "1")]),
        Error::UnknownLabelNames { unknown: strings(&["z"]), expected: strings(&["a", "b"]) },
        "Unknown label names: ['z']; expected ('a', 'b')",
    );
    assert!(f.is_empty(), "failed calls created no child");

    // By name, in any order, reaches the same child as by position.
    f.labels_by_name(&[("b", "2"), ("a", "1")]).unwrap().inc();
    f.labels(&["1", "2"]).unwrap().inc();
    assert_eq!(f.len(), 1);
    assert_eq!(f.labels(&["1", "2"]).unwrap().get(), 2.0);
    assert_eq!(f.labels(&["1", "2"]).unwrap().label_values(), vec!["1", "2"]);
    assert_eq!(f.remove_by_labels::<&str, &str>(&[]).unwrap(), 0);
    assert_eq!(f.remove_by_labels(&[("b", "2")]).unwrap(), 1);
    assert!(f.is_empty());

    let name = Family::<Counter>::new(opts("name", "h"), ()).unwrap();
    let none = Error::NotLabelled { metric_type: MetricType::Counter, name: "name".into() };
    let py_none = "No label names were set when constructing counter:name";
    assert_err(name.labels(&["a"]), none.clone(), py_none);
    assert_err(name.labels::<&str>(&[]), none.clone(), py_none);
    assert_err(name.with_labels(&["a"], |c| c.inc()), none.clone(), py_none);
    assert_err(name.try_with_labels(&["a"], |c| c.inc_by(1.0)), none.clone(), py_none);
    assert_err(name.labels_by_name(&[("a", "1")]), none.clone(), py_none);
    assert_err(name.remove(&["a"]), none.clone(), py_none);
    assert_err(name.remove_by_labels(&[("a", "1")]), none, py_none);
    name.unlabelled().unwrap().inc();
    // clear() on an unlabelled family is a no-op.
    name.clear();
    assert_eq!(name.len(), 1);
    assert_eq!(name.unlabelled().unwrap().get(), 1.0);

    let g = Family::<Gauge>::new(opts("gname", "h").labels(["a"]), ()).unwrap();
    assert_err(
        g.unlabelled(),
        Error::MissingLabelValues { metric_type: MetricType::Gauge, name: "gname".into() },
        "gauge metric is missing label values",
    );
    let h = Family::<Histogram>::new(opts("hname", "h"), Buckets::default()).unwrap();
    assert_err(
        h.labels(&["a"]),
        Error::NotLabelled { metric_type: MetricType::Histogram, name: "hname".into() },
        "No label names were set when constructing histogram:hname",
    );
}

#[test]
fn counter_increments() {
    let f = Family::<Counter>::new(opts("incs", "h").labels(["k"]), ()).unwrap();
    let c = f.labels(&["a"]).unwrap();
    c.inc_by(2.5).unwrap();
    let negative = "Counters can only be incremented by non-negative amounts.";
    assert_err(c.inc_by(-1.0), Error::NegativeIncrement { amount: -1.0 }, negative);
    assert_err(c.inc_by(-f64::INFINITY), Error::NegativeIncrement { amount: -f64::INFINITY }, negative);
    assert_err(
        c.inc_with_exemplar(-1.0, vec![("t".into(), "1".into())]),
        Error::NegativeIncrement { amount: -1.0 },
        negative,
    );
    assert_err(f.try_with_labels(&["a"], |c| c.inc_by(-2.0)), Error::NegativeIncrement { amount: -2.0 }, negative);
    assert_eq!(c.get(), 2.5, "refused increments change nothing");
    assert!(c.exemplar().is_none(), "a refused increment records no exemplar");
    c.inc_by(0.0).unwrap();
    c.inc_by(-0.0).unwrap();
    assert_eq!(c.get(), 2.5);
    assert_eq!(c.created(), T);

    // NaN is accepted, as in prometheus_client.
    let n = f.labels(&["nan"]).unwrap();
    n.inc_by(f64::NAN).unwrap();
    assert!(n.get().is_nan());

    // Exemplar too long: refused, increment kept.
    let long = "x".repeat(130);
    assert_err(
        c.inc_with_exemplar(1.0, vec![("t".into(), long)]),
        Error::ExemplarTooLong { runes: 131, max: 128 },
        "Exemplar labels have %d UTF-8 characters, exceeding the limit of 128",
    );
    assert_eq!(c.get(), 3.5);
    assert!(c.exemplar().is_none());

    // reset() starts over with a new creation time (the clock is fixed here).
    c.reset();
    assert_eq!(c.get(), 0.0);
    assert_eq!(c.created(), T);
}

#[test]
fn counter_exemplar_in_openmetrics_only() {
    let x = Family::<Counter>::new(opts("x", "help"), ()).unwrap();
    x.unlabelled().unwrap().inc_with_exemplar(1.0, vec![("trace_id".into(), "abc".into())]).unwrap();
    let ex = x.unlabelled().unwrap().exemplar().unwrap();
    assert_eq!(ex.labels, vec![("trace_id".to_owned(), "abc".to_owned())]);
    assert_eq!(ex.value, 1.0);
    assert_eq!(
        text(&x),
        "# HELP x_total help\n# TYPE x_total counter\nx_total 1.0\n# HELP x_created help\n# TYPE x_created gauge\nx_created 1234.5\n"
    );
    assert_eq!(
        om(&x),
        "# HELP x help\n# TYPE x counter\nx_total 1.0 # {trace_id=\"abc\"} 1.0 1234.5\nx_created 1234.5\n# EOF\n"
    );
}

// ---------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------

fn sample_registry() -> (Registry, Family<Counter>, Family<Gauge>, Family<Histogram>, Family<Summary>) {
    let r = Registry::new();
    let c = Family::<Counter>::new(opts("reqs", "Requests.").labels(["m"]), ()).unwrap();
    c.labels(&["GET"]).unwrap().inc();
    c.labels(&["POST"]).unwrap().inc_by(2.0).unwrap();
    let g = Family::<Gauge>::new(opts("temp", "T.").unit("celsius"), ()).unwrap();
    g.unlabelled().unwrap().set(21.5);
    let h = Family::<Histogram>::new(opts("lat", "L."), Buckets::new(&[1.0]).unwrap()).unwrap();
    h.unlabelled().unwrap().observe(0.5);
    let s = Family::<Summary>::new(opts("sz", "S.").labels(["path"]), SummaryConfig::default()).unwrap();
    s.labels(&["/"]).unwrap().observe(3.0);
    r.register(c.clone()).unwrap();
    r.register(g.clone()).unwrap();
    r.register(h.clone()).unwrap();
    r.register(s.clone()).unwrap();
    (r, c, g, h, s)
}

const FULL_TEXT: &str = concat!(
    "# HELP reqs_total Requests.\n# TYPE reqs_total counter\n",
    "reqs_total{m=\"GET\"} 1.0\nreqs_total{m=\"POST\"} 2.0\n",
    "# HELP reqs_created Requests.\n# TYPE reqs_created gauge\n",
    "reqs_created{m=\"GET\"} 1234.5\nreqs_created{m=\"POST\"} 1234.5\n",
    "# HELP temp_celsius T.\n# TYPE temp_celsius gauge\ntemp_celsius 21.5\n",
    "# HELP lat L.\n# TYPE lat histogram\n",
    "lat_bucket{le=\"1.0\"} 1.0\nlat_bucket{le=\"+Inf\"} 1.0\nlat_count 1.0\nlat_sum 0.5\n",
    "# HELP lat_created L.\n# TYPE lat_created gauge\nlat_created 1234.5\n",
    "# HELP sz S.\n# TYPE sz summary\nsz_count{path=\"/\"} 1.0\nsz_sum{path=\"/\"} 3.0\n",
    "# HELP sz_created S.\n# TYPE sz_created gauge\nsz_created{path=\"/\"} 1234.5\n",
);

#[test]
fn registry_exposition() {
    let (r, ..) = sample_registry();
    assert_eq!(text(&r), FULL_TEXT);
    let fams = r.collect().unwrap();
    let names: Vec<(&str, MetricType, &str)> =
        fams.iter().map(|f| (f.name.as_str(), f.metric_type, f.unit.as_str())).collect();
    assert_eq!(
        names,
        vec![
            ("reqs", MetricType::Counter, ""),
            ("temp_celsius", MetricType::Gauge, "celsius"),
            ("lat", MetricType::Histogram, ""),
            ("sz", MetricType::Summary, ""),
        ]
    );
}

#[test]
fn duplicate_registration() {
    let (r, c, ..) = sample_registry();
    let clash = Family::<Gauge>::new(opts("reqs_total", "x"), ()).unwrap();
    let dup = |names: &[&str]| Error::DuplicateTimeseries { names: strings(names) };
    assert_err(r.register(clash), dup(&["reqs_total"]), "Duplicated timeseries in CollectorRegistry: {'reqs_total'}");

    // The very same family again clashes on all of its names (also behind an `Arc`).
    assert_err(
        r.register(Arc::new(c.clone())),
        dup(&["reqs", "reqs_created", "reqs_total"]),
        "Duplicated timeseries in CollectorRegistry: {'reqs', 'reqs_created', 'reqs_total'}",
    );
    let bucket = Family::<Gauge>::new(opts("lat_bucket", "x"), ()).unwrap();
    assert_eq!(err(r.register(bucket)), dup(&["lat_bucket"]));
    // A gauge named like a counter's family name (without suffix) clashes too.
    let bare = Family::<Gauge>::new(opts("reqs", "x"), ()).unwrap();
    assert_eq!(err(r.register(bare)), dup(&["reqs"]));
    // A counter `x` against a gauge `x_total`, the other way round.
    let r2 = Registry::new();
    r2.register(Family::<Gauge>::new(opts("x_total", "g"), ()).unwrap()).unwrap();
    assert_eq!(err(r2.register(Family::<Counter>::new(opts("x", "c"), ()).unwrap())), dup(&["x_total"]));
    // Nothing was half-registered by the failed attempts.
    assert_eq!(text(&r), FULL_TEXT);
    assert_eq!(r2.names(), vec!["x_total".to_owned()]);
}

#[test]
fn unregister_and_register_again() {
    let r = Registry::new();
    let c = Family::<Counter>::new(opts("x", "c"), ()).unwrap();
    let id = r.register(c.clone()).unwrap();
    assert_eq!(r.names(), vec!["x", "x_created", "x_total"]);
    r.unregister(id).unwrap();
    assert_eq!(r.unregister(id), Err(Error::NotRegistered));
    assert!(r.names().is_empty());
    assert_eq!(text(&r), "");
    // Now the names are free: a gauge `x_total`, then (after removing it) the counter again.
    let g = Family::<Gauge>::new(opts("x_total", "g"), ()).unwrap();
    let gid = r.register(g).unwrap();
    r.unregister(gid).unwrap();
    let id2 = r.register(c.clone()).unwrap();
    assert_ne!(id, id2);
    c.unlabelled().unwrap().inc();
    assert_eq!(r.get_sample_value("x_total", &[]).unwrap(), Some(1.0));
}

#[test]
fn restricted_registry() {
    let (r, ..) = sample_registry();
    let only = r.restricted(["reqs_total", "temp_celsius"]);
    assert_eq!(
        text(&only),
        concat!(
            "# HELP reqs_total Requests.\n# TYPE reqs_total counter\n",
            "reqs_total{m=\"GET\"} 1.0\nreqs_total{m=\"POST\"} 2.0\n",
            "# HELP temp_celsius T.\n# TYPE temp_celsius gauge\ntemp_celsius 21.5\n",
        )
    );
    // OpenMetrics shows that restricted families lose their unit.
    assert_eq!(
        om(&only),
        concat!(
            "# HELP reqs Requests.\n# TYPE reqs counter\n",
            "reqs_total{m=\"GET\"} 1.0\nreqs_total{m=\"POST\"} 2.0\n",
            "# HELP temp_celsius T.\n# TYPE temp_celsius gauge\ntemp_celsius 21.5\n# EOF\n",
        )
    );
    assert!(only.collect().unwrap().iter().all(|f| f.unit.is_empty()));
    assert_eq!(
        text(&r.restricted(["lat_bucket"])),
        "# HELP lat L.\n# TYPE lat histogram\nlat_bucket{le=\"1.0\"} 1.0\nlat_bucket{le=\"+Inf\"} 1.0\n"
    );
    // Only `_created` of a counter: the counter header, then the held-back gauge.
    assert_eq!(
        text(&r.restricted(["reqs_created"])),
        concat!(
            "# HELP reqs_total Requests.\n# TYPE reqs_total counter\n",
            "# HELP reqs_created Requests.\n# TYPE reqs_created gauge\n",
            "reqs_created{m=\"GET\"} 1234.5\nreqs_created{m=\"POST\"} 1234.5\n",
        )
    );
    assert_eq!(text(&r.restricted(["nothing"])), "");
    assert_eq!(om(&r.restricted(["nothing"])), "# EOF\n");
    assert_eq!(om(&r.restricted(Vec::<String>::new())), "# EOF\n");
}

#[test]
fn target_info() {
    let r = Registry::new();
    let g = Family::<Gauge>::new(opts("temp", "help").unit("celsius"), ()).unwrap();
    g.unlabelled().unwrap().set(21.5);
    r.register(g).unwrap();
    r.set_target_info(Some(vec![("env".into(), "prod".into()), ("region".into(), "eu".into())])).unwrap();
    assert_eq!(r.target_info(), Some(vec![("env".into(), "prod".into()), ("region".into(), "eu".into())]));
    assert_eq!(
        text(&r),
        concat!(
            "# HELP target_info Target metadata\n# TYPE target_info gauge\n",
            "target_info{env=\"prod\",region=\"eu\"} 1.0\n",
            "# HELP temp_celsius help\n# TYPE temp_celsius gauge\ntemp_celsius 21.5\n",
        )
    );
    assert_eq!(
        om(&r),
        concat!(
            "# HELP target Target metadata\n# TYPE target info\n",
            "target_info{env=\"prod\",region=\"eu\"} 1.0\n",
            "# HELP temp_celsius help\n# TYPE temp_celsius gauge\n# UNIT temp_celsius celsius\ntemp_celsius 21.5\n",
            "# EOF\n",
        )
    );
    assert_eq!(
        text(&r.restricted(["target_info"])),
        "# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{env=\"prod\",region=\"eu\"} 1.0\n"
    );
    assert_eq!(r.get_sample_value("target_info", &[("region", "eu"), ("env", "prod")]).unwrap(), Some(1.0));

    // The name is taken while target info is set.
    let info = Family::<Info>::new(opts("target", "mine"), InfoConfig::default()).unwrap();
    assert_eq!(err(r.register(info.clone())), Error::DuplicateTimeseries { names: strings(&["target_info"]) });
    // Replacing it is fine; clearing it frees the name.
    r.set_target_info(Some(vec![("env".into(), "dev".into())])).unwrap();
    assert_eq!(r.get_sample_value("target_info", &[("env", "dev")]).unwrap(), Some(1.0));
    r.set_target_info(None).unwrap();
    assert_eq!(r.target_info(), None);
    assert!(!text(&r).contains("target_info"));
    r.register(info).unwrap();
    // Now a collector owns `target_info`: target info cannot be set.
    assert_err(
        r.set_target_info(Some(vec![("env".into(), "prod".into())])),
        Error::TargetInfoTaken,
        "CollectorRegistry already contains a target_info metric",
    );
    // An empty label set means "no target info".
    r.set_target_info(Some(vec![])).unwrap();
    assert_eq!(r.target_info(), None);
}

#[test]
fn get_sample_value() {
    let (r, c, _, h, s) = sample_registry();
    assert_eq!(r.get_sample_value("reqs_total", &[("m", "GET")]).unwrap(), Some(1.0));
    assert_eq!(r.get_sample_value("reqs_total", &[("m", "POST")]).unwrap(), Some(2.0));
    assert_eq!(r.get_sample_value("reqs_created", &[("m", "GET")]).unwrap(), Some(T));
    assert_eq!(r.get_sample_value("reqs_total", &[("m", "PUT")]).unwrap(), None);
    // Labels must match exactly: none missing, none extra.
    assert_eq!(r.get_sample_value("reqs_total", &[]).unwrap(), None);
    assert_eq!(r.get_sample_value("reqs_total", &[("m", "GET"), ("x", "y")]).unwrap(), None);
    assert_eq!(r.get_sample_value("reqs", &[("m", "GET")]).unwrap(), None);
    assert_eq!(r.get_sample_value("temp_celsius", &[]).unwrap(), Some(21.5));
    assert_eq!(r.get_sample_value("lat_bucket", &[("le", "1.0")]).unwrap(), Some(1.0));
    assert_eq!(r.get_sample_value("lat_bucket", &[("le", "1")]).unwrap(), None);
    assert_eq!(r.get_sample_value("lat_count", &[]).unwrap(), Some(1.0));
    assert_eq!(r.get_sample_value("lat_sum", &[]).unwrap(), Some(0.5));
    assert_eq!(r.get_sample_value("sz_sum", &[("path", "/")]).unwrap(), Some(3.0));
    // Live values.
    c.labels(&["GET"]).unwrap().inc();
    h.unlabelled().unwrap().observe(2.0);
    s.labels(&["/"]).unwrap().observe(1.0);
    assert_eq!(r.get_sample_value("reqs_total", &[("m", "GET")]).unwrap(), Some(2.0));
    assert_eq!(r.get_sample_value("lat_bucket", &[("le", "+Inf")]).unwrap(), Some(2.0));
    assert_eq!(r.get_sample_value("lat_bucket", &[("le", "1.0")]).unwrap(), Some(1.0));
    assert_eq!(r.get_sample_value("sz_count", &[("path", "/")]).unwrap(), Some(2.0));
    // A removed child is gone from the registry.
    c.remove(&["GET"]).unwrap();
    assert_eq!(r.get_sample_value("reqs_total", &[("m", "GET")]).unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// Gauges
// ---------------------------------------------------------------------------------------

#[test]
fn gauge_set_function() {
    let r = Registry::new();
    let g = Family::<Gauge>::new(opts("queue", "Q.").labels(["q"]), ()).unwrap();
    r.register(g.clone()).unwrap();
    let child = g.labels(&["main"]).unwrap();
    child.set(5.0);
    child.set_function(Arc::new(|| Ok(42.0)));
    assert_eq!(child.value().unwrap(), 42.0);
    assert_eq!(child.get(), 5.0, "the stored value is kept");
    child.inc();
    assert_eq!(child.get(), 6.0);
    assert_eq!(r.get_sample_value("queue", &[("q", "main")]).unwrap(), Some(42.0));
    assert_eq!(text(&r), "# HELP queue Q.\n# TYPE queue gauge\nqueue{q=\"main\"} 42.0\n");

    // A function that fails makes the scrape fail with its error.
    let bad = g.labels(&["bad"]).unwrap();
    bad.set_function(Arc::new(|| Err(Error::Collect("queue backend unreachable".into()))));
    assert_eq!(bad.value(), Err(Error::Collect("queue backend unreachable".into())));
    let want = Error::Collect("queue backend unreachable".into());
    assert_eq!(encode_text(&r, EscapingScheme::Underscores).unwrap_err(), want);
    assert_eq!(encode_openmetrics(&r, EscapingScheme::Underscores, "1.0.0").unwrap_err(), want);
    assert_eq!(r.collect().unwrap_err(), want);
    assert_eq!(r.get_sample_value("queue", &[("q", "main")]).unwrap_err(), want);
    // Removing the failing child heals the scrape.
    g.remove(&["bad"]).unwrap();
    assert_eq!(r.get_sample_value("queue", &[("q", "main")]).unwrap(), Some(42.0));
    // Functions see live state.
    let state = Arc::new(std::sync::atomic::AtomicU64::new(1));
    let s2 = Arc::clone(&state);
    child.set_function(Arc::new(move || Ok(s2.load(std::sync::atomic::Ordering::Relaxed) as f64)));
    state.store(7, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(r.get_sample_value("queue", &[("q", "main")]).unwrap(), Some(7.0));
}

#[test]
fn gauge_operations() {
    let g = Family::<Gauge>::new(opts("g", "h"), ()).unwrap();
    let c = g.unlabelled().unwrap();
    c.inc();
    c.inc_by(2.5);
    c.dec();
    c.dec_by(0.5);
    assert_eq!(c.get(), 2.0);
    c.inc_by(-3.0);
    assert_eq!(c.get(), -1.0);
    c.set(f64::NEG_INFINITY);
    assert_eq!(text(&g), "# HELP g h\n# TYPE g gauge\ng -Inf\n");
    c.set_to_current_time();
    assert_eq!(c.get(), T);
}

// ---------------------------------------------------------------------------------------
// Enum and Info
// ---------------------------------------------------------------------------------------

#[test]
fn enum_states() {
    let e = Family::<Enum>::new(opts("state", "help").labels(["a", "z"]), States::new(["on", "off"])).unwrap();
    let child = e.labels(&["x", "y"]).unwrap();
    assert_eq!(child.get(), "on", "the first state is the initial one");
    assert_err(child.state("nope"), Error::UnknownState { state: "nope".into() }, "'nope' is not in list");
    assert_err(child.state("it's"), Error::UnknownState { state: "it's".into() }, "\"it's\" is not in list");
    assert_eq!(child.get(), "on");
    child.state("off").unwrap();
    assert_eq!(child.get(), "off");
    // The state label sorts between the family's own labels.
    assert_eq!(
        text(&e),
        "# HELP state help\n# TYPE state gauge\nstate{a=\"x\",state=\"on\",z=\"y\"} 0.0\nstate{a=\"x\",state=\"off\",z=\"y\"} 1.0\n"
    );
    assert_eq!(
        om(&e),
        "# HELP state help\n# TYPE state stateset\nstate{a=\"x\",state=\"on\",z=\"y\"} 0.0\nstate{a=\"x\",state=\"off\",z=\"y\"} 1.0\n# EOF\n"
    );
    assert_eq!(e.config().names(), &["on".to_owned(), "off".to_owned()]);
}

#[test]
fn info_values() {
    let i = Family::<Info>::new(opts("build", "help").labels(["a"]), InfoConfig::default()).unwrap();
    let child = i.labels(&["x"]).unwrap();
    child.set(vec![("version".into(), "1".into()), ("commit".into(), "abc".into())]).unwrap();
    assert_eq!(
        text(&i),
        "# HELP build_info help\n# TYPE build_info gauge\nbuild_info{a=\"x\",commit=\"abc\",version=\"1\"} 1.0\n"
    );
    assert_eq!(
        om(&i),
        "# HELP build help\n# TYPE build info\nbuild_info{a=\"x\",commit=\"abc\",version=\"1\"} 1.0\n# EOF\n"
    );
    let pairs = |kv: &[(&str, &str)]| -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let overlap = |given: &[(&str, &str)]| Error::InfoOverlap { label_names: strings(&["a"]), given: pairs(given) };
    assert_err(
        child.set(pairs(&[("a", "1")])),
        overlap(&[("a", "1")]),
        "Overlapping labels for Info metric, metric: ('a',) child: {'a': '1'}",
    );
    assert_err(
        child.set(pairs(&[("bad-key", "1"), ("a", "2")])),
        overlap(&[("bad-key", "1"), ("a", "2")]),
        "Overlapping labels for Info metric, metric: ('a',) child: {'bad-key': '1', 'a': '2'}",
    );
    // Failed sets keep the previous value.
    assert_eq!(child.get(), vec![("version".to_owned(), "1".to_owned()), ("commit".to_owned(), "abc".to_owned())]);
    // prometheus_client does not check Info keys beyond the overlap.
    child.set(vec![("__x".into(), "1".into())]).unwrap();
    assert_eq!(child.get(), vec![("__x".to_owned(), "1".to_owned())]);
    // A repeated key keeps its first position and takes the later value (dict semantics).
    child.set(vec![("k".into(), "1".into()), ("j".into(), "2".into()), ("k".into(), "3".into())]).unwrap();
    assert_eq!(child.get(), vec![("k".to_owned(), "3".to_owned()), ("j".to_owned(), "2".to_owned())]);
    assert!(text(&i).contains("build_info{a=\"x\",j=\"2\",k=\"3\"} 1.0\n"));
}

// ---------------------------------------------------------------------------------------
// Histograms
// ---------------------------------------------------------------------------------------

#[test]
fn histogram_exposition_and_le_label_order() {
    let h = Family::<Histogram>::new(opts("h", "help").labels(["a", "z"]), Buckets::new(&[0.5, 1.0]).unwrap()).unwrap();
    h.labels(&["1", "2"]).unwrap().observe(0.7);
    assert_eq!(
        text(&h),
        concat!(
            "# HELP h help\n# TYPE h histogram\n",
            "h_bucket{a=\"1\",le=\"0.5\",z=\"2\"} 0.0\nh_bucket{a=\"1\",le=\"1.0\",z=\"2\"} 1.0\n",
            "h_bucket{a=\"1\",le=\"+Inf\",z=\"2\"} 1.0\nh_count{a=\"1\",z=\"2\"} 1.0\nh_sum{a=\"1\",z=\"2\"} 0.7\n",
            "# HELP h_created help\n# TYPE h_created gauge\nh_created{a=\"1\",z=\"2\"} 1234.5\n",
        )
    );
    assert_eq!(
        om(&h),
        concat!(
            "# HELP h help\n# TYPE h histogram\n",
            "h_bucket{a=\"1\",le=\"0.5\",z=\"2\"} 0.0\nh_bucket{a=\"1\",le=\"1.0\",z=\"2\"} 1.0\n",
            "h_bucket{a=\"1\",le=\"+Inf\",z=\"2\"} 1.0\nh_count{a=\"1\",z=\"2\"} 1.0\nh_sum{a=\"1\",z=\"2\"} 0.7\n",
            "h_created{a=\"1\",z=\"2\"} 1234.5\n# EOF\n",
        )
    );
    // Two children, the second with labels sorting before and after `le`.
    h.labels(&["0", "9"]).unwrap().observe(0.1);
    let t = text(&h);
    assert!(t.contains("h_sum{a=\"1\",z=\"2\"} 0.7\nh_bucket{a=\"0\",le=\"0.5\",z=\"9\"} 1.0\n"), "{t}");
    assert!(t.contains("h_count{a=\"0\",z=\"9\"} 1.0\nh_sum{a=\"0\",z=\"9\"} 0.1\n"), "{t}");
    assert!(t.contains("h_created{a=\"1\",z=\"2\"} 1234.5\nh_created{a=\"0\",z=\"9\"} 1234.5\n"), "{t}");
}

#[test]
fn histogram_with_negative_buckets_has_no_sum() {
    let h = Family::<Histogram>::new(opts("neg", "help"), Buckets::new(&[-1.0, 0.0, 1.0]).unwrap()).unwrap();
    let c = h.unlabelled().unwrap();
    c.observe(-0.5);
    c.observe(0.5);
    assert_eq!(c.sum(), 0.0);
    assert_eq!(
        text(&h),
        concat!(
            "# HELP neg help\n# TYPE neg histogram\n",
            "neg_bucket{le=\"-1.0\"} 0.0\nneg_bucket{le=\"0.0\"} 1.0\nneg_bucket{le=\"1.0\"} 2.0\nneg_bucket{le=\"+Inf\"} 2.0\n",
            "neg_count 2.0\n",
            "# HELP neg_created help\n# TYPE neg_created gauge\nneg_created 1234.5\n",
        )
    );
    assert_eq!(
        om(&h),
        concat!(
            "# HELP neg help\n# TYPE neg histogram\n",
            "neg_bucket{le=\"-1.0\"} 0.0\nneg_bucket{le=\"0.0\"} 1.0\nneg_bucket{le=\"1.0\"} 2.0\nneg_bucket{le=\"+Inf\"} 2.0\n",
            "neg_count 2.0\nneg_created 1234.5\n# EOF\n",
        )
    );
}

#[test]
fn histogram_nan_and_infinite_observations() {
    let h = Family::<Histogram>::new(opts("nanh", "help"), Buckets::new(&[1.0]).unwrap()).unwrap();
    let c = h.unlabelled().unwrap();
    c.observe(f64::NAN);
    assert_eq!(c.count(), 0);
    assert_eq!(c.cumulative(), vec![0, 0]);
    assert!(c.sum().is_nan());
    assert_eq!(
        text(&h),
        concat!(
            "# HELP nanh help\n# TYPE nanh histogram\n",
            "nanh_bucket{le=\"1.0\"} 0.0\nnanh_bucket{le=\"+Inf\"} 0.0\nnanh_count 0.0\nnanh_sum NaN\n",
            "# HELP nanh_created help\n# TYPE nanh_created gauge\nnanh_created 1234.5\n",
        )
    );
    // Bounds are inclusive; +Inf lands in the last bucket, -Inf in the first.
    c.observe(1.0);
    c.observe(f64::INFINITY);
    c.observe(f64::NEG_INFINITY);
    assert_eq!(c.cumulative(), vec![2, 3]);
    assert_eq!(c.count(), 3);
    // With more than 16 bounds (the binary-search path) NaN goes nowhere too.
    let wide = Family::<Histogram>::new(opts("wide", "h"), Buckets::linear(1.0, 1.0, 20).unwrap()).unwrap();
    let w = wide.unlabelled().unwrap();
    w.observe(f64::NAN);
    w.observe(20.0);
    w.observe(20.5);
    w.observe(f64::NEG_INFINITY);
    let cum = w.cumulative();
    assert_eq!(cum.len(), 21);
    assert_eq!(cum[0], 1);
    assert_eq!(cum[18], 1);
    assert_eq!(cum[19], 2);
    assert_eq!(cum[20], 3);
    assert_eq!(w.count(), 3);
    assert!(w.sum().is_nan());
}

#[test]
fn histogram_exemplars() {
    let h = Family::<Histogram>::new(opts("hx", "h"), Buckets::new(&[1.0]).unwrap()).unwrap();
    let c = h.unlabelled().unwrap();
    c.observe_with_exemplar(0.5, vec![("trace".into(), "t1".into())]).unwrap();
    c.observe_with_exemplar(5.0, vec![]).unwrap();
    assert!(c.observe_with_exemplar(0.7, vec![("t".into(), "x".repeat(200))]).is_err());
    assert_eq!(c.count(), 3, "observations land even when the exemplar is refused");
    let o = om(&h);
    assert!(o.contains("hx_bucket{le=\"1.0\"} 2.0 # {trace=\"t1\"} 0.5 1234.5\n"), "{o}");
    assert!(o.contains("hx_bucket{le=\"+Inf\"} 3.0\n"), "{o}");
    assert!(!text(&h).contains("trace"), "no exemplars in the text format");
}

// ---------------------------------------------------------------------------------------
// Summaries
// ---------------------------------------------------------------------------------------

#[test]
fn summary_without_quantiles() {
    let s = Family::<Summary>::new(opts("sz", "S.").labels(["path"]), SummaryConfig::default()).unwrap();
    s.labels(&["/"]).unwrap().observe(3.0);
    assert_eq!(
        text(&s),
        concat!(
            "# HELP sz S.\n# TYPE sz summary\nsz_count{path=\"/\"} 1.0\nsz_sum{path=\"/\"} 3.0\n",
            "# HELP sz_created S.\n# TYPE sz_created gauge\nsz_created{path=\"/\"} 1234.5\n",
        )
    );
    assert!(s.labels(&["/"]).unwrap().quantiles().is_empty());
    assert!(s.config().objectives().is_empty());
}

#[test]
fn summary_quantiles() {
    let objectives = [
        Objective { quantile: 0.5, error: 0.05 },
        Objective { quantile: 0.9, error: 0.01 },
        Objective { quantile: 0.99, error: 0.001 },
    ];
    let cfg = SummaryConfig::quantiles(&objectives, 600.0, 5).unwrap();
    assert_eq!(cfg.objectives().len(), 3);
    let s = Family::<Summary>::new(opts("rt", "h").labels(["a", "z"]), cfg.clone()).unwrap();
    let c = s.labels(&["x", "y"]).unwrap();
    // An empty window gives NaN.
    let q = c.quantiles();
    assert_eq!(q.len(), 3);
    assert!(q.iter().all(|(_, v)| v.is_nan()));
    // Four observations: too few for the summary to merge anything, so the answers are
    // exact nearest-rank quantiles (position max(1, ceil(q * n))).
    let tiny = Family::<Summary>::new(opts("rt_tiny", "h"), cfg.clone()).unwrap();
    let t = tiny.unlabelled().unwrap();
    for v in [3.0, 1.0, 4.0, 2.0] {
        t.observe(v);
    }
    assert_eq!(t.quantiles(), vec![(0.5, 2.0), (0.9, 4.0), (0.99, 4.0)]);

    // 1..=100 in scrambled order: each value is its own rank, so the answers must be
    // within the objectives' rank error: q*n - e*n <= rank <= q*n + e*n + 1.
    for i in 0..100u32 {
        c.observe(f64::from((i * 37) % 100 + 1));
    }
    let q = c.quantiles();
    assert_eq!(q.iter().map(|(q, _)| *q).collect::<Vec<_>>(), vec![0.5, 0.9, 0.99]);
    for (o, (_, v)) in objectives.iter().zip(&q) {
        let (lo, hi) = (o.quantile * 100.0 - o.error * 100.0, o.quantile * 100.0 + o.error * 100.0 + 1.0);
        assert!(*v >= lo - 1e-9 && *v <= hi + 1e-9, "quantile {}: {v} outside [{lo}, {hi}]", o.quantile);
    }
    assert_eq!(c.count(), 100);
    assert_eq!(c.sum(), 5050.0);
    let g = |i: usize| fastprom::floatfmt::go_float(q[i].1);
    assert_eq!(
        text(&s),
        format!(
            concat!(
                "# HELP rt h\n# TYPE rt summary\n",
                "rt{{a=\"x\",quantile=\"0.5\",z=\"y\"}} {}\n",
                "rt{{a=\"x\",quantile=\"0.9\",z=\"y\"}} {}\n",
                "rt{{a=\"x\",quantile=\"0.99\",z=\"y\"}} {}\n",
                "rt_count{{a=\"x\",z=\"y\"}} 100.0\n",
                "rt_sum{{a=\"x\",z=\"y\"}} 5050.0\n",
                "# HELP rt_created h\n# TYPE rt_created gauge\nrt_created{{a=\"x\",z=\"y\"}} 1234.5\n",
            ),
            g(0),
            g(1),
            g(2)
        )
    );
    let r = Registry::new();
    r.register(s.clone()).unwrap();
    assert_eq!(r.get_sample_value("rt", &[("a", "x"), ("z", "y"), ("quantile", "0.9")]).unwrap(), Some(q[1].1));

    // Unlabelled, with a NaN window: quantile samples still come first.
    let u = Family::<Summary>::new(opts("rt2", "h"), cfg).unwrap();
    assert_eq!(
        text(&u),
        concat!(
            "# HELP rt2 h\n# TYPE rt2 summary\n",
            "rt2{quantile=\"0.5\"} NaN\nrt2{quantile=\"0.9\"} NaN\nrt2{quantile=\"0.99\"} NaN\n",
            "rt2_count 0.0\nrt2_sum 0.0\n",
            "# HELP rt2_created h\n# TYPE rt2_created gauge\nrt2_created 1234.5\n",
        )
    );

    // Bad objectives are refused up front.
    assert!(SummaryConfig::quantiles(&[Objective { quantile: 1.5, error: 0.01 }], 600.0, 5).is_err());
    assert!(SummaryConfig::quantiles(&[Objective { quantile: 0.5, error: 0.0 }], 600.0, 5).is_err());
    assert!(SummaryConfig::quantiles(&[Objective { quantile: 0.5, error: 0.05 }], 0.0, 5).is_err());
    assert!(SummaryConfig::quantiles(&[Objective { quantile: 0.5, error: 0.05 }], 600.0, 0).is_err());
}

#[test]
fn created_uses_the_familys_clock() {
    let c = Family::<Counter>::new(opts("born", "h").labels(["k"]), ()).unwrap();
    let h = Family::<Histogram>::new(opts("born_h", "h").labels(["k"]), Buckets::default()).unwrap();
    let s = Family::<Summary>::new(opts("born_s", "h").labels(["k"]), SummaryConfig::default()).unwrap();
    assert_eq!(c.labels(&["a"]).unwrap().created(), T);
    assert_eq!(h.labels(&["a"]).unwrap().created(), T);
    assert_eq!(s.labels(&["a"]).unwrap().created(), T);
    assert_eq!(Family::<Counter>::new(opts("born_u", "h"), ()).unwrap().unlabelled().unwrap().created(), T);
    // Each family reads its own clock; the others' are not disturbed.
    let other = Family::<Counter>::new(Opts::new("born_o", "h").clock(Arc::new(FixedClock(7.5))), ()).unwrap();
    assert_eq!(other.unlabelled().unwrap().created(), 7.5);
    assert_eq!(c.labels(&["b"]).unwrap().created(), T);
}

// ---------------------------------------------------------------------------------------
// Constant labels (no prometheus_client counterpart: prometheus-cpp's and Go's)
// ---------------------------------------------------------------------------------------

#[test]
fn const_labels_come_first_in_every_series() {
    let o = opts("lat", "Latency.").labels(["route"]).const_labels([("zone", "a"), ("app", "shop")]);
    let h = Family::<Histogram>::new(o, Buckets::new(&[1.0]).unwrap()).unwrap();
    h.labels(&["/x"]).unwrap().observe(0.5);
    // Both formats sort label names, as prometheus_client does.
    let t = text(&h);
    assert!(t.contains("lat_bucket{app=\"shop\",le=\"1.0\",route=\"/x\",zone=\"a\"} 1.0\n"), "{t}");
    assert!(t.contains("lat_created{app=\"shop\",route=\"/x\",zone=\"a\"} 1234.5\n"), "{t}");
    let o = om(&h);
    assert!(o.contains("lat_count{app=\"shop\",route=\"/x\",zone=\"a\"} 1.0\n"), "{o}");
    // Lookups take only the variable labels.
    assert!(matches!(err(h.labels(&["a", "/x"])), Error::LabelCount { .. }));

    // A family with only constant labels has its one child, labelled.
    let c = Family::<Counter>::new(opts("up", "Up.").const_labels([("host", "h1")]), ()).unwrap();
    c.unlabelled().unwrap().inc();
    assert!(text(&c).contains("up_total{host=\"h1\"} 1.0\n"));
}

#[test]
fn const_label_names_follow_the_label_rules() {
    let dup = opts("c", "h").labels(["a"]).const_labels([("a", "1")]);
    assert_eq!(err(Family::<Counter>::new(dup, ())), Error::DuplicateLabelName { name: "a".into() });
    let twice = opts("c", "h").const_labels([("a", "1"), ("a", "2")]);
    assert_eq!(err(Family::<Counter>::new(twice, ())), Error::DuplicateLabelName { name: "a".into() });
    let le = opts("h", "h").const_labels([("le", "1")]);
    assert!(matches!(err(Family::<Histogram>::new(le, Buckets::default())), Error::ReservedLabelName { .. }));
    let bad = opts("c", "h").const_labels([("__x", "1")]);
    assert!(matches!(err(Family::<Counter>::new(bad, ())), Error::ReservedLabelName { .. }));
    let own = opts("state", "h").const_labels([("state", "1")]);
    let states = States::new(["a", "b"]);
    assert!(matches!(err(Family::<Enum>::new(own, states)), Error::ReservedLabelName { .. }));
}

/// A collector exposing another one with extra labels on every sample.
struct Labelled<'a>(&'a dyn Collector, Vec<(String, String)>);

impl Collector for Labelled<'_> {
    fn collect(&self) -> fastprom::Result<Vec<fastprom::MetricFamily>> {
        let mut c = fastprom::model::FamilyCollector::default();
        self.visit(&mut c)?;
        Ok(c.families)
    }
    fn visit(&self, v: &mut dyn fastprom::Visitor) -> fastprom::Result<()> {
        self.0.visit(&mut fastprom::model::WithLabels::new(v, &self.1))
    }
}

#[test]
fn with_labels_adds_labels_a_sample_does_not_have() {
    let registry = Registry::new();
    registry.set_created(false);
    let h = Family::<Histogram>::new(opts("lat", "L.").labels(["app"]), Buckets::new(&[1.0]).unwrap()).unwrap();
    h.labels(&["own"]).unwrap().observe(0.5);
    registry.register(h).unwrap();
    let defaults = vec![("app".to_owned(), "default".to_owned()), ("zone".to_owned(), "z1".to_owned())];
    let t = text(&Labelled(&registry, defaults));
    assert!(t.contains("lat_bucket{app=\"own\",le=\"1.0\",zone=\"z1\"} 1.0\n"), "{t}");
    assert!(t.contains("lat_sum{app=\"own\",zone=\"z1\"} 0.5\n"), "{t}");
    // No defaults: the same bytes as without the wrapper.
    assert_eq!(text(&Labelled(&registry, Vec::new())), text(&registry));
}
