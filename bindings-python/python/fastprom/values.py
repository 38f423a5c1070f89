"""Value cells, the module prometheus_client calls ``values``.

In fastprom a metric's numbers live in its native core child; ``_value`` (``_sum``,
``_count``, ``_buckets``) is a view of it. What this module decides is *where else* they
go: ``ValueClass``, chosen at import, is ``MutexValue`` (values stay in the process) or,
when ``PROMETHEUS_MULTIPROC_DIR`` is set, the class returned by ``MultiProcessValue()``
(multi-process mode: each value is also kept in this process's files in that directory,
in prometheus_client's format). Metrics read ``ValueClass`` when they are created, so
assigning it (``values.ValueClass = MultiProcessValue(my_id)``) affects metrics created
afterwards, as in prometheus_client.
"""

import os
from threading import Lock
from typing import Callable, List
import warnings

from . import _fastprom

__all__ = ('MutexValue', 'MultiProcessValue', 'ValueClass', 'get_value_class', 'close_all_multiprocess_files')

# Functions that release multi-process resources (one per MultiProcessValue() call).
_multi_process_cleanups: List[Callable[[], None]] = []


def close_all_multiprocess_files():
    """Closes the files of every ``MultiProcessValue()`` class made so far; their values
    are no longer written to disk afterwards."""
    for release in _multi_process_cleanups:
        release()
    _multi_process_cleanups.clear()


class MutexValue:
    """A single float, plus the last exemplar given to it, guarded by one lock.

    >>> cell = MutexValue('gauge', 'temp', 'temp', (), (), 'Temperature.')
    >>> cell.inc(2.5); cell.inc(1)
    >>> cell.get()
    3.5

    The identifying arguments (type, names, labels, help) are accepted and ignored.
    """

    _multiprocess = False

    def __init__(self, typ, metric_name, name, labelnames, labelvalues, help_text, **kwargs):
        self._lock = Lock()
        self._value = 0.0
        self._exemplar = None

    def get(self):
        with self._lock:
            return self._value

    def set(self, value, timestamp=None):
        # A timestamp would only matter to a cell shared between processes.
        with self._lock:
            self._value = value

    def inc(self, amount):
        with self._lock:
            self._value += amount

    def get_exemplar(self):
        with self._lock:
            return self._exemplar

    def set_exemplar(self, exemplar):
        with self._lock:
            self._exemplar = exemplar


def _fp_migrate_env():
    """The old lower-case variable still works, copied to the upper-case one with a
    ``DeprecationWarning``, as prometheus_client does when a value is created."""
    env = os.environ
    if 'prometheus_multiproc_dir' in env and 'PROMETHEUS_MULTIPROC_DIR' not in env:
        env['PROMETHEUS_MULTIPROC_DIR'] = env['prometheus_multiproc_dir']
        warnings.warn("prometheus_multiproc_dir variable has been deprecated in favor of the upper case "
                      "naming PROMETHEUS_MULTIPROC_DIR", DeprecationWarning)


def MultiProcessValue(process_identifier=os.getpid):
    """The cell class of multi-process mode: values written to
    ``$PROMETHEUS_MULTIPROC_DIR/<type>_<id>.db`` (gauges: ``gauge_<mode>_<id>.db``), where
    ``id`` is ``process_identifier()``.

    ``process_identifier`` must give different values in processes running at the same
    time. With the default, ``os.getpid``, a forked child notices the fork at its first
    update and moves to files of its own (the fork is detected natively, without a
    ``getpid`` call per update); any other callable is called on every update.
    """
    context = _fastprom.MultiprocessContext(None if process_identifier is os.getpid else process_identifier)
    _multi_process_cleanups.append(context.close)

    class MmapedValue:
        """One float in this process's multi-process file (metrics use the context
        directly; this class serves code that builds cells itself)."""

        _multiprocess = True
        _fp_context = context

        def __init__(self, typ, metric_name, name, labelnames, labelvalues, help_text, multiprocess_mode='', **kwargs):
            self._params = typ, metric_name, name, labelnames, labelvalues, help_text, multiprocess_mode
            _fp_migrate_env()
            self._cell = context.cell(typ, metric_name, name, list(labelnames), list(labelvalues),
                                      help_text, multiprocess_mode)

        def inc(self, amount):
            self._cell.inc(amount)

        def set(self, value, timestamp=None):
            self._cell.set(value, timestamp)

        def set_exemplar(self, exemplar):
            # Exemplars are not kept in multi-process files (nor are they by prometheus_client).
            return

        def get(self):
            return self._cell.get()

        def get_exemplar(self):
            return None

        @classmethod
        def close_all_files(cls):
            context.close()

    return MmapedValue


def get_value_class():
    """The cell class for new metrics, by the environment: multi-process when
    ``PROMETHEUS_MULTIPROC_DIR`` (or the deprecated ``prometheus_multiproc_dir``) is set."""
    env = os.environ
    if 'prometheus_multiproc_dir' in env or 'PROMETHEUS_MULTIPROC_DIR' in env:
        return MultiProcessValue()
    return MutexValue


ValueClass = get_value_class()
