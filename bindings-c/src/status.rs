//! Status codes, the thread-local last-error message, and the guard that runs every
//! exported function body so that no panic unwinds into C.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use fastprom::Error;

/// What a fallible call returns: `FASTPROM_OK` (0) on success, otherwise the cause.
/// [`fastprom_last_error`] gives a message with the details.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fastprom_status {
    /// Success.
    FASTPROM_OK = 0,
    /// A handle, string or out-pointer argument was NULL.
    FASTPROM_NULL_ARGUMENT,
    /// A metric name is missing or invalid (or has a unit its type cannot have).
    FASTPROM_INVALID_NAME,
    /// A label name is invalid, reserved (`le`, `__` prefixes), repeated, not one of the
    /// family's (or, for an info's pairs, one of them), or there are too many.
    FASTPROM_INVALID_LABEL,
    /// The number of label values differs from the family's number of label names.
    FASTPROM_LABEL_COUNT,
    /// A counter was asked to go down (a negative amount).
    FASTPROM_NEGATIVE_INCREMENT,
    /// The registry already exposes a time series of that name.
    FASTPROM_DUPLICATE,
    /// Histogram buckets are not increasing, NaN, or too few.
    FASTPROM_INVALID_BUCKETS,
    /// Any other invalid argument, such as a string that is not UTF-8 or a state an enum
    /// does not declare.
    FASTPROM_INVALID_ARGUMENT,
    /// The caller's buffer is too small; the size needed was written.
    FASTPROM_BUFFER_TOO_SMALL,
    /// fastprom hit a bug (a Rust panic), caught at the boundary.
    FASTPROM_PANIC,
    /// Any other failure of the core.
    FASTPROM_ERROR,
    /// The operating system or the network refused (a port in use, an address that does
    /// not resolve, no thread could be started, a connection refused or broken off, a
    /// server certificate that is not trusted).
    FASTPROM_IO,
    /// A remote server did not answer within the timeout.
    FASTPROM_TIMEOUT,
    /// A remote server answered with an HTTP status outside 2xx (the message holds it and
    /// the start of the server's text).
    FASTPROM_HTTP_STATUS,
}

/// A failed call's status and message, set as the thread's last error by [`run`].
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: fastprom_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: fastprom_status, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// A NULL argument named `what`.
    #[cold]
    #[inline(never)]
    pub(crate) fn null(what: &str) -> Self {
        Self::new(fastprom_status::FASTPROM_NULL_ARGUMENT, format!("{what} is NULL"))
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::new(status_of(&e), e.to_string())
    }
}

impl From<fastprom_net::Error> for Failure {
    fn from(e: fastprom_net::Error) -> Self {
        let status = match &e {
            fastprom_net::Error::Core(core) => status_of(core),
            fastprom_net::Error::Bind { .. }
            | fastprom_net::Error::Start { .. }
            | fastprom_net::Error::Thread { .. }
            | fastprom_net::Error::Connect { .. }
            | fastprom_net::Error::Transport { .. } => fastprom_status::FASTPROM_IO,
            fastprom_net::Error::Timeout { .. } => fastprom_status::FASTPROM_TIMEOUT,
            fastprom_net::Error::Status { .. } => fastprom_status::FASTPROM_HTTP_STATUS,
            fastprom_net::Error::InvalidUrl { .. } | fastprom_net::Error::Tls { .. } => {
                fastprom_status::FASTPROM_INVALID_ARGUMENT
            }
            _ => fastprom_status::FASTPROM_ERROR,
        };
        Self::new(status, e.to_string())
    }
}

/// The status for one of the core's errors.
pub(crate) fn status_of(e: &Error) -> fastprom_status {
    use fastprom_status::*;
    match e {
        Error::MissingName | Error::InvalidMetricName { .. } | Error::UnitNotAllowed { .. } => FASTPROM_INVALID_NAME,
        Error::InvalidLabelName { .. }
        | Error::ReservedLabelName { .. }
        | Error::DuplicateLabelName { .. }
        | Error::TooManyLabels { .. }
        | Error::LabelNames { .. }
        | Error::UnknownLabelNames { .. }
        | Error::InfoOverlap { .. } => FASTPROM_INVALID_LABEL,
        Error::LabelCount { .. } | Error::NotLabelled { .. } | Error::MissingLabelValues { .. } => FASTPROM_LABEL_COUNT,
        Error::NegativeIncrement { .. } => FASTPROM_NEGATIVE_INCREMENT,
        Error::DuplicateTimeseries { .. } => FASTPROM_DUPLICATE,
        Error::InvalidBuckets { .. } => FASTPROM_INVALID_BUCKETS,
        Error::InvalidArgument(_) | Error::UnknownState { .. } | Error::NoStates { .. } => FASTPROM_INVALID_ARGUMENT,
        _ => FASTPROM_ERROR,
    }
}

thread_local! {
    /// The message of this thread's last failed call.
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str) {
    // A message cannot hold NUL bytes in C; a label value might.
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(c));
}

/// Runs an exported function's body: a failure or a panic becomes a status and this
/// thread's last error. Success touches no thread-local state (as with `errno`), so the
/// hot calls cost their own work only.
#[inline]
pub(crate) fn run(body: impl FnOnce() -> Result<(), Failure>) -> fastprom_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => fastprom_status::FASTPROM_OK,
        Ok(Err(f)) => failed(f),
        Err(panic) => panicked(panic),
    }
}

/// Records a failure (kept out of line, so the success path of the hot calls stays small).
#[cold]
#[inline(never)]
fn failed(failure: Failure) -> fastprom_status {
    set_last_error(&failure.message);
    failure.status
}

#[cold]
#[inline(never)]
fn panicked(panic: Box<dyn std::any::Any + Send>) -> fastprom_status {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".to_owned());
    failed(Failure::new(fastprom_status::FASTPROM_PANIC, format!("internal error (panic): {what}")))
}

/// Runs a `*_free` body: nothing to report, but a panic must still not reach C.
pub(crate) fn run_free(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// The message of the last call on this thread that failed (returned a status other than
/// `FASTPROM_OK`): what went wrong. Calls that succeed leave it as it was, as with `errno`,
/// so read it right after the failed call. The empty string if no call has failed on this
/// thread yet. Never NULL.
///
/// The string is owned by fastprom: do not free it. It stays valid until the next failed
/// fastprom call on the same thread; copy it to keep it longer. Each thread has its own.
#[no_mangle]
pub extern "C" fn fastprom_last_error() -> *const c_char {
    catch_unwind(|| LAST_ERROR.with(|e| e.borrow().as_ref().map_or(c"".as_ptr(), |m| m.as_ptr())))
        .unwrap_or(c"".as_ptr())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_their_statuses() {
        let e = Error::LabelCount { expected: 2, given: vec!["x".into()] };
        assert_eq!(status_of(&e), fastprom_status::FASTPROM_LABEL_COUNT);
        let e = Error::NegativeIncrement { amount: -1.0 };
        assert_eq!(status_of(&e), fastprom_status::FASTPROM_NEGATIVE_INCREMENT);
        assert_eq!(status_of(&Error::NotRegistered), fastprom_status::FASTPROM_ERROR);
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let s = run(|| panic!("boom"));
        assert_eq!(s, fastprom_status::FASTPROM_PANIC);
        let msg = unsafe { std::ffi::CStr::from_ptr(fastprom_last_error()) };
        assert_eq!(msg.to_str().unwrap(), "internal error (panic): boom");
        // A success leaves the message of the failure before it.
        assert_eq!(run(|| Ok(())), fastprom_status::FASTPROM_OK);
        let msg = unsafe { std::ffi::CStr::from_ptr(fastprom_last_error()) };
        assert_eq!(msg.to_str().unwrap(), "internal error (panic): boom");
    }
}
