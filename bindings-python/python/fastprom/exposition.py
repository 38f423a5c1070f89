"""Getting metrics out of the process: scrape endpoints, a textfile, a Pushgateway.

The bytes themselves come from the native core (``fastprom._fastprom``): the text and
OpenMetrics encoders, the ``Accept`` / ``Accept-Encoding`` negotiation, gzip and the
Pushgateway URL and headers. What is left here is the plumbing the standard library
offers around them:

* ``make_wsgi_app`` / ``start_http_server``: a WSGI app, and a threaded server (optionally
  TLS, optionally requiring client certificates) running it on a daemon thread;
* ``MetricsHandler``: the same endpoint for an ``http.server`` you run yourself;
* ``write_to_textfile``: an atomic write for the node exporter's textfile collector;
* ``push_to_gateway`` and friends, sent with ``urllib`` through swappable handlers.

For example, to serve the default registry on port 8000::

    server, thread = start_http_server(8000)
    ...
    server.shutdown()
"""

import atexit
import base64
from contextlib import closing, contextmanager
from functools import partial
import gzip  # noqa: F401  (a public name of prometheus_client.exposition)
from http.server import BaseHTTPRequestHandler
import os
import socket
from socketserver import ThreadingMixIn
import ssl
import sys
import threading
import weakref
from typing import Any, Callable, Dict, List, Literal, Optional, Sequence, Tuple, Union
from urllib.error import HTTPError
from urllib.parse import parse_qs, quote_plus, unquote, urlparse  # noqa: F401
from urllib.request import BaseHandler, build_opener, HTTPHandler, HTTPRedirectHandler, HTTPSHandler, Request
from wsgiref.simple_server import make_server, WSGIRequestHandler, WSGIServer

from . import _fastprom
from .openmetrics import exposition as openmetrics
from .registry import _fp_scrape_source, Collector, REGISTRY
from .utils import floatToGoString, parse_version  # noqa: F401  (public names here too)

try:
    import snappy  # type: ignore
    SNAPPY_AVAILABLE = True
except ImportError:
    snappy = None  # type: ignore
    SNAPPY_AVAILABLE = False

__all__ = (
    'CONTENT_TYPE_LATEST', 'CONTENT_TYPE_PLAIN_0_0_4', 'CONTENT_TYPE_PLAIN_1_0_0',
    'delete_from_gateway', 'generate_latest', 'instance_ip_grouping_key',
    'make_asgi_app', 'make_wsgi_app', 'MetricsHandler',
    'push_to_gateway', 'pushadd_to_gateway',
    'start_http_server', 'start_wsgi_server', 'write_to_textfile',
)

CONTENT_TYPE_PLAIN_0_0_4 = 'text/plain; version=0.0.4; charset=utf-8'
"""``Content-Type`` of the classic text format, what scrapers get unless they ask otherwise."""

CONTENT_TYPE_PLAIN_1_0_0 = 'text/plain; version=1.0.0; charset=utf-8'
"""``Content-Type`` of text format 1.0.0, the one that may carry UTF-8 names."""

CONTENT_TYPE_LATEST = CONTENT_TYPE_PLAIN_1_0_0
CompressionType = Optional[Literal['gzip', 'snappy']]


# --- encoding and negotiation ------------------------------------------------------------

def generate_latest(registry: Collector = REGISTRY, escaping: str = openmetrics.UNDERSCORES) -> bytes:
    """The Prometheus text format of everything ``registry`` collects, as UTF-8 bytes.

    ``registry`` may be a registry, a single metric or any object with ``collect()``.
    ``escaping`` (``underscores``, ``dots``, ``values`` or ``allow-utf-8``) says how names
    outside the legacy character set are written.

    A registry holding one gauge ``up`` set to 1 gives
    ``b'# HELP up Is it up.\\n# TYPE up gauge\\nup 1.0\\n'``.
    """
    return _fastprom.generate_text(_fp_scrape_source(registry), escaping)


def choose_encoder(accept_header: str) -> Tuple[Callable[[Collector], bytes], str]:
    """``(encoder, content_type)`` for a scrape's ``Accept`` header.

    The decision is the core's; this turns it into a callable: plain ``generate_latest``
    for the classic text format (also when the header is missing or unknown), otherwise a
    ``functools.partial`` of ``generate_latest`` or ``openmetrics.generate_latest`` bound to
    the negotiated escaping (and OpenMetrics version)."""
    kind, escaping, version, content_type = _fastprom.choose_encoder_info(accept_header or None)
    if kind == 'openmetrics':
        return partial(openmetrics.generate_latest, escaping=escaping, version=version), content_type
    if content_type == CONTENT_TYPE_PLAIN_0_0_4:
        return generate_latest, content_type
    return partial(generate_latest, escaping=escaping), content_type


def gzip_accepted(accept_encoding_header: str) -> bool:
    """True when an ``Accept-Encoding`` header names gzip (the core decides; q-values are
    not weighed, so ``gzip;q=0`` counts)."""
    return _fastprom.gzip_accepted(accept_encoding_header or None)


def _bake_output(registry, accept_header, accept_encoding_header, params, disable_compression):
    """One scrape, independent of the web framework: ``(status, headers, body)``.

    ``params`` is the parsed query string (``parse_qs``); ``name[]`` entries narrow the
    output to those sample names. The body is gzipped when the client takes gzip and
    ``disable_compression`` is false. The framework adapters (ASGI, aiohttp, Django) call
    this too."""
    encode, content_type = choose_encoder(accept_header)
    source = registry.restricted_registry(params['name[]']) if 'name[]' in params else registry
    body = encode(source)
    headers = [('Content-Type', content_type)]
    if not disable_compression and gzip_accepted(accept_encoding_header):
        body = _fastprom.gzip(body)
        headers.append(('Content-Encoding', 'gzip'))
    return '200 OK', headers, body


# --- WSGI app and HTTP server ------------------------------------------------------------

def _allow_header() -> List[Tuple[str, str]]:
    return [('Allow', 'OPTIONS,GET')]


def _wsgi_response(environ, registry, disable_compression):
    """``(status, headers, body)`` for one WSGI request."""
    method = environ['REQUEST_METHOD']
    if method == 'GET':
        # Any path scrapes (prometheus_client never restricted it to /metrics), except the
        # icon browsers ask for.
        if environ['PATH_INFO'] == '/favicon.ico':
            return '200 OK', [], b''
        query = parse_qs(environ.get('QUERY_STRING', ''))
        return _bake_output(registry, environ.get('HTTP_ACCEPT'), environ.get('HTTP_ACCEPT_ENCODING'),
                            query, disable_compression)
    if method == 'OPTIONS':
        return '200 OK', _allow_header(), b''
    refused = '405 Method Not Allowed'
    return refused, _allow_header(), f'# HTTP {refused}: {method}; use OPTIONS or GET\n'.encode()


def make_wsgi_app(registry: Collector = REGISTRY, disable_compression: bool = False) -> Callable:
    """A WSGI application exposing ``registry``.

    GET scrapes (on any path but ``/favicon.ico``, which answers empty), OPTIONS lists the
    allowed methods, anything else is refused with 405. Mount it in any WSGI server, or
    let ``start_wsgi_server`` run it."""

    def prometheus_app(environ, start_response):
        status, headers, body = _wsgi_response(environ, registry, disable_compression)
        start_response(status, headers)
        return [body]

    return prometheus_app


class _SilentHandler(WSGIRequestHandler):
    """The request handler of ``start_wsgi_server``: wsgiref's, minus the access log on
    stderr."""

    def log_message(self, format, *args):
        """Drops the log line."""


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, answering each request on a thread of its own."""
    # The threads are daemons: a slow scrape never holds up interpreter exit, and the
    # mixin keeps no list of them to join (a list that would only grow).
    daemon_threads = True


def _get_best_family(address, port):
    """``(address family, host)`` to bind ``address`` with: resolves it the way a passive
    TCP socket would, so IPv6 addresses and names get an AF_INET6 server."""
    resolved = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, sockaddr = resolved[0][0], resolved[0][4]
    return family, sockaddr[0]


@contextmanager
def _explain_load_error(what: str):
    """Re-raises an ``OSError`` (``ssl.SSLError`` included) of the block with ``what``
    in front of its message, keeping its type."""
    try:
        yield
    except IOError as exc:
        raise type(exc)(f"{what}: {exc}")


def _get_ssl_ctx(
        certfile: str, keyfile: str, protocol: int,
        cafile: Optional[str] = None, capath: Optional[str] = None,
        client_auth_required: bool = False,
        tls_min_version: Optional[ssl.TLSVersion] = None,
        tls_max_version: Optional[ssl.TLSVersion] = None
) -> ssl.SSLContext:
    """The server-side TLS context of ``start_wsgi_server``: trusted CAs for client
    certificates (the given file/directory, else the system's), the server certificate,
    and the optional client-certificate requirement and protocol version bounds."""
    ctx = ssl.SSLContext(protocol=protocol)
    if cafile is None and capath is None:
        with _explain_load_error("Cannot load default CA certificate chain"):
            ctx.load_default_certs(purpose=ssl.Purpose.CLIENT_AUTH)
    else:
        with _explain_load_error(f"Cannot load CA certificate chain from file {cafile!r} or directory {capath!r}"):
            ctx.load_verify_locations(cafile, capath)
    if client_auth_required:
        ctx.verify_mode = ssl.CERT_REQUIRED
    with _explain_load_error(f"Cannot load server certificate file {certfile!r} or its private key file {keyfile!r}"):
        ctx.load_cert_chain(certfile=certfile, keyfile=keyfile)
    for attribute, bound in (('minimum_version', tls_min_version), ('maximum_version', tls_max_version)):
        if bound is not None:
            setattr(ctx, attribute, bound)
    return ctx


# TLS versions as the native server takes them; rustls speaks 1.2 and 1.3 only.
_TLS_NAMES = {ssl.TLSVersion.TLSv1_2: '1.2', ssl.TLSVersion.TLSv1_3: '1.3'}


def _native_tls_versions(protocol, tls_min_version, tls_max_version):
    """``(min, max)`` as "1.2" / "1.3" for the native server, from ``start_wsgi_server``'s
    ``protocol`` and bounds; ``ssl.SSLError`` for what rustls cannot speak."""
    low, high = '1.2', '1.3'
    if protocol == getattr(ssl, 'PROTOCOL_TLSv1_2', None):
        low = high = '1.2'
    elif protocol in (getattr(ssl, 'PROTOCOL_TLSv1', None), getattr(ssl, 'PROTOCOL_TLSv1_1', None)):
        raise ssl.SSLError('fastprom serves TLS 1.2 and 1.3 only (rustls): protocol %r is not available' % protocol)
    if tls_min_version is not None and tls_min_version != ssl.TLSVersion.MINIMUM_SUPPORTED:
        low = '1.3' if tls_min_version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.MAXIMUM_SUPPORTED) else low
    if tls_max_version is not None and tls_max_version != ssl.TLSVersion.MAXIMUM_SUPPORTED:
        if tls_max_version not in _TLS_NAMES:
            raise ssl.SSLError('fastprom serves TLS 1.2 and 1.3 only (rustls): '
                               'tls_max_version %s is not available' % tls_max_version.name)
        high = min(high, _TLS_NAMES[tls_max_version])
    return low, high


def _native_responder(registry):
    """What the native server calls for each request that passed its limits: the WSGI
    app's answer, from the same ``_wsgi_response``, as ``(status code, headers, body)``."""

    def respond(method, path, query, accept, accept_encoding):
        environ = {'REQUEST_METHOD': method, 'PATH_INFO': unquote(path, 'iso-8859-1'), 'QUERY_STRING': query}
        if accept is not None:
            environ['HTTP_ACCEPT'] = accept
        if accept_encoding is not None:
            environ['HTTP_ACCEPT_ENCODING'] = accept_encoding
        status, headers, body = _wsgi_response(environ, registry, False)
        return int(status.split(' ', 1)[0]), list(headers), body

    return respond


_live_servers: 'weakref.WeakSet[_NativeHTTPServer]' = weakref.WeakSet()


@atexit.register
def _shutdown_live_servers() -> None:
    # The exposer's threads call into Python; stop them while the interpreter still runs.
    for server in list(_live_servers):
        server.shutdown()


class _NativeHTTPServer:
    """What ``start_wsgi_server`` returns as its server: the I/O crate's exposer (hyper
    and rustls on threads of their own) with the attributes and methods of the wsgiref
    server prometheus_client returns: ``server_address``, ``server_port``,
    ``address_family``, ``serve_forever()`` (blocks until shut down), ``shutdown()`` and
    ``server_close()`` (both stop it and free the port)."""

    def __init__(self, native, family, host):
        self._native = native
        self.address_family = family
        self.server_port = native.port
        self.server_address = (host, native.port, 0, 0) if family == socket.AF_INET6 else (host, native.port)
        # The threads inside serve_forever(), for shutdown() to wait for.
        self._loops_changed = threading.Condition()
        self._loops: set[int] = set()
        _live_servers.add(self)

    @property
    def server_name(self) -> str:
        return socket.getfqdn(self.server_address[0])

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Blocks until ``shutdown()``; the serving itself happens on the exposer's threads.
        It wakes every ``poll_interval`` seconds, so that on the main thread Ctrl-C and
        other signal handlers run, as with socketserver's loop."""
        interval = poll_interval if poll_interval and poll_interval > 0 else 0.5
        me = threading.get_ident()
        with self._loops_changed:
            self._loops.add(me)
        try:
            while not self._native.wait(interval):
                pass
        finally:
            with self._loops_changed:
                self._loops.discard(me)
                self._loops_changed.notify_all()

    def shutdown(self) -> None:
        """Stops serving: answers in progress get up to 2 seconds, then every connection and
        the listening socket are closed. Like socketserver's, it returns once every
        ``serve_forever()`` has (those of other threads, for up to 5 seconds: one on the
        calling thread, as in a signal handler, returns when the handler does)."""
        self._native.shutdown()
        me = threading.get_ident()
        with self._loops_changed:
            # Bounded: a loop on a daemon thread that Python's exit has stopped for good
            # never returns.
            self._loops_changed.wait_for(lambda: not self._loops - {me}, timeout=5.0)

    def server_close(self) -> None:
        """Frees the port (stopping the server first if ``shutdown()`` has not)."""
        self._native.shutdown()


def start_native_server(
        port: int, addr: str = '0.0.0.0', registry: Collector = REGISTRY, *,
        certfile: Optional[str] = None, keyfile: Optional[str] = None,
        client_cafile: Optional[str] = None, client_capath: Optional[str] = None,
        protocol: int = ssl.PROTOCOL_TLS_SERVER, client_auth_required: bool = False,
        tls_min_version: Optional[ssl.TLSVersion] = None, tls_max_version: Optional[ssl.TLSVersion] = None,
        basic_auth: Optional[Tuple[str, str]] = None, max_connections: int = 1024, max_scrapes: int = 4,
        header_timeout: float = 10.0, body_timeout: float = 10.0, write_timeout: float = 30.0,
) -> Tuple[WSGIServer, threading.Thread]:
    """``start_http_server`` with the native server's own settings (fastprom only):

    - ``basic_auth=(user, password)``: every request needs these HTTP Basic credentials,
      else ``401`` (as the Prometheus exporter-toolkit's web config does);
    - ``max_connections``: connections served at once (more wait in the listen backlog);
    - ``max_scrapes``: scrapes (collector runs) at once, each on a thread of the server's;
    - ``header_timeout``: seconds a client has for the TLS handshake, then for its request
      headers, and may stay idle between requests;
    - ``body_timeout``: seconds a client has to send a request body (at most 64 KiB);
    - ``write_timeout``: seconds an answer may make no progress before the connection is
      closed.

    Every limit must be positive (a timeout of 0 is a ``ValueError``, not "no timeout").

    The TLS arguments are ``start_http_server``'s."""
    family, host = _get_best_family(addr, port)
    tls = None
    if certfile and keyfile:
        # prometheus_client's checks first, with its exceptions and messages; then the
        # same files go to rustls.
        _get_ssl_ctx(certfile, keyfile, protocol, client_cafile, client_capath,
                     client_auth_required, tls_min_version, tls_max_version)
        low, high = _native_tls_versions(protocol, tls_min_version, tls_max_version)
        tls = (certfile, keyfile, client_cafile, client_capath, bool(client_auth_required), low, high)
    try:
        native = _fastprom.NativeServer(host, port, _native_responder(registry), tls, basic_auth, max_connections,
                                        max_scrapes, header_timeout, body_timeout, write_timeout)
    except ValueError as exc:
        if not str(exc).startswith('TLS: '):
            raise
        raise ssl.SSLError(str(exc)) from None
    httpd = _NativeHTTPServer(native, family, host)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    return httpd, serving  # type: ignore[return-value]


def start_wsgi_server(
        port: int, addr: str = '0.0.0.0', registry: Collector = REGISTRY,
        certfile: Optional[str] = None, keyfile: Optional[str] = None,
        client_cafile: Optional[str] = None, client_capath: Optional[str] = None,
        protocol: int = ssl.PROTOCOL_TLS_SERVER, client_auth_required: bool = False,
        tls_min_version: Optional[ssl.TLSVersion] = None, tls_max_version: Optional[ssl.TLSVersion] = None
) -> Tuple[WSGIServer, threading.Thread]:
    """Serves ``registry`` on ``addr:port`` from a daemon thread; returns the server and
    the thread (``server.shutdown()`` stops it).

    The server is fastprom's native one (the answers are ``make_wsgi_app``'s): HTTP/1.1
    with keep-alive, at most 1024 connections, a client has 10 seconds to send its request
    headers, scrapes run on at most 4 threads at a time, and the Python collectors are
    called on them at each scrape. With both ``certfile`` and ``keyfile`` it speaks HTTPS
    only (rustls, TLS 1.2 and 1.3); client certificates are checked against
    ``client_cafile`` / every certificate in ``client_capath`` (default: the system CAs)
    and required when ``client_auth_required``. ``tls_min_version`` /
    ``tls_max_version`` bound the protocol versions. ``start_native_server`` takes the
    same arguments and the server's own limits and Basic authentication."""
    return start_native_server(port, addr, registry, certfile=certfile, keyfile=keyfile,
                               client_cafile=client_cafile, client_capath=client_capath, protocol=protocol,
                               client_auth_required=client_auth_required, tls_min_version=tls_min_version,
                               tls_max_version=tls_max_version)


start_http_server = start_wsgi_server


class MetricsHandler(BaseHTTPRequestHandler):
    """A request handler for ``http.server`` that answers every GET with a scrape of
    ``registry`` (``REGISTRY`` unless set; ``MetricsHandler.factory(r)`` makes a subclass
    bound to ``r``). Subclass it to add routes or logging."""
    registry: Collector = REGISTRY

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        status, headers, body = _bake_output(
            self.registry, self.headers.get('Accept'), self.headers.get('Accept-Encoding'), query, False)
        self.send_response(int(status.partition(' ')[0]))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Drops the log line."""

    @classmethod
    def factory(cls, registry: Collector) -> type:
        """A subclass of ``cls`` (same name) whose ``registry`` is ``registry``."""
        return type(str(cls.__name__), (cls, object), {"registry": registry})


# --- textfile ----------------------------------------------------------------------------

def write_to_textfile(path: str, registry: Collector, escaping: str = openmetrics.ALLOWUTF8,
                      tmpdir: Optional[str] = None) -> None:
    """Writes ``registry`` in the text format to ``path``, replacing it atomically, for
    the node exporter's textfile collector (which reads ``*.prom`` files).

    The text is written to a temporary file first and renamed over ``path``, so readers
    never see half a file. It sits beside ``path``, or in ``tmpdir`` when given; that
    directory has to be on the same filesystem, or the rename fails."""
    staging = path if tmpdir is None else os.path.join(tmpdir, os.path.basename(path))
    tmppath = f'{staging}.{os.getpid()}.{threading.current_thread().ident}'
    try:
        with open(tmppath, 'wb') as out:
            out.write(generate_latest(registry, escaping))
        # os.rename will not overwrite an existing file on Windows; os.replace will.
        move = os.replace if os.name == 'nt' else os.rename
        move(tmppath, path)
    except Exception:
        if os.path.exists(tmppath):
            os.remove(tmppath)
        raise


# --- Pushgateway -------------------------------------------------------------------------

_ANY_REDIRECT = (301, 302, 303, 307)
# Which redirect statuses are followed for each method; other methods are not redirected.
_REDIRECTS_FOLLOWED = {'GET': _ANY_REDIRECT, 'HEAD': _ANY_REDIRECT,
                       'POST': _ANY_REDIRECT[:3], 'PUT': _ANY_REDIRECT[:3]}


class _PrometheusRedirectHandler(HTTPRedirectHandler):
    """Follows a redirect by sending the same request again, method, headers and body
    included (what ``passthrough_redirect_handler`` installs).

    urllib's own handler drops the body and will not redirect a PUT, since repeating a
    request elsewhere may have side effects. Install this one only in front of redirects
    you trust, such as a rewrite proxy before your own Pushgateway."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        # Push requests carry their method in an overridden get_method(), not in .method.
        method = getattr(req, "method", req.get_method())
        if code not in _REDIRECTS_FOLLOWED.get(method, ()):
            raise HTTPError(req.full_url, code, msg, headers, fp)
        again = Request(newurl.replace(' ', '%20'), data=req.data, headers=req.headers,
                        origin_req_host=req.origin_req_host, unverifiable=True)
        again.method = method
        return again


def _make_handler(
        url: str, method: str, timeout: Optional[float],
        headers: Sequence[Tuple[str, str]], data: bytes,
        base_handler: Union[BaseHandler, type],
) -> Callable[[], None]:
    """A callable sending one request through an opener built on ``base_handler``;
    ``OSError`` when the answer is an error status the opener let through."""

    def handle() -> None:
        request = Request(url, data=data)
        request.get_method = lambda: method  # type: ignore
        for name, value in headers:
            request.add_header(name, value)
        answer = build_opener(base_handler).open(request, timeout=timeout)
        if answer.code >= 400:
            raise OSError(f"error talking to pushgateway: {answer.code} {answer.msg}")

    return handle


def default_handler(
        url: str, method: str, timeout: Optional[float],
        headers: List[Tuple[str, str]], data: bytes,
) -> Callable[[], None]:
    """The push handler used unless another is given: plain ``urllib`` over HTTP or HTTPS.
    Custom handlers may build on it."""
    return _make_handler(url, method, timeout, headers, data, HTTPHandler)


def passthrough_redirect_handler(
        url: str, method: str, timeout: Optional[float],
        headers: List[Tuple[str, str]], data: bytes,
) -> Callable[[], None]:
    """A push handler that follows redirects for PUT and POST too, resending method,
    headers and body to the new location. Use it only where the redirects are yours."""
    return _make_handler(url, method, timeout, headers, data, _PrometheusRedirectHandler)


def basic_auth_handler(
        url: str, method: str, timeout: Optional[float],
        headers: List[Tuple[str, str]], data: bytes,
        username: Optional[str] = None, password: Optional[str] = None,
) -> Callable[[], None]:
    """A push handler adding an HTTP Basic ``Authorization`` header when both
    ``username`` and ``password`` are set; bind them with ``functools.partial`` or a
    small wrapper, e.g.
    ``handler=lambda **kw: basic_auth_handler(username='u', password='p', **kw)``."""

    def handle():
        if username is not None and password is not None:
            credentials = base64.b64encode(f'{username}:{password}'.encode())
            headers.append(('Authorization', b'Basic ' + credentials))
        default_handler(url, method, timeout, headers, data)()

    return handle


def _client_tls_context(protocol, cafile, certfile, keyfile, insecure_skip_verify):
    """The client side of ``tls_auth_handler``: who we trust, and who we are."""
    context = ssl.SSLContext(protocol=protocol)
    if cafile is None:
        context.load_default_certs()
    else:
        context.load_verify_locations(cafile)
    if insecure_skip_verify:
        # check_hostname must be off before verification can be.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(certfile=certfile, keyfile=keyfile)
    return context


def tls_auth_handler(
        url: str, method: str, timeout: Optional[float],
        headers: List[Tuple[str, str]], data: bytes,
        certfile: str, keyfile: str, cafile: Optional[str] = None,
        protocol: int = ssl.PROTOCOL_TLS_CLIENT, insecure_skip_verify: bool = False,
) -> Callable[[], None]:
    """A push handler for HTTPS with a client certificate (``certfile``, ``keyfile``).

    The server is verified against ``cafile`` (default: the system CAs), host name
    included with the default protocol; ``insecure_skip_verify`` turns verification off.
    The context is built at once, so a bad file fails here rather than at push time."""
    context = _client_tls_context(protocol, cafile, certfile, keyfile, insecure_skip_verify)
    return _make_handler(url, method, timeout, headers, data, HTTPSHandler(context=context))


def push_to_gateway(
        gateway: str, job: str, registry: Collector,
        grouping_key: Optional[Dict[str, Any]] = None, timeout: Optional[float] = 30,
        handler: Callable = default_handler, compression: CompressionType = None,
) -> None:
    """Sends ``registry`` to a Pushgateway with PUT: the group (``job`` plus the labels in
    ``grouping_key``) is replaced as a whole.

    ``gateway`` is a URL or ``host:port`` (``http://`` is then assumed). ``timeout`` is in
    seconds, None for none. ``compression`` is None, ``'gzip'`` or ``'snappy'`` (the last
    needs python-snappy). ``handler`` performs the request: it is called with the keyword
    arguments ``url``, ``method``, ``timeout``, ``headers`` (a list of name/value pairs)
    and ``data`` (the body), and returns a callable that sends it and raises on failure.
    ``basic_auth_handler``, ``tls_auth_handler`` and ``passthrough_redirect_handler``
    are ready-made ones::

        push_to_gateway('localhost:9091', job='nightly', registry=registry,
                        grouping_key={'instance': 'db-1'})
    """
    _use_gateway('PUT', gateway, job, registry, grouping_key, timeout, handler, compression)


def pushadd_to_gateway(
        gateway: str, job: str, registry: Optional[Collector],
        grouping_key: Optional[Dict[str, Any]] = None, timeout: Optional[float] = 30,
        handler: Callable = default_handler, compression: CompressionType = None,
) -> None:
    """Like ``push_to_gateway`` but with POST: only the metrics of the names pushed are
    replaced in the group, the others stay. ``registry=None`` pushes ``REGISTRY``."""
    _use_gateway('POST', gateway, job, registry, grouping_key, timeout, handler, compression)


def delete_from_gateway(
        gateway: str, job: str,
        grouping_key: Optional[Dict[str, Any]] = None, timeout: Optional[float] = 30,
        handler: Callable = default_handler,
) -> None:
    """Removes the whole group (``job`` plus ``grouping_key``) from a Pushgateway with
    DELETE. The other arguments are ``push_to_gateway``'s."""
    _use_gateway('DELETE', gateway, job, None, grouping_key, timeout, handler)


def _use_gateway(
        method: str, gateway: str, job: str, registry: Optional[Collector],
        grouping_key: Optional[Dict[str, Any]], timeout: Optional[float],
        handler: Callable, compression: CompressionType = None,
) -> None:
    """Builds the request in the core (URL, headers, gzip) and hands it to ``handler``.
    Snappy is not in the core: the body is framed here, and its header added."""
    if method == 'DELETE':
        body = b''
    else:
        body = generate_latest(REGISTRY if registry is None else registry)
    snappy_wanted = isinstance(compression, str) and compression.lower() == 'snappy'
    pairs = [(str(name), str(value)) for name, value in (grouping_key or {}).items()]
    url, headers, data = _fastprom.push_request(
        method, gateway, job, pairs, body, None if snappy_wanted else compression)
    headers = [tuple(header) for header in headers]
    if snappy_wanted:
        data = _snappy_compress(data)
        headers.append(('Content-Encoding', 'snappy'))
    handler(url=url, method=method, timeout=timeout, headers=headers, data=data)()


def _snappy_compress(data: bytes) -> bytes:
    """``data`` in snappy's framing format, flushed if this python-snappy version wants
    a flush."""
    if not SNAPPY_AVAILABLE:
        raise RuntimeError('Snappy compression requires the python-snappy package to be installed.')
    stream = snappy.StreamCompressor()
    finish = getattr(stream, 'flush', None)
    return stream.compress(data) + (finish() if callable(finish) else b'')


def instance_ip_grouping_key() -> Dict[str, Any]:
    """``{'instance': <this host's IP address>}``, for a ``grouping_key``.

    The address is the one the kernel picks for a UDP socket connected outwards; no
    packet is sent."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
        # macOS gives no useful local address for a connection to localhost, so aim at an
        # unroutable private address there instead.
        probe.connect(('10.255.255.255', 1) if sys.platform == 'darwin' else ('localhost', 0))
        return {'instance': probe.getsockname()[0]}


from .asgi import make_asgi_app  # noqa: E402  (asgi imports _bake_output from here)
