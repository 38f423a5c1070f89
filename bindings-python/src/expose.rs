//! Content negotiation, gzip and Pushgateway requests, for the package's `exposition`
//! module (which does the HTTP in Python).

use fastprom::expose::negotiate::{self, Format};
use fastprom::push::{self, Compression, PushMethod};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::{errors, gil};

/// What `choose_encoder` decides for an `Accept` header: `(kind, escaping, version,
/// content_type)`, kind `"text"` or `"openmetrics"`.
#[pyfunction]
#[pyo3(signature = (accept_header=None))]
fn choose_encoder_info(accept_header: Option<&str>) -> (&'static str, &'static str, String, String) {
    let n = negotiate::negotiate(accept_header);
    let (kind, version) = match n.format {
        Format::Text004 => ("text", "0.0.4".to_owned()),
        Format::Text100 => ("text", "1.0.0".to_owned()),
        Format::OpenMetrics { version } => ("openmetrics", version),
    };
    (kind, n.escaping.as_str(), version, n.content_type)
}

/// Whether an `Accept-Encoding` header accepts gzip (`gzip_accepted`).
#[pyfunction]
#[pyo3(signature = (accept_encoding=None))]
fn gzip_accepted(accept_encoding: Option<&str>) -> bool {
    negotiate::gzip_accepted(accept_encoding)
}

/// gzip-compresses `data`.
#[pyfunction]
fn gzip<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    let out = gil::detach(py, || fastprom::expose::gzip(data));
    PyBytes::new(py, &out)
}

/// `(url, headers, body)` of a Pushgateway request.
type PushRequest<'py> = (String, Vec<(String, String)>, Bound<'py, PyBytes>);

/// The request `push_to_gateway` & co. send: `(url, headers, body)`.
#[pyfunction]
#[pyo3(signature = (method, gateway, job, grouping_key, body, compression=None))]
fn push_request<'py>(
    py: Python<'py>,
    method: &str,
    gateway: &str,
    job: &str,
    grouping_key: Vec<(String, String)>,
    body: Vec<u8>,
    compression: Option<&str>,
) -> PyResult<PushRequest<'py>> {
    let method = match method {
        "PUT" => PushMethod::Put,
        "POST" => PushMethod::Post,
        "DELETE" => PushMethod::Delete,
        other => return Err(PyValueError::new_err(format!("Unsupported method: {other}"))),
    };
    let compression = compression.map(Compression::from_name).transpose().map_err(errors::to_py)?;
    let key: Vec<(&str, &str)> = grouping_key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let req = push::push_request(method, gateway, job, &key, body, compression).map_err(errors::to_py)?;
    Ok((req.url, req.headers, PyBytes::new(py, &req.body)))
}

/// Adds the functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(choose_encoder_info, m)?)?;
    m.add_function(wrap_pyfunction!(gzip_accepted, m)?)?;
    m.add_function(wrap_pyfunction!(gzip, m)?)?;
    m.add_function(wrap_pyfunction!(push_request, m)?)?;
    Ok(())
}
