//! The server behind `start_http_server`: fastprom-net's exposer (hyper on its own
//! thread; TLS on rustls; bounded connections, scrape threads and header, body and write
//! timeouts) answering each request that passes its limits through a Python callable, the
//! package's `_wsgi_response`, so the answers are the WSGI app's own.
//!
//! A scrape thread takes the GIL only to call that callable. Every call here that waits
//! for the exposer (`wait`, `shutdown`) releases the GIL first, since the exposer's
//! threads may be waiting for it.
//! Once Python is exiting (see `gil`), a scrape gets a 503 instead of a call into Python.

use std::sync::Arc;
use std::time::Duration;

use fastprom_net::{Answer, BasicAuth, Exposer, ExposerConfig, Request, Responder, Source, TlsConfig, TlsVersion};
use parking_lot::{Condvar, Mutex};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::gil;

/// Calls the package's responder with `(method, path, query, accept, accept_encoding)`;
/// it returns `(status code, [(name, value), ...], body bytes)`.
struct PyResponder {
    respond: Py<PyAny>,
}

impl Responder for PyResponder {
    fn respond(&self, r: &Request<'_>) -> Answer {
        let answered = gil::try_attach(|py| {
            let _region = gil::Region::enter(py);
            let called = self
                .respond
                .bind(py)
                .call1((r.method, r.path, r.query, r.accept, r.accept_encoding))
                .and_then(|answer| answer_from_py(&answer));
            called.unwrap_or_else(|err| {
                // As wsgiref does for an app that raised: the traceback on stderr, a 500
                // with its fixed text (nothing of the exception reaches the client).
                err.print(py);
                Answer {
                    status: 500,
                    headers: vec![("Content-Type".to_owned(), "text/plain".to_owned())],
                    body: b"A server error occurred.  Please contact the administrator.".to_vec(),
                }
            })
        });
        // Python is exiting: the request is not passed in.
        answered.unwrap_or_else(|| Answer {
            status: 503,
            headers: vec![("Content-Type".to_owned(), "text/plain".to_owned())],
            body: b"The server is shutting down.".to_vec(),
        })
    }
}

fn answer_from_py(answer: &Bound<'_, PyAny>) -> PyResult<Answer> {
    let answer = answer.cast::<PyTuple>()?;
    let status: u16 = answer.get_item(0)?.extract()?;
    let mut headers = Vec::new();
    for pair in answer.get_item(1)?.cast::<PyList>()?.iter() {
        let (name, value): (String, String) = pair.extract()?;
        headers.push((name, value));
    }
    let body = answer.get_item(2)?.cast::<PyBytes>()?.as_bytes().to_vec();
    Ok(Answer { status, headers, body })
}

/// Whether the exposer has stopped, for `wait`.
#[derive(Default)]
struct Stopped {
    done: Mutex<bool>,
    cv: Condvar,
}

/// A running exposer.
#[pyclass(module = "fastprom._fastprom", frozen)]
pub(crate) struct NativeServer {
    exposer: Mutex<Option<Exposer>>,
    stopped: Arc<Stopped>,
    #[pyo3(get)]
    port: u16,
}

fn tls_version(v: Option<&str>, default: TlsVersion) -> PyResult<TlsVersion> {
    match v {
        None => Ok(default),
        Some("1.2") => Ok(TlsVersion::Tls12),
        Some("1.3") => Ok(TlsVersion::Tls13),
        Some(other) => Err(PyValueError::new_err(format!("unsupported TLS version {other}"))),
    }
}

/// An `OSError` as the socket module raises it: `[Errno N] text`.
fn os_error(e: &std::io::Error) -> PyErr {
    match e.raw_os_error() {
        Some(code) => {
            let text = std::io::Error::from_raw_os_error(code).to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            PyOSError::new_err((code, text))
        }
        None => PyOSError::new_err(e.to_string()),
    }
}

#[pymethods]
impl NativeServer {
    /// Binds `host:port` and serves: every request goes to `respond`. `tls` is None or
    /// `(certfile, keyfile, cafile, capath, client_auth_required, min, max)` with the
    /// versions as "1.2" / "1.3" or None; `basic_auth` None or `(user, password)`.
    #[new]
    #[pyo3(signature = (host, port, respond, tls=None, basic_auth=None, max_connections=1024, max_scrapes=4, header_timeout=10.0, body_timeout=10.0, write_timeout=30.0))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn new(
        py: Python<'_>,
        host: &str,
        port: u16,
        respond: Py<PyAny>,
        tls: Option<(String, String, Option<String>, Option<String>, bool, Option<String>, Option<String>)>,
        basic_auth: Option<(String, String)>,
        max_connections: usize,
        max_scrapes: usize,
        header_timeout: f64,
        body_timeout: f64,
        write_timeout: f64,
    ) -> PyResult<Self> {
        let seconds = |s: f64, what: &str| match Duration::try_from_secs_f64(s) {
            Ok(d) if !d.is_zero() => Ok(d),
            _ => Err(PyValueError::new_err(format!("{what} must be > 0, got {s}"))),
        };
        if max_connections == 0 || max_scrapes == 0 {
            return Err(PyValueError::new_err("max_connections and max_scrapes must be > 0"));
        }
        let mut config = ExposerConfig::new(host, port)
            .max_connections(max_connections)
            .max_scrapes(max_scrapes)
            .header_timeout(seconds(header_timeout, "header_timeout")?)
            .body_timeout(seconds(body_timeout, "body_timeout")?)
            .write_timeout(seconds(write_timeout, "write_timeout")?)
            .title_case_headers(true);
        if let Some((user, password)) = basic_auth {
            config = config.basic_auth(BasicAuth::new(user, password));
        }
        if let Some((cert, key, cafile, capath, required, min, max)) = tls {
            let mut t = TlsConfig::new(cert, key).client_auth_required(required).versions(
                tls_version(min.as_deref(), TlsVersion::Tls12)?,
                tls_version(max.as_deref(), TlsVersion::Tls13)?,
            );
            if let Some(f) = cafile {
                t = t.client_ca_file(f);
            }
            if let Some(d) = capath {
                t = t.client_ca_dir(d);
            }
            config = config.tls(t);
        }
        let source = Source::responder(PyResponder { respond });
        let exposer = gil::detach(py, || Exposer::start(source, config)).map_err(|e| match &e {
            fastprom_net::Error::Bind { source, .. } | fastprom_net::Error::Start { source } => os_error(source),
            _ => PyValueError::new_err(e.to_string()),
        })?;
        let port = exposer.local_addr().port();
        Ok(Self { exposer: Mutex::new(Some(exposer)), stopped: Arc::new(Stopped::default()), port })
    }

    /// Blocks until the server is shut down, or for at most `timeout` seconds; whether it
    /// has stopped.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> bool {
        let stopped = Arc::clone(&self.stopped);
        gil::detach(py, move || {
            let mut done = stopped.done.lock();
            match timeout.and_then(|t| Duration::try_from_secs_f64(t).ok()) {
                Some(limit) => {
                    let deadline = std::time::Instant::now() + limit;
                    while !*done {
                        if stopped.cv.wait_until(&mut done, deadline).timed_out() {
                            break;
                        }
                    }
                }
                None => {
                    while !*done {
                        stopped.cv.wait(&mut done);
                    }
                }
            }
            *done
        })
    }

    /// Stops accepting, lets answers in progress finish (2 s at most), closes every
    /// connection and the listening socket, and wakes `wait`. Idempotent.
    fn shutdown(&self, py: Python<'_>) {
        let exposer = self.exposer.lock().take();
        gil::detach(py, move || {
            if let Some(mut exposer) = exposer {
                exposer.shutdown();
            }
        });
        *self.stopped.done.lock() = true;
        self.stopped.cv.notify_all();
    }

    /// Whether `shutdown` has run.
    #[getter]
    fn closed(&self) -> bool {
        *self.stopped.done.lock()
    }
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        // Dropped with the GIL held: joining the exposer's threads here could wait for a
        // scrape that waits for the GIL. A thread of its own stops it instead.
        if let Some(exposer) = self.exposer.get_mut().take() {
            let _ = std::thread::Builder::new().name("fastprom-exposer-stop".to_owned()).spawn(move || drop(exposer));
        }
    }
}
