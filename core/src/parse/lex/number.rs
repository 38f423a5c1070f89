//! Numbers as prometheus_client reads them: Python's `int()` and `float()` (Unicode
//! decimal digits and spaces, underscores between digits), `_parse_value` (an `int` when
//! `int()` takes the text, else a `float`), the comparisons it then makes between ints and
//! floats, and the timestamps of both formats.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::compat::python::repr::str_repr;
use crate::compat::python::strings::{decimal as py_decimal, is_space as py_is_space, strip as py_strip};
use crate::model::Timestamp;

/// The longest digit string Python's `int()` converts (`sys.get_int_max_str_digits()`).
pub(crate) const INT_MAX_STR_DIGITS: usize = 4300;

/// An optional sign, then the rest: `(negative, rest)`.
fn split_sign(b: &[u8]) -> (bool, &[u8]) {
    match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    }
}

/// Whether `s` is non-empty printable ASCII without `_`: `int()` and `float()` then need
/// no Unicode transform, stripping or underscore handling.
fn plain_number_text(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| (0x21..0x7f).contains(&c) && c != b'_')
}

/// `int()` of plain ASCII (see [`plain_number_text`]) that fits an `i128`.
fn plain_int(b: &[u8]) -> Option<i128> {
    let (neg, digits) = split_sign(b);
    if digits.is_empty() || digits.len() > 38 {
        return None;
    }
    let mut acc: i128 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        acc = acc * 10 + i128::from(c - b'0');
    }
    Some(if neg { -acc } else { acc })
}

/// `_PyUnicode_TransformDecimalAndSpaceToASCII`, which `int()` and `float()` apply first.
pub(crate) fn to_ascii_number(s: &str) -> Option<Cow<'_, str>> {
    if s.is_ascii() {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (c as u32) < 127 {
            out.push(c);
        } else if py_is_space(c) {
            out.push(' ');
        } else {
            let d = py_decimal(c)?;
            out.push(char::from(b'0' + d));
        }
    }
    Some(Cow::Owned(out))
}

/// Strips C's whitespace, as `int()` and `float()` do after the transform.
pub(crate) fn trim_c_space(b: &[u8]) -> &[u8] {
    let sp = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = b.iter().position(|c| !sp(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !sp(c)).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// A Python integer: exact when it fits an `i128`, else rounded to a float.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PyInt {
    Small(i128),
    Big(f64),
}

/// The digits `int()` counts against [`INT_MAX_STR_DIGITS`] in a value it parsed: all
/// characters but the sign (values hold no underscores or whitespace).
fn int_digit_count(s: &str) -> usize {
    s.chars().filter(|c| !matches!(c, '+' | '-')).count()
}

/// Python's `int(s)` (base 10).
pub(crate) fn py_int(s: &str) -> Option<PyInt> {
    let t = to_ascii_number(s)?;
    let (neg, digits) = split_sign(trim_c_space(t.as_bytes()));
    if digits.is_empty() {
        return None;
    }
    let mut acc: Option<i128> = Some(0);
    let mut prev = b'_';
    for (i, &c) in digits.iter().enumerate() {
        if c == b'_' {
            if i == 0 || prev == b'_' {
                return None;
            }
        } else if c.is_ascii_digit() {
            acc = acc.and_then(|a| a.checked_mul(10)).and_then(|a| a.checked_add(i128::from(c - b'0')));
        } else {
            return None;
        }
        prev = c;
    }
    if prev == b'_' {
        return None;
    }
    Some(match acc {
        Some(v) => PyInt::Small(if neg { -v } else { v }),
        None => {
            let clean: String = digits.iter().filter(|&&c| c != b'_').map(|&c| char::from(c)).collect();
            let v: f64 = clean.parse().ok()?;
            PyInt::Big(if neg { -v } else { v })
        }
    })
}

/// Python's `float(s)`.
pub(crate) fn py_float(s: &str) -> Option<f64> {
    let t = to_ascii_number(s)?;
    let raw = t.as_bytes();
    let cleaned: Cow<'_, [u8]> = if raw.contains(&b'_') {
        let mut out = Vec::with_capacity(raw.len());
        let mut prev = 0u8;
        for &c in raw {
            if c == b'_' {
                if !prev.is_ascii_digit() {
                    return None;
                }
            } else {
                if prev == b'_' && !c.is_ascii_digit() {
                    return None;
                }
                out.push(c);
            }
            prev = c;
        }
        if prev == b'_' {
            return None;
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    float_grammar(trim_c_space(&cleaned))
}

/// `digits [. digits] | . digits`, then an optional exponent: the decimal part of
/// Python's (and Go's) float syntax, without sign.
pub(crate) fn is_decimal_syntax(b: &[u8]) -> bool {
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len()
}

/// Whether `body` (no sign) is `inf` or `infinity`, in any case.
pub(crate) fn is_infinity_word(body: &[u8]) -> bool {
    body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity")
}

/// `PyOS_string_to_double` over the whole (stripped, ASCII) string. A sign on `nan` is
/// kept, as Python keeps it.
pub(crate) fn float_grammar(b: &[u8]) -> Option<f64> {
    let (neg, body) = split_sign(b);
    let v = if is_infinity_word(body) {
        f64::INFINITY
    } else if body.eq_ignore_ascii_case(b"nan") {
        f64::NAN
    } else if is_decimal_syntax(body) {
        std::str::from_utf8(body).ok()?.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

/// A value as prometheus_client holds it: a Python `int` or `float`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    /// An integer beyond `i128`, rounded (compared approximately).
    BigInt(f64),
    Float(f64),
}

const TWO_127: f64 = 1.7014118346046923e38;

/// Python's exact comparison of an int with a float.
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= TWO_127 {
        return Some(Ordering::Less);
    }
    if f < -TWO_127 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // Exact: |t| <= 2^127 and t is integral.
    let ti = t as i128;
    Some(match i.cmp(&ti) {
        Ordering::Equal => {
            let frac = f - t;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        o => o,
    })
}

impl Num {
    /// `float(v)`: an int too large for a float gives +-inf (the nearest `f64`).
    pub(crate) fn f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::BigInt(f) | Num::Float(f) => f,
        }
    }

    /// Whether `_parse_value` made it a Python `int`.
    pub(crate) fn is_int(self) -> bool {
        matches!(self, Num::Int(_) | Num::BigInt(_))
    }

    /// Whether the value is integral (an `int`, or a finite float without fraction).
    pub(crate) fn is_integer(self) -> bool {
        match self {
            Num::Float(f) => f.is_finite() && f.trunc() == f,
            _ => true,
        }
    }

    fn cmp(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (Num::Int(a), Num::Float(f) | Num::BigInt(f)) => cmp_int_float(a, f),
            (Num::Float(f) | Num::BigInt(f), Num::Int(b)) => cmp_int_float(b, f).map(Ordering::reverse),
            (a, b) => a.f64().partial_cmp(&b.f64()),
        }
    }

    /// `self < other`, as Python compares an int and a float.
    pub(crate) fn lt(self, other: Num) -> bool {
        self.cmp(other) == Some(Ordering::Less)
    }

    /// `self == other`, as Python compares an int and a float.
    pub(crate) fn eq(self, other: Num) -> bool {
        self.cmp(other) == Some(Ordering::Equal)
    }

    pub(crate) fn is_nan(self) -> bool {
        matches!(self, Num::Float(f) if f.is_nan())
    }

    /// `math.isnan(v)` raises for an int too large for a float.
    pub(crate) fn too_large_for_float(self) -> bool {
        matches!(self, Num::BigInt(f) if f.is_infinite())
    }

    /// `v / 1000` (text-format milliseconds to seconds), as Python divides, `text` being
    /// what [`parse_value`] read `self` from: an int division is correctly rounded and
    /// raises OverflowError past float's range.
    pub(crate) fn millis_to_seconds(self, text: &str) -> Result<f64, String> {
        match self {
            Num::Int(i) if i.unsigned_abs() < 1 << 53 => {
                // Exact in a float, so one division rounds correctly.
                Ok(i as f64 / 1000.0 + 0.0)
            }
            Num::Int(_) | Num::BigInt(_) => {
                let digits = to_ascii_number(text).ok_or_else(|| "invalid timestamp".to_owned())?;
                let mut e = String::with_capacity(digits.len() + 3);
                e.push_str(&digits);
                e.push_str("e-3");
                let v = e.parse::<f64>().map_err(|_| "invalid timestamp".to_owned())?;
                if v.is_infinite() {
                    return Err("integer division result too large for a float".into());
                }
                Ok(if v == 0.0 { 0.0 } else { v })
            }
            Num::Float(f) => Ok(f / 1000.0),
        }
    }
}

/// `_parse_value`: an `int` if `int()` takes `v`, else a `float`; `v` must be stripped
/// and hold no underscore.
pub(crate) fn parse_value(v: &str) -> Result<Num, String> {
    if plain_number_text(v) {
        if let Some(i) = plain_int(v.as_bytes()) {
            return Ok(Num::Int(i));
        }
        if !v.as_bytes().iter().all(|c| c.is_ascii_digit() || *c == b'-' || *c == b'+') {
            if let Some(f) = float_grammar(v.as_bytes()) {
                return Ok(Num::Float(f));
            }
        }
    }
    if v != py_strip(v) || v.contains('_') {
        return Err(format!("Invalid value: {}", str_repr(v)));
    }
    // `int()` refuses more than `sys.get_int_max_str_digits()` digits (leading zeros
    // count): then `float()` reads them.
    let int = if v.len() > INT_MAX_STR_DIGITS && int_digit_count(v) > INT_MAX_STR_DIGITS { None } else { py_int(v) };
    match int {
        Some(PyInt::Small(i)) => Ok(Num::Int(i)),
        Some(PyInt::Big(f)) => Ok(Num::BigInt(f)),
        None => match py_float(v) {
            Some(f) => Ok(Num::Float(f)),
            None => Err(format!("could not convert string to float: {}", str_repr(v))),
        },
    }
}

/// OpenMetrics' `_parse_timestamp`: `Timestamp(sec, nsec)` for the `int` and `int.frac`
/// forms, else a finite float; `Ok(None)` for the empty string.
pub(crate) fn parse_timestamp(ts: &str) -> Result<Option<Timestamp>, String> {
    if ts.is_empty() {
        return Ok(None);
    }
    let bad = || format!("Invalid timestamp: {}", str_repr(ts));
    if ts != py_strip(ts) || ts.contains('_') {
        return Err(bad());
    }
    let too_big = || format!("Timestamp out of range: {}", str_repr(ts));
    if let Some(t) = plain_timestamp(ts) {
        return Ok(Some(t));
    }
    match py_int(ts) {
        Some(PyInt::Small(sec)) => return Ok(Some(Timestamp::Exact { sec, nsec: 0 })),
        Some(PyInt::Big(_)) => return Err(too_big()),
        None => {}
    }
    if let Some((whole, frac)) = ts.split_once('.') {
        if let Some(sec) = py_int(whole) {
            // parts[1][:9].ljust(9, "0")
            let mut f: String = frac.chars().take(9).collect();
            let n = f.chars().count();
            for _ in n..9 {
                f.push('0');
            }
            if let Some(PyInt::Small(nsec)) = py_int(&f) {
                if (0..1_000_000_000).contains(&nsec) {
                    let PyInt::Small(sec) = sec else {
                        return Err(too_big());
                    };
                    let nsec = nsec as i64;
                    return Ok(Some(Timestamp::Exact { sec, nsec: if sec < 0 { -nsec } else { nsec } }));
                }
            }
        }
    }
    match py_float(ts) {
        Some(f) if f.is_finite() => Ok(Some(Timestamp::Float(f))),
        _ => Err(bad()),
    }
}

/// The fast path of [`parse_timestamp`]: `int` or `int.digits` in plain ASCII.
fn plain_timestamp(ts: &str) -> Option<Timestamp> {
    if !plain_number_text(ts) {
        return None;
    }
    if let Some(sec) = plain_int(ts.as_bytes()) {
        return Some(Timestamp::Exact { sec, nsec: 0 });
    }
    let (whole, frac) = ts.split_once('.')?;
    let fb = frac.as_bytes();
    let sec = plain_int(whole.as_bytes())?;
    if !fb.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nsec: i64 = 0;
    for i in 0..9 {
        nsec = nsec * 10 + fb.get(i).map_or(0, |c| i64::from(c - b'0'));
    }
    Some(Timestamp::Exact { sec, nsec: if sec < 0 { -nsec } else { nsec } })
}
