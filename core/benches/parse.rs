//! Parser throughput: MB/s on a 10,000-series exposition, text and OpenMetrics.
//! `make bench` runs it; tools/bench_parse.py compares with prometheus_client's parsers.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fastprom::names::ValidationScheme;
use fastprom::{Buckets, Counter, EscapingScheme, Family, Gauge, Histogram, Opts, Registry};

/// A registry of 10,000 series: counters, gauges and histogram buckets with 2-3 labels.
pub fn exposition_registry() -> Registry {
    let reg = Registry::new();
    let c =
        Family::<Counter>::new(Opts::new("http_requests", "Requests served.").labels(["method", "path", "code"]), ())
            .unwrap();
    let g = Family::<Gauge>::new(Opts::new("queue_depth", "Items waiting.").labels(["queue", "shard"]), ()).unwrap();
    let h = Family::<Histogram>::new(Opts::new("latency_seconds", "Latency.").labels(["route"]), Buckets::default())
        .unwrap();
    reg.register(Arc::new(c.clone())).unwrap();
    reg.register(Arc::new(g.clone())).unwrap();
    reg.register(Arc::new(h.clone())).unwrap();
    for i in 0..4000 {
        let (m, p, code) = (format!("m{}", i % 5), format!("/api/v{}/items/{}", i % 3, i), format!("{}", 200 + i % 7));
        let _ = c.labels(&[m.as_str(), p.as_str(), code.as_str()]).unwrap().inc_by(i as f64 * 1.5);
    }
    for i in 0..3000 {
        g.labels(&[format!("q{}", i % 50).as_str(), format!("{i}").as_str()]).unwrap().set(i as f64 / 7.0);
    }
    for i in 0..176 {
        let r = format!("/route/{i}");
        let child = h.labels(&[r.as_str()]).unwrap();
        for k in 0..20 {
            child.observe((k * i) as f64 / 113.0);
        }
    }
    reg
}

fn parse(c: &mut Criterion) {
    let reg = exposition_registry();
    reg.set_created(false);
    let text = fastprom::expose::encode_text(&reg, EscapingScheme::Underscores).unwrap();
    let om = fastprom::expose::encode_openmetrics(&reg, EscapingScheme::Underscores, "1.0.0").unwrap();
    let text = String::from_utf8(text).unwrap();
    let om = String::from_utf8(om).unwrap();
    let series = text.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("parse bench: {series} series, text {} bytes, OpenMetrics {} bytes", text.len(), om.len());
    // The same inputs for tools/bench_parse.py (prometheus_client's parsers).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/parse-bench");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("exposition.txt"), &text);
        let _ = std::fs::write(dir.join("exposition.om.txt"), &om);
    }

    let mut g = c.benchmark_group("parse_10000_series");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("text_lenient", |b| {
        b.iter(|| fastprom::parse::text::text_string_to_metric_families(black_box(&text)).unwrap())
    });
    g.bench_function("text_strict", |b| {
        b.iter(|| {
            fastprom::parse::text::parse_str(black_box(&text), fastprom::parse::Mode::Strict, ValidationScheme::Utf8)
                .unwrap()
        })
    });
    g.throughput(Throughput::Bytes(om.len() as u64));
    g.bench_function("openmetrics", |b| {
        b.iter(|| fastprom::parse::openmetrics::parse_str(black_box(&om), ValidationScheme::Utf8).unwrap())
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
