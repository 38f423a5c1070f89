"""Multiprocess mode: prometheus_client 0.26 and fastprom side by side in one process.

    .venv/bin/python bindings-python/bench/multiprocess.py [--quick] [--rounds N] [--only LIB]

Three workloads, each library on its own temporary directory with the same keys and the
same observations, the libraries alternating within every round (medians of the rounds,
ratio = prometheus_client / fastprom):

1. scrape: a directory written by ``--workers`` worker processes (default 50), each with
   one ``Histogram('req_seconds', ..., ['route'])`` (default buckets), ``--routes`` route
   values (default 200) and ``--observations`` observations per route. The workers are
   simulated in this process: before each worker, ``values.ValueClass`` becomes
   ``values.MultiProcessValue(lambda: worker_id)`` (ids 0, 1, ...), which writes the same
   ``histogram_<id>.db`` files a real process with that pid would write. Timed:
   ``generate_latest(registry)`` of a registry holding only ``MultiProcessCollector(path)``,
   and a bare ``list(collector.collect())``. Cross-checked (not timed): the outputs parse to
   the same samples with prometheus_client's text parser (sums to 1e-9 relative), also when
   each library reads the other's directory.
2. update: ``counter.labels('x').inc()``, ``observe(0.1)`` on a kept histogram child and an
   unlabelled ``Counter.inc()`` in multiprocess mode (``MultiProcessValue()``, default
   ``os.getpid``), ns per call, timeit loops.
3. compaction (fastprom only): ``fastprom.multiprocess.compact(path, pids=...)`` folds the
   workers' files, treated as dead, on a fresh copy each round; then the compacted directory's
   scrape against the scrape of a directory holding one worker's files. prometheus_client has
   no compaction: its row shows its scrape of all the workers' files, for reference.

Targets are printed next to the figures; nothing is asserted on speed. The exit status is
non-zero only on errors (a library raising, or a cross-check finding different samples).
"""

import argparse
import filecmp
import gc
import glob
import math
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import timeit

import prometheus_client
import prometheus_client.exposition
import prometheus_client.multiprocess
import prometheus_client.parser
import prometheus_client.values

import fastprom
import fastprom.exposition
import fastprom.multiprocess
import fastprom.values

LIBS = {'prometheus_client': prometheus_client, 'fastprom': fastprom}

SCRAPE_TARGET = 20   # fastprom's scrape at least 20x faster
UPDATE_TARGET = 5    # fastprom's multiprocess updates at least 5x faster

# (label, statement, target speed-up)
UPDATES = [
    ("labelled Counter .labels('x').inc()", "c.labels('x').inc()", UPDATE_TARGET),
    ('kept Histogram child .observe(0.1)', 'h.observe(0.1)', UPDATE_TARGET),
    ('unlabelled Counter .inc()', 'u.inc()', UPDATE_TARGET),
]


def fastprom_multiprocess_ready():
    """True once fastprom's native multiprocess mode is in the installed package."""
    return hasattr(fastprom.multiprocess, 'compact')


# --- building the workers' directory ----------------------------------------------------

def observations(workers, routes, per_route, seed=13):
    """The observed values, per worker then per route: the same for both libraries.
    Exponential around 0.1 s, so every bucket gets some and the sums are not dyadic."""
    rng = random.Random(seed)
    return [[[rng.expovariate(10) for _ in range(per_route)] for _ in range(routes)]
            for _ in range(workers)]


def build(lib, path, observed):
    """Writes ``path`` as len(observed) worker processes would; returns the seconds taken."""
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = path
    saved = lib.values.ValueClass
    start = time.perf_counter()
    try:
        for worker, per_route in enumerate(observed):
            lib.values.ValueClass = lib.values.MultiProcessValue(lambda worker=worker: worker)
            h = lib.Histogram('req_seconds', 'Request latency.', ['route'], registry=None)
            for route, values in enumerate(per_route):
                child = h.labels(f'/api/v1/route/{route}')
                for v in values:
                    child.observe(v)
    finally:
        lib.values.ValueClass = saved
        lib.values.close_all_multiprocess_files()
    return time.perf_counter() - start


def scraper(lib, path):
    """(generate_latest over a registry holding only the collector, bare collect())."""
    registry = lib.CollectorRegistry()
    collector = lib.multiprocess.MultiProcessCollector(registry, path=path)
    generate = lib.exposition.generate_latest
    return (lambda: generate(registry)), (lambda: list(collector.collect()))


def copy_worker_files(src, dst, worker):
    os.makedirs(dst)
    for f in glob.glob(os.path.join(src, f'*_{worker}.db')):
        shutil.copy(f, dst)


# --- timing -------------------------------------------------------------------------------

def interleaved(calls, rounds):
    """Median seconds of each ``calls[name]()``, the names alternating within every round
    (order reversed every other round). gc stays enabled: its passes are part of a scrape."""
    times = {name: [] for name in calls}
    for r in range(rounds):
        for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
            gc.collect()
            t = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}


def per_call(stmt, envs, number, rounds):
    """Median seconds per execution of ``stmt`` in each env, interleaved (timeit loops)."""
    timers = {name: timeit.Timer(stmt, globals=env) for name, env in envs.items()}
    times = {name: [] for name in envs}
    for r in range(rounds):
        for name in (list(timers) if r % 2 == 0 else list(timers)[::-1]):
            times[name].append(timers[name].timeit(number) / number)
    return {name: statistics.median(v) for name, v in times.items()}


def update_env(lib, path):
    """Metrics in multiprocess mode with the default process identifier (os.getpid)."""
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = path
    saved = lib.values.ValueClass
    lib.values.ValueClass = lib.values.MultiProcessValue()
    try:
        env = {
            'c': lib.Counter('mp_hits', 'Hits.', ['path'], registry=None),
            'h': lib.Histogram('mp_latency_seconds', 'Latency.', ['route'], registry=None).labels('/x'),
            'u': lib.Counter('mp_plain', 'Plain.', registry=None),
        }
        env['c'].labels('x').inc()
    finally:
        lib.values.ValueClass = saved
    return env


# --- cross-checks ---------------------------------------------------------------------------

def samples(text):
    """{(sample name, sorted labels): value} of a text exposition, by prometheus_client's parser."""
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for family in prometheus_client.parser.text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def compare(what, expected, got, problems):
    """Appends to ``problems`` how ``got`` differs from ``expected`` (values to 1e-9 relative)."""
    missing, extra = expected.keys() - got.keys(), got.keys() - expected.keys()
    if missing or extra:
        problems.append(f'{what}: {len(missing)} samples missing, {len(extra)} extra '
                        f'(e.g. {sorted(missing or extra)[0]})')
    differ = [k for k in expected.keys() & got.keys()
              if not math.isclose(expected[k], got[k], rel_tol=1e-9, abs_tol=0.0)]
    if differ:
        k = sorted(differ)[0]
        problems.append(f'{what}: {len(differ)} values differ (e.g. {k}: {expected[k]!r} vs {got[k]!r})')
    if not expected:
        problems.append(f'{what}: no samples')


def identical_files(a, b):
    """(files with the same name and bytes, files compared) of two directories' *.db files."""
    names = sorted(os.path.basename(f) for f in glob.glob(os.path.join(a, '*.db')))
    match, _, _ = filecmp.cmpfiles(a, b, names, shallow=False)
    return len(match), len(names)


# --- output ---------------------------------------------------------------------------------

def fmt(seconds):
    if seconds is None:
        return '—'
    if seconds >= 1:
        return f'{seconds:.2f} s'
    if seconds >= 1e-3:
        return f'{seconds * 1e3:.2f} ms'
    if seconds >= 1e-6:
        return f'{seconds * 1e6:.2f} us'
    return f'{seconds * 1e9:.1f} ns'


class Table:
    def __init__(self):
        self.rows = []

    def add(self, workload, pc, fp, target='', ratio=None):
        """A row; ``target`` is a minimum speed-up (number) or a free text; ``ratio``
        defaults to pc / fp (a float), or is given as text."""
        if ratio is None and pc is not None and fp is not None:
            ratio = pc / fp
        if isinstance(target, (int, float)):
            verdict = '' if ratio is None else (' yes' if ratio >= target else ' NO')
            target = f'>= {target}x{verdict}'
        if isinstance(ratio, float):
            ratio = f'{ratio:.1f}x'
        self.rows.append((workload, fmt(pc), fmt(fp), ratio or '—', target))

    def print(self):
        print('| workload | prometheus_client | fastprom | ratio | target |')
        print('|---|---:|---:|---:|---|')
        for row in self.rows:
            print('| ' + ' | '.join(row) + ' |')


# --- the run ---------------------------------------------------------------------------------

def run(args, libs, tmp, table, problems):
    w, routes, per_route = args.workers, args.routes, args.observations
    observed = observations(w, routes, per_route)
    keys = routes * (15 + 1)  # 14 default bounds + +Inf, and the sum, per route
    print(f'Building {w} simulated workers x {routes} routes x {per_route} observations '
          f'({keys:,} keys per worker file) per library...', file=sys.stderr)
    dirs, built = {}, {}
    for name, lib in libs.items():
        dirs[name] = os.path.join(tmp, f'{name}-workers')
        os.makedirs(dirs[name])
        built[name] = build(lib, dirs[name], observed)

    # 1. scrape
    scrapes = {name: scraper(lib, dirs[name]) for name, lib in libs.items()}
    outputs = {name: s[0]() for name, s in scrapes.items()}  # warm-up, and the cross-check
    print('Timing scrapes...', file=sys.stderr)
    gen = interleaved({n: s[0] for n, s in scrapes.items()}, args.rounds)
    col = interleaved({n: s[1] for n, s in scrapes.items()}, args.rounds)
    table.add(f'build: {w} workers\' files (simulated, one shot)', built.get('prometheus_client'),
              built.get('fastprom'))
    table.add(f'scrape {w} files: generate_latest(registry)', gen.get('prometheus_client'),
              gen.get('fastprom'), SCRAPE_TARGET)
    table.add(f'scrape {w} files: collector.collect()', col.get('prometheus_client'),
              col.get('fastprom'), SCRAPE_TARGET)

    reference = samples(outputs['prometheus_client']) if 'prometheus_client' in libs else None
    if len(libs) == 2:
        compare('fastprom vs prometheus_client, each on its own files', reference,
                samples(outputs['fastprom']), problems)
        compare("fastprom reading prometheus_client's files", reference,
                samples(scraper(fastprom, dirs['prometheus_client'])[0]()), problems)
        compare("prometheus_client reading fastprom's files", reference,
                samples(scraper(prometheus_client, dirs['fastprom'])[0]()), problems)
        same, total = identical_files(dirs['prometheus_client'], dirs['fastprom'])
        print(f'Note: {same} of {total} worker files are byte-identical between the libraries.',
              file=sys.stderr)

    # 2. update
    print('Timing updates...', file=sys.stderr)
    envs = {}
    for name, lib in libs.items():
        path = os.path.join(tmp, f'{name}-update')
        os.makedirs(path)
        envs[name] = update_env(lib, path)
    for label, stmt, target in UPDATES:
        t = per_call(stmt, envs, args.number, args.rounds)
        table.add(f'update: {label}', t.get('prometheus_client'), t.get('fastprom'), target)

    # 3. compaction
    print('Timing compaction...', file=sys.stderr)
    one = {}
    for name in libs:
        one[name] = os.path.join(tmp, f'{name}-one-worker')
        copy_worker_files(dirs[name], one[name], 0)
    compacted = compact_time = None
    if 'fastprom' in libs:
        times = []
        for r in range(args.rounds):
            compacted = os.path.join(tmp, f'fastprom-compacted-{r}')
            shutil.copytree(dirs['fastprom'], compacted)
            t = time.perf_counter()
            report = fastprom.multiprocess.compact(compacted, pids=list(range(w)))
            times.append(time.perf_counter() - t)
            if r < args.rounds - 1:
                shutil.rmtree(compacted)
        compact_time = statistics.median(times)
        print(f'Note: compact() returned {report}; left: {sorted(os.listdir(compacted))}', file=sys.stderr)
        after = samples(scraper(fastprom, compacted)[0]())
        if 'prometheus_client' in libs:
            compare('fastprom on the compacted files', reference, after, problems)
        compare('fastprom on the compacted files vs before compaction', samples(outputs['fastprom']),
                after, problems)
    calls = {name: scraper(lib, one[name])[0] for name, lib in libs.items()}
    if compacted is not None:
        calls['compacted'] = scraper(fastprom, compacted)[0]
    scrape = interleaved(calls, args.rounds)
    table.add(f'compact(path, pids=<{w} dead workers>)', None, compact_time)
    table.add(f'scrape compacted dir (prometheus_client: its {w} files)', gen.get('prometheus_client'),
              scrape.get('compacted'), 'reference')
    table.add("scrape one worker's files", scrape.get('prometheus_client'), scrape.get('fastprom'))
    if compacted is not None:
        ratio = scrape['compacted'] / scrape['fastprom']
        table.add("fastprom: compacted scrape / one worker's scrape", None, None,
                  f'<= 1.00x {"yes" if ratio <= 1 else "NO"}', ratio=f'{ratio:.2f}x')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true',
                    help='a smoke run: 10 workers x 50 routes, 3 rounds, 20,000 calls per update timing')
    ap.add_argument('--rounds', type=int, help='rounds per workload, the median is shown (default 5, --quick 3)')
    ap.add_argument('--workers', type=int, help='simulated worker processes (default 50, --quick 10)')
    ap.add_argument('--routes', type=int, help="label values of req_seconds's route (default 200, --quick 50)")
    ap.add_argument('--observations', type=int, default=3, help='observations per route and worker (default 3)')
    ap.add_argument('--number', type=int, help='calls per update timing (default 200,000, --quick 20,000)')
    ap.add_argument('--only', choices=sorted(LIBS), help='run one library only')
    args = ap.parse_args()
    quick = args.quick
    for opt, full, small in (('rounds', 5, 3), ('workers', 50, 10), ('routes', 200, 50), ('number', 200_000, 20_000)):
        if getattr(args, opt) is None:
            setattr(args, opt, small if quick else full)
        if getattr(args, opt) < 1:
            ap.error(f'--{opt} must be at least 1')

    libs = {n: lib for n, lib in LIBS.items() if args.only in (None, n)}
    if 'fastprom' in libs and not fastprom_multiprocess_ready():
        print('error: the installed fastprom has no native multiprocess mode yet '
              '(fastprom.multiprocess.compact is missing); rebuild it, or run with '
              '--only prometheus_client', file=sys.stderr)
        return 2

    saved_env = os.environ.pop('PROMETHEUS_MULTIPROC_DIR', None)
    table, problems = Table(), []
    try:
        with tempfile.TemporaryDirectory(prefix='fastprom-bench-mp-') as tmp:
            try:
                run(args, libs, tmp, table, problems)
            finally:
                for lib in libs.values():
                    lib.values.close_all_multiprocess_files()
    finally:
        os.environ.pop('PROMETHEUS_MULTIPROC_DIR', None)
        if saved_env is not None:
            os.environ['PROMETHEUS_MULTIPROC_DIR'] = saved_env

    print(f'$ {shlex.join([os.path.relpath(sys.executable) if sys.executable else "python"] + sys.argv)}')
    print(f'Python {sys.version.split()[0]}, prometheus_client {prometheus_client_version()}; '
          f'{args.workers} simulated workers x {args.routes} routes x {args.observations} observations; '
          f'median of {args.rounds} rounds, libraries interleaved; '
          f'{args.number:,} calls per update timing; load average {os.getloadavg()[0]:.2f}')
    print()
    table.print()
    if problems:
        print()
        for p in problems:
            print(f'cross-check FAILED: {p}')
        return 1
    if len(libs) == 2:
        print()
        print('Cross-checks passed: same samples from both libraries, from each reading the '
              "other's files, and from fastprom after compaction.")
    return 0


def prometheus_client_version():
    from importlib.metadata import version
    return version('prometheus_client')


if __name__ == '__main__':
    sys.exit(main())
