//! The `/metrics` exposer: a registry served over HTTP/1.1 from a background thread, as
//! prometheus_client's `start_http_server` serves it (the private `handler` module makes the answers).
//!
//! The thread runs a one-thread tokio runtime with hyper; a connection costs a task and
//! its buffers, not a thread. It is bounded: at most [`ExposerConfig::max_connections`]
//! connections are served at once (more wait in the listen backlog); a client has
//! [`ExposerConfig::header_timeout`] to finish the TLS handshake and then to send its
//! request headers (and may sit idle that long between requests on a kept-alive
//! connection), at most [`ExposerConfig::max_header_bytes`] of them, and
//! [`ExposerConfig::body_timeout`] to send a body of at most 64 KiB, which is read and
//! dropped; a response write that makes no progress for [`ExposerConfig::write_timeout`]
//! closes the connection. Collectors (and a [`Responder`]) run on at most
//! [`ExposerConfig::max_scrapes`] blocking threads, so a slow one holds up only its own
//! scrape, and a flood of scrapes queues instead of starting threads.
//!
//! With [`ExposerConfig::tls`] it speaks HTTPS only (rustls, see [`TlsConfig`]): the
//! handshake runs in the connection's task, so a client that connects and says nothing, or
//! speaks plain HTTP, holds its own connection until the header timeout and nothing else.

mod handler;
mod query;
mod respond;
mod source;
mod stall;
pub(crate) mod tls;

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

pub use respond::{Answer, Request, Responder};
pub use source::Source;
pub use tls::{TlsConfig, TlsVersion};

use crate::{BasicAuth, Error, Result};
use handler::Shared;
use stall::WriteStall;

/// How an [`Exposer`] listens and what it allows. Built with [`ExposerConfig::new`] and
/// the chained setters.
#[derive(Debug, Clone)]
pub struct ExposerConfig {
    host: String,
    port: u16,
    max_connections: usize,
    max_scrapes: usize,
    max_header_bytes: usize,
    header_timeout: Duration,
    body_timeout: Duration,
    write_timeout: Duration,
    shutdown_grace: Duration,
    auth: Option<BasicAuth>,
    compress: bool,
    tls: Option<TlsConfig>,
    title_case: bool,
}

impl ExposerConfig {
    /// Listen on `host` (a name or an IP address; an IPv6 address may be in brackets) and
    /// `port` (`0`: a free port, see [`Exposer::local_addr`]). The first address `host`
    /// resolves to that can be bound is used.
    ///
    /// Defaults: 1024 connections, 4 scrapes at once, 64 KiB of request headers, a 10 s
    /// header timeout, a 10 s body timeout, a 30 s write timeout, a 2 s shutdown grace,
    /// plain HTTP, no authentication, gzip when the client accepts it.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            max_connections: 1024,
            max_scrapes: 4,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(2),
            auth: None,
            compress: true,
            tls: None,
            title_case: false,
        }
    }

    /// At most `n` connections served at once (at least 1); further clients wait in the
    /// listen backlog until one closes. Idle and slow connections count too, so keep it
    /// well above the number of scrapers: a slow client holds a slot only until the header
    /// timeout.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// At most `n` scrapes (collector runs) at once, each on a thread of its own (1 to
    /// 1024); further scrapes wait for a thread.
    pub fn max_scrapes(mut self, n: usize) -> Self {
        self.max_scrapes = n.clamp(1, 1024);
        self
    }

    /// At most `n` bytes of request line and headers (at least 8 KiB); a larger request
    /// gets `431` and the connection is closed.
    pub fn max_header_bytes(mut self, n: usize) -> Self {
        self.max_header_bytes = n.max(8 * 1024);
        self
    }

    /// How long a client may take to send a request body (read and dropped; at most 64
    /// KiB, more gets `413`). A client that overruns gets `408` and the connection is
    /// closed. At least 1 ms.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Write response header names in title case (`Content-Type`), as Python's
    /// `http.server` does, instead of lower case.
    pub fn title_case_headers(mut self, title_case: bool) -> Self {
        self.title_case = title_case;
        self
    }

    /// Serve HTTPS only, with this certificate and these client-certificate rules.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// How long a client may take to send a request's headers, counted from the moment
    /// the exposer waits for them: from the connection's start, and after each answer on
    /// a kept-alive connection. A connection that overruns is closed. At least 1 ms.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long writing an answer may make no progress (a client that stops reading)
    /// before the connection is closed. At least 1 ms.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long [`Exposer::shutdown`] lets answers in progress finish before it drops
    /// their connections, and then how long it waits for scrapes still in a collector
    /// (at least 100 ms, so the idle scrape threads are always joined).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Require these HTTP Basic credentials on every request.
    pub fn basic_auth(mut self, auth: BasicAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Never gzip answers, whatever the client accepts (prometheus_client's
    /// `disable_compression`).
    pub fn disable_compression(mut self, disable: bool) -> Self {
        self.compress = !disable;
        self
    }

    fn bind(&self) -> Result<TcpListener> {
        let host = self.host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(&self.host);
        let shown = || {
            if host.contains(':') {
                format!("[{host}]:{}", self.port)
            } else {
                format!("{host}:{}", self.port)
            }
        };
        let addrs: Vec<SocketAddr> =
            (host, self.port).to_socket_addrs().map_err(|source| Error::Bind { addr: shown(), source })?.collect();
        TcpListener::bind(&addrs[..]).map_err(|source| Error::Bind { addr: shown(), source })
    }
}

/// A running exposer. [`Exposer::shutdown`] (or dropping it) stops it.
///
/// ```
/// use std::io::{Read, Write};
/// use fastprom::{Counter, Registry};
/// use fastprom_net::{Exposer, ExposerConfig};
///
/// let registry = Registry::new();
/// let hits = Counter::new("hits", "Hits.")?;
/// registry.register(hits.clone())?;
/// hits.inc();
///
/// let mut exposer = Exposer::start(registry, ExposerConfig::new("127.0.0.1", 0))?;
/// let mut conn = std::net::TcpStream::connect(exposer.local_addr()).expect("connect");
/// conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("send");
/// let mut answer = String::new();
/// conn.read_to_string(&mut answer).expect("read");
/// assert!(answer.starts_with("HTTP/1.1 200 OK"));
/// assert!(answer.contains("content-type: text/plain; version=0.0.4; charset=utf-8"));
/// assert!(answer.contains("\nhits_total 1.0\n"));
/// exposer.shutdown();
/// # Ok::<(), fastprom_net::Error>(())
/// ```
#[derive(Debug)]
pub struct Exposer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Exposer {
    /// Binds the address, then serves `source` from a new thread named
    /// `fastprom-exposer`. Binding happens before this returns, so a taken port is an
    /// [`Error::Bind`] here, not a failure in the background.
    pub fn start(source: impl Into<Source>, config: ExposerConfig) -> Result<Self> {
        let tls = config.tls.as_ref().map(TlsConfig::build).transpose()?.map(tokio_rustls::TlsAcceptor::from);
        let listener = config.bind()?;
        let addr = listener.local_addr().map_err(|source| Error::Start { source })?;
        listener.set_nonblocking(true).map_err(|source| Error::Start { source })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(config.max_scrapes)
            .thread_name("fastprom-exposer-scrape")
            .build()
            .map_err(|source| Error::Start { source })?;
        let shared = Arc::new(Shared {
            source: source.into(),
            auth: config.auth.clone(),
            compress: config.compress,
            body_timeout: config.body_timeout,
            scrapes: Arc::new(Semaphore::new(config.max_scrapes)),
        });
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("fastprom-exposer".to_owned())
            .spawn(move || {
                let grace = config.shutdown_grace;
                runtime.block_on(serve(listener, shared, config, tls, stopped));
                // Joins the blocking pool's threads (idle ones exit at once). A scrape still
                // stuck in a collector after the grace is left to finish on its own.
                runtime.shutdown_timeout(grace.max(Duration::from_millis(100)));
            })
            .map_err(|source| Error::Start { source })?;
        Ok(Self { addr, stop, thread: Some(thread) })
    }

    /// The address the exposer listens on (with the port picked when `0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, closes the listening socket (the port is free again
    /// when this returns), lets answers in progress finish within the shutdown grace,
    /// closes every connection, and joins the thread. Calling it again does nothing.
    pub fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            // The thread cannot panic: every task's panic stays inside tokio.
            let _ = thread.join();
        }
    }
}

impl Drop for Exposer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Resolves once the exposer is told to stop (or its handle is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// The accept loop, then the shutdown of every connection.
async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    config: ExposerConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a little rather than spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let stop = stop.clone();
        let config = config.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            connection(stream, shared, &config, tls, stop).await;
            drop(slot);
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(config.shutdown_grace, drained).await;
    connections.abort_all();
}

/// Serves one connection until the client closes it, a timeout closes it, or the
/// exposer stops (then the answer in progress is finished first). With TLS, the handshake
/// comes first, under the header timeout.
async fn connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    config: &ExposerConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(acceptor) = tls else {
        let io = WriteStall::new(stream, config.write_timeout);
        return http(TokioIo::new(io), shared, config, stop).await;
    };
    // Every TLS connection opens with a handshake record (0x16). Anything else is most
    // likely plain HTTP sent to the HTTPS port: it gets a plain 400 saying so, as Go's
    // servers answer, rather than a TLS alert a browser would show as garbage.
    // One deadline for the first byte and the whole handshake.
    let deadline = tokio::time::Instant::now() + config.header_timeout;
    let mut first = [0u8; 1];
    let peeked = tokio::select! {
        peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first)) => peeked,
        () = stopped(&mut stop) => return,
    };
    match peeked {
        Ok(Ok(1)) if first[0] == 0x16 => {}
        Ok(Ok(1)) if first[0].is_ascii_uppercase() => {
            let mut stream = stream;
            let answer =
                b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n\
                           Client sent an HTTP request to an HTTPS server.\n";
            let _ =
                tokio::time::timeout(config.write_timeout, tokio::io::AsyncWriteExt::write_all(&mut stream, answer))
                    .await;
            return;
        }
        _ => return,
    }
    let io = WriteStall::new(stream, config.write_timeout);
    let handshake = tokio::time::timeout_at(deadline, acceptor.accept(io));
    let stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            // Not TLS, a certificate refused, or too slow: the client hears nothing more.
            Ok(Err(_)) | Err(_) => return,
        },
        () = stopped(&mut stop) => return,
    };
    http(TokioIo::new(stream), shared, config, stop).await;
}

/// HTTP/1.1 on an established connection.
async fn http<I>(io: I, shared: Arc<Shared>, config: &ExposerConfig, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| handler::handle(req, Arc::clone(&shared)));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_header_size(config.max_header_bytes)
        .title_case_headers(config.title_case)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = stopped(&mut stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
