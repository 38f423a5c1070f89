//! The exposer over HTTPS (rustls) and with a face's own responder: certificates made
//! by rcgen in a temporary directory, a rustls client over a std `TcpStream`.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastprom::expose::encode_text;
use fastprom::{Counter, EscapingScheme, Registry};
use fastprom_net::{Answer, Error, Exposer, ExposerConfig, Request, Responder, TlsConfig, TlsVersion};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use support::{get, parse_answer, PATIENCE};

/// A CA, a server certificate for 127.0.0.1 and `localhost`, and a client certificate,
/// as PEM files in a directory that is removed when dropped.
struct Pki {
    dir: PathBuf,
    ca: CertificateDer<'static>,
    client_chain: Vec<CertificateDer<'static>>,
    client_key: Vec<u8>,
}

impl Pki {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fastprom-net-tls-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("cadir")).expect("temporary directory");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.distinguished_name.push(DnType::CommonName, "fastprom test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server certificate");
        let client_key = KeyPair::generate().expect("client key");
        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        client_params.distinguished_name.push(DnType::CommonName, "scraper");
        let client = client_params.signed_by(&client_key, &ca, &ca_key).expect("client certificate");
        std::fs::write(dir.join("server.pem"), server.pem()).expect("write");
        std::fs::write(dir.join("server.key"), server_key.serialize_pem()).expect("write");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
        std::fs::write(dir.join("cadir").join("one-ca.pem"), ca.pem()).expect("write");
        std::fs::write(dir.join("cadir").join("README"), "not a certificate").expect("write");
        Self {
            dir,
            ca: ca.der().clone(),
            client_chain: vec![client.der().clone()],
            client_key: client_key.serialize_der(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn server(&self) -> TlsConfig {
        TlsConfig::new(self.path("server.pem"), self.path("server.key"))
    }

    /// A rustls client trusting the test CA, with the client certificate when `cert`.
    fn client(&self, cert: bool) -> Arc<rustls::ClientConfig> {
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.clone()).expect("trust the CA");
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let config = if cert {
            let key = PrivateKeyDer::try_from(self.client_key.clone()).expect("client key");
            builder.with_client_auth_cert(self.client_chain.clone(), key).expect("client certificate")
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(config)
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `GET path` over HTTPS; the answer, or the TLS / I/O error.
fn https_get(addr: SocketAddr, client: Arc<rustls::ClientConfig>, path: &str) -> std::io::Result<support::Answer> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(PATIENCE))?;
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    let conn = rustls::ClientConnection::new(client, name).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, &mut tcp);
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // The server may close without close_notify after `Connection: close`.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(parse_answer(&raw))
}

fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let hits = Counter::new("hits", "Hits.").expect("counter");
    registry.register(hits.clone()).expect("register");
    hits.inc_by(7.0).expect("increment");
    registry
}

fn local() -> ExposerConfig {
    ExposerConfig::new("127.0.0.1", 0)
}

#[test]
fn https_scrape_is_the_text_exposition() {
    let pki = Pki::new();
    let registry = registry();
    let exposer = Exposer::start(Arc::clone(&registry), local().tls(pki.server())).expect("start");
    let answer = https_get(exposer.local_addr(), pki.client(false), "/metrics").expect("HTTPS scrape");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, encode_text(&*registry, EscapingScheme::Underscores).expect("encode"));
}

#[test]
fn plain_http_and_silent_clients_on_the_tls_port_stop_nothing() {
    let pki = Pki::new();
    let config = local().tls(pki.server()).header_timeout(Duration::from_millis(500));
    let exposer = Exposer::start(registry(), config).expect("start");
    let addr = exposer.local_addr();
    // Connected and silent: with the handshake in the accept loop this would block every
    // other client until it left.
    let silent: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).expect("connect")).collect();
    let began = Instant::now();
    let answer = https_get(addr, pki.client(false), "/metrics").expect("HTTPS scrape beside silent clients");
    assert_eq!(answer.status, 200);
    assert!(began.elapsed() < Duration::from_millis(450), "the scrape waited for the silent clients");
    // Plain HTTP to the TLS port: a plain 400 that says so, no metrics, and the
    // connection is closed.
    let mut plain = TcpStream::connect(addr).expect("connect");
    plain.set_read_timeout(Some(PATIENCE)).expect("timeout");
    plain.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw);
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 400);
    assert_eq!(answer.text(), "Client sent an HTTP request to an HTTPS server.\n");
    // Bytes that are neither TLS nor HTTP: closed without a word.
    let mut junk = TcpStream::connect(addr).expect("connect");
    junk.set_read_timeout(Some(PATIENCE)).expect("timeout");
    junk.write_all(b"\x00\x01\x02garbage").expect("send");
    let mut raw = Vec::new();
    let _ = junk.read_to_end(&mut raw);
    assert!(raw.is_empty(), "{raw:?}");
    // The silent clients are closed by the header timeout.
    for mut s in silent {
        s.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let mut rest = Vec::new();
        match s.read_to_end(&mut rest) {
            Ok(n) => assert_eq!(n, 0),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        }
    }
    assert_eq!(https_get(addr, pki.client(false), "/").expect("scrape after").status, 200);
}

#[test]
fn client_certificates_when_required() {
    let pki = Pki::new();
    for server in [pki.server().client_ca_file(pki.path("ca.pem")), pki.server().client_ca_dir(pki.path("cadir"))] {
        let exposer = Exposer::start(registry(), local().tls(server.client_auth_required(true))).expect("start");
        let addr = exposer.local_addr();
        assert!(https_get(addr, pki.client(false), "/metrics").is_err(), "a client without a certificate got in");
        let answer = https_get(addr, pki.client(true), "/metrics").expect("scrape with a client certificate");
        assert_eq!(answer.status, 200);
    }
    // A CA given without the requirement: no certificate is asked for.
    let exposer =
        Exposer::start(registry(), local().tls(pki.server().client_ca_file(pki.path("ca.pem")))).expect("start");
    assert_eq!(https_get(exposer.local_addr(), pki.client(false), "/").expect("scrape").status, 200);
}

#[test]
fn tls_versions_are_bounded() {
    let pki = Pki::new();
    let only13 = pki.server().versions(TlsVersion::Tls13, TlsVersion::Tls13);
    let exposer = Exposer::start(registry(), local().tls(only13)).expect("start");
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).expect("trust");
    let tls12 = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    assert!(https_get(exposer.local_addr(), Arc::new(tls12), "/").is_err(), "TLS 1.2 was accepted");
    assert_eq!(https_get(exposer.local_addr(), pki.client(false), "/").expect("TLS 1.3").status, 200);
}

#[test]
fn bad_tls_files_fail_at_start() {
    let pki = Pki::new();
    let cases: [(TlsConfig, &str); 4] = [
        (TlsConfig::new(pki.path("missing.pem"), pki.path("server.key")), "cannot load certificate file"),
        (TlsConfig::new(pki.path("server.pem"), pki.path("ca.pem")), "cannot load private key file"),
        (pki.server().client_ca_file(pki.path("server.key")), "no CA certificate in"),
        (pki.server().versions(TlsVersion::Tls13, TlsVersion::Tls12), "no TLS version"),
    ];
    for (config, expected) in cases {
        match Exposer::start(registry(), local().tls(config)) {
            Err(Error::Tls { reason }) => assert!(reason.contains(expected), "{reason:?} lacks {expected:?}"),
            other => panic!("expected a TLS error with {expected:?}, got {other:?}"),
        }
    }
    // A key that is not the certificate's.
    std::fs::write(pki.path("other.key"), KeyPair::generate().expect("key").serialize_pem()).expect("write");
    match Exposer::start(registry(), local().tls(TlsConfig::new(pki.path("server.pem"), pki.path("other.key")))) {
        Err(Error::Tls { reason }) => assert!(reason.contains("do not fit together"), "{reason}"),
        other => panic!("expected a key mismatch, got {other:?}"),
    }
}

/// Answers with what it was asked, counting the calls.
struct Echo(AtomicUsize);

impl Responder for Echo {
    fn respond(&self, request: &Request<'_>) -> Answer {
        self.0.fetch_add(1, Ordering::SeqCst);
        let body = format!(
            "{} {} {} {:?} {:?}",
            request.method, request.path, request.query, request.accept, request.accept_encoding
        );
        Answer {
            status: if request.method == "DELETE" { 405 } else { 200 },
            headers: vec![("Content-Type".to_owned(), "text/x-echo".to_owned())],
            body: body.into_bytes(),
        }
    }
}

#[test]
fn a_responder_answers_every_request() {
    let echo = Arc::new(Echo(AtomicUsize::new(0)));
    let exposer = Exposer::start(fastprom_net::Source::Responder(echo.clone()), local()).expect("start");
    let addr = exposer.local_addr();
    let answer = get(addr, "/x/y?name[]=a&b=c", &[("Accept", "text/plain"), ("Accept-Encoding", "gzip")]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), "GET /x/y name[]=a&b=c Some(\"text/plain\") Some(\"gzip\")");
    let refused = support::request(addr, "DELETE", "/", &[]);
    assert_eq!(refused.status, 405);
    assert_eq!(refused.text(), "DELETE /  None None");
    assert_eq!(echo.0.load(Ordering::SeqCst), 2);
}

#[test]
fn request_bodies_are_bounded_in_size_and_time() {
    let config = local().body_timeout(Duration::from_millis(300));
    let exposer = Exposer::start(registry(), config).expect("start");
    let addr = exposer.local_addr();
    // Too large: 413, and the connection closes.
    let mut big = TcpStream::connect(addr).expect("connect");
    big.set_read_timeout(Some(PATIENCE)).expect("timeout");
    big.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n").expect("send");
    big.write_all(&vec![b'x'; 70 * 1024]).expect("send part of the body");
    let mut raw = Vec::new();
    let _ = big.read_to_end(&mut raw);
    assert!(raw.starts_with(b"HTTP/1.1 413"), "{:?}", String::from_utf8_lossy(&raw));
    // Too slow: 408.
    let mut slow = TcpStream::connect(addr).expect("connect");
    slow.set_read_timeout(Some(PATIENCE)).expect("timeout");
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc").expect("send");
    let mut raw = Vec::new();
    let _ = slow.read_to_end(&mut raw);
    assert!(raw.starts_with(b"HTTP/1.1 408"), "{:?}", String::from_utf8_lossy(&raw));
    // Huge headers: 431.
    let mut huge = TcpStream::connect(addr).expect("connect");
    huge.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let filler = "a".repeat(100 * 1024);
    let _ = huge.write_all(format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: {filler}\r\n\r\n").as_bytes());
    let mut raw = Vec::new();
    let _ = huge.read_to_end(&mut raw);
    assert!(raw.starts_with(b"HTTP/1.1 431"), "{:?}", String::from_utf8_lossy(&raw[..raw.len().min(200)]));
    // A small body is read and dropped, and the scrape answered.
    let mut small = TcpStream::connect(addr).expect("connect");
    small.set_read_timeout(Some(PATIENCE)).expect("timeout");
    small
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello")
        .expect("send");
    let mut raw = Vec::new();
    small.read_to_end(&mut raw).expect("read");
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 200);
    assert!(answer.text().contains("hits_total 7.0"));
}
