//! fastprom and its peers interleaved in one process: each round measures every library
//! once, in turn, and a workload's figure is the median over the rounds. On a shared,
//! noisy machine this keeps a slow moment from landing on one library only, which
//! criterion's one-library-after-another runs cannot. Each table also measures a bare
//! `AtomicU64::fetch_add`, the floor any atomic counter pays on this machine.
//!
//! `make bench-side` runs it (`cargo bench -p fastprom --bench side_by_side`); set
//! `ROUNDS` (default 5) and `MS` (time per measurement, default 200) to change the run.
//! It prints the tables BENCHMARKS.md quotes.

#![allow(clippy::unwrap_used)] // a benchmark with a broken setup should stop at once

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use fastprom::{Counter, EscapingScheme, Registry};
use prometheus_client::encoding::text::encode as pc_encode;
use prometheus_client::metrics::counter::Counter as PcCounter;

mod common;
use common::{counters_10k, histograms_100x100, lookup_setup, Lookup, PcRegistry, Registries, CHILDREN};

type Work<'a> = Box<dyn FnMut(u64) + 'a>;
/// A table's name (what the command-line filter matches) and the function printing it.
type Table = (&'static str, fn(u64, Duration));

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Nanoseconds per operation: `work(n)` does `n` operations; batches grow until one
/// takes a tenth of the budget, then run until the budget is spent.
fn measure(work: &mut dyn FnMut(u64), budget: Duration) -> f64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        work(n);
        if t.elapsed() * 10 >= budget || n >= 1 << 40 {
            break;
        }
        n *= 2;
    }
    let (mut ops, start) = (0u64, Instant::now());
    while start.elapsed() < budget {
        work(n);
        ops += n;
    }
    start.elapsed().as_nanos() as f64 / ops as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn fmt(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} us", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Runs the contenders interleaved for `rounds` rounds and prints one table; the first
/// contender is fastprom, the last the `fetch_add` floor when the table has one.
fn table(title: &str, contenders: &mut [(&str, Work<'_>)], rounds: u64, budget: Duration) {
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for _ in 0..rounds {
        for (i, (_, work)) in contenders.iter_mut().enumerate() {
            runs[i].push(measure(work.as_mut(), budget));
        }
    }
    let medians: Vec<f64> = runs.iter().map(|r| median(r.clone())).collect();
    println!("\n{title}\n");
    println!("| implementation | median | min..max over rounds | vs fastprom |");
    println!("| --- | ---: | ---: | ---: |");
    for (i, (name, _)) in contenders.iter().enumerate() {
        let lo = runs[i].iter().copied().fold(f64::INFINITY, f64::min);
        let hi = runs[i].iter().copied().fold(0.0, f64::max);
        println!("| {name} | {} | {}..{} | {:.2}x |", fmt(medians[i]), fmt(lo), fmt(hi), medians[i] / medians[0]);
    }
}

fn floor(a: &AtomicU64) -> Work<'_> {
    Box::new(move |n| {
        for _ in 0..n {
            black_box(a).fetch_add(1, Ordering::Relaxed);
        }
    })
}

fn counter_inc(rounds: u64, budget: Duration) {
    let fp = Counter::new("c", "h").unwrap();
    let p = prometheus::IntCounter::new("c", "h").unwrap();
    let pf = prometheus::Counter::new("c", "h").unwrap();
    let pc: PcCounter = PcCounter::default();
    let a = AtomicU64::new(0);
    let mut c: Vec<(&str, Work<'_>)> = vec![
        ("fastprom `Counter::inc`", Box::new(|n| (0..n).for_each(|_| black_box(&fp).inc()))),
        ("prometheus `IntCounter`", Box::new(|n| (0..n).for_each(|_| black_box(&p).inc()))),
        ("prometheus `Counter` (f64)", Box::new(|n| (0..n).for_each(|_| black_box(&pf).inc()))),
        (
            "prometheus-client `Counter` (u64)",
            Box::new(|n| {
                (0..n).for_each(|_| {
                    black_box(&pc).inc();
                })
            }),
        ),
        ("bare `fetch_add`", floor(&a)),
    ];
    table("counter inc, no labels", &mut c, rounds, budget);
}

/// The three lookups, keys cycled through all 1000 children; `stride` and `offset` pick
/// the children one thread visits.
fn lookup_ops(s: &Lookup, which: usize, n: u64, offset: usize, span: usize) {
    let mut i = 0usize;
    for _ in 0..n {
        i = if i + 1 == span { 0 } else { i + 1 };
        let k = &s.keys[offset + i];
        match which {
            0 => {
                let _ = s.fp.with_labels(black_box(&[k[0].as_str(), k[1].as_str(), k[2].as_str()]), |c| c.inc());
            }
            1 => s.p.with_label_values(black_box(&[k[0].as_str(), k[1].as_str(), k[2].as_str()])).inc(),
            _ => {
                s.pc.get_or_create(black_box(&s.pc_keys[offset + i])).inc();
            }
        }
    }
}

fn lookup_inc(rounds: u64, budget: Duration) {
    let s = lookup_setup();
    let a = AtomicU64::new(0);
    let mut c: Vec<(&str, Work<'_>)> = vec![
        ("fastprom `with_labels`", Box::new(|n| lookup_ops(&s, 0, n, 0, CHILDREN))),
        ("prometheus `with_label_values`", Box::new(|n| lookup_ops(&s, 1, n, 0, CHILDREN))),
        ("prometheus-client `get_or_create`", Box::new(|n| lookup_ops(&s, 2, n, 0, CHILDREN))),
        ("bare `fetch_add`", floor(&a)),
    ];
    table("3-label lookup + inc, 1000 children cycled", &mut c, rounds, budget);
}

/// Two threads, each cycling through its own half of the children; time per operation
/// per thread.
fn two_threads(s: &Arc<Lookup>, which: usize, n: u64) {
    let barrier = Arc::new(Barrier::new(2));
    std::thread::scope(|scope| {
        for t in 0..2 {
            let (s, barrier) = (Arc::clone(s), Arc::clone(&barrier));
            scope.spawn(move || {
                barrier.wait();
                lookup_ops(&s, which, n, t * CHILDREN / 2, CHILDREN / 2);
            });
        }
    });
}

fn lookup_inc_two_threads(rounds: u64, budget: Duration) {
    let s = Arc::new(lookup_setup());
    let a = AtomicU64::new(0);
    let mut c: Vec<(&str, Work<'_>)> = vec![
        ("fastprom `with_labels`", Box::new(|n| two_threads(&s, 0, n))),
        ("prometheus `with_label_values`", Box::new(|n| two_threads(&s, 1, n))),
        ("prometheus-client `get_or_create`", Box::new(|n| two_threads(&s, 2, n))),
        ("bare `fetch_add` (one thread)", floor(&a)),
    ];
    table("the same lookup + inc, 2 threads on different children (time per op per thread)", &mut c, rounds, budget);
}

fn encode_counters(rounds: u64, budget: Duration) {
    encode_table("text encode, 1 family x 10,000 counters", &counters_10k(), rounds, budget);
}

fn encode_histograms(rounds: u64, budget: Duration) {
    encode_table("text encode, 100 histogram families x 100 children", &histograms_100x100(), rounds, budget);
}

/// Each library's fastest text path: fastprom into a reused buffer, `prometheus`'s
/// gather and encode into a reused `Vec`, prometheus-client into a reused `String`.
fn encode_table(title: &str, regs: &Registries, rounds: u64, budget: Duration) {
    let (reg, preg, pcreg): (&Registry, &prometheus::Registry, &PcRegistry) = (&regs.fp, &regs.p, &regs.pc);
    let (mut fbuf, mut pbuf, mut pcbuf) = (Vec::new(), Vec::new(), String::new());
    let a = AtomicU64::new(0);
    let mut c: Vec<(&str, Work<'_>)> = vec![
        (
            "fastprom `encode_text_into`",
            Box::new(|n| {
                for _ in 0..n {
                    fbuf.clear();
                    fastprom::expose::encode_text_into(reg, EscapingScheme::Underscores, &mut fbuf).unwrap();
                    black_box(&fbuf);
                }
            }),
        ),
        (
            "prometheus `TextEncoder`",
            Box::new(|n| {
                for _ in 0..n {
                    pbuf.clear();
                    prometheus::Encoder::encode(&prometheus::TextEncoder::new(), &preg.gather(), &mut pbuf).unwrap();
                    black_box(&pbuf);
                }
            }),
        ),
        (
            "prometheus-client `encode`",
            Box::new(|n| {
                for _ in 0..n {
                    pcbuf.clear();
                    pc_encode(&mut pcbuf, pcreg).unwrap();
                    black_box(&pcbuf);
                }
            }),
        ),
        ("bare `fetch_add`", floor(&a)),
    ];
    table(title, &mut c, rounds, budget);
}

fn main() {
    // `cargo bench` passes `--bench`; a filter word picks tables by name.
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let rounds = env_or("ROUNDS", 5).max(1);
    let budget = Duration::from_millis(env_or("MS", 200).max(1));
    let tables: [Table; 5] = [
        ("counter_inc", counter_inc),
        ("lookup_inc", lookup_inc),
        ("lookup_inc_two_threads", lookup_inc_two_threads),
        ("encode_counters", encode_counters),
        ("encode_histograms", encode_histograms),
    ];
    println!("fastprom side by side: {rounds} rounds, {} ms per measurement", budget.as_millis());
    for (name, run) in tables {
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            run(rounds, budget);
        }
    }
}
