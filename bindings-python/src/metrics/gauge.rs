//! `GaugeBase`: `inc`, `dec`, `set`, `set_to_current_time`, `set_function`, `_value`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use fastprom::{Error, Family};

use super::slot::Gauge;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::common::native_methods;
use super::fast::{fast_method, Arg, Signature};
use super::value::{Target, Value};
use super::{added, fast_f64, float, observable, AnyFamily, Native, Node};
use crate::{errors, gil};

/// Native base of `fastprom.metrics.Gauge`.
#[pyclass(subclass, frozen, module = "fastprom._fastprom")]
pub(crate) struct GaugeBase {
    cell: OnceLock<Node<Gauge>>,
    /// `multiprocess_mode` is `mostrecent` or `livemostrecent`: `inc` and `dec` refuse.
    most_recent: AtomicBool,
}

impl Native for GaugeBase {
    type M = Gauge;
    const KIND: &'static str = "gauge";
    const CREATED: bool = false;

    fn cell(&self) -> &OnceLock<Node<Gauge>> {
        &self.cell
    }

    fn from_cell(cell: OnceLock<Node<Gauge>>) -> Self {
        Self { cell, most_recent: AtomicBool::new(false) }
    }

    fn make_config(_: Python<'_>, _: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Ok(())
    }

    fn any_family(f: &Family<Gauge>) -> AnyFamily {
        AnyFamily::Gauge(f.clone())
    }

    fn mp_bind(
        py: Python<'_>,
        ctx: &std::sync::Arc<crate::multiprocess::Context>,
        family: &Family<Gauge>,
        child: &fastprom::Child<Gauge>,
        mode: &str,
    ) -> PyResult<()> {
        let mirror = crate::multiprocess::Mirror::Gauge(child.clone());
        crate::multiprocess::bind_child(py, ctx, family, child, format!("gauge_{mode}"), |k| vec![k.key("")], mirror)
    }
}

impl GaugeBase {
    /// `set` in multi-process mode: the `mostrecent` modes stamp the file entry with the
    /// time of the call (prometheus_client's `timestamp=time.time()`).
    #[cold]
    fn mp_set(&self, mp: &crate::multiprocess::Binding, child: &Gauge, py: Python<'_>, v: f64) -> PyResult<()> {
        let ts = if self.most_recent.load(Ordering::Relaxed) { crate::clock::read(py)? } else { 0.0 };
        crate::multiprocess::gauge_set(mp, child, v, ts)
    }

    #[inline]
    fn refuse_most_recent(&self, what: &str) -> PyResult<()> {
        if self.most_recent.load(Ordering::Relaxed) {
            return Err(PyRuntimeError::new_err(format!("{what} must not be used with the mostrecent mode")));
        }
        Ok(())
    }
}

/// `-a` as Python negates it, as a float.
#[cold]
fn negated(a: &Bound<'_, PyAny>) -> PyResult<f64> {
    added(&a.neg()?)
}

/// Reads a gauge's value from a Python callable at scrape time (`float(f())`); a Python
/// exception is parked for the binding to raise.
fn gauge_fn(f: Py<PyAny>) -> fastprom::metrics::GaugeFn {
    Arc::new(move || {
        let called = gil::try_attach(|py| match f.bind(py).call0().and_then(|v| float(&v)) {
            Ok(v) => Ok(v),
            Err(e) => {
                let msg = e.to_string();
                errors::stash(e);
                Err(Error::Collect(msg))
            }
        });
        called.unwrap_or_else(|| Err(Error::Collect("the interpreter is shutting down".to_owned())))
    })
}

/// `Gauge.inc(self, amount=1)`.
fn inc(this: &GaugeBase, [amount]: [Arg<'_, '_>; 1]) -> PyResult<()> {
    this.refuse_most_recent("inc")?;
    let child = observable(this)?;
    let d = match amount.as_deref() {
        None => 1.0,
        Some(a) => added(a)?,
    };
    if let Some(mp) = child.mp() {
        return crate::multiprocess::gauge_add(mp, child, d);
    }
    child.inc_by(d);
    Ok(())
}

/// `Gauge.dec(self, amount=1)`.
fn dec(this: &GaugeBase, [amount]: [Arg<'_, '_>; 1]) -> PyResult<()> {
    this.refuse_most_recent("dec")?;
    let child = observable(this)?;
    let d = match amount.as_deref() {
        None => -1.0,
        Some(a) => match fast_f64(a) {
            Some(v) => -v,
            None => negated(a)?,
        },
    };
    if let Some(mp) = child.mp() {
        return crate::multiprocess::gauge_add(mp, child, d);
    }
    child.inc_by(d);
    Ok(())
}

/// `Gauge.set(self, value)`.
fn set(this: &GaugeBase, [value]: [Arg<'_, '_>; 1]) -> PyResult<()> {
    let child = observable(this)?;
    let value = value.as_deref().ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("missing value"))?;
    let v = float(value)?;
    if let Some(mp) = child.mp() {
        return this.mp_set(mp, child, value.py(), v);
    }
    child.set(v);
    Ok(())
}

const INC: Signature = Signature { qualname: "Gauge.inc", names: &["amount"], required: 0 };
const DEC: Signature = Signature { qualname: "Gauge.dec", names: &["amount"], required: 0 };
const SET: Signature = Signature { qualname: "Gauge.set", names: &["value"], required: 1 };
fast_method!(gauge_inc, GaugeBase, INC, 1, inc);
fast_method!(gauge_dec, GaugeBase, DEC, 1, dec);
fast_method!(gauge_set, GaugeBase, SET, 1, set);

native_methods!(GaugeBase, {
    /// A decorator and context manager that sets the gauge to the duration, in seconds, of each run
    /// of the code it wraps.
    fn time(slf: &Bound<'_, Self>) -> PyResult<Py<crate::timing::Timer>> {
        let py = slf.py();
        let name = pyo3::intern!(py, "set").clone().unbind();
        Py::new(py, crate::timing::Timer::create(slf.clone().into_any().unbind(), name))
    }

    /// A decorator and context manager that adds one on entry and takes it away on exit,
    /// so the gauge counts the calls currently running.
    fn track_inprogress(slf: &Bound<'_, Self>) -> PyResult<Py<crate::timing::InprogressTracker>> {
        super::observable(slf.get())?;
        Py::new(slf.py(), crate::timing::InprogressTracker::create(slf.clone().into_any().unbind()))
    }

    /// Sets whether `inc` / `dec` refuse (the `mostrecent` multiprocess modes).
    fn _fp_set_most_recent(&self, on: bool) {
        self.most_recent.store(on, Ordering::Relaxed);
    }

    /// Sets the value to the current Unix time.
    fn set_to_current_time(&self, py: Python<'_>) -> PyResult<()> {
        let child = observable(self)?;
        if let Some(mp) = child.mp() {
            let now = crate::clock::read(py)?;
            return self.mp_set(mp, child, py, now);
        }
        errors::check({
            child.set_to_current_time();
            Ok(())
        })
    }

    /// Reads the value from `f()` at every scrape from now on.
    fn set_function(&self, py: Python<'_>, f: Py<PyAny>) -> PyResult<()> {
        let child = observable(self)?.clone();
        let gf = gauge_fn(f);
        // A scrape may hold the function lock while it waits for the GIL.
        gil::detach(py, move || child.set_function(gf));
        Ok(())
    }

    /// The value cell (`_value.get()`, `_value.set()`, ...).
    #[getter]
    fn _value(slf: &Bound<'_, Self>) -> PyResult<Value> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => Ok(Value::new(Target::Gauge(c.clone()))),
            None => Err(super::no_attribute(slf.as_any(), "_value")),
        }
    }
});
