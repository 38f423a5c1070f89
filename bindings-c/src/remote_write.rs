//! Remote write from C: `fastprom_remote_write` sends a registry to a receiver now
//! (through fastprom-net), `fastprom_remote_write_request_new` builds the requests for
//! callers with their own HTTP client.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use fastprom::clock::Clock as _;
use fastprom::remote_write::{build, RemoteWriteConfig};
use fastprom_net::remote_write::{remote_write, request_headers, RemoteWriteOptions};
use fastprom_net::BasicAuth;

use crate::args::{handle, out, put, string, strings};
use crate::push::CHeaders;
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run, run_free, Failure};

/// The optional parts of a remote write. A NULL `fastprom_remote_write_opts *` (or a
/// zeroed struct) means no external labels, no extra headers, no credentials, metadata
/// and `_created` series sent, requests of at most 1 MiB, a 30 s timeout and the usual CAs
/// for `https`. The strings need only live for the call (a sender copies what it keeps).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fastprom_remote_write_opts {
    /// Labels added to every series that lacks them (such as `instance`), `n_external_labels`
    /// names; NULL when 0.
    pub external_label_names: *const *const c_char,
    /// Their values, in the order of `external_label_names`.
    pub external_label_values: *const *const c_char,
    /// Number of external labels.
    pub n_external_labels: usize,
    /// Extra request headers (such as `X-Scope-OrgID`), `n_headers` names; NULL when 0.
    pub header_names: *const *const c_char,
    /// Their values, in the order of `header_names`.
    pub header_values: *const *const c_char,
    /// Number of extra headers.
    pub n_headers: usize,
    /// HTTP Basic user name, or NULL for none.
    pub username: *const c_char,
    /// HTTP Basic password (NULL is the empty password).
    pub password: *const c_char,
    /// A bearer token (`Authorization: Bearer ...`), or NULL; not with `username`.
    pub bearer_token: *const c_char,
    /// Longest wait for each request's whole exchange, in milliseconds; 0 for 30 seconds.
    pub timeout_ms: u32,
    /// Leave out the per-family metadata.
    pub no_metadata: bool,
    /// Leave out `_created` series.
    pub no_created: bool,
    /// The most protobuf bytes per request before compression; 0 for 1 MiB.
    pub max_request_bytes: usize,
    /// A PEM file of one or more CA certificates that an `https` receiver's certificate
    /// must chain to, instead of the usual roots (Mozilla's, built in); NULL for those.
    /// Read when the request is sent (or the sender made): a file that cannot be read or
    /// holds no usable certificate gives `FASTPROM_INVALID_ARGUMENT`. Not used by
    /// `fastprom_remote_write_request_new`.
    pub ca_file: *const c_char,
}

/// The options, read.
pub(crate) struct Opts {
    /// How the requests are built.
    pub(crate) config: RemoteWriteConfig,
    /// How they are sent.
    pub(crate) net: RemoteWriteOptions,
}

/// Reads `opts` (NULL for the defaults).
///
/// # Safety
/// `opts` is NULL or points to a `fastprom_remote_write_opts` whose pointers follow its
/// docs.
pub(crate) unsafe fn read_opts(opts: *const fastprom_remote_write_opts) -> Result<Opts, Failure> {
    let mut config = RemoteWriteConfig::new();
    let mut net = RemoteWriteOptions::default();
    // SAFETY: NULL or readable, by the contract.
    let Some(o) = (unsafe { opts.as_ref() }) else { return Ok(Opts { config, net }) };
    // SAFETY (all): arrays of strings and optional strings, by the contract.
    let names = unsafe { strings(o.external_label_names, o.n_external_labels, "opts.external_label_names") }?;
    let values = unsafe { strings(o.external_label_values, o.n_external_labels, "opts.external_label_values") }?;
    config = config.external_labels(names.into_iter().zip(values).collect::<Vec<_>>());
    let names = unsafe { strings(o.header_names, o.n_headers, "opts.header_names") }?;
    let values = unsafe { strings(o.header_values, o.n_headers, "opts.header_values") }?;
    net.headers = names.into_iter().zip(values).map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    if !o.username.is_null() {
        let user = unsafe { string(o.username, "opts.username") }?;
        let pass = if o.password.is_null() { "" } else { unsafe { string(o.password, "opts.password") }? };
        net.basic_auth = Some(BasicAuth::new(user, pass));
    }
    if !o.bearer_token.is_null() && !o.username.is_null() {
        return Err(Failure::new(
            fastprom_status::FASTPROM_INVALID_ARGUMENT,
            "opts.username and opts.bearer_token exclude each other",
        ));
    }
    if !o.bearer_token.is_null() {
        net.bearer_token = Some(unsafe { string(o.bearer_token, "opts.bearer_token") }?.to_owned());
    }
    if o.timeout_ms != 0 {
        net.timeout = Duration::from_millis(u64::from(o.timeout_ms));
    }
    if !o.ca_file.is_null() {
        net.ca_file = Some(PathBuf::from(unsafe { string(o.ca_file, "opts.ca_file") }?));
    }
    config = config.metadata(!o.no_metadata).created(!o.no_created);
    if o.max_request_bytes != 0 {
        config = config.max_request_bytes(o.max_request_bytes);
    }
    Ok(Opts { config, net })
}

fn now_ms() -> i64 {
    (fastprom::clock::SystemClock.now() * 1000.0) as i64
}

/// Sends everything `registry` collects now to the remote-write receiver at `url` (such
/// as "http://prometheus:9090/api/v1/write"): sorted, unique series stamped with the
/// current time, in protobuf `WriteRequest`s compressed with snappy, POSTed in turn. The
/// number of series sent goes to `*out_series` (NULL to not keep it).
///
/// Errors: as `fastprom_push`'s (`FASTPROM_IO` when nothing accepts the connection or the
/// exchange breaks off, a receiver's certificate that `opts.ca_file` or the usual CAs do
/// not vouch for included; `FASTPROM_TIMEOUT`; `FASTPROM_HTTP_STATUS` with the receiver's
/// answer in the message for anything outside 2xx: a 5xx or 429 is worth retrying later,
/// another 4xx is not), and `FASTPROM_INVALID_ARGUMENT` for an `opts.ca_file` that cannot
/// be used. The requests before a failure were sent. `fastprom_remote_write_sender_new`
/// sends in the background and retries for you.
///
/// # Safety
/// `registry` is NULL or live; `url` is NULL or NUL-terminated; `opts` is NULL or a
/// `fastprom_remote_write_opts` as its docs say; `out_series` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write(
    registry: *const fastprom_registry,
    url: *const c_char,
    opts: *const fastprom_remote_write_opts,
    out_series: *mut usize,
) -> fastprom_status {
    run(|| {
        // SAFETY (all): as the contract says.
        let r = unsafe { handle(registry, "registry") }?;
        let url = unsafe { string(url, "url") }?;
        let o = unsafe { read_opts(opts) }?;
        let series = remote_write(&*r.inner, url, now_ms(), &o.config, &o.net)?;
        if !out_series.is_null() {
            // SAFETY: non-NULL and writable by the contract.
            unsafe { put(out_series, series) };
        }
        Ok(())
    })
}

/// The requests `fastprom_remote_write` would send, for callers with their own HTTP client:
/// POST each body with every header. Owned by the request; free it with
/// `fastprom_remote_write_request_free`.
#[repr(C)]
pub struct fastprom_remote_write_request {
    /// Header names (`Content-Encoding`, `Content-Type`,
    /// `X-Prometheus-Remote-Write-Version`, `User-Agent`, the extra ones, then
    /// `Authorization` with credentials), `n_headers` of them.
    pub header_names: *const *const c_char,
    /// Header values, in the order of `header_names`.
    pub header_values: *const *const c_char,
    /// Number of headers.
    pub n_headers: usize,
    /// The bodies (snappy-compressed protobuf, not NUL-terminated), `n_bodies` of them.
    pub bodies: *const *const u8,
    /// Each body's length in bytes.
    pub body_lens: *const usize,
    /// How many series each body holds.
    pub body_series: *const usize,
    /// Number of bodies (0 for an empty registry).
    pub n_bodies: usize,
}

/// A request and the storage its pointers point into; `public` first.
#[repr(C)]
struct OwnedRequest {
    public: fastprom_remote_write_request,
    _headers: CHeaders,
    _bodies: Vec<Vec<u8>>,
    _body_ptrs: Vec<*const u8>,
    _lens: Vec<usize>,
    _series: Vec<usize>,
}

/// Builds the requests `fastprom_remote_write` would send and writes them to `*out`; free
/// them with `fastprom_remote_write_request_free`.
///
/// # Safety
/// `registry` is NULL or live; `opts` as for `fastprom_remote_write`; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write_request_new(
    registry: *const fastprom_registry,
    opts: *const fastprom_remote_write_opts,
    out_request: *mut *mut fastprom_remote_write_request,
) -> fastprom_status {
    run(|| {
        let o_ptr = out(out_request, "out")?;
        // SAFETY (all): as the contract says.
        let r = unsafe { handle(registry, "registry") }?;
        let o = unsafe { read_opts(opts) }?;
        let built = build(&*r.inner, now_ms(), &o.config)?;
        let headers = CHeaders::new(request_headers(&o.net), o.net.basic_auth.as_ref())?;
        // Vecs keep their heap buffers when the Vecs holding them move.
        let series: Vec<usize> = built.iter().map(|b| b.series).collect();
        let bodies: Vec<Vec<u8>> = built.into_iter().map(|b| b.body).collect();
        let body_ptrs: Vec<*const u8> = bodies.iter().map(|b| b.as_ptr()).collect();
        let lens: Vec<usize> = bodies.iter().map(Vec::len).collect();
        let public = fastprom_remote_write_request {
            header_names: headers.names.as_ptr(),
            header_values: headers.values.as_ptr(),
            n_headers: headers.names.len(),
            bodies: body_ptrs.as_ptr(),
            body_lens: lens.as_ptr(),
            body_series: series.as_ptr(),
            n_bodies: bodies.len(),
        };
        let owned = Box::new(OwnedRequest {
            public,
            _headers: headers,
            _bodies: bodies,
            _body_ptrs: body_ptrs,
            _lens: lens,
            _series: series,
        });
        // SAFETY: `o_ptr` is checked and writable; the cast is to the first field of a
        // repr(C) struct.
        unsafe { put(o_ptr, Box::into_raw(owned).cast::<fastprom_remote_write_request>()) };
        Ok(())
    })
}

/// Frees requests from `fastprom_remote_write_request_new`. NULL is accepted and ignored.
///
/// # Safety
/// `request` is NULL or a request not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fastprom_remote_write_request_free(request: *mut fastprom_remote_write_request) {
    if request.is_null() {
        return;
    }
    run_free(|| {
        // SAFETY: made by `fastprom_remote_write_request_new` as an `OwnedRequest`, freed once.
        drop(unsafe { Box::from_raw(request.cast::<OwnedRequest>()) });
    });
}
