"""Process metrics read from ``/proc`` (``prometheus_client.process_collector``).

Exposes ``process_virtual_memory_bytes``, ``process_resident_memory_bytes``,
``process_start_time_seconds``, ``process_cpu_seconds_total``, ``process_open_fds`` and
``process_max_fds`` (prefixed with ``<namespace>_`` when a namespace is given), the same
names and semantics as prometheus_client. Where ``/proc`` is missing it exposes nothing.
"""

import os
from typing import Callable, Iterable, List, Optional, Union

from .metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from .registry import Collector, CollectorRegistry, REGISTRY


try:
    import resource

    _PAGESIZE = resource.getpagesize()
except ImportError:  # not Unix
    _PAGESIZE = 4096


class ProcessCollector(Collector):
    """Collector for CPU, memory, start time and file descriptors of a process.

    ``pid`` is a callable returning the process id (or ``'self'``, the default);
    ``proc`` is the procfs mount point."""

    def __init__(self,
                 namespace: str = '',
                 pid: Callable[[], Union[int, str]] = lambda: 'self',
                 proc: str = '/proc',
                 registry: Optional[CollectorRegistry] = REGISTRY):
        self._namespace = namespace
        self._pid = pid
        self._proc = proc
        self._prefix = f'{namespace}_process_' if namespace else 'process_'
        self._ticks = 100.0
        try:
            self._ticks = os.sysconf('SC_CLK_TCK')
        except (ValueError, TypeError, AttributeError, OSError):
            pass
        self._pagesize = _PAGESIZE
        # The boot time doubles as the check that /proc is readable at all.
        self._btime = 0
        try:
            self._btime = self._boot_time()
        except OSError:
            pass
        if registry:
            registry.register(self)

    def _boot_time(self):
        with open(os.path.join(self._proc, 'stat'), 'rb') as stat:
            for line in stat:
                if line.startswith(b'btime '):
                    return float(line.split()[1])

    def _stat_metrics(self, pid_dir: str) -> List[Metric]:
        with open(os.path.join(pid_dir, 'stat'), 'rb') as f:
            # The command name may hold spaces and parentheses: split after the last ')'.
            # Field n of proc(5) is then fields[n - 3].
            fields = f.read().split(b')')[-1].split()
        starttime = float(fields[19]) / self._ticks
        cpu = (float(fields[11]) + float(fields[12])) / self._ticks
        return [
            GaugeMetricFamily(self._prefix + 'virtual_memory_bytes',
                              'Virtual memory size in bytes.', value=float(fields[20])),
            GaugeMetricFamily(self._prefix + 'resident_memory_bytes',
                              'Resident memory size in bytes.',
                              value=float(fields[21]) * self._pagesize),
            GaugeMetricFamily(self._prefix + 'start_time_seconds',
                              'Start time of the process since unix epoch in seconds.',
                              value=starttime + self._btime),
            CounterMetricFamily(self._prefix + 'cpu_seconds_total',
                                'Total user and system CPU time spent in seconds.',
                                value=cpu),
        ]

    def _fd_metrics(self, pid_dir: str) -> List[Metric]:
        with open(os.path.join(pid_dir, 'limits'), 'rb') as limits:
            for line in limits:
                if line.startswith(b'Max open file'):
                    max_fds = GaugeMetricFamily(self._prefix + 'max_fds',
                                                'Maximum number of open file descriptors.',
                                                value=float(line.split()[3]))
                    break
        open_fds = GaugeMetricFamily(self._prefix + 'open_fds',
                                     'Number of open file descriptors.',
                                     len(os.listdir(os.path.join(pid_dir, 'fd'))))
        # As in prometheus_client, a limits file without the line raises NameError here.
        return [open_fds, max_fds]

    def collect(self) -> Iterable[Metric]:
        if not self._btime:
            return []
        pid_dir = os.path.join(self._proc, str(self._pid()).strip())
        result: List[Metric] = []
        for part in (self._stat_metrics, self._fd_metrics):
            try:
                result.extend(part(pid_dir))
            except OSError:
                pass
        return result


PROCESS_COLLECTOR = ProcessCollector()
"""Default ProcessCollector in default Registry REGISTRY."""
