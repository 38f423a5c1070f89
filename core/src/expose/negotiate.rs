//! Content negotiation for a scrape endpoint.
//!
//! [`negotiate`] picks the exposition format, the name escaping scheme and the
//! `Content-Type` answer for an HTTP `Accept` header, deciding exactly as prometheus_client
//! 0.26.0's `choose_encoder` does; [`gzip_accepted`] is its `gzip_accepted` for
//! `Accept-Encoding`.
//!
//! Python's string semantics are reproduced where they matter: `str.strip()` strips Python's
//! whitespace set (which, unlike [`str::trim`], includes U+001C..U+001F), and version parts are
//! read as Python's `int()` reads them (surrounding whitespace, a sign, `_` between digits,
//! any Unicode decimal digit, at most 4300 digits).

use std::cmp::Ordering;

use crate::compat::python::strings::{decimal as unicode_decimal, is_space as py_is_space, strip as py_strip};
use crate::names::EscapingScheme;

/// `Content-Type` of the Prometheus text format 0.0.4 (prometheus_client's
/// `CONTENT_TYPE_PLAIN_0_0_4`); also the answer when nothing better was asked for.
pub const CONTENT_TYPE_PLAIN_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `Content-Type` of the Prometheus text format 1.0.0 (prometheus_client's
/// `CONTENT_TYPE_PLAIN_1_0_0`, also its `CONTENT_TYPE_LATEST`). [`negotiate`] appends
/// `; escaping=<scheme>` to it.
pub const CONTENT_TYPE_PLAIN_1_0_0: &str = "text/plain; version=1.0.0; charset=utf-8";

/// `Content-Type` of OpenMetrics 1.0.0 (prometheus_client's
/// `openmetrics.exposition.CONTENT_TYPE_LATEST`), answered as is, without an `escaping`
/// parameter, when OpenMetrics is asked for without a version.
pub const CONTENT_TYPE_OPENMETRICS_1_0_0: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `Content-Type` of OpenMetrics 2.0.0 (prometheus_client's
/// `openmetrics.exposition.CONTENT_TYPE_LATEST_2_0`). [`negotiate`] never answers it
/// verbatim: a versioned OpenMetrics answer always carries an `escaping` parameter.
pub const CONTENT_TYPE_OPENMETRICS_2_0_0: &str = "application/openmetrics-text; version=2.0.0; charset=utf-8";

/// The exposition format chosen by [`negotiate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (prometheus_client's plain `generate_latest`).
    Text004,
    /// Prometheus text format 1.0.0: the text encoder with an explicit escaping scheme
    /// (prometheus_client's `partial(generate_latest, escaping=...)`).
    Text100,
    /// OpenMetrics text (prometheus_client's `openmetrics.generate_latest`).
    OpenMetrics {
        /// The version exactly as the client wrote it (e.g. `"1.0.0"`, `"2.0.0"`, or
        /// `"2"`), or `"1.0.0"` when the client named no version.
        version: String,
    },
}

/// The outcome of content negotiation: what to encode and how to label it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The exposition format to encode with.
    pub format: Format,
    /// The name escaping scheme to encode with.
    pub escaping: EscapingScheme,
    /// The `Content-Type` response header value, byte for byte what prometheus_client sends.
    pub content_type: String,
}

/// Chooses the exposition format for an HTTP `Accept` header, exactly as prometheus_client
/// 0.26.0's `choose_encoder`.
///
/// `None` and `Some("")` mean no header. The header is split on `,` and the entries are tried
/// in order (quality values are ignored, as in Python); the first acceptable one wins:
///
/// * `application/openmetrics-text` without a `version` parameter (or with an empty one):
///   OpenMetrics `1.0.0`, [`EscapingScheme::Underscores`], `Content-Type`
///   [`CONTENT_TYPE_OPENMETRICS_1_0_0`] (no `escaping` parameter).
/// * `application/openmetrics-text` with a version that is at least `1.0.0`: OpenMetrics
///   with that version verbatim, the `escaping` parameter's scheme, and `Content-Type`
///   `application/openmetrics-text; version=<version>; charset=utf-8; escaping=<scheme>`.
/// * `text/plain` with a version that is at least `1.0.0`: [`Format::Text100`] with the
///   `escaping` parameter's scheme and `Content-Type`
///   [`CONTENT_TYPE_PLAIN_1_0_0`]` + "; escaping=<scheme>"` (whatever version was asked).
///
/// When no entry is acceptable the answer is [`Format::Text004`],
/// [`EscapingScheme::Underscores`] and [`CONTENT_TYPE_PLAIN_0_0_4`].
///
/// Media types and parameter names are case-sensitive and parameters are read as Python reads
/// them: the first `version` (or `escaping`) parameter counts, a parameter's name ends at its
/// first `=` (so `version = 1` is not a version), an unknown or empty `escaping` value means
/// underscores, and versions compare as prometheus_client's `parse_version` tuples against
/// `(1, 0, 0)` (so `1.0` is below `1.0.0`, `2` and `1.0.0.1` are above it).
///
/// **Deviation from Python:** where `parse_version`'s tuple comparison raises `TypeError`
/// (a part that is not an integer, such as the `0-rc` of `1.0.0-rc`, meets an integer part of
/// `(1, 0, 0)` before the comparison is decided) `choose_encoder` fails with that error. This
/// function instead treats that entry as not acceptable and goes on with the next one.
///
/// ```
/// use fastprom::expose::{self, Format};
/// use fastprom::{Counter, Registry};
///
/// let registry = Registry::new();
/// registry.register(Counter::new("jobs", "Jobs run.")?)?;
/// let how = expose::negotiate(Some("application/openmetrics-text; version=1.0.0"));
/// assert!(matches!(how.format, Format::OpenMetrics { .. }));
/// let body = expose::encode(&registry, &how)?;
/// assert!(body.ends_with(b"# EOF\n"));
/// assert!(matches!(expose::negotiate(None).format, Format::Text004));
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn negotiate(accept: Option<&str>) -> Negotiated {
    for entry in accept.unwrap_or("").split(',') {
        let media_type = py_strip(entry.split(';').next().unwrap_or(""));
        let openmetrics = match media_type {
            "application/openmetrics-text" => true,
            "text/plain" => false,
            _ => continue,
        };
        let version = param(entry, "version").unwrap_or("");
        if version.is_empty() {
            if openmetrics {
                return Negotiated {
                    format: Format::OpenMetrics { version: "1.0.0".to_owned() },
                    escaping: EscapingScheme::Underscores,
                    content_type: CONTENT_TYPE_OPENMETRICS_1_0_0.to_owned(),
                };
            }
            continue;
        }
        if version_at_least_1_0_0(version) != Some(true) {
            continue;
        }
        let escaping =
            param(entry, "escaping").and_then(EscapingScheme::from_name).unwrap_or(EscapingScheme::Underscores);
        return if openmetrics {
            Negotiated {
                format: Format::OpenMetrics { version: version.to_owned() },
                escaping,
                content_type: concat(&[
                    "application/openmetrics-text; version=",
                    version,
                    "; charset=utf-8; escaping=",
                    escaping.as_str(),
                ]),
            }
        } else {
            Negotiated {
                format: Format::Text100,
                escaping,
                content_type: concat(&[CONTENT_TYPE_PLAIN_1_0_0, "; escaping=", escaping.as_str()]),
            }
        };
    }
    Negotiated {
        format: Format::Text004,
        escaping: EscapingScheme::Underscores,
        content_type: CONTENT_TYPE_PLAIN_0_0_4.to_owned(),
    }
}

/// Whether an HTTP `Accept-Encoding` header accepts gzip, exactly as prometheus_client's
/// `gzip_accepted`: some `,`-separated entry whose part before any `;`, stripped of
/// whitespace, is `gzip` in any letter case. Quality values are ignored, so `gzip;q=0` counts
/// as accepting gzip, and `*` does not. `None` means no header.
pub fn gzip_accepted(accept_encoding: Option<&str>) -> bool {
    // Python compares `.lower()` with "gzip". No non-ASCII character lowercases to a single
    // ASCII letter of "gzip" (U+0130 lowercases to two characters), so ASCII case folding
    // is exact.
    accept_encoding
        .unwrap_or("")
        .split(',')
        .any(|entry| py_strip(entry.split(';').next().unwrap_or("")).eq_ignore_ascii_case("gzip"))
}

/// Joins `parts` into a string allocated once with the exact length.
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// The value of the first `;`-separated token of `entry` that reads `name=...`, as
/// prometheus_client's `_get_version` / `_get_escaping` find it: the token is stripped, and
/// the name is everything before its first `=`, the value everything after.
fn param<'a>(entry: &'a str, name: &str) -> Option<&'a str> {
    entry
        .split(';')
        .filter_map(|tok| py_strip(tok).split_once('='))
        .find(|&(key, _)| key == name)
        .map(|(_, value)| value)
}

/// `parse_version(version) >= (1, 0, 0)` as Python evaluates it: `Some(result)`, or `None`
/// where Python raises `TypeError` (the first part that differs from `(1, 0, 0)` is not an
/// integer, so a `str` is ordered against an `int`).
fn version_at_least_1_0_0(version: &str) -> Option<bool> {
    let mut parts = version.split('.');
    for want in [1, 0, 0] {
        let Some(part) = parts.next() else {
            // Shorter than (1, 0, 0) and equal so far: smaller.
            return Some(false);
        };
        // `?`: a part that is not an int differs from every int, and ordering it raises.
        match py_int_cmp(part, want)? {
            Ordering::Equal => {}
            Ordering::Greater => return Some(true),
            Ordering::Less => return Some(false),
        }
    }
    // Equal to (1, 0, 0), or longer with (1, 0, 0) as a prefix: not smaller.
    Some(true)
}

/// Python's `int(part)` compared with `target` (`0` or `1`), or `None` where `int(part)`
/// raises `ValueError` (then `parse_version` keeps the part as a `str`).
///
/// Mirrors CPython 3.11: non-ASCII whitespace reads as a space and non-ASCII decimal digits as
/// their ASCII digits; then surrounding ASCII whitespace (`" \t\n\v\f\r"`, not U+001C..U+001F),
/// one optional sign, ASCII digits with single `_` between digits, and no more than 4300
/// digits (`sys.get_int_max_str_digits()`'s default; more raises `ValueError`).
fn py_int_cmp(part: &str, target: u8) -> Option<Ordering> {
    fn ascii_form(c: char) -> u8 {
        match u8::try_from(c) {
            Ok(b) if b < 0x7f => b,
            _ if py_is_space(c) => b' ',
            _ => unicode_decimal(c).map_or(b'?', |d| b'0' + d),
        }
    }
    fn is_c_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
    }
    const MAX_STR_DIGITS: usize = 4300;

    let mut bytes = part.chars().map(ascii_form).peekable();
    while bytes.next_if(|&b| is_c_space(b)).is_some() {}
    let negative = match bytes.next_if(|&b| b == b'+' || b == b'-') {
        Some(sign) => sign == b'-',
        None => false,
    };
    let mut digits = 0usize;
    let mut significant = 0usize;
    let mut leading = 0u8;
    let mut after_underscore = false;
    while let Some(b) = bytes.next_if(|&b| b.is_ascii_digit() || b == b'_') {
        if b == b'_' {
            if digits == 0 || after_underscore {
                return None;
            }
            after_underscore = true;
            continue;
        }
        after_underscore = false;
        digits += 1;
        if significant > 0 || b != b'0' {
            if significant == 0 {
                leading = b - b'0';
            }
            significant += 1;
        }
    }
    if digits == 0 || after_underscore || digits > MAX_STR_DIGITS {
        return None;
    }
    while bytes.next_if(|&b| is_c_space(b)).is_some() {}
    if bytes.next().is_some() {
        return None;
    }
    Some(if significant == 0 {
        0.cmp(&target)
    } else if negative {
        Ordering::Less
    } else if significant > 1 {
        Ordering::Greater
    } else {
        leading.cmp(&target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn om(version: &str, escaping: EscapingScheme, content_type: &str) -> Negotiated {
        Negotiated {
            format: Format::OpenMetrics { version: version.to_owned() },
            escaping,
            content_type: content_type.to_owned(),
        }
    }

    fn text004() -> Negotiated {
        Negotiated {
            format: Format::Text004,
            escaping: EscapingScheme::Underscores,
            content_type: CONTENT_TYPE_PLAIN_0_0_4.to_owned(),
        }
    }

    #[test]
    fn constants_match_prometheus_client() {
        assert_eq!(CONTENT_TYPE_PLAIN_0_0_4, "text/plain; version=0.0.4; charset=utf-8");
        assert_eq!(CONTENT_TYPE_PLAIN_1_0_0, "text/plain; version=1.0.0; charset=utf-8");
        assert_eq!(CONTENT_TYPE_OPENMETRICS_1_0_0, "application/openmetrics-text; version=1.0.0; charset=utf-8");
        assert_eq!(CONTENT_TYPE_OPENMETRICS_2_0_0, "application/openmetrics-text; version=2.0.0; charset=utf-8");
    }

    #[test]
    fn no_header_is_text_004() {
        assert_eq!(negotiate(None), text004());
        assert_eq!(negotiate(Some("")), text004());
        assert_eq!(negotiate(Some("*/*")), text004());
        assert_eq!(negotiate(Some("text/plain")), text004());
        assert_eq!(negotiate(Some("text/plain;version=0.0.4")), text004());
    }

    #[test]
    fn prometheus_3_scrape_header() {
        let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
                      application/openmetrics-text;version=0.0.1;q=0.5,\
                      text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
                      text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(
            negotiate(Some(accept)),
            om(
                "1.0.0",
                EscapingScheme::AllowUtf8,
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            )
        );
    }

    #[test]
    fn openmetrics_without_version_is_plain_1_0_0() {
        let want = om("1.0.0", EscapingScheme::Underscores, CONTENT_TYPE_OPENMETRICS_1_0_0);
        assert_eq!(negotiate(Some("application/openmetrics-text")), want);
        assert_eq!(negotiate(Some("application/openmetrics-text;escaping=dots")), want);
        assert_eq!(negotiate(Some("application/openmetrics-text;version=")), want);
        assert_eq!(negotiate(Some("application/openmetrics-text;version = 1.0.0")), want);
    }

    #[test]
    fn openmetrics_versions() {
        assert_eq!(
            negotiate(Some("application/openmetrics-text;version=2.0.0;escaping=values")),
            om(
                "2.0.0",
                EscapingScheme::Values,
                "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=values"
            )
        );
        assert_eq!(negotiate(Some("application/openmetrics-text;version=0.0.1")), text004());
        assert_eq!(negotiate(Some("application/openmetrics-text;version=1.0")), text004());
        let two = negotiate(Some("application/openmetrics-text;version=2"));
        assert_eq!(two.format, Format::OpenMetrics { version: "2".to_owned() });
    }

    #[test]
    fn text_1_0_0_content_type_ignores_asked_version() {
        let n = negotiate(Some("text/plain;version=2.0.0;escaping=dots"));
        assert_eq!(n.format, Format::Text100);
        assert_eq!(n.escaping, EscapingScheme::Dots);
        assert_eq!(n.content_type, "text/plain; version=1.0.0; charset=utf-8; escaping=dots");
    }

    #[test]
    fn escaping_first_parameter_wins_and_bogus_is_underscores() {
        let n = negotiate(Some("text/plain;version=1.0.0;escaping=bogus;escaping=dots"));
        assert_eq!(n.escaping, EscapingScheme::Underscores);
        let n = negotiate(Some("text/plain;version=1.0.0;escaping=dots;escaping=values"));
        assert_eq!(n.escaping, EscapingScheme::Dots);
        let n = negotiate(Some("text/plain;version=1.0.0;escaping=DOTS"));
        assert_eq!(n.escaping, EscapingScheme::Underscores);
    }

    #[test]
    fn type_error_entries_are_skipped() {
        assert_eq!(negotiate(Some("application/openmetrics-text;version=1.0.0-rc")), text004());
        let n = negotiate(Some("application/openmetrics-text;version=1.0.0-rc,text/plain;version=1.0.0;escaping=dots"));
        assert_eq!(n.format, Format::Text100);
        assert_eq!(n.escaping, EscapingScheme::Dots);
    }

    #[test]
    fn python_whitespace_is_stripped() {
        let n = negotiate(Some("application/openmetrics-text\u{1c};version=1.0.0\u{1f}"));
        assert_eq!(n.format, Format::OpenMetrics { version: "1.0.0".to_owned() });
        let n = negotiate(Some("text/plain\u{3000};version=1.0.0\u{2003}"));
        assert_eq!(n.format, Format::Text100);
    }

    #[test]
    fn version_comparison() {
        let cases: &[(&str, Option<bool>)] = &[
            ("1.0.0", Some(true)),
            ("1.0", Some(false)),
            ("1", Some(false)),
            ("2", Some(true)),
            ("0.9.9", Some(false)),
            ("1.0.0.0", Some(true)),
            ("1.0.0.x", Some(true)),
            ("1.0.0.", Some(true)),
            ("1.0.", None),
            ("1.0.0-rc", None),
            ("0.a", Some(false)),
            ("a", None),
            ("", None),
            ("+1.0.0", Some(true)),
            ("-1.0.0", Some(false)),
            ("-0.0.0", Some(false)),
            ("1.-0.0", Some(true)),
            ("01.00.000", Some(true)),
            ("1_0.0.0", Some(true)),
            ("1__0.0.0", None),
            ("_1.0.0", None),
            ("1_.0.0", None),
            (" 1 . 0 .\t0", Some(true)),
            ("1\u{1c}.0.0", None),
            ("\u{a0}1\u{2003}.0.0", Some(true)),
            ("\u{661}.\u{660}.\u{660}", Some(true)),
            ("\u{ff12}", Some(true)),
            ("\u{b9}.0.0", None),
            ("99999999999999999999999999999", Some(true)),
            ("0.99999999999999999999999999999", Some(false)),
            ("1\u{0}.0.0", None),
            ("- 1", None),
        ];
        for &(v, want) in cases {
            assert_eq!(version_at_least_1_0_0(v), want, "{v:?}");
        }
        let many = "1".repeat(4300);
        assert_eq!(version_at_least_1_0_0(&many), Some(true));
        let too_many = "0".repeat(4301);
        assert_eq!(version_at_least_1_0_0(&too_many), None);
        let underscored = format!("1{}", "_0".repeat(4299));
        assert_eq!(version_at_least_1_0_0(&underscored), Some(true));
    }

    #[test]
    fn python_whitespace_set() {
        // `[hex(c) for c in range(0x110000) if chr(c).isspace()]` in Python 3.11.
        let python: [u32; 29] = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
            0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
        ];
        let ours: Vec<u32> =
            (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| py_is_space(c)).map(u32::from).collect();
        assert_eq!(ours, python);
    }

    #[test]
    fn decimal_digits() {
        assert_eq!(unicode_decimal('7'), Some(7));
        assert_eq!(unicode_decimal('\u{669}'), Some(9));
        assert_eq!(unicode_decimal('\u{1FBF9}'), Some(9));
        assert_eq!(unicode_decimal('\u{1FBFA}'), None);
        assert_eq!(unicode_decimal('\u{b2}'), None);
        assert_eq!(unicode_decimal('a'), None);
        assert_eq!(unicode_decimal('\u{0}'), None);
        assert_eq!(unicode_decimal(char::MAX), None);
        let total = (0..=0x10FFFF).filter_map(char::from_u32).filter_map(unicode_decimal).count();
        assert_eq!(total, 660);
    }

    #[test]
    fn gzip_accepted_cases() {
        assert!(!gzip_accepted(None));
        assert!(!gzip_accepted(Some("")));
        assert!(gzip_accepted(Some("gzip")));
        assert!(gzip_accepted(Some("deflate, GZip;q=0.5")));
        assert!(gzip_accepted(Some(" gzip ;q=0")));
        assert!(gzip_accepted(Some("br,\u{1c}gzip\u{3000}")));
        assert!(!gzip_accepted(Some("*")));
        assert!(!gzip_accepted(Some("x-gzip")));
        assert!(!gzip_accepted(Some("gz ip")));
        assert!(!gzip_accepted(Some("gz\u{130}p")));
    }

    /// Every string of up to four pieces from a hostile alphabet: no panic, and the answer is
    /// always one of the three shapes.
    #[test]
    fn exhaustive_short_headers_do_not_panic() {
        const PIECES: [&str; 12] = [
            ",",
            ";",
            "=",
            " ",
            "text/plain",
            "application/openmetrics-text",
            "version=",
            "escaping=dots",
            "1",
            ".",
            "-",
            "\u{661}",
        ];
        let mut header = String::new();
        for n in 0..PIECES.len().pow(4) {
            header.clear();
            let mut k = n;
            for _ in 0..4 {
                header.push_str(PIECES[k % PIECES.len()]);
                k /= PIECES.len();
            }
            let got = negotiate(Some(&header));
            assert_eq!(got.content_type.capacity(), got.content_type.len());
            match got.format {
                Format::Text004 => assert_eq!(got.content_type, CONTENT_TYPE_PLAIN_0_0_4),
                Format::Text100 => assert!(got.content_type.starts_with(CONTENT_TYPE_PLAIN_1_0_0)),
                Format::OpenMetrics { .. } => {
                    assert!(got.content_type.starts_with("application/openmetrics-text; version="));
                }
            }
        }
    }

    fn unhex(field: &str) -> Option<String> {
        if field == "-" {
            return None;
        }
        let hex = field.strip_prefix('x').expect("field starts with x");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit pair"))
            .collect();
        Some(String::from_utf8(bytes).expect("UTF-8 field"))
    }

    /// Every record of tools/gen_negotiate_vectors.py's output, run through prometheus_client.
    #[test]
    fn differential_vectors() {
        let data = include_str!("../testdata/negotiate.txt");
        let mut count = 0;
        for line in data.lines().filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 6, "{line}");
            assert!(fields[0] == "N" || fields[0] == "R");
            let accept = unhex(fields[1]);
            let encoder = unhex(fields[2]).expect("encoder");
            let escaping = unhex(fields[3]).expect("escaping");
            let version = unhex(fields[4]);
            let content_type = unhex(fields[5]).expect("content type");
            let got = negotiate(accept.as_deref());
            let ctx = format!("{accept:?}");
            match &got.format {
                Format::Text004 => {
                    assert_eq!(encoder, "text", "{ctx}");
                    assert_eq!(content_type, CONTENT_TYPE_PLAIN_0_0_4, "{ctx}");
                    assert_eq!(version, None, "{ctx}");
                }
                Format::Text100 => {
                    assert_eq!(encoder, "text", "{ctx}");
                    assert_ne!(content_type, CONTENT_TYPE_PLAIN_0_0_4, "{ctx}");
                    assert_eq!(version, None, "{ctx}");
                }
                Format::OpenMetrics { version: v } => {
                    assert_eq!(encoder, "openmetrics", "{ctx}");
                    assert_eq!(version.as_deref(), Some(v.as_str()), "{ctx}");
                }
            }
            assert_eq!(got.escaping.as_str(), escaping, "{ctx}");
            assert_eq!(got.content_type, content_type, "{ctx}");
            count += 1;
        }
        assert!(count >= 150, "only {count} records");
    }
}
