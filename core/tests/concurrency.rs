#![allow(clippy::unwrap_used)]
//! Concurrency tests: exact totals under contention, one child per label set however many
//! threads race to create it, consistent scrapes while writers observe, no panic or
//! deadlock when children are removed and cleared under load, and label sets that never
//! merge.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use fastprom::{
    Buckets, Counter, EscapingScheme, Family, Gauge, Histogram, Objective, Opts, Registry, Summary, SummaryConfig,
};

/// Threads per test (more than the 2 cores, so threads are preempted mid-operation).
const N: usize = 8;
/// Operations per thread.
const M: usize = 40_000;

/// Runs `f` on `n` threads (given their index) that start together, and joins them all,
/// failing the test if any thread panicked or if they are not all done within a very
/// generous deadline (a deadlock would otherwise hang the test run forever).
fn run_threads<F>(n: usize, f: F)
where
    F: Fn(usize) + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(n));
    let (tx, rx) = mpsc::channel();
    let handles: Vec<_> = (0..n)
        .map(|t| {
            let (f, barrier, tx) = (Arc::clone(&f), Arc::clone(&barrier), tx.clone());
            thread::spawn(move || {
                barrier.wait();
                f(t);
                let _ = tx.send(t);
            })
        })
        .collect();
    drop(tx);
    let mut done = 0;
    while done < n {
        match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(_) => done += 1,
            // All senders gone: some thread panicked; the joins below report it.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("threads did not finish: deadlock suspected"),
        }
    }
    for h in handles {
        h.join().expect("worker thread panicked");
    }
}

/// One parsed sample line of the text format.
#[derive(Debug, Clone)]
struct Line {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Line {
    fn label(&self, k: &str) -> Option<&str> {
        self.labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

fn parse_value(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => s.parse().unwrap_or_else(|e| panic!("bad value {s:?}: {e}")),
    }
}

/// Parses the sample lines of a Prometheus text exposition with legacy names
/// (`name{k="v",...} value`).
fn parse_text(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (name_end, rest) = match line.find('{') {
            Some(i) => (i, &line[i..]),
            None => {
                let i = line.find(' ').expect("sample line without value");
                (i, &line[i..])
            }
        };
        let name = line[..name_end].to_owned();
        let mut labels = Vec::new();
        let mut rest = rest;
        if rest.starts_with('{') {
            rest = &rest[1..];
            loop {
                if let Some(r) = rest.strip_prefix('}') {
                    rest = r;
                    break;
                }
                let eq = rest.find("=\"").expect("label without =\"");
                let k = rest[..eq].to_owned();
                rest = &rest[eq + 2..];
                let mut v = String::new();
                let mut chars = rest.char_indices();
                let end = loop {
                    let (i, c) = chars.next().expect("unterminated label value");
                    match c {
                        '"' => break i,
                        '\\' => match chars.next().expect("dangling backslash").1 {
                            '\\' => v.push('\\'),
                            '"' => v.push('"'),
                            'n' => v.push('\n'),
                            other => panic!("unknown escape \\{other}"),
                        },
                        c => v.push(c),
                    }
                };
                labels.push((k, v));
                rest = &rest[end + 1..];
                if let Some(r) = rest.strip_prefix(',') {
                    rest = r;
                }
            }
        }
        let value = parse_value(rest.trim_start_matches(' '));
        out.push(Line { name, labels, value });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Exact totals
// ---------------------------------------------------------------------------------------

#[test]
fn counter_child_total_is_exact() {
    let family = Family::<Counter>::new(Opts::new("hits", "h").labels(["k"]), ()).unwrap();
    let child = family.labels(&["a"]).unwrap();
    let unlabelled = Family::<Counter>::new(Opts::new("plain", "h"), ()).unwrap();
    {
        let (family, child, unlabelled) = (family.clone(), child.clone(), unlabelled.clone());
        run_threads(N, move |t| {
            for i in 0..M {
                // Mix the three ways of reaching the child.
                match (i + t) % 3 {
                    0 => child.inc(),
                    1 => family.with_labels(&["a"], |c| c.inc()).unwrap(),
                    _ => family.labels(&["a"]).unwrap().inc_by(1.0).unwrap(),
                }
                unlabelled.unlabelled().unwrap().inc();
            }
        });
    }
    let total = (N * M) as f64;
    assert_eq!(child.get(), total);
    assert_eq!(family.labels(&["a"]).unwrap().get(), total);
    assert_eq!(family.len(), 1);
    assert_eq!(unlabelled.unlabelled().unwrap().get(), total);

    let registry = Registry::new();
    registry.register(Arc::new(family.clone())).unwrap();
    assert_eq!(registry.get_sample_value("hits_total", &[("k", "a")]).unwrap(), Some(total));
}

#[test]
fn counter_fractional_increments_are_never_lost() {
    // 0.25 and 0.5 are exact, and so is every partial sum here, so any lost CAS update
    // would show.
    let family = Family::<Counter>::new(Opts::new("frac", "h").labels(["k"]), ()).unwrap();
    let c = family.labels(&["x"]).unwrap();
    {
        let c = c.clone();
        run_threads(N, move |t| {
            for i in 0..M {
                c.inc_by(if (i + t) % 2 == 0 { 0.25 } else { 0.5 }).unwrap();
            }
        });
    }
    // Per thread: M/2 of each (M even).
    let expected = (N * (M / 2)) as f64 * 0.75;
    assert_eq!(c.get(), expected);
}

#[test]
fn gauge_inc_dec_mix_is_exact() {
    let family = Family::<Gauge>::new(Opts::new("level", "h").labels(["k"]), ()).unwrap();
    let g = family.labels(&["a"]).unwrap();
    let per_thread = {
        // What one thread does to the gauge, computed serially.
        let mut v = 0.0f64;
        for i in 0..M {
            match i % 5 {
                0 => v += 1.0,
                1 => v -= 1.0,
                2 => v += 2.5,
                3 => v -= 0.5,
                _ => v += 1.0,
            }
        }
        v
    };
    {
        let (family, g) = (family.clone(), g.clone());
        run_threads(N, move |_| {
            for i in 0..M {
                match i % 5 {
                    0 => g.inc(),
                    1 => g.dec(),
                    2 => g.inc_by(2.5),
                    3 => g.dec_by(0.5),
                    // Alternate handle, to mix the handle and the lookup path.
                    _ => family.with_labels(&["a"], |g| g.inc()).unwrap(),
                }
            }
        });
    }
    assert_eq!(g.get(), per_thread * N as f64);
    assert_eq!(family.len(), 1);
}

/// Observation pattern shared by the histogram tests: the value for step `i`.
fn hist_value(i: usize) -> f64 {
    match i % 4 {
        0 => 0.5,  // le="1.0"
        1 => 2.0,  // le="2.0" (an observation equal to a bound belongs to that bucket)
        2 => 3.0,  // le="5.0"
        _ => 10.0, // le="+Inf"
    }
}

#[test]
fn histogram_child_bucket_counts_and_sum_are_exact() {
    let family =
        Family::<Histogram>::new(Opts::new("lat", "h").labels(["k"]), Buckets::new(&[1.0, 2.0, 5.0]).unwrap()).unwrap();
    let h = family.labels(&["a"]).unwrap();
    {
        let (family, h) = (family.clone(), h.clone());
        run_threads(N, move |t| {
            for i in 0..M {
                if (i + t) % 2 == 0 {
                    h.observe(hist_value(i));
                } else {
                    family.with_labels(&["a"], |h| h.observe(hist_value(i))).unwrap();
                }
            }
        });
    }
    let q = (N * M / 4) as u64; // M is a multiple of 4: each bucket gets exactly this many
    assert_eq!(h.count(), (N * M) as u64);
    assert_eq!(h.cumulative(), vec![q, 2 * q, 3 * q, 4 * q]);
    assert_eq!(h.sum(), q as f64 * (0.5 + 2.0 + 3.0 + 10.0));

    let registry = Registry::new();
    registry.register(Arc::new(family.clone())).unwrap();
    let get = |name: &str, le: Option<&str>| {
        let mut labels = vec![("k", "a")];
        if let Some(le) = le {
            labels.push(("le", le));
        }
        registry.get_sample_value(name, &labels).unwrap()
    };
    assert_eq!(get("lat_bucket", Some("1.0")), Some(q as f64));
    assert_eq!(get("lat_bucket", Some("2.0")), Some(2.0 * q as f64));
    assert_eq!(get("lat_bucket", Some("5.0")), Some(3.0 * q as f64));
    assert_eq!(get("lat_bucket", Some("+Inf")), Some(4.0 * q as f64));
    assert_eq!(get("lat_count", None), Some((N * M) as f64));
    assert_eq!(get("lat_sum", None), Some(q as f64 * 15.5));
}

#[test]
fn histogram_with_many_buckets_counts_exactly() {
    // More than 16 bounds takes the binary-search path of the bucket lookup.
    let buckets = Buckets::linear(1.0, 1.0, 20).unwrap(); // 1..=20, +Inf
    assert_eq!(buckets.bounds().len(), 21);
    let family = Family::<Histogram>::new(Opts::new("wide", "h").labels(["k"]), buckets).unwrap();
    let h = family.labels(&["a"]).unwrap();
    // Step i observes (i % 25) as f64 * 1.0: 0 and 1 land in le=1, k in le=k for k<=20,
    // 21..=24 in +Inf. Also every value is exact, so is the sum.
    {
        let h = h.clone();
        run_threads(N, move |_| {
            for i in 0..M {
                h.observe((i % 25) as f64);
            }
        });
    }
    let reps = (N * M / 25) as u64; // M is a multiple of 25
    let mut expected = vec![0u64; 21];
    for v in 0..25usize {
        let idx = if v <= 1 {
            0
        } else if v <= 20 {
            v - 1
        } else {
            20
        };
        expected[idx] += reps;
    }
    let cumulative: Vec<u64> = expected
        .iter()
        .scan(0u64, |acc, c| {
            *acc += c;
            Some(*acc)
        })
        .collect();
    assert_eq!(h.cumulative(), cumulative);
    assert_eq!(h.count(), (N * M) as u64);
    assert_eq!(h.sum(), reps as f64 * (0..25).sum::<usize>() as f64);
}

#[test]
fn summary_count_and_sum_are_exact() {
    let family = Family::<Summary>::new(Opts::new("sz", "h").labels(["k"]), SummaryConfig::default()).unwrap();
    let s = family.labels(&["a"]).unwrap();
    let cfg = SummaryConfig::quantiles(
        &[Objective { quantile: 0.5, error: 0.05 }, Objective { quantile: 0.99, error: 0.001 }],
        600.0,
        5,
    )
    .unwrap();
    let qfamily = Family::<Summary>::new(Opts::new("szq", "h").labels(["k"]), cfg).unwrap();
    let qs = qfamily.labels(&["a"]).unwrap();
    const QM: usize = M / 4; // the quantile path takes a lock and sorts: fewer steps
    {
        let (s, qs) = (s.clone(), qs.clone());
        run_threads(N, move |t| {
            for i in 0..M {
                s.observe(if (i + t) % 2 == 0 { 0.5 } else { 2.0 });
            }
            for i in 0..QM {
                qs.observe(if i % 2 == 0 { 0.5 } else { 2.0 });
            }
        });
    }
    assert_eq!(s.count(), (N * M) as u64);
    assert_eq!(s.sum(), (N * M / 2) as f64 * 2.5);
    assert_eq!(qs.count(), (N * QM) as u64);
    assert_eq!(qs.sum(), (N * QM / 2) as f64 * 2.5);
    // Half the observations are 0.5 and half 2.0: the median is one of them (within the
    // rank error), the 0.99 quantile is 2.0.
    let q = qs.quantiles();
    assert_eq!(q.len(), 2);
    assert!(q[0].1 == 0.5 || q[0].1 == 2.0, "median {}", q[0].1);
    assert_eq!(q[1].1, 2.0);
}

// ---------------------------------------------------------------------------------------
// Child creation races
// ---------------------------------------------------------------------------------------

#[test]
fn racing_creators_of_one_label_set_share_one_child() {
    const ROUNDS: usize = 300;
    const K: usize = 50;
    let family = Family::<Counter>::new(Opts::new("race", "h").labels(["a", "b"]), ()).unwrap();
    // Slot `round * N + thread` holds that thread's handle for that round.
    let handles: Arc<slots::Slots> = Arc::new(slots::Slots::new(ROUNDS * N));
    let barrier = Arc::new(Barrier::new(N));
    {
        let (family, handles, barrier) = (family.clone(), Arc::clone(&handles), Arc::clone(&barrier));
        run_threads(N, move |t| {
            for r in 0..ROUNDS {
                // Every thread asks for the same new set at the same moment.
                barrier.wait();
                let b = format!("round-{r}");
                let c = family.labels(&["same", b.as_str()]).unwrap();
                for _ in 0..K {
                    c.inc();
                }
                handles.put(r * N + t, c);
            }
        });
    }
    assert_eq!(family.len(), ROUNDS);
    assert_eq!(family.children().len(), ROUNDS);
    for r in 0..ROUNDS {
        let b = format!("round-{r}");
        let c = family.labels(&["same", b.as_str()]).unwrap();
        assert_eq!(c.get(), (N * K) as f64, "round {r}");
        // Every thread's handle sees the full total, so they are all the same child.
        for t in 0..N {
            let h = handles.take(r * N + t);
            assert_eq!(h.get(), (N * K) as f64, "round {r} thread {t}");
            assert_eq!(h.label_values(), vec!["same", b.as_str()]);
        }
    }
    // Insertion order follows the rounds (each round's child was created before the next
    // round began).
    let order: Vec<String> = family.children().iter().map(|c| c.label_values()[1].to_owned()).collect();
    let expected: Vec<String> = (0..ROUNDS).map(|r| format!("round-{r}")).collect();
    assert_eq!(order, expected);
}

/// A tiny slot array for handing `Child` values from worker threads back to the test.
mod slots {
    use std::sync::Mutex;

    use fastprom::{Child, Counter};

    pub struct Slots(Mutex<Vec<Option<Child<Counter>>>>);

    impl Slots {
        pub fn new(n: usize) -> Self {
            Self(Mutex::new((0..n).map(|_| None).collect()))
        }
        pub fn put(&self, i: usize, c: Child<Counter>) {
            self.0.lock().unwrap()[i] = Some(c);
        }
        pub fn take(&self, i: usize) -> Child<Counter> {
            self.0.lock().unwrap()[i].take().expect("slot filled")
        }
    }
}

#[test]
fn racing_creators_of_different_label_sets() {
    const DISTINCT: usize = 2_000;
    const PER_THREAD: usize = 6_000;
    let family = Family::<Counter>::new(Opts::new("many", "h").labels(["x", "y", "z"]), ()).unwrap();
    // Thread t touches sets (t * 7 + i * 13) % DISTINCT: heavy overlap between threads.
    let set = |t: usize, i: usize| {
        let n = (t * 7 + i * 13) % DISTINCT;
        [format!("{}", n % 10), format!("v{}", n / 10), if n % 2 == 0 { String::new() } else { "odd".into() }]
    };
    {
        let family = family.clone();
        run_threads(N, move |t| {
            for i in 0..PER_THREAD {
                let s = set(t, i);
                if i % 2 == 0 {
                    family.labels(&s).unwrap().inc();
                } else {
                    family.with_labels(&s, |c| c.inc()).unwrap();
                }
            }
        });
    }
    let mut expected: HashMap<[String; 3], f64> = HashMap::new();
    for t in 0..N {
        for i in 0..PER_THREAD {
            *expected.entry(set(t, i)).or_default() += 1.0;
        }
    }
    assert_eq!(family.len(), expected.len());
    let children = family.children();
    assert_eq!(children.len(), expected.len());
    for c in &children {
        let v = c.label_values();
        let key = [v[0].to_owned(), v[1].to_owned(), v[2].to_owned()];
        assert_eq!(Some(&c.get()), expected.get(&key), "{key:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Scrape consistency
// ---------------------------------------------------------------------------------------

/// Per-child histogram samples of one scrape: buckets (le, value) in exposition order,
/// `_count`.
#[derive(Default, Debug)]
struct HistView {
    buckets: Vec<(f64, f64)>,
    count: Option<f64>,
}

fn group_histograms(lines: &[Line], name: &str) -> BTreeMap<String, HistView> {
    let mut out: BTreeMap<String, HistView> = BTreeMap::new();
    for l in lines {
        let child = l.label("path").unwrap_or("").to_owned();
        if l.name == format!("{name}_bucket") {
            let le = parse_value(l.label("le").expect("bucket without le"));
            out.entry(child).or_default().buckets.push((le, l.value));
        } else if l.name == format!("{name}_count") {
            let v = out.entry(child).or_default();
            assert!(v.count.is_none(), "two _count samples");
            v.count = Some(l.value);
        }
    }
    out
}

fn check_histogram_view(child: &str, v: &HistView) {
    assert!(!v.buckets.is_empty(), "{child}: no buckets");
    for w in v.buckets.windows(2) {
        assert!(w[0].0 < w[1].0, "{child}: le not increasing: {:?}", v.buckets);
        assert!(w[0].1 <= w[1].1, "{child}: buckets not cumulative: {:?}", v.buckets);
    }
    let (last_le, last) = *v.buckets.last().unwrap_or(&(0.0, 0.0));
    assert_eq!(last_le, f64::INFINITY, "{child}: last bucket is not +Inf");
    assert_eq!(v.count, Some(last), "{child}: _count != +Inf bucket: {v:?}");
}

#[test]
fn scrapes_are_consistent_while_writers_observe() {
    const PATHS: [&str; 4] = ["/a", "/b", "/c", "/d"];
    const SCRAPES: usize = 300;
    const WRITERS: usize = 3;
    // Enough for the writers to keep going for all the scrapes; a cap keeps the test
    // bounded even if the reader dies.
    const WRITER_CAP: usize = 3_000_000;
    let buckets = Buckets::new(&[0.1, 0.5, 1.0, 2.5, 5.0, 10.0]).unwrap();
    let family = Family::<Histogram>::new(Opts::new("req_seconds", "h").labels(["path"]), buckets).unwrap();
    let registry = Arc::new(Registry::new());
    registry.register(Arc::new(family.clone())).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));

    let (family2, registry2, stop2, written2) =
        (family.clone(), Arc::clone(&registry), Arc::clone(&stop), Arc::clone(&written));
    run_threads(WRITERS + 1, move |t| {
        if t < WRITERS {
            let handles: Vec<_> = PATHS.iter().map(|p| family2.labels(&[*p]).unwrap()).collect();
            let mut i = 0usize;
            while !stop2.load(Ordering::Relaxed) && i < WRITER_CAP {
                let v = [0.05, 0.3, 0.7, 2.0, 4.0, 8.0, 50.0][(i * 7 + t) % 7];
                handles[i % PATHS.len()].observe(v);
                i += 1;
            }
            written2.fetch_add(i, Ordering::Relaxed);
            return;
        }
        // The reader: encode and parse, again and again.
        let mut last_count: HashMap<String, f64> = HashMap::new();
        for n in 0..SCRAPES {
            let text = fastprom::expose::encode_text(&*registry2, EscapingScheme::Underscores).unwrap();
            let text = String::from_utf8(text).unwrap();
            let lines = parse_text(&text);
            let views = group_histograms(&lines, "req_seconds");
            for (child, v) in &views {
                check_histogram_view(child, v);
                // Counts never go backwards between scrapes.
                let c = v.count.unwrap_or(0.0);
                let prev = last_count.insert(child.clone(), c).unwrap_or(0.0);
                assert!(c >= prev, "{child}: _count went from {prev} to {c}");
            }
            // The same through the collected model, every tenth scrape.
            if n % 10 == 0 {
                use fastprom::Collector;
                for fam in registry2.collect().unwrap() {
                    let mut per: BTreeMap<String, HistView> = BTreeMap::new();
                    for s in &fam.samples {
                        let child = s.label("path").unwrap_or("").to_owned();
                        if s.name == "req_seconds_bucket" {
                            let le = parse_value(s.label("le").unwrap());
                            per.entry(child).or_default().buckets.push((le, s.value));
                        } else if s.name == "req_seconds_count" {
                            per.entry(child).or_default().count = Some(s.value);
                        }
                    }
                    for (child, v) in &per {
                        check_histogram_view(child, v);
                    }
                }
            }
            // Sample by sample through get_sample_value: every call is its own scrape,
            // taken later than the previous one, so reading the buckets in `le` order
            // must still give non-decreasing values, and `_count` read after the `+Inf`
            // bucket is at least that bucket.
            let path = PATHS[n % PATHS.len()];
            let mut prev = 0.0;
            for le in ["0.1", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"] {
                let v = registry2
                    .get_sample_value("req_seconds_bucket", &[("path", path), ("le", le)])
                    .unwrap()
                    .unwrap_or(0.0);
                assert!(v >= prev, "{path}: bucket le={le} = {v} < previous {prev}");
                prev = v;
            }
            let count = registry2.get_sample_value("req_seconds_count", &[("path", path)]).unwrap().unwrap_or(0.0);
            assert!(count >= prev, "{path}: _count {count} < +Inf bucket {prev}");
        }
        stop2.store(true, Ordering::Relaxed);
    });

    // Quiescent now: everything adds up exactly.
    let total: f64 = PATHS
        .iter()
        .map(|p| registry.get_sample_value("req_seconds_count", &[("path", p)]).unwrap().unwrap_or(0.0))
        .sum();
    assert_eq!(total, written.load(Ordering::Relaxed) as f64);
    for p in PATHS {
        let inf = registry.get_sample_value("req_seconds_bucket", &[("path", p), ("le", "+Inf")]).unwrap();
        let count = registry.get_sample_value("req_seconds_count", &[("path", p)]).unwrap();
        assert_eq!(inf, count);
        assert_eq!(count, Some(family.labels(&[p]).unwrap().count() as f64));
    }
}

// ---------------------------------------------------------------------------------------
// Removal under load
// ---------------------------------------------------------------------------------------

/// A small deterministic generator (xorshift), so the threads need no shared RNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn remove_clear_labels_inc_race_without_panic_or_deadlock() {
    const ITERS: usize = 5_000;
    const KEYS: u64 = 24;
    let family = Family::<Counter>::new(Opts::new("churn", "h").labels(["a", "b"]), ()).unwrap();
    let hfamily = Family::<Histogram>::new(Opts::new("churn_h", "h").labels(["a"]), Buckets::default()).unwrap();
    let registry = Arc::new(Registry::new());
    registry.register(Arc::new(family.clone())).unwrap();
    registry.register(Arc::new(hfamily.clone())).unwrap();
    {
        let (family, hfamily, registry) = (family.clone(), hfamily.clone(), Arc::clone(&registry));
        run_threads(6, move |t| {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1) * 0x1234_5678);
            let mut kept = Vec::new();
            for _ in 0..ITERS {
                let k = rng.below(KEYS);
                let (a, b) = (format!("a{}", k % 4), format!("b{}", k / 4));
                match rng.below(100) {
                    0..=39 => family.labels(&[&a, &b]).unwrap().inc(),
                    40..=59 => family.with_labels(&[&a, &b], |c| c.inc_by(2.0)).unwrap().unwrap(),
                    60..=74 => {
                        let _ = family.remove(&[&a, &b]).unwrap();
                    }
                    75..=79 => {
                        let _ = family.remove_by_labels(&[("a", a.as_str())]).unwrap();
                    }
                    80..=81 => family.clear(),
                    82..=86 => {
                        // Keep a handle: it must stay usable after its child is removed.
                        kept.push(family.labels(&[&a, &b]).unwrap());
                        if kept.len() > 8 {
                            kept.remove(0);
                        }
                    }
                    87..=91 => {
                        for c in &kept {
                            c.inc();
                        }
                    }
                    92..=95 => {
                        hfamily.labels(&[&a]).unwrap().observe(rng.below(20) as f64 / 2.0);
                        if rng.below(4) == 0 {
                            let _ = hfamily.remove(&[&a]).unwrap();
                        }
                    }
                    96..=97 => {
                        let out = fastprom::expose::encode_text(&*registry, EscapingScheme::Underscores).unwrap();
                        assert!(String::from_utf8(out).is_ok());
                    }
                    _ => {
                        let n = family.len();
                        let kids = family.children();
                        // len and children are separate reads; both are bounded by the key space.
                        assert!(n <= KEYS as usize && kids.len() <= KEYS as usize);
                    }
                }
            }
        });
    }
    // After the storm the family is still coherent: distinct children, len agrees.
    let kids = family.children();
    assert_eq!(kids.len(), family.len());
    let mut seen = std::collections::HashSet::new();
    for c in &kids {
        assert!(seen.insert(c.label_values().iter().map(|s| s.to_string()).collect::<Vec<_>>()));
        // Whatever the history, a live child's value is a non-negative integer count.
        assert!(c.get() >= 0.0 && c.get().fract() == 0.0);
    }
    // The child list and the lookup agree: every listed child is the one its labels find,
    // and removing each listed child by its labels empties the family.
    for c in &kids {
        let values: Vec<String> = c.label_values().iter().map(|s| s.to_string()).collect();
        let found = family.labels(&values).unwrap();
        let before = found.get();
        c.inc();
        assert_eq!(found.get(), before + 1.0, "{values:?}: listed child is not the one looked up");
    }
    for c in &kids {
        let values: Vec<String> = c.label_values().iter().map(|s| s.to_string()).collect();
        assert!(family.remove(&values).unwrap(), "{values:?} listed but not removable");
    }
    assert!(family.is_empty());
    assert!(family.children().is_empty());
    // And it still works.
    family.clear();
    assert!(family.is_empty());
    family.labels(&["x", "y"]).unwrap().inc();
    assert_eq!(family.len(), 1);
    assert_eq!(registry.get_sample_value("churn_total", &[("a", "x"), ("b", "y")]).unwrap(), Some(1.0));
}

#[test]
fn removed_child_handles_stay_valid_and_are_not_resurrected() {
    let family = Family::<Counter>::new(Opts::new("gone", "h").labels(["a"]), ()).unwrap();
    let old = family.labels(&["x"]).unwrap();
    old.inc_by(5.0).unwrap();
    assert!(family.remove(&["x"]).unwrap());
    assert!(!family.remove(&["x"]).unwrap());
    {
        let old = old.clone();
        run_threads(4, move |_| {
            for _ in 0..1000 {
                old.inc();
            }
        });
    }
    assert_eq!(old.get(), 4005.0);
    assert!(family.is_empty());
    // A new child for the same labels starts from zero.
    let new = family.labels(&["x"]).unwrap();
    assert_eq!(new.get(), 0.0);
    new.inc();
    assert_eq!(old.get(), 4005.0);
}

// ---------------------------------------------------------------------------------------
// Label sets never merge
// ---------------------------------------------------------------------------------------

/// Two-value tuples crafted to collide in naive key schemes: every split of short strings
/// over an alphabet of separators, quotes, escapes, control and multi-byte characters
/// (so `["a","bc"]` and `["ab","c"]` both appear, and so do `["", x]` and `[x, ""]`),
/// plus long values around the one- and two-byte length-prefix boundaries.
fn colliding_pairs() -> Vec<[String; 2]> {
    let alphabet = ["a", "b", "\0", ",", "=", "\"", "\\", "\n", "\u{7f}", "\u{80}", "é", "日", "🦀", "|"];
    let mut strings = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for s in &frontier {
            for c in alphabet {
                next.push(format!("{s}{c}"));
            }
        }
        strings.extend(next.iter().cloned());
        frontier = next;
    }
    let mut pairs = Vec::new();
    for s in &strings {
        let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect();
        for i in cuts {
            pairs.push([s[..i].to_owned(), s[i..].to_owned()]);
        }
    }
    // Length-prefix boundaries: 127/128 bytes (one vs two LEB128 bytes), 16383/16384
    // (two vs three), and > 16 KB, combined so that the concatenations coincide.
    for total in [127usize, 128, 129, 255, 256, 16_383, 16_384, 16_385, 20_000] {
        let s = "x".repeat(total);
        for cut in [0, 1, 127, 128, total - 1, total] {
            if cut <= total {
                pairs.push([s[..cut].to_owned(), s[cut..].to_owned()]);
            }
        }
        // A value whose bytes look like a length prefix followed by content.
        pairs.push([format!("{}\u{1}x", "y".repeat(total)), String::new()]);
        pairs.push(["y".repeat(total), "\u{1}x".into()]);
    }
    // Long unicode.
    pairs.push(["é".repeat(100), "日".repeat(50)]);
    pairs.push(["é".repeat(99), format!("é{}", "日".repeat(50))]);
    pairs.sort();
    pairs.dedup();
    pairs
}

#[test]
fn distinct_label_sets_never_merge() {
    let pairs = Arc::new(colliding_pairs());
    assert!(pairs.len() > 3_000, "only {} pairs", pairs.len());
    let family = Family::<Counter>::new(Opts::new("split", "h").labels(["p", "q"]), ()).unwrap();
    // Phase 1: the threads create disjoint slices concurrently, child i gets i + 1.
    {
        let (family, pairs) = (family.clone(), Arc::clone(&pairs));
        run_threads(4, move |t| {
            for (i, p) in pairs.iter().enumerate().skip(t).step_by(4) {
                family.labels(p).unwrap().inc_by((i + 1) as f64).unwrap();
            }
        });
    }
    // Phase 2: every thread increments every child once, by lookup.
    {
        let (family, pairs) = (family.clone(), Arc::clone(&pairs));
        run_threads(4, move |t| {
            // Different threads walk in different orders.
            let n = pairs.len();
            for j in 0..n {
                let i = if t % 2 == 0 { j } else { n - 1 - j };
                family.with_labels(&pairs[i], |c| c.inc()).unwrap();
            }
        });
    }
    assert_eq!(family.len(), pairs.len());
    for (i, p) in pairs.iter().enumerate() {
        let c = family.labels(p).unwrap();
        assert_eq!(c.get(), (i + 1 + 4) as f64, "pair {i}: {:?}", p.iter().map(|s| s.len()).collect::<Vec<_>>());
        assert_eq!(c.label_values(), vec![p[0].as_str(), p[1].as_str()]);
    }
    let index: HashMap<&[String; 2], usize> = pairs.iter().enumerate().map(|(i, p)| (p, i)).collect();
    for c in family.children() {
        let v = c.label_values();
        let key = [v[0].to_owned(), v[1].to_owned()];
        let i = index[&key];
        assert_eq!(c.get(), (i + 5) as f64);
    }

    // Removing some children leaves the others, their look-alikes, untouched.
    for (i, p) in pairs.iter().enumerate() {
        if i % 4 == 0 {
            assert!(family.remove(p).unwrap(), "pair {i} not found for removal");
        }
    }
    assert_eq!(family.len(), pairs.len() - pairs.len().div_ceil(4));
    for (i, p) in pairs.iter().enumerate() {
        if i % 4 != 0 {
            assert_eq!(family.labels(p).unwrap().get(), (i + 5) as f64);
        } else {
            assert!(!family.remove(p).unwrap(), "pair {i} still there after removal");
        }
    }
}

#[test]
fn three_value_sets_with_shifted_boundaries_never_merge() {
    // ["a","b","c"], ["ab","","c"], ["","abc",""] ...: every way to cut a string in three,
    // with long values so that the length prefixes take more than one byte.
    let bases = ["abcd".to_owned(), "x".repeat(130), format!("{}\"\\\n{}", "é".repeat(70), "z".repeat(16_400))];
    let mut sets: Vec<[String; 3]> = Vec::new();
    for s in &bases {
        let cuts: Vec<usize> = if s.len() < 10 {
            (0..=s.len()).collect()
        } else {
            let mut c = vec![0, 1, 2, 63, 64, 127, 128, 129, s.len() - 1, s.len()];
            c.retain(|i| s.is_char_boundary(*i));
            c
        };
        for &i in &cuts {
            for &j in &cuts {
                if i <= j {
                    sets.push([s[..i].to_owned(), s[i..j].to_owned(), s[j..].to_owned()]);
                }
            }
        }
    }
    sets.sort();
    sets.dedup();
    let family = Family::<Gauge>::new(Opts::new("cuts", "h").labels(["x", "y", "z"]), ()).unwrap();
    {
        let (family, sets) = (family.clone(), Arc::new(sets.clone()));
        run_threads(4, move |_| {
            for (i, s) in sets.iter().enumerate() {
                family.labels(s).unwrap().inc_by((i + 1) as f64);
            }
        });
    }
    assert_eq!(family.len(), sets.len());
    for (i, s) in sets.iter().enumerate() {
        assert_eq!(family.labels(s).unwrap().get(), 4.0 * (i + 1) as f64, "set {i}");
    }
}

// ---------------------------------------------------------------------------------------
// Gauge functions that touch their own family during a scrape
// ---------------------------------------------------------------------------------------

/// Runs `f` on its own thread and fails the test if it does not finish within a very
/// generous deadline (the thread is then left behind, stuck).
fn with_deadlock_watchdog<F: FnOnce() + Send + 'static>(what: &str, f: F) {
    let (tx, rx) = mpsc::channel();
    let h = thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    // The scenarios take well under a second; this only turns a hang into a failure.
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => h.join().expect("scenario thread panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            h.join().expect("scenario thread panicked");
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no progress in 10 s, deadlock"),
    }
}

#[test]
fn gauge_function_reading_its_own_family_while_children_are_added() {
    // A gauge callback runs during the scrape; prometheus_client lets it do anything,
    // including reading the family it belongs to. Meanwhile other threads add children,
    // so writers are queued on the family's shards while the scrape is running.
    with_deadlock_watchdog("gauge callback reading its family during a scrape", || {
        let family = Family::<Gauge>::new(Opts::new("series", "h").labels(["k"]), ()).unwrap();
        let own = family.labels(&["self"]).unwrap();
        own.set(1.0);
        // Children visited before the callback's, so the scrape is well under way (and
        // writers are waiting for it) when the callback runs.
        for i in 0..1_000 {
            family.labels(&[format!("pre-{i}")]).unwrap().set(2.0);
        }
        let f2 = family.clone();
        family.labels(&["count"]).unwrap().set_function(Arc::new(move || {
            // An existing child's stored value, and the number of children.
            Ok(f2.labels(&["self"])?.get() + f2.len() as f64)
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (family2, stop2) = (family.clone(), Arc::clone(&stop));
        run_threads(3, move |t| {
            if t < 2 {
                let mut i = 0;
                while !stop2.load(Ordering::Relaxed) && i < 5_000 {
                    family2.labels(&[format!("w{t}-{i}")]).unwrap().inc();
                    i += 1;
                }
                return;
            }
            for _ in 0..30 {
                let out = fastprom::expose::encode_text(&family2, EscapingScheme::Underscores).unwrap();
                assert!(!out.is_empty());
            }
            stop2.store(true, Ordering::Relaxed);
        });
        let n = family.len() as f64;
        let text =
            String::from_utf8(fastprom::expose::encode_text(&family, EscapingScheme::Underscores).unwrap()).unwrap();
        let line = parse_text(&text).into_iter().find(|l| l.label("k") == Some("count")).unwrap();
        assert_eq!(line.value, 1.0 + n);
    });
}

#[test]
fn gauge_function_creating_a_child_of_its_own_family() {
    // In prometheus_client a callback may add a child to its own family during a scrape
    // (the scrape iterates over a copy); the new child shows in the next scrape.
    with_deadlock_watchdog("gauge callback creating a sibling during a scrape", || {
        let family = Family::<Gauge>::new(Opts::new("lazy", "h").labels(["k"]), ()).unwrap();
        let f2 = family.clone();
        let calls = Arc::new(AtomicUsize::new(0));
        let calls2 = Arc::clone(&calls);
        family.labels(&["cb"]).unwrap().set_function(Arc::new(move || {
            let n = calls2.fetch_add(1, Ordering::Relaxed);
            f2.labels(&[format!("made-{n}")])?.set(n as f64);
            Ok(7.0)
        }));
        let first =
            String::from_utf8(fastprom::expose::encode_text(&family, EscapingScheme::Underscores).unwrap()).unwrap();
        assert!(first.contains("lazy{k=\"cb\"} 7.0\n"), "{first}");
        let second =
            String::from_utf8(fastprom::expose::encode_text(&family, EscapingScheme::Underscores).unwrap()).unwrap();
        assert!(second.contains("lazy{k=\"made-0\"} 0.0\n"), "{second}");
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    });
}

// ---------------------------------------------------------------------------------------
// Scrapes racing with removal
// ---------------------------------------------------------------------------------------

#[test]
fn scrapes_racing_with_removal_see_only_intact_children() {
    // Writers create, update and remove children while scrapes run. Right after a removal
    // the writer allocates blocks of a child's size filled with 0xFF, so memory freed too
    // early would be reused at once and show up as garbage in a scrape (invalid UTF-8,
    // impossible label values or counts) or crash it.
    const WRITERS: usize = 3;
    const STEPS: usize = 4_000;
    const SCRAPES: usize = 150;
    let family = Family::<Counter>::new(Opts::new("eph", "h").labels(["k", "pad"]), ()).unwrap();
    let hfamily =
        Family::<Histogram>::new(Opts::new("eph_h", "h").labels(["k"]), Buckets::new(&[1.0, 2.0]).unwrap()).unwrap();
    let registry = Arc::new(Registry::new());
    registry.register(Arc::new(family.clone())).unwrap();
    registry.register(Arc::new(hfamily.clone())).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (family2, hfamily2, registry2, stop2) =
        (family.clone(), hfamily.clone(), Arc::clone(&registry), Arc::clone(&stop));
    run_threads(WRITERS + 1, move |t| {
        if t < WRITERS {
            let mut junk: Vec<Vec<u8>> = Vec::new();
            let mut step = 0;
            while step < STEPS && !stop2.load(Ordering::Relaxed) {
                let i = step * WRITERS + t;
                let k = format!("k{i}");
                // Child i always holds exactly 0 or i + 1; its pad label repeats its key.
                let c = family2.labels(&[k.as_str(), k.as_str()]).unwrap();
                c.inc_by((i + 1) as f64).unwrap();
                drop(c);
                hfamily2.labels(&[k.as_str()]).unwrap().observe(1.5);
                if step >= 8 {
                    let old = format!("k{}", (step - 8) * WRITERS + t);
                    match step % 16 {
                        0 => {
                            let _ = family2.remove_by_labels(&[("pad", old.as_str())]).unwrap();
                        }
                        1 if t == 0 => family2.clear(),
                        2 if t == 1 => hfamily2.clear(),
                        _ => {
                            let _ = family2.remove(&[old.as_str(), old.as_str()]).unwrap();
                            let _ = hfamily2.remove(&[old.as_str()]).unwrap();
                        }
                    }
                    for size in [40usize, 64, 72, 80, 96, 128, 256] {
                        junk.push(vec![0xFF; size]);
                    }
                    if junk.len() > 700 {
                        junk.drain(..350);
                    }
                }
                step += 1;
            }
            return;
        }
        for _ in 0..SCRAPES {
            let out = fastprom::expose::encode_text(&*registry2, EscapingScheme::Underscores).unwrap();
            let text = String::from_utf8(out).expect("scrape produced invalid UTF-8");
            for l in parse_text(&text) {
                let k = l.label("k").expect("sample without k");
                let i: usize =
                    k.strip_prefix('k').and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad k {k:?}"));
                match l.name.as_str() {
                    "eph_total" => {
                        assert_eq!(l.label("pad"), Some(k), "{l:?}");
                        assert!(l.value == 0.0 || l.value == (i + 1) as f64, "{l:?}");
                    }
                    "eph_created" => assert_eq!(l.label("pad"), Some(k), "{l:?}"),
                    "eph_h_bucket" => {
                        let le = l.label("le").unwrap_or("?");
                        let want = if le == "1.0" { 0.0 } else { 1.0 };
                        assert!(l.value == want || (le != "1.0" && l.value == 0.0), "{l:?}");
                    }
                    "eph_h_count" => assert!(l.value == 0.0 || l.value == 1.0, "{l:?}"),
                    "eph_h_sum" => assert!(l.value == 0.0 || l.value == 1.5, "{l:?}"),
                    "eph_h_created" => {}
                    other => panic!("unexpected sample {other}"),
                }
            }
        }
        stop2.store(true, Ordering::Relaxed);
    });
    // Quiescent: the family is coherent.
    assert_eq!(family.children().len(), family.len());
    assert_eq!(hfamily.children().len(), hfamily.len());
}

#[test]
fn overlapping_scrapes_and_removals_never_read_freed_children() {
    // Several scrapers overlap (so the "last scrape out" changes hands all the time)
    // while removers take children out and put them back. Freed memory is refilled with
    // 0xFF at once, so a child freed while some scrape still reads it shows up as
    // garbage or a crash.
    const KEYS: usize = 48;
    const SCRAPERS: usize = 3;
    const REMOVERS: usize = 2;
    const SCRAPES: usize = 1_500;
    const REMOVER_CAP: usize = 400_000;
    let family = Family::<Counter>::new(Opts::new("ovl", "h").labels(["k"]), ()).unwrap();
    for i in 0..KEYS {
        family.labels(&[format!("k{i}")]).unwrap().inc_by((i + 1) as f64).unwrap();
    }
    let done = Arc::new(AtomicUsize::new(0));
    let (family2, done2) = (family.clone(), Arc::clone(&done));
    run_threads(SCRAPERS + REMOVERS, move |t| {
        if t >= SCRAPERS {
            let mut junk: Vec<Vec<u8>> = Vec::with_capacity(1024);
            let mut n = 0usize;
            while done2.load(Ordering::Relaxed) < SCRAPERS && n < REMOVER_CAP {
                let i = (n * 7 + t * 13) % KEYS;
                let k = format!("k{i}");
                if family2.remove(&[k.as_str()]).unwrap() {
                    for size in (24..=120).step_by(8) {
                        junk.push(vec![0xFF; size]);
                    }
                    if junk.len() > 900 {
                        junk.drain(..450);
                    }
                }
                family2
                    .with_labels(&[k.as_str()], |c| {
                        if c.get() == 0.0 {
                            c.inc_by((i + 1) as f64).unwrap();
                        }
                    })
                    .unwrap();
                n += 1;
            }
            return;
        }
        for _ in 0..SCRAPES {
            let out = fastprom::expose::encode_text(&family2, EscapingScheme::Underscores).unwrap();
            let text = String::from_utf8(out).expect("scrape produced invalid UTF-8");
            for l in parse_text(&text) {
                let k = l.label("k").expect("sample without k");
                let i: usize = k
                    .strip_prefix('k')
                    .and_then(|n| n.parse().ok())
                    .filter(|i| *i < KEYS)
                    .unwrap_or_else(|| panic!("garbage label {k:?}"));
                if l.name == "ovl_total" {
                    assert!(l.value == 0.0 || l.value == (i + 1) as f64, "{l:?}");
                } else {
                    assert_eq!(l.name, "ovl_created");
                }
            }
        }
        done2.fetch_add(1, Ordering::Relaxed);
    });
}
