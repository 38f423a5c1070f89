"""A Twisted web resource serving metrics through the WSGI app."""

from twisted.internet import reactor
from twisted.web.wsgi import WSGIResource

from .. import exposition, REGISTRY


def MetricsResource(registry=REGISTRY):
    """Returns a ``WSGIResource`` serving ``registry`` from the reactor's thread pool."""
    return WSGIResource(reactor, reactor.getThreadPool(), exposition.make_wsgi_app(registry))
