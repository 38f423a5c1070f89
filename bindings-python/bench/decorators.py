"""time(), count_exceptions() and track_inprogress(), as decorators and as context
managers, and a kept labelled child's inc(): fastprom and prometheus_client 0.26 side by
side in one process, each workload's libraries alternating within every run.

    .venv/bin/python bindings-python/bench/decorators.py [--runs 7]

Prints the median ns per call of each library, the speed-up and the issue's target.
"""

import argparse
import statistics
import timeit

import prometheus_client

import fastprom

LIBS = {'prometheus_client': prometheus_client, 'fastprom': fastprom}


def setup(lib):
    reg = lib.CollectorRegistry()
    s = lib.Summary('req_seconds', 'Request time.', registry=reg)
    h = lib.Histogram('lat_seconds', 'Latency.', registry=reg)
    c = lib.Counter('errors', 'Errors.', registry=reg)
    g = lib.Gauge('busy', 'Busy.', registry=reg)
    u = lib.Counter('plain', 'Plain.', registry=reg)
    labelled = lib.Counter('hits', 'Hits.', ['method', 'path', 'code'], registry=reg)

    @s.time()
    def timed():
        return 1

    @c.count_exceptions()
    def counted():
        return 1

    @g.track_inprogress()
    def tracked():
        return 1

    return {'s': s, 'h': h, 'c': c, 'g': g, 'u': u, 'timed': timed, 'counted': counted, 'tracked': tracked,
            'child': labelled.labels('GET', '/api/v1/items', '200')}


WORKLOADS = [
    # (label, statement, calls per timing, target speed-up)
    ('@summary.time() decorated call', 'timed()', 200_000, 5),
    ('with histogram.time()', 'with h.time(): pass', 200_000, 5),
    ('@count_exceptions() decorated call', 'counted()', 200_000, 3),
    ('with count_exceptions()', 'with c.count_exceptions(): pass', 200_000, 3),
    ('@track_inprogress() decorated call', 'tracked()', 200_000, 5),
    ('with track_inprogress()', 'with g.track_inprogress(): pass', 200_000, 5),
    ("a kept labelled child's inc()", 'child.inc()', 500_000, 5),
    ('an unlabelled Counter.inc()', 'u.inc()', 500_000, None),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=7)
    args = ap.parse_args()
    envs = {name: setup(lib) for name, lib in LIBS.items()}
    baseline = statistics.median(timeit.repeat('(1).bit_length()', number=1_000_000, repeat=args.runs)) * 1e3
    print(f'{"workload":<40} {"prometheus_client":>18} {"fastprom":>10} {"speed-up":>9}  target')
    for label, stmt, number, target in WORKLOADS:
        per = {name: [] for name in LIBS}
        for _ in range(args.runs):
            for name in LIBS:
                per[name].append(timeit.timeit(stmt, globals=envs[name], number=number) / number * 1e9)
        pc, fp = (statistics.median(per[n]) for n in ('prometheus_client', 'fastprom'))
        verdict = '' if target is None else f'{target}x {"yes" if pc / fp >= target else "NO"}'
        print(f'{label:<40} {pc:>15.1f} ns {fp:>7.1f} ns {pc / fp:>8.1f}x  {verdict}')
    print(f'(1).bit_length() baseline: {baseline:.1f} ns')


if __name__ == '__main__':
    main()
