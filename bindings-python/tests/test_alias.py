"""fastprom.install_as_prometheus_client(): every ``prometheus_client`` import yields
fastprom's modules, even though the real prometheus_client is installed here. Each case
runs in a fresh interpreter."""

import importlib.machinery


from conftest import run_python


def _ok(code, **kw):
    result = run_python(code, **kw)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_real_prometheus_client_is_installed():
    # Otherwise the alias tests below would prove nothing.
    assert importlib.machinery.PathFinder.find_spec('prometheus_client') is not None


def test_import_after_install_yields_fastprom():
    out = _ok('''
        import sys, warnings
        real_loaded_before = 'prometheus_client' in sys.modules
        import fastprom
        with warnings.catch_warnings():
            warnings.simplefilter('error' if not ('prometheus_client' in sys.modules) else 'ignore')
            fastprom.install_as_prometheus_client()
        import prometheus_client
        from prometheus_client import Counter, Gauge, CollectorRegistry, generate_latest, REGISTRY
        assert prometheus_client is fastprom
        assert Counter is fastprom.Counter and Gauge is fastprom.Gauge
        assert REGISTRY is fastprom.REGISTRY
        c = Counter('alias_requests', 'Requests.')
        c.inc(2)
        assert b'alias_requests_total 2.0' in fastprom.generate_latest()
        import prometheus_client.exposition, prometheus_client.core
        import prometheus_client.openmetrics.exposition as ome
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
        from prometheus_client.parser import text_string_to_metric_families as tp
        from prometheus_client.metrics_core import GaugeMetricFamily
        from prometheus_client import multiprocess, context_managers, decorator, samples, utils
        from prometheus_client.bridge.graphite import GraphiteBridge
        assert prometheus_client.exposition is fastprom.exposition
        assert prometheus_client.core is sys.modules['fastprom.core']
        assert ome is sys.modules['fastprom.openmetrics.exposition']
        assert sys.modules['prometheus_client.openmetrics'] is sys.modules['fastprom.openmetrics']
        assert GaugeMetricFamily is fastprom.metrics_core.GaugeMetricFamily
        assert GraphiteBridge.__module__ == 'fastprom.bridge.graphite'
        assert prometheus_client.__file__ == fastprom.__file__
        assert prometheus_client.__spec__.name == 'fastprom'
        assert sys.modules['fastprom.core'].__spec__.name == 'fastprom.core'
        for name, mod in sys.modules.items():
            if name.startswith('prometheus_client'):
                assert mod.__name__.startswith('fastprom'), (name, mod)
        print('ok')
    ''')
    assert out.strip() == 'ok'


def test_install_is_idempotent():
    _ok('''
        import sys, fastprom
        fastprom.install_as_prometheus_client()
        fastprom.install_as_prometheus_client()
        fastprom.install_as_prometheus_client()
        finders = [f for f in sys.meta_path if 'alias' in type(f).__name__.lower()]
        assert len(finders) == 1, sys.meta_path
        import prometheus_client
        assert prometheus_client is fastprom
    ''')


def test_from_import_star_and_submodule_attribute():
    _ok('''
        import fastprom
        fastprom.install_as_prometheus_client()
        ns = {}
        exec('from prometheus_client import *', ns)
        import prometheus_client
        assert sorted(k for k in ns if not k.startswith('__')) == sorted(prometheus_client.__all__)
        assert ns['Counter'] is fastprom.Counter
        import prometheus_client.metrics
        assert prometheus_client.metrics is fastprom.metrics
    ''')


def test_missing_submodule_raises_module_not_found():
    _ok('''
        import fastprom
        fastprom.install_as_prometheus_client()
        try:
            import prometheus_client.no_such_module
        except ModuleNotFoundError as e:
            assert e.name == 'prometheus_client.no_such_module', e.name
        else:
            raise AssertionError('imported a module that does not exist')
    ''')


def test_real_module_imported_first_is_replaced_with_warning():
    _ok('''
        import warnings
        import prometheus_client as real
        from prometheus_client import Counter as RealCounter
        import fastprom
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            fastprom.install_as_prometheus_client()
        assert any(issubclass(w.category, RuntimeWarning) for w in caught), caught
        import prometheus_client
        from prometheus_client import Counter
        from prometheus_client.exposition import generate_latest
        assert prometheus_client is fastprom and prometheus_client is not real
        assert Counter is fastprom.Counter and Counter is not RealCounter
        assert generate_latest is fastprom.generate_latest
    ''')


def test_importlib_paths():
    _ok('''
        import importlib, importlib.util, fastprom
        fastprom.install_as_prometheus_client()
        m = importlib.import_module('prometheus_client.samples')
        assert m is importlib.import_module('fastprom.samples')
        assert importlib.util.find_spec('prometheus_client') is not None
        assert importlib.import_module('prometheus_client.openmetrics.parser').__name__ == 'fastprom.openmetrics.parser'
        importlib.reload(fastprom.utils)
    ''')


def test_script_with_only_prometheus_client_imports():
    # A tutorial-style script: only its first line changes.
    out = _ok('''
        import fastprom; fastprom.install_as_prometheus_client()
        from prometheus_client import start_http_server, Counter, Summary, CollectorRegistry
        from prometheus_client import generate_latest
        import urllib.request, socket
        registry = CollectorRegistry()
        REQUEST_TIME = Summary('request_processing_seconds', 'Time spent processing request', registry=registry)
        @REQUEST_TIME.time()
        def process_request(t):
            return t * 2
        for i in range(3):
            process_request(i)
        s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
        server, thread = start_http_server(port, addr='127.0.0.1', registry=registry)
        body = urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=10).read().decode()
        server.shutdown()
        print(body)
    ''')
    assert 'request_processing_seconds_count 3.0' in out
