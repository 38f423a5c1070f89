//! fastprom for Python: the native half of the `fastprom` package (`fastprom._fastprom`).
//!
//! The Python package mirrors prometheus_client 0.26's module tree; this extension gives it
//! native metric bases whose hot methods (`inc`, `dec`, `set`, `observe`, `labels`) are
//! reached straight from the user-visible classes, the text and OpenMetrics encoders, content
//! negotiation, gzip and Pushgateway request building. Every rule lives in the `fastprom`
//! core crate; these modules only translate values, errors and ownership:
//!
//! * [`metrics`]: the metric base classes (`CounterBase`, ... `EnumBase`) and value views;
//! * [`registry`]: `generate_text` / `generate_openmetrics`, walking any `collect()`-able;
//! * [`convert`]: Python `Metric` objects to core samples and back;
//! * [`expose`]: negotiation, gzip, Pushgateway requests;
//! * [`parse`]: the text and OpenMetrics parsers, building prometheus_client's objects
//!   (with [`parse_errors`], prometheus_client's exceptions);
//! * [`names`]: the core's name rules and escaping, for `fastprom.validation`;
//! * [`timing`]: the context managers and decorated-call runners of `time()`,
//!   `count_exceptions()` and `track_inprogress()`;
//! * [`clock`]: the core's clock, routed to Python's `time.time`;
//! * [`errors`]: core errors to Python exceptions;
//! * [`gil`]: leaving and re-entering the interpreter, safely while Python exits.

use pyo3::prelude::*;
use pyo3::types::IntoPyDict;

mod clock;
mod config;
mod convert;
mod errors;
mod expose;
mod gil;
mod metrics;
mod multiprocess;
mod names;
mod parse;
mod parse_errors;
mod registry;
mod serve;
mod settings;
mod timing;

/// The extension module.
#[pymodule]
fn _fastprom(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(settings::set_created_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(settings::created_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(settings::set_legacy_validation, m)?)?;
    m.add_function(wrap_pyfunction!(settings::legacy_validation, m)?)?;
    m.add_function(wrap_pyfunction!(clock::set_clock, m)?)?;
    m.add_function(wrap_pyfunction!(config::configure, m)?)?;
    m.add_class::<serve::NativeServer>()?;
    expose::register(m)?;
    metrics::register(m)?;
    names::register(m)?;
    timing::register(m)?;
    parse::register(m)?;
    registry::register(m)?;
    multiprocess::register(m)?;
    // Before the interpreter finalizes, close it to this extension's threads (see `gil`).
    m.py().import("atexit")?.call_method1("register", (wrap_pyfunction!(gil::close, m)?,))?;
    let after_fork = [("after_in_child", wrap_pyfunction!(gil::forked, m)?)].into_py_dict(m.py())?;
    m.py().import("os")?.call_method("register_at_fork", (), Some(&after_fork))?;
    Ok(())
}
