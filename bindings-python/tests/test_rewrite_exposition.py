"""Differential checks for the parts of the registry, exposition, parser and validation
modules written without the native core: the same inputs go to fastprom and to
prometheus_client, and the results (or the exceptions' types and messages) must agree.
They guard the places where the Python code is ours but must behave as prometheus_client
does, edge cases included."""

import random
from urllib.request import Request

import pytest

import fastprom
import fastprom.exposition as fp_exposition
import fastprom.openmetrics.parser as fp_om_parser
import fastprom.parser as fp_parser
import fastprom.registry as fp_registry
import fastprom.validation as fp_validation
import prometheus_client
import prometheus_client.exposition as pc_exposition
import prometheus_client.openmetrics.parser as pc_om_parser
import prometheus_client.parser as pc_parser
import prometheus_client.validation as pc_validation

from conftest import LIBS


def outcome(fn, *args, **kwargs):
    try:
        return 'ok', fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


# --- parse_labels and its helpers --------------------------------------------------------

LABEL_SEEDS = ['a="1",b="2"', 'a="x\\"y"', '"a.b"="1"', '__name__="x"', '"name"', ', a="1"',
               'a="1",,b="2"', 'a="1", ="x"', 'a="1",', 'a=1', 'a="1" b', 'a="\\\\"', '__x="1"',
               'a="1",a="2"', ' ', '', 'a="', '"a', 'a = "1" , b = "2" ', 'a="\\n",b="é"']
# No bare '}': prometheus_client's parse_labels (given the text between the braces) loops
# forever on one outside quotes when not in OpenMetrics mode.
LABEL_PIECES = ['a', '_', '"', '\\', ',', '=', ' ', '\t', 'é', ':', '1', '__name__', '.', '\n']


def _mutations(count, seed):
    rnd = random.Random(seed)
    yield from LABEL_SEEDS
    for _ in range(count):
        text = list(rnd.choice(LABEL_SEEDS))
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randint(0, len(text))
            if rnd.random() < 0.6 or not text:
                text.insert(pos, rnd.choice(LABEL_PIECES))
            else:
                del text[min(pos, len(text) - 1)]
        yield ''.join(text)


@pytest.fixture(params=[False, True], ids=['utf8', 'legacy'])
def legacy(request):
    for lib in LIBS.values():
        (lib.validation.enable_legacy_validation if request.param else lib.validation.disable_legacy_validation)()
    yield request.param
    for lib in LIBS.values():
        lib.validation.disable_legacy_validation()


def test_parse_labels_mutations_match(legacy):
    for text in _mutations(3000, 7):
        for om in (False, True):
            assert outcome(fp_parser.parse_labels, text, om) == outcome(pc_parser.parse_labels, text, om), (text, om)


def test_parse_label_helpers_match():
    for text in _mutations(1500, 11):
        assert outcome(fp_parser._unquote_unescape, text) == outcome(pc_parser._unquote_unescape, text), text
        assert fp_parser._replace_escaping(text) == pc_parser._replace_escaping(text)
        for pos in range(len(text) + 1):
            assert fp_parser._is_character_escaped(text, pos) == pc_parser._is_character_escaped(text, pos)
        for chars in ('=,}', ',}', None, '{'):
            for start in (0, 2):
                assert (fp_parser._next_unquoted_char(text, chars, start)
                        == pc_parser._next_unquoted_char(text, chars, start)), (text, chars, start)
        if text:
            for om in (False, True):
                assert outcome(fp_parser._next_term, text, om) == outcome(pc_parser._next_term, text, om), text


def test_parser_constants_match():
    assert fp_parser.ESCAPE_SEQUENCES == pc_parser.ESCAPE_SEQUENCES
    assert fp_om_parser.ESCAPE_SEQUENCES == pc_om_parser.ESCAPE_SEQUENCES
    assert fp_om_parser.ESCAPING_RE.pattern == pc_om_parser.ESCAPING_RE.pattern
    assert fp_parser.ESCAPING_RE.pattern == pc_parser.ESCAPING_RE.pattern
    assert fp_parser.HELP_ESCAPING_RE.pattern == pc_parser.HELP_ESCAPING_RE.pattern
    m = fp_parser.ESCAPING_RE.search('x\\ny')
    assert fp_parser.replace_escape_sequence(m) == pc_parser.replace_escape_sequence(m) == '\n'


# --- validation --------------------------------------------------------------------------

NAMES = ['', 'a', 'a:b', ':a', '1a', 'a1', '_', '__x', 'a.b', 'é', 'a\n', '"a"', '"a.b"', '"', 'a b',
         '\ud800', '"\ud800"', 'le', 'x' * 200]


@pytest.mark.parametrize('fn', ['_validate_metric_name', '_is_valid_legacy_metric_name',
                                '_validate_metric_label_name_token', '_validate_labelname',
                                '_is_valid_legacy_labelname'])
def test_validation_edge_cases_match(legacy, fn):
    for name in NAMES:
        assert outcome(getattr(fp_validation, fn), name) == outcome(getattr(pc_validation, fn), name), name


def test_exemplar_limit_matches(legacy):
    for labels in ({'a' * 64: 'b' * 64}, {'a' * 64: 'b' * 65}, {'__a': 'b'}, {'a': 1}, {}):
        assert outcome(fp_validation._validate_exemplar, labels) == outcome(pc_validation._validate_exemplar, labels)


def test_legacy_switch_environment_words(monkeypatch):
    for word, expected in (('TRUE', True), ('t', True), ('1', True), ('yes', False), ('', False)):
        monkeypatch.setenv('PROMETHEUS_LEGACY_NAME_VALIDATION', word)
        assert fp_validation._init_legacy_validation() is pc_validation._init_legacy_validation() is expected
    monkeypatch.delenv('PROMETHEUS_LEGACY_NAME_VALIDATION')
    assert fp_validation._init_legacy_validation() is False


# --- registry ----------------------------------------------------------------------------

class Described:
    """A collector announcing families through describe() without collecting them."""

    def __init__(self, lib, *families):
        self.lib, self.families = lib, families

    def describe(self):
        return [self.lib.metrics_core.Metric(name, 'h', typ) for name, typ in self.families]

    def collect(self):
        return []


FAMILY_TYPES = ['counter', 'gauge', 'summary', 'histogram', 'gaugehistogram', 'info', 'stateset', 'unknown']


def test_claimed_names_per_type_match():
    def run(lib):
        r = lib.CollectorRegistry()
        for i, typ in enumerate(FAMILY_TYPES):
            r.register(Described(lib, (f'f{i}', typ)))
        clashes = [outcome(r.register, Described(lib, (name, 'gauge')))
                   for name in sorted(r._names_to_collectors)]
        return list(r._collector_to_names.values()), [c[0] for c in clashes]
    assert run(fastprom) == run(prometheus_client)


def test_duplicate_message_matches():
    def run(lib):
        r = lib.CollectorRegistry()
        r.register(Described(lib, ('h', 'histogram')))
        err = outcome(r.register, Described(lib, ('h_sum', 'gauge'), ('other', 'gauge')))
        return err, sorted(r._names_to_collectors)
    assert run(fastprom) == run(prometheus_client)


def test_target_info_transitions_match():
    def run(lib):
        r = lib.CollectorRegistry(target_info={'a': '1'})
        steps = [sorted(r._names_to_collectors)]
        r.set_target_info({})
        steps.append(sorted(r._names_to_collectors))
        r.register(Described(lib, ('target', 'info')))
        steps.append(outcome(r.set_target_info, {'b': '2'}))
        steps.append(outcome(r.set_target_info, None))
        steps.append(sorted(r._names_to_collectors))
        return steps
    assert run(fastprom) == run(prometheus_client)


def test_unregister_unknown_and_without_names_match():
    def run(lib):
        r = lib.CollectorRegistry(support_collectors_without_names=True)
        c = Described(lib)
        r.register(c)
        first = r._collectors_without_names == [c]
        r.unregister(c)
        return first, r._collectors_without_names, outcome(r.unregister, c)[0]
    assert run(fastprom) == run(prometheus_client)


def test_describe_none_falls_back_like_prometheus_client():
    class NoneDescribe:
        describe = None

        def __init__(self, lib):
            self.lib = lib

        def collect(self):
            return [self.lib.metrics_core.GaugeMetricFamily('g', 'h', value=1)]

    def run(lib):
        auto, plain = lib.CollectorRegistry(auto_describe=True), lib.CollectorRegistry()
        auto.register(NoneDescribe(lib))
        plain.register(NoneDescribe(lib))
        return sorted(auto._names_to_collectors), sorted(plain._names_to_collectors)
    assert run(fastprom) == run(prometheus_client)


def test_get_sample_value_stops_at_first_match():
    for lib in LIBS.values():
        r = lib.CollectorRegistry()
        seen = []

        class Two:
            def collect(self, seen=seen, lib=lib):
                seen.append(1)
                yield lib.metrics_core.GaugeMetricFamily('a', 'h', value=1)
                seen.append(2)
                yield lib.metrics_core.GaugeMetricFamily('b', 'h', value=2)

        r.register(Two())
        assert r.get_sample_value('a') == 1 and seen == [1]
    assert fp_registry.DuplicateTimeseries({'x'}).duplicates == {'x'}


# --- exposition --------------------------------------------------------------------------

class _FakeRequest:
    def __init__(self, method):
        self.full_url = 'http://gw/metrics'
        self.headers = {'X': '1'}
        self.origin_req_host = 'gw'
        self.data = b'body'
        if method is not None:
            self.method = method

    def get_method(self):
        return 'PUT'


@pytest.mark.parametrize('method', [None, 'GET', 'HEAD', 'POST', 'PUT', 'DELETE'])
@pytest.mark.parametrize('code', [301, 302, 303, 307, 308])
def test_passthrough_redirect_decision_matches(method, code):
    def run(mod):
        handler = mod._PrometheusRedirectHandler()
        try:
            new = handler.redirect_request(_FakeRequest(method), None, code, 'moved', {}, 'http://other/a b')
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, getattr(e, 'code', None)
        return type(new) is Request, new.full_url, new.method, new.data, new.unverifiable, dict(new.headers)
    assert run(fp_exposition) == run(pc_exposition)


def test_push_handlers_build_the_same_requests(monkeypatch):
    sent = []

    class Opener:
        def __init__(self, handler):
            self.handler = handler

        def open(self, request, timeout=None):
            sent.append((request.full_url, request.get_method(), sorted(request.header_items()),
                         request.data, timeout, type(self.handler).__name__
                         if not isinstance(self.handler, type) else self.handler.__name__))

            class Answer:
                code, msg = 500, 'boom'
            return Answer()

    results = []
    for mod in (fp_exposition, pc_exposition):
        monkeypatch.setattr(mod, 'build_opener', Opener)
        for make in (mod.default_handler, mod.passthrough_redirect_handler):
            results.append(outcome(make('http://gw/x', 'POST', 3, [('A', 'b')], b'd')))
        headers = [('A', 'b')]
        results.append(outcome(mod.basic_auth_handler('http://gw/x', 'PUT', None, headers, b'd',
                                                      username='u', password='p')))
        results.append(headers)
    half = len(results) // 2
    assert results[:half] == results[half:]
    assert sent[:len(sent) // 2] == sent[len(sent) // 2:]


def test_snappy_without_package_matches(monkeypatch):
    got = []
    for mod in (fp_exposition, pc_exposition):
        monkeypatch.setattr(mod, 'SNAPPY_AVAILABLE', False)
        got.append(outcome(mod.push_to_gateway, 'gw:1', 'job', mod.REGISTRY, handler=lambda **kw: None,
                           compression='SNAPPY'))
    assert got[0] == got[1] and got[0][0] == 'RuntimeError'


def test_best_family_matches():
    for addr in ('127.0.0.1', '0.0.0.0', 'localhost'):
        assert fp_exposition._get_best_family(addr, 0) == pc_exposition._get_best_family(addr, 0)


def test_wsgi_app_methods_match():
    def run(mod, method, path):
        calls = []
        app = mod.make_wsgi_app(_gauge_registry(mod))
        body = app({'REQUEST_METHOD': method, 'PATH_INFO': path, 'QUERY_STRING': 'name[]=nothing'},
                   lambda status, headers: calls.append((status, headers)))
        return calls, body

    for method in ('GET', 'OPTIONS', 'POST', 'PATCH', 'get'):
        for path in ('/metrics', '/favicon.ico', '/'):
            assert run(fp_exposition, method, path) == run(pc_exposition, method, path)


def _gauge_registry(mod):
    lib = fastprom if mod is fp_exposition else prometheus_client
    r = lib.CollectorRegistry()
    lib.Gauge('g', 'h', registry=r).set(1)
    return r
