"""Resource usage of a process, read from procfs at each scrape.

Six families, named ``process_*`` (``<namespace>_process_*`` with a namespace):
``virtual_memory_bytes``, ``resident_memory_bytes``, ``start_time_seconds`` and
``cpu_seconds_total`` from ``/proc/<pid>/stat``; ``open_fds`` and ``max_fds`` from the
``fd`` directory and ``limits`` file. A file that cannot be read drops its families from
that scrape; without a readable ``/proc`` (macOS, Windows) the collector exposes nothing.
"""

import os
from typing import Callable, Iterable, List, Optional, Union

from .metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from .registry import Collector, CollectorRegistry, REGISTRY

try:
    import resource
except ImportError:  # no resource module off Unix; the usual page size will do
    _PAGESIZE = 4096
else:
    _PAGESIZE = resource.getpagesize()

# Fields of /proc/<pid>/stat, numbered as in proc(5). The command name (field 2) may hold
# spaces and parentheses, so the fields are counted from the last ')': field n is then
# item n - 3.
_UTIME, _STIME, _STARTTIME, _VSIZE, _RSS = 14, 15, 22, 23, 24


def _stat_fields(path: str) -> List[bytes]:
    with open(path, 'rb') as stat:
        after_command = stat.read().rsplit(b')', 1)[-1]
    return after_command.split()


class ProcessCollector(Collector):
    """Collects the process metrics of ``pid()`` (``'self'`` by default: this process)
    from the procfs mounted at ``proc``. Registered in ``registry`` unless it is None."""

    def __init__(self,
                 namespace: str = '',
                 pid: Callable[[], Union[int, str]] = lambda: 'self',
                 proc: str = '/proc',
                 registry: Optional[CollectorRegistry] = REGISTRY):
        self._namespace = namespace
        self._prefix = namespace + '_process_' if namespace else 'process_'
        self._pid = pid
        self._proc = proc
        try:
            self._ticks = os.sysconf('SC_CLK_TCK')
        except (ValueError, TypeError, AttributeError, OSError):
            self._ticks = 100.0
        self._pagesize = _PAGESIZE
        # Seconds since the epoch at boot; process start times count from it. Zero when
        # procfs cannot be read, which also switches collect() off.
        try:
            self._btime = self._boot_time()
        except OSError:
            self._btime = 0
        if registry:
            registry.register(self)

    def _boot_time(self):
        with open(os.path.join(self._proc, 'stat'), 'rb') as stat:
            found = next((line for line in stat if line.startswith(b'btime ')), None)
        return None if found is None else float(found.split()[1])

    def _gauge(self, suffix: str, help_text: str, value) -> GaugeMetricFamily:
        return GaugeMetricFamily(self._prefix + suffix, help_text, value=value)

    def _from_stat(self, pid_dir: str) -> List[Metric]:
        fields = _stat_fields(os.path.join(pid_dir, 'stat'))

        def number(field: int) -> float:
            return float(fields[field - 3])

        vsize = number(_VSIZE)
        rss_bytes = number(_RSS) * self._pagesize
        started = number(_STARTTIME) / self._ticks + self._btime
        cpu = number(_UTIME) / self._ticks + number(_STIME) / self._ticks
        return [
            self._gauge('virtual_memory_bytes', 'Virtual memory size in bytes.', vsize),
            self._gauge('resident_memory_bytes', 'Resident memory size in bytes.', rss_bytes),
            self._gauge('start_time_seconds', 'Start time of the process since unix epoch in seconds.', started),
            CounterMetricFamily(self._prefix + 'cpu_seconds_total',
                                'Total user and system CPU time spent in seconds.', value=cpu),
        ]

    def _from_fds(self, pid_dir: str) -> List[Metric]:
        with open(os.path.join(pid_dir, 'limits'), 'rb') as limits:
            for line in limits:
                if line.startswith(b'Max open file'):
                    max_fds = self._gauge('max_fds', 'Maximum number of open file descriptors.',
                                          float(line.split()[3]))
                    break
        open_count = len(os.listdir(os.path.join(pid_dir, 'fd')))
        open_fds = self._gauge('open_fds', 'Number of open file descriptors.', open_count)
        # A limits file without that line leaves max_fds unbound: UnboundLocalError, as
        # prometheus_client raises.
        return [open_fds, max_fds]

    def collect(self) -> Iterable[Metric]:
        if not self._btime:
            return []
        pid_dir = os.path.join(self._proc, str(self._pid()).strip())
        families: List[Metric] = []
        for read in (self._from_stat, self._from_fds):
            try:
                families += read(pid_dir)
            except OSError:
                continue
        return families


PROCESS_COLLECTOR = ProcessCollector()
"""The collector of this process, registered in ``REGISTRY`` at import."""
