//! fastprom for JavaScript: thin wasm-bindgen classes over the core's registry, metric
//! families and push requests. The prom-client-like API (option objects, overloaded
//! `inc(labels?, value?)`, `fetch` for pushes) is the hand-written wrapper in `js/`;
//! this crate only translates values in and values and errors out.

mod error;
mod json;
mod metrics;
mod push;
mod registry;

use std::sync::Arc;

use fastprom::{Clock, Settings, ValidationScheme};

thread_local! {
    /// The clock set by `setClock`: a JS function returning milliseconds since the epoch.
    static CLOCK: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
}

/// Reads the time from `f()` (milliseconds since the epoch, as `Date.now()` gives) for
/// every metric from now on (timestamps of `setToCurrentTime`, summary windows); `null`
/// or `undefined` goes back to `Date.now()`. A function that throws or returns something
/// other than a finite number counts as `Date.now()`.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = setClock)]
pub fn set_clock(f: Option<js_sys::Function>) {
    CLOCK.with(|c| *c.borrow_mut() = f);
}

/// The time now in seconds, from the clock `setClock` set or from `Date.now()`.
fn now_seconds() -> f64 {
    let custom = CLOCK.with(|c| {
        c.borrow().as_ref().and_then(|f| f.call0(&wasm_bindgen::JsValue::UNDEFINED).ok()).and_then(|v| v.as_f64())
    });
    match custom {
        Some(ms) if ms.is_finite() => ms / 1000.0,
        _ => js_sys::Date::now() / 1000.0,
    }
}

/// The wall clock of the JS host, in seconds. `std::time` panics on
/// `wasm32-unknown-unknown`, so every family is built with this one.
fn js_clock() -> Arc<dyn Clock> {
    Arc::new(now_seconds)
}

/// The settings every family starts with: the JS clock, prom-client's legacy name rules
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`) and no `_created` samples (prom-client exports none).
fn js_settings() -> Settings {
    Settings::default().clock(js_clock()).validation(ValidationScheme::Legacy).created(false)
}
