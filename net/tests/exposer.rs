//! The exposer over real loopback sockets: its answers compared with the core's
//! encoders for the same registry, and its bounds (timeouts, connection slots, shutdown).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastprom::expose::{encode_openmetrics, encode_text};
use fastprom::model::{MetricFamily, MetricType};
use fastprom::{Collector, Counter, EscapingScheme, Family, Gauge, Opts, Registry};
use fastprom_net::{BasicAuth, Error, Exposer, ExposerConfig, Source};
use support::{get, request, PATIENCE};

/// A registry with a counter, a gauge and a labelled family.
fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let requests = Counter::new("requests", "Requests handled.").expect("counter");
    registry.register(requests.clone()).expect("register");
    requests.inc_by(7.0).expect("inc");
    let temperature = Gauge::new("temperature_celsius", "Room temperature.").expect("gauge");
    registry.register(temperature.clone()).expect("register");
    temperature.set(21.5);
    let codes =
        Family::<Counter>::new(Opts::new("responses", "Responses by code.").labels(["code"]), ()).expect("family");
    registry.register(codes.clone()).expect("register");
    codes.labels(&["200"]).expect("child").inc_by(3.0).expect("inc");
    codes.labels(&["500"]).expect("child").inc();
    registry
}

fn local() -> ExposerConfig {
    ExposerConfig::new("127.0.0.1", 0)
}

fn text(registry: &dyn Collector) -> Vec<u8> {
    encode_text(registry, EscapingScheme::Underscores).expect("encode")
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("valid gzip");
    out
}

#[test]
fn scrape_is_the_text_exposition_on_every_path() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    for path in ["/metrics", "/", "/anything/else?x=1"] {
        let answer = get(exposer.local_addr(), path, &[]);
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
        assert_eq!(answer.header("content-encoding"), None);
        assert_eq!(answer.body, text(&*registry), "{path}");
    }
    // Values change between scrapes: each scrape encodes anew.
    let again = Counter::new("late", "Registered after the start.").expect("counter");
    registry.register(again.clone()).expect("register");
    let answer = get(exposer.local_addr(), "/metrics", &[]);
    assert_eq!(answer.body, text(&*registry));
    assert!(answer.text().contains("\nlate_total 0.0\n"));
}

#[test]
fn plain_http_client_keeps_the_connection_alive() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    let agent = support::agent();
    let url = format!("http://{}/metrics", exposer.local_addr());
    for _ in 0..3 {
        let mut answer = agent.get(&url).call().expect("scrape");
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.body_mut().read_to_vec().expect("body"), text(&*registry));
    }
}

#[test]
fn openmetrics_when_accepted() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    let answer = get(exposer.local_addr(), "/metrics", &[("Accept", "application/openmetrics-text; version=1.0.0")]);
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores")
    );
    assert_eq!(answer.body, encode_openmetrics(&*registry, EscapingScheme::Underscores, "1.0.0").expect("encode"));

    // Prometheus 3's scrape header asks for UTF-8 names.
    let prometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
                       application/openmetrics-text;version=0.0.1;q=0.5,\
                       text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
                       text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let answer = get(exposer.local_addr(), "/metrics", &[("Accept", prometheus3)]);
    assert_eq!(
        answer.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    assert_eq!(answer.body, encode_openmetrics(&*registry, EscapingScheme::AllowUtf8, "1.0.0").expect("encode"));

    // Two Accept headers are read as one, joined with a comma (as wsgiref joins them).
    let answer = get(
        exposer.local_addr(),
        "/",
        &[("Accept", "image/png"), ("Accept", "text/plain;version=1.0.0;escaping=dots")],
    );
    assert_eq!(answer.header("content-type"), Some("text/plain; version=1.0.0; charset=utf-8; escaping=dots"));
    assert_eq!(answer.body, encode_text(&*registry, EscapingScheme::Dots).expect("encode"));
}

#[test]
fn gzip_when_accepted_unless_disabled() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    let answer = get(exposer.local_addr(), "/metrics", &[("Accept-Encoding", "deflate, gzip;q=0.5")]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&answer.body), text(&*registry));
    let answer = get(exposer.local_addr(), "/metrics", &[("Accept-Encoding", "br, *")]);
    assert_eq!(answer.header("content-encoding"), None);
    assert_eq!(answer.body, text(&*registry));

    let plain = Exposer::start(Arc::clone(&registry), local().disable_compression(true)).expect("start");
    let answer = get(plain.local_addr(), "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(answer.header("content-encoding"), None);
    assert_eq!(answer.body, text(&*registry));
}

#[test]
fn name_filter_restricts_a_registry() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    let answer = get(exposer.local_addr(), "/metrics?name[]=requests_total&name%5B%5D=responses_total&x=y", &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, text(&registry.restricted(["requests_total", "responses_total"])));
    assert!(answer.text().contains("requests_total 7.0"));
    assert!(!answer.text().contains("temperature"));
    // An empty value is no filter at all (parse_qs drops blank values).
    let answer = get(exposer.local_addr(), "/metrics?name[]=", &[]);
    assert_eq!(answer.body, text(&*registry));
    // A name nobody has: an empty exposition.
    let answer = get(exposer.local_addr(), "/metrics?name[]=nothing_here", &[]);
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
}

#[test]
fn name_filter_on_a_plain_collector() {
    let codes =
        Family::<Counter>::new(Opts::new("responses", "Responses by code.").labels(["code"]), ()).expect("family");
    codes.labels(&["200"]).expect("child").inc_by(3.0).expect("inc");
    let exposer = Exposer::start(Source::collector(codes.clone()), local()).expect("start");
    let whole = get(exposer.local_addr(), "/metrics", &[]);
    assert_eq!(whole.body, text(&codes));
    assert!(whole.text().contains("responses_created"));
    let filtered = get(exposer.local_addr(), "/metrics?name[]=responses_total", &[]);
    let reference = Registry::new();
    reference.register(codes.clone()).expect("register");
    assert_eq!(filtered.body, text(&reference.restricted(["responses_total"])));
    assert!(!filtered.text().contains("responses_created"));
}

#[test]
fn head_has_the_headers_and_no_body() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    let full = text(&*registry);
    let answer = request(exposer.local_addr(), "HEAD", "/metrics", &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    assert_eq!(answer.header("content-length"), Some(full.len().to_string().as_str()));
    assert!(answer.body.is_empty(), "{:?}", answer.body);

    let answer = request(exposer.local_addr(), "HEAD", "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(answer.header("content-encoding"), Some("gzip"));
    assert!(answer.body.is_empty());
}

#[test]
fn options_favicon_and_other_methods() {
    let exposer = Exposer::start(registry(), local()).expect("start");
    let addr = exposer.local_addr();

    let answer = request(addr, "OPTIONS", "/metrics", &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("allow"), Some("OPTIONS,GET,HEAD"));
    assert!(answer.body.is_empty());

    let answer = get(addr, "/favicon.ico", &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), None);
    assert!(answer.body.is_empty());

    for method in ["POST", "PUT", "DELETE"] {
        let answer = request(addr, method, "/metrics", &[("Content-Length", "0")]);
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow"), Some("OPTIONS,GET,HEAD"));
        assert_eq!(answer.text(), format!("# HTTP 405 Method Not Allowed: {method}; use OPTIONS, GET or HEAD\n"));
    }
}

#[test]
fn basic_auth_is_checked_on_every_request() {
    let registry = registry();
    let auth = BasicAuth::new("scraper", "s3cret");
    let exposer = Exposer::start(Arc::clone(&registry), local().basic_auth(auth.clone())).expect("start");
    let addr = exposer.local_addr();

    let wrong = BasicAuth::new("scraper", "guess").header_value();
    for headers in [&[][..], &[("Authorization", wrong.as_str())][..], &[("Authorization", "Bearer s3cret")][..]] {
        for method in ["GET", "HEAD", "OPTIONS"] {
            let answer = request(addr, method, "/metrics", headers);
            assert_eq!(answer.status, 401, "{method} {headers:?}");
            assert_eq!(answer.header("www-authenticate"), Some("Basic realm=\"fastprom\", charset=\"UTF-8\""));
        }
    }
    let right = auth.header_value();
    let answer = get(addr, "/metrics", &[("Authorization", &right)]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, text(&*registry));
}

#[test]
fn failing_and_panicking_collectors_give_500_and_the_exposer_goes_on() {
    struct Failing;
    impl Collector for Failing {
        fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
            Err(fastprom::Error::Collect("the database is away".into()))
        }
    }
    struct Panicking;
    impl Collector for Panicking {
        fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
            panic!("a broken collector")
        }
    }
    let failing = Exposer::start(Source::collector(Failing), local()).expect("start");
    let answer = get(failing.local_addr(), "/metrics", &[]);
    assert_eq!(answer.status, 500);
    assert!(answer.text().contains("the database is away"), "{}", answer.text());

    let panicking = Exposer::start(Source::collector(Panicking), local()).expect("start");
    for _ in 0..2 {
        let answer = get(panicking.local_addr(), "/metrics", &[]);
        assert_eq!(answer.status, 500);
        assert!(answer.text().contains("panicked"), "{}", answer.text());
    }
    assert_eq!(get(panicking.local_addr(), "/favicon.ico", &[]).status, 200);
}

#[test]
fn a_taken_port_is_a_bind_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    match Exposer::start(registry(), ExposerConfig::new("127.0.0.1", port)) {
        Err(Error::Bind { addr, source }) => {
            assert_eq!(addr, format!("127.0.0.1:{port}"));
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("expected a bind error, got {other:?}"),
    }
    match Exposer::start(registry(), ExposerConfig::new("[::1", 0)) {
        Err(Error::Bind { .. }) => {}
        other => panic!("expected a bind error, got {other:?}"),
    }
}

#[test]
fn shutdown_releases_the_port() {
    let mut exposer = Exposer::start(registry(), local()).expect("start");
    let addr = exposer.local_addr();
    assert_ne!(addr.port(), 0);
    // A kept-alive connection is open while shutting down.
    let mut idle = TcpStream::connect(addr).expect("connect");
    idle.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).expect("send");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).expect("an answer");
    assert_eq!(&first, b"HTTP/1.1 200");

    let started = Instant::now();
    exposer.shutdown();
    exposer.shutdown();
    assert!(started.elapsed() < PATIENCE);
    let again = TcpListener::bind(addr).expect("the port is free after shutdown");
    drop(again);
    assert!(TcpStream::connect(addr).is_err(), "nothing listens any more");
    // The kept-alive connection was closed too.
    idle.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);

    // Dropping the handle shuts down as well.
    let dropped = Exposer::start(registry(), local()).expect("start");
    let addr = dropped.local_addr();
    drop(dropped);
    TcpListener::bind(addr).expect("the port is free after drop");
}

#[test]
fn an_idle_connection_does_not_stop_scrapes() {
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local()).expect("start");
    let _idle = TcpStream::connect(exposer.local_addr()).expect("connect");
    let _half = {
        let mut half = TcpStream::connect(exposer.local_addr()).expect("connect");
        half.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").expect("send half a request");
        half
    };
    let answer = get(exposer.local_addr(), "/metrics", &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, text(&*registry));
}

#[test]
fn the_header_timeout_frees_a_slot_held_by_an_idle_client() {
    let registry = registry();
    let config = local().max_connections(1).header_timeout(Duration::from_millis(300));
    let exposer = Exposer::start(Arc::clone(&registry), config).expect("start");
    let mut idle = TcpStream::connect(exposer.local_addr()).expect("connect");
    // The only slot is the idle client's until its header timeout closes it; then the
    // scrape waiting in the backlog is served.
    let answer = get(exposer.local_addr(), "/metrics", &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, text(&*registry));
    idle.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut rest = Vec::new();
    match idle.read_to_end(&mut rest) {
        Ok(_) => assert!(!String::from_utf8_lossy(&rest).contains("200 OK")),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "the server closed it: {e}"),
    }
}

/// A collector whose exposition is larger than what the socket buffers of one loopback
/// connection hold.
struct Huge;
impl Collector for Huge {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        let mut family = MetricFamily {
            name: "huge".into(),
            help: "h".repeat(48 << 20),
            metric_type: MetricType::Gauge,
            unit: String::new(),
            samples: Vec::new(),
        };
        family.add_sample("huge", Vec::new(), 1.0, None, None);
        Ok(vec![family])
    }
}

#[test]
fn a_client_that_stops_reading_gives_its_slot_back() {
    let config = local().max_connections(1).write_timeout(Duration::from_millis(300)).disable_compression(true);
    let exposer = Exposer::start(Source::collector(Huge), config).expect("start");
    let addr = exposer.local_addr();
    let mut stalled = TcpStream::connect(addr).expect("connect");
    stalled.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
    // Never read: the answer cannot be written; after the write timeout the slot is free
    // and the next client is answered.
    let answer = request(addr, "HEAD", "/metrics", &[]);
    assert_eq!(answer.status, 200);
    drop(stalled);
}
