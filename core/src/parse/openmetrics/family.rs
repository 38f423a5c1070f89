//! The checks prometheus_client's `text_fd_to_metric_families` makes on a family's samples:
//! suffixes by type, grouping (`_group_for_sample`), timestamps within a group, bucket and
//! count rules (`_check_histogram`), values by type, and where exemplars may appear.

use std::hash::BuildHasher;

use smallvec::SmallVec;

use crate::compat::python::kinds::SampleKinds;
use crate::model::{MetricType, Sample, Timestamp};

use super::super::lex::label;
use super::super::lex::number::{py_float, Num};
use super::super::lex::LineError;
use super::sample::Parsed;

type PResult<T> = std::result::Result<T, String>;
pub(super) type Hasher = foldhash::fast::FixedState;
type IndexMap = hashbrown::HashMap<u64, SmallVec<[u32; 1]>, Hasher>;

/// `group_timestamp > sample.timestamp`; `Timestamp` and `float` do not compare.
fn ts_gt(a: Timestamp, b: Timestamp) -> PResult<bool> {
    match (a, b) {
        (Timestamp::Exact { sec: s1, nsec: n1 }, Timestamp::Exact { sec: s2, nsec: n2 }) => {
            Ok(if s1 == s2 { n1 > n2 } else { s1 > s2 })
        }
        (Timestamp::Float(x), Timestamp::Float(y)) => Ok(x > y),
        _ => Err("Timestamps of different types cannot be compared".into()),
    }
}

/// `sample_name[len(name):]`, in characters.
fn char_suffix<'a>(sample_name: &'a str, name: &str) -> &'a str {
    if let Some(rest) = sample_name.strip_prefix(name) {
        return rest;
    }
    let n = name.chars().count();
    match sample_name.char_indices().nth(n) {
        Some((i, _)) => &sample_name[i..],
        None => "",
    }
}

/// The TYPE of the family being read: unset, one of the eight, or an unknown word
/// (rejected when the family ends, as `Metric()` does).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Typ {
    Unset,
    Known(MetricType),
    Other(String),
}

impl Typ {
    pub(super) fn from_word(s: &str) -> Typ {
        match s {
            "counter" => Typ::Known(MetricType::Counter),
            "gauge" => Typ::Known(MetricType::Gauge),
            "summary" => Typ::Known(MetricType::Summary),
            "histogram" => Typ::Known(MetricType::Histogram),
            "gaugehistogram" => Typ::Known(MetricType::GaugeHistogram),
            "unknown" => Typ::Known(MetricType::Unknown),
            "info" => Typ::Known(MetricType::Info),
            "stateset" => Typ::Known(MetricType::StateSet),
            other => Typ::Other(other.to_owned()),
        }
    }

    pub(super) fn is(&self, t: MetricType) -> bool {
        matches!(self, Typ::Known(x) if *x == t)
    }

    pub(super) fn is_histogram_like(&self) -> bool {
        self.is(MetricType::Histogram) || self.is(MetricType::GaugeHistogram)
    }

    /// `type_suffixes.get(typ, [''])`: the sample names a typed family accepts.
    fn allowed_suffixes(&self) -> &'static [&'static str] {
        match self {
            Typ::Known(MetricType::Counter) => &["_total", "_created"],
            Typ::Known(MetricType::Summary) => &["", "_count", "_sum", "_created"],
            Typ::Known(MetricType::Histogram) => &["_count", "_sum", "_bucket", "_created"],
            Typ::Known(MetricType::GaugeHistogram) => &["_gcount", "_gsum", "_bucket"],
            Typ::Known(MetricType::Info) => &["_info"],
            _ => &[""],
        }
    }
}

/// Per sample: the Python value (for `_check_histogram`'s exact comparisons) and whether
/// the labels are `None`.
#[derive(Debug, Clone, Copy)]
struct Meta {
    num: Option<Num>,
    labels_none: bool,
}

/// Which labels make up a sample's group (`_group_for_sample`).
#[derive(Clone, Copy)]
enum Excl<'a> {
    All,
    Without(&'a str),
    Nothing,
}

fn view<'a>(labels: &'a [(String, String)], excl: Excl<'a>) -> impl Iterator<Item = &'a (String, String)> + 'a {
    let (skip_all, without) = match excl {
        Excl::All => (false, None),
        Excl::Without(n) => (false, Some(n)),
        Excl::Nothing => (true, None),
    };
    labels.iter().filter(move |(k, _)| !skip_all && without != Some(k.as_str()))
}

/// Dict equality of two label views.
fn views_equal(a: &[(String, String)], ea: Excl<'_>, b: &[(String, String)], eb: Excl<'_>) -> bool {
    let na = view(a, ea).count();
    if na != view(b, eb).count() {
        return false;
    }
    if na <= 16 {
        return view(a, ea).all(|x| view(b, eb).any(|y| y == x));
    }
    let mut va: Vec<_> = view(a, ea).collect();
    let mut vb: Vec<_> = view(b, eb).collect();
    va.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    vb.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    va == vb
}

fn view_hash(h: &Hasher, labels: &[(String, String)], excl: Excl<'_>) -> u64 {
    view(labels, excl).fold(0u64, |acc, (k, v)| acc.wrapping_add(h.hash_one((k.as_str(), v.as_str()))))
}

/// The family being read.
pub(super) struct Family {
    pub(super) name: String,
    pub(super) help: Option<String>,
    pub(super) typ: Typ,
    pub(super) unit: Option<String>,
    /// `allowed_names` when it is one raw sample name (families a sample starts).
    allowed_exact: Option<String>,
    pub(super) samples: Vec<Sample>,
    meta: Vec<Meta>,
    /// The samples' kinds, when the parse records them.
    pub(super) kinds: Option<Vec<SampleKinds>>,
    /// Index of a sample of the current group (`group`), if any.
    group: Option<usize>,
    group_ts: Option<Timestamp>,
    /// `seen_groups`: group hash to representative samples.
    seen_groups: IndexMap,
    /// `group_timestamp_samples`: series hash to samples, for the current group.
    group_series: IndexMap,
}

impl Family {
    /// A family named `name`; `kinds` tells whether to record its samples' kinds.
    pub(super) fn new(name: String, typ: Typ, allowed_exact: Option<String>, kinds: bool) -> Self {
        Family {
            name,
            help: None,
            typ,
            unit: None,
            allowed_exact,
            samples: Vec::new(),
            meta: Vec::new(),
            kinds: kinds.then(Vec::new),
            group: None,
            group_ts: None,
            seen_groups: IndexMap::default(),
            group_series: IndexMap::default(),
        }
    }

    pub(super) fn allows(&self, sample_name: &str) -> bool {
        match &self.allowed_exact {
            Some(n) => n == sample_name,
            None => sample_name
                .strip_prefix(self.name.as_str())
                .is_some_and(|rest| self.typ.allowed_suffixes().contains(&rest)),
        }
    }

    fn is_name_plus(&self, sample_name: &str, suffix: &str) -> bool {
        sample_name.len() == self.name.len() + suffix.len()
            && sample_name.starts_with(self.name.as_str())
            && sample_name.ends_with(suffix)
    }

    /// `_group_for_sample(sample, name, typ)`.
    fn group_excl<'a>(&'a self, sample_name: &str) -> Excl<'a> {
        match &self.typ {
            Typ::Known(MetricType::Info) => Excl::Nothing,
            Typ::Known(MetricType::Summary) if sample_name == self.name => Excl::Without("quantile"),
            Typ::Known(MetricType::StateSet) => Excl::Without(self.name.as_str()),
            Typ::Known(MetricType::Histogram | MetricType::GaugeHistogram)
                if self.is_name_plus(sample_name, "_bucket") =>
            {
                Excl::Without("le")
            }
            _ => Excl::All,
        }
    }

    /// `_group_for_sample(s, name, 'histogram')` in `_check_histogram`.
    fn hist_excl(&self, sample_name: &str) -> Excl<'static> {
        if self.is_name_plus(sample_name, "_bucket") {
            Excl::Without("le")
        } else {
            Excl::All
        }
    }
}

#[derive(Default)]
struct HistState {
    count: Option<Num>,
    bucket: Option<f64>,
    value: Option<Num>,
    negative_buckets: bool,
    sum: bool,
    gsum: bool,
    negative_gsum: bool,
}

impl HistState {
    fn check(&self, name: &str) -> PResult<()> {
        if self.bucket != Some(f64::INFINITY) {
            return Err(format!("+Inf bucket missing: {name}"));
        }
        let value = self.value.unwrap_or(Num::Int(0));
        if let Some(count) = self.count {
            if !value.eq(count) {
                return Err(format!("Count does not match +Inf value: {name}"));
            }
        }
        if self.sum && self.count.is_none() {
            return Err(format!("_count must be present if _sum is present: {name}"));
        }
        if self.gsum && self.count.is_none() {
            return Err(format!("_gcount must be present if _gsum is present: {name}"));
        }
        if !(self.sum || self.gsum) && self.count.is_some() {
            return Err(format!("_sum/_gsum must be present if _count is present: {name}"));
        }
        if self.negative_buckets && self.sum {
            return Err(format!("Cannot have _sum with negative buckets: {name}"));
        }
        if !self.negative_buckets && self.negative_gsum {
            return Err(format!("Cannot have negative _gsum with non-negative buckets: {name}"));
        }
        Ok(())
    }
}

/// `_check_histogram(samples, name)`.
pub(super) fn check_histogram(f: &Family) -> PResult<()> {
    let name = f.name.as_str();
    let mut group: Option<usize> = None;
    let mut timestamp: Option<Timestamp> = None;
    let mut st = HistState::default();
    for (idx, (s, m)) in f.samples.iter().zip(&f.meta).enumerate() {
        let suffix = char_suffix(&s.name, name);
        let g = if m.labels_none { None } else { Some(idx) };
        if suffix.is_empty() {
            continue;
        }
        let same = match (g, group) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                let (sa, sb) = (&f.samples[a], &f.samples[b]);
                views_equal(&sa.labels, f.hist_excl(&sa.name), &sb.labels, f.hist_excl(&sb.name))
            }
            _ => false,
        };
        if !same || s.timestamp != timestamp {
            if group.is_some() {
                st.check(name)?;
            }
            st = HistState::default();
        }
        group = g;
        timestamp = s.timestamp;
        let num = m.num.ok_or_else(|| format!("native histogram sample with a suffix: {}", s.name));
        match suffix {
            "_bucket" => {
                let le = s.label("le").ok_or_else(|| format!("KeyError: 'le': {name}"))?;
                let b = py_float(le).ok_or_else(|| format!("could not convert string to float: {le}"))?;
                if b < 0.0 {
                    st.negative_buckets = true;
                }
                if st.bucket.is_some_and(|prev| b <= prev) {
                    return Err(format!("Buckets out of order: {name}"));
                }
                let v = num?;
                if v.lt(st.value.unwrap_or(Num::Int(0))) {
                    return Err(format!("Bucket values out of order: {name}"));
                }
                st.bucket = Some(b);
                st.value = Some(v);
            }
            "_count" | "_gcount" => st.count = Some(num?),
            "_sum" => st.sum = true,
            "_gsum" => {
                st.gsum = true;
                if num?.lt(Num::Int(0)) {
                    st.negative_gsum = true;
                }
            }
            _ => {}
        }
    }
    if group.is_some() {
        st.check(name)?;
    }
    Ok(())
}

/// What a sample's name says about its value (by suffix): a counter-like total or count,
/// a `_gsum`, or neither.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueRule {
    None,
    /// `_gsum`: not NaN.
    NotNan,
    /// `_total`, `_sum`, `_count`, `_bucket`, `_gcount`: neither NaN nor negative.
    CounterLike,
}

/// The per-sample checks of `text_fd_to_metric_families`, then the append. Errors point
/// at the part of `line` at fault.
pub(super) fn check_sample(
    fam: &mut Family,
    hasher: &Hasher,
    p: Parsed,
    is_nh: bool,
    line: &str,
) -> Result<(), LineError> {
    let quantile_sample = check_labels(fam, &p, line)?;
    let (value, at) = (p.value, p.at);
    let exemplar_present = p.exemplar.is_some();
    let rule = match char_suffix(&p.name, &fam.name) {
        "_total" | "_sum" | "_count" | "_bucket" | "_gcount" => ValueRule::CounterLike,
        "_gsum" => ValueRule::NotNan,
        _ => ValueRule::None,
    };
    let exemplar_ok = (fam.typ.is_histogram_like() && p.name.ends_with("_bucket"))
        || (fam.typ.is(MetricType::Counter) && p.name.ends_with("_total"));
    if is_nh {
        let kinds = p.kinds;
        fam.samples.push(Sample {
            name: p.name,
            labels: p.labels,
            value: f64::NAN,
            timestamp: p.timestamp,
            exemplar: p.exemplar,
            native_histogram: p.native,
        });
        fam.meta.push(Meta { num: None, labels_none: p.labels_none });
        if let Some(k) = &mut fam.kinds {
            k.push(kinds);
        }
    } else {
        add_to_group(fam, hasher, p, line)?;
    }
    check_value(&fam.typ, value, quantile_sample, rule, line).map_err(|m| LineError::at(at.value, m))?;
    if exemplar_present && !exemplar_ok {
        return Err(LineError::at(
            at.exemplar,
            format!("Invalid line only histogram/gaugehistogram buckets and counters can have exemplars: {line}"),
        ));
    }
    Ok(())
}

/// The checks on a sample's labels (and on the values of buckets and counts) before it
/// joins the family; returns whether it is a summary's quantile sample.
fn check_labels(fam: &Family, p: &Parsed, line: &str) -> Result<bool, LineError> {
    let name = fam.name.as_str();
    let at_labels = |msg: String| LineError::at(p.at.labels, msg);
    if fam.typ.is(MetricType::StateSet) && label(&p.labels, name).is_none() {
        return Err(at_labels(format!("Stateset missing label: {line}")));
    }
    if fam.is_name_plus(&p.name, "_bucket") {
        let ok = match label(&p.labels, "le") {
            None | Some("NaN") => false,
            Some(le) => match py_float(le) {
                None => return Err(at_labels(format!("could not convert string to float: {le}"))),
                Some(f) => !(f == f64::INFINITY && le != "+Inf"),
            },
        };
        if !ok {
            return Err(at_labels(format!("Invalid le label: {line}")));
        }
        if !p.value.is_some_and(Num::is_integer) {
            return Err(LineError::at(p.at.value, format!("Bucket value must be an integer: {line}")));
        }
    }
    if (fam.is_name_plus(&p.name, "_count") || fam.is_name_plus(&p.name, "_gcount"))
        && !p.value.is_some_and(Num::is_integer)
    {
        return Err(LineError::at(p.at.value, format!("Count value must be an integer: {line}")));
    }
    let quantile_sample = fam.typ.is(MetricType::Summary) && p.name == name;
    if quantile_sample {
        let q = match label(&p.labels, "quantile") {
            None => -1.0,
            Some(q) => py_float(q).ok_or_else(|| at_labels(format!("could not convert string to float: {q}")))?,
        };
        if !(0.0..=1.0).contains(&q) {
            return Err(at_labels(format!("Invalid quantile label: {line}")));
        }
    }
    Ok(quantile_sample)
}

/// The grouping checks for a sample with a plain value, then its append (unless it
/// repeats a series of its group at the same timestamp).
fn add_to_group(fam: &mut Family, hasher: &Hasher, p: Parsed, line: &str) -> Result<(), LineError> {
    let excl = fam.group_excl(&p.name);
    let ghash = view_hash(hasher, &p.labels, excl);
    let same_group = match fam.group {
        Some(gi) => {
            let rep = &fam.samples[gi];
            views_equal(&p.labels, excl, &rep.labels, fam.group_excl(&rep.name))
        }
        None => false,
    };
    if fam.group.is_some() && !same_group {
        let seen = fam.seen_groups.get(&ghash).is_some_and(|v| {
            v.iter().any(|&i| {
                let s = &fam.samples[i as usize];
                views_equal(&p.labels, excl, &s.labels, fam.group_excl(&s.name))
            })
        });
        if seen {
            return Err(LineError::at(p.at.labels, format!("Invalid metric grouping: {line}")));
        }
    }
    if same_group {
        check_group_timestamp(fam, p.timestamp, line).map_err(|m| LineError::at(p.at.timestamp, m))?;
    } else if fam.group_series.capacity() > 64 {
        // A big table is dropped rather than cleared: clearing costs its capacity.
        fam.group_series = IndexMap::default();
    } else {
        fam.group_series.clear();
    }
    let shash = view_hash(hasher, &p.labels, Excl::All).wrapping_add(hasher.hash_one(p.name.as_str()).rotate_left(17));
    let present = fam.group_series.get(&shash).is_some_and(|v| {
        v.iter().any(|&i| {
            let s = &fam.samples[i as usize];
            s.name == p.name && views_equal(&p.labels, Excl::All, &s.labels, Excl::All)
        })
    });
    let new_idx = fam.samples.len();
    let idx32 = u32::try_from(new_idx).map_err(|_| LineError::whole("too many samples in one family"))?;
    let timestamp = p.timestamp;
    if timestamp != fam.group_ts || !present {
        fam.samples.push(Sample {
            name: p.name,
            labels: p.labels,
            value: p.value.map_or(f64::NAN, Num::f64),
            timestamp,
            exemplar: p.exemplar,
            native_histogram: None,
        });
        fam.meta.push(Meta { num: p.value, labels_none: false });
        if let Some(k) = &mut fam.kinds {
            k.push(p.kinds);
        }
        if !present {
            fam.group_series.entry(shash).or_default().push(idx32);
        }
    }
    if !same_group {
        // A new group: its first sample was just appended (the series set was reset).
        fam.group = Some(new_idx);
        fam.seen_groups.entry(ghash).or_default().push(idx32);
    }
    fam.group_ts = timestamp;
    Ok(())
}

/// Within a group, timestamps are all present or all absent, and do not go backwards
/// (except in an info family).
fn check_group_timestamp(fam: &Family, ts: Option<Timestamp>, line: &str) -> PResult<()> {
    if ts.is_none() != fam.group_ts.is_none() {
        return Err(format!("Mix of timestamp presence within a group: {line}"));
    }
    if let (Some(gts), Some(ts)) = (fam.group_ts, ts) {
        if ts_gt(gts, ts)? && !fam.typ.is(MetricType::Info) {
            return Err(format!("Timestamps went backwards within a group: {line}"));
        }
    }
    Ok(())
}

/// The checks on a sample's value that its family's type and its name's suffix make.
fn check_value(typ: &Typ, value: Option<Num>, quantile_sample: bool, rule: ValueRule, line: &str) -> PResult<()> {
    if typ.is(MetricType::StateSet) && !value.is_some_and(|v| v.eq(Num::Int(0)) || v.eq(Num::Int(1))) {
        return Err(format!("Stateset samples can only have values zero and one: {line}"));
    }
    if typ.is(MetricType::Info) && !value.is_some_and(|v| v.eq(Num::Int(1))) {
        return Err(format!("Info samples can only have value one: {line}"));
    }
    if quantile_sample && value.is_some_and(|v| v.lt(Num::Int(0))) {
        return Err(format!("Quantile values cannot be negative: {line}"));
    }
    if rule != ValueRule::None {
        let Some(v) = value else {
            return Err(format!("must be real number, not NoneType: {line}"));
        };
        if v.is_nan() {
            return Err(format!("Counter-like samples cannot be NaN: {line}"));
        }
        if v.too_large_for_float() {
            return Err(format!("int too large to convert to float: {line}"));
        }
        if rule == ValueRule::CounterLike && v.lt(Num::Int(0)) {
            return Err(format!("Counter-like samples cannot be negative: {line}"));
        }
    }
    Ok(())
}
