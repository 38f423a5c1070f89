//! A counter's total: an exact integer while every increment is a whole number, so an
//! increment is one `fetch_add`; an `f64` from the first fractional increment on.
//!
//! prometheus_client keeps a counter as a float and adds to it in order. While all the
//! increments are whole numbers and the total stays below 2^53, that float is exactly the
//! integer sum, so an integer gives the same bytes. The integer path ends at 2^52: an
//! increment that takes the total past it switches to the float, and increments landing
//! meanwhile add at most (threads x 2^32) more, far below 2^53, so folding them in is
//! exact in any order. The first increment that is not whole moves the total
//! into the float word once, and from then on every increment is a float addition in
//! the same order a float counter would make it, so the printed digits stay the same.
//!
//! The integer word holds the count in its low bits and two flags:
//! * `FROZEN`: the total lives in the float word; the low bits mean nothing.
//! * `LOCK`: a thread is changing the mode (the switch to float, `set`, `reset`).
//!   Increments never take it; they keep adding to the low bits, and the thread that
//!   holds it folds what they added in with a compare-and-swap that fails and retries
//!   when an increment lands in between.
//!
//! The float word and the counter's exemplar slot live in a small "cold" block allocated
//! the first time either is needed and kept until the counter is dropped, so a counter
//! that only ever counts whole numbers and has no exemplar costs 16 bytes here.
//!
//! The float word is written only by the `LOCK` holder while the integer word is not
//! frozen, and is published by the release that freezes it; readers and increments
//! touch it only after an acquire that saw `FROZEN`. An increment that reads the word
//! unfrozen and then adds to it just after another thread froze it sees `FROZEN` in the
//! value its `fetch_add` returns and adds to the float word instead (its stray bits in
//! the integer word are ignored while frozen and cleared by the next `set` or `reset`).
//!
//! Only threads that change the mode can wait (for the `LOCK` holder, which may retry
//! while increments keep landing): a fractional increment before the switch, `set`,
//! `reset`, and the increment that crosses 2^52. Every other increment and every read
//! never waits.

use super::exemplar_slot::ExemplarSlot;
use super::prim::{fence, spin_loop, yield_now, AtomicPtr, AtomicU64, Ordering};

const FROZEN: u64 = 1 << 63;
const LOCK: u64 = 1 << 62;
const COUNT: u64 = LOCK - 1;
/// The integer path holds totals up to here (see the module docs: every integer up to
/// 2^53 is an `f64`, and this leaves room for increments racing the switch).
const LIMIT: u64 = 1 << 52;
/// Whole increments up to this take the integer path (larger ones are floats, which
/// also keeps the low bits far from the flags).
const MAX_STEP: u64 = (1 << 32) - 1;

/// `v` as an integer when it is a whole number from +0.0 to `max`; `None` for -0.0
/// (kept a float, as Python keeps it), NaN, fractions and anything larger.
#[inline]
fn whole_up_to(v: f64, max: u64) -> Option<u64> {
    // `v as u64` truncates; with `v` at most `max` the round trip is exact.
    (v.is_sign_positive() && v <= max as f64 && (v as u64) as f64 == v).then_some(v as u64)
}

/// What a counter needs only once it holds a fraction or an exemplar.
#[derive(Default)]
struct Cold {
    float: AtomicU64,
    exemplar: ExemplarSlot,
}

/// The total of a counter (see the module docs for how it is kept), and its exemplar.
pub(crate) struct CounterCell {
    int: AtomicU64,
    /// Null until first needed; then set once and freed only on drop.
    cold: AtomicPtr<Cold>,
}

impl Default for CounterCell {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CounterCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterCell").field("total", &self.get()).finish()
    }
}

impl Drop for CounterCell {
    fn drop(&mut self) {
        let p = self.cold.load(Ordering::Relaxed);
        if !p.is_null() {
            // SAFETY: `p` came from `Box::into_raw` in `cold`, and `&mut self` means no
            // reference handed out by `cold` is still alive.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

impl CounterCell {
    /// A total of 0.
    pub(crate) fn new() -> Self {
        Self { int: AtomicU64::new(0), cold: AtomicPtr::new(std::ptr::null_mut()) }
    }

    /// The cold block, if it was ever made.
    #[inline]
    fn cold_if_any(&self) -> Option<&Cold> {
        // SAFETY: a non-null pointer was published by `cold` from a live box that stays
        // until `drop`, which cannot run while `&self` is borrowed.
        unsafe { self.cold.load(Ordering::Acquire).as_ref() }
    }

    /// The cold block, made on first use (a racing thread's block is freed unused).
    fn cold(&self) -> &Cold {
        if let Some(c) = self.cold_if_any() {
            return c;
        }
        let fresh = Box::into_raw(Box::new(Cold::default()));
        match self.cold.compare_exchange(std::ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: we just published `fresh`; it lives until `drop`.
            Ok(_) => unsafe { &*fresh },
            Err(existing) => {
                // SAFETY: `fresh` was never shared; `existing` is published and lives
                // until `drop`.
                drop(unsafe { Box::from_raw(fresh) });
                unsafe { &*existing }
            }
        }
    }

    /// The float word; only called once the integer word is frozen (or by the `LOCK`
    /// holder), so the cold block exists.
    #[inline]
    fn float(&self) -> &AtomicU64 {
        &self.cold().float
    }

    /// The exemplar slot (made on first use).
    pub(crate) fn exemplar_slot(&self) -> &ExemplarSlot {
        &self.cold().exemplar
    }

    /// A copy of the exemplar, if one was set.
    #[inline]
    pub(crate) fn exemplar(&self) -> Option<crate::model::Exemplar> {
        self.cold_if_any().and_then(|c| c.exemplar.get())
    }

    /// Adds `v` (the caller has refused negative amounts).
    #[inline]
    pub(crate) fn add(&self, v: f64) {
        match whole_up_to(v, MAX_STEP) {
            Some(k) => self.add_whole(k),
            None => self.add_fraction(v),
        }
    }

    /// Adds a whole number up to `MAX_STEP`.
    #[inline]
    pub(crate) fn add_whole(&self, k: u64) {
        if self.int.load(Ordering::Relaxed) & FROZEN != 0 {
            fence(Ordering::Acquire);
            self.float_add(k as f64);
            return;
        }
        let prev = self.int.fetch_add(k, Ordering::Relaxed);
        if prev & FROZEN != 0 {
            // Frozen between the load and the add: the float word has the total.
            fence(Ordering::Acquire);
            self.float_add(k as f64);
        } else if (prev & COUNT) + k > LIMIT {
            self.switch(0.0);
        }
    }

    /// The total.
    #[inline]
    pub(crate) fn get(&self) -> f64 {
        let word = self.int.load(Ordering::Acquire);
        if word & FROZEN == 0 {
            (word & COUNT) as f64
        } else {
            self.cold_if_any().map_or(0.0, |c| f64::from_bits(c.float.load(Ordering::Relaxed)))
        }
    }

    /// Replaces the total (whole totals go back to the integer path).
    pub(crate) fn set(&self, total: f64) {
        if let Some(whole) = whole_up_to(total, LIMIT) {
            self.lock();
            // Increments that landed since `lock` are overwritten: they count as made
            // before the set. (A swap rather than a store: the same on x86, and loom
            // models a plain store racing a `fetch_add` wrongly, tokio-rs/loom#254.)
            self.int.swap(whole, Ordering::Release);
        } else {
            // The cold block is made before the lock, so the lock is held only briefly.
            let float = self.float();
            self.lock();
            float.store(total.to_bits(), Ordering::Relaxed);
            self.int.swap(FROZEN, Ordering::Release);
        }
    }

    fn add_fraction(&self, v: f64) {
        if self.int.load(Ordering::Acquire) & FROZEN == 0 && self.switch(v) {
            return;
        }
        self.float_add(v);
    }

    fn float_add(&self, v: f64) {
        let float = self.float();
        let mut cur = float.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match float.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Takes `LOCK`, waiting for another holder; returns the word as it was then.
    fn lock(&self) -> u64 {
        let mut spins = 0u32;
        let mut cur = self.int.load(Ordering::Relaxed);
        loop {
            if cur & LOCK != 0 {
                if spins < 64 {
                    spin_loop();
                } else {
                    yield_now();
                }
                spins = spins.saturating_add(1);
                cur = self.int.load(Ordering::Relaxed);
                continue;
            }
            match self.int.compare_exchange_weak(cur, cur | LOCK, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return cur,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Moves the total into the float word with `v` added, unless another thread froze
    /// it first (then returns false and adds nothing).
    fn switch(&self, v: f64) -> bool {
        let float = self.float();
        let word = self.lock();
        if word & FROZEN != 0 {
            // Another thread switched first; give the lock back unchanged.
            self.int.fetch_and(!LOCK, Ordering::Release);
            return false;
        }
        let mut cur = word | LOCK;
        loop {
            let total = (cur & COUNT) as f64 + v;
            float.store(total.to_bits(), Ordering::Relaxed);
            match self.int.compare_exchange_weak(cur, FROZEN, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn whole_increments_stay_integers() {
        let c = CounterCell::new();
        for _ in 0..10 {
            c.add(1.0);
        }
        c.add(5.0);
        assert_eq!(c.get(), 15.0);
        assert_eq!(c.int.load(Ordering::Relaxed), 15);
    }

    #[test]
    fn a_fraction_switches_to_the_float_sequence() {
        // The digits must be those of adding in order as floats.
        let steps = [3.0, 0.1, 1.0, 0.2, 7.0, 1e-9, 2.0];
        let c = CounterCell::new();
        let mut expected = 0.0f64;
        for s in steps {
            c.add(s);
            expected += s;
            assert_eq!(c.get().to_bits(), expected.to_bits());
        }
        assert!(c.int.load(Ordering::Relaxed) & FROZEN != 0);
    }

    #[test]
    fn whole_numbers_are_told_apart() {
        assert_eq!(whole_up_to(0.0, MAX_STEP), Some(0));
        assert_eq!(whole_up_to(MAX_STEP as f64, MAX_STEP), Some(MAX_STEP));
        assert_eq!(whole_up_to(MAX_STEP as f64 + 1.0, MAX_STEP), None);
        for v in [-0.0, -1.0, 0.5, f64::NAN, -f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(whole_up_to(v, LIMIT), None, "{v}");
        }
        assert_eq!(whole_up_to(LIMIT as f64, LIMIT), Some(LIMIT));
    }

    #[test]
    fn nan_infinity_and_huge_steps() {
        let c = CounterCell::new();
        c.add(2.0);
        c.add(1e300);
        assert_eq!(c.get(), 2.0 + 1e300);
        let c = CounterCell::new();
        c.add(f64::INFINITY);
        assert_eq!(c.get(), f64::INFINITY);
        let c = CounterCell::new();
        c.add(f64::NAN);
        c.add(1.0);
        assert!(c.get().is_nan());
        let c = CounterCell::new();
        c.add(-0.0);
        assert_eq!(c.get().to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn past_the_limit_it_is_a_float() {
        let c = CounterCell::new();
        c.set(LIMIT as f64);
        assert_eq!(c.int.load(Ordering::Relaxed), LIMIT);
        c.add(1.0);
        let mut expected = LIMIT as f64;
        expected += 1.0;
        assert_eq!(c.get(), expected);
        c.add(2.0);
        expected += 2.0;
        assert_eq!(c.get(), expected);
        assert!(c.int.load(Ordering::Relaxed) & FROZEN != 0);
    }

    #[test]
    fn set_and_reset_choose_the_mode() {
        let c = CounterCell::new();
        c.add(0.5);
        c.set(0.0);
        assert_eq!(c.int.load(Ordering::Relaxed), 0);
        c.add(1.0);
        assert_eq!(c.get(), 1.0);
        c.set(2.5);
        c.add(1.0);
        assert_eq!(c.get(), 3.5);
        c.set(1e20);
        assert_eq!(c.get(), 1e20);
        // -0.0 is kept as the float it is, as prometheus_client keeps it.
        c.set(-0.0);
        assert_eq!(c.get().to_bits(), (-0.0f64).to_bits());
        c.set(((1u64 << 53) + 2) as f64);
        c.add(1.0);
        let mut expected = ((1u64 << 53) + 2) as f64;
        expected += 1.0;
        assert_eq!(c.get().to_bits(), expected.to_bits());
    }

    #[test]
    fn the_cold_block_is_made_only_when_needed() {
        let c = CounterCell::new();
        c.add(1.0);
        assert!(c.cold_if_any().is_none());
        assert!(c.exemplar().is_none());
        let ex = crate::model::Exemplar { labels: vec![("t".into(), "a".into())], value: 1.0, timestamp: None };
        c.exemplar_slot().set(ex);
        assert!(c.cold_if_any().is_some());
        // An exemplar alone leaves the total on the integer path.
        c.add(2.0);
        assert_eq!(c.int.load(Ordering::Relaxed), 3);
        c.add(0.5);
        assert_eq!(c.get(), 3.5);
        assert_eq!(c.exemplar().map(|e| e.value), Some(1.0));
    }

    #[test]
    fn threads_lose_nothing_across_the_switch() {
        // Small under miri, which runs this too (it checks every access for races).
        let per_thread: u32 = if cfg!(miri) { 200 } else { 20_000 };
        let c = CounterCell::new();
        std::thread::scope(|s| {
            for t in 0..4 {
                let c = &c;
                s.spawn(move || {
                    for i in 0..per_thread {
                        if t == 0 && i == per_thread / 2 {
                            c.add(0.5);
                        } else {
                            c.add(1.0);
                        }
                    }
                });
            }
        });
        assert_eq!(c.get(), f64::from(4 * per_thread) - 0.5);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// An increment racing the switch to float: nothing is lost, and a reader never sees
    /// the total go down.
    #[test]
    fn increment_races_the_switch() {
        loom::model(|| {
            let c = Arc::new(CounterCell::new());
            let a = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add(1.0))
            };
            let b = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add(0.5))
            };
            let first = c.get();
            let second = c.get();
            assert!(second >= first, "{first} then {second}");
            a.join().unwrap();
            b.join().unwrap();
            assert_eq!(c.get(), 1.5);
        });
    }

    /// Two threads switching at once: one switches, the other adds to the float.
    #[test]
    fn two_fractions_race() {
        loom::model(|| {
            let c = Arc::new(CounterCell::new());
            c.add(2.0);
            let a = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add(0.5))
            };
            c.add(0.25);
            a.join().unwrap();
            assert_eq!(c.get(), 2.75);
        });
    }

    /// Two increments crossing the limit while one of them switches: the total is the
    /// exact sum, which is also the float sum in either order.
    #[test]
    fn increments_cross_the_limit() {
        loom::model(|| {
            let c = Arc::new(CounterCell::new());
            c.set(LIMIT as f64);
            let a = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add(1.0))
            };
            c.add(1.0);
            a.join().unwrap();
            let mut expected = LIMIT as f64;
            expected += 1.0;
            expected += 1.0;
            assert_eq!(c.get(), expected);
        });
    }

    /// A set from the integer path racing the switch, and a reset racing an increment.
    #[test]
    fn set_and_reset_race_the_integer_path() {
        loom::model(|| {
            let c = Arc::new(CounterCell::new());
            let a = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add(0.5))
            };
            c.set(3.0);
            a.join().unwrap();
            let total = c.get();
            assert!(total == 3.0 || total == 3.5, "{total}");
        });
        loom::model(|| {
            let c = Arc::new(CounterCell::new());
            c.add(4.0);
            let a = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add_whole(1))
            };
            c.set(0.0);
            a.join().unwrap();
            let total = c.get();
            assert!(total == 0.0 || total == 1.0, "{total}");
        });
    }

    /// A set racing an increment leaves one of the two orders.
    #[test]
    fn set_races_an_increment() {
        loom::model(|| {
            let c = Arc::new(CounterCell::new());
            c.add(0.5);
            let a = {
                let c = Arc::clone(&c);
                thread::spawn(move || c.add(1.0))
            };
            c.set(3.0);
            a.join().unwrap();
            let total = c.get();
            assert!(total == 3.0 || total == 4.0, "{total}");
        });
    }
}
