"""bridge.graphite against prometheus_client's over a real TCP socket, and the entry
points of the multiprocess module (test_multiprocess.py covers the mode itself)."""

import os
import socket
import threading
import time

import pytest

import fastprom
import prometheus_client
import prometheus_client.multiprocess
from fastprom import multiprocess
from fastprom.bridge.graphite import GraphiteBridge
from prometheus_client.bridge.graphite import GraphiteBridge as PcGraphiteBridge

from conftest import fixed_registry


class LineServer:
    """Accepts connections on a loopback port and keeps everything received."""

    def __init__(self):
        self.sock = socket.create_server(('127.0.0.1', 0))
        self.address = self.sock.getsockname()
        self.received = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
                self.received.append(b''.join(chunks))

    def close(self):
        self.done.set()
        self.sock.close()


@pytest.fixture
def line_server():
    server = LineServer()
    yield server
    server.close()


def _wait_for(cond, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError('timed out')
        time.sleep(0.01)


class NumbersOnly:
    def __init__(self, lib):
        self.lib = lib

    def collect(self):
        g = self.lib.metrics_core.GaugeMetricFamily('my.gauge', 'g', labels=['a b', 'c'])
        g.add_metric(['x/y', 'é'], 1.5)
        c = self.lib.metrics_core.CounterMetricFamily('req', 'r', labels=['code'])
        c.add_metric(['200'], 3)
        return [g, c, self.lib.metrics_core.GaugeMetricFamily('plain', 'p', value=float('inf'))]


@pytest.mark.parametrize('tags', [False, True])
@pytest.mark.parametrize('prefix', ['', 'pre.fix'])
def test_graphite_push_matches(line_server, tags, prefix):
    for bridge_cls, lib in ((GraphiteBridge, fastprom), (PcGraphiteBridge, prometheus_client)):
        registry = lib.CollectorRegistry()
        registry.register(NumbersOnly(lib))
        bridge_cls(line_server.address, registry=registry, _timer=lambda: 1434898897.5, tags=tags).push(prefix=prefix)
    _wait_for(lambda: len(line_server.received) == 2)
    ours, theirs = line_server.received
    assert ours == theirs
    assert b' 1434898897\n' in ours


def test_graphite_fixed_registry_matches_or_fails_alike(line_server):
    outcomes = []
    for bridge_cls, lib in ((GraphiteBridge, fastprom), (PcGraphiteBridge, prometheus_client)):
        try:
            bridge_cls(line_server.address, registry=fixed_registry(lib), _timer=lambda: 1.0).push()
            outcomes.append('ok')
        except Exception as e:  # noqa: BLE001
            outcomes.append((type(e).__name__, str(e)))
    assert outcomes[0] == outcomes[1]
    if outcomes[0] == 'ok':
        _wait_for(lambda: len(line_server.received) == 2)
        assert line_server.received[0] == line_server.received[1]


class StopsAfter(NumbersOnly):
    """Parks the bridge's push thread (a daemon) for good after ``n`` pushes, since
    GraphiteBridge offers no way to stop it: no traffic goes on after the test."""

    def __init__(self, lib, n):
        super().__init__(lib)
        self.left = n

    def collect(self):
        if self.left == 0:
            threading.Event().wait()
        self.left -= 1
        return super().collect()


def test_graphite_start_pushes_periodically(line_server):
    registry = fastprom.CollectorRegistry()
    registry.register(StopsAfter(fastprom, 3))
    GraphiteBridge(line_server.address, registry=registry).start(interval=0.05, prefix='p')
    _wait_for(lambda: len(line_server.received) >= 3)
    assert all(chunk.startswith(b'p.my_gauge.a_b.x_y.c._ 1.5 ') for chunk in line_server.received[:3])


def test_graphite_unreachable_raises_oserror():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError):
        GraphiteBridge(('127.0.0.1', port), registry=fastprom.CollectorRegistry(), timeout_seconds=2).push()


# --- multiprocess ------------------------------------------------------------------------

def test_multiprocess_names_import():
    from fastprom.multiprocess import MultiProcessCollector, mark_process_dead  # noqa: F401
    assert callable(MultiProcessCollector.merge)


def test_multiprocess_collector_without_directory_matches(monkeypatch):
    monkeypatch.delenv('PROMETHEUS_MULTIPROC_DIR', raising=False)
    monkeypatch.delenv('prometheus_multiproc_dir', raising=False)
    errors = []
    for mod in (multiprocess, prometheus_client.multiprocess):
        with pytest.raises(ValueError) as info:
            mod.MultiProcessCollector(None)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_multiprocess_collector_on_an_empty_directory(tmp_path):
    for mod, lib in ((multiprocess, fastprom), (prometheus_client.multiprocess, prometheus_client)):
        registry = lib.CollectorRegistry()
        mod.MultiProcessCollector(registry, path=str(tmp_path))
        assert list(registry.collect()) == []
        assert lib.generate_latest(registry) == b''
        assert list(mod.MultiProcessCollector.merge([])) == []


def test_mark_process_dead(tmp_path):
    for name in ('gauge_livesum_123.db', 'gauge_liveall_123.db', 'gauge_all_123.db',
                 'counter_123.db', 'gauge_livesum_1234.db'):
        (tmp_path / name).write_bytes(b'')
    multiprocess.mark_process_dead(123, path=str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ['counter_123.db', 'gauge_all_123.db', 'gauge_livesum_1234.db']


def test_gauge_accepts_multiprocess_mode():
    g = fastprom.Gauge('mp_gauge', 'g', multiprocess_mode='livesum', registry=None)
    g.set(3)
    with pytest.raises(ValueError):
        fastprom.Gauge('mp_gauge2', 'g', multiprocess_mode='bogus', registry=None)
