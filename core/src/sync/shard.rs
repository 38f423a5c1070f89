//! A hash shard with reads that take no lock.
//!
//! A lookup must not write shared memory twice (a read lock's acquire and release are two
//! atomic read-modify-writes, about 8 ns each on the machines we measure). Here a reading
//! thread announces itself in a slot of its own (one store, on a cache line no other
//! thread writes), checks that no writer is active, reads, and clears its slot with a
//! plain release store. A writer takes the shard's lock, raises the shard's `writing`
//! flag and waits until no thread announces this shard, then changes the table. The two
//! sides use the classic store, SeqCst fence, load pairing (fences rather than SeqCst
//! accesses, so loom can check it): either the reader sees the flag (and falls back to
//! the lock) or the writer sees the reader (and waits for it). Threads without a slot (more than `MAX_SLOTS` at once) and
//! nested reads use the lock, as does everything while a writer is active.
//!
//! As with any read lock, the closure given to [`Shard::read_with`] must not write to
//! the same shard (it would wait for itself).
//!
//! Pins: [`Shard::find_and_pin`] finds an object in the shard on the lock-free path and,
//! before leaving, turns the thread's announcement of the shard into a pin (an odd id the
//! owner of the objects chose) that stays until the returned [`Pin`] drops. The caller
//! then uses the object outside the read section, so user code never runs inside it. An
//! owner that takes objects out of a shard (under its write lock) frees them only once
//! [`pinned`] says no thread holds the pin, and parks them otherwise. A writer waiting
//! for readers to leave the shard sees the slot change to the pin, so a pinning thread
//! either is seen by the owner's later [`pinned`] scan or had not found the object.

use crossbeam_utils::CachePadded;

use super::prim::{
    fence, spin_loop, yield_now, AtomicBool, AtomicUsize, ConstPtr, MutPtr, Ordering, RwLock, UnsafeCell, WriteGuard,
};

#[cfg(not(loom))]
const MAX_SLOTS: usize = 256;
/// Loom models run two or three threads; a small table keeps their state space small.
#[cfg(loom)]
const MAX_SLOTS: usize = 4;

/// A fixed array natively (built at compile time, so reaching it costs nothing); a `Vec`
/// under loom, whose atomics cannot be built in a `const`.
#[cfg(not(loom))]
type PerSlot<T> = [T; MAX_SLOTS];
#[cfg(loom)]
type PerSlot<T> = Vec<T>;

/// Per-thread announcements (the address of the shard a thread is reading, or 0), which
/// slots are taken, and one past the highest slot ever claimed (writers scan `0..high`).
struct Slots {
    slots: PerSlot<CachePadded<AtomicUsize>>,
    claimed: PerSlot<AtomicBool>,
    high: AtomicUsize,
}

#[cfg(not(loom))]
#[inline]
fn slots() -> &'static Slots {
    static SLOTS: Slots = Slots {
        slots: [const { CachePadded::new(AtomicUsize::new(0)) }; MAX_SLOTS],
        claimed: [const { AtomicBool::new(false) }; MAX_SLOTS],
        high: AtomicUsize::new(0),
    };
    &SLOTS
}

/// Under loom the table is made anew for each explored execution and shared through an
/// `Arc`, so a thread's claim can let go of its slot when the thread ends, after the
/// model's statics are gone.
#[cfg(loom)]
fn slots_arc() -> loom::sync::Arc<Slots> {
    loom::lazy_static! {
        static ref SLOTS: loom::sync::Arc<Slots> = loom::sync::Arc::new(Slots {
            slots: (0..MAX_SLOTS).map(|_| CachePadded::new(AtomicUsize::new(0))).collect(),
            claimed: (0..MAX_SLOTS).map(|_| AtomicBool::new(false)).collect(),
            high: AtomicUsize::new(0),
        });
    }
    loom::sync::Arc::clone(&SLOTS)
}

#[cfg(loom)]
type TableRef = loom::sync::Arc<Slots>;
#[cfg(not(loom))]
type TableRef = &'static Slots;

#[cfg(loom)]
fn table() -> TableRef {
    slots_arc()
}
#[cfg(not(loom))]
#[inline]
fn table() -> TableRef {
    slots()
}

/// A thread's claim on one announcement slot, released when the thread ends.
struct SlotClaim {
    index: Option<usize>,
    table: TableRef,
}

impl SlotClaim {
    fn claim() -> Self {
        let t = table();
        for i in 0..MAX_SLOTS {
            if t.claimed[i].compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                t.high.fetch_max(i + 1, Ordering::AcqRel);
                return Self { index: Some(i), table: t };
            }
        }
        Self { index: None, table: t }
    }
}

impl Drop for SlotClaim {
    fn drop(&mut self) {
        if let Some(i) = self.index {
            self.table.slots[i].store(0, Ordering::Release);
            self.table.claimed[i].store(false, Ordering::Release);
        }
    }
}

#[cfg(not(loom))]
thread_local! {
    static MY_SLOT: SlotClaim = SlotClaim::claim();
}

#[cfg(loom)]
loom::thread_local! {
    static MY_SLOT: SlotClaim = SlotClaim::claim();
}

/// This thread's announcement slot, if it has one (a thread ending, or more threads than
/// slots, has none).
#[cfg(not(loom))]
#[inline]
fn my_slot() -> Option<&'static AtomicUsize> {
    MY_SLOT.try_with(|c| c.index).ok().flatten().map(|i| &*slots().slots[i])
}

#[cfg(loom)]
struct SlotRef(TableRef, usize);

#[cfg(loom)]
impl std::ops::Deref for SlotRef {
    type Target = AtomicUsize;
    fn deref(&self) -> &AtomicUsize {
        &self.0.slots[self.1]
    }
}

#[cfg(loom)]
fn my_slot() -> Option<SlotRef> {
    MY_SLOT.try_with(|c| c.index.map(|i| SlotRef(loom::sync::Arc::clone(&c.table), i))).ok().flatten()
}

/// A reader-writer protected value whose reads usually take no lock.
pub(crate) struct Shard<T> {
    lock: RwLock,
    value: UnsafeCell<T>,
    writing: AtomicBool,
}

// SAFETY: the value is only reached through `read_with` (shared access, excluded from
// writers by the protocol above or by the read lock) and `write` (exclusive access under
// the write lock, after every lock-free reader has left), so sharing a `Shard` between
// threads is sharing `T` as an `RwLock<T>` would.
unsafe impl<T: Send + Sync> Sync for Shard<T> {}

impl<T> Shard<T> {
    pub(crate) fn new(value: T) -> Self {
        Self { lock: RwLock::new(), value: UnsafeCell::new(value), writing: AtomicBool::new(false) }
    }

    fn id(&self) -> usize {
        self as *const Self as usize
    }

    #[inline]
    fn read_value<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let p: ConstPtr<T> = self.value.get();
        // SAFETY: callers hold off writers, either through the announcement protocol or
        // through the read lock; a writer dereferences its `MutPtr` only under the write
        // lock after every announcing reader has left.
        f(unsafe { p.deref() })
    }

    /// Runs `f` on the value, excluding writers for the duration.
    #[inline]
    pub(crate) fn read_with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        if let Some(slot) = my_slot() {
            if slot.load(Ordering::Relaxed) == 0 {
                // Release: a pin or read this thread ended earlier stays ordered before
                // a writer that reads this later value of the slot.
                slot.store(self.id(), Ordering::Release);
                // Store, fence, load; the writer does the same with the flag and the
                // slots. Of two SeqCst fences one comes first, so at least one side sees
                // the other's store (acquire loads make what it saw happen-before).
                fence(Ordering::SeqCst);
                if !self.writing.load(Ordering::Acquire) {
                    // Our slot announces this shard and no writer was active when we
                    // looked after announcing; a writer raises `writing` before it looks
                    // at the slots and then waits until our slot no longer names this
                    // shard, so the value does not change while we read it.
                    let r = self.read_value(f);
                    slot.store(0, Ordering::Release);
                    return r;
                }
                slot.store(0, Ordering::Release);
            }
        }
        let _g = self.lock.read_recursive();
        self.read_value(f)
    }

    /// Runs `f` on the value on the lock-free path; when it finds something, this
    /// thread's slot then holds `pin` (odd, so never a shard's id) until the returned
    /// [`Pin`] drops. `None` when `f` finds nothing or the lock-free path is not open
    /// (a nested read, no slot, a writer active): the caller takes its slow path.
    #[inline]
    pub(crate) fn find_and_pin<R>(&self, pin: usize, f: impl FnOnce(&T) -> Option<R>) -> Option<(R, Pin)> {
        debug_assert!(pin & 1 == 1, "pins are odd");
        let slot = my_slot()?;
        if slot.load(Ordering::Relaxed) != 0 {
            return None;
        }
        slot.store(self.id(), Ordering::Release);
        // The same store, fence, load as `read_with`.
        fence(Ordering::SeqCst);
        if self.writing.load(Ordering::Acquire) {
            slot.store(0, Ordering::Release);
            return None;
        }
        match self.read_value(f) {
            Some(found) => {
                // Leaves the shard and pins in one store: a writer waiting for this slot
                // to stop naming the shard reads the pin (release: our reads of the value
                // happen before the writer's changes).
                slot.store(pin, Ordering::Release);
                Some((found, Pin { slot, _not_send: std::marker::PhantomData }))
            }
            None => {
                slot.store(0, Ordering::Release);
                None
            }
        }
    }

    /// Locks for writing: waits for other writers, then for lock-free readers to leave.
    pub(crate) fn write(&self) -> ShardWriteGuard<'_, T> {
        let guard = self.lock.write();
        self.writing.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let id = self.id();
        let t = table();
        let high = t.high.load(Ordering::Acquire);
        for slot in t.slots.iter().take(high) {
            let mut spins = 0u32;
            while slot.load(Ordering::Acquire) == id {
                spins += 1;
                if spins < 64 {
                    spin_loop();
                } else {
                    yield_now();
                }
            }
        }
        ShardWriteGuard { value: Some(self.value.get_mut()), writing: &self.writing, guard: Some(guard) }
    }
}

#[cfg(not(loom))]
type SlotHandle = &'static AtomicUsize;
#[cfg(loom)]
type SlotHandle = SlotRef;

/// A thread's pin (see the module docs); dropping it ends the pin.
pub(crate) struct Pin {
    slot: SlotHandle,
    /// A pin lives in its thread's slot, so it must not move to another thread.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Pin {
    fn drop(&mut self) {
        // Release: whatever the pinning thread did with the object happens before an
        // owner that then reads the slot as free drops it.
        self.slot.store(0, Ordering::Release);
    }
}

/// Whether any thread holds `pin`. Call it after taking the pinned objects out of every
/// shard that held them (each under its write lock): a thread that found one of them
/// before then still holds its pin when this looks, or has dropped it.
pub(crate) fn pinned(pin: usize) -> bool {
    fence(Ordering::SeqCst);
    let t = table();
    let high = t.high.load(Ordering::Acquire);
    t.slots.iter().take(high).any(|slot| slot.load(Ordering::Acquire) == pin)
}

/// Write access to a [`Shard`].
pub(crate) struct ShardWriteGuard<'a, T> {
    /// Exclusive access to the value, given up before the lock (see `drop`).
    value: Option<MutPtr<T>>,
    writing: &'a AtomicBool,
    guard: Option<WriteGuard<'a>>,
}

impl<T> ShardWriteGuard<'_, T> {
    fn ptr(&self) -> &MutPtr<T> {
        match &self.value {
            Some(p) => p,
            None => unreachable!("the pointer is only taken in drop"),
        }
    }
}

impl<T> std::ops::Deref for ShardWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: we hold the write lock and every lock-free reader has left (see `write`).
        unsafe { self.ptr().deref() }
    }
}

impl<T> std::ops::DerefMut for ShardWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { self.ptr().deref() }
    }
}

impl<T> Drop for ShardWriteGuard<'_, T> {
    fn drop(&mut self) {
        // End the exclusive access, then let lock-free readers in, then other writers.
        // (Natively the pointer has no destructor; loom's ends the tracked access.)
        #[allow(clippy::drop_non_drop)]
        drop(self.value.take());
        self.writing.store(false, Ordering::Release);
        drop(self.guard.take());
    }
}

/// Loom models of the protocol: every interleaving of a few readers and a writer, on the
/// real code (under `cfg(loom)` the atomics, the lock and the cell are loom's, and a read
/// that overlapped a write would be reported as a causality violation).
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;

    fn pair_stays_equal(readers: usize, preemptions: usize) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(preemptions);
        builder.check(move || {
            let s = Arc::new(Shard::new((0u32, 0u32)));
            let handles: Vec<_> = (0..readers)
                .map(|_| {
                    let s = Arc::clone(&s);
                    loom::thread::spawn(move || {
                        let (a, b) = s.read_with(|v| (v.0, v.1));
                        assert_eq!(a, b, "read during a write");
                    })
                })
                .collect();
            {
                let mut w = s.write();
                w.0 = 1;
                w.1 = 1;
            }
            for h in handles {
                h.join().expect("reader");
            }
            assert_eq!(s.read_with(|v| *v), (1, 1));
        });
    }

    #[test]
    fn one_reader_one_writer() {
        pair_stays_equal(1, 3);
    }

    #[test]
    fn two_readers_one_writer() {
        pair_stays_equal(2, 2);
    }

    /// A reader pins what it found while an owner takes it out of the shard and frees it
    /// unless pinned: the reader never sees it freed while it holds the pin.
    #[test]
    fn a_pinned_object_is_not_freed() {
        use loom::sync::atomic::AtomicBool;
        const PIN: usize = 0x11;
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let s = Arc::new(Shard::new(Some(7u32)));
            let other = Arc::new(Shard::new(()));
            // The object the shard points at, outside it (as a child is): loom reports a
            // use that is not ordered before the owner's write as a race.
            let object = Arc::new(loom::cell::UnsafeCell::new(7u32));
            let freed = Arc::new(AtomicBool::new(false));
            let reader = {
                let (s, other, object, freed) =
                    (Arc::clone(&s), Arc::clone(&other), Arc::clone(&object), Arc::clone(&freed));
                loom::thread::spawn(move || {
                    if let Some((v, pin)) = s.find_and_pin(PIN, |v| *v) {
                        assert_eq!(v, 7);
                        assert!(!freed.load(Ordering::Acquire), "used after free");
                        // SAFETY (of the model): the pin keeps the owner from writing.
                        assert_eq!(object.with(|p| unsafe { *p }), 7);
                        drop(pin);
                    }
                    // A later announcement must not hide the end of the pin.
                    other.read_with(|_| ());
                })
            };
            *s.write() = None;
            let parked = pinned(PIN);
            if !parked {
                freed.store(true, Ordering::Release);
                // SAFETY (of the model): loom checks this write against the reader's use.
                object.with_mut(|p| unsafe { *p = 0 });
            }
            reader.join().expect("reader");
            // Once the reader is gone nothing holds the pin.
            assert!(!pinned(PIN));
        });
    }

    #[test]
    fn two_writers_and_a_reader() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let s = Arc::new(Shard::new(0u32));
            let w2 = {
                let s = Arc::clone(&s);
                loom::thread::spawn(move || *s.write() += 1)
            };
            let r = {
                let s = Arc::clone(&s);
                loom::thread::spawn(move || s.read_with(|v| *v))
            };
            *s.write() += 1;
            w2.join().expect("writer");
            assert!(r.join().expect("reader") <= 2);
            assert_eq!(s.read_with(|v| *v), 2);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn readers_never_see_a_half_written_value() {
        // The value is a pair that a writer keeps equal; a reader seeing it unequal
        // would mean it read during a write.
        let s = Arc::new(Shard::new((0u64, 0u64)));
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (s, stop, reads) = (Arc::clone(&s), Arc::clone(&stop), Arc::clone(&reads));
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        s.read_with(|v| {
                            let a = v.0;
                            std::hint::spin_loop();
                            assert_eq!(a, v.1, "read during a write");
                        });
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        // Write until the readers have overlapped with plenty of writes (bounded in time).
        let start = std::time::Instant::now();
        let mut i = 0u64;
        // Under miri (which checks every access of this protocol for data races) a few
        // hundred overlapping reads and writes are plenty; natively, many more.
        let (want_reads, want_writes) = if cfg!(miri) { (300, 100) } else { (200_000, 20_000) };
        while (reads.load(Ordering::Relaxed) < want_reads || i < want_writes) && start.elapsed().as_secs() < 20 {
            let mut w = s.write();
            w.0 = i;
            std::hint::spin_loop();
            w.1 = i;
            i += 1;
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().expect("a reader saw a half-written value");
        }
        assert!(reads.load(Ordering::Relaxed) > 0);
        assert_eq!(s.read_with(|v| *v), (i - 1, i - 1));
    }

    #[test]
    fn pins_hold_until_dropped_and_leave_the_shard_writable() {
        const PIN: usize = 0x41;
        let s = Shard::new(vec![1u32, 2, 3]);
        let (two, pin) = s.find_and_pin(PIN, |v| v.iter().copied().find(|x| *x == 2)).expect("found");
        assert_eq!(two, 2);
        assert!(pinned(PIN));
        // The thread holding the pin may write to the shard (no read section is open),
        // and nested lookups take the slow path.
        s.write().push(4);
        assert!(s.find_and_pin(PIN, |v| v.first().copied()).is_none());
        drop(pin);
        assert!(!pinned(PIN));
        assert!(s.find_and_pin(PIN, |v| v.iter().copied().find(|x| *x == 9)).is_none());
        assert!(!pinned(PIN));
        assert_eq!(s.read_with(|v| v.len()), 4);
    }

    #[test]
    fn nested_reads_and_many_threads_fall_back_to_the_lock() {
        let a = Shard::new(1);
        let b = Shard::new(2);
        assert_eq!(a.read_with(|x| b.read_with(|y| x + y)), 3);
        let s = Arc::new(Shard::new(7u32));
        let threads = if cfg!(miri) { 8 } else { 300 };
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || s.read_with(|v| *v))
            })
            .collect();
        for h in hs {
            assert_eq!(h.join().unwrap(), 7);
        }
    }
}
