//! Where a family's children live: slots in chunks, handed out in order.
//!
//! A [`Slab`] owns chunks of slots (4 in the first chunk, then as many as the slab already
//! has, up to 64). [`Slab::insert`] moves a value into the lowest free slot of a chunk
//! that has room, so children made one after another sit next to each other and a scrape,
//! which visits them in the order they were made, reads memory front to back instead of
//! hopping between separate heap blocks. (After removals a new value takes a freed slot
//! first, wherever it is, so a family with churn is read in order but with jumps.)
//!
//! A [`Handle`] is a reference-counted pointer to its slot, as an `Arc` is to its block:
//! clones add to the slot's count, and the last handle to go drops the value and gives
//! the slot back (under the slab's mutex, which is what orders the drop before the slot's
//! next use). A chunk whose slots are all free is freed at once, and every chunk keeps
//! the slab's shared state alive, so handles may outlive the family and its `Slab`.
//!
//! Why not a crate: `sharded-slab` hands out guards tied to a key and walks its storage
//! by thread shard, not in insertion order; `boxcar` only grows. What a family needs (a
//! handle that lives on after removal, slots reused after it is gone, values in the order
//! made) is this much code, checked by loom models and by miri (`make test-loom`,
//! `make test-miri`).

use std::alloc::{self, Layout};
use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use super::prim::{fence, AtomicU32, AtomicU64, AtomicUsize, Mutex, Ordering};

/// The most slots in a chunk: one bit each in its `used` mask.
const MAX_SLOTS: usize = 64;
/// A chunk's `pos` when it is not in the list of chunks with room.
const NOT_LISTED: usize = usize::MAX;
/// Past this many handles to one slot, stop (as `Arc` does) rather than wrap the count.
const MAX_REFS: u32 = i32::MAX as u32;

#[repr(C)]
struct Slot<T> {
    /// Handles to the value; 0 while the slot is free.
    refs: AtomicU32,
    /// The slot's place in its chunk (how a handle finds the chunk again).
    index: u32,
    value: UnsafeCell<MaybeUninit<T>>,
}

#[repr(C)]
struct Header<T> {
    shared: Arc<Shared<T>>,
    /// Number of slots, at most `MAX_SLOTS`.
    cap: usize,
    /// Bit `i` is set while slot `i` holds a value. Changed only under the state's lock.
    used: AtomicU64,
    /// This chunk's index in `State::partial`, or `NOT_LISTED`. Changed only under the
    /// state's lock.
    pos: AtomicUsize,
}

/// A pointer to a chunk's header (the slots follow it in the same allocation).
struct ChunkPtr<T>(NonNull<Header<T>>);

impl<T> Clone for ChunkPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ChunkPtr<T> {}

// SAFETY: a chunk pointer is only followed under the state's lock or by the holder of a
// handle into the chunk; the values behind it are `T`s shared as an `Arc<T>` shares them.
unsafe impl<T: Send + Sync> Send for ChunkPtr<T> {}

struct State<T> {
    /// Chunks with at least one free slot.
    partial: Vec<ChunkPtr<T>>,
    /// Slots in all chunks alive.
    capacity: usize,
    /// Slots in a slab's first chunk.
    first: usize,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

impl<T> State<T> {
    fn list(&mut self, c: ChunkPtr<T>) {
        // SAFETY: `c` is a live chunk: the caller made it or holds a slot in it.
        unsafe { c.0.as_ref() }.pos.store(self.partial.len(), Ordering::Relaxed);
        self.partial.push(c);
    }

    fn unlist(&mut self, c: ChunkPtr<T>) {
        // SAFETY: as in `list`; listed chunks are live (a chunk leaves the list before it
        // is freed).
        let header = unsafe { c.0.as_ref() };
        let pos = header.pos.load(Ordering::Relaxed);
        if pos == NOT_LISTED {
            return;
        }
        self.partial.swap_remove(pos);
        if let Some(moved) = self.partial.get(pos) {
            // SAFETY: as above.
            unsafe { moved.0.as_ref() }.pos.store(pos, Ordering::Relaxed);
        }
        header.pos.store(NOT_LISTED, Ordering::Relaxed);
    }
}

/// The mask of a chunk whose `cap` slots are all in use.
fn full(cap: usize) -> u64 {
    if cap >= 64 {
        u64::MAX
    } else {
        (1u64 << cap) - 1
    }
}

/// A chunk's allocation for `cap` slots, and where its first slot starts.
fn layout<T>(cap: usize) -> (Layout, usize) {
    let slots = Layout::array::<Slot<T>>(cap).unwrap_or_else(|_| capacity_overflow());
    let (l, offset) = Layout::new::<Header<T>>().extend(slots).unwrap_or_else(|_| capacity_overflow());
    (l.pad_to_align(), offset)
}

#[cold]
fn capacity_overflow() -> ! {
    // At most 64 slots of a sized type: only a type close to the address space overflows.
    panic!("a slab chunk's size overflows")
}

/// The address of slot `i` of chunk `c`.
///
/// # Safety
/// `c` is a live chunk and `i` is below its `cap`.
unsafe fn slot_at<T>(c: NonNull<Header<T>>, i: usize) -> *mut Slot<T> {
    let offset = layout::<T>(0).1;
    // SAFETY: the slots follow the header at `offset` in the chunk's one allocation, and
    // the pointer keeps the whole allocation's provenance.
    unsafe { c.as_ptr().cast::<u8>().add(offset).cast::<Slot<T>>().add(i) }
}

/// The chunk that holds `slot`.
///
/// # Safety
/// `slot` was made by `slot_at` and its chunk is live.
unsafe fn chunk_of<T>(slot: *mut Slot<T>) -> NonNull<Header<T>> {
    let offset = layout::<T>(0).1;
    // SAFETY: `index` is written once when the chunk is made; going back `index` slots
    // and the header's size lands on the chunk's start, inside the same allocation.
    unsafe {
        let index = (*slot).index as usize;
        let start = slot.sub(index).cast::<u8>().sub(offset).cast::<Header<T>>();
        NonNull::new_unchecked(start)
    }
}

/// The storage of one family's children; see the module docs.
pub(crate) struct Slab<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Slab<T> {
    /// A slab whose first chunk has `first` slots (1 to 64).
    pub(crate) fn new(first: usize) -> Self {
        let first = first.clamp(1, MAX_SLOTS);
        Self { shared: Arc::new(Shared { state: Mutex::new(State { partial: Vec::new(), capacity: 0, first }) }) }
    }

    /// Makes a chunk of `cap` slots, all free.
    fn new_chunk(&self, cap: usize) -> ChunkPtr<T> {
        let (l, _) = layout::<T>(cap);
        // SAFETY: the layout has a non-zero size (the header).
        let raw = unsafe { alloc::alloc(l) };
        let Some(base) = NonNull::new(raw) else { alloc::handle_alloc_error(l) };
        let c = base.cast::<Header<T>>();
        // SAFETY: fresh memory of the chunk's layout: the header and `cap` slots are
        // written in place before anything reads them.
        unsafe {
            c.as_ptr().write(Header {
                shared: Arc::clone(&self.shared),
                cap,
                used: AtomicU64::new(0),
                pos: AtomicUsize::new(NOT_LISTED),
            });
            for i in 0..cap {
                slot_at(c, i).write(Slot {
                    refs: AtomicU32::new(0),
                    index: i as u32,
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                });
            }
        }
        ChunkPtr(c)
    }

    /// Moves `value` into a free slot and returns the first handle to it.
    pub(crate) fn insert(&self, value: T) -> Handle<T> {
        let slot = {
            let mut st = self.shared.state.lock();
            let chunk = match st.partial.last() {
                Some(c) => *c,
                None => {
                    let cap = st.capacity.clamp(st.first, MAX_SLOTS);
                    let c = self.new_chunk(cap);
                    st.capacity += cap;
                    st.list(c);
                    c
                }
            };
            // SAFETY: listed chunks are live, and we hold the lock that guards `used`.
            let header = unsafe { chunk.0.as_ref() };
            let used = header.used.load(Ordering::Relaxed);
            let i = (!used).trailing_zeros() as usize;
            debug_assert!(i < header.cap, "a listed chunk has a free slot");
            let used = used | (1u64 << i);
            header.used.store(used, Ordering::Relaxed);
            if used == full(header.cap) {
                st.unlist(chunk);
            }
            // SAFETY: `i` is below the chunk's `cap`.
            unsafe { slot_at(chunk.0, i) }
        };
        // SAFETY: the slot's bit was clear, so no handle to it exists and its value was
        // dropped by a thread that then took the lock we took after it; setting the bit
        // made the slot ours until this handle and its clones are gone.
        unsafe {
            (*(*slot).value.get()).write(value);
            (*slot).refs.store(1, Ordering::Relaxed);
            Handle { slot: NonNull::new_unchecked(slot), _owns: PhantomData }
        }
    }

    /// Slots in the slab's chunks, used or not (for tests).
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.shared.state.lock().capacity
    }
}

/// A counted reference to a value in a [`Slab`]; see the module docs.
pub(crate) struct Handle<T> {
    slot: NonNull<Slot<T>>,
    _owns: PhantomData<T>,
}

// SAFETY: as `Arc<T>`: handles on several threads share the `T` (Sync) and the last one
// drops it on whichever thread lets go last (Send).
unsafe impl<T: Send + Sync> Send for Handle<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Handle<T> {}

impl<T> Handle<T> {
    /// The slot's address: the value's identity while any handle to it lives.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        self.slot.as_ptr() as usize
    }

    #[inline]
    fn refs(&self) -> &AtomicU32 {
        // SAFETY: the slot lives as long as a handle to it does.
        unsafe { &(*self.slot.as_ptr()).refs }
    }
}

impl<T> Clone for Handle<T> {
    #[inline]
    fn clone(&self) -> Self {
        // Relaxed, as `Arc`: a new handle is made from an existing one, which already
        // keeps the value alive.
        if self.refs().fetch_add(1, Ordering::Relaxed) > MAX_REFS {
            std::process::abort();
        }
        Self { slot: self.slot, _owns: PhantomData }
    }
}

impl<T> std::ops::Deref for Handle<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the value was written before the first handle was made and is dropped
        // only after the last one is gone.
        unsafe { (*(*self.slot.as_ptr()).value.get()).assume_init_ref() }
    }
}

impl<T> Drop for Handle<T> {
    #[inline]
    fn drop(&mut self) {
        // Release, then an acquire fence on the last handle, as `Arc`: every use of the
        // value through other handles happens before it is dropped.
        if self.refs().fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last handle; nothing else reaches the slot.
        unsafe { release(self.slot.as_ptr()) }
    }
}

/// Drops the value in `slot`, gives the slot back, and frees its chunk if that was the
/// chunk's last value.
///
/// # Safety
/// The last handle to `slot` has just gone.
#[cold]
unsafe fn release<T>(slot: *mut Slot<T>) {
    // SAFETY: no handle is left, so nothing else reads the value; its chunk lives until
    // the slot's bit is cleared below.
    let (chunk, index) = unsafe {
        ptr::drop_in_place((*(*slot).value.get()).as_mut_ptr());
        (chunk_of(slot), (*slot).index as usize)
    };
    let free_chunk = {
        // SAFETY: the chunk lives at least until this function frees it.
        let header = unsafe { chunk.as_ref() };
        let mut st = header.shared.state.lock();
        let used = header.used.load(Ordering::Relaxed) & !(1u64 << index);
        header.used.store(used, Ordering::Relaxed);
        if used == 0 {
            // No value and no handle left in the chunk, and it leaves the list under
            // this lock, so no insert can pick it.
            st.unlist(ChunkPtr(chunk));
            st.capacity -= header.cap;
            true
        } else {
            if header.pos.load(Ordering::Relaxed) == NOT_LISTED {
                st.list(ChunkPtr(chunk));
            }
            false
        }
    };
    if free_chunk {
        // SAFETY: the chunk is unreachable (see above); its header and slots were written
        // when it was made, the values are all dropped, and the layout is the one it was
        // allocated with.
        unsafe {
            let cap = chunk.as_ref().cap;
            for i in 0..cap {
                ptr::drop_in_place(slot_at(chunk, i));
            }
            // Drops the chunk's share of the slab's state, perhaps the last one.
            ptr::drop_in_place(chunk.as_ptr());
            alloc::dealloc(chunk.as_ptr().cast(), layout::<T>(cap).0);
        }
    }
}

/// Loom models: handles dropped on several threads while slots are reused.
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::cell::UnsafeCell as Tracked;

    /// A value whose drop writes to a cell loom tracks: a drop not ordered after another
    /// handle's read is reported as a race.
    struct Probe(Tracked<u32>);

    impl Drop for Probe {
        fn drop(&mut self) {
            // SAFETY (of the model): loom checks this write against every read.
            self.0.with_mut(|p| unsafe { *p = 0 });
        }
    }

    fn read(p: &Probe) -> u32 {
        // SAFETY (of the model): loom checks this read against the drop's write.
        p.0.with(|p| unsafe { *p })
    }

    #[test]
    fn the_last_handle_drops_after_every_use() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let slab = Slab::new(1);
            let a = slab.insert(Probe(Tracked::new(7)));
            let b = a.clone();
            let t = loom::thread::spawn(move || {
                assert_eq!(read(&b), 7);
                drop(b);
            });
            assert_eq!(read(&a), 7);
            drop(a);
            // Reuses the slot (or a new chunk) while the other thread may still be
            // letting go.
            let c = slab.insert(Probe(Tracked::new(9)));
            assert_eq!(read(&c), 9);
            t.join().expect("thread");
            drop(slab);
            assert_eq!(read(&c), 9);
        });
    }

    #[test]
    fn a_slot_freed_on_one_thread_is_reused_on_another() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let slab = loom::sync::Arc::new(Slab::new(2));
            let a = slab.insert(Probe(Tracked::new(1)));
            let keep = slab.insert(Probe(Tracked::new(2)));
            let t = {
                let slab = loom::sync::Arc::clone(&slab);
                loom::thread::spawn(move || {
                    let n = slab.insert(Probe(Tracked::new(3)));
                    read(&n)
                })
            };
            drop(a);
            assert_eq!(read(&keep), 2);
            assert_eq!(t.join().expect("thread"), 3);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as Count;

    /// Counts its drops.
    struct Tally<'a>(u32, &'a Count);

    impl Drop for Tally<'_> {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn values_sit_in_order_and_drop_once() {
        let drops = Count::new(0);
        let slab = Slab::new(4);
        let hs: Vec<_> = (0..10).map(|i| slab.insert(Tally(i, &drops))).collect();
        // Chunks of 4, 4 and 8 slots; within a chunk, slots follow each other.
        assert_eq!(slab.capacity(), 16);
        let size = std::mem::size_of::<Slot<Tally<'_>>>();
        for w in hs[..4].windows(2).chain(hs[4..8].windows(2)) {
            assert_eq!(w[1].addr() - w[0].addr(), size);
        }
        assert_eq!(hs.iter().map(|h| h.0).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
        let extra = hs[3].clone();
        drop(hs);
        assert_eq!(drops.load(Ordering::Relaxed), 9);
        // Only the chunk `extra` is in stays.
        assert_eq!(slab.capacity(), 4);
        assert_eq!(extra.0, 3);
        drop(extra);
        assert_eq!(drops.load(Ordering::Relaxed), 10);
        assert_eq!(slab.capacity(), 0);
    }

    #[test]
    fn freed_slots_are_reused() {
        let drops = Count::new(0);
        let slab = Slab::new(4);
        let mut hs: Vec<_> = (0..4).map(|i| slab.insert(Tally(i, &drops))).collect();
        let gone = hs.remove(1);
        let addr = gone.addr();
        drop(gone);
        let again = slab.insert(Tally(9, &drops));
        assert_eq!(again.addr(), addr);
        assert_eq!(again.0, 9);
        assert_eq!(slab.capacity(), 4);
        drop((hs, again));
        assert_eq!(drops.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn handles_outlive_the_slab() {
        let drops = Count::new(0);
        let slab = Slab::new(4);
        let hs: Vec<_> = (0..70).map(|i| slab.insert(Tally(i, &drops))).collect();
        let kept: Vec<_> = hs.iter().step_by(13).cloned().collect();
        drop(slab);
        drop(hs);
        assert_eq!(drops.load(Ordering::Relaxed), 70 - kept.len());
        assert_eq!(kept.iter().map(|h| h.0).collect::<Vec<_>>(), vec![0, 13, 26, 39, 52, 65]);
        drop(kept);
        assert_eq!(drops.load(Ordering::Relaxed), 70);
    }

    #[test]
    fn threads_clone_drop_and_insert_at_once() {
        let drops = Count::new(0);
        let slab = Slab::new(2);
        let (threads, rounds) = if cfg!(miri) { (3, 30) } else { (4, 20_000) };
        let shared: Vec<_> = (0..8).map(|i| slab.insert(Tally(i, &drops))).collect();
        std::thread::scope(|s| {
            for t in 0..threads {
                let (slab, shared, drops) = (&slab, &shared, &drops);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for r in 0..rounds {
                        let h = shared[(t + r) % shared.len()].clone();
                        assert!(h.0 < 8);
                        mine.push(slab.insert(Tally(100 + r as u32, drops)));
                        if r % 3 == 0 {
                            let _ = mine.swap_remove(r % mine.len());
                        }
                        if mine.len() > 16 {
                            mine.drain(..8);
                        }
                        for m in &mine {
                            assert!(m.0 >= 100);
                        }
                    }
                });
            }
        });
        drop(shared);
        assert_eq!(drops.load(Ordering::Relaxed), threads * rounds + 8);
        assert_eq!(slab.capacity(), 0);
    }
}
