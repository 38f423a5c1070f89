"""Twisted integration (``prometheus_client.twisted``)."""

from ._exposition import MetricsResource

__all__ = ['MetricsResource']
