"""Multi-process mode (``prometheus_client.multiprocess``): names only, for now.

prometheus_client's multi-process mode (one mmap file per process and metric type under
``PROMETHEUS_MULTIPROC_DIR``, merged at scrape time) is not implemented yet. This module
exists so that imports work: ``MultiProcessCollector`` raises ``NotImplementedError`` when
constructed with a valid directory and its merge helpers raise it when called.
``mark_process_dead`` works (it only removes a dead process's live-gauge files).
"""

import glob
import os
import warnings


_NOT_YET = ("fastprom does not implement prometheus_client's multiprocess mode yet "
            "(PROMETHEUS_MULTIPROC_DIR); see docs/compatibility.md")

# Gauge multiprocess modes whose files belong to live processes only.
_LIVE_GAUGE_MULTIPROCESS_MODES = frozenset(
    ('liveall', 'livemin', 'livemax', 'livesum', 'livemostrecent'))


def _multiproc_dir_from_env():
    if 'prometheus_multiproc_dir' in os.environ and 'PROMETHEUS_MULTIPROC_DIR' not in os.environ:
        os.environ['PROMETHEUS_MULTIPROC_DIR'] = os.environ['prometheus_multiproc_dir']
        warnings.warn("prometheus_multiproc_dir variable has been deprecated in favor of "
                      "the upper case naming PROMETHEUS_MULTIPROC_DIR", DeprecationWarning)
    return os.environ.get('PROMETHEUS_MULTIPROC_DIR')


class MultiProcessCollector:
    """Would read the per-process files of multi-process mode; not implemented yet.

    Checks ``path`` (default ``$PROMETHEUS_MULTIPROC_DIR``) as prometheus_client does,
    raising ``ValueError`` when it is not a directory, then raises
    ``NotImplementedError``."""

    def __init__(self, registry, path=None):
        if path is None:
            path = _multiproc_dir_from_env()
        if not path or not os.path.isdir(path):
            raise ValueError('env PROMETHEUS_MULTIPROC_DIR is not set or not a directory')
        raise NotImplementedError(_NOT_YET)

    @staticmethod
    def merge(files, accumulate=True):
        """Would combine the samples of several per-process files; not implemented yet."""
        raise NotImplementedError(_NOT_YET)

    def collect(self):
        raise NotImplementedError(_NOT_YET)


def mark_process_dead(pid, path=None):
    """Removes the live-gauge files of process ``pid`` from the multi-process directory
    (``path``, default ``$PROMETHEUS_MULTIPROC_DIR``)."""
    # Unlike the collector, this reads the old lower-case variable without warning.
    directory = path if path is not None else os.environ.get(
        'PROMETHEUS_MULTIPROC_DIR', os.environ.get('prometheus_multiproc_dir'))
    patterns = (os.path.join(directory, f'gauge_{mode}_{pid}.db') for mode in _LIVE_GAUGE_MULTIPROCESS_MODES)
    for stale in [name for pattern in patterns for name in glob.glob(pattern)]:
        os.remove(stale)
