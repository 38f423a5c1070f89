//! The Pushgateway client: sends a [`PushRequest`] built by the core's
//! [`fastprom::push::push_request`] with ureq, and the three calls prometheus_client
//! offers on top of it ([`push_to_gateway`], [`pushadd_to_gateway`],
//! [`delete_from_gateway`]).
//!
//! Every call has a timeout covering the whole exchange (connecting, sending, reading the
//! answer), so a gateway that accepts the connection and never answers ends in
//! [`Error::Timeout`], not a hang. Redirects are not followed (prometheus_client's default
//! handler does not follow them for `PUT` and `POST` either): a `3xx` is an
//! [`Error::Status`] like any other answer outside 2xx. Proxies are taken from the usual
//! environment variables (`http_proxy`, `no_proxy`, ...), as Python's urllib does.

use std::io::Read as _;
use std::time::Duration;

use fastprom::push::{push_request, PushMethod, PushRequest};
use fastprom::{Collector, EscapingScheme};

use crate::error::MAX_ERROR_BODY;
use crate::{BasicAuth, Error, Result};

/// A gateway's answer within 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResponse {
    /// The HTTP status code (the Pushgateway answers `200` to a push, `202` to a delete).
    pub status: u16,
    /// The start of the answer's body (at most [`MAX_ERROR_BODY`] bytes), as text with
    /// invalid UTF-8 replaced; usually empty.
    pub body: String,
}

/// Sends a push request and waits at most `timeout` for the whole exchange, with HTTP
/// Basic credentials when `auth` is given (an `Authorization` header added after the
/// request's own headers, as prometheus_client's `basic_auth_handler` adds it).
///
/// Errors: [`Error::InvalidUrl`] for a URL the client cannot send to (an `https` URL
/// without the `push-tls` feature), [`Error::Connect`] when nothing accepts the
/// connection, [`Error::Timeout`] when the exchange is not over within `timeout`,
/// [`Error::Transport`] when it breaks off or the answer is not HTTP, and
/// [`Error::Status`] (with the status code and the start of the gateway's body) for any
/// answer outside 2xx.
///
/// ```no_run
/// use std::time::Duration;
/// use fastprom::push::{push_request, Compression, PushMethod};
/// use fastprom::{expose, EscapingScheme, Gauge, Registry};
///
/// let registry = Registry::new();
/// let last = Gauge::new("job_last_success_unixtime", "Last time the batch job succeeded.")?;
/// registry.register(last.clone())?;
/// last.set(1.7e9);
/// let body = expose::encode_text(&registry, EscapingScheme::Underscores)?;
/// let request = push_request(PushMethod::Put, "localhost:9091", "batchA", &[], body, Some(Compression::Gzip))?;
/// let answer = fastprom_net::push::send(&request, Duration::from_secs(10), None)?;
/// assert_eq!(answer.status, 200);
/// # Ok::<(), fastprom_net::Error>(())
/// ```
pub fn send(request: &PushRequest, timeout: Duration, auth: Option<&BasicAuth>) -> Result<PushResponse> {
    let authorization = auth.map(BasicAuth::header_value);
    let exchange = Exchange {
        method: request.method,
        url: &request.url,
        headers: &request.headers,
        authorization: authorization.as_deref(),
        body: &request.body,
    };
    exchange.send(&agent(timeout, None), timeout).map_err(|refused| refused.error)
}

/// TLS settings for [`agent`]: ureq's, with the `push-tls` feature; without it there are
/// none to give.
#[cfg(feature = "push-tls")]
pub(crate) type TlsSettings = ureq::tls::TlsConfig;
/// TLS settings for [`agent`]: ureq's, with the `push-tls` feature; without it there are
/// none to give.
#[cfg(not(feature = "push-tls"))]
pub(crate) type TlsSettings = std::convert::Infallible;

/// An HTTP client as [`send`] uses it: `timeout` for the whole exchange, answers outside
/// 2xx returned rather than raised, no redirects, and the given TLS settings (ureq's
/// defaults, the webpki roots, when `None`).
pub(crate) fn agent(timeout: Duration, tls: Option<TlsSettings>) -> ureq::Agent {
    let builder =
        ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).max_redirects(0);
    #[cfg(feature = "push-tls")]
    let builder = match tls {
        Some(tls) => builder.tls_config(tls),
        None => builder,
    };
    #[cfg(not(feature = "push-tls"))]
    let _ = tls;
    ureq::Agent::new_with_config(builder.build())
}

/// One request, borrowed: what [`send`] and the remote-write client send.
pub(crate) struct Exchange<'a> {
    /// The method.
    pub(crate) method: PushMethod,
    /// The full URL.
    pub(crate) url: &'a str,
    /// The request's headers, in order.
    pub(crate) headers: &'a [(String, String)],
    /// An `Authorization` value added after `headers`, if any.
    pub(crate) authorization: Option<&'a str>,
    /// The body (ignored for `DELETE`).
    pub(crate) body: &'a [u8],
}

/// A failed exchange: the error, and the delay the server asked for in a `Retry-After`
/// header (in seconds; an HTTP date is not read) when it answered with one.
#[derive(Debug)]
pub(crate) struct Refused {
    /// What went wrong, as [`send`] reports it.
    pub(crate) error: Error,
    /// The server's `Retry-After`, for an answer outside 2xx that carried one.
    #[cfg_attr(not(feature = "remote-write"), allow(dead_code))]
    pub(crate) retry_after: Option<Duration>,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Self { error, retry_after: None }
    }
}

impl Exchange<'_> {
    /// Sends the request through `agent`, waiting at most `timeout` for the whole exchange;
    /// errors as [`send`]'s.
    pub(crate) fn send(&self, agent: &ureq::Agent, timeout: Duration) -> std::result::Result<PushResponse, Refused> {
        let (method, url) = (self.method, self.url);
        if !cfg!(feature = "push-tls") && url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
            return Err(Error::InvalidUrl {
                url: url.to_owned(),
                reason: "https needs fastprom-net's `push-tls` feature".to_owned(),
            }
            .into());
        }
        let answer = match method {
            PushMethod::Delete => {
                let mut builder = agent.delete(url);
                for (name, value) in self.headers {
                    builder = builder.header(name, value);
                }
                if let Some(a) = self.authorization {
                    builder = builder.header("Authorization", a);
                }
                builder.config().timeout_global(Some(timeout)).build().call()
            }
            PushMethod::Put | PushMethod::Post => {
                let mut builder = if method == PushMethod::Put { agent.put(url) } else { agent.post(url) };
                for (name, value) in self.headers {
                    builder = builder.header(name, value);
                }
                if let Some(a) = self.authorization {
                    builder = builder.header("Authorization", a);
                }
                builder.config().timeout_global(Some(timeout)).build().send(self.body)
            }
        };
        let mut answer = answer.map_err(|e| from_ureq(e, method, url, timeout))?;
        let status = answer.status().as_u16();
        let retry_after = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after);
        let mut body = Vec::new();
        answer
            .body_mut()
            .as_reader()
            .take(MAX_ERROR_BODY as u64)
            .read_to_end(&mut body)
            .map_err(|e| from_io(e, method, url, timeout))?;
        let body = String::from_utf8_lossy(&body).into_owned();
        if (200..300).contains(&status) {
            Ok(PushResponse { status, body })
        } else {
            Err(Refused { error: Error::Status { method, url: url.to_owned(), status, body }, retry_after })
        }
    }
}

/// A `Retry-After` value in seconds (whole or with a fraction, as some servers send), at
/// most a day; `None` for anything else (an HTTP date included).
fn retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// Replaces every metric of the group with `registry`'s (`PUT`), as prometheus_client's
/// `push_to_gateway`: the registry encoded in the text format 0.0.4, the URL built from
/// `gateway`, `job` and `grouping_key` by [`push_request`] (values with `/` or a space
/// travel as `@base64`). See [`send`] for `timeout`, `auth` and the errors; a collector
/// that fails is an [`Error::Core`].
///
/// ```no_run
/// use std::time::Duration;
/// use fastprom::{Gauge, Registry};
///
/// let registry = Registry::new();
/// let last = Gauge::new("job_last_success_unixtime", "Last time the batch job succeeded.")?;
/// registry.register(last.clone())?;
/// last.set(1.7e9);
/// fastprom_net::push_to_gateway("localhost:9091", "batchA", &[("instance", "worker 1")], &registry, Duration::from_secs(10), None)?;
/// # Ok::<(), fastprom_net::Error>(())
/// ```
pub fn push_to_gateway(
    gateway: &str,
    job: &str,
    grouping_key: &[(&str, &str)],
    registry: &dyn Collector,
    timeout: Duration,
    auth: Option<&BasicAuth>,
) -> Result<()> {
    push_registry(PushMethod::Put, gateway, job, grouping_key, registry, timeout, auth)
}

/// Replaces only the group's metrics with the names `registry` pushes (`POST`), as
/// prometheus_client's `pushadd_to_gateway`; otherwise as [`push_to_gateway`].
pub fn pushadd_to_gateway(
    gateway: &str,
    job: &str,
    grouping_key: &[(&str, &str)],
    registry: &dyn Collector,
    timeout: Duration,
    auth: Option<&BasicAuth>,
) -> Result<()> {
    push_registry(PushMethod::Post, gateway, job, grouping_key, registry, timeout, auth)
}

/// Deletes the group (`DELETE`), as prometheus_client's `delete_from_gateway`. See
/// [`send`] for `timeout`, `auth` and the errors.
pub fn delete_from_gateway(
    gateway: &str,
    job: &str,
    grouping_key: &[(&str, &str)],
    timeout: Duration,
    auth: Option<&BasicAuth>,
) -> Result<()> {
    let request = push_request(PushMethod::Delete, gateway, job, grouping_key, Vec::new(), None)?;
    send(&request, timeout, auth).map(drop)
}

fn push_registry(
    method: PushMethod,
    gateway: &str,
    job: &str,
    grouping_key: &[(&str, &str)],
    registry: &dyn Collector,
    timeout: Duration,
    auth: Option<&BasicAuth>,
) -> Result<()> {
    let body = fastprom::expose::encode_text(registry, EscapingScheme::Underscores)?;
    let request = push_request(method, gateway, job, grouping_key, body, None)?;
    send(&request, timeout, auth).map(drop)
}

/// Sorts a ureq error into the variant that says what happened.
fn from_ureq(e: ureq::Error, method: PushMethod, url: &str, timeout: Duration) -> Error {
    match e {
        ureq::Error::Timeout(_) => Error::Timeout { method, url: url.to_owned(), timeout },
        ureq::Error::Io(io) => from_io(io, method, url, timeout),
        ureq::Error::HostNotFound => {
            Error::Connect { method, url: url.to_owned(), reason: "the host name does not resolve".to_owned() }
        }
        ureq::Error::ConnectionFailed => Error::Connect { method, url: url.to_owned(), reason: e.to_string() },
        ureq::Error::BadUri(reason) => Error::InvalidUrl { url: url.to_owned(), reason },
        ureq::Error::Http(e) => Error::InvalidUrl { url: url.to_owned(), reason: e.to_string() },
        other => Error::Transport { method, url: url.to_owned(), reason: other.to_string() },
    }
}

/// Sorts an I/O error (while connecting, sending, or reading the answer).
fn from_io(e: std::io::Error, method: PushMethod, url: &str, timeout: Duration) -> Error {
    use std::io::ErrorKind;
    let url = url.to_owned();
    // ureq hands its own timeouts out of a body reader wrapped in an io::Error.
    let ureq_timeout = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
    match e.kind() {
        _ if ureq_timeout => Error::Timeout { method, url, timeout },
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Error::Timeout { method, url, timeout },
        ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable | ErrorKind::NotFound => {
            Error::Connect { method, url, reason: e.to_string() }
        }
        _ => Error::Transport { method, url, reason: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_only() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(retry_after("0"), Some(Duration::ZERO));
        assert_eq!(retry_after("999999"), Some(Duration::from_secs(86_400)));
        assert_eq!(retry_after("-1"), None);
        assert_eq!(retry_after("NaN"), None);
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
