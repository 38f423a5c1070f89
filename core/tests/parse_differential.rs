#![allow(clippy::unwrap_used)]
//! Differential tests of the Prometheus text format parser against prometheus_client 0.26.0.
//!
//! Every input goes through `tools/parse_dump.py --text` (prometheus_client's
//! `text_string_to_metric_families`, dumped in `fastprom::parse::canonical`'s format) and
//! through `parse_str(.., Mode::Lenient, ..)`; the dumps must be equal, and when Python raises
//! fastprom must return an error. Corpora:
//!
//! 1. every text-format golden file (`tests/golden/*.text-*.txt`, prometheus_client's output);
//! 2. generated registries encoded with `encode_text` under every escaping scheme, mutated
//!    copies of them, and hand-written edge cases;
//! 3. the output of a real exporter, Debian's `prometheus-node-exporter`, fetched over HTTP.
//!
//! Each input is also checked against the streaming parser (same families, same error
//! line) and strict mode (whatever strict accepts, lenient accepts with the same samples).
//! Strict-mode cases that lenient accepts and strict rejects are checked with their line.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fastprom::expose::encode_text;
use fastprom::names::ValidationScheme;
use fastprom::parse::canonical;
use fastprom::parse::text::{parse_reader, parse_str, Mode};
use fastprom::{Collector, Error, EscapingScheme, MetricFamily, MetricType, Sample, Timestamp};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    manifest_dir().join("../.venv/bin/python")
}

fn dump_script() -> PathBuf {
    manifest_dir().join("../tools/parse_dump.py")
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("fastprom-parse-diff-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// prometheus_client's dump of each file, in order.
fn py_dumps(files: &[PathBuf]) -> Vec<String> {
    py_dumps_with(files, false)
}

/// Same, with `PROMETHEUS_LEGACY_NAME_VALIDATION` set to `legacy`.
fn py_dumps_with(files: &[PathBuf], legacy: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(files.len());
    for chunk in files.chunks(200) {
        let mut cmd = Command::new(python());
        cmd.arg(dump_script()).arg("--text").args(chunk);
        if legacy {
            cmd.env("PROMETHEUS_LEGACY_NAME_VALIDATION", "true");
        } else {
            cmd.env_remove("PROMETHEUS_LEGACY_NAME_VALIDATION");
        }
        let o = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", python().display()));
        assert!(o.status.success(), "parse_dump.py failed: {}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8(o.stdout).unwrap();
        if chunk.len() == 1 {
            out.push(text);
            continue;
        }
        let mut cur: Option<String> = None;
        for line in text.split_inclusive('\n') {
            if line.starts_with("### FILE ") {
                if let Some(c) = cur.take() {
                    out.push(c);
                }
                cur = Some(String::new());
            } else {
                cur.as_mut().expect("dump before the first header").push_str(line);
            }
        }
        out.extend(cur);
    }
    assert_eq!(out.len(), files.len());
    out
}

fn flat_samples(fams: &[MetricFamily]) -> Vec<&Sample> {
    fams.iter().flat_map(|f| f.samples.iter()).collect()
}

fn same_samples(a: &[&Sample], b: &[&Sample]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && x.labels == y.labels
                && (x.value == y.value || (x.value.is_nan() && y.value.is_nan()))
                && x.timestamp == y.timestamp
        })
}

fn err_line(e: &Error) -> usize {
    match e {
        Error::Parse { line, .. } => *line,
        other => panic!("not a parse error: {other:?}"),
    }
}

/// What one input gave, for the summary.
#[derive(Default, Debug)]
struct Tally {
    inputs: usize,
    families: usize,
    samples: usize,
    python_errors: usize,
    strict_accepted: usize,
    mismatches: Vec<String>,
    /// prometheus_client's exception kinds (message up to the first ':'), counted.
    py_error_kinds: std::collections::BTreeMap<String, usize>,
}

/// Checks one input against prometheus_client's dump, the streaming parser and strict mode.
fn check(tag: &str, text: &str, py: &str, scheme: ValidationScheme, tally: &mut Tally) {
    tally.inputs += 1;
    let lenient = parse_str(text, Mode::Lenient, scheme);
    let mut problems = Vec::new();
    match (&lenient, py.starts_with("ERROR ")) {
        (Ok(f), false) => {
            let ours = canonical(f);
            // fastprom's repr() does not know which code points are unassigned (Python
            // escapes them); compare with \x, \u, \U escapes decoded on both sides.
            if ours != py && decode_repr_escapes(&ours) != decode_repr_escapes(py) {
                let diff = ours
                    .lines()
                    .zip(py.lines())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("first difference:\n  fastprom: {a}\n  python:   {b}"))
                    .unwrap_or_else(|| format!("{} vs {} lines", ours.lines().count(), py.lines().count()));
                problems.push(format!("dumps differ; {diff}"));
            }
            tally.families += f.len();
            tally.samples += f.iter().map(|x| x.samples.len()).sum::<usize>();
        }
        (Err(_), true) => {
            tally.python_errors += 1;
            let kind: String = py.trim_end().chars().take(48).collect();
            *tally.py_error_kinds.entry(kind).or_default() += 1;
        }
        (Ok(_), true) => problems.push(format!("prometheus_client raised ({}), fastprom accepted", py.trim_end())),
        (Err(e), false) => problems.push(format!("fastprom rejected ({e}), prometheus_client accepted")),
    }
    // Streaming: same families, then the same error.
    for mode in [Mode::Lenient, Mode::Strict] {
        let whole = parse_str(text, mode, scheme);
        let mut streamed = Vec::new();
        let mut stream_err = None;
        for r in parse_reader(std::io::BufReader::with_capacity(7, text.as_bytes()), mode, scheme) {
            match r {
                Ok(f) => streamed.push(f),
                Err(e) => {
                    stream_err = Some(e);
                    break;
                }
            }
        }
        match (&whole, stream_err) {
            (Ok(f), None) if *f == streamed || canonical(f) == canonical(&streamed) => {}
            (Err(e), Some(se)) if e == &se => {}
            (w, se) => problems.push(format!("{mode:?}: streaming differs: parse_str {w:?}, stream error {se:?}")),
        }
    }
    // Strict accepts a subset, with the same samples.
    if let Ok(s) = parse_str(text, Mode::Strict, scheme) {
        tally.strict_accepted += 1;
        match &lenient {
            Ok(l) if same_samples(&flat_samples(&s), &flat_samples(l)) => {}
            Ok(_) => problems.push("strict and lenient disagree on the samples".into()),
            Err(e) => problems.push(format!("strict accepted what lenient rejects ({e})")),
        }
    }
    for p in problems {
        tally.mismatches.push(format!("[{tag}] {p}\n  input: {:?}", truncate(text, 600)));
    }
}

/// Replaces Python's `\xNN`, `\uNNNN` and `\UNNNNNNNN` escapes with the characters.
fn decode_repr_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let n = match it.peek() {
            Some('x') => 2,
            Some('u') => 4,
            Some('U') => 8,
            Some(&d) => {
                out.push('\\');
                out.push(d);
                it.next();
                continue;
            }
            None => {
                out.push('\\');
                continue;
            }
        };
        let kind = it.next().unwrap_or('x');
        let hex: String = it.by_ref().take(n).collect();
        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
            Some(ch) => out.push(ch),
            None => {
                out.push('\\');
                out.push(kind);
                out.push_str(&hex);
            }
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn run_corpus(name: &str, inputs: &[(String, String)]) -> Tally {
    run_corpus_with(name, inputs, false)
}

fn run_corpus_with(name: &str, inputs: &[(String, String)], legacy: bool) -> Tally {
    let dir = TempDir::new(&name.replace(' ', "-"));
    let files: Vec<PathBuf> = inputs
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            let p = dir.0.join(format!("{i:05}.txt"));
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let dumps = py_dumps_with(&files, legacy);
    let mut tally = Tally::default();
    for ((tag, text), py) in inputs.iter().zip(&dumps) {
        let scheme = if legacy { ValidationScheme::Legacy } else { ValidationScheme::Utf8 };
        check(tag, text, py, scheme, &mut tally);
    }
    eprintln!(
        "{name}: {} inputs, {} families, {} samples, {} rejected by both, {} accepted by strict mode, {} mismatches",
        tally.inputs,
        tally.families,
        tally.samples,
        tally.python_errors,
        tally.strict_accepted,
        tally.mismatches.len()
    );
    if std::env::var_os("PARSE_DIFF_VERBOSE").is_some() {
        for (k, n) in &tally.py_error_kinds {
            eprintln!("  {n:5} x {k}");
        }
    }
    tally
}

fn assert_clean(t: &Tally) {
    if !t.mismatches.is_empty() {
        let shown: Vec<&String> = t.mismatches.iter().take(15).collect();
        panic!(
            "{} mismatches with prometheus_client, first ones:\n{}",
            t.mismatches.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Corpus 1: golden files
// ---------------------------------------------------------------------------------------

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn golden_text_files_match_prometheus_client() {
    let t = run_corpus("golden", &golden_inputs());
    assert_clean(&t);
}

/// Under legacy name validation (prometheus_client's `PROMETHEUS_LEGACY_NAME_VALIDATION`,
/// fastprom's `ValidationScheme::Legacy`) the golden files and edge cases still match.
#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn legacy_validation_matches_prometheus_client() {
    let mut inputs = golden_inputs();
    inputs.extend(EDGE_CASES.iter().enumerate().map(|(i, s)| (format!("edge case {i}"), (*s).to_owned())));
    let t = run_corpus_with("legacy", &inputs, true);
    assert_clean(&t);
}

fn golden_inputs() -> Vec<(String, String)> {
    let dir = manifest_dir().join("tests/golden");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(".text-") && n.ends_with(".txt")))
        .collect();
    paths.sort();
    assert!(paths.len() >= 300, "expected 300+ golden text files, found {}", paths.len());
    let inputs: Vec<(String, String)> = paths
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(p).unwrap()))
        .collect();
    inputs
}

// ---------------------------------------------------------------------------------------
// Corpus 2: generated registries, mutations, hand-written cases
// ---------------------------------------------------------------------------------------

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn tok(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
}

const CLEAN_STEMS: &[&str] = &["a", "http_requests", "x:y", "_under", "process_cpu", "requests_total", "g"];
const NAME_STEMS: &[&str] = &[
    "a",
    "http_requests",
    "x:y",
    "_under",
    "process_cpu",
    "my.metric",
    "é_ü",
    "with space",
    "quote\"d",
    "back\\slash",
    "new\nline",
    "br{a}ce",
    "#hash",
    "tab\tname",
    "日本",
    "a-b",
    "trailing_total",
    "c_count",
    "h_bucket",
    "foo\n",
    "9lead",
];
const CLEAN_LABELS: &[&str] = &["a", "method", "code", "path", "z_"];
const LABEL_NAMES: &[&str] =
    &["a", "method", "code", "le_x", "a.b", "é", "sp ace", "q\"", "b\\s", "nl\n", "x:y", "日", "z_"];
const VALUE_PIECES: &[&str] = &[
    "", "a", "GET", "200", " ", "\\", "\"", "\n", "{", "}", ",", "=", "#", " # ", "é", "日本", "\t", "\r", "\\n",
    "\\\"", "}\"", "\u{2028}", "\u{3000}", "x y", "\u{0}",
];
const HELP_PIECES: &[&str] =
    &["", "Help text.", " ", "\\", "\\n", "\n", "\"", "quote \"x\"", "é", "tab\there", "a  b", "\\\\", "#", "\u{a0}"];

fn rand_text(rng: &mut Rng, pieces: &[&str], max: usize) -> String {
    (0..rng.below(max + 1)).map(|_| *rng.pick(pieces)).collect()
}

fn rand_value(rng: &mut Rng) -> f64 {
    match rng.below(10) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => (rng.next() % 1000) as f64,
        5 => f64::from_bits(rng.next()),
        6 => 1e16 * (rng.below(50) as f64 + 1.0),
        7 => 1.0 / (rng.below(1000) as f64 + 1.0),
        8 => -((rng.next() % 100_000) as f64) / 7.0,
        _ => 1_234_567.0,
    }
}

fn rand_ts(rng: &mut Rng) -> Option<Timestamp> {
    match rng.below(6) {
        0 => Some(Timestamp::Float(1.7e9 + rng.below(1_000_000) as f64 / 1000.0)),
        1 => Some(Timestamp::Int(rng.below(2_000_000_000) as i64)),
        2 => Some(Timestamp::exact(1.7e9, rng.below(999_999_999) as f64).unwrap()),
        3 => Some(Timestamp::Float(-(rng.below(1000) as f64) / 3.0)),
        _ => None,
    }
}

fn rand_labels(rng: &mut Rng) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(4) {
        let k = (*if rng.chance(70) { rng.pick(CLEAN_LABELS) } else { rng.pick(LABEL_NAMES) }).to_owned();
        if out.iter().all(|(n, _)| *n != k) {
            out.push((k, rand_text(rng, VALUE_PIECES, 3)));
        }
    }
    out
}

fn rand_family(rng: &mut Rng, i: usize) -> Option<MetricFamily> {
    let stem = if rng.chance(60) { rng.pick(CLEAN_STEMS) } else { rng.pick(NAME_STEMS) };
    let name = if rng.chance(70) { format!("{stem}{i}") } else { (*stem).to_owned() };
    let help = rand_text(rng, HELP_PIECES, 3);
    let n = rng.below(4);
    let f = match rng.below(9) {
        0 => {
            let mut f = MetricFamily::counter(&name, &help, "").ok()?;
            for _ in 0..n {
                let created = rng.chance(30).then(|| rand_value(rng));
                f.add_counter(&rand_labels(rng), rand_value(rng), created, rand_ts(rng), None);
            }
            f
        }
        1 | 2 => {
            let t = if rng.chance(50) { MetricType::Gauge } else { MetricType::Unknown };
            let mut f = MetricFamily::new(&name, &help, t, "").ok()?;
            for _ in 0..n {
                f.add_value(&rand_labels(rng), rand_value(rng), rand_ts(rng));
            }
            f
        }
        3 => {
            let mut f = MetricFamily::new(&name, &help, MetricType::Summary, "").ok()?;
            for _ in 0..n {
                let labels = rand_labels(rng);
                for q in ["0.5", "0.99"] {
                    if rng.chance(50) {
                        let name = f.name.clone();
                        let ls = labels.iter().cloned().chain([("quantile".to_owned(), q.to_owned())]);
                        f.add_sample(name, ls, rand_value(rng), None, None);
                    }
                }
                f.add_summary(&labels, rand_value(rng), rand_value(rng), rand_ts(rng));
            }
            f
        }
        4 => {
            let mut f = MetricFamily::new(&name, &help, MetricType::Histogram, "").ok()?;
            for _ in 0..n {
                let mut bs = vec![("0.5".to_owned(), 1.0, None), ("1e+06".to_owned(), 2.0, None)];
                if rng.chance(50) {
                    bs.insert(0, ("-1.0".to_owned(), 0.0, None));
                }
                bs.push(("+Inf".to_owned(), 3.0, None));
                f.add_histogram(&rand_labels(rng), &bs, Some(rand_value(rng)), rand_ts(rng)).ok()?;
            }
            f
        }
        5 => {
            let mut f = MetricFamily::new(&name, &help, MetricType::Info, "").ok()?;
            for _ in 0..n {
                f.add_info(&rand_labels(rng), &rand_labels(rng), None);
            }
            f
        }
        6 => {
            let mut f = MetricFamily::new(&name, &help, MetricType::StateSet, "").ok()?;
            for _ in 0..n {
                f.add_stateset(&rand_labels(rng), &[("on".into(), true), ("off".into(), false)], None);
            }
            f
        }
        7 => {
            let mut f = MetricFamily::new(&name, &help, MetricType::GaugeHistogram, "").ok()?;
            for _ in 0..n {
                let bs = vec![("1.0".to_owned(), 1.0), ("+Inf".to_owned(), 2.0)];
                f.add_gauge_histogram(&rand_labels(rng), &bs, rand_value(rng), None).ok()?;
            }
            f
        }
        _ => {
            // Raw samples with any names, as a custom collector may produce.
            let mut f =
                MetricFamily::new(&name, &help, *rng.pick(&[MetricType::Gauge, MetricType::Counter]), "").ok()?;
            for _ in 0..n {
                let sname = format!("{}{}", f.name, rng.pick(&["", "_total", "_created", "_x"]));
                f.add_sample(sname, rand_labels(rng), rand_value(rng), rand_ts(rng), None);
            }
            f
        }
    };
    Some(f)
}

struct Families(Vec<MetricFamily>);

impl Collector for Families {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        Ok(self.0.clone())
    }
}

const SCHEMES: [EscapingScheme; 4] =
    [EscapingScheme::AllowUtf8, EscapingScheme::Underscores, EscapingScheme::Dots, EscapingScheme::Values];

fn generated_expositions(seed: u64, count: usize) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < count {
        i += 1;
        let fams: Vec<MetricFamily> = (0..1 + rng.below(5)).filter_map(|j| rand_family(&mut rng, j)).collect();
        let scheme = *rng.pick(&SCHEMES);
        if let Ok(bytes) = encode_text(&Families(fams), scheme) {
            out.push((format!("generated #{i} ({scheme:?})"), String::from_utf8(bytes).unwrap()));
        }
    }
    out
}

const MUTATION_TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "\\",
    " ",
    "\t",
    ",",
    "=",
    "#",
    "\n",
    "# TYPE ",
    "# HELP ",
    "_total",
    "NaN",
    "+Inf",
    "\r",
    "\u{3000}",
    "\u{663}",
    " # ",
    "__name__",
    "1e400",
    "0x1",
    "_",
    "-0",
    " 123",
    "\x0b",
    "counter",
    "histogram",
    "summary",
    "untyped",
    "info",
    "\"a.b\"",
    "{\"",
    "=\"",
    "\",",
    "\\n",
    "le",
    "quantile",
    "\n\n",
    "_bucket",
    "_sum",
    "_count",
    "9",
    ".",
    "e",
    "-",
    "+",
    "inf",
    "nan",
    "\u{85}",
    "\u{2028}",
];

fn char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_owned();
    for _ in 0..1 + rng.below(3) {
        let len = s.len();
        match rng.below(5) {
            0 if len > 0 => {
                let a = char_boundary(&s, rng.below(len));
                let b = char_boundary(&s, (a + 1 + rng.below(8)).min(len));
                s.replace_range(a..b.max(a), "");
            }
            1 | 2 => {
                let a = char_boundary(&s, rng.below(len + 1));
                let tok = *rng.pick(MUTATION_TOKENS);
                s.insert_str(a, tok);
            }
            3 => {
                let lines: Vec<&str> = s.split_inclusive('\n').collect();
                if !lines.is_empty() {
                    let l = (*rng.pick(&lines)).to_owned();
                    let at = rng.below(lines.len() + 1);
                    let mut v: Vec<String> = lines.iter().map(|x| (*x).to_owned()).collect();
                    v.insert(at, l);
                    s = v.concat();
                }
            }
            _ => {
                if s.ends_with('\n') && rng.chance(50) {
                    s.pop();
                } else {
                    let lines: Vec<&str> = s.split_inclusive('\n').collect();
                    if lines.len() > 1 {
                        let mut v: Vec<&str> = lines.clone();
                        let a = rng.below(v.len());
                        let b = rng.below(v.len());
                        v.swap(a, b);
                        s = v.concat();
                    }
                }
            }
        }
    }
    s
}

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn generated_registries_match_prometheus_client() {
    let inputs = generated_expositions(0x5eed_0001, 400);
    let t = run_corpus("generated", &inputs);
    assert_clean(&t);
    assert!(t.samples > 1000, "too few samples generated: {}", t.samples);
}

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn mutated_expositions_match_prometheus_client() {
    // PARSE_DIFF_SCALE=n multiplies the corpus (and changes the seed) for longer hunts.
    let scale: u64 = std::env::var("PARSE_DIFF_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let base = generated_expositions(0x5eed_0002 ^ (scale - 1) << 32, 300 * scale as usize);
    let mut rng = Rng(0x5eed_0003 ^ (scale - 1) << 32);
    let mut inputs = Vec::new();
    for (tag, text) in &base {
        for k in 0..3 {
            inputs.push((format!("{tag} mutation {k}"), mutate(&mut rng, text)));
        }
    }
    let t = run_corpus("mutated", &inputs);
    assert_clean(&t);
    assert!(t.python_errors > 50 && t.python_errors < t.inputs, "mutations should produce both outcomes");
}

const SOUP_TOKENS: &[&str] = &[
    "a",
    "b_c",
    "x:y",
    "_total",
    "_bucket",
    "_count",
    "_sum",
    "le",
    "quantile",
    "__name__",
    "__x",
    "\"",
    "\"a.b\"",
    "\\",
    "\\\\",
    "\\\"",
    "\\n",
    "{",
    "}",
    ",",
    "=",
    " ",
    " ",
    " ",
    "\t",
    "#",
    "# ",
    "HELP",
    "TYPE",
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
    "1",
    "-0",
    "+Inf",
    "NaN",
    "1e3",
    "1.5",
    ".",
    "_",
    "1_0",
    "\u{663}",
    "\u{3000}",
    "\u{a0}",
    "\x0b",
    "\x0c",
    "\r",
    "\u{1c}",
    "é",
    " # ",
    "=\"",
    "\",",
    "\"}",
    "inf",
    "9",
];

const SOUP_NAMES: &[&str] = &["a", "a_total", "b", "h_bucket", "h_count", "s", "inf", "nan", "x:y", "", "a b", "é"];
const SOUP_NUMBERS: &[&str] = &[
    "1",
    "-0",
    "+Inf",
    "NaN",
    "-nan",
    "1e3",
    "1.5",
    ".5",
    "1.",
    "1e400",
    "\u{663}",
    "12345678901234567890",
    "-1",
    "+5",
    "inf",
    "Infinity",
    "1.7e12",
    "0",
    "2",
    "3.25",
];
const SOUP_BAD_NUMBERS: &[&str] = &["0x1", "1_0", "e", "", "1e", "--1"];
const SOUP_VALUE_CHARS: &[&str] = &["x", " ", "\\\\", "\\\"", "\\n", "}", "{", ",", "=", "#", "é", "\t", "y"];
const SOUP_BAD_VALUE_CHARS: &[&str] = &["\\", "\"", "\\t"];

/// Mostly well-shaped lines with small faults where the parsers' rules differ.
fn shaped_line(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(10) {
        s.push_str(rng.tok(&[" ", "\t", "\u{3000}", "\x0b"]));
    }
    if rng.chance(25) {
        s.push_str(rng.tok(&["# HELP ", "# TYPE ", "#  HELP\t", "#HELP ", "# TYPE\t", "# "]));
        let name = rng.tok(SOUP_NAMES);
        if rng.chance(30) {
            s.push('"');
            s.push_str(name);
            s.push('"');
        } else {
            s.push_str(name);
        }
        s.push_str(rng.tok(&[" ", " ", "\t", "  ", ""]));
        for _ in 0..rng.below(3) {
            s.push_str(rng.tok(&[
                "counter",
                "gauge",
                "histogram",
                "summary",
                "untyped",
                "info",
                "doc",
                "\\n",
                "\\\\",
                "\\",
                " ",
                "\"",
            ]));
        }
        return s;
    }
    let name = rng.tok(SOUP_NAMES);
    let braces_name = rng.chance(20);
    if !braces_name {
        s.push_str(name);
    }
    if braces_name || rng.chance(60) {
        s.push_str(rng.tok(&["{", "{", " {", "{ "]));
        if braces_name {
            s.push('"');
            s.push_str(name);
            s.push('"');
            s.push_str(rng.tok(&[",", ", ", "", ",,"]));
        }
        for k in 0..rng.below(4) {
            if k > 0 {
                s.push_str(rng.tok(&[",", ",", ", ", " , ", ",,", ""]));
            }
            s.push_str(rng.tok(&["a", "b", "le", "quantile", "\"c.d\"", "__name__", "__x", "a:b", "", "\"\"", "a\\n"]));
            s.push_str(rng.tok(&["=", "=", " = ", "", "=="]));
            if rng.chance(90) {
                s.push('"');
            }
            for _ in 0..rng.below(4) {
                s.push_str(if rng.chance(5) { rng.tok(SOUP_BAD_VALUE_CHARS) } else { rng.tok(SOUP_VALUE_CHARS) });
            }
            if rng.chance(90) {
                s.push('"');
            }
        }
        s.push_str(rng.tok(&["}", "}", "} ", ",}", ""]));
    }
    s.push_str(rng.tok(&[" ", " ", "\t", "  ", "", " \t"]));
    s.push_str(if rng.chance(5) { rng.tok(SOUP_BAD_NUMBERS) } else { rng.tok(SOUP_NUMBERS) });
    if rng.chance(40) {
        s.push_str(rng.tok(&[" ", "\t", "  "]));
        s.push_str(if rng.chance(5) { rng.tok(SOUP_BAD_NUMBERS) } else { rng.tok(SOUP_NUMBERS) });
    }
    if rng.chance(10) {
        s.push_str(rng.tok(&[" ", "\r", " 3", " # {a=\"b\"} 1", "\u{a0}"]));
    }
    s
}

/// Lines made of tokens that matter to the parser's quoting, splitting and number rules.
fn token_soup(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(70) {
        for _ in 0..1 + rng.below(4) {
            s.push_str(&shaped_line(rng));
            if rng.chance(95) {
                s.push('\n');
            }
        }
        return s;
    }
    for _ in 0..1 + rng.below(4) {
        let shape = rng.below(4);
        if shape == 0 {
            s.push_str(rng.tok(&["# HELP ", "# TYPE ", "#", "# TYPE a ", "# HELP a "]));
        } else if shape == 1 {
            s.push_str(rng.tok(&["a", "a{", "{", "a {", "{\"a\""]));
        }
        for _ in 0..rng.below(10) {
            s.push_str(rng.tok(SOUP_TOKENS));
        }
        if shape == 1 {
            s.push_str(rng.tok(&["} 1", "\"} 1", " 1", "} 1 2", "", "} 1 2 3"]));
        }
        if rng.chance(90) {
            s.push('\n');
        }
    }
    s
}

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn token_soup_matches_prometheus_client() {
    let scale: usize = std::env::var("PARSE_DIFF_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let mut rng = Rng(0x50_0b ^ (scale as u64 - 1) << 32);
    let inputs: Vec<(String, String)> =
        (0..1500 * scale).map(|i| (format!("soup #{i}"), token_soup(&mut rng))).collect();
    let t = run_corpus("token soup", &inputs);
    assert_clean(&t);
}

/// `PARSE_DIFF_CORPUS=<dir>` runs every UTF-8 file of a directory (a fuzzing corpus, say)
/// through the comparison; without it this test does nothing.
#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn extra_corpus_matches_prometheus_client() {
    let Some(dir) = std::env::var_os("PARSE_DIFF_CORPUS") else {
        return;
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let inputs: Vec<(String, String)> = paths
        .iter()
        .filter_map(|p| {
            let text = String::from_utf8(std::fs::read(p).ok()?).ok()?;
            Some((p.display().to_string(), text))
        })
        .collect();
    let t = run_corpus("extra corpus", &inputs);
    assert_clean(&t);
}

/// Inputs for prometheus_client's corner cases.
const EDGE_CASES: &[&str] = &[
    "",
    "\n",
    "a 1",
    "a 1\n",
    "a 1\r\n",
    "  a   1  \n",
    "a\t1\t2000\n",
    "a 1 2 3\n",
    "a 1\t2 3\n",
    "a 1 \t 2\n",
    "inf\n",
    "nan\n",
    "infinity\n",
    "abc\n",
    "a -0\n",
    "a -0.0 -0\n",
    "a 1 -0.0\n",
    "a \u{661}\u{662}\n",
    "a \u{ff11}.\u{ff15}e\u{ff12}\n",
    "a 1_000\n",
    "a 0x10\n",
    "a +Inf\n",
    "a -inf\n",
    "a NaN\n",
    "a -nan\n",
    "a Infinity\n",
    "a 1e400\n",
    "a 1e-400\n",
    "a 1 1e400\n",
    "a 1 9999999999999999999999999999999999999999\n",
    "a 123456789012345678901234567890\n",
    "a 1.\n",
    "a .5\n",
    "a 1e\n",
    "a\n",
    "a \n",
    "{\"my.metric\"} 1\n",
    "{\"my.metric\", \"a.b\"=\"x\"} 1\n",
    "{\"a.b\"=\"x\", \"my.metric\"} 1\n",
    "{__name__=\"x\"} 1\n",
    "{__name__=\"\"} 1\n",
    "x{__name__=\"y\"} 1\n",
    "{a=\"b\"} 1\n",
    "{} 1\n",
    "x{} 1\n",
    "x{,} 1\n",
    "x{,,} 1\n",
    "x{, ,a=\"b\"} 1\n",
    "x{a=\"b\",} 1\n",
    "x{a=\"b\",,c=\"d\"} 1\n",
    "x{a=} 1\n",
    "x{a=,b=\"c\"} 1\n",
    "x{a=\"b\", =\"c\"} 1\n",
    "x{=\"c\"} 1\n",
    "x{a=b} 1\n",
    "x{a=\"b\"c} 1\n",
    "x{a=\"b\" , c = \"d\" } 1\n",
    "x{a=\"b\",a=\"c\"} 1\n",
    "x{__a=\"b\"} 1\n",
    "x{\"__a\nb\"=\"c\"} 1\n",
    "x{a\\n=\"b\"} 1\n",
    "x{a:b=\"c\"} 1\n",
    "x{\"a b\"=\"c\"} 1\n",
    "x{a=\"}\"} 1\n",
    "x{a=\"\\\\\"} 1\n",
    "x{a=\"\\\"\"} 1\n",
    "x{a=\"\\t\\q\\\\n\"} 1\n",
    "x{a=\"b\"\n",
    "x{a=\"b\" 1\n",
    "x{a=\"b\"}1\n",
    "x{a=\"b\"} \n",
    "x {a=\"b\"} 1\n",
    "a b{c=\"d\"} 1\n",
    "\"q\"{c=\"d\"} 1\n",
    "\"q\" 1\n",
    "x\"y z\" 1\n",
    "x # 1\n",
    "x # {a=\"b\"} 1\n",
    "# HELP\n",
    "# TYPE\n",
    "# HELP a\na 1\n",
    "# HELP a doc\n",
    "# HELP a doc\\\\ \\n \\\" \\t end\na 1\n",
    "# HELP a   spaced   doc   \na 1\n",
    "#HELP a doc\na 1\n",
    "# help a doc\na 1\n",
    "# HELP 9a doc\n",
    "# HELP \"9a\" doc\n9a 1\n",
    "# HELP \"unterminated doc\n",
    "# HELP \"a b\" doc\n{\"a b\"} 1\n",
    "# HELP \"\" doc\n{__name__=\"\"} 1\n",
    "# HELP a\\n doc\na\\n 1\n",
    "# TYPE a\n",
    "# TYPE a gauge\na 1\n",
    "# TYPE a gauge extra\na 1\n",
    "# TYPE a Gauge\na 1\n",
    "# TYPE a bogus\n",
    "# TYPE a bogus\n# TYPE a gauge\na 1\n",
    "# TYPE a untyped\na 1\n",
    "# TYPE a unknown\na 1\n",
    "# TYPE a info\na 1\n",
    "# TYPE a stateset\na{a=\"x\"} 1\n",
    "# TYPE a gaugehistogram\na_bucket{le=\"1\"} 1\n",
    "# TYPE a counter\na 1\na_total 2\na_created 3\n",
    "# TYPE a_total counter\na_total 1\n",
    "# TYPE _total counter\n_total 1\n",
    "# TYPE a counter\n",
    "# TYPE a counter\n# HELP a doc\na 1\n# TYPE a gauge\na 2\n",
    "# HELP a doc\n# TYPE b gauge\nb 1\na 2\n",
    "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3\nh 4\n",
    "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_count 2\ns_sum 3\ns_created 4\n",
    "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na 2\n",
    "# HELP a x\na 1\n# HELP b y\n# HELP a z\na 2\n",
    "a 1\n# HELP a late\n",
    "# comment\n#\n##\n# foo bar baz qux\n# HELP\ta\tdoc\n a 1\n",
    "# HELP a d\u{3000}\n\u{3000}a 1\u{3000}\n",
    "a 1\u{85}\n",
    "a\u{2028}1\n",
    "a 1 2\u{2028}3\n",
    "\u{feff}a 1\n",
    "x{a=\"b\"} 1 2000\nx{a=\"c\"} 2 3000.5\n",
    "x 1 -1\nx 1 1.7e12\nx 1 +5\n",
    "# TYPE \"we\\\"ird\" gauge\n{\"we\\\"ird\", \"x\\\\y\"=\"1\"} 1\n",
    "{\"a\\q\"} 1\n",
    "{\"a\"b\"} 1\n",
    "x{a=\"b\"} 1 # {t=\"1\"} 2\n",
    "x 1 # {t=\"1\"} 2\n",
    "x{\"}\"=\"}\"} 1\n",
    "x{a=\"\\\\\\\"\"} 1\n",
    "x{{a=\"b\"} 1\n",
    "x}{a=\"b\"} 1\n",
];

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn edge_cases_match_prometheus_client() {
    let mut inputs: Vec<(String, String)> =
        EDGE_CASES.iter().enumerate().map(|(i, s)| (format!("edge case {i}"), (*s).to_owned())).collect();
    // Python ints: exact below 4301 digits (int / 1000 overflows past float's range), floats
    // beyond; values past float's range are +-inf in fastprom's f64.
    for (i, s) in [
        format!("a {}\n", "9".repeat(400)),
        format!("a -{}\n", "9".repeat(400)),
        format!("a 1 {}\n", "9".repeat(4300)),
        format!("a 1 {}\n", "9".repeat(4301)),
        format!("a 1 {}\n", "1".repeat(200)),
        format!("a 1 {}1\n", "0".repeat(4300)),
        format!("a -{} -{}\n", "0".repeat(5000), "0".repeat(5000)),
        format!("a 1 {}\n", "1".repeat(308)),
        "a 1 9007199254740993123\n".to_owned(),
        "a 1 -9007199254740993123\n".to_owned(),
        format!("a{{{}}} 1\n", (0..40).map(|i| format!("l{i}=\"v\"")).collect::<Vec<_>>().join(",")),
        format!("a{{{}l3=\"w\"}} 1\n", (0..40).map(|i| format!("l{i}=\"v\",")).collect::<String>()),
    ]
    .into_iter()
    .enumerate()
    {
        inputs.push((format!("number edge case {i}"), s));
    }
    let t = run_corpus("edge cases", &inputs);
    assert_clean(&t);
}

// ---------------------------------------------------------------------------------------
// Strict mode
// ---------------------------------------------------------------------------------------

/// Inputs prometheus_client accepts and strict mode rejects, with the line strict reports.
const STRICT_REJECTS: &[(&str, usize, &str)] = &[
    ("# TYPE a gauge\n# TYPE a gauge\na 1\n", 2, "duplicate TYPE"),
    ("# HELP a x\n# HELP a y\na 1\n", 2, "duplicate HELP"),
    ("# HELP a x\na 1\n# TYPE a gauge\n", 3, "TYPE after samples"),
    ("a 1\nb 1\na 2\n", 3, "samples of a family not contiguous"),
    ("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n", 5, "metadata of an ended family"),
    ("# TYPE s summary\ns_sum 1\n# TYPE t gauge\nt 1\ns_count 1\n", 5, "summary split in two"),
    ("x 1\na{b=\"\\t\"} 1\n", 2, "bad escape in a label value"),
    ("# HELP a x\\ty\na 1\n", 1, "bad escape in HELP"),
    ("a 1", 1, "missing final newline"),
    ("a 1\n# HELP b x", 2, "missing final newline after a comment"),
    ("a 1 \n", 1, "trailing whitespace"),
    ("a 1\r\n", 1, "CRLF"),
    ("a 1 2 3\n", 1, "text after the timestamp"),
    ("a 1 1.5\n", 1, "float timestamp"),
    ("a 1e400\n", 1, "value out of range"),
    ("a \u{661}\n", 1, "non-ASCII digits"),
    ("a -nan\n", 1, "signed NaN"),
    ("a{b\\n=\"c\"} 1\n", 1, "invalid label name"),
    ("a{b:c=\"d\"} 1\n", 1, "colon in a label name"),
    ("{__name__=\"b\"} 1\n", 1, "__name__ label for the name"),
    ("{\"a.b\"=\"x\", \"my.metric\"} 1\n", 1, "quoted name not first"),
    ("x{,a=\"b\"} 1\n", 1, "leading comma"),
    ("x{a=\"b\", ,c=\"d\"} 1\n", 1, "empty term between commas"),
    ("x{a=,b=\"c\"} 1\n", 1, "empty label value term"),
    ("# TYPE h histogram\nh_bucket 1\n", 2, "bucket without le"),
    ("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", 2, "le not a float"),
    ("# TYPE h histogram\nh_count{le=\"1\"} 1\n", 2, "le outside buckets"),
    ("# TYPE s summary\ns 1\n", 2, "quantile missing"),
    ("# TYPE s summary\ns_sum{quantile=\"0.5\"} 1\n", 2, "quantile outside quantiles"),
    ("# TYPE a info\na 1\n", 1, "type unknown to the text format"),
    ("#HELP a x\na 1\n", 1, "HELP without a space after #"),
    ("# HELP a\x0bx\na 1\n", 1, "vertical tab as a separator"),
    ("# HELP\n", 1, "HELP without a name"),
    ("x 1 # {a=\"b\"} 2\n", 1, "exemplar-looking text"),
    ("a 1\n\u{3000}b 2\n", 2, "Unicode space before a sample"),
];

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn strict_mode_rejects_what_lenient_accepts() {
    let inputs: Vec<(String, String)> =
        STRICT_REJECTS.iter().map(|(s, _, why)| ((*why).to_owned(), (*s).to_owned())).collect();
    let dir = TempDir::new("strict");
    let files: Vec<PathBuf> = inputs
        .iter()
        .enumerate()
        .map(|(i, (_, s))| {
            let p = dir.0.join(format!("{i}.txt"));
            std::fs::write(&p, s).unwrap();
            p
        })
        .collect();
    let dumps = py_dumps(&files);
    let mut failures = Vec::new();
    for ((text, line, why), py) in STRICT_REJECTS.iter().zip(&dumps) {
        if py.starts_with("ERROR") {
            failures.push(format!("{why}: prometheus_client rejects {text:?}: {py}"));
            continue;
        }
        match parse_str(text, Mode::Lenient, ValidationScheme::Utf8) {
            Ok(f) if canonical(&f) == *py => {}
            other => failures.push(format!("{why}: lenient differs from prometheus_client on {text:?}: {other:?}")),
        }
        match parse_str(text, Mode::Strict, ValidationScheme::Utf8) {
            Err(e) if err_line(&e) == *line => {}
            Err(e) => failures.push(format!("{why}: {text:?} gave {e}, expected line {line}")),
            Ok(f) => failures.push(format!("{why}: strict accepted {text:?}: {f:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "strict mode: {} inputs prometheus_client accepts are rejected, at the expected line",
        STRICT_REJECTS.len()
    );
}

/// Well-formed expositions that strict mode accepts and reads as lenient mode does.
#[test]
fn strict_mode_accepts_well_formed_text() {
    let text = concat!(
        "# HELP go_gc_duration_seconds A summary.\n",
        "# TYPE go_gc_duration_seconds summary\n",
        "go_gc_duration_seconds{quantile=\"0\"} 1.5e-05\n",
        "go_gc_duration_seconds{quantile=\"1\"} 0.0001\n",
        "go_gc_duration_seconds_sum 0.01\n",
        "go_gc_duration_seconds_count 12\n",
        "# HELP http_requests_total Requests.\n",
        "# TYPE http_requests_total counter\n",
        "http_requests_total{code=\"200\",method=\"GET\"} 1027 1395066363000\n",
        "http_requests_total{code=\"400\",method=\"POST\"} 3 1395066363000\n",
        "\n",
        "# Some comment.\n",
        "# TYPE rpc histogram\n",
        "rpc_bucket{le=\"0.05\"} 24054\n",
        "rpc_bucket{le=\"+Inf\"} 144320\n",
        "rpc_sum 53423\n",
        "rpc_count 144320\n",
        "# HELP \"my.utf8\" Dots \\\\ and \\n escapes.\n",
        "# TYPE \"my.utf8\" gauge\n",
        "{\"my.utf8\",\"a.b\"=\"x\\\"y\\\\z\\n\", c=\"d\",} -Inf\n",
        "metric_without_timestamp_and_labels 12.47\n",
        "  \t  leading_blanks\t+Inf\t-17\n",
        "something_weird{problem=\"division by zero\"} +Inf -3982045\n",
    );
    let strict = parse_str(text, Mode::Strict, ValidationScheme::Utf8).unwrap();
    let lenient = parse_str(text, Mode::Lenient, ValidationScheme::Utf8).unwrap();
    assert_eq!(canonical(&strict), canonical(&lenient));
    assert_eq!(strict.len(), 7);
}

// ---------------------------------------------------------------------------------------
// Corpus 3: a real exporter
// ---------------------------------------------------------------------------------------

/// Kills and reaps the child on drop, whatever happens to the test.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str) -> std::io::Result<(String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: text/plain;version=0.0.4\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no header end"))?;
    if !head.starts_with("HTTP/1.") || !head.contains(" 200 ") {
        return Err(std::io::Error::other(format!("bad response: {head}")));
    }
    Ok((head.to_owned(), body.to_owned()))
}

fn start_node_exporter(bin: &Path) -> (ChildGuard, u16) {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut guard = ChildGuard(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = guard.0.try_wait() {
                break; // exited: the port was probably taken; try another.
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (guard, port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("prometheus-node-exporter did not start");
}

#[test]
#[ignore = "needs prometheus-node-exporter (Debian) and prometheus_client in .venv; run by make test"]
fn node_exporter_output_matches_prometheus_client() {
    let bin = Path::new("/usr/bin/prometheus-node-exporter");
    assert!(bin.exists(), "{} is missing: apt-get install prometheus-node-exporter", bin.display());
    let (guard, port) = start_node_exporter(bin);
    let mut inputs = Vec::new();
    for i in 0..3 {
        let (head, body) = http_get(port, "/metrics").unwrap();
        assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
        inputs.push((format!("node exporter scrape {i}"), body));
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(guard);
    let t = run_corpus("node exporter", &inputs);
    assert_clean(&t);
    assert!(t.samples > 300, "too few samples: {}", t.samples);
    // Prometheus accepts the exporter's output, so strict mode must too, reading it the same.
    for (_, body) in &inputs {
        let strict = parse_str(body, Mode::Strict, ValidationScheme::Utf8)
            .unwrap_or_else(|e| panic!("strict rejects node exporter output: {e}"));
        assert_eq!(canonical(&strict), canonical(&parse_str(body, Mode::Lenient, ValidationScheme::Utf8).unwrap()));
    }
}
