//! `HistogramBase`: `observe`, `_sum`, `_buckets`, `_created`.

use std::sync::OnceLock;

use fastprom::{Buckets, Family};

use super::slot::Histogram;
use pyo3::prelude::*;

use super::common::native_methods;
use super::fast::{fast_method, Arg, Signature};
use super::value::{Target, Value};
use super::{added, exemplar_labels, observable, wanted, AnyFamily, Native, Node};
use crate::errors;

/// Native base of `fastprom.metrics.Histogram`.
#[pyclass(subclass, frozen, module = "fastprom._fastprom")]
pub(crate) struct HistogramBase {
    cell: OnceLock<Node<Histogram>>,
}

impl Native for HistogramBase {
    type M = Histogram;
    const KIND: &'static str = "histogram";
    const CREATED: bool = true;

    fn cell(&self) -> &OnceLock<Node<Histogram>> {
        &self.cell
    }

    fn from_cell(cell: OnceLock<Node<Histogram>>) -> Self {
        Self { cell }
    }

    /// `config` is the upper bounds prometheus_client's `_prepare_buckets` computed.
    fn make_config(_: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Buckets> {
        match config {
            Some(b) if !b.is_none() => Buckets::new(&b.extract::<Vec<f64>>()?).map_err(errors::to_py),
            _ => Ok(Buckets::default()),
        }
    }

    fn any_family(f: &Family<Histogram>) -> AnyFamily {
        AnyFamily::Histogram(f.clone())
    }

    fn mp_bind(
        py: Python<'_>,
        ctx: &std::sync::Arc<crate::multiprocess::Context>,
        family: &Family<Histogram>,
        child: &fastprom::Child<Histogram>,
        _mode: &str,
    ) -> PyResult<()> {
        let mirror = crate::multiprocess::Mirror::Histogram(child.clone());
        let keys = |k: &crate::multiprocess::KeySpec<'_>| {
            let buckets = family.config().bounds().iter().map(|b| k.bucket(&fastprom::floatfmt::go_float(*b)));
            std::iter::once(k.key("_sum")).chain(buckets).collect()
        };
        crate::multiprocess::bind_child(py, ctx, family, child, "histogram".into(), keys, mirror)
    }
}

/// `Histogram.observe(self, amount, exemplar=None)`.
fn observe(this: &HistogramBase, [amount, exemplar]: [Arg<'_, '_>; 2]) -> PyResult<()> {
    let child = observable(this)?;
    let amount = amount.as_deref().ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("missing amount"))?;
    let v = added(amount)?;
    if let Some(mp) = child.mp() {
        let labels = wanted(exemplar.as_deref())?.map(|e| exemplar_labels(e)).transpose()?;
        let bounds = super::node(this)?.family.config().bounds();
        return crate::multiprocess::histogram_observe(mp, child, bounds, v, labels);
    }
    if let Some(e) = wanted(exemplar.as_deref())? {
        return errors::check(child.observe_with_exemplar(v, exemplar_labels(e)?));
    }
    child.observe(v);
    Ok(())
}

const OBSERVE: Signature = Signature { qualname: "Histogram.observe", names: &["amount", "exemplar"], required: 1 };
fast_method!(histogram_observe, HistogramBase, OBSERVE, 2, observe);

native_methods!(HistogramBase, {
    /// A decorator and context manager that observes the duration, in seconds, of each run
    /// of the code it wraps.
    fn time(slf: &Bound<'_, Self>) -> PyResult<Py<crate::timing::Timer>> {
        let py = slf.py();
        let name = pyo3::intern!(py, "observe").clone().unbind();
        Py::new(py, crate::timing::Timer::create(slf.clone().into_any().unbind(), name))
    }

    /// The sum cell.
    #[getter]
    fn _sum(slf: &Bound<'_, Self>) -> PyResult<Value> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(Value::new(Target::HistogramSum(c.clone()))),
            None => Err(super::no_attribute(slf.as_any(), "_sum")),
        }
    }

    /// One cell per bucket, each holding that bucket's own (not cumulative) count.
    #[getter]
    fn _buckets(slf: &Bound<'_, Self>) -> PyResult<Vec<Value>> {
        let Some(n) = slf.get().cell.get() else {
            return Err(super::no_attribute(slf.as_any(), "_buckets"));
        };
        match &n.child {
            Some(c) => Ok((0..n.family.config().bounds().len())
                .map(|i| Value::new(Target::Bucket(n.family.clone(), c.clone(), i)))
                .collect()),
            None => Err(super::no_attribute(slf.as_any(), "_buckets")),
        }
    }

    /// When the histogram was created.
    #[getter]
    fn _created(slf: &Bound<'_, Self>) -> PyResult<f64> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(c.created()),
            None => Err(super::no_attribute(slf.as_any(), "_created")),
        }
    }
});
