//! Serving a registry on `/metrics` from a background thread, through fastprom-net.

use std::ffi::c_char;

use fastprom_net::{Exposer, ExposerConfig, Source};

use crate::args::{handle, out, put, string};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run, run_free};

/// A running HTTP server answering `/metrics` (and `/`) with the registry's exposition:
/// content negotiated from `Accept`, gzip when accepted, the `name[]` filter, HEAD.
///
/// Made by `fastprom_exposer_start`, owned by the caller; `fastprom_exposer_free` stops
/// it. Scrapes run on the exposer's own threads and read the registry while the
/// application keeps updating it. Thread-safe; the exposer keeps its registry alive, so
/// the registry handle may be freed first.
pub struct fastprom_exposer {
    inner: Exposer,
}

/// Starts serving `registry` on `host` (a name or an IP address, such as "127.0.0.1" or
/// "0.0.0.0") and `port` (0 for a free one, see `fastprom_exposer_port`), and writes the
/// exposer's handle to `*out`. The port is bound before this returns: one in use gives
/// `FASTPROM_IO`.
///
/// # Safety
/// `registry` is NULL or live; `host` is NULL or a NUL-terminated string; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_exposer_start(
    registry: *const fastprom_registry,
    host: *const c_char,
    port: u16,
    out_exposer: *mut *mut fastprom_exposer,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let r = unsafe { handle(registry, "registry") }?;
        let host = unsafe { string(host, "host") }?;
        let o = out(out_exposer, "out")?;
        let exposer = Exposer::start(Source::Registry(r.inner.clone()), ExposerConfig::new(host, port))?;
        // SAFETY: `o` is checked and writable.
        unsafe { put(o, Box::into_raw(Box::new(fastprom_exposer { inner: exposer }))) };
        Ok(())
    })
}

/// Writes to `*port` the port the exposer listens on (the one picked when 0 was asked for).
///
/// # Safety
/// `exposer` is NULL or live; `port` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_exposer_port(exposer: *const fastprom_exposer, port: *mut u16) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let e = unsafe { handle(exposer, "exposer") }?;
        let o = out(port, "port")?;
        unsafe { put(o, e.inner.local_addr().port()) };
        Ok(())
    })
}

/// Stops the exposer and frees it: the port is free again and its thread joined when this
/// returns; answers in progress get a short grace to finish. NULL is accepted and ignored.
///
/// # Safety
/// `exposer` is NULL or a live handle, freed once, not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn fastprom_exposer_free(exposer: *mut fastprom_exposer) {
    if exposer.is_null() {
        return;
    }
    run_free(|| {
        // SAFETY: a live handle from `fastprom_exposer_start`, freed once.
        let mut e = unsafe { Box::from_raw(exposer) };
        e.inner.shutdown();
    });
}
