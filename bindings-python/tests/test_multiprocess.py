"""Multi-process mode (``PROMETHEUS_MULTIPROC_DIR``) against prometheus_client 0.26.

* The same calls leave byte-identical ``.db`` files under both libraries.
* Each library's collector reads the other's directories and reports the same samples;
  the exposition of a directory is byte-identical.
* Real worker processes (fork, spawn, subprocess) add up; a forked child writes its own
  files; a writer SIGKILLed mid-write leaves files both readers accept.
* fastprom's additions: damaged files are skipped with a warning and counted, and
  ``compact()`` folds dead processes' files without changing any total, even while
  scrapes and writes go on.
* ``MmapedDict`` and ``mmap_key`` behave as prometheus_client's.

Each library gets a directory of its own. A library is switched into multi-process mode by
pointing the environment variable at its directory and assigning a ``MultiProcessValue``
class to ``values.ValueClass`` (``shared_values``); ``MutexValue`` is put back afterwards.
"""

import contextlib
import glob
import importlib
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
import warnings

import pytest

import prometheus_client
import prometheus_client.mmap_dict

import mp_jobs
from conftest import LIBS

MP_JOBS = os.path.abspath(mp_jobs.__file__)
MODES = ('all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum',
         'mostrecent', 'livemostrecent')
MOSTRECENT_MODES = ('mostrecent', 'livemostrecent')
LIVENESS_TIMEOUT = 60
SKIPPED = 'fastprom_multiprocess_skipped_files'


# --- helpers ----------------------------------------------------------------------------

def submodule(name, sub):
    return importlib.import_module(f'{name}.{sub}')


@contextlib.contextmanager
def shared_values(monkeypatch, name, directory, ident=os.getpid):
    """Library ``name`` in multi-process mode: metrics created inside the block write to
    ``directory`` as process ``ident()``. Yields the library's top-level module."""
    values = submodule(name, 'values')
    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', str(directory))
    cls = values.MultiProcessValue(ident)
    values.ValueClass = cls
    try:
        yield importlib.import_module(name)
    finally:
        cls.close_all_files()
        values.ValueClass = values.MutexValue


def collector(name, directory):
    return submodule(name, 'multiprocess').MultiProcessCollector(None, path=str(directory))


def rows(families):
    """Every sample of ``families`` as a sortable tuple, sorted."""
    out = []
    for family in families:
        for s in family.samples:
            out.append((family.name, family.type, family.documentation, s.name,
                        tuple(sorted(s.labels.items())), s.value, s.timestamp))
    return sorted(out)


def collected(name, directory):
    return rows(collector(name, directory).collect())


def values_of(sample_rows):
    """{(sample name, labels): value} of ``rows`` output."""
    return {(r[3], r[4]): r[5] for r in sample_rows}


def db_files(directory):
    """The sorted names of the ``.db`` files in ``directory`` (fastprom's collectors also
    keep a lock file there)."""
    return sorted(f for f in os.listdir(directory) if f.endswith('.db'))


def files_in(directory):
    return {name: (directory / name).read_bytes() for name in db_files(directory)}


def parse_db(data):
    """(used, [(key bytes, value, timestamp, offset of value)]) of a ``.db`` file, read from
    the layout alone: a 4-byte used length, 4 bytes of padding, then entries of a 4-byte key
    length, the key, spaces up to 8-byte alignment, and two doubles."""
    used = struct.unpack_from('i', data, 0)[0]
    entries, pos = [], 8
    while pos < used:
        size = struct.unpack_from('i', data, pos)[0]
        key = data[pos + 4:pos + 4 + size]
        pos += 4 + size + 8 - (size + 4) % 8
        value, timestamp = struct.unpack_from('dd', data, pos)
        entries.append((key, value, timestamp, pos))
        pos += 16
    return used, entries


def encode_entry(key, value=0.0, timestamp=0.0, declared=None):
    """One entry of a ``.db`` file; ``declared`` overrides the key length written."""
    padding = 8 - (len(key) + 4) % 8
    return (struct.pack('i', len(key) if declared is None else declared) + key + b' ' * padding
            + struct.pack('dd', value, timestamp))


def encode_db(entries, used=None, size=1 << 16):
    body = b''.join(entries)
    data = struct.pack('i', 8 + len(body) if used is None else used) + bytes(4) + body
    return data + bytes(max(0, size - len(data)))


def db_key(metric, sample, labels, help_text):
    return json.dumps([metric, sample, labels, help_text], sort_keys=True).encode()


def clock_moves_on():
    """Returns once time.time() has moved past its value at the call, so a mostrecent
    gauge set afterwards carries a strictly later timestamp."""
    start = time.time()
    while time.time() <= start:
        pass


def wait_until(condition, what, timeout=LIVENESS_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.01)


def job_env(directory):
    env = {k: v for k, v in os.environ.items() if k.lower() != 'prometheus_multiproc_dir'}
    env['PROMETHEUS_MULTIPROC_DIR'] = str(directory)
    return env


def start_job(directory, *args, **popen):
    return subprocess.Popen([sys.executable, MP_JOBS, *map(str, args)], env=job_env(directory),
                            text=True, **popen)


def run_jobs(directory, *arg_lists):
    """Runs ``mp_jobs.py`` once per argument list, all at once; returns their pids once all
    have exited successfully."""
    procs = [start_job(directory, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for args in arg_lists]
    for p in procs:
        _, err = p.communicate(timeout=LIVENESS_TIMEOUT)
        assert p.returncode == 0, err
    return [p.pid for p in procs]


@pytest.fixture
def processes():
    """A list to append Popen objects to; those still running at the end are killed."""
    started = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=LIVENESS_TIMEOUT)
        for stream in (p.stdin, p.stdout, p.stderr):
            if stream:
                stream.close()


# --- scenarios: the same calls under either library --------------------------------------

def counters_scenario(lib):
    plain = lib.Counter('requests', 'Requests served.', registry=None)
    plain.inc()
    plain.inc(2.5)
    errors = lib.Counter('errors_total', 'Errors.', ['code', 'path'], registry=None)
    errors.labels('500', '/a').inc(3)
    errors.labels(code='404', path='/b').inc()
    errors.labels('500', '/a').inc(0.25)
    lib.Counter('bytes', 'Bytes.', namespace='app', subsystem='io', unit='bytes', registry=None).inc(1e20)
    lib.Counter('zero', 'Never incremented.', registry=None)
    lib.Counter('parent_only', 'A labelled parent has no value of its own.', ['x'], registry=None)
    # A second object for the same series starts from the value already in the file.
    lib.Counter('requests', 'Requests served.', registry=None).inc(10)
    # Info and Enum keep their values in the process: no file.
    lib.Info('build', 'Build.', registry=None).info({'version': '1'})
    lib.Enum('phase', 'Phase.', states=['a', 'b'], registry=None).state('b')


def gauges_scenario(lib):
    for mode in MODES:
        g = lib.Gauge(f'g_{mode}', f'A gauge in {mode} mode.', ['shard'], multiprocess_mode=mode, registry=None)
        g.labels('a').set(4)
        g.labels('b').set(-1.5)
        if mode in MOSTRECENT_MODES:
            g.labels('a').set(7.25)
        else:
            g.labels('a').inc(2)
            g.labels('b').dec(0.5)
            g.labels('c').inc()
    lib.Gauge('default_mode', 'No mode given.', registry=None).set(3)


def histograms_scenario(lib):
    h = lib.Histogram('latency_seconds', 'Latency.', ['route'], buckets=(0.1, 0.5, 1, 2.5), registry=None)
    for v in (0.05, 0.1, 0.3, 0.5, 0.75, 1, 3, 100, -1):
        h.labels('/a').observe(v)
    h.labels('/b').observe(2.5)
    d = lib.Histogram('default_buckets', 'Default buckets.', registry=None)
    d.observe(0.007)
    d.observe(12)
    odd = lib.Histogram('odd_bounds', 'Bounds Go formats with exponents.', buckets=(1e-9, 0.001, 1, 2, 1e10),
                        registry=None)
    odd.observe(5e-10)
    odd.observe(float('inf'))
    lib.Histogram('one_bound', 'One bound and +Inf.', buckets=[0], registry=None).observe(1)


def summaries_scenario(lib):
    s = lib.Summary('payload_bytes', 'Payloads.', ['kind'], registry=None)
    for v in (1, 2.5, 1024):
        s.labels('json').observe(v)
    s.labels('xml').observe(0.125)
    lib.Summary('plain_summary', 'Plain.', registry=None).observe(3)


ODD_VALUES = ['é', '日本語', '😀', '"quoted"', "it's", 'back\\slash', 'new\nline', 'tab\tcr\r',
              '\x00nul', '\x08\x0c\x1f', '\x7f', '\u2028', 'a/b c=d{}', '']
ODD_HELP = ['Quotes "here" and \'there\'.', 'Back\\slash and new\nline.', 'Non-ASCII: é 日本 😀 \u2028.', '']


def odd_text_scenario(lib):
    c = lib.Counter('odd', 'Odd label values.', ['v', 'i'], registry=None)
    for i, v in enumerate(ODD_VALUES):
        c.labels(v, str(i)).inc(i + 1)
    g = lib.Gauge('odd_gauge', 'Odd values, max mode.', ['v'], multiprocess_mode='max', registry=None)
    h = lib.Histogram('odd_histogram', 'Odd values.', ['v'], buckets=(1,), registry=None)
    for v in ODD_VALUES[:6]:
        g.labels(v).set(len(v))
        h.labels(v).observe(len(v))
    # Keys are sorted by code point in the file's JSON: 'Alpha' < 'alpha' < 'zeta' < 'é'.
    lib.Counter('sorted_names', 'Label names out of order.', ['zeta', 'é', 'alpha', 'Alpha'],
                registry=None).labels('1', '2', '3', '4').inc()
    for i, text in enumerate(ODD_HELP):
        lib.Counter(f'odd_help_{i}', text, registry=None).inc()
        lib.Gauge(f'odd_help_gauge_{i}', text, multiprocess_mode='livesum', registry=None).set(i)


def big_file_scenario(lib):
    c = lib.Counter('many', 'Enough children to grow the file past 64 KiB twice.', ['i'], registry=None)
    for i in range(1500):
        c.labels(f'child-{i:05d}-' + 'x' * 20).inc(i)


SCENARIOS = {
    'counters': counters_scenario,
    'gauges': gauges_scenario,
    'histograms': histograms_scenario,
    'summaries': summaries_scenario,
    'odd_text': odd_text_scenario,
    'big_file': big_file_scenario,
}


def write_under_both(monkeypatch, tmp_path, scenario, ident=lambda: 7):
    """Runs ``scenario(lib)`` under each library in its own directory; returns
    {name: (files, time before, time after)}."""
    out = {}
    for name in LIBS:
        directory = tmp_path / name
        directory.mkdir()
        before = time.time()
        with shared_values(monkeypatch, name, directory, ident) as lib:
            scenario(lib)
        out[name] = (files_in(directory), before, time.time())
    return out


def without_timestamps(data, earliest, latest):
    """``data`` with every timestamp zeroed, after checking each lies in [earliest, latest]."""
    buf = bytearray(data)
    for _, _, timestamp, pos in parse_db(data)[1]:
        assert earliest <= timestamp <= latest
        buf[pos + 8:pos + 16] = bytes(8)
    return bytes(buf)


def assert_same_files(written):
    (ours, o0, o1), (theirs, t0, t1) = written['fastprom'], written['prometheus_client']
    assert list(ours) == list(theirs)
    assert theirs, 'the scenario wrote nothing'
    for file_name in theirs:
        a, b = ours[file_name], theirs[file_name]
        if any(file_name.startswith(f'gauge_{m}_') for m in MOSTRECENT_MODES):
            a, b = without_timestamps(a, o0, o1), without_timestamps(b, t0, t1)
        # Entries first, for a readable difference; then every byte, padding included.
        assert parse_db(a) == parse_db(b), file_name
        assert a == b, file_name


# --- byte-identical files ----------------------------------------------------------------

@pytest.mark.parametrize('scenario', SCENARIOS)
def test_files_are_byte_identical(monkeypatch, tmp_path, scenario):
    assert_same_files(write_under_both(monkeypatch, tmp_path, SCENARIOS[scenario]))


def test_file_names_and_layout(monkeypatch, tmp_path):
    written = write_under_both(monkeypatch, tmp_path, lambda lib: (counters_scenario(lib), gauges_scenario(lib),
                                                                   histograms_scenario(lib), summaries_scenario(lib)))
    expected = sorted(['counter_7.db', 'histogram_7.db', 'summary_7.db'] + [f'gauge_{m}_7.db' for m in MODES])
    for name in LIBS:
        files = written[name][0]
        assert list(files) == expected
        for data in files.values():
            assert len(data) == 1 << 16
    used, entries = parse_db(written['fastprom'][0]['counter_7.db'])
    keys = [json.loads(k) for k, _, _, _ in entries]
    assert keys[0] == ['requests', 'requests_total', {}, 'Requests served.']
    assert [v for _, v, _, _ in entries][0] == 13.5
    assert ['app_io_bytes', 'app_io_bytes_total', {}, 'Bytes.'] in keys


def test_big_file_grows_by_doubling(monkeypatch, tmp_path):
    written = write_under_both(monkeypatch, tmp_path, big_file_scenario)
    for name in LIBS:
        data = written[name][0]['counter_7.db']
        used, entries = parse_db(data)
        assert len(entries) == 1500 and len(data) == 1 << 18 and (1 << 17) < used <= len(data)


def test_identifier_change_moves_every_value_to_new_files(monkeypatch, tmp_path):
    """A changed process identifier (what a fork looks like) sends every existing cell to
    the new process's files, starting from their values there."""
    def scenario(lib):
        c = lib.Counter('moved', 'Moved.', registry=None)
        g = lib.Gauge('moved_gauge', 'Moved.', multiprocess_mode='min', registry=None)
        h = lib.Histogram('moved_histogram', 'Moved.', buckets=(1,), registry=None)
        c.inc(5)
        g.set(2)
        h.observe(0.5)
        ident[0] = 'second'
        c.inc()
        h.observe(3)

    outcomes = {}
    for name in LIBS:
        ident = ['first']
        directory = tmp_path / name
        directory.mkdir()
        with shared_values(monkeypatch, name, directory, lambda: ident[0]) as lib:
            scenario(lib)
        outcomes[name] = files_in(directory)
    assert outcomes['fastprom'] == outcomes['prometheus_client']
    assert sorted(outcomes['prometheus_client']) == [
        'counter_first.db', 'counter_second.db', 'gauge_min_first.db', 'gauge_min_second.db',
        'histogram_first.db', 'histogram_second.db']
    second = {json.loads(k)[1]: v for k, v, _, _ in parse_db(outcomes['fastprom']['counter_second.db'])[1]}
    assert second == {'moved_total': 1.0}


# --- cross-reading -----------------------------------------------------------------------

PIDS = ('p1', 'p2', 'p3')
GAUGE_VALUES = {'p1': 1.5, 'p2': 6.0, 'p3': -2.25}


def process_step(lib, pid):
    """What process ``pid`` writes in the cross-reading directory (dyadic values only)."""
    i = PIDS.index(pid)
    calls = lib.Counter('calls', 'Calls.', ['method'], registry=None)
    calls.labels('get').inc(i + 0.5)
    if pid != 'p2':
        calls.labels('post').inc(4)
    for mode in MODES:
        g = lib.Gauge(f'g_{mode}', f'Mode {mode}.', ['shard'], multiprocess_mode=mode, registry=None)
        g.labels('a').set(GAUGE_VALUES[pid])
        if pid == 'p1':
            g.labels('only_p1').set(9)
    h = lib.Histogram('h', 'Histogram.', ['route'], buckets=(0.5, 2), registry=None)
    for v in (0.25 * (i + 1), 1 + i, 3):
        h.labels('/x').observe(v)
    lib.Summary('s', 'Summary.', registry=None).observe(i + 0.125)


def write_processes(monkeypatch, name, directory, pids=PIDS):
    for pid in pids:
        clock_moves_on()
        with shared_values(monkeypatch, name, directory, lambda pid=pid: pid) as lib:
            process_step(lib, pid)


def gauge_expectations(dead=None):
    """{(sample name, labels): value} of the gauges once ``dead`` has been marked dead."""
    live = [p for p in PIDS if p != dead]
    out = {}
    for mode in MODES:
        pids = live if mode.startswith('live') else PIDS
        a = [GAUGE_VALUES[p] for p in pids]
        name = f'g_{mode}'
        if mode in ('all', 'liveall'):
            for p in pids:
                out[(name, (('pid', p), ('shard', 'a')))] = GAUGE_VALUES[p]
            out[(name, (('pid', 'p1'), ('shard', 'only_p1')))] = 9.0
            continue
        out[(name, (('shard', 'a'),))] = {'min': min(a), 'max': max(a), 'sum': sum(a),
                                          'mostrecent': a[-1]}[mode.replace('live', '')]
        out[(name, (('shard', 'only_p1'),))] = 9.0
    return out


EXPECTED_OTHERS = {
    ('calls_total', (('method', 'get'),)): 4.5,
    ('calls_total', (('method', 'post'),)): 8.0,
    ('h_bucket', (('le', '0.5'), ('route', '/x'))): 2.0,
    ('h_bucket', (('le', '2.0'), ('route', '/x'))): 5.0,
    ('h_bucket', (('le', '+Inf'), ('route', '/x'))): 9.0,
    ('h_count', (('route', '/x'),)): 9.0,
    ('h_sum', (('route', '/x'),)): 16.5,
    ('s_count', ()): 3.0,
    ('s_sum', ()): 3.375,
}


@pytest.mark.parametrize('writer', LIBS)
def test_both_collectors_read_either_librarys_directory(monkeypatch, tmp_path, writer):
    write_processes(monkeypatch, writer, tmp_path)
    assert db_files(tmp_path) == sorted(
        f'{t}_{p}.db' for p in PIDS for t in ['counter', 'histogram', 'summary'] + [f'gauge_{m}' for m in MODES])
    ours, theirs = collected('fastprom', tmp_path), collected('prometheus_client', tmp_path)
    assert ours == theirs
    assert values_of(theirs) == {**EXPECTED_OTHERS, **gauge_expectations()}
    types = {r[0]: r[1] for r in theirs}
    assert types['calls'] == 'counter' and types['h'] == 'histogram' and types['s'] == 'summary'
    assert all(types[f'g_{m}'] == 'gauge' for m in MODES)


@pytest.mark.parametrize('writer', LIBS)
@pytest.mark.parametrize('marker', LIBS)
def test_mark_process_dead_drops_live_gauges(monkeypatch, tmp_path, writer, marker):
    write_processes(monkeypatch, writer, tmp_path)
    submodule(marker, 'multiprocess').mark_process_dead('p3', path=str(tmp_path))
    left = os.listdir(tmp_path)
    assert not [f for f in left if f.endswith('_p3.db') and f.startswith('gauge_live')]
    assert 'gauge_all_p3.db' in left and 'counter_p3.db' in left
    ours, theirs = collected('fastprom', tmp_path), collected('prometheus_client', tmp_path)
    assert ours == theirs
    assert values_of(theirs) == {**EXPECTED_OTHERS, **gauge_expectations(dead='p3')}


def test_mark_process_dead_reads_the_environment(monkeypatch, tmp_path):
    for name in LIBS:
        directory = tmp_path / name
        directory.mkdir()
        for f in ('gauge_livesum_42.db', 'gauge_liveall_42.db', 'gauge_sum_42.db', 'counter_42.db'):
            (directory / f).write_bytes(encode_db([]))
        monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', str(directory))
        submodule(name, 'multiprocess').mark_process_dead(42)
        assert db_files(directory) == ['counter_42.db', 'gauge_sum_42.db']


@pytest.mark.parametrize('writer', LIBS)
@pytest.mark.parametrize('accumulate', [True, False])
def test_merge_matches(monkeypatch, tmp_path, writer, accumulate):
    write_processes(monkeypatch, writer, tmp_path)
    files = sorted(glob.glob(str(tmp_path / '*.db')))
    merged = {name: rows(submodule(name, 'multiprocess').MultiProcessCollector.merge(files, accumulate=accumulate))
              for name in LIBS}
    assert merged['fastprom'] == merged['prometheus_client']
    got = values_of(merged['prometheus_client'])
    if accumulate:
        assert got == {**EXPECTED_OTHERS, **gauge_expectations()}
    else:
        # Buckets as stored (not cumulative) and no _count sample for histograms.
        assert got[('h_bucket', (('le', '2.0'), ('route', '/x')))] == 3.0
        assert got[('h_bucket', (('le', '+Inf'), ('route', '/x')))] == 4.0
        assert ('h_count', (('route', '/x'),)) not in got
        assert got[('s_count', ())] == 3.0


@pytest.mark.parametrize('writer', LIBS)
def test_merge_of_some_files(monkeypatch, tmp_path, writer):
    write_processes(monkeypatch, writer, tmp_path)
    files = [str(tmp_path / 'counter_p2.db'), str(tmp_path / 'gauge_max_p1.db'), str(tmp_path / 'histogram_p3.db')]
    merged = {name: rows(submodule(name, 'multiprocess').MultiProcessCollector.merge(files)) for name in LIBS}
    assert merged['fastprom'] == merged['prometheus_client']
    assert values_of(merged['fastprom'])[('calls_total', (('method', 'get'),))] == 1.5


def exposition(name, directory, openmetrics=False):
    lib = importlib.import_module(name)
    registry = lib.CollectorRegistry()
    submodule(name, 'multiprocess').MultiProcessCollector(registry, path=str(directory))
    if openmetrics:
        return submodule(name, 'openmetrics.exposition').generate_latest(registry)
    return lib.generate_latest(registry)


def all_types_one_process(lib):
    counters_scenario(lib)
    gauges_scenario(lib)
    histograms_scenario(lib)
    summaries_scenario(lib)
    odd_text_scenario(lib)


@pytest.mark.parametrize('openmetrics', [False, True], ids=['text', 'openmetrics'])
@pytest.mark.parametrize('writer', LIBS)
def test_exposition_of_single_files_is_byte_identical(monkeypatch, tmp_path, writer, openmetrics):
    source = tmp_path / 'source'
    source.mkdir()
    with shared_values(monkeypatch, writer, source, lambda: 'solo') as lib:
        all_types_one_process(lib)
    for file_name in db_files(source):
        alone = tmp_path / file_name[:-3]
        alone.mkdir()
        shutil.copy(source / file_name, alone / file_name)
        ours, theirs = (exposition(name, alone, openmetrics) for name in LIBS)
        assert ours == theirs, file_name
        assert theirs.count(b'# HELP') >= 1


def family_blocks(text):
    """The exposition cut into one block per family, sorted (families come in the order
    their files are listed, which readdir decides)."""
    return sorted(re.split(rb'(?m)^(?=# HELP )', text))


@pytest.mark.parametrize('writer', LIBS)
def test_exposition_of_a_directory(monkeypatch, tmp_path, writer):
    one, several = tmp_path / 'one', tmp_path / 'several'
    one.mkdir()
    several.mkdir()
    with shared_values(monkeypatch, writer, one, lambda: 'solo') as lib:
        all_types_one_process(lib)
    ours, theirs = (exposition(name, one) for name in LIBS)
    assert family_blocks(ours) == family_blocks(theirs)
    # Several processes: the samples of a family come in readdir order, so compare lines.
    write_processes(monkeypatch, writer, several)
    ours, theirs = (exposition(name, several) for name in LIBS)
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines())
    assert b'calls_total{method="get"} 4.5' in ours


def test_empty_directory_collects_nothing(tmp_path):
    for name in LIBS:
        assert list(collector(name, tmp_path).collect()) == []
        assert exposition(name, tmp_path) == b''


def test_collector_registers_itself(tmp_path):
    for name in LIBS:
        lib = importlib.import_module(name)
        registry = lib.CollectorRegistry()
        (tmp_path / 'counter_1.db').write_bytes(encode_db([encode_entry(db_key('c', 'c_total', {}, 'C.'), 2.0)]))
        submodule(name, 'multiprocess').MultiProcessCollector(registry, path=str(tmp_path))
        assert registry.get_sample_value('c_total') == 2.0


# --- real processes ----------------------------------------------------------------------

N_STEPS = 1000


def total_of(sample_rows):
    return {k: v for k, v in values_of(sample_rows).items() if k[0].startswith('job')}


@pytest.mark.parametrize('name', LIBS)
@pytest.mark.parametrize('start_method', ['fork', 'spawn'])
def test_multiprocessing_workers_add_up(monkeypatch, tmp_path, name, start_method):
    context = multiprocessing.get_context(start_method)
    # A spawned child imports the library afresh and picks its cell class from the
    # environment; a forked one inherits the class set here.
    with shared_values(monkeypatch, name, tmp_path):
        workers = [context.Process(target=mp_jobs.count, args=(name, N_STEPS)) for _ in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(LIVENESS_TIMEOUT)
            assert w.exitcode == 0
    for w in workers:
        assert os.path.exists(tmp_path / f'counter_{w.pid}.db')
        assert os.path.exists(tmp_path / f'histogram_{w.pid}.db')
    assert not os.path.exists(tmp_path / f'counter_{os.getpid()}.db')
    expected = mp_jobs.expected_count_totals(3, N_STEPS)
    for reader in LIBS:
        assert total_of(collected(reader, tmp_path)) == expected


@pytest.mark.parametrize('name', LIBS)
def test_subprocess_workers_add_up(tmp_path, name):
    pids = run_jobs(tmp_path, *[('count', name, N_STEPS + i) for i in range(3)])
    assert db_files(tmp_path) == sorted(f'{t}_{p}.db' for p in pids for t in ('counter', 'histogram'))
    expected = {k: sum(mp_jobs.expected_count_totals(1, N_STEPS + i)[k] for i in range(3))
                for k in mp_jobs.expected_count_totals(1, N_STEPS)}
    for reader in LIBS:
        assert total_of(collected(reader, tmp_path)) == expected


def bump(counter, histogram):
    counter.inc(2)
    histogram.observe(2)


@pytest.mark.parametrize('name', LIBS)
@pytest.mark.parametrize('how', ['os.fork', 'multiprocessing'])
def test_forked_children_write_their_own_files(monkeypatch, tmp_path, name, how):
    with shared_values(monkeypatch, name, tmp_path) as lib:
        counter = lib.Counter('forked', 'Forked.', registry=None)
        histogram = lib.Histogram('forked_sizes', 'Sizes.', buckets=(1,), registry=None)
        counter.inc(5)
        histogram.observe(0.5)
        children = []
        for _ in range(3):
            if how == 'os.fork':
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        bump(counter, histogram)
                        code = 0
                    finally:
                        os._exit(code)
                children.append(pid)
                _, status = os.waitpid(pid, 0)
                assert os.waitstatus_to_exitcode(status) == 0
            else:
                child = multiprocessing.get_context('fork').Process(target=bump, args=(counter, histogram))
                child.start()
                child.join(LIVENESS_TIMEOUT)
                assert child.exitcode == 0
                children.append(child.pid)
        counter.inc()
    for pid in [os.getpid()] + children:
        assert os.path.exists(tmp_path / f'counter_{pid}.db')
    for reader in LIBS:
        got = values_of(collected(reader, tmp_path))
        assert got[('forked_total', ())] == 5 + 3 * 2 + 1
        assert got[('forked_sizes_count', ())] == 4
        assert got[('forked_sizes_bucket', (('le', '1.0'),))] == 1
        assert got[('forked_sizes_sum', ())] == 6.5


@pytest.mark.parametrize('name', LIBS)
def test_custom_identifier_swapped_in(monkeypatch, tmp_path, name):
    with shared_values(monkeypatch, name, tmp_path, lambda: 'alpha') as lib:
        first = lib.Counter('swapped', 'Swapped.', registry=None)
        first.inc()
        with shared_values(monkeypatch, name, tmp_path, lambda: 'beta'):
            second = lib.Counter('swapped', 'Swapped.', registry=None)
            second.inc(2)
            # Cells made before the swap stay with the class that made them.
            first.inc(4)
    files = files_in(tmp_path)
    assert sorted(files) == ['counter_alpha.db', 'counter_beta.db']
    assert [e[1] for e in parse_db(files['counter_alpha.db'])[1]] == [5.0]
    assert [e[1] for e in parse_db(files['counter_beta.db'])[1]] == [2.0]
    for reader in LIBS:
        assert values_of(collected(reader, tmp_path)) == {('swapped_total', ()): 7.0}


@pytest.mark.parametrize('name', LIBS)
def test_import_with_directory_set_picks_shared_cells(tmp_path, name):
    code = ('import sys, {0}; c = {0}.Counter("imported", "Imported."); c.inc(3); '
            'print({0}.values.ValueClass.__name__, {0}.values.ValueClass._multiprocess)').format(name)
    out = subprocess.run([sys.executable, '-c', code], env=job_env(tmp_path), capture_output=True, text=True,
                         timeout=LIVENESS_TIMEOUT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['MmapedValue', 'True']
    files = db_files(tmp_path)
    assert len(files) == 1 and re.fullmatch(r'counter_[0-9]+\.db', files[0]), files
    for reader in LIBS:
        assert values_of(collected(reader, tmp_path)) == {('imported_total', ()): 3.0}


# --- crash safety ------------------------------------------------------------------------

def check_crash_directory(tmp_path, runs, context):
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a file skipped as damaged would fail here
        ours = collected('fastprom', tmp_path)
    theirs = collected('prometheus_client', tmp_path)
    assert ours == theirs, context
    got = values_of(theirs)
    for run in map(str, range(runs)):
        steps = got[('writer_steps_total', (('run', run),))]
        children = [v for (sample, labels), v in got.items()
                    if sample == 'writer_children_total' and labels[0] == ('run', run)]
        ones = children.count(1.0)
        assert set(children) <= {0.0, 1.0}, context
        assert children.count(0.0) <= 1, context
        assert steps <= ones <= steps + 1, context
        assert 400 < ones <= mp_jobs.CRASH_WRITER_STEPS, context
    for path in glob.glob(str(tmp_path / '*.db')):
        theirs = list(prometheus_client.mmap_dict.MmapedDict.read_all_values_from_file(path))
        ours = list(submodule('fastprom', 'mmap_dict').MmapedDict.read_all_values_from_file(path))
        assert ours == theirs, context


@pytest.mark.parametrize('name', LIBS)
def test_sigkill_mid_write_leaves_readable_files(tmp_path, name, processes):
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    for run in range(4):
        writer = start_job(tmp_path, 'crash-writer', name, run, stdout=subprocess.PIPE)
        processes.append(writer)
        assert writer.stdout.readline().strip() == 'started'
        path = tmp_path / f'counter_{writer.pid}.db'
        wait_until(lambda: path.exists() and path.stat().st_size > 1 << 16, 'the file to grow past 64 KiB')
        delay = rng.uniform(0, 0.15)
        time.sleep(delay)
        writer.kill()
        writer.wait(LIVENESS_TIMEOUT)
        check_crash_directory(tmp_path, run + 1, f'seed {seed}, run {run}, killed {delay:.3f}s after growth')


# --- damaged files -----------------------------------------------------------------------

GOOD_KEY = db_key('good', 'good_total', {'f': 'ok'}, 'Good.')
BAD_KEY = db_key('good', 'good_total', {'f': 'bad'}, 'Good.')


def damaged_files():
    valid = encode_db([encode_entry(BAD_KEY, 1.0), encode_entry(db_key('good', 'good_total', {'f': 'b2'}, 'Good.'), 2.0)])
    used = struct.unpack_from('i', valid)[0]
    one = encode_entry(BAD_KEY, 1.0)
    return {
        'garbage': b'not a metrics file\n' * 50,
        'truncated mid-entry': valid[:used - 10],
        'shorter than the header': b'\x10\x00\x00',
        'used beyond file size': encode_db([one], used=1 << 20),
        'entry beyond used': encode_db([encode_entry(BAD_KEY, 1.0, declared=1000)], used=8 + len(one)),
        'key not utf-8': encode_db([one, encode_entry(b'\xff\xfe["x"]', 1.0)]),
        'key not json': encode_db([one, encode_entry(b'not json', 1.0)]),
        'key of the wrong shape': encode_db([one, encode_entry(b'["good", "good_total", {}]', 1.0)]),
    }


def good_directory(tmp_path):
    (tmp_path / 'counter_1.db').write_bytes(encode_db([encode_entry(GOOD_KEY, 3.0)]))
    (tmp_path / 'gauge_max_1.db').write_bytes(
        encode_db([encode_entry(db_key('level', 'level', {}, 'Level.'), 0.5)]))
    return [('good_total', (('f', 'ok'),), 3.0), ('level', (), 0.5)]


def without_skipped(sample_rows):
    return [(r[3], r[4], r[5]) for r in sample_rows if r[0] != SKIPPED]


def skipped_rows(sample_rows):
    return [(r[1], r[3], r[4], r[5]) for r in sample_rows if r[0] == SKIPPED]


@pytest.mark.parametrize('case', list(damaged_files()))
def test_damaged_file_is_skipped_with_a_warning(tmp_path, case):
    expected = good_directory(tmp_path)
    bad = tmp_path / 'counter_2.db'
    bad.write_bytes(damaged_files()[case])
    with pytest.raises(Exception):
        collected('prometheus_client', tmp_path)
    c = collector('fastprom', tmp_path)
    for times in (1, 2):
        with pytest.warns(RuntimeWarning, match=re.escape(str(bad))):
            got = rows(c.collect())
        assert without_skipped(got) == expected
        assert skipped_rows(got) == [('counter', SKIPPED + '_total', (), float(times))]


def test_several_damaged_files_are_counted(tmp_path):
    expected = good_directory(tmp_path)
    bad = damaged_files()
    for i, case in enumerate(['garbage', 'key not json', 'entry beyond used']):
        (tmp_path / f'histogram_{10 + i}.db').write_bytes(bad[case])
    with pytest.warns(RuntimeWarning) as caught:
        got = collected('fastprom', tmp_path)
    assert without_skipped(got) == expected
    assert skipped_rows(got) == [('counter', SKIPPED + '_total', (), 3.0)]
    named = ' '.join(str(w.message) for w in caught if issubclass(w.category, RuntimeWarning))
    for i in range(3):
        assert str(tmp_path / f'histogram_{10 + i}.db') in named


def test_clean_directory_reports_no_skipped_family(tmp_path):
    expected = good_directory(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        got = collected('fastprom', tmp_path)
    assert [(r[3], r[4], r[5]) for r in got] == expected
    assert SKIPPED.encode() not in exposition('fastprom', tmp_path)


def test_skipped_family_in_the_exposition(tmp_path):
    good_directory(tmp_path)
    (tmp_path / 'summary_9.db').write_bytes(damaged_files()['garbage'])
    with pytest.warns(RuntimeWarning):
        text = exposition('fastprom', tmp_path)
    assert f'# TYPE {SKIPPED}_total counter\n'.encode() in text
    assert f'\n{SKIPPED}_total 1.0\n'.encode() in text
    assert b'good_total{f="ok"} 3.0' in text


# --- compaction (fastprom only) ----------------------------------------------------------

COMPACTED = ['counter_compacted.db', 'histogram_compacted.db', 'summary_compacted.db']
FOLDED_TYPES = ('counter', 'histogram', 'summary')
# Where one float cannot hold a sum exactly, the compacted file repeats the key with the rest.
COMPACTED_NAME = re.compile(r'(counter|histogram|summary)_compacted\.db')


def compact(directory, pids=None):
    return submodule('fastprom', 'multiprocess').compact(path=str(directory), pids=pids)


def start_live_worker(directory, processes):
    worker = start_job(directory, 'live', 'fastprom', stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    processes.append(worker)
    assert worker.stdout.readline().strip() == 'ready'
    return worker


def tell(worker, command, answer):
    worker.stdin.write(command + '\n')
    worker.stdin.flush()
    assert worker.stdout.readline().strip() == answer


def run_tenths(directory, sizes, children=7):
    return run_jobs(directory, *[('tenths', 'fastprom', n, children) for n in sizes])


def fsum_per_key(directory, file_type, key_name):
    """math.fsum over every file of ``file_type`` of the values of samples named
    ``key_name``, per label set, read with prometheus_client's reader."""
    parts = {}
    for path in glob.glob(str(directory / f'{file_type}_*.db')):
        for key, value, _, _ in prometheus_client.mmap_dict.MmapedDict.read_all_values_from_file(path):
            _, sample, labels, _ = json.loads(key)
            if sample == key_name:
                parts.setdefault(tuple(sorted(labels.items())), []).append(value)
    return {labels: math.fsum(v) for labels, v in parts.items()}


def assert_dead_files_gone(directory, pids):
    left = set(os.listdir(directory))
    for pid in pids:
        assert not {f'{t}_{pid}.db' for t in FOLDED_TYPES} & left
        assert f'gauge_all_{pid}.db' in left


def compacted_files(directory):
    """The compacted files in ``directory``, after checking the three main ones are there."""
    found = [f for f in db_files(directory) if 'compacted' in f]
    assert all(COMPACTED_NAME.fullmatch(f) for f in found), found
    assert set(COMPACTED) <= set(found), found
    return found


def test_sums_are_exactly_rounded(tmp_path):
    run_tenths(tmp_path, [333, 501, 777, 910])
    got = values_of(collected('fastprom', tmp_path))
    for key_name, file_type in (('dead_only_total', 'counter'), ('shared_total', 'counter'),
                                ('sizes_sum', 'histogram'), ('payload_sum', 'summary')):
        for labels, total in fsum_per_key(tmp_path, file_type, key_name).items():
            assert got[(key_name, labels)] == total, (key_name, labels)


def test_compaction_keeps_every_total(tmp_path, processes):
    live = start_live_worker(tmp_path, processes)
    tell(live, 'inc 333', 'done')
    dead = run_tenths(tmp_path, [333, 501, 777, 910])
    before = collected('fastprom', tmp_path)
    result = compact(tmp_path)
    assert result['files_folded'] == 3 * len(dead)
    assert collected('fastprom', tmp_path) == before
    assert_dead_files_gone(tmp_path, dead)
    assert result['files_written'] == len(compacted_files(tmp_path))
    assert f'counter_{live.pid}.db' in os.listdir(tmp_path)
    # The live worker goes on writing; the dead workers' share stays as it was.
    tell(live, 'inc 10', 'done')
    after = values_of(collected('fastprom', tmp_path))
    old = values_of(before)
    assert after[('shared_total', ())] == pytest.approx(old[('shared_total', ())] + 1.0)
    assert {k: v for k, v in after.items() if k[0] != 'shared_total'} == \
        {k: v for k, v in old.items() if k[0] != 'shared_total'}
    # More deaths: the second compaction folds into the files the first one wrote.
    more = run_tenths(tmp_path, [123, 456])
    before = collected('fastprom', tmp_path)
    result = compact(tmp_path)
    assert result['files_folded'] == 3 * len(more)
    assert collected('fastprom', tmp_path) == before
    assert_dead_files_gone(tmp_path, more)
    assert result['files_written'] == len(compacted_files(tmp_path))
    assert compact(tmp_path)['files_folded'] == 0
    assert collected('fastprom', tmp_path) == before


def test_compaction_of_chosen_identifiers(monkeypatch, tmp_path):
    write_processes(monkeypatch, 'fastprom', tmp_path)
    before = collected('fastprom', tmp_path)
    result = compact(tmp_path, pids=['p1', 'p3'])
    assert result['files_folded'] == 6
    assert collected('fastprom', tmp_path) == before
    left = db_files(tmp_path)
    assert [f for f in left if not f.startswith('gauge_') and 'compacted' not in f] == [
        'counter_p2.db', 'histogram_p2.db', 'summary_p2.db']
    assert compacted_files(tmp_path)
    assert sum(f.startswith('gauge_') for f in left) == 3 * len(MODES)


def test_compaction_command_line(tmp_path, processes):
    live = start_live_worker(tmp_path, processes)
    tell(live, 'inc 100', 'done')
    dead = run_tenths(tmp_path, [250, 750])
    before = collected('fastprom', tmp_path)
    out = subprocess.run([sys.executable, '-m', 'fastprom.multiprocess', 'compact', '--path', str(tmp_path),
                          *map(str, dead)], capture_output=True, text=True, timeout=LIVENESS_TIMEOUT)
    assert out.returncode == 0, out.stderr
    assert collected('fastprom', tmp_path) == before
    assert_dead_files_gone(tmp_path, dead)
    assert f'counter_{live.pid}.db' in os.listdir(tmp_path)


def constant_part(sample_rows):
    """Everything but the live worker's own counter and the skipped-files family."""
    return [r for r in sample_rows if r[0] not in ('live_only', SKIPPED)]


def compact_in(runner, directory, pids=None):
    if runner == 'in-process':
        return compact(directory, pids)
    out = subprocess.run([sys.executable, '-m', 'fastprom.multiprocess', 'compact', '--path', str(directory),
                          *(pids or [])], capture_output=True, text=True, timeout=LIVENESS_TIMEOUT)
    assert out.returncode == 0, out.stderr


GONE = [f'gone{k}' for k in range(16)]


@pytest.mark.parametrize('runner', ['in-process', 'command-line'])
def test_scrapes_during_compaction_see_every_dead_total_once(monkeypatch, tmp_path, processes, runner):
    """Compaction in five rounds (four of named identifiers, then the dead processes) while
    a thread scrapes without pause and a live worker writes without pause: every scrape
    reports the dead workers' totals exactly as before, never folded twice or missing."""
    live = start_live_worker(tmp_path, processes)
    dead = run_tenths(tmp_path, [1500, 1000], children=300)
    for k, ident in enumerate(GONE):
        with shared_values(monkeypatch, 'fastprom', tmp_path, lambda ident=ident: ident):
            mp_jobs.tenths('fastprom', 300 + 37 * k, 50)
    expected = constant_part(collected('fastprom', tmp_path))
    tell(live, 'spin', 'spinning')
    seen, errors = [], []
    first_scrape, compacted = threading.Event(), threading.Event()

    def scrape():
        try:
            c = collector('fastprom', tmp_path)
            while True:
                last = compacted.is_set()
                seen.append(constant_part(rows(c.collect())))
                first_scrape.set()
                if last:
                    return
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
            first_scrape.set()

    scraper = threading.Thread(target=scrape)
    scraper.start()
    try:
        assert first_scrape.wait(LIVENESS_TIMEOUT)
        for batch in range(0, len(GONE), 4):
            compact_in(runner, tmp_path, GONE[batch:batch + 4])
        compact_in(runner, tmp_path)
    finally:
        compacted.set()
        scraper.join(LIVENESS_TIMEOUT)
    assert not errors, errors
    assert len(seen) >= 2
    for i, scraped in enumerate(seen):
        assert scraped == expected, f'scrape {i} of {len(seen)}'
    assert_dead_files_gone(tmp_path, dead + GONE)
    assert live.poll() is None


# --- warnings ----------------------------------------------------------------------------

def test_removal_warns_in_multiprocess_mode(monkeypatch, tmp_path):
    outcomes = {}
    for name in LIBS:
        directory = tmp_path / name
        directory.mkdir()
        with shared_values(monkeypatch, name, directory, lambda: 5) as lib:
            c = lib.Counter('removed', 'Removed.', ['a'], registry=None)
            for v in ('1', '2', '3'):
                c.labels(v).inc(int(v))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                c.remove('1')
                # _created differs between the libraries (the clock moved on).
                left_after_remove = [r for r in rows(c.collect()) if not r[3].endswith('_created')]
                c.remove_by_labels({'a': '2'})
                c.clear()
        outcomes[name] = ([(w.category, str(w.message)) for w in caught], left_after_remove, files_in(directory))
    assert outcomes['fastprom'] == outcomes['prometheus_client']
    messages = outcomes['fastprom'][0]
    assert len(messages) == 3 and all(category is UserWarning for category, _ in messages)


@pytest.mark.parametrize('name', LIBS)
def test_lowercase_variable_is_deprecated_for_the_collector(monkeypatch, tmp_path, name):
    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', 'placeholder')
    monkeypatch.delenv('PROMETHEUS_MULTIPROC_DIR')
    monkeypatch.setenv('prometheus_multiproc_dir', str(tmp_path))
    good_directory(tmp_path)
    with pytest.warns(DeprecationWarning, match='PROMETHEUS_MULTIPROC_DIR'):
        c = submodule(name, 'multiprocess').MultiProcessCollector(None)
    assert os.environ['PROMETHEUS_MULTIPROC_DIR'] == str(tmp_path)
    assert values_of(rows(c.collect()))[('good_total', (('f', 'ok'),))] == 3.0


@pytest.mark.parametrize('name', LIBS)
def test_lowercase_variable_is_deprecated_for_the_cells(monkeypatch, tmp_path, name):
    values = submodule(name, 'values')
    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', 'placeholder')
    monkeypatch.delenv('PROMETHEUS_MULTIPROC_DIR')
    monkeypatch.setenv('prometheus_multiproc_dir', str(tmp_path))
    cls = values.MultiProcessValue(lambda: 'old')
    values.ValueClass = cls
    try:
        with pytest.warns(DeprecationWarning, match='PROMETHEUS_MULTIPROC_DIR'):
            importlib.import_module(name).Counter('old_style', 'Old.', registry=None).inc()
    finally:
        cls.close_all_files()
        values.ValueClass = values.MutexValue
    assert os.environ['PROMETHEUS_MULTIPROC_DIR'] == str(tmp_path)
    assert db_files(tmp_path) == ['counter_old.db']


def test_get_value_class_in_multiprocess_environment(monkeypatch, tmp_path):
    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', str(tmp_path))
    for name in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            cls = submodule(name, 'values').get_value_class()
        assert cls.__name__ == 'MmapedValue' and cls._multiprocess is True
        assert callable(cls.close_all_files)
    monkeypatch.delenv('PROMETHEUS_MULTIPROC_DIR')
    for name in LIBS:
        values = submodule(name, 'values')
        assert values.get_value_class() is values.MutexValue


def test_close_all_multiprocess_files(monkeypatch, tmp_path):
    for name in LIBS:
        directory = tmp_path / name
        directory.mkdir()
        with shared_values(monkeypatch, name, directory, lambda: 1) as lib:
            lib.Counter('closing', 'Closing.', registry=None).inc(4)
            lib.values.close_all_multiprocess_files()
            assert lib.values._multi_process_cleanups == []
            # Files closed, metrics made afterwards open them again.
            lib.Counter('closing', 'Closing.', registry=None).inc()
        assert values_of(collected(name, directory)) == {('closing_total', ()): 5.0}


# --- MmapedDict --------------------------------------------------------------------------

def mmaped_dict_calls(name, path):
    module = submodule(name, 'mmap_dict')
    out = []
    d = module.MmapedDict(str(path))
    out.append(d.read_value('a'))
    d.write_value('b', 2.5, 100.25)
    d.write_value('a', -1.0, 0.0)
    d.write_value('é 😀', float('inf'), 1.5)
    d.write_value('nan', float('nan'), -0.0)
    out.append(d.read_value('b'))
    out.append(list(d.read_all_values()))
    out.append(list(d._read_all_values()))
    d.close()
    d.close()
    d = module.MmapedDict(str(path))
    d.write_value('a', 7.0, 0.0)
    d.write_value('new', 1.0, 2.0)
    out.append(list(d.read_all_values()))
    d.close()
    out.append(list(module.MmapedDict.read_all_values_from_file(str(path))))
    ro = module.MmapedDict(str(path), read_mode=True)
    out.append(list(ro.read_all_values()))
    ro.close()
    return repr(out)


def test_mmaped_dict_matches(tmp_path):
    outcomes = {name: (mmaped_dict_calls(name, tmp_path / f'{name}.db'), (tmp_path / f'{name}.db').read_bytes())
                for name in LIBS}
    assert outcomes['fastprom'] == outcomes['prometheus_client']
    calls, data = outcomes['fastprom']
    assert len(data) == 1 << 16
    assert [e[0] for e in parse_db(data)[1]] == [b'a', b'b', 'é 😀'.encode(), b'nan', b'new']


def test_mmaped_dict_fresh_file(tmp_path):
    for name in LIBS:
        path = tmp_path / f'{name}.db'
        submodule(name, 'mmap_dict').MmapedDict(str(path)).close()
        assert path.read_bytes() == encode_db([])


def test_mmaped_dict_growth(tmp_path):
    outcomes = {}
    for name in LIBS:
        path = tmp_path / f'{name}.db'
        d = submodule(name, 'mmap_dict').MmapedDict(str(path))
        for i in range(2000):
            d.write_value(f'key-{i:06d}-' + 'y' * 30, float(i), float(-i))
        values = list(d.read_all_values())
        d.close()
        # Reopened, existing keys are written in place.
        d = submodule(name, 'mmap_dict').MmapedDict(str(path))
        d.write_value('key-000001-' + 'y' * 30, 0.5, 0.25)
        d.close()
        outcomes[name] = (values, path.read_bytes())
    assert outcomes['fastprom'] == outcomes['prometheus_client']
    values, data = outcomes['fastprom']
    assert len(values) == 2000 and values[1999] == ('key-001999-' + 'y' * 30, 1999.0, -1999.0)
    assert len(data) == 1 << 17 and parse_db(data)[1][1][1:3] == (0.5, 0.25)


def test_mmaped_dict_reads_the_others_files(tmp_path):
    for writer in LIBS:
        path = tmp_path / f'{writer}.db'
        d = submodule(writer, 'mmap_dict').MmapedDict(str(path))
        d.write_value('x', 1.25, 3.0)
        d.write_value('ÿ', -2.0, 0.0)
        d.close()
        read = {name: list(submodule(name, 'mmap_dict').MmapedDict.read_all_values_from_file(str(path)))
                for name in LIBS}
        assert read['fastprom'] == read['prometheus_client']
        assert [r[:3] for r in read['fastprom']] == [('x', 1.25, 3.0), ('ÿ', -2.0, 0.0)]


def test_mmaped_dict_missing_file_in_read_mode(tmp_path):
    for name in LIBS:
        with pytest.raises(FileNotFoundError):
            submodule(name, 'mmap_dict').MmapedDict(str(tmp_path / 'missing.db'), read_mode=True)


@pytest.mark.parametrize('args', [
    ('c', 'c_total', [], [], 'Help.'),
    ('c', 'c_total', ['b', 'a'], ['2', '1'], 'Help.'),
    ('h', 'h_bucket', ('route', 'le'), ('/é', '0.5'), 'Quotes " and \\ and\nnewline 😀'),
    ('g', 'g', ['z', 'Z', '_'], ['\x00', '\u2028', ''], ''),
])
def test_mmap_key_matches(args):
    ours, theirs = (submodule(name, 'mmap_dict').mmap_key(*args) for name in LIBS)
    assert ours == theirs
    assert json.loads(theirs)[2] == dict(zip(args[2], args[3]))
