"""fastprom's parsers (the native core, objects built by the extension) against
prometheus_client's: hand-written documents, seeded random mutations of them, generated
documents full of value-type corner cases, and the OpenMetrics conformance suite must give
the same families (same classes, same value types, same reprs), yielded in the same order,
then the same exception type and message, except where docs/compatibility.md says that
fastprom's message describes an error prometheus_client reports without a message or with
an accidental one."""

import io
import json
import os
import random
import types

import pytest

from fastprom import parser as fp_parser
from fastprom.openmetrics import parser as fp_om
from prometheus_client import parser as pc_parser
from prometheus_client.openmetrics import parser as pc_om

TEXT_DOCS = [
    '# TYPE a counter\n# HELP a help\na 1\n',
    '# TYPE "a.b" counter\n# HELP "a.b" help\n{"a.b"} 1\n',
    '# TYPE "my.c{} # = \\" \\n" counter\n{"my.c{} # = \\" \\n", "odd. }}{{ # HELP"="\\n y } \\" v"} 1\n',
    '# TYPE a summary\n# HELP a help\na_count 1\na_sum 2\na{quantile="0.5"} 0.7\n',
    '# TYPE a histogram\n# HELP a help\na_bucket{le="1"} 0\na_bucket{le="+Inf"} 3\na_count 3\na_sum 2\n',
    'a 1\n', 'redis{instance="x",port="6380"} 10.0\nredis{instance="x",port="6381"} 12.0\n',
    '# HELP a help\n# TYPE a counter\na 1\n', '\n# TYPE a counter\n# FOO a\n# HELP a help\n\na 1\n',
    '# A simple. comment line\n# 3565 12345/4436467 another\n',
    '# TYPE  a  counter\n# HELP  a  help\na  1\n', '#\tTYPE\ta\tcounter\n#\tHELP\ta\thelp\na\t1\n',
    'a{foo="bar", bar="b{a}z"} 1\n', '# TYPE a counter\n# HELP a\na 1\n',
    'a{foo="bar"} +Inf\na{foo="baz"} -Inf\na{foo="q"} NaN\n',
    'a{ foo = "bar" } 1\na\t\t{\t\tfoo\t\t=\t\t"baz"\t\t}\t\t2\na   {  foo = "buz" }  3\na{foo="bez"}6\n',
    'a{foo="bar",} 1\nb{,} 2\nc{  ,} 3\nd{,  } 4\n', 'a{foo="bar",, } 1\n', 'a{} 1\n',
    'a{foo="b\\"a\\nr"} 1\na{foo="b\\\\a\\z"} 2\n# HELP a he\\n\\\\l\\tp\n',
    'a{foo="bar"} 1\t000\nb 2  1234567890\nb 88   1234566000   \n',
    '# TYPE g gauge\ng{a="1"} 1 2 3\ng_x 1\n# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_count 1\n',
    '{"x.y",a="b"} 1\n{__name__="q"} 2\nq{__name__="q"} 3\n',
    '# TYPE c counter\nc_total 3\nc_created 4\n# TYPE u untyped\nu 1_0\nu 0x10\n',
    '# TYPE a\n', '# HELP\n', 'a{b="c"\n', 'a{b=c} 1\n', 'a{b="c"}\n', '1a 1\n', 'a 1 2 3 4\n',
]

OM_DOCS = [
    '# TYPE a counter\n# HELP a help\na_total 1\na_created 1.5\n# EOF\n',
    '# TYPE "a.b" counter\n# HELP "a.b" help\n{"a.b_total"} 1\n# EOF\n',
    '# TYPE a summary\n# HELP a help\na_count 1\na_sum 2\na{quantile="0.5"} 0.7\na{quantile="1"} 0.8\n# EOF\n',
    '# TYPE a histogram\n# HELP a help\na_bucket{le="1.0"} 0\na_bucket{le="+Inf"} 3\na_count 3\na_sum 2\n# EOF\n',
    '# TYPE a histogram\na_bucket{le="-1.0"} 0\na_bucket{le="+Inf"} 3\n# EOF\n',
    '# TYPE a gaugehistogram\na_bucket{le="1.0"} 0 # {a="b"} 0.5\na_bucket{le="+Inf"} 3 # {le="7"} 0.5 123\n'
    'a_gcount 3\na_gsum 2\n# EOF\n',
    '# TYPE a counter\na_total{foo="bar"} 1 # {a="b"} 0.5 1.5\n# EOF\n',
    '# TYPE a info\na_info{foo="bar"} 1\n# EOF\n',
    '# TYPE a stateset\na{a="bar"} 0\na{a="foo"} 1.0\n# EOF\n',
    '# TYPE a unknown\n# HELP a help\n# UNIT a seconds\na 1\n# EOF\n',
    '# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1 123\na_seconds 2 124.5\n# EOF\n',
    'a 1\n# EOF\n', 'a 1 1\nb 2 1.123456789123\nc 3 -1.5\n# EOF\n',
    'a{foo="b\\"a\\nr"} 1\na{foo="b\\\\a\\z"} 2\n# HELP b he\\n\\\\l\\tp\\"x\\\n# EOF\n',
    '# TYPE nh histogram\nnh {count:24,sum:100,schema:0,zero_threshold:0.001,zero_count:4,'
    'positive_spans:[0:2,1:2],negative_spans:[0:2,1:2],positive_deltas:[2,1,-3,3],negative_deltas:[2,1,-2,3]}\n# EOF\n',
    '# TYPE nhl histogram\nnhl{foo="bar"} {count:24,sum:100,schema:0,zero_threshold:0.001,zero_count:4,'
    'positive_spans:[0:2],positive_deltas:[2,1]}\nnhl{foo="baz"} {count:2,sum:1,schema:0,zero_threshold:0.001,'
    'zero_count:0} # {trace_id="x"} 4 1.5 # {trace_id="y"} 5\n# EOF\n',
    '# TYPE "nh.x" histogram\n{"nh.x",foo="bar"} {count:1,sum:1,schema:0,zero_threshold:0.001,zero_count:1}\n'
    '{"nh.x"} {count:1,sum:1,schema:0,zero_threshold:0.001,zero_count:1}\n# EOF\n',
    '# TYPE a counter\na_total 1\n# TYPE a gauge\n# EOF\n', '# TYPE a counter\n# TYPE a counter\n# EOF\n',
    'a_total 1\n\n# EOF\n', 'a 1\n# EOF\nb 2\n', 'a 1\n', '# TYPE a untyped\n# EOF\n',
    '# TYPE a histogram\na_bucket{le="+Inf"} 1\na_bucket{le="1"} 0\n# EOF\n',
    '# TYPE a histogram\na_bucket{le="1"} 2\na_bucket{le="+Inf"} 1\na_count 1\na_sum 1\n# EOF\n',
    '# TYPE a summary\na{quantile="2"} 1\n# EOF\n', '# TYPE a summary\na{quantile="+inf"} 1\n# EOF\n',
    '# TYPE a counter\na_total NaN\n# EOF\n', '# TYPE a counter\na_total -1\n# EOF\n',
    '# TYPE a gauge\na 1 # {a="b"} 1\n# EOF\n', '# TYPE a info\na_info 2\n# EOF\n',
    '# TYPE a counter\na_total{a="1"} 1 2\na_total{a="1"} 1 1\n# EOF\n',
    '# TYPE a counter\na_total{a="1"} 1\na_total{a="2"} 1\na_total{a="1"} 1\n# EOF\n',
    '# TYPE a counter\na_total{a="1"} 1 1\na_total{a="1"} 1\n# EOF\n',
    '# TYPE a gauge\na 1 1.1\na 1 1.1\na 2 1.12\n# EOF\n',
    '# UNIT a_x y\n# TYPE a_x gauge\na_x 1\n# EOF\n', '# TYPE a info\n# UNIT a a\n# EOF\n',
    'a{,a="b"} 1\n# EOF\n', 'a{a="b",,} 1\n# EOF\n', 'a{a="b"}  1\n# EOF\n', 'a 1 \n# EOF\n',
    'a_total 1 # {a="b"} 1 \n# EOF\n', '# TYPE a counter\na_total 1 # {a="' + 'x' * 130 + '"} 1\n# EOF\n',
    '# FOO a b\n# EOF\n', '# HELP a\n# EOF\n', '# HELP a \n# EOF\n', 'a 1 1_0\n# EOF\n', 'a 1 nan\n# EOF\n',
    'a 0x1\n# EOF\n', '{"a.b",c="d"} 1\n# EOF\n', '# TYPE a stateset\na{b="c"} 1\n# EOF\n',
    '# TYPE a gaugehistogram\na_bucket{le="+Inf"} 1\na_gsum -1\na_gcount 1\n# EOF\n',
]

TOKENS = list(' \t{}"=,#\\_.:01+-eEnNaIf\n') + [
    '# ', ' # ', '{a="b"}', 'le="', '_total', '_bucket', '_count', '_sum', 'NaN', '+Inf', '# EOF',
    '# TYPE ', '# HELP ', '# UNIT ', ' counter', ' histogram', ' 1', ' 1.5', '\\"',
    '{count:1,sum:1,schema:0,zero_threshold:0.001,zero_count:1}']


def _families(metrics):
    """Each family as comparable data: class name, attributes in `vars()` order, and each
    sample's class and fields as (type name, repr)."""
    return [(type(m).__name__, list(vars(m)), m.name, m.documentation, m.type, m.unit,
             [(type(s).__name__, tuple((type(x).__name__, repr(x)) for x in s)) for s in m.samples])
            for m in metrics]


def _outcome(parse, text):
    """What a consumer sees: each family as it is yielded, then the end or the error."""
    got = []
    try:
        for m in parse(text):
            got.extend(_families([m]))
        return 'ok', got
    except Exception as e:  # noqa: BLE001 - the exception is the observable outcome
        return 'raised', type(e).__name__, str(e), got


def _mutate(text, rnd):
    chars = list(text)
    for _ in range(rnd.randint(1, 4)):
        op, pos = rnd.random(), rnd.randint(0, len(chars))
        if op < 0.4 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op < 0.8:
            chars[pos:pos] = list(rnd.choice(TOKENS))
        elif chars:
            i, j = rnd.randrange(len(chars)), rnd.randrange(len(chars))
            chars[i], chars[j] = chars[j], chars[i]
    return ''.join(chars)


MUTANTS = 150

# fastprom's messages where prometheus_client raises a bare ValueError() (docs/compatibility.md).
DESCRIBED = ('TYPE line without a type', 'Invalid line, no metric name: ', 'invalid metric name in TYPE line: ',
             'invalid metric name in HELP line: ', 'Invalid metric name: ', 'unterminated labels: ',
             'no metric name: ', 'unterminated native histogram: ')


def _same_error(got, want):
    """The same exception, or one of the differences docs/compatibility.md lists."""
    if got == want:
        return True
    (gt, gm), (wt, wm) = got, want
    if gt != 'ValueError':
        return False
    # prometheus_client reports the first clashing name of a set: which one depends on
    # PYTHONHASHSEED.
    if wt == 'ValueError' and gm.startswith('Clashing name: ') and wm.startswith('Clashing name: '):
        return True
    if wt == 'ValueError' and wm == '' and gm.startswith(DESCRIBED):
        return True
    # A sample line without its closing brace: prometheus_client parses on and fails on
    # whatever it finds next.
    if gm.startswith('Invalid line, no closing brace: ') and wt in ('ValueError', 'IndexError'):
        return True
    # The text format's label parser reports an IndexError of prometheus_client's as invalid labels.
    return (wt, wm) == ('IndexError', 'string index out of range') and gm.startswith('Invalid labels: ')


def _same(fp_parse, pc_parse, text):
    got, want = _outcome(fp_parse, text), _outcome(pc_parse, text)
    if got[0] == 'raised' and want[0] == 'raised':
        return got[3] == want[3] and _same_error(got[1:3], want[1:3])
    return got == want


@pytest.mark.parametrize('doc', TEXT_DOCS)
def test_text_parser_matches(doc):
    rnd = random.Random(doc)
    for text in [doc] + [_mutate(doc, rnd) for _ in range(MUTANTS)]:
        assert _same(fp_parser.text_string_to_metric_families, pc_parser.text_string_to_metric_families, text), \
            repr(text)


@pytest.mark.parametrize('doc', OM_DOCS)
def test_openmetrics_parser_matches(doc):
    rnd = random.Random(doc)
    for text in [doc] + [_mutate(doc, rnd) for _ in range(MUTANTS)]:
        assert _same(fp_om.text_string_to_metric_families, pc_om.text_string_to_metric_families, text), repr(text)


# --- generated documents: value types, duplicates, native histograms ----------------------

VALUES = ['1', '1.0', '-0', '+5', '\u0661\u0662', '99999999999999999999999', '1e3', '0', 'NaN', '+Inf', '12',
          '3.5', '-7', '0001', '1' * 30, '1' * 400, '7.0e-1']
TIMESTAMPS = ['', ' 1', ' 1.5', ' 123456', ' -1', ' 1.000000001', ' \u0661', ' 1e3']
LABELS = ['', '{a="1"}', '{le="1.0"}', '{le="+Inf"}', '{quantile="0.5"}', '{a="x\\\\y"}', '{a="}"}', '{a="\\""}',
          '{"q.r"="v"}', '{a="1",b="2"}', '{ a = "1" }']


def _generated(rnd, om):
    lines = []
    types_ = (['counter', 'gauge', 'histogram', 'summary', 'unknown', 'gaugehistogram', 'info', 'stateset']
              if om else ['counter', 'gauge', 'histogram', 'summary', 'untyped'])
    for _ in range(rnd.randint(1, 4)):
        typ, name = rnd.choice(types_), rnd.choice(['a', 'b_x', 'c'])
        lines.append(f'# TYPE {name} {typ}')
        for _ in range(rnd.randint(0, 4)):
            suffix = rnd.choice(['', '_total', '_bucket', '_count', '_sum', '_created', '_gsum', '_gcount', '_info'])
            labels = rnd.choice(LABELS + ['{' + name + '="s"}'])
            exemplar = rnd.choice(['', '', ' # {t="1"} ' + rnd.choice(VALUES), ' # {t="1"} ' + rnd.choice(VALUES) + ' 2'])
            lines.append(f'{name}{suffix}{labels} {rnd.choice(VALUES)}{rnd.choice(TIMESTAMPS)}{exemplar if om else ""}')
            if rnd.random() < 0.15:
                lines.append(lines[-1])  # a repeated series (dropped by the OpenMetrics parser)
        if om and typ == 'histogram' and rnd.random() < 0.5:
            head = rnd.choice([name + ' ', name + '{a="1"} ', name + '{} ', '{"' + name + '"} ', '{"' + name + '",a="1"} '])
            spans = rnd.choice(['', ',positive_spans:[0:1],positive_deltas:[1]', ',negative_spans:[0:2],negative_deltas:[1,-1]'])
            lines.append(f'{head}{{count:{rnd.choice(["1", "2"])},sum:1,schema:0,zero_threshold:0.1,zero_count:0{spans}}}')
    if om:
        lines.append('# EOF')
    text = '\n'.join(lines) + '\n'
    return _mutate(text, rnd) if rnd.random() < 0.3 else text


@pytest.mark.parametrize('om', [False, True])
def test_generated_documents_match(om):
    fp, pc = (fp_om, pc_om) if om else (fp_parser, pc_parser)
    for seed in range(1500):
        text = _generated(random.Random(seed), om)
        assert _same(fp.text_string_to_metric_families, pc.text_string_to_metric_families, text), repr(text)


# --- the OpenMetrics project's parser conformance suite -----------------------------------

SUITE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     'core', 'tests', 'data', 'openmetrics-parsers')


def _cases():
    if not os.path.isdir(SUITE):
        return []
    return sorted(c for c in os.listdir(SUITE) if os.path.isdir(os.path.join(SUITE, c)))


def test_conformance_suite_present():
    assert len(_cases()) == 211, SUITE


@pytest.mark.parametrize('case', _cases())
def test_conformance_case(case):
    with open(os.path.join(SUITE, case, 'test.json')) as f:
        meta = json.load(f)
    with open(os.path.join(SUITE, case, meta.get('file', 'metrics')), encoding='utf-8') as f:
        text = f.read()
    # Both formats' parsers read every case: same families, or the same exception.
    assert _same(fp_om.text_string_to_metric_families, pc_om.text_string_to_metric_families, text)
    assert _same(fp_parser.text_string_to_metric_families, pc_parser.text_string_to_metric_families, text)
    assert (_outcome(fp_om.text_string_to_metric_families, text)[0] == 'ok') == meta['shouldParse']


def test_fd_variants_and_generators():
    text = TEXT_DOCS[4]
    assert _families(fp_parser.text_fd_to_metric_families(io.StringIO(text))) == \
        _families(pc_parser.text_fd_to_metric_families(io.StringIO(text)))
    om = OM_DOCS[3]
    assert _families(fp_om.text_fd_to_metric_families(io.StringIO(om))) == \
        _families(pc_om.text_fd_to_metric_families(io.StringIO(om)))
    for fn in (fp_parser.text_string_to_metric_families, fp_parser.text_fd_to_metric_families,
               fp_om.text_string_to_metric_families, fp_om.text_fd_to_metric_families):
        assert isinstance(fn(''), types.GeneratorType)


@pytest.mark.parametrize('lines', [
    ['# TYPE a counter', 'a_total 1', '# EOF'],                      # items without newlines
    ['# TYPE a counter\n', 'a_total 1\r\n', '# EOF'],                # a CR kept in the line
    ['a 1\n', 'b{c="d"} 2 3\n', '# EOF\n'],
    ['a 1\n', 'b 2\n'],                                               # no EOF
])
def test_fd_variants_read_items_as_lines(lines):
    for fp, pc in ((fp_parser, pc_parser), (fp_om, pc_om)):
        assert _outcome(lambda _: fp.text_fd_to_metric_families(iter(lines)), None) == \
            _outcome(lambda _: pc.text_fd_to_metric_families(iter(lines)), None)


@pytest.mark.parametrize('fp, pc, text', [
    (fp_parser, pc_parser, 'a 1\nb 2\n# TYPE c gauge\nc{ 1\n'),
    (fp_om, pc_om, '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n'),
    (fp_om, pc_om, '# TYPE a gauge\na 1\n# TYPE b counter\nb_total -1\n# EOF\n'),
])
def test_error_comes_after_the_families_before_it(fp, pc, text):
    got, want = fp.text_string_to_metric_families(text), pc.text_string_to_metric_families(text)
    assert _families([next(got)]) == _families([next(want)])
    for gen in (got, want):
        with pytest.raises(ValueError):
            list(gen)


def test_non_str_input_as_prometheus_client():
    for fp, pc in ((fp_parser, pc_parser), (fp_om, pc_om)):
        assert _outcome(fp.text_string_to_metric_families, b'a 1\n') == \
            _outcome(pc.text_string_to_metric_families, b'a 1\n')
        assert _outcome(fp.text_string_to_metric_families, None) == _outcome(pc.text_string_to_metric_families, None)


def test_parsed_objects_are_fastproms_own():
    import fastprom.metrics_core
    import fastprom.samples
    text = ('# TYPE a counter\na_total{b="c"} 1 5 # {t="u"} 2 1.5\n# TYPE h histogram\n'
            'h {count:1,sum:2,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_deltas:[1]}\n# EOF\n')
    a, h = fp_om.text_string_to_metric_families(text)
    assert type(a) is fastprom.metrics_core.Metric and type(a.samples[0]) is fastprom.samples.Sample
    s = a.samples[0]
    assert type(s.exemplar) is fastprom.samples.Exemplar
    assert type(s.timestamp) is fastprom.samples.Timestamp and s.timestamp == fastprom.samples.Timestamp(5, 0)
    assert type(s.value) is int and type(s.exemplar.value) is int
    nh = h.samples[0].native_histogram
    assert type(nh) is fastprom.samples.NativeHistogram
    assert type(nh.pos_spans[0]) is fastprom.samples.BucketSpan and type(nh.count_value) is int
    assert a == fastprom.metrics_core.Metric('a', '', 'counter') or a.samples  # Metric.__eq__ works
    expected = fastprom.metrics_core.Metric('a', '', 'counter')
    expected.add_sample('a_total', {'b': 'c'}, 1, fastprom.samples.Timestamp(5, 0),
                        fastprom.samples.Exemplar({'t': 'u'}, 2, fastprom.samples.Timestamp(1, 500000000)))
    assert a == expected
    # Sample tuples are tuples: hashable when their parts are, picklable, comparable.
    import pickle
    assert pickle.loads(pickle.dumps(a)) == a


@pytest.mark.parametrize('labels', ['a="b"', 'a="b",c="d"', ' a = "b" ', '"a.b"="c"', 'a="b",a="c"',
                                    ',a="b"', 'a="b",,', 'a=b', '__name__="x"', 'a="b\\"c"', ''])
@pytest.mark.parametrize('openmetrics', [False, True])
def test_parse_labels_matches(labels, openmetrics):
    def run(fn):
        try:
            return fn(labels, openmetrics)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert run(fp_parser.parse_labels) == run(pc_parser.parse_labels)


def test_parsed_families_roundtrip_through_the_native_encoder():
    import fastprom
    text = ('# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 166.0\n'
            '# HELP rq_total Requests.\n# TYPE rq_total counter\nrq_total{code="200"} 3.0\n'
            '# HELP lat A summary.\n# TYPE lat summary\nlat{quantile="0.5"} 0.1\nlat_sum 5.0\nlat_count 7.0\n')
    families = list(fp_parser.text_string_to_metric_families(text))

    class Replay:
        def collect(self):
            return families

    registry = fastprom.CollectorRegistry()
    registry.register(Replay())
    assert fastprom.generate_latest(registry).decode() == text
