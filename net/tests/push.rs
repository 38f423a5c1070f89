//! The push client against a real Pushgateway (Debian's `prometheus-pushgateway`) and
//! against loopback sockets that refuse, hang, answer with errors or record the request.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fastprom::push::{push_request, Compression, PushMethod};
use fastprom::{expose, Counter, EscapingScheme, Gauge, Registry};
use fastprom_net::push::send;
use fastprom_net::{delete_from_gateway, push_to_gateway, pushadd_to_gateway, BasicAuth, Error};
use serde_json::Value;
use support::{start_pushgateway, PATIENCE};

const TIMEOUT: Duration = Duration::from_secs(10);

fn gauge_registry(name: &str, value: f64) -> Registry {
    let registry = Registry::new();
    let gauge = Gauge::new(name, "Pushed by a test.").expect("gauge");
    registry.register(gauge.clone()).expect("register");
    gauge.set(value);
    registry
}

/// The gateway's groups (`GET /api/v1/metrics`'s `data`).
fn groups(gateway: &support::Daemon) -> Vec<Value> {
    let (status, body) = support::fetch(&gateway.url("/api/v1/metrics")).expect("the gateway answers");
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["status"], "success");
    json["data"].as_array().expect("a list of groups").clone()
}

/// The group whose labels are exactly `labels`.
fn group(gateway: &support::Daemon, labels: &[(&str, &str)]) -> Option<Value> {
    groups(gateway).into_iter().find(|g| {
        let have = g["labels"].as_object().expect("labels");
        have.len() == labels.len() && labels.iter().all(|(k, v)| have.get(*k).and_then(Value::as_str) == Some(*v))
    })
}

/// The value of a group's single-sample metric, as the gateway reports it.
fn value(group: &Value, metric: &str) -> Option<String> {
    Some(group.get(metric)?["metrics"][0]["value"].as_str()?.to_owned())
}

#[test]
#[ignore = "needs Debian pushgateway; run by make test"]
fn put_post_and_delete_reach_a_real_gateway() {
    let gateway = start_pushgateway();
    let address = gateway.addr.to_string();
    // Both values need `@base64` in the URL: one has a space, one slashes.
    let key = [("instance", "worker 1"), ("path", "/srv/batch")];
    let labels = [("job", "batch A"), ("instance", "worker 1"), ("path", "/srv/batch")];

    push_to_gateway(&address, "batch A", &key, &gauge_registry("first_metric", 1.5), TIMEOUT, None).expect("PUT");
    let g = group(&gateway, &labels).unwrap_or_else(|| panic!("group after PUT in {:?}", groups(&gateway)));
    assert_eq!(value(&g, "first_metric").as_deref(), Some("1.5"));

    // POST replaces only the names it pushes.
    pushadd_to_gateway(&address, "batch A", &key, &gauge_registry("second_metric", 2.0), TIMEOUT, None).expect("POST");
    let g = group(&gateway, &labels).expect("group after POST");
    assert_eq!(value(&g, "first_metric").as_deref(), Some("1.5"));
    assert_eq!(value(&g, "second_metric").as_deref(), Some("2"));

    // PUT replaces the whole group.
    push_to_gateway(&address, "batch A", &key, &gauge_registry("second_metric", 3.0), TIMEOUT, None).expect("PUT");
    let g = group(&gateway, &labels).expect("group after the second PUT");
    assert_eq!(value(&g, "first_metric"), None);
    assert_eq!(value(&g, "second_metric").as_deref(), Some("3"));

    // A gzip-compressed push through the lower-level `send`.
    let registry = gauge_registry("zipped_metric", 4.0);
    let body = expose::encode_text(&registry, EscapingScheme::Underscores).expect("encode");
    let request =
        push_request(PushMethod::Post, &address, "batch A", &key, body, Some(Compression::Gzip)).expect("request");
    let answer = send(&request, TIMEOUT, None).expect("gzip POST");
    assert_eq!(answer.status, 200);
    assert_eq!(value(&group(&gateway, &labels).expect("group"), "zipped_metric").as_deref(), Some("4"));

    delete_from_gateway(&address, "batch A", &key, TIMEOUT, None).expect("DELETE");
    assert!(group(&gateway, &labels).is_none(), "deleted: {:?}", groups(&gateway));

    // The gateway's own /metrics agrees (nothing of the group left).
    let (_, exposed) = support::fetch(&gateway.url("/metrics")).expect("gateway metrics");
    assert!(!exposed.contains("second_metric"), "{exposed}");
}

#[test]
#[ignore = "needs Debian pushgateway; run by make test"]
fn a_body_the_gateway_rejects_is_a_status_error_with_its_text() {
    let gateway = start_pushgateway();
    let address = gateway.addr.to_string();
    let request = push_request(PushMethod::Put, &address, "broken", &[], b"this is { not a metric\n".to_vec(), None)
        .expect("request");
    match send(&request, TIMEOUT, None) {
        Err(Error::Status { method, url, status, body }) => {
            assert_eq!(method, PushMethod::Put);
            assert_eq!(url, format!("http://{address}/metrics/job/broken"));
            assert_eq!(status, 400);
            assert!(body.contains("pars"), "the gateway says why: {body:?}");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
    assert!(group(&gateway, &[("job", "broken")]).is_none());
}

#[test]
fn a_gateway_that_is_down_fails_quickly() {
    let port = support::free_port();
    let started = Instant::now();
    let err = push_to_gateway(&format!("127.0.0.1:{port}"), "job", &[], &Registry::new(), TIMEOUT, None)
        .expect_err("nothing listens");
    assert!(started.elapsed() < TIMEOUT, "took {:?}", started.elapsed());
    match err {
        Error::Connect { method, url, .. } => {
            assert_eq!(method, PushMethod::Put);
            assert_eq!(url, format!("http://127.0.0.1:{port}/metrics/job/job"));
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

/// A listener that accepts connections and never answers, until dropped.
fn silent_gateway() -> (SocketAddr, JoinHandle<()>, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (done, wait) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let conn = listener.accept().expect("accept");
        let _ = wait.recv_timeout(PATIENCE);
        drop(conn);
    });
    (addr, thread, done)
}

#[test]
fn a_gateway_that_never_answers_times_out() {
    let (addr, thread, done) = silent_gateway();
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = pushadd_to_gateway(&addr.to_string(), "job", &[], &gauge_registry("g", 1.0), timeout, None)
        .expect_err("no answer");
    let took = started.elapsed();
    assert!(took >= timeout && took < PATIENCE, "took {took:?}");
    assert!(err.to_string().contains("no answer within 500ms"), "{err}");
    match err {
        Error::Timeout { method, timeout: t, url } => {
            assert_eq!(method, PushMethod::Post);
            assert_eq!(t, timeout);
            assert_eq!(url, format!("http://{addr}/metrics/job/job"));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(done);
    thread.join().expect("listener thread");
}

/// A one-request HTTP server: reads the request (head and `Content-Length` body), sends
/// `answer`, and hands the request's bytes back.
fn one_shot(answer: &'static [u8]) -> (SocketAddr, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let thread = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        conn.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let request = read_request(&mut conn);
        conn.write_all(answer).expect("answer");
        request
    });
    (addr, thread)
}

fn read_request(conn: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).expect("read");
        assert!(n > 0, "the client closed early");
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().expect("length"));
            if raw.len() >= end + 4 + length {
                return raw;
            }
        }
    }
}

#[test]
fn a_server_error_carries_status_and_body() {
    let (addr, thread) = one_shot(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 16\r\nConnection: close\r\n\r\nstorage is full\n",
    );
    let err =
        delete_from_gateway(&addr.to_string(), "cleanup", &[("instance", "a/b")], TIMEOUT, None).expect_err("a 500");
    match &err {
        Error::Status { method, url, status, body } => {
            assert_eq!(*method, PushMethod::Delete);
            assert_eq!(url, &format!("http://{addr}/metrics/job/cleanup/instance@base64/YS9i"));
            assert_eq!(*status, 500);
            assert_eq!(body, "storage is full\n");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
    assert!(err.to_string().ends_with("the server answered 500: storage is full"), "{err}");
    let request = String::from_utf8(thread.join().expect("server thread")).expect("ASCII request");
    assert!(request.starts_with("DELETE /metrics/job/cleanup/instance@base64/YS9i HTTP/1.1\r\n"), "{request}");
}

#[test]
fn a_redirect_is_not_followed() {
    let (addr, thread) = one_shot(
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n",
    );
    match push_to_gateway(&addr.to_string(), "job", &[], &Registry::new(), TIMEOUT, None) {
        Err(Error::Status { status: 307, .. }) => {}
        other => panic!("expected a 307 status error, got {other:?}"),
    }
    thread.join().expect("server thread");
}

#[test]
fn the_request_carries_method_headers_auth_and_body() {
    let (addr, thread) = one_shot(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok");
    let registry = Registry::new();
    let runs = Counter::new("runs", "Runs.").expect("counter");
    registry.register(runs.clone()).expect("register");
    runs.inc();
    let auth = BasicAuth::new("pusher", "s3cret");
    push_to_gateway(&format!("http://{addr}/"), "nightly", &[("zone", "eu")], &registry, TIMEOUT, Some(&auth))
        .expect("a 202 is a success");
    let raw = thread.join().expect("server thread");
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head end");
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("PUT /metrics/job/nightly/zone/eu HTTP/1.1\r\n"), "{head}");
    assert!(lower.contains("\r\ncontent-type: text/plain; version=0.0.4; charset=utf-8"), "{head}");
    assert!(lower.contains(&format!("\r\nauthorization: {}", auth.header_value().to_ascii_lowercase())), "{head}");
    assert_eq!(&raw[end + 4..], expose::encode_text(&registry, EscapingScheme::Underscores).expect("encode"));

    // `send` reports the success answer.
    let (addr, thread) = one_shot(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok");
    let request = push_request(PushMethod::Delete, &addr.to_string(), "nightly", &[], Vec::new(), None).expect("req");
    let answer = send(&request, TIMEOUT, None).expect("202");
    assert_eq!((answer.status, answer.body.as_str()), (202, "ok"));
    thread.join().expect("server thread");
}

#[test]
fn bad_arguments_are_core_or_url_errors() {
    match push_to_gateway("localhost:9091", "job", &[("job", "x")], &Registry::new(), TIMEOUT, None) {
        Err(Error::Core(fastprom::Error::InvalidArgument(_))) => {}
        other => panic!("expected the core's error, got {other:?}"),
    }
    match push_to_gateway("http://[::1:9091", "job", &[], &Registry::new(), TIMEOUT, None) {
        Err(Error::Core(fastprom::Error::InvalidArgument(m))) => assert_eq!(m, "Invalid IPv6 URL"),
        other => panic!("expected the core's error, got {other:?}"),
    }
    if !cfg!(feature = "push-tls") {
        match push_to_gateway("https://127.0.0.1:1", "job", &[], &Registry::new(), TIMEOUT, None) {
            Err(Error::InvalidUrl { url, reason }) => {
                assert_eq!(url, "https://127.0.0.1:1/metrics/job/job");
                assert!(reason.contains("push-tls"), "{reason}");
            }
            other => panic!("expected an invalid URL, got {other:?}"),
        }
    }
}
