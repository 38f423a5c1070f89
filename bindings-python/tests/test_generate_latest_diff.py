"""Byte-for-byte differential tests of ``generate_latest``.

Every scenario builds the same registry twice, once with prometheus_client 0.26.0 and once
with fastprom, by the same calls (``time.time`` patched, so ``_created`` and exemplar
timestamps agree), then compares the Prometheus text format and OpenMetrics (1.0.0, and
2.0.0 where native histograms matter) in all four escaping schemes.
"""

import math
import threading
from unittest import mock

import pytest

import fastprom
import fastprom.metrics
import fastprom.openmetrics.exposition
import fastprom.validation
import prometheus_client
import prometheus_client.metrics
import prometheus_client.openmetrics.exposition
import prometheus_client.validation

LIBS = (prometheus_client, fastprom)
ESCAPINGS = ('underscores', 'dots', 'values', 'allow-utf-8')
NOW = 1700000000.125


def text(lib, registry, escaping):
    return lib.exposition.generate_latest(registry, escaping)


def om(lib, registry, escaping, version='1.0.0'):
    return lib.openmetrics.exposition.generate_latest(registry, escaping, version)


def outputs(lib, registry, versions=('1.0.0',)):
    out = {}
    for esc in ESCAPINGS:
        out['text-' + esc] = _outcome(lambda: text(lib, registry, esc))
        for v in versions:
            out[f'om{v}-{esc}'] = _outcome(lambda: om(lib, registry, esc, v))
    return out


def _outcome(f):
    try:
        return f()
    except Exception as e:  # the same failure on both sides is a match too
        return (type(e), e.args[0] if e.args else None)


def build(scenario, versions=('1.0.0',)):
    """Runs ``scenario(lib, registry)`` for both libraries; returns their outputs."""
    result = []
    for lib in LIBS:
        with mock.patch('time.time', return_value=NOW):
            registry = lib.CollectorRegistry()
            target = scenario(lib, registry)
            result.append(outputs(lib, target if target is not None else registry, versions))
    return result


def blocks(out):
    """The families of an exposition, sorted (a restricted registry collects its
    collectors from a set, in an order that depends on object addresses)."""
    if not isinstance(out, bytes):
        return out
    eof = out.endswith(b'# EOF\n')
    parts = out[:-6 if eof else None].split(b'# HELP ')
    return parts[0], sorted(parts[1:]), eof


def assert_same(scenario, versions=('1.0.0',), unordered=False):
    ref, got = build(scenario, versions)
    for fmt in ref:
        if unordered:
            assert blocks(got[fmt]) == blocks(ref[fmt]), fmt
        else:
            assert got[fmt] == ref[fmt], fmt


# --- scenarios ---------------------------------------------------------------------------

def every_type(lib, r):
    c = lib.Counter('requests', 'Requests served.', ['method', 'code'], registry=r)
    c.labels('GET', '200').inc()
    c.labels(method='POST', code=500).inc(2.5)
    c.labels('GET', '200').inc(0.25)
    lib.Counter('plain_total', 'A counter named with _total.', registry=r).inc(7)
    g = lib.Gauge('temperature', 'Temperature.', ['room'], registry=r)
    g.labels('kitchen').set(21.5)
    g.labels('cellar').dec(3)
    lib.Gauge('queue_depth', 'Depth.', registry=r).inc(4)
    h = lib.Histogram('latency_seconds', 'Latency.', ['path'], buckets=[0.1, '0.5', 1, 10], registry=r)
    for v in (0.05, 0.1, 0.3, 0.7, 5, 50):
        h.labels('/a').observe(v)
    h.labels('/b')
    lib.Histogram('default_buckets', 'Default buckets.', registry=r).observe(0.42)
    s = lib.Summary('payload_bytes', 'Payloads.', ['kind'], registry=r)
    s.labels('json').observe(512)
    s.labels('json').observe(128)
    lib.Summary('one_summary', 'Unlabelled.', registry=r).observe(1)
    i = lib.Info('build', 'Build information.', registry=r)
    i.info({'version': '1.2.3', 'commit': 'abc"def'})
    il = lib.Info('component', 'Per component.', ['name'], registry=r)
    il.labels('db').info({'driver': 'pg'})
    e = lib.Enum('task_state', 'Task state.', ['task'], states=['starting', 'running', 'stopped'], registry=r)
    e.labels('t1').state('running')
    e.labels('t2')
    lib.Enum('single_state', 'Unlabelled.', states=['a', 'b'], registry=r).state('b')


def names_and_units(lib, r):
    lib.Counter('bytes', 'With namespace, subsystem and unit.', namespace='app', subsystem='net',
                unit='bytes', registry=r).inc(10)
    lib.Gauge('temp_celsius', 'Unit already in the name.', unit='celsius', registry=r).set(3)
    lib.Histogram('size', 'Histogram with unit.', unit='bytes', buckets=[1, 2], registry=r).observe(1.5)
    lib.Summary('time_seconds_total', 'Summary ending in _total.', registry=r).observe(2)
    e = lib.Enum('state', 'Enum named like a label after the namespace.', ['ns_state'], namespace='ns',
                 states=['x', 'y'], registry=r)
    e.labels('q').state('y')


def label_escaping(lib, r):
    c = lib.Counter('escapes', 'Help with "quotes", \\ and\nnewline.', ['v'], registry=r)
    for v in ('plain', 'quote"inside', 'back\\slash', 'new\nline', '', 'ünïcødé ✓', '\t tab', '}{=,'):
        c.labels(v).inc()
    g = lib.Gauge('utf8.metric-name', 'A UTF-8 metric name.', ['label.with.dots', 'ok_label', 'ü'], registry=r)
    g.labels('a', 'b', 'c').set(1)
    lib.Gauge('a:colon:name', 'Colons.', ['x'], registry=r).labels('1').set(2)
    lib.Gauge('9starts_with_digit', 'Digit first.', registry=r).set(3)
    lib.Counter('dotted.counter', 'Dotted counter.', registry=r).inc()
    lib.Info('dotted.info', 'Dotted info.', registry=r).info({'key.with.dot': 'v', 'ok': 'w'})


def float_edges(lib, r):
    g = lib.Gauge('values', 'Float edge cases.', ['case'], registry=r)
    cases = {
        'nan': float('nan'), 'inf': float('inf'), 'ninf': float('-inf'), 'big': 1e+16, 'bigger': 1.5e+22,
        'tiny': 5e-324, 'small': 1e-300, 'negzero': -0.0, 'third': 1 / 3, 'sum': 0.1 + 0.2,
        'int': 12345678, 'e15': 1e15, 'e16m': 9999999999999998.0, 'neg': -123.456e-7,
    }
    for k, v in cases.items():
        g.labels(k).set(v)
    h = lib.Histogram('edge_buckets', 'Odd bucket bounds.', buckets=[-1, 1e-10, 1e+16, 2.5e+20], registry=r)
    for v in (-5, 0, 1e17, float('nan'), float('inf')):
        h.observe(v)
    lib.Histogram('negative_only', 'Negative first bucket: no _sum.', buckets=[-10, -1], registry=r).observe(-3)
    c = lib.Counter('count_nan', 'Counter with NaN.', registry=r)
    c.inc(float('nan'))
    lib.Counter('count_big', 'Counter with a big int.', registry=r).inc(10 ** 17)


def exemplars(lib, r):
    c = lib.Counter('exemplar_counter', 'Counter with exemplars.', ['k'], registry=r)
    c.labels('a').inc(1, {'trace_id': 'abc123'})
    c.labels('b').inc(2, {'trace_id': 'x"y\\z\nw', 'span': 'ü'})
    c.labels('b').inc(0.5)
    c.labels('c').inc(3, {})
    lib.Counter('plain_exemplar', 'Unlabelled.', registry=r).inc(exemplar={'a': 'b'})
    h = lib.Histogram('exemplar_histogram', 'Histogram with exemplars.', buckets=[1, 5], registry=r)
    h.observe(0.5, {'trace_id': 'h1'})
    h.observe(3, {'trace_id': 'h2'})
    h.observe(30, {'trace_id': 'h3'})
    h.observe(0.7)


def subclasses(lib, r):
    class TaggedCounter(lib.Counter):
        def __init__(self, *args, tag='none', **kwargs):
            super().__init__(*args, **kwargs)
            self._kwargs['tag'] = tag
            self.tag = tag

    t = TaggedCounter('tagged', 'A subclass.', ['x'], tag='blue', registry=r)
    t.labels('1').inc(3)
    t.labels('2').inc()
    assert type(t.labels('1')) is TaggedCounter and t.labels('1').tag == 'blue'

    class Temperature(lib.Gauge):
        pass

    Temperature('subclassed_gauge', 'Gauge subclass.', ['room'], registry=r).labels('hall').set(19)

    class CustomSamples(lib.Gauge):
        def _child_samples(self):
            return (lib.samples.Sample('', {}, 42.0, None, None),
                    lib.samples.Sample('_extra', {'kind': 'x'}, 1.0, None, None))

    CustomSamples('custom_samples', 'Overrides _child_samples.', ['a'], registry=r).labels('z').set(1)


def custom_collectors(lib, r):
    mc = lib.metrics_core
    Exemplar = lib.samples.Exemplar
    Timestamp = lib.samples.Timestamp

    class Collector:
        def collect(self):
            c = mc.CounterMetricFamily('jobs_total', 'Jobs.', labels=['queue'], created=None)
            c.add_metric(['high'], 4, created=1600000000.5)
            c.add_metric(['low'], 1.5, exemplar=Exemplar({'job': '7'}, 1.5, 1600000001))
            yield c
            yield mc.GaugeMetricFamily('free_ratio', 'Free.', value=0.25, unit='ratio')
            s = mc.SummaryMetricFamily('rtt_seconds', 'RTT.', labels=['peer'])
            s.add_metric(['p1'], count_value=10, sum_value=2.5, timestamp=1600000000)
            yield s
            yield mc.HistogramMetricFamily('hsize', 'Histogram family.', buckets=[
                ('1.0', 2), ('2.5', 3, Exemplar({'id': 'e'}, 2.0, Timestamp(1600000000, 5))), ('+Inf', 4)],
                sum_value=6.5)
            yield mc.GaugeHistogramMetricFamily('ghist', 'Gauge histogram.', buckets=[('1', 1), ('+Inf', 3)],
                                                gsum_value=4)
            yield mc.InfoMetricFamily('meta', 'Meta.', value={'a': '1', 'b': '2'})
            yield mc.StateSetMetricFamily('flags', 'Flags.', value={'on': True, 'off': False})
            yield mc.UnknownMetricFamily('mystery', 'Unknown.', value=3)
            ts = mc.GaugeMetricFamily('stamped', 'Timestamps.', labels=['kind'])
            ts.add_metric(['float'], 1, timestamp=1600000000.123)
            ts.add_metric(['int'], 2, timestamp=1600000000)
            ts.add_metric(['exact'], 3, timestamp=Timestamp(1600000000, 123456789))
            ts.add_metric(['negative'], 4, timestamp=Timestamp(-1.5, 5))
            ts.add_metric(['str_value'], '5.5')
            yield ts
            m = mc.Metric('raw', 'Raw Metric with repeated names.', 'gauge')
            m.add_sample('raw', {'b': '1', 'a': '2'}, 1)
            m.add_sample('raw_created', {}, 2)
            yield m

    lib.Counter('native_before', 'Native first.', registry=r).inc()
    r.register(Collector())
    lib.Gauge('native_after', 'Native last.', ['x'], registry=r).labels('y').set(2)


def native_histograms(lib, r):
    mc = lib.metrics_core
    s = lib.samples

    class Collector:
        def collect(self):
            m = mc.Metric('nh', 'Native histogram.', 'histogram')
            nh = s.NativeHistogram(24.0, 100.0, 0, 0.001, 4.0,
                                   (s.BucketSpan(0, 2), s.BucketSpan(1, 2)),
                                   (s.BucketSpan(0, 2), s.BucketSpan(1, 2)),
                                   (2, 1, -3, 3), (2, 1, -2, 3))
            m.add_sample('nh', {}, 0, None, None, nh)
            m.add_sample('nh_bucket', {'le': '+Inf'}, 3)
            yield m

    r.register(Collector())
    lib.Counter('beside', 'A native counter beside it.', registry=r).inc()


def removals(lib, r):
    c = lib.Counter('removed', 'Removals.', ['a', 'b'], registry=r)
    for a in 'xyz':
        for b in '12':
            c.labels(a, b).inc()
    c.remove('x', '1')
    c.remove('nope', '1')
    c.remove_by_labels({'b': '2'})
    c.labels('x', '1').inc(5)
    g = lib.Gauge('cleared', 'Clear and re-add.', ['k'], registry=r)
    g.labels('old').set(1)
    g.clear()
    g.labels('new').set(2)
    h = lib.Histogram('metrics_dict', '_metrics mutations.', ['k'], buckets=[1], registry=r)
    for k in 'abc':
        h.labels(k).observe(0.5)
    del h._metrics[('a',)]
    h._metrics.pop(('b',))
    h.labels('d').observe(2)


def target_info(lib, r):
    r.set_target_info({'service': 'api', 'env': 'prod "eu"'})
    lib.Gauge('up', 'Up.', registry=r).set(1)


def restricted(lib, r):
    every_type(lib, r)
    return r.restricted_registry(['requests_total', 'latency_seconds_bucket', 'latency_seconds_count',
                                  'build_info', 'nothing_here'])


def restricted_single(lib, r):
    c = lib.Counter('only', 'Only.', ['x'], registry=r)
    c.labels('a').inc()
    lib.Gauge('other', 'Other.', registry=r).set(1)
    return r.restricted_registry(['only_created'])


def restricted_target_info(lib, r):
    r.set_target_info({'a': 'b'})
    lib.Gauge('g', 'G.', registry=r).set(1)
    return r.restricted_registry(['target_info'])


def single_metric(lib, r):
    h = lib.Histogram('standalone', 'Encoded on its own.', ['x'], buckets=[1, 2], registry=None)
    h.labels('a').observe(1.5)
    return h


def child_collector(lib, r):
    c = lib.Counter('parent', 'Parent.', ['x'], registry=None)
    child = c.labels('a')
    child.inc(2)
    r.register(child)


def gauge_functions(lib, r):
    items = [1, 2, 3]
    g = lib.Gauge('items', 'From a function.', registry=r)
    g.set_function(lambda: len(items))
    lg = lib.Gauge('labelled_fn', 'Labelled function.', ['k'], registry=r)
    lg.labels('a').set_function(lambda: 2.5)
    lg.labels('b').set(7)


def legacy_names(lib, r):
    lib.validation.enable_legacy_validation()
    try:
        lib.Counter('legacy_ok', 'Legacy name.', ['l'], registry=r).labels('v').inc()
    finally:
        lib.validation.disable_legacy_validation()


def many_series(lib, r):
    c = lib.Counter('many', 'Many series.', ['a', 'b', 'c'], registry=r)
    for i in range(60):
        c.labels(str(i % 7), f'v{i}', 'z' * (i % 3)).inc(i)
    h = lib.Histogram('many_h', 'Many histograms.', ['a'], buckets=[0.5, 1, 2], registry=r)
    for i in range(30):
        h.labels(str(i)).observe(i / 10)


SCENARIOS = [every_type, names_and_units, label_escaping, float_edges, exemplars, subclasses,
             custom_collectors, removals, target_info, restricted_single, restricted_target_info, single_metric, child_collector,
             gauge_functions, legacy_names, many_series]


@pytest.mark.parametrize('scenario', SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_same_bytes(scenario):
    assert_same(scenario)


def test_restricted_registry_with_many_collectors():
    assert_same(restricted, unordered=True)


def test_created_series_disabled():
    for lib in LIBS:
        lib.metrics.disable_created_metrics()
    try:
        assert_same(every_type)
        assert_same(exemplars)
        ref, got = build(every_type)
        assert b'_created' not in got['text-underscores']
    finally:
        for lib in LIBS:
            lib.metrics.enable_created_metrics()


def test_native_histograms_openmetrics_2():
    assert_same(native_histograms, versions=('1.0.0', '2.0.0'))


def test_outputs_are_not_trivial():
    ref, got = build(every_type)
    assert b'requests_total{code="200",method="GET"} 1.25' in got['text-underscores']
    assert got['om1.0.0-underscores'].endswith(b'# EOF\n')


def test_exemplar_on_a_gauge_fails_the_same_way():
    def scenario(lib, r):
        class Collector:
            def collect(self):
                m = lib.metrics_core.Metric('bad', 'Gauge with an exemplar.', 'gauge')
                m.add_sample('bad', {}, 1, None, lib.samples.Exemplar({'a': 'b'}, 1))
                yield m
        r.register(Collector())

    ref, got = build(scenario)
    for fmt in ref:
        assert got[fmt] == ref[fmt], fmt
    assert ref['om1.0.0-underscores'][0] is ValueError


def test_format_errors_carry_the_metric():
    for lib in LIBS:
        m = lib.metrics_core.Metric('bad', 'Bad value.', 'gauge')
        m.add_sample('bad', {}, 'not a number')

        class Collector:
            def collect(self):
                return [m]

        r = lib.CollectorRegistry()
        r.register(Collector())
        with pytest.raises(ValueError) as e:
            lib.generate_latest(r)
        assert e.value.args[0] == "could not convert string to float: 'not a number'"
        assert e.value.args[-1] is m


def test_a_prometheus_client_registry_can_be_encoded_by_fastprom():
    with mock.patch('time.time', return_value=NOW):
        r = prometheus_client.CollectorRegistry()
        every_type(prometheus_client, r)
    assert fastprom.generate_latest(r) == prometheus_client.generate_latest(r)


def test_scrape_while_updating_from_threads():
    r = fastprom.CollectorRegistry()
    c = fastprom.Counter('busy', 'Busy.', ['t'], registry=r)
    stop = threading.Event()

    def work(t):
        child = c.labels(str(t))
        while not stop.is_set():
            child.inc()
            c.labels(f'x{t}')

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(50):
            out = fastprom.generate_latest(r)
            assert out.startswith(b'# HELP busy_total Busy.\n')
    finally:
        stop.set()
        for t in threads:
            t.join()
    values = {s.labels['t']: s.value for s in c.collect()[0].samples if s.name == 'busy_total'}
    assert set(values) == {'0', '1', '2', '3', 'x0', 'x1', 'x2', 'x3'}
    assert all(not math.isnan(v) for v in values.values())


def random_scenario(seed):
    """A scenario of random operations (the same for both libraries: the generator is
    seeded afresh for each)."""
    import random

    def scenario(lib, r):
        rnd = random.Random(seed)
        values = ['', 'a', 'b', 'é', 'x"y', 'back\\slash', 'new\nline', '0', '1.5']
        numbers = [0, 1, 2.5, -1, 1e-9, 1e16, 123456.789, float('inf'), float('nan'), 7]
        metrics = []
        for i in range(rnd.randint(1, 6)):
            kind = rnd.choice(['Counter', 'Gauge', 'Histogram', 'Summary', 'Info', 'Enum'])
            labels = rnd.sample(['l1', 'l2', 'l.3', 'ü'], rnd.randint(0, 3))
            kwargs = {}
            if kind == 'Histogram':
                kwargs['buckets'] = sorted(rnd.sample([0.1, 1, 5, 10, 1e3, 1e16], rnd.randint(1, 4)))
            if kind == 'Enum':
                kwargs['states'] = ['s1', 's2', 's3']
            unit = rnd.choice(['', '', 'seconds']) if kind not in ('Info', 'Enum') else ''
            m = getattr(lib, kind)(f'm{i}_{kind.lower()}', f'Help {i} "{kind}"\\', labels, unit=unit,
                                   registry=r, **kwargs)
            metrics.append((kind, m, labels))
        for _ in range(rnd.randint(0, 40)):
            kind, m, labels = rnd.choice(metrics)
            target = m.labels(*[rnd.choice(values) for _ in labels]) if labels else m
            op = rnd.random()
            if labels and op < 0.05:
                m.remove(*[rnd.choice(values) for _ in labels])
                continue
            if labels and op < 0.07:
                m.clear()
                continue
            n = rnd.choice(numbers)
            ex = {'trace': rnd.choice(values)} if rnd.random() < 0.2 else None
            if kind == 'Counter':
                if n >= 0 or n != n:
                    target.inc(n, ex)
            elif kind == 'Gauge':
                rnd.choice([target.inc, target.dec, target.set])(n)
            elif kind == 'Histogram':
                target.observe(n, ex)
            elif kind == 'Summary':
                target.observe(n)
            elif kind == 'Info':
                target.info({'k': rnd.choice(values), 'v': rnd.choice(values)})
            else:
                target.state(rnd.choice(['s1', 's2', 's3']))
    scenario.__name__ = f'random_{seed}'
    return scenario


@pytest.mark.parametrize('seed', range(40))
def test_random_operations(seed):
    assert_same(random_scenario(seed))
