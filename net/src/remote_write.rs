//! Remote write over HTTP: the core's request bodies
//! ([`fastprom::remote_write::build`]) sent with ureq, as [`push::send`](crate::push::send)
//! sends Pushgateway requests (one timeout for the whole exchange, no redirects, the same
//! errors). The C face's `fastprom_remote_write` sits on [`remote_write`].

use std::time::Duration;

use fastprom::push::{PushMethod, PushRequest};
use fastprom::remote_write::{build, RemoteWriteConfig, WriteBody, HEADERS};
use fastprom::Collector;

use crate::push::send;
use crate::{BasicAuth, Result};

/// How [`send_bodies`] and [`remote_write`] reach the receiver.
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
}

impl Default for RemoteWriteOptions {
    fn default() -> Self {
        Self { headers: Vec::new(), basic_auth: None, bearer_token: None, timeout: Duration::from_secs(30) }
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
/// [`push::send`](crate::push::send)'s.
pub fn send_bodies(url: &str, bodies: &[WriteBody], opts: &RemoteWriteOptions) -> Result<usize> {
    let headers = request_headers(opts);
    let mut series = 0;
    for body in bodies {
        let request = PushRequest {
            method: PushMethod::Post,
            url: url.to_owned(),
            headers: headers.clone(),
            body: body.body.clone(),
        };
        send(&request, opts.timeout, opts.basic_auth.as_ref())?;
        series += body.series;
    }
    Ok(series)
}

/// Sends everything `collector` exposes now to `url` (stamped `now_ms`), shaped by
/// `config`; the number of series sent.
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
