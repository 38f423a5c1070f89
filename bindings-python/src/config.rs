//! The Python classes the native side builds or recognises, handed over by the package's
//! modules at import (`_fastprom.configure(metric=Metric, sample=Sample, ...)`), so that
//! `collect()` returns the package's own `Metric` / `Sample` / `Exemplar` objects.

use std::collections::HashMap;

use parking_lot::RwLock;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

/// The names `configure` accepts.
const FIELDS: &[&str] = &[
    "metric",
    "sample",
    "exemplar",
    "decorate",
    "native_ok",
    "registry",
    "restricted",
    "timestamp",
    "native_histogram",
    "bucket_span",
];

static CONFIG: RwLock<Option<HashMap<&'static str, Py<PyAny>>>> = RwLock::new(None);

/// Types whose `collect()` the native encoders may replace by a native walk, by type
/// address (the type object is kept alive with it).
static NATIVE_OK: RwLock<Option<HashMap<usize, TypeVerdict>>> = RwLock::new(None);

/// A type (kept alive) and whether it may be encoded natively.
type TypeVerdict = (Py<PyType>, bool);

/// Hands the package's classes to the native side. Keywords: `metric` (`Metric`),
/// `sample` (`Sample`), `exemplar` (`Exemplar`), `decorate` (called with a timing context manager and
/// a function: the decorated function), `native_ok` (called with a metric class: whether its
/// samples are the native ones, i.e. it overrides none of the sample hooks), `registry`
/// and `restricted` (`CollectorRegistry` / `RestrictedRegistry`, walked natively through
/// their `_fp_snapshot()`), `timestamp`, `native_histogram` and `bucket_span` (the parsers'
/// `Timestamp`, `NativeHistogram` and `BucketSpan`).
#[pyfunction]
#[pyo3(signature = (**kwargs))]
pub(crate) fn configure(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let Some(kwargs) = kwargs else { return Ok(()) };
    let mut cfg = CONFIG.write();
    let map = cfg.get_or_insert_with(HashMap::new);
    for (k, v) in kwargs.iter() {
        let k: String = k.extract()?;
        let Some(field) = FIELDS.iter().find(|f| **f == k) else {
            return Err(PyTypeError::new_err(format!("configure() got an unexpected keyword argument '{k}'")));
        };
        map.insert(field, v.unbind());
    }
    *NATIVE_OK.write() = None;
    Ok(())
}

/// A configured class or function.
pub(crate) fn get<'py>(py: Python<'py>, field: &'static str) -> PyResult<Bound<'py, PyAny>> {
    CONFIG
        .read()
        .as_ref()
        .and_then(|m| m.get(field))
        .map(|v| v.bind(py).clone())
        .ok_or_else(|| PyRuntimeError::new_err(format!("fastprom._fastprom is not configured: {field}")))
}

/// Whether instances of `ty` may be encoded from their native family (cached per type).
pub(crate) fn native_ok(py: Python<'_>, ty: &Bound<'_, PyType>) -> PyResult<bool> {
    let key = ty.as_ptr() as usize;
    if let Some((_, ok)) = NATIVE_OK.read().as_ref().and_then(|m| m.get(&key)) {
        return Ok(*ok);
    }
    let ok = get(py, "native_ok")?.call1((ty,))?.is_truthy()?;
    NATIVE_OK.write().get_or_insert_with(HashMap::new).insert(key, (ty.clone().unbind(), ok));
    Ok(ok)
}
