//! Core errors as Python exceptions.
//!
//! Each core error becomes the exception class and text prometheus_client raises for it,
//! as `fastprom::compat::python` renders them from the error's fields. Python exceptions raised inside core callbacks
//! (a gauge function, the clock) cannot travel through the core's `Error`; they are parked
//! here, per thread, and win over the core error that the callback turned them into.

use std::cell::RefCell;

use fastprom::compat::python;
use fastprom::Error;
use pyo3::exceptions::{PyKeyError, PyOverflowError, PyValueError};
use pyo3::prelude::*;

thread_local! {
    static STASH: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// Parks a Python exception raised inside a core callback; the first one parked wins.
pub(crate) fn stash(err: PyErr) {
    STASH.with(|s| {
        let mut s = s.borrow_mut();
        if s.is_none() {
            *s = Some(err);
        }
    });
}

/// Takes the parked exception, if any.
pub(crate) fn take_stash() -> Option<PyErr> {
    STASH.with(|s| s.borrow_mut().take())
}

/// Converts a core error: a parked Python exception first, else prometheus_client's
/// exception type for the core's message.
pub(crate) fn to_py(err: Error) -> PyErr {
    if let Some(e) = take_stash() {
        return e;
    }
    let msg = python::message(&err);
    match python::exception(&err) {
        python::Exception::KeyError => PyKeyError::new_err(msg),
        python::Exception::OverflowError => PyOverflowError::new_err(msg),
        python::Exception::ValueError => PyValueError::new_err(msg),
    }
}

/// The outcome of a core call that may have run Python callbacks: a parked exception wins
/// even when the core call itself succeeded.
pub(crate) fn check<T>(r: fastprom::Result<T>) -> PyResult<T> {
    match r {
        Ok(v) => match take_stash() {
            Some(e) => Err(e),
            None => Ok(v),
        },
        Err(e) => Err(to_py(e)),
    }
}
