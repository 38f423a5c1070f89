//! Leaving and re-entering the interpreter while Python exits.
//!
//! Once the interpreter has begun finalizing, CPython up to 3.13 ends any thread other than
//! the finalizing one that asks for the GIL with `pthread_exit`. That forced unwind runs
//! through this extension's Rust frames, which cannot take it: the process crashes at exit
//! (SIGSEGV, or SIGABRT with "exception not rethrown"). Daemon threads that are in the
//! extension when the main thread leaves meet it, in two ways:
//!
//! - in native code without the GIL ([`detach`]), asking for it back at the end;
//! - running Python code with the extension's frames beneath it (a custom collector or a
//!   gauge function called by an encoder, a line iterator read by a parser, the exposer's
//!   call into the WSGI app): that code may let the GIL go (I/O, a sleep, the interpreter's
//!   thread switch) and ask for it back. Such stretches are [`Region`]s.
//!
//! An `atexit` hook ([`close`]), which runs on the thread that goes on to finalize and
//! before finalizing begins:
//!
//! 1. marks that thread, which may always go on;
//! 2. closes the extension to every other thread: one coming back from [`detach`], or
//!    entering a region, lets go of the GIL if it has it and blocks for good (as CPython
//!    3.14 does with such threads; the process ends around them), and one that asks
//!    through [`try_attach`] gets `None`, so it can unwind its own work and free its locks;
//! 3. with the GIL released, waits up to [`DRAIN`] for the threads already on their way
//!    in ([`ENTERING`]) to get the GIL and for those inside regions ([`INSIDE`]) to leave
//!    them, so that when finalizing begins no thread has the extension's frames on its
//!    stack and a reason to want the GIL (one still inside after `DRAIN`, say a collector
//!    waiting on a slow database, keeps its risk).
//!
//! A thread counts itself in (`ENTERING` or `INSIDE`) before it looks at `CLOSED`, and the
//! hook closes before it reads the counts; with sequentially consistent operations on
//! both, either the thread sees the extension closed or the hook sees the thread. A forked
//! child starts with no thread on its way in or inside ([`forked`]).

use std::cell::Cell;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Set by the exit hook; never cleared (the interpreter is not started again).
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Threads between counting themselves in and holding the GIL.
static ENTERING: AtomicUsize = AtomicUsize::new(0);
/// Regions entered and not yet left, over all threads.
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// How long the exit hook waits for the threads it counts.
const DRAIN: Duration = Duration::from_secs(2);

thread_local! {
    /// Whether this thread ran the exit hook (the one that finalizes the interpreter).
    static FINALIZER: Cell<bool> = const { Cell::new(false) };
    /// This thread's share of `INSIDE`.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

fn shut_out() -> bool {
    CLOSED.load(SeqCst) && !FINALIZER.with(Cell::get)
}

/// Blocks this thread for good, without the GIL, once its regions are no longer counted
/// (the exit hook need not wait for a thread that will never run again).
fn stay_out() -> ! {
    INSIDE.fetch_sub(DEPTH.with(|d| d.replace(0)), SeqCst);
    loop {
        std::thread::park();
    }
}

/// Counts this thread as on its way in; false (count withdrawn) if the extension is closed
/// to it. After true, call [`entered`] once the GIL is held.
fn announce() -> bool {
    ENTERING.fetch_add(1, SeqCst);
    if shut_out() {
        ENTERING.fetch_sub(1, SeqCst);
        return false;
    }
    true
}

fn entered() {
    ENTERING.fetch_sub(1, SeqCst);
}

/// `py.detach(f)`, except that a thread coming back after the exit hook has run never
/// re-enters the interpreter: it blocks for the rest of the process's short life. A panic
/// in `f` goes through the same door before it resumes.
pub(crate) fn detach<T, F>(py: Python<'_>, f: F) -> T
where
    F: Send + FnOnce() -> T,
    T: Send,
{
    let out = py.detach(move || {
        let out = panic::catch_unwind(AssertUnwindSafe(f));
        if !announce() {
            stay_out();
        }
        out
    });
    entered();
    out.unwrap_or_else(|p| panic::resume_unwind(p))
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

/// A stretch of the extension that runs Python code (see the module docs), counted from
/// [`Region::enter`] until the guard drops. Not `Send`: it is left on the thread that
/// entered it.
pub(crate) struct Region(PhantomData<*const ()>);

impl Region {
    /// Enters a region; once the exit hook has run, a thread other than the finalizing one
    /// lets go of the GIL here and blocks for good instead.
    pub(crate) fn enter(py: Python<'_>) -> Region {
        INSIDE.fetch_add(1, SeqCst);
        DEPTH.with(|d| d.set(d.get() + 1));
        if shut_out() {
            py.detach(|| -> () { stay_out() });
        }
        Region(PhantomData)
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        INSIDE.fetch_sub(1, SeqCst);
    }
}

/// After `fork()`, in the child (registered with `os.register_at_fork`): only the forking
/// thread exists here, and its own regions stay counted. A child forked while the parent
/// was exiting has an interpreter of its own to run.
#[pyfunction]
pub(crate) fn forked() {
    if !FINALIZER.with(Cell::get) {
        CLOSED.store(false, SeqCst);
    }
    ENTERING.store(0, SeqCst);
    INSIDE.store(DEPTH.with(Cell::get), SeqCst);
}

/// The exit hook (registered with `atexit` when the module loads): see the module docs.
#[pyfunction]
pub(crate) fn close(py: Python<'_>) {
    FINALIZER.with(|f| f.set(true));
    CLOSED.store(true, SeqCst);
    let mine = DEPTH.with(Cell::get);
    let busy = || ENTERING.load(SeqCst) > 0 || INSIDE.load(SeqCst) > mine;
    if !busy() {
        return;
    }
    py.detach(|| {
        let deadline = Instant::now() + DRAIN;
        while busy() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}
