"""samples, utils, validation, metrics_core, decorator and context_managers, compared
with prometheus_client's modules call for call."""

import inspect
import math
import random
import struct
import time

import pytest

import fastprom
from fastprom import context_managers, decorator, metrics_core, samples, utils, validation
from prometheus_client import decorator as pc_decorator
from prometheus_client import metrics_core as pc_metrics_core
from prometheus_client import samples as pc_samples
from prometheus_client import utils as pc_utils
from prometheus_client import validation as pc_validation

from conftest import run_python


def outcome(fn, *args, **kwargs):
    """(repr of the result) or (exception type name, message)."""
    try:
        return 'ok', repr(fn(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - the exception is the observable outcome
        return 'raised', type(e).__name__, str(e)


# --- utils -------------------------------------------------------------------------------

def test_float_to_go_string_matches():
    rnd = random.Random(4)
    values = [0.0, -0.0, 1.0, -1.5, 1e7, 1234567.0, 12345678.9, 1e22, 1e-7, 5e-324, 1e6, 999999.9,
              9999999.0, 10000000.5, 2 ** 63, float('inf'), float('-inf'), float('nan'), 3, True, '2.5']
    values += [struct.unpack('d', struct.pack('Q', rnd.getrandbits(64)))[0] for _ in range(20000)]
    values += [rnd.random() * 10 ** rnd.randint(-5, 25) for _ in range(20000)]
    for v in values:
        assert utils.floatToGoString(v) == pc_utils.floatToGoString(v), v


@pytest.mark.parametrize('version', ['1.0.0', '2', '1.0', '0.0.4', '1.0.0-rc1', 'a.b', '', '1..2', ' 1. 2'])
def test_parse_version_matches(version):
    assert utils.parse_version(version) == pc_utils.parse_version(version)


def test_constants():
    assert utils.INF == pc_utils.INF and utils.MINUS_INF == pc_utils.MINUS_INF
    assert math.isnan(utils.NaN)


# --- samples -----------------------------------------------------------------------------

@pytest.mark.parametrize('sec,nsec', [(1, 0), (1, 5), (-1, 5), (0, 999999999), (1.7, 3.9), (1, 1e9), (1, -1)])
def test_timestamp_matches(sec, nsec):
    f, p = outcome(samples.Timestamp, sec, nsec), outcome(pc_samples.Timestamp, sec, nsec)
    assert f == p
    if f[0] == 'ok':
        a, b = samples.Timestamp(sec, nsec), pc_samples.Timestamp(sec, nsec)
        assert (str(a), float(a)) == (str(b), float(b))


def test_timestamp_ordering_and_hash():
    T = samples.Timestamp
    assert T(1, 2) == T(1, 2) and T(1, 2) != T(1, 3) and T(1, 2) != 1.000000002
    assert T(1, 3) > T(1, 2) > T(0, 999) and T(0, 5) < T(1, 0)
    with pytest.raises(TypeError):
        hash(T(1, 2))  # unhashable, like prometheus_client's
    assert outcome(lambda: T(1, 2) > 1.5) == outcome(lambda: pc_samples.Timestamp(1, 2) > 1.5)


def test_named_tuples_match():
    for name in ('Sample', 'Exemplar', 'NativeHistogram', 'BucketSpan'):
        f, p = getattr(samples, name), getattr(pc_samples, name)
        assert f._fields == p._fields
        assert f._field_defaults == p._field_defaults
    s = samples.Sample('a', {'b': 'c'}, 1.0)
    assert repr(s) == repr(pc_samples.Sample('a', {'b': 'c'}, 1.0))
    assert s == pc_samples.Sample('a', {'b': 'c'}, 1.0)  # tuples compare by value


# --- validation --------------------------------------------------------------------------

NAMES = ['a', 'a_b:c', '_x', ':x', '1a', 'a.b', 'a-b', '', '__name__', '__x', 'le', 'quantile',
         'é', 'a b', '"quoted"', '"a.b"', '"', 'a\ud800', 'a\n']


@pytest.fixture(params=[False, True], ids=['utf8', 'legacy'])
def legacy(request):
    for v in (validation, pc_validation):
        (v.enable_legacy_validation if request.param else v.disable_legacy_validation)()
    yield request.param
    for v in (validation, pc_validation):
        v.disable_legacy_validation()


@pytest.mark.parametrize('fn', ['_validate_metric_name', '_is_valid_legacy_metric_name',
                                '_validate_metric_label_name_token', '_validate_labelname',
                                '_is_valid_legacy_labelname'])
def test_validation_functions_match(legacy, fn):
    assert validation.get_legacy_validation() is legacy
    for name in NAMES:
        assert outcome(getattr(validation, fn), name) == outcome(getattr(pc_validation, fn), name), name


def test_validate_labelnames_and_exemplar_match(legacy):
    class Cls:
        _reserved_labelnames = ('le',)

    for names in (['a', 'b'], ['le'], ['a.b'], ['__x'], [], ('x', 'y')):
        assert (outcome(validation._validate_labelnames, Cls, names)
                == outcome(pc_validation._validate_labelnames, Cls, names))
    for ex in ({'a': 'b'}, {'a.b': 'c'}, {'a': 'x' * 200}, {'__r': 'v'}, {}):
        assert outcome(validation._validate_exemplar, ex) == outcome(pc_validation._validate_exemplar, ex)


def test_legacy_switch_reaches_the_native_core():
    out = run_python('''
        import fastprom
        from fastprom import validation
        assert validation.get_legacy_validation() is False
        g = fastprom.Gauge('dotted.name', 'UTF-8 names are fine', registry=None)
        validation.enable_legacy_validation()
        try:
            fastprom.Gauge('other.dotted', 'now refused', registry=None)
        except ValueError as e:
            print('refused:', e)
        validation.disable_legacy_validation()
        fastprom.Gauge('third.dotted', 'fine again', registry=None)
    ''')
    assert out.returncode == 0, out.stderr
    assert 'refused:' in out.stdout


def test_legacy_validation_from_environment():
    out = run_python('''
        from fastprom import validation
        print(validation.get_legacy_validation())
    ''', env={'PROMETHEUS_LEGACY_NAME_VALIDATION': 'True'})
    assert out.stdout.strip() == 'True', out.stderr


# --- metrics_core ------------------------------------------------------------------------

def _family_cases(mc, s):
    Ex = s.Exemplar
    return [
        lambda: mc.Metric('a', 'doc', 'gauge'),
        lambda: mc.Metric('a', 'doc', 'untyped'),
        lambda: mc.Metric('a', 'doc', 'bogus'),
        lambda: mc.Metric('a', 'doc', 'counter', unit='seconds'),
        lambda: mc.Metric('a_seconds', 'doc', 'counter', unit='seconds'),
        lambda: mc.Metric('', 'doc', 'gauge'),
        lambda: mc.UnknownMetricFamily('u', 'd', value=1),
        lambda: mc.UnknownMetricFamily('u', 'd', value=1, labels=['a']),
        lambda: mc.UntypedMetricFamily('u', 'd', labels=['a']),
        lambda: mc.CounterMetricFamily('c_total', 'd', value=2, created=3.5, exemplar=Ex({'a': 'b'}, 1)),
        lambda: mc.CounterMetricFamily('c', 'd', labels=['x'], unit='bytes'),
        lambda: mc.CounterMetricFamily('c', 'd', value=1, labels=['x']),
        lambda: mc.GaugeMetricFamily('g', 'd', value=1.5, unit='celsius'),
        lambda: mc.SummaryMetricFamily('s', 'd', count_value=1, sum_value=2),
        lambda: mc.SummaryMetricFamily('s', 'd', count_value=1),
        lambda: mc.SummaryMetricFamily('s', 'd', count_value=1, sum_value=2, labels=['a']),
        lambda: mc.HistogramMetricFamily('h', 'd', buckets=[('1', 1), ('+Inf', 2, Ex({'t': '1'}, 0.5))], sum_value=3),
        lambda: mc.HistogramMetricFamily('h', 'd', buckets=[('-1', 1), ('+Inf', 2)], sum_value=3),
        lambda: mc.HistogramMetricFamily('h', 'd', buckets=[('1', 1), ('+Inf', 2)]),
        lambda: mc.HistogramMetricFamily('h', 'd', sum_value=3),
        lambda: mc.HistogramMetricFamily('h', 'd', buckets=[('+Inf', 2)], labels=['a']),
        lambda: mc.GaugeHistogramMetricFamily('gh', 'd', buckets=[('1', 1), ('+Inf', 2)], gsum_value=5),
        lambda: mc.GaugeHistogramMetricFamily('gh', 'd', buckets=[('+Inf', 2)]),
        lambda: mc.GaugeHistogramMetricFamily('gh', 'd', buckets=[('+Inf', 2)], labels=['a']),
        lambda: mc.InfoMetricFamily('i', 'd', value={'a': 'b'}),
        lambda: mc.InfoMetricFamily('i', 'd', value={'a': 'b'}, labels=['x']),
        lambda: mc.StateSetMetricFamily('st', 'd', value={'z': True, 'a': False}),
        lambda: mc.StateSetMetricFamily('st', 'd', value={'a': True}, labels=['x']),
    ]


def _adders(mc, s):
    def labelled(cls, *args, **kw):
        def build():
            m = cls('f', 'd', labels=['x', 'y'])
            m.add_metric(['1', '2'], *args, **kw)
            m.add_metric(['3'], *args, **kw)  # fewer values than names: zip truncates
            return m
        return build

    return [
        labelled(mc.UnknownMetricFamily, 1, timestamp=5),
        labelled(mc.CounterMetricFamily, 1, created=2, timestamp=s.Timestamp(1, 2)),
        labelled(mc.GaugeMetricFamily, 1.5, 7),
        labelled(mc.SummaryMetricFamily, 1, 2, timestamp=3),
        labelled(mc.HistogramMetricFamily, [('1', 1), ('+Inf', 2)], 3, timestamp=4),
        labelled(mc.HistogramMetricFamily, [('1', 1), ('+Inf', 2)], None),
        labelled(mc.GaugeHistogramMetricFamily, [('1', 1), ('+Inf', 2)], None),
        labelled(mc.InfoMetricFamily, {'k': 'v', 'x': 'override'}),
        labelled(mc.StateSetMetricFamily, {'b': 1, 'a': 0}),
    ]


def test_metric_families_match():
    fc = _family_cases(metrics_core, samples) + _adders(metrics_core, samples)
    pcc = _family_cases(pc_metrics_core, pc_samples) + _adders(pc_metrics_core, pc_samples)
    for i, (f, p) in enumerate(zip(fc, pcc)):
        assert outcome(f) == outcome(p), i


def test_metric_equality_and_restriction():
    m = metrics_core.Metric('a', 'd', 'gauge')
    m.add_sample('a', {'x': '1'}, 1)
    m.add_sample('a_other', {}, 2)
    n = metrics_core.Metric('a', 'd', 'gauge')
    n.add_sample('a', {'x': '1'}, 1)
    n.add_sample('a_other', {}, 2)
    assert m == n and m != 'a'
    r = m._restricted_metric({'a_other'})
    assert [s.name for s in r.samples] == ['a_other'] and r.name == 'a'
    assert m._restricted_metric({'zzz'}) is None
    assert metrics_core.METRIC_TYPES == pc_metrics_core.METRIC_TYPES


# --- decorator ---------------------------------------------------------------------------

def f_plain(a, b):
    """Doc."""
    return a, b


def f_defaults(a, b=2, *args, c, d=4, **kw) -> tuple:
    return a, b, args, c, d, kw


def f_kwonly(a: int, *, k: str = 'x'):
    return a, k


def f_none():
    return 'none'


def f_posonly(a, b=1, /, c=2):
    return a, b, c


FUNCS = [f_plain, f_defaults, f_kwonly, f_none, f_posonly, lambda x, y=3: (x, y)]


@pytest.mark.parametrize('func', FUNCS, ids=lambda f: f.__name__)
def test_decorate_preserves_signature_like_prometheus_client(func):
    calls = []

    def caller(fn, *args, **kwargs):
        calls.append((args, kwargs))
        return fn(*args, **kwargs)

    ours, theirs = decorator.decorate(func, caller), pc_decorator.decorate(func, caller)
    assert inspect.getfullargspec(ours) == inspect.getfullargspec(theirs)
    assert inspect.getfullargspec(ours)[:4] == inspect.getfullargspec(func)[:4]
    assert inspect.signature(ours) == inspect.signature(theirs)
    for attr in ('__name__', '__qualname__', '__doc__', '__module__', '__defaults__',
                 '__kwdefaults__', '__annotations__'):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.__wrapped__ is func
    assert decorator.getargspec(ours) == pc_decorator.getargspec(theirs)


def test_decorated_functions_behave_the_same():
    def caller(fn, *args, **kwargs):
        return ('wrapped', fn(*args, **kwargs))

    for func, args, kwargs in [(f_plain, (1, 2), {}), (f_defaults, (1,), {'c': 3, 'z': 9}),
                               (f_defaults, (1, 2, 5, 6), {'c': 3}), (f_kwonly, (1,), {'k': 'y'}),
                               (f_posonly, (1,), {'c': 5}), (f_plain, (1,), {}), (f_kwonly, (1, 2), {}),
                               (f_defaults, (1,), {})]:
        ours, theirs = decorator.decorate(func, caller), pc_decorator.decorate(func, caller)
        assert outcome(ours, *args, **kwargs) == outcome(theirs, *args, **kwargs)


def test_decorator_factory_and_contextmanager():
    @decorator.decorator
    def doubling(fn, *args, **kwargs):
        return 2 * fn(*args, **kwargs)

    @doubling
    def three(x=1):
        return 3 * x

    assert three() == 6 and three(2) == 12
    assert inspect.getfullargspec(three).args == ['x']

    events = []

    @decorator.contextmanager
    def tracked(tag):
        events.append(('enter', tag))
        yield
        events.append(('exit', tag))

    @tracked('t')
    def work(a, b=2):
        events.append(('work', a, b))

    work(1)
    assert events == [('enter', 't'), ('work', 1, 2), ('exit', 't')]
    assert inspect.getfullargspec(work).args == ['a', 'b']
    with tracked('w'):
        pass
    assert events[-1] == ('exit', 'w')


def test_decorating_a_non_function_fails_like_prometheus_client():
    class C:
        def __call__(self, x):
            return x

    assert outcome(decorator.decorate, C(), lambda f, *a: f(*a)) == \
        outcome(pc_decorator.decorate, C(), lambda f, *a: f(*a))


# --- context managers --------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.observed = []
        self.value = 0
        self.children = {}

    def observe(self, v):
        self.observed.append(v)

    def inc(self, amount=1):
        self.value += amount

    def dec(self, amount=1):
        self.value -= amount

    def labels(self, *args, **kw):
        return self.children.setdefault((args, tuple(sorted(kw.items()))), Recorder())


def test_timer_context_manager_and_duration():
    m = Recorder()
    with context_managers.Timer(m, 'observe') as t:
        time.sleep(0.01)
    assert len(m.observed) == 1 and m.observed[0] >= 0.01 and t.duration == m.observed[0]


def test_timer_labels_inside_block():
    m = Recorder()
    with context_managers.Timer(m, 'observe') as t:
        t.labels('GET', code='200')
    assert m.observed == [] and len(m.children[(('GET',), (('code', '200'),))].observed) == 1


def test_timer_decorator_is_reentrant_and_keeps_signature():
    m = Recorder()
    timer = context_managers.Timer(m, 'observe')

    @timer
    def recurse(n, step=1):
        return 0 if n <= 0 else 1 + recurse(n - step, step=step)

    assert recurse(3) == 3
    assert len(m.observed) == 4
    assert inspect.getfullargspec(recurse).args == ['n', 'step']
    assert timer.duration is None  # each call used its own Timer


def test_exception_counter():
    m = Recorder()
    counter = context_managers.ExceptionCounter(m, (KeyError, ValueError))

    @counter
    def fail(exc):
        if exc:
            raise exc('x')

    fail(None)
    for exc in (KeyError, ValueError, TypeError):
        with pytest.raises(exc):
            fail(exc)
    assert m.value == 2
    with pytest.raises(ValueError):
        with counter:
            raise ValueError
    assert m.value == 3
    assert inspect.getfullargspec(fail).args == ['exc']


def test_inprogress_tracker():
    m = Recorder()
    tracker = context_managers.InprogressTracker(m)
    seen = []

    @tracker
    def inside():
        seen.append(m.value)

    inside()
    with tracker:
        seen.append(m.value)
    assert seen == [1, 1] and m.value == 0


def test_native_metrics_use_these_context_managers():
    registry = fastprom.CollectorRegistry()
    h = fastprom.Histogram('h_seconds', 'h', registry=registry)
    with h.time() as t:
        pass
    assert type(t).__name__ == 'Timer' and t.duration is not None
    g = fastprom.Gauge('g', 'g', registry=registry)

    @g.track_inprogress()
    def busy(x):
        return g._value.get() if hasattr(g, '_value') else x

    busy(1)
    c = fastprom.Counter('c', 'c', registry=registry)

    @c.count_exceptions(ZeroDivisionError)
    def div(a, b):
        return a / b

    with pytest.raises(ZeroDivisionError):
        div(1, 0)
    assert inspect.getfullargspec(div).args == ['a', 'b']
    assert registry.get_sample_value('c_total') == 1.0
    assert registry.get_sample_value('h_seconds_count') == 1.0
