//! Parse errors as the exceptions prometheus_client's parsers raise.
//!
//! The core's `Error::Parse` carries prometheus_client's message for nearly every check
//! (`Clashing name: ...`, `Invalid le label: ...`, ...), which becomes a `ValueError` as it
//! is. A few messages need translating back:
//!
//! * errors prometheus_client raises as other exception types, which the core can only
//!   describe: an `IndexError` from `_unquote_unescape`, an `OverflowError` or a
//!   `TypeError` from `math.isnan()` of an integer beyond float's range or of `None`, a `KeyError` or an `int()` /
//!   `float()` error from `_parse_nh_struct` (re-derived here with prometheus_client's own
//!   regular expression on the native-histogram text the core quotes), an
//!   `AttributeError` from comparing a `Timestamp` with a float, a `ValueError` with two
//!   arguments for a suffixed native-histogram name;
//! * decorations the core adds to prometheus_client's message: the reason after
//!   `Invalid labels: ...`, a space after `invalid metric name:`, an unquoted value in
//!   `could not convert string to float: ...`, `Invalid timestamp` where `float()` fails.
//!
//! Where prometheus_client's message is an accident of its implementation (a bare
//! `ValueError()`, `float()` of a slice cut at the wrong place), the core's own message is
//! kept; docs/compatibility.md lists those cases.

use pyo3::exceptions::{PyAttributeError, PyIndexError, PyKeyError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// What follows `Invalid labels: <labels> (` in the core's OpenMetrics label errors.
const LABEL_REASONS: &[&str] = &[
    "empty term",
    "multiple commas",
    "string index out of range",
    "missing close quote",
    "unquoted UTF-8 metric name",
    "missing quote",
    "substring not found",
    "unexpected text after quote",
    "invalid line, duplicate label name",
    "metric name cannot be empty",
];

/// Name-validation reasons, followed by the name.
const LABEL_REASON_PREFIXES: &[&str] =
    &["invalid metric name ", "Invalid label metric name: ", "Reserved label metric name: "];

/// `_parse_nh_struct`'s field pattern.
const NH_ITEM: &str = r"(\w+):\s*([^,}]+)";

/// The exception for the core's message `msg` (`om`: from the OpenMetrics parser).
pub(crate) fn to_py(py: Python<'_>, msg: String, om: bool) -> PyErr {
    match translate(py, &msg, om) {
        Ok(Some(e)) => e,
        Ok(None) => PyValueError::new_err(msg),
        Err(e) => e,
    }
}

fn translate(py: Python<'_>, msg: &str, om: bool) -> PyResult<Option<PyErr>> {
    if msg == "string index out of range" {
        return Ok(Some(PyIndexError::new_err(msg.to_owned())));
    }
    if msg == "Timestamps of different types cannot be compared" {
        return Ok(Some(PyAttributeError::new_err("'float' object has no attribute 'sec'")));
    }
    if !om {
        return Ok(None);
    }
    if msg.starts_with("int too large to convert to float: ") {
        // `math.isnan()` of a huge int raises before prometheus_client adds the line.
        return Ok(Some(PyOverflowError::new_err("int too large to convert to float")));
    }
    if msg.starts_with("must be real number, not NoneType: ") {
        // `math.isnan(None)` for a suffixed native-histogram sample.
        return Ok(Some(PyTypeError::new_err("must be real number, not NoneType")));
    }
    if let Some(rest) = msg.strip_prefix("Invalid labels: ") {
        return Ok(invalid_labels(rest));
    }
    if let Some(rest) = msg.strip_prefix("invalid metric name: ") {
        return Ok(Some(PyValueError::new_err(format!("invalid metric name:{rest}"))));
    }
    for prefix in [
        "the sample name of a native histogram with labels should have no suffixes",
        "the sample name of a native histogram should have no suffixes",
    ] {
        if let Some(name) = msg.strip_prefix(prefix).and_then(|r| r.strip_prefix(": ")) {
            return Ok(Some(PyValueError::new_err((prefix, name.to_owned()))));
        }
    }
    for (prefix, conv) in [
        ("native histogram without ", None),
        ("invalid literal for int() in native histogram ", Some("int")),
        ("could not convert string to float in native histogram ", Some("float")),
    ] {
        if let Some((key, text)) = msg.strip_prefix(prefix).and_then(|r| r.split_once(": ")) {
            return native_struct(py, key, text, conv);
        }
    }
    if let Some(r) = msg.strip_prefix("Invalid timestamp: ") {
        return timestamp(py, r);
    }
    if let Some(v) = msg.strip_prefix("could not convert string to float: ") {
        if str_literal(py, v)?.is_none() {
            let repr = PyString::new(py, v).repr()?;
            return Ok(Some(PyValueError::new_err(format!("could not convert string to float: {repr}"))));
        }
    }
    Ok(None)
}

/// `Invalid labels: <labels> (<reason>)` without the reason, or the `IndexError` it hides.
fn invalid_labels(rest: &str) -> Option<PyErr> {
    let body = rest.strip_suffix(')')?;
    for (p, _) in body.match_indices(" (") {
        let reason = &body[p + 2..];
        let known = LABEL_REASONS.contains(&reason) || LABEL_REASON_PREFIXES.iter().any(|x| reason.starts_with(x));
        if known {
            if reason == "string index out of range" {
                return Some(PyIndexError::new_err(reason.to_owned()));
            }
            return Some(PyValueError::new_err(format!("Invalid labels: {}", &body[..p])));
        }
    }
    None
}

/// `ast.literal_eval(text)` when it is a `str` literal.
fn str_literal(py: Python<'_>, text: &str) -> PyResult<Option<String>> {
    let lit = py.import("ast")?.getattr("literal_eval")?.call1((text,));
    Ok(lit.ok().and_then(|v| v.extract::<String>().ok()))
}

/// prometheus_client's `_parse_timestamp` fails with `float()`'s error, not
/// `Invalid timestamp`, unless the text has spaces or `_` or is NaN or infinite.
fn timestamp(py: Python<'_>, repr: &str) -> PyResult<Option<PyErr>> {
    let Some(ts) = str_literal(py, repr)? else {
        return Ok(None);
    };
    let stripped: String = PyString::new(py, &ts).call_method0("strip")?.extract()?;
    if ts != stripped || ts.contains('_') {
        return Ok(None);
    }
    let float = py.import("builtins")?.getattr("float")?;
    Ok(float.call1((ts,)).err())
}

/// The exception `_parse_nh_struct` raises for field `key` of `text`: `KeyError` when
/// the field is missing, else `int()`'s or `float()`'s error.
fn native_struct(py: Python<'_>, key: &str, text: &str, conv: Option<&str>) -> PyResult<Option<PyErr>> {
    let found = py.import("re")?.getattr("findall")?.call1((NH_ITEM, text))?;
    let items = PyDict::new(py);
    for pair in found.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
        items.set_item(k, v)?;
    }
    let Some(value) = items.get_item(key)? else {
        return Ok(Some(PyKeyError::new_err(key.to_owned())));
    };
    let Some(conv) = conv else {
        return Ok(None);
    };
    Ok(py.import("builtins")?.getattr(conv)?.call1((value,)).err())
}
