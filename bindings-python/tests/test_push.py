"""Pushgateway client: the requests fastprom builds must equal prometheus_client's, and
its handlers must send them over real HTTP(S) like prometheus_client's do."""

import base64
import gzip
import http.server
import ssl
import threading
import urllib.error

import pytest

import fastprom
import prometheus_client
from fastprom import exposition as fpx
from prometheus_client import exposition as pcx

from conftest import fixed_registry

GROUPING_KEYS = [
    None, {}, {'instance': 'host:9100'}, {'a': 'b', 'c': 'd'},
    {'path': 'a/b', 'space': 'x y', 'empty': '', 'uni': 'é€', 'plus': 'a+b&c=d%'},
    {'number': 5, 'float': 1.5, 'bool': True}, {'z': '1', 'a': '2', 'M': '3'},
]
GATEWAYS = ['localhost:9091', 'http://localhost:9091', 'http://localhost:9091/', 'https://gw.example:443/base//',
            'HTTP://Upper:1', 'gw', 'http://[::1]:9091', 'ftp://x']
JOBS = ['job', 'my job', 'a/b', '', 'jöb', 'x@y']


class Capture:
    """A push handler that records what it is given instead of sending it."""

    def __init__(self):
        self.calls = []

    def __call__(self, url, method, timeout, headers, data):
        def send():
            self.calls.append({'url': url, 'method': method, 'timeout': timeout,
                               'headers': list(headers), 'data': data})
        return send


def _normalised(call):
    call = dict(call)
    if ('Content-Encoding', 'gzip') in call['headers']:
        call['data'] = gzip.decompress(call['data'])
    return call


def _both(fn_name, *args, **kwargs):
    """Calls ``fn_name`` on both libraries with capturing handlers; returns both calls."""
    got = []
    for lib in (fastprom, prometheus_client):
        cap = Capture()
        lib_args = [fixed_registry(lib) if a == 'REG' else a for a in args]
        getattr(lib, fn_name)(*lib_args, handler=cap, **kwargs)
        assert len(cap.calls) == 1
        got.append(_normalised(cap.calls[0]))
    return got


@pytest.mark.parametrize('grouping_key', GROUPING_KEYS)
@pytest.mark.parametrize('fn', ['push_to_gateway', 'pushadd_to_gateway'])
def test_push_request_matches(fn, grouping_key):
    f, p = _both(fn, 'localhost:9091', 'job', 'REG', grouping_key=grouping_key)
    assert f == p


@pytest.mark.parametrize('gateway', GATEWAYS)
@pytest.mark.parametrize('job', JOBS)
def test_push_url_matches(gateway, job):
    f, p = _both('push_to_gateway', gateway, job, 'REG', grouping_key={'k': 'v/w'})
    assert f == p


@pytest.mark.parametrize('grouping_key', GROUPING_KEYS)
def test_delete_request_matches(grouping_key):
    f, p = _both('delete_from_gateway', 'localhost:9091', 'job', grouping_key=grouping_key)
    assert f == p
    assert f['data'] == b'' and f['method'] == 'DELETE'


@pytest.mark.parametrize('compression', ['gzip', 'GZIP', 'Gzip'])
def test_gzip_push_matches(compression):
    f, p = _both('push_to_gateway', 'gw:1', 'job', 'REG', compression=compression)
    assert f == p
    assert ('Content-Encoding', 'gzip') in f['headers']


@pytest.mark.parametrize('timeout', [None, 0.5, 30])
def test_timeout_is_passed_through(timeout):
    f, p = _both('pushadd_to_gateway', 'gw:1', 'job', 'REG', timeout=timeout)
    assert f['timeout'] == p['timeout'] == timeout


def test_default_timeout_and_handler_match():
    import inspect
    for name in ('push_to_gateway', 'pushadd_to_gateway', 'delete_from_gateway'):
        f = inspect.signature(getattr(fastprom, name)).parameters
        p = inspect.signature(getattr(prometheus_client, name)).parameters
        assert list(f) == list(p)
        assert f['timeout'].default == p['timeout'].default == 30
        assert f['handler'].default is fpx.default_handler


def test_pushadd_without_registry_pushes_default_registry():
    cap = Capture()
    fastprom.pushadd_to_gateway('gw:1', 'job', None, handler=cap)
    assert b'process_cpu_seconds_total' in cap.calls[0]['data']
    assert b'python_info' in cap.calls[0]['data']


@pytest.mark.parametrize('compression,exc', [('bogus', ValueError), ('snappy', RuntimeError), ('', ValueError)])
def test_compression_errors_match(compression, exc):
    if compression == 'snappy' and (fpx.SNAPPY_AVAILABLE or pcx.SNAPPY_AVAILABLE):
        pytest.skip('python-snappy is installed')
    messages = []
    for lib in (fastprom, prometheus_client):
        with pytest.raises(exc) as info:
            lib.push_to_gateway('gw:1', 'job', fixed_registry(lib), handler=Capture(), compression=compression)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_instance_ip_grouping_key_matches():
    assert fastprom.instance_ip_grouping_key() == prometheus_client.instance_ip_grouping_key()


# --- over the network --------------------------------------------------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        self.server.seen.append({'method': self.command, 'path': self.path,
                                 'headers': dict(self.headers), 'body': body})
        if self.path.startswith('/redirect'):
            self.send_response(301)
            self.send_header('Location', self.path.replace('/redirect', '/moved', 1))
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        status = 500 if self.path.startswith('/fail') else 200
        self.send_response(status)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_GET = do_PUT = do_POST = do_DELETE = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Recorder)
    server.seen = []
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server, scheme='http'):
    return f'{scheme}://127.0.0.1:{server.server_address[1]}'


@pytest.mark.parametrize('fn,method', [('push_to_gateway', 'PUT'), ('pushadd_to_gateway', 'POST')])
def test_default_handler_sends_request(gateway, fn, method):
    for lib in (fastprom, prometheus_client):
        getattr(lib, fn)(_url(gateway), 'my job', fixed_registry(lib),
                         grouping_key={'instance': 'a/b', 'x': 'y'}, compression='gzip')
    f, p = gateway.seen
    assert f['method'] == p['method'] == method
    assert f['path'] == p['path'] == '/metrics/job@base64/bXkgam9i/instance@base64/YS9i/x/y'
    assert f['headers']['Content-Type'] == 'text/plain; version=0.0.4; charset=utf-8'
    assert f['headers']['Content-Encoding'] == 'gzip'
    assert gzip.decompress(f['body']) == gzip.decompress(p['body'])


def test_delete_sends_request(gateway):
    fastprom.delete_from_gateway(gateway.server_address[0] + ':' + str(gateway.server_address[1]), 'j')
    [seen] = gateway.seen
    assert seen['method'] == 'DELETE' and seen['path'] == '/metrics/job/j' and seen['body'] == b''


def test_basic_auth_handler(gateway):
    def handler(url, method, timeout, headers, data):
        return fpx.basic_auth_handler(url, method, timeout, headers, data, 'user', 'pa:ss')

    fastprom.push_to_gateway(_url(gateway), 'job', fixed_registry(fastprom), handler=handler)
    [seen] = gateway.seen
    assert seen['headers']['Authorization'] == 'Basic ' + base64.b64encode(b'user:pa:ss').decode()


def test_basic_auth_handler_without_credentials(gateway):
    handler = fpx.basic_auth_handler(_url(gateway) + '/metrics/job/j', 'PUT', 5, [], b'x')
    handler()
    assert 'Authorization' not in gateway.seen[0]['headers']


def test_passthrough_redirect_handler_repeats_put(gateway):
    fastprom.push_to_gateway(_url(gateway) + '/redirect', 'job', fixed_registry(fastprom),
                             handler=fpx.passthrough_redirect_handler)
    first, second = gateway.seen
    assert (first['method'], second['method']) == ('PUT', 'PUT')
    assert second['path'] == '/moved/metrics/job/job'
    assert second['body'] == first['body'] == fastprom.generate_latest(fixed_registry(fastprom))


def test_default_handler_refuses_put_redirect_like_prometheus_client(gateway):
    errors = []
    for lib in (fastprom, prometheus_client):
        with pytest.raises(urllib.error.HTTPError) as info:
            lib.push_to_gateway(_url(gateway) + '/redirect', 'job', fixed_registry(lib))
        errors.append(info.value.code)
    assert errors == [301, 301]


def test_error_status_raises_like_prometheus_client(gateway):
    errors = []
    for lib in (fastprom, prometheus_client):
        with pytest.raises(urllib.error.HTTPError) as info:
            lib.pushadd_to_gateway(_url(gateway) + '/fail', 'job', fixed_registry(lib))
        errors.append((type(info.value), info.value.code))
    assert errors[0] == errors[1]


def test_unreachable_gateway_raises_urlerror():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    with pytest.raises(urllib.error.URLError):
        fastprom.push_to_gateway(f'127.0.0.1:{port}', 'job', fixed_registry(fastprom), timeout=5)


def test_tls_auth_handler(certs):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Recorder)
    server.seen = []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs['server_cert'], certs['server_key'])
    ctx.load_verify_locations(certs['ca'])
    ctx.verify_mode = ssl.CERT_REQUIRED
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        port = server.server_address[1]

        def handler(url, method, timeout, headers, data):
            return fpx.tls_auth_handler(url, method, timeout, headers, data,
                                        certs['client_cert'], certs['client_key'], cafile=certs['ca'])

        fastprom.push_to_gateway(f'https://localhost:{port}', 'tls', fixed_registry(fastprom), handler=handler)
        [seen] = server.seen
        assert seen['method'] == 'PUT' and seen['path'] == '/metrics/job/tls'

        # Without our CA the server certificate cannot be verified, unless
        # insecure_skip_verify turns verification off.
        def untrusting(url, method, timeout, headers, data, skip=False):
            return fpx.tls_auth_handler(url, method, timeout, headers, data, certs['client_cert'],
                                        certs['client_key'], insecure_skip_verify=skip)

        with pytest.raises(urllib.error.URLError):
            fastprom.delete_from_gateway(f'https://127.0.0.1:{port}', 'tls', handler=untrusting)
        fastprom.delete_from_gateway(f'https://127.0.0.1:{port}', 'tls',
                                     handler=lambda *a, **k: untrusting(*a, **k, skip=True))
        assert server.seen[-1]['method'] == 'DELETE'
    finally:
        server.shutdown()
        server.server_close()
