"""A throwaway InfluxDB 1.x for the remote-write tests (Python and C faces).

``running_influxdb()`` writes a config into a temporary folder (data, WAL and meta there,
HTTP and RPC on free loopback ports, no reporting or self-monitoring), starts Debian's
``influxd`` on it, waits for ``/ping`` and creates the database ``rw``. It yields the base
URL; Prometheus remote write goes to ``<base>/api/v1/prom/write?db=rw``. On exit it stops
the server by PID and removes the folder; if the server ends or does not answer within
``patience`` seconds, it raises with the server's log.
"""

import contextlib
import os
import tempfile
import urllib.request
from typing import Iterator

from daemon import running_daemon
from mariadb import free_port

# The server's configuration, shared with the JS tests (bindings-wasm/tests/support.js):
# data, WAL and meta in the work folder, loopback ports, no reporting or self-monitoring.
_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "influxdb.conf")


def _ping(base: str) -> None:
    """Raises ``OSError`` unless InfluxDB answers its ping (204, without a body)."""
    with urllib.request.urlopen(base + "/ping", timeout=2) as r:
        if r.status != 204:
            raise OSError(f"/ping answered {r.status}")


@contextlib.contextmanager
def running_influxdb(patience: float = 60.0) -> Iterator[str]:
    """The base URL of a fresh InfluxDB with a database ``rw``, for the ``with`` block."""
    work = tempfile.mkdtemp(prefix="fastprom-influx-")
    http_port, rpc_port = free_port(), free_port()
    config = os.path.join(work, "influxdb.conf")
    with open(_CONFIG) as template, open(config, "w") as f:
        f.write(template.read().format(work=work, http_port=http_port, rpc_port=rpc_port))
    base = f"http://127.0.0.1:{http_port}"
    with running_daemon("influxd", ["influxd", "-config", config], work, lambda: _ping(base), patience):
        create = urllib.request.Request(base + "/query", data=b"q=CREATE+DATABASE+rw", method="POST")
        urllib.request.urlopen(create, timeout=10).read()
        yield base
