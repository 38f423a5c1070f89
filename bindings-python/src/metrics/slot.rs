//! The core's metric types with a slot for their Python object.
//!
//! A labelled metric's children live in one place: the core family. Each core child of a
//! Python metric is a [`Slotted`] metric, which carries the Python child object built for
//! it, so `labels()` finds the object by looking the label values up in the family, and
//! `_metrics` is a view of the family (see [`super::children`]).
//!
//! The object holds its core child (through its native base) and the child holds the
//! object: a cycle through native memory that Python's collector cannot see. It is broken
//! whenever a child leaves its family (`remove`, `clear`, `_metrics` edits) and when the
//! parent goes away (see [`Slotted::take`] and the parent's drop).

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use fastprom::metrics::{Base, MetricCore};
use fastprom::model::Visitor;
use fastprom::{MetricType, Opts, Result, Settings};
use parking_lot::Mutex;
use pyo3::prelude::*;

/// A core metric and the Python object that stands for it.
pub(crate) struct Slotted<M> {
    metric: M,
    object: Mutex<Option<Py<PyAny>>>,
    /// In multi-process mode, the child's entries in this process's file (see
    /// `crate::multiprocess::context`).
    mp: OnceLock<crate::multiprocess::Binding>,
}

impl<M> Deref for Slotted<M> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        &self.metric
    }
}

impl<M> Slotted<M> {
    /// The Python object, as a new reference (`None` until one is attached).
    #[inline]
    pub(crate) fn object(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.object.lock().as_ref().map(|o| o.clone_ref(py))
    }

    /// Attaches the Python object, returning the one it replaces.
    pub(crate) fn attach(&self, object: Py<PyAny>) -> Option<Py<PyAny>> {
        self.object.lock().replace(object)
    }

    /// Takes the Python object out (breaking the cycle), for the caller to drop once no
    /// lock is held: dropping it may run Python code.
    pub(crate) fn take(&self) -> Option<Py<PyAny>> {
        self.object.lock().take()
    }

    /// The child's multi-process binding, if it has one.
    #[inline]
    pub(crate) fn mp(&self) -> Option<&crate::multiprocess::Binding> {
        self.mp.get()
    }

    /// Gives the child its multi-process binding (the first one given stays).
    pub(crate) fn set_mp(&self, b: crate::multiprocess::Binding) {
        let _ = self.mp.set(b);
    }
}

impl<M: MetricCore> MetricCore for Slotted<M> {
    type Config = M::Config;
    const TYPE: MetricType = M::TYPE;
    const RESERVED: &'static [&'static str] = M::RESERVED;

    fn extra_label(family_name: &str) -> Option<String> {
        M::extra_label(family_name)
    }

    fn precheck(opts: &Opts, config: &Self::Config) -> Result<()> {
        M::precheck(opts, config)
    }

    fn prepare(name: &str, label_names: &[String], config: Self::Config) -> Result<Self::Config> {
        M::prepare(name, label_names, config)
    }

    fn new_child(config: &Arc<Self::Config>, settings: &Arc<Settings>, now: f64) -> Self {
        Self { metric: M::new_child(config, settings, now), object: Mutex::new(None), mp: OnceLock::new() }
    }

    #[inline]
    fn visit_child(&self, config: &Self::Config, base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        self.metric.visit_child(config, base, v)
    }
}

/// What the binding needs of a slotted metric without knowing its type.
pub(crate) trait HasObject {
    /// See [`Slotted::object`].
    fn object(&self, py: Python<'_>) -> Option<Py<PyAny>>;
    /// See [`Slotted::attach`].
    fn attach(&self, object: Py<PyAny>) -> Option<Py<PyAny>>;
    /// See [`Slotted::take`].
    fn take(&self) -> Option<Py<PyAny>>;
    /// See [`Slotted::mp`].
    fn mp(&self) -> Option<&crate::multiprocess::Binding>;
}

impl<M> HasObject for Slotted<M> {
    #[inline]
    fn object(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        Slotted::object(self, py)
    }
    fn attach(&self, object: Py<PyAny>) -> Option<Py<PyAny>> {
        Slotted::attach(self, object)
    }
    fn take(&self) -> Option<Py<PyAny>> {
        Slotted::take(self)
    }
    fn mp(&self) -> Option<&crate::multiprocess::Binding> {
        Slotted::mp(self)
    }
}

/// The slotted forms of the core's metric types, under the names the binding uses.
pub(crate) type Counter = Slotted<fastprom::Counter>;
pub(crate) type Gauge = Slotted<fastprom::Gauge>;
pub(crate) type Histogram = Slotted<fastprom::Histogram>;
pub(crate) type Summary = Slotted<fastprom::Summary>;
pub(crate) type Info = Slotted<fastprom::Info>;
pub(crate) type Enum = Slotted<fastprom::Enum>;
