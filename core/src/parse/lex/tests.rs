//! Unit tests of the shared lexing.

use std::borrow::Cow;

use super::number::{parse_timestamp, py_float, py_int, PyInt};
use super::*;
use crate::model::Timestamp;

#[test]
fn quotes_protect_separators() {
    let sp = |c: u8| c == b' ';
    assert_eq!(next_unquoted(br#"a "b c" d"#, 0, sp), Some(1));
    assert_eq!(next_unquoted(br#"a "b c" d"#, 2, sp), Some(7));
    assert_eq!(next_unquoted(br#""b \" c" d"#, 0, sp), Some(8));
    assert_eq!(&split_quoted(r#"x  "a b" c d e"#, sp)[..], &["x", r#""a b""#, "c", "d e"]);
    assert_eq!(&split_quoted("", sp)[..], &[""]);
    assert_eq!(unescape(r#"a\\b\nc\"d\x"#, true), "a\\b\nc\"d\\x");
    assert_eq!(unescape(r#"\"q\n"#, false), "\\\"q\n");
    assert!(matches!(unescape("plain", true), Cow::Borrowed("plain")));
}

#[test]
fn python_numbers() {
    assert!(matches!(py_int("١٢"), Some(PyInt::Small(12))));
    assert!(matches!(py_int(" +0_1 "), Some(PyInt::Small(1))));
    assert!(py_int("1__0").is_none());
    assert!(py_int("_1").is_none());
    assert_eq!(py_float("1_0.5"), Some(10.5));
    assert_eq!(py_float(" -Infinity "), Some(f64::NEG_INFINITY));
    assert!(py_float("1_e5").is_none());
    assert!(py_float("\x1c1").is_none());
    assert_eq!(py_float("\u{a0}1"), Some(1.0));
    assert!(py_float(".").is_none());
    assert_eq!(py_float(".5e1"), Some(5.0));
    assert!(matches!(py_int("99999999999999999999999999999999999999999"), Some(PyInt::Big(_))));
}

#[test]
fn timestamps_follow_prometheus_client() {
    let ts = |s: &str| parse_timestamp(s).unwrap();
    assert_eq!(ts("1.1234567891e3"), Some(Timestamp::Exact { sec: 1, nsec: 123_456_789 }));
    assert_eq!(ts("1e3"), Some(Timestamp::Float(1000.0)));
    assert_eq!(ts("1\t.5"), Some(Timestamp::Exact { sec: 1, nsec: 500_000_000 }));
    assert_eq!(ts("-1.5"), Some(Timestamp::Exact { sec: -1, nsec: -500_000_000 }));
    assert_eq!(ts("-0.5"), Some(Timestamp::Exact { sec: 0, nsec: 500_000_000 }));
    assert!(parse_timestamp("inf").is_err());
    assert!(parse_timestamp("1.-5").is_err());
    assert_eq!(ts("1.+5"), Some(Timestamp::Exact { sec: 1, nsec: 50_000_000 }));
}

#[test]
fn label_grammars_differ_on_empty_terms_and_reasons() {
    let text = |s| parse_labels(s, Grammar::Text, ValidationScheme::Utf8).map_err(|e| (e.at, e.msg));
    let om = |s| parse_labels(s, Grammar::OpenMetrics, ValidationScheme::Utf8).map_err(|e| (e.at, e.msg));
    let ab = vec![("a".to_owned(), "b".to_owned())];
    assert_eq!(text(r#"a="b","#), Ok(ab.clone()));
    assert_eq!(om(r#"a="b","#), Err((6, r#"Invalid labels: a="b", (empty term)"#.to_owned())));
    assert_eq!(text(r#" a = "b" "#), Ok(ab));
    assert_eq!(text(r#"a="b",a="c""#), Err((6, r#"Invalid labels: a="b",a="c""#.to_owned())));
    assert_eq!(
        om(r#"a="b",a="c""#),
        Err((6, r#"Invalid labels: a="b",a="c" (invalid line, duplicate label name)"#.to_owned()))
    );
    assert_eq!(om(r#",a="b""#), Err((0, r#"leading comma: ,a="b""#.to_owned())));
    assert_eq!(om(r#"a="b" x"#), Err((0, r#"Invalid labels: a="b" x (unexpected text after quote)"#.to_owned())));
    let reserved = parse_labels(r#"__x="b""#, Grammar::OpenMetrics, ValidationScheme::Utf8).map_err(|e| e.msg);
    assert_eq!(reserved, Err(r#"Invalid labels: __x="b" (Reserved label metric name: __x)"#.to_owned()));
}

#[test]
fn columns_count_characters() {
    assert_eq!(column("abc", 0), 1);
    assert_eq!(column("abc", 3), 4);
    assert_eq!(column("abc", 9), 4);
    assert_eq!(column("\u{e9}x", 2), 2);
    assert_eq!(column("\u{e9}\u{1f600}x", 6), 3);
    let line = "name value";
    assert_eq!(offset_of(line, &line[5..]), 5);
    assert_eq!(offset_of(line, "elsewhere"), 0);
}
