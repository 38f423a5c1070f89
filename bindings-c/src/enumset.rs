//! Enum (state set) families and their children: each series is in one of a fixed list of
//! states.

use std::ffi::c_char;

use fastprom::{Child, Enum, Family, States};

use crate::args::{handle, out, put, string, strings};
use crate::family::{self, fastprom_family_opts};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run};

/// A family of enums: one enum per combination of label values, each in one of the
/// family's states (initially the first). Exposed as a gauge per state, 1 for the current
/// one, labelled with the family's own name.
///
/// Made by `fastprom_enum_family_new`, owned by the caller, freed with
/// `fastprom_enum_family_free`. Freeing the handle does not remove the family from its
/// registry. Thread-safe.
pub struct fastprom_enum_family {
    inner: Family<Enum>,
}

/// One enum of a family, kept by the caller. Made by `fastprom_enum_family_labels`, freed
/// with `fastprom_enum_free`; it stays usable after its family handle is freed. Thread-safe.
pub struct fastprom_enum {
    inner: Child<Enum>,
    family: Family<Enum>,
}

/// Creates an enum family with `n_labels` label names (not its own name) and the `n_states`
/// states in `states` (at least one), registers it in `registry`, and writes its handle to
/// `*out`. `opts` (NULL for none) gives a namespace and subsystem; enums take no unit. On
/// failure nothing is registered.
///
/// # Safety
/// As `fastprom_counter_family_new_with`; `states` is NULL or points to `n_states`
/// NUL-terminated strings.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn fastprom_enum_family_new(
    registry: *mut fastprom_registry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    n_labels: usize,
    states: *const *const c_char,
    n_states: usize,
    opts: *const fastprom_family_opts,
    out: *mut *mut fastprom_enum_family,
) -> fastprom_status {
    // SAFETY: as the contract above says.
    let config = || Ok(States::new(unsafe { strings(states, n_states, "states") }?));
    // SAFETY: the contract above is `family::create`'s.
    run(|| unsafe {
        family::create::<Enum, _>(
            registry,
            family::Names { name, help, label_names, n_labels, opts },
            config,
            |inner| fastprom_enum_family { inner },
            out,
        )
    })
}

/// Frees a family handle. NULL is accepted and ignored.
///
/// # Safety
/// `family` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_family_free(family: *mut fastprom_enum_family) {
    // SAFETY: as above.
    unsafe { family::free(family) }
}

/// Writes to `*out` a handle to the enum for these `n` label values (in the order of the
/// label names), creating it in the first state if new. The caller frees it with
/// `fastprom_enum_free`.
///
/// # Safety
/// As `fastprom_counter_family_labels`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_family_labels(
    family: *const fastprom_enum_family,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut fastprom_enum,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        let wrap = |inner| fastprom_enum { inner, family: f.inner.clone() };
        unsafe { family::labels(&f.inner, values, n, wrap, out) }
    })
}

/// Puts the enum for these label values (created if new) in `state`. A state the family
/// does not declare gives `FASTPROM_INVALID_ARGUMENT` and changes nothing.
///
/// # Safety
/// As `fastprom_counter_family_labels`; `state` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_family_state(
    family: *const fastprom_enum_family,
    values: *const *const c_char,
    n: usize,
    state: *const c_char,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let f = unsafe { handle(family, "family") }?;
        let state = unsafe { string(state, "state") }?;
        if !f.inner.config().names().iter().any(|s| s == state) {
            // Refused before the lookup, so an unknown state does not create a child.
            return Err(fastprom::Error::UnknownState { state: state.to_owned() }.into());
        }
        unsafe { family::with_child(&f.inner, values, n, |e| Ok(e.state(state)?)) }
    })
}

/// Removes the enum for these label values; `*removed` (when `removed` is not NULL) says
/// whether it existed.
///
/// # Safety
/// As `fastprom_counter_family_remove`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_family_remove(
    family: *const fastprom_enum_family,
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

/// Removes every enum of the family.
///
/// # Safety
/// `family` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_family_clear(family: *const fastprom_enum_family) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        unsafe { handle(family, "family") }?.inner.clear();
        Ok(())
    })
}

/// Frees an enum handle. NULL is accepted and ignored.
///
/// # Safety
/// `e` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_free(e: *mut fastprom_enum) {
    // SAFETY: as above.
    unsafe { family::free(e) }
}

/// Puts the enum in `state`. A state the family does not declare gives
/// `FASTPROM_INVALID_ARGUMENT` and changes nothing.
///
/// # Safety
/// `e` is NULL or live; `state` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_state(e: *const fastprom_enum, state: *const c_char) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let e = unsafe { handle(e, "enum") }?;
        let state = unsafe { string(state, "state") }?;
        Ok(e.inner.state(state)?)
    })
}

/// Writes to `*index` the position of the enum's current state in the family's states.
///
/// # Safety
/// `e` is NULL or live; `index` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_enum_get(e: *const fastprom_enum, index: *mut usize) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let e = unsafe { handle(e, "enum") }?;
        let o = out(index, "index")?;
        let current = e.inner.get();
        let i = e.family.config().names().iter().position(|s| s == current).unwrap_or(0);
        unsafe { put(o, i) };
        Ok(())
    })
}
