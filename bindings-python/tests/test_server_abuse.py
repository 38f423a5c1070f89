"""start_http_server's native server under load and abuse, on loopback only and bounded in
time: concurrent scrapes with Python collectors, slowloris, idle TLS connections, plain
HTTP to the TLS port, malformed and oversized requests, many ``name[]`` parameters.
Throughout, normal scrapes keep being answered (a generous liveness timeout, never a speed
assertion), and the process's threads and memory stay bounded.
"""

import gzip
import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import warnings

import pytest

import fastprom
from fastprom.core import CounterMetricFamily
from fastprom.exposition import _bake_output, start_native_server

from conftest import free_port

LIVENESS = 15.0  # seconds a normal scrape may take while the server is under abuse


class CountingCollector:
    """A Python custom collector: counts its calls and exposes the count."""

    def __init__(self):
        self.calls = 0
        self._lock = threading.Lock()

    def collect(self):
        with self._lock:
            self.calls += 1
            calls = self.calls
        family = CounterMetricFamily('collector_calls', 'Calls of the Python collector.', labels=['who'])
        family.add_metric(['me'], calls)
        yield family


@pytest.fixture
def registry():
    reg = fastprom.CollectorRegistry()
    requests = fastprom.Counter('requests', 'Requests.', ['path', 'code'], registry=reg)
    for i in range(500):
        requests.labels(f'/p{i}', '200').inc(i)
    collector = CountingCollector()
    reg.register(collector)
    reg.counting = collector
    return reg


def _start(registry, **kw):
    port = free_port()
    server, thread = start_native_server(port, '127.0.0.1', registry, **kw)
    return server, thread, port


@pytest.fixture
def server(registry):
    server, thread, port = _start(registry, header_timeout=2.0, body_timeout=2.0)
    yield port
    server.shutdown()
    thread.join(10)
    assert not thread.is_alive()


def scrape(port, path='/metrics', headers=None, timeout=LIVENESS, scheme='http', context=None):
    """``(status, headers, body)`` of one GET."""
    req = urllib.request.Request(f'{scheme}://127.0.0.1:{port}{path}', headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def assert_live(port, **kw):
    status, headers, body = scrape(port, **kw)
    assert status == 200
    if headers.get('Content-Encoding') == 'gzip':
        body = gzip.decompress(body)
    assert b'requests_total{code="200",path="/p499"} 499.0' in body
    assert b'collector_calls_total{who="me"}' in body


def _threads() -> int:
    with open('/proc/self/status') as f:
        return int(next(line for line in f if line.startswith('Threads:')).split()[1])


def _rss_kib() -> int:
    with open('/proc/self/status') as f:
        return int(next(line for line in f if line.startswith('VmRSS:')).split()[1])


def _raw(port, data: bytes, timeout=LIVENESS) -> bytes:
    """Sends ``data`` and reads until the server closes."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close before taking everything (a huge request)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b''.join(chunks)


def test_concurrent_scrapes_run_the_python_collector_each_time(registry, server):
    before = registry.counting.calls
    errors = []

    def worker():
        try:
            for _ in range(15):
                assert_live(server)
        except Exception as e:  # collected and re-raised below
            errors.append(e)

    workers = [threading.Thread(target=worker) for _ in range(12)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert not errors, errors
    assert registry.counting.calls - before == 12 * 15


def test_slowloris_does_not_stop_scrapes_and_is_cut_by_the_header_timeout(server):
    baseline_threads = _threads()
    slow = []
    for _ in range(200):
        s = socket.create_connection(('127.0.0.1', server), timeout=LIVENESS)
        s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')
        slow.append(s)
    stop = threading.Event()

    def drip():
        # One more header byte per connection every 0.3 s: never a complete request.
        while not stop.is_set():
            for s in slow:
                try:
                    s.send(b'X')
                except OSError:
                    pass
            time.sleep(0.3)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        began = time.monotonic()
        while time.monotonic() - began < 3.0:
            assert_live(server)
            # Connections are tasks, not threads: the count does not follow the clients.
            assert _threads() <= baseline_threads + 1 + 8
        # The header timeout (2 s here) has closed every slow connection.
        deadline = time.monotonic() + LIVENESS
        for s in slow:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
    finally:
        stop.set()
        dripper.join(10)
        for s in slow:
            s.close()
    assert_live(server)


def test_idle_tls_connections_do_not_block_https_scrapes(registry, certs):
    server, thread, port = _start(registry, certfile=certs['server_cert'], keyfile=certs['server_key'],
                                  header_timeout=2.0)
    context = ssl.create_default_context(cafile=certs['ca'])
    idle = [socket.create_connection(('127.0.0.1', port), timeout=LIVENESS) for _ in range(50)]
    try:
        for _ in range(5):
            status, _, body = scrape(port, scheme='https', context=context)
            assert status == 200 and b'collector_calls_total' in body
        # Plain HTTP to the TLS port: a plain 400 that says so.
        answer = _raw(port, b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
        assert answer.startswith(b'HTTP/1.0 400 Bad Request\r\n')
        assert answer.endswith(b'Client sent an HTTP request to an HTTPS server.\n')
        status, _, _ = scrape(port, scheme='https', context=context)
        assert status == 200
    finally:
        for s in idle:
            s.close()
        server.shutdown()
        thread.join(10)


@pytest.mark.parametrize('request_bytes,statuses', [
    (b'GARBAGE\r\n\r\n', {400}),
    (b'GET\r\n\r\n', {400}),
    (b'GET / HTTP/9.9\r\nHost: x\r\n\r\n', {400, 505}),
    (b'GET / HTTP/1.1\r\nBad Header Line\r\n\r\n', {400}),
    (b'\x00\xff\xfe\r\n\r\n', {400}),
    (b'GET / HTTP/1.1\r\nHost: x\r\nX: ' + b'a' * 100_000 + b'\r\n\r\n', {431}),
    (b'GET / HTTP/1.1\r\nHost: x\r\n' + b''.join(b'X-%d: y\r\n' % i for i in range(200)) + b'\r\n', {431}),
    (b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + b'x' * 70_000, {413}),
    (b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', {408}),
    (b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n', {400}),
    (b'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', {400}),
])
def test_malformed_and_oversized_requests_get_4xx_and_the_server_goes_on(server, request_bytes, statuses):
    answer = _raw(server, request_bytes)
    # An answer with the status that says what is wrong (never a 5xx or a scrape), then
    # the connection closes.
    assert answer, 'closed without an answer'
    status = int(answer.split(b' ', 2)[1])
    assert status in statuses, answer[:200]
    assert_live(server)


def test_many_name_parameters(registry, server):
    names = ['requests_total', 'collector_calls_total'] + [f'nothing_{i}' for i in range(2000)]
    query = '&'.join(f'name[]={n}' for n in names)
    status, _, body = scrape(server, '/metrics?' + query)
    assert status == 200
    want = _bake_output(registry, None, None, {'name[]': names}, False)[2]
    assert body == want
    # As prometheus_client's restricted registry: a collector without describe() (and
    # auto_describe off) owns no names, so name[] leaves it out.
    assert b'collector_calls_total' not in body and b'requests_total{code="200",path="/p0"} 0.0' in body
    # A query past the 64 KiB header limit is refused, and the server goes on.
    huge = '&'.join(f'name[]=nothing_{i}' for i in range(10_000))
    answer = _raw(server, f'GET /metrics?{huge} HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
    assert int(answer.split(b' ', 2)[1]) in (414, 431)
    assert_live(server)


def test_threads_and_memory_stay_bounded(server):
    assert_live(server)
    threads, rss = _threads(), _rss_kib()
    for _ in range(3):
        sockets = [socket.create_connection(('127.0.0.1', server), timeout=LIVENESS) for _ in range(300)]
        for s in sockets[::2]:
            s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')  # half a request
        for _ in range(10):
            assert_live(server, headers={'Accept-Encoding': 'gzip'})
        for s in sockets:
            s.close()
    assert _threads() <= threads + 8
    assert _rss_kib() - rss < 64 * 1024, 'more than 64 MiB grown'


def test_limits_must_be_positive(registry):
    for kw in ({'header_timeout': 0}, {'body_timeout': -1}, {'max_scrapes': 0}, {'max_connections': 0}):
        with pytest.raises(ValueError, match='must be > 0'):
            start_native_server(free_port(), '127.0.0.1', registry, **kw)


def test_basic_auth_of_start_native_server(registry):
    server, thread, port = _start(registry, basic_auth=('scraper', 's3cret'))
    try:
        status, headers, body = scrape(port)
        assert status == 401 and headers['Www-Authenticate'].startswith('Basic realm=')
        import base64
        token = base64.b64encode(b'scraper:s3cret').decode()
        status, headers, body = scrape(port, headers={'Authorization': f'Basic {token}', 'Accept-Encoding': 'gzip'})
        assert status == 200 and headers['Content-Encoding'] == 'gzip'
        assert b'collector_calls_total' in gzip.decompress(body)
        wrong = base64.b64encode(b'scraper:nope').decode()
        assert scrape(port, headers={'Authorization': f'Basic {wrong}'})[0] == 401
    finally:
        server.shutdown()
        thread.join(10)


def test_shutdown_under_slowloris_frees_the_port_promptly(registry):
    server, thread, port = _start(registry)  # default 10 s header timeout
    slow = [socket.create_connection(('127.0.0.1', port)) for _ in range(100)]
    for s in slow:
        s.sendall(b'GET / HTTP/1.1\r\n')
    began = time.monotonic()
    server.shutdown()
    thread.join(LIVENESS)
    assert not thread.is_alive()
    # The 2 s grace at most, not the slow clients' 10 s header timeout.
    assert time.monotonic() - began < 5.0
    for s in slow:
        s.close()
    server.server_close()  # idempotent
    # The port is free again: a new server binds it (SO_REUSEADDR, as socketserver sets).
    again, again_thread = start_native_server(port, '127.0.0.1', registry)
    try:
        assert_live(port)
    finally:
        again.shutdown()
        again_thread.join(10)


def test_a_failing_collector_gives_500_and_the_server_goes_on(registry, server):
    class Failing:
        def collect(self):
            raise RuntimeError('the bridged system is down')

    failing = Failing()
    registry.register(failing)
    try:
        status, _, body = scrape(server)
        # As wsgiref answers an app that raised: the fixed text, the traceback on stderr.
        assert status == 500
        assert body == b'A server error occurred.  Please contact the administrator.'
        assert b'bridged' not in body
    finally:
        registry.unregister(failing)
    assert_live(server)


def test_http_1_1_keep_alive_serves_many_requests_on_one_connection(server):
    conn = http.client.HTTPConnection('127.0.0.1', server, timeout=LIVENESS)
    try:
        for _ in range(20):
            conn.request('GET', '/metrics')
            r = conn.getresponse()
            assert r.status == 200 and b'collector_calls_total' in r.read()
            assert r.getheader('Connection') != 'close'
    finally:
        conn.close()


def test_client_capath_loads_every_certificate_of_the_directory(registry, certs, tmp_path):
    # No c_rehash-style names: the CA is in a file called ca.pem, beside a file that holds
    # no certificate at all.
    (tmp_path / 'ca.pem').write_bytes(open(certs['ca'], 'rb').read())
    (tmp_path / 'notes.txt').write_text('not a certificate')
    server, thread, port = _start(registry, certfile=certs['server_cert'], keyfile=certs['server_key'],
                                  client_capath=str(tmp_path), client_auth_required=True)
    try:
        without = ssl.create_default_context(cafile=certs['ca'])
        with pytest.raises((urllib.error.URLError, ssl.SSLError, ConnectionError)):
            scrape(port, scheme='https', context=without)
        with_cert = ssl.create_default_context(cafile=certs['ca'])
        with_cert.load_cert_chain(certs['client_cert'], certs['client_key'])
        status, _, body = scrape(port, scheme='https', context=with_cert)
        assert status == 200 and b'collector_calls_total' in body
    finally:
        server.shutdown()
        thread.join(10)


def test_tls_versions_rustls_cannot_speak_are_refused(registry, certs):
    for kw in ({'tls_max_version': ssl.TLSVersion.TLSv1_1}, {'protocol': ssl.PROTOCOL_TLSv1}):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)  # Python's own, for the old versions
            with pytest.raises(ssl.SSLError, match='TLS 1.2 and 1.3 only'):
                start_native_server(free_port(), '127.0.0.1', registry, certfile=certs['server_cert'],
                                    keyfile=certs['server_key'], **kw)
