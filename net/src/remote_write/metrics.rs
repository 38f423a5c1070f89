//! The remote-write sender's own metrics: what it sent, retried and dropped, and how full
//! its queue is, labelled with the receiver's URL. The names and labels are those of the
//! Python face's `RemoteWriteSender`, so dashboards and alerts work for both.
//!
//! One set of families per registry: every sender that registers its metrics in the same
//! registry shares them (each with its own `url` children), as two senders to two
//! receivers would otherwise clash on the names.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use fastprom::model::{MetricFamily, Visitor};
use fastprom::{Child, Collector, Counter, Desc, Family, Gauge, Opts, Registry};

use crate::Result;

/// The five families, registered together as one collector.
pub(crate) struct Families {
    requests: Family<Counter>,
    series: Family<Counter>,
    dropped: Family<Counter>,
    queued: Family<Gauge>,
    last_success: Family<Gauge>,
}

impl Families {
    fn new() -> Result<Self> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            Family::<Counter>::new(Opts::new(name, help).labels(labels.iter().copied()), ())
        };
        let gauge = |name: &str, help: &str| Family::<Gauge>::new(Opts::new(name, help).labels(["url"]), ());
        Ok(Self {
            requests: counter(
                "fastprom_remote_write_requests",
                "Remote-write requests by outcome.",
                &["url", "outcome"],
            )?,
            series: counter("fastprom_remote_write_series_sent", "Series sent by remote write.", &["url"])?,
            dropped: counter(
                "fastprom_remote_write_batches_dropped",
                "Remote-write batches dropped, by reason.",
                &["url", "reason"],
            )?,
            queued: gauge("fastprom_remote_write_queue_batches", "Remote-write batches waiting.")?,
            last_success: gauge(
                "fastprom_remote_write_last_success_timestamp_seconds",
                "When a remote-write request last succeeded.",
            )?,
        })
    }

    fn all(&self) -> [&dyn Collector; 5] {
        [&self.requests, &self.series, &self.dropped, &self.queued, &self.last_success]
    }
}

impl Collector for Families {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        let mut out = Vec::new();
        for family in self.all() {
            out.extend(family.collect()?);
        }
        Ok(out)
    }

    fn describe(&self) -> Option<Vec<Desc>> {
        let mut out = Vec::new();
        for family in self.all() {
            out.extend(family.describe()?);
        }
        Some(out)
    }

    fn visit(&self, v: &mut dyn Visitor) -> fastprom::Result<()> {
        for family in self.all() {
            family.visit(v)?;
        }
        Ok(())
    }
}

/// The families registered in each registry, by the registry's address. An entry whose
/// families are gone is dead and is pruned. The address cannot be taken over by another
/// registry while the families live: they are held by their registry and by senders,
/// and every sender holds its metrics registry too.
static SHARED: Mutex<Vec<(usize, Weak<Families>)>> = Mutex::new(Vec::new());

/// The sender metrics in `registry`: the ones already registered there by another
/// sender, or new ones registered now. Fails when the registry already has other
/// collectors with these names.
fn families_in(registry: &Arc<Registry>) -> Result<Arc<Families>> {
    let key = Arc::as_ptr(registry) as usize;
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    shared.retain(|(_, families)| families.strong_count() > 0);
    if let Some(found) = shared.iter().find(|(k, _)| *k == key).and_then(|(_, f)| f.upgrade()) {
        return Ok(found);
    }
    let families = Arc::new(Families::new()?);
    registry.register(Arc::clone(&families))?;
    shared.push((key, Arc::downgrade(&families)));
    Ok(families)
}

/// One sender's children of the families (`url` set), kept so that updates are plain
/// atomic operations.
pub(crate) struct SenderMetrics {
    /// Requests the receiver took.
    pub(crate) sent: Child<Counter>,
    /// Requests that failed in a way worth retrying.
    pub(crate) retried: Child<Counter>,
    /// Requests the receiver refused for good.
    pub(crate) rejected: Child<Counter>,
    /// Series delivered.
    pub(crate) series: Child<Counter>,
    /// Batches dropped because the queue was full.
    pub(crate) dropped_queue_full: Child<Counter>,
    /// Batches dropped because the receiver refused one of their requests.
    pub(crate) dropped_rejected: Child<Counter>,
    /// Batches not sent by the end of `close`.
    pub(crate) dropped_shutdown: Child<Counter>,
    /// Batches waiting.
    pub(crate) queued: Child<Gauge>,
    /// When a request last succeeded (seconds since the epoch).
    pub(crate) last_success: Child<Gauge>,
    /// Keeps the families alive (and so this entry of [`SHARED`]).
    _families: Arc<Families>,
}

impl SenderMetrics {
    /// The children for `url`, in `registry`'s shared families when given, else in
    /// families of the sender's own that no registry exposes.
    pub(crate) fn new(url: &str, registry: Option<&Arc<Registry>>) -> Result<Self> {
        let families = match registry {
            Some(registry) => families_in(registry)?,
            None => Arc::new(Families::new()?),
        };
        let f = &families;
        Ok(Self {
            sent: f.requests.labels(&[url, "sent"])?,
            retried: f.requests.labels(&[url, "retried"])?,
            rejected: f.requests.labels(&[url, "rejected"])?,
            series: f.series.labels(&[url])?,
            dropped_queue_full: f.dropped.labels(&[url, "queue_full"])?,
            dropped_rejected: f.dropped.labels(&[url, "rejected"])?,
            dropped_shutdown: f.dropped.labels(&[url, "shutdown"])?,
            queued: f.queued.labels(&[url])?,
            last_success: f.last_success.labels(&[url])?,
            _families: families,
        })
    }
}
