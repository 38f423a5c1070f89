//! Encoding a registry: `generate_text` and `generate_openmetrics`; and the suffix table
//! the Python registry's duplicate detection reads (`series_suffixes`).
//!
//! Anything with `collect()` can be encoded. A fastprom `CollectorRegistry` (or
//! `RestrictedRegistry`) is walked collector by collector, in registration order, target
//! info first: native metrics are encoded straight from their core families (no Python
//! object per sample, with the GIL released), and everything else through its `collect()`,
//! converted by [`convert::visit_metric`]. A restricted registry filters with the core's
//! [`NameFilter`].

use std::collections::HashSet;

use fastprom::expose::openmetrics::OpenMetricsEncoder;
use fastprom::expose::text::TextEncoder;
use fastprom::model::{FamilyCollector, Visitor};
use fastprom::registry::NameFilter;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::metrics::{AnyFamily, CounterBase, EnumBase, GaugeBase, HistogramBase, InfoBase, Native, SummaryBase};
use crate::{config, convert, errors, gil};

/// A visitor the walk can hand native families to.
trait Sink: Visitor {
    /// Streams native families.
    fn natives(&mut self, py: Python<'_>, fams: &[AnyFamily]) -> fastprom::Result<()>;
}

fn visit_all(fams: &[AnyFamily], v: &mut dyn Visitor) -> fastprom::Result<()> {
    fams.iter().try_for_each(|f| f.visit(v))
}

impl Sink for TextEncoder {
    fn natives(&mut self, py: Python<'_>, fams: &[AnyFamily]) -> fastprom::Result<()> {
        gil::detach(py, || visit_all(fams, self))
    }
}

impl Sink for OpenMetricsEncoder {
    fn natives(&mut self, py: Python<'_>, fams: &[AnyFamily]) -> fastprom::Result<()> {
        gil::detach(py, || visit_all(fams, self))
    }
}

impl Sink for fastprom::remote_write::Builder {
    fn natives(&mut self, py: Python<'_>, fams: &[AnyFamily]) -> fastprom::Result<()> {
        gil::detach(py, || visit_all(fams, self))
    }
}

impl Sink for NameFilter<'_> {
    /// The filter cannot leave the GIL (it wraps the caller's visitor), so the families
    /// are collected without the GIL first, then filtered.
    fn natives(&mut self, py: Python<'_>, fams: &[AnyFamily]) -> fastprom::Result<()> {
        let (r, owned) = gil::detach(py, || {
            let mut c = FamilyCollector::default();
            (visit_all(fams, &mut c), c.families)
        });
        r?;
        owned.iter().try_for_each(|f| f.visit(self))
    }
}

fn native_of<T: Native>(obj: &Bound<'_, T>) -> PyResult<Option<AnyFamily>> {
    let Some(n) = obj.get().cell().get() else {
        return Ok(None);
    };
    // A child (labels but no children of its own) collects without its labels: Python path.
    if n.parent.is_none() && !n.family.label_names().is_empty() {
        return Ok(None);
    }
    if !config::native_ok(obj.py(), &obj.as_any().get_type())? {
        return Ok(None);
    }
    Ok(Some(T::any_family(&n.family)))
}

/// The core family of a native metric whose samples are the native ones.
fn native_family(obj: &Bound<'_, PyAny>) -> PyResult<Option<AnyFamily>> {
    if let Ok(b) = obj.cast::<CounterBase>() {
        return native_of(b);
    }
    if let Ok(b) = obj.cast::<GaugeBase>() {
        return native_of(b);
    }
    if let Ok(b) = obj.cast::<HistogramBase>() {
        return native_of(b);
    }
    if let Ok(b) = obj.cast::<SummaryBase>() {
        return native_of(b);
    }
    if let Ok(b) = obj.cast::<InfoBase>() {
        return native_of(b);
    }
    if let Ok(b) = obj.cast::<EnumBase>() {
        return native_of(b);
    }
    Ok(None)
}

type Snapshot<'py> = (Bound<'py, PyAny>, Vec<Bound<'py, PyAny>>, Option<HashSet<String>>);

/// `registry._fp_snapshot()` for fastprom's registries: (target info metric or `None`,
/// collectors in collection order, the restricted names or `None`); `None` when the
/// registry's `collect` is overridden.
fn snapshot<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Snapshot<'py>>> {
    let py = obj.py();
    let types = PyTuple::new(py, [config::get(py, "registry")?, config::get(py, "restricted")?])?;
    if !obj.is_instance(&types)? {
        return Ok(None);
    }
    let snap = obj.call_method0("_fp_snapshot")?;
    if snap.is_none() {
        return Ok(None);
    }
    let (target, collectors, names): (Bound<'py, PyAny>, Vec<Bound<'py, PyAny>>, Option<HashSet<String>>) =
        snap.extract()?;
    Ok(Some((target, collectors, names)))
}

fn flush<S: Sink>(py: Python<'_>, sink: &mut S, pending: &mut Vec<AnyFamily>) -> PyResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let r = sink.natives(py, pending);
    pending.clear();
    errors::check(r)
}

fn walk<S: Sink>(obj: &Bound<'_, PyAny>, sink: &mut S, pending: &mut Vec<AnyFamily>) -> PyResult<()> {
    let py = obj.py();
    if let Some(f) = native_family(obj)? {
        pending.push(f);
        return Ok(());
    }
    if let Some((target, collectors, names)) = snapshot(obj)? {
        match names {
            None => {
                if !target.is_none() {
                    flush(py, sink, pending)?;
                    convert::visit_metric(&target, sink)?;
                }
                for c in &collectors {
                    walk(c, sink, pending)?;
                }
            }
            Some(names) => {
                flush(py, sink, pending)?;
                // Target info is not filtered (prometheus_client yields it as is).
                if !target.is_none() {
                    convert::visit_metric(&target, sink)?;
                }
                let mut filter = NameFilter::new(&names, sink);
                let mut inner = Vec::new();
                for c in &collectors {
                    walk(c, &mut filter, &mut inner)?;
                }
                flush(py, &mut filter, &mut inner)?;
            }
        }
        return Ok(());
    }
    flush(py, sink, pending)?;
    if let Ok(source) = obj.cast::<crate::multiprocess::MpSource>() {
        for f in source.get().families(py)? {
            errors::check(f.visit(sink))?;
        }
        return Ok(());
    }
    for m in obj.call_method0("collect")?.try_iter()? {
        convert::visit_metric(&m?, sink)?;
    }
    Ok(())
}

fn encode<S: Sink>(registry: &Bound<'_, PyAny>, sink: &mut S) -> PyResult<()> {
    // Collectors are Python code run from here.
    let _region = gil::Region::enter(registry.py());
    // A forked child's multi-process values first move to its own files (as
    // prometheus_client's cells notice the fork when read).
    crate::multiprocess::follow_forks(registry.py())?;
    let mut pending = Vec::new();
    walk(registry, sink, &mut pending)?;
    flush(registry.py(), sink, &mut pending)
}

/// The Prometheus text format of everything `registry.collect()` yields
/// (prometheus_client's `exposition.generate_latest`).
#[pyfunction]
#[pyo3(signature = (registry, escaping="underscores"))]
fn generate_text<'py>(registry: &Bound<'py, PyAny>, escaping: &str) -> PyResult<Bound<'py, PyBytes>> {
    let mut enc = TextEncoder::new(convert::escaping(escaping));
    encode(registry, &mut enc)?;
    Ok(PyBytes::new(registry.py(), &enc.into_bytes()))
}

/// OpenMetrics text of everything `registry.collect()` yields, ending with `# EOF`
/// (prometheus_client's `openmetrics.exposition.generate_latest`).
#[pyfunction]
#[pyo3(signature = (registry, escaping="underscores", version="1.0.0"))]
fn generate_openmetrics<'py>(
    registry: &Bound<'py, PyAny>,
    escaping: &str,
    version: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut enc = OpenMetricsEncoder::new(convert::escaping(escaping), version);
    encode(registry, &mut enc)?;
    Ok(PyBytes::new(registry.py(), &enc.finish()))
}

/// Remote-write 1.0 request bodies (protobuf, snappy) for everything `registry` collects
/// now: samples without a timestamp get `now_ms`; `external_labels` go on every series
/// that lacks them; requests stay within `max_request_bytes` before compression. Returns
/// `[(body, series), ...]`.
#[pyfunction]
#[pyo3(signature = (registry, now_ms, external_labels=Vec::new(), metadata=true, created=true, max_request_bytes=1 << 20))]
fn remote_write_bodies<'py>(
    registry: &Bound<'py, PyAny>,
    now_ms: i64,
    external_labels: Vec<(String, String)>,
    metadata: bool,
    created: bool,
    max_request_bytes: usize,
) -> PyResult<Vec<(Bound<'py, PyBytes>, usize)>> {
    use fastprom::remote_write::{Builder, RemoteWriteConfig, Scratch};
    let config = RemoteWriteConfig::new()
        .external_labels(external_labels)
        .metadata(metadata)
        .created(created)
        .max_request_bytes(max_request_bytes);
    // One set of buffers for the process, reused build after build (a sender builds the
    // same registry every interval); a build that finds them taken uses fresh ones.
    static SCRATCH: std::sync::Mutex<Option<Scratch>> = std::sync::Mutex::new(None);
    let take = || SCRATCH.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    let mut scratch = take().unwrap_or_default();
    let mut builder = Builder::with_scratch(now_ms, config, &mut scratch);
    encode(registry, &mut builder)?;
    let py = registry.py();
    let bodies = gil::detach(py, || builder.finish_compressed_into(&mut scratch)).map_err(errors::to_py)?;
    *SCRATCH.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(scratch);
    Ok(bodies.into_iter().map(|b| (PyBytes::new(py, &b.body), b.series)).collect())
}

/// The sample-name suffixes a family of type `kind` claims besides its own name (the
/// core's table, which its registry uses for duplicate detection); empty for gauges,
/// unknown, stateset and any type name the core does not know.
#[pyfunction]
fn series_suffixes(kind: &str) -> Vec<&'static str> {
    fastprom::model::MetricType::from_name(kind).map(|t| t.suffixes().to_vec()).unwrap_or_default()
}

/// Adds the encoders, the suffix table and the remote-write headers to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(remote_write_bodies, m)?)?;
    // The protocol's headers, as the core writes them: `[(name, value), ...]`.
    m.add("REMOTE_WRITE_HEADERS", fastprom::remote_write::HEADERS.to_vec())?;
    m.add_function(wrap_pyfunction!(series_suffixes, m)?)?;
    m.add_function(wrap_pyfunction!(generate_text, m)?)?;
    m.add_function(wrap_pyfunction!(generate_openmetrics, m)?)?;
    Ok(())
}
