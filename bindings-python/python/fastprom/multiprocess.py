"""Multi-process mode: one view of the metrics of many worker processes.

Under gunicorn, uWSGI, Celery and the like, each worker process keeps its values in files
of its own under ``PROMETHEUS_MULTIPROC_DIR`` (see ``fastprom.values``), and the process
answering scrapes merges them with a ``MultiProcessCollector``:

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    data = generate_latest(registry)

The files are prometheus_client 0.26's, in both directions: fastprom reads directories
written by prometheus_client workers and the other way round. The reading and merging are
native. Beyond prometheus_client, a damaged file is skipped (with a ``RuntimeWarning`` and a
count in ``fastprom_multiprocess_skipped_files_total``) rather than failing the scrape, and
``compact()`` folds the files of dead workers into one, so the directory stops growing with
each worker restart.
"""

from collections import defaultdict  # noqa: F401  (a name prometheus_client.multiprocess has)
import glob
import json  # noqa: F401
import os
import sys
import warnings

from . import _fastprom
from . import registry as _registry_module
from .metrics import Gauge
from .metrics_core import Metric
from .mmap_dict import MmapedDict  # noqa: F401
from .samples import Sample
from .utils import floatToGoString  # noqa: F401


_SKIPPED_NAME = 'fastprom_multiprocess_skipped_files'
_SKIPPED_HELP = 'Multi-process files this collector could not read and left out of its scrapes.'


def _directory_from_env():
    if 'prometheus_multiproc_dir' in os.environ and 'PROMETHEUS_MULTIPROC_DIR' not in os.environ:
        os.environ['PROMETHEUS_MULTIPROC_DIR'] = os.environ['prometheus_multiproc_dir']
        warnings.warn("prometheus_multiproc_dir variable has been deprecated in favor of the upper case "
                      "naming PROMETHEUS_MULTIPROC_DIR", DeprecationWarning)
    return os.environ.get('PROMETHEUS_MULTIPROC_DIR')


def _metrics(families):
    """The native merge's ``(name, help, type, samples)`` tuples as ``Metric`` objects."""
    out = []
    for name, help_text, typ, samples in families:
        metric = Metric(name, help_text, typ)
        metric.samples = [Sample(sample, labels, value) for sample, labels, value in samples]
        out.append(metric)
    return out


def _warn_skipped(skipped):
    for path, reason in skipped:
        warnings.warn(f'fastprom: skipped multiprocess file {path}: {reason}', RuntimeWarning, stacklevel=3)


class MultiProcessCollector:
    """Collects the files of every process in a multi-process directory (``path``, by
    default ``$PROMETHEUS_MULTIPROC_DIR``), merged per metric as prometheus_client merges
    them, and registers itself in ``registry`` unless that is ``None``."""

    def __init__(self, registry, path=None):
        if path is None:
            path = _directory_from_env()
        if not path or not os.path.isdir(path):
            raise ValueError('env PROMETHEUS_MULTIPROC_DIR is not set or not a directory')
        self._path = path
        # Reads the directory; the registry's encoders use it directly (see registry.py).
        self._fp_source = _fastprom.MultiprocessSource(path)
        if registry:
            registry.register(self)

    @staticmethod
    def merge(files, accumulate=True):
        """Merges the given files, in order. Histogram buckets come out cumulative, as
        exposition wants them, unless ``accumulate`` is false (for writing merged values
        back to files). A damaged file is skipped with a ``RuntimeWarning``."""
        families, skipped = _fastprom._mp_merge([os.fspath(f) for f in files], accumulate)
        _warn_skipped(skipped)
        return _metrics(families)

    def collect(self):
        if type(self).merge is not MultiProcessCollector.merge:
            # A subclass that changes the merge gets it called, as prometheus_client does.
            return self.merge(glob.glob(os.path.join(self._path, '*.db')), accumulate=True)
        metrics = _metrics(self._fp_source.scrape())
        skipped = self._fp_source.skipped
        if skipped:
            counter = Metric(_SKIPPED_NAME, _SKIPPED_HELP, 'counter')
            counter.add_sample(_SKIPPED_NAME + '_total', {}, float(skipped))
            metrics.append(counter)
        return metrics


_LIVE_GAUGE_MULTIPROCESS_MODES = {m for m in Gauge._MULTIPROC_MODES if m.startswith('live')}


def mark_process_dead(pid, path=None):
    """Removes the files of process ``pid``'s ``live*`` gauges from the multi-process
    directory (``path``, default ``$PROMETHEUS_MULTIPROC_DIR``). Call it when a worker
    exits (gunicorn's ``child_exit`` hook); its counters, histograms and summaries stay,
    for ``compact()`` to fold."""
    if path is None:
        path = os.environ.get('PROMETHEUS_MULTIPROC_DIR', os.environ.get('prometheus_multiproc_dir'))
    for mode in _LIVE_GAUGE_MULTIPROCESS_MODES:
        for stale in glob.glob(os.path.join(path, f'gauge_{mode}_{pid}.db')):
            os.remove(stale)


def compact(path=None, pids=None):
    """Folds the counter, histogram and summary files of dead processes into
    ``counter_compacted.db``, ``histogram_compacted.db`` and ``summary_compacted.db``, so
    the directory stops growing as workers come and go. (A sum that needs more than one
    float to stay exact gets a second entry under the same key; readers, prometheus_client's
    included, add a key's entries up.)

    ``pids``: the identifiers of the dead processes, as they appear in the file names
    (e.g. ``[worker.pid]`` from gunicorn's ``child_exit``); by default every numeric
    identifier whose process no longer exists. Never name a process that is still running:
    its later writes would go to a file that is gone. Gauge files are left alone (see
    ``mark_process_dead``).

    No total that fastprom's collector reports changes: sums are exact, and a fastprom
    scrape never sees the directory half-way (a lock file, ``.fastprom.lock``, keeps
    scrapes and compaction apart; live workers are not involved). A prometheus_client
    collector takes no such lock: see docs/compatibility.md for the short window in which
    it could count folded values twice.

    Returns ``{'files_folded': n, 'files_written': n, 'folded': [...], 'written': [...],
    'skipped': [(file, reason), ...]}``; damaged files are left in place and listed under
    ``skipped``.
    """
    if path is None:
        path = _directory_from_env()
    if not path or not os.path.isdir(path):
        raise ValueError('env PROMETHEUS_MULTIPROC_DIR is not set or not a directory')
    idents = None if pids is None else [str(p) for p in pids]
    folded, written, skipped = _fastprom._mp_compact(os.fspath(path), idents)
    return {
        'files_folded': len(folded),
        'files_written': len(written),
        'folded': folded,
        'written': written,
        'skipped': skipped,
    }


def _main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog='python -m fastprom.multiprocess',
        description="Maintenance of a multi-process metrics directory.")
    commands = parser.add_subparsers(dest='command', required=True)
    fold = commands.add_parser(
        'compact', help="fold dead workers' counter, histogram and summary files into one per type")
    fold.add_argument('--path', default=None,
                      help='the directory (default: $PROMETHEUS_MULTIPROC_DIR)')
    fold.add_argument('pids', nargs='*',
                      help='identifiers of dead processes (default: every pid with no running process)')
    args = parser.parse_args(argv)
    try:
        done = compact(args.path, args.pids or None)
    except (ValueError, OSError) as e:
        print(f'compact: {e}', file=sys.stderr)
        return 1
    print(f"folded {done['files_folded']} files into {done['files_written']}")
    for name, reason in done['skipped']:
        print(f'skipped {name}: {reason}', file=sys.stderr)
    return 0


def _reads_directory_only(obj):
    """Whether ``obj`` collects exactly what its native source reads: a MultiProcessCollector
    whose ``collect`` and ``merge`` are the class's own (not overridden by a subclass, nor
    ``collect`` assigned on the instance)."""
    cls = type(obj)
    return (issubclass(cls, MultiProcessCollector)
            and cls.collect is MultiProcessCollector.collect
            and cls.merge is MultiProcessCollector.merge
            and 'collect' not in getattr(obj, '__dict__', ()))


_registry_module._fp_reads_directory = _reads_directory_only


if __name__ == '__main__':
    sys.exit(_main())
