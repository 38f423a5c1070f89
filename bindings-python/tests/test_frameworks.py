"""The ASGI app and the aiohttp, Django and Twisted adapters, side by side with
prometheus_client's."""

import asyncio
import gzip
import importlib.util
import os
import subprocess
import sys
import time
import urllib.request

import pytest

import fastprom
import prometheus_client

from conftest import fixed_registry, free_port

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def _need(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip('not installed: ' + ', '.join(missing))


# --- ASGI --------------------------------------------------------------------------------

async def _call_asgi(app, path='/metrics', query=b'', headers=(), request_type='http.request'):
    sent = []

    async def receive():
        return {'type': request_type, 'body': b'', 'more_body': False}

    async def send(message):
        sent.append(message)

    scope = {'type': 'http', 'method': 'GET', 'path': path, 'query_string': query,
             'headers': [(k.encode(), v.encode()) for k, v in headers]}
    await app(scope, receive, send)
    return sent


def _asgi_result(sent):
    if not sent:
        return None
    start, body = sent
    headers = [(k.decode(), v.decode()) for k, v in start['headers']]
    data = body['body']
    if ('content-encoding', 'gzip') in [(k.lower(), v) for k, v in headers]:
        data = gzip.decompress(data)
    return start['status'], headers, data


@pytest.mark.parametrize('query,headers', [
    (b'', ()),
    (b'name[]=requests_total&name[]=build_info', ()),
    (b'', (('Accept-Encoding', 'gzip'),)),
    (b'', (('accept', 'application/openmetrics-text; version=1.0.0'), ('Accept', 'text/plain'))),
    (b'', (('Accept', 'text/plain; version=1.0.0; escaping=allow-utf-8'),)),
])
@pytest.mark.parametrize('disable_compression', [False, True])
def test_asgi_app_matches(query, headers, disable_compression):
    got = []
    for lib in (fastprom, prometheus_client):
        app = lib.make_asgi_app(fixed_registry(lib), disable_compression=disable_compression)
        got.append(_asgi_result(asyncio.run(_call_asgi(app, query=query, headers=headers))))
    assert got[0] == got[1]
    assert got[0][0] == 200


def test_asgi_app_ignores_non_request_messages():
    app = fastprom.make_asgi_app(fixed_registry(fastprom))
    assert asyncio.run(_call_asgi(app, request_type='http.disconnect')) == []


def test_asgi_app_rejects_websocket_scope():
    app = fastprom.make_asgi_app(fixed_registry(fastprom))

    async def go():
        await app({'type': 'websocket', 'headers': []}, None, None)

    with pytest.raises(AssertionError):
        asyncio.run(go())


def test_asgi_app_mounted_in_starlette():
    _need('starlette', 'httpx')
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    app = Starlette(routes=[Mount('/metrics', app=fastprom.make_asgi_app(fixed_registry(fastprom)))])
    r = TestClient(app).get('/metrics/', headers={'Accept-Encoding': 'gzip'})
    assert r.status_code == 200
    assert r.content == fastprom.generate_latest(fixed_registry(fastprom))


# --- aiohttp -----------------------------------------------------------------------------

@pytest.mark.parametrize('path,headers', [
    ('/metrics', {}),
    ('/metrics?name[]=queue_bucket&name[]=infs', {}),
    ('/metrics', {'Accept': 'application/openmetrics-text; version=1.0.0; escaping=dots'}),
    ('/metrics', {'Accept-Encoding': 'gzip'}),
])
@pytest.mark.parametrize('disable_compression', [False, True])
def test_aiohttp_handler_matches(path, headers, disable_compression):
    _need('aiohttp')
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    import fastprom.aiohttp
    import prometheus_client.aiohttp

    async def fetch(make_handler, registry):
        app = web.Application()
        app.router.add_get('/metrics', make_handler(registry, disable_compression=disable_compression))
        async with TestClient(TestServer(app, host='127.0.0.1')) as client:
            resp = await client.get(path, headers=headers)
            return (resp.status, resp.headers.get('Content-Type'), resp.headers.get('Content-Encoding'),
                    await resp.read())

    f = asyncio.run(fetch(fastprom.aiohttp.make_aiohttp_handler, fixed_registry(fastprom)))
    p = asyncio.run(fetch(prometheus_client.aiohttp.make_aiohttp_handler, fixed_registry(prometheus_client)))
    assert f == p
    assert f[0] == 200


# --- Django ------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def django_ready():
    _need('django')
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=['*'], USE_TZ=True)
        django.setup()


@pytest.mark.parametrize('method,query,headers', [
    ('get', {}, {}),
    ('get', {'name[]': ['requests_total', 'state']}, {}),
    ('get', {}, {'HTTP_ACCEPT': 'application/openmetrics-text; version=1.0.0'}),
    ('get', {}, {'HTTP_ACCEPT_ENCODING': 'gzip'}),
    ('options', {}, {}),
    ('post', {}, {}),
])
def test_django_view_matches(django_ready, method, query, headers):
    from django.test import RequestFactory

    from fastprom.django import PrometheusDjangoView as FView
    from prometheus_client.django import PrometheusDjangoView as PView

    got = []
    for view, lib in ((FView, fastprom), (PView, prometheus_client)):
        request = getattr(RequestFactory(), method)('/metrics', query, **headers)
        resp = view.as_view(registry=fixed_registry(lib))(request)
        body = resp.content
        if resp.get('Content-Encoding') == 'gzip':
            body = gzip.decompress(body)
        got.append((resp.status_code, resp.get('Content-Type'), resp.get('Content-Encoding'),
                    resp.get('Allow'), body))
    assert got[0] == got[1]


def test_django_view_defaults_to_global_registry(django_ready):
    from django.test import RequestFactory

    from fastprom.django import PrometheusDjangoView
    resp = PrometheusDjangoView.as_view()(RequestFactory().get('/metrics'))
    assert resp.status_code == 200 and b'python_info' in resp.content


# --- Twisted -----------------------------------------------------------------------------

TWISTED_SERVER = '''
import sys
sys.path.insert(0, {tests!r})
from conftest import fixed_registry
import {lib}
from {lib}.twisted import MetricsResource
from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site
root = Resource()
root.putChild(b'metrics', MetricsResource(registry=fixed_registry({lib})))
reactor.listenTCP({port}, Site(root), interface='127.0.0.1')
reactor.run()
'''


def _serve_twisted(lib):
    port = free_port()
    proc = subprocess.Popen([sys.executable, '-c', TWISTED_SERVER.format(tests=TESTS_DIR, lib=lib, port=port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=2).read()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail('twisted server did not start: ' + proc.stderr.read().decode()[-2000:])
            time.sleep(0.1)


def test_twisted_resource_matches():
    _need('twisted')
    servers = {lib: _serve_twisted(lib) for lib in ('fastprom', 'prometheus_client')}
    try:
        got = {}
        for lib, (_, port) in servers.items():
            req = urllib.request.Request(f'http://127.0.0.1:{port}/metrics?name[]=requests_total',
                                         headers={'Accept-Encoding': 'gzip'})
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read()
                if resp.headers.get('Content-Encoding') == 'gzip':
                    body = gzip.decompress(body)
                got[lib] = (resp.status, resp.headers.get('Content-Type'), body)
        assert got['fastprom'] == got['prometheus_client']
        assert b'requests_total' in got['fastprom'][2]
    finally:
        for proc, _ in servers.values():
            proc.terminate()  # by PID, the process this test started
            proc.wait(10)
