"""fastprom's module tree mirrors prometheus_client's: the same modules, public names and
call signatures (parameter names, kinds and defaults)."""

import importlib
import inspect
import types

import pytest

import fastprom
import prometheus_client

MODULES = ['', '.core', '.samples', '.metrics_core', '.exposition', '.openmetrics',
           '.openmetrics.exposition', '.openmetrics.parser', '.parser', '.utils', '.validation',
           '.context_managers', '.decorator', '.asgi', '.bridge', '.bridge.graphite',
           '.multiprocess', '.process_collector', '.platform_collector', '.gc_collector',
           '.aiohttp', '.aiohttp.exposition', '.twisted']

# Public names prometheus_client has and fastprom lacks on purpose (docs/compatibility.md):
# stdlib/typing modules and names a module merely imported, the multi-process internals, and
# the parts of the vendored `decorator` package nothing in prometheus_client uses.
ALLOWED_MISSING = {
    '': {'mmap_dict'},
    '.decorator': {'DEF', 'append', 'dispatch_on', 'get_init', 'init', 'n_args', 'operator',
                   'print_function'},
    '.multiprocess': {'Gauge', 'Metric', 'MmapedDict', 'Sample', 'defaultdict', 'floatToGoString', 'json'},
}


def _pair(suffix):
    return importlib.import_module('fastprom' + suffix), importlib.import_module('prometheus_client' + suffix)


def _public(module):
    return {n for n in dir(module) if not n.startswith('_')}


@pytest.mark.parametrize('suffix', MODULES)
def test_public_names_present(suffix):
    f, p = _pair(suffix)
    missing = _public(p) - _public(f) - ALLOWED_MISSING.get(suffix, set())
    assert not missing, missing
    assert getattr(f, '__all__', None) == getattr(p, '__all__', None)


def test_root_all_is_prometheus_clients():
    assert list(fastprom.__all__) == list(prometheus_client.__all__)
    assert callable(fastprom.install_as_prometheus_client)
    assert 'install_as_prometheus_client' not in fastprom.__all__


def _same_default(a, b):
    if a is b or a == b:
        return True
    if isinstance(a, types.FunctionType) and isinstance(b, types.FunctionType):
        return a.__name__ == b.__name__  # default_handler, lambda: 'self', time.time ...
    if type(a).__name__ == type(b).__name__ == 'CollectorRegistry':
        return a is fastprom.REGISTRY and b is prometheus_client.REGISTRY
    return False


def _callables(suffix):
    f, p = _pair(suffix)
    for name in sorted(_public(p) & _public(f)):
        a, b = getattr(f, name), getattr(p, name)
        if inspect.ismodule(b) or not callable(b) or not callable(a):
            continue
        if getattr(b, '__module__', '').split('.')[0] != 'prometheus_client':
            continue  # imported from the standard library or typing
        try:
            yield name, inspect.signature(a), inspect.signature(b)
        except (TypeError, ValueError):
            continue


@pytest.mark.parametrize('suffix', MODULES)
def test_signatures_match(suffix):
    checked = 0
    for name, sa, sb in _callables(suffix):
        pa, pb = list(sa.parameters.values()), list(sb.parameters.values())
        assert [(x.name, x.kind) for x in pa] == [(x.name, x.kind) for x in pb], name
        for x, y in zip(pa, pb):
            assert _same_default(x.default, y.default), (name, x.name, x.default, y.default)
        checked += 1
    assert checked or suffix in ('.openmetrics', '.bridge', '.core', '.twisted', '')


@pytest.mark.parametrize('cls', ['Metric', 'CounterMetricFamily', 'GaugeMetricFamily', 'SummaryMetricFamily',
                                 'HistogramMetricFamily', 'GaugeHistogramMetricFamily', 'InfoMetricFamily',
                                 'StateSetMetricFamily', 'UnknownMetricFamily'])
def test_family_method_signatures_match(cls):
    f, p = getattr(fastprom.metrics_core, cls), getattr(prometheus_client.metrics_core, cls)
    for meth in ('__init__', 'add_metric', 'add_sample'):
        if hasattr(p, meth):
            sa, sb = inspect.signature(getattr(f, meth)), inspect.signature(getattr(p, meth))
            assert [(x.name, x.kind, x.default) for x in sa.parameters.values()] == \
                   [(x.name, x.kind, x.default) for x in sb.parameters.values()], meth


def test_exceptions_and_types_exported():
    assert issubclass(fastprom.core.DuplicateTimeseries, ValueError)
    assert fastprom.exposition.CompressionType == prometheus_client.exposition.CompressionType
    assert issubclass(fastprom.exposition.MetricsHandler, __import__('http.server').server.BaseHTTPRequestHandler)
    assert fastprom.exposition.ThreadingWSGIServer.daemon_threads is True
