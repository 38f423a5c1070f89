//! Reading C arguments: handles, strings, arrays and out-pointers, each checked for NULL
//! (and strings for UTF-8) before use.

use std::ffi::{c_char, CStr};

use smallvec::SmallVec;

use crate::status::{fastprom_status, Failure};

/// Borrows the object behind a handle.
///
/// # Safety
/// `p` is NULL or a live handle from this library of type `T`.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: non-NULL handles point to live `T`s, by the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Checks an out-pointer before any work is done, so a NULL one changes nothing.
pub(crate) fn out<T>(p: *mut T, what: &str) -> Result<*mut T, Failure> {
    if p.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(p)
    }
}

/// Borrows a NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn string<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: as the caller's contract says.
    unsafe { string_named(p, || what.to_owned()) }
}

/// [`string`], naming the argument only when it is bad (so the hot paths build no name).
///
/// # Safety
/// As [`string`].
#[inline]
unsafe fn string_named<'a>(p: *const c_char, what: impl FnOnce() -> String) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::null(&what()));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| Failure::new(fastprom_status::FASTPROM_INVALID_ARGUMENT, format!("{} is not UTF-8", what())))
}

/// Borrowed strings; label values fit inline, without an allocation.
pub(crate) type StrList<'a> = SmallVec<[&'a str; 8]>;

/// Borrows an array of `n` strings; `p` may be NULL only when `n` is 0.
///
/// # Safety
/// `p` is NULL or points to `n` pointers, each NULL or a NUL-terminated string that
/// outlives the call.
pub(crate) unsafe fn strings<'a>(p: *const *const c_char, n: usize, what: &str) -> Result<StrList<'a>, Failure> {
    let mut out = SmallVec::new();
    // SAFETY: as the caller's contract says.
    unsafe { strings_into(p, n, what, &mut out) }?;
    Ok(out)
}

/// [`strings`] into the caller's list (the hot paths keep it on their own stack rather
/// than moving it out of a `Result`).
///
/// # Safety
/// As [`strings`].
#[inline]
pub(crate) unsafe fn strings_into<'a>(
    p: *const *const c_char,
    n: usize,
    what: &str,
    out: &mut StrList<'a>,
) -> Result<(), Failure> {
    if n == 0 {
        return Ok(());
    }
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: `p` points to `n` pointers by the caller's contract.
    let items = unsafe { std::slice::from_raw_parts(p, n) };
    out.reserve(n);
    for (i, &s) in items.iter().enumerate() {
        // SAFETY: each element is NULL or a string, as above.
        out.push(unsafe { string_named(s, || format!("{what}[{i}]")) }?);
    }
    Ok(())
}

/// Borrows an array of `n` doubles; `p` may be NULL only when `n` is 0.
///
/// # Safety
/// `p` is NULL or points to `n` doubles.
pub(crate) unsafe fn doubles<'a>(p: *const f64, n: usize, what: &str) -> Result<&'a [f64], Failure> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: `p` points to `n` doubles by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Writes a result through an out-pointer checked by [`out`].
///
/// # Safety
/// `p` came from [`out`] and is valid for writes.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    // SAFETY: checked non-NULL; writable by the caller's contract.
    unsafe { p.write(v) }
}
