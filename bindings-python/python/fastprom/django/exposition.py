"""A Django view serving metrics."""

import os

from django.http import HttpResponse
from django.views import View

from .. import multiprocess
from ..exposition import _bake_output
from ..registry import CollectorRegistry, REGISTRY


class PrometheusDjangoView(View):
    """Serves ``registry`` (``REGISTRY`` by default) on GET; answers OPTIONS with
    ``Allow: OPTIONS,GET``. In multi-process mode (``PROMETHEUS_MULTIPROC_DIR`` set) it
    serves a registry of its own holding a ``MultiProcessCollector``: every worker's
    values, merged."""

    multiprocess_mode: bool = ("PROMETHEUS_MULTIPROC_DIR" in os.environ
                               or "prometheus_multiproc_dir" in os.environ)
    registry: CollectorRegistry = None

    def get(self, request, *args, **kwargs):
        if self.registry is None:
            if self.multiprocess_mode:
                self.registry = CollectorRegistry()
                multiprocess.MultiProcessCollector(self.registry)
            else:
                self.registry = REGISTRY
        status, headers, output = _bake_output(
            registry=self.registry,
            accept_header=request.headers.get("Accept"),
            accept_encoding_header=request.headers.get("Accept-Encoding"),
            params=request.GET,
            disable_compression=False,
        )
        return HttpResponse(output, status=int(status.split(" ")[0]), headers=headers)

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=200, headers={"Allow": "OPTIONS,GET"})
