//! Info families and their children: key/value pairs exposed as one sample of value 1.

use std::ffi::c_char;

use fastprom::{Child, Family, Info};

use crate::args::{handle, strings};
use crate::family::{self, fastprom_family_opts};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run};

/// A family of infos: one set of key/value pairs per combination of label values, exposed
/// as `name_info{labels, pairs} 1`.
///
/// Made by `fastprom_info_family_new`, owned by the caller, freed with
/// `fastprom_info_family_free`. Freeing the handle does not remove the family from its
/// registry. Thread-safe.
pub struct fastprom_info_family {
    inner: Family<Info>,
}

/// One info of a family, kept by the caller. Made by `fastprom_info_family_labels`, freed
/// with `fastprom_info_free`; it stays usable after its family handle is freed. Thread-safe.
pub struct fastprom_info {
    inner: Child<Info>,
}

/// Creates an info family (exposed as `name_info`) with `n_labels` label names, registers
/// it in `registry`, and writes its handle to `*out`. `opts` (NULL for none) gives a
/// namespace and subsystem; infos take no unit. On failure nothing is registered.
///
/// # Safety
/// As `fastprom_counter_family_new_with`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_family_new(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    opts: *const fastprom_family_opts,
    out: *mut *mut fastprom_info_family,
) -> fastprom_status {
    // SAFETY: the contract above is `family::create`'s.
    run(|| unsafe {
        family::create::<Info, _>(
            registry,
            family::Names { name, help, label_names, n_labels, opts },
            || Ok(Default::default()),
            |inner| fastprom_info_family { inner },
            out,
        )
    })
}

/// Frees a family handle. NULL is accepted and ignored.
///
/// # Safety
/// `family` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_family_free(family: *mut fastprom_info_family) {
    // SAFETY: as above.
    unsafe { family::free(family) }
}

/// Writes to `*out` a handle to the info for these `n` label values (in the order of the
/// label names), creating it with no pairs if new. The caller frees it with
/// `fastprom_info_free`.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_family_labels(
    family: *const fastprom_info_family,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_info,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels(&f.inner, values, n, |inner| fastprom_info { inner }, out) }
    })
}

/// Removes the info for these label values; `*removed` (when `removed` is not NULL) says
/// whether it existed.
///
/// # Safety
/// As `fastprom_counter_family_remove`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_family_remove(
    family: *const fastprom_info_family,
    values: *const *const c_char,
    n: usize,
    removed: *mut bool,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::remove(&f.inner, values, n, removed) }
    })
}

/// Removes every info of the family.
///
/// # Safety
/// `family` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_family_clear(family: *const fastprom_info_family) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(family, "family") }?.inner.clear();
        Ok(())
    })
}

/// Frees an info handle. NULL is accepted and ignored.
///
/// # Safety
/// `info` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_free(info: *mut fastprom_info) {
    // SAFETY: as above.
    unsafe { family::free(info) }
}

/// Replaces the info's pairs with the `n` pairs `keys[i]` = `values[i]` (a repeated key
/// keeps its last value). A key that is one of the family's label names gives
/// `FASTPROM_INVALID_LABEL` and changes nothing.
///
/// # Safety
/// `info` is NULL or live; `keys` and `values` are NULL or point to `n` NUL-terminated
/// strings (NULL only when `n` is 0).
#[no_mangle]
pub unsafe extern "C" fn fastprom_info_set(
    info: *const fastprom_info,
    keys: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let i = unsafe { handle(info, "info") }?;
        let keys = unsafe { strings(keys, n, "keys") }?;
        let values = unsafe { strings(values, n, "values") }?;
        let pairs = keys.into_iter().zip(values).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        Ok(i.inner.set(pairs)?)
    })
}
