"""Smoke test of an installed fastprom wheel: `make test-wheels` runs it in a fresh venv of
the oldest and the newest CPython, with nothing but the wheel installed.

    python -I bindings-python/tests/smoke_wheel.py

It touches every part of the package a user reaches first: each metric type with labels,
the text and OpenMetrics encoders (exact lines), both parsers reading that output back
(the families they give, exposed again, give the same bytes), the registry, push requests
(built and handed to a capturing handler: no network), the /metrics server on a loopback
port, and the decorators. prometheus_client must not be needed: it is not installed there,
and the script checks fastprom never imported it. Any mismatch raises, so the exit status is
non-zero; success prints one line starting with OK. Not a pytest module (no test_ prefix):
the full suite runs separately, against the same wheel.
"""

import gzip
import importlib.machinery
import inspect
import os
import re
import sys
import tempfile
import time
import urllib.request

import fastprom
from fastprom import (
    CollectorRegistry, CONTENT_TYPE_LATEST, CONTENT_TYPE_PLAIN_0_0_4, Counter, Enum, Gauge,
    Histogram, Info, Summary, delete_from_gateway, generate_latest, push_to_gateway,
    pushadd_to_gateway, start_http_server, write_to_textfile,
)
from fastprom import parser
from fastprom.openmetrics import exposition as om_exposition, parser as om_parser


def check(ok, what):
    """Raises (whatever python's -O says) when ``ok`` is false."""
    if not ok:
        raise AssertionError(what)


def check_equal(got, want, what):
    if got != want:
        raise AssertionError(f'{what}:\n--- got\n{got!r}\n--- want\n{want!r}')


TEXT = '''\
# HELP requests_total Requests served.
# TYPE requests_total counter
requests_total{method="GET"} 3.5
requests_total{method="POST"} 1.0
# HELP temperature_celsius Temperature "now".\\nSecond line.
# TYPE temperature_celsius gauge
temperature_celsius{room="kitchen"} 21.5
temperature_celsius{room="hall"} -2.0
# HELP latency_seconds Latency.
# TYPE latency_seconds summary
latency_seconds_count{op="read"} 2.0
latency_seconds_sum{op="read"} 1.25
# HELP size_bytes Sizes.
# TYPE size_bytes histogram
size_bytes_bucket{kind="blob",le="1.0"} 1.0
size_bytes_bucket{kind="blob",le="10.0"} 2.0
size_bytes_bucket{kind="blob",le="100.0"} 2.0
size_bytes_bucket{kind="blob",le="+Inf"} 3.0
size_bytes_count{kind="blob"} 3.0
size_bytes_sum{kind="blob"} 505.5
# HELP build_info Build.
# TYPE build_info gauge
build_info{commit="a\\"b\\\\c",env="prod",version="1.2"} 1.0
# HELP state State.
# TYPE state gauge
state{state="up",svc="db"} 0.0
state{state="down",svc="db"} 1.0
'''

OPENMETRICS = '''\
# HELP requests Requests served.
# TYPE requests counter
requests_total{method="GET"} 3.5
requests_total{method="POST"} 1.0
# HELP temperature_celsius Temperature \\"now\\".\\nSecond line.
# TYPE temperature_celsius gauge
temperature_celsius{room="kitchen"} 21.5
temperature_celsius{room="hall"} -2.0
# HELP latency_seconds Latency.
# TYPE latency_seconds summary
latency_seconds_count{op="read"} 2.0
latency_seconds_sum{op="read"} 1.25
# HELP size_bytes Sizes.
# TYPE size_bytes histogram
size_bytes_bucket{kind="blob",le="1.0"} 1.0
size_bytes_bucket{kind="blob",le="10.0"} 2.0
size_bytes_bucket{kind="blob",le="100.0"} 2.0
size_bytes_bucket{kind="blob",le="+Inf"} 3.0
size_bytes_count{kind="blob"} 3.0
size_bytes_sum{kind="blob"} 505.5
# HELP build Build.
# TYPE build info
build_info{commit="a\\"b\\\\c",env="prod",version="1.2"} 1.0
# HELP state State.
# TYPE state stateset
state{state="up",svc="db"} 0.0
state{state="down",svc="db"} 1.0
# EOF
'''


def check_installed():
    """fastprom and its extension come from this environment's site-packages, built for
    this interpreter."""
    check(fastprom.__file__.startswith(sys.prefix), f'fastprom imported from {fastprom.__file__}')
    ext = fastprom._fastprom.__file__
    check(ext.startswith(sys.prefix), f'extension imported from {ext}')
    check(ext.endswith(importlib.machinery.EXTENSION_SUFFIXES[0]), f'{ext}: not built for this interpreter')


def check_created():
    """Counters have a _created sample until disable_created_metrics()."""
    registry = CollectorRegistry()
    Counter('jobs', 'Jobs.', ['queue'], registry=registry).labels('q').inc()
    text = generate_latest(registry).decode()
    match = re.search(r'^jobs_created\{queue="q"\} (\S+)$', text, re.M)
    check(match and abs(float(match.group(1)) - time.time()) < 60, text)


def build_registry():
    """One metric of every type, with labels, holding the values in TEXT."""
    registry = CollectorRegistry()
    c = Counter('requests', 'Requests served.', ['method'], registry=registry)
    c.labels('GET').inc()
    c.labels('GET').inc(2.5)
    c.labels(method='POST').inc()
    g = Gauge('temperature_celsius', 'Temperature "now".\nSecond line.', ['room'], registry=registry)
    g.labels('kitchen').set(21.5)
    g.labels('hall').inc()
    g.labels('hall').dec(3)
    s = Summary('latency_seconds', 'Latency.', ['op'], registry=registry)
    s.labels('read').observe(0.25)
    s.labels('read').observe(1)
    h = Histogram('size_bytes', 'Sizes.', ['kind'], buckets=(1, 10, 100), registry=registry)
    for value in (0.5, 5, 500):
        h.labels('blob').observe(value)
    Info('build', 'Build.', ['env'], registry=registry).labels('prod').info({'version': '1.2', 'commit': 'a"b\\c'})
    Enum('state', 'State.', ['svc'], states=['up', 'down'], registry=registry).labels('db').state('down')
    return registry, c


class Replay:
    """A collector giving back parsed families."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def check_parsers():
    families = list(parser.text_string_to_metric_families(TEXT))
    check_equal([(f.name, f.type) for f in families],
                [('requests', 'counter'), ('temperature_celsius', 'gauge'), ('latency_seconds', 'summary'),
                 ('size_bytes', 'histogram'), ('build_info', 'gauge'), ('state', 'gauge')], 'text parser: families')
    first = families[0].samples[0]
    check_equal((first.name, first.labels, first.value), ('requests_total', {'method': 'GET'}, 3.5), 'text sample')
    check_equal(families[1].documentation, 'Temperature "now".\nSecond line.', 'text parser: HELP unescaped')
    replay = CollectorRegistry()
    replay.register(Replay(families))
    check_equal(generate_latest(replay).decode(), TEXT, 'text parsed and exposed again')

    families = list(om_parser.text_string_to_metric_families(OPENMETRICS))
    check_equal([(f.name, f.type) for f in families],
                [('requests', 'counter'), ('temperature_celsius', 'gauge'), ('latency_seconds', 'summary'),
                 ('size_bytes', 'histogram'), ('build', 'info'), ('state', 'stateset')], 'OpenMetrics parser: families')
    replay = CollectorRegistry()
    replay.register(Replay(families))
    check_equal(om_exposition.generate_latest(replay).decode(), OPENMETRICS, 'OpenMetrics parsed and exposed again')
    try:
        list(om_parser.text_string_to_metric_families('a 1\n'))
    except ValueError:
        pass
    else:
        raise AssertionError('OpenMetrics without "# EOF" was accepted')


def check_registry(registry, counter):
    check_equal(registry.get_sample_value('requests_total', {'method': 'GET'}), 3.5, 'get_sample_value')
    check_equal(registry.get_sample_value('size_bytes_bucket', {'kind': 'blob', 'le': '10.0'}), 2.0, 'bucket value')
    check(registry.get_sample_value('requests_total', {'method': 'PUT'}) is None, 'absent sample')
    try:
        Counter('requests', 'Again.', registry=registry)
    except ValueError as exc:
        check(str(exc).startswith('Duplicated timeseries in CollectorRegistry: ') and "'requests_total'" in str(exc),
              str(exc))
    else:
        raise AssertionError('a duplicate metric was registered')
    try:
        counter.labels('GET', 'extra')
    except ValueError as exc:
        check_equal(str(exc), 'Incorrect label count', 'labels() message')
    else:
        raise AssertionError('labels() took too many values')
    only = generate_latest(registry.restricted_registry(['build_info'])).decode()
    check_equal(only, '# HELP build_info Build.\n# TYPE build_info gauge\n'
                      'build_info{commit="a\\"b\\\\c",env="prod",version="1.2"} 1.0\n', 'restricted_registry')
    extra = Counter('extra', 'Extra.', registry=registry)
    registry.unregister(extra)
    check_equal(generate_latest(registry).decode(), TEXT, 'after unregister')
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'metrics.prom')
        write_to_textfile(path, registry)
        with open(path, encoding='utf-8') as f:
            check_equal(f.read(), TEXT, 'write_to_textfile')


def check_push(registry):
    sent = []

    def handler(url, method, timeout, headers, data):
        sent.append((url, method, timeout, headers, data))
        return lambda: None

    push_to_gateway('pushgw.example:9091', job='smoke', registry=registry,
                    grouping_key={'instance': 'a/b', 'zone': 'eu'}, handler=handler)
    pushadd_to_gateway('https://pushgw.example/base', job='smo ke', registry=registry, handler=handler,
                       compression='gzip', timeout=5)
    delete_from_gateway('pushgw.example:9091', job='smoke', handler=handler)
    plain = [('Content-Type', CONTENT_TYPE_PLAIN_0_0_4)]
    (url, method, timeout, headers, data), (url2, method2, timeout2, headers2, data2), deleted = sent
    check_equal((url, method, timeout, headers, data.decode()),
                ('http://pushgw.example:9091/metrics/job/smoke/instance@base64/YS9i/zone/eu', 'PUT', 30, plain, TEXT),
                'push_to_gateway request')
    check_equal((url2, method2, timeout2, headers2),
                ('https://pushgw.example/base/metrics/job@base64/c21vIGtl', 'POST', 5,
                 plain + [('Content-Encoding', 'gzip')]), 'pushadd_to_gateway request')
    check_equal(gzip.decompress(data2).decode(), TEXT, 'gzipped push body')
    check_equal(deleted, ('http://pushgw.example:9091/metrics/job/smoke', 'DELETE', 30, plain, b''),
                'delete_from_gateway request')


def check_server(registry):
    server, thread = start_http_server(0, addr='127.0.0.1', registry=registry)
    try:
        url = f'http://127.0.0.1:{server.server_port}/metrics'
        with urllib.request.urlopen(url, timeout=10) as r:
            check_equal((r.status, r.headers['Content-Type'], r.read().decode()),
                        (200, CONTENT_TYPE_PLAIN_0_0_4, TEXT), 'GET /metrics')
        accept = {'Accept': 'application/openmetrics-text; version=1.0.0', 'Accept-Encoding': 'gzip'}
        with urllib.request.urlopen(urllib.request.Request(url, headers=accept), timeout=10) as r:
            check_equal((r.headers['Content-Type'], r.headers['Content-Encoding'], gzip.decompress(r.read()).decode()),
                        ('application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores', 'gzip',
                         OPENMETRICS), 'GET /metrics as gzipped OpenMetrics')
    finally:
        server.shutdown()
        server.server_close()
    thread.join(10)
    check(not thread.is_alive(), 'the server thread did not stop')


def check_decorators():
    registry = CollectorRegistry()
    latency = Summary('work_seconds', 'Work.', ['step'], registry=registry)
    errors = Counter('failures', 'Failures.', ['step'], registry=registry)
    busy = Gauge('busy', 'Busy.', ['step'], registry=registry)
    seen = []

    @latency.labels('a').time()
    def timed(x, y=2, *, z=3):
        time.sleep(0.01)
        return x + y + z

    @errors.labels('a').count_exceptions(ValueError)
    def failing(kind):
        raise kind('boom')

    @busy.labels('a').track_inprogress()
    def tracked():
        seen.append(registry.get_sample_value('busy', {'step': 'a'}))

    check_equal(str(inspect.signature(timed)), '(x, y=2, *, z=3)', 'the decorated signature')
    check_equal((timed(1), timed(1, y=0, z=0)), (6, 1), 'the decorated results')
    check_equal(registry.get_sample_value('work_seconds_count', {'step': 'a'}), 2.0, '@time() count')
    check(0.02 <= registry.get_sample_value('work_seconds_sum', {'step': 'a'}) < 10, '@time() sum')
    for kind in (ValueError, KeyError, ValueError):
        try:
            failing(kind)
        except kind:
            pass
        else:
            raise AssertionError('count_exceptions swallowed the exception')
    check_equal(registry.get_sample_value('failures_total', {'step': 'a'}), 2.0, 'count_exceptions(ValueError)')
    tracked()
    tracked()
    check_equal((seen, registry.get_sample_value('busy', {'step': 'a'})), ([1.0, 1.0], 0.0), 'track_inprogress')
    with latency.labels('b').time():
        pass
    check_equal(registry.get_sample_value('work_seconds_count', {'step': 'b'}), 1.0, 'time() as a context manager')


def check_alias():
    """Nothing so far needed prometheus_client; the alias then gives fastprom under its name."""
    check('prometheus_client' not in sys.modules, 'fastprom imported prometheus_client')
    fastprom.install_as_prometheus_client()
    import prometheus_client
    from prometheus_client.openmetrics import exposition
    check(prometheus_client is fastprom and exposition is om_exposition, 'install_as_prometheus_client')


def main():
    check_installed()
    check_created()
    fastprom.disable_created_metrics()
    registry, counter = build_registry()
    check_equal(generate_latest(registry).decode(), TEXT, 'generate_latest')
    check_equal(om_exposition.generate_latest(registry).decode(), OPENMETRICS, 'OpenMetrics generate_latest')
    check_equal(CONTENT_TYPE_LATEST, 'text/plain; version=1.0.0; charset=utf-8', 'CONTENT_TYPE_LATEST')
    check_parsers()
    check_registry(registry, counter)
    check_push(registry)
    check_server(registry)
    check_decorators()
    check_alias()
    version = '.'.join(map(str, sys.version_info[:3]))
    print(f'OK: fastprom wheel on CPython {version}: {os.path.dirname(fastprom.__file__)}')


if __name__ == '__main__':
    main()
