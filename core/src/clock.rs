//! Time, injected: the core reads no clock of its own, so it builds for
//! `wasm32-unknown-unknown` (where `std::time::SystemTime::now` panics) and bindings can
//! route wall-clock reads to their host (`time.time` in Python, `Date.now` in JS). Each
//! family carries its clock in its [`Settings`](crate::Settings); there is no process-wide one.

use std::sync::Arc;

/// A source of wall-clock time in seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time, in seconds since the epoch, as Python's `time.time()`.
    fn now(&self) -> f64;
}

impl<F: Fn() -> f64 + Send + Sync> Clock for F {
    fn now(&self) -> f64 {
        self()
    }
}

/// The operating system's clock. Unavailable on `wasm32-unknown-unknown`.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
impl Clock for SystemClock {
    fn now(&self) -> f64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        }
    }
}

/// A clock that always reads the same time (tests, and hosts without a clock until one is
/// installed).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub f64);

impl Clock for FixedClock {
    fn now(&self) -> f64 {
        self.0
    }
}

/// The clock [`Settings::default`](crate::Settings::default) uses: the operating system's
/// ([`SystemClock`]), or on `wasm32-unknown-unknown`, where there is none, a clock stuck at
/// 0 until the host hands in its own (`Date.now` in JS).
pub fn system() -> Arc<dyn Clock> {
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        Arc::new(SystemClock)
    }
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        Arc::new(FixedClock(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_clocks() {
        let c: Arc<dyn Clock> = Arc::new(|| 42.5);
        assert_eq!(c.now(), 42.5);
        assert!(SystemClock.now() > 1.6e9);
    }
}
