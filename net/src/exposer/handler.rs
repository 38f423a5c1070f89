//! One HTTP request to the exposer, answered as prometheus_client 0.26's
//! `start_http_server` (its WSGI app) answers it, plus HEAD and Basic authentication.
//!
//! * `GET` on any path: the scrape (`/favicon.ico`: `200` with an empty body, for
//!   browsers); `Content-Type` from content negotiation, `Content-Encoding: gzip` when
//!   `Accept-Encoding` allows it, the `name[]` query filter.
//! * `HEAD`: the same status and headers as `GET`, without the body. **Deviation:**
//!   prometheus_client answers `HEAD` with `405`.
//! * `OPTIONS`: `200`, an `Allow` header and an empty body.
//! * Any other method: `405` with an `Allow` header and a one-line `# HTTP 405 ...` body.
//!   **Deviation:** `Allow` (and the body's hint) name `HEAD` too, since it is served.
//! * With Basic authentication configured, every request first needs the credentials;
//!   without them the answer is `401` with `WWW-Authenticate: Basic realm="fastprom"`.
//! * A collector that fails (or panics) gives `500` with the error in the body.
//! * A request body is read and dropped first: over 64 KiB gives `413`, one not sent
//!   within the body timeout `408`, and both close the connection.
//! * A [`Source::Responder`] answers every request that passed authentication itself.
//!
//! Header values are read as Latin-1 and repeated headers joined with `,`, as wsgiref
//! builds `HTTP_ACCEPT` and `HTTP_ACCEPT_ENCODING`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::query::{is_favicon, name_filter};
use super::respond::{self, Responder};
use super::source::{render, Source};
use crate::BasicAuth;

/// The largest request body read (and dropped).
const MAX_BODY: usize = 64 * 1024;

/// The methods the exposer serves, for `Allow`.
const ALLOW: &str = "OPTIONS,GET,HEAD";

/// What every request of one exposer shares.
pub(crate) struct Shared {
    pub(crate) source: Source,
    pub(crate) auth: Option<BasicAuth>,
    pub(crate) compress: bool,
    pub(crate) body_timeout: Duration,
    /// One permit per scrape that may run at once. Taken before the blocking task is
    /// spawned, so a client that goes away while waiting leaves nothing queued behind it.
    pub(crate) scrapes: Arc<tokio::sync::Semaphore>,
}

/// A response body.
pub(crate) type Body = Full<Bytes>;

/// Answers one request.
pub(crate) async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Response<Body>, Infallible> {
    let (parts, body) = req.into_parts();
    if let Some(refused) = drain(body, shared.body_timeout).await {
        return Ok(refused);
    }
    let req = Request::from_parts(parts, ());
    if let Some(auth) = &shared.auth {
        if !req.headers().get_all(header::AUTHORIZATION).iter().any(|v| auth.accepts(v.as_bytes())) {
            return Ok(respond(
                StatusCode::UNAUTHORIZED,
                &[
                    (header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"fastprom\", charset=\"UTF-8\"")),
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
                ],
                b"# HTTP 401 Unauthorized: credentials needed\n".to_vec(),
            ));
        }
    }
    if let Source::Responder(responder) = &shared.source {
        return Ok(answer(&req, Arc::clone(responder), &shared).await);
    }
    let method = req.method();
    if method == Method::OPTIONS {
        return Ok(respond(StatusCode::OK, &[(header::ALLOW, HeaderValue::from_static(ALLOW))], Vec::new()));
    }
    if method != Method::GET && method != Method::HEAD {
        let body = format!("# HTTP 405 Method Not Allowed: {method}; use OPTIONS, GET or HEAD\n");
        return Ok(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            &[(header::ALLOW, HeaderValue::from_static(ALLOW))],
            body.into_bytes(),
        ));
    }
    if is_favicon(req.uri().path()) {
        return Ok(respond(StatusCode::OK, &[], Vec::new()));
    }
    Ok(scrape(&req, shared).await)
}

/// Renders the scrape on a blocking thread: collectors are user code and may take their
/// time without holding up the connections the runtime thread serves.
async fn scrape(req: &Request<()>, shared: Arc<Shared>) -> Response<Body> {
    let accept = latin1_header(req.headers(), header::ACCEPT);
    let accept_encoding = latin1_header(req.headers(), header::ACCEPT_ENCODING);
    let names = name_filter(req.uri().query());
    let on_thread = Arc::clone(&shared);
    let rendered = on_scrape_thread(&shared, "a collector panicked", "the scrape was cancelled", move || {
        render(&on_thread.source, accept.as_deref(), accept_encoding.as_deref(), names, on_thread.compress)
    })
    .await;
    let error = match rendered {
        Err(refused) => return refused,
        Ok(Ok(scrape)) => {
            let mut headers = Vec::with_capacity(2);
            match HeaderValue::from_bytes(&latin1_bytes(&scrape.content_type)) {
                Ok(v) => headers.push((header::CONTENT_TYPE, v)),
                Err(_) => return server_error("the negotiated Content-Type is not a valid header value"),
            }
            if scrape.gzipped {
                headers.push((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            }
            return respond(StatusCode::OK, &headers, scrape.body);
        }
        Ok(Err(e)) => e.to_string(),
    };
    server_error(&error)
}

/// Runs `f` on one of the scrape threads once a scrape permit is free (waiting for it is
/// cancellable, so a client that leaves queues nothing); a `500` saying `panicked` or
/// `cancelled` when `f` does not return.
async fn on_scrape_thread<T: Send + 'static>(
    shared: &Shared,
    panicked: &str,
    cancelled: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response<Body>> {
    let Ok(permit) = Arc::clone(&shared.scrapes).acquire_owned().await else {
        return Err(server_error("the exposer is stopping"));
    };
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await;
    done.map_err(|join| server_error(if join.is_panic() { panicked } else { cancelled }))
}

/// Reads a request body to its end and drops it; an answer that closes the connection
/// when it is too large or too slow.
async fn drain(body: Incoming, timeout: Duration) -> Option<Response<Body>> {
    if body.is_end_stream() {
        return None;
    }
    let (status, why) = match tokio::time::timeout(timeout, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(_)) => return None,
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            (StatusCode::PAYLOAD_TOO_LARGE, "the request body is over 64 KiB")
        }
        Ok(Err(_)) => (StatusCode::BAD_REQUEST, "the request body broke off"),
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time"),
    };
    Some(respond(
        status,
        &[
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
            (header::CONNECTION, HeaderValue::from_static("close")),
        ],
        format!("# HTTP {status}: {why}\n").into_bytes(),
    ))
}

/// A [`Responder`]'s answer, computed on a scrape thread.
async fn answer(req: &Request<()>, responder: Arc<dyn Responder>, shared: &Shared) -> Response<Body> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let accept = latin1_header(req.headers(), header::ACCEPT);
    let accept_encoding = latin1_header(req.headers(), header::ACCEPT_ENCODING);
    let answered = on_scrape_thread(shared, "the responder panicked", "the answer was cancelled", move || {
        responder.respond(&respond::Request {
            method: &method,
            path: &path,
            query: &query,
            accept: accept.as_deref(),
            accept_encoding: accept_encoding.as_deref(),
        })
    })
    .await;
    let answer = match answered {
        Ok(answer) => answer,
        Err(refused) => return refused,
    };
    let Ok(status) = StatusCode::from_u16(answer.status) else {
        return server_error("the responder gave an invalid status code");
    };
    let mut headers = Vec::with_capacity(answer.headers.len());
    for (name, value) in &answer.headers {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(&latin1_bytes(value))) {
            (Ok(name), Ok(value)) => headers.push((name, value)),
            _ => return server_error("the responder gave an invalid header"),
        }
    }
    respond(status, &headers, answer.body)
}

fn server_error(why: &str) -> Response<Body> {
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        &[(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
        format!("# HTTP 500 Internal Server Error: {why}\n").into_bytes(),
    )
}

fn respond(status: StatusCode, headers: &[(HeaderName, HeaderValue)], body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    for (name, value) in headers {
        response.headers_mut().append(name, value.clone());
    }
    response
}

/// Every value of a header, each byte read as one Latin-1 character, joined with `,`;
/// `None` when the header is absent.
fn latin1_header(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    let mut joined: Option<String> = None;
    for value in headers.get_all(name) {
        let text = match &mut joined {
            Some(text) => {
                text.push(',');
                text
            }
            None => joined.insert(String::with_capacity(value.len())),
        };
        text.extend(value.as_bytes().iter().map(|&b| char::from(b)));
    }
    joined
}

/// A string built from [`latin1_header`] text back to its bytes (characters above U+00FF,
/// which such text cannot hold, as UTF-8).
fn latin1_bytes(text: &str) -> Vec<u8> {
    if text.is_ascii() {
        return text.as_bytes().to_vec();
    }
    match text.chars().map(|c| u8::try_from(c).ok()).collect::<Option<Vec<u8>>>() {
        Some(bytes) => bytes,
        None => text.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_headers_are_joined_as_latin1() {
        let mut headers = HeaderMap::new();
        assert_eq!(latin1_header(&headers, header::ACCEPT), None);
        headers.append(header::ACCEPT, HeaderValue::from_static("text/plain"));
        headers.append(
            header::ACCEPT,
            HeaderValue::from_bytes(b"application/openmetrics-text;version=1\xe9")
                .expect("obs-text is a valid header value"),
        );
        let joined = latin1_header(&headers, header::ACCEPT).expect("the header is there");
        assert_eq!(joined, "text/plain,application/openmetrics-text;version=1\u{e9}");
        assert_eq!(latin1_bytes(&joined), b"text/plain,application/openmetrics-text;version=1\xe9");
    }
}
