"""Jobs that worker processes run in test_multiprocess.py.

Each job takes the library to drive ('fastprom' or 'prometheus_client') by name and
writes through that library's multi-process cells. The functions are importable, so
multiprocessing can hand them to forked or spawned children, and the module is a script,
so plain subprocesses can run them:

    python mp_jobs.py JOB LIBRARY [ARG ...]

A subprocess finds the directory in ``PROMETHEUS_MULTIPROC_DIR`` and so uses the
library's default cell class, chosen when the library is imported.
"""

import importlib
import sys

# The crash writer's bound on steps: far more than it can do before it is killed.
CRASH_WRITER_STEPS = 200_000


def _lib(name):
    return importlib.import_module(name)


def count(name, n):
    """``n`` steps of a counter (split by parity) and a histogram (0, 0.25, 0.5, 0.75 in
    turn: dyadic, so every total is exact)."""
    lib = _lib(name)
    jobs = lib.Counter('jobs', 'Jobs done.', ['parity'], registry=None)
    took = lib.Histogram('job_seconds', 'Job duration.', buckets=(0.25, 1), registry=None)
    for i in range(n):
        jobs.labels('even' if i % 2 == 0 else 'odd').inc()
        took.observe((i % 4) * 0.25)


def expected_count_totals(workers, n):
    """What ``workers`` runs of ``count(name, n)`` add up to, as collected samples."""
    even = (n + 1) // 2
    steps = [(i % 4) * 0.25 for i in range(n)]
    return {
        ('jobs_total', (('parity', 'even'),)): workers * even,
        ('jobs_total', (('parity', 'odd'),)): workers * (n - even),
        ('job_seconds_bucket', (('le', '0.25'),)): workers * sum(1 for v in steps if v <= 0.25),
        ('job_seconds_bucket', (('le', '1.0'),)): workers * n,
        ('job_seconds_bucket', (('le', '+Inf'),)): workers * n,
        ('job_seconds_count', ()): workers * n,
        ('job_seconds_sum', ()): workers * sum(steps),
    }


def tenths(name, n, children):
    """What a worker later compacted leaves behind: ``n`` steps of 0.1 (not dyadic, so sums
    depend on rounding) on a counter only such workers touch, on a counter the live worker
    also touches, on a histogram and a summary, spread over ``children`` label values; and
    an 'all' gauge, whose file compaction must leave alone."""
    lib = _lib(name)
    dead_only = lib.Counter('dead_only', 'Only workers that exit touch this.', ['slot'], registry=None)
    shared = lib.Counter('shared', 'Every worker touches this.', registry=None)
    sizes = lib.Histogram('sizes', 'Sizes.', ['slot'], buckets=(0.05, 0.2, 1), registry=None)
    payload = lib.Summary('payload', 'Payloads.', registry=None)
    lib.Gauge('last_slot', 'A gauge per worker.', multiprocess_mode='all', registry=None).set(children)
    for i in range(n):
        slot = str(i % children)
        dead_only.labels(slot).inc(0.1)
        shared.inc(0.1)
        sizes.labels(slot).observe(0.1 if i % 3 else 0.3)
        payload.observe(0.1)


def live(name):
    """Stays alive and obeys lines on stdin: ``inc N`` adds N steps of 0.1 to the shared
    counter and answers ``done``; ``spin`` answers ``spinning`` and from then on writes
    without pause (new label values on a counter of its own) until killed; end of input
    ends the process."""
    lib = _lib(name)
    shared = lib.Counter('shared', 'Every worker touches this.', registry=None)
    busy = lib.Counter('live_only', 'Only the live worker touches this.', ['k'], registry=None)
    print('ready', flush=True)
    for line in iter(sys.stdin.readline, ''):
        command = line.split()
        if command[0] == 'inc':
            for _ in range(int(command[1])):
                shared.inc(0.1)
            print('done', flush=True)
        elif command[0] == 'spin':
            print('spinning', flush=True)
            i = 0
            while True:
                busy.labels(str(i % 5000)).inc()
                i += 1


def crash_writer(name, run):
    """Writes until killed: each step adds a new child of ``writer_children`` (so the file
    keeps growing) and increments it, then increments ``writer_steps``. Whatever moment it
    dies at, steps <= children at 1 <= steps + 1, and no child exceeds 1."""
    lib = _lib(name)
    steps = lib.Counter('writer_steps', 'Steps completed.', ['run'], registry=None).labels(run)
    children = lib.Counter('writer_children', 'One child per step.', ['run', 'step'], registry=None)
    print('started', flush=True)
    for step in range(CRASH_WRITER_STEPS):
        children.labels(run, str(step)).inc()
        steps.inc()


JOBS = {
    'count': lambda name, n: count(name, int(n)),
    'tenths': lambda name, n, children: tenths(name, int(n), int(children)),
    'live': live,
    'crash-writer': crash_writer,
}

if __name__ == '__main__':
    JOBS[sys.argv[1]](*sys.argv[2:])
