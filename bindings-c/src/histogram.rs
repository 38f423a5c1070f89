//! Histogram families and their children.

use std::ffi::c_char;

use fastprom::{Buckets, Child, Family, Histogram};

use crate::args::{doubles, handle, out, put};
use crate::family::{self, fastprom_family_opts};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run};

/// A family of histograms: one histogram per combination of label values, all with the
/// family's buckets.
///
/// Made by `fastprom_histogram_family_new`, owned by the caller, freed with
/// `fastprom_histogram_family_free`. Freeing the handle does not remove the family from its
/// registry. Thread-safe.
pub struct fastprom_histogram_family {
    inner: Family<Histogram>,
}

/// One histogram of a family, kept by the caller for fast observations. Made by
/// `fastprom_histogram_family_labels`, freed with `fastprom_histogram_free`; it stays usable
/// after its family handle is freed. Thread-safe.
pub struct fastprom_histogram {
    inner: Child<Histogram>,
}

/// Creates a histogram family with `n_labels` label names (`le` is reserved) and the
/// `n_buckets` increasing upper bounds in `buckets` (`+Inf` is added when missing),
/// registers it in `registry`, and writes its handle to `*out`. With `n_buckets` 0 (and
/// `buckets` possibly NULL) the default buckets are used, .005 to 10 seconds. On failure
/// nothing is registered.
///
/// # Safety
/// As `fastprom_counter_family_new`; `buckets` is NULL or points to `n_buckets` doubles.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn fastprom_histogram_family_new(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    buckets: *const f64,
    n_buckets: usize,
    out: *mut *mut fastprom_histogram_family,
) -> fastprom_status {
    // SAFETY: the same contract.
    unsafe {
        fastprom_histogram_family_new_with(
            registry,
            name,
            help,
            label_names,
            n_labels,
            buckets,
            n_buckets,
            std::ptr::null(),
            out,
        )
    }
}

/// As `fastprom_histogram_family_new`, with a namespace, subsystem and unit from `opts`
/// (NULL for none) around the name.
///
/// # Safety
/// As `fastprom_histogram_family_new`; `opts` is NULL or points to a
/// `fastprom_family_opts` whose strings are NULL or NUL-terminated.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn fastprom_histogram_family_new_with(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    buckets: *const f64,
    n_buckets: usize,
    opts: *const fastprom_family_opts,
    out: *mut *mut fastprom_histogram_family,
) -> fastprom_status {
    let config = || {
        // SAFETY: as the contract above says.
        let bounds = unsafe { doubles(buckets, n_buckets, "buckets") }?;
        Ok(if bounds.is_empty() { Buckets::default() } else { Buckets::new(bounds)? })
    };
    // SAFETY: the contract above is `family::create`'s.
    run(|| unsafe {
        family::create::<Histogram, _>(
            registry,
            family::Names { name, help, label_names, n_labels, opts },
            config,
            |inner| fastprom_histogram_family { inner },
            out,
        )
    })
}

/// Frees a family handle. NULL is accepted and ignored.
///
/// # Safety
/// `family` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_family_free(family: *mut fastprom_histogram_family) {
    // SAFETY: as above.
    unsafe { family::free(family) }
}

/// Writes to `*out` a handle to the histogram for these `n` label values (in the order of
/// the label names), creating it empty if new. The caller frees it with
/// `fastprom_histogram_free`.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_family_labels(
    family: *const fastprom_histogram_family,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_histogram,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels(&f.inner, values, n, |inner| fastprom_histogram { inner }, out) }
    })
}

/// Records `value` in the histogram for these label values, creating it if new.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_family_observe(
    family: *const fastprom_histogram_family,
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

/// Writes to `*out` a handle to the histogram whose labels are given as `n` name/value pairs
/// (`names[i]` = `values[i]`, in any order, naming each of the family's labels once),
/// creating it if new. Wrong or missing names give `FASTPROM_INVALID_LABEL`. The caller
/// frees the handle with `fastprom_histogram_free`.
///
/// # Safety
/// `family` is NULL or live; `names` and `values` are NULL or point to `n` NUL-terminated
/// strings; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_family_labels_by_name(
    family: *const fastprom_histogram_family,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_histogram,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels_by_name(&f.inner, names, values, n, |inner| fastprom_histogram { inner }, out) }
    })
}

/// Removes the histogram for these label values; `*removed` (when `removed` is not NULL)
/// says whether it existed.
///
/// # Safety
/// As `fastprom_counter_family_remove`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_family_remove(
    family: *const fastprom_histogram_family,
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

/// Removes every histogram of the family.
///
/// # Safety
/// `family` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_family_clear(family: *const fastprom_histogram_family) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(family, "family") }?.inner.clear();
        Ok(())
    })
}

/// Frees a histogram handle. NULL is accepted and ignored.
///
/// # Safety
/// `histogram` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_free(histogram: *mut fastprom_histogram) {
    // SAFETY: as above.
    unsafe { family::free(histogram) }
}

/// Records `value` in the histogram.
///
/// # Safety
/// `histogram` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_observe(
    histogram: *const fastprom_histogram,
    value: f64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(histogram, "histogram") }?.inner.observe(value);
        Ok(())
    })
}

/// Writes the histogram's sum of observations to `*sum` and their number to `*count`.
///
/// # Safety
/// `histogram` is NULL or live; `sum` and `count` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_histogram_get(
    histogram: *const fastprom_histogram,
    sum: *mut f64,
    count: *mut u64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let h = unsafe { handle(histogram, "histogram") }?;
        let (s, c) = (out(sum, "sum")?, out(count, "count")?);
        unsafe {
            put(s, h.inner.sum());
            put(c, h.inner.count());
        }
        Ok(())
    })
}
