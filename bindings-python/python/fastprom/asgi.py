"""Metrics as an ASGI application, for Starlette, FastAPI, Quart or any ASGI server.

::

    app.mount('/metrics', make_asgi_app())

Every HTTP request scrapes, whatever its path or method; the query string and the
``Accept`` / ``Accept-Encoding`` headers are honoured as by the WSGI app.
"""

from typing import Callable
from urllib.parse import parse_qs

from .exposition import _bake_output
from .registry import Collector, REGISTRY


def _joined_header(scope, wanted: str) -> str:
    """Every value the request sent for the header ``wanted`` (given in lower case),
    comma-joined as if they had come on one line."""
    return ",".join(value.decode("utf8") for name, value in scope.get('headers')
                    if name.decode("utf8").lower() == wanted)


def _response_events(status: str, headers, body: bytes):
    """The two ASGI messages that send a ``_bake_output`` result."""
    raw_headers = [tuple(part.encode('utf8') for part in header) for header in headers]
    start = {"type": "http.response.start", "status": int(status.partition(' ')[0]), "headers": raw_headers}
    return start, {"type": "http.response.body", "body": body}


def make_asgi_app(registry: Collector = REGISTRY, disable_compression: bool = False) -> Callable:
    """An ASGI (HTTP scope only) application exposing ``registry``; the body is gzipped
    for clients that accept it unless ``disable_compression``."""

    async def prometheus_app(scope, receive, send):
        assert scope.get("type") == "http"
        query = parse_qs(scope.get('query_string', b'').decode("utf8"))
        events = _response_events(*_bake_output(
            registry, _joined_header(scope, 'accept'), _joined_header(scope, 'accept-encoding'),
            query, disable_compression))
        # Answer only once the request has actually arrived.
        incoming = await receive()
        if incoming.get("type") == "http.request":
            for event in events:
                await send(event)

    return prometheus_app
