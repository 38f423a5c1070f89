#!/usr/bin/env python3
"""Generate the differential golden files for fastprom's core from prometheus_client 0.26.0.

Every scenario of tools/golden/scenarios.json is run on prometheus_client with its own
CollectorRegistry, `time.time` patched to the scenario's fixed clock, the `_created` toggle
and the legacy name validation switch set as the scenario says. Each exposition it asks for
is written byte for byte to `<out>/<scenario>.<format>.txt`; every exception a step is
expected to raise is recorded in `<out>/errors.json`. core/tests/golden.rs replays the same
scenarios through fastprom and compares.

    .venv/bin/python tools/gen_golden.py                 # writes core/tests/golden/
    .venv/bin/python tools/gen_golden.py --out /tmp/g    # e.g. to diff -r against the committed files

Scenario schema (every float is written as a string so NaN and infinities survive JSON:
"0.5", "nan", "inf", "-inf", "1e+16"; every dict whose order can matter is a list of
[key, value] pairs):

    name              unique, used in file names
    clock             the fixed Unix time `time.time()` returns (string)
    created           the _created toggle (default true)
    legacy_validation default false
    registry          {"auto_describe": bool, "support_collectors_without_names": bool}
    target_info       dict or pairs given to CollectorRegistry(target_info=...)
    metrics           [{id, type: counter|gauge|histogram|summary|info|enum, name, help,
                        labels, namespace, subsystem, unit, buckets, states, expect_error}]
                      created (and so registered) in order
    custom            families one custom collector (collect() only, no describe()) builds
                      at every collect(), registered after the metrics (before them with
                      "custom_first": true; "custom_expect_error": true when registering
                      it must fail)
    ops               [{op, metric, labels | labelkw, value, exemplar, expect_error}]
    restrict          expose registry.restricted_registry(restrict) instead
    formats           text-<esc> | om1-<esc> | om2-<esc>, esc one of underscores, dots,
                      values, allow-utf-8; "default" stands for the four text and four
                      OpenMetrics 1.0.0 formats, "all" for those and OpenMetrics 2.0.0
                      (formats missing: "default")
    error_formats     formats whose exposition must raise
    known_diff        why fastprom is known to differ (golden.rs reports, does not fail)

Ops: labels (just creates the child), inc / inc_by / dec [value], set, set_to_current_time,
set_function (a constant), observe, inc_exemplar [value] + exemplar pairs, observe_exemplar,
state, info (value pairs), remove (labels), remove_by_labels (labelkw), clear, reset,
clock (moves the fixed clock), set_target_info (pairs or null). The child is
`m.labels(*labels)`, `m.labels(**dict(labelkw))`, or the metric itself.

Custom families: {"type": <prometheus_client class name>, name, help, unit, labels (label
names), the constructor's shortcut value fields, "metrics": [add_metric arguments]}; for
"Metric": "metric_type" and "samples": [{name, labels (pairs), value, timestamp, exemplar,
native_histogram}]. A timestamp is a string (float), a JSON integer (int), or
{"sec": s, "nsec": n} (Timestamp(float(s), float(n))). An exemplar is
{"labels": pairs, "value": v, "timestamp": ts}.

errors.json is a list of {scenario, step, type, message, arg0}: `step` is `metric:<i>`,
`custom`, `op:<i>` or `format:<fmt>`; `message` is str(exception) and `arg0` its first
argument (exposition errors get the Metric appended to their args by prometheus_client, so
golden.rs compares those against `arg0`). A DuplicateTimeseries message prints a set, whose
order is arbitrary: it is written with the names sorted and `duplicates` lists them, so the
file is deterministic and golden.rs compares them as a set.
"""

import argparse
import importlib.metadata
import json
import os
import sys
import types
from unittest import mock

from prometheus_client import (
    CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary, metrics,
    validation,
)
from prometheus_client import exposition
from prometheus_client.metrics_core import (
    CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily,
    HistogramMetricFamily, InfoMetricFamily, Metric, StateSetMetricFamily,
    SummaryMetricFamily, UnknownMetricFamily,
)
from prometheus_client.openmetrics import exposition as om
from prometheus_client.registry import DuplicateTimeseries
from prometheus_client.samples import BucketSpan, Exemplar, NativeHistogram, Timestamp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(ROOT, 'tools', 'golden', 'scenarios.json')
DEFAULT_OUT = os.path.join(ROOT, 'core', 'tests', 'golden')

ESCAPINGS = ['underscores', 'dots', 'values', 'allow-utf-8']
DEFAULT_FORMATS = [f'text-{e}' for e in ESCAPINGS] + [f'om1-{e}' for e in ESCAPINGS]
ALL_FORMATS = DEFAULT_FORMATS + [f'om2-{e}' for e in ESCAPINGS]

PROMETHEUS_CLIENT_VERSION = '0.26.0'


class ScenarioError(Exception):
    """The scenario itself is wrong (prometheus_client did not behave as it says)."""


def expand_formats(fmts):
    out = []
    for f in fmts:
        if f == 'default':
            out.extend(DEFAULT_FORMATS)
        elif f == 'all':
            out.extend(ALL_FORMATS)
        else:
            out.append(f)
    return out


def encode(collector, fmt):
    kind, _, esc = fmt.partition('-')
    if esc not in ESCAPINGS:
        raise ScenarioError(f'unknown escaping in format {fmt!r}')
    if kind == 'text':
        return exposition.generate_latest(collector, escaping=esc)
    if kind == 'om1':
        return om.generate_latest(collector, escaping=esc, version='1.0.0')
    if kind == 'om2':
        return om.generate_latest(collector, escaping=esc, version='2.0.0')
    raise ScenarioError(f'unknown format {fmt!r}')


def fl(v):
    """A float from a JSON string (or number)."""
    if isinstance(v, bool):
        raise ScenarioError(f'boolean where a float was expected: {v!r}')
    return float(v)


def pairs(v):
    """A dict from a list of [key, value] pairs or a JSON object, in that order."""
    if v is None:
        return None
    if isinstance(v, dict):
        return dict(v)
    return dict((k, val) for k, val in v)


def ts(v):
    if v is None:
        return None
    if isinstance(v, bool):
        raise ScenarioError(f'bad timestamp {v!r}')
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return float(v)
    if isinstance(v, dict):
        return Timestamp(float(v['sec']), float(v['nsec']))
    raise ScenarioError(f'bad timestamp {v!r}')


def exemplar(v):
    if v is None:
        return None
    return Exemplar(pairs(v['labels']), fl(v['value']), ts(v.get('timestamp')))


def native(v):
    if v is None:
        return None
    spans = lambda xs: [BucketSpan(int(o), int(l)) for o, l in xs] if xs is not None else None
    ints = lambda xs: [int(x) for x in xs] if xs is not None else None
    return NativeHistogram(
        fl(v['count']), fl(v['sum']), int(v['schema']), fl(v['zero_threshold']),
        fl(v['zero_count']),
        pos_spans=spans(v.get('pos_spans')), neg_spans=spans(v.get('neg_spans')),
        pos_deltas=ints(v.get('pos_deltas')), neg_deltas=ints(v.get('neg_deltas')),
        nh_exemplars=[exemplar(e) for e in v['exemplars']] if v.get('exemplars') is not None else None,
    )


def opt(spec, key, conv=lambda x: x):
    return conv(spec[key]) if spec.get(key) is not None else None


def build_family(spec):
    t = spec['type']
    name, doc = spec['name'], spec.get('help', '')
    unit = spec.get('unit', '')
    labels = spec.get('labels')
    entries = spec.get('metrics', [])
    if t == 'Metric':
        m = Metric(name, doc, spec['metric_type'], unit)
        for s in spec.get('samples', []):
            m.add_sample(s['name'], pairs(s.get('labels', [])), fl(s['value']), ts(s.get('timestamp')),
                         exemplar(s.get('exemplar')), native(s.get('native_histogram')))
        return m
    if t == 'CounterMetricFamily':
        m = CounterMetricFamily(name, doc, value=opt(spec, 'value', fl), labels=labels,
                                created=opt(spec, 'created', fl), unit=unit,
                                exemplar=opt(spec, 'exemplar', exemplar))
        for e in entries:
            m.add_metric(e['labels'], fl(e['value']), created=opt(e, 'created', fl),
                         timestamp=ts(e.get('timestamp')), exemplar=opt(e, 'exemplar', exemplar))
        return m
    if t in ('GaugeMetricFamily', 'UnknownMetricFamily'):
        cls = GaugeMetricFamily if t == 'GaugeMetricFamily' else UnknownMetricFamily
        m = cls(name, doc, value=opt(spec, 'value', fl), labels=labels, unit=unit)
        for e in entries:
            m.add_metric(e['labels'], fl(e['value']), timestamp=ts(e.get('timestamp')))
        return m
    if t == 'SummaryMetricFamily':
        m = SummaryMetricFamily(name, doc, count_value=opt(spec, 'count', fl),
                                sum_value=opt(spec, 'sum', fl), labels=labels, unit=unit)
        for e in entries:
            m.add_metric(e['labels'], fl(e['count']), fl(e['sum']), timestamp=ts(e.get('timestamp')))
        return m

    def buckets(bs):
        out = []
        for b in bs:
            if len(b) == 3:
                out.append((b[0], fl(b[1]), exemplar(b[2])))
            else:
                out.append((b[0], fl(b[1])))
        return out

    if t == 'HistogramMetricFamily':
        m = HistogramMetricFamily(name, doc, buckets=opt(spec, 'buckets', buckets),
                                  sum_value=opt(spec, 'sum', fl), labels=labels, unit=unit)
        for e in entries:
            m.add_metric(e['labels'], buckets(e['buckets']), opt(e, 'sum', fl),
                         timestamp=ts(e.get('timestamp')))
        return m
    if t == 'GaugeHistogramMetricFamily':
        m = GaugeHistogramMetricFamily(name, doc, buckets=opt(spec, 'buckets', buckets),
                                       gsum_value=opt(spec, 'gsum', fl), labels=labels, unit=unit)
        for e in entries:
            m.add_metric(e['labels'], buckets(e['buckets']), opt(e, 'gsum', fl),
                         timestamp=ts(e.get('timestamp')))
        return m
    if t == 'InfoMetricFamily':
        m = InfoMetricFamily(name, doc, value=opt(spec, 'value', pairs), labels=labels)
        for e in entries:
            m.add_metric(e['labels'], pairs(e['value']), timestamp=ts(e.get('timestamp')))
        return m
    if t == 'StateSetMetricFamily':
        m = StateSetMetricFamily(name, doc, value=opt(spec, 'value', pairs), labels=labels)
        for e in entries:
            m.add_metric(e['labels'], pairs(e['value']), timestamp=ts(e.get('timestamp')))
        return m
    raise ScenarioError(f'unknown custom family type {t!r}')


class CustomCollector:
    """A custom collector with collect() only (no describe()), building its families anew
    at every collect() as exporters do."""

    def __init__(self, specs):
        self._specs = specs

    def collect(self):
        return [build_family(s) for s in self._specs]


def make_metric(spec, registry):
    kw = dict(
        name=spec['name'],
        documentation=spec.get('help', ''),
        labelnames=spec.get('labels', []),
        namespace=spec.get('namespace', ''),
        subsystem=spec.get('subsystem', ''),
        unit=spec.get('unit', ''),
        registry=registry,
    )
    t = spec['type']
    if t == 'counter':
        return Counter(**kw)
    if t == 'gauge':
        return Gauge(**kw)
    if t == 'summary':
        return Summary(**kw)
    if t == 'histogram':
        if 'buckets' in spec:
            return Histogram(**kw, buckets=[fl(b) for b in spec['buckets']])
        return Histogram(**kw)
    if t == 'info':
        return Info(**kw)
    if t == 'enum':
        return Enum(**kw, states=spec.get('states'))
    raise ScenarioError(f'unknown metric type {t!r}')


def child(m, op):
    if 'labels' in op:
        return m.labels(*op['labels'])
    if 'labelkw' in op:
        return m.labels(**pairs(op['labelkw']))
    return m


def run_op(op, mets, registry, clock):
    kind = op['op']
    if kind == 'clock':
        clock[0] = fl(op['value'])
        return
    if kind == 'set_target_info':
        registry.set_target_info(pairs(op.get('value')))
        return
    m = mets[op['metric']]
    if kind == 'remove':
        m.remove(*op['labels'])
    elif kind == 'remove_by_labels':
        m.remove_by_labels(pairs(op['labelkw']))
    elif kind == 'clear':
        m.clear()
    elif kind == 'labels':
        child(m, op)
    elif kind in ('inc', 'inc_by'):
        c = child(m, op)
        if 'value' in op:
            c.inc(fl(op['value']))
        else:
            c.inc()
    elif kind == 'dec':
        c = child(m, op)
        if 'value' in op:
            c.dec(fl(op['value']))
        else:
            c.dec()
    elif kind == 'set':
        child(m, op).set(fl(op['value']))
    elif kind == 'set_to_current_time':
        child(m, op).set_to_current_time()
    elif kind == 'set_function':
        v = fl(op['value'])
        child(m, op).set_function(lambda: v)
    elif kind == 'observe':
        child(m, op).observe(fl(op['value']))
    elif kind == 'inc_exemplar':
        child(m, op).inc(fl(op.get('value', '1')), exemplar=pairs(op['exemplar']))
    elif kind == 'observe_exemplar':
        child(m, op).observe(fl(op['value']), exemplar=pairs(op['exemplar']))
    elif kind == 'state':
        child(m, op).state(op['value'])
    elif kind == 'info':
        child(m, op).info(pairs(op['value']))
    elif kind == 'reset':
        child(m, op).reset()
    else:
        raise ScenarioError(f'unknown op {kind!r}')


def error_record(scenario, step, exc):
    rec = {
        'scenario': scenario,
        'step': step,
        'type': type(exc).__name__,
        'message': str(exc),
        'arg0': str(exc.args[0]) if exc.args else '',
    }
    if isinstance(exc, DuplicateTimeseries):
        dups = sorted(exc.duplicates)
        msg = 'Duplicated timeseries in CollectorRegistry: {%s}' % ', '.join(repr(d) for d in dups)
        rec['message'] = rec['arg0'] = msg
        rec['duplicates'] = dups
    return rec


def step(sc, name, expect_error, errors, fn):
    """Runs one step; returns whether it succeeded. Raises ScenarioError when the outcome
    is not the one the scenario declares."""
    try:
        fn()
    except ScenarioError:
        raise
    except Exception as e:  # noqa: BLE001 - any exception prometheus_client raises
        if not expect_error:
            raise ScenarioError(f'{sc["name"]} {name}: unexpected {type(e).__name__}: {e}') from e
        errors.append(error_record(sc['name'], name, e))
        return False
    if expect_error:
        raise ScenarioError(f'{sc["name"]} {name}: expected an exception, got none')
    return True


def run_scenario(sc, out_dir, errors):
    name = sc['name']
    clock = [fl(sc['clock'])]
    fake_time = types.SimpleNamespace(time=lambda: clock[0])
    outputs = {}
    # metrics.py is the only module of prometheus_client that reads the clock (`time.time()`
    # for _created, exemplar timestamps and set_to_current_time); it refers to the `time`
    # module through its global `time`, so swapping that global patches exactly those reads.
    with mock.patch.object(metrics, 'time', fake_time):
        try:
            if sc.get('created', True):
                metrics.enable_created_metrics()
            else:
                metrics.disable_created_metrics()
            if sc.get('legacy_validation', False):
                validation.enable_legacy_validation()
            else:
                validation.disable_legacy_validation()
            ropts = sc.get('registry', {})
            registry = CollectorRegistry(
                auto_describe=ropts.get('auto_describe', False),
                target_info=pairs(sc.get('target_info')),
                support_collectors_without_names=ropts.get('support_collectors_without_names', False),
            )
            mets = {}

            def register_custom():
                if sc.get('custom') is not None:
                    step(sc, 'custom', sc.get('custom_expect_error', False), errors,
                         lambda: registry.register(CustomCollector(sc['custom'])))

            if sc.get('custom_first'):
                register_custom()
            for i, mspec in enumerate(sc.get('metrics', [])):
                def create(mspec=mspec):
                    mets[mspec['id']] = make_metric(mspec, registry)
                step(sc, f'metric:{i}', mspec.get('expect_error', False), errors, create)
            if not sc.get('custom_first'):
                register_custom()
            for i, op in enumerate(sc.get('ops', [])):
                step(sc, f'op:{i}', op.get('expect_error', False), errors,
                     lambda op=op: run_op(op, mets, registry, clock))
            source = registry
            if sc.get('restrict') is not None:
                source = registry.restricted_registry(sc['restrict'])
            for fmt in expand_formats(sc.get('formats', ['default'])):
                outputs[fmt] = encode(source, fmt)
            for fmt in expand_formats(sc.get('error_formats', [])):
                step(sc, f'format:{fmt}', True, errors, lambda fmt=fmt: encode(source, fmt))
        finally:
            metrics.enable_created_metrics()
            validation.disable_legacy_validation()
    for fmt, data in outputs.items():
        with open(os.path.join(out_dir, f'{name}.{fmt}.txt'), 'wb') as f:
            f.write(data)
    return len(outputs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT, help='directory to write the golden files to')
    ap.add_argument('--scenarios', default=SCENARIOS, help='scenario file')
    args = ap.parse_args()
    have = importlib.metadata.version('prometheus_client')
    if have != PROMETHEUS_CLIENT_VERSION:
        sys.exit(f'prometheus_client {have} installed, the goldens are of {PROMETHEUS_CLIENT_VERSION}')

    with open(args.scenarios, encoding='utf-8') as f:
        scenarios = json.load(f)
    names = [s['name'] for s in scenarios]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f'duplicate scenario names: {sorted(dup)}')

    os.makedirs(args.out, exist_ok=True)
    # Only files this script writes are removed, so stale goldens do not linger.
    for fn in os.listdir(args.out):
        if fn.endswith('.txt') or fn == 'errors.json':
            os.remove(os.path.join(args.out, fn))

    errors = []
    files = 0
    for sc in scenarios:
        try:
            files += run_scenario(sc, args.out, errors)
        except ScenarioError as e:
            sys.exit(f'scenario error: {e}')
    with open(os.path.join(args.out, 'errors.json'), 'w', encoding='utf-8') as f:
        json.dump(errors, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write('\n')
    print(f'{len(scenarios)} scenarios, {files} golden files, {len(errors)} error cases -> {args.out}')


if __name__ == '__main__':
    main()
