"""Prometheus remote write, straight from a registry (fastprom only: prometheus_client
has none).

Where nothing can scrape a process (a short job, a device behind NAT) or metrics go to a
horizontally scaled backend (Mimir, Thanos Receive, Cortex, VictoriaMetrics, Grafana
Cloud, or a Prometheus started with ``--web.enable-remote-write-receiver``), fastprom sends
the registry itself as remote-write 1.0 requests: protobuf ``WriteRequest`` bodies,
snappy-compressed, built by the native core.

- ``push_to_remote_write(url, registry)`` sends once, now, like ``push_to_gateway``.
- ``RemoteWriteSender(url, registry, interval=15)`` sends every ``interval`` seconds from
  a thread of its own, keeps at most ``max_queue`` batches waiting (the oldest goes when
  full, counted), retries 5xx, 429 and connection failures with backoff, drops a batch the
  receiver refuses with another 4xx (counted and logged), and flushes at exit.

Every series carries ``__name__`` and its labels sorted by name, one sample stamped with
the time of collection (in milliseconds) unless the sample has a timestamp of its own;
histograms and summaries go as their classic series; ``external_labels`` are added to
every series that lacks them (an ``instance``, an isolate or job id).
"""

import atexit
import base64
import collections
import logging
import random
import ssl
import threading
import time
import weakref
from typing import Callable, Deque, Dict, List, Optional, Tuple
from urllib.error import HTTPError, URLError
from urllib.request import build_opener, HTTPHandler, HTTPSHandler, Request

from . import _fastprom
from .metrics import Counter, Gauge
from .registry import _fp_scrape_source, Collector, REGISTRY

__all__ = ['HEADERS', 'RemoteWriteError', 'RemoteWriteSender', 'build_remote_write_requests', 'default_handler',
           'push_to_remote_write']

log = logging.getLogger('fastprom.remote_write')

# The protocol's headers come from the core (Content-Encoding, Content-Type and
# X-Prometheus-Remote-Write-Version), then this client's name.
HEADERS = {**dict(_fastprom.REMOTE_WRITE_HEADERS), 'User-Agent': 'fastprom'}


class RemoteWriteError(OSError):
    """A receiver refused a request: ``status`` (0 when no answer came), ``body`` (the
    start of its answer) and ``retryable`` (5xx, 429, or no answer)."""

    def __init__(self, url: str, status: int, body: str, retry_after: Optional[float] = None):
        self.url, self.status, self.body, self.retry_after = url, status, body, retry_after
        what = f'answered {status}: {body.strip()[:200]}' if status else body
        super().__init__(f'remote write to {url}: {what}')

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def default_handler(url: str, method: str, timeout: Optional[float], headers: List[Tuple[str, str]],
                    data: bytes, ssl_context: Optional[ssl.SSLContext] = None) -> Callable[[], None]:
    """The request as ``push_to_gateway``'s handlers take it; raises ``RemoteWriteError``
    on a non-2xx answer or when no answer comes."""

    def send() -> None:
        request = Request(url, data=data, method=method, headers=dict(headers))
        opener = build_opener(HTTPHandler, HTTPSHandler(context=ssl_context))
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read()
        except HTTPError as e:
            body = e.read()[:4096].decode('utf-8', 'replace')
            raise RemoteWriteError(url, e.code, body, _retry_after(e.headers.get('Retry-After'))) from None
        except (URLError, OSError) as e:
            reason = getattr(e, 'reason', e)
            raise RemoteWriteError(url, 0, f'no answer: {reason}') from None

    return send


def build_remote_write_requests(registry: Collector = REGISTRY, *, external_labels: Optional[Dict[str, str]] = None,
                                metadata: bool = True, created: bool = True, max_request_bytes: int = 1 << 20,
                                timestamp: Optional[float] = None) -> List[bytes]:
    """The request bodies (protobuf ``WriteRequest``, snappy-compressed) for everything
    ``registry`` collects now, for callers with their own HTTP client: send each as a
    POST with ``HEADERS``. ``timestamp`` (seconds) stamps samples that have none (default:
    now); ``created=False`` leaves out ``_created`` series; each body's protobuf stays
    within ``max_request_bytes``."""
    now_ms = None if timestamp is None else int(timestamp * 1000)
    return [body for body, _ in _bodies(registry, external_labels, metadata, created, max_request_bytes, now_ms)]


def _bodies(registry, external_labels, metadata, created, max_request_bytes, now_ms=None):
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    labels = [(str(k), str(v)) for k, v in (external_labels or {}).items()]
    return _fastprom.remote_write_bodies(_fp_scrape_source(registry), now_ms, labels, metadata, created,
                                         max_request_bytes)


def _request_headers(headers, basic_auth, bearer_token) -> List[Tuple[str, str]]:
    out = dict(HEADERS)
    out.update(headers or {})
    if basic_auth is not None:
        user, password = basic_auth
        token = base64.b64encode(f'{user}:{password}'.encode()).decode()
        out['Authorization'] = f'Basic {token}'
    if bearer_token is not None:
        out['Authorization'] = f'Bearer {bearer_token}'
    return list(out.items())


def _context(ca_file: Optional[str], cert_file: Optional[str], key_file: Optional[str]) -> Optional[ssl.SSLContext]:
    if ca_file is None and cert_file is None:
        return None
    context = ssl.create_default_context(cafile=ca_file)
    if cert_file is not None:
        context.load_cert_chain(cert_file, key_file)
    return context


def _post(handler: Callable, url: str, timeout: Optional[float], headers: List[Tuple[str, str]], body: bytes,
          context: Optional[ssl.SSLContext]) -> None:
    """One POST through ``handler``: ours with the TLS context, any other with
    ``push_to_gateway``'s arguments and a copy of the headers (handlers such as
    ``basic_auth_handler`` append to the list they are given)."""
    if handler is default_handler:
        default_handler(url, 'POST', timeout, headers, body, context)()
    else:
        handler(url, 'POST', timeout, list(headers), body)()


def push_to_remote_write(url: str, registry: Collector = REGISTRY, timeout: Optional[float] = 30,
                         handler: Callable = default_handler, *, headers: Optional[Dict[str, str]] = None,
                         basic_auth: Optional[Tuple[str, str]] = None, bearer_token: Optional[str] = None,
                         ca_file: Optional[str] = None, cert_file: Optional[str] = None, key_file: Optional[str] = None,
                         external_labels: Optional[Dict[str, str]] = None, metadata: bool = True, created: bool = True,
                         max_request_bytes: int = 1 << 20) -> int:
    """Sends everything ``registry`` collects now to ``url`` (such as
    ``http://prometheus:9090/api/v1/write``) and returns how many series went.

    ``headers`` are added to every request (``{'X-Scope-OrgID': 'tenant'}`` for Mimir);
    ``basic_auth=(user, password)`` or ``bearer_token`` authenticate; ``ca_file`` (and
    ``cert_file`` / ``key_file`` for a client certificate) set up TLS. A ``handler``
    takes ``(url, method, timeout, headers, data)`` as ``push_to_gateway``'s do, for
    anything else. A refusal raises ``RemoteWriteError`` (its ``retryable`` says whether
    to try again); the requests before it were sent."""
    hdrs = _request_headers(headers, basic_auth, bearer_token)
    context = _context(ca_file, cert_file, key_file)
    sent = 0
    for body, series in _bodies(registry, external_labels, metadata, created, max_request_bytes):
        _post(handler, url, timeout, hdrs, body, context)
        sent += series
    return sent


_senders: 'weakref.WeakSet[RemoteWriteSender]' = weakref.WeakSet()


class _SenderMetrics:
    """The senders' own metrics in one registry, shared by every sender writing there
    (each with its own ``url`` label)."""

    def __init__(self, target):
        self.requests = Counter('fastprom_remote_write_requests', 'Remote-write requests by outcome.',
                                ['url', 'outcome'], registry=target)
        self.series = Counter('fastprom_remote_write_series_sent', 'Series sent by remote write.', ['url'],
                              registry=target)
        self.dropped = Counter('fastprom_remote_write_batches_dropped', 'Remote-write batches dropped, by reason.',
                               ['url', 'reason'], registry=target)
        self.queued = Gauge('fastprom_remote_write_queue_batches', 'Remote-write batches waiting.', ['url'],
                            registry=target)
        self.last = Gauge('fastprom_remote_write_last_success_timestamp_seconds',
                          'When a remote-write request last succeeded.', ['url'], registry=target)


_metrics_lock = threading.Lock()
_metrics_by_registry: 'weakref.WeakKeyDictionary[Collector, _SenderMetrics]' = weakref.WeakKeyDictionary()


def _sender_metrics(target) -> _SenderMetrics:
    with _metrics_lock:
        try:
            found = _metrics_by_registry.get(target)
        except TypeError:  # a registry that cannot be weakly referenced: no sharing
            return _SenderMetrics(target)
        if found is None:
            found = _metrics_by_registry[target] = _SenderMetrics(target)
        return found


def _status_of(error: BaseException) -> Optional[int]:
    """The HTTP status an exception carries (ours, urllib's ``HTTPError``), if any."""
    for attribute in ('status', 'code'):
        value = getattr(error, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _retryable(error: BaseException) -> bool:
    """Whether a failed request is worth sending again: no answer, a 5xx or a 429. An
    error that says nothing of a status (a custom handler's) is retried."""
    retryable = getattr(error, 'retryable', None)
    if isinstance(retryable, bool):
        return retryable
    status = _status_of(error)
    return status is None or status == 0 or status == 429 or status >= 500


@atexit.register
def _flush_senders() -> None:
    for sender in list(_senders):
        sender.close(timeout=5.0)


class RemoteWriteSender:
    """Sends ``registry`` to ``url`` every ``interval`` seconds from a daemon thread.

    Each tick collects the registry once into a batch (one or more requests). Batches wait
    in a queue of at most ``max_queue``; when it is full the oldest is dropped. The batch
    at the head is sent request by request: a 5xx, a 429 or no answer is retried after a
    backoff (0.5 s doubling up to ``max_retry_delay``, with jitter, or the receiver's
    ``Retry-After``); any other 4xx drops the batch (the receiver will never take it).
    Nothing is dropped silently: every outcome is logged on ``fastprom.remote_write`` and
    counted in the sender's own metrics, registered in ``metrics_registry`` (default:
    ``registry``, so they travel with the data), labelled with the ``url``:

    - ``fastprom_remote_write_requests_total{url, outcome="sent|retried|rejected"}``
    - ``fastprom_remote_write_series_sent_total{url}``
    - ``fastprom_remote_write_batches_dropped_total{url, reason="queue_full|rejected|shutdown"}``
    - ``fastprom_remote_write_queue_batches{url}``
    - ``fastprom_remote_write_last_success_timestamp_seconds{url}``

    ``close()`` (also run at interpreter exit) collects one last time and tries to send
    what is queued within its timeout. The other arguments are ``push_to_remote_write``'s.
    """

    def __init__(self, url: str, registry: Collector = REGISTRY, interval: float = 15.0, *,
                 timeout: Optional[float] = 30, handler: Callable = default_handler,
                 headers: Optional[Dict[str, str]] = None, basic_auth: Optional[Tuple[str, str]] = None,
                 bearer_token: Optional[str] = None, ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                 key_file: Optional[str] = None, external_labels: Optional[Dict[str, str]] = None,
                 metadata: bool = True, created: bool = True, max_request_bytes: int = 1 << 20,
                 max_queue: int = 16, max_retry_delay: float = 30.0,
                 metrics_registry: Optional[Collector] = None, start: bool = True):
        if interval <= 0:
            raise ValueError(f'interval must be > 0, got {interval}')
        if max_queue < 1:
            raise ValueError(f'max_queue must be >= 1, got {max_queue}')
        if not max_retry_delay > 0:
            raise ValueError(f'max_retry_delay must be > 0, got {max_retry_delay}')
        self.url, self.registry, self.interval = url, registry, interval
        self._timeout, self._handler = timeout, handler
        self._headers = _request_headers(headers, basic_auth, bearer_token)
        self._context = _context(ca_file, cert_file, key_file)
        self._build = (external_labels, metadata, created, max_request_bytes)
        self._max_queue, self._max_retry_delay = max_queue, max_retry_delay
        self._queue: Deque[List[Tuple[bytes, int]]] = collections.deque()
        self._sent_in_head = 0  # requests of the head batch already sent
        self._retries = 0  # failures in a row, for the backoff
        self._last_ms = 0  # the timestamp of the last batch
        self._lock = threading.Lock()  # the queue
        self._send_lock = threading.Lock()  # one sender of the head batch at a time
        self._collect_lock = threading.RLock()  # one collection at a time, queued in stamp order
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._finished = False  # set at the end of close(): nothing is queued any more
        self._thread: Optional[threading.Thread] = None
        metrics = _sender_metrics(registry if metrics_registry is None else metrics_registry)
        self._requests, self._series, self._dropped = metrics.requests, metrics.series, metrics.dropped
        self._queued, self._last = metrics.queued, metrics.last
        for outcome in ('sent', 'retried', 'rejected'):
            self._requests.labels(url, outcome)
        for reason in ('queue_full', 'rejected', 'shutdown'):
            self._dropped.labels(url, reason)
        self._series.labels(url)
        self._queued.labels(url)
        self._last.labels(url)
        _senders.add(self)
        if start:
            self.start()

    def start(self) -> None:
        """Starts the sending thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='fastprom-remote-write', daemon=True)
            self._thread.start()

    # --- the thread --------------------------------------------------------------------

    def _collect(self, timeout: Optional[float] = None) -> bool:
        """Collects the registry into a batch at the end of the queue; False when another
        collection did not end within ``timeout`` seconds (nothing collected then).

        One collection at a time (``_collect_lock``, re-entrant for a collector that
        flushes), and each batch is queued before the next is stamped, so the queue keeps
        the order of the timestamps: a receiver refuses a sample older than one it has."""
        if not self._collect_lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            return False
        try:
            self._collect_locked()
        finally:
            self._collect_lock.release()
        return True

    def _collect_locked(self) -> None:
        # Each batch gets a later millisecond than the one before: two collections within
        # one millisecond would otherwise give a series two values at one timestamp,
        # which receivers refuse ("duplicate sample for timestamp").
        with self._lock:
            ms = max(int(time.time() * 1000), self._last_ms + 1)
            self._last_ms = ms
        try:
            batch = _bodies(self.registry, *self._build, now_ms=ms)
        except Exception:
            log.exception('remote write to %s: collecting the registry failed', self.url)
            return
        if not batch:
            return
        with self._lock:
            if self._finished:
                self._dropped.labels(self.url, 'shutdown').inc()
                log.error('remote write to %s: a batch collected after close, not sent', self.url)
                return
            if len(self._queue) >= self._max_queue:
                self._queue.popleft()
                self._sent_in_head = 0
                self._dropped.labels(self.url, 'queue_full').inc()
                log.warning('remote write to %s: queue full (%d batches), dropped the oldest', self.url,
                            self._max_queue)
            self._queue.append(batch)
            self._queued.labels(self.url).set(len(self._queue))

    def _send_head(self, deadline: Optional[float] = None) -> Optional[float]:
        """Sends the queued requests, oldest first, until the queue is empty (None), a
        request fails in a way worth retrying (the delay before the retry), the sender is
        stopping, or ``deadline`` (monotonic) passes. One caller at a time."""
        with self._send_lock:
            return self._send_locked(deadline)

    def _send_locked(self, deadline: Optional[float]) -> Optional[float]:
        while True:
            if deadline is None and self._stopping:
                return None  # close() takes over
            timeout = self._timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                timeout = left if timeout is None else min(timeout, left)
            with self._lock:
                if not self._queue:
                    return None
                batch = self._queue[0]
                if self._sent_in_head >= len(batch):
                    self._queue.popleft()
                    self._sent_in_head = 0
                    self._queued.labels(self.url).set(len(self._queue))
                    continue
                body, series = batch[self._sent_in_head]
            try:
                _post(self._handler, self.url, timeout, self._headers, body, self._context)
            except Exception as e:
                if _retryable(e):
                    self._requests.labels(self.url, 'retried').inc()
                    self._retries += 1
                    backoff = 0.5 * 2.0 ** min(self._retries - 1, 16)
                    delay = min(self._max_retry_delay, backoff) * random.uniform(0.8, 1.2)
                    after = getattr(e, 'retry_after', None)
                    if after is not None:
                        delay = min(self._max_retry_delay, max(delay, after))
                    log.warning('remote write to %s failed (%s); retrying in %.1f s', self.url, e, delay)
                    return delay
                self._requests.labels(self.url, 'rejected').inc()
                self._dropped.labels(self.url, 'rejected').inc()
                log.error('remote write to %s refused a batch (%s); dropped it', self.url, e)
                with self._lock:
                    if self._queue and self._queue[0] is batch:
                        self._queue.popleft()
                        self._sent_in_head = 0
                        self._queued.labels(self.url).set(len(self._queue))
                continue
            self._retries = 0
            self._requests.labels(self.url, 'sent').inc()
            self._series.labels(self.url).inc(series)
            self._last.labels(self.url).set(time.time())
            with self._lock:
                if self._queue and self._queue[0] is batch:
                    self._sent_in_head += 1

    def _run(self) -> None:
        next_tick = time.monotonic()
        retry_at: Optional[float] = None
        while not self._stopping:
            try:
                now = time.monotonic()
                if now >= next_tick:
                    self._collect()
                    next_tick += self.interval
                    if next_tick <= now:  # late (a long send): the next one a full interval on
                        next_tick = now + self.interval
                if retry_at is None or now >= retry_at:
                    delay = self._send_head()
                    retry_at = None if delay is None else time.monotonic() + delay
            except Exception:  # never let the thread die: log, wait, go on
                log.exception('remote write to %s: the sender failed; going on', self.url)
                retry_at = time.monotonic() + self._max_retry_delay
            wake = next_tick if retry_at is None else min(next_tick, retry_at)
            self._wake.wait(max(0.0, wake - time.monotonic()))
            self._wake.clear()

    # --- control -----------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Collects now and waits until the queue is empty (or ``timeout`` seconds have
        passed); whether it emptied. False at once when the sender is closed or its thread
        is not running (nothing would empty the queue)."""
        if self._closed or self._thread is None or not self._thread.is_alive():
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._collect(timeout):
            return False
        self._wake.set()
        while True:
            with self._lock:
                if not self._queue:
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def close(self, timeout: float = 10.0) -> None:
        """Stops the thread, collects one last time and sends what is queued, giving up
        after ``timeout`` seconds in all; what is left is counted as dropped
        (``shutdown``) and logged."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + timeout
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        # A request the thread still has in flight keeps the send lock: then there is no
        # time left to send behind it, and the queue counts as dropped.
        if self._send_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            try:
                self._collect(max(0.0, deadline - time.monotonic()))
                while time.monotonic() < deadline:
                    delay = self._send_locked(deadline)
                    if delay is None:
                        break
                    time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            finally:
                self._send_lock.release()
        with self._lock:
            left = len(self._queue)
            self._queue.clear()
            self._sent_in_head = 0
            self._queued.labels(self.url).set(0)
            self._finished = True
        if left:
            self._dropped.labels(self.url, 'shutdown').inc(left)
            log.error('remote write to %s: %d batches not sent at close', self.url, left)
        _senders.discard(self)

    def __enter__(self) -> 'RemoteWriteSender':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
