#![allow(clippy::unwrap_used)]
//! Property tests of the Prometheus text format parser:
//!
//! 1. families encoded with `encode_text` parse back to themselves (NaN equals NaN;
//!    timestamps come back as the float seconds of their whole milliseconds);
//! 2. arbitrary and mutated input never panics in either mode, and whatever strict mode
//!    accepts, lenient mode accepts with the same samples;
//! 3. the streaming parser yields what `parse_str` returns, then the same error.

use fastprom::expose::encode_text;
use fastprom::names::ValidationScheme;
use fastprom::parse::canonical;
use fastprom::parse::text::{parse_reader, parse_str, Mode};
use fastprom::{Collector, EscapingScheme, MetricFamily, MetricType, Sample, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

struct Families(Vec<MetricFamily>);

impl Collector for Families {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        Ok(self.0.clone())
    }
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Characters that matter to the parser, plus ordinary ones.
fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        1 => prop::sample::select(vec![
            '_', ':', '.', ' ', '"', '\\', '{', '}', ',', '=', '#', '-', 'é', '日', '🦀', '\t', '0', '9', '\u{3000}',
        ]),
    ]
}

fn value_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>().prop_filter("assigned", |c| !('\u{e000}'..='\u{f8ff}').contains(c)),
        3 => prop::sample::select(vec![
            '\\', '"', '\n', '\r', '\t', '\0', '{', '}', ',', '=', ' ', '#', '.', 'é', '日', '\u{2028}', '\u{85}',
            '\u{3000}', 'n',
        ]),
        3 => prop::char::range('a', 'z'),
    ]
}

fn text_of(c: impl Strategy<Value = char>, len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(c, len).prop_map(|v| v.into_iter().collect())
}

/// A metric name (legacy or UTF-8) that survives the text format: not empty, no newline
/// (an unquoted `foo\n` would be read back as `foo\\n`).
fn metric_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z_:][a-zA-Z0-9_:]{0,12}", text_of(name_char(), 1..12),]
        .prop_filter("usable name", |n| !n.is_empty() && !n.ends_with("_total") && !n.contains('\n'))
}

/// A label name: not reserved, not empty.
fn label_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z_][a-zA-Z0-9_]{0,8}", text_of(name_char(), 1..8)]
        .prop_filter("usable label name", |n| !n.is_empty() && !n.starts_with("__") && n != "le" && n != "quantile")
}

/// HELP text: prometheus_client strips the line, so no whitespace at either end.
fn help_text() -> impl Strategy<Value = String> {
    text_of(value_char(), 0..16)
        .prop_map(|h| h.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)).to_owned())
}

fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<u64>().prop_map(f64::from_bits),
        2 => any::<f64>(),
        1 => prop::sample::select(vec![0.0, -0.0, 1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e16, 1234567.0]),
    ]
}

fn any_ts() -> impl Strategy<Value = Option<Timestamp>> {
    prop_oneof![
        2 => Just(None),
        1 => (-10_000_000_000_000i64..10_000_000_000_000).prop_map(|ms| Some(Timestamp::Float(ms as f64 / 1000.0))),
        1 => (-1_000_000_000i64..4_000_000_000).prop_map(|s| Some(Timestamp::Int(s))),
        1 => (0u32..4_000_000_000, 0u32..1_000_000_000)
            .prop_map(|(s, n)| Some(Timestamp::exact(f64::from(s), f64::from(n)).unwrap())),
    ]
}

/// What the text format keeps of a timestamp: whole milliseconds, as float seconds.
fn ts_after_text(t: Option<Timestamp>) -> Option<Timestamp> {
    t.map(|t| {
        let ms = (t.as_f64() * 1000.0).trunc();
        Timestamp::Float(if ms == 0.0 { 0.0 } else { ms / 1000.0 })
    })
}

fn labels() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((label_name(), text_of(value_char(), 0..8)), 0..4).prop_map(|v| {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, val) in v {
            if out.iter().all(|(n, _)| *n != k) {
                out.push((k, val));
            }
        }
        out
    })
}

#[derive(Debug, Clone)]
struct Child {
    labels: Vec<(String, String)>,
    a: f64,
    b: f64,
    ts: Option<Timestamp>,
}

fn children() -> impl Strategy<Value = Vec<Child>> {
    prop::collection::vec(
        (labels(), any_value(), any_value(), any_ts()).prop_map(|(labels, a, b, ts)| Child { labels, a, b, ts }),
        0..4,
    )
}

/// A family the text format carries without loss, built as prometheus_client's parser
/// would build it.
fn family() -> impl Strategy<Value = MetricFamily> {
    (metric_name(), help_text(), 0..5usize, children()).prop_map(|(name, help, kind, kids)| {
        let t =
            [MetricType::Gauge, MetricType::Unknown, MetricType::Counter, MetricType::Summary, MetricType::Histogram]
                [kind];
        let mut f = MetricFamily::new(&name, &help, t, "").unwrap();
        for c in kids {
            let with =
                |k: &str, v: &str| c.labels.iter().cloned().chain([(k.to_owned(), v.to_owned())]).collect::<Vec<_>>();
            match t {
                MetricType::Counter => f.add_sample(format!("{name}_total"), c.labels.clone(), c.a, c.ts, None),
                MetricType::Summary => {
                    f.add_sample(name.clone(), with("quantile", "0.5"), c.a, c.ts, None);
                    f.add_sample(format!("{name}_count"), c.labels.clone(), c.b, c.ts, None);
                    f.add_sample(format!("{name}_sum"), c.labels.clone(), c.a, c.ts, None);
                }
                MetricType::Histogram => {
                    f.add_sample(format!("{name}_bucket"), with("le", "1.0"), c.a, c.ts, None);
                    f.add_sample(format!("{name}_bucket"), with("le", "+Inf"), c.b, c.ts, None);
                    f.add_sample(format!("{name}_count"), c.labels.clone(), c.b, c.ts, None);
                    f.add_sample(format!("{name}_sum"), c.labels.clone(), c.a, c.ts, None);
                }
                _ => f.add_sample(name.clone(), c.labels.clone(), c.a, c.ts, None),
            }
        }
        f
    })
}

/// Families whose exposition names (HELP/TYPE) are all different.
fn families() -> impl Strategy<Value = Vec<MetricFamily>> {
    prop::collection::vec(family(), 0..5).prop_map(|v| {
        let mut seen = std::collections::HashSet::new();
        v.into_iter()
            .filter(|f| {
                let exposed =
                    if f.metric_type == MetricType::Counter { format!("{}_total", f.name) } else { f.name.clone() };
                seen.insert(exposed)
            })
            .collect()
    })
}

fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn sorted(l: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = l.to_vec();
    v.sort();
    v
}

fn check_sample(got: &Sample, want: &Sample) -> Result<(), TestCaseError> {
    prop_assert_eq!(&got.name, &want.name);
    prop_assert_eq!(sorted(&got.labels), sorted(&want.labels));
    prop_assert!(same_f64(got.value, want.value), "value {} != {}", got.value, want.value);
    prop_assert_eq!(got.timestamp, ts_after_text(want.timestamp));
    Ok(())
}

/// Arbitrary text: any characters, with the parser's special ones much more likely.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => text_of(value_char(), 0..4),
        2 => prop::sample::select(vec![
            "# HELP ", "# TYPE ", "counter", "gauge", "histogram", "summary", "{", "}", "=\"", "\",", " 1", " -0",
            " +Inf", " NaN", " 1e400", " 1700000000000", "\n", "\"a.b\"", "_total", "_bucket", "le", "quantile",
            "__name__", "\\", "\"", " # ", "\u{663}", "\r\n",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// The exposition of some families with a few bytes changed.
fn mutated() -> impl Strategy<Value = String> {
    (families(), prop::collection::vec((any::<prop::sample::Index>(), 0..4usize, soup()), 1..4)).prop_map(
        |(fams, edits)| {
            let mut s = String::from_utf8(encode_text(&Families(fams), EscapingScheme::AllowUtf8).unwrap()).unwrap();
            for (at, kind, text) in edits {
                let mut i = at.index(s.len() + 1);
                while !s.is_char_boundary(i) {
                    i -= 1;
                }
                match kind {
                    0 => s.insert_str(i, &text),
                    1 => {
                        let mut j = (i + text.len() % 7 + 1).min(s.len());
                        while !s.is_char_boundary(j) {
                            j -= 1;
                        }
                        s.replace_range(i..j.max(i), "");
                    }
                    2 => s.truncate(i),
                    _ => {
                        let line: String = s[i..].split_inclusive('\n').next().unwrap_or("").to_owned();
                        s.insert_str(i, &line);
                    }
                }
            }
            s
        },
    )
}

/// Parses in both modes and streaming; never panics; the streaming parser agrees with
/// `parse_str`; strict accepts a subset of lenient with the same samples.
fn check_any_input(text: &str) -> Result<(), TestCaseError> {
    let lenient = parse_str(text, Mode::Lenient, ValidationScheme::Utf8);
    let strict = parse_str(text, Mode::Strict, ValidationScheme::Utf8);
    for (mode, whole) in [(Mode::Lenient, &lenient), (Mode::Strict, &strict)] {
        let mut got = Vec::new();
        let mut err = None;
        for r in parse_reader(std::io::BufReader::with_capacity(3, text.as_bytes()), mode, ValidationScheme::Utf8) {
            match r {
                Ok(f) => got.push(f),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        match (whole, err) {
            (Ok(f), None) => prop_assert_eq!(canonical(f), canonical(&got)),
            (Err(e), Some(se)) => prop_assert_eq!(e, &se),
            (w, se) => prop_assert!(false, "{:?}: parse_str {:?}, stream error {:?}", mode, w, se),
        }
    }
    if let Ok(s) = &strict {
        let Ok(l) = &lenient else {
            return Err(TestCaseError::fail(format!("strict accepts, lenient rejects: {lenient:?}")));
        };
        let a: Vec<&Sample> = s.iter().flat_map(|f| &f.samples).collect();
        let b: Vec<&Sample> = l.iter().flat_map(|f| &f.samples).collect();
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            prop_assert_eq!(&x.name, &y.name);
            prop_assert_eq!(&x.labels, &y.labels);
            prop_assert!(same_f64(x.value, y.value));
            prop_assert_eq!(x.timestamp, y.timestamp);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn encoded_families_parse_back(fams in families()) {
        let text = String::from_utf8(encode_text(&Families(fams.clone()), EscapingScheme::AllowUtf8).unwrap()).unwrap();
        for mode in [Mode::Lenient, Mode::Strict] {
            let got = match parse_str(&text, mode, ValidationScheme::Utf8) {
                Ok(g) => g,
                Err(e) => return Err(TestCaseError::fail(format!("{mode:?}: {e}\n{text}"))),
            };
            prop_assert_eq!(got.len(), fams.len(), "{:?}\n{}", mode, text);
            for (g, w) in got.iter().zip(&fams) {
                prop_assert_eq!(&g.name, &w.name);
                prop_assert_eq!(&g.help, &w.help);
                prop_assert_eq!(g.metric_type, w.metric_type);
                prop_assert_eq!(&g.unit, &w.unit);
                prop_assert_eq!(g.samples.len(), w.samples.len(), "{}", text);
                for (gs, ws) in g.samples.iter().zip(&w.samples) {
                    check_sample(gs, ws)?;
                }
            }
            let streamed: Vec<MetricFamily> = parse_reader(text.as_bytes(), mode, ValidationScheme::Utf8).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(canonical(&streamed), canonical(&got));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in soup()) {
        check_any_input(&text)?;
    }

    #[test]
    fn any_string_never_panics(text in any::<String>()) {
        check_any_input(&text)?;
    }

    #[test]
    fn mutated_expositions_never_panic(text in mutated()) {
        check_any_input(&text)?;
    }
}

#[test]
fn long_and_pathological_lines_stay_linear() {
    // Each of these would be quadratic with a naive scan; all must finish quickly.
    let n = 200_000;
    let inputs = [
        format!("a{{{}}} 1\n", (0..n / 8).map(|i| format!("l{i}=\"v\"")).collect::<Vec<_>>().join(",")),
        format!("a{{b=\"{}\"}} 1\n", "\\\"".repeat(n)),
        format!("# HELP a {}\n", "\\".repeat(n)),
        format!("#{}\n", " ".repeat(n)),
        format!("a{{{}\n", "\"".repeat(n)),
        format!("a {}\n", "1 ".repeat(n)),
        format!("a {}\n", "9".repeat(n)),
        format!("a 1 {}\n", "9".repeat(5000)),
        "x 1\n".repeat(n / 4),
        format!("a{{{}}} 1\n", ",".repeat(n)),
        format!("a{{{}}} 1\n", ", ".repeat(n)),
    ];
    for text in &inputs {
        let t = std::time::Instant::now();
        for mode in [Mode::Lenient, Mode::Strict] {
            let _ = parse_str(text, mode, ValidationScheme::Utf8);
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "too slow on {:?}...", &text[..40.min(text.len())]);
    }
}
