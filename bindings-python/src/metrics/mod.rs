//! The native metric bases, one per core metric type.
//!
//! `fastprom.metrics` builds the user-visible classes on them
//! (`class Counter(_fastprom.CounterBase, MetricWrapperBase)`), so `inc`, `dec`, `set`,
//! `observe` and `labels` are native methods found by plain attribute lookup. Each base
//! holds one [`Node`]: a labelled parent (its core [`Family`] and a native map from label
//! values to child objects), an unlabelled metric (its family's only child), or a child of
//! a parent (a handle to its core child, attached at birth; see [`new_cell`]).

mod common;
mod counter;
#[path = "enum.rs"]
mod enum_;
mod fast;
mod gauge;
mod histogram;
mod info;
mod labels;
pub(crate) mod slot;
mod summary;
mod value;

use std::any::Any;
use std::cell::RefCell;
use std::sync::OnceLock;

use fastprom::metrics::MetricCore;
use fastprom::model::Visitor;
use fastprom::{Child, Family};
use pyo3::exceptions::{PyAttributeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::True;
use pyo3::types::PyDict;
use pyo3::PyClass;

pub(crate) use common::visit_alone;
pub(crate) use counter::CounterBase;
pub(crate) use enum_::EnumBase;
pub(crate) use gauge::GaugeBase;
pub(crate) use histogram::HistogramBase;
pub(crate) use info::InfoBase;
pub(crate) use summary::SummaryBase;

/// What a native base holds once initialised.
pub(crate) struct Node<M: MetricCore> {
    /// The core family (for a child: the family of its parent, or a private one).
    pub(crate) family: Family<M>,
    /// The child that `inc` & co. update; `None` for a labelled parent.
    pub(crate) child: Option<Child<M>>,
    /// Children of a labelled parent.
    pub(crate) parent: Option<Parent>,
}

/// What a labelled parent adds: its children live in its core family, each holding its
/// Python object (see [`slot`]); `_metrics` is a view of them (`fastprom.metrics`).
pub(crate) struct Parent {
    /// Number of label names.
    pub(crate) count: usize,
    /// Lets the children's Python objects go when the parent does (see [`Release`]).
    pub(crate) release: Box<dyn Release>,
}

/// Takes every child's Python object out of a family, breaking the cycles between
/// children and their objects (see [`slot`]).
pub(crate) trait Release: Send + Sync {
    /// Takes the objects out; the caller drops them.
    fn take_objects(&self) -> Vec<Py<PyAny>>;
}

impl<M: MetricCore + slot::HasObject> Release for Family<M> {
    fn take_objects(&self) -> Vec<Py<PyAny>> {
        self.children().iter().filter_map(|c| c.take()).collect()
    }
}

impl Drop for Parent {
    fn drop(&mut self) {
        drop(self.release.take_objects());
    }
}

/// A native metric base class.
pub(crate) trait Native: PyClass<Frozen = True> + Sync + Send + 'static {
    /// The core metric type, with its slot for the Python object.
    type M: MetricCore + slot::HasObject;
    /// prometheus_client's `_type`.
    const KIND: &'static str;
    /// Whether a new child reads the clock (`_created`), as prometheus_client's do.
    const CREATED: bool;
    /// The node, once initialised.
    fn cell(&self) -> &OnceLock<Node<Self::M>>;
    /// A fresh instance holding `cell`.
    fn from_cell(cell: OnceLock<Node<Self::M>>) -> Self;
    /// The core settings from the Python-side `config` argument of `_fp_init`.
    fn make_config(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<<Self::M as MetricCore>::Config>;
    /// The family, type-erased for the encoders.
    fn any_family(f: &Family<Self::M>) -> AnyFamily;
    /// Binds `child` to its entries in a multi-process context's files (`mode`: a gauge's
    /// multiprocess mode). Info and Enum metrics stay in the process, as in
    /// prometheus_client.
    fn mp_bind(
        py: Python<'_>,
        ctx: &std::sync::Arc<crate::multiprocess::Context>,
        family: &Family<Self::M>,
        child: &Child<Self::M>,
        mode: &str,
    ) -> PyResult<()> {
        let _ = (py, ctx, family, child, mode);
        Ok(())
    }
}

/// A family of any type, for the encoders.
pub(crate) enum AnyFamily {
    /// Counters.
    Counter(Family<slot::Counter>),
    /// Gauges.
    Gauge(Family<slot::Gauge>),
    /// Histograms.
    Histogram(Family<slot::Histogram>),
    /// Summaries.
    Summary(Family<slot::Summary>),
    /// Info metrics.
    Info(Family<slot::Info>),
    /// Enums.
    Enum(Family<slot::Enum>),
}

impl AnyFamily {
    /// Streams the family.
    pub(crate) fn visit(&self, v: &mut dyn Visitor) -> fastprom::Result<()> {
        crate::settings::visit(v, |v| match self {
            Self::Counter(f) => f.visit(v),
            Self::Gauge(f) => f.visit(v),
            Self::Histogram(f) => f.visit(v),
            Self::Summary(f) => f.visit(v),
            Self::Info(f) => f.visit(v),
            Self::Enum(f) => f.visit(v),
        })
    }
}

thread_local! {
    /// The node a parent hands to the child object it is constructing (see [`new_cell`]).
    static PENDING: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Parks a child's node for the next native base constructed on this thread.
pub(crate) fn set_pending<M: MetricCore>(node: Node<M>) {
    PENDING.with(|p| *p.borrow_mut() = Some(Box::new(node)));
}

/// Drops a parked node nobody took.
pub(crate) fn clear_pending() {
    let old = PENDING.with(|p| p.borrow_mut().take());
    drop(old);
}

/// The cell of a new native base: `labels()` creates the core child first and parks it,
/// then calls `self.__class__(...)`; the base's `__new__` takes it here, so a child object
/// is attached to its parent's family from birth, whatever its subclass's `__init__` does.
pub(crate) fn new_cell<M: MetricCore>() -> OnceLock<Node<M>> {
    let cell = OnceLock::new();
    let node = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        match p.take().map(|b| b.downcast::<Node<M>>()) {
            Some(Ok(n)) => Some(*n),
            Some(Err(other)) => {
                *p = Some(other);
                None
            }
            None => None,
        }
    });
    if let Some(n) = node {
        let _ = cell.set(n);
    }
    cell
}

/// The child `inc` & co. update, or prometheus_client's error for a labelled parent.
#[inline]
pub(crate) fn observable<T: Native>(this: &T) -> PyResult<&Child<T::M>> {
    match this.cell().get().and_then(|n| n.child.as_ref()) {
        Some(c) => Ok(c),
        None => Err(missing_label_values::<T>()),
    }
}

#[cold]
fn missing_label_values<T: Native>() -> PyErr {
    PyValueError::new_err(format!("{} metric is missing label values", T::KIND))
}

/// The node, for methods that need one.
pub(crate) fn node<T: Native>(this: &T) -> PyResult<&Node<T::M>> {
    this.cell().get().ok_or_else(|| {
        PyValueError::new_err(format!(
            "{} metric is not initialised (MetricWrapperBase.__init__ was not called)",
            T::KIND
        ))
    })
}

/// `AttributeError` as Python raises it for a missing instance attribute.
#[cold]
pub(crate) fn no_attribute(obj: &Bound<'_, PyAny>, name: &str) -> PyErr {
    let ty = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
    PyAttributeError::new_err(format!("'{ty}' object has no attribute '{name}'"))
}

/// `a` as a float when it is an exact `float` or `int` (no Python code runs).
#[inline]
pub(crate) fn fast_f64(a: &Bound<'_, PyAny>) -> Option<f64> {
    let p = a.as_ptr();
    // SAFETY: `p` is a live object and the GIL is held; the checks are exact type tests.
    unsafe {
        if ffi::PyFloat_CheckExact(p) != 0 {
            return Some(ffi::PyFloat_AS_DOUBLE(p));
        }
        if ffi::PyLong_CheckExact(p) != 0 {
            let v = ffi::PyLong_AsDouble(p);
            if v == -1.0 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return None;
            }
            return Some(v);
        }
    }
    None
}

/// `0.0 + a` as prometheus_client's values add (`self._value += amount`), with Python's
/// exceptions for what cannot be added.
#[inline]
pub(crate) fn added(a: &Bound<'_, PyAny>) -> PyResult<f64> {
    match fast_f64(a) {
        Some(v) => Ok(v),
        None => added_slow(a),
    }
}

#[cold]
fn added_slow(a: &Bound<'_, PyAny>) -> PyResult<f64> {
    let py = a.py();
    let zero = pyo3::types::PyFloat::new(py, 0.0);
    // SAFETY: both objects are live; the GIL is held; the result is a new reference or NULL.
    let sum = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyNumber_InPlaceAdd(zero.as_ptr(), a.as_ptr())) }?;
    sum.extract::<f64>()
}

/// `float(a)`, with Python's exceptions.
#[inline]
pub(crate) fn float(a: &Bound<'_, PyAny>) -> PyResult<f64> {
    match fast_f64(a) {
        Some(v) => Ok(v),
        None => float_slow(a),
    }
}

#[cold]
pub(crate) fn float_slow(a: &Bound<'_, PyAny>) -> PyResult<f64> {
    // SAFETY: `a` is live; the GIL is held; the result is a new reference or NULL.
    let f = unsafe { Bound::from_owned_ptr_or_err(a.py(), ffi::PyNumber_Float(a.as_ptr())) }?;
    f.extract::<f64>()
}

/// An exemplar's labels, read as prometheus_client reads them (`exemplar.items()`).
pub(crate) fn exemplar_labels(e: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let items: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = match e.cast::<PyDict>() {
        Ok(d) => d.iter().collect(),
        Err(_) => e.call_method0("items")?.try_iter()?.map(|i| i?.extract()).collect::<PyResult<_>>()?,
    };
    items
        .into_iter()
        .map(|(k, v)| {
            let k: String = k.extract()?;
            let v: String = match v.extract() {
                Ok(s) => s,
                Err(_) => {
                    let ty = v.get_type().name()?;
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!("object of type '{ty}' has no len()")));
                }
            };
            Ok((k, v))
        })
        .collect()
}

/// The exemplar argument when it asks for an exemplar (`if exemplar:`).
#[inline]
pub(crate) fn wanted<'a, 'py>(exemplar: Option<&'a Bound<'py, PyAny>>) -> PyResult<Option<&'a Bound<'py, PyAny>>> {
    match exemplar {
        Some(e) if !e.is_none() && e.is_truthy()? => Ok(Some(e)),
        _ => Ok(None),
    }
}

/// Adds the base classes and value views to the module and installs the fast `labels`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<CounterBase>()?;
    m.add_class::<GaugeBase>()?;
    m.add_class::<HistogramBase>()?;
    m.add_class::<SummaryBase>()?;
    m.add_class::<InfoBase>()?;
    m.add_class::<EnumBase>()?;
    m.add_class::<value::Value>()?;
    let doc = c"labels($self, /, *labelvalues, **labelkwargs)\n--\n\nReturn the child for the given labelset.";
    labels::install::<CounterBase>(py, doc)?;
    labels::install::<GaugeBase>(py, doc)?;
    labels::install::<HistogramBase>(py, doc)?;
    labels::install::<SummaryBase>(py, doc)?;
    labels::install::<InfoBase>(py, doc)?;
    labels::install::<EnumBase>(py, doc)?;
    fast::install::<CounterBase>(
        py,
        c"inc",
        counter::counter_inc,
        c"inc($self, /, amount=1, exemplar=None)\n--\n\nIncrement counter by the given amount.",
    )?;
    fast::install::<GaugeBase>(
        py,
        c"inc",
        gauge::gauge_inc,
        c"inc($self, /, amount=1)\n--\n\nIncrement gauge by the given amount.",
    )?;
    fast::install::<GaugeBase>(
        py,
        c"dec",
        gauge::gauge_dec,
        c"dec($self, /, amount=1)\n--\n\nDecrement gauge by the given amount.",
    )?;
    fast::install::<GaugeBase>(
        py,
        c"set",
        gauge::gauge_set,
        c"set($self, /, value)\n--\n\nSet gauge to the given value.",
    )?;
    fast::install::<HistogramBase>(
        py,
        c"observe",
        histogram::histogram_observe,
        c"observe($self, /, amount, exemplar=None)\n--\n\nObserve the given amount.",
    )?;
    fast::install::<SummaryBase>(
        py,
        c"observe",
        summary::summary_observe,
        c"observe($self, /, amount)\n--\n\nObserve the given amount.",
    )?;
    Ok(())
}
