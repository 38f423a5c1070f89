//! The background sender: a thread that collects a registry every interval into a batch of
//! remote-write requests, keeps the batches in a bounded queue and sends them oldest first,
//! retrying what is worth retrying. It behaves as the Python face's `RemoteWriteSender`:
//!
//! - at most `max_queue` batches wait; when the queue is full the oldest is dropped;
//! - a 5xx, a 429, no connection, no answer in time or a broken exchange is retried after
//!   a backoff (0.5 s doubling up to `max_retry_delay`, with jitter, or longer when the
//!   receiver's `Retry-After` asks for it); any other answer outside 2xx drops the batch
//!   (the receiver will never take it);
//! - every outcome is counted in the sender's own metrics, and the last failure is kept as
//!   a message ([`RemoteWriteSender::last_error`]);
//! - [`RemoteWriteSender::close`] (also run on drop) collects one last time and sends what
//!   is queued within its deadline; what is left is counted as dropped (`shutdown`).
//!
//! The thread sleeps on a condition variable between ticks and retries, so closing or
//! flushing wakes it at once. The collector runs on the sender's thread (and on the thread
//! calling [`flush`](RemoteWriteSender::flush) or [`close`](RemoteWriteSender::close)),
//! never while a lock of the sender is held.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fastprom::remote_write::{Builder, RemoteWriteConfig, Scratch, WriteBody};
use fastprom::{Collector, Registry};
use parking_lot::{Condvar, Mutex};

use super::metrics::SenderMetrics;
use super::retry::{add_or_far, backoff, deadline_after, retryable};
use super::{check_url, Client, RemoteWriteOptions};
use crate::{Error, Result};

/// How long [`RemoteWriteSender`]'s drop gives [`RemoteWriteSender::close`].
const DROP_DEADLINE: Duration = Duration::from_secs(10);

/// How a [`RemoteWriteSender`] collects, queues and sends.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Time between collections (15 s by default).
    pub interval: Duration,
    /// The most batches (collections) waiting to be sent; when full, the oldest is
    /// dropped (16 by default).
    pub max_queue: usize,
    /// The longest wait before a retry, whatever the backoff or `Retry-After` say (30 s by
    /// default).
    pub max_retry_delay: Duration,
    /// How each collection becomes requests: external labels, metadata, `_created`
    /// series, the size limit.
    pub build: RemoteWriteConfig,
    /// How requests reach the receiver: headers, credentials, timeout, CA file.
    pub options: RemoteWriteOptions,
    /// Where the sender's own metrics are registered, when not in the registry it sends
    /// (see [`RemoteWriteSender::start`]).
    pub metrics_registry: Option<Arc<Registry>>,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15),
            max_queue: 16,
            max_retry_delay: Duration::from_secs(30),
            build: RemoteWriteConfig::new(),
            options: RemoteWriteOptions::default(),
            metrics_registry: None,
        }
    }
}

/// Sends a registry (or any collector) to a remote-write receiver every interval from a
/// thread of its own, until [`close`](Self::close) or drop:
///
/// - each collection is a batch; at most [`SenderConfig::max_queue`] batches wait, and
///   when the queue is full the oldest is dropped;
/// - a 5xx, a 429, no connection, no answer in time or a broken exchange is retried after
///   a backoff (0.5 s doubling up to [`SenderConfig::max_retry_delay`], with jitter, or
///   longer when the receiver's `Retry-After` asks for it); any other answer outside 2xx
///   drops the batch (the receiver will never take it);
/// - every outcome is counted in the sender's metrics, and the last failure is kept as a
///   message ([`last_error`](Self::last_error));
/// - [`close`](Self::close) (also run on drop, with 10 s) collects one last time and
///   sends what is queued within its deadline; what is left is counted as dropped.
///
/// Its metrics, labelled with the `url`, are registered in the registry it sends (so they
/// travel with the data) or in [`SenderConfig::metrics_registry`]; senders sharing a
/// registry share the families:
///
/// - `fastprom_remote_write_requests_total{url, outcome="sent|retried|rejected"}`
/// - `fastprom_remote_write_series_sent_total{url}`
/// - `fastprom_remote_write_batches_dropped_total{url, reason="queue_full|rejected|shutdown"}`
/// - `fastprom_remote_write_queue_batches{url}`
/// - `fastprom_remote_write_last_success_timestamp_seconds{url}`
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use fastprom::{Counter, Registry};
/// use fastprom_net::remote_write::{RemoteWriteSender, SenderConfig};
///
/// let registry = Arc::new(Registry::new());
/// let jobs = Counter::new("jobs", "Jobs run.")?;
/// registry.register(jobs.clone())?;
/// let config = SenderConfig { interval: Duration::from_secs(15), ..Default::default() };
/// let mut sender = RemoteWriteSender::start("http://prometheus:9090/api/v1/write", registry, config)?;
/// jobs.inc();
/// // ... the application runs; at its end:
/// let dropped = sender.close(Duration::from_secs(10));
/// assert_eq!(dropped, 0, "{:?}", sender.last_error());
/// # Ok::<(), fastprom_net::Error>(())
/// ```
pub struct RemoteWriteSender {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RemoteWriteSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriteSender")
            .field("url", &self.shared.url)
            .field("queued", &self.queued())
            .field("closed", &self.thread.is_none())
            .finish()
    }
}

impl RemoteWriteSender {
    /// Starts sending `registry` to `url` (such as `http://prometheus:9090/api/v1/write`),
    /// the first collection at once. The sender's metrics are registered in `registry`,
    /// or in `config.metrics_registry` when set.
    ///
    /// Errors: [`Error::InvalidUrl`] for a URL that is not `http` or `https`,
    /// [`Error::Tls`] for a CA file that cannot be used, [`Error::Core`] with
    /// `InvalidArgument` for a zero interval, queue or retry delay, or with
    /// `DuplicateTimeseries` when the metrics registry already has other metrics of the
    /// sender's names, [`Error::Thread`] when the thread cannot be started.
    pub fn start(url: impl Into<String>, registry: Arc<Registry>, config: SenderConfig) -> Result<Self> {
        let metrics = config.metrics_registry.clone().unwrap_or_else(|| Arc::clone(&registry));
        Self::spawn(url.into(), registry, Some(metrics), config)
    }

    /// As [`start`](Self::start), for any collector (a family, a custom collector, a
    /// binding's own registry); the sender's metrics are registered only in
    /// `config.metrics_registry`, when set.
    pub fn start_collector(
        url: impl Into<String>,
        collector: Arc<dyn Collector>,
        config: SenderConfig,
    ) -> Result<Self> {
        let metrics = config.metrics_registry.clone();
        Self::spawn(url.into(), collector, metrics, config)
    }

    fn spawn(
        url: String,
        source: Arc<dyn Collector>,
        metrics_registry: Option<Arc<Registry>>,
        config: SenderConfig,
    ) -> Result<Self> {
        let invalid = |what: String| Error::Core(fastprom::Error::InvalidArgument(what));
        if config.interval.is_zero() {
            return Err(invalid("the interval must be more than 0".to_owned()));
        }
        if config.max_queue == 0 {
            return Err(invalid("max_queue must be at least 1".to_owned()));
        }
        if config.max_retry_delay.is_zero() {
            return Err(invalid("max_retry_delay must be more than 0".to_owned()));
        }
        check_url(&url)?;
        let client = Client::new(&config.options)?;
        let metrics = SenderMetrics::new(&url, metrics_registry.as_ref())?;
        let shared = Arc::new(Shared {
            url,
            source,
            build: config.build,
            scratch: Mutex::new(None),
            client,
            interval: config.interval,
            max_queue: config.max_queue,
            max_retry_delay: config.max_retry_delay,
            metrics,
            _metrics_registry: metrics_registry,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                sent_in_head: 0,
                next_id: 0,
                last_ms: 0,
                stopping: false,
                kicked: false,
                collect_asked: 0,
                collected: 0,
                collecting: false,
                running: true,
                finished: false,
                last_error: None,
            }),
            wake: Condvar::new(),
            progress: Condvar::new(),
            sending: Mutex::new(0),
        });
        let name = "fastprom-remote-write";
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.run()
            })
            .map_err(|source| Error::Thread { name, source })?;
        Ok(Self { shared, thread: Some(thread) })
    }

    /// The receiver's URL.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// How many batches wait to be sent.
    pub fn queued(&self) -> usize {
        self.shared.state.lock().queue.len()
    }

    /// The last failure, as a message: a request that failed (and whether it will be
    /// retried or its batch was dropped), a collection that failed, a batch dropped from a
    /// full queue or left at close. `None` while nothing has gone wrong. A later success
    /// does not clear it; the metrics tell whether requests succeed now.
    pub fn last_error(&self) -> Option<String> {
        self.shared.state.lock().last_error.clone()
    }

    /// Has the thread collect now, then waits until that collection and everything queued
    /// before it are sent (or dropped as refused) or `timeout` has passed; whether the
    /// queue emptied. `false` at once when the sender is closed. A receiver that keeps
    /// failing leaves the queue as it is until the next retry, which may be later than
    /// `timeout`. The thread does the collecting, so batches keep the order of their
    /// timestamps (a receiver refuses a sample older than one it has).
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = deadline_after(timeout);
        let shared = &self.shared;
        let mut st = shared.state.lock();
        if st.stopping || st.finished || !st.running {
            return false;
        }
        st.collect_asked += 1;
        let asked = st.collect_asked;
        st.kicked = true;
        shared.wake.notify_all();
        loop {
            if st.collected >= asked && st.queue.is_empty() {
                return true;
            }
            if st.finished || !st.running || shared.progress.wait_until(&mut st, deadline).timed_out() {
                return st.collected >= asked && st.queue.is_empty();
            }
        }
    }

    /// Stops the thread, collects one last time and sends what is queued, giving up once
    /// `timeout` has passed; returns how many batches were left unsent (counted as
    /// dropped, `reason="shutdown"`). A request in flight at the deadline is not cut
    /// short: the thread finishes it on its own (within the request timeout) and ends. A
    /// second call does nothing and returns 0.
    pub fn close(&mut self, timeout: Duration) -> usize {
        let Some(thread) = self.thread.take() else { return 0 };
        let deadline = deadline_after(timeout);
        let shared = &self.shared;
        let stopped = {
            let mut st = shared.state.lock();
            st.stopping = true;
            shared.wake.notify_all();
            while st.running && !shared.progress.wait_until(&mut st, deadline).timed_out() {}
            // A collection the thread has begun runs the caller's collector: wait for it
            // whatever the deadline, so that none runs once close has returned (a C
            // program frees what its collector uses right after).
            while st.collecting {
                shared.progress.wait(&mut st);
            }
            !st.running
        };
        if stopped {
            // The thread has left its loop: this returns at once.
            let _ = thread.join();
        }
        // The last collection, with no lock held (the collector is the caller's code). A
        // request still in flight keeps the send lock: then there is no time left to send
        // behind it, and the queue counts as dropped.
        shared.collect();
        if let Some(mut failures) = shared.sending.try_lock_until(deadline) {
            while let Some(delay) = shared.send_locked(&mut failures, Some(deadline)) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(delay.min(left));
            }
        }
        let mut st = shared.state.lock();
        let left = st.queue.len();
        st.queue.clear();
        st.sent_in_head = 0;
        st.finished = true;
        shared.metrics.queued.set(0.0);
        shared.progress.notify_all();
        if left > 0 {
            // A count of batches is far below 2^53: exact as a float.
            let _ = shared.metrics.dropped_shutdown.inc_by(left as f64);
            st.last_error = Some(format!("remote write to {}: {left} batch(es) not sent at close", shared.url));
        }
        left
    }
}

impl Drop for RemoteWriteSender {
    fn drop(&mut self) {
        self.close(DROP_DEADLINE);
    }
}

/// One collection's requests, with a number to recognise it by.
struct Batch {
    id: u64,
    bodies: Arc<[WriteBody]>,
}

/// What the thread and the handle share behind the state lock.
struct State {
    /// Oldest first.
    queue: VecDeque<Batch>,
    /// How many requests of the head batch were sent.
    sent_in_head: usize,
    next_id: u64,
    /// The timestamp of the last collection, in milliseconds.
    last_ms: i64,
    /// `close` asked the thread to stop.
    stopping: bool,
    /// `flush` asked the thread to send now.
    kicked: bool,
    /// Collections `flush` asked for, and the number asked for when the thread last
    /// collected.
    collect_asked: u64,
    collected: u64,
    /// The thread is running the collector (set only while `stopping` is not).
    collecting: bool,
    /// The thread is in its loop.
    running: bool,
    /// `close` is over: nothing is queued any more.
    finished: bool,
    last_error: Option<String>,
}

struct Shared {
    url: String,
    source: Arc<dyn Collector>,
    build: RemoteWriteConfig,
    /// The last build's buffers, for the next (taken for a build, put back after; a build
    /// that finds them taken uses fresh ones). Never held while the collector runs.
    scratch: Mutex<Option<Scratch>>,
    client: Client,
    interval: Duration,
    max_queue: usize,
    max_retry_delay: Duration,
    metrics: SenderMetrics,
    /// Keeps the registry of the metrics alive as long as the sender (see metrics.rs).
    _metrics_registry: Option<Arc<Registry>>,
    state: Mutex<State>,
    /// Wakes the thread (a flush, a close).
    wake: Condvar,
    /// The queue shrank, the thread ended, or the sender finished (flush and close wait).
    progress: Condvar,
    /// Held while sending the head of the queue (one sender at a time): the failures in a
    /// row, for the backoff.
    sending: Mutex<u32>,
}

impl Shared {
    /// The thread: collect every interval, send what is queued, sleep until the next tick
    /// or retry (or a flush, or close).
    fn run(&self) {
        let mut next_tick = Instant::now();
        let mut retry_at: Option<Instant> = None;
        loop {
            if self.state.lock().stopping {
                break;
            }
            let step = catch_unwind(AssertUnwindSafe(|| {
                let now = Instant::now();
                let tick = now >= next_tick;
                let asked = {
                    let mut st = self.state.lock();
                    let asked = st.collect_asked;
                    if (tick || asked > st.collected) && !st.stopping {
                        st.collecting = true;
                        Some(asked)
                    } else {
                        None
                    }
                };
                if let Some(asked) = asked {
                    // The collecting flag goes back down even if the collector panics.
                    let collected = catch_unwind(AssertUnwindSafe(|| self.collect()));
                    let mut st = self.state.lock();
                    st.collecting = false;
                    st.collected = st.collected.max(asked);
                    self.progress.notify_all();
                    drop(st);
                    if let Err(panic) = collected {
                        std::panic::resume_unwind(panic);
                    }
                }
                if tick {
                    next_tick = add_or_far(next_tick, self.interval);
                    if next_tick <= now {
                        // Late (a long send): the next one a whole interval from now.
                        next_tick = add_or_far(now, self.interval);
                    }
                }
                if retry_at.map_or(true, |at| now >= at) {
                    retry_at = self.send_queue().map(|delay| add_or_far(Instant::now(), delay));
                }
            }));
            if let Err(panic) = step {
                // Never let the thread die: note it, wait, go on.
                self.set_error(format!("remote write to {}: the sender failed: {}", self.url, panic_message(&*panic)));
                retry_at = Some(add_or_far(Instant::now(), self.max_retry_delay));
            }
            let wake_at = retry_at.map_or(next_tick, |at| at.min(next_tick));
            let mut st = self.state.lock();
            while !st.stopping && !st.kicked && Instant::now() < wake_at {
                self.wake.wait_until(&mut st, wake_at);
            }
            st.kicked = false;
        }
        self.state.lock().running = false;
        self.progress.notify_all();
    }

    /// Collects the source into a batch and queues it, dropping the oldest batch when the
    /// queue is full. Each batch gets a later millisecond than the one before: two
    /// collections within one millisecond would give a series two values at one
    /// timestamp, which receivers refuse.
    fn collect(&self) {
        let ms = {
            let mut st = self.state.lock();
            let ms = now_ms().max(st.last_ms + 1);
            st.last_ms = ms;
            ms
        };
        let built = catch_unwind(AssertUnwindSafe(|| {
            let mut scratch = self.scratch.lock().take().unwrap_or_default();
            let mut builder = Builder::with_scratch(ms, self.build.clone(), &mut scratch);
            self.source.visit(&mut builder)?;
            let bodies = builder.finish_compressed_into(&mut scratch)?;
            *self.scratch.lock() = Some(scratch);
            Ok::<_, fastprom::Error>(bodies)
        }));
        let bodies = match built {
            Ok(Ok(bodies)) => bodies,
            Ok(Err(e)) => return self.set_error(format!("remote write to {}: cannot collect: {e}", self.url)),
            Err(panic) => {
                let what = panic_message(&*panic);
                return self.set_error(format!("remote write to {}: the collector panicked: {what}", self.url));
            }
        };
        if bodies.is_empty() {
            return;
        }
        let mut st = self.state.lock();
        if st.finished {
            self.metrics.dropped_shutdown.inc();
            st.last_error = Some(format!("remote write to {}: a batch collected after close, not sent", self.url));
            return;
        }
        if st.queue.len() >= self.max_queue {
            st.queue.pop_front();
            st.sent_in_head = 0;
            self.metrics.dropped_queue_full.inc();
            st.last_error = Some(format!(
                "remote write to {}: the queue was full (max_queue {}); dropped the oldest batch",
                self.url, self.max_queue
            ));
        }
        let id = st.next_id;
        st.next_id += 1;
        st.queue.push_back(Batch { id, bodies: bodies.into() });
        self.metrics.queued.set(st.queue.len() as f64);
    }

    /// The thread's send: [`send_locked`](Self::send_locked) without a deadline.
    fn send_queue(&self) -> Option<Duration> {
        let mut failures = self.sending.lock();
        self.send_locked(&mut failures, None)
    }

    /// Sends the queued requests, oldest first, until the queue is empty (`None`), a
    /// request fails in a way worth retrying (the delay before the retry), the thread is
    /// asked to stop (without a deadline: `close` takes over), or `deadline` passes.
    /// Called with the send lock held, whose value is `failures`.
    fn send_locked(&self, failures: &mut u32, deadline: Option<Instant>) -> Option<Duration> {
        loop {
            let mut timeout = self.client.timeout();
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                timeout = timeout.min(left);
            }
            let (id, bodies, index) = {
                let mut st = self.state.lock();
                if deadline.is_none() && st.stopping {
                    return None;
                }
                let head = st.queue.front()?;
                if st.sent_in_head >= head.bodies.len() {
                    st.queue.pop_front();
                    st.sent_in_head = 0;
                    self.queue_shrank(&st);
                    continue;
                }
                (head.id, Arc::clone(&head.bodies), st.sent_in_head)
            };
            let body = &bodies[index];
            match self.client.post(&self.url, &body.body, timeout) {
                Ok(()) => {
                    *failures = 0;
                    self.metrics.sent.inc();
                    // A count of series is far below 2^53: exact as a float.
                    let _ = self.metrics.series.inc_by(body.series as f64);
                    self.metrics.last_success.set(unix_now());
                    let mut st = self.state.lock();
                    if st.queue.front().is_some_and(|b| b.id == id) {
                        st.sent_in_head += 1;
                    }
                }
                Err(refused) if retryable(&refused.error) => {
                    self.metrics.retried.inc();
                    *failures = failures.saturating_add(1);
                    let delay = backoff(*failures, refused.retry_after, self.max_retry_delay);
                    self.set_error(format!("{}; retrying in {:.1} s", refused.error, delay.as_secs_f64()));
                    return Some(delay);
                }
                Err(refused) => {
                    *failures = 0;
                    self.metrics.rejected.inc();
                    let mut st = self.state.lock();
                    st.last_error = Some(format!("{}; the batch was dropped", refused.error));
                    // A batch a full queue dropped meanwhile is counted there already.
                    if st.queue.front().is_some_and(|b| b.id == id) {
                        self.metrics.dropped_rejected.inc();
                        st.queue.pop_front();
                        st.sent_in_head = 0;
                        self.queue_shrank(&st);
                    }
                }
            }
        }
    }

    /// After a batch left the queue: the gauge, and whoever waits for it to empty.
    fn queue_shrank(&self, st: &State) {
        self.metrics.queued.set(st.queue.len() as f64);
        self.progress.notify_all();
    }

    fn set_error(&self, message: String) {
        self.state.lock().last_error = Some(message);
    }
}

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}
