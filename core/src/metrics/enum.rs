//! Enum (OpenMetrics stateset): which one of a fixed set of states is current.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::family::{Base, MetricCore, Opts};
use crate::error::{Error, Result};
use crate::model::{MetricType, Visitor};

/// The states of an enum family; the first is the initial state.
#[derive(Debug, Clone, Default)]
pub struct States {
    states: Vec<String>,
}

impl States {
    /// The state names, in order.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(states: I) -> Self {
        Self { states: states.into_iter().map(Into::into).collect() }
    }

    /// The state names.
    pub fn names(&self) -> &[String] {
        &self.states
    }
}

/// One enum child.
#[derive(Debug)]
pub struct Enum {
    states: Arc<States>,
    current: AtomicUsize,
}

impl Enum {
    /// Makes `state` the current one; a state the enum does not declare is
    /// [`Error::UnknownState`].
    ///
    /// ```
    /// use fastprom::{Enum, Error, Registry, States};
    ///
    /// let registry = Registry::new();
    /// let phase = Enum::new("phase", "Where the job is.", States::new(["queued", "running", "done"]))?;
    /// registry.register(phase.clone())?;
    /// phase.state("running")?;
    /// assert_eq!(registry.get_sample_value("phase", &[("phase", "running")])?, Some(1.0));
    /// assert!(matches!(phase.state("lost"), Err(Error::UnknownState { .. })));
    /// # Ok::<(), fastprom::Error>(())
    /// ```
    pub fn state(&self, state: &str) -> Result<()> {
        let i = self
            .states
            .states
            .iter()
            .position(|s| s == state)
            .ok_or_else(|| Error::UnknownState { state: state.to_owned() })?;
        self.current.store(i, Ordering::Relaxed);
        Ok(())
    }

    /// The current state.
    pub fn get(&self) -> &str {
        self.states.states.get(self.current.load(Ordering::Relaxed)).map_or("", String::as_str)
    }
}

impl MetricCore for Enum {
    type Config = States;
    const TYPE: MetricType = MetricType::StateSet;

    fn extra_label(family_name: &str) -> Option<String> {
        Some(family_name.to_owned())
    }

    fn precheck(opts: &Opts, states: &States) -> Result<()> {
        let name = &opts.name;
        if opts.label_names.iter().chain(opts.const_labels.iter().map(|(k, _)| k)).any(|l| l == name) {
            return Err(Error::ReservedLabelName { name: name.to_owned(), reason: crate::error::Reserved::EnumName });
        }
        if states.states.is_empty() {
            return Err(Error::NoStates { name: name.to_owned() });
        }
        Ok(())
    }

    fn new_child(config: &Arc<States>, _: &Arc<crate::Settings>, _now: f64) -> Self {
        Self { states: Arc::clone(config), current: AtomicUsize::new(0) }
    }

    fn visit_child(&self, config: &States, base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        let cur = self.current.load(Ordering::Relaxed);
        let values: smallvec::SmallVec<[f64; 16]> =
            (0..config.states.len()).map(|i| if i == cur { 1.0 } else { 0.0 }).collect();
        base.batch(v, "", &config.states, &values, None)?;
        Ok(())
    }
}
