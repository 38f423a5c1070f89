"""Multi-process mode where things go wrong: forks that find a damaged file, files too
short to hold a header, a gauge with a ``pid`` label of its own, a compaction that died
after its commit, and a "dead" pid whose file a live process has open again.

Directories are written through the helpers of test_multiprocess.py; prometheus_client
0.26 is the reference wherever it has an answer.
"""

import os
import shutil

import pytest

import fastprom
import fastprom.mmap_dict
import fastprom.multiprocess
import prometheus_client
import prometheus_client.multiprocess

from test_multiprocess import (
    collected, db_files, db_key, encode_db, encode_entry, shared_values, values_of,
)


def fork_and_report(body):
    """Runs ``body()`` in a forked child; returns what it returned (a short str), or the
    name of the exception it raised."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            try:
                out = str(body())
            except BaseException as e:  # noqa: B902 - reported to the parent
                out = f'{type(e).__name__}: {e}'
            os.write(write, out.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return out


def test_a_forked_child_reads_its_own_values(monkeypatch, tmp_path):
    # prometheus_client's get() notices the fork: the child reads its own (new, empty)
    # file, not the parent's count. So must fastprom's, and a scrape in the child.
    for name in ('fastprom', 'prometheus_client'):
        directory = tmp_path / name
        directory.mkdir()
        with shared_values(monkeypatch, name, directory) as lib:
            c = lib.Counter('forked', 'F.', registry=None)
            c.inc(5)

            def child():
                return (c._value.get(), sorted(f for f in os.listdir(directory) if f.endswith('.db')))

            out = fork_and_report(child)
        assert out.startswith('(0.0, '), (name, out)
        assert out.count('counter_') == 2, (name, out)


def test_a_damaged_file_after_a_fork_spoils_nothing_else(monkeypatch, tmp_path):
    # The child's histogram file is damaged before its first update: that update raises,
    # and the counters, moved to the child's own counter file, stay readable.
    with shared_values(monkeypatch, 'fastprom', tmp_path) as lib:
        a = lib.Counter('a', 'A.', registry=None)
        b = lib.Counter('b', 'B.', registry=None)
        h = lib.Histogram('hh', 'H.', registry=None)
        a.inc()
        h.observe(1)

        def child():
            (tmp_path / f'histogram_{os.getpid()}.db').write_bytes(b'\x00\x00\x01\x00' + b'\xff' * 60)
            errors = []
            for update in (lambda: a.inc(2), lambda: b.inc(5), lambda: h.observe(2)):
                try:
                    update()
                except Exception as e:
                    errors.append(type(e).__name__)
            lib.Counter('a_counter_with_a_much_longer_name', 'L.', registry=None).inc(7)
            b.inc(1)
            return errors

        out = fork_and_report(child)
    # The update that noticed the fork raises (as prometheus_client's does when one of its
    # cells cannot move), so does the histogram's own; b's goes through.
    assert out == "['RuntimeError', 'RuntimeError']", out
    with pytest.warns(RuntimeWarning, match='histogram_'):
        got = values_of(collected('fastprom', tmp_path))
    # Parent: a=1; child: b=5+1, the long one 7 (the damaged histogram file is skipped).
    assert got[('a_total', ())] == 1.0
    assert got[('b_total', ())] == 6.0
    assert got[('a_counter_with_a_much_longer_name_total', ())] == 7.0


@pytest.mark.parametrize('size', [1, 3, 5, 7])
def test_files_too_short_for_a_header_raise_not_panic(monkeypatch, tmp_path, size):
    path = tmp_path / f'counter_{os.getpid()}.db'
    path.write_bytes(b'\x01' * size)
    with pytest.raises(RuntimeError, match='too short'):
        fastprom.mmap_dict.MmapedDict(str(path))
    with shared_values(monkeypatch, 'fastprom', tmp_path) as lib:
        with pytest.raises(RuntimeError, match='too short'):
            lib.Counter('c', 'C.', registry=None)


def test_a_gauge_label_named_pid_is_not_repeated(tmp_path):
    # Written by prometheus_client's own MmapedDict, as a foreign writer would.
    d = prometheus_client.mmap_dict.MmapedDict(str(tmp_path / 'gauge_all_1.db'))
    d.write_value(db_key('g', 'g', {'pid': '7', 'x': 'y'}, 'G.').decode(), 4.0, 0.0)
    d.close()
    outputs = []
    for lib in (fastprom, prometheus_client):
        registry = lib.CollectorRegistry()
        lib.multiprocess.MultiProcessCollector(registry, path=str(tmp_path))
        outputs.append(lib.generate_latest(registry))
    assert outputs[0] == outputs[1]
    assert b'g{pid="1",x="y"} 4.0' in outputs[0]


def write_workers(monkeypatch, directory, idents, amount):
    for ident in idents:
        with shared_values(monkeypatch, 'fastprom', directory, ident=lambda ident=ident: ident) as lib:
            lib.Counter('jobs', 'J.', registry=None).inc(amount)
            lib.Histogram('lat', 'L.', registry=None).observe(0.1)


def test_a_compaction_that_died_after_its_commit_is_finished_by_the_next_scrape(monkeypatch, tmp_path):
    directory = tmp_path / 'mp'
    directory.mkdir()
    write_workers(monkeypatch, directory, [101, 102, 103], 0.1)
    before = collected('fastprom', directory)
    # Run a compaction on a copy, then stage its result in the original as a compaction
    # killed right after writing its journal would leave it: new files under temporary
    # names, the journal, and the folded files still in place.
    copy = tmp_path / 'copy'
    shutil.copytree(directory, copy)
    done = fastprom.multiprocess.compact(str(copy), pids=[101, 102, 103])
    lines = []
    for name in done['written']:
        shutil.copy(copy / name, directory / f'{name}.tmp')
        lines.append(f'rename\t{name}.tmp\t{name}')
    lines += [f'remove\t{name}' for name in done['folded']]
    (directory / '.fastprom-compact.journal').write_text('\n'.join(lines) + '\n')
    # A stray temporary file of a compaction that died before committing goes too.
    (directory / 'summary_compacted.db.tmp').write_bytes(b'partial')

    assert collected('fastprom', directory) == before
    assert db_files(directory) == ['counter_compacted.db', 'histogram_compacted.db']
    assert sorted(os.listdir(directory)) == ['.fastprom.lock', 'counter_compacted.db', 'histogram_compacted.db']
    # prometheus_client reads the compacted directory to the same totals.
    assert values_of(collected('prometheus_client', directory)) == values_of(before)


def test_a_file_open_in_a_live_process_is_not_folded(monkeypatch, tmp_path):
    # Process 201 is "dead" by the caller's word, but a live process (this one, here) has
    # its counter file open for writing again, as one that took over its pid would.
    write_workers(monkeypatch, tmp_path, [201, 202], 1)
    reused = fastprom.mmap_dict.MmapedDict(str(tmp_path / 'counter_201.db'))
    try:
        done = fastprom.multiprocess.compact(str(tmp_path), pids=[201, 202])
        assert 'counter_201.db' not in done['folded']
        assert {'counter_202.db', 'histogram_201.db', 'histogram_202.db'} <= set(done['folded'])
        assert (tmp_path / 'counter_201.db').exists()
        assert values_of(collected('fastprom', tmp_path))[('jobs_total', ())] == 2.0
    finally:
        reused.close()
    # Once it is closed, a later compaction folds it.
    done = fastprom.multiprocess.compact(str(tmp_path), pids=[201])
    assert done['folded'] == ['counter_201.db']
    assert values_of(collected('fastprom', tmp_path))[('jobs_total', ())] == 2.0


def test_merge_of_one_directory_waits_for_a_compaction(monkeypatch, tmp_path):
    # The static merge() of a directory's files reads under the directory's lock: with a
    # compaction holding it, merge blocks until it is released.
    import fcntl
    import threading
    write_workers(monkeypatch, tmp_path, [301], 1)
    files = [str(tmp_path / f) for f in db_files(tmp_path)]
    lock = open(tmp_path / '.fastprom.lock', 'a+')
    fcntl.flock(lock, fcntl.LOCK_EX)
    result = []
    reader = threading.Thread(target=lambda: result.append(fastprom.multiprocess.MultiProcessCollector.merge(files)))
    reader.start()
    reader.join(0.5)
    assert reader.is_alive() and not result
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    reader.join(10)
    assert result and any(m.name == 'jobs' for m in result[0])


def test_encode_helpers_agree_with_the_reader(tmp_path):
    # The damaged-file helpers used above write what the native reader expects.
    key = db_key('c', 'c_total', {}, 'C.')
    (tmp_path / 'counter_1.db').write_bytes(encode_db([encode_entry(key, 2.0)]))
    assert values_of(collected('fastprom', tmp_path)) == {('c_total', ()): 2.0}


def test_two_value_classes_for_one_process_share_its_files(monkeypatch, tmp_path):
    # One class made at import from the environment, another assigned later: both write
    # counter_<pid>.db. prometheus_client's two classes each keep their own idea of where
    # the file ends and append over each other's entries; fastprom's share one mapping.
    monkeypatch.setenv('PROMETHEUS_MULTIPROC_DIR', str(tmp_path))
    values = fastprom.values
    first, second = values.MultiProcessValue(), values.MultiProcessValue()
    try:
        values.ValueClass = first
        a = fastprom.Counter('from_first', 'F.', ['k'], registry=None)
        values.ValueClass = second
        b = fastprom.Counter('from_second', 'S.', ['k'], registry=None)
        for i in range(50):
            a.labels(str(i)).inc(1)
            b.labels(str(i)).inc(2)
    finally:
        first.close_all_files()
        second.close_all_files()
        values.ValueClass = values.MutexValue
    assert db_files(tmp_path) == [f'counter_{os.getpid()}.db']
    got = values_of(collected('fastprom', tmp_path))
    assert sum(v for (name, _), v in got.items() if name == 'from_first_total') == 50
    assert sum(v for (name, _), v in got.items() if name == 'from_second_total') == 100
    assert got == values_of(collected('prometheus_client', tmp_path))
