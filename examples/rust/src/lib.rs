//! Small std-only helpers the tutorial programs share: a /metrics HTTP server, an HTTP
//! client for the Pushgateway, and a process collector that reads /proc. The core does no
//! I/O; these show how a host wraps it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use fastprom::expose;
use fastprom::push::PushRequest;
use fastprom::{Collector, MetricFamily, MetricType, Registry};

/// Serves `registry` on `listener` forever: `GET /metrics` (any path, like
/// prometheus_client) with content negotiation, gzip and `name[]` filtering.
pub fn serve(listener: TcpListener, registry: Arc<Registry>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let registry = Arc::clone(&registry);
        std::thread::spawn(move || {
            let _ = handle(stream, &registry);
        });
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn handle(stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let (mut accept, mut accept_encoding) = (None, None);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "accept" => accept = Some(v.trim().to_owned()),
                "accept-encoding" => accept_encoding = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut out = stream;
    if method != "GET" {
        let body = format!("# HTTP 405 Method Not Allowed: {method}; use OPTIONS or GET\n");
        write!(out, "HTTP/1.1 405 Method Not Allowed\r\nAllow: OPTIONS,GET\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
        return Ok(());
    }
    let names: Vec<String> = target
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .filter(|(k, _)| percent_decode(k) == "name[]")
                .map(|(_, v)| percent_decode(v))
                .collect()
        })
        .unwrap_or_default();
    let how = expose::negotiate(accept.as_deref());
    let body = if names.is_empty() {
        expose::encode(registry, &how)
    } else {
        expose::encode(&registry.restricted(names), &how)
    };
    let (status, ctype, mut body) = match body {
        Ok(b) => ("200 OK", how.content_type.clone(), b),
        Err(e) => ("500 Internal Server Error", "text/plain; charset=utf-8".to_owned(), e.to_string().into_bytes()),
    };
    let mut extra = String::new();
    if status.starts_with("200") && expose::gzip_accepted(accept_encoding.as_deref()) {
        body = expose::gzip(&body);
        extra.push_str("Content-Encoding: gzip\r\n");
    }
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(&body)?;
    out.flush()
}

/// Sends a push request over plain HTTP/1.1; returns the status code, or an error for
/// a transport failure or a status of 400 and above.
pub fn send(req: &PushRequest) -> Result<u16, String> {
    let rest = req.url.strip_prefix("http://").ok_or_else(|| format!("only http:// is supported here: {}", req.url))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = host.to_socket_addrs().map_err(|e| format!("{host}: {e}"))?.next().ok_or("no address")?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).map_err(|e| format!("{host}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        req.method.as_str(),
        req.body.len()
    );
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).and_then(|_| s.write_all(&req.body)).map_err(|e| e.to_string())?;
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let code: u16 = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or("bad HTTP response")?;
    if code >= 400 {
        return Err(format!("error talking to pushgateway: {code} {}", resp.lines().last().unwrap_or("")));
    }
    Ok(code)
}

/// A custom collector bridging the operating system: the process metrics
/// prometheus_client exports on Linux, read from /proc at scrape time.
#[derive(Debug, Default)]
pub struct ProcessCollector;

fn page_size() -> f64 {
    4096.0
}

fn ticks() -> f64 {
    100.0
}

impl Collector for ProcessCollector {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return Ok(Vec::new()) };
        // Fields after the command name, which is in parentheses and may hold spaces.
        let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = after.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let (utime, stime, start, vsize, rss) = (num(11), num(12), num(19), num(20), num(21));
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("btime"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .unwrap_or(0.0);
        let fds = std::fs::read_dir("/proc/self/fd").map(|d| d.count() as f64).unwrap_or(0.0);
        let mut out = Vec::new();
        let mut g = |name: &str, help: &str, t: MetricType, v: f64| -> fastprom::Result<()> {
            let mut fam = if t == MetricType::Counter {
                MetricFamily::counter(name, help, "")?
            } else {
                MetricFamily::new(name, help, t, "")?
            };
            if t == MetricType::Counter {
                fam.add_counter(&[], v, None, None, None);
            } else {
                fam.add_value(&[], v, None);
            }
            out.push(fam);
            Ok(())
        };
        g("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge, vsize)?;
        g("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge, rss * page_size())?;
        g(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            MetricType::Gauge,
            start / ticks() + boot,
        )?;
        g(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            MetricType::Counter,
            (utime + stime) / ticks(),
        )?;
        g("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds)?;
        Ok(out)
    }
}
