//! Pushing a registry to a Pushgateway: sent by fastprom-net's HTTP client, or built as a
//! request for callers that bring their own.

use std::ffi::{c_char, CString};
use std::time::Duration;

use fastprom::push::{push_request, Compression, PushMethod, PushRequest};
use fastprom::EscapingScheme;
use fastprom_net::BasicAuth;

use crate::args::{handle, out, put, string, strings};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run, run_free, Failure};

/// How long a push waits for the whole exchange when `timeout_ms` is 0: 30 seconds, as
/// prometheus_client's default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP method of a push: what it does to the group on the gateway.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fastprom_push_method {
    /// `PUT`: replace every metric of the group (prometheus_client's `push_to_gateway`).
    FASTPROM_PUSH_PUT,
    /// `POST`: replace only the metrics with the pushed names (`pushadd_to_gateway`).
    FASTPROM_PUSH_POST,
    /// `DELETE`: delete the group (`delete_from_gateway`).
    FASTPROM_PUSH_DELETE,
}

impl From<fastprom_push_method> for PushMethod {
    fn from(m: fastprom_push_method) -> Self {
        match m {
            fastprom_push_method::FASTPROM_PUSH_PUT => PushMethod::Put,
            fastprom_push_method::FASTPROM_PUSH_POST => PushMethod::Post,
            fastprom_push_method::FASTPROM_PUSH_DELETE => PushMethod::Delete,
        }
    }
}

/// The optional parts of a push. A NULL `fastprom_push_opts *` (or a zeroed struct) means
/// no grouping key beyond the job, no credentials, no compression and a 30 s timeout. The
/// strings need only live for the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fastprom_push_opts {
    /// Grouping-key label names (besides `job`), `n_grouping` of them; NULL when 0.
    pub grouping_names: *const *const c_char,
    /// The grouping key's values, in the order of `grouping_names`.
    pub grouping_values: *const *const c_char,
    /// Number of grouping-key pairs.
    pub n_grouping: usize,
    /// HTTP Basic user name, or NULL for no credentials.
    pub username: *const c_char,
    /// HTTP Basic password (NULL is the empty password).
    pub password: *const c_char,
    /// Longest wait for the whole exchange (connect, send, answer) in milliseconds; 0 for
    /// 30 seconds.
    pub timeout_ms: u32,
    /// Compress the body with gzip (not for `DELETE`).
    pub gzip: bool,
}

/// The parts of `fastprom_push_opts`, read.
struct Opts<'a> {
    grouping: Vec<(&'a str, &'a str)>,
    auth: Option<BasicAuth>,
    timeout: Duration,
    compression: Option<Compression>,
}

/// Reads `opts` (NULL for the defaults).
///
/// # Safety
/// `opts` is NULL or points to a `fastprom_push_opts` whose pointers follow its docs.
unsafe fn read_opts<'a>(opts: *const fastprom_push_opts) -> Result<Opts<'a>, Failure> {
    // SAFETY: NULL or readable, by the contract.
    let Some(o) = (unsafe { opts.as_ref() }) else {
        return Ok(Opts { grouping: Vec::new(), auth: None, timeout: DEFAULT_TIMEOUT, compression: None });
    };
    // SAFETY (all): arrays of `n_grouping` strings and optional strings, by the contract.
    let names = unsafe { strings(o.grouping_names, o.n_grouping, "opts.grouping_names") }?;
    let values = unsafe { strings(o.grouping_values, o.n_grouping, "opts.grouping_values") }?;
    let auth = if o.username.is_null() {
        None
    } else {
        let user = unsafe { string(o.username, "opts.username") }?;
        let pass = if o.password.is_null() { "" } else { unsafe { string(o.password, "opts.password") }? };
        Some(BasicAuth::new(user, pass))
    };
    let timeout = if o.timeout_ms == 0 { DEFAULT_TIMEOUT } else { Duration::from_millis(u64::from(o.timeout_ms)) };
    Ok(Opts {
        grouping: names.into_iter().zip(values).collect(),
        auth,
        timeout,
        compression: o.gzip.then_some(Compression::Gzip),
    })
}

/// Builds the request of a push: the registry's text exposition (none for `DELETE`, where
/// `registry` may be NULL) to `gateway`'s group for `job` and the grouping key.
///
/// # Safety
/// As `fastprom_push`.
unsafe fn build(
    method: fastprom_push_method,
    registry: *const fastprom_registry,
    gateway: *const c_char,
    job: *const c_char,
    opts: &Opts<'_>,
) -> Result<PushRequest, Failure> {
    // SAFETY (all): as the contract says.
    let gateway = unsafe { string(gateway, "gateway") }?;
    let job = unsafe { string(job, "job") }?;
    let body = if method == fastprom_push_method::FASTPROM_PUSH_DELETE {
        Vec::new()
    } else {
        let r = unsafe { handle(registry, "registry") }?;
        fastprom::expose::encode_text(&*r.inner, EscapingScheme::Underscores)?
    };
    Ok(push_request(method.into(), gateway, job, &opts.grouping, body, opts.compression)?)
}

/// Pushes `registry` to the Pushgateway at `gateway` ("host:port", or an `http://` URL)
/// for `job`, and waits for the answer: `FASTPROM_PUSH_PUT` replaces the group,
/// `FASTPROM_PUSH_POST` replaces the pushed names only, `FASTPROM_PUSH_DELETE` deletes the
/// group (`registry` may then be NULL). The request is prometheus_client's, byte for byte.
///
/// Errors: `FASTPROM_IO` when nothing accepts the connection or it breaks off,
/// `FASTPROM_TIMEOUT` when the exchange is not over in time, `FASTPROM_HTTP_STATUS` when
/// the gateway answers outside 2xx (the message holds the status and the gateway's text),
/// `FASTPROM_INVALID_ARGUMENT` for a bad gateway address or grouping key.
///
/// # Safety
/// `registry` is NULL or live; `gateway` and `job` are NULL or NUL-terminated; `opts` is
/// NULL or a `fastprom_push_opts` as its docs say.
#[no_mangle]
pub unsafe extern "C" fn fastprom_push(
    method: fastprom_push_method,
    registry: *const fastprom_registry,
    gateway: *const c_char,
    job: *const c_char,
    opts: *const fastprom_push_opts,
) -> fastprom_status {
    run(|| {
        // SAFETY: as the contract says.
        let o = unsafe { read_opts(opts) }?;
        let request = unsafe { build(method, registry, gateway, job, &o) }?;
        fastprom_net::push::send(&request, o.timeout, o.auth.as_ref())?;
        Ok(())
    })
}

/// A push request for callers that send it with their own HTTP client: every field is
/// owned by the request and freed with `fastprom_push_request_free`.
#[repr(C)]
pub struct fastprom_push_request {
    /// "PUT", "POST" or "DELETE".
    pub method: *const c_char,
    /// The full URL: the gateway, `/metrics/job/<job>` and the escaped grouping key.
    pub url: *const c_char,
    /// Header names (`Content-Type`, then `Content-Encoding` when gzipped, then
    /// `Authorization` with credentials), `n_headers` of them.
    pub header_names: *const *const c_char,
    /// Header values, in the order of `header_names`.
    pub header_values: *const *const c_char,
    /// Number of headers.
    pub n_headers: usize,
    /// The body (not NUL-terminated; empty for `DELETE`).
    pub body: *const u8,
    /// The body's length in bytes.
    pub body_len: usize,
}

/// A request and the storage its pointers point into; `public` first, so the pointer
/// handed out is also a pointer to the whole.
#[repr(C)]
struct OwnedRequest {
    public: fastprom_push_request,
    _url: CString,
    _headers: CHeaders,
    _body: Vec<u8>,
}

/// A request's headers as C strings, and the two arrays of pointers into them that the
/// request structs of the C API hand out (`header_names`, `header_values`). The strings'
/// and the arrays' heap buffers stay put when this moves, so the pointers stay valid as
/// long as it lives.
pub(crate) struct CHeaders {
    _strings: Vec<CString>,
    pub(crate) names: Vec<*const c_char>,
    pub(crate) values: Vec<*const c_char>,
}

impl CHeaders {
    /// `headers`, then `Authorization` with `auth`'s Basic credentials when given.
    pub(crate) fn new(headers: Vec<(String, String)>, auth: Option<&BasicAuth>) -> Result<Self, Failure> {
        let nul = || Failure::new(fastprom_status::FASTPROM_INVALID_ARGUMENT, "a NUL byte in a header");
        let auth = auth.map(|a| ("Authorization".to_owned(), a.header_value()));
        let mut strings = Vec::with_capacity(2 * (headers.len() + 1));
        for (k, v) in headers.into_iter().chain(auth) {
            strings.push(CString::new(k).map_err(|_| nul())?);
            strings.push(CString::new(v).map_err(|_| nul())?);
        }
        let names = strings.iter().step_by(2).map(|s| s.as_ptr()).collect();
        let values = strings.iter().skip(1).step_by(2).map(|s| s.as_ptr()).collect();
        Ok(Self { _strings: strings, names, values })
    }
}

fn c_string(s: String) -> Result<CString, Failure> {
    CString::new(s).map_err(|_| Failure::new(fastprom_status::FASTPROM_INVALID_ARGUMENT, "a NUL byte in the request"))
}

/// Builds the request `fastprom_push` would send (same arguments, same checks; the
/// timeout is the caller's business) and writes it to `*out`; free it with
/// `fastprom_push_request_free`.
///
/// # Safety
/// As `fastprom_push`; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn fastprom_push_request_new(
    method: fastprom_push_method,
    registry: *const fastprom_registry,
    gateway: *const c_char,
    job: *const c_char,
    opts: *const fastprom_push_opts,
    out_request: *mut *mut fastprom_push_request,
) -> fastprom_status {
    run(|| {
        let o_ptr = out(out_request, "out")?;
        // SAFETY: as the contract says.
        let o = unsafe { read_opts(opts) }?;
        let request = unsafe { build(method, registry, gateway, job, &o) }?;
        let url = c_string(request.url)?;
        let headers = CHeaders::new(request.headers, o.auth.as_ref())?;
        let body = request.body;
        let public = fastprom_push_request {
            method: match request.method {
                PushMethod::Put => c"PUT".as_ptr(),
                PushMethod::Post => c"POST".as_ptr(),
                PushMethod::Delete => c"DELETE".as_ptr(),
            },
            url: url.as_ptr(),
            header_names: headers.names.as_ptr(),
            header_values: headers.values.as_ptr(),
            n_headers: headers.names.len(),
            body: body.as_ptr(),
            body_len: body.len(),
        };
        let owned = Box::new(OwnedRequest { public, _url: url, _headers: headers, _body: body });
        // SAFETY: `o_ptr` is checked and writable; the cast is to the first field of a
        // repr(C) struct.
        unsafe { put(o_ptr, Box::into_raw(owned).cast::<fastprom_push_request>()) };
        Ok(())
    })
}

/// Frees a request from `fastprom_push_request_new`. NULL is accepted and ignored.
///
/// # Safety
/// `request` is NULL or a request not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fastprom_push_request_free(request: *mut fastprom_push_request) {
    if request.is_null() {
        return;
    }
    run_free(|| {
        // SAFETY: made by `fastprom_push_request_new` as an `OwnedRequest`, freed once.
        drop(unsafe { Box::from_raw(request.cast::<OwnedRequest>()) });
    });
}
