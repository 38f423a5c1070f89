"""Django integration (``prometheus_client.django``)."""

from .exposition import PrometheusDjangoView

__all__ = [
    "PrometheusDjangoView",
]
