//! `CounterBase`: `inc`, `reset`, `_value`, `_created`.

use std::sync::OnceLock;

use fastprom::{Error, Family};

use super::slot::Counter;
use pyo3::prelude::*;

use super::common::native_methods;
use super::fast::{fast_method, Arg, Signature};
use super::value::{Target, Value};
use super::{added, exemplar_labels, fast_f64, observable, wanted, AnyFamily, Native, Node};
use crate::errors;

/// Native base of `fastprom.metrics.Counter`.
#[pyclass(subclass, frozen, module = "fastprom._fastprom")]
pub(crate) struct CounterBase {
    cell: OnceLock<Node<Counter>>,
}

impl Native for CounterBase {
    type M = Counter;
    const KIND: &'static str = "counter";
    const CREATED: bool = true;

    fn cell(&self) -> &OnceLock<Node<Counter>> {
        &self.cell
    }

    fn from_cell(cell: OnceLock<Node<Counter>>) -> Self {
        Self { cell }
    }

    fn make_config(_: Python<'_>, _: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Ok(())
    }

    fn any_family(f: &Family<Counter>) -> AnyFamily {
        AnyFamily::Counter(f.clone())
    }

    fn mp_bind(
        py: Python<'_>,
        ctx: &std::sync::Arc<crate::multiprocess::Context>,
        family: &Family<Counter>,
        child: &fastprom::Child<Counter>,
        _mode: &str,
    ) -> PyResult<()> {
        let mirror = crate::multiprocess::Mirror::Counter(child.clone());
        crate::multiprocess::bind_child(py, ctx, family, child, "counter".into(), |k| vec![k.key("_total")], mirror)
    }
}

/// `Counter.inc(self, amount=1, exemplar=None)`.
fn inc(this: &CounterBase, [amount, exemplar]: [Arg<'_, '_>; 2]) -> PyResult<()> {
    let child = observable(this)?;
    let v = match amount.as_deref() {
        None => 1.0,
        Some(a) => match fast_f64(a) {
            Some(v) if v >= 0.0 || v.is_nan() => v,
            _ => negative_or_odd(a)?,
        },
    };
    if v < 0.0 {
        return Err(errors::to_py(Error::NegativeIncrement { amount: v }));
    }
    if let Some(mp) = child.mp() {
        let labels = wanted(exemplar.as_deref())?.map(|e| exemplar_labels(e)).transpose()?;
        return crate::multiprocess::counter_inc(mp, child, v, labels);
    }
    if let Some(e) = wanted(exemplar.as_deref())? {
        return errors::check(child.inc_with_exemplar(v, exemplar_labels(e)?));
    }
    child.inc_by(v).map_err(errors::to_py)
}

const INC: Signature = Signature { qualname: "Counter.inc", names: &["amount", "exemplar"], required: 0 };
fast_method!(counter_inc, CounterBase, INC, 2, inc);

#[cold]
fn negative_or_odd(a: &Bound<'_, PyAny>) -> PyResult<f64> {
    // prometheus_client compares first (`amount < 0` raises for a str), then adds.
    if a.lt(0)? {
        return Err(errors::to_py(Error::NegativeIncrement { amount: f64::NAN }));
    }
    added(a)
}

native_methods!(CounterBase, {
    /// A decorator and context manager adding one each time an exception of type
    /// `exception` (a class or tuple of classes) leaves the code it wraps. The exception
    /// still propagates.
    #[pyo3(signature = (exception=None), text_signature = "($self, exception=Exception)")]
    fn count_exceptions(
        slf: &Bound<'_, Self>,
        exception: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<crate::timing::ExceptionCounter>> {
        observable(slf.get())?;
        let py = slf.py();
        let exception = match exception {
            Some(e) => e.unbind(),
            None => py.get_type::<pyo3::exceptions::PyException>().into_any().unbind(),
        };
        Py::new(py, crate::timing::ExceptionCounter::create(slf.clone().into_any().unbind(), exception))
    }

    /// Resets the counter to zero and `_created` to now.
    fn reset(slf: &Bound<'_, Self>) -> PyResult<()> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => match c.mp() {
                Some(mp) => crate::multiprocess::counter_set(mp, c, None),
                None => errors::check({
                    c.reset();
                    Ok(())
                }),
            },
            None => Err(super::no_attribute(slf.as_any(), "_value")),
        }
    }

    /// The value cell (`_value.get()`, `_value.set()`, ...).
    #[getter]
    fn _value(slf: &Bound<'_, Self>) -> PyResult<Value> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(Value::new(Target::Counter(c.clone()))),
            None => Err(super::no_attribute(slf.as_any(), "_value")),
        }
    }

    /// When the counter was created or last reset.
    #[getter]
    fn _created(slf: &Bound<'_, Self>) -> PyResult<f64> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(c.created()),
            None => Err(super::no_attribute(slf.as_any(), "_created")),
        }
    }
});
