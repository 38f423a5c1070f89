//! fastprom for JavaScript: thin wasm-bindgen classes over the core's registry, metric
//! families and push requests. The prom-client-like API (option objects, overloaded
//! `inc(labels?, value?)`, `fetch` for pushes) is the hand-written wrapper in `js/`;
//! this crate only translates values in and values and errors out.

mod error;
mod metrics;
mod push;
mod registry;

use std::sync::Arc;

use fastprom::{Clock, Settings, ValidationScheme};

/// The wall clock of the JS host: `Date.now()` in seconds. `std::time` panics on
/// `wasm32-unknown-unknown`, so every family is built with this one.
fn js_clock() -> Arc<dyn Clock> {
    Arc::new(|| js_sys::Date::now() / 1000.0)
}

/// The settings every family starts with: the JS clock, prom-client's legacy name rules
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`) and no `_created` samples (prom-client exports none).
fn js_settings() -> Settings {
    Settings::default().clock(js_clock()).validation(ValidationScheme::Legacy).created(false)
}
