//! Histogram: observations counted into cumulative buckets.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use smallvec::SmallVec;

use super::family::{Base, MetricCore};
use crate::error::{BucketProblem, Error, Result};
use crate::floatfmt;
use crate::model::{Exemplar, MetricType, Timestamp, Visitor};
use crate::settings::Settings;
use crate::sync::atomic_f64::AtomicF64;

/// prometheus_client's `Histogram.DEFAULT_BUCKETS` (without the `+Inf` that is appended).
pub const DEFAULT_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// A histogram family's upper bounds: sorted, ending in `+Inf`, at least two.
#[derive(Debug, Clone)]
pub struct Buckets {
    bounds: Box<[f64]>,
    les: Box<[String]>,
}

impl Default for Buckets {
    fn default() -> Self {
        Self::new(&DEFAULT_BUCKETS).unwrap_or_else(|_| unreachable!("default buckets are valid"))
    }
}

impl Buckets {
    /// Checks bounds as prometheus_client does: sorted (equal neighbours allowed), `+Inf`
    /// appended when missing, at least two in all. NaN bounds are refused as unsorted.
    pub fn new(bounds: &[f64]) -> Result<Self> {
        if bounds.iter().any(|b| b.is_nan()) {
            return Err(Error::InvalidBuckets { problem: BucketProblem::NotANumber });
        }
        if bounds.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::InvalidBuckets { problem: BucketProblem::Unsorted });
        }
        let mut b = bounds.to_vec();
        if b.last().is_some_and(|l| *l != f64::INFINITY) {
            b.push(f64::INFINITY);
        }
        if b.len() < 2 {
            return Err(Error::InvalidBuckets { problem: BucketProblem::TooFew });
        }
        let les = b.iter().map(|v| floatfmt::go_float(*v)).collect();
        Ok(Self { bounds: b.into_boxed_slice(), les })
    }

    /// `count` buckets `start, start + width, ...`.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self> {
        if count < 1 || !(width > 0.0) {
            return Err(Error::InvalidBuckets { problem: BucketProblem::Linear });
        }
        Self::new(&(0..count).map(|i| start + width * i as f64).collect::<Vec<_>>())
    }

    /// `count` buckets `start, start * factor, ...`.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self> {
        if count < 1 || !(start > 0.0) || !(factor > 1.0) {
            return Err(Error::InvalidBuckets { problem: BucketProblem::Exponential });
        }
        Self::new(&(0..count).map(|i| start * factor.powi(i as i32)).collect::<Vec<_>>())
    }

    /// The upper bounds, `+Inf` last.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Index of the bucket `v` falls in (the first bound `>= v`); `None` for NaN.
    #[inline]
    fn index(&self, v: f64) -> Option<usize> {
        let b = &self.bounds;
        if b.len() <= 16 {
            b.iter().position(|bound| v <= *bound)
        } else if v.is_nan() {
            None
        } else {
            Some(b.partition_point(|bound| *bound < v))
        }
    }
}

/// One histogram child: lock-free bucket counters and sum. A scrape reads each bucket once
/// and accumulates, so `_count` always equals the `+Inf` bucket and buckets are cumulative.
#[derive(Debug)]
pub struct Histogram {
    buckets: Arc<Buckets>,
    counts: Box<[AtomicU64]>,
    sum: AtomicF64,
    created: AtomicF64,
    exemplars: Mutex<Option<Box<[Option<Exemplar>]>>>,
    has_exemplars: AtomicBool,
    settings: Arc<Settings>,
}

impl Histogram {
    /// Records one observation. NaN adds to `_sum` and to no bucket, as in prometheus_client.
    #[inline]
    pub fn observe(&self, v: f64) {
        self.sum.add(v);
        if let Some(i) = self.buckets.index(v) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records an observation with an exemplar on its bucket (timestamped now). The
    /// observation lands even when the exemplar is refused.
    pub fn observe_with_exemplar(&self, v: f64, labels: Vec<(String, String)>) -> Result<()> {
        self.sum.add(v);
        let Some(i) = self.buckets.index(v) else { return Ok(()) };
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        if labels.is_empty() {
            return Ok(());
        }
        let now = self.settings.now();
        let ex = Exemplar::new(labels, v, Some(Timestamp::Float(now)), self.settings.validation_scheme())?;
        let mut slots = self.exemplars.lock();
        let slots = slots.get_or_insert_with(|| vec![None; self.counts.len()].into_boxed_slice());
        slots[i] = Some(ex);
        self.has_exemplars.store(true, Ordering::Release);
        Ok(())
    }

    /// Records an exemplar on bucket `index` without observing anything.
    pub fn set_bucket_exemplar(&self, index: usize, ex: Exemplar) -> Result<()> {
        if index >= self.counts.len() {
            return Err(Error::BucketIndex { index, len: self.counts.len() });
        }
        let mut slots = self.exemplars.lock();
        let slots = slots.get_or_insert_with(|| vec![None; self.counts.len()].into_boxed_slice());
        slots[index] = Some(ex);
        self.has_exemplars.store(true, Ordering::Release);
        Ok(())
    }

    /// The exemplar of bucket `index`, if any.
    pub fn bucket_exemplar(&self, index: usize) -> Option<Exemplar> {
        if !self.has_exemplars.load(Ordering::Acquire) {
            return None;
        }
        self.exemplars.lock().as_ref().and_then(|s| s.get(index).cloned().flatten())
    }

    /// Sets the creation time reported as `_created`.
    pub fn set_created(&self, t: f64) {
        self.created.set(t);
    }

    /// Replaces the state with saved per-bucket counts (not cumulative, `+Inf` last) and a
    /// sum, e.g. values read back from a file; buckets beyond `counts` become 0.
    pub fn restore(&self, counts: &[u64], sum: f64) {
        for (i, c) in self.counts.iter().enumerate() {
            c.store(counts.get(i).copied().unwrap_or(0), Ordering::Relaxed);
        }
        self.sum.set(sum);
    }

    /// Sum of observations.
    pub fn sum(&self) -> f64 {
        self.sum.get()
    }

    /// Number of observations (NaN observations excluded, as prometheus_client counts).
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Cumulative bucket counts, `+Inf` last.
    pub fn cumulative(&self) -> Vec<u64> {
        let mut acc = 0;
        self.counts
            .iter()
            .map(|c| {
                acc += c.load(Ordering::Relaxed);
                acc
            })
            .collect()
    }

    /// Creation time.
    pub fn created(&self) -> f64 {
        self.created.get()
    }
}

impl MetricCore for Histogram {
    type Config = Buckets;
    const TYPE: MetricType = MetricType::Histogram;
    const RESERVED: &'static [&'static str] = &["le"];

    fn extra_label(_: &str) -> Option<String> {
        Some("le".into())
    }

    fn new_child(config: &Arc<Buckets>, settings: &Arc<Settings>, now: f64) -> Self {
        Self {
            buckets: Arc::clone(config),
            counts: (0..config.bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicF64::new(0.0),
            created: AtomicF64::new(now),
            exemplars: Mutex::new(None),
            has_exemplars: AtomicBool::new(false),
            settings: Arc::clone(settings),
        }
    }

    #[inline(always)]
    fn prefetch(&self) {
        // The counts are a separate allocation: every 64-byte line of it.
        let start = self.counts.as_ptr() as usize;
        let end = start + std::mem::size_of_val(&*self.counts);
        for line in (start..end).step_by(64) {
            super::family::prefetch(line);
        }
    }

    fn visit_child(&self, config: &Buckets, base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        let exemplars = if self.has_exemplars.load(Ordering::Acquire) { self.exemplars.lock().clone() } else { None };
        let mut acc = 0u64;
        let cumulative: SmallVec<[f64; 24]> = self
            .counts
            .iter()
            .map(|c| {
                acc += c.load(Ordering::Relaxed);
                acc as f64
            })
            .collect();
        base.batch(v, "_bucket", &config.les, &cumulative, exemplars.as_deref())?;
        v.sample(&base.sample("_count", acc as f64))?;
        if config.bounds[0] >= 0.0 {
            v.sample(&base.sample("_sum", self.sum()))?;
        }
        if base.created {
            v.sample(&base.sample("_created", self.created()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_exemplars_without_observing() {
        let h = Histogram::new_child(&Arc::new(Buckets::new(&[1.0, 2.0]).unwrap()), &Arc::default(), 0.0);
        assert!(h.bucket_exemplar(1).is_none());
        h.set_bucket_exemplar(1, Exemplar { labels: vec![], value: 1.5, timestamp: None }).unwrap();
        assert_eq!(h.bucket_exemplar(1).map(|e| e.value), Some(1.5));
        assert!(h.bucket_exemplar(0).is_none());
        assert!(h.set_bucket_exemplar(3, Exemplar { labels: vec![], value: 0.0, timestamp: None }).is_err());
        assert_eq!(h.count(), 0);
    }
}
