//! The core's clock, routed to Python: every wall-clock read (`_created`, exemplar
//! timestamps, `set_to_current_time`) calls Python's clock at that moment, so tests that
//! patch `time.time` see their value, as with prometheus_client.
//!
//! The clock is a Python callable (`fastprom.metrics` installs one that looks up
//! `time.time` at each call); until one is installed, `time.time` itself is looked up and
//! called. Every family built for Python reads this clock through its settings
//! (`crate::settings::family`). The core reads a clock before taking any of its locks; the
//! binding still reads the time itself where it already holds it (creating a metric and
//! its first child) and hands it to the core through [`with_now`], so one creation calls
//! Python's clock once.

use std::cell::Cell;
use std::sync::Arc;

use fastprom::clock::{Clock, SystemClock};
use parking_lot::RwLock;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

use crate::{errors, gil};

static CALLABLE: RwLock<Option<Py<PyAny>>> = RwLock::new(None);
static TIME_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

thread_local! {
    static NOW: Cell<Option<f64>> = const { Cell::new(None) };
}

/// Installs the clock (at module import). `callable` is called with no arguments and must
/// return seconds since the epoch; `None` goes back to looking up `time.time` at each call.
#[pyfunction]
#[pyo3(signature = (callable=None))]
pub(crate) fn set_clock(callable: Option<Py<PyAny>>) {
    *CALLABLE.write() = callable;
}

/// Reads Python's clock now.
pub(crate) fn read(py: Python<'_>) -> PyResult<f64> {
    let f = CALLABLE.read().as_ref().map(|c| c.clone_ref(py));
    let v = match f {
        Some(f) => f.bind(py).call0()?,
        None => TIME_MODULE
            .get_or_try_init(py, || py.import("time").map(Bound::unbind))?
            .bind(py)
            .getattr(pyo3::intern!(py, "time"))?
            .call0()?,
    };
    v.extract::<f64>()
}

/// Runs `f` with the core clock answering `now` (once, on this thread) instead of calling
/// Python.
pub(crate) fn with_now<R>(now: f64, f: impl FnOnce() -> R) -> R {
    NOW.with(|c| c.set(Some(now)));
    let r = f();
    NOW.with(|c| c.set(None));
    r
}

struct PyClock;

impl Clock for PyClock {
    fn now(&self) -> f64 {
        if let Some(t) = NOW.with(Cell::take) {
            return t;
        }
        // While Python exits, the system clock stands in for `time.time`.
        let now = gil::try_attach(|py| match read(py) {
            Ok(t) => t,
            Err(e) => {
                errors::stash(e);
                SystemClock.now()
            }
        });
        now.unwrap_or_else(|| SystemClock.now())
    }
}

/// The clock every family built for Python reads.
pub(crate) fn python_clock() -> Arc<dyn Clock> {
    Arc::new(PyClock)
}
