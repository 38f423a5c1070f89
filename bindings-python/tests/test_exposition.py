"""Differential tests of fastprom.exposition against prometheus_client.exposition:
encoders, content negotiation, the WSGI app, real HTTP(S) servers, textfiles."""

import functools
import gzip
import http.server
import os
import ssl
import threading
import urllib.error
import urllib.request

import pytest

import fastprom
import prometheus_client
from fastprom import exposition as fpx
from fastprom.openmetrics import exposition as fpom
from prometheus_client import exposition as pcx
from prometheus_client.openmetrics import exposition as pcom

from conftest import free_port, ipv6_loopback_available

ESCAPINGS = ['underscores', 'dots', 'values', 'allow-utf-8']

ACCEPT_HEADERS = [
    None, '', '*/*', 'text/plain', 'text/plain; version=0.0.4', 'text/plain;version=1.0.0',
    'text/plain; version=1.0.0; escaping=allow-utf-8', 'text/plain; version=1.0.0; escaping=dots',
    'text/plain; version=1.0.0; escaping=values', 'text/plain; version=1.0.0; escaping=bogus',
    'text/plain; version=2.0.0; escaping=underscores', 'text/plain; version=0.9',
    'application/openmetrics-text', 'application/openmetrics-text; version=1.0.0',
    'application/openmetrics-text; version=1.0.0; escaping=allow-utf-8',
    'application/openmetrics-text; version=2.0.0; escaping=values',
    'application/openmetrics-text; version=0.0.1', 'application/openmetrics-text; version=1',
    'application/openmetrics-text; version=1.0.0; charset=utf-8, text/plain;version=0.0.4;q=0.5',
    'text/html, application/openmetrics-text;version=1.0.0;escaping=dots;q=0.9',
    'APPLICATION/OPENMETRICS-TEXT', ' application/openmetrics-text ; version=1.0.0',
    'application/openmetrics-text; version=abc', 'application/openmetrics-text;escaping=dots',
]


def _ungzip(headers, body):
    if ('Content-Encoding', 'gzip') in list(headers):
        return gzip.decompress(body)
    return body


@pytest.mark.parametrize('escaping', [None] + ESCAPINGS)
def test_generate_latest_matches(registries, escaping):
    kw = {} if escaping is None else {'escaping': escaping}
    assert (fastprom.generate_latest(registries['fastprom'], **kw)
            == prometheus_client.generate_latest(registries['prometheus_client'], **kw))


@pytest.mark.parametrize('version', ['1.0.0', '2.0.0'])
@pytest.mark.parametrize('escaping', ESCAPINGS)
def test_openmetrics_generate_latest_matches(registries, escaping, version):
    got = fpom.generate_latest(registries['fastprom'], escaping=escaping, version=version)
    want = pcom.generate_latest(registries['prometheus_client'], escaping=escaping, version=version)
    assert got == want


def test_generate_latest_default_registry_has_default_collectors():
    text = fastprom.generate_latest().decode()
    for name in ('process_cpu_seconds_total', 'process_open_fds', 'python_info',
                 'python_gc_objects_collected_total'):
        assert f'\n{name}' in '\n' + text, name


def test_constants():
    for name in ('CONTENT_TYPE_LATEST', 'CONTENT_TYPE_PLAIN_0_0_4', 'CONTENT_TYPE_PLAIN_1_0_0'):
        assert getattr(fpx, name) == getattr(pcx, name)
        assert getattr(fastprom, name) == getattr(prometheus_client, name)
    for name in ('CONTENT_TYPE_LATEST', 'CONTENT_TYPE_LATEST_2_0', 'ESCAPING_HEADER_TAG',
                 'ALLOWUTF8', 'UNDERSCORES', 'DOTS', 'VALUES'):
        assert getattr(fpom, name) == getattr(pcom, name)


@pytest.mark.parametrize('accept', ACCEPT_HEADERS)
def test_choose_encoder_matches(registries, accept):
    f_enc, f_ct = fpx.choose_encoder(accept)
    try:
        p_enc, p_ct = pcx.choose_encoder(accept)
    except TypeError:
        # prometheus_client fails comparing a non-numeric version with (1, 0, 0);
        # fastprom skips that entry instead (docs/compatibility.md).
        assert (f_enc, f_ct) == (fpx.generate_latest, fpx.CONTENT_TYPE_PLAIN_0_0_4)
        return
    assert f_ct == p_ct
    if p_enc is pcx.generate_latest:
        assert f_enc is fpx.generate_latest
    else:
        assert isinstance(f_enc, functools.partial)
        assert f_enc.keywords == p_enc.keywords
        assert f_enc.func.__module__.replace('fastprom', 'prometheus_client') == p_enc.func.__module__
        assert f_enc.func.__name__ == p_enc.func.__name__
    assert f_enc(registries['fastprom']) == p_enc(registries['prometheus_client'])


@pytest.mark.parametrize('header', [
    None, '', 'gzip', 'GZIP', 'deflate, gzip;q=1.0', 'gzip;q=0', 'x-gzip', 'identity', ' gzip ,br'])
def test_gzip_accepted_matches(header):
    assert fpx.gzip_accepted(header) == pcx.gzip_accepted(header)


@pytest.mark.parametrize('accept', ACCEPT_HEADERS[:8] + ACCEPT_HEADERS[12:16])
@pytest.mark.parametrize('encoding', [None, 'gzip'])
@pytest.mark.parametrize('params', [{}, {'name[]': ['requests_total']}, {'name[]': []},
                                    {'name[]': ['size_bytes_bucket', 'build_info', 'nope']}])
@pytest.mark.parametrize('disable_compression', [False, True])
def test_bake_output_matches(registries, accept, encoding, params, disable_compression):
    f = fpx._bake_output(registries['fastprom'], accept, encoding, params, disable_compression)
    p = pcx._bake_output(registries['prometheus_client'], accept, encoding, params, disable_compression)
    assert f[0] == p[0]
    assert f[1] == p[1]
    assert _ungzip(f[1], f[2]) == _ungzip(p[1], p[2])


def _call_wsgi(app, **environ):
    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/metrics', 'QUERY_STRING': ''}
    env.update(environ)
    seen = {}

    def start_response(status, headers):
        seen['status'], seen['headers'] = status, headers

    body = b''.join(app(env, start_response))
    return seen['status'], seen['headers'], _ungzip(seen['headers'], body)


@pytest.mark.parametrize('environ', [
    {}, {'PATH_INFO': '/'}, {'PATH_INFO': '/anything/else'}, {'PATH_INFO': '/favicon.ico'},
    {'REQUEST_METHOD': 'OPTIONS'}, {'REQUEST_METHOD': 'POST'}, {'REQUEST_METHOD': 'HEAD'},
    {'REQUEST_METHOD': 'DELETE', 'PATH_INFO': '/favicon.ico'},
    {'QUERY_STRING': 'name[]=requests_total&name[]=temperature_celsius'},
    {'QUERY_STRING': 'name%5B%5D=queue_bucket'}, {'QUERY_STRING': 'name[]='},
    {'HTTP_ACCEPT_ENCODING': 'gzip'},
    {'HTTP_ACCEPT': 'application/openmetrics-text; version=1.0.0', 'HTTP_ACCEPT_ENCODING': 'gzip'},
    {'HTTP_ACCEPT': 'text/plain; version=1.0.0; escaping=allow-utf-8'},
])
@pytest.mark.parametrize('disable_compression', [False, True])
def test_wsgi_app_matches(registries, environ, disable_compression):
    f = _call_wsgi(fastprom.make_wsgi_app(registries['fastprom'], disable_compression), **environ)
    p = _call_wsgi(prometheus_client.make_wsgi_app(registries['prometheus_client'], disable_compression),
                   **environ)
    assert f == p


def test_wsgi_app_gzip_really_compresses(registries):
    app = fastprom.make_wsgi_app(registries['fastprom'])
    seen = {}
    body = b''.join(app({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/', 'QUERY_STRING': '',
                         'HTTP_ACCEPT_ENCODING': 'gzip'},
                        lambda s, h: seen.update(headers=h)))
    assert ('Content-Encoding', 'gzip') in seen['headers']
    assert body[:2] == b'\x1f\x8b'
    assert gzip.decompress(body) == fastprom.generate_latest(registries['fastprom'])


# --- real servers ------------------------------------------------------------------------

def _fetch(url, headers=None, context=None, method='GET'):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _comparable(status, headers, body):
    # Per-connection and per-server headers: fastprom's native server speaks HTTP/1.1 and
    # answers urllib's `Connection: close` in kind; wsgiref speaks HTTP/1.0.
    headers = {k: v for k, v in headers.items() if k not in ('Date', 'Server', 'Content-Length', 'Connection')}
    if headers.get('Content-Encoding') == 'gzip':
        body = gzip.decompress(body)
    return status, headers, body


@pytest.fixture
def servers(registries):
    started = {}
    for name, lib in (('fastprom', fastprom), ('prometheus_client', prometheus_client)):
        port = free_port()
        started[name] = (lib.start_http_server(port, addr='127.0.0.1', registry=registries[name]), port)
    yield started
    for (server, thread), _ in started.values():
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_start_http_server_returns_server_and_daemon_thread(servers):
    (server, thread), port = servers['fastprom']
    assert isinstance(thread, threading.Thread) and thread.daemon and thread.is_alive()
    assert server.server_address[1] == port
    assert fastprom.start_http_server is fastprom.start_wsgi_server


@pytest.mark.parametrize('path,headers,method', [
    ('/metrics', {}, 'GET'),
    ('/', {'Accept-Encoding': 'gzip'}, 'GET'),
    ('/metrics?name[]=requests_total&name[]=build_info', {}, 'GET'),
    ('/metrics', {'Accept': 'application/openmetrics-text; version=1.0.0; escaping=allow-utf-8'}, 'GET'),
    ('/metrics', {'Accept': 'text/plain; version=1.0.0; escaping=dots', 'Accept-Encoding': 'gzip'}, 'GET'),
    ('/favicon.ico', {}, 'GET'),
    ('/metrics', {}, 'OPTIONS'),
    ('/metrics', {}, 'POST'),
])
def test_http_server_serves_like_prometheus_client(servers, path, headers, method):
    got = {name: _comparable(*_fetch(f'http://127.0.0.1:{port}{path}', headers, method=method))
           for name, (_, port) in servers.items()}
    assert got['fastprom'] == got['prometheus_client']
    if method == 'GET' and path.startswith('/metrics'):
        assert got['fastprom'][0] == 200 and got['fastprom'][2]


@pytest.mark.skipif(not ipv6_loopback_available(), reason='no IPv6 loopback here')
def test_http_server_on_ipv6(registries):
    port = free_port('::1')
    server, thread = fastprom.start_http_server(port, addr='::1', registry=registries['fastprom'])
    try:
        import socket
        assert server.address_family == socket.AF_INET6
        status, _, body = _fetch(f'http://[::1]:{port}/metrics')
        assert status == 200 and body == fastprom.generate_latest(registries['fastprom'])
    finally:
        server.shutdown()
        server.server_close()


def test_http_server_on_localhost_name(registries):
    port = free_port()
    server, _ = fastprom.start_http_server(port, addr='localhost', registry=registries['fastprom'])
    try:
        host = server.server_address[0]
        url_host = f'[{host}]' if ':' in host else host
        assert _fetch(f'http://{url_host}:{port}/')[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def _client_context(certs, with_client_cert=False, max_version=None):
    ctx = ssl.create_default_context(cafile=certs['ca'])
    if with_client_cert:
        ctx.load_cert_chain(certs['client_cert'], certs['client_key'])
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def _start_tls(registry, certs, **kw):
    port = free_port()
    server, thread = fastprom.start_http_server(
        port, addr='127.0.0.1', registry=registry,
        certfile=certs['server_cert'], keyfile=certs['server_key'], **kw)
    return server, port


def test_https_server(registries, certs):
    server, port = _start_tls(registries['fastprom'], certs)
    try:
        status, headers, body = _fetch(f'https://localhost:{port}/metrics',
                                       context=_client_context(certs))
        assert status == 200
        assert body == fastprom.generate_latest(registries['fastprom'])
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            _fetch(f'http://127.0.0.1:{port}/metrics')  # plain HTTP to a TLS port
    finally:
        server.shutdown()
        server.server_close()


def test_https_server_requires_client_certificate(registries, certs):
    server, port = _start_tls(registries['fastprom'], certs, client_cafile=certs['ca'],
                              client_auth_required=True)
    try:
        with pytest.raises((urllib.error.URLError, ssl.SSLError, ConnectionError)):
            _fetch(f'https://localhost:{port}/metrics', context=_client_context(certs))
        status, _, body = _fetch(f'https://localhost:{port}/metrics',
                                 context=_client_context(certs, with_client_cert=True))
        assert status == 200 and b'requests_total' in body
    finally:
        server.shutdown()
        server.server_close()


def test_https_server_tls_version_bounds(registries, certs):
    server, port = _start_tls(registries['fastprom'], certs,
                              tls_min_version=ssl.TLSVersion.TLSv1_3)
    try:
        with pytest.raises((urllib.error.URLError, ssl.SSLError, ConnectionError)):
            _fetch(f'https://localhost:{port}/', context=_client_context(
                certs, max_version=ssl.TLSVersion.TLSv1_2))
        assert _fetch(f'https://localhost:{port}/', context=_client_context(certs))[0] == 200
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize('kwargs', [
    {'certfile': '/nonexistent/cert.pem', 'keyfile': '/nonexistent/key.pem'},
    {'client_cafile': '/nonexistent/ca.pem'},
])
def test_tls_errors_match(registries, certs, kwargs):
    base = {'certfile': certs['server_cert'], 'keyfile': certs['server_key']}
    errors = []
    for lib in (fastprom, prometheus_client):
        with pytest.raises(Exception) as info:
            lib.start_http_server(free_port(), addr='127.0.0.1', registry=lib.CollectorRegistry(),
                                  **{**base, **kwargs})
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_metrics_handler_and_factory(registries):
    handler = fastprom.MetricsHandler.factory(registries['fastprom'])
    assert issubclass(handler, fastprom.MetricsHandler)
    assert handler.__name__ == 'MetricsHandler'
    assert fastprom.MetricsHandler.registry is fastprom.REGISTRY
    httpd = http.server.HTTPServer(('127.0.0.1', 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        port = httpd.server_address[1]
        status, headers, body = _fetch(f'http://127.0.0.1:{port}/?name[]=queue_bucket',
                                       {'Accept-Encoding': 'gzip'})
        assert status == 200 and headers['Content-Encoding'] == 'gzip'
        want = pcx._bake_output(registries['prometheus_client'], None, None,
                                {'name[]': ['queue_bucket']}, True)[2]
        assert gzip.decompress(body) == want
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- textfile ----------------------------------------------------------------------------

@pytest.mark.parametrize('escaping', [None] + ESCAPINGS)
def test_write_to_textfile_matches(registries, tmp_path, escaping):
    kw = {} if escaping is None else {'escaping': escaping}
    fastprom.write_to_textfile(str(tmp_path / 'f.prom'), registries['fastprom'], **kw)
    prometheus_client.write_to_textfile(str(tmp_path / 'p.prom'), registries['prometheus_client'], **kw)
    assert (tmp_path / 'f.prom').read_bytes() == (tmp_path / 'p.prom').read_bytes()
    assert sorted(os.listdir(tmp_path)) == ['f.prom', 'p.prom']


def test_write_to_textfile_tmpdir(registries, tmp_path):
    tmpdir = tmp_path / 'tmp'
    tmpdir.mkdir()
    target = tmp_path / 'out.prom'
    fastprom.write_to_textfile(str(target), registries['fastprom'], tmpdir=str(tmpdir))
    assert target.read_bytes() == fastprom.generate_latest(registries['fastprom'], 'allow-utf-8')
    assert os.listdir(tmpdir) == []


def test_write_to_textfile_failure_keeps_old_file(tmp_path):
    class Broken:
        def collect(self):
            raise RuntimeError('collector failed')

    registry = fastprom.CollectorRegistry()
    registry.register(Broken())
    target = tmp_path / 'out.prom'
    target.write_text('old\n')
    with pytest.raises(RuntimeError, match='collector failed'):
        fastprom.write_to_textfile(str(target), registry)
    assert target.read_text() == 'old\n'
    assert os.listdir(tmp_path) == ['out.prom']


def test_write_to_textfile_missing_directory(registries, tmp_path):
    with pytest.raises(FileNotFoundError):
        fastprom.write_to_textfile(str(tmp_path / 'no' / 'x.prom'), registries['fastprom'])
