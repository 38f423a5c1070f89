"""Counter, Gauge, Summary, Histogram, Info and Enum (``prometheus_client.metrics``).

The classes have prometheus_client 0.26's signatures, defaults, exceptions, messages and
private attributes (``_name``, ``_labelnames``, ``_labelvalues``, ``_metrics``, ``_value``,
``_created``, ...). Each stands on a native base from ``fastprom._fastprom``
(``class Counter(_fastprom.CounterBase, MetricWrapperBase)``), so the hot methods,
``inc``, ``dec``, ``set``, ``observe`` and ``labels`` on an existing child, are native
methods found by plain attribute lookup; the rest is the Python below.

A labelled parent keeps its children in a core family. ``labels()`` on a new label set
(``_fp_labels``) builds the child the prometheus_client way, with
``self.__class__(name, ..., _labelvalues=...)``, so subclasses work; the new object is
attached to its core child at birth and recorded in ``_metrics`` (a dict whose removals
also remove the series).
"""

import os
from threading import Lock
import time
import types  # noqa: F401  (prometheus_client.metrics exposes it)
from typing import (  # noqa: F401  (the names prometheus_client.metrics has)
    Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple,
    Type, TypeVar, Union,
)
import warnings
import weakref

from . import _fastprom
from . import values  # noqa: F401  (retain this import style for testability)
from .context_managers import ExceptionCounter, InprogressTracker, Timer
from .metrics_core import Metric
from .registry import Collector, CollectorRegistry, REGISTRY
from .samples import Exemplar, Sample
from .utils import floatToGoString, INF  # noqa: F401
from .validation import (  # noqa: F401
    _validate_exemplar, _validate_labelnames, _validate_metric_name,
)

__all__ = (
    'Counter', 'Enum', 'Gauge', 'Histogram', 'Info', 'MetricWrapperBase', 'Summary',
    'disable_created_metrics', 'enable_created_metrics',
)

T = TypeVar('T', bound='MetricWrapperBase')
F = TypeVar("F", bound=Callable[..., Any])


def _now() -> float:
    # Looked up at every call, so patching ``time.time`` (or this module's ``time``)
    # reaches ``_created``, exemplar timestamps and ``set_to_current_time``.
    return time.time()


_fastprom.set_clock(_now)


def _build_full_name(metric_type, name, namespace, subsystem, unit):
    if not name:
        raise ValueError('Metric name should not be empty')
    full_name = ''
    if namespace:
        full_name += namespace + '_'
    if subsystem:
        full_name += subsystem + '_'
    full_name += name
    if metric_type == 'counter' and full_name.endswith('_total'):
        full_name = full_name[:-6]  # Munge to OpenMetrics.
    if unit and not full_name.endswith("_" + unit):
        full_name += "_" + unit
    if unit and metric_type in ('info', 'stateset'):
        raise ValueError('Metric name is of a type that cannot have a unit: ' + full_name)
    return full_name


def _get_use_created() -> bool:
    return os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", 'False').lower() not in ('true', '1', 't')


_use_created = _get_use_created()
_fastprom.set_created_enabled(_use_created)


def disable_created_metrics():
    """Disable exporting _created metrics on counters, histograms, and summaries."""
    global _use_created
    _use_created = False
    _fastprom.set_created_enabled(False)


def enable_created_metrics():
    """Enable exporting _created metrics on counters, histograms, and summaries."""
    global _use_created
    _use_created = True
    _fastprom.set_created_enabled(True)


class _ChildDict(dict):
    """``_metrics`` of a labelled metric: label-value tuples to child objects. Removing
    an entry (``del``, ``pop``, ``popitem``, ``clear``) also removes the series from the
    exposition, as it does in prometheus_client."""

    __slots__ = ('_parent',)

    def __init__(self, parent):
        super().__init__()
        self._parent = weakref.ref(parent)

    def _forget(self, key):
        parent = self._parent()
        if parent is not None and isinstance(key, tuple):
            parent._fp_forget(key)

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self._forget(key)

    def pop(self, key, *default):
        if key in self:
            value = dict.pop(self, key)
            self._forget(key)
            return value
        return dict.pop(self, key, *default)

    def popitem(self):
        key, value = dict.popitem(self)
        self._forget(key)
        return key, value

    def clear(self):
        dict.clear(self)
        parent = self._parent()
        if parent is not None:
            parent._fp_forget_all()

    def copy(self):
        return dict(self)

    def __reduce__(self):
        return dict, (dict(self),)


# The classes with a native base; filled in below.
_NATIVE_CLASSES: Tuple[type, ...] = ()
# The methods that decide a metric's samples: a subclass overriding one of them is
# collected through Python, as prometheus_client would.
_SAMPLE_HOOKS = ('collect', '_samples', '_multi_samples', '_child_samples', '_get_metric')
_native_ok_cache: Dict[type, bool] = {}


def _native_ok(cls: type) -> bool:
    """Whether instances of ``cls`` may be collected and encoded from their core family."""
    ok = _native_ok_cache.get(cls)
    if ok is None:
        base = next((b for b in cls.__mro__ if b in _NATIVE_CLASSES), None)
        ok = base is not None and all(getattr(cls, h, None) is getattr(base, h, None) for h in _SAMPLE_HOOKS)
        _native_ok_cache[cls] = ok
    return ok


# The attributes every metric object has, kept in slots: an instance whose ``__dict__`` was
# never created lets CPython 3.12+ specialize ``metric.inc`` (a ``__dict__`` slot remains for
# anything else, as prometheus_client's objects take any attribute).
_SLOTS = ('_original_name', '_namespace', '_subsystem', '_name', '_labelnames', '_labelvalues',
          '_kwargs', '_documentation', '_unit', '_lock', '__dict__', '__weakref__')


class MetricWrapperBase(Collector):
    __slots__ = ()
    _type: Optional[str] = None
    _reserved_labelnames: Sequence[str] = ()
    # Whether the class stands on a native base (the six below do).
    _fp_native = False

    def _is_observable(self):
        # Whether this metric is observable, i.e.
        # * a metric without label names and values, or
        # * the child of a labelled metric.
        return not self._labelnames or (self._labelnames and self._labelvalues)

    def _raise_if_not_observable(self):
        # Functions that mutate the state of the metric, for example incrementing
        # a counter, will fail if the metric is not observable, because only if a
        # metric is observable will the value be initialized.
        if not self._is_observable():
            raise ValueError('%s metric is missing label values' % str(self._type))

    def _is_parent(self):
        return self._labelnames and not self._labelvalues

    def _get_metric(self):
        return Metric(self._name, self._documentation, self._type, self._unit)

    def describe(self) -> Iterable[Metric]:
        return [self._get_metric()]

    def collect(self) -> Iterable[Metric]:
        if self._fp_native and _native_ok(type(self)):
            return self._fp_collect()
        metric = self._get_metric()
        for suffix, labels, value, timestamp, exemplar, native_histogram_value in self._samples():
            metric.add_sample(self._name + suffix, labels, value, timestamp, exemplar, native_histogram_value)
        return [metric]

    def __str__(self) -> str:
        return f"{self._type}:{self._name}"

    def __repr__(self) -> str:
        metric_type = type(self)
        return f"{metric_type.__module__}.{metric_type.__name__}({self._name})"

    def __init__(self: T,
                 name: str,
                 documentation: str,
                 labelnames: Iterable[str] = (),
                 namespace: str = '',
                 subsystem: str = '',
                 unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 ) -> None:

        self._original_name = name
        self._namespace = namespace
        self._subsystem = subsystem
        if self._fp_native:
            # The core checks the names in prometheus_client's order, with its messages.
            labelnames = tuple(labelnames)
            self._labelnames = labelnames
            self._labelvalues = tuple(_labelvalues or ())
            self._kwargs: Dict[str, Any] = {}
            self._documentation = documentation
            self._unit = unit
            self._name = self._fp_init(name, documentation, labelnames, namespace, subsystem, unit,
                                       self._labelvalues, self._fp_config())
            if self._is_parent():
                self._lock = Lock()
        else:
            self._name = _build_full_name(self._type, name, namespace, subsystem, unit)
            self._labelnames = _validate_labelnames(self, labelnames)
            self._labelvalues = tuple(_labelvalues or ())
            self._kwargs = {}
            self._documentation = documentation
            self._unit = unit

            _validate_metric_name(self._name)

            if self._is_parent():
                # Prepare the fields needed for child metrics.
                self._lock = Lock()
                self._metrics: Dict[Sequence[str], T] = {}

        if self._is_observable():
            self._metric_init()

        if not self._labelvalues:
            # Register the multi-wrapper parent metric, or if a label-less metric, the whole shebang.
            if registry:
                registry.register(self)

    def _fp_config(self):
        """The type's settings for the native base (buckets, states)."""
        return None

    def _str_labelvalues(self, labelvalues, labelkwargs):
        if not self._labelnames:
            raise ValueError('No label names were set when constructing %s' % self)

        if self._labelvalues:
            raise ValueError('{} already has labels set ({}); can not chain calls to .labels()'.format(
                self,
                dict(zip(self._labelnames, self._labelvalues))
            ))

        if labelvalues and labelkwargs:
            raise ValueError("Can't pass both *args and **kwargs")

        if labelkwargs:
            if sorted(labelkwargs) != sorted(self._labelnames):
                raise ValueError('Incorrect label names')
            return tuple(str(labelkwargs[l]) for l in self._labelnames)
        if len(labelvalues) != len(self._labelnames):
            raise ValueError('Incorrect label count')
        return tuple(str(l) for l in labelvalues)

    def _child_args(self):
        original_name = getattr(self, '_original_name', self._name)
        namespace = getattr(self, '_namespace', '')
        subsystem = getattr(self, '_subsystem', '')
        unit = getattr(self, '_unit', '')

        child_kwargs = dict(self._kwargs) if self._kwargs else {}
        for k in ('namespace', 'subsystem', 'unit'):
            child_kwargs.pop(k, None)
        return original_name, namespace, subsystem, unit, child_kwargs

    def labels(self: T, *labelvalues: object, **labelkwargs: object) -> T:
        """Return the child for the given labelset.

        All metrics can have labels, allowing grouping of related time series.
        Taking a counter as an example:

            from prometheus_client import Counter

            c = Counter('my_requests_total', 'HTTP Failures', ['method', 'endpoint'])
            c.labels('get', '/').inc()
            c.labels('post', '/submit').inc()

        Labels can also be provided as keyword arguments:

            from prometheus_client import Counter

            c = Counter('my_requests_total', 'HTTP Failures', ['method', 'endpoint'])
            c.labels(method='get', endpoint='/').inc()
            c.labels(method='post', endpoint='/submit').inc()

        See the best practices on [naming](http://prometheus.io/docs/practices/naming/)
        and [labels](http://prometheus.io/docs/practices/instrumentation/#use-labels).
        """
        str_labelvalues = self._str_labelvalues(labelvalues, labelkwargs)
        with self._lock:
            if str_labelvalues not in self._metrics:
                original_name, namespace, subsystem, unit, child_kwargs = self._child_args()
                self._metrics[str_labelvalues] = self.__class__(
                    original_name,
                    documentation=self._documentation,
                    labelnames=self._labelnames,
                    namespace=namespace,
                    subsystem=subsystem,
                    unit=unit,
                    _labelvalues=str_labelvalues,
                    **child_kwargs
                )
            return self._metrics[str_labelvalues]

    def _fp_labels(self, *labelvalues, **labelkwargs):
        """``labels()`` for what the native fast path does not answer: keyword arguments,
        values that are not ``str``, a child not created yet, every error."""
        str_labelvalues = self._str_labelvalues(labelvalues, labelkwargs)
        with self._lock:
            child = self._fp_get(str_labelvalues)
            if child is None:
                original_name, namespace, subsystem, unit, child_kwargs = self._child_args()
                # The core child is created first and taken by the new object at birth.
                self._fp_prepare(str_labelvalues)
                try:
                    child = self.__class__(
                        original_name,
                        documentation=self._documentation,
                        labelnames=self._labelnames,
                        namespace=namespace,
                        subsystem=subsystem,
                        unit=unit,
                        _labelvalues=str_labelvalues,
                        **child_kwargs
                    )
                except BaseException:
                    self._fp_abort(str_labelvalues)
                    raise
                self._fp_attach(str_labelvalues, child)
            return child

    def remove(self, *labelvalues: Any) -> None:
        if 'prometheus_multiproc_dir' in os.environ or 'PROMETHEUS_MULTIPROC_DIR' in os.environ:
            warnings.warn(
                "Removal of labels has not been implemented in  multi-process mode yet.",
                UserWarning)

        if not self._labelnames:
            raise ValueError('No label names were set when constructing %s' % self)

        """Remove the given labelset from the metric."""
        if len(labelvalues) != len(self._labelnames):
            raise ValueError('Incorrect label count (expected %d, got %s)' % (len(self._labelnames), labelvalues))
        labelvalues = tuple(str(l) for l in labelvalues)
        with self._lock:
            if labelvalues in self._metrics:
                del self._metrics[labelvalues]

    def remove_by_labels(self, labels: dict[str, str]) -> None:
        """Remove all series whose labelset partially matches the given labels."""
        if 'prometheus_multiproc_dir' in os.environ or 'PROMETHEUS_MULTIPROC_DIR' in os.environ:
            warnings.warn(
                "Removal of labels has not been implemented in  multi-process mode yet.",
                UserWarning
            )

        if not self._labelnames:
            raise ValueError('No label names were set when constructing %s' % self)

        if not isinstance(labels, dict):
            raise TypeError("labels must be a dict of {label_name: label_value}")

        if not labels:
            return  # no operation

        invalid = [k for k in labels.keys() if k not in self._labelnames]
        if invalid:
            raise ValueError(
                'Unknown label names: %s; expected %s' % (invalid, self._labelnames)
            )

        pos_filter = {self._labelnames.index(k): str(v) for k, v in labels.items()}

        with self._lock:
            # list(...) to avoid "dictionary changed size during iteration"
            for lv in list(self._metrics.keys()):
                if all(lv[pos] == want for pos, want in pos_filter.items()):
                    # pop with default avoids KeyError if concurrently removed
                    self._metrics.pop(lv, None)

    def clear(self) -> None:
        """Remove all labelsets from the metric"""
        if not self._labelnames:
            return
        if 'prometheus_multiproc_dir' in os.environ or 'PROMETHEUS_MULTIPROC_DIR' in os.environ:
            warnings.warn(
                "Clearing labels has not been implemented in multi-process mode yet",
                UserWarning)
        with self._lock:
            self._metrics = {}

    def _samples(self) -> Iterable[Sample]:
        if self._is_parent():
            return self._multi_samples()
        else:
            return self._child_samples()

    def _multi_samples(self) -> Iterable[Sample]:
        with self._lock:
            metrics = self._metrics.copy()
        for labels, metric in metrics.items():
            series_labels = list(zip(self._labelnames, labels))
            for suffix, sample_labels, value, timestamp, exemplar, native_histogram_value in metric._samples():
                yield Sample(suffix, dict(series_labels + list(sample_labels.items())), value, timestamp, exemplar, native_histogram_value)

    def _child_samples(self) -> Iterable[Sample]:  # pragma: no cover
        if self._fp_native:
            return self._fp_child_samples()
        raise NotImplementedError('_child_samples() must be implemented by %r' % self)

    def _metric_init(self):  # pragma: no cover
        """
        Initialize the metric object as a child, i.e. when it has labels (if any) set.

        This is factored as a separate function to allow for deferred initialization.
        """
        if self._fp_native:
            return
        raise NotImplementedError('_metric_init() must be implemented by %r' % self)


class Counter(_fastprom.CounterBase, MetricWrapperBase):
    """A Counter tracks counts of events or running totals.

    Example use cases for Counters:
    - Number of requests processed
    - Number of items that were inserted into a queue
    - Total amount of data that a system has processed

    Counters can only go up (and be reset when the process restarts). If your use case can go down,
    you should use a Gauge instead.

    An example for a Counter:

        from prometheus_client import Counter

        c = Counter('my_failures_total', 'Description of counter')
        c.inc()     # Increment by 1
        c.inc(1.6)  # Increment by given value

    There are utilities to count exceptions raised:

        @c.count_exceptions()
        def f():
            pass

        with c.count_exceptions():
            pass

        # Count only one type of exception
        with c.count_exceptions(ValueError):
            pass

    You can also reset the counter to zero in case your logical "process" restarts
    without restarting the actual python process.

       c.reset()

    ``inc(amount=1, exemplar=None)`` and ``reset()`` are native.
    """
    __slots__ = _SLOTS
    _type = 'counter'
    _fp_native = True

    def count_exceptions(self, exception: Union[Type[BaseException], Tuple[Type[BaseException], ...]] = Exception) -> ExceptionCounter:
        """Count exceptions in a block of code or function.

        Can be used as a function decorator or context manager.
        Increments the counter when an exception of the given
        type is raised up out of the code.
        """
        self._raise_if_not_observable()
        return ExceptionCounter(self, exception)


class Gauge(_fastprom.GaugeBase, MetricWrapperBase):
    """Gauge metric, to report instantaneous values.

     Examples of Gauges include:
        - Inprogress requests
        - Number of items in a queue
        - Free memory
        - Total memory
        - Temperature

     Gauges can go both up and down.

        from prometheus_client import Gauge

        g = Gauge('my_inprogress_requests', 'Description of gauge')
        g.inc()      # Increment by 1
        g.dec(10)    # Decrement by given value
        g.set(4.2)   # Set to a given value

     There are utilities for common use cases:

        g.set_to_current_time()   # Set to current unixtime

        # Increment when entered, decrement when exited.
        @g.track_inprogress()
        def f():
            pass

        with g.track_inprogress():
            pass

     A Gauge can also take its value from a callback:

        d = Gauge('data_objects', 'Number of objects')
        my_dict = {}
        d.set_function(lambda: len(my_dict))

    ``inc``, ``dec``, ``set``, ``set_to_current_time`` and ``set_function`` are native.
    """
    __slots__ = _SLOTS + ('_multiprocess_mode', '_is_most_recent')
    _type = 'gauge'
    _fp_native = True
    _MULTIPROC_MODES = frozenset(('all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum', 'mostrecent', 'livemostrecent'))
    _MOST_RECENT_MODES = frozenset(('mostrecent', 'livemostrecent'))

    def __init__(self,
                 name: str,
                 documentation: str,
                 labelnames: Iterable[str] = (),
                 namespace: str = '',
                 subsystem: str = '',
                 unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 multiprocess_mode: Literal['all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum', 'mostrecent', 'livemostrecent'] = 'all',
                 ):
        self._multiprocess_mode = multiprocess_mode
        if multiprocess_mode not in self._MULTIPROC_MODES:
            raise ValueError('Invalid multiprocess mode: ' + multiprocess_mode)
        super().__init__(
            name=name,
            documentation=documentation,
            labelnames=labelnames,
            namespace=namespace,
            subsystem=subsystem,
            unit=unit,
            registry=registry,
            _labelvalues=_labelvalues,
        )
        self._kwargs['multiprocess_mode'] = self._multiprocess_mode
        self._is_most_recent = self._multiprocess_mode in self._MOST_RECENT_MODES
        self._fp_set_most_recent(self._is_most_recent)

    def track_inprogress(self) -> InprogressTracker:
        """Track inprogress blocks of code or functions.

        Can be used as a function decorator or context manager.
        Increments the gauge when the code is entered,
        and decrements when it is exited.
        """
        self._raise_if_not_observable()
        return InprogressTracker(self)

    def time(self) -> Timer:
        """Time a block of code or function, and set the duration in seconds.

        Can be used as a function decorator or context manager.
        """
        return Timer(self, 'set')


class Summary(_fastprom.SummaryBase, MetricWrapperBase):
    """A Summary tracks the size and number of events.

    Example use cases for Summaries:
    - Response latency
    - Request size

    Example for a Summary:

        from prometheus_client import Summary

        s = Summary('request_size_bytes', 'Request size (bytes)')
        s.observe(512)  # Observe 512 (bytes)

    Example for a Summary using time:

        from prometheus_client import Summary

        REQUEST_TIME = Summary('response_latency_seconds', 'Response latency (seconds)')

        @REQUEST_TIME.time()
        def create_response(request):
          '''A dummy function'''
          time.sleep(1)

    Example for using the same Summary object as a context manager:

        with REQUEST_TIME.time():
            pass  # Logic to be timed

    ``observe(amount)`` is native.
    """
    __slots__ = _SLOTS
    _type = 'summary'
    _reserved_labelnames = ['quantile']
    _fp_native = True

    def time(self) -> Timer:
        """Time a block of code or function, and observe the duration in seconds.

        Can be used as a function decorator or context manager.
        """
        return Timer(self, 'observe')


class Histogram(_fastprom.HistogramBase, MetricWrapperBase):
    """A Histogram tracks the size and number of events in buckets.

    You can use Histograms for aggregatable calculation of quantiles.

    Example use cases:
    - Response latency
    - Request size

    Example for a Histogram:

        from prometheus_client import Histogram

        h = Histogram('request_size_bytes', 'Request size (bytes)')
        h.observe(512)  # Observe 512 (bytes)

    Example for a Histogram using time:

        from prometheus_client import Histogram

        REQUEST_TIME = Histogram('response_latency_seconds', 'Response latency (seconds)')

        @REQUEST_TIME.time()
        def create_response(request):
          '''A dummy function'''
          time.sleep(1)

    Example of using the same Histogram object as a context manager:

        with REQUEST_TIME.time():
            pass  # Logic to be timed

    The default buckets are intended to cover a typical web/rpc request from milliseconds to seconds.
    They can be overridden by passing `buckets` keyword argument to `Histogram`.

    ``observe(amount, exemplar=None)`` is native.
    """
    __slots__ = _SLOTS + ('_upper_bounds',)
    _type = 'histogram'
    _reserved_labelnames = ['le']
    _fp_native = True
    DEFAULT_BUCKETS = (.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0, INF)

    def __init__(self,
                 name: str,
                 documentation: str,
                 labelnames: Iterable[str] = (),
                 namespace: str = '',
                 subsystem: str = '',
                 unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 buckets: Sequence[Union[float, str]] = DEFAULT_BUCKETS,
                 ):
        self._prepare_buckets(buckets)
        super().__init__(
            name=name,
            documentation=documentation,
            labelnames=labelnames,
            namespace=namespace,
            subsystem=subsystem,
            unit=unit,
            registry=registry,
            _labelvalues=_labelvalues,
        )
        self._kwargs['buckets'] = buckets

    def _prepare_buckets(self, source_buckets: Sequence[Union[float, str]]) -> None:
        buckets = [float(b) for b in source_buckets]
        if buckets != sorted(buckets):
            # This is probably an error on the part of the user,
            # so raise rather than sorting for them.
            raise ValueError('Buckets not in sorted order')
        if buckets and buckets[-1] != INF:
            buckets.append(INF)
        if len(buckets) < 2:
            raise ValueError('Must have at least two buckets')
        self._upper_bounds = buckets

    def _fp_config(self):
        return self._upper_bounds

    def time(self) -> Timer:
        """Time a block of code or function, and observe the duration in seconds.

        Can be used as a function decorator or context manager.
        """
        return Timer(self, 'observe')


class Info(_fastprom.InfoBase, MetricWrapperBase):
    """Info metric, key-value pairs.

     Examples of Info include:
        - Build information
        - Version information
        - Potential target metadata

     Example usage:
        from prometheus_client import Info

        i = Info('my_build', 'Description of info')
        i.info({'version': '1.2.3', 'buildhost': 'foo@bar'})

     Info metrics do not work in multiprocess mode.

    ``info(val)`` is native.
    """
    __slots__ = _SLOTS + ('_labelname_set',)
    _type = 'info'
    _fp_native = True

    def _metric_init(self):
        self._labelname_set = set(self._labelnames)
        self._lock = Lock()


class Enum(_fastprom.EnumBase, MetricWrapperBase):
    """Enum metric, which of a set of states is true.

     Example usage:
        from prometheus_client import Enum

        e = Enum('task_state', 'Description of enum',
          states=['starting', 'running', 'stopped'])
        e.state('running')

     The first listed state will be the default.
     Enum metrics do not work in multiprocess mode.

    ``state(state)`` is native.
    """
    __slots__ = _SLOTS + ('_states',)
    _type = 'stateset'
    _fp_native = True

    def __init__(self,
                 name: str,
                 documentation: str,
                 labelnames: Sequence[str] = (),
                 namespace: str = '',
                 subsystem: str = '',
                 unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 states: Optional[Sequence[str]] = None,
                 ):
        if name in labelnames:
            raise ValueError(f'Overlapping labels for Enum metric: {name}')
        if not states:
            raise ValueError(f'No states provided for Enum metric: {name}')
        self._states = states
        super().__init__(
            name=name,
            documentation=documentation,
            labelnames=labelnames,
            namespace=namespace,
            subsystem=subsystem,
            unit=unit,
            registry=registry,
            _labelvalues=_labelvalues,
        )
        self._kwargs['states'] = self._states = states

    def _fp_config(self):
        return self._states

    def _metric_init(self) -> None:
        self._lock = Lock()


_NATIVE_CLASSES = (Counter, Gauge, Summary, Histogram, Info, Enum)

_fastprom.configure(
    metric=Metric,
    sample=Sample,
    exemplar=Exemplar,
    child_dict=_ChildDict,
    native_ok=_native_ok,
)
