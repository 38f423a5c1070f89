//! The core's name rules for `fastprom.validation` and the OpenMetrics escaping helpers:
//! which metric and label names are valid under each scheme, and how names are escaped
//! for an exposition, with prometheus_client's messages.
//!
//! They take `str` only (a lone surrogate raises Python's own `UnicodeEncodeError`, as
//! `str.encode('utf-8')` does); the Python callers deal with other types.

use fastprom::names::{self, EscapingScheme, ValidationScheme};
use pyo3::prelude::*;

use crate::errors;

fn scheme(legacy: bool) -> ValidationScheme {
    if legacy {
        ValidationScheme::Legacy
    } else {
        ValidationScheme::Utf8
    }
}

/// `ValueError` unless `name` can name a metric (the legacy character set when `legacy`).
#[pyfunction]
pub(crate) fn validate_metric_name(name: &str, legacy: bool) -> PyResult<()> {
    errors::check(names::validate_metric_name(name, scheme(legacy)))
}

/// `ValueError` unless `name` can name a label; `__` names are reserved under both schemes.
#[pyfunction]
pub(crate) fn validate_label_name(name: &str, legacy: bool) -> PyResult<()> {
    errors::check(names::validate_label_name(name, scheme(legacy)))
}

/// Whether `name` is a metric name under the legacy scheme.
#[pyfunction]
pub(crate) fn is_valid_legacy_metric_name(name: &str) -> bool {
    names::is_valid_legacy_metric_name(name)
}

/// Whether `name` is an unreserved label name under the legacy scheme.
#[pyfunction]
pub(crate) fn is_valid_legacy_label_name(name: &str) -> bool {
    names::is_valid_legacy_label_name(name)
}

fn escaped(s: &str, escaping: &str, write: fn(&mut Vec<u8>, &str, EscapingScheme)) -> String {
    // An escaping prometheus_client does not know leaves the name as it is.
    let Some(scheme) = EscapingScheme::from_name(escaping) else { return s.to_owned() };
    let mut out = Vec::with_capacity(s.len() + 2);
    write(&mut out, s, scheme);
    // The escapers only insert ASCII into valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `escape_metric_name(s, escaping)`.
#[pyfunction]
pub(crate) fn escape_metric_name(s: &str, escaping: &str) -> String {
    escaped(s, escaping, names::escape_metric_name_into)
}

/// `escape_label_name(s, escaping)`.
#[pyfunction]
pub(crate) fn escape_label_name(s: &str, escaping: &str) -> String {
    escaped(s, escaping, names::escape_label_name_into)
}

/// Adds the functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(validate_metric_name, m)?)?;
    m.add_function(wrap_pyfunction!(validate_label_name, m)?)?;
    m.add_function(wrap_pyfunction!(is_valid_legacy_metric_name, m)?)?;
    m.add_function(wrap_pyfunction!(is_valid_legacy_label_name, m)?)?;
    m.add_function(wrap_pyfunction!(escape_metric_name, m)?)?;
    m.add_function(wrap_pyfunction!(escape_label_name, m)?)?;
    Ok(())
}
