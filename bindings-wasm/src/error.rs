//! The core's errors as JS `Error` objects carrying a `code` property, so JS callers can
//! branch on `err.code` as on Node's own errors.

use fastprom::Error;
use wasm_bindgen::JsValue;

/// The `code` of the JS error for a core error.
fn code(e: &Error) -> &'static str {
    match e {
        Error::MissingName | Error::InvalidMetricName { .. } => "ERR_INVALID_NAME",
        Error::InvalidLabelName { .. } => "ERR_INVALID_LABEL_NAME",
        Error::ReservedLabelName { .. } => "ERR_RESERVED_LABEL_NAME",
        Error::DuplicateLabelName { .. } => "ERR_DUPLICATE_LABEL_NAME",
        Error::TooManyLabels { .. } => "ERR_TOO_MANY_LABELS",
        Error::LabelCount { .. } => "ERR_LABEL_COUNT",
        Error::LabelNames { .. } | Error::UnknownLabelNames { .. } => "ERR_LABEL_NAMES",
        Error::NotLabelled { .. } => "ERR_NOT_LABELLED",
        Error::MissingLabelValues { .. } => "ERR_MISSING_LABEL_VALUES",
        Error::NegativeIncrement { .. } => "ERR_NEGATIVE_INCREMENT",
        Error::DuplicateTimeseries { .. } => "ERR_DUPLICATE_TIMESERIES",
        Error::InvalidBuckets { .. } => "ERR_INVALID_BUCKETS",
        Error::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
        Error::UnknownState { .. } => "ERR_UNKNOWN_STATE",
        Error::NoStates { .. } => "ERR_NO_STATES",
        Error::InfoOverlap { .. } => "ERR_INFO_OVERLAP",
        _ => "ERR_FASTPROM",
    }
}

/// A JS `Error` with the core error's message and a `code` property.
pub(crate) fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh, ordinary Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code(&e).into());
    err.into()
}

/// The core's `Result`, with the error turned into a JS `Error`.
pub(crate) type JsResult<T> = Result<T, JsValue>;

/// Converts a core result into one wasm-bindgen can return (rejecting with the `Error`).
pub(crate) fn js<T>(r: fastprom::Result<T>) -> JsResult<T> {
    r.map_err(to_js)
}
