//! Encoding a registry as Prometheus text (0.0.4) or OpenMetrics (1.0.0), into a buffer
//! fastprom allocates or into the caller's own.

use std::ffi::{c_char, CString};

use fastprom::{expose, EscapingScheme};

use crate::args::{handle, out, put, string};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run, Failure};

#[derive(Clone, Copy)]
enum Format {
    Text,
    OpenMetrics,
    Json,
}

fn encode(registry: &fastprom_registry, format: Format) -> Result<Vec<u8>, Failure> {
    let r = &*registry.inner;
    Ok(match format {
        Format::Text => expose::encode_text(r, EscapingScheme::Underscores)?,
        Format::OpenMetrics => expose::encode_openmetrics(r, EscapingScheme::Underscores, "1.0.0")?,
        Format::Json => {
            let families = fastprom::Collector::collect(r)?;
            serde_json::to_vec(&families)
                .map_err(|e| Failure::new(fastprom_status::FASTPROM_ERROR, format!("cannot write JSON: {e}")))?
        }
    })
}

/// # Safety
/// As `fastprom_registry_encode_text`.
unsafe fn owned(
    registry: *const fastprom_registry,
    format: Format,
    out_buf: *mut *mut c_char,
    out_len: *mut usize,
) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or live.
        let r = unsafe { handle(registry, "registry") }?;
        let (b, l) = (out(out_buf, "out")?, out(out_len, "len")?);
        let mut bytes = encode(r, format)?;
        let len = bytes.len();
        bytes.push(0);
        let p = Box::into_raw(bytes.into_boxed_slice()) as *mut c_char;
        // SAFETY: both checked and writable.
        unsafe {
            put(b, p);
            put(l, len);
        }
        Ok(())
    })
}

/// # Safety
/// As `fastprom_registry_encode_text_into`.
unsafe fn into(
    registry: *const fastprom_registry,
    format: Format,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> fastprom_status {
    run(|| {
        // SAFETY: NULL or live.
        let r = unsafe { handle(registry, "registry") }?;
        let n = out(needed, "needed")?;
        if buf.is_null() && cap > 0 {
            return Err(Failure::null("buf"));
        }
        let bytes = encode(r, format)?;
        let size = bytes.len() + 1;
        // SAFETY: checked and writable.
        unsafe { put(n, size) };
        if size > cap {
            return Err(Failure::new(
                fastprom_status::FASTPROM_BUFFER_TOO_SMALL,
                format!("the exposition needs {size} bytes, the buffer has {cap}"),
            ));
        }
        // SAFETY: `buf` holds `cap >= size` bytes by the caller's contract.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len());
            buf.add(bytes.len()).write(0);
        }
        Ok(())
    })
}

/// Encodes the registry in the Prometheus text format 0.0.4 into a new buffer: writes its
/// address to `*out` and its length in bytes to `*len`. The text is also NUL-terminated
/// (the NUL is not counted in `*len`). The caller owns the buffer and frees it with
/// `fastprom_buffer_free(*out, *len)`.
///
/// # Safety
/// `registry` is NULL or live; `out` and `len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_encode_text(
    registry: *const fastprom_registry,
    out: *mut *mut c_char,
    len: *mut usize,
) -> fastprom_status {
    // SAFETY: as above.
    unsafe { owned(registry, Format::Text, out, len) }
}

/// As `fastprom_registry_encode_text`, in OpenMetrics 1.0.0 (ending in `# EOF`).
///
/// # Safety
/// As `fastprom_registry_encode_text`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_encode_openmetrics(
    registry: *const fastprom_registry,
    out: *mut *mut c_char,
    len: *mut usize,
) -> fastprom_status {
    // SAFETY: as above.
    unsafe { owned(registry, Format::OpenMetrics, out, len) }
}

/// Writes the registry's families as JSON data into a new buffer, as
/// `fastprom_registry_encode_text` does (free it with `fastprom_buffer_free`): an array of
/// families, each `{"name", "help", "metric_type", "unit", "samples"}`, each sample
/// `{"name", "labels": [[name, value], ...], "value", "timestamp", "exemplar",
/// "native_histogram"}` (null where absent). JSON has no NaN or infinities: such values
/// are written as null.
///
/// # Safety
/// As `fastprom_registry_encode_text`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_encode_json(
    registry: *const fastprom_registry,
    out: *mut *mut c_char,
    len: *mut usize,
) -> fastprom_status {
    // SAFETY: as above.
    unsafe { owned(registry, Format::Json, out, len) }
}

/// Encodes the registry in the Prometheus text format 0.0.4 into the caller's buffer `buf`
/// of `cap` bytes, NUL-terminated, in the manner of snprintf. Writes to `*needed` the size
/// the text takes with its NUL (so the text's length is `*needed - 1`). When `cap` is less
/// than that, it returns `FASTPROM_BUFFER_TOO_SMALL` and leaves `buf` untouched: allocate
/// `*needed` bytes and call again (a registry that grew in between may need more).
/// `buf` may be NULL when `cap` is 0, to ask for the size.
///
/// # Safety
/// `registry` is NULL or live; `buf` is NULL or writable for `cap` bytes; `needed` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_encode_text_into(
    registry: *const fastprom_registry,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> fastprom_status {
    // SAFETY: as above.
    unsafe { into(registry, Format::Text, buf, cap, needed) }
}

/// As `fastprom_registry_encode_text_into`, in OpenMetrics 1.0.0.
///
/// # Safety
/// As `fastprom_registry_encode_text_into`.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_encode_openmetrics_into(
    registry: *const fastprom_registry,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> fastprom_status {
    // SAFETY: as above.
    unsafe { into(registry, Format::OpenMetrics, buf, cap, needed) }
}

/// Encodes the registry in the format an HTTP `Accept` header asks for (`accept` may be
/// NULL for no header), chosen as prometheus_client does: OpenMetrics when asked for,
/// otherwise the Prometheus text format. Writes the exposition to `*out` and `*len` as
/// `fastprom_registry_encode_text` does (free it with `fastprom_buffer_free`), and the
/// `Content-Type` to send with it to `*content_type`, a NUL-terminated string the caller
/// frees with `fastprom_string_free`.
///
/// # Safety
/// `registry` is NULL or live; `accept` is NULL or a NUL-terminated string; `out`, `len`
/// and `content_type` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_registry_encode(
    registry: *const fastprom_registry,
    accept: *const c_char,
    out: *mut *mut c_char,
    len: *mut usize,
    content_type: *mut *mut c_char,
) -> fastprom_status {
    let (out_buf, out_len, out_type) = (out, len, content_type);
    run(|| {
        // SAFETY: as above.
        let r = unsafe { handle(registry, "registry") }?;
        let accept = if accept.is_null() { None } else { Some(unsafe { string(accept, "accept") }?) };
        let (b, l, t) = (
            crate::args::out(out_buf, "out")?,
            crate::args::out(out_len, "len")?,
            crate::args::out(out_type, "content_type")?,
        );
        let how = expose::negotiate(accept);
        let mut bytes = expose::encode(&*r.inner, &how)?;
        let ctype = CString::new(how.content_type)
            .map_err(|_| Failure::new(fastprom_status::FASTPROM_ERROR, "the content type holds a NUL byte"))?;
        let n = bytes.len();
        bytes.push(0);
        // SAFETY: all three checked and writable.
        unsafe {
            put(b, Box::into_raw(bytes.into_boxed_slice()) as *mut c_char);
            put(l, n);
            put(t, ctype.into_raw());
        }
        Ok(())
    })
}

/// Frees a string fastprom returned for the caller to own (such as the content type of
/// `fastprom_registry_encode`). NULL is accepted and ignored.
///
/// # Safety
/// `s` is NULL or such a string, freed once.
#[no_mangle]
pub unsafe extern "C" fn fastprom_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: made by `CString::into_raw`, freed once.
    crate::status::run_free(|| drop(unsafe { CString::from_raw(s) }));
}

/// Frees a buffer from `fastprom_registry_encode_text`,
/// `fastprom_registry_encode_openmetrics`, `fastprom_registry_encode_json` or
/// `fastprom_registry_encode`, given the length
/// that call wrote. NULL is accepted and ignored.
///
/// # Safety
/// `buf` is NULL or a buffer from those functions, freed once, and `len` is its length.
#[no_mangle]
pub unsafe extern "C" fn fastprom_buffer_free(buf: *mut c_char, len: usize) {
    if buf.is_null() {
        return;
    }
    crate::status::run_free(|| {
        // SAFETY: allocated as a boxed slice of `len + 1` bytes (the text and its NUL).
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buf.cast::<u8>(), len + 1)) });
    });
}
