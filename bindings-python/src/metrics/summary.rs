//! `SummaryBase`: `observe`, `_count`, `_sum`, `_created`.

use std::sync::OnceLock;

use fastprom::{Family, SummaryConfig};

use super::slot::Summary;
use pyo3::prelude::*;

use super::common::native_methods;
use super::fast::{fast_method, Arg, Signature};
use super::value::{Target, Value};
use super::{added, observable, AnyFamily, Native, Node};

/// Native base of `fastprom.metrics.Summary` (count and sum, no quantiles, as
/// prometheus_client).
#[pyclass(subclass, frozen, module = "fastprom._fastprom")]
pub(crate) struct SummaryBase {
    cell: OnceLock<Node<Summary>>,
}

impl Native for SummaryBase {
    type M = Summary;
    const KIND: &'static str = "summary";
    const CREATED: bool = true;

    fn cell(&self) -> &OnceLock<Node<Summary>> {
        &self.cell
    }

    fn from_cell(cell: OnceLock<Node<Summary>>) -> Self {
        Self { cell }
    }

    fn make_config(_: Python<'_>, _: Option<&Bound<'_, PyAny>>) -> PyResult<SummaryConfig> {
        Ok(SummaryConfig::default())
    }

    fn any_family(f: &Family<Summary>) -> AnyFamily {
        AnyFamily::Summary(f.clone())
    }

    fn mp_bind(
        py: Python<'_>,
        ctx: &std::sync::Arc<crate::multiprocess::Context>,
        family: &Family<Summary>,
        child: &fastprom::Child<Summary>,
        _mode: &str,
    ) -> PyResult<()> {
        let mirror = crate::multiprocess::Mirror::Summary(child.clone());
        let keys = |k: &crate::multiprocess::KeySpec<'_>| vec![k.key("_count"), k.key("_sum")];
        crate::multiprocess::bind_child(py, ctx, family, child, "summary".into(), keys, mirror)
    }
}

/// `Summary.observe(self, amount)`.
fn observe(this: &SummaryBase, [amount]: [Arg<'_, '_>; 1]) -> PyResult<()> {
    let child = observable(this)?;
    let amount = amount.as_deref().ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("missing amount"))?;
    let v = added(amount)?;
    if let Some(mp) = child.mp() {
        return crate::multiprocess::summary_observe(mp, child, v);
    }
    child.observe(v);
    Ok(())
}

const OBSERVE: Signature = Signature { qualname: "Summary.observe", names: &["amount"], required: 1 };
fast_method!(summary_observe, SummaryBase, OBSERVE, 1, observe);

native_methods!(SummaryBase, {
    /// A decorator and context manager that observes the duration, in seconds, of each run
    /// of the code it wraps.
    fn time(slf: &Bound<'_, Self>) -> PyResult<Py<crate::timing::Timer>> {
        let py = slf.py();
        let name = pyo3::intern!(py, "observe").clone().unbind();
        Py::new(py, crate::timing::Timer::create(slf.clone().into_any().unbind(), name))
    }

    /// The count cell.
    #[getter]
    fn _count(slf: &Bound<'_, Self>) -> PyResult<Value> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(Value::new(Target::SummaryCount(c.clone()))),
            None => Err(super::no_attribute(slf.as_any(), "_count")),
        }
    }

    /// The sum cell.
    #[getter]
    fn _sum(slf: &Bound<'_, Self>) -> PyResult<Value> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(Value::new(Target::SummarySum(c.clone()))),
            None => Err(super::no_attribute(slf.as_any(), "_sum")),
        }
    }

    /// When the summary was created.
    #[getter]
    fn _created(slf: &Bound<'_, Self>) -> PyResult<f64> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(c.created()),
            None => Err(super::no_attribute(slf.as_any(), "_created")),
        }
    }
});
