//! Metrics without labels, on their own: `Counter::new("jobs", "Jobs run.")` instead of a
//! one-child [`Family`].

use std::ops::Deref;

use super::family::{Child, Family, MetricCore, Opts};
use super::{Buckets, Counter, Enum, Gauge, Histogram, Info, States, Summary};
use crate::error::Result;
use crate::model::{MetricFamily, Visitor};
use crate::registry::{Collector, Desc};

/// A metric without labels: dereferences to the metric (`jobs.inc()`), registers like a
/// family (`registry.register(jobs.clone())`), and clones share the value.
///
/// ```
/// use fastprom::{Counter, Gauge, Histogram, Buckets, Registry};
///
/// let registry = Registry::new();
/// let jobs = Counter::new("jobs", "Jobs run.")?;
/// let queue = Gauge::new("queue_length", "Jobs waiting.")?;
/// let latency = Histogram::new("latency_seconds", "Job latency.", Buckets::new(&[0.1, 1.0])?)?;
/// registry.register(jobs.clone())?;
/// registry.register(queue.clone())?;
/// registry.register(latency.clone())?;
///
/// jobs.inc();
/// queue.set(3.0);
/// latency.observe(0.25);
/// assert_eq!(registry.get_sample_value("jobs_total", &[])?, Some(1.0));
/// assert_eq!(registry.get_sample_value("latency_seconds_bucket", &[("le", "1.0")])?, Some(1.0));
/// # Ok::<(), fastprom::Error>(())
/// ```
pub struct Standalone<M: MetricCore> {
    family: Family<M>,
    child: Child<M>,
}

impl<M: MetricCore> Clone for Standalone<M> {
    fn clone(&self) -> Self {
        Self { family: self.family.clone(), child: self.child.clone() }
    }
}

impl<M: MetricCore + std::fmt::Debug> std::fmt::Debug for Standalone<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Standalone").field("name", &self.family.name()).field("metric", &*self.child).finish()
    }
}

impl<M: MetricCore> Standalone<M> {
    /// A metric from `opts` (whose label names must be empty) and its type's settings.
    pub fn with_config(opts: Opts, config: M::Config) -> Result<Self> {
        let family = Family::<M>::new(opts, config)?;
        let child = family.unlabelled()?.clone();
        Ok(Self { family, child })
    }

    /// The one-child family behind the metric.
    pub fn family(&self) -> &Family<M> {
        &self.family
    }

    /// A handle to the metric itself.
    pub fn child(&self) -> &Child<M> {
        &self.child
    }
}

impl<M: MetricCore> Deref for Standalone<M> {
    type Target = M;
    #[inline]
    fn deref(&self) -> &M {
        &self.child
    }
}

impl<M: MetricCore> Collector for Standalone<M> {
    fn collect(&self) -> Result<Vec<MetricFamily>> {
        self.family.collect()
    }
    fn describe(&self) -> Option<Vec<Desc>> {
        self.family.describe()
    }
    fn visit(&self, v: &mut dyn Visitor) -> Result<()> {
        self.family.visit(v)
    }
}

macro_rules! plain_constructors {
    ($ty:ident, $what:literal) => {
        impl $ty {
            #[doc = concat!("A ", $what, " without labels named `name` with HELP text `help`.")]
            pub fn new(name: impl Into<String>, help: impl Into<String>) -> Result<Standalone<$ty>> {
                Self::with_opts(Opts::new(name, help))
            }

            #[doc = concat!("A ", $what, " without labels from `opts` (namespace, unit, settings).")]
            pub fn with_opts(opts: Opts) -> Result<Standalone<$ty>> {
                Standalone::with_config(opts, Default::default())
            }
        }
    };
}

plain_constructors!(Counter, "counter");
plain_constructors!(Gauge, "gauge");
plain_constructors!(Summary, "summary (count and sum; quantiles through `SummaryConfig`)");
plain_constructors!(Info, "info metric");

impl Histogram {
    /// A histogram without labels with the given buckets.
    pub fn new(name: impl Into<String>, help: impl Into<String>, buckets: Buckets) -> Result<Standalone<Histogram>> {
        Standalone::with_config(Opts::new(name, help), buckets)
    }
}

impl Enum {
    /// An enum (stateset) without labels over `states`, starting in the first.
    pub fn new(name: impl Into<String>, help: impl Into<String>, states: States) -> Result<Standalone<Enum>> {
        Standalone::with_config(Opts::new(name, help), states)
    }
}
