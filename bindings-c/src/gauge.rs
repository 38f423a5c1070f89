//! Gauge families and their children.

use std::ffi::c_char;

use fastprom::{Child, Family, Gauge};

use crate::args::{handle, out, put};
use crate::family::{self, fastprom_family_opts};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run};

/// A family of gauges: one gauge per combination of label values.
///
/// Made by `fastprom_gauge_family_new`, owned by the caller, freed with
/// `fastprom_gauge_family_free`. Freeing the handle does not remove the family from its
/// registry. Thread-safe.
pub struct fastprom_gauge_family {
    inner: Family<Gauge>,
}

/// One gauge of a family, kept by the caller for fast updates. Made by
/// `fastprom_gauge_family_labels`, freed with `fastprom_gauge_free`; it stays usable after
/// its family handle is freed. Thread-safe.
pub struct fastprom_gauge {
    inner: Child<Gauge>,
}

/// Creates a gauge family with `n_labels` label names, registers it in `registry`, and
/// writes its handle to `*out`. `label_names` may be NULL when `n_labels` is 0. On failure
/// nothing is registered.
///
/// # Safety
/// As `fastprom_counter_family_new`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_new(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    out: *mut *mut fastprom_gauge_family,
) -> fastprom_status {
    // SAFETY: the same contract.
    unsafe { fastprom_gauge_family_new_with(registry, name, help, label_names, n_labels, std::ptr::null(), out) }
}

/// As `fastprom_gauge_family_new`, with a namespace, subsystem and unit from `opts` (NULL
/// for none) around the name.
///
/// # Safety
/// As `fastprom_gauge_family_new`; `opts` is NULL or points to a `fastprom_family_opts`
/// whose strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_new_with(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    opts: *const fastprom_family_opts,
    out: *mut *mut fastprom_gauge_family,
) -> fastprom_status {
    // SAFETY: the contract above is `family::create`'s.
    run(|| unsafe {
        family::create::<Gauge, _>(
            registry,
            family::Names { name, help, label_names, n_labels, opts },
            || Ok(()),
            |inner| fastprom_gauge_family { inner },
            out,
        )
    })
}

/// Frees a family handle. NULL is accepted and ignored.
///
/// # Safety
/// `family` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_free(family: *mut fastprom_gauge_family) {
    // SAFETY: as above.
    unsafe { family::free(family) }
}

/// Writes to `*out` a handle to the gauge for these `n` label values (in the order of the
/// label names), creating it at 0 if new. The caller frees it with `fastprom_gauge_free`.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_labels(
    family: *const fastprom_gauge_family,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_gauge,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels(&f.inner, values, n, |inner| fastprom_gauge { inner }, out) }
    })
}

/// Sets the gauge for these label values to `value`, creating it if new.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_set(
    family: *const fastprom_gauge_family,
    values: *const *const c_char,
    n: usize,
    value: f64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe {
            family::with_child(&f.inner, values, n, |g| {
                g.set(value);
                Ok(())
            })
        }
    })
}

/// Adds `amount` (any sign) to the gauge for these label values, creating it if new.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_add(
    family: *const fastprom_gauge_family,
    values: *const *const c_char,
    n: usize,
    amount: f64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe {
            family::with_child(&f.inner, values, n, |g| {
                g.inc_by(amount);
                Ok(())
            })
        }
    })
}

/// Writes to `*out` a handle to the gauge whose labels are given as `n` name/value pairs
/// (`names[i]` = `values[i]`, in any order, naming each of the family's labels once),
/// creating it if new. Wrong or missing names give `FASTPROM_INVALID_LABEL`. The caller
/// frees the handle with `fastprom_gauge_free`.
///
/// # Safety
/// `family` is NULL or live; `names` and `values` are NULL or point to `n` NUL-terminated
/// strings; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_labels_by_name(
    family: *const fastprom_gauge_family,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_gauge,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels_by_name(&f.inner, names, values, n, |inner| fastprom_gauge { inner }, out) }
    })
}

/// Removes the gauge for these label values; `*removed` (when `removed` is not NULL) says
/// whether it existed.
///
/// # Safety
/// As `fastprom_counter_family_remove`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_remove(
    family: *const fastprom_gauge_family,
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

/// Removes every gauge of the family.
///
/// # Safety
/// `family` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_family_clear(family: *const fastprom_gauge_family) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(family, "family") }?.inner.clear();
        Ok(())
    })
}

/// Frees a gauge handle. NULL is accepted and ignored.
///
/// # Safety
/// `gauge` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_free(gauge: *mut fastprom_gauge) {
    // SAFETY: as above.
    unsafe { family::free(gauge) }
}

/// Sets the gauge to `value`.
///
/// # Safety
/// `gauge` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_set(gauge: *const fastprom_gauge, value: f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(gauge, "gauge") }?.inner.set(value);
        Ok(())
    })
}

/// Adds `amount` to the gauge.
///
/// # Safety
/// `gauge` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_add(gauge: *const fastprom_gauge, amount: f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(gauge, "gauge") }?.inner.inc_by(amount);
        Ok(())
    })
}

/// Subtracts `amount` from the gauge.
///
/// # Safety
/// `gauge` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_sub(gauge: *const fastprom_gauge, amount: f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(gauge, "gauge") }?.inner.dec_by(amount);
        Ok(())
    })
}

/// Writes the gauge's current value to `*value`.
///
/// # Safety
/// `gauge` is NULL or live; `value` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_gauge_get(gauge: *const fastprom_gauge, value: *mut f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let g = unsafe { handle(gauge, "gauge") }?;
        let o = out(value, "value")?;
        unsafe { put(o, g.inner.get()) };
        Ok(())
    })
}
