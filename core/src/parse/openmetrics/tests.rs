//! Unit tests of the OpenMetrics parser.

use super::*;
use crate::error::Error;
use crate::model::{BucketSpan, Timestamp};

fn parse_str_utf8(text: &str) -> Result<Vec<MetricFamily>> {
    parse_str(text, ValidationScheme::Utf8)
}

fn ok(text: &str) -> Vec<MetricFamily> {
    match parse_str(text, ValidationScheme::Utf8) {
        Ok(f) => f,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

#[test]
fn quirks() {
    let f = ok("nan\n# EOF\n");
    assert_eq!(f[0].name, "na");
    assert!(f[0].samples[0].value.is_nan());
    let f = ok("foo 1 5\"abc\n# EOF\n");
    assert_eq!(f[0].samples[0].timestamp, Some(Timestamp::Exact { sec: 5, nsec: 0 }));
    assert!(parse_str_utf8("{\"foo.bar\"} 1\n# EOF\n").is_err());
    let f = ok("# TYPE \"foo.bar\" gauge\n{\"foo.bar\"} 1\n# EOF\n");
    assert_eq!(f[0].samples[0].name, "foo.bar");
    assert_eq!(ok("a 1\na 1\n# EOF\n")[0].samples.len(), 1);
    assert!(parse_str_utf8("a{b=\"c\",} 1\n# EOF\n").is_err());
    assert_eq!(ok("#  HELP  a  x y\n# EOF\n")[0].help, "x y");
    let f = ok("\"foo\"{a=\"b\"} 1\n# EOF\n");
    assert_eq!((f[0].name.as_str(), f[0].samples[0].name.as_str()), ("foo", "\"foo\""));
}

#[test]
fn native_histograms() {
    let nh = "{count:1,sum:2,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],positive_deltas:[1,-1]}";
    let f = ok(&format!("# TYPE foo histogram\nfoo {nh}\n# EOF\n"));
    let s = &f[0].samples[0];
    let n = s.native_histogram.as_ref().unwrap();
    assert_eq!(n.pos_spans, vec![BucketSpan { offset: 0, length: 2 }]);
    assert_eq!(n.pos_deltas, vec![1, -1]);
    assert!(ok(&format!("# TYPE foo histogram\nfoo_x {nh}\n# EOF\n"))[0].samples[0].native_histogram.is_some());
    assert!(parse_str_utf8(&format!("# TYPE foo histogram\nfoo_x{{}} {nh}\n# EOF\n")).is_err());
    assert!(parse_str_utf8(&format!("# TYPE foo histogram\nfoo_count {nh}\n# EOF\n")).is_err());
}

#[test]
fn errors_name_the_line() {
    match parse_str_utf8("# TYPE a gauge\na 1\n\n# EOF\n") {
        Err(Error::Parse { line, msg, .. }) => assert_eq!((line, msg.as_str()), (3, "Received blank line")),
        other => panic!("{other:?}"),
    }
    match parse_str_utf8("a 1\n") {
        Err(Error::Parse { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reader_streams_families_then_errors() {
    let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n";
    let items: Vec<_> = parse_reader(text.as_bytes(), ValidationScheme::Utf8).collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok() && items[2].is_err());
}

/// The line, column and message of the parse error `text` gives.
fn err_at(text: &str) -> (usize, usize, String) {
    match parse_str_utf8(text) {
        Err(Error::Parse { line, column, msg }) => (line, column, msg),
        other => panic!("expected a parse error for {text:?}, got {other:?}"),
    }
}

#[test]
fn errors_point_at_the_bad_part() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("a{b=\"c\",,d=\"e\"} 1\n# EOF\n", 1, 9, "Invalid labels: b=\"c\",,d=\"e\" (multiple commas)"),
        ("a x\n# EOF\n", 1, 3, "could not convert string to float: 'x'"),
        ("a 1 x\n# EOF\n", 1, 5, "Invalid timestamp: 'x'"),
        // Columns count characters, not bytes.
        ("a{b=\"\u{e9}\u{e9}\"} x\n# EOF\n", 1, 11, "could not convert string to float: 'x'"),
        (
            "a 1 # {b=\"c\"} 1\n# EOF\n",
            1,
            5,
            "Invalid line only histogram/gaugehistogram buckets and counters can have exemplars: a 1 # {b=\"c\"} 1",
        ),
        ("# TYPE a counter\na_total -1\n# EOF\n", 2, 9, "Counter-like samples cannot be negative: a_total -1"),
        ("# TYPE a histogram\na_bucket{le=\"x\"} 1\n# EOF\n", 2, 9, "could not convert string to float: x"),
        ("# TYPE a gauge\n# TYPE a counter\n# EOF\n", 2, 1, "More than one TYPE for metric: # TYPE a counter"),
        ("# TYPE a untyped\n# EOF\n", 1, 10, "Invalid TYPE for metric: # TYPE a untyped"),
        ("a 1 1 x\n# EOF\n", 1, 7, "Invalid line: 1 x"),
        ("# TYPE a gauge\na 1\n\n# EOF\n", 3, 1, "Received blank line"),
        // Checks of a whole family fail on the line that ends it, at column 1.
        ("# TYPE a histogram\na_count 1\n# EOF\n", 3, 1, "+Inf bucket missing: a"),
        ("a 1\n", 2, 1, "Missing # EOF at end"),
    ];
    for (text, line, column, msg) in cases {
        assert_eq!(err_at(text), (*line, *column, (*msg).to_owned()), "{text:?}");
    }
}

#[test]
fn the_scheme_decides_which_names_pass() {
    let text = "# TYPE \"a.b\" gauge\n{\"a.b\",\"c.d\"=\"e\"} 1\n# EOF\n";
    assert!(parse_str(text, ValidationScheme::Utf8).is_ok());
    match parse_str(text, ValidationScheme::Legacy) {
        Err(Error::Parse { line, column, msg }) => {
            assert_eq!((line, column), (2, 8));
            assert_eq!(msg, "Invalid labels: \"a.b\",\"c.d\"=\"e\" (Invalid label metric name: c.d)");
        }
        other => panic!("{other:?}"),
    }
}
