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
//! * [`clock`]: the core's clock, routed to Python's `time.time`;
//! * [`errors`]: core errors to Python exceptions.

use pyo3::prelude::*;

mod clock;
mod config;
mod convert;
mod errors;
mod expose;
mod metrics;
mod parse;
mod parse_errors;
mod registry;

/// Turns the `_created` samples on or off (`enable_created_metrics` /
/// `disable_created_metrics`).
#[pyfunction]
fn set_created_enabled(on: bool) {
    fastprom::set_created_enabled(on);
}

/// Whether `_created` samples are exported.
#[pyfunction]
fn created_enabled() -> bool {
    fastprom::created_enabled()
}

/// Turns legacy name validation on or off (`enable_legacy_validation` /
/// `disable_legacy_validation`).
#[pyfunction]
fn set_legacy_validation(on: bool) {
    fastprom::names::set_legacy_validation(on);
}

/// Whether legacy name validation is on.
#[pyfunction]
fn legacy_validation() -> bool {
    fastprom::names::legacy_validation()
}

/// The extension module.
#[pymodule]
fn _fastprom(m: &Bound<'_, PyModule>) -> PyResult<()> {
    clock::install();
    m.add_function(wrap_pyfunction!(set_created_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(created_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(set_legacy_validation, m)?)?;
    m.add_function(wrap_pyfunction!(legacy_validation, m)?)?;
    m.add_function(wrap_pyfunction!(clock::set_clock, m)?)?;
    m.add_function(wrap_pyfunction!(config::configure, m)?)?;
    expose::register(m)?;
    metrics::register(m)?;
    parse::register(m)?;
    registry::register(m)?;
    Ok(())
}
