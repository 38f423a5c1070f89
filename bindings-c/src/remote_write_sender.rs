//! Remote write in the background from C: fastprom-net's `RemoteWriteSender` behind a
//! handle, with a flush, the last failure as a string, and a free that closes it within a
//! deadline.

use std::ffi::{c_char, CString};
use std::time::Duration;

use fastprom_net::remote_write::{RemoteWriteSender, SenderConfig};

use crate::args::{handle, out, put, string};
use crate::registry::fastprom_registry;
use crate::remote_write::{fastprom_remote_write_opts, read_opts};
use crate::status::{fastprom_status, run, run_free, Failure};

/// How long `fastprom_remote_write_sender_free` gives the sender when `timeout_ms` is 0.
const DEFAULT_CLOSE: Duration = Duration::from_secs(10);

/// A background sender: a thread of fastprom's that collects a registry every interval
/// and sends it to a remote-write receiver, as the Python face's `RemoteWriteSender`:
///
/// - each collection is a batch; at most `max_queue` batches wait, and when the queue is
///   full the oldest is dropped;
/// - a 5xx, a 429 (honouring `Retry-After`), no connection, no answer in time or a broken
///   exchange is retried after a backoff (0.5 s doubling up to 30 s, with jitter); any
///   other 4xx drops the batch, as the receiver will never take it;
/// - every outcome is counted in the sender's own metrics, registered in the same
///   registry (so they travel with the data), labelled with the `url`:
///   `fastprom_remote_write_requests_total{url, outcome="sent|retried|rejected"}`,
///   `fastprom_remote_write_series_sent_total{url}`,
///   `fastprom_remote_write_batches_dropped_total{url, reason="queue_full|rejected|shutdown"}`,
///   `fastprom_remote_write_queue_batches{url}` and
///   `fastprom_remote_write_last_success_timestamp_seconds{url}`;
/// - the last failure is kept as a message (`fastprom_remote_write_sender_last_error`).
///
/// Made by `fastprom_remote_write_sender_new`, owned by the caller, stopped and freed by
/// `fastprom_remote_write_sender_free`. Thread-safe. The sender keeps its registry alive,
/// so the registry handle may be freed first. Collectors registered with
/// `fastprom_registry_register_collector` are called on the sender's thread (and, for the
/// last collection, on the thread that frees it); none is running any more once
/// `fastprom_remote_write_sender_free` has returned.
pub struct fastprom_remote_write_sender {
    inner: RemoteWriteSender,
}

/// Starts sending `registry` to the remote-write receiver at `url` (such as
/// "http://prometheus:9090/api/v1/write" or an `https` URL) every `interval_ms`
/// milliseconds (0 for 15 000) from a new thread, the first collection at once, keeping at
/// most `max_queue` batches waiting (0 for 16). `opts` shapes and sends the requests as for
/// `fastprom_remote_write` (its `timeout_ms` bounds each request); it is copied, so it and
/// its strings need only live for the call. Writes the sender's handle to `*out_sender`.
///
/// Errors: `FASTPROM_INVALID_ARGUMENT` for a URL that is not `http` or `https`, an
/// `opts.ca_file` that cannot be read or holds no usable certificate, or bad options;
/// `FASTPROM_DUPLICATE` when the registry already has metrics with the sender's names
/// (other than another sender's); `FASTPROM_IO` when the thread cannot be started.
///
/// # Safety
/// `registry` is NULL or live; `url` is NULL or NUL-terminated; `opts` is NULL or a
/// `fastprom_remote_write_opts` as its docs say; `out_sender` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write_sender_new(
    registry: *const fastprom_registry,
    url: *const c_char,
    opts: *const fastprom_remote_write_opts,
    interval_ms: u32,
    max_queue: usize,
    out_sender: *mut *mut fastprom_remote_write_sender,
) -> fastprom_status {
    run(|| {
        // SAFETY (all): as the contract says.
        let r = unsafe { handle(registry, "registry") }?;
        let url = unsafe { string(url, "url") }?;
        let o_ptr = out(out_sender, "out_sender")?;
        let o = unsafe { read_opts(opts) }?;
        let mut config = SenderConfig { build: o.config, options: o.net, ..SenderConfig::default() };
        if interval_ms != 0 {
            config.interval = Duration::from_millis(u64::from(interval_ms));
        }
        if max_queue != 0 {
            config.max_queue = max_queue;
        }
        let sender = RemoteWriteSender::start(url, r.inner.clone(), config)?;
        // SAFETY: `o_ptr` is checked and writable.
        unsafe { put(o_ptr, Box::into_raw(Box::new(fastprom_remote_write_sender { inner: sender }))) };
        Ok(())
    })
}

/// Has the sender's thread collect the registry now, and waits at most `timeout_ms`
/// milliseconds until that collection and everything queued before it have left the
/// queue (sent, or dropped as the receiver refused it). The thread does the collecting,
/// so batches stay in the order of their timestamps. `FASTPROM_OK` when the queue emptied; `FASTPROM_TIMEOUT` when it
/// did not in time (the receiver is slow or failing: the message holds the sender's last
/// error, and the batches stay queued for the sender to retry).
///
/// # Safety
/// `sender` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write_sender_flush(
    sender: *const fastprom_remote_write_sender,
    timeout_ms: u32,
) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or live, by the contract.
        let s = unsafe { handle(sender, "sender") }?;
        if s.inner.flush(Duration::from_millis(u64::from(timeout_ms))) {
            return Ok(());
        }
        let queued = s.inner.queued();
        let last = s.inner.last_error().unwrap_or_else(|| "none".to_owned());
        Err(Failure::new(
            fastprom_status::FASTPROM_TIMEOUT,
            format!(
                "remote write to {}: {queued} batch(es) still queued after {timeout_ms} ms (last error: {last})",
                s.inner.url()
            ),
        ))
    })
}

/// Writes to `*out_message` the sender's last failure as a new NUL-terminated string
/// (free it with `fastprom_string_free`), or NULL when nothing has failed yet: a request
/// that failed (and whether it will be retried or its batch was dropped), a collection
/// that failed, a batch dropped from a full queue. A later success does not clear it; the
/// sender's metrics tell whether requests succeed now.
///
/// # Safety
/// `sender` is NULL or live; `out_message` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write_sender_last_error(
    sender: *const fastprom_remote_write_sender,
    out_message: *mut *mut c_char,
) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or live, by the contract.
        let s = unsafe { handle(sender, "sender") }?;
        let o = out(out_message, "out_message")?;
        let message = match s.inner.last_error() {
            // A message cannot hold NUL bytes in C; a receiver's answer might.
            Some(m) => CString::new(m.replace('\0', "\\0")).unwrap_or_default().into_raw(),
            None => std::ptr::null_mut(),
        };
        // SAFETY: `o` is checked and writable.
        unsafe { put(o, message) };
        Ok(())
    })
}

/// Stops the sender and frees it: collects one last time and sends what is queued,
/// giving up after `timeout_ms` milliseconds (0 for 10 000); batches left unsent are
/// counted in `fastprom_remote_write_batches_dropped_total{reason="shutdown"}`. A
/// collection the thread has begun is waited for whatever the deadline, so no collector
/// runs once this has returned. The thread is joined before this returns, unless a
/// request is still in flight at the deadline: that thread then ends on its own once the
/// request does (within `opts.timeout_ms`), without calling a collector again. NULL is
/// accepted and ignored.
///
/// # Safety
/// `sender` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write_sender_free(sender: *mut fastprom_remote_write_sender, timeout_ms: u32) {
    if sender.is_null() {
        return;
    }
    run_free(|| {
        // SAFETY: a live handle from `fastprom_remote_write_sender_new`, freed once.
        let mut s = unsafe { Box::from_raw(sender) };
        let timeout = if timeout_ms == 0 { DEFAULT_CLOSE } else { Duration::from_millis(u64::from(timeout_ms)) };
        s.inner.close(timeout);
    });
}
