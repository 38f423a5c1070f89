//! Value cells: what prometheus_client keeps in `_value`, `_sum`, `_count` and `_buckets`
//! (its `values.MutexValue`), as views of a native child.

use fastprom::model::{FamilyHeader, SampleRef, Visitor};
use fastprom::{Child, Family};

use super::slot::{Counter, Gauge, Histogram, Summary};
use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;

use super::{added, float, visit_alone};
use crate::{convert, errors};

/// What a cell shows.
pub(crate) enum Target {
    /// A counter's total.
    Counter(Child<Counter>),
    /// A gauge's stored value.
    Gauge(Child<Gauge>),
    /// A summary's count.
    SummaryCount(Child<Summary>),
    /// A summary's sum.
    SummarySum(Child<Summary>),
    /// A histogram's sum.
    HistogramSum(Child<Histogram>),
    /// One histogram bucket's own count.
    Bucket(Family<Histogram>, Child<Histogram>, usize),
}

/// A value cell (`get`, `set`, `inc`, `get_exemplar`, `set_exemplar`).
#[pyclass(frozen, module = "fastprom._fastprom")]
pub(crate) struct Value {
    target: Target,
}

impl Value {
    pub(crate) fn new(target: Target) -> Self {
        Self { target }
    }
}

fn unsupported(what: &str) -> PyErr {
    PyNotImplementedError::new_err(format!("fastprom: {what} is not supported on this value"))
}

/// Finds the exemplar of one bucket sample.
struct BucketExemplar {
    index: usize,
    seen: usize,
    found: Option<fastprom::Exemplar>,
}

impl Visitor for BucketExemplar {
    fn family(&mut self, _: &FamilyHeader<'_>) -> fastprom::Result<()> {
        Ok(())
    }
    fn sample(&mut self, s: &SampleRef<'_>) -> fastprom::Result<()> {
        if s.suffix == "_bucket" {
            if self.seen == self.index {
                self.found = s.exemplar.cloned();
            }
            self.seen += 1;
        }
        Ok(())
    }
    fn end_family(&mut self) -> fastprom::Result<()> {
        Ok(())
    }
}

impl Value {
    /// The value the target holds now.
    fn value(&self) -> f64 {
        match &self.target {
            Target::Counter(c) => c.get(),
            Target::Gauge(c) => c.get(),
            Target::SummaryCount(c) => c.count() as f64,
            Target::SummarySum(c) => c.sum(),
            Target::HistogramSum(c) => c.sum(),
            Target::Bucket(_, c, i) => {
                let cum = c.cumulative();
                let below = if *i == 0 { 0 } else { cum.get(i - 1).copied().unwrap_or(0) };
                cum.get(*i).map_or(0.0, |v| (v - below) as f64)
            }
        }
    }
}

#[pymethods]
impl Value {
    /// The current value.
    fn get(&self, py: Python<'_>) -> PyResult<f64> {
        // After a fork, multi-process values first move to this process's files.
        crate::multiprocess::follow_forks(py)?;
        Ok(self.value())
    }

    /// Sets the value. On a counter only values >= 0 are supported, and `_created` moves
    /// to now (the core has no counter `set`; it resets, then increments).
    #[pyo3(signature = (value, timestamp=None))]
    fn set(&self, value: &Bound<'_, PyAny>, timestamp: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        match &self.target {
            Target::Gauge(c) => {
                let v = float(value)?;
                if let Some(mp) = c.mp() {
                    let ts = match timestamp {
                        Some(t) if t.is_truthy()? => float(t)?,
                        _ => 0.0,
                    };
                    return crate::multiprocess::gauge_set(mp, c, v, ts);
                }
                c.set(v);
                Ok(())
            }
            Target::Counter(c) => {
                let v = float(value)?;
                if v < 0.0 {
                    return Err(unsupported("setting a counter below zero"));
                }
                if let Some(mp) = c.mp() {
                    return crate::multiprocess::counter_set(mp, c, Some(v));
                }
                c.reset();
                errors::check(if v != 0.0 { c.inc_by(v) } else { Ok(()) })
            }
            _ => Err(unsupported("set()")),
        }
    }

    /// Adds `amount`.
    fn inc(&self, amount: &Bound<'_, PyAny>) -> PyResult<()> {
        match &self.target {
            Target::Gauge(c) => {
                let d = added(amount)?;
                if let Some(mp) = c.mp() {
                    return crate::multiprocess::gauge_add(mp, c, d);
                }
                c.inc_by(d);
                Ok(())
            }
            Target::Counter(c) => {
                let d = added(amount)?;
                if let Some(mp) = c.mp() {
                    return crate::multiprocess::counter_inc(mp, c, d, None);
                }
                c.inc_by(d).map_err(errors::to_py)
            }
            _ => Err(unsupported("inc()")),
        }
    }

    /// The exemplar, or `None`.
    fn get_exemplar(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let ex = match &self.target {
            Target::Counter(c) => c.exemplar(),
            Target::Bucket(f, c, i) => {
                let mut v = BucketExemplar { index: *i, seen: 0, found: None };
                errors::check(visit_alone(f, c, "", &mut v))?;
                v.found
            }
            _ => None,
        };
        ex.map(|e| convert::exemplar_to_py(py, &e).map(Bound::unbind)).transpose()
    }

    /// Not supported: the core records exemplars only with an increment or observation.
    fn set_exemplar(&self, exemplar: &Bound<'_, PyAny>) -> PyResult<()> {
        let _ = exemplar;
        Err(unsupported("set_exemplar()"))
    }

    fn __repr__(&self) -> String {
        format!("<fastprom value {}>", fastprom::floatfmt::py_repr(self.value()))
    }
}
