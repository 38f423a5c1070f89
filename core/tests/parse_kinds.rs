#![allow(clippy::unwrap_used)]
//! `compat::python::parse`: what the parsers record of prometheus_client's Python types (an
//! `int` or a `float` value, exact digits beyond 2^53, native-histogram labels `None`).

use fastprom::compat::python::{parse, SampleKinds};
use fastprom::names::ValidationScheme;

fn text_kinds(v: &str) -> SampleKinds {
    parse::text(&format!("a {v}\n"), ValidationScheme::Utf8).unwrap()[0].kinds[0].clone()
}

fn om_kinds(v: &str) -> SampleKinds {
    let t = format!("# TYPE a gauge\na {v}\n# TYPE b counter\nb_total 1 # {{x=\"y\"}} {v}\n# EOF\n");
    let f = parse::openmetrics(&t, ValidationScheme::Utf8).unwrap();
    let e = f[1].kinds[0].clone();
    SampleKinds {
        exemplar_value_int: e.exemplar_value_int,
        exemplar_value_digits: e.exemplar_value_digits,
        ..f[0].kinds[0].clone()
    }
}

#[test]
fn value_types_and_exact_digits() {
    let big = "1".repeat(400);
    let cases: [(&str, bool, Option<&str>); 12] = [
        ("1", true, None),
        ("-0", true, None),
        ("1.0", false, None),
        ("1e30", false, None),
        ("9007199254740991", true, None),
        ("9007199254740992", true, Some("9007199254740992")),
        ("-9007199254740993", true, Some("-9007199254740993")),
        ("+0009007199254740993", true, Some("9007199254740993")),
        ("99999999999999999999999", true, Some("99999999999999999999999")),
        ("170141183460469231731687303715884105728", true, Some("170141183460469231731687303715884105728")),
        ("\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}\u{669}", true, Some("9999999999999999")),
        (&big, true, Some(&big)),
    ];
    for (v, int, digits) in cases {
        for (k, exemplar) in [(text_kinds(v), false), (om_kinds(v), true)] {
            assert_eq!(k.value_int, int, "{v}");
            assert_eq!(k.value_digits.as_deref(), digits, "{v}");
            if exemplar {
                assert_eq!(k.exemplar_value_int, int, "{v}");
                assert_eq!(k.exemplar_value_digits.as_deref(), digits, "{v}");
            }
        }
    }
}

#[test]
fn beyond_int_max_str_digits_is_a_float() {
    for v in ["1".repeat(4301), format!("{}1", "0".repeat(4300))] {
        for k in [text_kinds(&v), om_kinds(&v)] {
            assert!(!k.value_int && k.value_digits.is_none());
        }
    }
    assert!(om_kinds(&"1".repeat(4300)).value_digits.is_some());
}

#[test]
fn native_histogram_labels_none() {
    let t = "# TYPE a histogram\na {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}\n\
             a{b=\"c\"} {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}\n# EOF\n";
    let f = parse::openmetrics(t, ValidationScheme::Utf8).unwrap();
    let none: Vec<bool> = f[0].kinds.iter().map(|k| k.labels_none).collect();
    assert_eq!(none, [true, false]);
}

/// The Python entry points give the neutral parsers' families, and one kinds entry per
/// sample, streaming or not.
#[test]
fn kinds_run_alongside_the_neutral_families() {
    use fastprom::parse::{openmetrics, text};
    let t = "# TYPE a_total counter\na_total 1\na_total{b=\"c\"} 2.5\nx 3\n";
    let py = parse::text(t, ValidationScheme::Utf8).unwrap();
    let neutral = text::text_string_to_metric_families(t).unwrap();
    assert_eq!(py.iter().map(|p| p.family.clone()).collect::<Vec<_>>(), neutral);
    assert_eq!(py.iter().map(|p| p.kinds.len()).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(py[0].kinds.iter().map(|k| k.value_int).collect::<Vec<_>>(), [true, false]);
    let streamed: Vec<_> = parse::text_reader(t.as_bytes(), ValidationScheme::Utf8).collect::<Result<_, _>>().unwrap();
    assert_eq!(streamed, py);

    let om = "# TYPE a gauge\na 1\na{b=\"c\"} 1\na{b=\"c\"} 1\n# EOF\n";
    let py = parse::openmetrics(om, ValidationScheme::Utf8).unwrap();
    let neutral = openmetrics::text_string_to_metric_families(om).unwrap();
    assert_eq!(py[0].family, neutral[0]);
    // The repeated series is dropped from the samples and from the kinds alike.
    assert_eq!((py[0].family.samples.len(), py[0].kinds.len()), (2, 2));
    let streamed: Vec<_> = parse::openmetrics_reader(om.as_bytes(), ValidationScheme::Utf8).collect();
    assert_eq!(streamed.len(), 1);
    assert_eq!(streamed[0].as_ref().unwrap(), &py[0]);
}
