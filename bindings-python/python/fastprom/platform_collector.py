"""The ``python_info`` metric (``prometheus_client.platform_collector``)."""

import platform as pf
from typing import Any, Iterable, Optional

from .metrics_core import GaugeMetricFamily, Metric
from .registry import Collector, CollectorRegistry, REGISTRY



class PlatformCollector(Collector):
    """Collector for the Python platform: version, implementation and version parts as
    labels of ``python_info`` (plus the JVM's on Jython). ``platform`` replaces the
    ``platform`` module, for tests."""

    def __init__(self,
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 platform: Optional[Any] = None,
                 ):
        self._platform = pf if platform is None else platform
        info = self._info()
        if self._platform.system() == "Java":
            info.update(self._java())
        self._metrics = [self._add_metric("python_info", "Python platform information", info)]
        if registry:
            registry.register(self)

    def collect(self) -> Iterable[Metric]:
        return self._metrics

    @staticmethod
    def _add_metric(name, documentation, data):
        g = GaugeMetricFamily(name, documentation, labels=data.keys())
        g.add_metric([data[k] for k in data.keys()], 1)
        return g

    def _info(self):
        major, minor, patchlevel = self._platform.python_version_tuple()
        return {
            "version": self._platform.python_version(),
            "implementation": self._platform.python_implementation(),
            "major": major,
            "minor": minor,
            "patchlevel": patchlevel,
        }

    def _java(self):
        java_version, _, vminfo, _ = self._platform.java_ver()
        vm_name, vm_release, vm_vendor = vminfo
        return {
            "jvm_version": java_version,
            "jvm_release": vm_release,
            "jvm_vendor": vm_vendor,
            "jvm_name": vm_name,
        }


PLATFORM_COLLECTOR = PlatformCollector()
"""PlatformCollector in default Registry REGISTRY"""
