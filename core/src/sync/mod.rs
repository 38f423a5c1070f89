//! The core's hand-written concurrency, all in one place.
//!
//! Everything else in the core uses ordinary locks (`parking_lot`) and atomics through
//! these types:
//!
//! * [`shard::Shard`]: a reader-writer cell whose reads usually take no lock (a per-thread
//!   announcement instead of a read lock's two read-modify-writes). Families keep their
//!   hash shards in it.
//! * [`exemplar_slot::ExemplarSlot`]: one exemplar per series in an atomic pointer, with a
//!   striped lock only while one is replaced or copied out.
//! * [`slab::Slab`]: where a family's children live, in chunks of slots handed out in
//!   order, so a scrape walks memory in the order children were made; a child's handle
//!   ([`slab::Handle`]) is a reference-counted pointer to its slot.
//! * [`atomic_f64::AtomicF64`]: an `f64` added to with compare-and-swap.
//! * [`counter_cell::CounterCell`]: a counter's total, one `fetch_add` per whole
//!   increment until the first fractional one, an `f64` after; its float word and
//!   exemplar slot sit in a block made on first use.
//!
//! How they are checked, besides the stress tests in `core/tests/concurrency.rs`:
//!
//! * loom: `make test-loom` (`RUSTFLAGS="--cfg loom" cargo test -p fastprom --lib sync`)
//!   explores every interleaving of small models of the shard protocol; under `cfg(loom)`
//!   the primitives below are loom's, so the models run the real code.
//! * miri: `make test-miri` runs these modules' tests and the family's scrape/removal
//!   race test under miri, which checks each access for data races, use after free and
//!   leaks.
//!
//! Rules for code that uses them: no user code (closures, clocks, collectors, gauge
//! functions) runs inside [`Shard::read_with`](shard::Shard::read_with) or while a
//! [`ShardWriteGuard`](shard::ShardWriteGuard) is held, and a closure given to
//! `read_with` must not write to the same shard (it would wait for itself).

pub(crate) mod atomic_f64;
pub(crate) mod counter_cell;
pub(crate) mod exemplar_slot;
pub(crate) mod shard;
pub(crate) mod slab;

/// The primitives the hand-written code is built from: loom's under `cfg(loom)`, so its
/// models check the real code; std's and parking_lot's otherwise.
#[cfg(loom)]
pub(crate) mod prim {
    pub(crate) use loom::cell::{ConstPtr, MutPtr, UnsafeCell};
    pub(crate) use loom::hint::spin_loop;
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use loom::thread::yield_now;

    /// A mutex with parking_lot's `lock` (loom's cannot be poisoned here either).
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(v: T) -> Self {
            Self(loom::sync::Mutex::new(v))
        }
        pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// A reader-writer lock with parking_lot's names (loom's cannot be poisoned here: a
    /// panicking model fails as a whole).
    pub(crate) struct RwLock(loom::sync::RwLock<()>);

    impl RwLock {
        pub(crate) fn new() -> Self {
            Self(loom::sync::RwLock::new(()))
        }
        pub(crate) fn read_recursive(&self) -> loom::sync::RwLockReadGuard<'_, ()> {
            self.0.read().unwrap_or_else(|e| e.into_inner())
        }
        pub(crate) fn write(&self) -> loom::sync::RwLockWriteGuard<'_, ()> {
            self.0.write().unwrap_or_else(|e| e.into_inner())
        }
    }

    pub(crate) type WriteGuard<'a> = loom::sync::RwLockWriteGuard<'a, ()>;
}

/// The primitives the hand-written code is built from: loom's under `cfg(loom)`, so its
/// models check the real code; std's and parking_lot's otherwise.
#[cfg(not(loom))]
pub(crate) mod prim {
    pub(crate) use super::locks::Mutex;
    pub(crate) use std::hint::spin_loop;
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use std::thread::yield_now;

    /// A reader-writer lock without data (the data lives in an [`UnsafeCell`] beside it).
    pub(crate) struct RwLock(super::locks::RwLock<()>);

    impl RwLock {
        pub(crate) fn new() -> Self {
            Self(super::locks::RwLock::new(()))
        }
        pub(crate) fn read_recursive(&self) -> super::locks::RwLockReadGuard<'_, ()> {
            self.0.read_recursive()
        }
        pub(crate) fn write(&self) -> super::locks::RwLockWriteGuard<'_, ()> {
            self.0.write()
        }
    }

    pub(crate) type WriteGuard<'a> = super::locks::RwLockWriteGuard<'a, ()>;

    /// std's `UnsafeCell` with loom's API: accesses go through pointer objects, which
    /// loom tracks for as long as they live.
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    /// Shared access to an [`UnsafeCell`]'s value.
    pub(crate) struct ConstPtr<T>(*const T);

    /// Exclusive access to an [`UnsafeCell`]'s value.
    pub(crate) struct MutPtr<T>(*mut T);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(v: T) -> Self {
            Self(std::cell::UnsafeCell::new(v))
        }
        #[inline]
        pub(crate) fn get(&self) -> ConstPtr<T> {
            ConstPtr(self.0.get())
        }
        #[inline]
        pub(crate) fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }
    }

    impl<T> ConstPtr<T> {
        /// # Safety
        /// No `MutPtr` of the same cell may be dereferenced while the result lives.
        #[inline]
        pub(crate) unsafe fn deref(&self) -> &T {
            // SAFETY: the pointer comes from a live cell; the caller rules out writers.
            unsafe { &*self.0 }
        }
    }

    impl<T> MutPtr<T> {
        /// # Safety
        /// No other pointer of the same cell may be dereferenced while the result lives.
        #[inline]
        #[allow(clippy::mut_from_ref)]
        pub(crate) unsafe fn deref(&self) -> &mut T {
            // SAFETY: the pointer comes from a live cell; the caller guarantees exclusivity.
            unsafe { &mut *self.0 }
        }
    }
}

/// The locks of the code miri checks (this module and the family): parking_lot's natively.
#[cfg(not(miri))]
pub(crate) mod locks {
    pub(crate) use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

/// Under miri, std's locks behind parking_lot's names: miri refuses parking_lot_core's
/// futex call (it passes `&AtomicI32` where the syscall takes `*mut u32`) once a lock is
/// contended, which would stop the checks of our own code.
#[cfg(miri)]
pub(crate) mod locks {
    use std::sync::PoisonError;

    pub(crate) use std::sync::{RwLockReadGuard, RwLockWriteGuard};

    /// std's mutex with parking_lot's `lock`.
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) const fn new(v: T) -> Self {
            Self(std::sync::Mutex::new(v))
        }
        pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// std's reader-writer lock with parking_lot's names.
    pub(crate) struct RwLock<T>(std::sync::RwLock<T>);

    impl<T> RwLock<T> {
        pub(crate) const fn new(v: T) -> Self {
            Self(std::sync::RwLock::new(v))
        }
        pub(crate) fn read_recursive(&self) -> RwLockReadGuard<'_, T> {
            self.0.read().unwrap_or_else(PoisonError::into_inner)
        }
        pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write().unwrap_or_else(PoisonError::into_inner)
        }
    }
}
