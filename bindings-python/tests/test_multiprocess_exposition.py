"""Every exposition path in multi-process mode, against prometheus_client 0.26.

One directory is written per test (by either library's workers, one process, so one file
per metric type and gauge mode) and both libraries serve it: ``generate_latest`` in both
formats, restricted registries and ``name[]`` queries, the WSGI app with content
negotiation and gzip, ``start_http_server`` on loopback, ``write_to_textfile``, the ASGI
app and the Django view. The bytes must be the same. Families come in the order the
directory lists its files; both libraries follow that order, and the directory does not
change between the two reads.

Also here: a ``MultiProcessCollector`` subclass overriding ``collect()`` is called, not
read around; a registry mixing a ``MultiProcessCollector`` with ordinary metrics keeps
registration order; and (fastprom only) a damaged file shows up as
``fastprom_multiprocess_skipped_files_total`` on every path.
"""

import asyncio
import contextlib
import gzip
import http.server
import importlib
import json
import struct
import threading
import urllib.request
import warnings
from wsgiref.util import setup_testing_defaults

import pytest

import fastprom
import prometheus_client

from conftest import free_port, LIBS, run_python
import test_multiprocess

SKIPPED = 'fastprom_multiprocess_skipped_files'
SKIPPED_HELP = 'Multi-process files this collector could not read and left out of its scrapes.'
OPENMETRICS = 'application/openmetrics-text; version=1.0.0'
OPENMETRICS_UTF8 = 'application/openmetrics-text; version=1.0.0; escaping=allow-utf-8'
TEXT_UTF8 = 'text/plain; version=1.0.0; escaping=allow-utf-8'

# Sample names a name[] restriction may ask for: several families, the three kinds of
# series of a histogram, a summary's parts, a name nobody has.
RESTRICTIONS = {
    'one counter': ['requests_total'],
    'several': ['requests_total', 'temperature', 'inflight', 'payload_bytes_count'],
    'histogram buckets': ['latency_seconds_bucket'],
    'histogram sum and count': ['latency_seconds_sum', 'latency_seconds_count'],
    'histogram whole': ['latency_seconds_bucket', 'latency_seconds_sum', 'latency_seconds_count'],
    'family name only': ['requests', 'latency_seconds'],
    'utf-8 name': ['my.dotted_total', 'workers'],
    'unknown': ['nothing_here_total'],
}


# --- the directory -----------------------------------------------------------------------

def submodule(name, sub):
    return importlib.import_module(f'{name}.{sub}')


@contextlib.contextmanager
def shared_values(monkeypatch, name, directory):
    """Library ``name`` in multi-process mode, as process 7, writing to ``directory``."""
    with test_multiprocess.shared_values(monkeypatch, name, directory, ident=lambda: 7) as lib:
        yield lib


def one_process(lib):
    """What one worker does: every file type, escaping in help and label values, a name
    outside the legacy character set."""
    c = lib.Counter('requests', 'Requests "served".\nSecond line \\', ['path'], registry=None)
    c.labels('/a').inc(3)
    c.labels('/b "q"\n\\').inc(0.5)
    lib.Counter('my.dotted', 'A dotted name.', ['label.with.dots'], registry=None).labels('é').inc(2)
    lib.Gauge('inflight', 'In flight (all mode, one series per pid).', registry=None).set(4)
    lib.Gauge('temperature', 'Temperature.', ['room'], multiprocess_mode='max', registry=None).labels('k').set(21.5)
    lib.Gauge('last_seen', 'Most recent.', multiprocess_mode='mostrecent', registry=None).set(1.5)
    lib.Gauge('workers', 'Live sum.', multiprocess_mode='livesum', registry=None).inc(2)
    h = lib.Histogram('latency_seconds', 'Latency.', ['route'], buckets=(0.1, 1, 2.5), registry=None)
    for v in (0.05, 0.5, 3):
        h.labels('/a').observe(v)
    h.labels('/b').observe(1e-3)
    lib.Summary('payload_bytes', 'Payloads.', registry=None).observe(1024)


@pytest.fixture(params=list(LIBS))
def mp_dir(request, monkeypatch, tmp_path):
    """A multi-process directory written by one library's worker (both, in turn)."""
    directory = tmp_path / 'mp'
    directory.mkdir()
    with shared_values(monkeypatch, request.param, directory) as lib:
        one_process(lib)
    monkeypatch.delenv('PROMETHEUS_MULTIPROC_DIR')
    return directory


def mp_registry(name, directory, collector_class=None, **registry_options):
    """A fresh registry of library ``name`` holding only a MultiProcessCollector (or an
    instance of ``collector_class``) on ``directory``."""
    lib = importlib.import_module(name)
    registry = lib.CollectorRegistry(**registry_options)
    cls = collector_class or submodule(name, 'multiprocess').MultiProcessCollector
    cls(registry, path=str(directory))
    return registry


def both(make):
    """{library name: make(name)} for both libraries."""
    return {name: make(name) for name in LIBS}


def assert_same(got):
    ours, theirs = got['fastprom'], got['prometheus_client']
    assert ours == theirs


def text_of(name, registry, openmetrics=False):
    if openmetrics:
        return submodule(name, 'openmetrics.exposition').generate_latest(registry)
    return importlib.import_module(name).generate_latest(registry)


# --- generate_latest ---------------------------------------------------------------------

@pytest.mark.parametrize('openmetrics', [False, True], ids=['text', 'openmetrics'])
def test_generate_latest(mp_dir, openmetrics):
    got = both(lambda name: text_of(name, mp_registry(name, mp_dir), openmetrics))
    assert_same(got)
    out = got['fastprom']
    assert b'requests_total{path="/a"} 3.0\n' in out
    assert b'latency_seconds_bucket{le="+Inf",route="/a"} 3.0\n' in out
    assert b'inflight{pid="7"} 4.0\n' in out
    assert out.count(b'# TYPE ') == 8
    assert out.endswith(b'# EOF\n') == openmetrics


@pytest.mark.parametrize('escaping', ['underscores', 'dots', 'values', 'allow-utf-8'])
def test_generate_latest_escapings(mp_dir, escaping):
    got = both(lambda name: importlib.import_module(name).generate_latest(mp_registry(name, mp_dir), escaping))
    assert_same(got)
    if escaping == 'allow-utf-8':
        assert '{"my.dotted_total","label.with.dots"="é"} 2.0\n'.encode() in got['fastprom']


def test_generate_latest_twice_and_after_new_writes(monkeypatch, mp_dir):
    """A registry rereads the directory at each scrape."""
    registries = both(lambda name: mp_registry(name, mp_dir))
    first = both(lambda name: text_of(name, registries[name]))
    assert_same(first)
    assert both(lambda name: text_of(name, registries[name])) == first
    with shared_values(monkeypatch, 'prometheus_client', mp_dir) as lib:
        lib.Counter('requests', 'Requests "served".\nSecond line \\', ['path'], registry=None).labels('/a').inc()
    second = both(lambda name: text_of(name, registries[name]))
    assert_same(second)
    assert b'requests_total{path="/a"} 4.0\n' in second['fastprom']


# --- restricted registries and name[] ----------------------------------------------------

@pytest.mark.parametrize('openmetrics', [False, True], ids=['text', 'openmetrics'])
@pytest.mark.parametrize('names', RESTRICTIONS.values(), ids=RESTRICTIONS.keys())
def test_restricted_registry(mp_dir, names, openmetrics):
    # A MultiProcessCollector has no describe(): it claims no names, and a restriction
    # reaches it only in a registry that keeps collectors without names.
    def restricted(name):
        registry = mp_registry(name, mp_dir, support_collectors_without_names=True)
        return text_of(name, registry.restricted_registry(names), openmetrics)

    got = both(restricted)
    assert_same(got)
    out = got['fastprom']
    if 'latency_seconds_bucket' in names:
        assert b'latency_seconds_bucket{le="0.1",route="/a"} 1.0\n' in out
    if 'latency_seconds_count' in names:
        assert b'latency_seconds_count{route="/b"} 1.0\n' in out
    for absent in ('payload_bytes_sum', 'last_seen', 'my.dotted_total'):
        if absent not in names:
            assert absent.replace('.', '_').encode() not in out


@pytest.mark.parametrize('names', [['requests_total'], ['latency_seconds_sum']])
def test_restricted_registry_without_nameless_collectors(mp_dir, names):
    """In a default registry the collector claims no names, so nothing is selected."""
    got = both(lambda name: text_of(name, mp_registry(name, mp_dir).restricted_registry(names)))
    assert_same(got)
    assert got['fastprom'] == b''


def wsgi_get(app, path='/metrics', query='', headers=None):
    """(status, headers, body) of one GET through a WSGI app; gzip bodies come back
    decompressed, with the header kept to show they were compressed."""
    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'QUERY_STRING': query}
    environ.update(headers or {})
    setup_testing_defaults(environ)
    started = []
    body = b''.join(app(environ, lambda status, hdrs: started.append((status, hdrs))))
    status, hdrs = started[0]
    if ('Content-Encoding', 'gzip') in hdrs:
        body = gzip.decompress(body)
    return status, hdrs, body


def query_of(names):
    return '&'.join(f'name[]={n}' for n in names)


@pytest.mark.parametrize('names', RESTRICTIONS.values(), ids=RESTRICTIONS.keys())
def test_wsgi_name_query(mp_dir, names):
    def fetch(name):
        registry = mp_registry(name, mp_dir, support_collectors_without_names=True)
        return wsgi_get(importlib.import_module(name).make_wsgi_app(registry), query=query_of(names))

    got = both(fetch)
    assert_same(got)
    assert got['fastprom'][0] == '200 OK'


def test_wsgi_name_query_in_a_default_registry(mp_dir):
    def fetch(name):
        app = importlib.import_module(name).make_wsgi_app(mp_registry(name, mp_dir))
        return wsgi_get(app, query=query_of(['requests_total', 'latency_seconds_bucket']))

    got = both(fetch)
    assert_same(got)
    assert got['fastprom'][2] == b''


# --- WSGI negotiation --------------------------------------------------------------------

NEGOTIATIONS = {
    'plain': {},
    'openmetrics': {'HTTP_ACCEPT': OPENMETRICS},
    'openmetrics utf-8': {'HTTP_ACCEPT': OPENMETRICS_UTF8},
    'text utf-8': {'HTTP_ACCEPT': TEXT_UTF8},
    'gzip': {'HTTP_ACCEPT_ENCODING': 'gzip'},
    'openmetrics gzip': {'HTTP_ACCEPT': OPENMETRICS, 'HTTP_ACCEPT_ENCODING': 'gzip, deflate'},
}


@pytest.mark.parametrize('disable_compression', [False, True], ids=['compression', 'no compression'])
@pytest.mark.parametrize('headers', NEGOTIATIONS.values(), ids=NEGOTIATIONS.keys())
def test_wsgi_negotiation(mp_dir, headers, disable_compression):
    def fetch(name):
        lib = importlib.import_module(name)
        app = lib.make_wsgi_app(mp_registry(name, mp_dir), disable_compression=disable_compression)
        return wsgi_get(app, headers=headers)

    got = both(fetch)
    assert_same(got)
    status, hdrs, body = got['fastprom']
    gzipped = ('Content-Encoding', 'gzip') in hdrs
    assert gzipped == ('HTTP_ACCEPT_ENCODING' in headers and not disable_compression)
    assert body.endswith(b'# EOF\n') == ('openmetrics' in headers.get('HTTP_ACCEPT', ''))
    assert b'requests_total{path="/a"} 3.0\n' in body


def test_wsgi_gzip_with_name_query(mp_dir):
    def fetch(name):
        registry = mp_registry(name, mp_dir, support_collectors_without_names=True)
        app = importlib.import_module(name).make_wsgi_app(registry)
        return wsgi_get(app, query=query_of(['latency_seconds_bucket', 'requests_total']),
                        headers={'HTTP_ACCEPT': OPENMETRICS, 'HTTP_ACCEPT_ENCODING': 'gzip'})

    got = both(fetch)
    assert_same(got)
    assert ('Content-Encoding', 'gzip') in got['fastprom'][1]


# --- start_http_server -------------------------------------------------------------------

@contextlib.contextmanager
def serving(registries):
    """``start_http_server`` of each library in ``registries`` ({name: registry}) on a
    free loopback port; yields {name: base URL}, and shuts the servers down afterwards
    (together: each shutdown waits out its server's half-second poll)."""
    started = {}
    try:
        for name, registry in registries.items():
            port = free_port()
            lib = importlib.import_module(name)
            started[name] = (port, *lib.start_http_server(port, addr='127.0.0.1', registry=registry))
        yield {name: f'http://127.0.0.1:{port}' for name, (port, _, _) in started.items()}
    finally:
        stoppers = [threading.Thread(target=server.shutdown) for _, server, _ in started.values()]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(5)
        for _, server, thread in started.values():
            server.server_close()
            thread.join(5)


def http_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as resp:
        body = resp.read()
        encoding = resp.headers.get('Content-Encoding')
        if encoding == 'gzip':
            body = gzip.decompress(body)
        return resp.status, resp.headers.get('Content-Type'), encoding, body


HTTP_REQUESTS = [
    ('/metrics', {}),
    ('/metrics', {'Accept': OPENMETRICS}),
    ('/metrics', {'Accept-Encoding': 'gzip'}),
    ('/metrics', {'Accept': OPENMETRICS_UTF8, 'Accept-Encoding': 'gzip'}),
    ('/metrics?' + query_of(['requests_total', 'latency_seconds_sum', 'latency_seconds_count']), {}),
]


def test_start_http_server(mp_dir):
    registries = both(lambda name: mp_registry(name, mp_dir, support_collectors_without_names=True))
    with serving(registries) as bases:
        got = both(lambda name: [http_get(bases[name] + path, headers) for path, headers in HTTP_REQUESTS])
    assert_same(got)
    for (status, _, _, body), (path, headers) in zip(got['fastprom'], HTTP_REQUESTS):
        assert status == 200
        assert b'requests_total{path="/a"} 3.0\n' in body
    assert got['fastprom'][2][2] == 'gzip'
    assert b'payload_bytes' not in got['fastprom'][4][3]


def test_metrics_handler(mp_dir):
    """``MetricsHandler`` in an ``http.server`` of one's own."""
    def fetch_all(name):
        registry = mp_registry(name, mp_dir, support_collectors_without_names=True)
        handler = submodule(name, 'exposition').MetricsHandler.factory(registry)
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            base = f'http://127.0.0.1:{server.server_address[1]}'
            return [http_get(base + path, headers) for path, headers in HTTP_REQUESTS]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    got = both(fetch_all)
    assert_same(got)
    assert all(status == 200 for status, _, _, _ in got['fastprom'])
    assert b'requests_total{path="/a"} 3.0\n' in got['fastprom'][0][3]


# --- write_to_textfile -------------------------------------------------------------------

@pytest.mark.parametrize('escaping', [None, 'underscores'])
def test_write_to_textfile(mp_dir, tmp_path, escaping):
    def write(name):
        path = tmp_path / f'{name}.prom'
        extra = {} if escaping is None else {'escaping': escaping}
        importlib.import_module(name).write_to_textfile(str(path), mp_registry(name, mp_dir), **extra)
        return path.read_bytes()

    got = both(write)
    assert_same(got)
    assert b'requests_total{path="/a"} 3.0\n' in got['fastprom']
    # The default escaping keeps UTF-8 names.
    assert (b'{"my.dotted_total"' in got['fastprom']) == (escaping is None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['fastprom.prom', 'mp', 'prometheus_client.prom']


# --- ASGI --------------------------------------------------------------------------------

async def asgi_call(app, query=b'', headers=()):
    sent = []

    async def receive():
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    async def send(message):
        sent.append(message)

    scope = {'type': 'http', 'method': 'GET', 'path': '/metrics', 'query_string': query,
             'headers': [(k.encode(), v.encode()) for k, v in headers]}
    await app(scope, receive, send)
    start, body = sent
    hdrs = [(k.decode(), v.decode()) for k, v in start['headers']]
    data = body['body']
    if ('Content-Encoding', 'gzip') in hdrs:
        data = gzip.decompress(data)
    return start['status'], hdrs, data


ASGI_REQUESTS = {
    'plain': (b'', ()),
    'name[]': (query_of(['requests_total', 'latency_seconds_bucket']).encode(), ()),
    'openmetrics': (b'', (('Accept', OPENMETRICS),)),
    'gzip': (b'', (('Accept-Encoding', 'gzip'),)),
    'text utf-8 gzip': (b'', (('Accept', TEXT_UTF8), ('accept-encoding', 'gzip'))),
}


@pytest.mark.parametrize('query,headers', ASGI_REQUESTS.values(), ids=ASGI_REQUESTS.keys())
def test_asgi_app(mp_dir, query, headers):
    def fetch(name):
        registry = mp_registry(name, mp_dir, support_collectors_without_names=True)
        app = importlib.import_module(name).make_asgi_app(registry)
        return asyncio.run(asgi_call(app, query, headers))

    got = both(fetch)
    assert_same(got)
    assert got['fastprom'][0] == 200
    assert b'requests_total{path="/a"} 3.0\n' in got['fastprom'][2]


def test_asgi_app_through_httpx(mp_dir):
    httpx = pytest.importorskip('httpx')

    async def fetch(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url='http://testserver') as client:
            resp = await client.get('/metrics', params={'name[]': ['temperature', 'payload_bytes_sum']},
                                    headers={'Accept': OPENMETRICS, 'Accept-Encoding': 'gzip'})
            return resp.status_code, resp.headers.get('content-encoding'), resp.content

    got = both(lambda name: asyncio.run(fetch(importlib.import_module(name).make_asgi_app(
        mp_registry(name, mp_dir, support_collectors_without_names=True)))))
    assert_same(got)
    status, encoding, body = got['fastprom']
    assert (status, encoding) == (200, 'gzip')
    assert b'# HELP payload_bytes Payloads.\n# TYPE payload_bytes summary\npayload_bytes_sum 1024.0\n# ' in body
    assert b'# TYPE temperature gauge\ntemperature{room="k"} 21.5\n' in body
    assert body.endswith(b'# EOF\n') and body.count(b'# TYPE') == 2


@pytest.mark.parametrize('path,headers', HTTP_REQUESTS)
def test_aiohttp_handler(mp_dir, path, headers):
    pytest.importorskip('aiohttp')
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    async def fetch(name):
        registry = mp_registry(name, mp_dir, support_collectors_without_names=True)
        app = web.Application()
        app.router.add_get('/metrics', submodule(name, 'aiohttp').make_aiohttp_handler(registry))
        async with TestClient(TestServer(app, host='127.0.0.1')) as client:
            # The client decompresses; the header still tells what was sent.
            resp = await client.get(path, headers=headers)
            body = await resp.read()
            return resp.status, resp.headers.get('Content-Type'), resp.headers.get('Content-Encoding'), body

    got = both(lambda name: asyncio.run(fetch(name)))
    assert_same(got)
    assert got['fastprom'][0] == 200
    assert b'requests_total{path="/a"} 3.0\n' in got['fastprom'][3]


# --- push to a gateway (the request as handed to the handler; nothing is sent) ----------

@pytest.mark.parametrize('compression', [None, 'gzip'])
def test_push_bodies(mp_dir, compression):
    def pushed(name):
        lib, sent = importlib.import_module(name), []

        def capture(url, method, timeout, headers, data):
            if ('Content-Encoding', 'gzip') in headers:
                data = gzip.decompress(data)
            sent.append((url, method, timeout, headers, data))
            return lambda: None

        registry = mp_registry(name, mp_dir)
        lib.push_to_gateway('127.0.0.1:9', job='batch', registry=registry, handler=capture,
                            compression=compression)
        lib.pushadd_to_gateway('127.0.0.1:9', job='batch', registry=registry, handler=capture,
                               grouping_key={'instance': 'a/b'}, compression=compression)
        return sent

    got = both(pushed)
    assert_same(got)
    assert [method for _, method, _, _, _ in got['fastprom']] == ['PUT', 'POST']
    assert b'requests_total{path="/a"} 3.0\n' in got['fastprom'][0][4]


# --- Django ------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def django_ready():
    pytest.importorskip('django')
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=['*'], USE_TZ=True)
        django.setup()


DJANGO_REQUESTS = {
    'plain': ({}, {}),
    'name[]': ({'name[]': ['requests_total', 'latency_seconds_count']}, {}),
    'openmetrics': ({}, {'HTTP_ACCEPT': OPENMETRICS}),
    'gzip': ({}, {'HTTP_ACCEPT_ENCODING': 'gzip'}),
}


@pytest.mark.parametrize('query,headers', DJANGO_REQUESTS.values(), ids=DJANGO_REQUESTS.keys())
def test_django_view_in_multiprocess_mode(django_ready, monkeypatch, mp_dir, query, headers):
    """The view builds its own registry around a MultiProcessCollector that finds the
    directory through PROMETHEUS_MULTIPROC_DIR. (``multiprocess_mode`` is decided when
    the module is imported, before this test set the variable, so it is passed here; the
    next test imports with the variable already set.)"""
    from django.test import RequestFactory

    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', str(mp_dir))

    def fetch(name):
        view = submodule(name, 'django').PrometheusDjangoView
        resp = view.as_view(multiprocess_mode=True)(RequestFactory().get('/metrics', query, **headers))
        body = resp.content
        if resp.get('Content-Encoding') == 'gzip':
            body = gzip.decompress(body)
        return resp.status_code, resp.get('Content-Type'), resp.get('Content-Encoding'), body

    got = both(fetch)
    assert_same(got)
    assert got['fastprom'][0] == 200
    # name[] finds nothing: the view's registry keeps no collectors without names.
    assert (b'requests_total{path="/a"} 3.0\n' in got['fastprom'][3]) == ('name[]' not in query)


DJANGO_SCRIPT = '''
import gzip, json, sys
import django
from django.conf import settings
settings.configure(DEBUG=False, ALLOWED_HOSTS=['*'], USE_TZ=True)
django.setup()
from django.test import RequestFactory
out = {}
for name in ('fastprom', 'prometheus_client'):
    view = __import__(name + '.django', fromlist=['x']).PrometheusDjangoView
    resp = view.as_view()(RequestFactory().get('/metrics', HTTP_ACCEPT_ENCODING='gzip'))
    out[name] = [view.multiprocess_mode, resp.status_code, resp.get('Content-Encoding'),
                 gzip.decompress(resp.content).decode()]
json.dump(out, sys.stdout)
'''


def test_django_view_with_the_variable_set_at_import(mp_dir):
    done = run_python(DJANGO_SCRIPT, env={'PROMETHEUS_MULTIPROC_DIR': str(mp_dir)}, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert_same(got)
    mode, status, encoding, body = got['fastprom']
    assert (mode, status, encoding) == (True, 200, 'gzip')
    assert 'requests_total{path="/a"} 3.0\n' in body
    # Only the directory: none of the default registry's process or platform metrics.
    assert 'python_info' not in body


# --- collectors that are not plain ------------------------------------------------------

def filtering_collector(name, calls):
    """A MultiProcessCollector subclass of library ``name`` whose collect() leaves out the
    ``requests`` family and records each call in ``calls``."""
    base = submodule(name, 'multiprocess').MultiProcessCollector

    class WithoutRequests(base):
        def collect(self):
            calls.append(name)
            return [m for m in super().collect() if m.name != 'requests']

    return WithoutRequests


@pytest.mark.parametrize('openmetrics', [False, True], ids=['text', 'openmetrics'])
def test_subclass_overriding_collect_is_called(mp_dir, openmetrics):
    calls = []
    registries = both(lambda name: mp_registry(name, mp_dir, filtering_collector(name, calls)))
    got = both(lambda name: text_of(name, registries[name], openmetrics))
    assert_same(got)
    assert calls == ['fastprom', 'prometheus_client']
    assert b'requests_total' not in got['fastprom']
    assert b'latency_seconds_count{route="/a"} 3.0\n' in got['fastprom']


def test_subclass_overriding_collect_on_every_path(mp_dir, tmp_path):
    calls = []
    registries = both(lambda name: mp_registry(name, mp_dir, filtering_collector(name, calls),
                                               support_collectors_without_names=True))

    def every_path(name):
        lib, registry = importlib.import_module(name), registries[name]
        wsgi = lib.make_wsgi_app(registry)
        out = [
            wsgi_get(wsgi, headers={'HTTP_ACCEPT': OPENMETRICS, 'HTTP_ACCEPT_ENCODING': 'gzip'}),
            wsgi_get(wsgi, query=query_of(['requests_total', 'temperature'])),
            text_of(name, registry.restricted_registry(['requests_total', 'latency_seconds_sum'])),
            asyncio.run(asgi_call(lib.make_asgi_app(registry))),
        ]
        lib.write_to_textfile(str(tmp_path / f'{name}.prom'), registry)
        out.append((tmp_path / f'{name}.prom').read_bytes())
        return out

    got = both(every_path)
    assert_same(got)
    assert calls.count('fastprom') == calls.count('prometheus_client') == 5
    for result in got['fastprom']:
        assert b'requests_total' not in (result if isinstance(result, bytes) else result[2])
    assert b'temperature{room="k"} 21.5\n' in got['fastprom'][1][2]


def test_subclass_keeping_collect_reads_the_same(mp_dir):
    """A subclass that leaves collect() alone is read like the base class."""
    def subclass(name):
        base = submodule(name, 'multiprocess').MultiProcessCollector
        return type('Tagged', (base,), {'tag': 'x'})

    plain = both(lambda name: text_of(name, mp_registry(name, mp_dir)))
    sub = both(lambda name: text_of(name, mp_registry(name, mp_dir, subclass(name))))
    assert_same(sub)
    assert sub == plain


@pytest.fixture
def no_created():
    """Ordinary counters without their ``_created`` samples (times of creation differ
    between the two libraries' objects), in both libraries, for the test only."""
    for lib in LIBS.values():
        lib.disable_created_metrics()
    try:
        yield
    finally:
        for lib in LIBS.values():
            lib.enable_created_metrics()


def test_instance_collect_override_is_called(mp_dir):
    """A ``collect`` set on the instance is what the registry calls in prometheus_client
    (it calls ``collector.collect()``); the encoders must not read around it."""
    def scrape(name):
        lib = importlib.import_module(name)
        registry = lib.CollectorRegistry()
        collector = submodule(name, 'multiprocess').MultiProcessCollector(registry, path=str(mp_dir))
        original = collector.collect
        collector.collect = lambda: [m for m in original() if m.name != 'requests']
        return [text_of(name, registry), wsgi_get(lib.make_wsgi_app(registry))[2]]

    got = both(scrape)
    assert b'requests_total' not in got['prometheus_client'][0]
    assert_same(got)


def test_subclass_overriding_merge_is_honoured(mp_dir):
    """prometheus_client's ``collect()`` is ``self.merge(files, accumulate=True)``, so a
    subclass overriding only ``merge`` changes what is exposed."""
    def subclass(name):
        base = submodule(name, 'multiprocess').MultiProcessCollector

        class WithoutRequests(base):
            @staticmethod
            def merge(files, accumulate=True):
                return [m for m in base.merge(files, accumulate) if m.name != 'requests']

        return WithoutRequests

    got = both(lambda name: text_of(name, mp_registry(name, mp_dir, subclass(name))))
    assert b'requests_total' not in got['prometheus_client']
    assert_same(got)


def test_directory_removed_after_the_collector_was_made(mp_dir):
    """prometheus_client globs the directory at each scrape: once it is gone (a
    deployment wiping PROMETHEUS_MULTIPROC_DIR between runs, say) a scrape is empty, not
    an error, and serves again once the directory is back."""
    registries = both(lambda name: mp_registry(name, mp_dir))
    for f in mp_dir.iterdir():
        f.unlink()
    mp_dir.rmdir()

    def scrape(name):
        try:
            app = importlib.import_module(name).make_wsgi_app(registries[name])
            return wsgi_get(app)
        except Exception as e:
            return type(e).__name__

    got = both(scrape)
    assert got['prometheus_client'] == ('200 OK', [('Content-Type', prometheus_client.CONTENT_TYPE_PLAIN_0_0_4)], b'')
    assert_same(got)
    mp_dir.mkdir()
    assert both(lambda name: text_of(name, registries[name])) == {name: b'' for name in LIBS}


def mixed_registry(name, directory):
    """Ordinary metrics registered before and after a MultiProcessCollector, and target
    info."""
    lib = importlib.import_module(name)
    registry = lib.CollectorRegistry(target_info={'service': 'web'})
    lib.Counter('before', 'Registered first.', registry=registry).inc(5)
    submodule(name, 'multiprocess').MultiProcessCollector(registry, path=str(directory))
    lib.Gauge('after', 'Registered last.', ['k'], registry=registry).labels('v').set(-1)
    lib.Info('build', 'Build.', registry=registry).info({'version': '1.2'})
    return registry


@pytest.mark.parametrize('openmetrics', [False, True], ids=['text', 'openmetrics'])
def test_mixed_registry_keeps_registration_order(no_created, mp_dir, openmetrics):
    got = both(lambda name: text_of(name, mixed_registry(name, mp_dir), openmetrics))
    assert_same(got)
    out = got['fastprom']
    at = [out.index(s) for s in (b'target_info{service="web"} 1', b'before_total 5.0',
                                 b'requests_total{path="/a"} 3.0', b'latency_seconds_sum',
                                 b'after{k="v"} -1.0', b'build_info{version="1.2"} 1.0')]
    assert at == sorted(at)


def test_mixed_registry_on_the_wsgi_app_and_restricted(no_created, mp_dir):
    def fetch(name):
        registry = mixed_registry(name, mp_dir)
        wsgi = importlib.import_module(name).make_wsgi_app(registry)
        return [wsgi_get(wsgi, headers={'HTTP_ACCEPT_ENCODING': 'gzip'}),
                # Ordinary metrics claim names; the directory's families are out of reach.
                wsgi_get(wsgi, query=query_of(['after', 'requests_total', 'target_info']))]

    got = both(fetch)
    assert_same(got)
    restricted = got['fastprom'][1][2]
    assert b'after{k="v"} -1.0\n' in restricted and b'target_info' in restricted
    assert b'requests_total' not in restricted


# --- skipped files (fastprom only) -------------------------------------------------------

def damage(directory):
    """Adds a summary file whose key is not JSON: prometheus_client's collector fails on
    it, fastprom's skips it."""
    key = b'not json at all'
    entry = struct.pack('i', len(key)) + key + b' ' * (8 - (len(key) + 4) % 8) + struct.pack('dd', 1.0, 0.0)
    data = struct.pack('i', 8 + len(entry)) + bytes(4) + entry
    bad = directory / 'summary_99.db'
    bad.write_bytes(data + bytes((1 << 16) - len(data)))
    return bad


def skipped_block(times, openmetrics):
    """The skipped-files family as prometheus_client would write it, without ``# EOF``."""
    family = prometheus_client.metrics_core.CounterMetricFamily(SKIPPED, SKIPPED_HELP, value=times)
    registry = prometheus_client.CollectorRegistry()
    registry.register(type('Skipped', (), {'collect': lambda self: [family]})())
    return text_of('prometheus_client', registry, openmetrics).removesuffix(b'# EOF\n')


def with_skipped(clean, times, openmetrics=False):
    """The exposition ``clean`` of the intact directory with the skipped-files family
    appended (before ``# EOF``)."""
    if openmetrics:
        return clean.removesuffix(b'# EOF\n') + skipped_block(times, True) + b'# EOF\n'
    return clean + skipped_block(times, False)


@pytest.mark.parametrize('openmetrics', [False, True], ids=['text', 'openmetrics'])
def test_skipped_files_in_generate_latest(mp_dir, openmetrics):
    clean = text_of('prometheus_client', mp_registry('prometheus_client', mp_dir), openmetrics)
    registry = mp_registry('fastprom', mp_dir)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert text_of('fastprom', registry, openmetrics) == clean
    bad = damage(mp_dir)
    with pytest.raises(Exception):
        text_of('prometheus_client', mp_registry('prometheus_client', mp_dir), openmetrics)
    with pytest.warns(RuntimeWarning, match=str(bad)):
        assert text_of('fastprom', registry, openmetrics) == with_skipped(clean, 1, openmetrics)
    with pytest.warns(RuntimeWarning):
        assert text_of('fastprom', registry, openmetrics) == with_skipped(clean, 2, openmetrics)


def test_skipped_files_on_the_wsgi_app(mp_dir):
    clean = wsgi_get(prometheus_client.make_wsgi_app(mp_registry('prometheus_client', mp_dir)),
                     headers={'HTTP_ACCEPT': OPENMETRICS})[2]
    app = fastprom.make_wsgi_app(mp_registry('fastprom', mp_dir, support_collectors_without_names=True))
    damage(mp_dir)
    with pytest.warns(RuntimeWarning):
        status, hdrs, body = wsgi_get(app, headers={'HTTP_ACCEPT': OPENMETRICS, 'HTTP_ACCEPT_ENCODING': 'gzip'})
    assert status == '200 OK' and ('Content-Encoding', 'gzip') in hdrs
    assert body == with_skipped(clean, 1, openmetrics=True)
    with pytest.warns(RuntimeWarning):
        _, _, body = wsgi_get(app, query=query_of([SKIPPED + '_total', 'temperature']))
    assert body == (b'# HELP temperature Temperature.\n# TYPE temperature gauge\ntemperature{room="k"} 21.5\n'
                    + skipped_block(2, False))


def test_skipped_files_on_the_other_paths(mp_dir, tmp_path):
    registry = mp_registry('fastprom', mp_dir)
    clean = text_of('prometheus_client', mp_registry('prometheus_client', mp_dir))
    damage(mp_dir)
    with pytest.warns(RuntimeWarning):
        fastprom.write_to_textfile(str(tmp_path / 'out.prom'), registry, escaping='underscores')
    assert (tmp_path / 'out.prom').read_bytes() == with_skipped(clean, 1)
    with pytest.warns(RuntimeWarning):
        status, _, body = asyncio.run(asgi_call(fastprom.make_asgi_app(registry)))
    assert (status, body) == (200, with_skipped(clean, 2))
    # A subclass overriding collect() goes through Python, and still counts.
    calls = []
    filtered = mp_registry('fastprom', mp_dir, filtering_collector('fastprom', calls))
    with pytest.warns(RuntimeWarning):
        out = text_of('fastprom', filtered)
    assert calls == ['fastprom']
    assert out.endswith(skipped_block(1, False))
    # Served over HTTP, the warning is raised on the server's thread.
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with serving({'fastprom': registry}) as bases:
            status, _, _, body = http_get(bases['fastprom'] + '/metrics')
    assert (status, body) == (200, with_skipped(clean, 3))
