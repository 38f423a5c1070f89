//! Metric and label naming rules, ported from prometheus_client 0.26.
//!
//! This covers name validation (`validation.py`), full-name construction
//! (`metrics._build_full_name`), and the name/value escapers of the exposition formats
//! (`openmetrics/exposition.py`). Every function reproduces prometheus_client byte for byte,
//! including its quirks:
//!
//! * The legacy name regexes end in `$`, which in Python also matches just before a single
//!   trailing newline, so `"foo\n"` is a valid legacy metric and label name, and
//!   `"__a\nb"` is *not* a reserved label name (`^__.*$` cannot cross the newline).
//! * Under [`EscapingScheme::Dots`] names are always escaped, even valid ones
//!   (`foo_bar` becomes `foo__bar`).
//! * Reserved (`__`-prefixed) label names are not valid legacy label names, so the
//!   escapers quote them under [`EscapingScheme::AllowUtf8`] and escape them under
//!   [`EscapingScheme::Values`] (`__a` becomes `U______a`).
//!
//! Escapers append to a `Vec<u8>` so an encoder can write straight into its output.

use crate::error::{Error, Reserved, Result};

/// Which metric and label names are valid: a setting of each family and parser, never of
/// the process. [`Utf8`](Self::Utf8) (any non-empty UTF-8 metric name; label names only
/// lose the `__` prefix) is the default, as in prometheus_client 0.26 and Prometheus 3;
/// [`Legacy`](Self::Legacy) keeps to `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names and
/// `[a-zA-Z_][a-zA-Z0-9_]*` for label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ValidationScheme {
    /// Any UTF-8 name (the default).
    #[default]
    Utf8,
    /// Only the classic ASCII names.
    Legacy,
}

impl ValidationScheme {
    /// Whether this is [`ValidationScheme::Legacy`].
    pub fn is_legacy(self) -> bool {
        self == Self::Legacy
    }
}

/// Which characters a name regex accepts.
#[derive(Clone, Copy)]
enum NameClass {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    Metric,
    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    Label,
}

/// Matches `^<class>$` (Python `re.match` semantics) against a byte stream.
///
/// Python's `$` also matches right before a final `\n`, so one trailing newline is accepted
/// after a non-empty match. Any non-ASCII byte fails, so byte indices equal character
/// indices wherever it matters.
fn matches_name_regex(bytes: impl Iterator<Item = u8>, class: NameClass) -> bool {
    let colon = matches!(class, NameClass::Metric);
    let mut it = bytes.peekable();
    let mut i = 0usize;
    while let Some(b) = it.next() {
        let ok = b.is_ascii_alphabetic() || b == b'_' || (colon && b == b':') || (i > 0 && b.is_ascii_digit());
        if !ok {
            return b == b'\n' && i > 0 && it.peek().is_none();
        }
        i += 1;
    }
    i > 0
}

/// Matches `^__.*$` (Python `re.match` semantics): a `__` prefix followed by no newline,
/// except possibly one at the very end (`.` does not match `\n`; `$` matches before a final
/// `\n`).
fn is_reserved_label_name(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("__") else {
        return false;
    };
    let rest = rest.strip_suffix('\n').unwrap_or(rest);
    !rest.contains('\n')
}

/// Returns whether `name` is a valid legacy metric name: it matches
/// `^[a-zA-Z_:][a-zA-Z0-9_:]*$` (prometheus_client's `_is_valid_legacy_metric_name`).
///
/// As in Python, a single trailing newline is tolerated by the `$`, so `"foo\n"` is valid.
/// The empty string is not valid.
pub fn is_valid_legacy_metric_name(name: &str) -> bool {
    matches_name_regex(name.bytes(), NameClass::Metric)
}

/// Like [`is_valid_legacy_metric_name`] on the concatenation of `parts`, without
/// allocating it (an encoder checks a family name plus a suffix such as `_total`).
pub fn is_valid_legacy_metric_name_parts(parts: &[&str]) -> bool {
    matches_name_regex(parts.iter().flat_map(|p| p.bytes()), NameClass::Metric)
}

/// Returns whether `name` is a valid legacy label name: it matches
/// `^[a-zA-Z_][a-zA-Z0-9_]*$` and is not reserved (`^__.*$`), as prometheus_client's
/// `_is_valid_legacy_labelname`. The empty string is not valid.
pub fn is_valid_legacy_label_name(name: &str) -> bool {
    matches_name_regex(name.bytes(), NameClass::Label) && !is_reserved_label_name(name)
}

/// Checks a metric name under `scheme`, as prometheus_client's `_validate_metric_name`:
/// the empty name always fails, and under [`ValidationScheme::Legacy`] so does a name
/// outside `[a-zA-Z_:][a-zA-Z0-9_:]*`. Errors with [`Error::InvalidMetricName`].
///
/// ```
/// use fastprom::names::{validate_metric_name, ValidationScheme};
/// assert!(validate_metric_name("http.requests", ValidationScheme::Utf8).is_ok());
/// assert!(validate_metric_name("http.requests", ValidationScheme::Legacy).is_err());
/// ```
pub fn validate_metric_name(name: &str, scheme: ValidationScheme) -> Result<()> {
    if name.is_empty() || (scheme.is_legacy() && !is_valid_legacy_metric_name(name)) {
        return Err(Error::InvalidMetricName { name: name.to_owned() });
    }
    // A Rust `&str` is always valid UTF-8, which is all the UTF-8 scheme requires.
    Ok(())
}

/// Checks a label name under `scheme`, as prometheus_client's `_validate_labelname`.
///
/// Under [`ValidationScheme::Legacy`] a name outside `[a-zA-Z_][a-zA-Z0-9_]*` fails with
/// [`Error::InvalidLabelName`]. Under both schemes a `__`-prefixed name fails with
/// [`Error::ReservedLabelName`]. The empty name passes under UTF-8 validation, as in Python.
pub fn validate_label_name(name: &str, scheme: ValidationScheme) -> Result<()> {
    if scheme.is_legacy() && !matches_name_regex(name.bytes(), NameClass::Label) {
        return Err(Error::InvalidLabelName { name: name.to_owned() });
    }
    if is_reserved_label_name(name) {
        return Err(Error::ReservedLabelName { name: name.to_owned(), reason: Reserved::Prefix });
    }
    Ok(())
}

/// Checks a metric's label names, as prometheus_client's `_validate_labelnames`: each name
/// in order goes through [`validate_label_name`] and then must not be one of `reserved`
/// (for example `le` on a histogram, `quantile` on a summary), which fails with
/// [`Error::ReservedLabelName`] and [`Reserved::ForType`].
pub fn validate_label_names(names: &[impl AsRef<str>], reserved: &[&str], scheme: ValidationScheme) -> Result<()> {
    for name in names {
        let name = name.as_ref();
        validate_label_name(name, scheme)?;
        if reserved.contains(&name) {
            return Err(Error::ReservedLabelName { name: name.to_owned(), reason: Reserved::ForType });
        }
    }
    Ok(())
}

/// Builds a metric's full name as prometheus_client's `_build_full_name` does.
///
/// Empty `namespace`, `subsystem` and `unit` mean "not given". The result is
/// `[namespace_][subsystem_]name`, with a trailing `_total` removed when `metric_type` is
/// `"counter"`, then `_unit` appended unless the name already ends with it.
///
/// Errors: an empty `name` gives [`Error::MissingName`]; a unit on an `"info"` or
/// `"stateset"` metric gives [`Error::UnitNotAllowed`] with the full name. The result itself
/// is not validated (it may even be empty, e.g. a counter named `_total`); callers run
/// [`validate_metric_name`] on it, as prometheus_client does.
pub fn build_full_name(metric_type: &str, name: &str, namespace: &str, subsystem: &str, unit: &str) -> Result<String> {
    if name.is_empty() {
        return Err(Error::MissingName);
    }
    let mut full = String::with_capacity(namespace.len() + subsystem.len() + name.len() + unit.len() + 3);
    if !namespace.is_empty() {
        full.push_str(namespace);
        full.push('_');
    }
    if !subsystem.is_empty() {
        full.push_str(subsystem);
        full.push('_');
    }
    full.push_str(name);
    if metric_type == "counter" {
        if let Some(stripped_len) = full.strip_suffix("_total").map(str::len) {
            full.truncate(stripped_len);
        }
    }
    if !unit.is_empty() {
        let has_unit_suffix = full.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_'));
        if !has_unit_suffix {
            full.push('_');
            full.push_str(unit);
        }
        if metric_type == "info" || metric_type == "stateset" {
            return Err(Error::UnitNotAllowed { name: full });
        }
    }
    Ok(full)
}

/// The most characters exemplar label names and values may hold together (OpenMetrics).
pub const EXEMPLAR_MAX_RUNES: usize = 128;

/// Checks exemplar labels, as prometheus_client's `_validate_exemplar`: every key goes
/// through [`validate_label_name`], then the keys and values together may hold at most
/// [`EXEMPLAR_MAX_RUNES`] characters (Unicode code points, as Python's `len`), else
/// [`Error::ExemplarTooLong`].
pub fn validate_exemplar<'a>(
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    scheme: ValidationScheme,
) -> Result<()> {
    let mut runes = 0usize;
    for (k, v) in labels {
        validate_label_name(k, scheme)?;
        runes = runes.saturating_add(k.chars().count()).saturating_add(v.chars().count());
    }
    if runes > EXEMPLAR_MAX_RUNES {
        return Err(Error::ExemplarTooLong { runes, max: EXEMPLAR_MAX_RUNES });
    }
    Ok(())
}

/// How names that are not valid legacy names are written, as negotiated through the
/// `escaping=` parameter of the `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EscapingScheme {
    /// `allow-utf-8`: names are kept, and quoted when they are not valid legacy names.
    AllowUtf8,
    /// `underscores`: every invalid character becomes `_` (the default).
    #[default]
    Underscores,
    /// `dots`: `_` becomes `__`, `.` becomes `_dot_`, other invalid characters `__`.
    Dots,
    /// `values`: `U__` prefix, `_` becomes `__`, invalid characters `_<hex code point>_`.
    Values,
}

impl EscapingScheme {
    /// The scheme's name as used in the `escaping=` header parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            EscapingScheme::AllowUtf8 => "allow-utf-8",
            EscapingScheme::Underscores => "underscores",
            EscapingScheme::Dots => "dots",
            EscapingScheme::Values => "values",
        }
    }

    /// Parses a scheme name exactly (case-sensitive) as [`EscapingScheme::as_str`] writes
    /// it; `None` for anything else (prometheus_client then falls back to underscores).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "allow-utf-8" => Some(EscapingScheme::AllowUtf8),
            "underscores" => Some(EscapingScheme::Underscores),
            "dots" => Some(EscapingScheme::Dots),
            "values" => Some(EscapingScheme::Values),
            _ => None,
        }
    }
}

/// Which per-character validity rule [`escape_into`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rune {
    /// prometheus_client's `_is_legacy_metric_rune`: `[a-zA-Z_:]`, digits after the
    /// first character.
    MetricName,
    /// prometheus_client's `_is_legacy_labelname_rune`: `[a-zA-Z_]`, digits after the
    /// first character.
    LabelName,
}

impl Rune {
    /// Whether `c` at character index `i` is a legacy rune.
    #[inline]
    fn is_valid(self, c: char, i: usize) -> bool {
        c.is_ascii_alphabetic()
            || c == '_'
            || (i > 0 && c.is_ascii_digit())
            || (matches!(self, Rune::MetricName) && c == ':')
    }
}

/// Appends the characters of `c` (known to be ASCII or not) as UTF-8.
#[inline]
fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Appends `c`'s code point in lowercase hex (Python's `format(ord(c), 'x')`).
fn push_hex(out: &mut Vec<u8>, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let v = u32::from(c);
    let mut started = false;
    for shift in (0..8).rev() {
        let nibble = ((v >> (shift * 4)) & 0xf) as usize;
        if nibble != 0 || started || shift == 0 {
            started = true;
            out.push(HEX[nibble]);
        }
    }
}

/// Appends prometheus_client's `_escape(s, scheme, rune_fn)` of the concatenation of
/// `parts`, without allocating the concatenation.
///
/// The character index passed to the rune rule runs across all of `parts` (only index 0
/// matters: digits are invalid there). Per scheme:
///
/// * `AllowUtf8`: backslash-escapes `\`, newline and `"` only (no quoting).
/// * `Underscores`: invalid characters become `_`.
/// * `Dots`: `_` -> `__`, `.` -> `_dot_`, valid characters kept, others -> `__`.
/// * `Values`: `U__`, then `_` -> `__`, valid characters kept, others -> `_<hex>_` with
///   the lowercase hex code point.
pub fn escape_into(out: &mut Vec<u8>, parts: &[&str], scheme: EscapingScheme, rune: Rune) {
    let chars = parts.iter().flat_map(|p| p.chars()).enumerate();
    match scheme {
        EscapingScheme::AllowUtf8 => {
            for part in parts {
                escape_label_value_into(out, part);
            }
        }
        EscapingScheme::Underscores => {
            for (i, c) in chars {
                if rune.is_valid(c, i) {
                    push_char(out, c);
                } else {
                    out.push(b'_');
                }
            }
        }
        EscapingScheme::Dots => {
            for (i, c) in chars {
                if c == '_' {
                    out.extend_from_slice(b"__");
                } else if c == '.' {
                    out.extend_from_slice(b"_dot_");
                } else if rune.is_valid(c, i) {
                    push_char(out, c);
                } else {
                    out.extend_from_slice(b"__");
                }
            }
        }
        EscapingScheme::Values => {
            out.extend_from_slice(b"U__");
            for (i, c) in chars {
                if c == '_' {
                    out.extend_from_slice(b"__");
                } else if rune.is_valid(c, i) {
                    push_char(out, c);
                } else {
                    // Python writes `_FFFD_` for lone surrogates; a `char` is never one.
                    out.push(b'_');
                    push_hex(out, c);
                    out.push(b'_');
                }
            }
        }
    }
}

/// Appends `parts` unchanged.
fn push_parts(out: &mut Vec<u8>, parts: &[&str]) {
    for part in parts {
        out.extend_from_slice(part.as_bytes());
    }
}

/// Appends prometheus_client's `escape_metric_name(s, scheme)`.
///
/// The empty name stays empty. Under `AllowUtf8` the name is backslash-escaped and, unless
/// it is a valid legacy metric name, put in double quotes. Under `Underscores` and `Values`
/// a valid legacy name is kept as is, anything else is escaped with the metric-name rune
/// rule; under `Dots` every name is escaped.
pub fn escape_metric_name_into(out: &mut Vec<u8>, s: &str, scheme: EscapingScheme) {
    escape_metric_name_parts_into(out, &[s], scheme);
}

/// [`escape_metric_name_into`] of the concatenation of `parts` (e.g. a family name and a
/// sample suffix), without allocating it.
pub fn escape_metric_name_parts_into(out: &mut Vec<u8>, parts: &[&str], scheme: EscapingScheme) {
    if parts.iter().all(|p| p.is_empty()) {
        return;
    }
    let legacy = || is_valid_legacy_metric_name_parts(parts);
    match scheme {
        EscapingScheme::AllowUtf8 => {
            if legacy() {
                escape_into(out, parts, scheme, Rune::MetricName);
            } else {
                out.push(b'"');
                escape_into(out, parts, scheme, Rune::MetricName);
                out.push(b'"');
            }
        }
        EscapingScheme::Underscores | EscapingScheme::Values => {
            if legacy() {
                push_parts(out, parts);
            } else {
                escape_into(out, parts, scheme, Rune::MetricName);
            }
        }
        EscapingScheme::Dots => escape_into(out, parts, scheme, Rune::MetricName),
    }
}

/// Appends prometheus_client's `escape_label_name(s, scheme)`.
///
/// Like [`escape_metric_name_into`] with the label-name rules: validity is
/// [`is_valid_legacy_label_name`] (so reserved `__` names count as invalid and get quoted
/// or escaped) and escaping uses the label-name rune rule (`:` is invalid).
pub fn escape_label_name_into(out: &mut Vec<u8>, s: &str, scheme: EscapingScheme) {
    if s.is_empty() {
        return;
    }
    let parts = [s];
    match scheme {
        EscapingScheme::AllowUtf8 => {
            if is_valid_legacy_label_name(s) {
                escape_into(out, &parts, scheme, Rune::LabelName);
            } else {
                out.push(b'"');
                escape_into(out, &parts, scheme, Rune::LabelName);
                out.push(b'"');
            }
        }
        EscapingScheme::Underscores | EscapingScheme::Values => {
            if is_valid_legacy_label_name(s) {
                out.extend_from_slice(s.as_bytes());
            } else {
                escape_into(out, &parts, scheme, Rune::LabelName);
            }
        }
        EscapingScheme::Dots => escape_into(out, &parts, scheme, Rune::LabelName),
    }
}

/// Appends `s` with each byte for which `escape` returns a replacement replaced, copying
/// the unescaped runs in bulk.
#[inline]
fn escape_bytes_into(out: &mut Vec<u8>, s: &str, escape: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(rep) = escape(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(rep);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Appends a label value (or OpenMetrics HELP text) escaped as prometheus_client does:
/// `\` -> `\\`, newline -> `\n`, `"` -> `\"`; everything else unchanged.
pub fn escape_label_value_into(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| matches!(b, b'\\' | b'\n' | b'"')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    escape_bytes_into(out, s, |b| match b {
        b'\\' => Some(b"\\\\"),
        b'\n' => Some(b"\\n"),
        b'"' => Some(b"\\\""),
        _ => None,
    });
}

/// Appends Prometheus text format HELP text escaped as prometheus_client does: `\` -> `\\`
/// and newline -> `\n` only (quotes are kept). OpenMetrics HELP uses
/// [`escape_label_value_into`] instead.
pub fn escape_help_text_into(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| matches!(b, b'\\' | b'\n')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    escape_bytes_into(out, s, |b| match b {
        b'\\' => Some(b"\\\\"),
        b'\n' => Some(b"\\n"),
        _ => None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = include_str!("testdata/names.txt");

    const SCHEMES: [EscapingScheme; 4] =
        [EscapingScheme::AllowUtf8, EscapingScheme::Underscores, EscapingScheme::Dots, EscapingScheme::Values];

    /// Decodes a vector field: `-` is the empty string, anything else hex UTF-8.
    fn unhex(field: &str) -> String {
        if field == "-" {
            return String::new();
        }
        let bytes: Vec<u8> =
            (0..field.len()).step_by(2).map(|i| u8::from_str_radix(&field[i..i + 2], 16).expect("hex byte")).collect();
        String::from_utf8(bytes).expect("utf-8 field")
    }

    fn records(tag: &str) -> Vec<Vec<&'static str>> {
        VECTORS
            .lines()
            .filter_map(|l| {
                let mut f = l.split(' ');
                (f.next() == Some(tag)).then(|| f.collect())
            })
            .collect()
    }

    fn flag(f: &str) -> bool {
        match f {
            "1" => true,
            "0" => false,
            _ => panic!("bad flag {f:?}"),
        }
    }

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("escapers write UTF-8")
    }

    fn err_field(r: Result<()>) -> String {
        match r {
            Ok(()) => String::new(),
            Err(e) => crate::compat::python::message(&e),
        }
    }

    fn sch(legacy: bool) -> ValidationScheme {
        if legacy {
            ValidationScheme::Legacy
        } else {
            ValidationScheme::Utf8
        }
    }

    #[test]
    fn escape_vectors_match_python() {
        let recs = records("esc");
        assert!(recs.len() >= 300, "{} esc records", recs.len());
        let mut failures = Vec::new();
        for r in &recs {
            assert_eq!(r.len(), 21, "esc record {r:?}");
            let name = unhex(r[0]);
            let mut check = |what: String, got: String, want: String| {
                if got != want {
                    failures.push(format!("{what} of {name:?}: got {got:?} want {want:?}"));
                }
            };
            for (k, &sc) in SCHEMES.iter().enumerate() {
                check(
                    format!("escape_metric_name {}", sc.as_str()),
                    s(|o| escape_metric_name_into(o, &name, sc)),
                    unhex(r[1 + k]),
                );
                check(
                    format!("escape_label_name {}", sc.as_str()),
                    s(|o| escape_label_name_into(o, &name, sc)),
                    unhex(r[5 + k]),
                );
                for (off, rune) in [(9, Rune::MetricName), (13, Rune::LabelName)] {
                    let want = unhex(r[off + k]);
                    check(
                        format!("_escape {} {rune:?}", sc.as_str()),
                        s(|o| escape_into(o, &[&name], sc, rune)),
                        want.clone(),
                    );
                    // Split at every character boundary: same result.
                    for (b, _) in name.char_indices().skip(1) {
                        let (x, y) = name.split_at(b);
                        check(
                            format!("_escape {} {rune:?} split at {b}", sc.as_str()),
                            s(|o| escape_into(o, &["", x, "", y], sc, rune)),
                            want.clone(),
                        );
                    }
                }
                // The parts variant of escape_metric_name agrees with the whole string.
                for (b, _) in name.char_indices() {
                    let (x, y) = name.split_at(b);
                    check(
                        format!("escape_metric_name_parts {} split at {b}", sc.as_str()),
                        s(|o| escape_metric_name_parts_into(o, &[x, y], sc)),
                        unhex(r[1 + k]),
                    );
                }
            }
            check(
                "is_valid_legacy_metric_name".into(),
                is_valid_legacy_metric_name(&name).to_string(),
                flag(r[17]).to_string(),
            );
            for (b, _) in name.char_indices() {
                let (x, y) = name.split_at(b);
                check(
                    format!("is_valid_legacy_metric_name_parts split at {b}"),
                    is_valid_legacy_metric_name_parts(&[x, y]).to_string(),
                    flag(r[17]).to_string(),
                );
            }
            check(
                "is_valid_legacy_label_name".into(),
                is_valid_legacy_label_name(&name).to_string(),
                flag(r[18]).to_string(),
            );
            check("label value escape".into(), s(|o| escape_label_value_into(o, &name)), unhex(r[19]));
            check("help escape".into(), s(|o| escape_help_text_into(o, &name)), unhex(r[20]));
        }
        assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn validation_vectors_match_python() {
        let recs = records("val");
        assert!(recs.len() >= 300);
        for r in &recs {
            assert_eq!(r.len(), 5, "val record {r:?}");
            let name = unhex(r[0]);
            assert_eq!(
                err_field(validate_metric_name(&name, ValidationScheme::Legacy)),
                unhex(r[1]),
                "legacy metric {name:?}"
            );
            assert_eq!(
                err_field(validate_metric_name(&name, ValidationScheme::Utf8)),
                unhex(r[2]),
                "utf-8 metric {name:?}"
            );
            assert_eq!(
                err_field(validate_label_name(&name, ValidationScheme::Legacy)),
                unhex(r[3]),
                "legacy label {name:?}"
            );
            assert_eq!(
                err_field(validate_label_name(&name, ValidationScheme::Utf8)),
                unhex(r[4]),
                "utf-8 label {name:?}"
            );
        }
    }

    #[test]
    fn full_name_vectors_match_python() {
        let recs = records("full");
        assert!(recs.len() >= 500);
        for r in &recs {
            assert_eq!(r.len(), 7, "full record {r:?}");
            let (t, name, ns, sub, unit) = (unhex(r[0]), unhex(r[1]), unhex(r[2]), unhex(r[3]), unhex(r[4]));
            let got = build_full_name(&t, &name, &ns, &sub, &unit);
            let want = unhex(r[6]);
            match (r[5], got) {
                ("ok", Ok(full)) => assert_eq!(full, want, "{r:?}"),
                ("err", Err(e)) => assert_eq!(crate::compat::python::message(&e), want, "{r:?}"),
                (kind, got) => panic!("{t} {name:?} {ns:?} {sub:?} {unit:?}: want {kind} {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn exemplar_vectors_match_python() {
        let recs = records("exm");
        assert!(recs.len() >= 20);
        for r in &recs {
            let legacy = flag(r[0]);
            let want = unhex(r[1]);
            let kv: Vec<String> = r[2..].iter().map(|f| unhex(f)).collect();
            let pairs = kv.chunks(2).map(|c| (c[0].as_str(), c[1].as_str()));
            assert_eq!(err_field(validate_exemplar(pairs, sch(legacy))), want, "{r:?}");
        }
    }

    #[test]
    fn label_names_vectors_match_python() {
        let recs = records("lbls");
        assert!(recs.len() >= 10);
        for r in &recs {
            let legacy = flag(r[0]);
            let want = unhex(r[1]);
            let n: usize = r[2].parse().expect("count");
            let reserved: Vec<String> = r[3..3 + n].iter().map(|f| unhex(f)).collect();
            let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
            let names: Vec<String> = r[3 + n..].iter().map(|f| unhex(f)).collect();
            assert_eq!(err_field(validate_label_names(&names, &reserved, sch(legacy))), want, "{r:?}");
        }
    }

    #[test]
    fn default_scheme_is_utf8() {
        let d = ValidationScheme::default();
        assert_eq!(d, ValidationScheme::Utf8);
        assert!(validate_metric_name("my metric", d).is_ok());
        assert!(validate_label_name("my label", d).is_ok());
        assert!(validate_label_names(&["a b"], &[], d).is_ok());
        assert!(validate_exemplar([("a b", "c")], d).is_ok());
    }

    #[test]
    fn legacy_names() {
        for n in ["a", "_", ":", "a:b", "abc_123", "A", "foo\n", "_0"] {
            assert!(is_valid_legacy_metric_name(n), "{n:?}");
        }
        for n in ["", "0", "0a", "a-b", "a.b", "é", "\n", "a\n\n", "a\nb", " a", "a "] {
            assert!(!is_valid_legacy_metric_name(n), "{n:?}");
        }
        for n in ["a", "_", "_a", "a_b", "A9", "foo\n", "_0"] {
            assert!(is_valid_legacy_label_name(n), "{n:?}");
        }
        for n in ["", "__", "__a", "a:b", ":", "0", "é", "__\n", "a\n\n"] {
            assert!(!is_valid_legacy_label_name(n), "{n:?}");
        }
        assert!(is_valid_legacy_metric_name_parts(&["http_requests", "_total"]));
        assert!(is_valid_legacy_metric_name_parts(&["", "a"]));
        assert!(!is_valid_legacy_metric_name_parts(&["", ""]));
        assert!(!is_valid_legacy_metric_name_parts(&["", "0"]));
        assert!(is_valid_legacy_metric_name_parts(&["a", "0"]));
    }

    #[test]
    fn reserved_regex_quirks() {
        assert!(is_reserved_label_name("__"));
        assert!(is_reserved_label_name("__a"));
        assert!(is_reserved_label_name("__a\n"));
        assert!(!is_reserved_label_name("__a\nb"));
        assert!(!is_reserved_label_name("__\n\n"));
        assert!(!is_reserved_label_name("_a"));
        assert!(!is_reserved_label_name(""));
    }

    #[test]
    fn validate_messages_and_kinds() {
        assert_eq!(
            validate_metric_name("", ValidationScheme::Utf8),
            Err(Error::InvalidMetricName { name: String::new() })
        );
        assert_eq!(
            validate_metric_name("", ValidationScheme::Legacy),
            Err(Error::InvalidMetricName { name: String::new() })
        );
        assert_eq!(
            validate_metric_name("a b", ValidationScheme::Legacy),
            Err(Error::InvalidMetricName { name: "a b".into() })
        );
        assert_eq!(validate_metric_name("a b", ValidationScheme::Utf8), Ok(()));
        assert_eq!(
            validate_label_name("a:b", ValidationScheme::Legacy),
            Err(Error::InvalidLabelName { name: "a:b".into() })
        );
        assert_eq!(validate_label_name("a:b", ValidationScheme::Utf8), Ok(()));
        assert_eq!(
            validate_label_name("", ValidationScheme::Legacy),
            Err(Error::InvalidLabelName { name: String::new() })
        );
        assert_eq!(validate_label_name("", ValidationScheme::Utf8), Ok(()));
        for legacy in [true, false] {
            assert_eq!(
                validate_label_name("__x", sch(legacy)),
                Err(Error::ReservedLabelName { name: "__x".into(), reason: Reserved::Prefix })
            );
        }
    }

    #[test]
    fn label_names_reserved_typo() {
        assert_eq!(
            validate_label_names(&["a", "le"], &["le"], ValidationScheme::Legacy),
            Err(Error::ReservedLabelName { name: "le".into(), reason: Reserved::ForType })
        );
        assert_eq!(
            validate_label_names(&["__x".to_string(), "le".to_string()], &["le"], ValidationScheme::Utf8),
            Err(Error::ReservedLabelName { name: "__x".into(), reason: Reserved::Prefix })
        );
        assert_eq!(validate_label_names(&["quantile"], &["le"], ValidationScheme::Legacy), Ok(()));
        let none: [&str; 0] = [];
        assert_eq!(validate_label_names(&none, &["le"], ValidationScheme::Legacy), Ok(()));
    }

    #[test]
    fn full_names() {
        assert_eq!(build_full_name("counter", "requests_total", "", "", ""), Ok("requests".into()));
        assert_eq!(build_full_name("gauge", "requests_total", "", "", ""), Ok("requests_total".into()));
        assert_eq!(build_full_name("gauge", "x", "ns", "sub", "bytes"), Ok("ns_sub_x_bytes".into()));
        assert_eq!(build_full_name("gauge", "x_bytes", "", "", "bytes"), Ok("x_bytes".into()));
        assert_eq!(build_full_name("gauge", "xbytes", "", "", "bytes"), Ok("xbytes_bytes".into()));
        assert_eq!(build_full_name("gauge", "bytes", "", "", "bytes"), Ok("bytes_bytes".into()));
        assert_eq!(build_full_name("counter", "_total", "", "", ""), Ok(String::new()));
        assert_eq!(build_full_name("counter", "", "ns", "", ""), Err(Error::MissingName));
        assert_eq!(
            build_full_name("info", "build", "", "", "x"),
            Err(Error::UnitNotAllowed { name: "build_x".into() })
        );
        assert_eq!(build_full_name("stateset", "s_x", "", "", "x"), Err(Error::UnitNotAllowed { name: "s_x".into() }));
        assert_eq!(build_full_name("info", "build", "", "", ""), Ok("build".into()));
    }

    #[test]
    fn exemplar_limits() {
        let v120 = "a".repeat(120);
        assert_eq!(validate_exemplar([("trace_id", v120.as_str())], ValidationScheme::Legacy), Ok(()));
        let v121 = "a".repeat(121);
        assert_eq!(
            validate_exemplar([("trace_id", v121.as_str())], ValidationScheme::Legacy),
            Err(Error::ExemplarTooLong { runes: 129, max: 128 })
        );
        // Code points, not bytes.
        let emoji = "😀".repeat(127);
        assert_eq!(validate_exemplar([("k", emoji.as_str())], ValidationScheme::Utf8), Ok(()));
        assert_eq!(
            validate_exemplar([("bad key", "v")], ValidationScheme::Legacy),
            Err(Error::InvalidLabelName { name: "bad key".into() })
        );
        assert_eq!(validate_exemplar([("bad key", "v")], ValidationScheme::Utf8), Ok(()));
        assert_eq!(validate_exemplar(std::iter::empty(), ValidationScheme::Legacy), Ok(()));
    }

    #[test]
    fn scheme_names() {
        for sc in SCHEMES {
            assert_eq!(EscapingScheme::from_name(sc.as_str()), Some(sc));
        }
        assert_eq!(EscapingScheme::from_name("Underscores"), None);
        assert_eq!(EscapingScheme::from_name(""), None);
        assert_eq!(EscapingScheme::default(), EscapingScheme::Underscores);
    }

    #[test]
    fn escaper_examples() {
        use EscapingScheme::*;
        let m = |n: &str, sc| s(|o| escape_metric_name_into(o, n, sc));
        let l = |n: &str, sc| s(|o| escape_label_name_into(o, n, sc));
        assert_eq!(m("a.b", AllowUtf8), "\"a.b\"");
        assert_eq!(m("a:b", AllowUtf8), "a:b");
        assert_eq!(l("a:b", AllowUtf8), "\"a:b\"");
        assert_eq!(m("a\"b\\c\nd", AllowUtf8), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(m("a.b", Underscores), "a_b");
        assert_eq!(m("foo_bar", Dots), "foo__bar");
        assert_eq!(m("a.b", Dots), "a_dot_b");
        assert_eq!(m("0é", Dots), "____");
        assert_eq!(m("a.b", Values), "U__a_2e_b");
        assert_eq!(m("0a", Values), "U___30_a");
        assert_eq!(m("😀", Values), "U___1f600_");
        assert_eq!(m("foo_bar", Values), "foo_bar");
        assert_eq!(l("__a", Values), "U______a");
        assert_eq!(l("__a", Underscores), "__a");
        assert_eq!(l("__a", AllowUtf8), "\"__a\"");
        assert_eq!(m("foo\n", Underscores), "foo\n");
        assert_eq!(m("foo\n", AllowUtf8), "foo\\n");
        for sc in SCHEMES {
            assert_eq!(m("", sc), "");
            assert_eq!(l("", sc), "");
        }
        // _escape itself does not short-circuit on the empty string under Values.
        assert_eq!(s(|o| escape_into(o, &[], Values, Rune::LabelName)), "U__");
        // The index runs across parts: a digit starting the second part is not first.
        assert_eq!(s(|o| escape_into(o, &["a", "0"], Underscores, Rune::MetricName)), "a0");
        assert_eq!(s(|o| escape_into(o, &["", "0"], Underscores, Rune::MetricName)), "_");
        assert_eq!(s(|o| escape_into(o, &["a:", "b"], Underscores, Rune::LabelName)), "a_b");
        assert_eq!(s(|o| escape_metric_name_parts_into(o, &["a", ".b"], AllowUtf8)), "\"a.b\"");
    }

    #[test]
    fn value_escapers() {
        let v = |x: &str| s(|o| escape_label_value_into(o, x));
        let h = |x: &str| s(|o| escape_help_text_into(o, x));
        assert_eq!(v("plain"), "plain");
        assert_eq!(v(""), "");
        assert_eq!(v("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(v("\\\\"), "\\\\\\\\");
        assert_eq!(v("\n"), "\\n");
        assert_eq!(v("日本\"語"), "日本\\\"語");
        assert_eq!(h("a\\b\"c\nd"), "a\\\\b\"c\\nd");
        assert_eq!(h("x\"y"), "x\"y");
        let mut out = b"k=\"".to_vec();
        escape_label_value_into(&mut out, "v\"");
        out.push(b'"');
        assert_eq!(out, b"k=\"v\\\"\"");
    }

    #[test]
    fn hex_code_points() {
        let hx = |c: char| s(|o| push_hex(o, c));
        assert_eq!(hx('\0'), "0");
        assert_eq!(hx('.'), "2e");
        assert_eq!(hx('é'), "e9");
        assert_eq!(hx('\u{10ffff}'), "10ffff");
        assert_eq!(hx('\u{1f600}'), "1f600");
    }
}
