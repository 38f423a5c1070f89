#![allow(clippy::unwrap_used)]
//! `Sample::kinds`: what the parsers record of prometheus_client's Python types (an `int`
//! or a `float` value, exact digits beyond 2^53, native-histogram labels `None`).

use fastprom::names::ValidationScheme;
use fastprom::parse::{openmetrics, text};
use fastprom::SampleKinds;

fn text_kinds(v: &str) -> SampleKinds {
    text::text_string_to_metric_families(&format!("a {v}\n")).unwrap()[0].samples[0].kinds.clone()
}

fn om_kinds(v: &str) -> SampleKinds {
    let t = format!("# TYPE a gauge\na {v}\n# TYPE b counter\nb_total 1 # {{x=\"y\"}} {v}\n# EOF\n");
    let f = openmetrics::parse_str(&t, ValidationScheme::Utf8).unwrap();
    let e = f[1].samples[0].kinds.clone();
    SampleKinds {
        exemplar_value_int: e.exemplar_value_int,
        exemplar_value_digits: e.exemplar_value_digits,
        ..f[0].samples[0].kinds.clone()
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
    let f = openmetrics::parse_str(t, ValidationScheme::Utf8).unwrap();
    let none: Vec<bool> = f[0].samples.iter().map(|s| s.kinds.labels_none).collect();
    assert_eq!(none, [true, false]);
}
