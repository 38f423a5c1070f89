//! Side-by-side benchmarks: fastprom against the crates `prometheus` 0.14 and
//! `prometheus-client` 0.26, same workloads in one run. `make bench` runs them; the
//! figures go to BENCHMARKS.md.

#![allow(clippy::unwrap_used)] // a benchmark with a broken setup should stop at once

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fastprom::{Buckets, Counter, EscapingScheme, Family, Histogram, Opts, Registry};
use prometheus_client::encoding::text::encode as pc_encode;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;

mod common;
use common::{counters_10k, histograms_100x100, label_values, lookup_setup, CHILDREN};

fn counter_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_inc");
    let a = AtomicU64::new(0);
    g.bench_function("atomic_u64_fetch_add", |b| b.iter(|| black_box(&a).fetch_add(1, Ordering::Relaxed)));
    let fam = Family::<Counter>::new(Opts::new("c", "h"), ()).unwrap();
    let fp = fam.unlabelled().unwrap().clone();
    g.bench_function("fastprom", |b| b.iter(|| black_box(&fp).inc()));
    let p = prometheus::IntCounter::new("c", "h").unwrap();
    g.bench_function("prometheus_int", |b| b.iter(|| black_box(&p).inc()));
    let pf = prometheus::Counter::new("c", "h").unwrap();
    g.bench_function("prometheus_f64", |b| b.iter(|| black_box(&pf).inc()));
    let pc: PcCounter = PcCounter::default();
    g.bench_function("prometheus_client", |b| b.iter(|| black_box(&pc).inc()));
    g.finish();
}

fn lookup_inc(c: &mut Criterion) {
    let s = lookup_setup();
    let mut g = c.benchmark_group("lookup3_inc_1000_children");
    let mut i = 0usize;
    g.bench_function("fastprom", |b| {
        b.iter(|| {
            i = (i + 1) % CHILDREN;
            let k = &s.keys[i];
            let _ = s.fp.with_labels(&[k[0].as_str(), k[1].as_str(), k[2].as_str()], |c| c.inc());
        })
    });
    g.bench_function("fastprom_handle", |b| {
        b.iter(|| {
            i = (i + 1) % CHILDREN;
            let k = &s.keys[i];
            if let Ok(c) = s.fp.labels(&[k[0].as_str(), k[1].as_str(), k[2].as_str()]) {
                c.inc();
            }
        })
    });
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            i = (i + 1) % CHILDREN;
            let k = &s.keys[i];
            s.p.with_label_values(&[k[0].as_str(), k[1].as_str(), k[2].as_str()]).inc();
        })
    });
    g.bench_function("prometheus_client", |b| {
        b.iter(|| {
            i = (i + 1) % CHILDREN;
            s.pc.get_or_create(&s.pc_keys[i]).inc();
        })
    });
    g.finish();
}

/// Two threads, each updating its own children of the same family; time per operation
/// per thread.
fn two_threads<F>(iters: u64, f: F) -> Duration
where
    F: Fn(usize, u64) + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let (f, barrier) = (Arc::clone(&f), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                f(t, iters);
                barrier.wait();
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    barrier.wait();
    let d = start.elapsed();
    for h in handles {
        let _ = h.join();
    }
    d
}

fn lookup_inc_two_threads(c: &mut Criterion) {
    let s = Arc::new(lookup_setup());
    let mut g = c.benchmark_group("lookup3_inc_1000_children_2_threads");
    let st = Arc::clone(&s);
    g.bench_function("fastprom", move |b| {
        let st = Arc::clone(&st);
        b.iter_custom(move |iters| {
            let st = Arc::clone(&st);
            two_threads(iters, move |t, n| {
                let k = &st.keys[t * 500 + 1];
                let r = [k[0].as_str(), k[1].as_str(), k[2].as_str()];
                for _ in 0..n {
                    let _ = st.fp.with_labels(black_box(&r), |c| c.inc());
                }
            })
        })
    });
    let st = Arc::clone(&s);
    g.bench_function("prometheus", move |b| {
        let st = Arc::clone(&st);
        b.iter_custom(move |iters| {
            let st = Arc::clone(&st);
            two_threads(iters, move |t, n| {
                let k = &st.keys[t * 500 + 1];
                let r = [k[0].as_str(), k[1].as_str(), k[2].as_str()];
                for _ in 0..n {
                    st.p.with_label_values(black_box(&r)).inc();
                }
            })
        })
    });
    let st = Arc::clone(&s);
    g.bench_function("prometheus_client", move |b| {
        let st = Arc::clone(&st);
        b.iter_custom(move |iters| {
            let st = Arc::clone(&st);
            two_threads(iters, move |t, n| {
                let k = &st.pc_keys[t * 500 + 1];
                for _ in 0..n {
                    st.pc.get_or_create(black_box(k)).inc();
                }
            })
        })
    });
    g.finish();
}

fn histogram_observe(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram_observe");
    let fam = Family::<Histogram>::new(Opts::new("h", "h"), Buckets::default()).unwrap();
    let fh = fam.unlabelled().unwrap().clone();
    let mut v = 0.0f64;
    g.bench_function("fastprom", |b| {
        b.iter(|| {
            v = if v > 12.0 { 0.001 } else { v * 1.7 + 0.001 };
            black_box(&fh).observe(v)
        })
    });
    let ph = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("h", "h").buckets(fastprom::metrics::DEFAULT_BUCKETS.to_vec()),
    )
    .unwrap();
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            v = if v > 12.0 { 0.001 } else { v * 1.7 + 0.001 };
            black_box(&ph).observe(v)
        })
    });
    let pch = PcHistogram::new(fastprom::metrics::DEFAULT_BUCKETS.iter().copied());
    g.bench_function("prometheus_client", |b| {
        b.iter(|| {
            v = if v > 12.0 { 0.001 } else { v * 1.7 + 0.001 };
            black_box(&pch).observe(v)
        })
    });
    g.finish();
}

fn encode_counters(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_text_1x10000_counters");
    g.sample_size(20);
    let regs = counters_10k();
    let (reg, preg, pcreg) = (&regs.fp, &regs.p, &regs.pc);
    g.bench_function("fastprom", |b| {
        b.iter(|| fastprom::expose::encode_text(reg, EscapingScheme::Underscores).unwrap())
    });
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            prometheus::Encoder::encode(&prometheus::TextEncoder::new(), &preg.gather(), &mut out).unwrap();
            out
        })
    });
    g.bench_function("prometheus_client", |b| {
        b.iter(|| {
            let mut out = String::new();
            pc_encode(&mut out, pcreg).unwrap();
            out
        })
    });
    g.finish();
}

fn encode_histograms(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_text_100x100_histograms");
    g.sample_size(10);
    let regs = histograms_100x100();
    let (reg, preg, pcreg) = (&regs.fp, &regs.p, &regs.pc);
    g.bench_function("fastprom", |b| {
        b.iter(|| fastprom::expose::encode_text(reg, EscapingScheme::Underscores).unwrap())
    });
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            prometheus::Encoder::encode(&prometheus::TextEncoder::new(), &preg.gather(), &mut out).unwrap();
            out
        })
    });
    g.bench_function("prometheus_client", |b| {
        b.iter(|| {
            let mut out = String::new();
            pc_encode(&mut out, pcreg).unwrap();
            out
        })
    });
    g.finish();
}

fn encode_openmetrics(c: &mut Criterion) {
    let reg = Registry::new();
    let fp = Family::<Counter>::new(Opts::new("req", "Requests.").labels(["method", "path", "code"]), ()).unwrap();
    reg.register(Arc::new(fp.clone())).unwrap();
    for i in 0..10_000 {
        let k = label_values(i);
        fp.labels(&[k[0].as_str(), k[1].as_str(), k[2].as_str()]).unwrap().inc();
    }
    let mut g = c.benchmark_group("encode_openmetrics_1x10000_counters_with_created");
    g.sample_size(20);
    g.bench_with_input(BenchmarkId::new("fastprom", 10_000), &reg, |b, reg| {
        b.iter(|| fastprom::expose::encode_openmetrics(reg, EscapingScheme::Underscores, "1.0.0").unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = counter_inc, lookup_inc, lookup_inc_two_threads, histogram_observe, encode_counters, encode_histograms, encode_openmetrics
}
criterion_main!(benches);
