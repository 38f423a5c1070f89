"""Value cells, the module prometheus_client calls ``values``.

In fastprom no metric stores its numbers here. A metric's ``_value`` (or ``_sum``,
``_count``, ``_buckets``) is a view of a child in the native core, answering the same
``get()``, ``set()``, ``inc()`` and ``get_exemplar()`` calls as a cell from this module.

What the module still offers:

* ``MutexValue``, a plain lock-guarded float, for code that builds cells of its own;
* the multi-process entry points, which fastprom does not implement yet: with
  ``PROMETHEUS_MULTIPROC_DIR`` set, ``get_value_class()`` warns and keeps values in this
  process, and instantiating the class ``MultiProcessValue()`` returns raises
  ``NotImplementedError``.
"""

import os
from threading import Lock
from typing import Callable, List
import warnings

__all__ = ('MutexValue', 'MultiProcessValue', 'ValueClass', 'get_value_class', 'close_all_multiprocess_files')

_NOT_YET = ("fastprom does not implement prometheus_client's multiprocess mode yet "
            "(PROMETHEUS_MULTIPROC_DIR): values are not shared between processes")

# Functions that release multi-process resources. fastprom never opens any, so the list
# stays empty unless a caller appends to it; it is kept because it is public.
_multi_process_cleanups: List[Callable[[], None]] = []


def close_all_multiprocess_files():
    """Calls every function in ``_multi_process_cleanups``, then empties the list."""
    for release in _multi_process_cleanups:
        release()
    del _multi_process_cleanups[:]


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


class _SharedCellPlaceholder:
    """What ``MultiProcessValue()`` hands out: a cell class that cannot be built."""

    _multiprocess = True

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_NOT_YET)

    @classmethod
    def close_all_files(cls):
        """No file was ever opened, so there is nothing to close."""


_SharedCellPlaceholder.__name__ = _SharedCellPlaceholder.__qualname__ = 'MmapedValue'


def MultiProcessValue(process_identifier=os.getpid):
    """Returns the class of a cell shared between processes. In fastprom that class
    raises ``NotImplementedError`` as soon as it is instantiated."""
    return _SharedCellPlaceholder


def _multiprocess_requested():
    env = os.environ
    return 'prometheus_multiproc_dir' in env or 'PROMETHEUS_MULTIPROC_DIR' in env


def get_value_class():
    """The cell class new metrics would use: always ``MutexValue`` in fastprom, with a
    ``UserWarning`` when the environment asks for multi-process mode."""
    if _multiprocess_requested():
        warnings.warn(_NOT_YET, UserWarning)
    return MutexValue


ValueClass = get_value_class()
