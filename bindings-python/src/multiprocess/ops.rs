//! Updates of metric children bound to multi-process files: the core child and its file
//! entries change together, under the context's lock (see [`super::context`]).

use pyo3::prelude::*;

use super::context::Binding;
use super::file::{FileError, MmapFile};
use crate::errors;
use crate::metrics::slot;

fn write_first(f: Option<(&mut MmapFile, &[usize])>, value: f64, timestamp: f64) -> Result<(), FileError> {
    match f {
        Some((file, pos)) => file.write(pos[0], value, timestamp),
        None => Ok(()),
    }
}

/// `Counter.inc`: the file gets the new total, timestamp 0.
pub(crate) fn counter_inc(
    b: &Binding,
    c: &slot::Counter,
    amount: f64,
    exemplar: Option<Vec<(String, String)>>,
) -> PyResult<()> {
    Python::attach(|py| {
        let r = b.apply(py, |f| {
            let r = match exemplar {
                Some(labels) => c.inc_with_exemplar(amount, labels),
                None => c.inc_by(amount),
            };
            write_first(f, c.get(), 0.0)?;
            Ok(r)
        })?;
        errors::check(r)
    })
}

/// `Counter.reset` and `_value.set` on a counter: the file gets the new total.
pub(crate) fn counter_set(b: &Binding, c: &slot::Counter, total: Option<f64>) -> PyResult<()> {
    Python::attach(|py| {
        let r = b.apply(py, |f| {
            let r = match total {
                None => {
                    c.reset();
                    Ok(())
                }
                Some(v) => c.set(v),
            };
            write_first(f, c.get(), 0.0)?;
            Ok(r)
        })?;
        errors::check(r)
    })
}

/// `Gauge.inc` / `dec`: the file gets the new value, timestamp 0.
pub(crate) fn gauge_add(b: &Binding, g: &slot::Gauge, amount: f64) -> PyResult<()> {
    Python::attach(|py| {
        b.apply(py, |f| {
            g.inc_by(amount);
            write_first(f, g.get(), 0.0)
        })
    })
}

/// `Gauge.set`: the file gets the value and `timestamp` (the time of the call in the
/// `mostrecent` modes, else 0).
pub(crate) fn gauge_set(b: &Binding, g: &slot::Gauge, value: f64, timestamp: f64) -> PyResult<()> {
    Python::attach(|py| {
        b.apply(py, |f| {
            g.set(value);
            write_first(f, value, timestamp)
        })
    })
}

/// `Histogram.observe`: `_sum` and the bucket `amount` falls in each go up, as
/// prometheus_client's cells do (`_sum` first, then the first bucket whose bound is at
/// least `amount`; NaN reaches no bucket).
pub(crate) fn histogram_observe(
    b: &Binding,
    h: &slot::Histogram,
    bounds: &[f64],
    amount: f64,
    exemplar: Option<Vec<(String, String)>>,
) -> PyResult<()> {
    let bucket = bounds.iter().position(|bound| amount <= *bound);
    Python::attach(|py| {
        let r = b.apply(py, |f| {
            let r = match exemplar {
                Some(labels) => h.observe_with_exemplar(amount, labels),
                None => {
                    h.observe(amount);
                    Ok(())
                }
            };
            if let Some((file, pos)) = f {
                file.add(pos[0], amount)?;
                if let Some(i) = bucket {
                    file.add(pos[1 + i], 1.0)?;
                }
            }
            Ok(r)
        })?;
        errors::check(r)
    })
}

/// `Summary.observe`: `_count` and `_sum` go up.
pub(crate) fn summary_observe(b: &Binding, s: &slot::Summary, amount: f64) -> PyResult<()> {
    Python::attach(|py| {
        b.apply(py, |f| {
            s.observe(amount);
            if let Some((file, pos)) = f {
                file.add(pos[0], 1.0)?;
                file.add(pos[1], amount)?;
            }
            Ok(())
        })
    })
}
