//! The one error type of the I/O crate.
//!
//! [`Error`] wraps the core's [`fastprom::Error`] (a collector that failed during a push,
//! a grouping key the core rejects) and adds what only I/O can go wrong with: a port that
//! cannot be bound, a gateway that refuses or never answers, an answer outside 2xx. Each
//! variant carries its facts as fields (the URL, the method, the status code and the
//! server's own text), so the C face can map variants to status codes and every face can
//! show a precise message.

use std::time::Duration;

use fastprom::push::PushMethod;

/// Everything that can go wrong in fastprom-net.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The core refused an argument or a collector failed while encoding.
    #[error(transparent)]
    Core(#[from] fastprom::Error),

    /// The exposer could not listen on the address it was given.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address as given (host and port).
        addr: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The exposer's thread or its runtime could not be started.
    #[error("cannot start the exposer: {source}")]
    Start {
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A background thread (such as a remote-write sender's) could not be started.
    #[error("cannot start the thread {name}: {source}")]
    Thread {
        /// The thread's name.
        name: &'static str,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// TLS settings that cannot be used: the exposer's certificate or key file that cannot
    /// be read or parsed, a key that does not fit its certificate, no protocol version
    /// left; a client's CA file that cannot be read or holds no usable certificate.
    #[error("TLS: {reason}")]
    Tls {
        /// What is wrong.
        reason: String,
    },

    /// The URL cannot be sent to (not parseable, or a scheme the client does not speak).
    #[error("cannot send to {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as built.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No connection could be made: the host is unknown, or nothing listens on its port.
    #[error("{} {url}: cannot connect: {reason}", method.as_str())]
    Connect {
        /// The request's method.
        method: PushMethod,
        /// The request's URL.
        url: String,
        /// Why, as the system or the HTTP client put it.
        reason: String,
    },

    /// The server did not answer completely within the timeout.
    #[error("{} {url}: no answer within {timeout:?}", method.as_str())]
    Timeout {
        /// The request's method.
        method: PushMethod,
        /// The request's URL.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
    },

    /// The exchange broke off midway, or the answer was not valid HTTP.
    #[error("{} {url}: {reason}", method.as_str())]
    Transport {
        /// The request's method.
        method: PushMethod,
        /// The request's URL.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// The server answered with a status outside 2xx.
    #[error("{} {url}: the server answered {status}: {}", method.as_str(), body.trim_end())]
    Status {
        /// The request's method.
        method: PushMethod,
        /// The request's URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the server's answer (at most [`MAX_ERROR_BODY`] bytes), as text
        /// with invalid UTF-8 replaced.
        body: String,
    },
}

/// How much of an error answer's body [`Error::Status`] keeps.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
