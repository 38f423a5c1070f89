#!/usr/bin/env python3
"""Dump prometheus_client's parse of an exposition in fastprom's canonical format.

Usage:
    parse_dump.py --text FILE [FILE ...]
    parse_dump.py --openmetrics FILE [FILE ...]

For one FILE, prints exactly what ``fastprom::parse::canonical`` prints for the same
families (see core/src/parse/mod.rs), or the single line
``ERROR <exception type>: <message>`` when prometheus_client's parser raises. Each FILE is
read whole (as UTF-8, no newline translation) before it is parsed; the parser is a
generator, so it is forced with ``list()``: any exception anywhere means ERROR, and no
family is printed.

With several FILEs, each dump is preceded by a line ``### FILE <path>`` (no dump line can
start with ``#``), so a test can parse many inputs with a single Python start.

The format, one line per family and per sample:

    F <repr(name)> <type> <repr(unit)> <repr(documentation)>
    S <repr(name)> <labels> <value> <timestamp> <exemplar> <native>

* ``<labels>``: ``{k: v, ...}`` sorted by name, keys and values as ``repr(str)``
  (``{}`` when the sample's labels are None).
* ``<value>``: ``repr(float(value))``. An int beyond float's range prints ``inf`` /
  ``-inf`` (the nearest f64, what fastprom holds). A None value (native-histogram
  samples of the OpenMetrics parser) prints ``-``.
* ``<timestamp>``: ``-`` when None, ``T(sec,nsec)`` for a ``Timestamp`` object,
  ``repr(float(ts))`` otherwise.
* ``<exemplar>``: ``-`` or ``E(<labels>,<value>,<timestamp>)``.
* ``<native>``: ``-`` or ``NH(count=..,sum=..,schema=..,zt=..,zc=..,pos=[o:l,..],
  neg=[..],pd=[..],nd=[..],ex=[<exemplar>;..])`` (floats as above, absent lists empty).

Messages are printed with ``\\r`` and ``\\n`` written as those two-character escapes so
the ERROR line stays one line.

The environment variable PROMETHEUS_LEGACY_NAME_VALIDATION is honoured as by
prometheus_client itself (callers comparing with fastprom's default should unset it).
"""

import argparse
import sys

from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser as text_parser
from prometheus_client.samples import Timestamp


def _float(v):
    if v is None:
        return '-'
    try:
        return repr(float(v))
    except OverflowError:
        # A Python int too large for a float: fastprom's f64 holds the nearest, +-inf.
        return 'inf' if v > 0 else '-inf'


def _labels(labels):
    if not labels:
        return '{}'
    items = sorted(labels.items())
    return '{' + ', '.join(f'{k!r}: {v!r}' for k, v in items) + '}'


def _ts(ts):
    if ts is None:
        return '-'
    if isinstance(ts, Timestamp):
        return f'T({ts.sec},{ts.nsec})'
    return _float(ts)


def _exemplar(e):
    if e is None:
        return '-'
    return f'E({_labels(e.labels)},{_float(e.value)},{_ts(e.timestamp)})'


def _native(n):
    if n is None:
        return '-'
    spans = lambda xs: ','.join(f'{s.offset}:{s.length}' for s in (xs or ()))
    ints = lambda xs: ','.join(str(int(x)) for x in (xs or ()))
    exs = ';'.join(_exemplar(e) for e in (n.nh_exemplars or ()))
    return (f'NH(count={_float(n.count_value)},sum={_float(n.sum_value)},schema={int(n.schema)},'
            f'zt={_float(n.zero_threshold)},zc={_float(n.zero_count)},pos=[{spans(n.pos_spans)}],'
            f'neg=[{spans(n.neg_spans)}],pd=[{ints(n.pos_deltas)}],nd=[{ints(n.neg_deltas)}],ex=[{exs}])')


def dump(families):
    out = []
    for f in families:
        out.append(f'F {f.name!r} {f.type} {f.unit!r} {f.documentation!r}\n')
        for s in f.samples:
            out.append(f'S {s.name!r} {_labels(s.labels)} {_float(s.value)} {_ts(s.timestamp)} '
                       f'{_exemplar(s.exemplar)} {_native(s.native_histogram)}\n')
    return ''.join(out)


def dump_file(path, fmt):
    try:
        with open(path, 'rb') as fh:
            text = fh.read().decode('utf-8')
        if fmt == 'text':
            families = list(text_parser.text_string_to_metric_families(text))
        else:
            families = list(om_parser.text_string_to_metric_families(text))
        return dump(families)
    except Exception as e:  # noqa: BLE001 - every parser exception is a result
        msg = str(e).replace('\r', '\\r').replace('\n', '\\n')
        return f'ERROR {type(e).__name__}: {msg}\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--text', nargs='+', metavar='FILE', help='Prometheus text format file(s)')
    g.add_argument('--openmetrics', nargs='+', metavar='FILE', help='OpenMetrics file(s)')
    args = ap.parse_args()
    fmt, files = ('text', args.text) if args.text else ('openmetrics', args.openmetrics)
    out = sys.stdout.buffer
    if len(files) == 1:
        out.write(dump_file(files[0], fmt).encode('utf-8', 'backslashreplace'))
    else:
        for path in files:
            out.write(f'### FILE {path}\n'.encode('utf-8', 'backslashreplace'))
            out.write(dump_file(path, fmt).encode('utf-8', 'backslashreplace'))
    out.flush()


if __name__ == '__main__':
    main()
