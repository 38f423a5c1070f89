//! Answers made by the face that starts the exposer. The Python binding serves
//! prometheus_client's `start_http_server` this way: the exposer owns the sockets, TLS,
//! limits and timeouts, and hands each request that passed them to a [`Responder`], which
//! computes the answer the way the face's own WSGI app would.

/// One request, as a [`Responder`] sees it. Header values are read as Latin-1, repeated
/// headers joined with `,` (as wsgiref builds `HTTP_*` variables).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, such as `GET`.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The query string (without `?`), empty when there is none.
    pub query: &'a str,
    /// The `Accept` header.
    pub accept: Option<&'a str>,
    /// The `Accept-Encoding` header.
    pub accept_encoding: Option<&'a str>,
}

/// What a [`Responder`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Response headers, values as Latin-1 text.
    pub headers: Vec<(String, String)>,
    /// The body (sent for every method but `HEAD`).
    pub body: Vec<u8>,
}

/// Computes answers for an [`Exposer`](super::Exposer) started with
/// [`Source::Responder`](super::Source::Responder).
pub trait Responder: Send + Sync {
    /// Answers one request. Called on one of the exposer's scrape threads (at most
    /// [`ExposerConfig::max_scrapes`](super::ExposerConfig::max_scrapes) at once), never
    /// on the thread that serves the connections, after Basic authentication passed.
    fn respond(&self, request: &Request<'_>) -> Answer;
}
