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
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from typing import Iterator

from mariadb import free_port

_CONFIG = """reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{work}/meta"
[data]
  dir = "{work}/data"
  wal-dir = "{work}/wal"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
"""


def _pings(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/ping", timeout=2) as r:
            return r.status == 204  # InfluxDB's ping answers without a body
    except OSError:
        return False


@contextlib.contextmanager
def running_influxdb(patience: float = 60.0) -> Iterator[str]:
    """The base URL of a fresh InfluxDB with a database ``rw``, for the ``with`` block."""
    work = tempfile.mkdtemp(prefix="fastprom-influx-")
    http_port, rpc_port = free_port(), free_port()
    config = os.path.join(work, "influxdb.conf")
    with open(config, "w") as f:
        f.write(_CONFIG.format(work=work, http_port=http_port, rpc_port=rpc_port))
    log_path = os.path.join(work, "influxd.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(["influxd", "-config", config], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + patience
        while not _pings(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors="replace") as f:
                    raise RuntimeError(f"influxd did not come up on {base}:\n{f.read()}")
            time.sleep(0.2)
        create = urllib.request.Request(base + "/query", data=b"q=CREATE+DATABASE+rw", method="POST")
        urllib.request.urlopen(create, timeout=10).read()
        yield base
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
