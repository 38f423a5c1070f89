"""Sending a registry's samples to Graphite over its plaintext protocol.

Each sample becomes one line, ``<path> <value> <unix time>``. The path is the optional
prefix, the sample name and its labels in name order, everything outside
``[a-zA-Z0-9_-]`` replaced by ``_``::

    GraphiteBridge(('graphite', 2003)).push(prefix='web1')
    # web1.requests_total.method.GET 12.0 1700000000

With ``tags=True`` the labels are written as Graphite tags instead
(``requests_total;method=GET``). ``start()`` repeats the push from a daemon thread.
"""

import logging
import re
import socket
import threading
import time
from timeit import default_timer
from typing import Callable, Tuple

from ..registry import Collector, REGISTRY

# Graphite stores series as files, so only file-name-safe characters are kept; dots go
# as well, since they separate the path's parts (a label value must stay one part).
_INVALID_GRAPHITE_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def _sanitize(s):
    return _INVALID_GRAPHITE_CHARS.sub('_', s)


class _RegularPush(threading.Thread):
    """The thread behind ``GraphiteBridge.start``: pushes once per ``interval`` seconds,
    on a fixed schedule. Slots missed while a push was slow are skipped, and a push that
    fails with ``OSError`` is logged; neither stops the thread."""

    def __init__(self, pusher, interval, prefix):
        super().__init__()
        self._pusher = pusher
        self._interval = interval
        self._prefix = prefix

    @staticmethod
    def _sleep_until(deadline: float) -> float:
        """Sleeps until ``deadline`` on the default timer (sleep may wake early, hence
        the loop) and returns the time it woke at."""
        now = default_timer()
        while now < deadline:
            time.sleep(deadline - now)
            now = default_timer()
        return now

    def run(self):
        due = default_timer()
        while True:
            now = self._sleep_until(due)
            while due < now:
                due += self._interval
            try:
                self._pusher.push(prefix=self._prefix)
            except OSError:
                logging.exception("Push failed")


class GraphiteBridge:
    """Pushes ``registry`` to the Graphite plaintext listener at ``address``
    (``(host, port)``), connecting with ``timeout_seconds``. ``_timer`` supplies the
    timestamps (for tests)."""

    def __init__(self, address: Tuple[str, int], registry: Collector = REGISTRY, timeout_seconds: float = 30,
                 _timer: Callable[[], float] = time.time, tags: bool = False):
        self._address = address
        self._registry = registry
        self._timeout = timeout_seconds
        self._timer = _timer
        self._tags = tags

    def _label_part(self, labels) -> str:
        """The path segment for a sample's labels: ``.name.value...`` or, with tags,
        ``;name=value...``."""
        if not labels:
            return ''
        joiner, between = (';', '=') if self._tags else ('.', '.')
        pairs = (_sanitize(name) + between + _sanitize(value) for name, value in sorted(labels.items()))
        return joiner + joiner.join(pairs)

    def push(self, prefix: str = '') -> None:
        """Sends every sample of the registry, in one connection, stamped with the same
        second."""
        stamp = int(self._timer())
        head = prefix + '.' if prefix else ''
        payload = ''.join(
            f'{head}{_sanitize(sample.name)}{self._label_part(sample.labels)} {float(sample.value)} {stamp}\n'
            for family in self._registry.collect()
            for sample in family.samples)
        connection = socket.create_connection(self._address, self._timeout)
        connection.sendall(payload.encode('ascii'))
        connection.close()

    def start(self, interval: float = 60.0, prefix: str = '') -> None:
        """Pushes every ``interval`` seconds from now on, from a daemon thread."""
        pusher = _RegularPush(self, interval, prefix)
        pusher.daemon = True
        pusher.start()
