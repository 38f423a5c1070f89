"""Metrics as an aiohttp request handler::

    app.router.add_get('/metrics', make_aiohttp_handler())
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from ..exposition import _bake_output
from ..registry import Collector, REGISTRY


def make_aiohttp_handler(registry: Collector = REGISTRY, disable_compression: bool = False) -> Handler:
    """An aiohttp handler that answers with a scrape of ``registry``.

    The query string (``name[]``) and ``Accept`` header are honoured as by the WSGI app.
    Compression is aiohttp's own (``Response.enable_compression``, which negotiates with
    the client), switched off by ``disable_compression``."""

    async def prometheus_handler(request: web.Request) -> web.Response:
        query = request.query
        params = {key: query.getall(key) for key in query}
        accept = ",".join(request.headers.getall(hdrs.ACCEPT, []))
        # The core never compresses here: aiohttp does, below, if allowed.
        status, headers, body = _bake_output(registry, accept, "", params, disable_compression=True)
        reply = web.Response(status=int(status.partition(" ")[0]), headers=headers, body=body)
        if not disable_compression:
            reply.enable_compression()
        return reply

    return prometheus_handler
