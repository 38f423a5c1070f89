//! The text and OpenMetrics parsers: the core parses, with the GIL released, and this
//! module turns its families into prometheus_client's objects.
//!
//! The string entry points return `(families, error)`: every family prometheus_client's
//! generator would yield, in order, then the exception it would raise after them (or
//! `None`). The Python modules yield the families and then raise the error, so a consumer
//! sees the same sequence as with prometheus_client's generators. [`FamilyStream`] is the
//! `fd` variants' iterator: it parses lines as the Python iterator hands them over.
//!
//! Objects are built as prometheus_client builds them, without running Python code:
//! `Metric` through `object.__new__` and its attributes in `__init__`'s order; `Sample`,
//! `Exemplar`, `NativeHistogram` and `BucketSpan` (named tuples) as tuples of their type;
//! `Timestamp` (OpenMetrics) through `object.__new__` with `sec` and `nsec`. Values are
//! `int` where prometheus_client's `_parse_value` gives an `int` and native-histogram
//! labels `None` where it leaves them so (the core's Python-flavoured parsers,
//! `fastprom::compat::python::parse`, record both in each sample's `SampleKinds`);
//! text-format timestamps are float seconds. Label names and repeated label values are
//! shared between samples (strings are immutable, so nothing observable changes).

use fastprom::compat::python::parse::{self as core_parse, ParsedFamily};
use fastprom::compat::python::SampleKinds;
use fastprom::model::{BucketSpan, Exemplar, NativeHistogram, Sample, Timestamp};
use fastprom::names::ValidationScheme;
use fastprom::Error;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyList, PyString, PyType};
use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use crate::parse_errors;
use crate::{config, gil};

/// Families, then the error that ends them.
type Parsed = (Vec<ParsedFamily>, Option<Error>);

/// The name validation scheme the parsers check names under: prometheus_client's
/// `PROMETHEUS_LEGACY_NAME_VALIDATION`, as the binding's setting holds it.
fn validation_scheme() -> ValidationScheme {
    crate::settings::scheme()
}

/// What the iterator of a streaming core parser gives before its first error.
fn streamed(items: impl Iterator<Item = fastprom::Result<ParsedFamily>>) -> Parsed {
    let mut families = Vec::new();
    for item in items {
        match item {
            Ok(f) => families.push(f),
            Err(e) => return (families, Some(e)),
        }
    }
    (families, None)
}

/// A core parse error as the exception prometheus_client raises (see [`parse_errors`]).
fn to_py(py: Python<'_>, err: Error, om: bool) -> PyErr {
    match err {
        Error::Parse { msg, .. } => parse_errors::to_py(py, msg, om),
        other => crate::errors::to_py(other),
    }
}

/// `(families, error)` as Python objects; the families are consumed as they are built, so
/// each sample's memory is released while it is still in cache.
fn finish<'py>(
    py: Python<'py>,
    (families, error): Parsed,
    om: bool,
) -> PyResult<(Bound<'py, PyList>, Option<Bound<'py, PyAny>>)> {
    let list = Builder::new(py)?.families(families)?;
    let error = error.map(|e| to_py(py, e, om).into_value(py).into_bound(py).into_any());
    Ok((list, error))
}

/// prometheus_client's `parser.text_string_to_metric_families`, as `(families, error)`.
#[pyfunction]
fn text_string_to_metric_families<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
) -> PyResult<(Bound<'py, PyList>, Option<Bound<'py, PyAny>>)> {
    let s = text.to_str()?;
    let scheme = validation_scheme();
    let parsed = gil::detach(py, || match core_parse::text(s, scheme) {
        Ok(f) => (f, None),
        Err(_) => streamed(core_parse::text_reader(s.as_bytes(), scheme)),
    });
    finish(py, parsed, false)
}

/// prometheus_client's `openmetrics.parser.text_string_to_metric_families`, as
/// `(families, error)`.
#[pyfunction]
fn openmetrics_text_string_to_metric_families<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
) -> PyResult<(Bound<'py, PyList>, Option<Bound<'py, PyAny>>)> {
    let s = text.to_str()?;
    let scheme = validation_scheme();
    let parsed = gil::detach(py, || match core_parse::openmetrics(s, scheme) {
        Ok(f) => (f, None),
        Err(_) => streamed(core_parse::openmetrics_reader(s.as_bytes(), scheme)),
    });
    finish(py, parsed, true)
}

/// The items of a Python iterator of `str` lines as a [`BufRead`], for the core's streaming
/// parsers (`text_fd_to_metric_families`). Each item is one line, taken as it is (the
/// Python side adds a missing newline). A Python exception while iterating, or an item
/// that is not UTF-8 encodable text, ends the input; the exception is kept in `failed`
/// for [`FamilyStream`] to raise instead of the core's read error.
struct PyLines {
    iter: Py<PyIterator>,
    buf: Vec<u8>,
    pos: usize,
    failed: Rc<RefCell<Option<PyErr>>>,
}

impl PyLines {
    /// Reads the next item into `buf`; false at the end of the iteration.
    fn next_line(&mut self, py: Python<'_>) -> PyResult<bool> {
        let mut iter = self.iter.bind(py).clone();
        match iter.next() {
            None => Ok(false),
            Some(item) => {
                let item = item?;
                let line = item.cast::<PyString>()?;
                self.buf.extend_from_slice(line.to_str()?.as_bytes());
                Ok(true)
            }
        }
    }
}

impl Read for PyLines {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PyLines {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            match gil::try_attach(|py| self.next_line(py)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    *self.failed.borrow_mut() = Some(e);
                    return Err(io::Error::other("the line iterator raised"));
                }
                None => return Err(io::Error::other("the interpreter is shutting down")),
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// The families of an iterator of lines, parsed as the lines arrive: the iterator
/// behind `text_fd_to_metric_families` in both formats. It yields each family once its
/// last line has been read and raises the error that ends the input (the line iterator's
/// own exception, or the parse error prometheus_client raises there).
#[pyclass(unsendable, module = "fastprom._fastprom")]
pub(crate) struct FamilyStream {
    families: Box<dyn Iterator<Item = fastprom::Result<ParsedFamily>>>,
    failed: Rc<RefCell<Option<PyErr>>>,
    openmetrics: bool,
    done: bool,
}

#[pymethods]
impl FamilyStream {
    #[new]
    #[pyo3(signature = (lines, openmetrics=false))]
    fn new(lines: &Bound<'_, PyAny>, openmetrics: bool) -> PyResult<Self> {
        let failed = Rc::new(RefCell::new(None));
        let reader = PyLines { iter: lines.try_iter()?.unbind(), buf: Vec::new(), pos: 0, failed: Rc::clone(&failed) };
        let scheme = validation_scheme();
        let families: Box<dyn Iterator<Item = fastprom::Result<ParsedFamily>>> = if openmetrics {
            Box::new(core_parse::openmetrics_reader(reader, scheme))
        } else {
            Box::new(core_parse::text_reader(reader, scheme))
        };
        Ok(Self { families, failed, openmetrics, done: false })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        // The line iterator is Python code run from here.
        let _region = gil::Region::enter(py);
        if self.done {
            return Ok(None);
        }
        match self.families.next() {
            None => {
                self.done = true;
                Ok(None)
            }
            Some(Ok(family)) => {
                let list = Builder::new(py)?.families(vec![family])?;
                Ok(Some(list.get_item(0)?))
            }
            Some(Err(e)) => {
                self.done = true;
                Err(self.failed.borrow_mut().take().unwrap_or_else(|| to_py(py, e, self.openmetrics)))
            }
        }
    }
}

/// Registers the parser functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(text_string_to_metric_families, m)?)?;
    m.add_function(wrap_pyfunction!(openmetrics_text_string_to_metric_families, m)?)?;
    m.add_class::<FamilyStream>()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Building the objects

/// A new reference, or the pending Python exception.
fn owned<'py>(py: Python<'py>, p: *mut ffi::PyObject) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `p` is a new reference or NULL with an exception set; the GIL is held.
    unsafe { Bound::from_owned_ptr_or_err(py, p) }
}

/// A `str` from UTF-8, copied straight into a compact ASCII string when it is ASCII.
fn new_str<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    let len = s.len() as ffi::Py_ssize_t;
    if s.is_ascii() {
        // SAFETY: `PyUnicode_New(len, 127)` makes a compact ASCII string of `len` one-byte
        // characters (NUL-terminated by CPython); exactly `len` ASCII bytes are written
        // into its data before anyone else sees it.
        unsafe {
            let o = ffi::PyUnicode_New(len, 127);
            if !o.is_null() {
                std::ptr::copy_nonoverlapping(s.as_ptr(), ffi::PyUnicode_1BYTE_DATA(o), s.len());
            }
            owned(py, o)
        }
    } else {
        // SAFETY: a valid UTF-8 buffer of `len` bytes.
        owned(py, unsafe { ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), len) })
    }
}

/// Whether the `str` object `o` (made by [`new_str`]) holds `s`.
fn holds(o: &Bound<'_, PyAny>, s: &str) -> bool {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: `o` is a live `str` made from UTF-8, so its UTF-8 form exists (for ASCII it
    // is the string's own data); the pointer is valid for `len` bytes while `o` lives.
    unsafe {
        let p = ffi::PyUnicode_AsUTF8AndSize(o.as_ptr(), &mut len);
        if p.is_null() {
            ffi::PyErr_Clear();
            return false;
        }
        len as usize == s.len() && std::slice::from_raw_parts(p.cast::<u8>(), s.len()) == s.as_bytes()
    }
}

/// Strings reused across samples: the last value seen at each label position, and label
/// and sample names (interned). Sharing equal strings changes nothing observable.
#[derive(Default)]
struct Cache<'py> {
    names: Vec<Bound<'py, PyAny>>,
    prev_names: Vec<Option<Bound<'py, PyAny>>>,
    prev_values: Vec<Option<Bound<'py, PyAny>>>,
    sample_name: Option<Bound<'py, PyAny>>,
}

/// The most names kept for reuse (label names and sample names).
const NAME_CACHE: usize = 64;

/// `slot` when it holds `s`, else a new string from `make`, kept in `slot`.
fn reuse<'py>(
    slot: &mut Option<Bound<'py, PyAny>>,
    s: &str,
    make: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(o) = slot {
        if holds(o, s) {
            return Ok(o.clone());
        }
    }
    let o = make()?;
    *slot = Some(o.clone());
    Ok(o)
}

/// `slots[i]`, grown as needed.
fn slot<'a, 'py>(slots: &'a mut Vec<Option<Bound<'py, PyAny>>>, i: usize) -> &'a mut Option<Bound<'py, PyAny>> {
    if slots.len() <= i {
        slots.resize(i + 1, None);
    }
    &mut slots[i]
}

impl<'py> Cache<'py> {
    /// An interned name.
    fn name(&mut self, py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
        if let Some(o) = self.names.iter().find(|o| holds(o, s)) {
            return Ok(o.clone());
        }
        let mut p = new_str(py, s)?.into_ptr();
        // SAFETY: `p` is an owned reference to an exact `str`; interning may replace it
        // with the interned object, transferring the reference.
        unsafe { ffi::PyUnicode_InternInPlace(&mut p) };
        let o = owned(py, p)?;
        if self.names.len() < NAME_CACHE {
            self.names.push(o.clone());
        }
        Ok(o)
    }

    fn label_name(&mut self, py: Python<'py>, i: usize, s: &str) -> PyResult<Bound<'py, PyAny>> {
        let mut prev = slot(&mut self.prev_names, i).take();
        let o = reuse(&mut prev, s, || self.name(py, s));
        self.prev_names[i] = prev;
        o
    }

    fn label_value(&mut self, py: Python<'py>, i: usize, s: &str) -> PyResult<Bound<'py, PyAny>> {
        reuse(slot(&mut self.prev_values, i), s, || new_str(py, s))
    }

    fn sample_name(&mut self, py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
        let mut prev = self.sample_name.take();
        let o = reuse(&mut prev, s, || self.name(py, s));
        self.sample_name = prev;
        o
    }
}

/// Builds prometheus_client's objects for parsed families.
struct Builder<'py> {
    py: Python<'py>,
    metric: Bound<'py, PyType>,
    sample: Bound<'py, PyType>,
    exemplar: Bound<'py, PyType>,
    timestamp: Bound<'py, PyType>,
    native: Bound<'py, PyType>,
    span: Bound<'py, PyType>,
    empty: Bound<'py, PyAny>,
    cache: Cache<'py>,
}

/// A configured class, checked to be built the way [`Builder`] builds it: a plain class
/// (`object.__new__`) or a named tuple (a tuple's layout).
fn class<'py>(py: Python<'py>, field: &'static str, tuple: bool) -> PyResult<Bound<'py, PyType>> {
    let cls = config::get(py, field)?.cast_into::<PyType>()?;
    // SAFETY: reading the type slots of a live type object, and of the static base types.
    let ok = unsafe {
        let ty: *mut ffi::PyTypeObject = cls.as_ptr().cast();
        if tuple {
            let base = std::ptr::addr_of!(ffi::PyTuple_Type);
            cls.is_subclass_of::<pyo3::types::PyTuple>()?
                && (*ty).tp_basicsize == (*base).tp_basicsize
                && (*ty).tp_itemsize == (*base).tp_itemsize
        } else {
            // CPython's `object_new`, inherited by classes that define no `__new__`.
            let object_new = (*std::ptr::addr_of!(ffi::PyBaseObject_Type)).tp_new;
            (*ty).tp_new.map(|f| f as usize) == object_new.map(|f| f as usize)
        }
    };
    if !ok {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "fastprom._fastprom: {field} is not a {}",
            if tuple { "named tuple" } else { "plain class" }
        )));
    }
    Ok(cls)
}

impl<'py> Builder<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Self {
            py,
            metric: class(py, "metric", false)?,
            sample: class(py, "sample", true)?,
            exemplar: class(py, "exemplar", true)?,
            timestamp: class(py, "timestamp", false)?,
            native: class(py, "native_histogram", true)?,
            span: class(py, "bucket_span", true)?,
            empty: pyo3::types::PyTuple::empty(py).into_any(),
            cache: Cache::default(),
        })
    }

    /// `object.__new__(cls)`.
    fn instance(&self, cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
        // SAFETY: `object.__new__` called as from Python with a class and no arguments;
        // the result is a new reference or NULL.
        unsafe {
            let new = (*std::ptr::addr_of!(ffi::PyBaseObject_Type))
                .tp_new
                .ok_or_else(|| PyValueError::new_err("object has no tp_new"))?;
            owned(self.py, new(cls.as_ptr().cast(), self.empty.as_ptr(), std::ptr::null_mut()))
        }
    }

    /// `tuple.__new__(cls, items)` for a tuple subclass without `__dict__` (a named tuple).
    fn tuple<const N: usize>(
        &self,
        cls: &Bound<'py, PyType>,
        items: [Bound<'py, PyAny>; N],
    ) -> PyResult<Bound<'py, PyAny>> {
        // SAFETY: named tuples have the layout of a tuple (`__slots__ = ()`), so their
        // `tp_alloc` gives a zeroed tuple of `N` items, each slot then set exactly once
        // with an owned reference, as `tuple.__new__(cls, items)` does. A tuple holding
        // no tracked object is untracked, as the collector would untrack it.
        unsafe {
            let ty: *mut ffi::PyTypeObject = cls.as_ptr().cast();
            let alloc = (*ty).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
            let t = owned(self.py, alloc(ty, N as ffi::Py_ssize_t))?;
            let mut atomic = true;
            for (i, item) in items.into_iter().enumerate() {
                let p = item.into_ptr();
                atomic &= ffi::PyObject_IS_GC(p) == 0 || ffi::PyObject_GC_IsTracked(p) == 0;
                ffi::PyTuple_SET_ITEM(t.as_ptr(), i as ffi::Py_ssize_t, p);
            }
            if atomic {
                // What the collector does to such a tuple at its first pass.
                ffi::PyObject_GC_UnTrack(t.as_ptr().cast());
            }
            Ok(t)
        }
    }

    fn none(&self) -> Bound<'py, PyAny> {
        self.py.None().into_bound(self.py)
    }

    fn families(mut self, families: Vec<ParsedFamily>) -> PyResult<Bound<'py, PyList>> {
        let py = self.py;
        let out = PyList::empty(py);
        for ParsedFamily { family: f, kinds } in families {
            let m = self.instance(&self.metric)?;
            m.setattr(pyo3::intern!(py, "name"), new_str(py, &f.name)?)?;
            m.setattr(pyo3::intern!(py, "documentation"), new_str(py, &f.help)?)?;
            m.setattr(pyo3::intern!(py, "unit"), new_str(py, &f.unit)?)?;
            m.setattr(pyo3::intern!(py, "type"), PyString::intern(py, f.metric_type.as_str()))?;
            // SAFETY: a new list of `n` empty slots, each set exactly once below (a
            // failure leaves NULL slots, which a list's deallocation skips).
            let samples = owned(py, unsafe { ffi::PyList_New(f.samples.len() as ffi::Py_ssize_t) })?;
            let no_kinds = SampleKinds::default();
            for (i, s) in f.samples.into_iter().enumerate() {
                let item = self.sample(&s, kinds.get(i).unwrap_or(&no_kinds))?;
                // SAFETY: `samples` is a list of `n` slots; slot `i` is set once.
                unsafe { ffi::PyList_SET_ITEM(samples.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr()) };
            }
            m.setattr(pyo3::intern!(py, "samples"), samples)?;
            out.append(m)?;
        }
        Ok(out)
    }

    fn labels(&mut self, labels: &[(String, String)]) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        // SAFETY: a new dict, filled through the C API with live keys and values.
        unsafe {
            let d = owned(py, ffi::PyDict_New())?;
            for (i, (k, v)) in labels.iter().enumerate() {
                let k = self.cache.label_name(py, i, k)?;
                let v = self.cache.label_value(py, i, v)?;
                if ffi::PyDict_SetItem(d.as_ptr(), k.as_ptr(), v.as_ptr()) != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
            Ok(d)
        }
    }

    /// A value: an `int` when prometheus_client's `_parse_value` made one, else a float.
    /// An `int` beyond 2^53 is built from its exact digits (`digits`), as the core keeps them.
    fn value(&self, v: f64, int: bool, digits: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(d) = digits {
            let c = std::ffi::CString::new(d).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
            // SAFETY: `c` is NUL-terminated ASCII digits; the GIL is held; the result is a
            // new reference or NULL.
            return owned(self.py, unsafe { ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10) });
        }
        if int {
            // SAFETY: the GIL is held; the result is a new reference or NULL.
            return owned(self.py, unsafe { ffi::PyLong_FromDouble(v) });
        }
        Ok(pyo3::types::PyFloat::new(self.py, v).into_any())
    }

    fn int(&self, v: i128) -> PyResult<Bound<'py, PyAny>> {
        Ok(v.into_pyobject(self.py)?.into_any())
    }

    fn timestamp(&self, ts: Option<Timestamp>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match ts {
            None => self.none(),
            Some(Timestamp::Float(f)) => pyo3::types::PyFloat::new(py, f).into_any(),
            Some(Timestamp::Int(i)) => self.int(i128::from(i))?,
            Some(Timestamp::Exact { sec, nsec }) => {
                let t = self.instance(&self.timestamp)?;
                t.setattr(pyo3::intern!(py, "sec"), self.int(sec)?)?;
                t.setattr(pyo3::intern!(py, "nsec"), self.int(i128::from(nsec))?)?;
                t
            }
        })
    }

    fn exemplar(&mut self, e: &Exemplar, int: bool, digits: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let labels = self.labels_fresh(&e.labels)?;
        let value = self.value(e.value, int, digits)?;
        self.tuple(&self.exemplar, [labels, value, self.timestamp(e.timestamp)?])
    }

    /// Labels not shared with the series' position cache (exemplar labels).
    fn labels_fresh(&mut self, labels: &[(String, String)]) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let d = pyo3::types::PyDict::new(py);
        for (k, v) in labels {
            d.set_item(self.cache.name(py, k)?, new_str(py, v)?)?;
        }
        Ok(d.into_any())
    }

    fn spans(&self, spans: &[BucketSpan]) -> PyResult<Bound<'py, PyAny>> {
        if spans.is_empty() {
            return Ok(self.none());
        }
        let items = spans
            .iter()
            .map(|s| self.tuple(&self.span, [self.int(i128::from(s.offset))?, self.int(i128::from(s.length))?]))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(pyo3::types::PyTuple::new(self.py, items)?.into_any())
    }

    fn deltas(&self, deltas: &[i64]) -> PyResult<Bound<'py, PyAny>> {
        if deltas.is_empty() {
            return Ok(self.none());
        }
        Ok(pyo3::types::PyTuple::new(self.py, deltas)?.into_any())
    }

    fn native(&self, n: &NativeHistogram) -> PyResult<Bound<'py, PyAny>> {
        let float = |v: f64| pyo3::types::PyFloat::new(self.py, v).into_any();
        self.tuple(
            &self.native,
            [
                self.int(n.count_value as i128)?,
                float(n.sum_value),
                self.int(i128::from(n.schema))?,
                float(n.zero_threshold),
                self.int(n.zero_count as i128)?,
                self.spans(&n.pos_spans)?,
                self.spans(&n.neg_spans)?,
                self.deltas(&n.pos_deltas)?,
                self.deltas(&n.neg_deltas)?,
                self.none(),
            ],
        )
    }

    fn sample(&mut self, s: &Sample, kinds: &SampleKinds) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let name = self.cache.sample_name(py, &s.name)?;
        if let Some(n) = &s.native_histogram {
            let labels = if kinds.labels_none { self.none() } else { self.labels(&s.labels)? };
            let (none1, none2, none3) = (self.none(), self.none(), self.none());
            return self.tuple(&self.sample, [name, labels, none1, none2, none3, self.native(n)?]);
        }
        let labels = self.labels(&s.labels)?;
        let value = self.value(s.value, kinds.value_int, kinds.value_digits.as_deref())?;
        let ts = self.timestamp(s.timestamp)?;
        let exemplar = match &s.exemplar {
            Some(e) => self.exemplar(e, kinds.exemplar_value_int, kinds.exemplar_value_digits.as_deref())?,
            None => self.none(),
        };
        self.tuple(&self.sample, [name, labels, value, ts, exemplar, self.none()])
    }
}
