//! Python `Metric` objects to core samples, and core samples to Python objects.
//!
//! [`visit_metric`] streams a `Metric` from a custom collector's `collect()` to a core
//! [`Visitor`] (an encoder), reading it exactly as prometheus_client's encoders do
//! (`float()` of values, `str()`-like timestamps, `if s.exemplar:`), borrowing its strings
//! instead of copying them. An exception raised while reading a metric gets the metric
//! appended to its `args`, as prometheus_client's `generate_latest` does.
//!
//! [`PyBuilder`] goes the other way: `Metric` and `Sample` objects from owned core
//! families, for `collect()` of a native metric.

use fastprom::model::{
    BucketSpan, Exemplar, FamilyHeader, MetricFamily, MetricType, NativeHistogram, Sample, SampleRef, Timestamp,
    Visitor,
};
use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyString, PyTuple, PyType};
use smallvec::SmallVec;

use crate::metrics::{float, float_slow};
use crate::{config, errors};

/// Reads `obj[index]` for a tuple (a `Sample`, `Exemplar`, `NativeHistogram`) long enough,
/// else `obj.<name>`.
fn field<'py>(obj: &Bound<'py, PyAny>, index: usize, name: &str) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(t) = obj.cast::<PyTuple>() {
        if t.len() > index {
            return t.get_item(index);
        }
    }
    obj.getattr(name)
}

/// A sample or exemplar timestamp: a float, an int, or a `Timestamp(sec, nsec)`.
fn timestamp(ts: &Bound<'_, PyAny>) -> PyResult<Option<Timestamp>> {
    if ts.is_none() {
        return Ok(None);
    }
    if ts.is_exact_instance_of::<PyFloat>() {
        return Ok(Some(Timestamp::Float(ts.extract()?)));
    }
    if ts.is_exact_instance_of::<pyo3::types::PyInt>() {
        return Ok(Some(match ts.extract::<i64>() {
            Ok(i) => Timestamp::Int(i),
            Err(_) => Timestamp::Float(float_slow(ts)?),
        }));
    }
    if let (Ok(sec), Ok(nsec)) = (ts.getattr("sec"), ts.getattr("nsec")) {
        if let (Ok(sec), Ok(nsec)) = (sec.extract::<i128>(), nsec.extract::<i64>()) {
            return Ok(Some(Timestamp::Exact { sec, nsec }));
        }
    }
    Ok(Some(Timestamp::Float(float(ts)?)))
}

/// A label value as prometheus_client's escaper needs it: a `str`.
fn label_value<'py>(v: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    v.cast_into::<PyString>().map_err(|e| {
        let ty = e.into_inner().get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyAttributeError::new_err(format!("'{ty}' object has no attribute 'replace'"))
    })
}

/// A label name: a `str`.
fn label_name<'py>(k: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    k.cast_into::<PyString>().map_err(|e| {
        let ty = e.into_inner().get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("object of type '{ty}' has no len()"))
    })
}

type Pairs<'py> = SmallVec<[(Bound<'py, PyString>, Bound<'py, PyString>); 8]>;

/// A labels mapping as `(name, value)` pairs, in its iteration order.
fn label_pairs<'py>(labels: &Bound<'py, PyAny>) -> PyResult<Pairs<'py>> {
    let mut out = SmallVec::new();
    if let Ok(d) = labels.cast::<PyDict>() {
        for (k, v) in d.iter() {
            out.push((label_name(k)?, label_value(v)?));
        }
    } else {
        for item in labels.call_method0("items")?.try_iter()? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
            out.push((label_name(k)?, label_value(v)?));
        }
    }
    Ok(out)
}

fn owned_pairs(p: &Pairs<'_>) -> PyResult<Vec<(String, String)>> {
    p.iter().map(|(k, v)| Ok((k.to_str()?.to_owned(), v.to_str()?.to_owned()))).collect()
}

fn exemplar(e: &Bound<'_, PyAny>) -> PyResult<Exemplar> {
    let labels = owned_pairs(&label_pairs(&field(e, 0, "labels")?)?)?;
    let value = float(&field(e, 1, "value")?)?;
    let ts = match field(e, 2, "timestamp") {
        Ok(t) => timestamp(&t)?,
        Err(_) => None,
    };
    Ok(Exemplar { labels, value, timestamp: ts })
}

fn spans(v: &Bound<'_, PyAny>) -> PyResult<Vec<BucketSpan>> {
    if v.is_none() {
        return Ok(Vec::new());
    }
    v.try_iter()?
        .map(|s| {
            let s = s?;
            Ok(BucketSpan { offset: s.get_item(0)?.extract()?, length: s.get_item(1)?.extract()? })
        })
        .collect()
}

fn deltas(v: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    if v.is_none() {
        return Ok(Vec::new());
    }
    v.try_iter()?.map(|d| d?.extract()).collect()
}

fn native_histogram(nh: &Bound<'_, PyAny>) -> PyResult<NativeHistogram> {
    let exemplars = field(nh, 9, "nh_exemplars")?;
    let exemplars = if exemplars.is_none() {
        Vec::new()
    } else {
        exemplars.try_iter()?.map(|e| exemplar(&e?)).collect::<PyResult<_>>()?
    };
    let count = field(nh, 0, "count_value")?;
    let zero_count = field(nh, 4, "zero_count")?;
    let is_int = |v: &Bound<'_, PyAny>| v.is_exact_instance_of::<pyo3::types::PyInt>();
    Ok(NativeHistogram {
        int_counts: is_int(&count) && is_int(&zero_count),
        count_value: float(&count)?,
        sum_value: float(&field(nh, 1, "sum_value")?)?,
        schema: field(nh, 2, "schema")?.extract()?,
        zero_threshold: float(&field(nh, 3, "zero_threshold")?)?,
        zero_count: float(&zero_count)?,
        pos_spans: spans(&field(nh, 5, "pos_spans")?)?,
        neg_spans: spans(&field(nh, 6, "neg_spans")?)?,
        pos_deltas: deltas(&field(nh, 7, "pos_deltas")?)?,
        neg_deltas: deltas(&field(nh, 8, "neg_deltas")?)?,
        exemplars,
    })
}

fn sample<V: Visitor + ?Sized>(s: &Bound<'_, PyAny>, v: &mut V) -> PyResult<()> {
    let name = field(s, 0, "name")?.cast_into::<PyString>().map_err(PyErr::from)?;
    let pairs = label_pairs(&field(s, 1, "labels")?)?;
    let value = float(&field(s, 2, "value")?)?;
    let ts = timestamp(&field(s, 3, "timestamp")?)?;
    let ex = field(s, 4, "exemplar")?;
    let ex = if !ex.is_none() && ex.is_truthy()? { Some(exemplar(&ex)?) } else { None };
    let nh = field(s, 5, "native_histogram")?;
    let nh = if !nh.is_none() && nh.is_truthy()? { Some(native_histogram(&nh)?) } else { None };
    let mut labels: SmallVec<[(&str, &str); 8]> = SmallVec::with_capacity(pairs.len());
    for (k, val) in &pairs {
        labels.push((k.to_str()?, val.to_str()?));
    }
    let r = SampleRef {
        name: name.to_str()?,
        suffix: "",
        labels: &labels,
        sorted: None,
        extra: None,
        series: 0,
        value,
        timestamp: ts,
        exemplar: ex.as_ref(),
        native_histogram: nh.as_ref(),
    };
    v.sample(&r).map_err(errors::to_py)
}

fn metric_inner<V: Visitor + ?Sized>(m: &Bound<'_, PyAny>, v: &mut V) -> PyResult<()> {
    let name = m.getattr("name")?.cast_into::<PyString>().map_err(PyErr::from)?;
    let help = m.getattr("documentation")?.cast_into::<PyString>().map_err(PyErr::from)?;
    let typ = m.getattr("type")?.cast_into::<PyString>().map_err(PyErr::from)?;
    let unit = m.getattr("unit")?;
    let unit =
        if unit.is_none() { PyString::new(m.py(), "") } else { unit.cast_into::<PyString>().map_err(PyErr::from)? };
    let metric_type = MetricType::from_name(typ.to_str()?).map_err(errors::to_py)?;
    let header = FamilyHeader { name: name.to_str()?, help: help.to_str()?, metric_type, unit: unit.to_str()? };
    v.family(&header).map_err(errors::to_py)?;
    for s in m.getattr("samples")?.try_iter()? {
        sample(&s?, v)?;
    }
    v.end_family().map_err(errors::to_py)
}

/// Streams one Python `Metric` to `v`; an exception gets the metric appended to its args.
pub(crate) fn visit_metric<V: Visitor + ?Sized>(m: &Bound<'_, PyAny>, v: &mut V) -> PyResult<()> {
    metric_inner(m, v).inspect_err(|e| {
        let py = m.py();
        let val = e.value(py);
        if let Ok(args) = val.getattr("args").and_then(|a| a.cast_into::<PyTuple>().map_err(PyErr::from)) {
            let mut items: Vec<Bound<'_, PyAny>> = args.iter().collect();
            if items.is_empty() {
                items.push(PyString::new(py, "").into_any());
            }
            items.push(m.clone());
            if let Ok(t) = PyTuple::new(py, items) {
                let _ = val.setattr("args", t);
            }
        }
    })
}

/// `tuple.__new__(cls, items)`: a `Sample` (a tuple subclass) without running Python code.
fn tuple_of<'py>(cls: &Bound<'py, PyAny>, items: Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    let inner = PyTuple::new(py, items)?;
    let ty = cls.cast::<PyType>().map_err(PyErr::from)?;
    if !ty.is_subclass_of::<PyTuple>()? {
        return cls.call1(inner);
    }
    let args = PyTuple::new(py, [inner])?;
    // SAFETY: `tuple.__new__` is called with a tuple subtype and one tuple argument, as
    // `tuple.__new__(cls, iterable)` from Python; the result is a new reference or NULL.
    unsafe {
        let new = (*std::ptr::addr_of!(ffi::PyTuple_Type))
            .tp_new
            .ok_or_else(|| PyTypeError::new_err("tuple has no tp_new"))?;
        Bound::from_owned_ptr_or_err(
            py,
            new(ty.as_ptr().cast::<ffi::PyTypeObject>(), args.as_ptr(), std::ptr::null_mut()),
        )
    }
}

fn timestamp_to_py<'py>(py: Python<'py>, ts: Option<Timestamp>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match ts {
        None => py.None().into_bound(py),
        Some(Timestamp::Int(i)) => i.into_pyobject(py)?.into_any(),
        Some(t) => PyFloat::new(py, t.as_f64()).into_any(),
    })
}

/// A core exemplar as the package's `Exemplar`.
pub(crate) fn exemplar_to_py<'py>(py: Python<'py>, e: &Exemplar) -> PyResult<Bound<'py, PyAny>> {
    let labels = PyDict::new(py);
    for (k, v) in &e.labels {
        labels.set_item(k, v)?;
    }
    config::get(py, "exemplar")?.call1((labels, e.value, timestamp_to_py(py, e.timestamp)?))
}

/// Python objects for owned core families: the package's `Metric` and `Sample`.
///
/// Native families are first collected into owned values with the GIL released (a core
/// lock may be held while a family is visited, and a gauge function takes the GIL), then
/// turned into Python objects here, where no core lock is held.
pub(crate) struct PyBuilder<'py> {
    py: Python<'py>,
    metric_cls: Bound<'py, PyAny>,
    sample_cls: Bound<'py, PyAny>,
}

impl<'py> PyBuilder<'py> {
    /// A builder using the configured `Metric` and `Sample` classes.
    pub(crate) fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Self { py, metric_cls: config::get(py, "metric")?, sample_cls: config::get(py, "sample")? })
    }

    /// A `Sample`; stateset values are `int`s, as prometheus_client's Enum gives them.
    fn sample(&self, s: &Sample, int_values: bool) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let labels = PyDict::new(py);
        for (k, v) in &s.labels {
            labels.set_item(k, v)?;
        }
        let value = if int_values {
            (s.value as i64).into_pyobject(py)?.into_any()
        } else {
            PyFloat::new(py, s.value).into_any()
        };
        let exemplar = match &s.exemplar {
            Some(e) => exemplar_to_py(py, e)?,
            None => py.None().into_bound(py),
        };
        let items = vec![
            PyString::new(py, &s.name).into_any(),
            labels.into_any(),
            value,
            timestamp_to_py(py, s.timestamp)?,
            exemplar,
            py.None().into_bound(py),
        ];
        tuple_of(&self.sample_cls, items)
    }

    /// `[Metric]` for the families.
    pub(crate) fn metrics(&self, families: &[MetricFamily]) -> PyResult<Py<PyList>> {
        let out = PyList::empty(self.py);
        for f in families {
            let m = self.metric_cls.call1((&f.name, &f.help, f.metric_type.as_str(), &f.unit))?;
            let list = m.getattr("samples")?.cast_into::<PyList>().map_err(PyErr::from)?;
            let ints = f.metric_type == MetricType::StateSet;
            for s in &f.samples {
                list.append(self.sample(s, ints)?)?;
            }
            out.append(m)?;
        }
        Ok(out.unbind())
    }

    /// The samples of one family, as a tuple (`_child_samples()`).
    pub(crate) fn samples(&self, family: &MetricFamily) -> PyResult<Py<PyTuple>> {
        let ints = family.metric_type == MetricType::StateSet;
        let items = family.samples.iter().map(|s| self.sample(s, ints)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyTuple::new(self.py, items)?.unbind())
    }
}

/// The escaping scheme for a name. prometheus_client leaves names unescaped for an
/// unknown scheme name; the core has no such scheme, so it gets underscores, which is the
/// same for every legacy name.
pub(crate) fn escaping(name: &str) -> fastprom::EscapingScheme {
    fastprom::EscapingScheme::from_name(name).unwrap_or_default()
}
