//! The context managers behind `time()`, `count_exceptions()` and `track_inprogress()`,
//! and the callers their decorators run each decorated call through.
//!
//! The three classes here are `fastprom.context_managers`' public ones, so
//! `with histogram.time():` costs a native construction and two native method calls. A decorated function is still
//! the signature-preserving Python function `fastprom.decorator` generates (argument
//! errors come from it, before anything is timed or counted), but the caller it forwards
//! to is a builtin made by [`caller`]: a `METH_FASTCALL` C function bound to its metric,
//! which times, counts or tracks the call around one vectorcall of the wrapped function.
//!
//! Durations come from a monotonic clock, as `timeit.default_timer` (`time.perf_counter`)
//! gives them.

use std::ffi::{c_int, CStr};
use std::sync::OnceLock;
use std::time::Instant;

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyString, PyTuple};

use crate::config;

/// Seconds on a monotonic clock (from an arbitrary origin, as `perf_counter`).
fn now() -> f64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Calls `metric.<name>(value)`, keeping any exception already raised (the wrapped code's)
/// as the one that propagates.
fn report(py: Python<'_>, metric: &Bound<'_, PyAny>, name: &Bound<'_, PyString>, value: Option<f64>) -> PyResult<()> {
    // Only an exception the wrapped code raised is pending here (a `with` block passes its
    // exception to `__exit__` instead); checking first keeps the usual path free of it.
    // SAFETY: the GIL is held.
    let pending = if unsafe { ffi::PyErr_Occurred() }.is_null() { None } else { PyErr::take(py) };
    let r = call_method(py, metric, name, value);
    match pending {
        // The wrapped code's exception wins, as it does out of a `finally` that succeeds;
        // an error reporting it replaces it, as Python's `__exit__` would.
        Some(e) => {
            r?;
            e.restore(py);
            Ok(())
        }
        None => r,
    }
}

/// `metric.<name>(value)` (or `metric.<name>()`) by vectorcall, with no argument tuple:
/// the metric's own method, native or overridden, as a Python call would find it.
#[inline]
fn call_method(
    py: Python<'_>,
    metric: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    value: Option<f64>,
) -> PyResult<()> {
    let arg = value.map(|v| PyFloat::new(py, v));
    let mut argv: [*mut ffi::PyObject; 2] =
        [metric.as_ptr(), arg.as_ref().map_or(std::ptr::null_mut(), |a| a.as_ptr())];
    let n = if arg.is_some() { 2 } else { 1 };
    // SAFETY: `argv` holds `self` and `n - 1` live arguments; the GIL is held; the result
    // is a new reference or NULL with an error set.
    let out = unsafe { ffi::PyObject_VectorcallMethod(name.as_ptr(), argv.as_mut_ptr(), n, std::ptr::null_mut()) };
    // SAFETY: as above.
    unsafe { Bound::from_owned_ptr_or_err(py, out) }.map(drop)
}

/// Times a block (`with metric.time():`) or each call of a decorated function
/// (`@metric.time()`) and passes the duration in seconds, never negative, to
/// `getattr(metric, callback_name)`. `duration` holds the last one; `labels(...)` inside the
/// block re-targets the timer to a labelled child. Each decorated call is timed on its own,
/// so a decorated function may run in many threads at once.
#[pyclass(subclass, dict, module = "fastprom.context_managers", name = "Timer")]
pub(crate) struct Timer {
    metric: Py<PyAny>,
    callback_name: Py<PyString>,
    start: Option<f64>,
    duration: Option<f64>,
}

impl Timer {
    /// A timer of `metric`, reporting to its method `callback_name`.
    pub(crate) fn create(metric: Py<PyAny>, callback_name: Py<PyString>) -> Self {
        Self { metric, callback_name, start: None, duration: None }
    }
}

#[pymethods]
impl Timer {
    #[new]
    fn new(metric: Py<PyAny>, callback_name: Bound<'_, PyString>) -> Self {
        Self::create(metric, callback_name.unbind())
    }

    fn __enter__(mut slf: PyRefMut<'_, Self>) -> PyRefMut<'_, Self> {
        slf.start = Some(now());
        slf
    }

    fn __exit__(
        &mut self,
        py: Python<'_>,
        _typ: &Bound<'_, PyAny>,
        _value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let start = self.start.ok_or_else(|| PyValueError::new_err("the timer was not started"))?;
        let d = (now() - start).max(0.0);
        self.duration = Some(d);
        report(py, self.metric.bind(py), self.callback_name.bind(py), Some(d))
    }

    /// Switches the timed metric to `metric.labels(*args, **kw)`.
    #[pyo3(signature = (*args, **kw))]
    fn labels(
        &mut self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kw: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<()> {
        self.metric = self.metric.bind(py).call_method("labels", args, kw)?.unbind();
        Ok(())
    }

    /// A timer of the same class for the same metric.
    fn _new_timer(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.borrow();
        Ok(slf.get_type().call1((this.metric.clone_ref(py), this.callback_name.clone_ref(py)))?.unbind())
    }

    /// The context one decorated call runs in: a new timer.
    fn _for_call(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        Ok(slf.call_method0(pyo3::intern!(slf.py(), "_new_timer"))?.unbind())
    }

    /// Decorates `f`, keeping its signature.
    fn __call__(slf: &Bound<'_, Self>, f: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Ok(config::get(slf.py(), "decorate")?.call1((slf, f))?.unbind())
    }

    /// The last duration (`None` before the first exit).
    #[getter]
    fn duration(&self) -> Option<f64> {
        self.duration
    }

    #[setter]
    fn set_duration(&mut self, value: Option<f64>) {
        self.duration = value;
    }

    #[getter(_metric)]
    fn metric(&self, py: Python<'_>) -> Py<PyAny> {
        self.metric.clone_ref(py)
    }

    #[setter(_metric)]
    fn set_metric(&mut self, value: Py<PyAny>) {
        self.metric = value;
    }

    #[getter(_callback_name)]
    fn callback_name(&self, py: Python<'_>) -> Py<PyString> {
        self.callback_name.clone_ref(py)
    }

    #[getter(_start)]
    fn start(&self) -> Option<f64> {
        self.start
    }

    /// The native runner of decorated calls (see the module's docs).
    fn _fp_caller(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        caller(py, Kind::Time, self.metric.clone_ref(py), self.callback_name.clone_ref(py).into_any())
    }
}

/// Adds one to `counter` each time the block, or a call of a decorated function, raises
/// an instance of `exception` (a class or a tuple of classes); the exception still
/// propagates.
#[pyclass(subclass, frozen, module = "fastprom.context_managers", name = "ExceptionCounter")]
pub(crate) struct ExceptionCounter {
    counter: Py<PyAny>,
    exception: Py<PyAny>,
}

impl ExceptionCounter {
    /// A counter of `exception`s into `counter`.
    pub(crate) fn create(counter: Py<PyAny>, exception: Py<PyAny>) -> Self {
        Self { counter, exception }
    }
}

#[pymethods]
impl ExceptionCounter {
    #[new]
    fn new(counter: Py<PyAny>, exception: Py<PyAny>) -> Self {
        Self::create(counter, exception)
    }

    fn __enter__(&self) {}

    fn __exit__(
        &self,
        py: Python<'_>,
        _typ: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        if !value.is_none() && value.is_instance(self.exception.bind(py))? {
            call_method(py, self.counter.bind(py), pyo3::intern!(py, "inc"), None)?;
        }
        Ok(false)
    }

    /// The context one decorated call runs in: this one.
    fn _for_call(slf: &Bound<'_, Self>) -> Py<PyAny> {
        slf.clone().into_any().unbind()
    }

    /// Decorates `f`, keeping its signature.
    fn __call__(slf: &Bound<'_, Self>, f: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Ok(config::get(slf.py(), "decorate")?.call1((slf, f))?.unbind())
    }

    #[getter(_counter)]
    fn counter(&self, py: Python<'_>) -> Py<PyAny> {
        self.counter.clone_ref(py)
    }

    #[getter(_exception)]
    fn exception(&self, py: Python<'_>) -> Py<PyAny> {
        self.exception.clone_ref(py)
    }

    /// The native runner of decorated calls.
    fn _fp_caller(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        caller(py, Kind::CountExceptions, self.counter.clone_ref(py), self.exception.clone_ref(py))
    }
}

/// Adds one to `gauge` when the block, or a call of a decorated function, starts and takes
/// it away when it ends, so the gauge counts what is in progress.
#[pyclass(subclass, frozen, module = "fastprom.context_managers", name = "InprogressTracker")]
pub(crate) struct InprogressTracker {
    gauge: Py<PyAny>,
}

impl InprogressTracker {
    /// A tracker of the calls in progress in `gauge`.
    pub(crate) fn create(gauge: Py<PyAny>) -> Self {
        Self { gauge }
    }
}

#[pymethods]
impl InprogressTracker {
    #[new]
    fn new(gauge: Py<PyAny>) -> Self {
        Self::create(gauge)
    }

    fn __enter__(&self, py: Python<'_>) -> PyResult<()> {
        call_method(py, self.gauge.bind(py), pyo3::intern!(py, "inc"), None)
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _typ: &Bound<'_, PyAny>,
        _value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        call_method(py, self.gauge.bind(py), pyo3::intern!(py, "dec"), None)
    }

    /// The context one decorated call runs in: this one.
    fn _for_call(slf: &Bound<'_, Self>) -> Py<PyAny> {
        slf.clone().into_any().unbind()
    }

    /// Decorates `f`, keeping its signature.
    fn __call__(slf: &Bound<'_, Self>, f: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Ok(config::get(slf.py(), "decorate")?.call1((slf, f))?.unbind())
    }

    #[getter(_gauge)]
    fn gauge(&self, py: Python<'_>) -> Py<PyAny> {
        self.gauge.clone_ref(py)
    }

    /// The native runner of decorated calls.
    fn _fp_caller(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        caller(py, Kind::TrackInprogress, self.gauge.clone_ref(py), py.None())
    }
}

/// What a caller does around each call.
#[derive(Clone, Copy)]
enum Kind {
    Time,
    CountExceptions,
    TrackInprogress,
}

/// The state a caller builtin is bound to.
#[pyclass(frozen, module = "fastprom._fastprom")]
struct CallerState {
    kind: Kind,
    metric: Py<PyAny>,
    /// `Time`: the method name; `CountExceptions`: the exception class(es).
    extra: Py<PyAny>,
}

/// A builtin `caller(func, *args, **kwargs)` bound to its state.
fn caller(py: Python<'_>, kind: Kind, metric: Py<PyAny>, extra: Py<PyAny>) -> PyResult<Py<PyAny>> {
    static DEF: OnceLock<usize> = OnceLock::new();
    let def = *DEF.get_or_init(|| {
        let def = Box::leak(Box::new(ffi::PyMethodDef {
            ml_name: c"caller".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: call },
            ml_flags: (ffi::METH_FASTCALL | ffi::METH_KEYWORDS) as c_int,
            ml_doc: DOC.as_ptr(),
        }));
        def as *mut ffi::PyMethodDef as usize
    });
    let state = Bound::new(py, CallerState { kind, metric, extra })?;
    // SAFETY: `def` is a leaked, 'static method definition; `state` is a live object the
    // new builtin keeps a reference to; the GIL is held.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyCFunction_NewEx(def as *mut ffi::PyMethodDef, state.as_ptr(), std::ptr::null_mut()),
        )
    }
    .map(Bound::unbind)
}

const DOC: &CStr = c"caller(func, /, *args, **kwargs)\n--\n\nCalls func(*args, **kwargs) timed, counted or tracked.";

/// `caller(func, *args, **kwargs)`: runs the call with the state's bookkeeping around it.
///
/// The wrapped function runs from this frame, and nothing Rust must clean up is live
/// here: the bookkeeping before and after is in functions of their own ([`before`],
/// [`after`]), which catch their panics and cannot unwind. So this frame has no landing
/// pad, and when CPython (3.13 and older) ends a daemon thread inside the wrapped function
/// at exit with `pthread_exit`, the forced unwind passes through it as through a C frame,
/// where a `catch_unwind` here would abort the process.
///
/// # Safety
/// Called by CPython with the GIL held; `slf` is the bound `CallerState`; `args` holds
/// `nargs` positional arguments followed by the values of `kwnames`.
unsafe extern "C" fn call(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as the contract says.
    let b = unsafe { before(slf, args, nargs, kwnames) };
    if b.func.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the rest of the argument array, forwarded as is, with the GIL held. From
    // 3.11 `PyObject_Vectorcall` is a libpython function; before, pyo3 writes it in Rust
    // with assertions, whose panic paths would give this frame a landing pad, so the call
    // goes through `PyObject_VectorcallDict` with the keywords as a dict.
    #[cfg(Py_3_11)]
    let result = unsafe { ffi::PyObject_Vectorcall(b.func, args.add(1), b.n.wrapping_sub(1) as usize, kwnames) };
    #[cfg(not(Py_3_11))]
    let result = unsafe { ffi::PyObject_VectorcallDict(b.func, args.add(1), b.n.wrapping_sub(1) as usize, b.kwargs) };
    // SAFETY: as above; `result` is the call's new reference or NULL with its exception set.
    unsafe { after(slf, b, result) }
}

/// What [`before`] hands over to the call and to [`after`]: plain values only.
#[derive(Clone, Copy)]
#[repr(C)]
struct Before {
    /// The function to call; NULL when `before` failed (its exception is set).
    func: *mut ffi::PyObject,
    /// Positional arguments, the function included.
    n: ffi::Py_ssize_t,
    /// `Time`: when the call started.
    start: f64,
    /// Before 3.11: the keyword arguments as a new dict, or NULL without any.
    kwargs: *mut ffi::PyObject,
}

/// Turns the outcome of bookkeeping that may fail (or panic) into a result for CPython:
/// the value, or NULL with the error (a panic as `SystemError`) set.
fn settle(py: Python<'_>, outcome: std::thread::Result<PyResult<*mut ffi::PyObject>>) -> *mut ffi::PyObject {
    match outcome {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            e.restore(py);
            std::ptr::null_mut()
        }
        Err(_) => {
            // SAFETY: GIL held.
            unsafe { ffi::PyErr_SetString(ffi::PyExc_SystemError, c"fastprom: panic in a decorated call".as_ptr()) };
            std::ptr::null_mut()
        }
    }
}

/// The bookkeeping before the call: checks the arguments, starts the clock (`Time`) or
/// counts the call in (`TrackInprogress`).
///
/// # Safety
/// As [`call`]'s.
#[inline(never)] // kept out of `call`, whose frame must have no landing pad
unsafe extern "C" fn before(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> Before {
    // SAFETY: the GIL is held (the contract).
    let py = unsafe { Python::assume_attached() };
    // SAFETY: reads the count out of the flags CPython passed.
    let n = unsafe { ffi::PyVectorcall_NARGS(nargs as usize) } as ffi::Py_ssize_t;
    let mut start = 0.0;
    let mut kwargs: *mut ffi::PyObject = std::ptr::null_mut();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `slf` is the bound `CallerState` (the contract).
        let state = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<CallerState>() }.get();
        if n < 1 {
            return Err(pyo3::exceptions::PyTypeError::new_err("caller() needs the function to call"));
        }
        // The keywords first: nothing is counted in if this fails.
        #[cfg(not(Py_3_11))]
        if !kwnames.is_null() {
            // SAFETY: `kwnames` is the tuple of keyword names, whose values follow the `n`
            // positional arguments in `args`.
            let names = unsafe { Borrowed::from_ptr(py, kwnames).cast_unchecked::<PyTuple>() };
            let dict = pyo3::types::PyDict::new(py);
            for (i, name) in names.iter().enumerate() {
                // SAFETY: as above.
                let value = unsafe { Borrowed::from_ptr(py, *args.add(n as usize + i)) };
                dict.set_item(name, value)?;
            }
            kwargs = dict.into_ptr();
        }
        #[cfg(Py_3_11)]
        let _ = (kwnames, &mut kwargs);
        match state.kind {
            Kind::Time => start = now(),
            Kind::CountExceptions => {}
            Kind::TrackInprogress => call_method(py, state.metric.bind(py), pyo3::intern!(py, "inc"), None)?,
        }
        // SAFETY: `args` holds at least the function.
        Ok(unsafe { *args })
    }));
    let func = settle(py, outcome);
    if func.is_null() && !kwargs.is_null() {
        // SAFETY: our own reference, not handed over.
        unsafe { ffi::Py_DecRef(kwargs) };
        kwargs = std::ptr::null_mut();
    }
    Before { func, n, start, kwargs }
}

/// The bookkeeping after the call: observes the duration, counts the exception or counts
/// the call out, and returns what the caller returns.
///
/// # Safety
/// As [`call`]'s; `result` is the call's new reference, or NULL with its exception set.
#[inline(never)] // kept out of `call`, whose frame must have no landing pad
unsafe extern "C" fn after(slf: *mut ffi::PyObject, b: Before, result: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the GIL is held (the contract).
    let py = unsafe { Python::assume_attached() };
    if !b.kwargs.is_null() {
        // SAFETY: `before`'s new reference, no longer used.
        unsafe { ffi::Py_DecRef(b.kwargs) };
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `slf` is the bound `CallerState` (the contract).
        let state = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<CallerState>() }.get();
        let metric = state.metric.bind(py);
        match state.kind {
            Kind::Time => {
                let d = (now() - b.start).max(0.0);
                let name = state.extra.bind(py).cast::<PyString>()?;
                finish(py, result, report(py, metric, name, Some(d)))
            }
            Kind::CountExceptions => {
                if !result.is_null() {
                    return Ok(result);
                }
                let counted = match PyErr::take(py) {
                    Some(e) => {
                        let hit = e.value(py).is_instance(state.extra.bind(py));
                        e.restore(py);
                        match hit {
                            Ok(true) => report(py, metric, pyo3::intern!(py, "inc"), None),
                            Ok(false) => Ok(()),
                            Err(err) => Err(err),
                        }
                    }
                    None => Ok(()),
                };
                finish(py, result, counted)
            }
            Kind::TrackInprogress => finish(py, result, report(py, metric, pyo3::intern!(py, "dec"), None)),
        }
    }));
    if outcome.is_err() && !result.is_null() {
        // SAFETY: the call's new reference, not returned.
        unsafe { ffi::Py_DecRef(result) };
    }
    settle(py, outcome)
}

/// The call's result once the bookkeeping after it ran: its own exception (still set when
/// `result` is NULL) wins unless the bookkeeping failed.
fn finish(py: Python<'_>, result: *mut ffi::PyObject, after: PyResult<()>) -> PyResult<*mut ffi::PyObject> {
    match after {
        Ok(()) => Ok(result),
        Err(e) => {
            if !result.is_null() {
                // SAFETY: a new reference we own and no longer return.
                unsafe { ffi::Py_DecRef(result) };
            } else {
                // The bookkeeping's error replaces the call's, as an `__exit__` error does.
                drop(PyErr::take(py));
            }
            Err(e)
        }
    }
}

/// Adds the classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Timer>()?;
    m.add_class::<ExceptionCounter>()?;
    m.add_class::<InprogressTracker>()?;
    Ok(())
}
