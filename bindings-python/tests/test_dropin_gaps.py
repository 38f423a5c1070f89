"""Drop-in gaps found in review, each checked against prometheus_client 0.26.

1. ``metrics._use_created = False`` (set directly, as prometheus_client's own tests do)
   stops the ``_created`` series from the next collection on.
2. A custom collector's sample with ``labels=None`` is exposed without labels.
3. Bad constructor arguments raise prometheus_client's exceptions, and empty non-str
   name parts (``namespace=None``) are accepted as prometheus_client accepts them.
4. The ``fd`` parsers stream their input.
5. Lone surrogates in HELP text and label values parse, as with prometheus_client.
"""

import importlib
import re

import pytest

from conftest import LIBS


def _om(lib):
    return importlib.import_module(lib.__name__ + '.openmetrics.exposition')


def _without_created_values(text: bytes) -> bytes:
    """Exposition bytes with the values of ``_created`` lines blanked (they are clock
    readings, different in the two libraries)."""
    return re.sub(rb'(_created(\{[^}]*\})?) \S+', rb'\1 T', text)


def _scrape(lib, registry):
    families = [(m.name, m.type, [(s.name, s.labels) for s in m.samples]) for m in registry.collect()]
    return (_without_created_values(lib.generate_latest(registry)),
            _without_created_values(_om(lib).generate_latest(registry)),
            families)


def _build(lib):
    registry = lib.CollectorRegistry()
    lib.Counter('jobs', 'Jobs.', registry=registry).inc()
    lib.Counter('hits', 'Hits.', ['path'], registry=registry).labels('/').inc(2)
    lib.Histogram('lat', 'Latency.', buckets=[1], registry=registry).observe(0.5)
    lib.Summary('size', 'Sizes.', ['k'], registry=registry).labels('a').observe(3)
    lib.Gauge('temp', 'Temperature.', registry=registry).set(4)
    return registry


# --- 1. the module switch ---------------------------------------------------------------

def test_use_created_module_attribute_is_read_at_collection(monkeypatch):
    results = {}
    for name, lib in LIBS.items():
        # Metrics made while the switch is on ...
        registry = _build(lib)
        before = _scrape(lib, registry)
        # ... lose their _created series once it is off, as do metrics made afterwards ...
        monkeypatch.setattr(lib.metrics, '_use_created', False)
        lib.Counter('late', 'Made with the switch off.', registry=registry).inc()
        off = _scrape(lib, registry)
        # ... and get them back when it is on again.
        lib.metrics._use_created = True
        on = _scrape(lib, registry)
        lib.metrics._use_created = 0   # only its truth counts
        falsy = _scrape(lib, registry)
        monkeypatch.undo()
        results[name] = (before, off, on, falsy, _scrape(lib, registry))
    assert results['fastprom'] == results['prometheus_client']
    before, off, on, falsy, restored = results['fastprom']
    assert b'_created' in before[0] and b'_created' in before[1]
    assert b'_created' not in off[0] and b'_created' not in off[1]
    assert not any(n.endswith('_created') for _, _, ss in off[2] for n, _ in ss)
    assert b'late_created' in on[0] and b'_created' not in falsy[0]
    assert b'late_created' in restored[0]


def test_use_created_switch_and_functions_agree():
    import fastprom
    from fastprom import _fastprom
    try:
        fastprom.metrics._use_created = False
        assert not _fastprom.created_enabled()
        fastprom.enable_created_metrics()
        assert fastprom.metrics._use_created is True and _fastprom.created_enabled()
        fastprom.disable_created_metrics()
        assert fastprom.metrics._use_created is False and not _fastprom.created_enabled()
    finally:
        fastprom.enable_created_metrics()
    assert _fastprom.created_enabled()


# --- 2. labels=None in a custom collector -----------------------------------------------

class _NoneLabels:
    def __init__(self, lib):
        self.lib = lib

    def collect(self):
        lib = self.lib
        Sample = lib.samples.Sample
        g = lib.metrics_core.Metric('a', 'Gauge with None labels.', 'gauge')
        g.samples.append(Sample('a', None, 1.0))
        c = lib.metrics_core.Metric('b', 'Counter.', 'counter')
        c.samples.append(Sample('b_total', None, 2.0, 5, lib.samples.Exemplar({'t': 'x'}, 1.0)))
        c.samples.append(Sample('b_created', None, 1700000000.0))
        h = lib.metrics_core.Metric('h', 'Histogram, mixed.', 'histogram')
        h.add_sample('h_bucket', {'le': '+Inf'}, 3)
        h.add_sample('h_count', None, 3)
        h.add_sample('h_sum', None, 1.5)
        u = lib.metrics_core.Metric('my.dotted', 'UTF-8 name.', 'unknown')
        u.samples.append(Sample('my.dotted', None, 7))
        return [g, c, h, u]


def _none_label_outputs(lib):
    om = _om(lib)
    registry = lib.CollectorRegistry()
    registry.register(_NoneLabels(lib))

    class Overriding(lib.CollectorRegistry):
        def collect(self):
            yield from _NoneLabels(lib).collect()

    out = []
    for escaping in ('underscores', 'dots', 'values', 'allow-utf-8'):
        out.append(lib.generate_latest(registry, escaping=escaping))
        out.append(om.generate_latest(registry, escaping=escaping))
    out.append(om.generate_latest(registry, version='2.0.0'))
    restricted = registry.restricted_registry(['a', 'b_total'])
    out += [lib.generate_latest(restricted), om.generate_latest(restricted)]
    # A bare collector, and a registry whose collect() is its own.
    out += [lib.generate_latest(_NoneLabels(lib)), om.generate_latest(_NoneLabels(lib))]
    out += [lib.generate_latest(Overriding()), om.generate_latest(Overriding())]
    # The collector's own samples keep their None.
    out.append([[(s.name, s.labels) for s in m.samples] for m in registry.collect()])
    out.append(registry.get_sample_value('a'))
    return out


def test_sample_labels_none_is_exposed_without_labels():
    got = {name: _none_label_outputs(lib) for name, lib in LIBS.items()}
    assert got['fastprom'] == got['prometheus_client']
    assert b'\na 1.0\n' in got['fastprom'][0]
    assert ('a', None) in got['fastprom'][-2][0]


# --- 3. constructor arguments -----------------------------------------------------------

_CLASSES = ('Counter', 'Gauge', 'Summary', 'Histogram', 'Info', 'Enum')
_BAD = (None, 1, b'x', 1.5, ['a'])


def _arg_cases():
    for cls in _CLASSES:
        for bad in _BAD:
            yield cls, (bad, 'Help.'), {}
            yield cls, ('n', 'Help.', [bad]), {}
            for part in ('namespace', 'subsystem', 'unit'):
                yield cls, ('n', 'Help.'), {part: bad}
        yield cls, ('n', 'Help.', b'x'), {}
        yield cls, ('n', 'Help.'), {'namespace': b'', 'subsystem': 0, 'unit': ''}
        yield cls, (None, 'Help.'), {'namespace': 'app'}
        yield cls, ('', 'Help.'), {}


def _outcome(lib, cls, args, kwargs, legacy):
    registry = lib.CollectorRegistry()
    extra = {'states': ['on', 'off']} if cls == 'Enum' else {}
    if legacy:
        lib.validation.enable_legacy_validation()
    try:
        getattr(lib, cls)(*args, registry=registry, **extra, **kwargs)
    except Exception as e:
        return type(e).__name__, str(e)
    finally:
        lib.validation.disable_legacy_validation()
    return 'ok', _without_created_values(lib.generate_latest(registry))


@pytest.mark.parametrize('legacy', [False, True], ids=['utf8', 'legacy'])
@pytest.mark.parametrize('cls,args,kwargs', list(_arg_cases()))
def test_constructor_argument_errors(cls, args, kwargs, legacy):
    got = {name: _outcome(lib, cls, args, kwargs, legacy) for name, lib in LIBS.items()}
    assert got['fastprom'] == got['prometheus_client']


def test_name_none_raises_value_error():
    for lib in LIBS.values():
        with pytest.raises(ValueError, match='^Metric name should not be empty$') as info:
            lib.Gauge(None, 'h', registry=None)
        assert info.value.__context__ is None
        with pytest.raises(AttributeError, match="^'int' object has no attribute 'encode'$"):
            lib.Counter('c', 'h', [1], registry=None)


def test_collectors_added_and_removed_between_scrapes():
    def f(lib):
        registry = lib.CollectorRegistry()
        lib.Gauge('g', 'G.', registry=registry).set(1)
        out = [lib.generate_latest(registry)]
        collector = _NoneLabels(lib)
        registry.register(collector)
        out.append(lib.generate_latest(registry))
        registry.unregister(collector)
        out.append(lib.generate_latest(registry))
        return out
    got = {name: f(lib) for name, lib in LIBS.items()}
    assert got['fastprom'] == got['prometheus_client']
    assert got['fastprom'][0] == got['fastprom'][2] != got['fastprom'][1]


# --- text_fd_to_metric_families streams ---------------------------------------------------

def _lines_then_raise(lines):
    yield from lines
    raise RuntimeError('the source broke')


def _fd_parser(lib, fmt):
    return importlib.import_module(lib.__name__ + ('.openmetrics.parser' if fmt == 'openmetrics' else '.parser'))


FD_DOCUMENTS = {
    'text': ['# TYPE a gauge\n', 'a 1\n', '# TYPE b gauge', 'b 2\n'],
    'openmetrics': ['# TYPE a gauge\n', 'a 1\n', '# TYPE b gauge\n', 'b 2\n'],
}


@pytest.mark.parametrize('fmt', sorted(FD_DOCUMENTS))
def test_fd_parsers_yield_families_as_lines_arrive(fmt):
    # The source fails before its end: the families completed before that must come out
    # first, then the source's own exception, as prometheus_client's generators do.
    def run(lib):
        parser = _fd_parser(lib, fmt)
        seen = []
        try:
            for family in parser.text_fd_to_metric_families(_lines_then_raise(FD_DOCUMENTS[fmt])):
                seen.append((family.name, [tuple(s[:3]) for s in family.samples]))
        except Exception as e:
            seen.append((type(e).__name__, str(e)))
        return seen

    got = {name: run(lib) for name, lib in LIBS.items()}
    assert got['fastprom'] == got['prometheus_client']
    assert got['fastprom'][0][0] == 'a' and got['fastprom'][-1] == ('RuntimeError', 'the source broke')


@pytest.mark.parametrize('fmt', sorted(FD_DOCUMENTS))
def test_fd_parsers_read_no_further_than_needed(fmt):
    # After the first family is out, the source must not have been read to its end.
    read = []

    def source():
        for line in FD_DOCUMENTS[fmt] * 50:
            read.append(line)
            yield line

    parser = _fd_parser(LIBS['fastprom'], fmt)
    first = next(iter(parser.text_fd_to_metric_families(source())))
    assert first.name == 'a'
    assert len(read) < 10


# --- 5. lone surrogates in parsed text ---------------------------------------------------

# Texts prometheus_client reads although they hold lone surrogates (in HELP text, label
# values and exemplar label values), and texts where it refuses the surrogate in a name.
SURROGATE_DOCUMENTS = [
    '# HELP a h\ud800x\n# TYPE a gauge\na{x="v\udc00"} 1\n',
    '# TYPE a counter\n# HELP a \udfff\na_total{a="\ud800\\n"} 2\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1 # {t="\udbff"} 0.5\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0.5\n',
    '# TYPE a gauge\na 1\nb\ud800 2\n',                  # a bad name after a good family
    'a{x\ud800="1"} 1\n',
    '{"a\ud800"} 1\n',
    '# HELP "a\ud800" x\n',
    'x{y="\U0010f800"} 1\n',                              # a stand-in code point alone
    'x{y="\U0010f800\ud800"} 1\n',                       # both: refused, as before
]


def _parse_all(parse, text):
    seen = []
    try:
        for family in parse(text):
            seen.append((family.name, family.documentation, family.type,
                         [(s.name, s.labels, s.value, s.exemplar and s.exemplar.labels) for s in family.samples]))
    except Exception as e:
        seen.append((type(e).__name__, isinstance(e, ValueError)))
    return seen


@pytest.mark.parametrize('fmt', ['text', 'openmetrics'])
@pytest.mark.parametrize('doc', SURROGATE_DOCUMENTS)
def test_parsers_read_lone_surrogates(fmt, doc):
    text = doc + ('# EOF\n' if fmt == 'openmetrics' else '')
    got = {}
    for name, lib in LIBS.items():
        parser = _fd_parser(lib, fmt)
        got[name] = (_parse_all(parser.text_string_to_metric_families, text),
                     _parse_all(lambda t: parser.text_fd_to_metric_families(t.splitlines(True)), text))
    fp, pc = got['fastprom'], got['prometheus_client']
    if '\U0010f800\ud800' in doc:
        # The one text fastprom cannot tell apart (docs/compatibility.md): it refuses it
        # as it refused any surrogate before, where prometheus_client reads it.
        assert fp == ([('UnicodeEncodeError', True)], [('UnicodeEncodeError', True)])
        assert pc[0][0][3][0][1] == {'y': '\U0010f800\ud800'}
        return
    if 'x\ud800=' in doc or '"x\ud800"=' in doc or doc.startswith('{"a\ud800"}'):
        # A surrogate in a name (or next to a stand-in): both refuse it with a ValueError
        # (prometheus_client's type varies with the spot; docs/compatibility.md).
        for result in fp + pc:
            assert result[-1][1] is True, (fp, pc)
        assert fp[0][:-1] == pc[0][:-1]
    else:
        assert fp == pc
    # The families hold the very surrogates of the input.
    if doc.startswith('# HELP a h'):
        assert fp[0][0][1] == 'h\ud800x' and fp[0][0][3][0][1] == {'x': 'v\udc00'}


# --- 6. name checks and escaping through the core -------------------------------------

NAMES = ['', 'a', 'a\n', 'a\n\n', 'a-b', 'a:b', '__x', '__x\ny', ':a', '1a', 'é', 'a.b', 'x\ud800', '\n',
         None, 5, b'ab']


def _outcome(f, *args):
    try:
        return ('ok', f(*args))
    except Exception as e:
        return (type(e).__name__, str(e))


@pytest.mark.parametrize('legacy', [False, True])
def test_validation_functions_match_prometheus_client(legacy):
    results = {}
    for name, lib in LIBS.items():
        v = importlib.import_module(lib.__name__ + '.validation')
        om = _om(lib)
        (v.enable_legacy_validation if legacy else v.disable_legacy_validation)()
        try:
            rows = []
            for n in NAMES:
                rows.append((n,
                             _outcome(v._validate_metric_name, n), _outcome(v._validate_labelname, n),
                             _outcome(v._is_valid_legacy_metric_name, n), _outcome(v._is_valid_legacy_labelname, n)))
                for escaping in ('allow-utf-8', 'underscores', 'dots', 'values', 'other'):
                    rows.append((n, escaping, _outcome(om.escape_metric_name, n, escaping),
                                 _outcome(om.escape_label_name, n, escaping)))
            results[name] = rows
        finally:
            v.disable_legacy_validation()
    for fp_row, pc_row in zip(results['fastprom'], results['prometheus_client']):
        assert fp_row == pc_row
