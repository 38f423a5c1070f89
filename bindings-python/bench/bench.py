"""Side-by-side timings of prometheus_client and fastprom in one process.

    python bindings-python/bench/bench.py [--runs N] [--series N] [--parse-series N]

Each workload is timed with ``timeit`` on both libraries (median of ``--runs`` runs, each
of many calls for the per-call workloads); the table gives the time per call, fastprom's
speed-up and the project's target for it. ``(1).bit_length()`` is the baseline for the
cost of the cheapest Python method call.

The parser section parses one exposition, written by prometheus_client itself in the text
format and in OpenMetrics (``--parse-series`` samples of counters, gauges and histograms),
with both libraries' ``text_string_to_metric_families``, consuming every family (Python
objects included). Nothing is asserted: the figures are for reading.
"""

import argparse
import statistics
import sys
import timeit

import fastprom
import fastprom.openmetrics.exposition
import fastprom.openmetrics.parser
import fastprom.parser
import prometheus_client
import prometheus_client.openmetrics.exposition
import prometheus_client.openmetrics.parser
import prometheus_client.parser

LIBS = (('prometheus_client', prometheus_client), ('fastprom', fastprom))


def per_call(stmt, env, number, runs):
    """Median seconds per execution of ``stmt``."""
    t = timeit.Timer(stmt, globals=env)
    return statistics.median(t.timeit(number) / number for _ in range(runs))


def setup(lib, series):
    r = lib.CollectorRegistry()
    env = {
        'c': lib.Counter('bench_counter', 'A counter.', registry=r),
        'g': lib.Gauge('bench_gauge', 'A gauge.', registry=r),
        'h': lib.Histogram('bench_histogram', 'A histogram.', registry=r),
        'l': lib.Counter('bench_labelled', 'A labelled counter.', ['method', 'path', 'code'], registry=r),
    }
    env['l'].labels('GET', '/api/v1/items', '200').inc()
    big = lib.CollectorRegistry()
    family = lib.Counter('http_requests', 'Requests served.', ['method', 'path'], registry=big)
    methods = ('GET', 'POST', 'PUT', 'DELETE')
    for i in range(series):
        family.labels(methods[i % 4], f'/api/v1/resource/{i}').inc(i)
    env['big'] = big
    env['text'] = lib.exposition.generate_latest
    env['om'] = lib.openmetrics.exposition.generate_latest
    return env


# (name, statement, calls per run, target speed-up over prometheus_client)
WORKLOADS = [
    ('Counter.inc()', 'c.inc()', 200_000, 5),
    ('Gauge.set(1.5)', 'g.set(1.5)', 200_000, 5),
    ('Histogram.observe(0.3)', 'h.observe(0.3)', 200_000, 5),
    ("labels('GET', '/api/v1/items', '200').inc()", "l.labels('GET', '/api/v1/items', '200').inc()", 100_000, 8),
    ('generate_latest (text)', 'text(big)', 1, 30),
    ('generate_latest (OpenMetrics)', 'om(big)', 1, 30),
]


def exposition(series):
    """prometheus_client's text and OpenMetrics output for about ``series`` samples: 40%
    labelled counters (``_total`` and ``_created``), 50% gauges, 10% histograms."""
    pc = prometheus_client
    r = pc.CollectorRegistry()
    c = pc.Counter('http_requests', 'Requests served.', ['method', 'path', 'code'], registry=r)
    g = pc.Gauge('queue_depth', 'Items waiting.', ['queue', 'shard'], registry=r)
    h = pc.Histogram('request_latency_seconds', 'Latency.', ['method', 'route'], registry=r)
    methods = ('GET', 'POST', 'PUT', 'DELETE')
    per_histogram = len(h._upper_bounds) + 3  # buckets, _count, _sum, _created
    histograms = series // 10 // per_histogram
    counters = series * 4 // 10 // 2
    for i in range(counters):
        c.labels(methods[i % 4], f'/api/v1/resource/{i}', '200').inc(i)
    for i in range(series - counters * 2 - histograms * per_histogram):
        g.labels(f'q{i % 50}', str(i)).set(i * 0.5)
    for i in range(histograms):
        child = h.labels(methods[i % 4], f'/route/{i}')
        for j in range(20):
            child.observe(j * 0.01 * (i % 7))
    return (pc.exposition.generate_latest(r).decode(),
            pc.openmetrics.exposition.generate_latest(r).decode())


# (name, parser module attribute path, input key, target speed-up)
PARSERS = [
    ('parser.text_string_to_metric_families', ('parser',), 'text', 15),
    ('openmetrics.parser.text_string_to_metric_families', ('openmetrics', 'parser'), 'om', 15),
]


def parse_time(lib, path, text, runs):
    """Median seconds of ``list(text_string_to_metric_families(text))``, and the sample count."""
    module = lib
    for part in path:
        module = getattr(module, part)
    parse = module.text_string_to_metric_families
    times, families = [], []
    for _ in range(runs):
        t = timeit.default_timer()
        families = list(parse(text))
        times.append(timeit.default_timer() - t)
    return statistics.median(times), sum(len(f.samples) for f in families)


def fmt(seconds):
    if seconds >= 1e-3:
        return f'{seconds * 1e3:9.2f} ms'
    if seconds >= 1e-6:
        return f'{seconds * 1e6:9.2f} us'
    return f'{seconds * 1e9:9.1f} ns'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=7, help='runs per workload (the median is shown)')
    ap.add_argument('--series', type=int, default=20_000, help='series in the generate_latest registry')
    ap.add_argument('--parse-series', type=int, default=10_000, help='samples in the parsed exposition')
    args = ap.parse_args()

    envs = {name: setup(lib, args.series) for name, lib in LIBS}
    baseline = per_call('(1).bit_length()', {}, 1_000_000, args.runs)

    print(f'Python {sys.version.split()[0]}; median of {args.runs} runs; '
          f'generate_latest over {args.series:,} series')
    header = f"{'workload':46} {'prometheus_client':>17} {'fastprom':>12} {'speed-up':>9} {'target':>7}"
    print(header)
    print('-' * len(header))
    fastprom_inc = None
    for name, stmt, number, target in WORKLOADS:
        runs = args.runs if number > 1 else max(3, args.runs // 2 + 1)
        ref = per_call(stmt, envs['prometheus_client'], number, runs)
        got = per_call(stmt, envs['fastprom'], number, runs)
        if stmt == 'c.inc()':
            fastprom_inc = got
        ratio = ref / got
        mark = 'yes' if ratio >= target else 'NO'
        print(f'{name:46} {fmt(ref):>17} {fmt(got):>12} {ratio:8.1f}x {target:>5}x {mark}')
    print(f"{'(1).bit_length() baseline':46} {fmt(baseline):>17}")
    if fastprom_inc is not None:
        ratio = fastprom_inc / baseline
        mark = 'yes' if ratio <= 2.5 else 'NO'
        print(f'fastprom Counter.inc() / (1).bit_length() = {ratio:.2f} (target <= 2.5) {mark}')

    inputs = dict(zip(('text', 'om'), exposition(args.parse_series)))
    print()
    print(f'Parsers: one exposition written by prometheus_client, {len(inputs["text"]):,} bytes (text) / '
          f'{len(inputs["om"]):,} bytes (OpenMetrics); list() of every family, objects included')
    header = f"{'parser':52} {'prometheus_client':>17} {'fastprom':>12} {'speed-up':>9} {'target':>7}"
    print(header)
    print('-' * len(header))
    for name, path, key, target in PARSERS:
        ref, n = parse_time(prometheus_client, path, inputs[key], max(3, args.runs // 2 + 1))
        got, m = parse_time(fastprom, path, inputs[key], max(5, args.runs))
        assert n == m, (n, m)
        ratio = ref / got
        mark = 'yes' if ratio >= target else 'NO'
        print(f'{name:52} {fmt(ref):>17} {fmt(got):>12} {ratio:8.1f}x {target:>5}x {mark}')
        print(f"{'  per sample (' + format(n, ',') + ' samples)':52} {fmt(ref / n):>17} {fmt(got / n):>12}")


if __name__ == '__main__':
    main()
