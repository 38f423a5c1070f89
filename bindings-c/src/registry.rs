//! Registries: the set of families one exposition shows.

use std::sync::{Arc, OnceLock};

use fastprom::Registry;

use crate::args::{handle, out, put};
use crate::status::{fastprom_status, run, run_free};

/// A registry: the families that one exposition shows.
///
/// Create it with `fastprom_registry_new` and free it with `fastprom_registry_free`, once.
/// Thread-safe: families may be created in it, and it may be encoded, from any number of
/// threads at once. Family and child handles stay valid after their registry is freed
/// (they just are not exposed any more).
pub struct fastprom_registry {
    pub(crate) inner: Arc<Registry>,
}

/// Creates an empty registry and writes its handle to `*out`. The caller owns it and frees
/// it with `fastprom_registry_free`.
#[no_mangle]
pub extern "C" fn fastprom_registry_new(out_registry: *mut *mut fastprom_registry) -> fastprom_status {
    run(|| {
        let o = out(out_registry, "out")?;
        let r = Box::new(fastprom_registry { inner: Arc::new(Registry::new()) });
        // SAFETY: `o` is checked and writable.
        unsafe { put(o, Box::into_raw(r)) };
        Ok(())
    })
}

/// The process's default registry, made on first use and never freed.
static DEFAULT: OnceLock<Arc<Registry>> = OnceLock::new();

/// Writes to `*out` a new handle to the process's default registry (one registry shared
/// by the whole program, as prometheus_client's `REGISTRY`, so libraries can register
/// their families without being handed a registry). Every call gives a handle to the same
/// registry; free each handle with `fastprom_registry_free`, which never frees the
/// registry itself.
#[no_mangle]
pub extern "C" fn fastprom_registry_default(out_registry: *mut *mut fastprom_registry) -> fastprom_status {
    run(|| {
        let o = out(out_registry, "out")?;
        let shared = DEFAULT.get_or_init(|| Arc::new(Registry::new()));
        let r = Box::new(fastprom_registry { inner: Arc::clone(shared) });
        // SAFETY: `o` is checked and writable.
        unsafe { put(o, Box::into_raw(r)) };
        Ok(())
    })
}

/// Frees a registry handle from `fastprom_registry_new` or `fastprom_registry_default`. NULL is accepted and ignored.
///
/// # Safety
/// `registry` is NULL or a registry not freed yet, which no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_free(registry: *mut fastprom_registry) {
    if registry.is_null() {
        return;
    }
    run_free(|| {
        // SAFETY: a live registry from `fastprom_registry_new`, freed once.
        drop(unsafe { Box::from_raw(registry) });
    });
}

/// Turns the `_created` samples (each series' creation time) of the registry's families on
/// (the default) or off in every exposition from now on. Off makes expositions
/// reproducible.
///
/// # Safety
/// `registry` is NULL or a live registry.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_set_created(registry: *mut fastprom_registry, on: bool) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or live.
        let r = unsafe { handle(registry, "registry") }?;
        r.inner.set_created(on);
        Ok(())
    })
}
