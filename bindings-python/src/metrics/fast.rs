//! The hot methods (`inc`, `dec`, `set`, `observe`) as plain `METH_FASTCALL |
//! METH_KEYWORDS` C methods installed on the native bases.
//!
//! Reading the vectorcall argument array directly costs less than a general signature
//! parser and tells an omitted argument from an explicit `None` (prometheus_client's
//! `inc(None)` raises `TypeError`; `inc()` adds 1). Argument errors carry CPython's own
//! messages for the Python signatures they replace (`Counter.inc(self, amount=1,
//! exemplar=None)`).

use std::ffi::CStr;
use std::os::raw::c_int;

use pyo3::exceptions::{PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::Native;

/// An argument as passed, or `None` when omitted.
pub(crate) type Arg<'a, 'py> = Option<Borrowed<'a, 'py, PyAny>>;

/// A Python method signature: `qualname(self, names...)`, the first `required` without
/// defaults.
pub(crate) struct Signature {
    pub(crate) qualname: &'static str,
    pub(crate) names: &'static [&'static str],
    pub(crate) required: usize,
}

impl Signature {
    fn too_many(&self, given: usize) -> PyErr {
        let (lo, hi) = (self.required + 1, self.names.len() + 1);
        let takes = if lo == hi { format!("{hi}") } else { format!("from {lo} to {hi}") };
        let was = if given + 1 == 1 { "was" } else { "were" };
        PyTypeError::new_err(format!(
            "{}() takes {takes} positional argument{} but {} {was} given",
            self.qualname,
            if hi == 1 { "" } else { "s" },
            given + 1
        ))
    }

    /// Reads `N` arguments from a vectorcall argument array.
    ///
    /// # Safety
    /// `args` holds `nargs` positional arguments followed by one value per name in
    /// `kwnames` (NULL or a tuple of `str`); the GIL is held.
    pub(crate) unsafe fn parse<'a, 'py, const N: usize>(
        &self,
        py: Python<'py>,
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> PyResult<[Arg<'a, 'py>; N]> {
        let mut out: [Arg<'a, 'py>; N] = [None; N];
        let nargs = nargs.max(0) as usize;
        if nargs > N {
            return Err(self.too_many(nargs));
        }
        for (i, slot) in out.iter_mut().enumerate().take(nargs) {
            // SAFETY: `args` holds `nargs` live arguments (caller).
            *slot = Some(unsafe { Borrowed::from_ptr(py, *args.add(i)) });
        }
        if !kwnames.is_null() {
            // SAFETY: `kwnames` is a tuple (caller).
            let names = unsafe { Borrowed::from_ptr(py, kwnames) };
            for (j, name) in names.try_iter()?.enumerate() {
                let name = name?;
                let name = name.cast::<PyString>().map_err(PyErr::from)?.to_str()?.to_owned();
                let Some(i) = self.names.iter().position(|n| *n == name) else {
                    return Err(PyTypeError::new_err(format!(
                        "{}() got an unexpected keyword argument '{name}'",
                        self.qualname
                    )));
                };
                if out[i].is_some() {
                    return Err(PyTypeError::new_err(format!(
                        "{}() got multiple values for argument '{name}'",
                        self.qualname
                    )));
                }
                // SAFETY: keyword values follow the positional ones (caller).
                out[i] = Some(unsafe { Borrowed::from_ptr(py, *args.add(nargs + j)) });
            }
        }
        let missing: Vec<String> =
            (0..self.required).filter(|i| out[*i].is_none()).map(|i| format!("'{}'", self.names[i])).collect();
        if !missing.is_empty() {
            let list = match missing.len() {
                1 => missing[0].clone(),
                n => format!("{} and {}", missing[..n - 1].join(", "), missing[n - 1]),
            };
            return Err(PyTypeError::new_err(format!(
                "{}() missing {} required positional argument{}: {list}",
                self.qualname,
                missing.len(),
                if missing.len() == 1 { "" } else { "s" }
            )));
        }
        Ok(out)
    }
}

/// Runs a method body for CPython: `None` or the error set, panics turned into
/// `SystemError`.
///
/// # Safety
/// Called from a C method with the GIL held; `slf` is an instance of `T` (the method
/// descriptor checks).
#[inline(always)]
pub(crate) unsafe fn run<T: Native>(
    slf: *mut ffi::PyObject,
    f: impl FnOnce(Python<'_>, &T) -> PyResult<()>,
) -> *mut ffi::PyObject {
    // SAFETY: the caller holds the GIL.
    let py = unsafe { Python::assume_attached() };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `slf` is a live instance of `T` (caller).
        let this = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<T>() };
        f(py, this.get())
    }));
    match r {
        Ok(Ok(())) => {
            // SAFETY: returning a new reference to None.
            unsafe {
                let none = ffi::Py_None();
                ffi::Py_IncRef(none);
                none
            }
        }
        Ok(Err(e)) => {
            e.restore(py);
            std::ptr::null_mut()
        }
        Err(_) => {
            PySystemError::new_err("fastprom: panic in a metric method").restore(py);
            std::ptr::null_mut()
        }
    }
}

/// Installs `meth` as method `name` of `T`'s type.
pub(crate) fn install<T: Native>(
    py: Python<'_>,
    name: &'static CStr,
    meth: ffi::PyCFunctionFastWithKeywords,
    doc: &'static CStr,
) -> PyResult<()> {
    let def = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: meth },
        ml_flags: (ffi::METH_FASTCALL | ffi::METH_KEYWORDS) as c_int,
        ml_doc: doc.as_ptr(),
    }));
    let ty = py.get_type::<T>();
    // SAFETY: `def` lives forever; the type object is live; the GIL is held.
    let descr = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewMethod(ty.as_ptr().cast::<ffi::PyTypeObject>(), def))
    }?;
    let name = name.to_str().map_err(|e| PySystemError::new_err(e.to_string()))?;
    ty.setattr(name, descr)
}

/// Defines an `extern "C"` fast method of `$ty` that parses `$sig` into `N` arguments and
/// calls `$body(py, this, args)`.
macro_rules! fast_method {
    ($fname:ident, $ty:ty, $sig:expr, $n:literal, $body:expr) => {
        /// A fast method (see [`crate::metrics::fast`]).
        ///
        /// # Safety
        /// Called by CPython as a `METH_FASTCALL | METH_KEYWORDS` method of the type.
        pub(crate) unsafe extern "C" fn $fname(
            slf: *mut pyo3::ffi::PyObject,
            args: *const *mut pyo3::ffi::PyObject,
            nargs: pyo3::ffi::Py_ssize_t,
            kwnames: *mut pyo3::ffi::PyObject,
        ) -> *mut pyo3::ffi::PyObject {
            // SAFETY: forwarded from CPython's call (see `run` and `Signature::parse`).
            unsafe {
                $crate::metrics::fast::run::<$ty>(slf, |py, this| {
                    let a: [$crate::metrics::fast::Arg<'_, '_>; $n] = $sig.parse(py, args, nargs, kwnames)?;
                    $body(this, a)
                })
            }
        }
    };
}
pub(crate) use fast_method;
