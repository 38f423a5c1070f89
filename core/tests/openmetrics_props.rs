#![allow(clippy::unwrap_used)]
//! Property tests of the OpenMetrics parser:
//!
//! * generated registries (families of every type with random label names and values,
//!   escapes and Unicode included, random floats, timestamps and exemplars), encoded with
//!   `encode_openmetrics`, parse back to equal families (NaN equal to NaN);
//! * arbitrary bytes, token soups and mutated valid expositions never make `parse_str` or
//!   `parse_reader` panic, and the two always agree.
//!
//! Native-histogram samples are left out of the round trip: the model keeps `count` and
//! `zero_count` as floats, so the encoder writes `count:5.0`, which prometheus_client's
//! parser (and this one) reject because it reads them with `int()`.

use fastprom::expose::encode_openmetrics;
use fastprom::floatfmt::go_float;
use fastprom::names::ValidationScheme;
use fastprom::parse::openmetrics::{parse_reader, parse_str};
use fastprom::{Collector, EscapingScheme, Exemplar, MetricFamily, MetricType, Sample, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------
// Strategies

fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        3 => prop::sample::select(vec![
            '\\', '"', '\n', '\r', '\t', '\0', '{', '}', ',', '=', ' ', '#', '.', ':', '_', '-', 'é', '日', '🦀',
            '\u{a0}', '\u{2028}', '\u{7f}', '\u{85}', '١', 'n',
        ]),
        3 => prop::char::range('a', 'z'),
    ]
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<u64>().prop_map(f64::from_bits),
        2 => any::<f64>(),
        2 => prop::sample::select(vec![
            0.0, -0.0, 1.0, 0.5, 1e-7, 1e6, 1234567.0, 1e22, 5e-324, f64::MAX, f64::INFINITY, f64::NEG_INFINITY,
            f64::NAN, 9_007_199_254_740_993.0,
        ]),
        2 => -1e7f64..1e17f64,
    ]
}

/// Label names: legacy, reserved-looking but allowed, and quoted UTF-8 ones.
const LABEL_NAMES: [&str; 10] = ["a", "b", "code", "method", "x_1", "A", "_u", "a.b", "ü", "with space"];

/// Everything random a registry needs; the structure comes from `shape`.
#[derive(Debug, Clone)]
struct Spec {
    shape: Vec<u8>,
    texts: Vec<String>,
    floats: Vec<f64>,
    stamps: Vec<(i64, u32)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(any::<u8>(), 64..256),
        prop::collection::vec(any_text(10), 8..24),
        prop::collection::vec(any_f64(), 8..32),
        prop::collection::vec((0i64..4_000_000_000, 0u32..1_000_000_000), 1..4),
    )
        .prop_map(|(shape, texts, floats, stamps)| Spec { shape, texts, floats, stamps })
}

/// Draws structure and values from a [`Spec`], cycling through its pools.
struct Draw<'a> {
    spec: &'a Spec,
    i: usize,
    t: usize,
    f: usize,
}

impl<'a> Draw<'a> {
    fn byte(&mut self) -> u8 {
        let b = self.spec.shape[self.i % self.spec.shape.len()];
        self.i += 1;
        b
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }
    fn chance(&mut self, in_256: u8) -> bool {
        self.byte() < in_256
    }
    fn text(&mut self) -> String {
        let s = self.spec.texts[self.t % self.spec.texts.len()].clone();
        self.t += 1;
        s
    }
    fn float(&mut self) -> f64 {
        let v = self.spec.floats[self.f % self.spec.floats.len()];
        self.f += 1;
        v
    }
    /// A non-negative, non-NaN float (counter-like samples).
    fn counter_value(&mut self) -> f64 {
        let v = self.float();
        if v.is_nan() {
            0.0
        } else {
            v.abs()
        }
    }
    fn timestamp(&mut self) -> Option<Timestamp> {
        if !self.chance(80) {
            return None;
        }
        let (sec, nsec) = self.spec.stamps[self.below(self.spec.stamps.len())];
        Some(Timestamp::Exact { sec: i128::from(sec), nsec: i64::from(nsec) })
    }
    fn exemplar(&mut self) -> Option<Exemplar> {
        if !self.chance(60) {
            return None;
        }
        let mut labels = Vec::new();
        for _ in 0..self.below(3) {
            let name = ["trace_id", "span", "t"][self.below(3)].to_owned();
            if !labels.iter().any(|(k, _): &(String, String)| *k == name) {
                // prometheus_client's parser toggles its "in quotes" state on every `"`
                // after the value, escaped or not, so an exemplar label value with an odd
                // number of quotes cannot be read back (its own output included).
                labels.push((name, self.text().replace('"', "'")));
            }
        }
        let timestamp = self.timestamp();
        Some(Exemplar { labels, value: self.float(), timestamp })
    }
    /// The labels of child `child`: a unique `i`, then random others (never `forbidden`).
    fn labels(&mut self, child: usize, forbidden: &[&str]) -> Vec<(String, String)> {
        let mut labels = vec![("i".to_owned(), child.to_string())];
        for _ in 0..self.below(3) {
            let name = LABEL_NAMES[self.below(LABEL_NAMES.len())];
            if forbidden.contains(&name) || labels.iter().any(|(k, _)| k == name) {
                continue;
            }
            labels.push((name.to_owned(), self.text()));
        }
        labels
    }
}

fn help(d: &mut Draw<'_>) -> String {
    // prometheus_client's parser drops leading spaces of HELP text (it splits the line on
    // runs of spaces), so such a help cannot round-trip through any OpenMetrics parser
    // that matches it.
    d.text().trim_start_matches(' ').to_owned()
}

fn build(spec: &Spec) -> Vec<MetricFamily> {
    let mut d = Draw { spec, i: 0, t: 0, f: 0 };
    let mut out = Vec::new();
    let families = 1 + d.below(5);
    for idx in 0..families {
        let utf8 = d.chance(40);
        let base = if utf8 { format!("m{idx}.x") } else { format!("m{idx}_x") };
        let unit = if d.chance(50) { "seconds" } else { "" };
        let kind = d.below(8);
        let children = 1 + d.below(3);
        let ts = d.timestamp();
        let mut fam = match kind {
            0 => MetricFamily::counter(&base, &help(&mut d), unit).unwrap(),
            1 => MetricFamily::new(&base, &help(&mut d), MetricType::Gauge, unit).unwrap(),
            2 => MetricFamily::new(&base, &help(&mut d), MetricType::Unknown, unit).unwrap(),
            3 => MetricFamily::new(&base, &help(&mut d), MetricType::Summary, unit).unwrap(),
            4 => MetricFamily::new(&base, &help(&mut d), MetricType::Histogram, unit).unwrap(),
            5 => MetricFamily::new(&base, &help(&mut d), MetricType::GaugeHistogram, unit).unwrap(),
            6 => MetricFamily::new(&base, &help(&mut d), MetricType::Info, "").unwrap(),
            _ => MetricFamily::new(&base, &help(&mut d), MetricType::StateSet, "").unwrap(),
        };
        for child in 0..children {
            match kind {
                0 => {
                    let labels = d.labels(child, &[]);
                    let value = d.counter_value();
                    let created = if d.chance(100) { Some(d.float()) } else { None };
                    let ex = d.exemplar();
                    fam.add_counter(&labels, value, created, ts, ex);
                }
                1 | 2 => {
                    let labels = d.labels(child, &[]);
                    let v = d.float();
                    fam.add_value(&labels, v, ts);
                }
                3 => {
                    let labels = d.labels(child, &["quantile"]);
                    let name = fam.name.clone();
                    for q in ["0", "0.5", "0.99", "1.0"].iter().take(d.below(4)) {
                        let mut ls = labels.clone();
                        ls.push(("quantile".to_owned(), (*q).to_owned()));
                        let v = d.float();
                        let v = if v < 0.0 { -v } else { v };
                        fam.add_sample(name.clone(), ls, v, ts, None);
                    }
                    let count = (d.byte() as f64) * 3.0;
                    let sum = d.counter_value();
                    fam.add_summary(&labels, count, sum, ts);
                }
                4 | 5 => {
                    let labels = d.labels(child, &["le"]);
                    let mut bounds: Vec<f64> = (0..d.below(4)).map(|_| d.float()).filter(|b| b.is_finite()).collect();
                    bounds.sort_by(f64::total_cmp);
                    bounds.dedup();
                    let mut acc = 0.0;
                    let mut buckets = Vec::new();
                    for b in bounds.iter().map(|b| go_float(*b)).chain(std::iter::once("+Inf".to_owned())) {
                        acc += f64::from(d.byte() % 4);
                        buckets.push((b, acc));
                    }
                    let negative = bounds.first().is_some_and(|b| *b < 0.0);
                    if kind == 4 {
                        let with_ex: Vec<(String, f64, Option<Exemplar>)> =
                            buckets.into_iter().map(|(b, v)| (b, v, d.exemplar())).collect();
                        let sum = if d.chance(200) { Some(d.counter_value()) } else { None };
                        fam.add_histogram(&labels, &with_ex, sum, ts).unwrap();
                    } else {
                        let gsum = d.counter_value();
                        let gsum = if negative && d.chance(128) { -gsum } else { gsum };
                        fam.add_gauge_histogram(&labels, &buckets, gsum, ts).unwrap();
                    }
                }
                6 => {
                    let labels = d.labels(child, &[]);
                    fam.add_info(&labels, &[], ts);
                }
                _ => {
                    let name = fam.name.clone();
                    let labels = d.labels(child, &[name.as_str()]);
                    let states: Vec<(String, bool)> =
                        ["a", "b", "c"].iter().take(1 + d.below(3)).map(|s| ((*s).to_owned(), d.chance(128))).collect();
                    fam.add_stateset(&labels, &states, ts);
                }
            }
        }
        out.push(fam);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Comparison

struct Families(Vec<MetricFamily>);

impl Collector for Families {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        Ok(self.0.clone())
    }
}

fn float_eq(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn ts_eq(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x == y || float_eq(x.as_f64(), y.as_f64()),
        _ => false,
    }
}

fn labels_eq(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn sample_eq(a: &Sample, b: &Sample) -> bool {
    a.name == b.name
        && labels_eq(&a.labels, &b.labels)
        && float_eq(a.value, b.value)
        && ts_eq(a.timestamp, b.timestamp)
        && match (&a.exemplar, &b.exemplar) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                labels_eq(&x.labels, &y.labels) && float_eq(x.value, y.value) && ts_eq(x.timestamp, y.timestamp)
            }
            _ => false,
        }
}

fn check_equal(a: &[MetricFamily], b: &[MetricFamily]) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        prop_assert_eq!(&x.name, &y.name);
        prop_assert_eq!(&x.help, &y.help);
        prop_assert_eq!(x.metric_type, y.metric_type);
        prop_assert_eq!(&x.unit, &y.unit);
        prop_assert_eq!(x.samples.len(), y.samples.len(), "{:?}\n{:?}", x.samples, y.samples);
        for (s, t) in x.samples.iter().zip(&y.samples) {
            prop_assert!(sample_eq(s, t), "{:?}\n!=\n{:?}", s, t);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn encoded_registries_parse_back(spec in spec()) {
        let fams = build(&spec);
        let bytes = encode_openmetrics(&Families(fams.clone()), EscapingScheme::AllowUtf8, "1.0.0").unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let parsed = match parse_str(&text, ValidationScheme::Utf8) {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        check_equal(&fams, &parsed)?;
        let streamed: Vec<MetricFamily> = parse_reader(bytes.as_slice(), ValidationScheme::Utf8).collect::<fastprom::Result<_>>().unwrap();
        check_equal(&fams, &streamed)?;
    }
}

fn no_panic(bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(bytes);
    let whole = parse_str(&text, ValidationScheme::Utf8);
    let streamed: Vec<_> = parse_reader(text.as_bytes(), ValidationScheme::Utf8).collect();
    prop_assert_eq!(whole.is_ok(), streamed.iter().all(Result::is_ok));
    // Raw bytes too (invalid UTF-8 is an error, not a panic).
    let _ = parse_reader(bytes, ValidationScheme::Utf8).count();
    Ok(())
}

const TOKENS: [&str; 40] = [
    "a",
    "foo",
    "_total",
    "_bucket",
    "_count",
    "_sum",
    "{",
    "}",
    "\"",
    "=",
    ",",
    " ",
    "#",
    " # ",
    "1",
    "-1",
    "1.5",
    "+Inf",
    "NaN",
    "le",
    "\\",
    "\\\"",
    "é",
    "١",
    "\t",
    ":",
    "[",
    "]",
    "count:1,sum:2,schema:0,zero_threshold:0,zero_count:0",
    "positive_spans:[0:1]",
    "positive_deltas:[1]",
    "# TYPE foo histogram\n",
    "# TYPE a counter\n",
    "# HELP a x\n",
    "# EOF",
    "\n",
    "\n",
    "__name__",
    "\"a.b\"",
    "quantile",
];

const VALID: &str = "# HELP foo Help \\\"with\\\" escapes\\n.\n# TYPE foo histogram\n\
foo_bucket{a=\"x\",le=\"0.5\"} 1 # {trace_id=\"abc\"} 0.2 1.5\nfoo_bucket{a=\"x\",le=\"+Inf\"} 2\nfoo_count{a=\"x\"} 2\n\
foo_sum{a=\"x\"} 3.5\nfoo {count:2,sum:3.5,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_deltas:[2]}\n\
# TYPE c counter\nc_total{\"é.x\"=\"1\"} 1 123.456 # {t=\"1\"} 1\nc_created 5\n# TYPE s summary\ns{quantile=\"0.5\"} 1\n\
s_count 1\ns_sum 1\n# TYPE st stateset\nst{st=\"a\"} 1\n# TYPE i info\ni_info{v=\"1\"} 1\n# TYPE \"u.t\" gauge\n{\"u.t\"} NaN\n# EOF\n";

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        no_panic(&bytes)?;
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..60)) {
        no_panic(tokens.concat().as_bytes())?;
    }

    #[test]
    fn mutated_valid_input_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(TOKENS.to_vec())), 1..6)
    ) {
        let mut text = VALID.as_bytes().to_vec();
        for (at, op, tok) in edits {
            let i = at.index(text.len() + 1);
            match op {
                0 => { text.splice(i..i, tok.bytes()); }
                1 => { if i < text.len() { text.remove(i); } }
                _ => { if i < text.len() { text.splice(i..i + 1, tok.bytes()); } }
            }
        }
        no_panic(&text)?;
    }
}

#[test]
fn valid_input_parses() {
    let fams = parse_str(VALID, ValidationScheme::Utf8).unwrap();
    assert_eq!(fams.len(), 6);
    assert!(fams[0].samples.iter().any(|s| s.native_histogram.is_some()));
}
