"""Libraries built on prometheus_client, running on fastprom through the alias:
prometheus-fastapi-instrumentator and starlette_exporter, each driving a tiny app with
Starlette's test client in a fresh interpreter."""

import importlib.util

import pytest

from conftest import run_python


def _need(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip('not installed: ' + ', '.join(missing))


PRELUDE = '''
import warnings
warnings.simplefilter('ignore')
import fastprom
fastprom.install_as_prometheus_client()
import prometheus_client
'''


def _run(code):
    result = run_python(PRELUDE + code)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_prometheus_fastapi_instrumentator():
    _need('fastapi', 'prometheus_fastapi_instrumentator', 'httpx')
    out = _run('''
from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.testclient import TestClient

app = FastAPI()

@app.get("/items/{item_id}")
def item(item_id: int):
    if item_id == 0:
        raise ValueError("boom")
    return {"id": item_id}

Instrumentator().instrument(app).expose(app)
client = TestClient(app, raise_server_exceptions=False)
for i in (1, 2, 3):
    assert client.get(f"/items/{i}").status_code == 200
assert client.get("/items/0").status_code == 500

r = client.get("/metrics")
assert r.status_code == 200, r.status_code
assert r.headers["content-type"] == prometheus_client.CONTENT_TYPE_PLAIN_1_0_0 \
    or r.headers["content-type"].startswith("text/plain"), r.headers["content-type"]
text = r.text
assert 'http_requests_total{handler="/items/{item_id}",method="GET",status="2xx"} 3.0' in text, text
assert 'http_requests_total{handler="/items/{item_id}",method="GET",status="5xx"} 1.0' in text, text
assert 'http_request_duration_seconds_bucket{' in text

# Its metrics are fastprom objects in fastprom's registry.
import prometheus_fastapi_instrumentator.instrumentation as inst
import prometheus_fastapi_instrumentator.metrics as pfm
assert inst.generate_latest is fastprom.generate_latest
assert pfm.Counter is fastprom.Counter and pfm.Histogram is fastprom.Histogram
names = {m.name for m in fastprom.REGISTRY.collect()}
assert 'http_requests' in names, names
print("ok")
''')
    assert out.strip().endswith('ok')


def test_starlette_exporter():
    _need('starlette', 'starlette_exporter', 'httpx')
    out = _run('''
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette_exporter import PrometheusMiddleware, handle_metrics

async def hello(request):
    return PlainTextResponse("hi")

app = Starlette(routes=[Route("/hello", hello), Route("/metrics", handle_metrics)])
app.add_middleware(PrometheusMiddleware, app_name="demo", group_paths=True)
client = TestClient(app)
for _ in range(4):
    assert client.get("/hello").status_code == 200
r = client.get("/metrics")
assert r.status_code == 200
text = r.text
assert 'starlette_requests_total{app_name="demo",method="GET",path="/hello",status_code="200"} 4.0' in text, text
assert 'starlette_request_duration_seconds_bucket{' in text
import starlette_exporter.middleware as mw
assert mw.Counter is fastprom.Counter
print("ok")
''')
    assert out.strip().endswith('ok')
