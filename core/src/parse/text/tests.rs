//! Unit tests of the text parser in both modes.

use super::*;
use crate::error::Error;
use crate::model::{MetricType, Timestamp};

fn lenient(s: &str) -> Result<Vec<MetricFamily>> {
    parse_str(s, Mode::Lenient, ValidationScheme::Utf8)
}

fn strict(s: &str) -> Result<Vec<MetricFamily>> {
    parse_str(s, Mode::Strict, ValidationScheme::Utf8)
}

fn err_line(r: Result<Vec<MetricFamily>>) -> usize {
    match r {
        Err(Error::Parse { line, .. }) => line,
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn counters_gain_or_lose_total() -> Result<()> {
    let f = lenient("# TYPE a_total counter\na_total 1\n# TYPE b counter\nb 2\n")?;
    assert_eq!((f[0].name.as_str(), f[0].samples[0].name.as_str()), ("a", "a_total"));
    assert_eq!((f[1].name.as_str(), f[1].samples[0].name.as_str()), ("b", "b_total"));
    assert_eq!(f[1].metric_type, MetricType::Counter);
    Ok(())
}

#[test]
fn untyped_samples_are_singletons() -> Result<()> {
    let f = lenient("a 1\na 2\n")?;
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].metric_type, MetricType::Unknown);
    let g = strict("a 1\na 2\n")?;
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].samples.len(), 2);
    Ok(())
}

#[test]
fn python_quirks() -> Result<()> {
    // No separator: the name loses its last character, the value is the whole line.
    let f = lenient("inf")?;
    assert_eq!(f[0].name, "in");
    assert!(f[0].samples[0].value.is_infinite());
    // Values are int() or float(), Unicode digits included; the last token is the timestamp.
    let f = lenient("a \u{661}\u{662} 5 2000\n")?;
    assert_eq!(f[0].samples[0].value, 12.0);
    assert_eq!(f[0].samples[0].timestamp, Some(Timestamp::Float(2.0)));
    // -0 is an int: 0.0.
    let f = lenient("a -0 -0\n")?;
    assert!(f[0].samples[0].value.is_sign_positive());
    assert!(f[0].samples[0].timestamp.is_some_and(|t| t.as_f64().is_sign_positive()));
    // Unknown escapes stay; HELP does not unescape quotes.
    let f = lenient("# HELP a x\\ty\\\"z\\\\\\n\na 1\n")?;
    assert_eq!(f[0].help, "x\\ty\\\"z\\\n");
    // A label name with an escaped trailing newline passes the legacy regex.
    let f = lenient("a{b\\n=\"c\"} 1\n")?;
    assert_eq!(f[0].samples[0].labels, vec![("b\n".to_owned(), "c".to_owned())]);
    Ok(())
}

#[test]
fn utf8_names() -> Result<()> {
    let text = "# HELP \"my.metric\" h\n# TYPE \"my.metric\" gauge\n{\"my.metric\", \"a.b\"=\"x\"} 1\n";
    for mode in [Mode::Lenient, Mode::Strict] {
        let f = parse_str(text, mode, ValidationScheme::Utf8)?;
        assert_eq!(f[0].name, "my.metric");
        assert_eq!(f[0].samples[0].labels, vec![("a.b".to_owned(), "x".to_owned())]);
    }
    Ok(())
}

#[test]
fn strict_rejects() {
    let cases: &[(&str, usize)] = &[
        ("# TYPE a gauge\n# TYPE a gauge\na 1\n", 2),
        ("# HELP a x\n# HELP a y\n", 2),
        ("a 1\n# TYPE a gauge\n", 2),
        ("a 1\nb 1\na 2\n", 3),
        ("a{b=\"1\",b=\"2\"} 1\n", 1),
        ("a{b=\"\\t\"} 1\n", 1),
        ("a 1", 1),
        ("a 1 \n", 1),
        ("a 1\r\n", 1),
        ("# TYPE h histogram\nh_bucket 1\n", 2),
        ("# TYPE h histogram\nh_sum{le=\"1\"} 1\n", 2),
        ("# TYPE s summary\ns 1\n", 2),
        ("#HELP a x\n", 1),
        ("a{__name__=\"b\"} 1\n", 1),
        ("a{__x=\"b\"} 1\n", 1),
        ("a 1e400\n", 1),
        ("a 1 2 3\n", 1),
        ("\n\nx{a=\"b\"} 1 1.5\n", 3),
    ];
    for (text, line) in cases {
        assert_eq!(err_line(strict(text)), *line, "{text:?}");
    }
}

#[test]
fn lenient_errors_name_their_line() {
    assert_eq!(err_line(lenient("a 1\nb{c=\"d\" 1\n")), 2);
    assert_eq!(err_line(lenient("a 1\n\n# TYPE b\n")), 3);
    assert_eq!(err_line(lenient("a x\n")), 1);
    // An invalid type is found when the family ends (as in Python), reported at its TYPE line.
    assert_eq!(err_line(lenient("x 1\n# TYPE a bogus\na 1\n# TYPE b gauge\n")), 2);
    let mut stream = parse_reader("x 1\n# TYPE a bogus\na 1\n".as_bytes(), Mode::Lenient, ValidationScheme::Utf8);
    assert!(matches!(stream.next(), Some(Ok(f)) if f.name == "x"));
    assert!(matches!(stream.next(), Some(Err(Error::Parse { line: 2, .. }))));
    assert!(stream.next().is_none());
    // A later TYPE line fixes it before the family ends.
    assert!(lenient("# TYPE a bogus\n# TYPE a gauge\na 1\n").is_ok());
}

#[test]
fn streaming_matches_parse_str() {
    let text = "a 1\n# HELP b x\nb 2\nb{c=\"d\"} 3\n# TYPE b counter\nc 1\n";
    let all = lenient(text).unwrap_or_default();
    let streamed: Vec<_> =
        parse_reader(text.as_bytes(), Mode::Lenient, ValidationScheme::Utf8).collect::<Result<_>>().unwrap_or_default();
    assert_eq!(all, streamed);
    assert_eq!(all.len(), 3);
}

/// The line, column and message of the parse error `r` ends with.
fn err_at(r: Result<Vec<MetricFamily>>) -> (usize, usize, String) {
    match r {
        Err(Error::Parse { line, column, msg }) => (line, column, msg),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn lenient_errors_point_at_the_bad_part() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("a 1\nb{c=\"d\" 1\n", 2, 2, "Invalid line, no closing brace: b{c=\"d\" 1"),
        ("a x\n", 1, 3, "could not convert string to float: 'x'"),
        ("  a 1 y\n", 1, 7, "could not convert string to float: 'y'"),
        ("a{b=\"c\",1x=\"d\"} 1\n", 1, 9, "Invalid labels: b=\"c\",1x=\"d\""),
        // Columns count characters, not bytes.
        ("a{b=\"\u{e9}\u{e9}\"} x\n", 1, 11, "could not convert string to float: 'x'"),
        ("# TYPE 1a gauge\n", 1, 8, "invalid metric name in TYPE line: '1a'"),
        ("# TYPE a\n", 1, 1, "TYPE line without a type"),
        // Checks of a whole family name its first line.
        ("# TYPE a bogus\na 1\n# TYPE b gauge\n", 1, 1, "Invalid metric type: bogus"),
    ];
    for (text, line, column, msg) in cases {
        assert_eq!(err_at(lenient(text)), (*line, *column, (*msg).to_owned()), "{text:?}");
    }
}

#[test]
fn strict_errors_point_at_the_bad_part() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("a{b=\"\\t\"} 1\n", 1, 6, "invalid escape sequence '\\t'"),
        ("a{b=\"1\",b=\"2\"} 1\n", 1, 9, "duplicate label name \"b\""),
        ("a 1 \n", 1, 5, "expected integer as timestamp, got trailing whitespace"),
        ("a 1", 1, 4, "unexpected end of input stream: the last line has no final newline"),
        ("a 1e400\n", 1, 3, "value out of range: \"1e400\""),
        ("x 1 2 3\n", 1, 6, "spurious string after timestamp: \" 3\""),
        ("# TYPE h histogram\nh_sum{le=\"1\"} 1\n", 2, 6, "'le' label on \"h_sum\", which is not a bucket"),
        ("# TYPE a gauge\n# TYPE a gauge\n", 2, 1, "second TYPE line for metric name \"a\""),
        (
            "a 1\nb 1\n  a 2\n",
            3,
            3,
            "metric family \"a\" appears again after other families: its lines must be contiguous",
        ),
    ];
    for (text, line, column, msg) in cases {
        assert_eq!(err_at(strict(text)), (*line, *column, (*msg).to_owned()), "{text:?}");
    }
}

#[test]
fn the_scheme_decides_which_names_pass() {
    let text = "{\"my.metric\"} 1\n";
    for mode in [Mode::Lenient, Mode::Strict] {
        assert!(parse_str(text, mode, ValidationScheme::Utf8).is_ok(), "{mode:?}");
        let (line, column, msg) = err_at(parse_str(text, mode, ValidationScheme::Legacy));
        assert_eq!((line, column, msg.as_str()), (1, 1, "invalid metric name my.metric"), "{mode:?}");
    }
    let labels = "a{\"b.c\"=\"d\"} 1\n";
    assert!(strict(labels).is_ok());
    assert_eq!(
        err_at(parse_str(labels, Mode::Strict, ValidationScheme::Legacy)),
        (1, 3, "Invalid label metric name: b.c".to_owned())
    );
    assert_eq!(
        err_at(parse_str(labels, Mode::Lenient, ValidationScheme::Legacy)),
        (1, 3, "Invalid labels: \"b.c\"=\"d\"".to_owned())
    );
}
