//! Counter, gauge, histogram, summary, info and enum families behind one class, and their
//! children. The JS wrapper picks the methods each prom-client class has; the core checks
//! every name, label count and value.

use std::sync::{Arc, RwLock};

use fastprom::metrics::InfoConfig;
use fastprom::registry::Desc;
use fastprom::{
    Buckets, Child, Collector, CollectorId, Counter, Enum, Error, Family, Gauge, Histogram, Info, MetricCore,
    MetricFamily, Objective, Opts, Registry, States, Summary, SummaryConfig, Visitor,
};
use wasm_bindgen::prelude::*;

use crate::error::{js, JsResult};

/// The family of one metric type.
#[derive(Clone)]
enum Kind {
    Counter(Family<Counter>),
    Gauge(Family<Gauge>),
    Histogram(Family<Histogram>),
    Summary(Family<Summary>),
    Info(Family<Info>),
    Enum(Family<Enum>),
}

/// One child of a family, kept by the caller (`labels(...)`).
enum ChildKind {
    Counter(Child<Counter>),
    Gauge(Child<Gauge>),
    Histogram(Child<Histogram>),
    Summary(Child<Summary>),
    Info(Child<Info>),
    Enum(Child<Enum>),
}

/// Runs `$body` with `$f` bound to the family, whatever its type; `$wrap` rebuilds the
/// result's kind where the body yields a child.
macro_rules! each_family {
    ($kind:expr, $f:ident => $body:expr) => {
        match $kind {
            Kind::Counter($f) => $body,
            Kind::Gauge($f) => $body,
            Kind::Histogram($f) => $body,
            Kind::Summary($f) => $body,
            Kind::Info($f) => $body,
            Kind::Enum($f) => $body,
        }
    };
}

/// As [`each_family`], wrapping a child result in the matching [`ChildKind`].
macro_rules! each_child_of {
    ($kind:expr, $f:ident => $body:expr) => {
        match $kind {
            Kind::Counter($f) => ChildKind::Counter($body),
            Kind::Gauge($f) => ChildKind::Gauge($body),
            Kind::Histogram($f) => ChildKind::Histogram($body),
            Kind::Summary($f) => ChildKind::Summary($body),
            Kind::Info($f) => ChildKind::Info($body),
            Kind::Enum($f) => ChildKind::Enum($body),
        }
    };
}

/// A metric family of any of the six types, with its label names.
#[wasm_bindgen(js_name = RawMetric)]
pub struct Metric {
    slot: Slot,
}

/// The family behind a metric, shared with the registries it is registered in. `reset`
/// of an unlabelled histogram, summary, info or enum (whose children the core cannot set
/// back) puts a fresh family in its place, and the registries expose that one.
#[derive(Clone)]
struct Slot(Arc<RwLock<Kind>>);

impl Slot {
    /// The family now (a handle: no lock is held while it is used, so the JS clock the
    /// core may call cannot meet a held lock).
    fn get(&self) -> Kind {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Collector for Slot {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        each_family!(&self.get(), f => f.collect())
    }

    fn describe(&self) -> Option<Vec<Desc>> {
        each_family!(&self.get(), f => f.describe())
    }

    fn visit(&self, v: &mut dyn Visitor) -> fastprom::Result<()> {
        each_family!(&self.get(), f => Collector::visit(f, v))
    }
}

/// A new, empty family with `f`'s name, help, settings and configuration (no labels).
fn fresh<M: MetricCore>(f: &Family<M>) -> fastprom::Result<Family<M>>
where
    M::Config: Clone,
{
    Family::new(Opts::new(f.name(), f.help()).settings(f.settings().clone()), f.config().clone())
}

/// A kept child of a [`Metric`], updated without looking its labels up again.
#[wasm_bindgen(js_name = RawChild)]
pub struct MetricChild {
    kind: ChildKind,
}

/// The window of a summary without one: about 3e292 years, so it never rotates.
const NO_WINDOW_SECONDS: f64 = 1e300;

fn opts(name: String, help: String, label_names: Vec<String>) -> Opts {
    Opts::new(name, help).labels(label_names).settings(crate::js_settings())
}

/// The error for a method the metric type does not have (the JS wrapper never calls one).
fn unsupported(what: &str) -> Error {
    Error::InvalidArgument(format!("this metric type has no {what}"))
}

impl Metric {
    fn of(kind: Kind) -> Self {
        Self { slot: Slot(Arc::new(RwLock::new(kind))) }
    }

    /// Registers the family in `registry`.
    pub(crate) fn register_in(&self, registry: &Registry) -> fastprom::Result<CollectorId> {
        registry.register(self.slot.clone())
    }

    fn resolve(&self, names: &[String], values: &[String]) -> fastprom::Result<ChildKind> {
        if names.is_empty() {
            return self.child(values);
        }
        let pairs: Vec<(&str, &str)> =
            names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
        Ok(each_child_of!(&self.slot.get(), f => f.labels_by_name(&pairs)?))
    }

    /// Runs `op` on the child for the labels (see [`Metric::labels`]). When `op` fails on a
    /// child this call created, the child is removed again: a refused update (a negative
    /// counter increment, an unknown state) leaves the family as it was.
    fn update(
        &self,
        names: &[String],
        values: &[String],
        op: impl FnOnce(&ChildKind) -> fastprom::Result<()>,
    ) -> JsResult<()> {
        let kind = self.slot.get();
        let before = each_family!(&kind, f => f.len());
        let child = js(self.resolve(names, values))?;
        let done = op(&child);
        if done.is_err() && each_family!(&kind, f => f.len()) > before {
            let _ = self.remove_series(names, values);
        }
        js(done)
    }

    /// Removes the child for `values` (label-name order), or with `names` every child
    /// whose labels match all the pairs; how many went.
    fn remove_series(&self, names: &[String], values: &[String]) -> fastprom::Result<usize> {
        if names.is_empty() {
            each_family!(&self.slot.get(), f => f.remove(values).map(usize::from))
        } else {
            let pairs: Vec<(&str, &str)> =
                names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
            each_family!(&self.slot.get(), f => f.remove_by_labels(&pairs))
        }
    }

    fn child(&self, values: &[String]) -> fastprom::Result<ChildKind> {
        fn pick<M: fastprom::MetricCore>(f: &Family<M>, values: &[String]) -> fastprom::Result<Child<M>> {
            if values.is_empty() {
                f.unlabelled().cloned()
            } else {
                f.labels(values)
            }
        }
        Ok(each_child_of!(&self.slot.get(), f => pick(f, values)?))
    }
}

#[wasm_bindgen(js_class = RawMetric)]
impl Metric {
    /// A counter family (`name` gets `_total` in the exposition).
    pub fn counter(name: String, help: String, label_names: Vec<String>) -> JsResult<Metric> {
        Ok(Self::of(Kind::Counter(js(Family::new(opts(name, help, label_names), ()))?)))
    }

    /// A gauge family.
    pub fn gauge(name: String, help: String, label_names: Vec<String>) -> JsResult<Metric> {
        Ok(Self::of(Kind::Gauge(js(Family::new(opts(name, help, label_names), ()))?)))
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
        Ok(Self::of(Kind::Histogram(js(Family::new(opts(name, help, label_names), buckets))?)))
    }

    /// A summary family: a count and a sum, and with `percentiles` (each in [0, 1]) those
    /// quantiles. With both `max_age_seconds` and `age_buckets` they cover a sliding window
    /// of that many seconds kept in that many rotating parts, as prom-client's
    /// `maxAgeSeconds` and `ageBuckets`; without either they cover every observation
    /// since the series began, as prom-client's do then.
    pub fn summary(
        name: String,
        help: String,
        label_names: Vec<String>,
        percentiles: Option<Vec<f64>>,
        max_age_seconds: Option<f64>,
        age_buckets: Option<u32>,
    ) -> JsResult<Metric> {
        let config = match percentiles {
            Some(ps) if !ps.is_empty() => {
                // prom-client's quantiles are exact; a 0.1% rank error keeps them close.
                let objectives: Vec<Objective> = ps.iter().map(|&q| Objective { quantile: q, error: 0.001 }).collect();
                let (max_age, parts) = match (max_age_seconds, age_buckets) {
                    (Some(age), Some(parts)) => (age, parts as usize),
                    // One part that never rotates: the core's window has no "for ever".
                    _ => (NO_WINDOW_SECONDS, 1),
                };
                js(SummaryConfig::quantiles(&objectives, max_age, parts))?
            }
            _ => SummaryConfig::default(),
        };
        Ok(Self::of(Kind::Summary(js(Family::new(opts(name, help, label_names), config))?)))
    }

    /// An info family: each child is a set of key/value pairs exposed as `name_info`.
    pub fn info(name: String, help: String, label_names: Vec<String>) -> JsResult<Metric> {
        Ok(Self::of(Kind::Info(js(Family::new(opts(name, help, label_names), InfoConfig::default()))?)))
    }

    /// An enum (state set) family: each child is in one of `states` (the first at first).
    pub fn enumeration(name: String, help: String, label_names: Vec<String>, states: Vec<String>) -> JsResult<Metric> {
        Ok(Self::of(Kind::Enum(js(Family::new(opts(name, help, label_names), States::new(states)))?)))
    }

    /// The child for label `values`: given by name when `names` is not empty (fails with
    /// `ERR_LABEL_NAMES` unless they are exactly the family's label names), otherwise in
    /// label-name order (`ERR_LABEL_COUNT` on a wrong count); created when missing.
    pub fn labels(&self, names: Vec<String>, values: Vec<String>) -> JsResult<MetricChild> {
        Ok(MetricChild { kind: js(self.resolve(&names, &values))? })
    }

    /// Adds `amount` to the child for the labels (see [`labels`](Self::labels)).
    pub fn inc(&self, names: Vec<String>, values: Vec<String>, amount: f64) -> JsResult<()> {
        self.update(&names, &values, |c| c.inc(amount))
    }

    /// Subtracts `amount` from the gauge child for the labels.
    pub fn dec(&self, names: Vec<String>, values: Vec<String>, amount: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.dec(amount)))
    }

    /// Sets the gauge child for the labels to `value`.
    pub fn set(&self, names: Vec<String>, values: Vec<String>, value: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.set(value)))
    }

    /// Records `value` in the histogram or summary child for the labels.
    pub fn observe(&self, names: Vec<String>, values: Vec<String>, value: f64) -> JsResult<()> {
        js(self.resolve(&names, &values).and_then(|c| c.observe(value)))
    }

    /// Sets the info child for the labels to the pairs `keys[i]` = `vals[i]`.
    #[wasm_bindgen(js_name = setInfo)]
    pub fn set_info(
        &self,
        names: Vec<String>,
        values: Vec<String>,
        keys: Vec<String>,
        vals: Vec<String>,
    ) -> JsResult<()> {
        self.update(&names, &values, |c| c.set_info(keys, vals))
    }

    /// Puts the enum child for the labels in `state`.
    pub fn state(&self, names: Vec<String>, values: Vec<String>, state: String) -> JsResult<()> {
        self.update(&names, &values, |c| c.state(&state))
    }

    /// Removes the child for `values` (label-name order), returning 1 when it existed, 0
    /// otherwise; with `names`, removes every child whose labels match all the pairs and
    /// returns how many.
    pub fn remove(&self, names: Vec<String>, values: Vec<String>) -> JsResult<u32> {
        js(self.remove_series(&names, &values)).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Removes every child of a labelled family, or sets an unlabelled one back to zero
    /// (a histogram, summary, info or enum, whose children have no reset, by putting a
    /// fresh family in the registries in its place; children kept from the old one no
    /// longer count).
    pub fn reset(&self) -> JsResult<()> {
        let kind = self.slot.get();
        let labelled = each_family!(&kind, f => !f.label_names().is_empty());
        if labelled {
            each_family!(&kind, f => f.clear());
            return Ok(());
        }
        let renewed = match &kind {
            Kind::Counter(f) => {
                js(f.unlabelled())?.reset();
                return Ok(());
            }
            Kind::Gauge(f) => {
                js(f.unlabelled())?.set(0.0);
                return Ok(());
            }
            Kind::Histogram(f) => Kind::Histogram(js(fresh(f))?),
            Kind::Summary(f) => Kind::Summary(js(fresh(f))?),
            Kind::Info(f) => Kind::Info(js(fresh(f))?),
            Kind::Enum(f) => Kind::Enum(js(fresh(f))?),
        };
        *self.slot.0.write().unwrap_or_else(|e| e.into_inner()) = renewed;
        Ok(())
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
            _ => Err(unsupported("inc")),
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
            Self::Summary(s) => {
                s.observe(value);
                Ok(())
            }
            _ => Err(unsupported("observe")),
        }
    }

    fn set_info(&self, keys: Vec<String>, vals: Vec<String>) -> fastprom::Result<()> {
        match self {
            Self::Info(i) => i.set(keys.into_iter().zip(vals).collect()),
            _ => Err(unsupported("set")),
        }
    }

    fn state(&self, state: &str) -> fastprom::Result<()> {
        match self {
            Self::Enum(e) => e.state(state),
            _ => Err(unsupported("state")),
        }
    }
}

#[wasm_bindgen(js_class = RawChild)]
impl MetricChild {
    /// Adds `amount` (counter: fails with `ERR_NEGATIVE_INCREMENT` below zero).
    pub fn inc(&self, amount: f64) -> JsResult<()> {
        js(self.kind.inc(amount))
    }

    /// [`inc`](Self::inc) for the hot path: true when done, false when refused (nothing
    /// changed; `inc` then throws the error). Node's V8 calls a method returning one number
    /// in about half the time of one returning a `Result` (two values), so the JS wrapper
    /// uses these `*Ok` forms and calls the plain one only to report a refusal.
    #[wasm_bindgen(js_name = incOk)]
    pub fn inc_ok(&self, amount: f64) -> bool {
        self.kind.inc(amount).is_ok()
    }

    /// [`dec`](Self::dec) for the hot path (see [`inc_ok`](Self::inc_ok)).
    #[wasm_bindgen(js_name = decOk)]
    pub fn dec_ok(&self, amount: f64) -> bool {
        self.kind.dec(amount).is_ok()
    }

    /// [`set`](Self::set) for the hot path (see [`inc_ok`](Self::inc_ok)).
    #[wasm_bindgen(js_name = setOk)]
    pub fn set_ok(&self, value: f64) -> bool {
        self.kind.set(value).is_ok()
    }

    /// [`observe`](Self::observe) for the hot path (see [`inc_ok`](Self::inc_ok)).
    #[wasm_bindgen(js_name = observeOk)]
    pub fn observe_ok(&self, value: f64) -> bool {
        self.kind.observe(value).is_ok()
    }

    /// Subtracts `amount` from a gauge.
    pub fn dec(&self, amount: f64) -> JsResult<()> {
        js(self.kind.dec(amount))
    }

    /// Sets a gauge to `value`.
    pub fn set(&self, value: f64) -> JsResult<()> {
        js(self.kind.set(value))
    }

    /// Records one observation in a histogram or summary.
    pub fn observe(&self, value: f64) -> JsResult<()> {
        js(self.kind.observe(value))
    }

    /// Sets an info to the pairs `keys[i]` = `vals[i]`.
    #[wasm_bindgen(js_name = setInfo)]
    pub fn set_info(&self, keys: Vec<String>, vals: Vec<String>) -> JsResult<()> {
        js(self.kind.set_info(keys, vals))
    }

    /// Puts an enum in `state`.
    pub fn state(&self, state: String) -> JsResult<()> {
        js(self.kind.state(&state))
    }

    /// The current value (counter or gauge), the histogram's or summary's sum, 1 for an
    /// info or an enum (see [`state_name`](Self::state_name)).
    pub fn get(&self) -> f64 {
        match &self.kind {
            ChildKind::Counter(c) => c.get(),
            ChildKind::Gauge(g) => g.get(),
            ChildKind::Histogram(h) => h.sum(),
            ChildKind::Summary(s) => s.sum(),
            ChildKind::Info(_) | ChildKind::Enum(_) => 1.0,
        }
    }

    /// An enum's current state (`undefined` for other types).
    #[wasm_bindgen(js_name = stateName)]
    pub fn state_name(&self) -> Option<String> {
        match &self.kind {
            ChildKind::Enum(e) => Some(e.get().to_owned()),
            _ => None,
        }
    }
}
