"""Process, platform and GC collectors, against prometheus_client's on the same input."""

import os

import pytest

import fastprom
import prometheus_client
from fastprom import gc_collector, platform_collector, process_collector

STAT = b'26231 (python3 (x) y) S 1 26231 26231 0 -1 4194560 1880 0 0 0 17 21 0 0 20 0 1 0 ' \
       b'1753810 56389632 5404 18446744073709551615 1 1 0 0 0 0 0 16781312 134 0 0 0 17 0 0 0 0 0 0\n'
LIMITS = b'''Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            2048                 4096                 files
Max locked memory         65536                65536                bytes
'''


@pytest.fixture
def fake_proc(tmp_path):
    (tmp_path / 'stat').write_bytes(b'cpu  1 2 3\nbtime 1418184099\nprocesses 123\n')
    pid = tmp_path / '26231'
    (pid / 'fd').mkdir(parents=True)
    (pid / 'stat').write_bytes(STAT)
    (pid / 'limits').write_bytes(LIMITS)
    for i in range(5):
        (pid / 'fd' / str(i)).write_text('')
    return tmp_path


def _text(lib, make):
    registry = lib.CollectorRegistry()
    make(lib, registry)
    return lib.generate_latest(registry)


@pytest.mark.parametrize('namespace', ['', 'ns'])
@pytest.mark.parametrize('pid', [26231, '26231', ' 26231\n'])
def test_process_collector_matches(fake_proc, namespace, pid):
    def make(lib, registry):
        lib.ProcessCollector(namespace=namespace, pid=lambda: pid, proc=str(fake_proc), registry=registry)

    got = _text(fastprom, make)
    assert got == _text(prometheus_client, make)
    prefix = f'{namespace}_process_' if namespace else 'process_'
    for name in ('virtual_memory_bytes', 'resident_memory_bytes', 'start_time_seconds',
                 'cpu_seconds_total', 'open_fds', 'max_fds'):
        assert f'\n{prefix}{name} '.encode() in b'\n' + got, name
    assert f'{prefix}open_fds 5.0'.encode() in got
    assert f'{prefix}max_fds 2048.0'.encode() in got


def test_process_collector_partial_proc(fake_proc):
    os.remove(fake_proc / '26231' / 'limits')

    def make(lib, registry):
        lib.ProcessCollector(pid=lambda: 26231, proc=str(fake_proc), registry=registry)

    got = _text(fastprom, make)
    assert got == _text(prometheus_client, make)
    assert b'open_fds' not in got and b'process_cpu_seconds_total' in got


def test_process_collector_without_proc(tmp_path):
    c = process_collector.ProcessCollector(proc=str(tmp_path / 'missing'), registry=None)
    assert list(c.collect()) == []


def test_process_collector_missing_max_open_files_line(fake_proc):
    (fake_proc / '26231' / 'limits').write_bytes(LIMITS.replace(b'Max open files', b'Max open thing'))
    errors = []
    for lib in (process_collector, prometheus_client.process_collector):
        c = lib.ProcessCollector(pid=lambda: 26231, proc=str(fake_proc), registry=None)
        with pytest.raises(NameError) as info:
            c.collect()
        errors.append(type(info.value))
    assert errors[0] is errors[1]


def test_process_collector_reads_this_process():
    c = process_collector.ProcessCollector(registry=None)
    families = {m.name: m for m in c.collect()}
    assert set(families) == {'process_virtual_memory_bytes', 'process_resident_memory_bytes',
                             'process_start_time_seconds', 'process_cpu_seconds', 'process_open_fds',
                             'process_max_fds'}
    assert families['process_cpu_seconds'].type == 'counter'
    assert families['process_open_fds'].samples[0].value > 0
    ref = {m.name: m for m in prometheus_client.process_collector.ProcessCollector(registry=None).collect()}
    assert families['process_start_time_seconds'].samples[0].value == ref['process_start_time_seconds'].samples[0].value
    assert families['process_max_fds'].samples[0].value == ref['process_max_fds'].samples[0].value


class FakePlatform:
    def __init__(self, system='Linux'):
        self._system = system

    def python_version_tuple(self):
        return '3', '11', '7'

    def python_version(self):
        return '3.11.7'

    def python_implementation(self):
        return 'CPython'

    def system(self):
        return self._system

    def java_ver(self):
        return '1.8.0_151', '', ('OpenJDK 64-Bit Server VM', '25.151-b12', 'Oracle Corporation'), ('', '', '')


@pytest.mark.parametrize('system', ['Linux', 'Java'])
def test_platform_collector_matches(system):
    def make(lib, registry):
        lib.PlatformCollector(registry=registry, platform=FakePlatform(system))

    got = _text(fastprom, make)
    assert got == _text(prometheus_client, make)
    assert b'python_info{' in got
    assert (b'jvm_vendor="Oracle Corporation"' in got) == (system == 'Java')


def test_platform_collector_real_platform():
    def make(lib, registry):
        lib.PlatformCollector(registry=registry)

    assert _text(fastprom, make) == _text(prometheus_client, make)


def test_gc_collector_shape_matches():
    def shape(lib):
        registry = lib.CollectorRegistry()
        lib.GCCollector(registry=registry)
        return [(m.name, m.type, m.documentation, [(s.name, s.labels) for s in m.samples])
                for m in registry.collect()]

    assert shape(fastprom) == shape(prometheus_client)
    assert shape(fastprom)[0][0] == 'python_gc_objects_collected'


def test_gc_collector_counts_collections():
    import gc
    c = gc_collector.GCCollector(registry=fastprom.CollectorRegistry())
    before = {s.labels['generation']: s.value for s in list(c.collect())[2].samples}
    gc.collect()
    after = {s.labels['generation']: s.value for s in list(c.collect())[2].samples}
    assert after['2'] >= before['2'] + 1


def test_default_collectors_are_registered():
    assert isinstance(fastprom.PROCESS_COLLECTOR, fastprom.ProcessCollector)
    assert isinstance(fastprom.PLATFORM_COLLECTOR, fastprom.PlatformCollector)
    assert isinstance(fastprom.GC_COLLECTOR, fastprom.GCCollector)
    assert process_collector.PROCESS_COLLECTOR is fastprom.PROCESS_COLLECTOR
    assert platform_collector.PLATFORM_COLLECTOR is fastprom.PLATFORM_COLLECTOR
    assert gc_collector.GC_COLLECTOR is fastprom.GC_COLLECTOR
    names = {m.name for m in fastprom.REGISTRY.collect()}
    assert {'process_cpu_seconds', 'python_info', 'python_gc_objects_collected'} <= names
    fastprom.REGISTRY.unregister(fastprom.PLATFORM_COLLECTOR)
    try:
        assert 'python_info' not in {m.name for m in fastprom.REGISTRY.collect()}
    finally:
        fastprom.REGISTRY.register(fastprom.PLATFORM_COLLECTOR)
    # Registering a second process collector in the default registry clashes, as upstream.
    with pytest.raises(ValueError):
        fastprom.ProcessCollector()
