//! The workloads both benches measure, built the same way for fastprom and the peer
//! crates: label values, a 1000-child lookup family, and the two registries the encode
//! benches scrape.

#![allow(dead_code)] // each bench uses its own subset

use fastprom::{Buckets, Counter, Family, Histogram, Opts, Registry};
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family as PcFamily;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;

pub type PcLabels = Vec<(String, String)>;
pub type PcRegistry = prometheus_client::registry::Registry;

pub const LABELS: [&str; 3] = ["method", "path", "code"];
pub const CHILDREN: usize = 1000;

/// The label values of child `i`: 7 methods, 11 paths, a distinct code.
pub fn label_values(i: usize) -> [String; 3] {
    [format!("m{}", i % 7), format!("/api/v{}", i % 11), format!("{}", 200 + i)]
}

/// The same values as prometheus-client's label set.
pub fn pc_labels(k: &[String; 3]) -> PcLabels {
    LABELS.iter().zip(k.iter()).map(|(n, v)| ((*n).to_owned(), v.clone())).collect()
}

/// One 3-label counter family per library, each with the same 1000 children.
pub struct Lookup {
    pub fp: Family<Counter>,
    pub p: prometheus::IntCounterVec,
    pub pc: PcFamily<PcLabels, PcCounter>,
    pub keys: Vec<[String; 3]>,
    pub pc_keys: Vec<PcLabels>,
}

pub fn lookup_setup() -> Lookup {
    let fp = Family::<Counter>::new(Opts::new("req", "h").labels(LABELS), ()).unwrap();
    let p = prometheus::IntCounterVec::new(prometheus::Opts::new("req", "h"), &LABELS).unwrap();
    let pc = PcFamily::<PcLabels, PcCounter>::default();
    let keys: Vec<[String; 3]> = (0..CHILDREN).map(label_values).collect();
    let pc_keys: Vec<PcLabels> = keys.iter().map(pc_labels).collect();
    for (k, pk) in keys.iter().zip(&pc_keys) {
        let r = [k[0].as_str(), k[1].as_str(), k[2].as_str()];
        fp.labels(&r).unwrap().inc();
        p.with_label_values(&r).inc();
        pc.get_or_create(pk).inc();
    }
    Lookup { fp, p, pc, keys, pc_keys }
}

/// Registries holding the same series in each library.
pub struct Registries {
    pub fp: Registry,
    pub p: prometheus::Registry,
    pub pc: PcRegistry,
}

/// One family of 10,000 float counters with 3 labels (no `_created`).
pub fn counters_10k() -> Registries {
    let fp_reg = Registry::new();
    fp_reg.set_created(false);
    let fp = Family::<Counter>::new(Opts::new("req", "Requests.").labels(LABELS), ()).unwrap();
    fp_reg.register(fp.clone()).unwrap();
    let p_reg = prometheus::Registry::new();
    let p = prometheus::CounterVec::new(prometheus::Opts::new("req_total", "Requests."), &LABELS).unwrap();
    p_reg.register(Box::new(p.clone())).unwrap();
    let mut pc_reg = PcRegistry::default();
    let pc = PcFamily::<PcLabels, PcCounter<f64>>::default();
    pc_reg.register("req", "Requests.", pc.clone());
    for i in 0..10_000 {
        let k = label_values(i);
        let r = [k[0].as_str(), k[1].as_str(), k[2].as_str()];
        fp.labels(&r).unwrap().inc_by(i as f64).unwrap();
        p.with_label_values(&r).inc_by(i as f64);
        pc.get_or_create(&pc_labels(&k)).inc_by(i as f64);
    }
    Registries { fp: fp_reg, p: p_reg, pc: pc_reg }
}

/// 100 histogram families (default buckets) of 100 children each (no `_created`).
pub fn histograms_100x100() -> Registries {
    let fp_reg = Registry::new();
    fp_reg.set_created(false);
    let p_reg = prometheus::Registry::new();
    let mut pc_reg = PcRegistry::default();
    for f in 0..100 {
        let name = format!("lat_{f}");
        let fp = Family::<Histogram>::new(Opts::new(name.clone(), "Latency.").labels(["route"]), Buckets::default())
            .unwrap();
        fp_reg.register(fp.clone()).unwrap();
        let p = prometheus::HistogramVec::new(prometheus::HistogramOpts::new(name.clone(), "Latency."), &["route"])
            .unwrap();
        p_reg.register(Box::new(p.clone())).unwrap();
        let pc = PcFamily::<PcLabels, PcHistogram>::new_with_constructor(|| {
            PcHistogram::new(fastprom::metrics::DEFAULT_BUCKETS.iter().copied())
        });
        pc_reg.register(name.clone(), "Latency.", pc.clone());
        for ch in 0..100 {
            let route = format!("/r/{ch}");
            let v = (ch as f64) / 37.0;
            fp.labels(&[route.as_str()]).unwrap().observe(v);
            p.with_label_values(&[route.as_str()]).observe(v);
            pc.get_or_create(&vec![("route".to_owned(), route.clone())]).observe(v);
        }
    }
    Registries { fp: fp_reg, p: p_reg, pc: pc_reg }
}
