//! What every native base does the same way: initialisation, the children of a parent
//! (`_metrics`, creation, removal), `collect()`.
//!
//! [`native_methods!`] puts these on each base class, next to the type's own methods.

use fastprom::metrics::{Base, MetricCore};
use fastprom::model::{FamilyCollector, FamilyHeader, MetricFamily, Visitor};
use fastprom::{Child, Family, Opts};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::slot::HasObject;
use super::{node, set_pending, Native, Node, Parent};
use crate::{clock, convert, errors, gil};

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
    mp: Option<(&crate::multiprocess::PyContext, &str)>,
) -> PyResult<String> {
    let py = slf.py();
    let this = slf.get();
    if let Some(n) = this.cell().get() {
        bind_mp::<T>(py, n, mp)?;
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
        let release = Box::new(family.clone());
        Node { family, child: None, parent: Some(Parent { count, release }) }
    };
    bind_mp::<T>(py, &node, mp)?;
    let name = node.family.name().to_owned();
    this.cell().set(node).map_err(|_| PyRuntimeError::new_err("metric initialised twice"))?;
    Ok(name)
}

/// In multi-process mode, gives an observable metric's child its entries in this process's
/// files (prometheus_client creates its file values in `_metric_init`, at the same point).
fn bind_mp<T: Native>(
    py: Python<'_>,
    node: &Node<T::M>,
    mp: Option<(&crate::multiprocess::PyContext, &str)>,
) -> PyResult<()> {
    match (mp, &node.child) {
        (Some((ctx, mode)), Some(child)) if child.mp().is_none() => {
            T::mp_bind(py, &ctx.inner, &node.family, child, mode)
        }
        _ => Ok(()),
    }
}

fn parent<T: Native>(this: &T) -> PyResult<(&Node<T::M>, &Parent)> {
    let n = node(this)?;
    match &n.parent {
        Some(p) => Ok((n, p)),
        None => Err(PyTypeError::new_err(format!("{} metric has no children", T::KIND))),
    }
}

/// The label values of `key` (a tuple), or `None` when one is not a `str` (such a key
/// names no child).
fn key_strs(key: &Bound<'_, PyTuple>) -> Option<Vec<String>> {
    key.iter().map(|v| v.extract::<String>().ok()).collect()
}

/// The child object for a tuple of label values, if created.
pub(crate) fn get<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<Option<Py<PyAny>>> {
    let (n, _) = parent(this)?;
    let Some(values) = key_strs(key) else { return Ok(None) };
    Ok(n.family.with_existing(&values, |m| m.object(key.py())).flatten())
}

/// Creates the core child for `key` and parks it for the child object about to be built.
pub(crate) fn prepare<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<()> {
    let py = key.py();
    let (n, _) = parent(this)?;
    let values: Vec<String> = key.extract()?;
    let now = if T::CREATED { clock::read(py)? } else { 0.0 };
    let child = errors::check(clock::with_now(now, || n.family.labels(&values)))?;
    set_pending(Node { family: n.family.clone(), child: Some(child), parent: None });
    Ok(())
}

/// Puts the child object built for `key` into its core child.
pub(crate) fn attach<T: Native>(this: &T, key: &Bound<'_, PyTuple>, child: &Bound<'_, PyAny>) -> PyResult<()> {
    super::clear_pending();
    let (n, _) = parent(this)?;
    let values: Vec<String> = key.extract()?;
    let core = n.family.get(&values).ok_or_else(|| PyRuntimeError::new_err("fastprom: the child went away"))?;
    let old = core.attach(child.clone().unbind());
    drop(old);
    Ok(())
}

/// Undoes [`prepare`] when building the child object failed.
pub(crate) fn abort<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<()> {
    super::clear_pending();
    let (n, _) = parent(this)?;
    if let Some(values) = key_strs(key) {
        errors::check(n.family.remove(&values))?;
    }
    Ok(())
}

/// Removes the child for `key`; returns whether it was there.
pub(crate) fn forget<T: Native>(this: &T, key: &Bound<'_, PyTuple>) -> PyResult<bool> {
    let (n, p) = parent(this)?;
    let Some(values) = key_strs(key) else { return Ok(false) };
    if values.len() != p.count {
        return Ok(false);
    }
    let Some(core) = n.family.get(&values) else { return Ok(false) };
    let object = core.take();
    errors::check(n.family.remove(&values))?;
    // Dropped last: it may run Python code.
    drop(object);
    Ok(true)
}

/// Removes every child.
pub(crate) fn forget_all<T: Native>(this: &T) -> PyResult<()> {
    let (n, p) = parent(this)?;
    let objects = p.release.take_objects();
    n.family.clear();
    drop(objects);
    Ok(())
}

/// The children as `(label-value tuple, child object)` pairs, in creation order.
pub(crate) fn items<T: Native>(this: &T, py: Python<'_>) -> PyResult<Py<PyList>> {
    let (n, _) = parent(this)?;
    let list = PyList::empty(py);
    for c in n.family.children() {
        if let Some(object) = c.object(py) {
            let key = PyTuple::new(py, c.label_values())?;
            list.append((key, object))?;
        }
    }
    Ok(list.unbind())
}

/// The number of children.
pub(crate) fn count<T: Native>(this: &T, py: Python<'_>) -> PyResult<usize> {
    let (n, _) = parent(this)?;
    Ok(n.family.children().iter().filter(|c| c.object(py).is_some()).count())
}

/// Collects natively, with the GIL released: the core's locks are never waited for while
/// holding the GIL, and gauge functions take it when they run.
fn owned(
    py: Python<'_>,
    f: impl FnOnce(&mut FamilyCollector) -> fastprom::Result<()> + Send,
) -> PyResult<Vec<MetricFamily>> {
    // Gauge functions are Python code run from here.
    let _region = gil::Region::enter(py);
    let (r, families) = gil::detach(py, || {
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
    crate::multiprocess::follow_forks(py)?;
    let n = node(this)?;
    let families = match (&n.parent, &n.child) {
        (None, Some(child)) => owned(py, |c| child_family(&n.family, child, n.family.name(), c))?,
        _ => owned(py, |c| crate::settings::visit(c, |c| n.family.visit(c)))?,
    };
    convert::PyBuilder::new(py)?.metrics(&families)
}

/// `_child_samples()`: this child's samples, named by suffix only, without its labels.
pub(crate) fn child_samples<T: Native>(this: &T, py: Python<'_>) -> PyResult<Py<PyTuple>> {
    crate::multiprocess::follow_forks(py)?;
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
            #[pyo3(signature = (name, documentation, labelnames, namespace, subsystem, unit, labelvalues, config=None, mp=None, mp_mode=""))]
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
                mp: Option<pyo3::PyRef<'_, $crate::multiprocess::PyContext>>,
                mp_mode: &str,
            ) -> PyResult<String> {
                let args = $crate::metrics::common::InitArgs {
                    name, documentation, labelnames, namespace, subsystem, unit, labelvalues,
                };
                $crate::metrics::common::init(slf, args, config, mp.as_deref().map(|c| (c, mp_mode)))
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

            /// Removes the child for `key`; returns whether it was there.
            fn _fp_forget(&self, key: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
                $crate::metrics::common::forget(self, key)
            }

            /// Removes every child.
            fn _fp_forget_all(&self) -> PyResult<()> {
                $crate::metrics::common::forget_all(self)
            }

            /// The children as `(label-value tuple, child object)` pairs.
            fn _fp_items(&self, py: Python<'_>) -> PyResult<Py<pyo3::types::PyList>> {
                $crate::metrics::common::items(self, py)
            }

            /// The number of children.
            fn _fp_count(&self, py: Python<'_>) -> PyResult<usize> {
                $crate::metrics::common::count(self, py)
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
