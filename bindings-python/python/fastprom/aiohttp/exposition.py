"""An aiohttp handler serving metrics."""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from ..exposition import _bake_output
from ..registry import Collector, REGISTRY


def make_aiohttp_handler(
    registry: Collector = REGISTRY,
    disable_compression: bool = False,
) -> Handler:
    """Returns an aiohttp handler serving ``registry``.

    Compression is left to aiohttp (``Response.enable_compression``) unless
    ``disable_compression``."""

    async def prometheus_handler(request: web.Request) -> web.Response:
        params = {key: request.query.getall(key) for key in request.query.keys()}
        accept_header = ",".join(request.headers.getall(hdrs.ACCEPT, []))
        status, headers, output = _bake_output(
            registry, accept_header, "", params, disable_compression=True)
        response = web.Response(status=int(status.split(" ")[0]), headers=headers, body=output)
        if not disable_compression:
            response.enable_compression()
        return response

    return prometheus_handler
