//! Counter families and their children.

use std::ffi::c_char;

use fastprom::{Child, Counter, Family};

use crate::args::{handle, out, put};
use crate::family::{self, fastprom_family_opts};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run};

/// A family of counters: one counter per combination of label values.
///
/// Made by `fastprom_counter_family_new`, owned by the caller, freed with
/// `fastprom_counter_family_free`. Freeing the handle does not remove the family from its
/// registry. Thread-safe.
pub struct fastprom_counter_family {
    inner: Family<Counter>,
}

/// One counter of a family (the child for one set of label values), kept by the caller for
/// fast updates. Made by `fastprom_counter_family_labels`, freed with `fastprom_counter_free`;
/// it stays usable after its family handle is freed. Thread-safe.
pub struct fastprom_counter {
    inner: Child<Counter>,
}

/// Creates a counter family named `name` (exposed as `name_total`; a trailing `_total` is
/// dropped) with `n_labels` label names, registers it in `registry`, and writes its handle
/// to `*out`. `label_names` may be NULL when `n_labels` is 0: the family then has one
/// counter, reached with no label values. On failure nothing is registered.
///
/// # Safety
/// `registry` is NULL or live; `name` and `help` are NULL or NUL-terminated strings;
/// `label_names` is NULL or points to `n_labels` such strings; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_new(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    out: *mut *mut fastprom_counter_family,
) -> fastprom_status {
    // SAFETY: the same contract.
    unsafe { fastprom_counter_family_new_with(registry, name, help, label_names, n_labels, std::ptr::null(), out) }
}

/// As `fastprom_counter_family_new`, with a namespace, subsystem and unit from `opts` (NULL
/// for none) around the name.
///
/// # Safety
/// As `fastprom_counter_family_new`; `opts` is NULL or points to a `fastprom_family_opts`
/// whose strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_new_with(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    opts: *const fastprom_family_opts,
    out: *mut *mut fastprom_counter_family,
) -> fastprom_status {
    // SAFETY: the contract above is `family::create`'s.
    run(|| unsafe {
        family::create::<Counter, _>(
            registry,
            family::Names { name, help, label_names, n_labels, opts },
            || Ok(()),
            |inner| fastprom_counter_family { inner },
            out,
        )
    })
}

/// Frees a family handle. NULL is accepted and ignored.
///
/// # Safety
/// `family` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_free(family: *mut fastprom_counter_family) {
    // SAFETY: as above.
    unsafe { family::free(family) }
}

/// Writes to `*out` a handle to the counter for these `n` label values (in the order of
/// the label names), creating it at 0 if new. The caller frees it with
/// `fastprom_counter_free`.
///
/// # Safety
/// `family` is NULL or live; `values` is NULL or points to `n` NUL-terminated strings;
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_labels(
    family: *const fastprom_counter_family,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_counter,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels(&f.inner, values, n, |inner| fastprom_counter { inner }, out) }
    })
}

/// Adds `amount` (>= 0) to the counter for these label values, creating it if new. A
/// negative amount gives `FASTPROM_NEGATIVE_INCREMENT` and changes nothing (not even a new
/// child).
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_add(
    family: *const fastprom_counter_family,
    values: *const *const c_char,
    n: usize,
    amount: f64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        if amount < 0.0 {
            // The core's rule, checked before the lookup so a refused amount does not
            // create a child either.
            return Err(fastprom::Error::NegativeIncrement { amount }.into());
        }
        unsafe { family::with_child(&f.inner, values, n, |c| Ok(c.inc_by(amount)?)) }
    })
}

/// Writes to `*out` a handle to the counter whose labels are given as `n` name/value pairs
/// (`names[i]` = `values[i]`, in any order, naming each of the family's labels once),
/// creating it if new. Wrong or missing names give `FASTPROM_INVALID_LABEL`. The caller
/// frees the handle with `fastprom_counter_free`.
///
/// # Safety
/// `family` is NULL or live; `names` and `values` are NULL or point to `n` NUL-terminated
/// strings; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_labels_by_name(
    family: *const fastprom_counter_family,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_counter,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        unsafe { family::labels_by_name(&f.inner, names, values, n, |inner| fastprom_counter { inner }, out) }
    })
}

/// Removes the counter for these label values from the family; `*removed` (when `removed`
/// is not NULL) says whether it existed. Kept handles to it stay valid but are no longer
/// exposed.
///
/// # Safety
/// As `fastprom_counter_family_labels`; `removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_remove(
    family: *const fastprom_counter_family,
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

/// Removes every counter of the family.
///
/// # Safety
/// `family` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_family_clear(family: *const fastprom_counter_family) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(family, "family") }?.inner.clear();
        Ok(())
    })
}

/// Frees a counter handle. NULL is accepted and ignored.
///
/// # Safety
/// `counter` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_free(counter: *mut fastprom_counter) {
    // SAFETY: as above.
    unsafe { family::free(counter) }
}

/// Adds 1 to the counter.
///
/// # Safety
/// `counter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_inc(counter: *const fastprom_counter) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(counter, "counter") }?.inner.inc();
        Ok(())
    })
}

/// Adds `amount` (>= 0) to the counter. A negative amount gives
/// `FASTPROM_NEGATIVE_INCREMENT` and changes nothing; NaN is accepted, as in
/// prometheus_client.
///
/// # Safety
/// `counter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_add(counter: *const fastprom_counter, amount: f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        Ok(unsafe { handle(counter, "counter") }?.inner.inc_by(amount)?)
    })
}

/// Writes the counter's current total to `*value`.
///
/// # Safety
/// `counter` is NULL or live; `value` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_counter_get(counter: *const fastprom_counter, value: *mut f64) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let c = unsafe { handle(counter, "counter") }?;
        let o = out(value, "value")?;
        unsafe { put(o, c.inner.get()) };
        Ok(())
    })
}
