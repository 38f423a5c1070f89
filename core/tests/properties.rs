#![allow(clippy::unwrap_used)]
//! Property tests: label values and values survive the text encodings, float formatting
//! round-trips, encoders never panic on any accepted name, and labelled families behave
//! like a plain insertion-ordered list of children.

use std::sync::Arc;

use fastprom::floatfmt::{go_float, py_repr};
use fastprom::metrics::InfoConfig;
use fastprom::{
    Buckets, Collector, Counter, Enum, EscapingScheme, Family, Gauge, Histogram, Info, Opts, Registry, States, Summary,
    SummaryConfig,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A config with `cases` cases that writes no regression files.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

const SCHEMES: [EscapingScheme; 4] =
    [EscapingScheme::AllowUtf8, EscapingScheme::Underscores, EscapingScheme::Dots, EscapingScheme::Values];

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Any character, with the ones that matter to the encoders much more likely.
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        3 => prop::sample::select(vec![
            '\\', '"', '\n', '\r', '\t', '\0', '{', '}', ',', '=', ' ', '#', '.', ':', '_', '-', 'é', '日', '🦀',
            '\u{2028}', '\u{7f}', '\u{80}', '\u{ffff}',
        ]),
        3 => prop::char::range('a', 'z'),
    ]
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// Any f64: arbitrary bit patterns (so every NaN payload, subnormals, ...), proptest's
/// float classes, and the edge values.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<u64>().prop_map(f64::from_bits),
        2 => any::<f64>(),
        2 => prop::sample::select(vec![
            0.0, -0.0, 1.0, -1.0, 0.1, 1e-4, 1e-5, 9.999e-5, 1e6, 999_999.999_999_999_9, 1e15, 1e16,
            9_999_999_999_999_998.0, 1e22, 1e300, 5e-324, f64::MIN_POSITIVE, f64::MAX, f64::MIN, f64::EPSILON,
            f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 9_007_199_254_740_993.0, 123_456_789_012_345.6,
            1_234_567.0, 12_345_678.9, 0.3,
        ]),
        2 => -1e7f64..1e17f64,
    ]
}

/// Floats that are finite.
fn finite_f64() -> impl Strategy<Value = f64> {
    any_f64().prop_filter("finite", |v| v.is_finite())
}

// ---------------------------------------------------------------------------------------
// Parsing helpers
// ---------------------------------------------------------------------------------------

fn parse_go_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse::<f64>().map_err(|e| format!("{s:?}: {e}")),
    }
}

fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// One sample line, `name{k="v",...} value`, with label values unescaped. Fails on any
/// escape other than `\\`, `\"` and `\n`, and on raw newlines (lines are split on them).
fn parse_sample_line(line: &str) -> Result<(String, Vec<(String, String)>, String), String> {
    let brace = line.find('{').ok_or_else(|| format!("no labels in {line:?}"))?;
    let name = line[..brace].to_owned();
    let mut rest = &line[brace + 1..];
    let mut labels = Vec::new();
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            rest = r;
            break;
        }
        let eq = rest.find("=\"").ok_or_else(|| format!("no =\" in {rest:?}"))?;
        let key = rest[..eq].to_owned();
        rest = &rest[eq + 2..];
        let mut value = String::new();
        let mut it = rest.char_indices();
        let end = loop {
            let (i, c) = it.next().ok_or("unterminated label value")?;
            match c {
                '"' => break i,
                '\\' => match it.next().ok_or("dangling backslash")?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    other => return Err(format!("unexpected escape \\{other}")),
                },
                c => value.push(c),
            }
        };
        labels.push((key, value));
        rest = &rest[end + 1..];
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        }
    }
    let value = rest.strip_prefix(' ').ok_or_else(|| format!("no space before value in {line:?}"))?.to_owned();
    Ok((name, labels, value))
}

// ---------------------------------------------------------------------------------------
// 1. Label values and values survive encoding
// ---------------------------------------------------------------------------------------

/// Distinct (a, b) label pairs with a value each, in first-seen order.
fn gauge_children() -> impl Strategy<Value = Vec<(String, String, f64)>> {
    prop::collection::vec((any_text(12), any_text(6), any_f64()), 0..12).prop_map(|v| {
        let mut seen = std::collections::HashSet::new();
        v.into_iter().filter(|(a, b, _)| seen.insert((a.clone(), b.clone()))).collect()
    })
}

fn check_gauge_lines(text: &str, name: &str, children: &[(String, String, f64)]) -> Result<(), TestCaseError> {
    let samples: Vec<&str> = text.split('\n').filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    prop_assert_eq!(samples.len(), children.len(), "output:\n{}", text);
    for (line, (a, b, v)) in samples.iter().zip(children) {
        let (got_name, labels, value) = parse_sample_line(line).map_err(TestCaseError::fail)?;
        prop_assert_eq!(got_name, name);
        prop_assert_eq!(labels, vec![("a".to_owned(), a.clone()), ("b".to_owned(), b.clone())]);
        let parsed = parse_go_value(&value).map_err(TestCaseError::fail)?;
        prop_assert!(same_f64(parsed, *v), "{:?} parsed as {:?}, want {:?} ({:#x})", value, parsed, v, v.to_bits());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn gauge_label_values_and_values_round_trip(children in gauge_children()) {
        let family = Family::<Gauge>::new(Opts::new("temperature", "Degrees.").labels(["a", "b"]), ()).unwrap();
        for (a, b, v) in &children {
            family.labels(&[a, b]).unwrap().set(*v);
        }
        prop_assert_eq!(family.len(), children.len());
        for scheme in SCHEMES {
            let text = String::from_utf8(fastprom::expose::encode_text(&family, scheme).unwrap()).unwrap();
            check_gauge_lines(&text, "temperature", &children)?;
            let om = String::from_utf8(fastprom::expose::encode_openmetrics(&family, scheme, "1.0.0").unwrap()).unwrap();
            prop_assert!(om.ends_with("# EOF\n"));
            // prometheus_client writes OpenMetrics sample names through `_escape`, which
            // under `values` prefixes even a legacy name with `U__`.
            let name = if scheme == EscapingScheme::Values { "U__temperature" } else { "temperature" };
            check_gauge_lines(&om, name, &children)?;
        }
        // And the owned model keeps the raw values.
        let fams = family.collect().unwrap();
        prop_assert_eq!(fams.len(), 1);
        prop_assert_eq!(fams[0].samples.len(), children.len());
        for (s, (a, b, v)) in fams[0].samples.iter().zip(&children) {
            prop_assert_eq!(s.label("a"), Some(a.as_str()));
            prop_assert_eq!(s.label("b"), Some(b.as_str()));
            prop_assert!(same_f64(s.value, *v));
        }
    }
}

// ---------------------------------------------------------------------------------------
// 2. Float formatting
// ---------------------------------------------------------------------------------------

/// Significant digits and decimal exponent (of the first digit) of a plain decimal or
/// scientific number string (no sign).
fn digits_and_exp(s: &str) -> (String, i32) {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().unwrap()),
        None => (s, 0),
    };
    let int_len = mant.find('.').unwrap_or(mant.len()) as i32;
    let all: String = mant.chars().filter(|c| *c != '.').collect();
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0').to_owned();
    (digits, int_len - 1 - lead as i32 + exp)
}

/// Checks the layout rules of Python's `repr(float)` on a finite value's repr `r`:
/// shortest digits, fixed notation exactly for decimal exponents -4..=15 (with `.0` for
/// integers), otherwise `d[.ddd]e±XX` with at least two exponent digits.
fn check_repr_layout(v: f64, r: &str) -> Result<(), TestCaseError> {
    let body = r.strip_prefix('-').unwrap_or(r);
    prop_assert_eq!(r.starts_with('-'), v.is_sign_negative(), "sign of {}", r);
    if v == 0.0 {
        prop_assert_eq!(body, "0.0");
        return Ok(());
    }
    // Rust's `{:e}` gives the shortest round-trip digits; Python's repr has as many.
    let (want_digits, want_exp) = digits_and_exp(&format!("{:e}", v.abs()));
    let (digits, exp) = digits_and_exp(body);
    prop_assert_eq!(digits.len(), want_digits.len(), "not the shortest digits: {} vs {:e}", r, v);
    prop_assert_eq!(exp, want_exp, "exponent of {}", r);
    if (-4..=15).contains(&exp) {
        prop_assert!(!body.contains('e'), "{} should be in fixed notation", r);
        let (int, frac) = body.split_once('.').ok_or_else(|| TestCaseError::fail(format!("no dot in {r}")))?;
        prop_assert!(!int.is_empty() && !frac.is_empty(), "{}", r);
        prop_assert!(frac == "0" || !frac.ends_with('0'), "trailing zero in {}", r);
        prop_assert!(int == "0" || !int.starts_with('0'), "leading zero in {}", r);
    } else {
        let (mant, e) = body.split_once('e').ok_or_else(|| TestCaseError::fail(format!("{r} should be scientific")))?;
        let first = mant.chars().next().unwrap_or('0');
        prop_assert!(first.is_ascii_digit() && first != '0', "{}", r);
        if let Some((_, frac)) = mant.split_once('.') {
            prop_assert!(!frac.is_empty() && !frac.ends_with('0'), "{}", r);
        } else {
            prop_assert_eq!(mant.len(), 1, "{}", r);
        }
        let (sign, edigits) = e.split_at(1);
        prop_assert!(sign == "+" || sign == "-", "{}", r);
        prop_assert!(edigits.len() >= 2 && edigits.chars().all(|c| c.is_ascii_digit()), "{}", r);
    }
    Ok(())
}

/// prometheus_client 0.26's `floatToGoString`, on top of fastprom's `py_repr`.
fn float_to_go_string(d: f64) -> String {
    if d == f64::INFINITY {
        return "+Inf".into();
    }
    if d == f64::NEG_INFINITY {
        return "-Inf".into();
    }
    if d.is_nan() {
        return "NaN".into();
    }
    let s = py_repr(d);
    let dot = s.find('.');
    if let Some(dot) = dot.filter(|dot| d > 0.0 && *dot > 6) {
        let mantissa = format!("{}.{}{}", &s[..1], &s[1..dot], &s[dot + 1..]);
        let mantissa = mantissa.trim_end_matches(['0', '.']);
        return format!("{mantissa}e+{:02}", dot - 1);
    }
    s
}

proptest! {
    #![proptest_config(config(20_000))]

    #[test]
    fn py_repr_round_trips_finite_floats(v in finite_f64()) {
        let r = py_repr(v);
        let back: f64 = r.parse().map_err(|e| TestCaseError::fail(format!("{r:?}: {e}")))?;
        prop_assert_eq!(back.to_bits(), v.to_bits(), "{:?} -> {:?} -> {:?}", v, r, back);
        check_repr_layout(v, &r)?;
    }

    #[test]
    fn go_float_round_trips(v in any_f64()) {
        let g = go_float(v);
        let back = parse_go_value(&g).map_err(TestCaseError::fail)?;
        prop_assert!(same_f64(back, v), "{:?} ({:#x}) -> {:?} -> {:?}", v, v.to_bits(), g, back);
        prop_assert_eq!(&g, &float_to_go_string(v), "go_float({:?}) differs from floatToGoString over py_repr", v);
    }
}

#[test]
fn float_formatting_edge_values() {
    let cases = [
        (0.0, "0.0", "0.0"),
        (-0.0, "-0.0", "-0.0"),
        (1.0, "1.0", "1.0"),
        (0.1, "0.1", "0.1"),
        (1e-4, "0.0001", "0.0001"),
        (1e-5, "1e-05", "1e-05"),
        (123456.0, "123456.0", "123456.0"),
        (1e6, "1000000.0", "1e+06"),
        (1234567.0, "1234567.0", "1.234567e+06"),
        (10000000.5, "10000000.5", "1.00000005e+07"),
        (-1234567.0, "-1234567.0", "-1234567.0"),
        (1e15, "1000000000000000.0", "1e+15"),
        (1e16, "1e+16", "1e+16"),
        (9007199254740993.0, "9007199254740992.0", "9.007199254740992e+15"),
        (1.5e300, "1.5e+300", "1.5e+300"),
        (5e-324, "5e-324", "5e-324"),
        (f64::MAX, "1.7976931348623157e+308", "1.7976931348623157e+308"),
        (f64::INFINITY, "inf", "+Inf"),
        (f64::NEG_INFINITY, "-inf", "-Inf"),
        (f64::NAN, "nan", "NaN"),
        (-f64::NAN, "nan", "NaN"),
    ];
    for (v, repr, go) in cases {
        assert_eq!(py_repr(v), repr, "py_repr({v:?})");
        assert_eq!(go_float(v), go, "go_float({v:?})");
    }
}

// ---------------------------------------------------------------------------------------
// 3. Encoders never panic on accepted names
// ---------------------------------------------------------------------------------------

/// Names: mostly arbitrary text, sometimes plain legacy names.
fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![3 => any_text(10), 1 => "[a-zA-Z_:][a-zA-Z0-9_:]{0,8}"]
}

fn encode_all(source: &dyn Collector) -> Result<(), TestCaseError> {
    for scheme in SCHEMES {
        let text = fastprom::expose::encode_text(source, scheme)
            .map_err(|e| TestCaseError::fail(format!("text/{scheme:?}: {e}")))?;
        prop_assert!(String::from_utf8(text).is_ok(), "text/{:?}: invalid UTF-8", scheme);
        for version in ["1.0.0", "2.0.0"] {
            let om = fastprom::expose::encode_openmetrics(source, scheme, version)
                .map_err(|e| TestCaseError::fail(format!("openmetrics {version}/{scheme:?}: {e}")))?;
            let om = String::from_utf8(om);
            prop_assert!(om.is_ok(), "openmetrics/{:?}: invalid UTF-8", scheme);
            prop_assert!(om.unwrap_or_default().ends_with("# EOF\n"));
        }
    }
    Ok(())
}

/// `values` truncated or padded to `n` entries.
fn fit(values: &[String], n: usize) -> Vec<String> {
    (0..n).map(|i| values.get(i).cloned().unwrap_or_default()).collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn encoders_never_panic_on_accepted_names(
        name in any_name(),
        help in any_text(8),
        unit in prop_oneof![Just(String::new()), any_name()],
        label_names in prop::collection::vec(any_name(), 0..3),
        values in prop::collection::vec(any_text(8), 3),
        value in any_f64(),
        info_pairs in prop::collection::vec((any_name(), any_text(5)), 0..3),
        exemplar in prop::collection::vec((any_name(), any_text(5)), 0..2),
    ) {
        let opts = || Opts::new(name.clone(), help.clone()).unit(unit.clone()).labels(label_names.clone());
        // The families here validate names under the default scheme, UTF-8.
        prop_assert_eq!(opts().settings.validation_scheme(), fastprom::ValidationScheme::Utf8);
        let vals = fit(&values, label_names.len());
        let registry = Registry::new();
        let mut any_accepted = false;

        if let Ok(f) = Family::<Counter>::new(opts(), ()) {
            let c = if label_names.is_empty() { f.unlabelled().unwrap().clone() } else { f.labels(&vals).unwrap() };
            c.inc_by(value.abs()).ok();
            // Exemplars are checked when given; when accepted they are encoded.
            let _ = c.inc_with_exemplar(1.0, exemplar.clone());
            encode_all(&f)?;
            any_accepted |= registry.register(Arc::new(f)).is_ok();
        }
        if let Ok(f) = Family::<Gauge>::new(opts(), ()) {
            let g = if label_names.is_empty() { f.unlabelled().unwrap().clone() } else { f.labels(&vals).unwrap() };
            g.set(value);
            encode_all(&f)?;
            any_accepted |= registry.register(Arc::new(f)).is_ok();
        }
        if let Ok(f) = Family::<Histogram>::new(opts(), Buckets::default()) {
            let h = if label_names.is_empty() { f.unlabelled().unwrap().clone() } else { f.labels(&vals).unwrap() };
            h.observe(value);
            let _ = h.observe_with_exemplar(0.3, exemplar.clone());
            encode_all(&f)?;
            any_accepted |= registry.register(Arc::new(f)).is_ok();
        }
        if let Ok(f) = Family::<Summary>::new(opts(), SummaryConfig::default()) {
            let s = if label_names.is_empty() { f.unlabelled().unwrap().clone() } else { f.labels(&vals).unwrap() };
            s.observe(value);
            encode_all(&f)?;
            any_accepted |= registry.register(Arc::new(f)).is_ok();
        }
        if let Ok(f) = Family::<Info>::new(opts(), InfoConfig::default()) {
            let i = if label_names.is_empty() { f.unlabelled().unwrap().clone() } else { f.labels(&vals).unwrap() };
            let _ = i.set(info_pairs.clone());
            encode_all(&f)?;
            any_accepted |= registry.register(Arc::new(f)).is_ok();
        }
        if let Ok(f) = Family::<Enum>::new(opts(), States::new([values[0].clone(), "other".to_owned()])) {
            let e = if label_names.is_empty() { f.unlabelled().unwrap().clone() } else { f.labels(&vals).unwrap() };
            e.state("other").unwrap();
            encode_all(&f)?;
            any_accepted |= registry.register(Arc::new(f)).is_ok();
        }
        if any_accepted {
            encode_all(&registry)?;
        }
    }
}

// ---------------------------------------------------------------------------------------
// 4. A family behaves like an insertion-ordered list
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    /// `labels(values).inc_by(n)`
    Inc([String; 2], u8),
    /// `with_labels(values, |c| c.inc())`
    WithLabels([String; 2]),
    Remove([String; 2]),
    Clear,
    /// `remove_by_labels`: pairs of (label index or unknown name, value).
    RemoveBy(Vec<(Option<usize>, String)>),
}

fn small_value() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "a", "b", "ab", "a,b", "\"", "é"]).prop_map(str::to_owned)
}

fn pair() -> impl Strategy<Value = [String; 2]> {
    (small_value(), small_value()).prop_map(|(a, b)| [a, b])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (pair(), 0u8..4).prop_map(|(p, n)| Op::Inc(p, n)),
        3 => pair().prop_map(Op::WithLabels),
        3 => pair().prop_map(Op::Remove),
        1 => Just(Op::Clear),
        2 => prop::collection::vec((prop_oneof![4 => (0usize..2).prop_map(Some), 1 => Just(None)], small_value()), 0..3)
            .prop_map(Op::RemoveBy),
    ]
}

const NAMES: [&str; 2] = ["method", "path"];

fn check_against_model(family: &Family<Counter>, model: &[([String; 2], f64)]) -> Result<(), TestCaseError> {
    let got: Vec<(Vec<String>, f64)> =
        family.children().iter().map(|c| (c.label_values().iter().map(|s| s.to_string()).collect(), c.get())).collect();
    let want: Vec<(Vec<String>, f64)> = model.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
    prop_assert_eq!(got, want);
    prop_assert_eq!(family.len(), model.len());
    prop_assert_eq!(family.is_empty(), model.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn family_matches_insertion_ordered_model(ops in prop::collection::vec(op(), 0..40)) {
        let family = Family::<Counter>::new(Opts::new("requests", "h").labels(NAMES), ()).unwrap();
        let mut model: Vec<([String; 2], f64)> = Vec::new();
        for op in &ops {
            match op {
                Op::Inc(p, n) => {
                    family.labels(p).unwrap().inc_by(f64::from(*n)).unwrap();
                    match model.iter_mut().find(|(k, _)| k == p) {
                        Some((_, v)) => *v += f64::from(*n),
                        None => model.push((p.clone(), f64::from(*n))),
                    }
                }
                Op::WithLabels(p) => {
                    family.with_labels(p, |c| c.inc()).unwrap();
                    match model.iter_mut().find(|(k, _)| k == p) {
                        Some((_, v)) => *v += 1.0,
                        None => model.push((p.clone(), 1.0)),
                    }
                }
                Op::Remove(p) => {
                    let existed = family.remove(p).unwrap();
                    let pos = model.iter().position(|(k, _)| k == p);
                    prop_assert_eq!(existed, pos.is_some());
                    if let Some(i) = pos {
                        model.remove(i);
                    }
                }
                Op::Clear => {
                    family.clear();
                    model.clear();
                }
                Op::RemoveBy(filter) => {
                    let pairs: Vec<(String, String)> = filter
                        .iter()
                        .map(|(i, v)| (i.map_or("nope".to_owned(), |i| NAMES[i].to_owned()), v.clone()))
                        .collect();
                    let result = family.remove_by_labels(&pairs);
                    if filter.iter().any(|(i, _)| i.is_none()) {
                        prop_assert!(result.is_err(), "unknown label name accepted");
                    } else if filter.is_empty() {
                        prop_assert_eq!(result.unwrap(), 0);
                    } else {
                        let before = model.len();
                        model.retain(|(k, _)| !filter.iter().all(|(i, v)| i.is_some_and(|i| &k[i] == v)));
                        prop_assert_eq!(result.unwrap(), before - model.len());
                    }
                }
            }
            check_against_model(&family, &model)?;
        }
        // The exposition lists the children in the same order.
        let fams = family.collect().unwrap();
        let exported: Vec<(String, String)> = fams[0]
            .samples
            .iter()
            .filter(|s| s.name == "requests_total")
            .map(|s| (s.label("method").unwrap_or("?").to_owned(), s.label("path").unwrap_or("?").to_owned()))
            .collect();
        let want: Vec<(String, String)> = model.iter().map(|(k, _)| (k[0].clone(), k[1].clone())).collect();
        prop_assert_eq!(exported, want);
    }
}

// ---------------------------------------------------------------------------------------
// 5. The extra label (`le`, `quantile`, a stateset's name) is spliced in name order
// ---------------------------------------------------------------------------------------

/// 0-3 distinct legacy label names, none of them an extra label used below.
fn label_names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[a-z][a-z0-9_]{0,3}", 0..4)
        .prop_map(|s| s.into_iter().filter(|n| !["le", "quantile", "st"].contains(&n.as_str())).collect::<Vec<_>>())
}

/// Checks every sample line: labels strictly sorted by name; without the extra label,
/// they are exactly the labels of one child, children appearing in insertion order; the
/// extra label is present exactly on the lines that need it.
fn check_spliced(
    out: &str,
    names: &[String],
    children: &[Vec<String>],
    extra: &str,
    needs_extra: impl Fn(&str) -> bool,
) -> Result<(), TestCaseError> {
    let mut last_child = 0usize;
    let mut lines = 0;
    for line in out.split('\n').filter(|l| !l.is_empty()) {
        if line.starts_with("# HELP") {
            // A new section (the text format writes `_created` in a section of its own).
            last_child = 0;
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        lines += 1;
        let (name, labels) = if line.contains('{') {
            let (n, l, _) = parse_sample_line(line).map_err(TestCaseError::fail)?;
            (n, l)
        } else {
            (line.split(' ').next().unwrap_or("").to_owned(), Vec::new())
        };
        for w in labels.windows(2) {
            prop_assert!(w[0].0 < w[1].0, "labels not sorted in {:?}", line);
        }
        let has_extra = labels.iter().any(|(k, _)| k == extra);
        prop_assert_eq!(has_extra, needs_extra(&name), "extra label on {:?}", line);
        let own: Vec<(String, String)> = labels.into_iter().filter(|(k, _)| k != extra).collect();
        let want_for = |i: usize| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = names.iter().cloned().zip(children[i].iter().cloned()).collect();
            v.sort();
            v
        };
        // Within a section the children come in insertion order, each one's lines together.
        if own != want_for(last_child) {
            last_child += 1;
            prop_assert!(last_child < children.len(), "unexpected labels {:?} in {:?}", own, line);
            prop_assert_eq!(own, want_for(last_child), "line {:?}", line);
        }
    }
    prop_assert!(lines > 0);
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn extra_label_is_spliced_in_name_order(
        names in label_names(),
        raw_children in prop::collection::vec(prop::collection::vec(any_text(5), 3), 1..4),
        v in -3.0f64..3.0,
    ) {
        let mut children: Vec<Vec<String>> = Vec::new();
        for c in raw_children {
            let c = fit(&c, names.len());
            if !children.contains(&c) {
                children.push(c);
            }
        }
        if names.is_empty() {
            children.truncate(1);
        }
        let opts = |n: &str| Opts::new(n, "h").labels(names.clone());
        let h = Family::<Histogram>::new(opts("hh"), Buckets::new(&[-1.0, 0.0, 1.0]).unwrap()).unwrap();
        let cfg = SummaryConfig::quantiles(
            &[fastprom::Objective { quantile: 0.5, error: 0.05 }, fastprom::Objective { quantile: 0.9, error: 0.01 }],
            600.0,
            5,
        ).unwrap();
        let s = Family::<Summary>::new(opts("ss"), cfg).unwrap();
        let e = Family::<Enum>::new(opts("st"), States::new(["a", "b", "c"])).unwrap();
        for c in &children {
            let (hc, sc, ec) = if names.is_empty() {
                (h.unlabelled().unwrap().clone(), s.unlabelled().unwrap().clone(), e.unlabelled().unwrap().clone())
            } else {
                (h.labels(c).unwrap(), s.labels(c).unwrap(), e.labels(c).unwrap())
            };
            hc.observe(v);
            sc.observe(v);
            ec.state("b").unwrap();
        }
        for scheme in [EscapingScheme::AllowUtf8, EscapingScheme::Underscores, EscapingScheme::Values] {
            for out in [
                fastprom::expose::encode_text(&h, scheme).unwrap(),
                fastprom::expose::encode_openmetrics(&h, scheme, "1.0.0").unwrap(),
            ] {
                let out = String::from_utf8(out).unwrap();
                check_spliced(&out, &names, &children, "le", |n| n.ends_with("_bucket"))?;
            }
            for out in [
                fastprom::expose::encode_text(&s, scheme).unwrap(),
                fastprom::expose::encode_openmetrics(&s, scheme, "1.0.0").unwrap(),
            ] {
                let out = String::from_utf8(out).unwrap();
                check_spliced(&out, &names, &children, "quantile", |n| n.ends_with("ss"))?;
            }
            for out in [
                fastprom::expose::encode_text(&e, scheme).unwrap(),
                fastprom::expose::encode_openmetrics(&e, scheme, "1.0.0").unwrap(),
            ] {
                let out = String::from_utf8(out).unwrap();
                check_spliced(&out, &names, &children, "st", |_| true)?;
            }
        }
    }
}
