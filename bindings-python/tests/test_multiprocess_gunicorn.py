"""Multi-process mode under a real gunicorn: three sync workers serve
fixtures/multiprocess/app.py on a loopback port, with ``child_exit`` calling
``mark_process_dead``. Whatever worker served a request, /metrics adds up every request
made, through a worker SIGKILLed and one stopped with SIGTERM (both replaced by gunicorn),
and the livesum gauge forgets the workers that are gone. Run on fastprom and, as the
reference, on prometheus_client."""

import collections
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import LIBS, free_port

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'multiprocess')
LIVENESS_TIMEOUT = 60
WORKERS = 3


class Gunicorn:
    """A gunicorn master serving the fixture app for library ``name``, its multi-process
    directory wiped before the start."""

    def __init__(self, name, directory, scratch):
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir()
        self.directory = directory
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k.lower() != 'prometheus_multiproc_dir'}
        env.update(PROMETHEUS_MULTIPROC_DIR=str(directory), MP_TEST_LIB=name)
        self.log_path = scratch / 'gunicorn.log'
        self.log = open(self.log_path, 'w')
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn', '--config', os.path.join(FIXTURES, 'gunicorn_conf.py'),
             '--bind', f'127.0.0.1:{self.port}', '--worker-tmp-dir', str(scratch),
             '--pythonpath', FIXTURES, 'app:app'],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def get(self, path):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=LIVENESS_TIMEOUT)
        try:
            conn.request('GET', path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def wait(self, condition, what):
        deadline = time.monotonic() + LIVENESS_TIMEOUT
        while not condition():
            assert self.proc.poll() is None, f'gunicorn exited:\n{self.log_text()}'
            if time.monotonic() > deadline:
                raise AssertionError(f'timed out waiting for {what}:\n{self.log_text()}')
            time.sleep(0.02)

    def livesum_files(self):
        return sorted(f for f in os.listdir(self.directory) if f.startswith('gauge_livesum_'))

    def wait_ready(self):
        def answers():
            try:
                return self.get('/metrics')[0] == 200
            except OSError:
                return False
        self.wait(answers, 'gunicorn to answer')
        # Each worker makes its files when it imports the app.
        self.wait(lambda: len(self.livesum_files()) == WORKERS, f'{WORKERS} workers')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(LIVENESS_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(LIVENESS_TIMEOUT)
        self.log.close()


@pytest.fixture
def gunicorn(tmp_path):
    started = []

    def start(name):
        server = Gunicorn(name, tmp_path / 'multiproc', tmp_path)
        started.append(server)
        server.wait_ready()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


def work(server, n, served):
    """``n`` calls of /work; ``served`` counts them by the pid that answered."""
    for _ in range(n):
        status, body = server.get('/work')
        assert status == 200
        served[int(body)] += 1


def scrape(server):
    status, body = server.get('/metrics')
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def check_totals(server, served, gone):
    total = sum(served.values())
    got = scrape(server)
    assert got[('app_work_total', ())] == total
    assert got[('app_work_seconds_count', ())] == total
    assert got[('app_work_seconds_sum', ())] == 0.25 * total
    assert got[('app_work_seconds_bucket', (('le', '0.1'),))] == 0
    assert got[('app_work_seconds_bucket', (('le', '0.5'),))] == total
    assert got[('app_work_seconds_bucket', (('le', '+Inf'),))] == total
    assert got[('app_served_by_live_workers', ())] == total - sum(served[pid] for pid in gone)


def replace_worker(server, pid, sig):
    """Sends ``sig`` to worker ``pid`` and waits for child_exit to have dropped its live
    gauge and for gunicorn to have started its replacement."""
    os.kill(pid, sig)
    mine = f'gauge_livesum_{pid}.db'
    server.wait(lambda: mine not in server.livesum_files() and len(server.livesum_files()) == WORKERS,
                f'worker {pid} to be replaced')


@pytest.mark.parametrize('name', LIBS)
def test_gunicorn_workers_add_up(gunicorn, name):
    server = gunicorn(name)
    served = collections.Counter()
    work(server, 150, served)
    check_totals(server, served, gone=[])

    killed = served.most_common(1)[0][0]
    replace_worker(server, killed, signal.SIGKILL)
    work(server, 150, served)
    check_totals(server, served, gone=[killed])

    stopped = max((pid for pid in served if pid != killed), key=lambda pid: served[pid])
    replace_worker(server, stopped, signal.SIGTERM)
    work(server, 100, served)
    check_totals(server, served, gone=[killed, stopped])

    counters = sorted(f for f in os.listdir(server.directory) if f.startswith('counter_'))
    assert f'counter_{server.proc.pid}.db' not in counters
    gone = {f'counter_{pid}.db' for pid in (killed, stopped)}
    if name == 'fastprom':
        # child_exit compacted each dead worker: one folded file, plus the live workers'.
        assert 'counter_compacted.db' in counters and not gone & set(counters), counters
        assert len(counters) == WORKERS + 1, counters
    else:
        # Every worker that ever ran kept its own counter file.
        assert len(counters) == WORKERS + 2
        assert {f'counter_{pid}.db' for pid in served} <= set(counters)
