//! How prometheus_client holds a parsed sample beyond its `f64`: which Python type
//! `_parse_value` gave its values (and, for an `int` no `f64` holds exactly, its digits),
//! and whether its labels are `None`. The parsers record this only for the entry points of
//! [`super::parse`]; the neutral model does not carry it.

use crate::parse::lex::number::{to_ascii_number, trim_c_space, Num};

/// The Python side of one parsed sample. The default (all `false`, no digits) is a sample
/// with float values and a labels dict, which is what everything but prometheus_client's
/// parsers produces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampleKinds {
    /// The value is a Python `int` (`int(v)` took the text), not a `float`.
    pub value_int: bool,
    /// The exemplar's value is a Python `int`, not a `float` (`false` without an exemplar).
    pub exemplar_value_int: bool,
    /// The labels are `None`, not `{}` (native-histogram samples without series labels).
    pub labels_none: bool,
    /// The exact value when it is an `int` of magnitude 2^53 or more (which the `f64`
    /// rounds): the decimal digits `str(int(v))` gives, ASCII, `-` for a negative value.
    pub value_digits: Option<Box<str>>,
    /// The exemplar's exact value, as [`value_digits`](Self::value_digits).
    pub exemplar_value_digits: Option<Box<str>>,
}

impl SampleKinds {
    /// The kinds of a sample whose value `_parse_value` read as `num` from `text`.
    pub(crate) fn of_value(num: Num, text: &str) -> Self {
        Self { value_int: num.is_int(), value_digits: int_digits(num, text), ..Self::default() }
    }

    /// Records the exemplar's value, read as `num` from `text`.
    pub(crate) fn set_exemplar(&mut self, num: Num, text: &str) {
        self.exemplar_value_int = num.is_int();
        self.exemplar_value_digits = int_digits(num, text);
    }
}

/// The exact digits of an `int` that an `f64` may not hold (magnitude 2^53 or more),
/// `text` being what `_parse_value` read it from.
fn int_digits(num: Num, text: &str) -> Option<Box<str>> {
    match num {
        Num::Int(i) if i.unsigned_abs() >= 1 << 53 => Some(i.to_string().into_boxed_str()),
        Num::BigInt(_) => canonical_digits(std::str::from_utf8(trim_c_space(to_ascii_number(text)?.as_bytes())).ok()?),
        _ => None,
    }
}

/// The canonical digits of an `int` given as ASCII `[+-]?[0-9]+`, when its magnitude is
/// 2^53 or more; `None` otherwise.
fn canonical_digits(text: &str) -> Option<Box<str>> {
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digits.trim_start_matches('0');
    const TWO_53: &str = "9007199254740992";
    if digits.len() < TWO_53.len() || (digits.len() == TWO_53.len() && digits < TWO_53) {
        return None;
    }
    debug_assert!(digits.bytes().all(|c| c.is_ascii_digit()));
    let mut out = String::with_capacity(digits.len() + usize::from(neg));
    if neg {
        out.push('-');
    }
    out.push_str(digits);
    Some(out.into_boxed_str())
}
