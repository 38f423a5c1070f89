//! `labels()` without building a tuple: a native map from label values (Python `str`
//! objects) to child objects, searched straight from the vectorcall argument array.
//!
//! A lookup combines the strings' cached hashes and compares each value by pointer first
//! (a literal passed from the same call site is the same object every time), then by
//! value. Anything the fast path does not handle (keyword arguments, values that are not
//! exact `str`, a child not created yet, every error) goes to the Python method
//! `_fp_labels`, the package's Python `labels()` (prometheus_client's rules and messages),
//! which creates children under the parent's `_lock` and records them here and in
//! `_metrics`.
//!
//! The map is only read or changed with the GIL held and never across a call into Python,
//! so its mutex is never contended; entries taken out are dropped after it is released
//! (dropping a child object may run Python code).

use std::ffi::CStr;

use hashbrown::HashTable;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use smallvec::SmallVec;

use super::Native;

/// One child: its label values (exact `str`s) and the child object.
pub(crate) struct Entry {
    hash: u64,
    key: SmallVec<[Py<PyString>; 4]>,
    pub(crate) child: Py<PyAny>,
}

/// Label values to child objects.
#[derive(Default)]
pub(crate) struct LabelMap {
    table: HashTable<Entry>,
}

/// Mixes the `str` hashes of the values into one table hash.
#[inline]
fn combine(hashes: impl Iterator<Item = ffi::Py_hash_t>) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3;
    for x in hashes {
        h = (h.rotate_left(5) ^ x as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    h ^ (h >> 29)
}

/// Whether two exact `str` objects are equal (pointer first).
///
/// # Safety
/// Both pointers are live `str` objects and the GIL is held.
#[inline]
unsafe fn str_eq(a: *mut ffi::PyObject, b: *mut ffi::PyObject) -> bool {
    // SAFETY: the caller guarantees live `str` objects and the GIL; comparing two `str`s
    // cannot fail or run Python code.
    a == b
        || unsafe { ffi::PyUnicode_GET_LENGTH(a) == ffi::PyUnicode_GET_LENGTH(b) && ffi::PyUnicode_Compare(a, b) == 0 }
}

/// The hash of a sequence of exact `str` objects, or `None` (and an error set) when one
/// cannot be hashed.
///
/// # Safety
/// Every pointer is a live `str` object and the GIL is held.
#[inline]
unsafe fn hash_strs(values: &[*mut ffi::PyObject]) -> Option<u64> {
    let mut hashes: SmallVec<[ffi::Py_hash_t; 8]> = SmallVec::new();
    for &v in values {
        // SAFETY: as the caller guarantees; a `str`'s hash is cached after the first call.
        let h = unsafe { ffi::PyObject_Hash(v) };
        if h == -1 {
            return None;
        }
        hashes.push(h);
    }
    Some(combine(hashes.into_iter()))
}

impl LabelMap {
    /// The child for `values` (exact `str` objects), borrowed.
    ///
    /// # Safety
    /// Every pointer is a live `str` object and the GIL is held.
    #[inline]
    pub(crate) unsafe fn find(&self, values: &[*mut ffi::PyObject]) -> Option<*mut ffi::PyObject> {
        // SAFETY: forwarded from the caller.
        let h = unsafe { hash_strs(values) }?;
        self.table
            .find(h, |e| {
                e.key.len() == values.len()
                    // SAFETY: keys are live `str`s owned by the entry; values as above.
                    && e.key.iter().zip(values).all(|(k, v)| unsafe { str_eq(k.as_ptr(), *v) })
            })
            .map(|e| e.child.as_ptr())
    }

    /// Records `child` for the values of `key`, replacing any entry for the same values;
    /// returns the replaced entry (to drop after the lock is released).
    pub(crate) fn insert(&mut self, key: &Bound<'_, PyTuple>, child: Py<PyAny>) -> PyResult<Option<Entry>> {
        let items: SmallVec<[Bound<'_, PyString>; 4]> =
            key.iter().map(|v| v.cast_into::<PyString>().map_err(PyErr::from)).collect::<PyResult<_>>()?;
        let ptrs: SmallVec<[*mut ffi::PyObject; 8]> = items.iter().map(|s| s.as_ptr()).collect();
        // SAFETY: the pointers are live `str`s held by `items`; the GIL is held.
        let hash = unsafe { hash_strs(&ptrs) }.ok_or_else(|| PyErr::fetch(key.py()))?;
        let old = self.remove_ptrs(hash, &ptrs);
        let entry = Entry { hash, key: items.into_iter().map(Bound::unbind).collect(), child };
        self.table.insert_unique(hash, entry, |e| e.hash);
        Ok(old)
    }

    fn remove_ptrs(&mut self, hash: u64, ptrs: &[*mut ffi::PyObject]) -> Option<Entry> {
        self.table
            .find_entry(hash, |e| {
                // SAFETY: as in `find`.
                e.key.len() == ptrs.len() && e.key.iter().zip(ptrs).all(|(k, v)| unsafe { str_eq(k.as_ptr(), *v) })
            })
            .ok()
            .map(|e| e.remove().0)
    }

    /// Takes out the entry for the values of `key` (a tuple of `str`), if any.
    pub(crate) fn remove(&mut self, key: &Bound<'_, PyTuple>) -> PyResult<Option<Entry>> {
        let mut ptrs: SmallVec<[*mut ffi::PyObject; 8]> = SmallVec::new();
        for v in key.iter() {
            if !v.is_exact_instance_of::<PyString>() {
                return Ok(None);
            }
            ptrs.push(v.as_ptr());
        }
        // SAFETY: live `str`s held by the tuple; the GIL is held.
        let hash = unsafe { hash_strs(&ptrs) }.ok_or_else(|| PyErr::fetch(key.py()))?;
        Ok(self.remove_ptrs(hash, &ptrs))
    }

    /// The child for the values of `key` (a tuple), as a new reference.
    pub(crate) fn get(&self, key: &Bound<'_, PyTuple>) -> Option<Py<PyAny>> {
        let mut ptrs: SmallVec<[*mut ffi::PyObject; 8]> = SmallVec::new();
        for v in key.iter() {
            if !v.is_exact_instance_of::<PyString>() {
                return None;
            }
            ptrs.push(v.as_ptr());
        }
        // SAFETY: live `str`s held by the tuple; the GIL is held.
        let found = unsafe { self.find(&ptrs) };
        if found.is_none() {
            // A failed hash leaves an error set; nothing here can fail for exact `str`s.
            // SAFETY: the GIL is held.
            unsafe { ffi::PyErr_Clear() };
        }
        // SAFETY: the entry keeps the child alive; the GIL is held.
        found.map(|p| unsafe { Bound::from_borrowed_ptr(key.py(), p) }.unbind())
    }

    /// Takes out every entry.
    pub(crate) fn take_all(&mut self) -> HashTable<Entry> {
        std::mem::take(&mut self.table)
    }
}

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
        let parent = this.get().cell().get()?.parent.as_ref()?;
        if parent.count != nargs as usize {
            return None;
        }
        // SAFETY: CPython passes `nargs` live argument pointers.
        let argv = unsafe { std::slice::from_raw_parts(args, nargs as usize) };
        // SAFETY: the arguments are live objects; only exact `str`s are looked up.
        if !argv.iter().all(|&a| unsafe { ffi::PyUnicode_CheckExact(a) } != 0) {
            return None;
        }
        let map = parent.map.lock();
        // SAFETY: exact `str` arguments, GIL held.
        match unsafe { map.find(argv) } {
            Some(child) => {
                // SAFETY: the map keeps `child` alive; the new reference is returned.
                unsafe { ffi::Py_IncRef(child) };
                Some(child)
            }
            None => {
                // SAFETY: GIL held; a failed hash is retried (and reported) by the slow path.
                unsafe { ffi::PyErr_Clear() };
                None
            }
        }
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
