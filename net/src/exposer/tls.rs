//! HTTPS for the exposer, on rustls (the `ring` provider): a server certificate and key
//! from PEM files, and optionally client certificates checked against CAs from a PEM file,
//! every certificate found in a directory, or the system's store.
//!
//! The handshake runs in the connection's own task under the header timeout, so a client
//! that connects and sends nothing (or speaks plain HTTP to the TLS port) holds only its
//! own connection, never the accept loop.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::{Error, Result};

/// A TLS protocol version. rustls speaks 1.2 and 1.3 only; 1.0 and 1.1 are not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// What an HTTPS exposer presents and asks of its clients.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    cert_file: PathBuf,
    key_file: PathBuf,
    client_ca_file: Option<PathBuf>,
    client_ca_dir: Option<PathBuf>,
    client_auth_required: bool,
    min_version: TlsVersion,
    max_version: TlsVersion,
}

impl TlsConfig {
    /// The server's certificate chain (`cert_file`, PEM, leaf first) and its private key
    /// (`key_file`, PEM: PKCS#8, PKCS#1 or SEC1). TLS 1.2 and 1.3; no client certificates.
    pub fn new(cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        Self {
            cert_file: cert_file.into(),
            key_file: key_file.into(),
            client_ca_file: None,
            client_ca_dir: None,
            client_auth_required: false,
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
        }
    }

    /// CA certificates (PEM) that client certificates are checked against.
    pub fn client_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_ca_file = Some(path.into());
        self
    }

    /// A directory whose files hold CA certificates (PEM) for client certificates: every
    /// certificate in every regular file is loaded (files without one are skipped).
    pub fn client_ca_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_ca_dir = Some(path.into());
        self
    }

    /// Refuse clients without a certificate that one of the CAs signed (with neither a
    /// file nor a directory given: the system's CAs). Off by default: no client
    /// certificate is asked for.
    pub fn client_auth_required(mut self, required: bool) -> Self {
        self.client_auth_required = required;
        self
    }

    /// The protocol versions offered, `min` to `max`.
    pub fn versions(mut self, min: TlsVersion, max: TlsVersion) -> Self {
        self.min_version = min;
        self.max_version = max;
        self
    }

    /// The rustls configuration: reads and checks every file now, so a missing file or a
    /// key that does not match the certificate is an [`Error::Tls`] at start.
    pub(crate) fn build(&self) -> Result<Arc<ServerConfig>> {
        // ring rather than aws-lc-rs: it builds with no cmake, also for the Zig-linked
        // manylinux wheels. rustls 0.23.48 deprecates it for lacking post-quantum key
        // exchange; the classical suites it offers are the ones scrapers speak.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: Vec<&'static rustls::SupportedProtocolVersion> =
            [(TlsVersion::Tls12, &rustls::version::TLS12), (TlsVersion::Tls13, &rustls::version::TLS13)]
                .into_iter()
                .filter(|(v, _)| (self.min_version..=self.max_version).contains(v))
                .map(|(_, v)| v)
                .collect();
        if versions.is_empty() {
            return Err(tls_error(format!("no TLS version between {:?} and {:?}", self.min_version, self.max_version)));
        }
        let certs = read_certs(&self.cert_file)
            .map_err(|e| tls_error(format!("cannot load certificate file {}: {e}", self.cert_file.display())))?;
        if certs.is_empty() {
            return Err(tls_error(format!("no certificate in {}", self.cert_file.display())));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key_file)
            .map_err(|e| tls_error(format!("cannot load private key file {}: {e}", self.key_file.display())))?;
        let roots = self.client_roots()?;
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions)
            .map_err(|e| tls_error(e.to_string()))?;
        let builder = match roots {
            Some(roots) if self.client_auth_required => {
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| tls_error(format!("cannot check client certificates: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            _ => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| tls_error(format!("the certificate and its private key do not fit together: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The CAs for client certificates: the file's and the directory's when given (each
    /// must hold at least one), else the system's when client certificates are required.
    fn client_roots(&self) -> Result<Option<RootCertStore>> {
        let mut roots = RootCertStore::empty();
        if self.client_ca_file.is_none() && self.client_ca_dir.is_none() {
            if !self.client_auth_required {
                return Ok(None);
            }
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(tls_error("no CA certificate in the system's store".to_owned()));
            }
            return Ok(Some(roots));
        }
        if let Some(file) = &self.client_ca_file {
            let certs = read_certs(file)
                .map_err(|e| tls_error(format!("cannot load CA certificate file {}: {e}", file.display())))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(tls_error(format!("no CA certificate in {}", file.display())));
            }
        }
        if let Some(dir) = &self.client_ca_dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| tls_error(format!("cannot read CA directory {}: {e}", dir.display())))?;
            let mut added = 0;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    if let Ok(certs) = read_certs(&path) {
                        added += roots.add_parsable_certificates(certs).0;
                    }
                }
            }
            if added == 0 && self.client_ca_file.is_none() {
                return Err(tls_error(format!("no CA certificate in the files of {}", dir.display())));
            }
        }
        Ok(Some(roots))
    }
}

fn tls_error(reason: String) -> Error {
    Error::Tls { reason }
}

/// Every certificate of a PEM file.
fn read_certs(path: &Path) -> std::result::Result<Vec<CertificateDer<'static>>, rustls::pki_types::pem::Error> {
    CertificateDer::pem_file_iter(path)?.collect()
}

/// The CA certificates of a PEM file, for a client that trusts them instead of the usual
/// roots: every certificate in the file, each one rustls can use as a trust anchor. A file
/// that cannot be read, holds no certificate, or holds one that is not usable is an
/// [`Error::Tls`] naming the file.
#[cfg(all(feature = "remote-write", feature = "push-tls"))]
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs =
        read_certs(path).map_err(|e| tls_error(format!("cannot load CA certificate file {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(tls_error(format!("no certificate in the CA file {}", path.display())));
    }
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        roots.add(cert.clone()).map_err(|e| {
            tls_error(format!("certificate {} of the CA file {} cannot be used: {e}", i + 1, path.display()))
        })?;
    }
    Ok(certs)
}
