//! Lock-free `f64` cells.

use std::sync::atomic::{AtomicU64, Ordering};

/// An `f64` updated with atomic compare-and-swap, so concurrent additions are never lost
/// and the result is the same float sequence prometheus_client computes.
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct AtomicF64(AtomicU64);

impl AtomicF64 {
    /// A cell holding `v`.
    pub fn new(v: f64) -> Self {
        Self(AtomicU64::new(v.to_bits()))
    }

    /// Reads the value.
    #[inline]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Replaces the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }

    /// Adds `v` atomically.
    #[inline]
    pub fn add(&self, v: f64) {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match self.0.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_set() {
        let a = AtomicF64::new(0.0);
        a.add(0.1);
        a.add(0.2);
        assert_eq!(a.get(), 0.1 + 0.2);
        a.set(-3.5);
        assert_eq!(a.get(), -3.5);
    }
}
