"""Push metrics to Graphite's plaintext protocol (``prometheus_client.bridge.graphite``)."""

import logging
import re
import socket
import threading
import time
from timeit import default_timer
from typing import Callable, Tuple

from ..registry import Collector, REGISTRY


# Keep to characters that work in a file name; dots go too, so labels stay distinct.
_INVALID_GRAPHITE_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def _sanitize(s):
    return _INVALID_GRAPHITE_CHARS.sub('_', s)


class _RegularPush(threading.Thread):
    """Calls ``pusher.push(prefix=...)`` every ``interval`` seconds, skipping missed
    slots; failures (OSError) are logged and the loop goes on."""

    def __init__(self, pusher, interval, prefix):
        super().__init__()
        self._pusher = pusher
        self._interval = interval
        self._prefix = prefix

    def run(self):
        wait_until = default_timer()
        while True:
            now = default_timer()
            while now < wait_until:
                # time.sleep may return early; sleep again until the slot comes.
                time.sleep(wait_until - now)
                now = default_timer()
            while wait_until < now:
                wait_until += self._interval
            try:
                self._pusher.push(prefix=self._prefix)
            except OSError:
                logging.exception("Push failed")


class GraphiteBridge:
    """Sends every sample of ``registry`` to the Graphite server at ``address`` as
    ``[prefix.]name[.label.value...] value timestamp`` lines (or Graphite tags
    ``name;label=value`` with ``tags=True``)."""

    def __init__(self,
                 address: Tuple[str, int],
                 registry: Collector = REGISTRY,
                 timeout_seconds: float = 30,
                 _timer: Callable[[], float] = time.time,
                 tags: bool = False,
                 ):
        self._address = address
        self._registry = registry
        self._tags = tags
        self._timeout = timeout_seconds
        self._timer = _timer

    def _labels(self, labels) -> str:
        if not labels:
            return ''
        sep, fmt = (';', '{0}={1}') if self._tags else ('.', '{0}.{1}')
        return sep + sep.join(fmt.format(_sanitize(k), _sanitize(v))
                              for k, v in sorted(labels.items()))

    def push(self, prefix: str = '') -> None:
        """Sends one snapshot of the registry now."""
        now = int(self._timer())
        prefixstr = prefix + '.' if prefix else ''
        lines = [f'{prefixstr}{_sanitize(s.name)}{self._labels(s.labels)} {float(s.value)} {now}\n'
                 for metric in self._registry.collect() for s in metric.samples]
        conn = socket.create_connection(self._address, self._timeout)
        conn.sendall(''.join(lines).encode('ascii'))
        conn.close()

    def start(self, interval: float = 60.0, prefix: str = '') -> None:
        """Pushes every ``interval`` seconds from a daemon thread."""
        t = _RegularPush(self, interval, prefix)
        t.daemon = True
        t.start()
