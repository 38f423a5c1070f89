//! A real Prometheus (Debian's `prometheus`) scrapes two exposers, one of them behind
//! Basic authentication, and its query API shows the values they served.

mod support;

use std::sync::Arc;

use fastprom::{Counter, Family, Opts, Registry};
use fastprom_net::{BasicAuth, Exposer, ExposerConfig};
use serde_json::Value;
use support::{poll, start_prometheus, Target, PATIENCE};

/// The first result's value of an instant query, once there is one.
fn query(prometheus: &support::Daemon, expr: &str) -> Option<String> {
    let url = prometheus.url(&format!("/api/v1/query?query={}", encode(expr)));
    let (status, body) = support::fetch(&url)?;
    if status != 200 {
        return None;
    }
    let json: Value = serde_json::from_str(&body).ok()?;
    Some(json["data"]["result"].get(0)?["value"][1].as_str()?.to_owned())
}

/// Percent-encodes a PromQL expression for a query string.
fn encode(expr: &str) -> String {
    expr.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
#[ignore = "needs Debian prometheus; run by make test"]
fn prometheus_scrapes_the_exposer() {
    let registry = Arc::new(Registry::new());
    let jobs = Counter::new("fastprom_net_jobs", "Jobs done.").expect("counter");
    registry.register(jobs.clone()).expect("register");
    jobs.inc_by(42.0).expect("inc");
    let requests =
        Family::<Counter>::new(Opts::new("fastprom_net_requests", "Requests.").labels(["code"]), ()).expect("family");
    registry.register(requests.clone()).expect("register");
    requests.labels(&["200"]).expect("child").inc_by(5.0).expect("inc");
    let open = Exposer::start(Arc::clone(&registry), ExposerConfig::new("127.0.0.1", 0)).expect("start");

    let secret = Arc::new(Registry::new());
    let guarded = Counter::new("fastprom_net_guarded", "Behind basic auth.").expect("counter");
    secret.register(guarded.clone()).expect("register");
    guarded.inc_by(9.0).expect("inc");
    let auth = BasicAuth::new("prom", "hunter2");
    let closed =
        Exposer::start(Arc::clone(&secret), ExposerConfig::new("127.0.0.1", 0).basic_auth(auth)).expect("start");

    let prometheus = start_prometheus(&[
        Target { job: "fastprom_open", addr: open.local_addr(), auth: None },
        Target { job: "fastprom_auth", addr: closed.local_addr(), auth: Some(("prom", "hunter2")) },
    ]);
    let got = poll(PATIENCE, || query(&prometheus, "fastprom_net_jobs_total").filter(|v| v == "42"));
    assert_eq!(got.as_deref(), Some("42"), "log:\n{}", prometheus.log());
    let got = poll(PATIENCE, || query(&prometheus, "fastprom_net_requests_total{code=\"200\"}").filter(|v| v == "5"));
    assert_eq!(got.as_deref(), Some("5"));
    let got = poll(PATIENCE, || query(&prometheus, "fastprom_net_guarded_total").filter(|v| v == "9"));
    assert_eq!(got.as_deref(), Some("9"));
    assert_eq!(query(&prometheus, "up{job=\"fastprom_open\"}").as_deref(), Some("1"));
    assert_eq!(query(&prometheus, "up{job=\"fastprom_auth\"}").as_deref(), Some("1"));

    // A later increment arrives with a later scrape.
    jobs.inc_by(8.0).expect("inc");
    let got = poll(PATIENCE, || query(&prometheus, "fastprom_net_jobs_total").filter(|v| v == "50"));
    assert_eq!(got.as_deref(), Some("50"));
}

#[test]
#[ignore = "needs Debian prometheus; run by make test"]
fn prometheus_without_the_credentials_is_refused() {
    let registry = Arc::new(Registry::new());
    let hidden = Counter::new("fastprom_net_hidden", "Never scraped.").expect("counter");
    registry.register(hidden.clone()).expect("register");
    let auth = BasicAuth::new("prom", "hunter2");
    let exposer = Exposer::start(registry, ExposerConfig::new("127.0.0.1", 0).basic_auth(auth)).expect("start");
    let prometheus = start_prometheus(&[Target { job: "fastprom_noauth", addr: exposer.local_addr(), auth: None }]);
    let up = poll(PATIENCE, || query(&prometheus, "up{job=\"fastprom_noauth\"}"));
    assert_eq!(up.as_deref(), Some("0"), "a 401 is a failed scrape");
    assert_eq!(query(&prometheus, "fastprom_net_hidden_total"), None);
}
