//! What the integration tests share: free loopback ports, raw HTTP exchanges over a
//! std `TcpStream`, and the Debian `prometheus` and `pushgateway` daemons, started on
//! loopback ports in temporary directories and killed (by PID) when dropped.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Every wait in the tests is bounded by this.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A loopback port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

/// A parsed HTTP/1.x answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// Sends `method path` with extra header lines and `Connection: close`, reads the whole
/// answer until the server closes (bounded by [`PATIENCE`]).
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut conn = TcpStream::connect(addr).expect("connect to the exposer");
    conn.set_read_timeout(Some(PATIENCE)).expect("read timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).expect("send the request");
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).expect("read the answer");
    parse_answer(&raw)
}

/// `GET path` with extra headers.
pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    request(addr, "GET", path, headers)
}

/// Splits a complete HTTP/1.x answer (body delimited by the connection's end, or
/// `Content-Length`, or chunked).
pub fn parse_answer(raw: &[u8]) -> Answer {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of the answer's head");
    let head = std::str::from_utf8(&raw[..end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line.split(' ').nth(1).expect("status code").parse().expect("numeric status");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header line");
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_vec() };
    Answer { status, headers, body }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size_text = std::str::from_utf8(&rest[..line_end]).expect("ASCII chunk size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).expect("hex chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// An HTTP client with a timeout that reports non-2xx answers as answers.
pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).http_status_as_error(false).build(),
    )
}

/// `GET url` through [`agent`]: the status and the body as text, or `None` when the
/// server cannot be reached.
pub fn fetch(url: &str) -> Option<(u16, String)> {
    let mut answer = agent().get(url).call().ok()?;
    let status = answer.status().as_u16();
    let body = answer.body_mut().read_to_string().ok()?;
    Some((status, body))
}

/// Polls `check` every 100 ms until it gives `Some`, for at most `limit`.
pub fn poll<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A fresh directory under the system's temp directory, removed by [`Daemon`]'s drop.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "fastprom-net-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp directory");
    dir
}

/// The first of `names` found on `PATH`.
pub fn find_binary(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("none of {names:?} is on PATH; `make setup` installs the Debian packages");
}

/// A daemon started by a test: killed and waited for (by PID) when dropped, its temp
/// directory removed.
pub struct Daemon {
    child: Child,
    dir: PathBuf,
    /// Where it listens.
    pub addr: SocketAddr,
    name: &'static str,
}

impl Daemon {
    /// Starts `binary` with `args`, its output in `dir/log`, then waits until `GET
    /// /-/ready` answers 200 (failing with the log if it exits or takes too long).
    fn start(name: &'static str, binary: &Path, args: &[String], dir: PathBuf, addr: SocketAddr) -> Self {
        let log = std::fs::File::create(dir.join("log")).expect("create the log file");
        let child = Command::new(binary)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut daemon = Daemon { child, dir, addr, name };
        let ready = format!("http://{addr}/-/ready");
        let up = poll(PATIENCE, || {
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!("{name} exited with {status}:\n{}", daemon.log());
            }
            fetch(&ready).filter(|(status, _)| *status == 200)
        });
        assert!(up.is_some(), "{name} not ready within {PATIENCE:?}:\n{}", daemon.log());
        daemon
    }

    /// What the daemon printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} log ---\n{}", self.name, self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One scrape target of [`start_prometheus`].
pub struct Target<'a> {
    pub job: &'a str,
    pub addr: SocketAddr,
    /// Basic-auth user and password, if the target needs them.
    pub auth: Option<(&'a str, &'a str)>,
}

/// A Prometheus scraping `targets` every second, with its storage in a temp directory.
pub fn start_prometheus(targets: &[Target<'_>]) -> Daemon {
    start_prometheus_with(targets, &[])
}

/// [`start_prometheus`] with more command-line flags (such as
/// `--web.enable-remote-write-receiver`).
pub fn start_prometheus_with(targets: &[Target<'_>], flags: &[&str]) -> Daemon {
    let binary = find_binary(&["prometheus"]);
    let dir = temp_dir("prometheus");
    let mut config = String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for Target { job, addr, auth } in targets {
        config.push_str(&format!("  - job_name: {job}\n"));
        if let Some((user, password)) = auth {
            config.push_str(&format!("    basic_auth:\n      username: {user}\n      password: {password}\n"));
        }
        config.push_str(&format!("    static_configs:\n      - targets: ['{addr}']\n"));
    }
    std::fs::write(dir.join("prometheus.yml"), config).expect("write the Prometheus config");
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let args = vec![
        format!("--config.file={}", dir.join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", dir.join("data").display()),
        format!("--web.listen-address={addr}"),
    ];
    let args: Vec<String> = args.into_iter().chain(flags.iter().map(|f| (*f).to_owned())).collect();
    Daemon::start("prometheus", &binary, &args, dir, addr)
}

/// A Pushgateway on a free loopback port, keeping nothing on disk.
pub fn start_pushgateway() -> Daemon {
    let binary = find_binary(&["prometheus-pushgateway", "pushgateway"]);
    let dir = temp_dir("pushgateway");
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    // Debian's build persists to /var/lib/prometheus/pushgateway.data unless told
    // otherwise; an empty file name keeps each test's gateway in memory only.
    let args = vec![format!("--web.listen-address={addr}"), "--persistence.file=".to_owned()];
    Daemon::start("pushgateway", &binary, &args, dir, addr)
}
