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
//! use std::sync::Arc;
//! use fastprom::{Counter, Family, Opts, Registry, EscapingScheme};
//!
//! let registry = Registry::new();
//! let requests = Family::<Counter>::new(
//!     Opts::new("http_requests", "Requests served.").labels(["method", "code"]),
//!     (),
//! )?;
//! registry.register(Arc::new(requests.clone()))?;
//!
//! requests.labels(&["GET", "200"])?.inc();
//! requests.with_labels(&["POST", "500"], |c| c.inc_by(2.0))??;
//!
//! fastprom::set_created_enabled(false);
//! let text = fastprom::expose::encode_text(&registry, EscapingScheme::Underscores)?;
//! let expected = concat!(
//!     "# HELP http_requests_total Requests served.\n",
//!     "# TYPE http_requests_total counter\n",
//!     "http_requests_total{code=\"200\",method=\"GET\"} 1.0\n",
//!     "http_requests_total{code=\"500\",method=\"POST\"} 2.0\n",
//! );
//! assert_eq!(String::from_utf8(text).unwrap(), expected);
//! # fastprom::set_created_enabled(true);
//! # Ok::<(), fastprom::Error>(())
//! ```

pub mod clock;
pub mod compat;
pub mod error;
pub mod expose;
pub mod floatfmt;
pub mod metrics;
pub mod model;
pub mod names;
pub mod parse;
pub mod push;
pub mod registry;

use std::sync::atomic::{AtomicBool, Ordering};

pub use clock::Clock;
pub use error::{Error, Result};
pub use metrics::{
    Buckets, Child, Counter, Enum, Family, Gauge, Histogram, Info, MetricCore, Objective, Opts, States, Summary,
    SummaryConfig,
};
pub use model::{BucketSpan, Exemplar, MetricFamily, MetricType, NativeHistogram, Sample, Timestamp, Visitor};
pub use names::EscapingScheme;
pub use registry::{Collector, CollectorId, Desc, Registry};

static CREATED: AtomicBool = AtomicBool::new(true);

/// Turns the `_created` samples of counters, histograms and summaries on or off, for the
/// whole process (prometheus_client's `enable_created_metrics` /
/// `disable_created_metrics`; bindings map `PROMETHEUS_DISABLE_CREATED_SERIES` onto it).
pub fn set_created_enabled(on: bool) {
    CREATED.store(on, Ordering::Relaxed);
}

/// Whether `_created` samples are exported.
pub fn created_enabled() -> bool {
    CREATED.load(Ordering::Relaxed)
}
