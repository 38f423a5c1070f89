#!/usr/bin/env python3
"""Generate naming/escaping test vectors for fastprom's core/src/names.rs.

Every value is computed by prometheus_client 0.26.0's own functions. Output is one record
per line: a plain ASCII tag, then space-separated fields. Every string field is its UTF-8
bytes in lowercase hex, or `-` for the empty string; flags are `0` / `1`.

    esc  <s> <escape_metric_name x4> <escape_label_name x4>
         <_escape(s, scheme, _is_legacy_metric_rune) x4>
         <_escape(s, scheme, _is_legacy_labelname_rune) x4>
         <_is_valid_legacy_metric_name> <_is_valid_legacy_labelname>
         <label value escape (OpenMetrics, ALLOWUTF8 _escape)> <text-format HELP escape>
      (each x4 group is in scheme order allow-utf-8, underscores, dots, values)
    val  <s> <_validate_metric_name legacy> <... utf-8>
             <_validate_labelname legacy> <... utf-8>
      (each is `-` when it passes, else the hex of the ValueError message)
    full <type> <name> <namespace> <subsystem> <unit> ok|err <full name | message>
    exm  <legacy 0/1> <`-` or error message> <k1> <v1> <k2> <v2> ...
    lbls <legacy 0/1> <`-` or error message> <reserved count> <reserved...> <names...>

Run with the prometheus_client 0.26.0 virtualenv:

    .venv/bin/python tools/gen_name_vectors.py > core/src/testdata/names.txt
"""

import random
import sys

from prometheus_client import validation
from prometheus_client.metrics import _build_full_name
from prometheus_client.openmetrics.exposition import (
    ALLOWUTF8, DOTS, UNDERSCORES, VALUES, _escape, _is_legacy_labelname_rune,
    _is_legacy_metric_rune, escape_label_name, escape_metric_name,
)
from prometheus_client.validation import (
    _is_valid_legacy_labelname, _is_valid_legacy_metric_name, _validate_exemplar,
    _validate_labelname, _validate_labelnames, _validate_metric_name,
)

SCHEMES = [ALLOWUTF8, UNDERSCORES, DOTS, VALUES]


def h(s):
    return s.encode('utf-8').hex() if s else '-'


def flag(b):
    return '1' if b else '0'


def err(fn, *args):
    try:
        fn(*args)
    except ValueError as e:
        return h(str(e))
    return '-'


def set_legacy(on):
    if on:
        validation.enable_legacy_validation()
    else:
        validation.disable_legacy_validation()


NAMES = [
    '', 'a', 'A', 'z', 'Z', '_', '__', '___', ':', '::', 'a:', ':a', 'a:b', '_a', '__a',
    '___a', 'a_', 'a__', 'a_b', 'a__b', 'foo_bar', 'foo__bar', 'foo_bar_total',
    'http_requests_total', 'process_cpu_seconds_total', 'job:rate5m:sum', '0', '9', '0a',
    '9abc', 'a0', 'a9', 'a0b1', '_0', ':0', '0:', '0_', 'a.b', 'a.b.c', '.a', 'a.',
    '..', '.', 'a._b', 'a_.b', 'http.server.duration', 'my.metric_name',
    'a b', ' a', 'a ', ' ', 'a-b', 'a/b', 'a+b', 'a=b', 'a,b', 'a{b}', 'a#b', 'a@b',
    'a"b', '"', '""', '"a"', 'a\\b', '\\', '\\\\', 'a\\nb', 'a\nb', '\n', '\n\n',
    'foo\n', 'foo\n\n', '\nfoo', 'foo\nbar\n', '_\n', '__\n', '__a\n', '__a\nb', '__\na',
    '___\n', ':\n', '0\n', 'a:\n', 'a\r\n', 'a\r', '\t', 'a\tb', '\x00', 'a\x00',
    '\x01', '\x1f', '\x7f', '\x80', '\xa0', '\xff', 'é', 'über', 'über_metric',
    'café_au_lait', 'naïve', 'Ω', 'ΑΒΓ', 'Привет', '日本語', '指标_名称', 'emoji😀',
    '😀', '😀😀', 'a😀b', '\u2028', '\u200b', '\ufeff', '\ufffd', '\uffff',
    '\U00010000', '\U0010ffff', 'mixed.ünï:cödé"\\\n', 'U__a', 'U__', 'U___',
    '_dot_', 'a_dot_b', '_2e_', 'a_2e_b', 'le', 'quantile', '__name__', 'job',
    'instance', 'le.bucket', '🙂.🙃', 'a:b.c_d-e', 'ABC_def:GHI', 'x' * 40,
    'a' + '_' * 10 + 'b', '9' * 5, ':' * 3 + 'a', 'a\\"b\\n', '\\n', '\\"',
]

ALPHABET = (
    list('abcxyzABCXYZ') * 3 + list('0123456789') * 2 + ['_'] * 6 + [':'] * 3 +
    ['.'] * 3 + [' ', '-', '/', '"', '\\', '\n', '\t', 'é', 'ß', 'Ω', '日', '😀',
                 '\u00a0', '\u2028', '\x00', '\x7f']
)

rng = random.Random(424242)
seen = set(NAMES)
while len(NAMES) < 320:
    n = rng.randint(1, 12)
    s = ''.join(rng.choice(ALPHABET) for _ in range(n))
    if s not in seen:
        seen.add(s)
        NAMES.append(s)

out = []

for s in NAMES:
    f = ['esc', h(s)]
    f += [h(escape_metric_name(s, sc)) for sc in SCHEMES]
    f += [h(escape_label_name(s, sc)) for sc in SCHEMES]
    f += [h(_escape(s, sc, _is_legacy_metric_rune)) for sc in SCHEMES]
    f += [h(_escape(s, sc, _is_legacy_labelname_rune)) for sc in SCHEMES]
    f += [flag(_is_valid_legacy_metric_name(s)), flag(_is_valid_legacy_labelname(s))]
    # OpenMetrics label values / HELP, and the text format's label values.
    f.append(h(_escape(s, ALLOWUTF8, _is_legacy_labelname_rune)))
    # Text format HELP (exposition.py generate_latest).
    f.append(h(s.replace('\\', r'\\').replace('\n', r'\n')))
    out.append(' '.join(f))

for s in NAMES:
    f = ['val', h(s)]
    for legacy in (True, False):
        set_legacy(legacy)
        f.append(err(_validate_metric_name, s))
    for legacy in (True, False):
        set_legacy(legacy)
        f.append(err(_validate_labelname, s))
    out.append(' '.join(f))
set_legacy(False)

TYPES = ['counter', 'gauge', 'histogram', 'info', 'stateset']
FULL_NAMES = ['requests', 'requests_total', 'total', '_total', 'x_total_total',
              'size_bytes', 'bytes', 'a', '', 'total_bytes', 'seconds_total']
for t in TYPES:
    for name in FULL_NAMES:
        for ns, sub in (('', ''), ('', 'sub'), ('ns', 'sub')):
            for unit in ('', 'bytes', 'total', 'seconds'):
                try:
                    r = 'ok ' + h(_build_full_name(t, name, ns, sub, unit))
                except ValueError as e:
                    r = 'err ' + h(str(e))
                out.append(' '.join(['full', h(t), h(name), h(ns), h(sub), h(unit), r]))

EXEMPLARS = [
    {},
    {'trace_id': 'abc'},
    {'trace_id': 'a' * 120},
    {'trace_id': 'a' * 119},
    {'trace_id': 'a' * 120, 'x': ''},
    {'a' * 64: 'b' * 64},
    {'a' * 64: 'b' * 65},
    {'k': '😀' * 127},
    {'k': '😀' * 128},
    {'__reserved': 'x'},
    {'bad name': 'x'},
    {'0bad': 'x'},
    {'ok': 'x', '__r': 'y'},
    {'日本': '語'},
    {'t\n': 'x'},
]
for legacy in (True, False):
    set_legacy(legacy)
    for ex in EXEMPLARS:
        f = ['exm', flag(legacy), err(_validate_exemplar, ex)]
        for k, v in ex.items():
            f += [h(k), h(v)]
        out.append(' '.join(f))
set_legacy(False)


class _Cls:
    def __init__(self, reserved):
        self._reserved_labelnames = reserved


LABEL_SETS = [
    ([], []),
    ([], ['a', 'b']),
    (['le'], ['a', 'le']),
    (['le'], ['le', '__x']),
    (['quantile'], ['quantile']),
    (['le'], ['__x', 'le']),
    ([], ['ok', 'bad name']),
    ([], ['日本', 'x']),
    (['le'], ['lé', 'le ']),
    ([], ['a', 'a']),
]
for legacy in (True, False):
    set_legacy(legacy)
    for reserved, names in LABEL_SETS:
        f = ['lbls', flag(legacy), err(_validate_labelnames, _Cls(reserved), names),
             str(len(reserved))]
        f += [h(r) for r in reserved]
        f += [h(n) for n in names]
        out.append(' '.join(f))
set_legacy(False)

sys.stdout.write('\n'.join(out) + '\n')
