//! Counter: a value that only goes up (`_total`, `_created`, exemplars).

use std::sync::Arc;

use super::family::{Base, MetricCore};
use crate::error::{Error, Result};
use crate::model::{Exemplar, MetricType, Timestamp, Visitor};
use crate::settings::Settings;
use crate::sync::atomic_f64::AtomicF64;
use crate::sync::counter_cell::CounterCell;

/// One counter child. Increments are lock-free (a whole-number increment is one
/// `fetch_add` until the counter's first fractional one); an exemplar, when given, is kept
/// under a small lock.
#[derive(Debug)]
pub struct Counter {
    /// The total and the exemplar.
    value: CounterCell,
    created: AtomicF64,
    settings: Arc<Settings>,
}

impl Counter {
    /// Adds 1.
    #[inline]
    pub fn inc(&self) {
        self.value.add_whole(1);
    }

    /// Adds `amount`; negative amounts are refused (NaN is accepted, as in
    /// prometheus_client).
    #[inline]
    pub fn inc_by(&self, amount: f64) -> Result<()> {
        if amount < 0.0 {
            return Err(Error::NegativeIncrement { amount });
        }
        self.value.add(amount);
        Ok(())
    }

    /// Adds `amount` and records an exemplar with the current time. As in
    /// prometheus_client, the increment lands even when the exemplar is then refused.
    pub fn inc_with_exemplar(&self, amount: f64, labels: Vec<(String, String)>) -> Result<()> {
        self.inc_by(amount)?;
        if labels.is_empty() {
            return Ok(());
        }
        let now = self.settings.now();
        let ex = Exemplar::new(labels, amount, Some(Timestamp::Float(now)), self.settings.validation_scheme())?;
        self.value.exemplar_slot().set(ex);
        Ok(())
    }

    /// The current total.
    #[inline]
    pub fn get(&self) -> f64 {
        self.value.get()
    }

    /// Sets the total back to 0 and `_created` to now.
    pub fn reset(&self) {
        let now = self.settings.now();
        self.value.set(0.0);
        self.created.set(now);
    }

    /// Sets the total directly (prometheus_client's `_value.set`, used by tools that
    /// restore state); negative or NaN totals are refused, as a counter never holds them.
    pub fn set(&self, total: f64) -> Result<()> {
        if !(total >= 0.0) {
            return Err(Error::NegativeIncrement { amount: total });
        }
        self.value.set(total);
        Ok(())
    }

    /// Sets the creation time reported as `_created`.
    pub fn set_created(&self, t: f64) {
        self.created.set(t);
    }

    /// Records an exemplar without changing the total.
    pub fn set_exemplar(&self, ex: Exemplar) {
        self.value.exemplar_slot().set(ex);
    }

    /// When the counter was created or last reset.
    pub fn created(&self) -> f64 {
        self.created.get()
    }

    /// The last exemplar, if any.
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.value.exemplar()
    }
}

impl MetricCore for Counter {
    type Config = ();
    const TYPE: MetricType = MetricType::Counter;

    fn new_child(_: &Arc<()>, settings: &Arc<Settings>, now: f64) -> Self {
        Self { value: CounterCell::new(), created: AtomicF64::new(now), settings: Arc::clone(settings) }
    }

    fn visit_child(&self, _: &(), base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        let ex = self.exemplar();
        let mut s = base.sample("_total", self.get());
        s.exemplar = ex.as_ref();
        v.sample(&s)?;
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
    fn set_total_created_and_exemplar() {
        let c = Counter::new_child(&Arc::new(()), &Arc::new(Settings::default()), 5.0);
        assert_eq!(c.created(), 5.0);
        c.set(3.0).unwrap();
        assert_eq!(c.get(), 3.0);
        assert!(c.set(-1.0).is_err());
        assert!(c.set(f64::NAN).is_err());
        c.set_created(7.0);
        assert_eq!(c.created(), 7.0);
        c.set_exemplar(Exemplar { labels: vec![("t".into(), "1".into())], value: 2.0, timestamp: None });
        assert_eq!(c.get(), 3.0);
        assert_eq!(c.exemplar().map(|e| e.value), Some(2.0));
    }
}
