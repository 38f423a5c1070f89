//! `EnumBase`: `state`, `_value`.

use std::sync::OnceLock;

use fastprom::{Family, States};

use super::slot::Enum;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::common::native_methods;
use super::{observable, AnyFamily, Native, Node};
use crate::errors;

/// Native base of `fastprom.metrics.Enum`.
#[pyclass(subclass, frozen, module = "fastprom._fastprom")]
pub(crate) struct EnumBase {
    cell: OnceLock<Node<Enum>>,
}

impl Native for EnumBase {
    type M = Enum;
    const KIND: &'static str = "stateset";
    const CREATED: bool = false;

    fn cell(&self) -> &OnceLock<Node<Enum>> {
        &self.cell
    }

    fn from_cell(cell: OnceLock<Node<Enum>>) -> Self {
        Self { cell }
    }

    /// `config` is the list of state names.
    fn make_config(_: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<States> {
        let names: Vec<String> = match config {
            Some(c) if !c.is_none() => c.try_iter()?.map(|s| s?.extract()).collect::<PyResult<_>>()?,
            _ => Vec::new(),
        };
        Ok(States::new(names))
    }

    fn any_family(f: &Family<Enum>) -> AnyFamily {
        AnyFamily::Enum(f.clone())
    }
}

native_methods!(EnumBase, {
    /// Makes `state` the current state.
    fn state(slf: &Bound<'_, Self>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let child = observable(slf.get())?;
        if let Ok(s) = state.cast::<PyString>() {
            if child.state(s.to_str()?).is_ok() {
                return Ok(());
            }
        }
        // Not a state name: raise what `self._states.index(state)` raises; should it find
        // an equal object after all, use the state at that position.
        let i: usize = slf.getattr("_states")?.call_method1("index", (state,))?.extract()?;
        let n = super::node(slf.get())?;
        match n.family.config().names().get(i) {
            Some(name) => child.state(name).map_err(errors::to_py),
            None => Ok(()),
        }
    }

    /// The index of the current state.
    #[getter]
    fn _value(slf: &Bound<'_, Self>) -> PyResult<usize> {
        let n = super::node(slf.get())?;
        match &n.child {
            Some(c) => Ok(n.family.config().names().iter().position(|s| s == c.get()).unwrap_or(0)),
            None => Err(super::no_attribute(slf.as_any(), "_value")),
        }
    }
});
