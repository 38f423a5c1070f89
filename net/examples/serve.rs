//! Serves a counter on `/metrics`: `cargo run -p fastprom-net --example serve -- PORT [SECONDS]`.
//!
//! The counter `example_ticks_total` goes up once a second. Port `0` picks a free one;
//! with SECONDS the program shuts the exposer down and exits after that long, otherwise
//! it serves until interrupted.

use std::time::{Duration, Instant};

use fastprom::{Counter, Registry};
use fastprom_net::{Exposer, ExposerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().as_deref().unwrap_or("8000").parse().map_err(|e| format!("PORT: {e}"))?;
    let seconds: Option<u64> = args.next().map(|s| s.parse()).transpose().map_err(|e| format!("SECONDS: {e}"))?;

    let registry = Registry::new();
    let ticks = Counter::new("example_ticks", "Seconds this example has been serving.")?;
    registry.register(ticks.clone())?;

    let mut exposer = Exposer::start(registry, ExposerConfig::new("127.0.0.1", port))?;
    println!("serving http://{}/metrics", exposer.local_addr());

    let started = Instant::now();
    let deadline = seconds.map(Duration::from_secs);
    while deadline.map_or(true, |d| started.elapsed() < d) {
        std::thread::sleep(Duration::from_secs(1));
        ticks.inc();
    }
    exposer.shutdown();
    println!("stopped after {} ticks", ticks.get());
    Ok(())
}
