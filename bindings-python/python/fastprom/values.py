"""Value cells (``prometheus_client.values``).

fastprom's metrics keep their values in the native core, not in these classes: a metric's
``_value`` (``_sum``, ``_count``, ``_buckets``) is a native view with the same ``get`` /
``set`` / ``inc`` / ``get_exemplar`` methods. ``MutexValue`` is kept for code that uses it
directly. Multi-process mode (``PROMETHEUS_MULTIPROC_DIR``) is not implemented:
``MultiProcessValue()`` returns a class that raises ``NotImplementedError`` when used, and
``get_value_class()`` warns when the variable is set.
"""

import os
from threading import Lock
from typing import Callable, List
import warnings

__all__ = ('MutexValue', 'MultiProcessValue', 'ValueClass', 'get_value_class', 'close_all_multiprocess_files')

_multi_process_cleanups: List[Callable[[], None]] = []

_NOT_YET = ("fastprom does not implement prometheus_client's multiprocess mode yet "
            "(PROMETHEUS_MULTIPROC_DIR): values are not shared between processes")


def close_all_multiprocess_files():
    for cleanup in _multi_process_cleanups:
        cleanup()
    _multi_process_cleanups.clear()


class MutexValue:
    """A float protected by a mutex."""

    _multiprocess = False

    def __init__(self, typ, metric_name, name, labelnames, labelvalues, help_text, **kwargs):
        self._value = 0.0
        self._exemplar = None
        self._lock = Lock()

    def inc(self, amount):
        with self._lock:
            self._value += amount

    def set(self, value, timestamp=None):
        with self._lock:
            self._value = value

    def set_exemplar(self, exemplar):
        with self._lock:
            self._exemplar = exemplar

    def get(self):
        with self._lock:
            return self._value

    def get_exemplar(self):
        with self._lock:
            return self._exemplar


def MultiProcessValue(process_identifier=os.getpid):
    """Multi-process values are not implemented: the class returned raises
    ``NotImplementedError`` when instantiated."""

    class MmapedValue:
        _multiprocess = True

        def __init__(self, *args, **kwargs):
            raise NotImplementedError(_NOT_YET)

    return MmapedValue


def get_value_class():
    # prometheus_client chooses the multi-process class when this variable is set; fastprom
    # keeps values in process and says so.
    if 'prometheus_multiproc_dir' in os.environ or 'PROMETHEUS_MULTIPROC_DIR' in os.environ:
        warnings.warn(_NOT_YET, UserWarning)
    return MutexValue


ValueClass = get_value_class()
