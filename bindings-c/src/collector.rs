//! Collectors added to a registry from C: a callback that builds families at scrape time
//! (for exporters that bridge another system), and the process collector.

use std::ffi::{c_char, c_void};

use fastprom::{Collector, CollectorId, MetricFamily, MetricType, Timestamp};
use fastprom_net::ProcessCollector;

use crate::args::{handle, put, string, strings};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run, Failure};

/// The type of a family a collector callback builds.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fastprom_metric_type {
    /// A counter: its value sample is `name_total`.
    FASTPROM_TYPE_COUNTER,
    /// A gauge.
    FASTPROM_TYPE_GAUGE,
    /// A histogram: `_bucket` samples with an `le` label, `_count` and `_sum`.
    FASTPROM_TYPE_HISTOGRAM,
    /// A summary: `_count`, `_sum` and optional `quantile`-labelled samples.
    FASTPROM_TYPE_SUMMARY,
    /// An info: `name_info` with the pairs as labels, value 1.
    FASTPROM_TYPE_INFO,
    /// A state set: one sample per state, labelled with the family's name.
    FASTPROM_TYPE_STATESET,
    /// An untyped family.
    FASTPROM_TYPE_UNKNOWN,
}

impl fastprom_metric_type {
    fn core(self) -> MetricType {
        match self {
            Self::FASTPROM_TYPE_COUNTER => MetricType::Counter,
            Self::FASTPROM_TYPE_GAUGE => MetricType::Gauge,
            Self::FASTPROM_TYPE_HISTOGRAM => MetricType::Histogram,
            Self::FASTPROM_TYPE_SUMMARY => MetricType::Summary,
            Self::FASTPROM_TYPE_INFO => MetricType::Info,
            Self::FASTPROM_TYPE_STATESET => MetricType::StateSet,
            Self::FASTPROM_TYPE_UNKNOWN => MetricType::Unknown,
        }
    }
}

/// What a collector callback writes its families into, for one scrape. Passed to the
/// callback and valid only until it returns; used from the scraping thread only.
pub struct fastprom_collection {
    families: Vec<MetricFamily>,
    /// The first failed `fastprom_collection_*` call; it fails the scrape even when the
    /// callback goes on and returns `FASTPROM_OK`, so no family is half-exposed unnoticed.
    failure: Option<Failure>,
}

/// A collector callback: adds this scrape's families to `collection` with
/// `fastprom_collection_family` and `fastprom_collection_sample`, and returns
/// `FASTPROM_OK`, or any other status to fail the scrape (the encoder then returns
/// `FASTPROM_ERROR`, "collector failed: ..."; see `fastprom_collection_fail`).
///
/// It is called on the scraping thread (an exposer's, or the one encoding the registry),
/// possibly by several scrapes at once. It may read and update any family and child, in
/// this registry too, and create and register new ones: no fastprom lock is held while it
/// runs. It must not encode the registry it is registered in (that would call it again).
pub type fastprom_collect_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, collection: *mut fastprom_collection) -> fastprom_status>;

/// Frees a collector's `user_data` when the registry lets the collector go (on
/// `fastprom_registry_unregister` or when the registry is freed, after any scrape still
/// running has ended).
pub type fastprom_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// A collector implemented in C.
struct CCollector {
    collect: unsafe extern "C" fn(*mut c_void, *mut fastprom_collection) -> fastprom_status,
    user_data: *mut c_void,
    free: fastprom_free_fn,
}

// SAFETY: the header tells callers that the callback and `user_data` are used from the
// scraping threads, concurrently; making them safe for that is the caller's contract.
unsafe impl Send for CCollector {}
// SAFETY: as above.
unsafe impl Sync for CCollector {}

impl Collector for CCollector {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        let mut c = fastprom_collection { families: Vec::new(), failure: None };
        // SAFETY: the callback and its data as registered; `c` lives across the call.
        let status = unsafe { (self.collect)(self.user_data, &mut c) };
        if let Some(f) = c.failure {
            return Err(fastprom::Error::Collect(f.message));
        }
        if status != fastprom_status::FASTPROM_OK {
            return Err(fastprom::Error::Collect(format!("the callback returned status {}", status as u32)));
        }
        Ok(c.families)
    }
}

impl Drop for CCollector {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller's free function for its own data, called once.
            unsafe { free(self.user_data) };
        }
    }
}

/// Registers a collector callback in `registry` and writes its id (for
/// `fastprom_registry_unregister`) to `*out_id` (NULL to not keep it). `free_user_data`
/// (NULL for none) is called with `user_data` when the collector is let go, also when this
/// call fails.
///
/// The callback's families are not known in advance, so they are not checked against the
/// registry's other names. A scrape reads families and collectors in registration order:
/// a family registered before this collector is read before the callback runs, so what the
/// callback changes in it shows from the next scrape on.
///
/// # Safety
/// `registry` is NULL or live; `collect` is NULL or a function as `fastprom_collect_fn`
/// describes; `user_data` stays valid until `free_user_data` runs; `out_id` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_register_collector(
    registry: *const fastprom_registry,
    collect: fastprom_collect_fn,
    user_data: *mut c_void,
    free_user_data: fastprom_free_fn,
    out_id: *mut u64,
) -> fastprom_status {
    run(|| {
        // Owned from the start, so `user_data` is freed on every failure below.
        let Some(collect) = collect else {
            if let Some(free) = free_user_data {
                // SAFETY: the caller's free function for its own data, called once.
                unsafe { free(user_data) };
            }
            return Err(Failure::null("collect"));
        };
        let c = CCollector { collect, user_data, free: free_user_data };
        // SAFETY: NULL or live.
        let r = unsafe { handle(registry, "registry") }?;
        let id = r.inner.register(c)?;
        if !out_id.is_null() {
            // SAFETY: non-NULL and writable by the contract.
            unsafe { put(out_id, id_to_u64(id)) };
        }
        Ok(())
    })
}

/// Registers prometheus_client's process collector in `registry`: `process_cpu_seconds_total`,
/// `process_open_fds`, `process_max_fds`, `process_virtual_memory_bytes`,
/// `process_resident_memory_bytes` and `process_start_time_seconds`, read from `/proc` at
/// each scrape (nothing on systems without it). `metric_namespace` (NULL or "" for none)
/// goes before `process_`. Writes the collector's id to `*out_id` unless it is NULL.
///
/// # Safety
/// `registry` is NULL or live; `metric_namespace` is NULL or a NUL-terminated string;
/// `out_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_register_process_collector(
    registry: *const fastprom_registry,
    metric_namespace: *const c_char,
    out_id: *mut u64,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let r = unsafe { handle(registry, "registry") }?;
        let ns = if metric_namespace.is_null() { "" } else { unsafe { string(metric_namespace, "metric_namespace") }? };
        let id = r.inner.register(ProcessCollector::new(ns))?;
        if !out_id.is_null() {
            // SAFETY: non-NULL and writable by the contract.
            unsafe { put(out_id, id_to_u64(id)) };
        }
        Ok(())
    })
}

/// Removes the collector `id` from `registry`; its families are no longer exposed.
/// An id the registry does not hold gives `FASTPROM_ERROR`.
///
/// # Safety
/// `registry` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_unregister(registry: *const fastprom_registry, id: u64) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or live.
        let r = unsafe { handle(registry, "registry") }?;
        r.inner.unregister(CollectorId::from_raw(id))?;
        Ok(())
    })
}

fn id_to_u64(id: CollectorId) -> u64 {
    id.into_raw()
}

/// Records a failure of a `fastprom_collection_*` call in the collection, so the scrape
/// fails even if the callback ignores the status.
fn collecting(
    collection: *mut fastprom_collection,
    body: impl FnOnce(&mut fastprom_collection) -> Result<(), Failure>,
) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or the live collection passed to the running callback.
        let c = unsafe { collection.as_mut() }.ok_or_else(|| Failure::null("collection"))?;
        let result = body(c);
        if let Err(f) = &result {
            if c.failure.is_none() {
                c.failure = Some(f.clone());
            }
        }
        result
    })
}

/// Starts a family in `collection`: the samples added next belong to it. `unit` may be NULL
/// or "" for none (it is appended to the name unless already there). A counter's `name`
/// loses a trailing `_total`.
///
/// # Safety
/// `collection` is the one passed to the running callback; the strings are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn fastprom_collection_family(
    collection: *mut fastprom_collection,
    name: *const c_char,
    help: *const c_char,
    metric_type: fastprom_metric_type,
    unit: *const c_char,
) -> fastprom_status {
    collecting(collection, |c| {
        // SAFETY: as the contract says.
        let name = unsafe { string(name, "name") }?;
        let help = unsafe { string(help, "help") }?;
        let unit = if unit.is_null() { "" } else { unsafe { string(unit, "unit") }? };
        let f = match metric_type {
            fastprom_metric_type::FASTPROM_TYPE_COUNTER => MetricFamily::counter(name, help, unit)?,
            t => MetricFamily::new(name, help, t.core(), unit)?,
        };
        c.families.push(f);
        Ok(())
    })
}

/// Adds a sample to the family started last: named after the family plus `suffix` (such
/// as "_total", "_bucket", "_count", "_sum", or "" for the family's own name), with `n`
/// labels (`label_names[i]` = `label_values[i]`; both may be NULL when `n` is 0).
/// `timestamp_ms` is the sample's time in milliseconds since the epoch, or a negative
/// number for none.
///
/// # Safety
/// `collection` is the one passed to the running callback; `suffix` is NULL or a string;
/// the arrays are NULL or hold `n` strings each.
#[no_mangle]
pub unsafe extern "C" fn fastprom_collection_sample(
    collection: *mut fastprom_collection,
    suffix: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n: usize,
    value: f64,
    timestamp_ms: i64,
) -> fastprom_status {
    collecting(collection, |c| {
        // SAFETY: as the contract says.
        let suffix = if suffix.is_null() { "" } else { unsafe { string(suffix, "suffix") }? };
        let names = unsafe { strings(label_names, n, "label_names") }?;
        let values = unsafe { strings(label_values, n, "label_values") }?;
        let family = c.families.last_mut().ok_or_else(|| {
            Failure::new(
                fastprom_status::FASTPROM_INVALID_ARGUMENT,
                "fastprom_collection_sample before any fastprom_collection_family".to_owned(),
            )
        })?;
        for name in &names {
            fastprom::names::validate_label_name(name, fastprom::ValidationScheme::Utf8)?;
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(**n)) {
            return Err(fastprom::Error::DuplicateLabelName { name: (*dup).to_owned() }.into());
        }
        let timestamp = (timestamp_ms >= 0).then(|| Timestamp::Exact {
            sec: i128::from(timestamp_ms / 1000),
            nsec: (timestamp_ms % 1000) * 1_000_000,
        });
        let sample_name = format!("{}{suffix}", family.name);
        let labels = names.iter().zip(&values).map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        family.add_sample(sample_name, labels, value, timestamp, None);
        Ok(())
    })
}

/// Fails this scrape with `message` (such as why the bridged system could not be read):
/// the encoder or exposer reports it. The first failure recorded wins; the callback should
/// then return a status other than `FASTPROM_OK`.
///
/// # Safety
/// `collection` is the one passed to the running callback; `message` is NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn fastprom_collection_fail(
    collection: *mut fastprom_collection,
    message: *const c_char,
) -> fastprom_status {
    run(|| {
        // SAFETY: as the contract says.
        let c = unsafe { collection.as_mut() }.ok_or_else(|| Failure::null("collection"))?;
        let message = unsafe { string(message, "message") }?;
        if c.failure.is_none() {
            c.failure = Some(Failure::new(fastprom_status::FASTPROM_ERROR, message.to_owned()));
        }
        Ok(())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_type_maps() {
        use fastprom_metric_type::*;
        let all = [
            FASTPROM_TYPE_COUNTER,
            FASTPROM_TYPE_GAUGE,
            FASTPROM_TYPE_HISTOGRAM,
            FASTPROM_TYPE_SUMMARY,
            FASTPROM_TYPE_INFO,
            FASTPROM_TYPE_STATESET,
            FASTPROM_TYPE_UNKNOWN,
        ];
        let names: Vec<&str> = all.iter().map(|t| t.core().as_str()).collect();
        assert_eq!(names, ["counter", "gauge", "histogram", "summary", "info", "stateset", "unknown"]);
    }
}
