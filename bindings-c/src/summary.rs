//! Summary families and their children (count and sum; quantiles are not offered yet).

use std::ffi::c_char;

use fastprom::{Child, Family, Summary, SummaryConfig};

use crate::args::{handle, out, put};
use crate::family::{self, fastprom_family_opts};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run};

/// A family of summaries: one summary (a count and a sum of observations) per combination
/// of label values.
///
/// Made by `fastprom_summary_family_new`, owned by the caller, freed with
/// `fastprom_summary_family_free`. Freeing the handle does not remove the family from its
/// registry. Thread-safe.
pub struct fastprom_summary_family {
    inner: Family<Summary>,
}

/// One summary of a family, kept by the caller for fast observations. Made by
/// `fastprom_summary_family_labels`, freed with `fastprom_summary_free`; it stays usable
/// after its family handle is freed. Thread-safe.
pub struct fastprom_summary {
    inner: Child<Summary>,
}

/// Creates a summary family with `n_labels` label names (`quantile` is reserved), registers
/// it in `registry`, and writes its handle to `*out`. Each summary exposes the count and the
/// sum of its observations. On failure nothing is registered.
///
/// # Safety
/// As `fastprom_counter_family_new`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_new(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    out: *mut *mut fastprom_summary_family,
) -> fastprom_status {
    // SAFETY: the same contract.
    unsafe { fastprom_summary_family_new_with(registry, name, help, label_names, n_labels, std::ptr::null(), out) }
}

/// As `fastprom_summary_family_new`, with a namespace, subsystem and unit from `opts` (NULL
/// for none) around the name.
///
/// # Safety
/// As `fastprom_summary_family_new`; `opts` is NULL or points to a `fastprom_family_opts`
/// whose strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_new_with(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    opts: *const fastprom_family_opts,
    out: *mut *mut fastprom_summary_family,
) -> fastprom_status {
    // SAFETY: the contract above is `family::create`'s.
    run(|| unsafe {
        family::create::<Summary, _>(
            registry,
            family::Names { name, help, label_names, n_labels, opts },
            || Ok(SummaryConfig::default()),
            |inner| fastprom_summary_family { inner },
            out,
        )
    })
}

/// Frees a family handle. NULL is accepted and ignored.
///
/// # Safety
/// `family` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_free(family: *mut fastprom_summary_family) {
    // SAFETY: as above.
    unsafe { family::free(family) }
}

/// Writes to `*out` a handle to the summary for these `n` label values (in the order of
/// the label names), creating it empty if new. The caller frees it with
/// `fastprom_summary_free`.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_labels(
    family: *const fastprom_summary_family,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_summary,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels(&f.inner, values, n, |inner| fastprom_summary { inner }, out) }
    })
}

/// Records `value` in the summary for these label values, creating it if new.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_observe(
    family: *const fastprom_summary_family,
    values: *const *const c_char,
    n: usize,
    value: f64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe {
            family::with_child(&f.inner, values, n, |h| {
                h.observe(value);
                Ok(())
            })
        }
    })
}

/// Writes to `*out` a handle to the summary whose labels are given as `n` name/value pairs
/// (`names[i]` = `values[i]`, in any order, naming each of the family's labels once),
/// creating it if new. Wrong or missing names give `FASTPROM_INVALID_LABEL`. The caller
/// frees the handle with `fastprom_summary_free`.
///
/// # Safety
/// `family` is NULL or live; `names` and `values` are NULL or point to `n` NUL-terminated
/// strings; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_labels_by_name(
    family: *const fastprom_summary_family,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_summary,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels_by_name(&f.inner, names, values, n, |inner| fastprom_summary { inner }, out) }
    })
}

/// Removes the summary for these label values; `*removed` (when `removed` is not NULL)
/// says whether it existed.
///
/// # Safety
/// As `fastprom_counter_family_remove`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_remove(
    family: *const fastprom_summary_family,
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

/// Removes every summary of the family.
///
/// # Safety
/// `family` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_family_clear(family: *const fastprom_summary_family) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(family, "family") }?.inner.clear();
        Ok(())
    })
}

/// Frees a summary handle. NULL is accepted and ignored.
///
/// # Safety
/// `summary` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_free(summary: *mut fastprom_summary) {
    // SAFETY: as above.
    unsafe { family::free(summary) }
}

/// Records `value` in the summary.
///
/// # Safety
/// `summary` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_observe(summary: *const fastprom_summary, value: f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(summary, "summary") }?.inner.observe(value);
        Ok(())
    })
}

/// Writes the summary's sum of observations to `*sum` and their number to `*count`.
///
/// # Safety
/// `summary` is NULL or live; `sum` and `count` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_summary_get(
    summary: *const fastprom_summary,
    sum: *mut f64,
    count: *mut u64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let h = unsafe { handle(summary, "summary") }?;
        let (s, c) = (out(sum, "sum")?, out(count, "count")?);
        unsafe {
            put(s, h.inner.sum());
            put(c, h.inner.count());
        }
        Ok(())
    })
}
