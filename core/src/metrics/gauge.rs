//! Gauge: a value that goes up and down, or comes from a function.

use std::sync::Arc;

use parking_lot::RwLock;

use super::family::{Base, MetricCore};
use crate::error::Result;
use crate::model::{MetricType, Visitor};
use crate::settings::Settings;
use crate::sync::atomic_f64::AtomicF64;

/// A function a gauge reads its value from at scrape time.
pub type GaugeFn = Arc<dyn Fn() -> Result<f64> + Send + Sync>;

/// One gauge child.
pub struct Gauge {
    value: AtomicF64,
    function: RwLock<Option<GaugeFn>>,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauge").field("value", &self.get()).finish()
    }
}

impl Gauge {
    /// Adds 1.
    #[inline]
    pub fn inc(&self) {
        self.value.add(1.0);
    }
    /// Adds `amount` (any sign).
    #[inline]
    pub fn inc_by(&self, amount: f64) {
        self.value.add(amount);
    }
    /// Subtracts 1.
    #[inline]
    pub fn dec(&self) {
        self.value.add(-1.0);
    }
    /// Subtracts `amount`.
    #[inline]
    pub fn dec_by(&self, amount: f64) {
        self.value.add(-amount);
    }
    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.value.set(v);
    }
    /// Sets the value to the current Unix time.
    pub fn set_to_current_time(&self) {
        self.value.set(self.settings.now());
    }
    /// The stored value (a gauge with a function reports the function's value instead).
    #[inline]
    pub fn get(&self) -> f64 {
        self.value.get()
    }
    /// Reads the value from `f` at every scrape from now on; the other methods still
    /// update the stored value, which is then not exported (as in prometheus_client).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use fastprom::{Gauge, Registry};
    ///
    /// let registry = Registry::new();
    /// let open_files = Gauge::new("open_files", "Files open now.")?;
    /// registry.register(open_files.clone())?;
    /// open_files.set_function(Arc::new(|| Ok(42.0)));
    /// assert_eq!(registry.get_sample_value("open_files", &[])?, Some(42.0));
    /// # Ok::<(), fastprom::Error>(())
    /// ```
    pub fn set_function(&self, f: GaugeFn) {
        *self.function.write() = Some(f);
    }
    /// The value a scrape reports.
    pub fn value(&self) -> Result<f64> {
        // Call the function without holding the lock: it may take other locks (a
        // binding's interpreter lock) or touch this very gauge.
        let f = self.function.read().clone();
        match f {
            Some(f) => f(),
            None => Ok(self.get()),
        }
    }
}

impl MetricCore for Gauge {
    type Config = ();
    const TYPE: MetricType = MetricType::Gauge;

    fn new_child(_: &Arc<()>, settings: &Arc<Settings>, _now: f64) -> Self {
        Self { value: AtomicF64::new(0.0), function: RwLock::new(None), settings: Arc::clone(settings) }
    }

    fn visit_child(&self, _: &(), base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        v.sample(&base.sample("", self.value()?))
    }
}
