#!/usr/bin/env python3
"""Generate content-negotiation test vectors for fastprom's core/src/expose/negotiate.rs.

Runs prometheus_client 0.26.0's `choose_encoder` over a list of Accept headers and records
what it decided. Each output line is one record of six space-separated fields:

    <kind> <accept> <encoder> <escaping> <version> <content_type>

`kind` is `N` (normal) or `R` (see below). Every other field is either `-` (Python `None`)
or `x` followed by the lowercase hex of the UTF-8 bytes (so `x` alone is the empty string):

* `accept`: the header passed to `choose_encoder` (`-` for None).
* `encoder`: `text` (prometheus_client.exposition.generate_latest) or `openmetrics`
  (prometheus_client.openmetrics.exposition.generate_latest).
* `escaping`: the `escaping` keyword bound by the returned partial, or the function's own
  default when `choose_encoder` returns the bare function.
* `version`: the `version` keyword bound by the partial (`-` for the text encoder, which has
  no version keyword).
* `content_type`: the returned Content-Type string.

`R` records are headers for which Python raises TypeError (a version part that is not an
integer compared with an integer, e.g. `version=1.0.0-rc`). fastprom skips such an entry and
goes on with the next, so for these the recorded decision is `choose_encoder` applied to the
header with every entry that raises on its own removed.

Run with the prometheus_client 0.26.0 virtualenv:

    .venv/bin/python tools/gen_negotiate_vectors.py > core/src/testdata/negotiate.txt
"""

import functools
import inspect
import sys

from prometheus_client import exposition
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics import exposition as om


def enc(s):
    if s is None:
        return '-'
    return 'x' + s.encode('utf-8').hex()


def describe(accept):
    func, content_type = choose_encoder(accept)
    kw = {}
    if isinstance(func, functools.partial):
        kw = dict(func.keywords)
        func = func.func
    defaults = {
        name: p.default for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    if func is exposition.generate_latest:
        encoder = 'text'
    elif func is om.generate_latest:
        encoder = 'openmetrics'
    else:
        raise AssertionError(f'unknown encoder {func!r}')
    escaping = kw.get('escaping', defaults.get('escaping'))
    version = kw.get('version', defaults.get('version')) if encoder == 'openmetrics' else None
    return [encoder, escaping, version, content_type]


PROM_2 = ('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,'
          'text/plain;version=0.0.4;q=0.5,*/*;q=0.1')
PROM_2_OLD = 'application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
PROM_3 = ('application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,'
          'application/openmetrics-text;version=0.0.1;q=0.5,'
          'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,'
          'text/plain;version=0.0.4;q=0.3,*/*;q=0.2')
PROM_3_UNDERSCORES = ('application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,'
                      'application/openmetrics-text;version=0.0.1;q=0.4,'
                      'text/plain;version=1.0.0;escaping=underscores;q=0.3,'
                      'text/plain;version=0.0.4;q=0.2,*/*;q=0.1')
PROM_3_PROTO_FIRST = ('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;'
                      'encoding=delimited;q=0.7,' + PROM_3)
PROM_3_TEXT_ONLY = 'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.9,text/plain;version=0.0.4;q=0.3'
PROM_3_OM2 = ('application/openmetrics-text;version=2.0.0;escaping=allow-utf-8;q=0.7,' + PROM_3)
FIREFOX = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'
CHROME = ('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,'
          '*/*;q=0.8,application/signed-exchange;v=b3;q=0.7')
SAFARI = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
CURL = '*/*'

headers = [
    None, '', ' ', ',', ';', ',,,', ';;;', '=', 'version=1.0.0',
    PROM_2, PROM_2_OLD, PROM_3, PROM_3_UNDERSCORES, PROM_3_PROTO_FIRST, PROM_3_TEXT_ONLY, PROM_3_OM2,
    FIREFOX, CHROME, SAFARI, CURL, 'text/*', 'application/*', 'text/html',
    'text/plain', 'text/plain;', 'text/plain; charset=utf-8', 'text/plain;version=0.0.4',
    'text/plain; version=0.0.4; charset=utf-8', 'text/plain;version=1.0.0',
    'text/plain; version=1.0.0; charset=utf-8', 'text/plain;version=2.0.0', 'text/plain;version=1.0',
    'text/plain;version=1', 'text/plain;version=2', 'text/plain;version=0.9.9', 'text/plain;version=',
    'text/plain;version=1.0.0.0', 'text/plain;version=1.0.0.x', 'text/plain;version=1.0.1',
    'text/plain;version=1.1', 'text/plain;version=10.0.0', 'text/plain;version=0.0.4;escaping=allow-utf-8',
    'TEXT/PLAIN;version=1.0.0', 'Text/Plain;version=1.0.0', 'text/plain ;version=1.0.0',
    '  text/plain  ;  version=1.0.0  ', 'text/plain; version = 1.0.0', 'text/plain;version= 1.0.0',
    'text/plain;version=1.0.0 ', 'text/plain;version=1 .0. 0', 'text/plain;Version=1.0.0',
    'text/plain;version=1.0.0;version=0.0.4', 'text/plain;version=0.0.4;version=1.0.0',
    'text/plain;version=1.0.0;escaping=underscores', 'text/plain;version=1.0.0;escaping=dots',
    'text/plain;version=1.0.0;escaping=values', 'text/plain;version=1.0.0;escaping=allow-utf-8',
    'text/plain;version=1.0.0;escaping=bogus', 'text/plain;version=1.0.0;escaping=',
    'text/plain;version=1.0.0;escaping=ALLOW-UTF-8', 'text/plain;version=1.0.0;escaping= dots',
    'text/plain;version=1.0.0;escaping=dots ', 'text/plain;version=1.0.0;escaping=bogus;escaping=dots',
    'text/plain;version=1.0.0;escaping=dots;escaping=values', 'text/plain;escaping=dots;version=1.0.0',
    'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4',
    'text/plain;version=1.0.0;escaping=allow-utf-8=x', 'text/plain;version=1.0.0=1',
    'application/openmetrics-text', 'application/openmetrics-text;', 'application/openmetrics-text; q=0.5',
    'application/openmetrics-text;version=', 'application/openmetrics-text;version=;escaping=dots',
    'application/openmetrics-text;escaping=allow-utf-8', 'application/openmetrics-text;version=0.0.1',
    'application/openmetrics-text;version=0.0.1;escaping=dots', 'application/openmetrics-text;version=1.0.0',
    'application/openmetrics-text; version=1.0.0; charset=utf-8',
    'application/openmetrics-text;version=2.0.0', 'application/openmetrics-text;version=2.0.0;escaping=values',
    'application/openmetrics-text;version=1.0', 'application/openmetrics-text;version=1',
    'application/openmetrics-text;version=2', 'application/openmetrics-text;version=1.1.0',
    'application/openmetrics-text;version=1.0.0.1', 'application/openmetrics-text;version=01.00.000',
    'application/openmetrics-text;version=+1.0.0', 'application/openmetrics-text;version=-1.0.0',
    'application/openmetrics-text;version=1_0.0.0', 'application/openmetrics-text;version=1.0_0.0',
    'application/openmetrics-text;version=99999999999999999999999999999.0.0',
    'application/openmetrics-text;version=0.99999999999999999999999999999.0',
    'application/openmetrics-text;version=-0.0.0', 'application/openmetrics-text;version=1.-0.0',
    'application/openmetrics-text;version=\u0661.\u0660.\u0660',
    'application/openmetrics-text;version=\uff11.\uff10.\uff10',
    'application/openmetrics-text;version=\u00a01\u00a0.0.0', 'application/openmetrics-text;version=1\x0b.0.0',
    'application/openmetrics-text;version=1.0.0;escaping=dots', 'application/openmetrics-text;version=1.0.0;escaping=values',
    'application/openmetrics-text;version=1.0.0;escaping=underscores',
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8',
    'application/openmetrics-text;version=1.0.0;escaping=utf-8', 'application/openmetrics-text;version=1.0.0;escaping',
    'application/openmetrics-text;version=1.0.0;escaping=Dots',
    'application/openmetrics-text ; version=1.0.0 ; escaping=dots ; q=0.9',
    'application/openmetrics-text;version = 1.0.0', 'application/openmetrics-text;q=0.5;version=1.0.0',
    'application/openmetrics-text;version=0.0.1,application/openmetrics-text;version=1.0.0;escaping=dots',
    'application/openmetrics-text;version=0.0.1,text/plain;version=1.0.0;escaping=values',
    'application/openmetrics-text;version=0.0.1,text/plain;version=0.0.4',
    'application/openmetrics-text;version=0.0.1,application/openmetrics-text',
    'text/plain;version=0.0.4,application/openmetrics-text;version=1.0.0',
    'text/plain;version=1.0.0;escaping=dots,application/openmetrics-text;version=1.0.0',
    'text/html,text/plain;version=1.0.0,application/openmetrics-text',
    'application/openmetrics-text\t;\tversion=1.0.0\t', 'application/openmetrics-text\x1c;version=1.0.0\x1f',
    'text/plain\u3000;version=1.0.0\u2003', 'application/openmetrics-text\x85',
    'application/openmetrics-text;version=1.0.0\x1c', 'application/openmetrics-text;version=1\x1c.0.0',
    'application/openmetrics-text;version=\u00b9.0.0', 'application/openmetrics-text;version=1.0.0;escaping=dots\u3000',
    'application/openmetrics-text;version=' + '0' * 4300 + '1.0.0',
    'application/openmetrics-text;version=0.' + '0' * 4301 + '.0',
    'application/openmetrics-text;version=2.' + '0' * 4301,
    'application/openmetrics-text;version=1.0.0-rc',
    'application/openmetrics-text;version=1.0.0-rc,text/plain;version=1.0.0;escaping=dots',
    'application/openmetrics-text;version=a.b.c',
    'application/openmetrics-text;version=0.a.b',
    'application/openmetrics-text;version=1..0',
    'application/openmetrics-text;version=1.0.',
    'application/openmetrics-text;version=1.0.0.',
    'application/openmetrics-text;version=.1.0.0',
    'application/openmetrics-text;version=v1.0.0',
    'text/plain;version=1.x,application/openmetrics-text;version=1.0.0',
    'text/plain;version=1.0.0rc1',
    'text/plain;version=1.' + '0' * 4301 + '.0,text/plain;version=0.0.4,application/openmetrics-text',
    'application/openmetrics-text;version=1__0.0.0', 'application/openmetrics-text;version=_1.0.0',
    'application/openmetrics-text;version=1_.0.0', 'application/openmetrics-text;version=2_.0.0',
    'application/openmetrics-text;version=\u00b2.0.0',
]

# Generated combinations: every mime type x version x escaping.
for mime in ['text/plain', 'application/openmetrics-text']:
    for version in [None, '0.0.1', '0.0.4', '1.0.0', '2.0.0', '1.0']:
        for escaping in [None, 'allow-utf-8', 'underscores', 'dots', 'values', 'bogus']:
            h = mime
            if version is not None:
                h += ';version=' + version
            if escaping is not None:
                h += ';escaping=' + escaping
            headers.append(h)

seen = set()
out = []
raising = 0
for h in headers:
    if h in seen:
        continue
    seen.add(h)
    try:
        rec = ['N', h] + describe(h)
    except TypeError:
        raising += 1
        kept = []
        for entry in h.split(','):
            try:
                choose_encoder(entry)
            except TypeError:
                continue
            kept.append(entry)
        rec = ['R', h] + describe(','.join(kept))
    out.append(' '.join([rec[0]] + [enc(f) for f in rec[1:]]))

sys.stdout.write('\n'.join(out) + '\n')
print(f'{len(out)} records, {raising} raising', file=sys.stderr)
