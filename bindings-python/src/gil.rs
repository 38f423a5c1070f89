//! Leaving and re-entering the interpreter while Python exits.
//!
//! Once the interpreter has begun finalizing, CPython up to 3.13 ends any thread other than
//! the finalizing one that asks for the GIL with `pthread_exit`. That forced unwind runs
//! through this extension's Rust frames, which cannot take it: the process crashes
//! (SIGSEGV at exit). Daemon threads that are in native code here when the main thread
//! leaves, and the exposer's own threads, are the ones that meet it.
//!
//! So every entry into the interpreter from a thread that does not hold the GIL goes
//! through here, and the door closes at exit. An `atexit` hook ([`close`]), which runs on
//! the thread that goes on to finalize and before finalizing begins:
//!
//! 1. marks that thread, which may always enter;
//! 2. closes the door: from then on another thread that comes back from [`detach`] blocks
//!    for good (as CPython 3.14 does with such threads; the process ends around it), and
//!    one that asks through [`try_attach`] gets `None`, so it can unwind its own work and
//!    free its locks first;
//! 3. lets in, with the GIL released for up to [`DRAIN`], the threads already on their way
//!    in (counted in [`ENTERING`]), so that none is left waiting for the GIL when
//!    finalizing begins.
//!
//! A thread announces itself in `ENTERING` before it looks at `CLOSED`, and the hook closes
//! the door before it reads `ENTERING`; with sequentially consistent operations on both,
//! either the thread sees the door closed or the hook sees the thread.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Set by the exit hook; never cleared (the interpreter is not started again).
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Threads between announcing themselves and holding the GIL.
static ENTERING: AtomicUsize = AtomicUsize::new(0);
/// How long the exit hook waits for threads already on their way in.
const DRAIN: Duration = Duration::from_secs(2);

thread_local! {
    /// Whether this thread ran the exit hook (the one that finalizes the interpreter).
    static FINALIZER: Cell<bool> = const { Cell::new(false) };
}

/// Announces this thread as on its way in; false (announcement withdrawn) if the door is
/// closed to it. After true, call [`entered`] once the GIL is held.
fn announce() -> bool {
    ENTERING.fetch_add(1, SeqCst);
    if CLOSED.load(SeqCst) && !FINALIZER.with(Cell::get) {
        ENTERING.fetch_sub(1, SeqCst);
        return false;
    }
    true
}

fn entered() {
    ENTERING.fetch_sub(1, SeqCst);
}

/// `py.detach(f)`, except that a thread coming back after the exit hook has run never
/// re-enters the interpreter: it blocks for the rest of the process's short life.
pub(crate) fn detach<T, F>(py: Python<'_>, f: F) -> T
where
    F: Send + FnOnce() -> T,
    T: Send,
{
    let out = py.detach(move || {
        let out = f();
        if !announce() {
            loop {
                std::thread::park();
            }
        }
        out
    });
    entered();
    out
}

/// `Python::try_attach(f)` for code that may run without the GIL (inside [`detach`], or on
/// a thread of the exposer's): `None` once the exit hook has run, or if the interpreter is
/// gone or finalizing. A thread that already holds the GIL always gets in.
pub(crate) fn try_attach<F, R>(f: F) -> Option<R>
where
    F: for<'py> FnOnce(Python<'py>) -> R,
{
    // SAFETY: PyGILState_Check only reads this thread's state; any thread may call it.
    if unsafe { pyo3::ffi::PyGILState_Check() } == 1 {
        return Python::try_attach(f);
    }
    if !announce() {
        return None;
    }
    let mut inside = false;
    let out = Python::try_attach(|py| {
        inside = true;
        entered();
        f(py)
    });
    if !inside {
        entered();
    }
    out
}

/// The exit hook (registered with `atexit` when the module loads): see the module docs.
#[pyfunction]
pub(crate) fn close(py: Python<'_>) {
    FINALIZER.with(|f| f.set(true));
    CLOSED.store(true, SeqCst);
    if ENTERING.load(SeqCst) == 0 {
        return;
    }
    py.detach(|| {
        let deadline = Instant::now() + DRAIN;
        while ENTERING.load(SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}
