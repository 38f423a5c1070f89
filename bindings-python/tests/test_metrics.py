"""fastprom.metrics against prometheus_client 0.26.0: the same calls give the same
``collect()`` samples, the same private attributes and the same exceptions."""

import collections.abc
import math
import threading
import time
from unittest import mock

import pytest

import fastprom
import fastprom.metrics
import fastprom.validation
import prometheus_client
import prometheus_client.metrics
import prometheus_client.validation

LIBS = (prometheus_client, fastprom)
NOW = 1700000000.5


def norm(value):
    """A value comparable across libraries (NaN equals NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return 'NaN'
    if isinstance(value, tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


def samples(metrics):
    out = []
    for m in metrics:
        out.append((m.name, m.documentation, m.type, m.unit,
                    [(s.name, list(s.labels.items()), norm(s.value), type(s.value), s.timestamp,
                      norm(tuple(s.exemplar)) if s.exemplar else None, s.native_histogram)
                     for s in m.samples]))
    return out


def both(f):
    """``f(lib)`` for each library with ``time.time`` patched; the results."""
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
    """('ok', result) or (exception class name, message): the libraries' own exception
    classes (DuplicateTimeseries) differ, their names must not."""
    try:
        return ('ok', f())
    except Exception as e:
        return (type(e).__name__, str(e))


def same_error(f):
    """``f(lib)`` raises the same exception type and message in both libraries."""
    ref, got = both(lambda lib: outcome(lambda: f(lib)))
    assert ref[0] != 'ok', ref
    assert got == ref
    return got


# --- samples -----------------------------------------------------------------------------

def test_counter_samples():
    def f(lib):
        c = lib.Counter('c', 'Counter.', ['a'], registry=None)
        c.labels('x').inc()
        c.labels('y').inc(2)
        c.labels('x').inc(0.5, {'trace': 't1'})
        u = lib.Counter('u_total', 'Unlabelled.', unit='bytes', registry=None)
        u.inc(3)
        return samples(c.collect()) + samples(u.collect()) + samples(u.describe()), c.labels('x')._created
    same(f)


def test_gauge_samples():
    def f(lib):
        g = lib.Gauge('g', 'Gauge.', ['a'], registry=None)
        g.labels('x').set(1.5)
        g.labels('x').inc(2)
        g.labels('x').dec()
        g.labels('y').set_to_current_time()
        g.labels('z').set_function(lambda: 7)
        g.labels('n').set(float('nan'))
        return samples(g.collect())
    same(f)


def test_histogram_samples():
    def f(lib):
        h = lib.Histogram('h', 'Histogram.', ['a'], buckets=(1, '2.5', 5.0), registry=None)
        for v in (0.5, 1, 2, 3, 100, float('nan')):
            h.labels('x').observe(v)
        h.labels('x').observe(2, {'trace': 'b2'})
        d = lib.Histogram('d', 'Default buckets.', registry=None)
        d.observe(0.3)
        return (samples(h.collect()) + samples(d.collect()), h._upper_bounds, h.labels('x')._upper_bounds,
                [b.get() for b in h.labels('x')._buckets], norm(h.labels('x')._sum.get()), d._created)
    same(f)


def test_summary_info_enum_samples():
    def f(lib):
        s = lib.Summary('s', 'Summary.', ['a'], registry=None)
        s.labels('x').observe(3)
        s.labels('x').observe(4.5)
        i = lib.Info('i', 'Info.', ['a'], registry=None)
        i.labels('x').info({'k': 'v', 'k2': 'v2'})
        i2 = lib.Info('i2', 'Unlabelled info.', registry=None)
        i2.info({'z': '1', 'a': '2'})
        e = lib.Enum('e', 'Enum.', ['a'], states=('on', 'off'), registry=None)
        e.labels('x').state('off')
        e.labels('y')
        return (samples(s.collect()) + samples(i.collect()) + samples(i2.collect()) + samples(e.collect()),
                s.labels('x')._count.get(), s.labels('x')._sum.get(), i2._value, e.labels('x')._value,
                e._states, e.labels('x')._states)
    same(f)


def test_child_collect_and_child_samples():
    def f(lib):
        h = lib.Histogram('h', 'H.', ['a'], buckets=[1], registry=None)
        child = h.labels('x')
        child.observe(0.5)
        e = lib.Enum('e', 'E.', ['a'], states=['p', 'q'], registry=None)
        return (samples(child.collect()), [tuple(s) for s in child._child_samples()],
                [tuple(s) for s in e.labels('z')._child_samples()], list(h._samples()))
    same(f)


def test_created_disabled_samples():
    for lib in LIBS:
        lib.metrics.disable_created_metrics()
    try:
        def f(lib):
            c = lib.Counter('c', 'C.', registry=None)
            h = lib.Histogram('h', 'H.', buckets=[1], registry=None)
            s = lib.Summary('s', 'S.', registry=None)
            return samples(c.collect()) + samples(h.collect()) + samples(s.collect())
        got = same(f)
        assert not any(name.endswith('_created') for m in got for name, *_ in m[4])
    finally:
        for lib in LIBS:
            lib.metrics.enable_created_metrics()


def test_label_values_are_stringified():
    def f(lib):
        c = lib.Counter('c', 'C.', ['a', 'b'], registry=None)
        c.labels(1, None).inc()
        c.labels(a=1.5, b=True).inc()
        c.labels('1', 'None').inc()

        class S(str):
            pass

        c.labels(S('1'), S('None')).inc()
        return samples(c.collect()), sorted(c._metrics), [type(k) for key in c._metrics for k in key]
    got = same(f)
    assert got[0][0][4][0][2] == 3.0


def test_unicode_and_empty_label_values():
    def f(lib):
        c = lib.Counter('c', 'C.', ['a'], registry=None)
        for v in ('', 'é', '日本', 'a\nb', '"q"'):
            c.labels(v).inc()
        c.labels(''.join(['é'])).inc()
        return samples(c.collect())
    same(f)


def test_namespace_subsystem_unit_and_names():
    def f(lib):
        c = lib.Counter('requests_total', 'C.', namespace='ns', subsystem='sub', unit='bytes', registry=None)
        g = lib.Gauge('x_seconds', 'G.', unit='seconds', registry=None)
        return (c._name, c._original_name, c._namespace, c._subsystem, c._unit, c._documentation,
                c._type, c._labelnames, c._labelvalues, c._kwargs, g._name, str(c), repr(g).split('.')[-1])
    same(f)


def test_str_and_repr():
    for lib in LIBS:
        c = lib.Counter('c', 'C.', registry=None)
        assert str(c) == 'counter:c'
        assert repr(c) == f'{lib.__name__}.metrics.Counter(c)'


def test_exemplar_values_and_timestamps():
    def f(lib):
        c = lib.Counter('c', 'C.', registry=None)
        c.inc(2, {'trace_id': 'abc'})
        h = lib.Histogram('h', 'H.', buckets=[1, 2], registry=None)
        h.observe(1.5, {'span': 's'})
        return (tuple(c._value.get_exemplar()), [norm(tuple(b.get_exemplar())) if b.get_exemplar() else None
                                                 for b in h._buckets])
    same(f)


# --- private attributes and helpers --------------------------------------------------------

def test_value_cells():
    for lib in LIBS:
        c = lib.Counter('c', 'C.', registry=None)
        c.inc(5)
        assert c._value.get() == 5.0
        c._value.set(0)
        assert c._value.get() == 0.0
        g = lib.Gauge('g', 'G.', registry=None)
        g._value.set(4)
        g._value.inc(1)
        assert g._value.get() == 5.0


def test_metrics_dict_follows_children():
    c = fastprom.Counter('c', 'C.', ['a'], registry=None)
    assert c._metrics == {}
    x = c.labels('x')
    assert c._metrics == {('x',): x}
    # A live view of the children in the core, read as prometheus_client's dict is.
    assert isinstance(c._metrics, collections.abc.MutableMapping)
    assert list(c._metrics) == [('x',)] and len(c._metrics) == 1 and ('x',) in c._metrics
    assert dict(c._metrics) == {('x',): x} and c._metrics.copy() == {('x',): x}
    with pytest.raises(TypeError):
        c._metrics[('w',)] = x
    c.labels('y').inc()
    del c._metrics[('y',)]
    assert c.collect()[0].samples[0].labels == {'a': 'x'}
    assert len(c.collect()[0].samples) == 2
    c._metrics.clear()
    assert c.collect()[0].samples == []
    assert c.labels('x') is not x
    c.labels('z')
    c._metrics = {}
    assert c._metrics == {} and c.collect()[0].samples == []
    with pytest.raises(AttributeError):
        c.labels('q')._metrics


def test_labels_returns_the_same_child():
    for lib in LIBS:
        c = lib.Counter('c', 'C.', ['a', 'b'], registry=None)
        child = c.labels('x', 'y')
        assert c.labels('x', 'y') is child
        assert c.labels(a='x', b='y') is child
        assert c.labels(*['x', 'y']) is child
        assert c.labels(''.join(['x']), 'y') is child
        assert c.labels('x', 'z') is not child


def test_remove_and_clear():
    def f(lib):
        c = lib.Counter('c', 'C.', ['a', 'b'], registry=None)
        for a in ('1', '2'):
            for b in ('x', 'y'):
                c.labels(a, b).inc()
        c.remove(1, 'x')
        c.remove_by_labels({'b': 'y'})
        after_remove = samples(c.collect())
        c.clear()
        c.labels('3', 'z').inc()
        return after_remove, samples(c.collect()), sorted(c._metrics)
    same(f)


def test_context_managers():
    c = fastprom.Counter('c', 'C.', registry=None)
    with pytest.raises(KeyError):
        with c.count_exceptions(KeyError):
            raise KeyError('x')
    assert c._value.get() == 1

    @c.count_exceptions()
    def boom():
        raise ValueError

    with pytest.raises(ValueError):
        boom()
    assert c._value.get() == 2

    g = fastprom.Gauge('g', 'G.', registry=None)
    with g.track_inprogress():
        assert g._value.get() == 1
    assert g._value.get() == 0
    with g.time():
        time.sleep(0.001)
    assert g._value.get() > 0

    h = fastprom.Histogram('h', 'H.', registry=None)
    with h.time():
        pass
    s = fastprom.Summary('s', 'S.', registry=None)

    @s.time()
    def work():
        return 5

    assert work() == 5
    assert h.collect()[0].samples[-3].value == 1.0
    assert s._count.get() == 1


def test_set_function_errors_propagate():
    g = fastprom.Gauge('g', 'G.', registry=None)

    def bad():
        raise ZeroDivisionError('nope')

    g.set_function(bad)
    with pytest.raises(ZeroDivisionError):
        g.collect()
    r = fastprom.CollectorRegistry()
    r.register(g)
    with pytest.raises(ZeroDivisionError):
        fastprom.generate_latest(r)


def test_time_is_read_through_time_time():
    with mock.patch('time.time', return_value=123.0):
        c = fastprom.Counter('c', 'C.', ['a'], registry=None)
        assert c.labels('x')._created == 123.0
        g = fastprom.Gauge('g', 'G.', registry=None)
        g.set_to_current_time()
        assert g._value.get() == 123.0
    with mock.patch.object(fastprom.metrics, 'time') as t:
        t.time.return_value = 456.0
        c.labels('y').reset()
        assert c.labels('y')._created == 456.0


def test_subclass_children_and_kwargs():
    class Tagged(fastprom.Gauge):
        def __init__(self, *args, tag=None, **kwargs):
            super().__init__(*args, **kwargs)
            self._kwargs['tag'] = tag
            self.tag = tag

    r = fastprom.CollectorRegistry()
    t = Tagged('t', 'T.', ['a'], tag='x', multiprocess_mode='max', registry=r)
    child = t.labels('1')
    assert type(child) is Tagged and child.tag == 'x' and child._multiprocess_mode == 'max'
    child.set(3)
    assert r.get_sample_value('t', {'a': '1'}) == 3.0

    class Failing(fastprom.Counter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self._labelvalues == ('bad',):
                raise RuntimeError('refused')

    f = Failing('f', 'F.', ['a'], registry=r)
    with pytest.raises(RuntimeError):
        f.labels('bad')
    f.labels('good').inc()
    assert [s.labels for s in f.collect()[0].samples if s.name == 'f_total'] == [{'a': 'good'}]


def test_hand_made_child():
    for lib in LIBS:
        c = lib.Counter('c', 'C.', ['a'], registry=None, _labelvalues=['x'])
        c.inc(2)
        assert [(s.name, s.labels, s.value) for s in c.collect()[0].samples][0] == ('c_total', {}, 2.0)


def test_multiprocess_mode_most_recent():
    def f(lib):
        g = lib.Gauge('g', 'G.', multiprocess_mode='livemostrecent', registry=None)
        g.set(5)
        return g._is_most_recent, g._value.get(), outcome(g.inc), outcome(lambda: g.dec(2))
    same(f)


# --- errors --------------------------------------------------------------------------------

CONSTRUCTION_ERRORS = {
    'empty name': lambda lib: lib.Counter('', 'h', registry=None),
    'info unit': lambda lib: lib.Info('i', 'h', unit='x', registry=None),
    'enum unit': lambda lib: lib.Enum('e', 'h', unit='x', states=['a'], registry=None),
    'reserved label': lambda lib: lib.Counter('c', 'h', ['__x'], registry=None),
    'histogram le': lambda lib: lib.Histogram('h', 'h', ['le'], registry=None),
    'summary quantile': lambda lib: lib.Summary('s', 'h', ['a', 'quantile'], registry=None),
    'unsorted buckets': lambda lib: lib.Histogram('h', 'h', buckets=[2, 1], registry=None),
    'one bucket': lambda lib: lib.Histogram('h', 'h', buckets=[float('inf')], registry=None),
    'no buckets': lambda lib: lib.Histogram('h', 'h', buckets=[], registry=None),
    'bad bucket': lambda lib: lib.Histogram('h', 'h', buckets=['x'], registry=None),
    'multiprocess mode': lambda lib: lib.Gauge('g', 'h', multiprocess_mode='avg', registry=None),
    'enum no states': lambda lib: lib.Enum('e', 'h', registry=None),
    'enum overlap': lambda lib: lib.Enum('e', 'h', ['e'], states=['a'], registry=None),
    'counter named _total': lambda lib: lib.Counter('_total', 'h', registry=None),
}


@pytest.mark.parametrize('case', sorted(CONSTRUCTION_ERRORS))
def test_construction_errors(case):
    same_error(CONSTRUCTION_ERRORS[case])


@pytest.mark.parametrize('case', ['metric', 'label', 'reserved'])
def test_legacy_validation_errors(case):
    calls = {
        'metric': lambda lib: lib.Counter('a.b', 'h', registry=None),
        'label': lambda lib: lib.Counter('c', 'h', ['a.b'], registry=None),
        'reserved': lambda lib: lib.Counter('c', 'h', ['__a'], registry=None),
    }
    for lib in LIBS:
        lib.validation.enable_legacy_validation()
    try:
        same_error(calls[case])
    finally:
        for lib in LIBS:
            lib.validation.disable_legacy_validation()
    # With UTF-8 validation (the default) dotted names are fine.
    if case != 'reserved':
        for lib in LIBS:
            calls[case](lib)


def _parent(lib, cls='Counter', labels=('a', 'b'), **kw):
    return getattr(lib, cls)('m', 'h', list(labels), registry=None, **kw)


USE_ERRORS = {
    'negative inc': lambda lib: lib.Counter('c', 'h', registry=None).inc(-1),
    'negative int inc': lambda lib: lib.Counter('c', 'h', registry=None).inc(-5),
    'str inc': lambda lib: lib.Counter('c', 'h', registry=None).inc('1'),
    'none inc': lambda lib: lib.Counter('c', 'h', registry=None).inc(None),
    'gauge str inc': lambda lib: lib.Gauge('g', 'h', registry=None).inc('1'),
    'gauge str dec': lambda lib: lib.Gauge('g', 'h', registry=None).dec('1'),
    'gauge bad set': lambda lib: lib.Gauge('g', 'h', registry=None).set('abc'),
    'observe str': lambda lib: lib.Histogram('h', 'h', registry=None).observe('x'),
    'huge int': lambda lib: lib.Counter('c', 'h', registry=None).inc(10 ** 400),
    'inc on parent': lambda lib: _parent(lib).inc(),
    'set on parent': lambda lib: _parent(lib, 'Gauge').set(1),
    'observe on parent': lambda lib: _parent(lib, 'Histogram').observe(1),
    'summary on parent': lambda lib: _parent(lib, 'Summary').observe(1),
    'state on parent': lambda lib: _parent(lib, 'Enum', labels=('a',), states=['x']).state('x'),
    'label count': lambda lib: _parent(lib).labels('x'),
    'no labels given': lambda lib: _parent(lib).labels(),
    'label names': lambda lib: _parent(lib).labels(a='x', c='y'),
    'args and kwargs': lambda lib: _parent(lib).labels('x', b='y'),
    'chained labels': lambda lib: _parent(lib).labels('x', 'y').labels('x', 'y'),
    'labels without names': lambda lib: lib.Counter('c', 'h', registry=None).labels('x'),
    'remove count': lambda lib: _parent(lib).remove('x'),
    'remove count ints': lambda lib: _parent(lib).remove(1, 2, 3),
    'remove unlabelled': lambda lib: lib.Counter('c', 'h', registry=None).remove('x'),
    'remove_by_labels type': lambda lib: _parent(lib).remove_by_labels([('a', 'x')]),
    'remove_by_labels names': lambda lib: _parent(lib).remove_by_labels({'a': 'x', 'zz': 'y'}),
    'exemplar too long': lambda lib: lib.Counter('c', 'h', registry=None).inc(1, {'a': 'x' * 128}),
    'exemplar reserved': lambda lib: lib.Counter('c', 'h', registry=None).inc(1, {'__a': 'x'}),
    'histogram exemplar too long': lambda lib: lib.Histogram('h', 'h', registry=None).observe(1, {'k': 'v' * 200}),
    'enum unknown state': lambda lib: lib.Enum('e', 'h', states=['a'], registry=None).state('b'),
    'enum int state': lambda lib: lib.Enum('e', 'h', states=['a'], registry=None).state(5),
    'enum tuple states': lambda lib: lib.Enum('e', 'h', states=('a',), registry=None).state('b'),
    'info overlap': lambda lib: lib.Info('i', 'h', ['k'], registry=None).labels('x').info({'k': 'v'}),
    'info none': lambda lib: lib.Info('i', 'h', registry=None).info({'k': None}),
    'info on parent': lambda lib: lib.Info('i', 'h', ['k'], registry=None).info({'a': 'v'}),
    'reset on parent': lambda lib: _parent(lib).reset(),
    'value on parent': lambda lib: _parent(lib)._value,
    'count_exceptions on parent': lambda lib: _parent(lib).count_exceptions(),
    'track_inprogress on parent': lambda lib: _parent(lib, 'Gauge').track_inprogress(),
    'set_function on parent': lambda lib: _parent(lib, 'Gauge').set_function(lambda: 1),
}


@pytest.mark.parametrize('case', sorted(USE_ERRORS))
def test_use_errors(case):
    same_error(USE_ERRORS[case])


def test_exemplar_increment_lands_even_when_refused():
    def f(lib):
        c = lib.Counter('c', 'h', registry=None)
        outcome(lambda: c.inc(2, {'a': 'x' * 200}))
        return c._value.get(), c._value.get_exemplar()
    same(f)


def test_duplicate_registration():
    def f(lib):
        r = lib.CollectorRegistry()
        lib.Counter('dup', 'h', registry=r)
        return outcome(lambda: lib.Gauge('dup_total', 'h', registry=r))
    same(f)


# --- threads -------------------------------------------------------------------------------

def test_threads_update_one_child_exactly():
    c = fastprom.Counter('c', 'C.', ['a'], registry=None)
    g = fastprom.Gauge('g', 'G.', registry=None)
    h = fastprom.Histogram('h', 'H.', buckets=[1], registry=None)
    n, k = 8, 20000

    def work():
        child = c.labels('x')
        for _ in range(k):
            child.inc()
            c.labels('y').inc(0.5)
            g.inc()
            g.dec(2)
            h.observe(0.5)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.labels('x')._value.get() == n * k
    assert c.labels('y')._value.get() == n * k / 2
    assert g._value.get() == -n * k
    assert h._buckets[0].get() == n * k
    assert h._sum.get() == n * k / 2


def test_threads_create_one_child():
    c = fastprom.Counter('c', 'C.', ['a', 'b'], registry=None)
    barrier = threading.Barrier(8)
    seen = []

    def work(i):
        barrier.wait()
        for j in range(200):
            child = c.labels(str(j), 'same')
            child.inc()
            seen.append((j, id(child)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {}
    for j, i in seen:
        ids.setdefault(j, set()).add(i)
    assert all(len(v) == 1 for v in ids.values())
    assert len(c._metrics) == 200
    assert all(s.value == 8.0 for s in c.collect()[0].samples if s.name == 'c_total')


# --- process-wide switches and pure-Python metric types ------------------------------------

def test_disable_created_series_environment_variable():
    import subprocess
    import sys
    code = ('import fastprom\n'
            'c = fastprom.Counter("envc", "h", registry=None)\n'
            'print([s.name for s in c.collect()[0].samples])\n')
    for value, expected in (('True', "['envc_total']"), ('false', "['envc_total', 'envc_created']")):
        out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60,
                             env={**__import__('os').environ, 'PROMETHEUS_DISABLE_CREATED_SERIES': value})
        assert out.stdout.strip() == expected, out.stderr


def test_legacy_validation_reaches_the_core():
    fastprom.validation.enable_legacy_validation()
    try:
        assert fastprom._fastprom.legacy_validation() is True
        with pytest.raises(ValueError, match='invalid metric name my.metric'):
            fastprom.Gauge('my.metric', 'h', registry=None)
    finally:
        fastprom.validation.disable_legacy_validation()
    assert fastprom._fastprom.legacy_validation() is False


def test_pure_python_metric_type():
    def f(lib):
        class Temperature(lib.metrics.MetricWrapperBase):
            _type = 'gauge'

            def _metric_init(self):
                self._v = 0.0

            def set(self, v):
                self._v = float(v)

            def _child_samples(self):
                return (lib.samples.Sample('', {}, self._v, None, None),)

        r = lib.CollectorRegistry()
        t = Temperature('room_temperature', 'Temperature.', ['room'], registry=r)
        t.labels('kitchen').set(21)
        t.labels(room='hall').set(18.5)
        t.remove('hall')
        return lib.generate_latest(r), samples(t.collect()), outcome(lambda: t.labels('a', 'b'))
    same(f)


def test_isinstance_relations():
    c = fastprom.Counter('c', 'h', registry=None)
    assert isinstance(c, fastprom.metrics.MetricWrapperBase)
    assert isinstance(c, fastprom._fastprom.CounterBase)
    # The hot methods are the native ones, found by plain attribute lookup.
    for cls, names in ((fastprom.Counter, ('inc', 'labels')), (fastprom.Gauge, ('inc', 'dec', 'set', 'labels')),
                       (fastprom.Histogram, ('observe', 'labels')), (fastprom.Summary, ('observe', 'labels'))):
        base = cls.__mro__[1]
        for name in names:
            assert getattr(cls, name) is base.__dict__[name], (cls, name)
            assert type(base.__dict__[name]).__name__ == 'method_descriptor'


STRESS = r'''
import sys, threading, time
import fastprom
from fastprom.openmetrics.exposition import generate_latest as om

r = fastprom.CollectorRegistry(target_info={'a': 'b'})
g = fastprom.Gauge('g', 'h', ['k'], registry=r)
c = fastprom.Counter('c', 'h', ['k'], registry=r)
i = fastprom.Info('i', 'h', ['k'], registry=r)
h = fastprom.Histogram('h', 'h', ['k'], registry=r)
rr = r.restricted_registry(['c_total', 'g', 'i_info', 'target_info'])
stop = threading.Event()

def setter():
    n = 0
    while not stop.is_set():
        n += 1
        g.labels(str(n % 5)).set_function(lambda n=n: n)
        i.labels(str(n % 3)).info({'v': str(n)})

def churn():
    n = 0
    while not stop.is_set():
        n += 1
        c.labels(str(n % 50)).inc(1, {'t': str(n)} if n % 3 == 0 else None)
        h.labels(str(n % 20)).observe(n % 7)
        if n % 7 == 0:
            c.remove(str((n // 7) % 50))
        if n % 1000 == 0:
            c.clear()
        if n % 13 == 0:
            c._metrics.pop((str(n % 50),), None)

def scraper():
    while not stop.is_set():
        fastprom.generate_latest(r)
        om(r)
        fastprom.generate_latest(rr)
        g.collect()
        i.collect()
        for child in list(g._metrics.values()):
            child._child_samples()

threads = [threading.Thread(target=f) for f in (setter, setter, churn, churn, scraper, scraper)]
for t in threads:
    t.start()
time.sleep(float(sys.argv[1]))
stop.set()
for t in threads:
    t.join()
series = {tuple(s.labels.values()) for s in c.collect()[0].samples if s.name == 'c_total'}
print(series == set(c._metrics))
'''


def test_no_deadlock_between_scrapes_updates_and_gauge_functions():
    # Run in a child process: a deadlock would hang this interpreter, not fail a test.
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', STRESS, '2'], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == 'True', out.stderr


def test_children_live_in_one_place_and_are_freed():
    # A child object and its core child refer to each other through native memory,
    # which Python's collector cannot see: every way a child leaves must let it go.
    import gc
    import weakref

    c = fastprom.Counter('c', 'C.', ['a'], registry=None)
    refs = {v: weakref.ref(c.labels(v)) for v in 'abcdef'}
    c.remove('a')
    del c._metrics[('b',)]
    c._metrics.pop(('c',))
    gc.collect()
    assert [v for v, r in refs.items() if r() is None] == ['a', 'b', 'c']
    c.remove_by_labels({'a': 'd'})
    gc.collect()
    assert refs['d']() is None and refs['e']() is not None
    c.clear()
    gc.collect()
    assert all(r() is None for r in refs.values())
    # The parent going away takes its children with it.
    g = fastprom.Gauge('g', 'G.', ['a'], registry=None)
    kids = [weakref.ref(g.labels(str(i))) for i in range(100)]
    parent = weakref.ref(g)
    del g
    gc.collect()
    assert parent() is None and all(k() is None for k in kids)
    # A child kept by the caller outlives its parent and keeps counting.
    h = fastprom.Histogram('h', 'H.', ['a'], registry=None)
    kept = h.labels('x')
    del h
    gc.collect()
    kept.observe(1.0)
    assert kept._sum.get() == 1.0
