//! The settings a family or a registry carries instead of process-wide switches: two
//! libraries in one process, or two registries in one JS isolate, can each have their own.

use std::fmt;
use std::sync::Arc;

use crate::clock::{self, Clock};
use crate::names::ValidationScheme;

/// What a family is built with besides its names: where it reads the time, which names it
/// accepts, and whether it exports `_created` samples. [`Settings::default`] is the system
/// clock (on `wasm32-unknown-unknown`, a clock that reads 0 until the host gives one),
/// UTF-8 names and `_created` on: prometheus_client 0.26's defaults.
///
/// ```
/// use std::sync::Arc;
/// use fastprom::{names::ValidationScheme, Settings};
///
/// let s = Settings::default().clock(Arc::new(|| 1.5)).validation(ValidationScheme::Legacy).created(false);
/// assert_eq!(s.now(), 1.5);
/// assert!(s.validation_scheme().is_legacy());
/// assert!(!s.created_enabled());
/// ```
#[derive(Clone)]
pub struct Settings {
    clock: Arc<dyn Clock>,
    validation: ValidationScheme,
    created: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self { clock: clock::system(), validation: ValidationScheme::default(), created: true }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("validation", &self.validation)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Reads the time from `clock` (seconds since the Unix epoch).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Validates names with `scheme`.
    pub fn validation(mut self, scheme: ValidationScheme) -> Self {
        self.validation = scheme;
        self
    }

    /// Exports `_created` samples (`true`, the default) or not.
    pub fn created(mut self, on: bool) -> Self {
        self.created = on;
        self
    }

    /// The current time from the clock.
    #[inline]
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// The clock.
    pub fn clock_ref(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The name validation scheme.
    pub fn validation_scheme(&self) -> ValidationScheme {
        self.validation
    }

    /// Whether `_created` samples are exported.
    pub fn created_enabled(&self) -> bool {
        self.created
    }
}
