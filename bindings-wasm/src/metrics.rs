//! Counter, gauge and histogram families behind one class, and their children. The JS
//! wrapper picks the methods each prom-client class has; the core checks every name,
//! label count and value.

use fastprom::{Buckets, Child, CollectorId, Counter, Error, Family, Gauge, Histogram, Opts, Registry};
use wasm_bindgen::prelude::*;

use crate::error::{js, JsResult};

/// The family of one metric type.
#[derive(Clone)]
enum Kind {
    Counter(Family<Counter>),
    Gauge(Family<Gauge>),
    Histogram(Family<Histogram>),
}

/// One child of a family, kept by the caller (`labels(...)`).
enum ChildKind {
    Counter(Child<Counter>),
    Gauge(Child<Gauge>),
    Histogram(Child<Histogram>),
}

/// A metric family: a counter, gauge or histogram with its label names.
#[wasm_bindgen(js_name = RawMetric)]
pub struct Metric {
    kind: Kind,
}

/// A kept child of a [`Metric`], updated without looking its labels up again.
#[wasm_bindgen(js_name = RawChild)]
pub struct MetricChild {
    kind: ChildKind,
}

fn opts(name: String, help: String, label_names: Vec<String>) -> Opts {
    Opts::new(name, help).labels(label_names).settings(crate::js_settings())
}

/// The error for a method the metric type does not have (the JS wrapper never calls one).
fn unsupported(what: &str) -> Error {
    Error::InvalidArgument(format!("this metric type has no {what}"))
}

impl Metric {
    /// Registers the family in `registry`.
    pub(crate) fn register_in(&self, registry: &Registry) -> fastprom::Result<CollectorId> {
        match &self.kind {
            Kind::Counter(f) => registry.register(f.clone()),
            Kind::Gauge(f) => registry.register(f.clone()),
            Kind::Histogram(f) => registry.register(f.clone()),
        }
    }

    fn resolve(&self, names: &[String], values: &[String]) -> fastprom::Result<ChildKind> {
        if names.is_empty() {
            return self.child(values);
        }
        let pairs: Vec<(&str, &str)> =
            names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
        Ok(match &self.kind {
            Kind::Counter(f) => ChildKind::Counter(f.labels_by_name(&pairs)?),
            Kind::Gauge(f) => ChildKind::Gauge(f.labels_by_name(&pairs)?),
            Kind::Histogram(f) => ChildKind::Histogram(f.labels_by_name(&pairs)?),
        })
    }

    fn child(&self, values: &[String]) -> fastprom::Result<ChildKind> {
        fn pick<M: fastprom::MetricCore>(f: &Family<M>, values: &[String]) -> fastprom::Result<Child<M>> {
            if values.is_empty() {
                f.unlabelled().cloned()
            } else {
                f.labels(values)
            }
        }
        Ok(match &self.kind {
            Kind::Counter(f) => ChildKind::Counter(pick(f, values)?),
            Kind::Gauge(f) => ChildKind::Gauge(pick(f, values)?),
            Kind::Histogram(f) => ChildKind::Histogram(pick(f, values)?),
        })
    }
}

#[wasm_bindgen(js_class = RawMetric)]
impl Metric {
    /// A counter family (`name` gets `_total` in the exposition).
    pub fn counter(name: String, help: String, label_names: Vec<String>) -> JsResult<Metric> {
        Ok(Self { kind: Kind::Counter(js(Family::new(opts(name, help, label_names), ()))?) })
    }

    /// A gauge family.
    pub fn gauge(name: String, help: String, label_names: Vec<String>) -> JsResult<Metric> {
        Ok(Self { kind: Kind::Gauge(js(Family::new(opts(name, help, label_names), ()))?) })
    }

    /// A histogram family with these bucket upper bounds (`+Inf` is added), or
    /// prom-client's default buckets when `buckets` is absent.
    pub fn histogram(
        name: String,
        help: String,
        label_names: Vec<String>,
        buckets: Option<Vec<f64>>,
    ) -> JsResult<Metric> {
        let buckets = match buckets {
            Some(b) => js(Buckets::new(&b))?,
            None => js(Buckets::new(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]))?,
        };
        Ok(Self { kind: Kind::Histogram(js(Family::new(opts(name, help, label_names), buckets))?) })
    }

    /// The child for label `values`: given by name when `names` is not empty (fails with
    /// `ERR_LABEL_NAMES` unless they are exactly the family's label names), otherwise in
    /// label-name order (`ERR_LABEL_COUNT` on a wrong count); created when missing.
    pub fn labels(&self, names: Vec<String>, values: Vec<String>) -> JsResult<MetricChild> {
        Ok(MetricChild { kind: js(self.resolve(&names, &values))? })
    }

    /// Adds `amount` to the child for the labels (see [`labels`](Self::labels)).
    pub fn inc(&self, names: Vec<String>, values: Vec<String>, amount: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.inc(amount)))
    }

    /// Subtracts `amount` from the gauge child for the labels.
    pub fn dec(&self, names: Vec<String>, values: Vec<String>, amount: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.dec(amount)))
    }

    /// Sets the gauge child for the labels to `value`.
    pub fn set(&self, names: Vec<String>, values: Vec<String>, value: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.set(value)))
    }

    /// Records `value` in the histogram child for the labels.
    pub fn observe(&self, names: Vec<String>, values: Vec<String>, value: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.observe(value)))
    }

    /// Removes the child for `values` (label-name order), returning 1 when it existed, 0
    /// otherwise; with `names`, removes every child whose labels match all the pairs and
    /// returns how many.
    pub fn remove(&self, names: Vec<String>, values: Vec<String>) -> JsResult<u32> {
        let pairs: Vec<(&str, &str)> =
            names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
        let n = match (&self.kind, names.is_empty()) {
            (Kind::Counter(f), true) => f.remove(&values).map(usize::from),
            (Kind::Gauge(f), true) => f.remove(&values).map(usize::from),
            (Kind::Histogram(f), true) => f.remove(&values).map(usize::from),
            (Kind::Counter(f), false) => f.remove_by_labels(&pairs),
            (Kind::Gauge(f), false) => f.remove_by_labels(&pairs),
            (Kind::Histogram(f), false) => f.remove_by_labels(&pairs),
        };
        js(n).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Removes every child of a labelled family, or sets an unlabelled one back to zero.
    pub fn reset(&self) {
        match &self.kind {
            Kind::Counter(f) => match f.unlabelled() {
                Ok(c) => c.reset(),
                Err(_) => f.clear(),
            },
            Kind::Gauge(f) => match f.unlabelled() {
                Ok(c) => c.set(0.0),
                Err(_) => f.clear(),
            },
            // A histogram's child has no reset: drop it; an unlabelled one comes back empty.
            Kind::Histogram(f) => f.clear(),
        }
    }
}

impl ChildKind {
    fn inc(&self, amount: f64) -> fastprom::Result<()> {
        match self {
            Self::Counter(c) => c.inc_by(amount),
            Self::Gauge(g) => {
                g.inc_by(amount);
                Ok(())
            }
            Self::Histogram(_) => Err(unsupported("inc")),
        }
    }

    fn dec(&self, amount: f64) -> fastprom::Result<()> {
        match self {
            Self::Gauge(g) => {
                g.dec_by(amount);
                Ok(())
            }
            _ => Err(unsupported("dec")),
        }
    }

    fn set(&self, value: f64) -> fastprom::Result<()> {
        match self {
            Self::Gauge(g) => {
                g.set(value);
                Ok(())
            }
            _ => Err(unsupported("set")),
        }
    }

    fn observe(&self, value: f64) -> fastprom::Result<()> {
        match self {
            Self::Histogram(h) => {
                h.observe(value);
                Ok(())
            }
            _ => Err(unsupported("observe")),
        }
    }
}

#[wasm_bindgen(js_class = RawChild)]
impl MetricChild {
    /// Adds `amount` (counter: fails with `ERR_NEGATIVE_INCREMENT` below zero).
    pub fn inc(&self, amount: f64) -> JsResult<()> {
        js(self.kind.inc(amount))
    }

    /// Subtracts `amount` from a gauge.
    pub fn dec(&self, amount: f64) -> JsResult<()> {
        js(self.kind.dec(amount))
    }

    /// Sets a gauge to `value`.
    pub fn set(&self, value: f64) -> JsResult<()> {
        js(self.kind.set(value))
    }

    /// Records one observation in a histogram.
    pub fn observe(&self, value: f64) -> JsResult<()> {
        js(self.kind.observe(value))
    }

    /// The current value (counter or gauge), or the histogram's sum.
    pub fn get(&self) -> f64 {
        match &self.kind {
            ChildKind::Counter(c) => c.get(),
            ChildKind::Gauge(g) => g.get(),
            ChildKind::Histogram(h) => h.sum(),
        }
    }
}
