//! The tutorial's `prometheus.py` on fastprom's Rust core: a Summary
//! `request_processing_seconds` timing a fake request handler, served on /metrics.
//!
//! Usage: tutorial_app [PORT] [ADDR]   (defaults 8000, 127.0.0.1)

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastprom::{Registry, Summary};
use fastprom_examples::{serve, ProcessCollector};

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1".into());

    let registry = Arc::new(Registry::new());
    let request_time = match Summary::new("request_processing_seconds", "Time spent processing request") {
        Ok(s) => s,
        Err(e) => return eprintln!("tutorial_app: {e}"),
    };
    if let Err(e) = registry.register(request_time.clone()).and_then(|_| registry.register(ProcessCollector)) {
        return eprintln!("tutorial_app: {e}");
    }
    let listener = match TcpListener::bind((addr.as_str(), port)) {
        Ok(l) => l,
        Err(e) => return eprintln!("tutorial_app: cannot listen on {addr}:{port}: {e}"),
    };
    eprintln!("tutorial_app: serving http://{addr}:{port}/metrics");
    let reg = Arc::clone(&registry);
    std::thread::spawn(move || serve(listener, reg));

    // process_request(random.random()) forever, timed into the summary.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15 ^ std::process::id() as u64;
    loop {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let t = (seed >> 11) as f64 / (1u64 << 53) as f64;
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(t));
        request_time.observe(start.elapsed().as_secs_f64());
    }
}
