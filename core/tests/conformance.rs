//! The OpenMetrics project's parser conformance suite (211 cases, copied into
//! `tests/data/openmetrics-parsers`, see its README), run through
//! `fastprom::parse::openmetrics`:
//!
//! * every case is accepted or rejected as its `test.json` says, by `parse_str` and by the
//!   streaming `parse_reader` alike;
//! * every valid case round-trips: parse, encode with `encode_openmetrics`, parse again,
//!   and the families are equal (NaN equals NaN, timestamps compare by value);
//! * differential: for every case `fastprom::parse::canonical` of the result equals
//!   prometheus_client 0.26's parse of the same file, dumped by `tools/parse_dump.py`
//!   (or the stand-in `tools/om_dump_tmp.py`) under the repository's `.venv` Python.
//!
//! The suite's directory, the Python interpreter and the dump script are required: the
//! tests fail, not skip, when any is missing. The differential tests need the `.venv` that
//! `make setup` creates, so plain `cargo test` leaves them out (`#[ignore]`) and
//! `make test-rust` runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use fastprom::expose::encode_openmetrics;
use fastprom::names::ValidationScheme;
use fastprom::parse::canonical;
use fastprom::parse::openmetrics::{parse_reader, parse_str};
use fastprom::{Collector, EscapingScheme, Exemplar, MetricFamily, Sample, Timestamp};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn suite_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openmetrics-parsers");
    assert!(dir.is_dir(), "conformance suite missing: {}", dir.display());
    dir
}

struct Case {
    name: String,
    dir: PathBuf,
    should_parse: bool,
    /// `None` when the file is not UTF-8.
    text: Option<String>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(suite_dir()).expect("read suite dir") {
        let dir = entry.expect("dir entry").path();
        if !dir.is_dir() {
            continue;
        }
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("test.json")).expect("test.json"))
            .expect("test.json parses");
        let should_parse = json["shouldParse"].as_bool().expect("shouldParse");
        let file = json["file"].as_str().unwrap_or("metrics");
        let bytes = std::fs::read(dir.join(file)).expect("metrics file");
        let name = dir.file_name().and_then(|n| n.to_str()).expect("case name").to_owned();
        out.push(Case { name, text: String::from_utf8(bytes).ok(), dir: dir.join(file), should_parse });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(out.len(), 211, "expected the 211 cases of the suite");
    out
}

fn parse_case(c: &Case) -> fastprom::Result<Vec<MetricFamily>> {
    match &c.text {
        Some(t) => parse_str(t, ValidationScheme::Utf8),
        None => Err(fastprom::Error::Parse { line: 0, column: 1, msg: "not UTF-8".into() }),
    }
}

#[test]
fn conformance_suite_agrees() {
    let cases = cases();
    let mut passed = 0;
    let mut failures = Vec::new();
    for c in &cases {
        let res = parse_case(c);
        // The streaming parser must agree with parse_str exactly.
        let bytes = std::fs::read(&c.dir).expect("metrics file");
        let streamed: Vec<fastprom::Result<MetricFamily>> =
            parse_reader(bytes.as_slice(), ValidationScheme::Utf8).collect();
        let streamed_ok = streamed.iter().all(Result::is_ok);
        match (&res, streamed_ok) {
            (Ok(fams), true) => {
                let s: Vec<MetricFamily> = streamed.into_iter().filter_map(Result::ok).collect();
                if !families_equal(fams, &s) {
                    failures.push(format!("{}: parse_reader families differ from parse_str", c.name));
                    continue;
                }
            }
            (Err(_), false) => {}
            _ => {
                failures.push(format!("{}: parse_reader and parse_str disagree ({res:?})", c.name));
                continue;
            }
        }
        if res.is_ok() == c.should_parse {
            passed += 1;
        } else {
            failures.push(format!("{}: shouldParse={} but got {:?}", c.name, c.should_parse, res.map(|f| f.len())));
        }
    }
    println!("conformance: {passed}/{}", cases.len());
    assert!(failures.is_empty(), "conformance failures:\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Round trip.

struct Families(Vec<MetricFamily>);

impl Collector for Families {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        Ok(self.0.clone())
    }
}

fn float_eq(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn ts_eq(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Timestamp::Exact { sec: s1, nsec: n1 }), Some(Timestamp::Exact { sec: s2, nsec: n2 })) => {
            s1 == s2 && n1 == n2
        }
        (Some(x), Some(y)) => float_eq(x.as_f64(), y.as_f64()),
        _ => false,
    }
}

fn labels_eq(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn exemplar_eq(a: &Option<Exemplar>, b: &Option<Exemplar>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            labels_eq(&x.labels, &y.labels) && float_eq(x.value, y.value) && ts_eq(x.timestamp, y.timestamp)
        }
        _ => false,
    }
}

fn sample_eq(a: &Sample, b: &Sample) -> bool {
    a.name == b.name
        && labels_eq(&a.labels, &b.labels)
        && float_eq(a.value, b.value)
        && ts_eq(a.timestamp, b.timestamp)
        && exemplar_eq(&a.exemplar, &b.exemplar)
        && match (&a.native_histogram, &b.native_histogram) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                float_eq(x.count_value, y.count_value)
                    && float_eq(x.sum_value, y.sum_value)
                    && x.schema == y.schema
                    && float_eq(x.zero_threshold, y.zero_threshold)
                    && float_eq(x.zero_count, y.zero_count)
                    && x.pos_spans == y.pos_spans
                    && x.neg_spans == y.neg_spans
                    && x.pos_deltas == y.pos_deltas
                    && x.neg_deltas == y.neg_deltas
                    && x.exemplars.len() == y.exemplars.len()
                    && x.exemplars
                        .iter()
                        .zip(&y.exemplars)
                        .all(|(p, q)| exemplar_eq(&Some(p.clone()), &Some(q.clone())))
            }
            _ => false,
        }
}

/// Family equality as prometheus_client's `Metric.__eq__`, with NaN equal to NaN and
/// timestamps compared by value.
fn families_equal(a: &[MetricFamily], b: &[MetricFamily]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && x.help == y.help
                && x.metric_type == y.metric_type
                && x.unit == y.unit
                && x.samples.len() == y.samples.len()
                && x.samples.iter().zip(&y.samples).all(|(s, t)| sample_eq(s, t))
        })
}

/// Valid cases that cannot round-trip because prometheus_client's own encoder cannot
/// either (checked with Python: parse, `generate_latest`, parse again). None so far.
const ROUND_TRIP_EXCEPTIONS: &[(&str, &str)] = &[];

#[test]
fn valid_cases_round_trip() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for c in cases().iter().filter(|c| c.should_parse) {
        let fams = parse_case(c).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let native = fams.iter().any(|f| f.samples.iter().any(|s| s.native_histogram.is_some()));
        let version = if native { "2.0.0" } else { "1.0.0" };
        let result = encode_openmetrics(&Families(fams.clone()), EscapingScheme::AllowUtf8, version)
            .map_err(|e| format!("encode: {e}"))
            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| format!("utf-8: {e}")))
            .and_then(|text| {
                parse_str(&text, ValidationScheme::Utf8)
                    .map(|f| (text.clone(), f))
                    .map_err(|e| format!("reparse: {e}\n{text}"))
            });
        let expected_failure = ROUND_TRIP_EXCEPTIONS.iter().find(|(n, _)| *n == c.name);
        let ok = match &result {
            Ok((_, again)) => families_equal(&fams, again),
            Err(_) => false,
        };
        match (ok, expected_failure) {
            (true, None) => checked += 1,
            (false, Some(_)) => {}
            (true, Some((n, _))) => failures.push(format!("{n}: listed as an exception but now round-trips")),
            (false, None) => failures.push(format!(
                "{}: {}",
                c.name,
                match result {
                    Ok((text, again)) => format!("families differ\n{text}\n{fams:?}\n{again:?}"),
                    Err(e) => e,
                }
            )),
        }
    }
    println!("round trip: {checked} valid cases, {} documented exceptions", ROUND_TRIP_EXCEPTIONS.len());
    assert!(failures.is_empty(), "round-trip failures:\n{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// Differential against prometheus_client.

fn python() -> PathBuf {
    let py = repo_root().join(".venv/bin/python");
    assert!(py.exists(), "Python with prometheus_client missing: {}", py.display());
    py
}

/// Runs `tools/parse_dump.py --openmetrics` over `files` in one Python process; returns
/// each file's dump (`ERROR ...` when prometheus_client raises).
pub fn python_dumps(files: &[PathBuf]) -> Vec<String> {
    let script = repo_root().join("tools/parse_dump.py");
    assert!(script.exists(), "tools/parse_dump.py missing: {}", script.display());
    let out = Command::new(python())
        .env_remove("PROMETHEUS_LEGACY_NAME_VALIDATION")
        .arg(&script)
        .arg("--openmetrics")
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(out.status.success(), "parse_dump.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("dump is UTF-8");
    if files.len() == 1 {
        return vec![text];
    }
    let mut dumps: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("### FILE ") {
            dumps.push(String::new());
        } else if let Some(d) = dumps.last_mut() {
            d.push_str(line);
        }
    }
    assert_eq!(dumps.len(), files.len(), "parse_dump.py output does not cover every file");
    dumps
}

/// Our side of the dump: `canonical`, or `ERROR` (prometheus_client's error lines carry
/// its exception, so errors compare by kind only). A native-histogram sample's value is
/// `None` in prometheus_client (dumped as `-`) and NaN here.
pub fn our_dump(res: &fastprom::Result<Vec<MetricFamily>>) -> String {
    // A value no parse produces, printed by `canonical` as SENTINEL_REPR.
    const SENTINEL: f64 = 1.25e-300;
    const SENTINEL_REPR: &str = " 1.25e-300 ";
    match res {
        Err(_) => "ERROR\n".to_owned(),
        Ok(f) => {
            let mut fams = f.clone();
            for s in fams.iter_mut().flat_map(|f| f.samples.iter_mut()) {
                if s.native_histogram.is_some() && s.value.is_nan() {
                    s.value = SENTINEL;
                }
            }
            canonical(&fams).replace(SENTINEL_REPR, " - ")
        }
    }
}

fn their_dump_normalized(d: &str) -> String {
    if d.starts_with("ERROR") {
        "ERROR\n".to_owned()
    } else {
        d.to_owned()
    }
}

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn differential_against_prometheus_client() {
    let cases = cases();
    let files: Vec<PathBuf> = cases.iter().map(|c| c.dir.clone()).collect();
    let theirs = python_dumps(&files);
    let mut mismatches = Vec::new();
    for (c, theirs) in cases.iter().zip(&theirs) {
        let ours = our_dump(&parse_case(c));
        if ours != their_dump_normalized(theirs) {
            mismatches.push(format!("{}:\n--- fastprom\n{ours}--- prometheus_client\n{theirs}", c.name));
        }
    }
    println!("differential: {}/{} cases identical to prometheus_client", cases.len() - mismatches.len(), cases.len());
    assert!(mismatches.is_empty(), "differences from prometheus_client:\n{}", mismatches.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Differential beyond the suite: hand-written edge cases (prometheus_client's quirks) and
// deterministic mutations of every suite case.

enum Edge {
    Lit(&'static str),
    /// `a`, then `c` repeated `n` times, then `b`.
    Rep(&'static str, &'static str, usize, &'static str),
}

const EDGES: &[Edge] = &[
    Edge::Lit("a ١٢\n# EOF\n"),
    Edge::Lit("a 1 ١\n# EOF\n"),
    Edge::Lit("a 1 ١.٥\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"١\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\" 1 \"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"\u{a0}1\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"1_0\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"inf\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"nan\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"nan\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"1\"} 9007199254740993\nh_bucket{le=\"+Inf\"} 9007199254740992\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 9007199254740993\nh_count 9007199254740992.0\nh_sum 1\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 9007199254740992\nh_count 9007199254740992.0\nh_sum 1\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1e400\n# EOF\n"),
    Edge::Rep("# TYPE h histogram\nh_bucket{le=\"+Inf\"} ", "9", 400, "\n# EOF\n"),
    Edge::Rep("a ", "9", 400, "\n# EOF\n"),
    Edge::Lit("a 9999999999999999999999999999999999999999\n# EOF\n"),
    Edge::Rep("a -", "9", 400, "\n# EOF\n"),
    Edge::Rep("# TYPE c counter\nc_total ", "9", 400, "\n# EOF\n"),
    Edge::Lit("a 1 1\na 2 1.5e0\n# EOF\n"),
    Edge::Lit("a 1 1.5e0\na 2 1\n# EOF\n"),
    Edge::Lit("a 1 1.5e0\na 2 1.5e0\n# EOF\n"),
    Edge::Lit("a 1 1.5e0\na 1 1.5e0\n# EOF\n"),
    Edge::Lit("a 1 2\na 2 1\n# EOF\n"),
    Edge::Lit("# TYPE i info\ni_info 1 2\ni_info 1 1\n# EOF\n"),
    Edge::Lit("# TYPE i info\ni_info 1 2\ni_info 1 1.5e0\n# EOF\n"),
    Edge::Lit("# TYPE i info\ni_info{a=\"b\"} 1 2\ni_info{a=\"c\"} 1 1\n# EOF\n"),
    Edge::Lit("a{b\\n=\"c\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE a\\n gauge\na 1\n# EOF\n"),
    Edge::Lit("a{\"__x\\ny\"=\"c\"} 1\n# EOF\n"),
    Edge::Lit("a{\"__x\\n\"=\"c\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé\"} 1\n# EOF\n"),
    Edge::Lit("# EOF"),
    Edge::Lit("# EOF\n\n"),
    Edge::Lit("a 1\r\n# EOF\n"),
    Edge::Lit("# EOF\r\n"),
    Edge::Lit(""),
    Edge::Lit("\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1} # {a=\"b\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo x {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count: ,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:\t5 ,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:1,count:2,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1,positive_spans:[١:2],positive_deltas:[-١]}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1,positive_spans:[0:2],positive_spans:[1:3],positive_deltas:[1,2,3]}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {écount:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1} 123\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:5,sum:1_0,schema:1_0,zero_threshold:0.01,zero_count:+1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo{a=\"b\"} {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\nfoo{a=\"b\"} {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo{__name__=\"x\"} {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\n{\"foo\"} {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nbar {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo_gsum {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo_total {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo_bucket{le=\"+Inf\"} 1\nfoo_x {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1}\nfoo_bucket{le=\"+Inf\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo_bucket{le=\"+Inf\"} 1 {\n# EOF\n"),
    Edge::Lit("# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1\n# EOF\n"),
    Edge::Lit("# TYPE s summary\ns{quantile=\"0_5\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE s summary\ns{quantile=\" 0.5\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE s summary\ns{quantile=\"NaN\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE s summary\ns{quantile=\"0.5\"} NaN\n# EOF\n"),
    Edge::Lit("# TYPE s summary\ns{quantile=\"0.5\"} -1\n# EOF\n"),
    Edge::Lit("a 1 1.5 # {a=\"b\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 1.5 # {a=\"b\"} 1 1.5\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"b\"} 1 \n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"b\"}1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"b\"} 1 1 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 #{a=\"b\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"b\",} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"}\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1 # {a=\"\\\"\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total{a=\"\\\\\"} 1 # {a=\"\\\\\\\"\"} 1\n# EOF\n"),
    Edge::Lit("a{b=\"c\"X\n# EOF\n"),
    Edge::Lit("a}b{c=\"d\"} 1\n# EOF\n"),
    Edge::Lit("ainf {b=\"c\"X\n# EOF\n"),
    Edge::Lit("a{b=\"c\"}é1\n# EOF\n"),
    Edge::Lit("a{b=\"c\"}x1\n# EOF\n"),
    Edge::Lit("# HELP a \\\n# EOF\n"),
    Edge::Lit("# HELP a b\\\n# EOF\n"),
    Edge::Lit("# HELP a \\t\n# EOF\n"),
    Edge::Lit("#foo HELP a b\n# EOF\n"),
    Edge::Lit("# HELP \"a\" b\n# TYPE a gauge\na 1\n# EOF\n"),
    Edge::Lit("# HELP a b\n# HELP \"a\" c\n# EOF\n"),
    Edge::Lit("# UNIT a_s s\n# TYPE a_s gauge\na_s 1\n# EOF\n"),
    Edge::Lit("# TYPE a_s info\n# UNIT a_s s\n# EOF\n"),
    Edge::Lit("# UNIT a \n# UNIT a \n# EOF\n"),
    Edge::Lit("# TYPE a bogus\n# EOF\n"),
    Edge::Lit("# TYPE a untyped\n# EOF\n"),
    Edge::Lit("# TYPE a  gauge\n# EOF\n"),
    Edge::Lit("# TYPE a gauge \n# EOF\n"),
    Edge::Lit("# HELP \"\" x\n# EOF\n"),
    Edge::Lit("{\"a\"} 1\n{\"a\"} 2\n# EOF\n"),
    Edge::Lit("# TYPE \"a b\" gauge\n{\"a b\"} 1\n{\"a b\", c=\"d\"} 2\n# EOF\n"),
    Edge::Lit("# TYPE st stateset\nst{st=\"a\"} 1\nst{st=\"a\"} 0\n# EOF\n"),
    Edge::Lit("# TYPE st stateset\nst{st=\"a\",x=\"1\"} 1\nst{st=\"b\",x=\"2\"} 0\nst{st=\"c\",x=\"1\"} 0\n# EOF\n"),
    Edge::Lit("a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 1\n# EOF\n"),
    Edge::Lit("a 1 1\na 2 1\n# EOF\n"),
    Edge::Lit("a 1 1\na 2 1.0\n# EOF\n"),
    Edge::Lit("a 1 1.0\na 2 1.0\n# EOF\n"),
    Edge::Lit("a 1\0\n# EOF\n"),
    Edge::Lit("a\0 1\n# EOF\n"),
    Edge::Lit("a{b=\"\0\"} 1\n# EOF\n"),
    Edge::Lit("a 1 1.5\u{a0}\n# EOF\n"),
    Edge::Lit("a 1\u{a0}\n# EOF\n"),
    Edge::Lit("a 1 1\t\n# EOF\n"),
    Edge::Lit("a 1\t2\n# EOF\n"),
    Edge::Lit("a 1  2\n# EOF\n"),
    Edge::Lit("a  1\n# EOF\n"),
    Edge::Lit("a 1 \"x\" 2\n# EOF\n"),
    Edge::Lit("a 1 5\"abc\n# EOF\n"),
    Edge::Lit("a 1 #\n# EOF\n"),
    Edge::Lit("a 1 # \n# EOF\n"),
    Edge::Lit("a{b=\"c\"\n# EOF\n"),
    Edge::Lit("a{b=\"c\"} 1 # {x=\"y\"} 1\n# EOF\n"),
    Edge::Lit("# TYPE g gaugehistogram\ng_bucket{le=\"1\"} 1\ng_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum -1\n# EOF\n"),
    Edge::Lit("# TYPE g gaugehistogram\ng_bucket{le=\"-1\"} 1\ng_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum -1\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"-1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"1\"} 1 1\nh_bucket{le=\"+Inf\"} 1 2\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_bucket{le=\"1\"} 1 1\nh_bucket{le=\"+Inf\"} 1 1\nh_count 1 1\nh_sum 1 1\nh_bucket{le=\"1\"} 1 2\nh_bucket{le=\"+Inf\"} 1 2\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_created 1\n# EOF\n"),
    Edge::Lit("# TYPE h histogram\nh_sum 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total -0.0\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total -0\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total -1e-300\n# EOF\n"),
    Edge::Lit("# TYPE a gauge\n# TYPE b gauge\n# TYPE a gauge\n# EOF\n"),
    Edge::Lit("a 1\nb 1\na 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc 1\n# EOF\n"),
    Edge::Lit("# TYPE c counter\nc_total 1\n# TYPE c_total counter\n# EOF\n"),
];

/// Inputs prometheus_client accepts but fastprom rejects on purpose, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:1,zero_threshold:0.01,zero_count:1,positive_spans:[0:99999999999]}\n# EOF\n",
        "a native-histogram span offset/length beyond i32/u32 (BucketSpan's types); Python ints are unbounded",
    ),
    (
        "# TYPE foo histogram\nfoo {count:5,sum:2.5,schema:99999999999,zero_threshold:0.01,zero_count:1}\n# EOF\n",
        "a native-histogram schema beyond i32 (NativeHistogram::schema)",
    ),
    (
        "a 1 100000000000000000000000000000000000000000\n# EOF\n",
        "a timestamp beyond i128 seconds (Timestamp::Exact)",
    ),
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "\"",
    ",",
    "=",
    "#",
    " ",
    "\\",
    "\n",
    ".",
    "_",
    "-",
    "+",
    "0",
    "1",
    "9",
    "e",
    "E",
    ":",
    "[",
    "]",
    "a",
    "\t",
    "le",
    "NaN",
    "Inf",
    "+Inf",
    "nan",
    "é",
    "١",
    "\u{a0}",
    "\r",
    "\u{1c}",
    "_total",
    "_bucket",
    "_count",
    "_sum",
    "_created",
    "_gsum",
    "_gcount",
    "quantile",
    "# EOF",
    "\\\"",
    "\\\\",
    "{}",
    " # {a=\"b\"} 1",
];

const NUMBERS: &[&str] = &[
    "1",
    "-1",
    "0",
    "1.5",
    "1e3",
    "+Inf",
    "-Inf",
    "NaN",
    "nan",
    "inf",
    "0x1",
    "1_0",
    "١",
    "9007199254740993",
    "9007199254740992",
    "1.1234567891e3",
    "1.",
    ".5",
    "-0",
    "+5",
    "1e400",
    "123456789012345678901234567890",
    "1.-5",
    "1.+5",
    "00",
    "1\t.5",
];

/// Up to three edits of `s`: characters, whole lines, or a value token.
fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut s = s.to_owned();
    for _ in 0..1 + rng.below(3) {
        let boundaries: Vec<usize> = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect();
        match rng.below(4) {
            0 => {
                let i = boundaries[rng.below(boundaries.len())];
                let piece = rng.pick(PIECES);
                s.insert_str(i, piece);
            }
            1 => {
                if boundaries.len() > 1 {
                    let k = rng.below(boundaries.len() - 1);
                    s.replace_range(boundaries[k]..boundaries[k + 1], "");
                }
            }
            2 => {
                let mut lines: Vec<String> = s.split('\n').map(str::to_owned).collect();
                let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                match rng.below(3) {
                    0 => {
                        let dup = lines[j].clone();
                        lines.insert(i, dup);
                    }
                    1 if lines.len() > 1 => {
                        lines.remove(i);
                    }
                    _ => lines.swap(i, j),
                }
                s = lines.join("\n");
            }
            _ => {
                // Replace one space-separated token of a random line with a number.
                let mut lines: Vec<String> = s.split('\n').map(str::to_owned).collect();
                let i = rng.below(lines.len());
                let mut toks: Vec<String> = lines[i].split(' ').map(str::to_owned).collect();
                let k = rng.below(toks.len());
                toks[k] = rng.pick(NUMBERS).to_owned();
                lines[i] = toks.join(" ");
                s = lines.join("\n");
            }
        }
    }
    s
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
#[ignore = "needs prometheus_client in .venv; run by make test"]
fn differential_edge_cases_and_mutations() {
    let mut inputs: Vec<String> = EDGES
        .iter()
        .map(|e| match e {
            Edge::Lit(s) => (*s).to_owned(),
            Edge::Rep(a, c, n, b) => format!("{a}{}{b}", c.repeat(*n)),
        })
        .collect();
    let edge_count = inputs.len();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for c in cases() {
        let Some(text) = &c.text else { continue };
        for _ in 0..8 {
            inputs.push(mutate(&mut rng, text));
        }
    }
    let scratch = Scratch(std::env::temp_dir().join(format!("fastprom-om-diff-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&scratch.0);
    std::fs::create_dir_all(&scratch.0).expect("scratch dir");
    let files: Vec<PathBuf> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let p = scratch.0.join(format!("{i:05}"));
            std::fs::write(&p, text).expect("write input");
            p
        })
        .collect();
    let theirs = python_dumps(&files);
    let mut mismatches = Vec::new();
    let mut accepted = 0;
    for (text, theirs) in inputs.iter().zip(&theirs) {
        let ours = our_dump(&parse_str(text, ValidationScheme::Utf8));
        if !theirs.starts_with("ERROR") {
            accepted += 1;
        }
        if ours != their_dump_normalized(theirs) {
            mismatches.push(format!("{text:?}\n--- fastprom\n{ours}--- prometheus_client\n{theirs}"));
        }
    }
    println!(
        "differential: {} edge cases and {} mutants ({accepted} accepted by prometheus_client), {} differences",
        edge_count,
        inputs.len() - edge_count,
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "differences from prometheus_client:\n{}", mismatches.join("\n"));

    // The documented differences still hold (drop an entry once it is fixed).
    let files: Vec<PathBuf> = KNOWN_DIFFERENCES
        .iter()
        .enumerate()
        .map(|(i, (text, _))| {
            let p = scratch.0.join(format!("known{i}"));
            std::fs::write(&p, text).expect("write input");
            p
        })
        .collect();
    for ((text, why), theirs) in KNOWN_DIFFERENCES.iter().zip(python_dumps(&files)) {
        assert!(parse_str(text, ValidationScheme::Utf8).is_err(), "now accepted ({why}): {text:?}");
        assert!(!theirs.starts_with("ERROR"), "prometheus_client now rejects ({why}): {text:?}");
    }
}
