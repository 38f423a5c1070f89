//! Serving a registry on `/metrics` from a background thread, through fastprom-net.

use std::ffi::c_char;
use std::time::Duration;

use fastprom_net::{BasicAuth, Exposer, ExposerConfig, Source, TlsConfig, TlsVersion};

use crate::args::{handle, out, put, string};
use crate::registry::fastprom_registry;
use crate::status::{fastprom_status, run, run_free, Failure};

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
    // SAFETY: as above; no options.
    unsafe { fastprom_exposer_start_with(registry, host, port, std::ptr::null(), out_exposer) }
}

/// The optional settings of an exposer, for `fastprom_exposer_start_with`. A NULL
/// `fastprom_exposer_opts *` (or a zeroed struct) means plain HTTP, no authentication and
/// the defaults below. The strings need only live for the call: files are read then.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fastprom_exposer_opts {
    /// HTTPS: the server's certificate chain (PEM, leaf first). With `key_file`; NULL for
    /// plain HTTP.
    pub cert_file: *const c_char,
    /// HTTPS: the certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: *const c_char,
    /// CA certificates (PEM) for client certificates, or NULL.
    pub client_ca_file: *const c_char,
    /// A directory whose files hold CA certificates (PEM) for client certificates, or
    /// NULL. Every certificate in every file is loaded.
    pub client_ca_dir: *const c_char,
    /// Refuse clients without a certificate one of those CAs (or, with neither given, one
    /// of the system's) signed.
    pub client_auth_required: bool,
    /// The oldest TLS version offered: 12 or 13 (0 for 12). rustls has no 1.0 or 1.1.
    pub tls_min_version: u8,
    /// The newest TLS version offered: 12 or 13 (0 for 13).
    pub tls_max_version: u8,
    /// HTTP Basic user name every request must carry, or NULL for none.
    pub username: *const c_char,
    /// HTTP Basic password (NULL is the empty password).
    pub password: *const c_char,
    /// Connections served at once; 0 for 1024. Each holds a file descriptor of the
    /// process while open.
    pub max_connections: u32,
    /// Scrapes (collector runs, each on a thread of the exposer's) at once; 0 for 4.
    pub max_scrapes: u32,
    /// Milliseconds a client has for the TLS handshake, then for each request's headers
    /// (and may stay idle between requests); 0 for 10 000.
    pub header_timeout_ms: u32,
    /// Milliseconds a client has to send a request body (at most 64 KiB); 0 for 10 000.
    pub body_timeout_ms: u32,
    /// Milliseconds an answer may make no progress before the connection is closed; 0
    /// for 30 000.
    pub write_timeout_ms: u32,
}

fn tls_version(v: u8, default: TlsVersion, what: &str) -> Result<TlsVersion, Failure> {
    match v {
        0 => Ok(default),
        12 => Ok(TlsVersion::Tls12),
        13 => Ok(TlsVersion::Tls13),
        _ => Err(Failure::new(
            fastprom_status::FASTPROM_INVALID_ARGUMENT,
            format!("{what} must be 12 or 13 (TLS 1.2 or 1.3), got {v}"),
        )),
    }
}

/// `config` with what `opts` sets.
///
/// # Safety
/// `opts` is NULL or points to a `fastprom_exposer_opts` whose strings are NULL or
/// NUL-terminated.
unsafe fn configure(mut config: ExposerConfig, opts: *const fastprom_exposer_opts) -> Result<ExposerConfig, Failure> {
    // SAFETY: NULL or readable, by the contract.
    let Some(o) = (unsafe { opts.as_ref() }) else { return Ok(config) };
    // SAFETY (all): NULL or NUL-terminated strings, by the contract.
    let optional = |p: *const c_char, what: &str| -> Result<Option<&str>, Failure> {
        if p.is_null() {
            Ok(None)
        } else {
            unsafe { string(p, what) }.map(Some)
        }
    };
    let ms = |v: u32, default: u64| Duration::from_millis(if v == 0 { default } else { u64::from(v) });
    config = config
        .header_timeout(ms(o.header_timeout_ms, 10_000))
        .body_timeout(ms(o.body_timeout_ms, 10_000))
        .write_timeout(ms(o.write_timeout_ms, 30_000));
    if o.max_connections != 0 {
        config = config.max_connections(o.max_connections as usize);
    }
    if o.max_scrapes != 0 {
        config = config.max_scrapes(o.max_scrapes as usize);
    }
    if let Some(user) = optional(o.username, "opts.username")? {
        config = config.basic_auth(BasicAuth::new(user, optional(o.password, "opts.password")?.unwrap_or("")));
    }
    match (optional(o.cert_file, "opts.cert_file")?, optional(o.key_file, "opts.key_file")?) {
        (Some(cert), Some(key)) => {
            let mut tls = TlsConfig::new(cert, key).client_auth_required(o.client_auth_required).versions(
                tls_version(o.tls_min_version, TlsVersion::Tls12, "opts.tls_min_version")?,
                tls_version(o.tls_max_version, TlsVersion::Tls13, "opts.tls_max_version")?,
            );
            if let Some(file) = optional(o.client_ca_file, "opts.client_ca_file")? {
                tls = tls.client_ca_file(file);
            }
            if let Some(dir) = optional(o.client_ca_dir, "opts.client_ca_dir")? {
                tls = tls.client_ca_dir(dir);
            }
            config = config.tls(tls);
        }
        (None, None) => {
            let tls_only = o.client_auth_required
                || o.tls_min_version != 0
                || o.tls_max_version != 0
                || !o.client_ca_file.is_null()
                || !o.client_ca_dir.is_null();
            if tls_only {
                return Err(Failure::new(
                    fastprom_status::FASTPROM_INVALID_ARGUMENT,
                    "client certificates and TLS versions need opts.cert_file and opts.key_file".to_owned(),
                ));
            }
        }
        _ => {
            return Err(Failure::new(
                fastprom_status::FASTPROM_INVALID_ARGUMENT,
                "opts.cert_file and opts.key_file go together".to_owned(),
            ))
        }
    }
    Ok(config)
}

/// `fastprom_exposer_start` with settings: HTTPS (rustls; TLS 1.2 and 1.3, client
/// certificates), HTTP Basic authentication, and the exposer's limits. The files are read
/// before this returns: one that cannot be read or parsed, or a key that does not fit its
/// certificate, gives `FASTPROM_INVALID_ARGUMENT` with the reason.
///
/// However a client behaves, the exposer keeps answering the others: the TLS handshake runs
/// in the connection's own task under the header timeout, a slow or silent client holds
/// only its own connection until that timeout, and plain HTTP sent to the HTTPS port gets
/// a plain `400`.
///
/// # Safety
/// As `fastprom_exposer_start`; `opts` is NULL or a `fastprom_exposer_opts` as its docs
/// say.
#[no_mangle]
pub unsafe extern "C" fn fastprom_exposer_start_with(
    registry: *const fastprom_registry,
    host: *const c_char,
    port: u16,
    opts: *const fastprom_exposer_opts,
    out_exposer: *mut *mut fastprom_exposer,
) -> fastprom_status {
    run(|| {
        // SAFETY: as above.
        let r = unsafe { handle(registry, "registry") }?;
        let host = unsafe { string(host, "host") }?;
        let o = out(out_exposer, "out")?;
        let config = unsafe { configure(ExposerConfig::new(host, port), opts) }?;
        let exposer = Exposer::start(Source::Registry(r.inner.clone()), config)?;
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
