"""``python_info``: which Python is running, as labels on a constant gauge.

The values are read once, when the collector is built, and every scrape returns the
same family, e.g. ``python_info{implementation="CPython",major="3",minor="11",
patchlevel="4",version="3.11.4"} 1.0``. On Jython the JVM's name, release, vendor and
version are added as ``jvm_*`` labels.
"""

import platform as pf
from typing import Any, Iterable, Optional

from .metrics_core import GaugeMetricFamily, Metric
from .registry import Collector, CollectorRegistry, REGISTRY


class PlatformCollector(Collector):
    """Exposes ``python_info``. ``platform`` stands in for the standard ``platform``
    module (tests pass a fake); ``registry=None`` leaves the collector unregistered."""

    def __init__(self, registry: Optional[CollectorRegistry] = REGISTRY, platform: Optional[Any] = None):
        self._platform = pf if platform is None else platform
        labels = self._info()
        on_jvm = self._platform.system() == "Java"
        if on_jvm:
            labels.update(self._java())
        self._metrics = [self._add_metric("python_info", "Python platform information", labels)]
        if registry:
            registry.register(self)

    def collect(self) -> Iterable[Metric]:
        return self._metrics

    @staticmethod
    def _add_metric(name, documentation, data):
        """A gauge at 1 whose labels are ``data`` (names and values, in its order)."""
        family = GaugeMetricFamily(name, documentation, labels=list(data))
        family.add_metric(list(data.values()), 1)
        return family

    def _info(self):
        source = self._platform
        major, minor, patchlevel = source.python_version_tuple()
        version, implementation = source.python_version(), source.python_implementation()
        return dict(version=version, implementation=implementation,
                    major=major, minor=minor, patchlevel=patchlevel)

    def _java(self):
        release_of_java, _, (vm_name, vm_release, vm_vendor), _ = self._platform.java_ver()
        return dict(jvm_version=release_of_java, jvm_release=vm_release,
                    jvm_vendor=vm_vendor, jvm_name=vm_name)


PLATFORM_COLLECTOR = PlatformCollector()
"""The collector registered in ``REGISTRY`` at import."""
