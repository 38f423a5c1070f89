//! Pushgateway requests, built exactly as prometheus_client 0.26.0's `push_to_gateway`,
//! `pushadd_to_gateway` and `delete_from_gateway` build them (its `_use_gateway`), without
//! doing any I/O: [`push_request`] returns the method, URL, headers and body, and the caller
//! sends them with whatever HTTP client it has.

use std::borrow::Cow;
#[cfg(feature = "gzip")]
use std::io::Write;

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;

use crate::error::{Error, Result};

/// `Content-Type` of every Pushgateway request: the Prometheus text format 0.0.4
/// (prometheus_client's `CONTENT_TYPE_PLAIN_0_0_4`).
const CONTENT_TYPE_PLAIN_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The HTTP method of a Pushgateway request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMethod {
    /// `PUT`: replace every metric of the group (prometheus_client's `push_to_gateway`).
    Put,
    /// `POST`: replace only the pushed metric names (`pushadd_to_gateway`).
    Post,
    /// `DELETE`: delete the group (`delete_from_gateway`).
    Delete,
}

impl PushMethod {
    /// The method name as sent on the wire: `"PUT"`, `"POST"` or `"DELETE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

/// Compression of a pushed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`Content-Encoding: gzip`).
    Gzip,
}

impl Compression {
    /// Parses prometheus_client's `compression=` argument. `"gzip"` in any letter case is
    /// [`Compression::Gzip`]; anything else is
    /// `Error::InvalidArgument("Unsupported compression type: <name>")`, with `name` as given.
    ///
    /// **Deviation from Python:** prometheus_client also accepts `"snappy"` (compressing with
    /// the optional python-snappy package, or raising `RuntimeError` without it); fastprom has
    /// no snappy support and rejects it like any other unknown name.
    pub fn from_name(name: &str) -> Result<Self> {
        // Python compares `name.lower()` with "gzip"; no non-ASCII character lowercases to one
        // ASCII letter of "gzip", so ASCII case folding is exact.
        if name.eq_ignore_ascii_case("gzip") {
            Ok(Self::Gzip)
        } else {
            Err(Error::InvalidArgument(format!("Unsupported compression type: {name}")))
        }
    }

    /// The `Content-Encoding` value: `"gzip"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
        }
    }
}

/// A Pushgateway HTTP request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    /// The HTTP method.
    pub method: PushMethod,
    /// The full URL: gateway, then `/metrics/job/<job>` and the grouping key.
    pub url: String,
    /// Request headers as (name, value) pairs, in prometheus_client's order:
    /// `Content-Type`, then `Content-Encoding` when the body is compressed.
    pub headers: Vec<(String, String)>,
    /// The request body: the (possibly compressed) exposition, empty for `DELETE`.
    pub body: Vec<u8>,
}

/// The URL path for a job and grouping key, as prometheus_client builds it:
/// `/metrics/job/<job>` followed by `/<name>/<value>` for each grouping key entry, entries
/// sorted by name (Unicode code point order, as Python sorts `dict` items).
///
/// Each value is escaped as prometheus_client's `_escape_grouping_key` escapes it:
///
/// * the empty value becomes `<name>@base64/=`;
/// * a value containing `/` or a space becomes `<name>@base64/<value in URL-safe base64, with
///   padding>`;
/// * any other value is percent-encoded as `urllib.parse.quote_plus(value, safe='')`: UTF-8,
///   every byte except ASCII letters, digits and `_.-~` as `%XX` with uppercase hex.
///
/// Names are inserted unescaped, as in Python. The job is escaped like a value under the name
/// `job`. `grouping_key` is read as Python reads a `dict` built from these pairs: when a name
/// repeats, its last value wins. No name is rejected here (not even `job`);
/// [`push_request`] validates the grouping key.
pub fn grouping_key_path(job: &str, grouping_key: &[(&str, &str)]) -> String {
    let items = dict_items_sorted(grouping_key);
    let len = METRICS.len() + escaped_len("job", job) + items.iter().map(|&(k, v)| escaped_len(k, v)).sum::<usize>();
    let mut path = String::with_capacity(len);
    push_path(&mut path, job, &items);
    path
}

/// Builds the Pushgateway request that prometheus_client's `_use_gateway` would send.
///
/// * URL: `gateway`, prefixed with `http://` unless `urllib.parse.urlparse` would see an
///   `http` or `https` scheme in it (any letter case, after urlparse's removal of leading
///   C0 controls and spaces and of tabs and newlines), with trailing `/`s removed, then
///   [`grouping_key_path`]`(job, grouping_key)`.
/// * `PUT` / `POST`: `body` is the already encoded Prometheus text 0.0.4 exposition (the
///   caller encodes it); headers `Content-Type: text/plain; version=0.0.4; charset=utf-8`,
///   plus `Content-Encoding: gzip` with a gzip-compressed body when `compression` is
///   [`Compression::Gzip`]. An uncompressed body is moved into the request, not copied.
/// * `DELETE`: the same `Content-Type` header and an empty body (`body` is dropped);
///   `compression` must be `None`, otherwise
///   `Error::InvalidArgument("Compression is not supported for DELETE requests.")`.
///
/// Errors, all [`Error::InvalidArgument`]:
///
/// * `"Invalid IPv6 URL"` when `gateway` has a `//` network location whose `[` and `]` do not
///   pair up, as `urlparse` raises.
/// * The `DELETE` compression error above.
/// * Checks prometheus_client does **not** make (it would build a URL anyway): an empty
///   `gateway` (Python would send to `http:/metrics/...`); a grouping key name equal to `job`
///   (Python would build `/metrics/job/<job>/job/<value>`); a grouping key name given twice
///   (a Python `dict` cannot hold it).
///
/// **Other deviations from Python:** the gzip stream is not byte-identical to Python's
/// `gzip.compress` (which stamps the current time; fastprom writes a zero mtime, and its
/// pure-Rust deflate may choose different blocks at the same level 9); both decompress to
/// the same body. `urlparse`'s other `ValueError`s (an invalid address inside `[...]`, a
/// non-ASCII network location that changes under NFKC normalization) are not reproduced:
/// such gateways are used as given.
///
/// ```
/// use fastprom::push::{push_request, PushMethod};
/// use fastprom::{expose, Gauge, EscapingScheme, Registry};
///
/// let registry = Registry::new();
/// let last = Gauge::new("job_last_success_unixtime", "Last time the batch job succeeded.")?;
/// registry.register(last.clone())?;
/// last.set(1.7e9);
/// let body = expose::encode_text(&registry, EscapingScheme::Underscores)?;
/// let req = push_request(PushMethod::Put, "localhost:9091", "batchA", &[("instance", "worker 1")], body, None)?;
/// assert_eq!(req.url, "http://localhost:9091/metrics/job/batchA/instance@base64/d29ya2VyIDE=");
/// assert_eq!(req.headers[0].0, "Content-Type");
/// # Ok::<(), fastprom::Error>(())
/// ```
pub fn push_request(
    method: PushMethod,
    gateway: &str,
    job: &str,
    grouping_key: &[(&str, &str)],
    body: Vec<u8>,
    compression: Option<Compression>,
) -> Result<PushRequest> {
    if gateway.is_empty() {
        return Err(Error::InvalidArgument("Pushgateway address must not be empty".to_owned()));
    }
    let parsed = parse_gateway(gateway);
    if parsed.invalid_ipv6 {
        return Err(Error::InvalidArgument("Invalid IPv6 URL".to_owned()));
    }
    check_grouping_key(grouping_key)?;
    if method == PushMethod::Delete && compression.is_some() {
        return Err(Error::InvalidArgument("Compression is not supported for DELETE requests.".to_owned()));
    }

    // `gateway = f'http://{gateway}'` unless http(s), then `gateway.rstrip('/')`.
    let trimmed = gateway.trim_end_matches('/');
    let (prefix, base) = match (parsed.http_scheme, trimmed.is_empty()) {
        (true, _) => ("", trimmed),
        // "http://" + "///" rstripped eats into the prefix's own slashes.
        (false, true) => ("http:", ""),
        (false, false) => ("http://", trimmed),
    };
    let items = dict_items_sorted(grouping_key);
    let len = prefix.len()
        + base.len()
        + METRICS.len()
        + escaped_len("job", job)
        + items.iter().map(|&(k, v)| escaped_len(k, v)).sum::<usize>();
    let mut url = String::with_capacity(len);
    url.push_str(prefix);
    url.push_str(base);
    push_path(&mut url, job, &items);

    let content_type = ("Content-Type".to_owned(), CONTENT_TYPE_PLAIN_0_0_4.to_owned());
    let (headers, body) = match (method, compression) {
        (PushMethod::Delete, _) => (vec![content_type], Vec::new()),
        (_, None) => (vec![content_type], body),
        (_, Some(Compression::Gzip)) => {
            (vec![content_type, ("Content-Encoding".to_owned(), Compression::Gzip.as_str().to_owned())], gzip(&body)?)
        }
    };
    Ok(PushRequest { method, url, headers, body })
}

/// The path segment before the job.
const METRICS: &str = "/metrics";

/// Rejects grouping keys Python would accept but that make no sense: a `job` name (the job
/// has its own argument) or a name given twice.
fn check_grouping_key(grouping_key: &[(&str, &str)]) -> Result<()> {
    for (i, &(name, _)) in grouping_key.iter().enumerate() {
        if name == "job" {
            return Err(Error::InvalidArgument(
                "Grouping key must not contain 'job'; the job is given separately".to_owned(),
            ));
        }
        if grouping_key[..i].iter().any(|&(other, _)| other == name) {
            return Err(Error::InvalidArgument(format!("Duplicate grouping key name: '{name}'")));
        }
    }
    Ok(())
}

/// `sorted(dict(grouping_key).items())`: borrowed as is when the names are already strictly
/// increasing (the usual case), otherwise sorted by name with the last value of a repeated
/// name kept.
fn dict_items_sorted<'a, 'b>(grouping_key: &'a [(&'b str, &'b str)]) -> Cow<'a, [(&'b str, &'b str)]> {
    if grouping_key.windows(2).all(|w| w[0].0 < w[1].0) {
        return Cow::Borrowed(grouping_key);
    }
    let mut items = grouping_key.to_vec();
    // Stable: pairs with the same name stay in input order.
    items.sort_by(|a, b| a.0.cmp(b.0));
    // `later` is dropped when it repeats `kept`'s name; it carries the newer value.
    items.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = later.1;
        }
        same
    });
    Cow::Owned(items)
}

/// Appends `/metrics`, the escaped job and the escaped grouping key items.
fn push_path(out: &mut String, job: &str, items: &[(&str, &str)]) {
    out.push_str(METRICS);
    push_escaped(out, "job", job);
    for &(name, value) in items {
        push_escaped(out, name, value);
    }
}

/// How `_escape_grouping_key` writes a value.
#[derive(Clone, Copy)]
enum Escape {
    /// `""` -> `name@base64` and `=`.
    Empty,
    /// Contains `/` or a space -> `name@base64` and URL-safe base64.
    Base64,
    /// Otherwise -> `name` and `quote_plus(value)`.
    Quote,
}

fn escape_kind(value: &str) -> Escape {
    if value.is_empty() {
        Escape::Empty
    } else if value.bytes().any(|b| b == b'/' || b == b' ') {
        Escape::Base64
    } else {
        Escape::Quote
    }
}

const BASE64_SUFFIX: &str = "@base64";

/// Length of `/<name>[@base64]/<escaped value>`.
fn escaped_len(name: &str, value: &str) -> usize {
    2 + name.len()
        + match escape_kind(value) {
            Escape::Empty => BASE64_SUFFIX.len() + 1,
            Escape::Base64 => BASE64_SUFFIX.len() + value.len().div_ceil(3) * 4,
            Escape::Quote => value.bytes().map(|b| if quote_safe(b) || b == b' ' { 1 } else { 3 }).sum(),
        }
}

/// Appends `/<name>[@base64]/<escaped value>` as `'/{}/{}'.format(*_escape_grouping_key(k, v))`.
fn push_escaped(out: &mut String, name: &str, value: &str) {
    out.push('/');
    out.push_str(name);
    match escape_kind(value) {
        Escape::Empty => {
            out.push_str(BASE64_SUFFIX);
            out.push_str("/=");
        }
        Escape::Base64 => {
            out.push_str(BASE64_SUFFIX);
            out.push('/');
            URL_SAFE.encode_string(value, out);
        }
        Escape::Quote => {
            out.push('/');
            push_quote_plus(out, value);
        }
    }
}

/// Bytes `urllib.parse.quote` never encodes (`_ALWAYS_SAFE`, with `safe=''`).
fn quote_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~')
}

/// Appends `urllib.parse.quote_plus(value, safe='')`.
fn push_quote_plus(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if quote_safe(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// What `urllib.parse.urlparse(gateway)` says about a gateway, as far as `_use_gateway` cares.
struct ParsedGateway {
    /// The scheme is `http` or `https` (urlparse lowercases it).
    http_scheme: bool,
    /// urlparse raises `ValueError("Invalid IPv6 URL")`.
    invalid_ipv6: bool,
}

/// Mirrors `urllib.parse.urlsplit` (Python 3.11.7) up to its bracket check: leading C0
/// controls and spaces stripped, every tab, CR and LF removed; a scheme is the text before
/// the first `:` when it is non-empty, starts with an ASCII letter and holds only ASCII
/// letters, digits, `+`, `-` and `.`; after it, a `//` starts a network location running to
/// the next `/`, `?` or `#`, whose `[` and `]` must both be present or both absent.
fn parse_gateway(gateway: &str) -> ParsedGateway {
    let cleaned =
        || gateway.trim_start_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\r' | '\n'));
    let mut scheme_len = None;
    for (i, c) in cleaned().enumerate() {
        if c == ':' {
            if i > 0 {
                scheme_len = Some(i);
            }
            break;
        }
        let scheme_char =
            if i == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') };
        if !scheme_char {
            break;
        }
    }
    let is_scheme = |name: &str| {
        scheme_len == Some(name.len()) && cleaned().zip(name.chars()).all(|(c, n)| c.eq_ignore_ascii_case(&n))
    };
    let http_scheme = is_scheme("http") || is_scheme("https");

    let mut rest = cleaned().skip(scheme_len.map_or(0, |n| n + 1));
    let mut invalid_ipv6 = false;
    if rest.next() == Some('/') && rest.next() == Some('/') {
        let (mut open, mut close) = (false, false);
        for c in rest.take_while(|c| !matches!(c, '/' | '?' | '#')) {
            open |= c == '[';
            close |= c == ']';
        }
        invalid_ipv6 = open != close;
    }
    ParsedGateway { http_scheme, invalid_ipv6 }
}

/// `gzip.compress(data)` at Python's level 9, through flate2's pure-Rust backend.
#[cfg(feature = "gzip")]
fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).and_then(|()| encoder.try_finish()).map_err(|e| Error::Compression(e.to_string()))?;
    encoder.finish().map_err(|e| Error::Compression(e.to_string()))
}

/// Without the `gzip` feature a compressed push cannot be built.
#[cfg(not(feature = "gzip"))]
fn gzip(_: &[u8]) -> Result<Vec<u8>> {
    Err(Error::Compression("fastprom was built without its gzip feature".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("valid gzip");
        out
    }

    fn invalid(e: Result<PushRequest>) -> String {
        match e {
            Err(Error::InvalidArgument(msg)) => msg,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn method_names() {
        assert_eq!(PushMethod::Put.as_str(), "PUT");
        assert_eq!(PushMethod::Post.as_str(), "POST");
        assert_eq!(PushMethod::Delete.as_str(), "DELETE");
    }

    #[test]
    fn compression_names() {
        assert_eq!(Compression::from_name("gzip"), Ok(Compression::Gzip));
        assert_eq!(Compression::from_name("GZip"), Ok(Compression::Gzip));
        assert_eq!(Compression::Gzip.as_str(), "gzip");
        assert_eq!(
            Compression::from_name("snappy"),
            Err(Error::InvalidArgument("Unsupported compression type: snappy".to_owned()))
        );
        assert_eq!(
            Compression::from_name(" gzip").map_err(|e| e.to_string()),
            Err("Unsupported compression type:  gzip".to_owned())
        );
        assert!(Compression::from_name("").is_err());
    }

    #[test]
    fn path_escaping() {
        assert_eq!(grouping_key_path("my_job", &[]), "/metrics/job/my_job");
        assert_eq!(grouping_key_path("", &[]), "/metrics/job@base64/=");
        assert_eq!(grouping_key_path("a/b", &[]), "/metrics/job@base64/YS9i");
        assert_eq!(grouping_key_path("a b", &[]), "/metrics/job@base64/YSBi");
        assert_eq!(grouping_key_path("a+b%c@d=e", &[]), "/metrics/job/a%2Bb%25c%40d%3De");
        assert_eq!(grouping_key_path("\u{e9}~._-", &[]), "/metrics/job/%C3%A9~._-");
        // URL-safe alphabet: "??>" is "Pz8+" in standard base64.
        assert_eq!(grouping_key_path("??>/", &[]), "/metrics/job@base64/Pz8-Lw==");
        assert_eq!(
            grouping_key_path("j", &[("zone", "eu/1"), ("instance", ""), ("a", "x")]),
            "/metrics/job/j/a/x/instance@base64/=/zone@base64/ZXUvMQ=="
        );
    }

    #[test]
    fn path_sorts_by_code_point_and_last_duplicate_wins() {
        assert_eq!(
            grouping_key_path("j", &[("\u{e9}", "1"), ("Z", "2"), ("a", "3")]),
            "/metrics/job/j/Z/2/a/3/\u{e9}/1"
        );
        assert_eq!(grouping_key_path("j", &[("b", "1"), ("a", "2"), ("b", "3")]), "/metrics/job/j/a/2/b/3");
    }

    #[test]
    fn path_capacity_is_exact() {
        let p = grouping_key_path("j/ob", &[("k", "\u{1F600} x"), ("a", "%+"), ("e", "")]);
        assert_eq!(p.capacity(), p.len());
        let r = push_request(PushMethod::Put, "gw:9091///", "\u{e9}", &[("b", "x/y"), ("a", "")], Vec::new(), None)
            .expect("valid");
        assert_eq!(r.url.capacity(), r.url.len());
        assert_eq!(r.url, "http://gw:9091/metrics/job/%C3%A9/a@base64/=/b@base64/eC95");
    }

    #[test]
    fn gateway_scheme_handling() {
        let url = |gw: &str| push_request(PushMethod::Put, gw, "j", &[], Vec::new(), None).expect("valid").url;
        assert_eq!(url("localhost:9091"), "http://localhost:9091/metrics/job/j");
        assert_eq!(url("http://localhost:9091/"), "http://localhost:9091/metrics/job/j");
        assert_eq!(url("https://gw/base//"), "https://gw/base/metrics/job/j");
        assert_eq!(url("HTTP://gw"), "HTTP://gw/metrics/job/j");
        assert_eq!(url("ftp://gw"), "http://ftp://gw/metrics/job/j");
        assert_eq!(url("127.0.0.1:9091"), "http://127.0.0.1:9091/metrics/job/j");
        assert_eq!(url(" \u{1}http://gw"), " \u{1}http://gw/metrics/job/j");
        assert_eq!(url("ht\ttp://gw"), "ht\ttp://gw/metrics/job/j");
        assert_eq!(url("[::1]:9091"), "http://[::1]:9091/metrics/job/j");
        assert_eq!(url("http://[::1]:9091"), "http://[::1]:9091/metrics/job/j");
        assert_eq!(url("/"), "http:/metrics/job/j");
        assert_eq!(url("http:"), "http:/metrics/job/j");
    }

    #[test]
    fn invalid_ipv6() {
        for gw in ["http://[::1", "//[::1", "https://::1]/x", "x://a]"] {
            let e = push_request(PushMethod::Put, gw, "j", &[], Vec::new(), None);
            assert_eq!(invalid(e), "Invalid IPv6 URL", "{gw:?}");
        }
        for gw in ["http://gw/[", "[::1", "http://gw?[", "a:[//"] {
            assert!(push_request(PushMethod::Put, gw, "j", &[], Vec::new(), None).is_ok(), "{gw:?}");
        }
    }

    #[test]
    fn put_and_post_requests() {
        let body = b"# HELP a x\n# TYPE a counter\na_total 1.0\n".to_vec();
        for method in [PushMethod::Put, PushMethod::Post] {
            let r = push_request(method, "gw:9091", "j", &[("instance", "i")], body.clone(), None).expect("valid");
            assert_eq!(r.method, method);
            assert_eq!(r.url, "http://gw:9091/metrics/job/j/instance/i");
            assert_eq!(
                r.headers,
                vec![("Content-Type".to_owned(), "text/plain; version=0.0.4; charset=utf-8".to_owned())]
            );
            assert_eq!(r.body, body);
        }
    }

    #[test]
    fn gzip_round_trip() {
        let body: Vec<u8> = (0..10_000u32).flat_map(|i| format!("m{{i=\"{i}\"}} {i}\n").into_bytes()).collect();
        let r = push_request(PushMethod::Put, "gw", "j", &[], body.clone(), Some(Compression::Gzip)).expect("valid");
        assert_eq!(r.headers[1], ("Content-Encoding".to_owned(), "gzip".to_owned()));
        assert_eq!(&r.body[..2], &[0x1f, 0x8b]);
        assert!(r.body.len() < body.len());
        assert_eq!(gunzip(&r.body), body);
        let empty = push_request(PushMethod::Post, "gw", "j", &[], Vec::new(), Some(Compression::Gzip)).expect("valid");
        assert_eq!(gunzip(&empty.body), b"");
    }

    #[test]
    fn delete_requests() {
        let r = push_request(PushMethod::Delete, "gw", "j", &[("a", "b")], b"ignored".to_vec(), None).expect("valid");
        assert_eq!(r.method, PushMethod::Delete);
        assert_eq!(r.url, "http://gw/metrics/job/j/a/b");
        assert_eq!(r.headers, vec![("Content-Type".to_owned(), CONTENT_TYPE_PLAIN_0_0_4.to_owned())]);
        assert!(r.body.is_empty());
        let e = push_request(PushMethod::Delete, "gw", "j", &[], Vec::new(), Some(Compression::Gzip));
        assert_eq!(invalid(e), "Compression is not supported for DELETE requests.");
    }

    #[test]
    fn checks_beyond_python() {
        let e = push_request(PushMethod::Put, "", "j", &[], Vec::new(), None);
        assert_eq!(invalid(e), "Pushgateway address must not be empty");
        let e = push_request(PushMethod::Put, "gw", "j", &[("job", "x")], Vec::new(), None);
        assert!(invalid(e).contains("'job'"));
        let e = push_request(PushMethod::Delete, "gw", "j", &[("a", "1"), ("b", "2"), ("a", "1")], Vec::new(), None);
        assert_eq!(invalid(e), "Duplicate grouping key name: 'a'");
    }

    /// Every gateway of up to four pieces from a hostile alphabet: no panic, and the URL is
    /// allocated exactly.
    #[test]
    fn exhaustive_short_gateways_do_not_panic() {
        const PIECES: [&str; 11] = ["http", "s", ":", "/", "[", "]", " ", "\t", "\u{1}", "?", "\u{e9}"];
        let mut gateway = String::new();
        for n in 0..PIECES.len().pow(4) {
            gateway.clear();
            let mut k = n;
            for _ in 0..4 {
                gateway.push_str(PIECES[k % PIECES.len()]);
                k /= PIECES.len();
            }
            match push_request(PushMethod::Put, &gateway, "j", &[("b", "/"), ("a", "")], Vec::new(), None) {
                Ok(r) => {
                    assert_eq!(r.url.capacity(), r.url.len(), "{gateway:?}");
                    assert!(r.url.ends_with("/metrics/job/j/a@base64/=/b@base64/Lw=="));
                }
                Err(e) => assert_eq!(e.to_string(), "Invalid IPv6 URL", "{gateway:?}"),
            }
        }
    }

    fn unhex(field: &str) -> String {
        String::from_utf8(unhex_bytes(field)).expect("UTF-8 field")
    }

    fn unhex_bytes(field: &str) -> Vec<u8> {
        let hex = field.strip_prefix('x').expect("field starts with x");
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit pair")).collect()
    }

    /// `L` followed by `,`-separated `xNAME=xVALUE` items (or `Lx..` pairs of headers).
    fn unhex_pairs(field: &str) -> Vec<(String, String)> {
        let items = field.strip_prefix('L').expect("list field starts with L");
        items
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|item| {
                let (k, v) = item.split_once('=').expect("name=value");
                (unhex(k), unhex(v))
            })
            .collect()
    }

    /// Every record of tools/gen_push_vectors.py's output, produced by prometheus_client's
    /// `_use_gateway` with a capturing handler.
    #[test]
    fn differential_vectors() {
        let data = include_str!("testdata/push.txt");
        let mut count = 0;
        for line in data.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(' ').collect();
            let method = match unhex(f[0]).as_str() {
                "PUT" => PushMethod::Put,
                "POST" => PushMethod::Post,
                "DELETE" => PushMethod::Delete,
                other => panic!("method {other}"),
            };
            let gateway = unhex(f[1]);
            let job = unhex(f[2]);
            let gk_owned = unhex_pairs(f[3]);
            let gk: Vec<(&str, &str)> = gk_owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let ctx = line.to_owned();
            let compression = match f[4] {
                "-" => None,
                name => match Compression::from_name(&unhex(name)) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        assert_eq!((f[6], e.to_string()), ("err", unhex(f[7])), "{ctx}");
                        count += 1;
                        continue;
                    }
                },
            };
            let body = unhex_bytes(f[5]);
            let got = push_request(method, &gateway, &job, &gk, body, compression);
            match f[6] {
                "ok" => {
                    let r = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    assert_eq!(r.method, method, "{ctx}");
                    assert_eq!(r.url, unhex(f[7]), "{ctx}");
                    assert_eq!(r.headers, unhex_pairs(f[8]), "{ctx}");
                    let want_body = unhex_bytes(f[9]);
                    if compression.is_some() {
                        assert_eq!(gunzip(&r.body), want_body, "{ctx}");
                    } else {
                        assert_eq!(r.body, want_body, "{ctx}");
                    }
                    assert!(r.url.ends_with(&grouping_key_path(&job, &gk)), "{ctx}");
                }
                "err" => {
                    assert_eq!(got.map_err(|e| e.to_string()).err(), Some(unhex(f[7])), "{ctx}");
                }
                other => panic!("status {other}"),
            }
            count += 1;
        }
        assert!(count >= 100, "only {count} records");
    }
}
