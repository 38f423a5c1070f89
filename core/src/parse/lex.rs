//! Lexing shared by the parsers: prometheus_client's quote-aware scanning
//! (`_next_unquoted_char`, `_last_unquoted_char`, `_split_quoted`), unquoting and unescaping
//! (`_unquote_unescape`, `_replace_escaping`), label sets (`_next_term` and `parse_labels`
//! in their text and OpenMetrics flavours), name characters and name checks, Python's
//! string slicing, and where on a line a problem lies. Numbers and timestamps are in
//! [`number`].
//!
//! Everything works on `&str` lines by byte index; the bytes looked for (quotes,
//! backslashes, braces, separators) are ASCII, so every index found is a character
//! boundary.

pub(crate) mod number;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::compat::python::strings::strip as py_strip;
use crate::error::Error;
use crate::names::{self, ValidationScheme};

type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// A label: name and value.
type Label = (String, String);

// ---------------------------------------------------------------------------------------
// Where a problem lies

/// A problem found on one line: its message and the byte offset, within the line, of the
/// part at fault (0 when the line as a whole is).
#[derive(Debug)]
pub(crate) struct LineError {
    pub(crate) at: usize,
    pub(crate) msg: String,
}

impl LineError {
    /// A problem with the part of the line that starts at byte `at`.
    pub(crate) fn at(at: usize, msg: impl Into<String>) -> Self {
        Self { at, msg: msg.into() }
    }

    /// A problem with the line as a whole.
    pub(crate) fn whole(msg: impl Into<String>) -> Self {
        Self::at(0, msg)
    }

    /// The same problem, for a part that starts `base` bytes further into the line.
    pub(crate) fn shifted(self, base: usize) -> Self {
        Self { at: self.at + base, msg: self.msg }
    }

    /// The [`Error::Parse`] for this problem on line `lineno`, whose text is `line`.
    pub(crate) fn into_error(self, lineno: usize, line: &str) -> Error {
        Error::Parse { line: lineno, column: column(line, self.at), msg: self.msg }
    }
}

/// The line being read: its number and text, to turn a [`LineError`] into an [`Error`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub(crate) no: usize,
    pub(crate) text: &'a str,
}

impl Line<'_> {
    /// The [`Error::Parse`] for `e` on this line.
    pub(crate) fn error(self, e: LineError) -> Error {
        e.into_error(self.no, self.text)
    }

    /// The [`Error::Parse`] for a problem with the part of this line at byte `at`.
    pub(crate) fn error_at(self, at: usize, msg: impl Into<String>) -> Error {
        self.error(LineError::at(at, msg))
    }
}

/// The 1-based character column of byte offset `at` in `line`; an offset at or past the
/// end gives the column just after the last character.
pub(crate) fn column(line: &str, at: usize) -> usize {
    if line.is_ascii() {
        return at.min(line.len()) + 1;
    }
    line.char_indices().take_while(|&(i, _)| i < at).count() + 1
}

/// The byte offset of `part` in `whole` when `part` is a slice of it, else 0.
pub(crate) fn offset_of(whole: &str, part: &str) -> usize {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    if p >= w && p + part.len() <= w + whole.len() {
        p - w
    } else {
        0
    }
}

/// A parse error of line `line` that concerns the line as a whole (column 1).
pub(crate) fn line_error(line: usize, msg: impl Into<String>) -> Error {
    Error::Parse { line, column: 1, msg: msg.into() }
}

// ---------------------------------------------------------------------------------------
// Names

/// `[a-zA-Z_]`, plus `:` when `colon` (metric names).
pub(crate) fn is_name_start(c: u8, colon: bool) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':')
}

/// [`is_name_start`] or a digit.
pub(crate) fn is_name_cont(c: u8, colon: bool) -> bool {
    is_name_start(c, colon) || c.is_ascii_digit()
}

/// prometheus_client's `_is_valid_legacy_metric_name`, with a fast path for the usual
/// names (the regex's trailing-newline quirk goes through [`names`]).
pub(crate) fn is_legacy_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(&c) if is_name_start(c, true) => {
            b[1..].iter().all(|&c| is_name_cont(c, true)) || names::is_valid_legacy_metric_name(s)
        }
        _ => false,
    }
}

/// Checks a metric name under `scheme`.
pub(crate) fn validate_metric_name(name: &str, scheme: ValidationScheme) -> crate::Result<()> {
    names::validate_metric_name(name, scheme)
}

/// Checks a label name under `scheme`.
pub(crate) fn validate_label_name(name: &str, scheme: ValidationScheme) -> crate::Result<()> {
    names::validate_label_name(name, scheme)
}

/// The text a parser puts in its own message for a failed name check: prometheus_client's
/// wording, like every other parser message. Every parser message built from a
/// name-validation error goes through here.
pub(crate) fn name_error_text(e: &Error) -> String {
    crate::compat::python::message(e)
}

// ---------------------------------------------------------------------------------------
// Quotes, escapes and Python slicing

/// `_replace_escaping` (label names and values, OpenMetrics HELP: `\\`, `\n`, `\"`) or, with
/// `quote = false`, the text format's HELP unescaping (`\\` and `\n` only). Any other
/// backslash stays as it is. Borrows when there is nothing to replace.
pub(crate) fn unescape(s: &str, quote: bool) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let rep = match b.get(i + 1) {
                Some(b'\\') => Some('\\'),
                Some(b'n') => Some('\n'),
                Some(b'"') if quote => Some('"'),
                _ => None,
            };
            if let Some(c) = rep {
                out.push_str(&s[run..i]);
                out.push(c);
                i += 2;
                run = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[run..]);
    Cow::Owned(out)
}

/// `_unquote_unescape`: strips `text`, removes surrounding double quotes and unescapes.
/// Returns the text and whether it was quoted.
pub(crate) fn unquote_unescape(text: &str) -> Result<(Cow<'_, str>, bool), String> {
    if text.is_empty() {
        return Ok((Cow::Borrowed(text), false));
    }
    let t = py_strip(text);
    if t.is_empty() {
        // Python indexes the empty string and raises IndexError.
        return Err("string index out of range".into());
    }
    if t.as_bytes()[0] == b'"' {
        if t.len() == 1 || !t.ends_with('"') {
            return Err("missing close quote".into());
        }
        Ok((unescape(&t[1..t.len() - 1], true), true))
    } else {
        Ok((unescape(t, true), false))
    }
}

/// The number of backslashes right before `pos` (what `_is_character_escaped` counts).
pub(crate) fn backslashes_before(b: &[u8], pos: usize) -> usize {
    b[..pos.min(b.len())].iter().rev().take_while(|&&c| c == b'\\').count()
}

/// `_next_unquoted_char(text, chs, start)`: the first byte at or after `start` for which
/// `is_sep` holds, outside double quotes (a quote after an odd number of backslashes does
/// not count); no quote is open at `start`. `is_sep` never accepts `"` or `\`.
pub(crate) fn next_unquoted(b: &[u8], start: usize, is_sep: impl Fn(u8) -> bool) -> Option<usize> {
    let mut backslashes = backslashes_before(b, start);
    let mut in_quotes = false;
    for (i, &c) in b.iter().enumerate().skip(start) {
        if c == b'"' && backslashes % 2 == 0 {
            in_quotes = !in_quotes;
        }
        if !in_quotes && is_sep(c) {
            return Some(i);
        }
        backslashes = if c == b'\\' { backslashes + 1 } else { 0 };
    }
    None
}

/// [`next_unquoted`] for any byte of `chs`.
pub(crate) fn next_unquoted_of(text: &str, chs: &[u8], start: usize) -> Option<usize> {
    next_unquoted(text.as_bytes(), start, |c| chs.contains(&c))
}

/// `_last_unquoted_char(text, ch)`, which never looks at index 0.
pub(crate) fn last_unquoted(text: &str, ch: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut in_quotes = false;
    for i in (1..b.len()).rev() {
        let c = b[i];
        if c == b'"' && backslashes_before(b, i) % 2 == 0 {
            in_quotes = !in_quotes;
        }
        if !in_quotes && c == ch {
            return Some(i);
        }
    }
    None
}

/// `_split_quoted(text, sep, 3)`: at most four tokens separated by runs of `is_sep`
/// bytes, double quotes protecting separators, the fourth holding the rest of the line.
pub(crate) fn split_quoted(text: &str, is_sep: impl Fn(u8) -> bool + Copy) -> SmallVec<[&str; 4]> {
    let b = text.as_bytes();
    let n = b.len();
    let mut tokens: SmallVec<[&str; 4]> = SmallVec::new();
    tokens.push("");
    let mut x = 0;
    while x < n {
        match next_unquoted(b, x, is_sep) {
            None => {
                if let Some(last) = tokens.last_mut() {
                    *last = &text[x..];
                }
                x = n;
            }
            Some(p) if p == x => x += 1,
            Some(p) => {
                if tokens.len() > 3 {
                    if let Some(last) = tokens.last_mut() {
                        *last = &text[x..];
                    }
                    break;
                }
                if let Some(last) = tokens.last_mut() {
                    *last = &text[x..p];
                }
                x = p + 1;
                tokens.push("");
            }
        }
    }
    tokens
}

/// The byte length of `text` without its last character (Python's `text[:-1]`).
pub(crate) fn minus_last_char(text: &str) -> usize {
    text.char_indices().next_back().map_or(0, |(i, _)| i)
}

/// `text[start:end]`, where `end == None` stands for Python's `-1`.
pub(crate) fn py_slice(text: &str, start: usize, end: Option<usize>) -> &str {
    let end = end.unwrap_or_else(|| minus_last_char(text));
    if start >= end || end > text.len() {
        return "";
    }
    text.get(start..end).unwrap_or("")
}

/// `text[pos + n:]` counted in characters, from a character boundary `pos`.
pub(crate) fn skip_chars(text: &str, pos: usize, n: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    match rest.char_indices().nth(n) {
        Some((i, _)) => &rest[i..],
        None => "",
    }
}

// ---------------------------------------------------------------------------------------
// Label sets

/// A label dict being built: insertion order, unique names, and a hash index once it grows
/// long, so duplicate detection stays linear on long label sets.
pub(crate) struct LabelSet {
    labels: Vec<(String, String)>,
    index: Option<HashSet<String>>,
}

impl LabelSet {
    /// Label sets up to this long are searched without an index.
    const LINEAR: usize = 16;

    pub(crate) fn new() -> Self {
        Self { labels: Vec::new(), index: None }
    }

    pub(crate) fn contains(&self, k: &str) -> bool {
        match &self.index {
            Some(ix) => ix.contains(k),
            None => self.labels.iter().any(|(n, _)| n == k),
        }
    }

    /// Appends a label whose name is not in the set yet.
    pub(crate) fn push(&mut self, k: String, v: String) {
        if let Some(ix) = &mut self.index {
            ix.insert(k.clone());
        } else if self.labels.len() >= Self::LINEAR {
            let mut ix: HashSet<String> = self.labels.iter().map(|(n, _)| n.clone()).collect();
            ix.insert(k.clone());
            self.index = Some(ix);
        }
        self.labels.push((k, v));
    }

    /// The name of the label added last.
    pub(crate) fn last_name(&self) -> &str {
        self.labels.last().map_or("", |(k, _)| k.as_str())
    }

    pub(crate) fn into_vec(self) -> Vec<(String, String)> {
        self.labels
    }
}

/// Which of prometheus_client's label grammars applies (`parse_labels`'s `openmetrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grammar {
    /// The text format's: empty terms are skipped, errors carry no reason.
    Text,
    /// OpenMetrics': a leading comma and empty terms are errors, with a reason.
    OpenMetrics,
}

/// `_next_term(text, openmetrics)`: the raw label name (`__name__` for a bare quoted
/// name), the stripped value term and the stripped rest (empty or starting with `,`/`}`).
pub(crate) fn next_term(text: &str, grammar: Grammar) -> Result<(&str, &str, &str), String> {
    let mut t = text;
    if let Some(rest) = t.strip_prefix(',') {
        t = rest;
        if t.is_empty() {
            return Ok(("", "", ""));
        }
        if t.starts_with(',') {
            return Err("multiple commas".into());
        }
    }
    let b = t.as_bytes();
    let sp = next_unquoted(b, 0, |c| matches!(c, b'=' | b',' | b'}'));
    let (label_name, t, sp) = match sp {
        Some(p) if b[p] == b'=' => {
            let after = &t[p + 1..];
            (&t[..p], after, next_unquoted(after.as_bytes(), 0, |c| c == b',' || c == b'}'))
        }
        _ => ("__name__", t, sp),
    };
    let p = sp.unwrap_or(t.len());
    if p == 0 && grammar == Grammar::OpenMetrics {
        return Err("empty term".into());
    }
    Ok((label_name, py_strip(&t[..p]), py_strip(&t[p..])))
}

/// The usual term, `[,]name="value"` followed by `,` or the end, read in one pass: the
/// label name (a legacy name), the unescaped value and the rest. `None` sends anything
/// else through [`next_term`]; both give the same result on what this accepts.
fn simple_term(sub: &str) -> Option<(&str, Cow<'_, str>, &str)> {
    let t = sub.strip_prefix(',').unwrap_or(sub);
    let b = t.as_bytes();
    if !is_name_start(*b.first()?, true) {
        return None;
    }
    let mut i = 1;
    while i < b.len() && is_name_cont(b[i], true) {
        i += 1;
    }
    if b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
        return None;
    }
    let start = i + 2;
    let mut j = start;
    let mut escaped = false;
    loop {
        match b.get(j)? {
            b'"' => break,
            b'\\' => {
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
    if !matches!(b.get(j + 1), None | Some(b',')) {
        return None;
    }
    let raw = &t[start..j];
    let value = if escaped { unescape(raw, true) } else { Cow::Borrowed(raw) };
    Some((&t[..i], value, &t[j + 1..]))
}

/// `parse_labels(labels_string, openmetrics)` on `s`, the text between the braces.
///
/// The error's offset (in `s`) is that of the term at fault; its message is
/// `Invalid labels: <s>` in the text grammar, and `leading comma: <s>` or
/// `Invalid labels: <s> (<reason>)` in OpenMetrics'.
pub(crate) fn parse_labels(
    s: &str,
    grammar: Grammar,
    scheme: ValidationScheme,
) -> Result<Vec<(String, String)>, LineError> {
    let mut sub = py_strip(s);
    if grammar == Grammar::OpenMetrics && sub.starts_with(',') {
        return Err(LineError::at(offset_of(s, sub), format!("leading comma: {s}")));
    }
    let mut labels = LabelSet::new();
    while !sub.is_empty() {
        let at = offset_of(s, sub.strip_prefix(',').unwrap_or(sub));
        match next_label(sub, grammar, scheme, &labels) {
            Ok((label, rest)) => {
                if let Some((k, v)) = label {
                    labels.push(k, v);
                }
                sub = rest;
            }
            Err(reason) => {
                let msg = match grammar {
                    Grammar::Text => format!("Invalid labels: {s}"),
                    Grammar::OpenMetrics => format!("Invalid labels: {s} ({reason})"),
                };
                return Err(LineError::at(at, msg));
            }
        }
    }
    Ok(labels.into_vec())
}

/// One step of [`parse_labels`]: the next label of `sub` (none for an empty term of the
/// text grammar) and what follows it, or why the term is invalid.
fn next_label<'a>(
    sub: &'a str,
    grammar: Grammar,
    scheme: ValidationScheme,
    seen: &LabelSet,
) -> Result<(Option<Label>, &'a str), String> {
    if let Some((name, value, rest)) = simple_term(sub) {
        check_label_name(name, scheme, seen)?;
        return Ok((Some((name.to_owned(), value.into_owned())), rest));
    }
    let (name_term, value_term, rest) = next_term(sub, grammar)?;
    if rest.len() >= sub.len() {
        // prometheus_client would loop forever here; it cannot happen on a label set cut
        // at its first unquoted '}', but never hang.
        return Err("no progress".into());
    }
    if value_term.is_empty() {
        return match grammar {
            Grammar::Text => Ok((None, rest)),
            Grammar::OpenMetrics => Err("empty term".into()),
        };
    }
    let (name, quoted) = unquote_unescape(name_term)?;
    if !quoted && !is_legacy_metric_name(&name) {
        return Err("unquoted UTF-8 metric name".into());
    }
    if value_term.as_bytes()[0] != b'"' {
        return Err("missing quote".into());
    }
    check_closing_quote(value_term.as_bytes())?;
    let (value, _) = unquote_unescape(value_term)?;
    check_label_name(&name, scheme, seen)?;
    Ok((Some((name.into_owned(), value.into_owned())), rest))
}

/// The first unescaped quote after the opening one must end the value term.
fn check_closing_quote(vb: &[u8]) -> Result<(), String> {
    let mut i = 1;
    while i < vb.len() {
        match vb[i..].iter().position(|&c| c == b'"') {
            Some(p) => i += p,
            None => return Err("substring not found".into()),
        }
        if backslashes_before(vb, i) % 2 == 0 {
            break;
        }
        i += 1;
    }
    if i + 1 != vb.len() {
        return Err("unexpected text after quote".into());
    }
    Ok(())
}

/// A label name must pass the scheme's check (`__name__` names the metric and always
/// passes) and must not repeat.
fn check_label_name(name: &str, scheme: ValidationScheme, seen: &LabelSet) -> Result<(), String> {
    if name != "__name__" {
        validate_label_name(name, scheme).map_err(|e| name_error_text(&e))?;
    }
    if seen.contains(name) {
        return Err("invalid line, duplicate label name".into());
    }
    Ok(())
}

/// Removes the label `name` and returns its value.
pub(crate) fn take_label(labels: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let i = labels.iter().position(|(k, _)| k == name)?;
    Some(labels.remove(i).1)
}

/// The value of the label `name`.
pub(crate) fn label<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
