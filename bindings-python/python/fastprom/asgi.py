"""ASGI app serving metrics (``prometheus_client.asgi``)."""

from typing import Callable
from urllib.parse import parse_qs

from .exposition import _bake_output
from .registry import Collector, REGISTRY



def _header(scope, wanted: str) -> str:
    """All values of one request header, joined with commas."""
    return ",".join(value.decode("utf8") for name, value in scope.get('headers')
                    if name.decode("utf8").lower() == wanted)


def make_asgi_app(registry: Collector = REGISTRY, disable_compression: bool = False) -> Callable:
    """Returns an ASGI app serving ``registry`` for HTTP requests on any path."""

    async def prometheus_app(scope, receive, send):
        assert scope.get("type") == "http"
        params = parse_qs(scope.get('query_string', b'').decode("utf8"))
        status, headers, output = _bake_output(
            registry, _header(scope, 'accept'), _header(scope, 'accept-encoding'),
            params, disable_compression)
        raw_headers = [tuple(x.encode('utf8') for x in header) for header in headers]
        payload = await receive()
        if payload.get("type") == "http.request":
            await send({
                "type": "http.response.start",
                "status": int(status.split(' ')[0]),
                "headers": raw_headers,
            })
            await send({"type": "http.response.body", "body": output})

    return prometheus_app
