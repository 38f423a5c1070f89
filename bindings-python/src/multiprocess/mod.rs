//! prometheus_client's multi-process mode, natively: the per-process files (`values`,
//! `mmap_dict`), the scrape (`multiprocess.MultiProcessCollector`) and fastprom's
//! compaction. The rules live in the core ([`fastprom::multiprocess`]); this module maps
//! files, lists directories and takes locks.

mod context;
mod dir;
mod file;
mod ops;

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

pub(crate) use context::{bind_child, follow_forks, Binding, Context, KeySpec, Mirror};
pub(crate) use ops::*;

use file::MmapFile;

use crate::gil;

/// One `values.MultiProcessValue(...)`: the files of this process and every value in them.
#[pyclass(frozen, module = "fastprom._fastprom", name = "MultiprocessContext")]
pub(crate) struct PyContext {
    pub(crate) inner: Arc<Context>,
}

#[pymethods]
impl PyContext {
    /// `process_identifier`: `None` for the pid (followed across forks), else a callable
    /// called on every update.
    #[new]
    #[pyo3(signature = (process_identifier=None))]
    fn new(py: Python<'_>, process_identifier: Option<Py<PyAny>>) -> PyResult<Self> {
        Ok(Self { inner: Context::new(py, process_identifier)? })
    }

    /// A standalone value (prometheus_client's `MmapedValue(...)` called directly).
    #[pyo3(signature = (typ, metric_name, name, labelnames, labelvalues, help_text, multiprocess_mode=""))]
    #[allow(clippy::too_many_arguments)]
    fn cell(
        &self,
        py: Python<'_>,
        typ: &str,
        metric_name: &str,
        name: &str,
        labelnames: Vec<String>,
        labelvalues: Vec<String>,
        help_text: &str,
        multiprocess_mode: &str,
    ) -> PyResult<MpCell> {
        let prefix = if typ == "gauge" { format!("{typ}_{multiprocess_mode}") } else { typ.to_owned() };
        let labels: Vec<(&str, &str)> =
            labelnames.iter().map(String::as_str).zip(labelvalues.iter().map(String::as_str)).collect();
        let key = fastprom::multiprocess::encode_key(metric_name, name, &labels, help_text);
        let binding = self.inner.bind(py, prefix, vec![key], Mirror::None)?;
        let local = match &binding {
            Some(b) => b.apply(py, |f| Ok(f.map(|(file, pos)| file.read(pos[0])).unwrap_or((0.0, 0.0))))?,
            None => (0.0, 0.0),
        };
        Ok(MpCell { binding, local: Mutex::new(local) })
    }

    /// Closes the files; values created so far stop being written.
    fn close(&self) {
        self.inner.close();
    }
}

/// A standalone multi-process value.
#[pyclass(frozen, module = "fastprom._fastprom")]
pub(crate) struct MpCell {
    binding: Option<Binding>,
    /// The value and timestamp as last written (what `get` answers once files are closed).
    local: Mutex<(f64, f64)>,
}

impl MpCell {
    fn update(&self, py: Python<'_>, f: impl Fn(f64) -> (f64, f64)) -> PyResult<()> {
        match &self.binding {
            Some(b) => {
                let written = b.apply(py, |file| match file {
                    Some((file, pos)) => {
                        let (v, t) = f(file.read(pos[0]).0);
                        file.write(pos[0], v, t)?;
                        Ok(Some((v, t)))
                    }
                    None => Ok(None),
                })?;
                let mut local = self.local.lock();
                *local = written.unwrap_or_else(|| f(local.0));
            }
            None => {
                let mut local = self.local.lock();
                *local = f(local.0);
            }
        }
        Ok(())
    }
}

#[pymethods]
impl MpCell {
    fn inc(&self, py: Python<'_>, amount: f64) -> PyResult<()> {
        self.update(py, |v| (v + amount, 0.0))
    }

    #[pyo3(signature = (value, timestamp=None))]
    fn set(&self, py: Python<'_>, value: f64, timestamp: Option<f64>) -> PyResult<()> {
        let ts = timestamp.filter(|t| *t != 0.0).unwrap_or(0.0);
        self.update(py, |_| (value, ts))
    }

    fn get(&self, py: Python<'_>) -> PyResult<f64> {
        if let Some(b) = &self.binding {
            if let Some(v) = b.apply(py, |f| Ok(f.map(|(file, pos)| file.read(pos[0]).0)))? {
                return Ok(v);
            }
        }
        Ok(self.local.lock().0)
    }
}

/// prometheus_client's `mmap_dict.MmapedDict`: a file of named floats, mapped.
#[pyclass(subclass, module = "fastprom._fastprom", name = "MmapedDict")]
pub(crate) struct PyMmapedDict {
    file: Option<MmapFile>,
    #[pyo3(get)]
    _fname: Py<PyAny>,
}

impl PyMmapedDict {
    fn open(&mut self) -> PyResult<&mut MmapFile> {
        self.file.as_mut().ok_or_else(|| PyValueError::new_err("mmap closed or invalid"))
    }
}

fn entries_list<'py>(py: Python<'py>, data: &[u8], with_pos: bool) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    let r = fastprom::multiprocess::format::for_each_entry(data, |e| {
        let item = if with_pos {
            (e.key, e.value, e.timestamp, e.pos).into_pyobject(py).map(|t| t.into_any())
        } else {
            (e.key, e.value, e.timestamp).into_pyobject(py).map(|t| t.into_any())
        };
        if let Ok(item) = item {
            let _ = list.append(item);
        }
    });
    match r {
        Ok(()) => Ok(list),
        Err(e) => Err(PyRuntimeError::new_err(format!("Read beyond file size detected, file is corrupted. ({e})"))),
    }
}

#[pymethods]
impl PyMmapedDict {
    #[new]
    #[pyo3(signature = (filename, read_mode=false))]
    fn new(filename: &Bound<'_, PyAny>, read_mode: bool) -> PyResult<Self> {
        let path: PathBuf = filename.extract()?;
        let file = MmapFile::open(&path, read_mode).map_err(context::to_py)?;
        Ok(Self { file: Some(file), _fname: filename.clone().unbind() })
    }

    /// `(key, value, timestamp, pos)` for every entry of a file, read without mapping it.
    #[staticmethod]
    fn read_all_values_from_file<'py>(py: Python<'py>, filename: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let data = file::read_used(&filename)?;
        entries_list(py, &data, true)?.try_iter().map(Bound::into_any)
    }

    /// `(key, value, timestamp, pos)` for every entry.
    fn _read_all_values<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.open()?;
        entries_list(py, f.bytes(), true)?.try_iter().map(Bound::into_any)
    }

    /// `(key, value, timestamp)` for every entry.
    fn read_all_values<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.open()?;
        entries_list(py, f.bytes(), false)?.try_iter().map(Bound::into_any)
    }

    /// `(value, timestamp)` of `key`, adding it (at 0.0) when missing.
    fn read_value(&mut self, key: &str) -> PyResult<(f64, f64)> {
        let f = self.open()?;
        let pos = f.position(key).map_err(context::to_py)?;
        Ok(f.read(pos))
    }

    /// Writes `key`'s value and timestamp, adding the key when missing.
    fn write_value(&mut self, key: &str, value: f64, timestamp: f64) -> PyResult<()> {
        let f = self.open()?;
        let pos = f.position(key).map_err(context::to_py)?;
        f.write(pos, value, timestamp).map_err(context::to_py)
    }

    /// Unmaps and closes the file.
    fn close(&mut self) {
        self.file = None;
    }

    #[getter]
    fn _capacity(&mut self) -> PyResult<usize> {
        Ok(self.open()?.capacity())
    }

    #[getter]
    fn _used(&mut self) -> PyResult<usize> {
        Ok(self.open()?.used())
    }

    #[getter]
    fn _positions<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, p) in self.open()?.positions() {
            d.set_item(k, p)?;
        }
        Ok(d)
    }
}

/// `mmap_key(metric_name, name, labelnames, labelvalues, help_text)`.
#[pyfunction]
fn mmap_key(
    metric_name: &str,
    name: &str,
    labelnames: Vec<String>,
    labelvalues: Vec<String>,
    help_text: &str,
) -> String {
    let labels: Vec<(&str, &str)> =
        labelnames.iter().map(String::as_str).zip(labelvalues.iter().map(String::as_str)).collect();
    fastprom::multiprocess::encode_key(metric_name, name, &labels, help_text)
}

/// prometheus_client's `mmap_dict._read_all_values(data, used=0)` over bytes.
#[pyfunction]
#[pyo3(signature = (data, used=0))]
fn _mp_read_entries<'py>(py: Python<'py>, data: &Bound<'py, PyBytes>, used: i64) -> PyResult<Bound<'py, PyList>> {
    let bytes = data.as_bytes();
    if used > 0 {
        let mut copy = bytes.to_vec();
        if copy.len() >= 4 {
            copy[..4].copy_from_slice(&(used as i32).to_ne_bytes());
        }
        return entries_list(py, &copy, true);
    }
    entries_list(py, bytes, true)
}

/// A merge as Python data: `([(name, help, type, [(sample, [(label, value)...], value)...])...],
/// [(path, reason)...])`.
fn scrape_to_py<'py>(py: Python<'py>, s: dir::Scrape) -> PyResult<Bound<'py, PyTuple>> {
    // The merge shares its strings; so do the Python objects made from them.
    let mut strings: hashbrown::HashMap<*const u8, Bound<'py, PyString>, foldhash::fast::RandomState> =
        Default::default();
    let mut text =
        |s: &fastprom::multiprocess::Shared| strings.entry(s.as_ptr()).or_insert_with(|| PyString::new(py, s)).clone();
    let families = PyList::empty(py);
    for f in &s.output.families {
        let samples = PyList::empty(py);
        for smp in &f.samples {
            let labels = PyDict::new(py);
            for (k, v) in smp.labels.iter() {
                labels.set_item(text(k), text(v))?;
            }
            samples.append((text(&smp.name), labels, smp.value))?;
        }
        families.append((&f.name, &f.help, &f.typ, samples))?;
    }
    let skipped = PyList::empty(py);
    for (path, (_, why)) in s.skipped_paths.iter().zip(&s.output.skipped) {
        skipped.append((path, why.to_string()))?;
    }
    PyTuple::new(py, [families.into_any(), skipped.into_any()])
}

const SKIPPED_NAME: &str = "fastprom_multiprocess_skipped_files";
const SKIPPED_HELP: &str = "Multi-process files this collector could not read and left out of its scrapes.";

/// A `MultiProcessCollector`'s directory, as scrapes read it. The registry's encoders
/// take the merged families straight from here (no Python object per sample); the
/// collector's `collect()` builds `Metric` objects from the same scrape. Files left out
/// are warned about and counted, whichever way the scrape went.
#[pyclass(frozen, module = "fastprom._fastprom", name = "MultiprocessSource")]
pub(crate) struct MpSource {
    path: PathBuf,
    skipped: std::sync::atomic::AtomicU64,
}

impl MpSource {
    fn read(&self, py: Python<'_>) -> PyResult<dir::Scrape> {
        let path = self.path.clone();
        let s = gil::detach(py, move || dir::scrape(&path))?;
        if !s.skipped_paths.is_empty() {
            self.skipped.fetch_add(s.skipped_paths.len() as u64, std::sync::atomic::Ordering::Relaxed);
            for (path, (_, why)) in s.skipped_paths.iter().zip(&s.output.skipped) {
                let msg =
                    std::ffi::CString::new(format!("fastprom: skipped multiprocess file {}: {why}", path.display()))
                        .unwrap_or_default();
                PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(), &msg, 2)?;
            }
        }
        Ok(s)
    }

    /// The merged families as the core's model, the skipped-files counter last.
    pub(crate) fn families(&self, py: Python<'_>) -> PyResult<Vec<fastprom::MetricFamily>> {
        let s = self.read(py)?;
        let mut out = Vec::with_capacity(s.output.families.len() + 1);
        for f in &s.output.families {
            let kind = crate::errors::check(fastprom::MetricType::from_name(&f.typ))?;
            let mut family = crate::errors::check(fastprom::MetricFamily::new(&f.name, &f.help, kind, ""))?;
            family.samples = f
                .samples
                .iter()
                .map(|smp| fastprom::Sample {
                    name: smp.name.to_string(),
                    labels: smp.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                    value: smp.value,
                    timestamp: None,
                    exemplar: None,
                    native_histogram: None,
                })
                .collect();
            out.push(family);
        }
        let skipped = self.skipped.load(std::sync::atomic::Ordering::Relaxed);
        if skipped > 0 {
            let mut family = crate::errors::check(fastprom::MetricFamily::new(
                SKIPPED_NAME,
                SKIPPED_HELP,
                fastprom::MetricType::Counter,
                "",
            ))?;
            family.samples.push(fastprom::Sample {
                name: format!("{SKIPPED_NAME}_total"),
                labels: Vec::new(),
                value: skipped as f64,
                timestamp: None,
                exemplar: None,
                native_histogram: None,
            });
            out.push(family);
        }
        Ok(out)
    }
}

#[pymethods]
impl MpSource {
    #[new]
    fn new(path: PathBuf) -> Self {
        Self { path, skipped: std::sync::atomic::AtomicU64::new(0) }
    }

    /// One scrape as Python data: `[(name, help, type, [(sample, labels, value)...])...]`.
    fn scrape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.read(py)?;
        scrape_to_py(py, s)?.get_item(0)
    }

    /// Files left out of scrapes so far.
    #[getter]
    fn skipped(&self) -> u64 {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Reads and merges `files`, in order.
#[pyfunction]
#[pyo3(signature = (files, accumulate=true))]
fn _mp_merge<'py>(py: Python<'py>, files: Vec<PathBuf>, accumulate: bool) -> PyResult<Bound<'py, PyTuple>> {
    let s = gil::detach(py, || dir::merge_files(files, accumulate))?;
    scrape_to_py(py, s)
}

/// What `_mp_compact` returns: files folded, files written, files skipped and why.
type Compacted = (Vec<String>, Vec<String>, Vec<(String, String)>);

/// Whether process `ident` is gone: a pid with no process behind it.
fn process_gone(ident: &str) -> bool {
    let Ok(pid) = ident.parse::<i32>() else { return false };
    if pid <= 0 || pid as u32 == std::process::id() {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

/// Folds dead processes' counter, histogram and summary files (`pids`: identifiers as in
/// the file names; `None`: every pid whose process is gone). Returns
/// `(folded, written, [(skipped file, reason)...])`.
#[pyfunction]
#[pyo3(signature = (path, pids=None))]
fn _mp_compact(py: Python<'_>, path: PathBuf, pids: Option<Vec<String>>) -> PyResult<Compacted> {
    let done = gil::detach(py, || match &pids {
        Some(list) => dir::compact(&path, &|id: &str| list.iter().any(|p| p == id)),
        None => dir::compact(&path, &process_gone),
    });
    let done = done.map_err(|e| PyOSError::new_err(format!("compaction of {} failed: {e}", path.display())))?;
    Ok((done.folded, done.written, done.skipped.into_iter().map(|(n, e)| (n, e.to_string())).collect()))
}

/// Adds the multi-process classes and functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    context::install_fork_hook();
    m.add_class::<PyContext>()?;
    m.add_class::<MpCell>()?;
    m.add_class::<PyMmapedDict>()?;
    m.add_class::<MpSource>()?;
    m.add_function(wrap_pyfunction!(mmap_key, m)?)?;
    m.add_function(wrap_pyfunction!(_mp_read_entries, m)?)?;
    m.add_function(wrap_pyfunction!(_mp_merge, m)?)?;
    m.add_function(wrap_pyfunction!(_mp_compact, m)?)?;
    Ok(())
}
