//! What the counter, gauge and histogram families share: creating and registering a family,
//! looking up a child, removing and clearing children. The typed `extern "C"` functions in
//! counter.rs, gauge.rs and histogram.rs are thin wrappers over these.

use std::ffi::c_char;

use fastprom::{Child, Family, MetricCore, Opts};

use crate::args::{handle, out, put, string, strings, strings_into, StrList};
use crate::registry::fastprom_registry;
use crate::status::Failure;

/// The optional parts of a family's name, for the `*_family_new_with` functions. Each field
/// may be NULL (or "") for none; the strings need only live for the call. The full name is
/// `namespace_subsystem_name_unit`; a unit already at the end of the name is not repeated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fastprom_family_opts {
    /// Put before the name, joined with `_` (such as the application's name).
    pub metric_namespace: *const c_char,
    /// Put between the namespace and the name, joined with `_`.
    pub subsystem: *const c_char,
    /// The unit, appended with `_` (such as `seconds` or `bytes`).
    pub unit: *const c_char,
    /// Names of constant labels: labels every series of the family carries with the same
    /// value (such as the region), not passed on lookups. `n_const_labels` of them; NULL
    /// when 0. They follow the rules of label names and may not repeat the family's.
    pub const_label_names: *const *const c_char,
    /// The constant labels' values, in the order of `const_label_names`.
    pub const_label_values: *const *const c_char,
    /// Number of constant labels.
    pub n_const_labels: usize,
}

/// Reads an optional string: NULL is the empty string.
///
/// # Safety
/// As [`string`].
unsafe fn optional<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        Ok("")
    } else {
        // SAFETY: as the caller's contract says.
        unsafe { string(p, what) }
    }
}

/// Applies `opts` (NULL for none) to `o`.
///
/// # Safety
/// `opts` is NULL or points to a `fastprom_family_opts` whose strings are NULL or
/// NUL-terminated.
unsafe fn with_opts(mut o: Opts, opts: *const fastprom_family_opts) -> Result<Opts, Failure> {
    // SAFETY: as the caller's contract says.
    if let Some(opts) = unsafe { opts.as_ref() } {
        o = o
            .namespace(unsafe { optional(opts.metric_namespace, "opts.metric_namespace") }?)
            .subsystem(unsafe { optional(opts.subsystem, "opts.subsystem") }?)
            .unit(unsafe { optional(opts.unit, "opts.unit") }?);
        let n = opts.n_const_labels;
        let names = unsafe { strings(opts.const_label_names, n, "opts.const_label_names") }?;
        let values = unsafe { strings(opts.const_label_values, n, "opts.const_label_values") }?;
        o = o.const_labels(names.into_iter().zip(values));
    }
    Ok(o)
}

/// The C arguments naming a family, as every `*_family_new` takes them.
pub(crate) struct Names {
    pub(crate) name: *const c_char,
    pub(crate) help: *const c_char,
    pub(crate) label_names: *const *const c_char,
    pub(crate) n_labels: usize,
    pub(crate) opts: *const fastprom_family_opts,
}

/// Builds a family from C arguments, registers it in `registry`, and writes a new handle
/// made by `wrap` to `*out_family`. Nothing is registered when any argument is bad.
///
/// # Safety
/// The pointers follow the contract of `fastprom_counter_family_new`.
pub(crate) unsafe fn create<M: MetricCore, H>(
    registry: *mut fastprom_registry,
    names: Names,
    config: impl FnOnce() -> Result<M::Config, Failure>,
    wrap: impl FnOnce(Family<M>) -> H,
    out_family: *mut *mut H,
) -> Result<(), Failure> {
    // SAFETY (all five): pointers as the caller's contract says.
    let r = unsafe { handle(registry, "registry") }?;
    let name = unsafe { string(names.name, "name") }?;
    let help = unsafe { string(names.help, "help") }?;
    let labels = unsafe { strings(names.label_names, names.n_labels, "label_names") }?;
    let opts = unsafe { with_opts(Opts::new(name, help).labels(labels), names.opts) }?;
    let o = out(out_family, "out")?;
    let family = Family::<M>::new(opts, config()?)?;
    r.inner.register(family.clone())?;
    // SAFETY: `o` is checked and writable.
    unsafe { put(o, Box::into_raw(Box::new(wrap(family)))) };
    Ok(())
}

/// The child for `values`: with no values, a family without label names gives its one
/// child; otherwise the core looks it up (creating it) or reports the count mismatch.
fn child<M: MetricCore>(family: &Family<M>, values: &[&str]) -> Result<Child<M>, Failure> {
    if values.is_empty() && family.label_names().is_empty() {
        return Ok(family.unlabelled()?.clone());
    }
    Ok(family.labels(values)?)
}

/// Reads label values and runs `f` on the family's child for them (created if new).
///
/// # Safety
/// `values` is NULL or points to `n` strings (NULL only when `n` is 0).
pub(crate) unsafe fn with_child<M: MetricCore, R>(
    family: &Family<M>,
    values: *const *const c_char,
    n: usize,
    f: impl FnOnce(&M) -> Result<R, Failure>,
) -> Result<R, Failure> {
    let mut list = StrList::new();
    // SAFETY: as the caller's contract says.
    unsafe { strings_into(values, n, "values", &mut list) }?;
    let values = &list[..];
    if values.is_empty() && family.label_names().is_empty() {
        return f(family.unlabelled()?);
    }
    // No handle is made: the child is reached without touching its reference count.
    family.with_labels(&values, f)?
}

/// Looks up (or creates) a child and writes a new handle made by `wrap` to `*out_child`.
///
/// # Safety
/// As [`with_child`]; `out_child` is NULL or writable.
pub(crate) unsafe fn labels<M: MetricCore, H>(
    family: &Family<M>,
    values: *const *const c_char,
    n: usize,
    wrap: impl FnOnce(Child<M>) -> H,
    out_child: *mut *mut H,
) -> Result<(), Failure> {
    let o = out(out_child, "out")?;
    // SAFETY: as the caller's contract says.
    let values = unsafe { strings(values, n, "values") }?;
    let child = child(family, &values)?;
    // SAFETY: `o` is checked and writable.
    unsafe { put(o, Box::into_raw(Box::new(wrap(child)))) };
    Ok(())
}

/// Looks up (or creates) the child for `n` label name/value pairs, in any order, and
/// writes a new handle made by `wrap` to `*out_child`.
///
/// # Safety
/// `names` and `values` are NULL or point to `n` strings (NULL only when `n` is 0);
/// `out_child` is NULL or writable.
pub(crate) unsafe fn labels_by_name<M: MetricCore, H>(
    family: &Family<M>,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    wrap: impl FnOnce(Child<M>) -> H,
    out_child: *mut *mut H,
) -> Result<(), Failure> {
    let o = out(out_child, "out")?;
    // SAFETY: as the caller's contract says.
    let names = unsafe { strings(names, n, "names") }?;
    let values = unsafe { strings(values, n, "values") }?;
    let pairs: Vec<(&str, &str)> = names.into_iter().zip(values).collect();
    let child = family.labels_by_name(&pairs)?;
    // SAFETY: `o` is checked and writable.
    unsafe { put(o, Box::into_raw(Box::new(wrap(child)))) };
    Ok(())
}

/// Removes the child with these label values; `*out_removed` (if not NULL) says whether
/// there was one.
///
/// # Safety
/// As [`with_child`]; `out_removed` is NULL or writable.
pub(crate) unsafe fn remove<M: MetricCore>(
    family: &Family<M>,
    values: *const *const c_char,
    n: usize,
    out_removed: *mut bool,
) -> Result<(), Failure> {
    // SAFETY: as the caller's contract says.
    let values = unsafe { strings(values, n, "values") }?;
    let removed = family.remove(&values)?;
    if !out_removed.is_null() {
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { put(out_removed, removed) };
    }
    Ok(())
}

/// Frees a handle made by `Box::into_raw`; NULL is ignored.
///
/// # Safety
/// `p` is NULL or a live handle of type `H`, freed once.
pub(crate) unsafe fn free<H>(p: *mut H) {
    if !p.is_null() {
        // SAFETY: a live boxed handle, freed once.
        crate::status::run_free(|| drop(unsafe { Box::from_raw(p) }));
    }
}
