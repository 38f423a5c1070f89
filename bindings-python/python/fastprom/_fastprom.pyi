"""Type stubs for ``fastprom._fastprom``, the native half of fastprom.

Everything here is used by fastprom's own modules; applications use ``fastprom`` (or
``prometheus_client`` through the alias) instead.
"""

from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple

# --- encoding -----------------------------------------------------------------------------

def series_suffixes(kind: str) -> List[str]:
    """The suffixes a family of type ``kind`` claims besides its name (``_total`` and
    ``_created`` for a counter, ...); empty for types without any."""
    ...

class FamilyStream:
    """The families of an iterator of ``str`` lines (each ending with a newline), parsed
    as the lines arrive, in the Prometheus text format or, with ``openmetrics=True``,
    OpenMetrics: each family is yielded once its last line has been read, then the error
    that ends the input is raised (the iterator's own exception, or the parse error)."""

    def __init__(self, lines: Any, openmetrics: bool = False) -> None: ...
    def __iter__(self) -> "FamilyStream": ...
    def __next__(self) -> Any: ...

def generate_text(registry: Any, escaping: str = "underscores") -> bytes:
    """The Prometheus text format of everything ``registry.collect()`` yields, byte for
    byte as prometheus_client's ``exposition.generate_latest``. ``registry`` is anything
    with ``collect()``: a ``CollectorRegistry`` or ``RestrictedRegistry`` (walked natively,
    collector by collector), a single metric, or any custom collector. ``escaping`` is
    ``underscores``, ``dots``, ``values`` or ``allow-utf-8`` (anything else: underscores)."""

def generate_openmetrics(registry: Any, escaping: str = "underscores", version: str = "1.0.0") -> bytes:
    """OpenMetrics text, ending with ``# EOF``, as prometheus_client's
    ``openmetrics.exposition.generate_latest``; ``version`` 2.0.0 or later writes native
    histogram samples."""

def choose_encoder_info(accept_header: Optional[str] = None) -> Tuple[Literal["text", "openmetrics"], str, str, str]:
    """What prometheus_client's ``choose_encoder`` decides for an ``Accept`` header:
    ``(kind, escaping, version, content_type)``. ``version`` is the OpenMetrics version as
    the client wrote it, ``0.0.4`` or ``1.0.0`` for text."""

def gzip_accepted(accept_encoding: Optional[str] = None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (prometheus_client's
    ``gzip_accepted``)."""

def gzip(data: bytes) -> bytes:
    """gzip-compresses ``data`` (the GIL is released meanwhile)."""

# The remote-write protocol's request headers, from the core: ``[(name, value), ...]``.
REMOTE_WRITE_HEADERS: List[Tuple[str, str]]

def remote_write_bodies(
    registry: Any, now_ms: int, external_labels: List[Tuple[str, str]] = ..., metadata: bool = True,
    created: bool = True, max_request_bytes: int = 1048576,
) -> List[Tuple[bytes, int]]:
    """Remote-write 1.0 request bodies (protobuf ``WriteRequest``, snappy-compressed) for
    everything ``registry`` collects now, with how many series each holds. Samples without
    a timestamp are stamped ``now_ms``; ``external_labels`` go on every series lacking
    them; each body's protobuf stays within ``max_request_bytes``."""

class NativeServer:
    """fastprom-net's exposer on its own threads, every request that passes its limits
    answered by ``respond(method, path, query, accept, accept_encoding)`` -> ``(status,
    [(name, value), ...], body)``. ``tls`` is None or ``(certfile, keyfile, cafile,
    capath, client_auth_required, min_version, max_version)`` with versions "1.2" / "1.3"
    or None; ``basic_auth`` None or ``(user, password)``. A port that cannot be bound
    raises ``OSError``; TLS files rustls cannot use, ``ValueError``."""

    port: int
    closed: bool

    def __init__(self, host: str, port: int, respond: Any, tls: Optional[Tuple[Any, ...]] = None,
                 basic_auth: Optional[Tuple[str, str]] = None, max_connections: int = 1024, max_scrapes: int = 4,
                 header_timeout: float = 10.0, body_timeout: float = 10.0, write_timeout: float = 30.0) -> None: ...
    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks (without the GIL) until shut down, or for ``timeout`` seconds; whether
        it has stopped."""
    def shutdown(self) -> None:
        """Stops serving and frees the port (answers in progress get up to 2 s)."""

def push_request(
    method: Literal["PUT", "POST", "DELETE"],
    gateway: str,
    job: str,
    grouping_key: List[Tuple[str, str]],
    body: bytes,
    compression: Optional[str] = None,
) -> Tuple[str, List[Tuple[str, str]], bytes]:
    """The Pushgateway request prometheus_client's ``push_to_gateway`` (PUT),
    ``pushadd_to_gateway`` (POST) and ``delete_from_gateway`` (DELETE) send:
    ``(url, headers, body)``. ``body`` is the text-format exposition (ignored for DELETE);
    ``compression`` ``'gzip'`` compresses it. Raises ``ValueError`` for an unsupported
    compression, compression on DELETE, an invalid IPv6 gateway, an empty gateway, or a
    grouping key naming ``job`` or repeating a name."""

# --- process-wide switches ----------------------------------------------------------------

def set_created_enabled(on: bool) -> None:
    """Turns ``_created`` samples on or off (``enable_created_metrics`` /
    ``disable_created_metrics``; ``PROMETHEUS_DISABLE_CREATED_SERIES``)."""

def created_enabled() -> bool: ...

def set_legacy_validation(on: bool) -> None:
    """Turns legacy name validation on or off (``fastprom.validation``'s
    ``enable_legacy_validation`` / ``disable_legacy_validation``)."""

def legacy_validation() -> bool: ...

def validate_metric_name(name: str, legacy: bool) -> None:
    """``ValueError`` unless ``name`` can name a metric (the legacy character set when
    ``legacy``)."""

def validate_label_name(name: str, legacy: bool) -> None:
    """``ValueError`` unless ``name`` can name a label (``__`` names are reserved)."""

def is_valid_legacy_metric_name(name: str) -> bool: ...

def is_valid_legacy_label_name(name: str) -> bool: ...

def escape_metric_name(s: str, escaping: str) -> str: ...

def escape_label_name(s: str, escaping: str) -> str: ...

def set_clock(callable: Optional[Callable[[], float]] = None) -> None:
    """Installs the wall clock the core reads (``_created``, exemplar timestamps,
    ``set_to_current_time``): called at each read. ``None``: look up and call
    ``time.time`` at each read. ``fastprom.metrics`` installs one that calls
    ``time.time()``, so patching ``time.time`` works as with prometheus_client."""

def configure(
    *,
    metric: type = ...,
    sample: type = ...,
    exemplar: type = ...,
    child_dict: Callable[[Any], Dict[Tuple[str, ...], Any]] = ...,
    native_ok: Callable[[type], bool] = ...,
    registry: type = ...,
    restricted: type = ...,
    timestamp: type = ...,
    native_histogram: type = ...,
    bucket_span: type = ...,
) -> None:
    """Hands the package's classes to the native side (called by ``fastprom.metrics``,
    ``fastprom.registry`` and ``fastprom.parser`` at import): ``Metric``, ``Sample`` and
    ``Exemplar`` for ``collect()`` and the parsers; the ``_metrics`` dict type (called with
    the parent metric); a predicate telling whether a metric class overrides none of the
    sample hooks (then its instances are encoded from their core family); the registry
    classes walked through ``_fp_snapshot()``; ``Timestamp``, ``NativeHistogram`` and
    ``BucketSpan`` for the parsers."""

# --- parsers ------------------------------------------------------------------------------

def text_string_to_metric_families(text: str) -> Tuple[List[Any], Optional[BaseException]]:
    """prometheus_client's ``parser.text_string_to_metric_families``, parsed natively (GIL
    released): the ``Metric`` families its generator would yield, in order, and the
    exception it would raise after them (``None`` when the text parses).
    ``fastprom.parser`` yields the families, then raises the exception."""

def openmetrics_text_string_to_metric_families(text: str) -> Tuple[List[Any], Optional[BaseException]]:
    """The same for ``openmetrics.parser.text_string_to_metric_families``: ``Metric``
    families with ``Sample``, ``Exemplar``, ``Timestamp`` and ``NativeHistogram`` objects
    as prometheus_client builds them, and the exception that ends them."""

# --- metric bases ---------------------------------------------------------------------------

class Value:
    """A value cell, as prometheus_client's ``values.MutexValue``: ``_value``, ``_sum``,
    ``_count`` and each of ``_buckets``."""

    def get(self) -> float: ...
    def set(self, value: float, timestamp: Optional[float] = None) -> None:
        """Gauges; counters for values >= 0 (``_created`` moves to now)."""
    def inc(self, amount: float) -> None: ...
    def get_exemplar(self) -> Any:
        """The exemplar (counters, histogram buckets), or ``None``."""
    def set_exemplar(self, exemplar: Any) -> None:
        """Raises ``NotImplementedError``."""

class _NativeBase:
    """What every native base has (the classes below inherit nothing from it at run time;
    it only groups the stubs)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any: ...
    def labels(self, *labelvalues: object, **labelkwargs: object) -> Any:
        """The child for the label values: found natively when it exists and every value is
        a ``str``, else ``self._fp_labels(*labelvalues, **labelkwargs)``."""
    def _fp_init(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        namespace: str,
        subsystem: str,
        unit: str,
        labelvalues: Sequence[str],
        config: Any = None,
        mp: Optional["MultiprocessContext"] = None,
        mp_mode: str = "",
    ) -> str:
        """Builds the core family (checking every name with prometheus_client's messages)
        unless the object was born a child; returns the full name. With ``mp``, an
        observable metric's child also keeps its values in that context's files (``mp_mode``:
        a gauge's multiprocess mode)."""
    def _fp_get(self, key: Tuple[str, ...]) -> Any: ...
    def _fp_prepare(self, key: Tuple[str, ...]) -> None:
        """Creates the core child for ``key`` and parks it: the next native base constructed
        on this thread is attached to it."""
    def _fp_attach(self, key: Tuple[str, ...], child: Any) -> None: ...
    def _fp_abort(self, key: Tuple[str, ...]) -> None: ...
    def _fp_forget(self, key: Tuple[str, ...]) -> bool: ...
    def _fp_forget_all(self) -> None: ...
    _metrics: Dict[Tuple[str, ...], Any]
    def _fp_collect(self) -> List[Any]: ...
    def _fp_child_samples(self) -> Tuple[Any, ...]: ...

class CounterBase(_NativeBase):
    def inc(self, amount: float = 1, exemplar: Optional[Dict[str, str]] = None) -> None: ...
    def reset(self) -> None: ...
    @property
    def _value(self) -> Value: ...
    @property
    def _created(self) -> float: ...

class GaugeBase(_NativeBase):
    def inc(self, amount: float = 1) -> None: ...
    def dec(self, amount: float = 1) -> None: ...
    def set(self, value: float) -> None: ...
    def set_to_current_time(self) -> None: ...
    def set_function(self, f: Callable[[], float]) -> None: ...
    def _fp_set_most_recent(self, on: bool) -> None: ...
    @property
    def _value(self) -> Value: ...

class HistogramBase(_NativeBase):
    def observe(self, amount: float, exemplar: Optional[Dict[str, str]] = None) -> None: ...
    @property
    def _sum(self) -> Value: ...
    @property
    def _buckets(self) -> List[Value]: ...
    @property
    def _created(self) -> float: ...

class SummaryBase(_NativeBase):
    def observe(self, amount: float) -> None: ...
    @property
    def _count(self) -> Value: ...
    @property
    def _sum(self) -> Value: ...
    @property
    def _created(self) -> float: ...

class InfoBase(_NativeBase):
    def info(self, val: Dict[str, str]) -> None: ...
    @property
    def _value(self) -> Dict[str, str]: ...

class EnumBase(_NativeBase):
    def state(self, state: str) -> None: ...
    @property
    def _value(self) -> int: ...

# --- multi-process mode ------------------------------------------------------------------

class MultiprocessContext:
    """One ``values.MultiProcessValue(process_identifier)``: this process's files and the
    values in them. ``process_identifier=None`` means the pid, followed across forks."""

    def __init__(self, process_identifier: Optional[Callable[[], Any]] = None) -> None: ...
    def cell(self, typ: str, metric_name: str, name: str, labelnames: Sequence[str],
             labelvalues: Sequence[str], help_text: str, multiprocess_mode: str = "") -> "MpCell":
        """A standalone value (``MmapedValue(...)`` called directly)."""
    def close(self) -> None:
        """Closes the files; values made so far stop being written to them."""

class MpCell:
    def inc(self, amount: float) -> None: ...
    def set(self, value: float, timestamp: Optional[float] = None) -> None: ...
    def get(self) -> float: ...

class MmapedDict:
    """``mmap_dict.MmapedDict``: a mapped file of named floats with timestamps."""

    _fname: Any
    _capacity: int
    _used: int
    _positions: Dict[str, int]
    def __init__(self, filename: Any, read_mode: bool = False) -> None: ...
    @staticmethod
    def read_all_values_from_file(filename: Any) -> Iterable[Tuple[str, float, float, int]]: ...
    def _read_all_values(self) -> Iterable[Tuple[str, float, float, int]]: ...
    def read_all_values(self) -> Iterable[Tuple[str, float, float]]: ...
    def read_value(self, key: str) -> Tuple[float, float]: ...
    def write_value(self, key: str, value: float, timestamp: float) -> None: ...
    def close(self) -> None: ...

class MultiprocessSource:
    """A ``MultiProcessCollector``'s directory, read by scrapes (the encoders use it
    directly)."""

    def __init__(self, path: Any) -> None: ...
    def scrape(self) -> List[Tuple[str, str, str, List[Tuple[str, Dict[str, str], float]]]]: ...
    @property
    def skipped(self) -> int: ...

def mmap_key(metric_name: str, name: str, labelnames: Sequence[str], labelvalues: Sequence[str],
             help_text: str) -> str: ...
def _mp_read_entries(data: bytes, used: int = 0) -> List[Tuple[str, float, float, int]]: ...
def _mp_merge(files: Sequence[Any], accumulate: bool = True) -> Tuple[List[Any], List[Tuple[str, str]]]: ...
def _mp_compact(path: Any, pids: Optional[Sequence[str]] = None) -> Tuple[List[str], List[str], List[Tuple[str, str]]]:
    """Folds dead processes' counter, histogram and summary files; returns
    ``(folded, written, skipped)``."""
