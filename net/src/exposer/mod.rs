//! The `/metrics` exposer: a registry served over HTTP/1.1 from a background thread, as
//! prometheus_client's `start_http_server` serves it (see [`handler`] for the answers).
//!
//! The thread runs a one-thread tokio runtime with hyper. It is bounded: at most
//! [`ExposerConfig::max_connections`] connections are served at once (more wait in the
//! listen backlog), a client has [`ExposerConfig::header_timeout`] to send its request
//! headers (and may sit idle that long between requests on a kept-alive connection), and
//! a response write that makes no progress for [`ExposerConfig::write_timeout`] closes the
//! connection. Collectors run on tokio's blocking threads, so a slow one holds up only its
//! own scrape.

mod handler;
mod query;
mod source;
mod stall;

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

pub use source::Source;

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
    header_timeout: Duration,
    write_timeout: Duration,
    shutdown_grace: Duration,
    auth: Option<BasicAuth>,
    compress: bool,
}

impl ExposerConfig {
    /// Listen on `host` (a name or an IP address; an IPv6 address may be in brackets) and
    /// `port` (`0`: a free port, see [`Exposer::local_addr`]). The first address `host`
    /// resolves to that can be bound is used.
    ///
    /// Defaults: 64 connections, a 10 s header timeout, a 30 s write timeout, a 2 s
    /// shutdown grace, no authentication, gzip when the client accepts it.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            max_connections: 64,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(2),
            auth: None,
            compress: true,
        }
    }

    /// At most `n` connections served at once (at least 1); further clients wait in the
    /// listen backlog until one closes.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
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
        let listener = config.bind()?;
        let addr = listener.local_addr().map_err(|source| Error::Start { source })?;
        listener.set_nonblocking(true).map_err(|source| Error::Start { source })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(config.max_connections)
            .thread_name("fastprom-exposer-scrape")
            .build()
            .map_err(|source| Error::Start { source })?;
        let shared = Arc::new(Shared { source: source.into(), auth: config.auth.clone(), compress: config.compress });
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("fastprom-exposer".to_owned())
            .spawn(move || {
                let grace = config.shutdown_grace;
                runtime.block_on(serve(listener, shared, config, stopped));
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
async fn serve(listener: TcpListener, shared: Arc<Shared>, config: ExposerConfig, mut stop: watch::Receiver<bool>) {
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
        connections.spawn(async move {
            connection(stream, shared, &config, stop).await;
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
/// exposer stops (then the answer in progress is finished first).
async fn connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    config: &ExposerConfig,
    mut stop: watch::Receiver<bool>,
) {
    let io = TokioIo::new(WriteStall::new(stream, config.write_timeout));
    let service = service_fn(move |req| handler::handle(req, Arc::clone(&shared)));
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(config.header_timeout).keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = stopped(&mut stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
