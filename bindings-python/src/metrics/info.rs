//! `InfoBase`: `info`, `_value`.

use std::sync::OnceLock;

use fastprom::metrics::InfoConfig;
use fastprom::Family;

use super::slot::Info;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::common::native_methods;
use super::{AnyFamily, Native, Node};
use crate::errors;

/// Native base of `fastprom.metrics.Info`.
#[pyclass(subclass, frozen, module = "fastprom._fastprom")]
pub(crate) struct InfoBase {
    cell: OnceLock<Node<Info>>,
}

impl Native for InfoBase {
    type M = Info;
    const KIND: &'static str = "info";
    const CREATED: bool = false;

    fn cell(&self) -> &OnceLock<Node<Info>> {
        &self.cell
    }

    fn from_cell(cell: OnceLock<Node<Info>>) -> Self {
        Self { cell }
    }

    fn make_config(_: Python<'_>, _: Option<&Bound<'_, PyAny>>) -> PyResult<InfoConfig> {
        Ok(InfoConfig::default())
    }

    fn any_family(f: &Family<Info>) -> AnyFamily {
        AnyFamily::Info(f.clone())
    }
}

native_methods!(InfoBase, {
    /// Sets the info key/value pairs, with prometheus_client's checks in its order.
    fn info(slf: &Bound<'_, Self>, val: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(n) = slf.get().cell.get() else {
            return Err(super::no_attribute(slf.as_any(), "_labelname_set"));
        };
        let Some(child) = &n.child else {
            return Err(super::no_attribute(slf.as_any(), "_labelname_set"));
        };
        let names = n.family.label_names();
        for k in val.call_method0("keys")?.try_iter()? {
            let k = k?;
            if let Ok(k) = k.extract::<&str>() {
                if names.iter().any(|n| n == k) {
                    return Err(PyValueError::new_err(format!(
                        "Overlapping labels for Info metric, metric: {} child: {}",
                        slf.getattr("_labelnames")?.repr()?,
                        val.str()?
                    )));
                }
            }
        }
        for v in val.call_method0("values")?.try_iter()? {
            if v?.is_none() {
                return Err(PyValueError::new_err("Label value cannot be None"));
            }
        }
        let d = PyDict::new(slf.py());
        d.call_method1("update", (val,))?;
        let pairs: Vec<(String, String)> =
            d.iter().map(|(k, v)| Ok((k.extract()?, v.extract()?))).collect::<PyResult<_>>()?;
        child.set(pairs).map_err(errors::to_py)
    }

    /// The current key/value pairs, as a new dict.
    #[getter]
    fn _value<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        match slf.get().cell.get().and_then(|n| n.child.as_ref()) {
            Some(c) => {
                let d = PyDict::new(slf.py());
                for (k, v) in c.get() {
                    d.set_item(k, v)?;
                }
                Ok(d)
            }
            None => Err(super::no_attribute(slf.as_any(), "_value")),
        }
    }
});
