//! `labels()` without building a tuple: the label values (Python `str` objects) are
//! looked up in the parent's core family straight from the vectorcall argument array, as
//! UTF-8 views of the strings (no copy for the usual compact ones), and the child found
//! hands back its Python object (see [`super::slot`]).
//!
//! Anything the fast path does not handle (keyword arguments, values that are not exact
//! `str`, a child not created yet, every error) goes to the Python method `_fp_labels`,
//! the package's Python `labels()` (prometheus_client's rules and messages), which
//! creates children under the parent's `_lock`.

use std::ffi::CStr;

use pyo3::ffi;
use pyo3::prelude::*;
use smallvec::SmallVec;

use super::slot::HasObject;
use super::Native;

/// `labels(*values)` as a `METH_FASTCALL | METH_KEYWORDS` method of a native base: the
/// child for exact `str` values already seen, else `self._fp_labels(*args, **kwargs)`.
///
/// # Safety
/// Called by CPython as a method of `T`'s type with the GIL held.
unsafe extern "C" fn labels_fastcall<T: Native>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let fast = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if !kwnames.is_null() || nargs <= 0 {
            return None;
        }
        // SAFETY: CPython calls with the GIL held; `slf` is an instance of `T` because the
        // method descriptor checks the type of `self` before calling.
        let py = unsafe { Python::assume_attached() };
        let this = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<T>() };
        let node = this.get().cell().get()?;
        let parent = node.parent.as_ref()?;
        if parent.count != nargs as usize {
            return None;
        }
        // SAFETY: CPython passes `nargs` live argument pointers.
        let argv = unsafe { std::slice::from_raw_parts(args, nargs as usize) };
        let mut values: SmallVec<[&str; 8]> = SmallVec::new();
        for &a in argv {
            // SAFETY: `a` is a live object; the check is an exact type test.
            if unsafe { ffi::PyUnicode_CheckExact(a) } == 0 {
                return None;
            }
            let mut size: ffi::Py_ssize_t = 0;
            // SAFETY: an exact `str`; the UTF-8 form is cached in the object (for compact
            // ASCII strings it is the object's own data) and lives as long as the object,
            // which the caller's argument array keeps alive for this call.
            let p = unsafe { ffi::PyUnicode_AsUTF8AndSize(a, &mut size) };
            if p.is_null() {
                // A lone surrogate: the slow path reports it as prometheus_client would.
                // SAFETY: GIL held.
                unsafe { ffi::PyErr_Clear() };
                return None;
            }
            // SAFETY: CPython returns `size` bytes of valid UTF-8 at `p`.
            values.push(unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.cast::<u8>(), size as usize))
            });
        }
        let child = node.family.with_existing(&values, |m| m.object(py)).flatten()?;
        Some(child.into_ptr())
    }));
    match fast {
        Ok(Some(child)) => child,
        Ok(None) => {
            // SAFETY: GIL held; `args` holds `nargs` positional arguments followed by the
            // keyword values named by `kwnames`.
            unsafe { call_slow(slf, args, nargs, kwnames) }
        }
        Err(_) => {
            // SAFETY: GIL held.
            unsafe { ffi::PyErr_SetString(ffi::PyExc_SystemError, c"fastprom: panic in labels()".as_ptr()) };
            std::ptr::null_mut()
        }
    }
}

/// `self._fp_labels(*args, **kwargs)`, forwarding the argument array as is.
///
/// # Safety
/// As [`labels_fastcall`].
unsafe fn call_slow(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    let py = unsafe { Python::assume_attached() };
    let name = pyo3::intern!(py, "_fp_labels");
    // SAFETY: `kwnames` is NULL or a tuple.
    let nkw = if kwnames.is_null() { 0 } else { unsafe { ffi::PyTuple_GET_SIZE(kwnames) } };
    let total = (nargs + nkw) as usize;
    let mut buf: SmallVec<[*mut ffi::PyObject; 9]> = SmallVec::with_capacity(total + 1);
    buf.push(slf);
    if total > 0 {
        // SAFETY: CPython passes `nargs` positional then `nkw` keyword values.
        buf.extend_from_slice(unsafe { std::slice::from_raw_parts(args, total) });
    }
    // SAFETY: `buf` starts with `self` as PyObject_VectorcallMethod requires.
    unsafe { ffi::PyObject_VectorcallMethod(name.as_ptr(), buf.as_ptr(), (nargs + 1) as usize, kwnames) }
}

/// Installs the fast `labels` on `T`'s type.
pub(crate) fn install<T: Native>(py: Python<'_>, doc: &'static CStr) -> PyResult<()> {
    super::fast::install::<T>(py, c"labels", labels_fastcall::<T>, doc)
}
