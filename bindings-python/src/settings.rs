//! prometheus_client's process-wide switches, kept here in the binding: Python code turns
//! `_created` samples and legacy name validation on and off for the whole interpreter
//! (`disable_created_metrics()`, `enable_legacy_validation()`, their environment
//! variables), while the core takes them per family and per scrape. This module is where
//! one becomes the other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use fastprom::model::{Visitor, WithoutCreated};
use fastprom::{Settings, ValidationScheme};
use pyo3::prelude::*;

use crate::clock;

static CREATED: AtomicBool = AtomicBool::new(true);
static LEGACY: AtomicBool = AtomicBool::new(false);

/// Turns the `_created` samples on or off (`enable_created_metrics` /
/// `disable_created_metrics`); read at every scrape.
#[pyfunction]
pub(crate) fn set_created_enabled(on: bool) {
    CREATED.store(on, Ordering::Relaxed);
}

/// Whether `_created` samples are exported.
#[pyfunction]
pub(crate) fn created_enabled() -> bool {
    CREATED.load(Ordering::Relaxed)
}

/// Turns legacy name validation on or off (`enable_legacy_validation` /
/// `disable_legacy_validation`); metrics created from then on follow it.
#[pyfunction]
pub(crate) fn set_legacy_validation(on: bool) {
    LEGACY.store(on, Ordering::Relaxed);
}

/// Whether legacy name validation is on.
#[pyfunction]
pub(crate) fn legacy_validation() -> bool {
    LEGACY.load(Ordering::Relaxed)
}

/// The validation scheme Python code has chosen.
pub(crate) fn scheme() -> ValidationScheme {
    if legacy_validation() {
        ValidationScheme::Legacy
    } else {
        ValidationScheme::Utf8
    }
}

/// What a family built for Python gets: Python's clock and the current validation
/// scheme. `_created` stays on in the family; scrapes apply the switch ([`visit`]).
pub(crate) fn family() -> Settings {
    static CLOCK: OnceLock<Arc<dyn fastprom::Clock>> = OnceLock::new();
    let clock = CLOCK.get_or_init(clock::python_clock);
    Settings::default().clock(Arc::clone(clock)).validation(scheme())
}

/// Runs a walk over native families with the `_created` switch applied.
pub(crate) fn visit(
    v: &mut dyn Visitor,
    walk: impl FnOnce(&mut dyn Visitor) -> fastprom::Result<()>,
) -> fastprom::Result<()> {
    if created_enabled() || !v.created() {
        walk(v)
    } else {
        walk(&mut WithoutCreated(v))
    }
}
