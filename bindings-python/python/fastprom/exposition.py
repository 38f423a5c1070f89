"""Serving, writing and pushing metrics (``prometheus_client.exposition``).

Encoding, content negotiation, gzip and Pushgateway request building happen in the native
core (``fastprom._fastprom``); this module is the host layer around it: the WSGI app, the
threaded HTTP server (with TLS), ``MetricsHandler`` for ``http.server``, the textfile
writer and the push handlers that send requests with ``urllib``.
"""

import base64
from contextlib import closing
from functools import partial
import gzip  # noqa: F401  (prometheus_client.exposition exposes it)
from http.server import BaseHTTPRequestHandler
import os
import socket
from socketserver import ThreadingMixIn
import ssl
import sys
import threading
from typing import (
    Any, Callable, Dict, List, Literal, Optional, Sequence, Tuple, Union,
)
from urllib.error import HTTPError
from urllib.parse import parse_qs, quote_plus, urlparse  # noqa: F401
from urllib.request import (
    BaseHandler, build_opener, HTTPHandler, HTTPRedirectHandler, HTTPSHandler,
    Request,
)
from wsgiref.simple_server import make_server, WSGIRequestHandler, WSGIServer

from . import _fastprom
from .openmetrics import exposition as openmetrics
from .registry import Collector, REGISTRY
from .utils import floatToGoString, parse_version  # noqa: F401  (re-exported as upstream)

try:
    import snappy  # type: ignore
    SNAPPY_AVAILABLE = True
except ImportError:
    snappy = None  # type: ignore
    SNAPPY_AVAILABLE = False

__all__ = (
    'CONTENT_TYPE_LATEST',
    'CONTENT_TYPE_PLAIN_0_0_4',
    'CONTENT_TYPE_PLAIN_1_0_0',
    'delete_from_gateway',
    'generate_latest',
    'instance_ip_grouping_key',
    'make_asgi_app',
    'make_wsgi_app',
    'MetricsHandler',
    'push_to_gateway',
    'pushadd_to_gateway',
    'start_http_server',
    'start_wsgi_server',
    'write_to_textfile',
)

CONTENT_TYPE_PLAIN_0_0_4 = 'text/plain; version=0.0.4; charset=utf-8'
"""Content type of the compatibility format"""

CONTENT_TYPE_PLAIN_1_0_0 = 'text/plain; version=1.0.0; charset=utf-8'
"""Content type of the latest format"""

CONTENT_TYPE_LATEST = CONTENT_TYPE_PLAIN_1_0_0
CompressionType = Optional[Literal['gzip', 'snappy']]


# --- encoding and negotiation ------------------------------------------------------------

def generate_latest(registry: Collector = REGISTRY, escaping: str = openmetrics.UNDERSCORES) -> bytes:
    """Returns the metrics of ``registry`` (anything with ``collect()``) in the Prometheus
    text format, as UTF-8 bytes, with metric and label names escaped per ``escaping``."""
    return _fastprom.generate_text(registry, escaping)


def choose_encoder(accept_header: str) -> Tuple[Callable[[Collector], bytes], str]:
    """Picks the encoder and ``Content-Type`` for an HTTP ``Accept`` header.

    Returns ``generate_latest`` for the 0.0.4 text format (the default), or a
    ``functools.partial`` of ``generate_latest`` / ``openmetrics.generate_latest`` with the
    negotiated escaping (and OpenMetrics version), exactly as prometheus_client does."""
    kind, escaping, version, content_type = _fastprom.choose_encoder_info(accept_header or None)
    if kind == 'openmetrics':
        return partial(openmetrics.generate_latest, escaping=escaping, version=version), content_type
    if content_type == CONTENT_TYPE_PLAIN_0_0_4:
        return generate_latest, content_type
    return partial(generate_latest, escaping=escaping), content_type


def gzip_accepted(accept_encoding_header: str) -> bool:
    """Whether an ``Accept-Encoding`` header lists ``gzip`` (any case, any q-value)."""
    for accepted in (accept_encoding_header or '').split(','):
        if accepted.split(';')[0].strip().lower() == 'gzip':
            return True
    return False


def _bake_output(registry, accept_header, accept_encoding_header, params, disable_compression):
    """Renders a scrape: ``(status, headers, body)``.

    ``params`` is a parsed query string; its ``name[]`` values restrict the output to
    those sample names. The body is gzipped when the client accepts it, unless
    ``disable_compression``."""
    encoder, content_type = choose_encoder(accept_header)
    if 'name[]' in params:
        registry = registry.restricted_registry(params['name[]'])
    output = encoder(registry)
    headers = [('Content-Type', content_type)]
    if not disable_compression and gzip_accepted(accept_encoding_header):
        output = _fastprom.gzip(output)
        headers.append(('Content-Encoding', 'gzip'))
    return '200 OK', headers, output


# --- WSGI app and HTTP server ------------------------------------------------------------

def make_wsgi_app(registry: Collector = REGISTRY, disable_compression: bool = False) -> Callable:
    """Returns a WSGI app serving ``registry``.

    GET on any path scrapes (``/favicon.ico`` answers empty); OPTIONS answers
    ``Allow: OPTIONS,GET``; any other method gets 405."""

    def prometheus_app(environ, start_response):
        method = environ['REQUEST_METHOD']
        if method == 'OPTIONS':
            status, headers, output = '200 OK', [('Allow', 'OPTIONS,GET')], b''
        elif method != 'GET':
            status = '405 Method Not Allowed'
            headers = [('Allow', 'OPTIONS,GET')]
            output = f'# HTTP {status}: {method}; use OPTIONS or GET\n'.encode()
        elif environ['PATH_INFO'] == '/favicon.ico':
            status, headers, output = '200 OK', [], b''
        else:
            status, headers, output = _bake_output(
                registry,
                environ.get('HTTP_ACCEPT'),
                environ.get('HTTP_ACCEPT_ENCODING'),
                parse_qs(environ.get('QUERY_STRING', '')),
                disable_compression,
            )
        start_response(status, headers)
        return [output]

    return prometheus_app


class _SilentHandler(WSGIRequestHandler):
    """WSGI handler that does not log requests."""

    def log_message(self, format, *args):
        """Log nothing."""


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A WSGI server with one daemon thread per request."""
    # Daemon threads are not tracked for joining, so they cannot pile up in memory.
    daemon_threads = True


def _get_best_family(address, port):
    """The address family and bind address ``getaddrinfo`` picks for ``address``, so an
    IPv6 address binds an AF_INET6 socket."""
    infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr[0]


def _get_ssl_ctx(
        certfile: str,
        keyfile: str,
        protocol: int,
        cafile: Optional[str] = None,
        capath: Optional[str] = None,
        client_auth_required: bool = False,
        tls_min_version: Optional[ssl.TLSVersion] = None,
        tls_max_version: Optional[ssl.TLSVersion] = None
) -> ssl.SSLContext:
    """The server-side TLS context of ``start_wsgi_server``."""
    ctx = ssl.SSLContext(protocol=protocol)
    if cafile is not None or capath is not None:
        try:
            ctx.load_verify_locations(cafile, capath)
        except IOError as exc:
            raise type(exc)(f"Cannot load CA certificate chain from file "
                            f"{cafile!r} or directory {capath!r}: {exc}")
    else:
        try:
            ctx.load_default_certs(purpose=ssl.Purpose.CLIENT_AUTH)
        except IOError as exc:
            raise type(exc)(f"Cannot load default CA certificate chain: {exc}")
    if client_auth_required:
        ctx.verify_mode = ssl.CERT_REQUIRED
    try:
        ctx.load_cert_chain(certfile=certfile, keyfile=keyfile)
    except IOError as exc:
        raise type(exc)(f"Cannot load server certificate file {certfile!r} or "
                        f"its private key file {keyfile!r}: {exc}")
    if tls_min_version is not None:
        ctx.minimum_version = tls_min_version
    if tls_max_version is not None:
        ctx.maximum_version = tls_max_version
    return ctx


def start_wsgi_server(
        port: int,
        addr: str = '0.0.0.0',
        registry: Collector = REGISTRY,
        certfile: Optional[str] = None,
        keyfile: Optional[str] = None,
        client_cafile: Optional[str] = None,
        client_capath: Optional[str] = None,
        protocol: int = ssl.PROTOCOL_TLS_SERVER,
        client_auth_required: bool = False,
        tls_min_version: Optional[ssl.TLSVersion] = None,
        tls_max_version: Optional[ssl.TLSVersion] = None
) -> Tuple[WSGIServer, threading.Thread]:
    """Serves ``registry`` over HTTP (HTTPS when ``certfile`` and ``keyfile`` are given)
    from a daemon thread; returns ``(server, thread)``. ``server.shutdown()`` stops it."""

    class TmpServer(ThreadingWSGIServer):
        """ThreadingWSGIServer with the address family of ``addr``."""

    TmpServer.address_family, addr = _get_best_family(addr, port)
    httpd = make_server(addr, port, make_wsgi_app(registry), TmpServer, handler_class=_SilentHandler)
    if certfile and keyfile:
        context = _get_ssl_ctx(certfile, keyfile, protocol, client_cafile, client_capath,
                               client_auth_required, tls_min_version, tls_max_version)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever)
    t.daemon = True
    t.start()
    return httpd, t


start_http_server = start_wsgi_server


class MetricsHandler(BaseHTTPRequestHandler):
    """``http.server`` request handler that serves ``registry`` (``REGISTRY`` by default;
    ``MetricsHandler.factory(registry)`` binds another)."""
    registry: Collector = REGISTRY

    def do_GET(self) -> None:
        status, headers, output = _bake_output(
            self.registry,
            self.headers.get('Accept'),
            self.headers.get('Accept-Encoding'),
            parse_qs(urlparse(self.path).query),
            False,
        )
        self.send_response(int(status.split(' ')[0]))
        for header in headers:
            self.send_header(*header)
        self.end_headers()
        self.wfile.write(output)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing."""

    @classmethod
    def factory(cls, registry: Collector) -> type:
        """Returns a subclass of this handler bound to ``registry``."""
        return type(str(cls.__name__), (cls, object), {"registry": registry})


# --- textfile ----------------------------------------------------------------------------

def write_to_textfile(path: str, registry: Collector, escaping: str = openmetrics.ALLOWUTF8,
                      tmpdir: Optional[str] = None) -> None:
    """Writes the metrics of ``registry`` to ``path`` atomically, for the node exporter's
    textfile collector (``path`` should end in ``.prom``).

    The text goes to a temporary file first, in ``tmpdir`` if given (which must be on the
    same filesystem as ``path``) or beside ``path``, then is renamed over ``path``."""
    suffix = f'.{os.getpid()}.{threading.current_thread().ident}'
    if tmpdir is not None:
        tmppath = os.path.join(tmpdir, os.path.basename(path)) + suffix
    else:
        tmppath = path + suffix
    try:
        with open(tmppath, 'wb') as f:
            f.write(generate_latest(registry, escaping))
        # rename(2) is atomic; on Windows it refuses an existing target, replace does not.
        if os.name == 'nt':
            os.replace(tmppath, path)
        else:
            os.rename(tmppath, path)
    except Exception:
        if os.path.exists(tmppath):
            os.remove(tmppath)
        raise


# --- Pushgateway -------------------------------------------------------------------------

class _PrometheusRedirectHandler(HTTPRedirectHandler):
    """A redirect handler that repeats any request, method and body included, at the
    redirect target (``passthrough_redirect_handler``).

    urllib's own handler drops the body and refuses to redirect PUT, because such
    redirects may have side effects; use this only with redirects you trust."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        method = getattr(req, "method", req.get_method())
        allowed = (code in (301, 302, 303, 307) and method in ("GET", "HEAD")
                   or code in (301, 302, 303) and method in ("POST", "PUT"))
        if not allowed:
            raise HTTPError(req.full_url, code, msg, headers, fp)
        new_request = Request(
            newurl.replace(' ', '%20'),
            headers=req.headers,
            origin_req_host=req.origin_req_host,
            unverifiable=True,
            data=req.data,
        )
        new_request.method = method
        return new_request


def _make_handler(
        url: str,
        method: str,
        timeout: Optional[float],
        headers: Sequence[Tuple[str, str]],
        data: bytes,
        base_handler: Union[BaseHandler, type],
) -> Callable[[], None]:
    def handle() -> None:
        request = Request(url, data=data)
        request.get_method = lambda: method  # type: ignore
        for k, v in headers:
            request.add_header(k, v)
        resp = build_opener(base_handler).open(request, timeout=timeout)
        if resp.code >= 400:
            raise OSError(f"error talking to pushgateway: {resp.code} {resp.msg}")

    return handle


def default_handler(
        url: str,
        method: str,
        timeout: Optional[float],
        headers: List[Tuple[str, str]],
        data: bytes,
) -> Callable[[], None]:
    """The push handler for plain HTTP and HTTPS; other handlers may reuse it."""
    return _make_handler(url, method, timeout, headers, data, HTTPHandler)


def passthrough_redirect_handler(
        url: str,
        method: str,
        timeout: Optional[float],
        headers: List[Tuple[str, str]],
        data: bytes,
) -> Callable[[], None]:
    """A push handler that follows redirects for every method, repeating the method,
    headers and body at the new URL. Use it only where you trust the redirects."""
    return _make_handler(url, method, timeout, headers, data, _PrometheusRedirectHandler)


def basic_auth_handler(
        url: str,
        method: str,
        timeout: Optional[float],
        headers: List[Tuple[str, str]],
        data: bytes,
        username: Optional[str] = None,
        password: Optional[str] = None,
) -> Callable[[], None]:
    """A push handler that adds HTTP Basic authentication when both ``username`` and
    ``password`` are given."""

    def handle():
        if username is not None and password is not None:
            token = base64.b64encode(f'{username}:{password}'.encode())
            headers.append(('Authorization', b'Basic ' + token))
        default_handler(url, method, timeout, headers, data)()

    return handle


def tls_auth_handler(
        url: str,
        method: str,
        timeout: Optional[float],
        headers: List[Tuple[str, str]],
        data: bytes,
        certfile: str,
        keyfile: str,
        cafile: Optional[str] = None,
        protocol: int = ssl.PROTOCOL_TLS_CLIENT,
        insecure_skip_verify: bool = False,
) -> Callable[[], None]:
    """A push handler that connects over HTTPS with a client certificate.

    The default protocol verifies the server's certificate and host name;
    ``insecure_skip_verify=True`` turns both checks off."""
    context = ssl.SSLContext(protocol=protocol)
    if cafile is not None:
        context.load_verify_locations(cafile)
    else:
        context.load_default_certs()
    if insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(certfile=certfile, keyfile=keyfile)
    return _make_handler(url, method, timeout, headers, data, HTTPSHandler(context=context))


def push_to_gateway(
        gateway: str,
        job: str,
        registry: Collector,
        grouping_key: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = 30,
        handler: Callable = default_handler,
        compression: CompressionType = None,
) -> None:
    """Pushes the metrics of ``registry`` to the Pushgateway at ``gateway`` with PUT,
    replacing every metric of the group (``job`` plus ``grouping_key``).

    ``gateway`` is a URL or a bare ``host:port`` (then ``http://`` is assumed).
    ``timeout`` (seconds, or None for none) goes to ``handler``, which is called as
    ``handler(url=..., method=..., timeout=..., headers=..., data=...)`` and returns a
    callable that sends the request, raising (e.g. ``OSError``) on failure.
    ``compression`` may be ``'gzip'`` (or ``'snappy'`` with python-snappy installed)."""
    _use_gateway('PUT', gateway, job, registry, grouping_key, timeout, handler, compression)


def pushadd_to_gateway(
        gateway: str,
        job: str,
        registry: Optional[Collector],
        grouping_key: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = 30,
        handler: Callable = default_handler,
        compression: CompressionType = None,
) -> None:
    """Pushes the metrics of ``registry`` (``REGISTRY`` if None) with POST, replacing
    only the metrics of the same names in the group. Arguments as ``push_to_gateway``."""
    _use_gateway('POST', gateway, job, registry, grouping_key, timeout, handler, compression)


def delete_from_gateway(
        gateway: str,
        job: str,
        grouping_key: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = 30,
        handler: Callable = default_handler,
) -> None:
    """Deletes the group (``job`` plus ``grouping_key``) from the Pushgateway with
    DELETE. Arguments as ``push_to_gateway``."""
    _use_gateway('DELETE', gateway, job, None, grouping_key, timeout, handler)


def _use_gateway(
        method: str,
        gateway: str,
        job: str,
        registry: Optional[Collector],
        grouping_key: Optional[Dict[str, Any]],
        timeout: Optional[float],
        handler: Callable,
        compression: CompressionType = None,
) -> None:
    body = b''
    if method != 'DELETE':
        body = generate_latest(REGISTRY if registry is None else registry)
    snappy_wanted = isinstance(compression, str) and compression.lower() == 'snappy'
    key = [(str(k), str(v)) for k, v in (grouping_key or {}).items()]
    url, headers, data = _fastprom.push_request(
        method, gateway, job, key, body, None if snappy_wanted else compression)
    headers = [tuple(h) for h in headers]
    if snappy_wanted:
        data = _snappy_compress(data)
        headers.append(('Content-Encoding', 'snappy'))
    handler(url=url, method=method, timeout=timeout, headers=headers, data=data)()


def _snappy_compress(data: bytes) -> bytes:
    if not SNAPPY_AVAILABLE:
        raise RuntimeError('Snappy compression requires the python-snappy package to be installed.')
    compressor = snappy.StreamCompressor()
    compressed = compressor.compress(data)
    flush = getattr(compressor, 'flush', None)
    if callable(flush):
        compressed += flush()
    return compressed


def instance_ip_grouping_key() -> Dict[str, Any]:
    """A grouping key with ``instance`` set to this host's IP address.

    Connects a UDP socket (no packet is sent) and reads the local address chosen."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as s:
        if sys.platform == 'darwin':
            # On macOS connecting to localhost does not reveal the outward address.
            s.connect(('10.255.255.255', 1))
        else:
            s.connect(('localhost', 0))
        return {'instance': s.getsockname()[0]}


from .asgi import make_asgi_app  # noqa: E402  (asgi imports _bake_output from here)
