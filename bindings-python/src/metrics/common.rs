//! What every native base does the same way: initialisation, the children of a parent
//! (`_metrics`, creation, removal), `collect()`.
//!
//! [`native_methods!`] puts these on each base class, next to the type's own methods.

use fastprom::metrics::{Base, MetricCore};
use fastprom::model::{FamilyCollector, FamilyHeader, MetricFamily, Visitor};
use fastprom::{Child, Family, Opts};
use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::{node, set_pending, LabelMap, Native, Node, Parent};
use crate::{clock, config, convert, errors};

/// Streams one child on its own, without its family's labels, its samples named
/// `name` + suffix: what prometheus_client's `_child_samples()` gives.
pub(crate) fn visit_alone<M: MetricCore>(
    family: &Family<M>,
    child: &Child<M>,
    name: &str,
    v: &mut dyn Visitor,
) -> fastprom::Result<()> {
    let extra = M::extra_label(family.name());
    let base = Base {
        name,
        labels: &[],
        sorted: &[],
        extra_name: extra.as_deref().unwrap_or(""),
        series: 0,
        created: crate::settings::created_enabled() && v.created(),
    };
    child.visit_child(family.config(), &base, v)
}

/// The arguments of `_fp_init`, as `MetricWrapperBase.__init__` passes them.
pub(crate) struct InitArgs<'a> {
    pub(crate) name: &'a str,
    pub(crate) documentation: &'a str,
    pub(crate) labelnames: Vec<String>,
    pub(crate) namespace: &'a str,
    pub(crate) subsystem: &'a str,
    pub(crate) unit: &'a str,
    pub(crate) labelvalues: Vec<String>,
}

/// Builds the node (unless the object was born a child) and returns the full name.
pub(crate) fn init<T: Native>(
    slf: &Bound<'_, T>,
    args: InitArgs<'_>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let py = slf.py();
    let this = slf.get();
    if let Some(n) = this.cell().get() {
        return Ok(n.family.name().to_owned());
    }
    let cfg = T::make_config(py, config)?;
    let opts = Opts {
        name: args.name.to_owned(),
        help: args.documentation.to_owned(),
        namespace: args.namespace.to_owned(),
        subsystem: args.subsystem.to_owned(),
        unit: args.unit.to_owned(),
        label_names: args.labelnames,
        const_labels: Vec::new(),
        settings: crate::settings::family(),
    };
    let labelled = !opts.label_names.is_empty();
    let now = if T::CREATED && (!labelled || !args.labelvalues.is_empty()) { clock::read(py)? } else { 0.0 };
    let family = errors::check(clock::with_now(now, || Family::<T::M>::new(opts, cfg)))?;
    let node = if !labelled {
        let child = errors::check(family.unlabelled().cloned())?;
        Node { family, child: Some(child), parent: None }
    } else if !args.labelvalues.is_empty() {
        // A child constructed by hand (not through `labels()`): it gets a family of its own.
        let child = errors::check(clock::with_now(now, || family.labels(&args.labelvalues)))?;
        Node { family, child: Some(child), parent: None }
    } else {
        let count = family.label_names().len();
        let dict = config::get(py, "child_dict")?.call1((slf,))?.cast_into::<PyDict>()?.unbind();
        Node {
            family,
            child: None,
            parent: Some(Parent { count, map: Mutex::new(LabelMap::default()), dict: Mutex::new(dict) }),
        }
    };
    let name = node.family.name().to_owned();
    this.cell().set(node).map_err(|_| PyRuntimeError::new_err("metric initialised twice"))?;
    Ok(name)
}

fn parent<T: Native>(this: &T) -> PyResult<(&Node<T::M>, &Parent)> {
    let n = node(this)?;
    match &n.parent {
        Some(p) => Ok((n, p)),
        None => Err(PyTypeError::new_err(format!("{} metric has no children", T::KIND))),
    }
}

/// `key` with every `str` subclass instance replaced by a plain `str` copy, so hashing and
/// comparing it under the native map's lock runs no Python code (a subclass's `__hash__`
/// or `__eq__` could call back into `labels()` or release the GIL while the lock is held).
fn plain_key<'py>(key: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyTuple>> {
    if key.iter().all(|v| v.is_exact_instance_of::<PyString>()) {
        return Ok(key.clone());
    }
    let py = key.py();
    let items = key
        .iter()
        .map(|v| match v.cast::<PyString>() {
            Ok(s) if !v.is_exact_instance_of::<PyString>() => Ok(PyString::new(py, s.to_str()?).into_any()),
            _ => Ok(v),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

fn key_strs(key: &Bound<'_, PyTuple>) -> PyResult<Vec<String>> {
    key.iter().map(|v| v.extract::<String>()).collect()
}

/// The child object for a tuple of label values, if created.
pub(crate) fn get<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<Option<Py<PyAny>>> {
    let (_, p) = parent(this)?;
    let key = plain_key(key)?;
    Ok(p.map.lock().get(&key))
}

/// Creates the core child for `key` and parks it for the child object about to be built.
pub(crate) fn prepare<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<()> {
    let py = key.py();
    let (n, _) = parent(this)?;
    let values = key_strs(key)?;
    let now = if T::CREATED { clock::read(py)? } else { 0.0 };
    let child = errors::check(clock::with_now(now, || n.family.labels(&values)))?;
    set_pending(Node { family: n.family.clone(), child: Some(child), parent: None });
    Ok(())
}

/// Records the child object built for `key` (in the native map and in `_metrics`).
pub(crate) fn attach<T: Native>(this: &T, key: &Bound<'_, PyTuple>, child: &Bound<'_, PyAny>) -> PyResult<()> {
    super::clear_pending();
    let (_, p) = parent(this)?;
    let dict = p.dict.lock().clone_ref(key.py());
    let plain = plain_key(key)?;
    let old = p.map.lock().insert(&plain, child.clone().unbind())?;
    drop(old);
    dict.bind(key.py()).set_item(key, child)
}

/// Undoes [`prepare`] when building the child object failed.
pub(crate) fn abort<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<()> {
    super::clear_pending();
    let (n, _) = parent(this)?;
    errors::check(n.family.remove(&key_strs(key)?))?;
    Ok(())
}

/// Removes the child for `key` from the family and the native map (not from `_metrics`);
/// returns whether it was there.
pub(crate) fn forget<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<bool> {
    let (n, p) = parent(this)?;
    let plain = plain_key(key)?;
    let old = p.map.lock().remove(&plain)?;
    let values = match key_strs(key) {
        Ok(v) => v,
        Err(_) => return Ok(false),
    };
    if values.len() != p.count {
        return Ok(false);
    }
    let removed = errors::check(n.family.remove(&values))?;
    drop(old);
    Ok(removed)
}

/// Removes every child from the family and the native map (not from `_metrics`).
pub(crate) fn forget_all<T: Native>(this: &T) -> PyResult<()> {
    let (n, p) = parent(this)?;
    let old = p.map.lock().take_all();
    n.family.clear();
    drop(old);
    Ok(())
}

/// `_metrics`.
pub(crate) fn metrics_dict<T: Native>(slf: &Bound<'_, T>) -> PyResult<Py<PyDict>> {
    match slf.get().cell().get().and_then(|n| n.parent.as_ref()) {
        Some(p) => Ok(p.dict.lock().clone_ref(slf.py())),
        None => Err(super::no_attribute(slf.as_any(), "_metrics")),
    }
}

/// `self._metrics = {}`: every child goes, as prometheus_client's `clear()` does.
pub(crate) fn set_metrics_dict<T: Native>(slf: &Bound<'_, T>, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let py = slf.py();
    let (_, p) = parent(slf.get())?;
    let empty = match value {
        Some(v) => v.cast::<PyDict>().map(|d| d.is_empty()).unwrap_or(false),
        None => false,
    };
    if !empty {
        return Err(PyTypeError::new_err(
            "fastprom: _metrics can only be replaced by an empty dict (use remove() or clear())",
        ));
    }
    forget_all(slf.get())?;
    let fresh = config::get(py, "child_dict")?.call1((slf,))?.cast_into::<PyDict>()?.unbind();
    let old = std::mem::replace(&mut *p.dict.lock(), fresh);
    drop(old);
    Ok(())
}

/// Collects natively, with the GIL released: a gauge function takes the GIL while the
/// core holds the gauge's function lock, so no thread may wait for a core lock while
/// holding the GIL.
fn owned(
    py: Python<'_>,
    f: impl FnOnce(&mut FamilyCollector) -> fastprom::Result<()> + Send,
) -> PyResult<Vec<MetricFamily>> {
    let (r, families) = py.detach(|| {
        let mut c = FamilyCollector::default();
        let r = f(&mut c);
        (r, c.families)
    });
    errors::check(r)?;
    Ok(families)
}

/// One child streamed as a family of its own (no family labels).
fn child_family<M: MetricCore>(
    family: &Family<M>,
    child: &Child<M>,
    name: &str,
    v: &mut dyn Visitor,
) -> fastprom::Result<()> {
    let header = FamilyHeader { name: family.name(), help: family.help(), metric_type: M::TYPE, unit: family.unit() };
    v.family(&header)?;
    visit_alone(family, child, name, v)?;
    v.end_family()
}

/// `collect()`: one `Metric` with the family's samples (a child alone: its own samples,
/// without its labels, as prometheus_client's child objects collect).
pub(crate) fn collect<T: Native>(this: &T, py: Python<'_>) -> PyResult<Py<PyList>> {
    let n = node(this)?;
    let families = match (&n.parent, &n.child) {
        (None, Some(child)) => owned(py, |c| child_family(&n.family, child, n.family.name(), c))?,
        _ => owned(py, |c| crate::settings::visit(c, |c| n.family.visit(c)))?,
    };
    convert::PyBuilder::new(py)?.metrics(&families)
}

/// `_child_samples()`: this child's samples, named by suffix only, without its labels.
pub(crate) fn child_samples<T: Native>(this: &T, py: Python<'_>) -> PyResult<Py<PyTuple>> {
    let n = node(this)?;
    let child = super::observable(this)?;
    let families = owned(py, |c| child_family(&n.family, child, "", c))?;
    let b = convert::PyBuilder::new(py)?;
    match families.first() {
        Some(f) => b.samples(f),
        None => Ok(PyTuple::empty(py).unbind()),
    }
}

/// The common methods of a native base, followed by the type's own (`$extra`).
macro_rules! native_methods {
    ($ty:ident, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(signature = (*_args, **_kwargs))]
            fn __new__(
                _args: &Bound<'_, pyo3::types::PyTuple>,
                _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
            ) -> Self {
                <Self as $crate::metrics::Native>::from_cell($crate::metrics::new_cell())
            }

            /// Builds the native state (`MetricWrapperBase.__init__`); returns the full name.
            #[pyo3(signature = (name, documentation, labelnames, namespace, subsystem, unit, labelvalues, config=None))]
            #[allow(clippy::too_many_arguments)]
            fn _fp_init(
                slf: &Bound<'_, Self>,
                name: &str,
                documentation: &str,
                labelnames: Vec<String>,
                namespace: &str,
                subsystem: &str,
                unit: &str,
                labelvalues: Vec<String>,
                config: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<String> {
                let args = $crate::metrics::common::InitArgs {
                    name, documentation, labelnames, namespace, subsystem, unit, labelvalues,
                };
                $crate::metrics::common::init(slf, args, config)
            }

            /// The child object for a tuple of `str` label values, or `None`.
            fn _fp_get(&self, key: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<Option<Py<PyAny>>> {
                $crate::metrics::common::get(self, key)
            }

            /// Creates the core child for `key` and parks it for the next child object.
            fn _fp_prepare(&self, key: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
                $crate::metrics::common::prepare(self, key)
            }

            /// Records the child object built for `key`.
            fn _fp_attach(&self, key: &Bound<'_, pyo3::types::PyTuple>, child: &Bound<'_, PyAny>) -> PyResult<()> {
                $crate::metrics::common::attach(self, key, child)
            }

            /// Undoes `_fp_prepare` after a failed construction.
            fn _fp_abort(&self, key: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
                $crate::metrics::common::abort(self, key)
            }

            /// Removes the child for `key` from the family and the native map.
            fn _fp_forget(&self, key: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
                $crate::metrics::common::forget(self, key)
            }

            /// Removes every child from the family and the native map.
            fn _fp_forget_all(&self) -> PyResult<()> {
                $crate::metrics::common::forget_all(self)
            }

            /// The parent's dict of children, keyed by label-value tuples.
            #[getter(_metrics)]
            fn get_metrics(slf: &Bound<'_, Self>) -> PyResult<Py<pyo3::types::PyDict>> {
                $crate::metrics::common::metrics_dict(slf)
            }

            #[setter(_metrics)]
            fn set_metrics(slf: &Bound<'_, Self>, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                $crate::metrics::common::set_metrics_dict(slf, value)
            }

            /// `[Metric]` with this metric's samples, built natively.
            fn _fp_collect(&self, py: Python<'_>) -> PyResult<Py<pyo3::types::PyList>> {
                $crate::metrics::common::collect(self, py)
            }

            /// This child's samples, as prometheus_client's `_child_samples()`.
            fn _fp_child_samples(&self, py: Python<'_>) -> PyResult<Py<pyo3::types::PyTuple>> {
                $crate::metrics::common::child_samples(self, py)
            }

            $($extra)*
        }
    };
}
pub(crate) use native_methods;
