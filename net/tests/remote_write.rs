//! Remote write from Rust: the background sender against a loopback receiver that answers
//! from a script (2xx, 5xx, 429 with `Retry-After`, 4xx, silence) and decodes what it gets;
//! HTTPS with a CA file against the exposer serving TLS; and a real Prometheus (Debian's,
//! with `--web.enable-remote-write-receiver`) taking a sender's writes.

mod support;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fastprom::remote_write::proto::WriteRequest;
use fastprom::remote_write::RemoteWriteConfig;
use fastprom::{Counter, Family, Opts, Registry, Standalone};
use fastprom_net::remote_write::{remote_write, RemoteWriteOptions, RemoteWriteSender, SenderConfig};
use fastprom_net::Error;
use prost::Message;
use support::{poll, PATIENCE};

/// What the receiver does with one request.
#[derive(Debug, Clone)]
enum Reply {
    /// Answers with this status (and a `Retry-After` header when given).
    Status(u16, Option<&'static str>),
    /// Reads the request, says nothing for this long, then closes.
    Silence(Duration),
}

/// One request the receiver took, decoded.
#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    /// Header names lowercased.
    headers: Vec<(String, String)>,
    write: WriteRequest,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of the series named `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.write
            .timeseries
            .iter()
            .find(|ts| {
                let has = |k: &str, v: &str| ts.labels.iter().any(|l| l.name == k && l.value == v);
                has("__name__", name) && labels.iter().all(|(k, v)| has(k, v))
            })
            .map(|ts| ts.samples[0].value)
    }

    /// The samples' timestamp (all of a collection have the same).
    fn timestamp(&self) -> i64 {
        self.write.timeseries[0].samples[0].timestamp
    }
}

/// A remote-write receiver on a loopback port: answers each connection's request with the
/// next reply of its script (in the order of connection), then with `204` once the script
/// is over; one request per connection.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start(script: &[Reply]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut script: VecDeque<Reply> = script.iter().cloned().collect();
        let thread = std::thread::spawn({
            let (got, stop) = (Arc::clone(&got), Arc::clone(&stop));
            move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut conn) = conn else { continue };
                    let reply = script.pop_front().unwrap_or(Reply::Status(204, None));
                    // Each connection on its own thread: a silent one holds up no other.
                    let got = Arc::clone(&got);
                    std::thread::spawn(move || {
                        if let Some(received) = read_request(&mut conn) {
                            got.lock().expect("lock").push(received);
                        }
                        answer(&mut conn, &reply);
                    });
                }
            }
        });
        Self { addr, got, stop, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("http://{}/api/v1/write", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until at least `n` requests came; all of them.
    fn wait_for(&self, n: usize) -> Vec<Received> {
        poll(PATIENCE, || Some(self.received()).filter(|got| got.len() >= n))
            .unwrap_or_else(|| panic!("{n} requests did not come; got {}", self.received().len()))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request (head and `Content-Length` body) and decodes its snappy protobuf.
fn read_request(conn: &mut TcpStream) -> Option<Received> {
    conn.set_read_timeout(Some(PATIENCE)).ok()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let headers: Vec<(String, String)> = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.iter().find(|(n, _)| n == "content-length")?.1.parse().ok()?;
    let mut body = raw[end + 4..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let protobuf = snap::raw::Decoder::new().decompress_vec(&body).expect("snappy body");
    let write = WriteRequest::decode(protobuf.as_slice()).expect("a WriteRequest");
    Some(Received { at: Instant::now(), headers, write })
}

fn answer(conn: &mut TcpStream, reply: &Reply) {
    match reply {
        Reply::Status(status, retry_after) => {
            let body = if *status < 300 { String::new() } else { format!("refused with {status}\n") };
            let extra = retry_after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
            let head =
                format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n", body.len());
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body.as_bytes());
        }
        Reply::Silence(d) => std::thread::sleep(*d),
    }
}

/// A registry with `jobs_total` (3) in it.
fn jobs_registry() -> (Arc<Registry>, Standalone<Counter>) {
    let registry = Arc::new(Registry::new());
    let jobs = Counter::new("jobs", "Jobs run.").expect("counter");
    registry.register(jobs.clone()).expect("register");
    jobs.inc_by(3.0).expect("inc");
    (registry, jobs)
}

/// Sends once at start, then only when asked (a long interval).
fn on_demand() -> SenderConfig {
    SenderConfig { interval: Duration::from_secs(3600), ..Default::default() }
}

/// One of the sender's own samples in `registry`, 0 when absent.
fn sender_metric(registry: &Registry, name: &str, url: &str, extra: Option<(&str, &str)>) -> f64 {
    let mut labels = vec![("url", url)];
    labels.extend(extra);
    registry.get_sample_value(name, &labels).expect("look-up").unwrap_or(0.0)
}

fn requests(registry: &Registry, url: &str, outcome: &str) -> f64 {
    sender_metric(registry, "fastprom_remote_write_requests_total", url, Some(("outcome", outcome)))
}

fn dropped(registry: &Registry, url: &str, reason: &str) -> f64 {
    sender_metric(registry, "fastprom_remote_write_batches_dropped_total", url, Some(("reason", reason)))
}

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs_f64()
}

#[test]
fn the_sender_writes_every_interval_with_its_own_metrics() {
    let receiver = Receiver::start(&[]);
    let url = receiver.url();
    let (registry, jobs) = jobs_registry();
    let config = SenderConfig {
        interval: Duration::from_millis(100),
        build: RemoteWriteConfig::new().external_labels([("instance", "box-1")]).created(false),
        options: RemoteWriteOptions { bearer_token: Some("s3cret".to_owned()), ..Default::default() },
        ..Default::default()
    };
    let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), config).expect("start");
    assert_eq!(sender.url(), url);
    let got = receiver.wait_for(3);
    let first = &got[0];
    assert_eq!(first.header("content-encoding"), Some("snappy"));
    assert_eq!(first.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(first.header("x-prometheus-remote-write-version"), Some("0.1.0"));
    assert_eq!(first.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(first.value("jobs_total", &[("instance", "box-1")]), Some(3.0));
    // Each collection is stamped later than the one before, about an interval apart.
    for pair in got.windows(2) {
        assert!(pair[1].timestamp() > pair[0].timestamp(), "{} then {}", pair[0].timestamp(), pair[1].timestamp());
    }
    // The sender's metrics travel with the data: a later request reports earlier ones.
    let later = receiver.wait_for(4).pop().expect("a request");
    let sent_before = later.value("fastprom_remote_write_requests_total", &[("url", &url), ("outcome", "sent")]);
    assert!(sent_before.is_some_and(|v| v >= 2.0), "{sent_before:?}");
    jobs.inc();
    let got = poll(PATIENCE, || receiver.received().into_iter().find(|r| r.value("jobs_total", &[]) == Some(4.0)));
    assert!(got.is_some(), "the increment never arrived");

    assert_eq!(sender.close(Duration::from_secs(10)), 0);
    assert_eq!(sender.last_error(), None);
    let sent = requests(&registry, &url, "sent");
    assert_eq!(sent, receiver.received().len() as f64);
    assert_eq!(requests(&registry, &url, "retried"), 0.0);
    assert!(sender_metric(&registry, "fastprom_remote_write_series_sent_total", &url, None) >= 2.0 * sent);
    assert_eq!(sender_metric(&registry, "fastprom_remote_write_queue_batches", &url, None), 0.0);
    let last = sender_metric(&registry, "fastprom_remote_write_last_success_timestamp_seconds", &url, None);
    assert!((unix_now() - last).abs() < 60.0, "{last}");
    // Closed: nothing more is sent, and a second close does nothing.
    let n = receiver.received().len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(receiver.received().len(), n);
    assert_eq!(sender.close(Duration::from_secs(1)), 0);
    assert!(!sender.flush(Duration::from_secs(1)));
}

#[test]
fn server_errors_and_429_are_retried_honouring_retry_after() {
    let receiver =
        Receiver::start(&[Reply::Status(503, None), Reply::Status(429, Some("1")), Reply::Status(200, None)]);
    let url = receiver.url();
    let (registry, _jobs) = jobs_registry();
    let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), on_demand()).expect("start");
    let got = receiver.wait_for(3);
    // The same batch three times.
    assert!(got.iter().all(|r| r.timestamp() == got[0].timestamp() && r.value("jobs_total", &[]) == Some(3.0)));
    // 0.4 to 0.6 s after the 503; at least the asked-for second after the 429.
    let first_wait = got[1].at - got[0].at;
    assert!(first_wait >= Duration::from_millis(350), "{first_wait:?}");
    let second_wait = got[2].at - got[1].at;
    assert!(second_wait >= Duration::from_millis(950), "{second_wait:?}");
    assert!(poll(PATIENCE, || (requests(&registry, &url, "sent") == 1.0).then_some(())).is_some());
    assert_eq!(requests(&registry, &url, "retried"), 2.0);
    assert_eq!(requests(&registry, &url, "rejected"), 0.0);
    let error = sender.last_error().expect("an error");
    assert!(error.contains("answered 429") && error.contains("retrying in"), "{error}");
    assert_eq!(sender.close(Duration::from_secs(10)), 0);
}

#[test]
fn a_batch_refused_with_a_4xx_is_dropped() {
    let receiver = Receiver::start(&[Reply::Status(400, None)]);
    let url = receiver.url();
    let (registry, _jobs) = jobs_registry();
    let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), on_demand()).expect("start");
    receiver.wait_for(1);
    // The refused batch is gone; the flush's own batch is taken.
    assert!(sender.flush(PATIENCE), "{:?}", sender.last_error());
    assert_eq!(receiver.received().len(), 2);
    assert_eq!(requests(&registry, &url, "rejected"), 1.0);
    assert_eq!(dropped(&registry, &url, "rejected"), 1.0);
    assert_eq!(requests(&registry, &url, "sent"), 1.0);
    assert_eq!(requests(&registry, &url, "retried"), 0.0);
    let error = sender.last_error().expect("an error");
    assert!(error.contains("answered 400: refused with 400") && error.ends_with("the batch was dropped"), "{error}");
    assert_eq!(sender.close(Duration::from_secs(10)), 0);
}

#[test]
fn no_answer_in_time_is_retried() {
    let receiver = Receiver::start(&[Reply::Silence(Duration::from_secs(2))]);
    let url = receiver.url();
    let (registry, _jobs) = jobs_registry();
    let mut config = on_demand();
    config.options.timeout = Duration::from_millis(300);
    let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), config).expect("start");
    receiver.wait_for(2);
    assert!(poll(PATIENCE, || (requests(&registry, &url, "sent") == 1.0).then_some(())).is_some());
    assert_eq!(requests(&registry, &url, "retried"), 1.0);
    let error = sender.last_error().expect("an error");
    assert!(error.contains("no answer within"), "{error}");
    assert_eq!(sender.close(Duration::from_secs(10)), 0);
}

#[test]
fn a_full_queue_drops_the_oldest_and_close_counts_what_is_left() {
    // Nothing listens: every request fails to connect and is retried later.
    let url = format!("http://127.0.0.1:{}/api/v1/write", support::free_port());
    let (registry, _jobs) = jobs_registry();
    let config = SenderConfig { max_queue: 2, ..on_demand() };
    let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), config).expect("start");
    assert!(poll(PATIENCE, || (requests(&registry, &url, "retried") >= 1.0).then_some(())).is_some());
    // Three more collections, one at a time (the thread collects what a flush asks for):
    // the queue holds two, so two were dropped.
    for n in 1..=3 {
        assert!(!sender.flush(Duration::ZERO));
        let done =
            || (sender.queued() == 2 && dropped(&registry, &url, "queue_full") == f64::from(n - 1)).then_some(());
        assert!(poll(PATIENCE, done).is_some(), "collection {n}");
    }
    assert_eq!(sender.queued(), 2);
    assert_eq!(dropped(&registry, &url, "queue_full"), 2.0);
    assert_eq!(sender_metric(&registry, "fastprom_remote_write_queue_batches", &url, None), 2.0);
    let error = sender.last_error().expect("an error");
    assert!(error.contains("queue was full"), "{error}");
    // Close collects once more (dropping another), cannot send, and counts the two left.
    let began = Instant::now();
    assert_eq!(sender.close(Duration::from_millis(500)), 2);
    assert!(began.elapsed() < Duration::from_secs(5), "{:?}", began.elapsed());
    assert_eq!(dropped(&registry, &url, "queue_full"), 3.0);
    assert_eq!(dropped(&registry, &url, "shutdown"), 2.0);
    assert_eq!(sender.queued(), 0);
    assert_eq!(sender_metric(&registry, "fastprom_remote_write_queue_batches", &url, None), 0.0);
    assert_eq!(requests(&registry, &url, "sent"), 0.0);
    let error = sender.last_error().expect("an error");
    assert!(error.ends_with("2 batch(es) not sent at close"), "{error}");
}

#[test]
fn close_sends_a_last_collection() {
    let receiver = Receiver::start(&[]);
    let (registry, jobs) = jobs_registry();
    let mut sender = RemoteWriteSender::start(receiver.url(), Arc::clone(&registry), on_demand()).expect("start");
    receiver.wait_for(1);
    jobs.inc_by(10.0).expect("inc");
    assert_eq!(sender.close(Duration::from_secs(10)), 0);
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].value("jobs_total", &[]), Some(13.0));
    // Dropping a closed sender sends nothing more.
    drop(sender);
    assert_eq!(receiver.received().len(), 2);
}

#[test]
fn dropping_the_sender_closes_it() {
    let receiver = Receiver::start(&[]);
    let (registry, _jobs) = jobs_registry();
    let sender = RemoteWriteSender::start(receiver.url(), registry, on_demand()).expect("start");
    receiver.wait_for(1);
    drop(sender);
    assert_eq!(receiver.received().len(), 2);
}

#[test]
fn senders_share_their_metrics_in_one_registry() {
    let (a, b) = (Receiver::start(&[]), Receiver::start(&[]));
    let (registry, _jobs) = jobs_registry();
    let mut one = RemoteWriteSender::start(a.url(), Arc::clone(&registry), on_demand()).expect("first");
    let mut two = RemoteWriteSender::start(b.url(), Arc::clone(&registry), on_demand()).expect("second");
    assert!(one.flush(PATIENCE) && two.flush(PATIENCE));
    assert!(requests(&registry, &a.url(), "sent") >= 1.0);
    assert!(requests(&registry, &b.url(), "sent") >= 1.0);
    one.close(Duration::from_secs(5));
    two.close(Duration::from_secs(5));
    // A sender made after those ends reuses the families still registered.
    let mut three = RemoteWriteSender::start(a.url(), Arc::clone(&registry), on_demand()).expect("third");
    assert!(three.flush(PATIENCE));
    three.close(Duration::from_secs(5));

    // With a separate metrics registry, the data's registry stays as it was.
    let metrics = Arc::new(Registry::new());
    let (data, _jobs) = jobs_registry();
    let config = SenderConfig { metrics_registry: Some(Arc::clone(&metrics)), ..on_demand() };
    let mut four = RemoteWriteSender::start(a.url(), Arc::clone(&data), config).expect("fourth");
    assert!(four.flush(PATIENCE));
    four.close(Duration::from_secs(5));
    assert!(data.names().iter().all(|n| n.starts_with("jobs")), "{:?}", data.names());
    assert!(requests(&metrics, &a.url(), "sent") >= 1.0);
    assert_eq!(requests(&data, &a.url(), "sent"), 0.0);
}

/// A gauge whose first collection (the one at start) waits `first` before it returns;
/// `started` is set when that collection began.
struct SlowFirst {
    first: Duration,
    calls: std::sync::atomic::AtomicUsize,
    started: Arc<AtomicBool>,
}

impl fastprom::Collector for SlowFirst {
    fn collect(&self) -> fastprom::Result<Vec<fastprom::MetricFamily>> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            self.started.store(true, Ordering::SeqCst);
            std::thread::sleep(self.first);
        }
        let mut family = fastprom::MetricFamily::new("slow", "Slow.", fastprom::MetricType::Gauge, "")?;
        family.add_value(&[], 1.0, None);
        Ok(vec![family])
    }
}

#[test]
fn a_flush_during_a_slow_collection_keeps_the_batches_in_stamp_order() {
    let receiver = Receiver::start(&[]);
    let started = Arc::new(AtomicBool::new(false));
    let slow = SlowFirst { first: Duration::from_millis(500), calls: 0.into(), started: Arc::clone(&started) };
    let mut sender = RemoteWriteSender::start_collector(receiver.url(), Arc::new(slow), on_demand()).expect("start");
    assert!(poll(PATIENCE, || started.load(Ordering::SeqCst).then_some(())).is_some());
    // The thread's collection is stamped and still building: the flush's must queue after it.
    assert!(sender.flush(PATIENCE));
    let got = receiver.wait_for(2);
    let stamps: Vec<i64> = got.iter().map(Received::timestamp).collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "sent out of order: {stamps:?}");
    assert_eq!(sender.close(Duration::from_secs(5)), 0);
}

#[test]
fn close_waits_for_a_collection_under_way_whatever_its_deadline() {
    let receiver = Receiver::start(&[]);
    let started = Arc::new(AtomicBool::new(false));
    let slow =
        Arc::new(SlowFirst { first: Duration::from_millis(800), calls: 0.into(), started: Arc::clone(&started) });
    let source: Arc<dyn fastprom::Collector> = slow.clone();
    let mut sender = RemoteWriteSender::start_collector(receiver.url(), source, on_demand()).expect("start");
    assert!(poll(PATIENCE, || started.load(Ordering::SeqCst).then_some(())).is_some());
    let began = Instant::now();
    sender.close(Duration::from_millis(50));
    // No collector call is running once close has returned: the first has ended, and
    // close's own (the last collection) too.
    assert!(began.elapsed() >= Duration::from_millis(500), "{:?}", began.elapsed());
    let calls = slow.calls.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(slow.calls.load(Ordering::SeqCst), calls);
}

#[test]
fn bad_headers_and_two_kinds_of_credentials_fail_at_start() {
    let (registry, _jobs) = jobs_registry();
    let url = "http://127.0.0.1:9/api/v1/write";
    let bad = |options: RemoteWriteOptions| {
        let config = SenderConfig { options, ..on_demand() };
        match RemoteWriteSender::start(url.to_owned(), Arc::clone(&registry), config) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("started"),
        }
    };
    let header = |name: &str, value: &str| RemoteWriteOptions {
        headers: vec![(name.to_owned(), value.to_owned())],
        ..Default::default()
    };
    assert!(bad(header("X-Scope-OrgID", "a\r\nInjected: yes")).contains("control character"));
    assert!(bad(header("Bad Name", "v")).contains("not a valid HTTP header name"));
    assert!(bad(header("", "v")).contains("not a valid HTTP header name"));
    let both = RemoteWriteOptions {
        basic_auth: Some(fastprom_net::BasicAuth::new("u", "p")),
        bearer_token: Some("t".to_owned()),
        ..Default::default()
    };
    assert!(bad(both).contains("exclude each other"));
}

#[test]
fn a_timeout_of_duration_max_means_no_deadline() {
    let receiver = Receiver::start(&[]);
    let (registry, _jobs) = jobs_registry();
    let config = SenderConfig { max_retry_delay: Duration::MAX, ..on_demand() };
    let mut sender = RemoteWriteSender::start(receiver.url(), registry, config).expect("start");
    assert!(sender.flush(Duration::MAX));
    assert_eq!(sender.close(Duration::MAX), 0);
}

#[test]
fn a_collector_that_fails_is_reported_and_the_sender_goes_on() {
    let receiver = Receiver::start(&[]);
    struct Failing;
    impl fastprom::Collector for Failing {
        fn collect(&self) -> fastprom::Result<Vec<fastprom::MetricFamily>> {
            Err(fastprom::Error::InvalidArgument("the source is down".to_owned()))
        }
    }
    let mut sender = RemoteWriteSender::start_collector(receiver.url(), Arc::new(Failing), on_demand()).expect("start");
    assert!(poll(PATIENCE, || sender.last_error().filter(|e| e.contains("the source is down"))).is_some());
    assert!(sender.flush(Duration::from_secs(1)), "nothing to send is an empty queue");
    assert_eq!(sender.close(Duration::from_secs(5)), 0);
    assert!(receiver.received().is_empty());
}

#[test]
fn bad_settings_fail_at_start() {
    let (registry, _jobs) = jobs_registry();
    let start = |url: &str, config: SenderConfig| RemoteWriteSender::start(url, Arc::clone(&registry), config);
    let url = "http://127.0.0.1:9/api/v1/write";
    for (bad, why) in [("ftp://x/y", "http or https"), ("localhost:9090", "absolute"), ("", "")] {
        match start(bad, on_demand()) {
            Err(Error::InvalidUrl { reason, .. }) => assert!(reason.contains(why), "{bad}: {reason}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    for (config, why) in [
        (SenderConfig { interval: Duration::ZERO, ..Default::default() }, "interval"),
        (SenderConfig { max_queue: 0, ..Default::default() }, "max_queue"),
        (SenderConfig { max_retry_delay: Duration::ZERO, ..Default::default() }, "max_retry_delay"),
    ] {
        match start(url, config) {
            Err(Error::Core(fastprom::Error::InvalidArgument(m))) => assert!(m.contains(why), "{m}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    // A registry that already has one of the sender's names.
    let taken = Arc::new(Registry::new());
    let clash =
        Family::<Counter>::new(Opts::new("fastprom_remote_write_requests", "Mine.").labels(["x"]), ()).expect("family");
    taken.register(clash).expect("register");
    match RemoteWriteSender::start(url, taken, on_demand()) {
        Err(Error::Core(fastprom::Error::DuplicateTimeseries { names })) => {
            assert!(names.contains(&"fastprom_remote_write_requests_total".to_owned()), "{names:?}")
        }
        other => panic!("{other:?}"),
    }
}

#[cfg(feature = "push-tls")]
mod tls {
    //! HTTPS with a CA file: the exposer serves TLS with a certificate of a test CA and
    //! answers every request with 204.

    use super::*;
    use fastprom_net::{Answer, Exposer, ExposerConfig, Request, Responder, Source, TlsConfig};
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::AtomicUsize;

    /// Counts the POSTs to /api/v1/write.
    struct Sink(AtomicUsize);

    impl Responder for Sink {
        fn respond(&self, request: &Request<'_>) -> Answer {
            let ok = request.method == "POST" && request.path == "/api/v1/write";
            if ok {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            Answer { status: if ok { 204 } else { 404 }, headers: Vec::new(), body: Vec::new() }
        }
    }

    /// A CA's certificate (PEM) in `dir/name.pem`, and, when `server`, a certificate it
    /// signed for 127.0.0.1 with its key (`server.pem`, `server.key`).
    fn make_ca(dir: &Path, name: &str, server: bool) -> PathBuf {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, format!("fastprom {name}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&key).expect("CA certificate");
        if server {
            let server_key = KeyPair::generate().expect("server key");
            let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
                .expect("server params")
                .signed_by(&server_key, &ca, &key)
                .expect("server certificate");
            std::fs::write(dir.join("server.pem"), cert.pem()).expect("write");
            std::fs::write(dir.join("server.key"), server_key.serialize_pem()).expect("write");
        }
        let path = dir.join(format!("{name}.pem"));
        std::fs::write(&path, ca.pem()).expect("write");
        path
    }

    #[test]
    fn ca_files_that_cannot_be_used_fail_at_start() {
        let (registry, _jobs) = jobs_registry();
        let url = "https://127.0.0.1:9/api/v1/write";
        let dir = support::temp_dir("rw-ca");
        std::fs::write(dir.join("empty.pem"), "no certificate here\n").expect("write");
        std::fs::write(dir.join("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .expect("write");
        for (file, why) in [
            ("missing.pem", "cannot load CA certificate file"),
            ("empty.pem", "no certificate in the CA file"),
            ("broken.pem", "certificate 1 of the CA file"),
        ] {
            let path = dir.join(file);
            let options = RemoteWriteOptions { ca_file: Some(path.clone()), ..Default::default() };
            let config = SenderConfig { options: options.clone(), ..on_demand() };
            for outcome in [
                RemoteWriteSender::start(url, Arc::clone(&registry), config).map(drop),
                remote_write(&*registry, url, 0, &RemoteWriteConfig::new(), &options).map(drop),
            ] {
                match outcome {
                    Err(Error::Tls { reason }) => {
                        assert!(reason.contains(why) && reason.contains(&*path.to_string_lossy()), "{file}: {reason}")
                    }
                    other => panic!("{file}: {other:?}"),
                }
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn https_with_a_ca_file() {
        let dir = support::temp_dir("rw-tls");
        let ca = make_ca(&dir, "ca", true);
        let other = make_ca(&dir, "other-ca", false);
        // A file with two CAs, the right one second, works too.
        let both = dir.join("both.pem");
        let text = std::fs::read_to_string(&other).expect("read") + &std::fs::read_to_string(&ca).expect("read");
        std::fs::write(&both, text).expect("write");
        let sink = Arc::new(Sink(AtomicUsize::new(0)));
        let tls = TlsConfig::new(dir.join("server.pem"), dir.join("server.key"));
        let exposer = Exposer::start(Source::Responder(sink.clone()), ExposerConfig::new("127.0.0.1", 0).tls(tls))
            .expect("HTTPS receiver");
        let url = format!("https://{}/api/v1/write", exposer.local_addr());
        let (registry, _jobs) = jobs_registry();
        let send = |ca_file: Option<PathBuf>| {
            let options = RemoteWriteOptions { ca_file, timeout: Duration::from_secs(10), ..Default::default() };
            remote_write(&*registry, &url, 1_700_000_000_000, &RemoteWriteConfig::new(), &options)
        };
        assert_eq!(send(Some(ca.clone())).expect("trusted"), 2); // jobs_total, jobs_created
        assert_eq!(send(Some(both)).expect("trusted"), 2);
        assert_eq!(sink.0.load(Ordering::SeqCst), 2);
        // The webpki roots, or another CA, do not know the test CA.
        for ca_file in [None, Some(other)] {
            match send(ca_file.clone()) {
                Err(Error::Transport { reason, .. }) => {
                    assert!(reason.contains("certificate") && reason.contains("UnknownIssuer"), "{reason}")
                }
                other => panic!("{ca_file:?}: {other:?}"),
            }
        }
        assert_eq!(sink.0.load(Ordering::SeqCst), 2);

        // The background sender with the CA file.
        let config =
            SenderConfig { options: RemoteWriteOptions { ca_file: Some(ca), ..Default::default() }, ..on_demand() };
        let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), config).expect("start");
        assert!(sender.flush(PATIENCE), "{:?}", sender.last_error());
        assert_eq!(sender.close(Duration::from_secs(10)), 0);
        assert!(sink.0.load(Ordering::SeqCst) >= 4);
        assert_eq!(sender.last_error(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The value of an instant query's first result, once there is one.
fn query(prometheus: &support::Daemon, expr: &str) -> Option<f64> {
    let encoded: String = expr
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect();
    let (status, body) = support::fetch(&prometheus.url(&format!("/api/v1/query?query={encoded}")))?;
    if status != 200 {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    json["data"]["result"].get(0)?["value"][1].as_str()?.parse().ok()
}

#[test]
#[ignore = "needs Debian prometheus; run by make test"]
fn a_real_prometheus_takes_the_senders_writes() {
    let prometheus = support::start_prometheus_with(&[], &["--web.enable-remote-write-receiver"]);
    let url = prometheus.url("/api/v1/write");
    let registry = Arc::new(Registry::new());
    let handled = Family::<Counter>::new(Opts::new("rw_handled", "Handled.").labels(["kind"]), ()).expect("family");
    registry.register(handled.clone()).expect("register");
    handled.labels(&["a"]).expect("child").inc_by(5.0).expect("inc");
    let config = SenderConfig {
        interval: Duration::from_millis(200),
        build: RemoteWriteConfig::new().external_labels([("job", "rust_sender")]),
        ..Default::default()
    };
    let mut sender = RemoteWriteSender::start(&url, Arc::clone(&registry), config).expect("start");
    let got = poll(PATIENCE, || query(&prometheus, "rw_handled_total{job=\"rust_sender\",kind=\"a\"}"));
    assert_eq!(got, Some(5.0), "log:\n{}", prometheus.log());
    handled.labels(&["a"]).expect("child").inc_by(2.0).expect("inc");
    let got = poll(PATIENCE, || query(&prometheus, "rw_handled_total{kind=\"a\"}").filter(|v| *v == 7.0));
    assert_eq!(got, Some(7.0));
    assert_eq!(sender.close(Duration::from_secs(10)), 0, "{:?}", sender.last_error());
    let sent = poll(PATIENCE, || {
        query(&prometheus, &format!("fastprom_remote_write_requests_total{{outcome=\"sent\",url=\"{url}\"}}"))
            .filter(|v| *v >= 2.0)
    });
    assert!(sent.is_some(), "{:?}", sender.last_error());
}

#[cfg(not(feature = "push-tls"))]
#[test]
fn a_ca_file_needs_the_tls_feature() {
    let (registry, _jobs) = jobs_registry();
    let options = RemoteWriteOptions { ca_file: Some("/etc/ssl/ca.pem".into()), ..Default::default() };
    match remote_write(&*registry, "http://127.0.0.1:9/", 0, &RemoteWriteConfig::new(), &options) {
        Err(Error::Tls { reason }) => assert!(reason.contains("push-tls"), "{reason}"),
        other => panic!("{other:?}"),
    }
}
