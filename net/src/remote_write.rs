//! Remote write over HTTP: the core's request bodies
//! ([`fastprom::remote_write::build`]) sent with ureq, as [`push::send`](crate::push::send)
//! sends Pushgateway requests (one timeout for the whole exchange, no redirects, the same
//! errors), over HTTPS with the webpki roots or the CAs of a [`RemoteWriteOptions::ca_file`].
//!
//! [`remote_write`] sends once, now; [`RemoteWriteSender`] sends every interval from a
//! thread of its own, with a bounded queue, retries and its own metrics. The C face's
//! `fastprom_remote_write` sits on [`remote_write`], its background sender on
//! [`RemoteWriteSender`].

mod metrics;
mod retry;
mod sender;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fastprom::push::PushMethod;
use fastprom::remote_write::{build, RemoteWriteConfig, WriteBody, HEADERS};
use fastprom::Collector;

use crate::push::{agent, Exchange, Refused, TlsSettings};
use crate::{BasicAuth, Error, Result};

pub use sender::{RemoteWriteSender, SenderConfig};

/// How [`send_bodies`], [`remote_write`] and [`RemoteWriteSender`] reach the receiver.
#[derive(Debug, Clone)]
pub struct RemoteWriteOptions {
    /// Added to every request after the protocol's own (such as `X-Scope-OrgID`).
    pub headers: Vec<(String, String)>,
    /// HTTP Basic credentials.
    pub basic_auth: Option<BasicAuth>,
    /// A bearer token (`Authorization: Bearer ...`), instead of Basic credentials.
    pub bearer_token: Option<String>,
    /// The longest a request's whole exchange may take.
    pub timeout: Duration,
    /// A PEM file of one or more CA certificates: an `https` receiver's certificate must
    /// chain to one of them, and only to them (the webpki roots are not used then). Read
    /// when the client is made: a file that cannot be read, or that holds no usable
    /// certificate, is an [`Error::Tls`]. Needs the `push-tls` feature.
    pub ca_file: Option<PathBuf>,
}

impl Default for RemoteWriteOptions {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            basic_auth: None,
            bearer_token: None,
            timeout: Duration::from_secs(30),
            ca_file: None,
        }
    }
}

/// The headers of every request: the protocol's, then `opts.headers`, then a bearer token.
pub fn request_headers(opts: &RemoteWriteOptions) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = HEADERS.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    headers.push(("User-Agent".to_owned(), "fastprom".to_owned()));
    headers.extend(opts.headers.iter().cloned());
    if let Some(token) = &opts.bearer_token {
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    headers
}

/// POSTs each body to `url` in turn and returns the number of series sent; the first
/// failure ends it (the requests before it were sent). Errors as
/// [`push::send`](crate::push::send)'s, and [`Error::Tls`] for a `ca_file` that cannot be
/// used.
pub fn send_bodies(url: &str, bodies: &[WriteBody], opts: &RemoteWriteOptions) -> Result<usize> {
    let client = Client::new(opts)?;
    let mut series = 0;
    for body in bodies {
        client.post(url, &body.body, opts.timeout).map_err(|refused| refused.error)?;
        series += body.series;
    }
    Ok(series)
}

/// Sends everything `collector` exposes now to `url` (stamped `now_ms`), shaped by
/// `config`; the number of series sent.
///
/// ```no_run
/// use fastprom::remote_write::RemoteWriteConfig;
/// use fastprom::{Counter, Registry};
/// use fastprom_net::remote_write::{remote_write, RemoteWriteOptions};
///
/// let registry = Registry::new();
/// let jobs = Counter::new("jobs", "Jobs run.")?;
/// registry.register(jobs.clone())?;
/// jobs.inc();
/// let opts = RemoteWriteOptions { ca_file: Some("/etc/ssl/my-ca.pem".into()), ..Default::default() };
/// let config = RemoteWriteConfig::new().external_labels([("job", "nightly")]);
/// let now_ms = 1_700_000_000_000;
/// let series = remote_write(&registry, "https://mimir:9009/api/v1/push", now_ms, &config, &opts)?;
/// assert_eq!(series, 2); // jobs_total and jobs_created
/// # Ok::<(), fastprom_net::Error>(())
/// ```
pub fn remote_write(
    collector: &dyn Collector,
    url: &str,
    now_ms: i64,
    config: &RemoteWriteConfig,
    opts: &RemoteWriteOptions,
) -> Result<usize> {
    let bodies = build(collector, now_ms, config)?;
    send_bodies(url, &bodies, opts)
}

/// What sends the requests: one HTTP agent (which keeps connections between requests,
/// with the CA file read once), the headers, the credentials and the timeout.
pub(crate) struct Client {
    agent: ureq::Agent,
    headers: Vec<(String, String)>,
    authorization: Option<String>,
    timeout: Duration,
}

impl Client {
    /// A client for `opts`; reads `opts.ca_file` now.
    pub(crate) fn new(opts: &RemoteWriteOptions) -> Result<Self> {
        if opts.basic_auth.is_some() && opts.bearer_token.is_some() {
            return Err(invalid_option("basic_auth and bearer_token exclude each other".to_owned()));
        }
        for (name, value) in &opts.headers {
            // An HTTP token (RFC 9110) for the name, no control bytes but tab in the value:
            // otherwise every request would fail, and the receiver would get the blame.
            let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            if name.is_empty() || !name.bytes().all(token) {
                return Err(invalid_option(format!("{name:?} is not a valid HTTP header name")));
            }
            if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(invalid_option(format!("the value of header {name} holds a control character")));
            }
        }
        let tls = tls_settings(opts.ca_file.as_deref())?;
        Ok(Self {
            agent: agent(opts.timeout, tls),
            headers: request_headers(opts),
            authorization: opts.basic_auth.as_ref().map(BasicAuth::header_value),
            timeout: opts.timeout,
        })
    }

    /// The options' timeout for one request.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs one body, waiting at most `timeout` for the whole exchange.
    pub(crate) fn post(&self, url: &str, body: &[u8], timeout: Duration) -> std::result::Result<(), Refused> {
        let exchange = Exchange {
            method: PushMethod::Post,
            url,
            headers: &self.headers,
            authorization: self.authorization.as_deref(),
            body,
        };
        exchange.send(&self.agent, timeout).map(drop)
    }
}

/// The client's TLS settings: only the CAs of `ca_file` as roots when given, else ureq's
/// defaults.
fn tls_settings(ca_file: Option<&Path>) -> Result<Option<TlsSettings>> {
    let Some(path) = ca_file else { return Ok(None) };
    #[cfg(feature = "push-tls")]
    {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};
        let certs = crate::exposer::tls::read_ca_file(path)?;
        let roots: Vec<Certificate<'static>> =
            certs.iter().map(|der| Certificate::from_der(der.as_ref()).to_owned()).collect();
        Ok(Some(TlsConfig::builder().root_certs(RootCerts::new_with_certs(&roots)).build()))
    }
    #[cfg(not(feature = "push-tls"))]
    Err(Error::Tls { reason: format!("a CA file ({}) needs fastprom-net's `push-tls` feature", path.display()) })
}

/// Checks that `url` is one the client can send to: an absolute `http` or `https` URL
/// with a host (`https` only with the `push-tls` feature).
pub(crate) fn check_url(url: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidUrl { url: url.to_owned(), reason: reason.to_owned() };
    let uri: ureq::http::Uri = url.parse().map_err(|e: ureq::http::uri::InvalidUri| invalid(&e.to_string()))?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => {}
        Some(s) if s.eq_ignore_ascii_case("https") => {
            if !cfg!(feature = "push-tls") {
                return Err(invalid("https needs fastprom-net's `push-tls` feature"));
            }
        }
        Some(_) => return Err(invalid("the scheme must be http or https")),
        None => return Err(invalid("not an absolute URL (such as http://host:9090/api/v1/write)")),
    }
    if uri.host().map_or(true, str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(())
}

/// The error for an option the client cannot work with.
fn invalid_option(what: String) -> crate::Error {
    crate::Error::Core(fastprom::Error::InvalidArgument(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("http://127.0.0.1:9090/api/v1/write").is_ok());
        assert!(check_url("HTTP://receiver/api/v1/push").is_ok());
        for (url, why) in [
            ("ftp://host/x", "scheme"),
            ("/api/v1/write", "absolute"),
            ("127.0.0.1:9090", "absolute"),
            ("http://exa mple/", "invalid"),
        ] {
            match check_url(url) {
                Err(Error::InvalidUrl { reason, .. }) => assert!(reason.contains(why), "{url}: {reason}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_ca_file_is_a_tls_error() {
        let opts = RemoteWriteOptions { ca_file: Some("/nonexistent/ca.pem".into()), ..Default::default() };
        match Client::new(&opts) {
            Err(Error::Tls { reason }) => assert!(reason.contains("/nonexistent/ca.pem"), "{reason}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
