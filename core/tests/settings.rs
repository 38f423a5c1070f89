#![allow(clippy::unwrap_used)]

//! Settings belong to families and registries: two of each in one process can differ, as
//! two libraries in one C program or two registries in one JS isolate need.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fastprom::clock::FixedClock;
use fastprom::{expose, Counter, Error, EscapingScheme, Family, Gauge, Opts, Registry, Settings, ValidationScheme};

fn text(r: &Registry) -> String {
    String::from_utf8(expose::encode_text(r, EscapingScheme::AllowUtf8).unwrap()).unwrap()
}

#[test]
fn validation_schemes_differ_per_family() {
    let utf8 = Counter::with_opts(Opts::new("http.requests", "h"));
    assert!(utf8.is_ok());
    let legacy = Counter::with_opts(Opts::new("http.requests", "h").validation(ValidationScheme::Legacy));
    assert!(matches!(legacy, Err(Error::InvalidMetricName { name }) if name == "http.requests"));
    let labels = Family::<Counter>::new(Opts::new("x", "h").labels(["a.b"]).validation(ValidationScheme::Legacy), ());
    assert!(matches!(labels, Err(Error::InvalidLabelName { name }) if name == "a.b"));
    assert!(Family::<Counter>::new(Opts::new("x", "h").labels(["a.b"]), ()).is_ok());
}

#[test]
fn clocks_differ_per_family() {
    let ticks = Arc::new(AtomicU64::new(100));
    let t = Arc::clone(&ticks);
    let moving = Settings::default().clock(Arc::new(move || t.fetch_add(1, Ordering::Relaxed) as f64));
    let a = Gauge::with_opts(Opts::new("a", "h").settings(moving)).unwrap();
    let b = Gauge::with_opts(Opts::new("b", "h").clock(Arc::new(FixedClock(7.0)))).unwrap();
    a.set_to_current_time();
    b.set_to_current_time();
    assert!(a.get() >= 100.0, "{}", a.get());
    assert_eq!(b.get(), 7.0);
    let c = Counter::with_opts(Opts::new("c", "h").clock(Arc::new(FixedClock(42.0)))).unwrap();
    assert_eq!(c.created(), 42.0);
    let fam = Family::<Counter>::new(Opts::new("f", "h").labels(["l"]).clock(Arc::new(FixedClock(3.0))), ()).unwrap();
    assert_eq!(fam.labels(&["x"]).unwrap().created(), 3.0);
}

#[test]
fn created_toggle_per_registry_and_family() {
    let with = Registry::new();
    let without = Registry::new();
    without.set_created(false);
    let c = Counter::with_opts(Opts::new("jobs", "h").clock(Arc::new(FixedClock(1.0)))).unwrap();
    with.register(c.clone()).unwrap();
    without.register(c.clone()).unwrap();
    assert!(text(&with).contains("jobs_created 1.0\n"), "{}", text(&with));
    assert!(!text(&without).contains("_created"), "{}", text(&without));
    // Turning it back on takes effect at the next scrape.
    without.set_created(true);
    assert!(text(&without).contains("jobs_created"));

    let quiet = Counter::with_opts(Opts::new("quiet", "h").created(false)).unwrap();
    let r = Registry::new();
    r.register(quiet).unwrap();
    assert_eq!(text(&r), "# HELP quiet_total h\n# TYPE quiet_total counter\nquiet_total 0.0\n");
}

#[test]
fn a_registry_inside_a_registry_keeps_the_outer_toggle() {
    let inner = Registry::new();
    let c = Counter::new("nested", "h").unwrap();
    inner.register(c).unwrap();
    let outer = Registry::new();
    outer.set_created(false);
    outer.register(Arc::new(inner)).unwrap();
    assert!(!text(&outer).contains("_created"), "{}", text(&outer));
}

#[test]
fn errors_carry_their_facts() {
    let fam = Family::<Counter>::new(Opts::new("req", "h").labels(["method", "code"]), ()).unwrap();
    match fam.labels(&["GET"]) {
        Err(Error::LabelCount { expected, given }) => {
            assert_eq!(expected, 2);
            assert_eq!(given, ["GET"]);
        }
        other => panic!("{other:?}"),
    }
    match fam.labels_by_name(&[("method", "GET"), ("status", "200")]) {
        Err(Error::LabelNames { expected, given }) => {
            assert_eq!(expected, ["method", "code"]);
            assert_eq!(given, ["method", "status"]);
        }
        other => panic!("{other:?}"),
    }
    let child = fam.labels(&["GET", "200"]).unwrap();
    assert!(matches!(child.inc_by(-2.0), Err(Error::NegativeIncrement { amount }) if amount == -2.0));
    assert_eq!(child.get(), 0.0);
    let r = Registry::new();
    r.register(fam.clone()).unwrap();
    match r.register(fam) {
        Err(Error::DuplicateTimeseries { names }) => assert_eq!(names, ["req", "req_created", "req_total"]),
        other => panic!("{other:?}"),
    }
    // Display is neutral; prometheus_client's wording comes from the compat module.
    let e = Error::NotLabelled { metric_type: fastprom::MetricType::Gauge, name: "g".into() };
    assert_eq!(e.to_string(), "gauge \"g\" has no label names");
    assert_eq!(fastprom::compat::python::message(&e), "No label names were set when constructing gauge:g");
}
