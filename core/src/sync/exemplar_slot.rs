//! One exemplar per series, in 8 bytes: an atomic pointer, with a striped lock held only
//! while an exemplar is replaced or copied out. Reading "no exemplar" takes no lock, so
//! series that never get an exemplar cost a null pointer and a scrape skips them for free.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

use crate::model::Exemplar;

const STRIPES: usize = 64;
static LOCKS: [Mutex<()>; STRIPES] = [const { Mutex::new(()) }; STRIPES];

/// A slot holding at most one exemplar.
#[derive(Debug, Default)]
pub struct ExemplarSlot(AtomicPtr<Exemplar>);

impl ExemplarSlot {
    fn lock(&self) -> std::sync::MutexGuard<'static, ()> {
        let i = (self as *const Self as usize >> 3) % STRIPES;
        LOCKS[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the exemplar.
    pub fn set(&self, ex: Exemplar) {
        let new = Box::into_raw(Box::new(ex));
        let _g = self.lock();
        let old = self.0.swap(new, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: `old` came from `Box::into_raw` in `set`; readers only dereference
            // the pointer while holding this same stripe lock, which we hold.
            drop(unsafe { Box::from_raw(old) });
        }
    }

    /// A copy of the exemplar, if any.
    #[inline]
    pub fn get(&self) -> Option<Exemplar> {
        if self.0.load(Ordering::Acquire).is_null() {
            return None;
        }
        let _g = self.lock();
        let p = self.0.load(Ordering::Acquire);
        // SAFETY: non-null pointers in the slot come from `Box::into_raw` and are freed only
        // under the stripe lock we hold (or in `drop`, with exclusive access).
        unsafe { p.as_ref() }.cloned()
    }
}

impl Drop for ExemplarSlot {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        if !p.is_null() {
            // SAFETY: exclusive access; the pointer came from `Box::into_raw`.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_replace() {
        let s = ExemplarSlot::default();
        assert!(s.get().is_none());
        s.set(Exemplar { labels: vec![("a".into(), "1".into())], value: 1.0, timestamp: None });
        s.set(Exemplar { labels: vec![("b".into(), "2".into())], value: 2.0, timestamp: None });
        assert_eq!(s.get().map(|e| e.value), Some(2.0));
    }

    #[test]
    fn concurrent_set_and_get() {
        let s = std::sync::Arc::new(ExemplarSlot::default());
        let hs: Vec<_> = (0..4)
            .map(|t| {
                let s = std::sync::Arc::clone(&s);
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        if t % 2 == 0 {
                            s.set(Exemplar {
                                labels: vec![("i".into(), i.to_string())],
                                value: i as f64,
                                timestamp: None,
                            });
                        } else if let Some(e) = s.get() {
                            assert_eq!(e.labels[0].1, (e.value as i64).to_string());
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    }
}
