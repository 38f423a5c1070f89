//! What a scrape makes of a directory of multi-process files, and compaction's folding.
//!
//! [`merge`] follows prometheus_client 0.26's `MultiProcessCollector.merge` rule for rule:
//!
//! * the metric type comes from the file name (`counter_12.db` holds counters;
//!   `gauge_livesum_12.db` gauges in `livesum` mode, and its samples get a `pid` label);
//! * counters, summaries, histogram sums and `sum` / `livesum` gauges add up across files;
//!   `min`, `max` and `mostrecent` gauges (and their `live` forms) keep one value, dropping
//!   `pid`; `all` / `liveall` gauges keep one series per process;
//! * histogram buckets are stored per bucket and made cumulative here (with a `_count`),
//!   unless `accumulate` is off;
//! * families, series and samples come out in the order prometheus_client produces them
//!   (first appearance, grouped by label set), so one file per type gives byte-identical
//!   expositions.
//!
//! One deliberate difference: sums are exactly rounded ([`ExactSum`]) where
//! prometheus_client adds in directory order. The two agree whenever its additions are
//! exact (counts, integers), and otherwise fastprom's total does not depend on the order
//! in which the directory lists its files, which prometheus_client's does.
//!
//! A file that cannot be read contributes nothing and is reported in
//! [`MergeOutput::skipped`]; the rest are merged.

use std::sync::Arc;

use indexmap::{IndexMap as OrderedMap, IndexSet as OrderedSet};
use smallvec::SmallVec;

use super::format::{for_each_raw_entry, padded_key_len, FormatError};
use super::fsum::ExactSum;
use super::key::{BorrowedKey, ParsedKey};
use crate::floatfmt::go_float;

type Hasher = foldhash::fast::RandomState;
type HashMap<K, V> = hashbrown::HashMap<K, V, Hasher>;
type IndexMap<K, V> = OrderedMap<K, V, Hasher>;
type IndexSet<K> = OrderedSet<K, Hasher>;

/// One file to merge: its base name (which says the type) and its bytes (at least up to
/// its header's `used`).
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// The file's name without its directory, e.g. `gauge_livesum_12.db`.
    pub name: &'a str,
    /// Its contents.
    pub data: &'a [u8],
}

/// The metric types prometheus_client accepts for a family.
const TYPES: [&str; 8] = ["counter", "gauge", "summary", "histogram", "gaugehistogram", "unknown", "info", "stateset"];

/// What a file's name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKind {
    /// The metric type (the part before the first `_`).
    pub typ: String,
    /// For gauges, the multiprocess mode (the second part).
    pub mode: Option<String>,
    /// For gauges, the process identifier (the third part, less its last three characters,
    /// `.db`).
    pub pid: Option<String>,
}

impl FileKind {
    /// Reads a file name as prometheus_client does (`name.split('_')`).
    pub fn parse(name: &str) -> Result<Self, FormatError> {
        let bad = || FormatError::Name { name: name.to_owned() };
        let mut parts = name.split('_');
        let typ = parts.next().unwrap_or_default();
        if !TYPES.contains(&typ) {
            return Err(bad());
        }
        if typ != "gauge" {
            return Ok(Self { typ: typ.to_owned(), mode: None, pid: None });
        }
        let mode = parts.next().ok_or_else(bad)?;
        let third = parts.next().ok_or_else(bad)?;
        let keep = third.chars().count().saturating_sub(3);
        let pid: String = third.chars().take(keep).collect();
        Ok(Self { typ: typ.to_owned(), mode: Some(mode.to_owned()), pid: Some(pid) })
    }
}

/// A string shared between samples (label names and values repeat across a merge).
pub type Shared = Arc<str>;

/// One merged sample.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedSample {
    /// Sample name.
    pub name: Shared,
    /// Labels, in exposition order.
    pub labels: Arc<[(Shared, Shared)]>,
    /// Value.
    pub value: f64,
}

/// One merged family.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedFamily {
    /// Family name.
    pub name: String,
    /// Help text.
    pub help: String,
    /// Type, as prometheus_client names it (`counter`, `gauge`, ...).
    pub typ: String,
    /// Samples.
    pub samples: Vec<MergedSample>,
}

/// The result of [`merge`].
#[derive(Debug, Clone, Default)]
pub struct MergeOutput {
    /// The families, in prometheus_client's order.
    pub families: Vec<MergedFamily>,
    /// Files left out: their index in the input and why.
    pub skipped: Vec<(usize, FormatError)>,
}

/// One value read from a file.
struct Raw {
    key: u32,
    /// Interned process identifier, for values from gauge files.
    pid: Option<u32>,
    value: f64,
    timestamp: f64,
}

struct MetricAcc {
    help: Shared,
    typ: String,
    mode: Option<String>,
    raws: Vec<Raw>,
}

type LabelSet = Arc<[(Shared, Shared)]>;

/// Strings and label sets, each stored once and referred to by index.
#[derive(Default)]
struct Interner {
    strs: IndexSet<Shared>,
    label_sets: IndexSet<LabelSet>,
}

impl Interner {
    fn str(&mut self, s: &str) -> Shared {
        match self.strs.get(s) {
            Some(v) => v.clone(),
            None => {
                let v: Shared = Arc::from(s);
                self.strs.insert(v.clone());
                v
            }
        }
    }

    fn labels(&mut self, set: Vec<(Shared, Shared)>) -> u32 {
        let set: LabelSet = set.into();
        self.label_sets.insert_full(set).0 as u32
    }

    fn set(&self, id: u32) -> &LabelSet {
        &self.label_sets[id as usize]
    }
}

/// A key, parsed and interned.
struct Key {
    metric_name: Shared,
    help: Shared,
    name: Shared,
    labels: u32,
}

/// Reads every file's entries, checking each file whole before taking anything from it.
struct Reader<'a> {
    key_ids: HashMap<&'a [u8], u32>,
    /// Each key's bytes, by id.
    key_bytes: Vec<&'a [u8]>,
    /// The key ids of the last file read, in entry order: workers of one program write
    /// the same keys in the same order, so the next file's i-th key is most likely the
    /// same, recognised by comparing bytes (no hashing, no UTF-8 check).
    last_order: Vec<u32>,
    keys: Vec<Key>,
    parsed: Vec<ParsedKey>,
    interner: Interner,
    pids: IndexSet<String>,
    metrics: IndexMap<Shared, MetricAcc>,
    skipped: Vec<(usize, FormatError)>,
    /// Keep the parsed keys (compaction re-encodes them).
    keep_parsed: bool,
}

impl<'a> Reader<'a> {
    fn new(keep_parsed: bool) -> Self {
        Self {
            key_ids: Default::default(),
            key_bytes: Vec::new(),
            last_order: Vec::new(),
            keys: Vec::new(),
            parsed: Vec::new(),
            interner: Interner::default(),
            pids: Default::default(),
            metrics: Default::default(),
            skipped: Vec::new(),
            keep_parsed,
        }
    }

    fn key_id(&mut self, raw: &'a [u8], offset: usize) -> Result<u32, FormatError> {
        if let Some(id) = self.key_ids.get(raw) {
            return Ok(*id);
        }
        let key = std::str::from_utf8(raw).map_err(|_| FormatError::Utf8 { offset })?;
        let b = BorrowedKey::parse(key, offset)?;
        let labels: Vec<(Shared, Shared)> =
            b.2.iter().map(|(k, v)| (self.interner.str(k), self.interner.str(v))).collect();
        let k = Key {
            metric_name: self.interner.str(&b.0),
            help: self.interner.str(&b.3),
            name: self.interner.str(&b.1),
            labels: self.interner.labels(labels),
        };
        let id = self.keys.len() as u32;
        self.keys.push(k);
        self.key_bytes.push(raw);
        if self.keep_parsed {
            self.parsed.push(ParsedKey {
                metric_name: b.0.into_owned(),
                name: b.1.into_owned(),
                labels: b.2.into_iter().map(|(a, c)| (a.into_owned(), c.into_owned())).collect(),
                help: b.3.into_owned(),
            });
        }
        self.key_ids.insert(raw, id);
        Ok(id)
    }

    /// The file's entries as (key id, value, timestamp), or why it cannot be used.
    fn read_file(&mut self, file: &FileInput<'a>) -> Result<Vec<(u32, f64, f64)>, FormatError> {
        let mut entries = Vec::with_capacity(self.last_order.len());
        for_each_raw_entry(file.data, |key, value, timestamp, pos| entries.push((key, value, timestamp, pos)))?;
        let mut out = Vec::with_capacity(entries.len());
        let mut order = Vec::with_capacity(entries.len());
        for (i, (key, value, timestamp, pos)) in entries.into_iter().enumerate() {
            let guess = self.last_order.get(i).copied().filter(|g| self.key_bytes[*g as usize] == key);
            let id = match guess {
                Some(g) => g,
                None => self.key_id(key, pos - padded_key_len(key.len()) - 4)?,
            };
            order.push(id);
            out.push((id, value, timestamp));
        }
        self.last_order = order;
        Ok(out)
    }

    fn add(&mut self, index: usize, file: &FileInput<'a>) {
        let entries = match self.read_file(file) {
            Ok(e) => e,
            Err(e) => return self.skipped.push((index, e)),
        };
        if entries.is_empty() {
            return;
        }
        let kind = match FileKind::parse(file.name) {
            Ok(k) => k,
            Err(e) => return self.skipped.push((index, e)),
        };
        let pid = kind.pid.as_ref().map(|p| self.pids.insert_full(p.clone()).0 as u32);
        let mut last: Option<(Shared, usize)> = None;
        for (key, value, timestamp) in entries {
            let k = &self.keys[key as usize];
            // Consecutive entries mostly belong to one metric.
            let index = match &last {
                Some((name, i)) if Arc::ptr_eq(name, &k.metric_name) => *i,
                _ => {
                    let i = match self.metrics.get_index_of(&k.metric_name) {
                        Some(i) => i,
                        None => {
                            let acc =
                                MetricAcc { help: k.help.clone(), typ: kind.typ.clone(), mode: None, raws: Vec::new() };
                            self.metrics.insert_full(k.metric_name.clone(), acc).0
                        }
                    };
                    last = Some((k.metric_name.clone(), i));
                    i
                }
            };
            let metric = &mut self.metrics[index];
            if kind.mode.is_some() && metric.mode != kind.mode {
                metric.mode.clone_from(&kind.mode);
            }
            metric.raws.push(Raw { key, pid, value, timestamp });
        }
    }
}

/// How a gauge's values combine across processes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Combine {
    Min,
    Max,
    Sum,
    MostRecent,
    All,
}

fn combine(mode: Option<&str>) -> Combine {
    match mode.unwrap_or("") {
        "min" | "livemin" => Combine::Min,
        "max" | "livemax" => Combine::Max,
        "sum" | "livesum" => Combine::Sum,
        "mostrecent" | "livemostrecent" => Combine::MostRecent,
        _ => Combine::All,
    }
}

/// A sample being merged: an exact sum, or a single value.
struct Acc {
    sum: ExactSum,
    value: f64,
    summed: bool,
}

impl Acc {
    fn sum() -> Self {
        Self { sum: ExactSum::new(), value: 0.0, summed: true }
    }
    fn one(v: f64) -> Self {
        Self { sum: ExactSum::new(), value: v, summed: false }
    }
    fn get(&self) -> f64 {
        if self.summed {
            self.sum.value()
        } else {
            self.value
        }
    }
}

/// Where the values of one key (from one process, for gauges) land.
#[derive(Clone, Copy)]
enum Target {
    /// A bucket: its group (label set without `le`) and bound, by index.
    Bucket(usize, usize),
    /// A sample slot in a group, by index (sums, min, max, all).
    Slot(usize, usize),
    /// A most-recent gauge: its slot appears only once a value with a timestamp comes.
    Recent(u32, u32),
}

/// Merges one metric's values into its samples.
fn merge_metric(
    name: &str,
    m: &MetricAcc,
    keys: &[Key],
    interner: &mut Interner,
    pids: &IndexSet<String>,
    accumulate: bool,
) -> Vec<MergedSample> {
    let gauge = m.typ == "gauge";
    let histogram = m.typ == "histogram";
    let how = combine(m.mode.as_deref());
    let strip_pid = gauge && how != Combine::All;

    // Targets of values without a pid, by key id; of gauge values, by (key, pid).
    let mut by_key: Vec<Option<Target>> = vec![None; keys.len()];
    let mut by_key_pid: HashMap<(u32, u32), Target> = Default::default();
    // Label set -> (sample name, label set) -> accumulator: prometheus_client groups its
    // samples by label set, in first-appearance order.
    let mut groups: IndexMap<u32, IndexMap<(Shared, u32), Acc>> = Default::default();
    let mut stamps: HashMap<(u32, Shared), f64> = Default::default();
    let mut buckets: IndexMap<u32, Vec<(f64, ExactSum)>> = Default::default();
    let mut without_le: HashMap<u32, u32> = Default::default();
    let pid_name = interner.str("pid");

    for raw in &m.raws {
        let cached = match raw.pid {
            None => by_key[raw.key as usize],
            Some(p) => by_key_pid.get(&(raw.key, p)).copied(),
        };
        let target = match cached {
            Some(t) => t,
            None => {
                let k = &keys[raw.key as usize];
                let mut labels = k.labels;
                if raw.pid.is_some() || strip_pid {
                    let mut set: Vec<(Shared, Shared)> = interner.set(labels).to_vec();
                    if let Some(p) = raw.pid {
                        let pid = interner.str(&pids[p as usize]);
                        // As a Python dict: a `pid` label of the series' own keeps its place
                        // and takes the process's value.
                        match set.iter_mut().find(|(k, _)| **k == *"pid") {
                            Some(slot) => slot.1 = pid,
                            None => set.push((pid_name.clone(), pid)),
                        }
                    }
                    if strip_pid {
                        set.retain(|(k, _)| **k != *"pid");
                    }
                    labels = interner.labels(set);
                }
                let bound = if histogram {
                    interner.set(labels).iter().find(|(k, _)| &**k == "le").and_then(|(_, v)| parse_bound(v))
                } else {
                    None
                };
                let t = if let Some(bound) = bound {
                    let without = match without_le.get(&labels) {
                        Some(w) => *w,
                        None => {
                            let rest: Vec<(Shared, Shared)> =
                                interner.set(labels).iter().filter(|(k, _)| &**k != "le").cloned().collect();
                            let w = interner.labels(rest);
                            without_le.insert(labels, w);
                            w
                        }
                    };
                    let bound: f64 = if bound == 0.0 { 0.0 } else { bound };
                    let entry = buckets.entry(without);
                    let gi = entry.index();
                    let list = entry.or_default();
                    let bi = match list.iter().position(|(b, _)| b.to_bits() == bound.to_bits()) {
                        Some(i) => i,
                        None => {
                            list.push((bound, ExactSum::new()));
                            list.len() - 1
                        }
                    };
                    Target::Bucket(gi, bi)
                } else if gauge && how == Combine::MostRecent {
                    Target::Recent(labels, raw.key)
                } else {
                    let slot = (k.name.clone(), labels);
                    let group = groups.entry(labels);
                    let gi = group.index();
                    let g = group.or_default();
                    let fresh = match how {
                        Combine::Min | Combine::Max | Combine::All if gauge => Acc::one(raw.value),
                        _ => Acc::sum(),
                    };
                    let e = g.entry(slot);
                    let si = e.index();
                    e.or_insert(fresh);
                    Target::Slot(gi, si)
                };
                match raw.pid {
                    None => by_key[raw.key as usize] = Some(t),
                    Some(p) => {
                        by_key_pid.insert((raw.key, p), t);
                    }
                }
                t
            }
        };
        let v = raw.value;
        match target {
            Target::Bucket(gi, bi) => buckets[gi][bi].1.add(v),
            Target::Slot(gi, si) => {
                let acc = &mut groups[gi][si];
                match (gauge, how) {
                    (true, Combine::Min) => {
                        if v < acc.value {
                            acc.value = v;
                        }
                    }
                    (true, Combine::Max) => {
                        if v > acc.value {
                            acc.value = v;
                        }
                    }
                    (true, Combine::All) => acc.value = v,
                    _ => acc.sum.add(v),
                }
            }
            Target::Recent(labels, key) => {
                let name = keys[key as usize].name.clone();
                let seen = stamps.entry((labels, name.clone())).or_insert(0.0);
                if *seen < raw.timestamp {
                    *seen = raw.timestamp;
                    groups.entry(labels).or_default().insert((name, labels), Acc::one(v));
                }
            }
        }
    }

    if histogram {
        let bucket_name = interner.str(&format!("{name}_bucket"));
        let count_name = interner.str(&format!("{name}_count"));
        let le = interner.str("le");
        let mut bound_text: HashMap<u64, Shared> = Default::default();
        for (without, mut list) in buckets {
            list.sort_by(|a, b| a.0.total_cmp(&b.0));
            let base = interner.set(without).clone();
            let mut acc = 0.0;
            let mut made = Vec::with_capacity(list.len() + 1);
            for (bound, sum) in list {
                let text = bound_text.entry(bound.to_bits()).or_insert_with(|| Arc::from(go_float(bound))).clone();
                let mut labels = Vec::with_capacity(base.len() + 1);
                labels.extend(base.iter().cloned());
                labels.push((le.clone(), text));
                let labels = interner.labels(labels);
                let v = sum.value();
                let value = if accumulate {
                    acc += v;
                    acc
                } else {
                    v
                };
                made.push(((bucket_name.clone(), labels), Acc::one(value)));
            }
            if accumulate {
                made.push(((count_name.clone(), without), Acc::one(acc)));
            }
            let group = groups.entry(without).or_default();
            for (slot, a) in made {
                group.insert(slot, a);
            }
        }
    }

    let total = groups.values().map(|g| g.len()).sum();
    let mut out = Vec::with_capacity(total);
    for g in groups.into_values() {
        for ((n, l), acc) in g {
            out.push(MergedSample { name: n, labels: interner.set(l).clone(), value: acc.get() });
        }
    }
    out
}

/// `float(le)` as Python reads a bucket bound (`+Inf`, `1e3`, `0.5`, surrounding spaces).
fn parse_bound(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if matches!(body, "inf" | "infinity" | "nan") {
        let v = if body == "nan" { f64::NAN } else { f64::INFINITY };
        return Some(if lower.starts_with('-') { -v } else { v });
    }
    t.replace('_', "").parse().ok()
}

/// Merges files as prometheus_client's `MultiProcessCollector.merge(files, accumulate)`
/// does, in the order given.
pub fn merge(files: &[FileInput<'_>], accumulate: bool) -> MergeOutput {
    let mut reader = Reader::new(false);
    for (i, f) in files.iter().enumerate() {
        reader.add(i, f);
    }
    let Reader { keys, mut interner, pids, metrics, skipped, .. } = reader;
    let families = metrics
        .iter()
        .map(|(name, m)| MergedFamily {
            name: name.to_string(),
            help: m.help.to_string(),
            typ: m.typ.clone(),
            samples: merge_metric(name, m, &keys, &mut interner, &pids, accumulate),
        })
        .collect();
    MergeOutput { families, skipped }
}

/// One key of folded files and the exact sum of its values, as partials (see
/// [`ExactSum::partials`]), largest magnitude first; at least one.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    /// The key, in prometheus_client's form.
    pub key: String,
    /// Values whose exact sum is the sum of the folded values.
    pub partials: SmallVec<[f64; 2]>,
}

/// Folds files of one type (counters, histograms or summaries) into one set of keys: each
/// key's values summed exactly, in first-appearance order. Written back as one file per
/// partial (most keys need one), they leave every total a fastprom scrape computes
/// unchanged. Returns the folded keys and the files left out (unreadable).
pub fn fold(files: &[FileInput<'_>]) -> (Vec<Folded>, Vec<(usize, FormatError)>) {
    let mut reader = Reader::new(true);
    let mut sums: IndexMap<u32, ExactSum> = Default::default();
    let mut skipped = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match reader.read_file(f) {
            Ok(entries) => {
                for (key, value, _) in entries {
                    sums.entry(key).or_default().add(value);
                }
            }
            Err(e) => skipped.push((i, e)),
        }
    }
    // Keys written differently but equal once parsed fold together.
    let mut by_key: IndexMap<String, ExactSum> = Default::default();
    for (key, sum) in sums {
        let canonical = reader.parsed[key as usize].encode();
        let total = by_key.entry(canonical).or_default();
        if sum.value().is_finite() {
            sum.partials().iter().for_each(|p| total.add(*p));
        } else {
            total.add(sum.value());
        }
    }
    let folded = by_key
        .into_iter()
        .map(|(key, sum)| {
            let v = sum.value();
            let mut partials: SmallVec<[f64; 2]> =
                if v.is_finite() { sum.partials().iter().rev().copied().collect() } else { SmallVec::from_slice(&[v]) };
            if partials.is_empty() {
                partials.push(0.0);
            }
            Folded { key, partials }
        })
        .collect();
    (folded, skipped)
}

#[cfg(test)]
mod tests {
    use super::super::format::encode_file;
    use super::super::key::encode_key;
    use super::*;

    struct File {
        name: String,
        data: Vec<u8>,
    }

    fn file(name: &str, values: &[(String, f64, f64)]) -> File {
        File { name: name.to_owned(), data: encode_file(values) }
    }

    fn inputs(files: &[File]) -> Vec<FileInput<'_>> {
        files.iter().map(|f| FileInput { name: &f.name, data: &f.data }).collect()
    }

    fn samples(f: &MergedFamily) -> Vec<(String, Vec<(String, String)>, f64)> {
        f.samples
            .iter()
            .map(|s| {
                (s.name.to_string(), s.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), s.value)
            })
            .collect()
    }

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn counters_add_up_across_processes() {
        let k = encode_key("c", "c_total", &[("a", "x")], "C.");
        let files = [file("counter_1.db", &[(k.clone(), 1.0, 0.0)]), file("counter_2.db", &[(k, 2.5, 0.0)])];
        let out = merge(&inputs(&files), true);
        assert!(out.skipped.is_empty());
        assert_eq!(out.families.len(), 1);
        let f = &out.families[0];
        assert_eq!((f.name.as_str(), f.help.as_str(), f.typ.as_str()), ("c", "C.", "counter"));
        assert_eq!(samples(f), vec![("c_total".into(), l(&[("a", "x")]), 3.5)]);
    }

    #[test]
    fn gauge_modes() {
        let k = encode_key("g", "g", &[], "G.");
        let merged = |mode: &str, vals: &[(f64, f64)]| {
            let files: Vec<File> = vals
                .iter()
                .enumerate()
                .map(|(i, (v, t))| file(&format!("gauge_{mode}_{}.db", i + 1), &[(k.clone(), *v, *t)]))
                .collect();
            samples(&merge(&inputs(&files), true).families[0])
        };
        let vals = [(3.0, 5.0), (1.0, 7.0), (2.0, 6.0)];
        assert_eq!(merged("min", &vals), vec![("g".into(), l(&[]), 1.0)]);
        assert_eq!(merged("livemax", &vals), vec![("g".into(), l(&[]), 3.0)]);
        assert_eq!(merged("sum", &vals), vec![("g".into(), l(&[]), 6.0)]);
        assert_eq!(merged("mostrecent", &vals), vec![("g".into(), l(&[]), 1.0)]);
        assert_eq!(
            merged("all", &vals),
            vec![
                ("g".into(), l(&[("pid", "1")]), 3.0),
                ("g".into(), l(&[("pid", "2")]), 1.0),
                ("g".into(), l(&[("pid", "3")]), 2.0)
            ]
        );
        // A most-recent value never set with a timestamp is left out.
        assert!(merged("livemostrecent", &[(4.0, 0.0)]).is_empty());
    }

    #[test]
    fn histograms_accumulate_or_not() {
        let sum = encode_key("h", "h_sum", &[], "H.");
        let b = |le: &str| encode_key("h", "h_bucket", &[("le", le)], "H.");
        let one = vec![(sum.clone(), 1.5, 0.0), (b("1.0"), 1.0, 0.0), (b("+Inf"), 1.0, 0.0)];
        let two = vec![(sum, 0.5, 0.0), (b("1.0"), 1.0, 0.0), (b("+Inf"), 0.0, 0.0)];
        let files = [file("histogram_1.db", &one), file("histogram_2.db", &two)];
        let out = merge(&inputs(&files), true);
        assert_eq!(
            samples(&out.families[0]),
            vec![
                ("h_sum".into(), l(&[]), 2.0),
                ("h_bucket".into(), l(&[("le", "1.0")]), 2.0),
                ("h_bucket".into(), l(&[("le", "+Inf")]), 3.0),
                ("h_count".into(), l(&[]), 3.0),
            ]
        );
        let raw = merge(&inputs(&files), false);
        assert_eq!(
            samples(&raw.families[0]),
            vec![
                ("h_sum".into(), l(&[]), 2.0),
                ("h_bucket".into(), l(&[("le", "1.0")]), 2.0),
                ("h_bucket".into(), l(&[("le", "+Inf")]), 1.0),
            ]
        );
    }

    #[test]
    fn a_bad_file_is_skipped_and_the_rest_merged() {
        let k = encode_key("c", "c_total", &[], "C.");
        let mut broken = file("counter_2.db", &[(k.clone(), 5.0, 0.0)]);
        broken.data.truncate(20);
        let files = [
            file("counter_1.db", &[(k.clone(), 1.0, 0.0)]),
            broken,
            file("bogus_3.db", &[(k.clone(), 1.0, 0.0)]),
            file("counter_4.db", &[("[not json".into(), 1.0, 0.0)]),
        ];
        let out = merge(&inputs(&files), true);
        assert_eq!(out.skipped.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(samples(&out.families[0]), vec![("c_total".into(), l(&[]), 1.0)]);
    }

    #[test]
    fn folding_keeps_every_total() {
        let k = encode_key("c", "c_total", &[], "C.");
        let h = encode_key("c", "c_total", &[("x", "1")], "C.");
        let dead: Vec<File> = (0..7)
            .map(|i| file(&format!("counter_{i}.db"), &[(k.clone(), 0.1 * (i + 1) as f64, 0.0), (h.clone(), 1.0, 0.0)]))
            .collect();
        let live = file("counter_99.db", &[(k.clone(), 0.7, 0.0)]);
        let mut all: Vec<&File> = dead.iter().collect();
        all.push(&live);
        let before: Vec<FileInput<'_>> = all.iter().map(|f| FileInput { name: &f.name, data: &f.data }).collect();
        let before = merge(&before, true);

        let (folded, skipped) = fold(&inputs(&dead));
        assert!(skipped.is_empty());
        assert_eq!(folded.len(), 2);
        assert_eq!(folded[1].partials.as_slice(), &[7.0]);
        let depth = folded.iter().map(|f| f.partials.len()).max().unwrap();
        let mut after: Vec<File> = (0..depth)
            .map(|i| {
                let vals: Vec<(String, f64, f64)> =
                    folded.iter().filter_map(|f| f.partials.get(i).map(|p| (f.key.clone(), *p, 0.0))).collect();
                file(&format!("counter_compacted{i}.db"), &vals)
            })
            .collect();
        after.push(live);
        let after = merge(&inputs(&after), true);
        let bits = |o: &MergeOutput| {
            let mut v: Vec<(String, Vec<(String, String)>, u64)> =
                samples(&o.families[0]).into_iter().map(|(n, l, v)| (n, l, v.to_bits())).collect();
            v.sort();
            v
        };
        assert_eq!(bits(&before), bits(&after));
    }

    #[test]
    fn file_names() {
        let k = FileKind::parse("gauge_livesum_123.db").unwrap();
        assert_eq!((k.typ.as_str(), k.mode.as_deref(), k.pid.as_deref()), ("gauge", Some("livesum"), Some("123")));
        assert_eq!(FileKind::parse("histogram_compacted.db").unwrap().typ, "histogram");
        assert!(FileKind::parse("gauge_all.db").is_err());
        assert!(FileKind::parse("nothing.db").is_err());
    }

    #[test]
    fn bounds_parse_as_python_floats() {
        assert_eq!(parse_bound("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_bound("0.005"), Some(0.005));
        assert_eq!(parse_bound(" 1e3 "), Some(1000.0));
        assert_eq!(parse_bound("x"), None);
    }
}
