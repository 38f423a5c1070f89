#![allow(clippy::unwrap_used)]
//! Heap cost of family children, measured with a counting global allocator.
//!
//! Everything is in one `#[test]`: any other test running in this binary would allocate
//! at the same time and disturb the counter. Run with `--nocapture` to see the numbers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use fastprom::{Counter, Family, Opts};

/// `System`, counting the bytes requested and not yet freed.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

const CHILDREN: usize = 100_000;
/// The project's target: everything one child costs.
const MAX_BYTES_PER_CHILD: f64 = 100.0;
/// What may stay allocated after all children are gone.
const SLACK: isize = 4 * 1024;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const CODES: [&str; 10] = ["200", "201", "204", "301", "304", "400", "401", "404", "500", "503"];

/// Fills `path` with the path of child `i` ("/api/v1/i0000" .. "/api/v1/i1999", 13 bytes)
/// and returns the three label values: 3-6, 13 and 3 bytes.
fn child_labels(i: usize, path: &mut String) -> [&'static str; 2] {
    use std::fmt::Write;
    path.clear();
    let _ = write!(path, "/api/v1/i{:04}", i / 50);
    [METHODS[i % 5], CODES[(i / 5) % 10]]
}

/// Creates children `0..CHILDREN` and increments each once, without keeping anything
/// but the children alive.
fn populate(family: &Family<Counter>) {
    let mut path = String::with_capacity(32);
    for i in 0..CHILDREN {
        let [method, code] = child_labels(i, &mut path);
        family.with_labels(&[method, path.as_str(), code], |c| c.inc()).unwrap();
    }
}

#[test]
fn heap_cost_of_children() {
    // Warm up whatever is initialised lazily (hasher seeds, clock, thread locals), so it
    // is not charged to the measured children.
    {
        let warm = Family::<Counter>::new(Opts::new("warm", "h").labels(["a", "b", "c"]), ()).unwrap();
        populate(&warm);
        warm.clear();
        drop(warm);
    }

    let before_family = live();
    let family =
        Family::<Counter>::new(Opts::new("http_requests", "Requests.").labels(["method", "path", "code"]), ()).unwrap();
    let empty_family = live();

    populate(&family);
    let populated = live();
    let children_len = family.len();
    let sample = family.labels(&["GET", "/api/v1/i0000", "200"]).unwrap().get();

    family.clear();
    let cleared = live();
    let cleared_len = family.len();

    // A second round on the same family: no growth beyond the first round.
    populate(&family);
    let repopulated = live();
    family.clear();

    drop(family);
    let dropped = live();

    // Dropping a family with live children (no clear) frees them too, and a handle that
    // outlives its family keeps only its own child.
    let family2 =
        Family::<Counter>::new(Opts::new("http_requests", "Requests.").labels(["method", "path", "code"]), ()).unwrap();
    populate(&family2);
    let handle = family2.labels(&["GET", "/api/v1/i0000", "200"]).unwrap();
    drop(family2);
    let dropped_with_handle = live();
    let handle_value = handle.get();
    drop(handle);
    let dropped2 = live();

    // Nothing above printed or otherwise allocated on the side; now report.
    let per_child = (populated - empty_family) as f64 / CHILDREN as f64;
    eprintln!("family (empty): {} bytes", empty_family - before_family);
    eprintln!(
        "{CHILDREN} children: {} bytes, {per_child:.1} bytes per child (target <= {MAX_BYTES_PER_CHILD})",
        populated - empty_family
    );
    eprintln!("after clear(): {} bytes above the empty family", cleared - empty_family);
    eprintln!("after a second populate: {} bytes above the first", repopulated - populated);
    eprintln!("after drop: {} bytes above the start", dropped - before_family);
    eprintln!(
        "family dropped, one handle kept: {} bytes above the start; handle dropped: {}",
        dropped_with_handle - before_family,
        dropped2 - before_family
    );

    assert_eq!(children_len, CHILDREN);
    assert_eq!(sample, 1.0);
    assert_eq!(cleared_len, 0);
    assert_eq!(handle_value, 1.0);
    assert!(
        per_child <= MAX_BYTES_PER_CHILD,
        "{per_child:.1} bytes per child, above the {MAX_BYTES_PER_CHILD}-byte target"
    );
    assert!(
        repopulated - populated <= SLACK,
        "a second round of children grew the heap by {}",
        repopulated - populated
    );
    assert!(dropped - before_family <= SLACK, "dropping the family left {} bytes", dropped - before_family);
    assert!(
        dropped_with_handle - before_family <= SLACK + 1024,
        "a kept handle kept {} bytes alive",
        dropped_with_handle - before_family
    );
    assert!(dropped2 - before_family <= SLACK, "dropping family and handle left {} bytes", dropped2 - before_family);
    assert!(
        cleared - empty_family <= SLACK,
        "clear() left {} bytes allocated ({:.1} per removed child)",
        cleared - empty_family,
        (cleared - empty_family) as f64 / CHILDREN as f64
    );
}
