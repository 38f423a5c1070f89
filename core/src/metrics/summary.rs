//! Summary: count and sum of observations, plus opt-in quantiles over a sliding window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::family::{Base, MetricCore};
use super::quantile::{Objective, WindowedQuantiles};
use crate::error::Result;
use crate::floatfmt;
use crate::model::{MetricType, Visitor};
use crate::settings::Settings;
use crate::sync::atomic_f64::AtomicF64;

/// A summary family's settings. The default has no quantiles, exactly as
/// prometheus_client's Summary; objectives turn on quantiles over a sliding window with a
/// bounded rank error (the Go client's design), at the cost of a lock per observation.
#[derive(Debug, Clone)]
pub struct SummaryConfig {
    objectives: Vec<Objective>,
    max_age: f64,
    age_buckets: usize,
    quantile_labels: Vec<String>,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        Self {
            objectives: Vec::new(),
            max_age: WindowedQuantiles::DEFAULT_MAX_AGE,
            age_buckets: WindowedQuantiles::DEFAULT_AGE_BUCKETS,
            quantile_labels: Vec::new(),
        }
    }
}

impl SummaryConfig {
    /// Quantiles with their allowed rank errors, over a window of `max_age` seconds kept in
    /// `age_buckets` rotating streams. Checked here, so a bad objective fails up front.
    ///
    /// ```
    /// use fastprom::{Objective, Opts, Standalone, Summary, SummaryConfig};
    ///
    /// let p99 = SummaryConfig::quantiles(&[Objective { quantile: 0.99, error: 0.001 }], 600.0, 5)?;
    /// let latency = Standalone::<Summary>::with_config(Opts::new("latency_seconds", "Latency."), p99)?;
    /// for i in 1..=1000 {
    ///     latency.observe(f64::from(i) / 1000.0);
    /// }
    /// let (q, v) = latency.quantiles()[0];
    /// assert_eq!(q, 0.99);
    /// assert!((v - 0.99).abs() <= 0.002, "{v}");
    /// # Ok::<(), fastprom::Error>(())
    /// ```
    pub fn quantiles(objectives: &[Objective], max_age: f64, age_buckets: usize) -> Result<Self> {
        let probe = WindowedQuantiles::new(objectives, max_age, age_buckets, 0.0)?;
        let objectives = probe.objectives().to_vec();
        let quantile_labels = objectives.iter().map(|o| floatfmt::go_float(o.quantile)).collect();
        Ok(Self { objectives, max_age, age_buckets, quantile_labels })
    }

    /// The configured objectives (empty when quantiles are off).
    pub fn objectives(&self) -> &[Objective] {
        &self.objectives
    }
}

/// One summary child.
#[derive(Debug)]
pub struct Summary {
    count: AtomicU64,
    sum: AtomicF64,
    created: AtomicF64,
    window: Option<Mutex<WindowedQuantiles>>,
    settings: Arc<Settings>,
}

impl Summary {
    /// Records one observation.
    #[inline]
    pub fn observe(&self, v: f64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.add(v);
        if let Some(w) = &self.window {
            // The clock is user code: read it before taking the window's lock.
            let now = self.settings.now();
            w.lock().observe(v, now);
        }
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Sum of observations.
    pub fn sum(&self) -> f64 {
        self.sum.get()
    }

    /// Sets the creation time reported as `_created`.
    pub fn set_created(&self, t: f64) {
        self.created.set(t);
    }

    /// Replaces the count and sum with saved ones, e.g. values read back from a file.
    pub fn restore(&self, count: u64, sum: f64) {
        self.count.store(count, Ordering::Relaxed);
        self.sum.set(sum);
    }

    /// Creation time.
    pub fn created(&self) -> f64 {
        self.created.get()
    }

    /// Current quantile estimates `(quantile, value)`; empty when quantiles are off, NaN
    /// values when the window is empty.
    pub fn quantiles(&self) -> Vec<(f64, f64)> {
        match &self.window {
            Some(w) => {
                let now = self.settings.now();
                w.lock().query(now)
            }
            None => Vec::new(),
        }
    }
}

impl MetricCore for Summary {
    type Config = SummaryConfig;
    const TYPE: MetricType = MetricType::Summary;
    const RESERVED: &'static [&'static str] = &["quantile"];

    fn extra_label(_: &str) -> Option<String> {
        Some("quantile".into())
    }

    fn new_child(config: &Arc<SummaryConfig>, settings: &Arc<Settings>, now: f64) -> Self {
        let window = if config.objectives.is_empty() {
            None
        } else {
            WindowedQuantiles::new(&config.objectives, config.max_age, config.age_buckets, now).ok().map(Mutex::new)
        };
        Self {
            count: AtomicU64::new(0),
            sum: AtomicF64::new(0.0),
            created: AtomicF64::new(now),
            window,
            settings: Arc::clone(settings),
        }
    }

    fn visit_child(&self, config: &SummaryConfig, base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        let qs = self.quantiles();
        if !qs.is_empty() {
            let values: Vec<f64> = qs.iter().map(|(_, value)| *value).collect();
            base.batch(
                v,
                "",
                &config.quantile_labels[..values.len().min(config.quantile_labels.len())],
                &values,
                None,
            )?;
        }
        v.sample(&base.sample("_count", self.count() as f64))?;
        v.sample(&base.sample("_sum", self.sum()))?;
        if base.created {
            v.sample(&base.sample("_created", self.created()))?;
        }
        Ok(())
    }
}
