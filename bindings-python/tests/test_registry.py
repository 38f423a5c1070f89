"""fastprom.registry against prometheus_client 0.26.0: registration, duplicate detection,
target info, restricted views and sample look-up behave the same, with native metrics and
Python collectors mixed in one registry."""

from unittest import mock

import pytest

import fastprom
import fastprom.registry
import prometheus_client
import prometheus_client.registry

LIBS = (prometheus_client, fastprom)
NOW = 1600000000.0


def both(f):
    out = []
    for lib in LIBS:
        with mock.patch('time.time', return_value=NOW):
            out.append(f(lib))
    return out


def same(f):
    ref, got = both(f)
    assert got == ref
    return got


def outcome(f):
    try:
        return ('ok', f())
    except Exception as e:
        return (type(e).__name__, str(e), sorted(getattr(e, 'duplicates', ())))


def flat(metrics):
    return [(m.name, m.documentation, m.type, m.unit, [(s.name, s.labels, s.value) for s in m.samples])
            for m in metrics]


class Custom:
    """A custom collector with or without describe()."""

    def __init__(self, lib, name='custom', describe=True, typ='gauge'):
        self.lib, self.name, self.typ = lib, name, typ
        if not describe:
            self.describe = None

    def collect(self):
        mc = self.lib.metrics_core
        if self.typ == 'counter':
            return [mc.CounterMetricFamily(self.name, 'Custom counter.', value=3)]
        if self.typ == 'gaugehistogram':
            return [mc.GaugeHistogramMetricFamily(self.name, 'Custom gauge histogram.', buckets=[('+Inf', 1)], gsum_value=2)]
        if self.typ == 'stateset':
            return [mc.StateSetMetricFamily(self.name, 'Custom state set.', value={'on': True})]
        return [mc.GaugeMetricFamily(self.name, 'Custom gauge.', value=3)]

    def describe(self):
        return self.collect()


class NoDescribe:
    def __init__(self, lib, name='nodesc'):
        self.lib, self.name = lib, name

    def collect(self):
        return [self.lib.metrics_core.GaugeMetricFamily(self.name, 'No describe.', value=1)]


DUPLICATES = {
    'same counter': lambda lib, r: (lib.Counter('a', 'h', registry=r), lib.Counter('a', 'h', registry=r)),
    'counter vs gauge _total': lambda lib, r: (lib.Counter('a', 'h', registry=r), lib.Gauge('a_total', 'h', registry=r)),
    'counter vs gauge _created': lambda lib, r: (lib.Counter('a', 'h', registry=r), lib.Gauge('a_created', 'h', registry=r)),
    'histogram vs summary': lambda lib, r: (lib.Histogram('h', 'h', registry=r), lib.Summary('h', 'h', registry=r)),
    'histogram bucket': lambda lib, r: (lib.Histogram('h', 'h', registry=r), lib.Gauge('h_bucket', 'h', registry=r)),
    'info suffix': lambda lib, r: (lib.Info('i', 'h', registry=r), lib.Gauge('i_info', 'h', registry=r)),
    'enum vs gauge': lambda lib, r: (lib.Enum('e', 'h', states=['a'], registry=r), lib.Gauge('e', 'h', registry=r)),
    'native vs custom': lambda lib, r: (lib.Gauge('custom', 'h', registry=r), r.register(Custom(lib))),
    'custom vs native': lambda lib, r: (r.register(Custom(lib, typ='counter')), lib.Counter('custom', 'h', registry=r)),
    'target_info metric': lambda lib, r: (r.set_target_info({'a': 'b'}), lib.Info('target', 'h', registry=r)),
    'summary _count': lambda lib, r: (lib.Summary('s', 'h', registry=r), lib.Gauge('s_count', 'h', registry=r)),
    'gaugehistogram _gsum': lambda lib, r: (
        r.register(Custom(lib, name='gh', typ='gaugehistogram')), lib.Gauge('gh_gsum', 'h', registry=r)),
    'gaugehistogram _gcount': lambda lib, r: (
        r.register(Custom(lib, name='gh', typ='gaugehistogram')), lib.Gauge('gh_gcount', 'h', registry=r)),
}

# Names that only look like a type's series: the type claims no such suffix, so both
# libraries accept them.
NOT_DUPLICATES = {
    'gauge _total': lambda lib, r: (lib.Gauge('g', 'h', registry=r), lib.Gauge('g_total', 'h', registry=r)),
    'stateset _total': lambda lib, r: (
        r.register(Custom(lib, name='st', typ='stateset')), lib.Gauge('st_total', 'h', registry=r)),
    'gaugehistogram _sum': lambda lib, r: (
        r.register(Custom(lib, name='gh', typ='gaugehistogram')), lib.Gauge('gh_sum', 'h', registry=r)),
}


@pytest.mark.parametrize('case', sorted(NOT_DUPLICATES))
def test_not_duplicates(case):
    def f(lib):
        r = lib.CollectorRegistry()
        # Only whether registering raised: the created objects differ between libraries.
        return outcome(lambda: NOT_DUPLICATES[case](lib, r) and None)
    got = same(f)
    assert got == ('ok', None), got


@pytest.mark.parametrize('case', sorted(DUPLICATES))
def test_duplicates(case):
    def f(lib):
        r = lib.CollectorRegistry()
        return outcome(lambda: DUPLICATES[case](lib, r))
    got = same(f)
    assert got[0] == 'DuplicateTimeseries'


def test_duplicate_is_a_value_error_with_duplicates():
    r = fastprom.CollectorRegistry()
    fastprom.Counter('x', 'h', registry=r)
    with pytest.raises(ValueError) as e:
        fastprom.Counter('x_total', 'h', registry=r)
    assert isinstance(e.value, fastprom.registry.DuplicateTimeseries)
    assert e.value.duplicates == {'x', 'x_total', 'x_created'}


def test_registered_names():
    def f(lib):
        r = lib.CollectorRegistry()
        lib.Counter('c', 'h', ['a'], registry=r)
        lib.Histogram('h', 'h', registry=r)
        lib.Summary('s', 'h', registry=r)
        lib.Info('i', 'h', registry=r)
        lib.Enum('e', 'h', states=['x'], registry=r)
        r.register(Custom(lib))
        r.register(NoDescribe(lib))
        return sorted(r._names_to_collectors), [sorted(v) for v in r._collector_to_names.values()]
    same(f)


def test_auto_describe_and_no_describe():
    def f(lib):
        r = lib.CollectorRegistry(auto_describe=True)
        r.register(NoDescribe(lib))
        dup = outcome(lambda: r.register(NoDescribe(lib)))
        plain = lib.CollectorRegistry()
        plain.register(NoDescribe(lib))
        plain.register(NoDescribe(lib))
        return dup, sorted(r._names_to_collectors), flat(plain.collect())
    same(f)


def test_default_registry_auto_describes():
    for lib in LIBS:
        assert lib.REGISTRY._auto_describe is True


def test_unregister_and_register_again():
    def f(lib):
        r = lib.CollectorRegistry()
        c = lib.Counter('c', 'h', registry=r)
        c.inc()
        r.unregister(c)
        after = flat(r.collect())
        missing = outcome(lambda: r.unregister(c))
        lib.Counter('c', 'h', registry=r).inc(2)
        return after, missing[0], flat(r.collect())
    same(f)


def test_collect_order_mixes_native_and_custom():
    def f(lib):
        r = lib.CollectorRegistry(target_info={'env': 'test'})
        lib.Gauge('first', 'h', registry=r).set(1)
        r.register(Custom(lib, 'middle'))
        c = lib.Counter('last', 'h', ['k'], registry=r)
        c.labels('v').inc()
        return flat(r.collect()), lib.generate_latest(r)
    same(f)


def test_target_info():
    def f(lib):
        r = lib.CollectorRegistry()
        r.set_target_info({'a': '1'})
        got = r.get_target_info()
        r.set_target_info({'b': '2'})
        r.set_target_info(None)
        cleared = r.get_target_info(), sorted(r._names_to_collectors)
        r2 = lib.CollectorRegistry()
        r2.register(Custom(lib, 'target', typ='gauge'))
        r3 = lib.CollectorRegistry()
        lib.Info('target', 'h', registry=r3)
        return (got, cleared, outcome(lambda: r2.set_target_info({'x': 'y'})),
                outcome(lambda: r3.set_target_info({'x': 'y'})))
    same(f)


def test_get_sample_value():
    def f(lib):
        r = lib.CollectorRegistry()
        c = lib.Counter('c', 'h', ['a'], registry=r)
        c.labels('x').inc(3)
        h = lib.Histogram('h', 'h', buckets=[1], registry=r)
        h.observe(0.5)
        r.register(Custom(lib))
        return [r.get_sample_value(*q) for q in (
            ('c_total', {'a': 'x'}), ('c_total', {'a': 'y'}), ('c_created', {'a': 'x'}), ('c_total',),
            ('h_bucket', {'le': '1.0'}), ('h_count',), ('h_sum',), ('custom',), ('nothing',))]
    same(f)


def test_restricted_registry_collect():
    def f(lib):
        r = lib.CollectorRegistry(target_info={'t': '1'})
        lib.Counter('c', 'h', ['a'], registry=r).labels('x').inc()
        lib.Gauge('g', 'h', unit='bytes', registry=r).set(2)
        out = []
        for names in (['c_total'], ['g_bytes'], ['c_created', 'target_info'], ['nope'], []):
            out.append(flat(r.restricted_registry(names).collect()))
        return out
    same(f)


def test_restricted_registry_and_collectors_without_names():
    def f(lib):
        r = lib.CollectorRegistry(support_collectors_without_names=True)
        r.register(NoDescribe(lib, 'free'))
        lib.Gauge('g', 'h', registry=r).set(1)
        rr = r.restricted_registry(['free'])
        plain = lib.CollectorRegistry()
        plain.register(NoDescribe(lib, 'free'))
        return (flat(rr.collect()), lib.generate_latest(rr),
                flat(plain.restricted_registry(['free']).collect()), r._collectors_without_names != [])
    same(f)


def test_nested_registries():
    def f(lib):
        inner = lib.CollectorRegistry()
        lib.Counter('inner', 'h', registry=inner).inc()
        outer = lib.CollectorRegistry()
        lib.Gauge('outer', 'h', registry=outer).set(1)
        outer.register(inner)
        return lib.generate_latest(outer), flat(outer.collect())
    same(f)


def test_registry_subclass_with_own_collect():
    def f(lib):
        class Only(lib.CollectorRegistry):
            def collect(self):
                for m in super().collect():
                    if m.name != 'hidden':
                        yield m

        r = Only()
        lib.Gauge('hidden', 'h', registry=r).set(1)
        lib.Gauge('shown', 'h', registry=r).set(2)
        return lib.generate_latest(r)
    got = same(f)
    assert b'hidden' not in got


def test_collector_protocol_and_module_names():
    for lib in LIBS:
        for name in ('Collector', 'CollectorRegistry', 'DuplicateTimeseries', 'REGISTRY', 'RestrictedRegistry'):
            assert hasattr(lib.registry, name), name
    assert issubclass(fastprom.registry.DuplicateTimeseries, ValueError)


def test_metric_registered_with_default_registry():
    c = fastprom.Counter('fastprom_test_default_registry', 'h')
    try:
        assert fastprom.REGISTRY.get_sample_value('fastprom_test_default_registry_total') == 0.0
        assert b'fastprom_test_default_registry_total 0.0' in fastprom.generate_latest()
    finally:
        fastprom.REGISTRY.unregister(c)
