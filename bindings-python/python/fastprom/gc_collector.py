"""Garbage-collector statistics (``prometheus_client.gc_collector``)."""

import gc
import platform
from typing import Iterable

from .metrics_core import CounterMetricFamily, Metric
from .registry import Collector, CollectorRegistry, REGISTRY



class GCCollector(Collector):
    """Collector for ``gc.get_stats()`` per generation: objects collected, uncollectable
    objects, and collections. Registers itself only on CPython."""

    def __init__(self, registry: CollectorRegistry = REGISTRY):
        if not hasattr(gc, 'get_stats') or platform.python_implementation() != 'CPython':
            return
        registry.register(self)

    def collect(self) -> Iterable[Metric]:
        families = [
            ('collected', CounterMetricFamily(
                'python_gc_objects_collected', 'Objects collected during gc',
                labels=['generation'])),
            ('uncollectable', CounterMetricFamily(
                'python_gc_objects_uncollectable', 'Uncollectable objects found during GC',
                labels=['generation'])),
            ('collections', CounterMetricFamily(
                'python_gc_collections', 'Number of times this generation was collected',
                labels=['generation'])),
        ]
        for generation, stat in enumerate(gc.get_stats()):
            for key, family in families:
                family.add_metric([str(generation)], value=stat[key])
        return [family for _, family in families]


GC_COLLECTOR = GCCollector()
"""The collector registered in ``REGISTRY`` at import (on CPython)."""
