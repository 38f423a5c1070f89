"""Registries: where collectors are kept until a scrape asks for them.

A ``CollectorRegistry`` maps each registered collector to the sample names it claims and
refuses a second collector claiming any of them (``DuplicateTimeseries``). The names come
from the collector's ``describe()`` or, in a registry made with ``auto_describe=True``
(such as the process-wide ``REGISTRY``), from one ``collect()`` at registration.

Scrapes rarely go through ``collect()`` here: fastprom's encoders ask ``_fp_snapshot()``
for the collectors and read fastprom's own metrics straight from their native families,
so Python objects are only built for custom collectors. ``collect()`` and
``get_sample_value()`` still work as usual, for tests and for code that walks metrics::

    registry = CollectorRegistry()
    Counter('jobs', 'Jobs run.', registry=registry).inc()
    registry.get_sample_value('jobs_total')   # 1.0
"""

import copy  # noqa: F401  (a public name of prometheus_client.registry)
from operator import attrgetter
from threading import Lock
from typing import Dict, Iterable, List, Optional, Protocol, Set

from . import _fastprom
from .metrics_core import Metric

__all__ = ('Collector', 'CollectorRegistry', 'DuplicateTimeseries', 'REGISTRY', 'RestrictedRegistry')

# Besides its own name, a family claims the names of the series its type adds. The table
# is the core's (MetricType::suffixes, what its own registry checks); it is asked once per
# type name and remembered here.
_suffixes_by_type: Dict[str, tuple] = {}


def _series_suffixes(kind) -> tuple:
    """The suffixes a family of type ``kind`` claims (none for a type without any)."""
    found = _suffixes_by_type.get(kind)
    if found is None:
        found = tuple(_fastprom.series_suffixes(kind)) if isinstance(kind, str) else ()
        _suffixes_by_type[kind] = found
    return found


def _claimed_names(families: Iterable[Metric]) -> List[str]:
    """Every sample name the given families (from ``describe()`` or ``collect()``) may
    expose, each family's own name first."""
    claimed: List[str] = []
    for family in families:
        claimed.append(family.name)
        claimed.extend(family.name + suffix for suffix in _series_suffixes(family.type))
    return claimed


class Collector(Protocol):
    # No instance layout of its own, so metric classes can keep their attributes in slots.
    __slots__ = ()

    def collect(self) -> Iterable[Metric]:
        """The metric families to expose, built at the time of the call."""


class _EmptyCollector:
    """Holds the ``target_info`` name in the registry while target info is set (the
    registry itself produces that family)."""

    def collect(self) -> Iterable[Metric]:
        return []


class DuplicateTimeseries(ValueError):
    """A collector claimed sample names another registered collector already claims;
    they are in ``duplicates``."""

    def __init__(self, duplicates: Set[str]):
        super().__init__(f'Duplicated timeseries in CollectorRegistry: {duplicates}')
        self.duplicates: Set[str] = duplicates


class CollectorRegistry:
    """A set of collectors scraped together.

    A collector is anything with a ``collect()`` method returning metric families;
    ``describe()``, when it has one, announces those families without building their
    samples, and is what duplicate detection reads. Every fastprom metric registers
    itself here (in ``REGISTRY`` unless given ``registry=``).
    """

    def __init__(self, auto_describe: bool = False, target_info: Optional[Dict[str, str]] = None,
                 support_collectors_without_names: bool = False):
        # Both maps and the list below are read by RestrictedRegistry and by some
        # third-party code, so their names and shapes are prometheus_client's.
        self._collector_to_names: Dict[Collector, List[str]] = {}
        self._names_to_collectors: Dict[str, Collector] = {}
        self._collectors_without_names: List[Collector] = []
        self._support_collectors_without_names = support_collectors_without_names
        self._auto_describe = auto_describe
        self._lock = Lock()
        self._target_info: Optional[Dict[str, str]] = {}
        self.set_target_info(target_info)

    def register(self, collector: Collector) -> None:
        """Adds ``collector``; raises ``DuplicateTimeseries`` when one of its sample names
        is taken (and then registers nothing)."""
        with self._lock:
            claimed = self._get_names(collector)
            taken = {name for name in claimed if name in self._names_to_collectors}
            if taken:
                raise DuplicateTimeseries(taken)
            self._names_to_collectors.update(dict.fromkeys(claimed, collector))
            self._collector_to_names[collector] = claimed
            self._fp_sources = None
            if not claimed and self._support_collectors_without_names:
                self._collectors_without_names.append(collector)

    def unregister(self, collector: Collector) -> None:
        """Removes ``collector`` and frees its names; ``KeyError`` if it is not here."""
        with self._lock:
            claimed = self._collector_to_names[collector]
            for name in claimed:
                self._names_to_collectors.pop(name)
            self._collector_to_names.pop(collector)
            self._fp_sources = None
            if collector in self._collectors_without_names:
                self._collectors_without_names.remove(collector)

    def _get_names(self, collector):
        """The sample names ``collector`` claims: from ``describe()``, else (when this
        registry auto-describes) from ``collect()``, else none."""
        source = getattr(collector, 'describe', None)
        if not source:
            source = collector.collect if self._auto_describe else None
        return _claimed_names(source()) if source else []

    def _scrape_plan(self):
        """Under the lock: the target info family (or None) and the collectors, in the
        order they were registered."""
        with self._lock:
            target = self._target_info_metric() if self._target_info else None
            return target, list(self._collector_to_names)

    def collect(self) -> Iterable[Metric]:
        """Yields the target info family, if set, then every collector's families."""
        target, collectors = self._scrape_plan()
        if target:
            yield target
        for collector in collectors:
            yield from collector.collect()

    def _fp_snapshot(self):
        """What the native encoders walk: (target info metric or None, the collectors in
        collection order, None); None when a subclass overrides collect()."""
        if type(self).collect is not CollectorRegistry.collect:
            return None
        with self._lock:
            target = self._target_info_metric() if self._target_info else None
            # The list handed to the encoder is kept until the collectors change
            # (register() and unregister() drop it; the length check catches code that
            # edits _collector_to_names itself).
            members = self._collector_to_names
            kept = getattr(self, '_fp_sources', None)
            if kept is None or kept[0] is not members or kept[1] != len(members):
                kept = self._fp_sources = (members, len(members), _fp_scrape_sources(members))
            return target, kept[2], None

    def restricted_registry(self, names: Iterable[str]) -> "RestrictedRegistry":
        """A view of this registry whose ``collect()`` keeps only the samples named in
        ``names``, as the ``name[]`` query parameter of a scrape asks. For example
        ``generate_latest(REGISTRY.restricted_registry(['jobs_total']))``. Experimental
        in prometheus_client, and so here."""
        return RestrictedRegistry(set(names), self)

    def set_target_info(self, labels: Optional[Dict[str, str]]) -> None:
        """Sets the labels of the ``target_info`` family exposed first by every scrape;
        empty or None removes it. ``ValueError`` if a collector already claims the name."""
        with self._lock:
            had_target_info = bool(self._target_info)
            if not labels:
                if had_target_info:
                    self._names_to_collectors.pop('target_info', None)
            elif not had_target_info and 'target_info' in self._names_to_collectors:
                raise ValueError('CollectorRegistry already contains a target_info metric')
            else:
                self._names_to_collectors['target_info'] = _EmptyCollector()
            self._target_info = labels

    def get_target_info(self) -> Optional[Dict[str, str]]:
        """The labels given to ``set_target_info`` (or the constructor)."""
        with self._lock:
            return self._target_info

    def _target_info_metric(self):
        family = Metric('target', 'Target metadata', 'info')
        family.add_sample('target_info', self._target_info, 1)
        return family

    def get_sample_value(self, name: str, labels: Optional[Dict[str, str]] = None) -> Optional[float]:
        """The value of the sample ``name`` with exactly ``labels`` (none by default), or
        None. It collects everything to find one value: meant for tests."""
        wanted = {} if labels is None else labels
        found = (sample.value
                 for family in self.collect()
                 for sample in family.samples
                 if sample.name == name and sample.labels == wanted)
        return next(found, None)


class RestrictedRegistry:
    """What ``CollectorRegistry.restricted_registry`` returns: the registry's collectors
    that claim one of the names (plus those registered without names, when the registry
    supports them), each family cut down to the samples named."""

    def __init__(self, names: Iterable[str], registry: CollectorRegistry):
        self._name_set = set(names)
        self._registry = registry

    def _collectors(self):
        registry = self._registry
        chosen = set(registry._collectors_without_names)
        target = None
        with registry._lock:
            if registry._target_info and 'target_info' in self._name_set:
                target = registry._target_info_metric()
            owners = registry._names_to_collectors
            # target_info belongs to the registry, not to the placeholder collector.
            chosen.update(owners[name] for name in self._name_set
                          if name != 'target_info' and name in owners)
        return target, chosen

    def collect(self) -> Iterable[Metric]:
        target, collectors = self._collectors()
        if target:
            yield target
        for collector in collectors:
            for family in collector.collect():
                kept = family._restricted_metric(self._name_set)
                if kept:
                    yield kept

    def _fp_snapshot(self):
        """As CollectorRegistry._fp_snapshot, with the names to keep."""
        if type(self).collect is not RestrictedRegistry.collect:
            return None
        target, collectors = self._collectors()
        return target, _fp_scrape_sources(collectors), self._name_set


# --- what the native encoders are handed ---------------------------------------------------
#
# prometheus_client's encoders test a sample's labels for truth before reading them, so a
# custom collector may leave them as ``None`` (``Sample('up', None, 1)``) and still be
# exposed. The native encoder wants a mapping; families coming from Python collectors
# are therefore looked at on their way to it, and only a family that has such a sample
# is copied, with ``{}`` in its place. The collector's own objects are left as they are,
# so ``registry.collect()`` still shows ``None``, as prometheus_client's does.

_labels_of = attrgetter('labels')


def _fp_read_natively(cls) -> bool:
    """Whether the encoder reads the samples of a ``cls`` instance from the core without
    calling its ``collect()``; fastprom.metrics puts the real test for its metric classes
    here."""
    return False


def _fp_reads_directory(obj) -> bool:
    """Whether a collector with a ``_fp_source`` collects only what that source reads;
    fastprom.multiprocess puts the real test here."""
    return False


# Classes found to be read without collect(): checked once, then a set lookup per
# collector at each scrape. Only those are remembered (a finite set of real classes);
# other collectors are few and checked each time.
_fp_native_types: Set[type] = set()


def _fp_labels_filled(family):
    try:
        samples = family.samples
        if type(samples) is not list or None not in map(_labels_of, samples):
            return family
        filled = copy.copy(family)
        filled.samples = [s._replace(labels={}) if s.labels is None else s for s in samples]
        return filled
    except Exception:
        # Not shaped like a Metric of Samples: the encoder reports it as before.
        return family


class _FilledLabelsCollector:
    """Stands in for a collector at a scrape; its families pass through
    ``_fp_labels_filled``."""

    __slots__ = ('_source',)

    def __init__(self, source):
        self._source = source

    def collect(self):
        for family in self._source.collect():
            yield _fp_labels_filled(family)


def _fp_scrape_source(obj):
    """``obj`` as the native encoders should get it: unchanged when they read it without
    its ``collect()`` (fastprom's metrics, fastprom's registries whose ``collect`` is not
    overridden), else wrapped as above."""
    kind = type(obj)
    if kind in _fp_native_types:
        return obj
    source = getattr(obj, '_fp_source', None)
    if source is not None and _fp_reads_directory(obj):
        # A MultiProcessCollector: the encoders merge its directory themselves.
        return source
    if issubclass(kind, CollectorRegistry):
        walked = kind.collect is CollectorRegistry.collect
    elif issubclass(kind, RestrictedRegistry):
        walked = kind.collect is RestrictedRegistry.collect
    else:
        walked = _fp_read_natively(kind)
    if not walked:
        return _FilledLabelsCollector(obj)
    _fp_native_types.add(kind)
    return obj


def _fp_scrape_sources(collectors):
    native = _fp_native_types
    return [c if type(c) in native else _fp_scrape_source(c) for c in collectors]


_fastprom.configure(registry=CollectorRegistry, restricted=RestrictedRegistry)

REGISTRY = CollectorRegistry(auto_describe=True)
