"""Differential checks for the parts of metrics.py, metrics_core.py, samples.py, values.py
and decorator.py that are written in Python: each call goes to fastprom and to
prometheus_client 0.26.0, and the results (or exception types and messages) must agree."""

import io
import math
import sys
from unittest import mock
import warnings

import pytest

import fastprom
import fastprom.decorator
import fastprom.metrics
import fastprom.metrics_core
import fastprom.samples
import fastprom.values
import prometheus_client
import prometheus_client.decorator
import prometheus_client.metrics
import prometheus_client.metrics_core
import prometheus_client.samples
import prometheus_client.values

LIBS = (prometheus_client, fastprom)


def outcome(f):
    """('ok', result) or (exception class name, message)."""
    try:
        return ('ok', f())
    except Exception as e:  # noqa: BLE001 (any exception is a result to compare)
        return (type(e).__name__, str(e))


NOW = 1700000000.5


def same(f):
    """``f(lib)`` gives equal results (or equal exceptions) with both libraries, with
    ``time.time`` fixed so that ``_created`` samples agree."""
    results = []
    for lib in LIBS:
        with mock.patch('time.time', return_value=NOW):
            results.append(outcome(lambda: f(lib)))
    ref, got = results
    assert got == ref
    return got


def nan_safe(values):
    return ['NaN' if isinstance(v, float) and math.isnan(v) else v for v in values]


def family_rows(metrics):
    return [(m.name, m.documentation, m.type, m.unit,
             [(s.name, sorted(s.labels.items()), s.value, s.timestamp, s.exemplar) for s in m.samples])
            for m in metrics]


# --- names ---------------------------------------------------------------------------------

NAME_CASES = [
    (t, name, ns, sub, unit)
    for t in ('counter', 'gauge', 'info', 'stateset', 'histogram')
    for name in ('', 'x', 'jobs_total', '_total', 'size_bytes')
    for ns in ('', 'app')
    for sub in ('', 'db')
    for unit in ('', 'bytes', 'total')
]


@pytest.mark.parametrize('case', NAME_CASES, ids=[repr(c) for c in NAME_CASES])
def test_build_full_name(case):
    same(lambda lib: lib.metrics._build_full_name(*case))


# --- observable / parent predicates ----------------------------------------------------------

def test_observable_and_parent_predicates():
    def f(lib):
        unlabelled = lib.Counter('u', 'h', registry=None)
        parent = lib.Counter('p', 'h', ['a'], registry=None)
        child = parent.labels('x')
        return [(m._is_observable(), m._is_parent()) for m in (unlabelled, parent, child)]
    same(f)


# --- labels() --------------------------------------------------------------------------------

LABEL_CALLS = {
    'positional': lambda p: p.labels('x', 2),
    'keywords': lambda p: p.labels(b=2, a='x'),
    'keywords missing': lambda p: p.labels(a='x'),
    'keywords extra': lambda p: p.labels(a='x', b='y', c='z'),
    'both': lambda p: p.labels('x', b='y'),
    'too many': lambda p: p.labels('x', 'y', 'z'),
    'none given': lambda p: p.labels(),
    'chained': lambda p: p.labels('x', 'y').labels('x', 'y'),
    'chained keywords': lambda p: p.labels(a='1', b='2').labels(a='1', b='2'),
}


@pytest.mark.parametrize('kind', ['Counter', 'Gauge', 'Histogram', 'Info'])
@pytest.mark.parametrize('case', sorted(LABEL_CALLS))
def test_labels_calls(kind, case):
    def f(lib):
        parent = getattr(lib, kind)('m', 'h', ['a', 'b'], registry=None)
        child = LABEL_CALLS[case](parent)
        return child._labelvalues, sorted(parent._metrics)
    same(f)


# --- removal -------------------------------------------------------------------------------

def _filled(lib):
    c = lib.Counter('c', 'h', ['a', 'b'], registry=None)
    for a in ('1', '2', '3'):
        for b in ('x', 'y'):
            c.labels(a, b).inc()
    return c


REMOVALS = {
    'remove unknown': lambda c: c.remove('9', 'x'),
    'remove ints': lambda c: c.remove(1, 'y'),
    'remove too few': lambda c: c.remove('1'),
    'by labels empty': lambda c: c.remove_by_labels({}),
    'by labels one': lambda c: c.remove_by_labels({'b': 'x'}),
    'by labels two': lambda c: c.remove_by_labels({'a': 2, 'b': 'y'}),
    'by labels none match': lambda c: c.remove_by_labels({'a': 'zz'}),
    'by labels unknown': lambda c: c.remove_by_labels({'q': '1', 'a': '1'}),
    'by labels not dict': lambda c: c.remove_by_labels([('a', '1')]),
    'clear': lambda c: c.clear(),
}


@pytest.mark.parametrize('case', sorted(REMOVALS))
def test_removal(case):
    def f(lib):
        c = _filled(lib)
        result = outcome(lambda: REMOVALS[case](c))
        return result, sorted(c._metrics), family_rows(c.collect())[0][4]
    same(f)


def test_removal_on_unlabelled_metric():
    def f(lib):
        c = lib.Counter('c', 'h', registry=None)
        c.inc()
        return (outcome(c.clear), outcome(lambda: c.remove()), outcome(lambda: c.remove_by_labels({'a': '1'})),
                family_rows(c.collect()))
    same(f)


@pytest.mark.parametrize('variable', ['PROMETHEUS_MULTIPROC_DIR', 'prometheus_multiproc_dir'])
def test_removal_warns_in_multiprocess_environment(monkeypatch, tmp_path, variable):
    parents = {lib: _filled(lib) for lib in LIBS}
    monkeypatch.setenv(variable, str(tmp_path))
    messages = []
    for lib in LIBS:
        c = parents[lib]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            c.remove('1', 'x')
            c.remove_by_labels({'a': '2'})
            c.clear()
        messages.append([(w.category, str(w.message)) for w in caught])
    assert messages[0] == messages[1]
    assert len(messages[0]) == 3


# --- Python route for subclasses ------------------------------------------------------------

def test_subclass_overriding_child_samples():
    def f(lib):
        class Doubled(lib.Counter):
            def _child_samples(self):
                return tuple(s._replace(value=s.value * 2) for s in super()._child_samples()
                             if s.name == '_total')

        r = lib.CollectorRegistry()
        d = Doubled('d', 'h', ['a', 'b'], registry=r)
        d.labels('1', 'x').inc(3)
        d.labels('2', 'y').inc()
        return family_rows(d.collect()), lib.generate_latest(r)
    same(f)


def test_subclass_samples_with_own_labels():
    def f(lib):
        class Split(lib.metrics.MetricWrapperBase):
            _type = 'gauge'

            def _metric_init(self):
                self._v = 1.5

            def _child_samples(self):
                Sample = lib.samples.Sample
                return (Sample('', {'part': 'low'}, self._v), Sample('', {'part': 'high'}, self._v * 2))

        s = Split('split', 'h', ['host'], registry=None)
        s.labels('a')
        s.labels(host='b')
        return family_rows(s.collect()), [m.name for m in s.describe()], str(s), repr(s).split('.')[-1]
    same(f)


def test_pure_python_metric_without_hooks():
    def f(lib):
        class Bare(lib.metrics.MetricWrapperBase):
            _type = 'gauge'
        return outcome(lambda: Bare('b', 'h', registry=None)), outcome(lambda: Bare('b', 'h', ['x'], registry=None).labels('1'))
    same(f)


def test_python_metric_construction_errors():
    def f(lib):
        class Plain(lib.metrics.MetricWrapperBase):
            _type = 'counter'
            _reserved_labelnames = ['le']

            def _metric_init(self):
                pass

        return [outcome(lambda: Plain(*args, registry=None)._name) for args in (
            ('', 'h'), ('x_total', 'h'), ('c', 'h', ['le']), ('c', 'h', ['__r']),
            ('c', 'h', (), 'ns', 'sub', 'seconds'))]
    same(f)


# --- per-type construction ------------------------------------------------------------------

# NaN bounds are left out: the core refuses them ("Buckets not in sorted order"), where
# prometheus_client accepts those that its sort happens to leave in place.
BUCKETS = [
    [1, 2], [1, float('inf')], ['0.5', '+Inf'], [0.1], (5,), [float('-inf'), 0], [-1, -0.5],
    [], [float('inf')], [3, 1], ['x'], [1, 1], [float('-inf')],
]


@pytest.mark.parametrize('buckets', BUCKETS, ids=[repr(b) for b in BUCKETS])
def test_histogram_buckets(buckets):
    def f(lib):
        h = lib.Histogram('h', 'h', ['a'], buckets=buckets, registry=None)
        return nan_safe(h._upper_bounds), h._kwargs['buckets'] is buckets, nan_safe(h.labels('x')._upper_bounds)
    same(f)


def test_gauge_modes_and_kwargs():
    def f(lib):
        out = [sorted(lib.Gauge._MULTIPROC_MODES), sorted(lib.Gauge._MOST_RECENT_MODES)]
        for mode in sorted(lib.Gauge._MULTIPROC_MODES):
            g = lib.Gauge('g', 'h', ['a'], multiprocess_mode=mode, registry=None)
            child = g.labels('x')
            out.append((g._kwargs, g._is_most_recent, child._multiprocess_mode, child._is_most_recent))
        return out
    same(f)


def test_enum_and_info_attributes():
    def f(lib):
        e = lib.Enum('e', 'h', ['a'], states=('on', 'off'), registry=None)
        child = e.labels('x')
        i = lib.Info('i', 'h', ['a', 'b'], registry=None).labels('1', '2')
        return e._kwargs, child._states, child._kwargs, sorted(i._labelname_set), hasattr(child, '_lock')
    same(f)


def test_child_names_keep_namespace_and_unit():
    def f(lib):
        h = lib.Histogram('lat', 'h', ['a'], namespace='app', subsystem='rpc', unit='seconds',
                          buckets=[1, 2], registry=None)
        child = h.labels('x')
        return (child._name, child._original_name, child._namespace, child._subsystem, child._unit,
                family_rows(h.describe()))
    same(f)


def test_created_switches():
    def f(lib):
        c = lib.Counter('c', 'h', registry=None)
        lib.metrics.disable_created_metrics()
        try:
            off = [s.name for s in c.collect()[0].samples], lib.metrics._use_created
        finally:
            lib.metrics.enable_created_metrics()
        return off, [s.name for s in c.collect()[0].samples], lib.metrics._use_created
    same(f)


# --- metrics_core ---------------------------------------------------------------------------

METRIC_ARGS = [
    ('m', 'd', 'gauge'), ('m', 'd', 'untyped'), ('m', 'd', 'bogus'), ('m_bytes', 'd', 'gauge', 'bytes'),
    ('m', 'd', 'gauge', 'bytes'), ('m', 'd', 'counter', None), ('', 'd', 'gauge'), ('', 'd', 'gauge', 'u'),
    ('m', 'd', 'stateset', 'x'),
]


@pytest.mark.parametrize('args', METRIC_ARGS, ids=[repr(a) for a in METRIC_ARGS])
def test_metric_constructor(args):
    same(lambda lib: vars(lib.metrics_core.Metric(*args)))


# --- samples --------------------------------------------------------------------------------

@pytest.mark.parametrize('sec,nsec', [(1, 5), (-3, 25), (0, 0), (1.7, 3.9), (-0.5, 10), (2, float('nan')),
                                      (2, -1), (2, 1e9), (float('nan'), 0)])
def test_timestamp_construction(sec, nsec):
    same(lambda lib: (lambda t: (str(t), repr(t), float(t), t.sec, t.nsec))(lib.samples.Timestamp(sec, nsec)))


def test_timestamp_comparisons():
    def f(lib):
        T = lib.samples.Timestamp
        pairs = [(T(1, 5), T(1, 6)), (T(2, 0), T(1, 999)), (T(3, 3), T(3, 3)), (T(-1, 5), T(-1, 4))]
        return [(a < b, a > b, a == b, a != b) for a, b in pairs] + [T(1, 1) == (1, 1), T(1, 1) != 'x']
    same(f)


# --- values ---------------------------------------------------------------------------------

def test_mutex_value():
    def f(lib):
        v = lib.values.MutexValue('gauge', 'g', 'g', (), (), 'h')
        v.inc(2)
        v.inc(0.5)
        first = v.get()
        v.set(-4, timestamp=12.0)
        v.set_exemplar('ex')
        return first, v.get(), v.get_exemplar(), lib.values.MutexValue._multiprocess
    same(f)


def test_close_all_multiprocess_files_runs_and_empties():
    for lib in LIBS:
        ran = []
        lib.values._multi_process_cleanups.append(lambda: ran.append(1))
        lib.values.close_all_multiprocess_files()
        assert ran == [1] and lib.values._multi_process_cleanups == []


def test_multiprocess_value_cells_share_one_file(tmp_path, monkeypatch):
    # A cell class used directly (not through a metric) writes to the same files, in the
    # same bytes, as prometheus_client's.
    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', str(tmp_path))
    for lib, ident in ((fastprom, 1), (prometheus_client, 2)):
        cls = lib.values.MultiProcessValue(lambda ident=ident: ident)
        assert cls.__name__ == 'MmapedValue' and cls._multiprocess is True
        cell = cls('counter', 'c', 'c_total', ('a',), ('x',), 'h')
        cell.inc(2)
        cell.inc(0.5)
        gauge = cls('gauge', 'g', 'g', (), (), 'h', multiprocess_mode='max')
        gauge.set(7, timestamp=None)
        assert (cell.get(), gauge.get(), cell.get_exemplar()) == (2.5, 7, None)
        cls.close_all_files()
    assert (tmp_path / 'counter_1.db').read_bytes() == (tmp_path / 'counter_2.db').read_bytes()
    assert (tmp_path / 'gauge_max_1.db').read_bytes() == (tmp_path / 'gauge_max_2.db').read_bytes()


# --- decorator ------------------------------------------------------------------------------

def test_function_maker_positional_names_in_templates():
    def f(lib):
        def target(first, second=2, *rest, flag=False, **extra):
            return first, second, rest, flag, extra

        made = lib.decorator.FunctionMaker.create(
            target, 'return (%(arg0)r, %(arg1)r, _f_(%(shortsignature)s))', {'_f_': target})
        return made(1, 3, 4, flag=True, z=0), made.__name__, made.__defaults__, made.__kwdefaults__
    same(f)


def test_function_maker_overrides_and_missing_name():
    def f(lib):
        FM = lib.decorator.FunctionMaker

        def g(a):
            """Doc of g."""

        fm = FM(g, name='renamed', doc='New doc.', module='elsewhere', defaults=(1,), funcdict={'k': 1})
        plain = FM(g, name='', doc='', module='', defaults=(), funcdict={})
        return ((fm.name, fm.doc, fm.module, fm.defaults, fm.dict, fm.signature),
                (plain.name, plain.doc, plain.module, plain.defaults, plain.dict),
                outcome(lambda: FM(signature='a, b')))
    same(f)


def test_function_maker_reports_bad_generated_code(monkeypatch):
    reports = []
    for lib in LIBS:
        err = io.StringIO()
        monkeypatch.setattr(sys, 'stderr', err)
        result = outcome(lambda: lib.decorator.FunctionMaker.create('broken(a)', 'return (', {}))
        monkeypatch.setattr(sys, 'stderr', sys.__stderr__)
        reports.append((result[0], err.getvalue()))
    assert reports[0] == reports[1]
    assert reports[0][1].startswith('Error in generated code:\ndef broken(a):\n')
