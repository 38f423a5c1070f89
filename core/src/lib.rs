//! # fastprom
//!
//! A pure-Rust Prometheus metric and exposition core: counters, gauges, histograms,
//! summaries, info and enum metrics in labelled families; a registry with custom
//! collectors; the Prometheus text and OpenMetrics formats, byte-identical to Python's
//! prometheus_client 0.26; content negotiation; Pushgateway requests. It does no I/O and
//! reads no clock of its own, so it builds for `wasm32-unknown-unknown`; the Python, C and
//! WASM bindings stand on it.
//!
//! ```
//! use fastprom::{Counter, EscapingScheme, Family, Opts, Registry, Settings};
//!
//! let registry = Registry::new();
//!
//! // A metric without labels, used directly.
//! let jobs = Counter::new("jobs", "Jobs run.")?;
//! registry.register(jobs.clone())?;
//! jobs.inc();
//!
//! // A labelled family: keep a child's handle, or update a child in passing.
//! let requests = Family::<Counter>::new(Opts::new("http_requests", "Requests served.").labels(["method", "code"]), ())?;
//! registry.register(requests.clone())?;
//! let ok = requests.labels(&["GET", "200"])?;
//! ok.inc();
//! requests.try_with_labels(&["POST", "500"], |c| c.inc_by(2.0))?;
//!
//! registry.set_created(false); // leave out the `_created` samples in this registry's scrapes
//! let mut text = Vec::new();
//! fastprom::expose::encode_text_into(&registry, EscapingScheme::Underscores, &mut text)?;
//! let expected = concat!(
//!     "# HELP jobs_total Jobs run.\n",
//!     "# TYPE jobs_total counter\n",
//!     "jobs_total 1.0\n",
//!     "# HELP http_requests_total Requests served.\n",
//!     "# TYPE http_requests_total counter\n",
//!     "http_requests_total{code=\"200\",method=\"GET\"} 1.0\n",
//!     "http_requests_total{code=\"500\",method=\"POST\"} 2.0\n",
//! );
//! assert_eq!(String::from_utf8(text).unwrap(), expected);
//!
//! // Errors say what went wrong in fields a caller can match on.
//! match requests.labels(&["GET"]) {
//!     Err(fastprom::Error::LabelCount { expected: 2, given }) => assert_eq!(given, ["GET"]),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), fastprom::Error>(())
//! ```
//!
//! Every setting lives in a registry or a family, never in the process: a family's clock,
//! name validation scheme and `_created` toggle come from its [`Settings`] (through
//! [`Opts::settings`]), and a [`Registry`] can turn `_created` off for its scrapes.

pub mod clock;
pub mod compat;
pub mod error;
pub mod expose;
pub mod floatfmt;
pub mod metrics;
pub mod model;
#[cfg(feature = "multiprocess")]
pub mod multiprocess;
pub mod names;
pub mod parse;
pub mod push;
pub mod registry;
#[cfg(feature = "remote-write")]
pub mod remote_write;
pub mod settings;
mod sync;

pub use clock::Clock;
pub use error::{Error, Result};
pub use metrics::{
    Buckets, Child, Counter, Enum, Family, Gauge, Histogram, Info, MetricCore, Objective, Opts, Standalone, States,
    Summary, SummaryConfig,
};
pub use model::{BucketSpan, Exemplar, MetricFamily, MetricType, NativeHistogram, Sample, Timestamp, Visitor};
pub use names::{EscapingScheme, ValidationScheme};
pub use registry::{Collector, CollectorId, Desc, Registry};
pub use settings::Settings;

/// The README's Rust example, compiled and run as a doctest so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
