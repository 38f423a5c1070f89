"""The six metric classes: Counter, Gauge, Summary, Histogram, Info and Enum.

Their constructors, methods, errors and the private attributes other code inspects are
those of ``prometheus_client.metrics`` 0.26, so existing instrumentation runs unchanged.
The numbers themselves live in fastprom's Rust core: every class here derives from a
native base in ``fastprom._fastprom`` (``CounterBase``, ``GaugeBase``, ...), which
provides the methods called on every request (``inc``, ``dec``, ``set``, ``observe``,
``labels`` for a label set already seen) and builds ``collect()`` output natively. This
module adds the rest: construction, child creation, removal, and the Python route taken
by subclasses that redefine how samples are produced.

>>> from fastprom import CollectorRegistry
>>> reg = CollectorRegistry()
>>> hits = Counter('cache_hits', 'Cache lookups that hit.', ['cache'], registry=reg)
>>> hits.labels('sessions').inc(3)
>>> reg.get_sample_value('cache_hits_total', {'cache': 'sessions'})
3.0
"""

import os
from threading import Lock
import time
import types  # noqa: F401  (a name prometheus_client.metrics has)
from typing import (  # noqa: F401  (the names prometheus_client.metrics has)
    Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple,
    Type, TypeVar, Union,
)
import warnings
from collections.abc import MutableMapping

from . import _fastprom
from . import registry as _registry_module
from . import values  # noqa: F401  (imported as a module, so tests can patch its contents)
from .context_managers import ExceptionCounter, InprogressTracker, Timer  # noqa: F401  (names prometheus_client.metrics has)
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


# --- process-wide settings ------------------------------------------------------------------

def _now() -> float:
    # ``time.time`` is looked up on each call rather than bound once, so a test that
    # patches it also moves ``_created``, exemplar timestamps and set_to_current_time().
    return time.time()


_fastprom.set_clock(_now)


def _get_use_created() -> bool:
    """Whether ``_created`` samples start enabled: yes, unless the environment variable
    ``PROMETHEUS_DISABLE_CREATED_SERIES`` is set to a true-ish value."""
    setting = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", 'False')
    return setting.lower() not in ('true', '1', 't')


def _set_use_created(on: bool) -> None:
    # Kept in this module's global for code that reads it, and handed to the core, which
    # is what actually decides whether the samples are written.
    global _use_created
    _use_created = on
    _fastprom.set_created_enabled(on)


_set_use_created(_get_use_created())


class _SwitchModule(types.ModuleType):
    """The class of this module: assigning ``_use_created`` from outside (as
    prometheus_client's own tests do, or ``monkeypatch.setattr``) also reaches the core.
    The core reads its switch at each collection, just as prometheus_client reads the
    module global whenever a metric's samples are produced, so a plain assignment takes
    effect from the next collection on. Reads are ordinary attribute lookups."""

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name == '_use_created':
            # Truthiness is what prometheus_client tests (``if _use_created:``).
            _fastprom.set_created_enabled(bool(value))


def disable_created_metrics():
    """Stops writing the ``_created`` samples of counters, summaries and histograms."""
    _set_use_created(False)


def enable_created_metrics():
    """Writes the ``_created`` samples of counters, summaries and histograms again."""
    _set_use_created(True)


def _multiprocess_env() -> bool:
    env = os.environ
    return 'prometheus_multiproc_dir' in env or 'PROMETHEUS_MULTIPROC_DIR' in env


def _warn_multiprocess(message: str) -> None:
    if _multiprocess_env():
        warnings.warn(message, UserWarning)


# --- names ----------------------------------------------------------------------------------

def _build_full_name(metric_type, name, namespace, subsystem, unit):
    """The exposed name of a metric assembled in Python (for the native classes the core
    does this): the non-empty parts joined by ``_``, a counter's trailing ``_total``
    removed (its samples put it back), then ``_<unit>`` unless already there.

    >>> _build_full_name('counter', 'sent_total', 'app', 'mail', 'bytes')
    'app_mail_sent_bytes'
    """
    if not name:
        raise ValueError('Metric name should not be empty')
    full = '_'.join(part for part in (namespace, subsystem, name) if part)
    if metric_type == 'counter' and full.endswith('_total'):
        full = full[:-len('_total')]
    if not unit:
        return full
    if not full.endswith('_' + unit):
        full = f'{full}_{unit}'
    if metric_type in ('info', 'stateset'):
        raise ValueError('Metric name is of a type that cannot have a unit: ' + full)
    return full


def _concatenated_name(metric_type, name, namespace, subsystem, unit):
    """The full name built with ``+`` on each part, so that parts of the wrong type fail
    with the ``TypeError`` of that operator, as they do in prometheus_client; only used
    to reproduce its errors."""
    if not name:
        raise ValueError('Metric name should not be empty')
    full = ''
    for prefix in (namespace, subsystem):
        if prefix:
            full += prefix + '_'
    full += name
    if metric_type == 'counter' and full.endswith('_total'):
        full = full[:-6]
    if unit:
        if not full.endswith('_' + unit):
            full += '_' + unit
        if metric_type in ('info', 'stateset'):
            raise ValueError('Metric name is of a type that cannot have a unit: ' + full)
    return full


# --- children of a labelled metric ----------------------------------------------------------

class _ChildView(MutableMapping):
    """``_metrics`` of a labelled native metric: a live view of its children, from
    label-value tuples to child objects, in creation order. The children themselves live
    in the metric's native family (with their objects), so there is nothing to keep in
    step. Taking an entry out (``del``, ``pop``, ``popitem``, ``clear``) deletes the
    series, as deleting from prometheus_client's dict does; entries are only added by
    ``labels()``."""

    __slots__ = ('_owner',)

    def __init__(self, owner):
        self._owner = owner

    def __getitem__(self, key):
        child = self._owner._fp_get(key) if isinstance(key, tuple) else None
        if child is None:
            raise KeyError(key)
        return child

    def __contains__(self, key):
        return isinstance(key, tuple) and self._owner._fp_get(key) is not None

    def __setitem__(self, key, value):
        raise TypeError("fastprom: children are added by labels(), not by setting _metrics items")

    def __delitem__(self, key):
        if not (isinstance(key, tuple) and self._owner._fp_forget(key)):
            raise KeyError(key)

    def __iter__(self):
        return iter([key for key, _ in self._owner._fp_items()])

    def __len__(self):
        return self._owner._fp_count()

    def items(self):
        return self._owner._fp_items()

    def values(self):
        return [child for _, child in self._owner._fp_items()]

    def clear(self):
        self._owner._fp_forget_all()

    def copy(self):
        # A snapshot, detached from the metric.
        return dict(self._owner._fp_items())

    def __eq__(self, other):
        return dict(self.items()) == other if isinstance(other, dict) else MutableMapping.__eq__(self, other)

    def __repr__(self):
        return repr(dict(self.items()))

    def __reduce__(self):
        return dict, (dict(self.items()),)


# The classes built on a native base (assigned at the end of the module), and the methods
# that decide what a metric's samples are. A subclass that redefines one of those methods
# gets its samples collected in Python, through the methods it redefined.
_NATIVE_CLASSES: Tuple[type, ...] = ()
_SAMPLE_HOOKS = ('collect', '_samples', '_multi_samples', '_child_samples', '_get_metric')
_native_ok_cache: Dict[type, bool] = {}


def _native_ok(cls: type) -> bool:
    """Whether the core may produce the samples of instances of ``cls`` on its own."""
    try:
        return _native_ok_cache[cls]
    except KeyError:
        pass
    base = next((b for b in cls.__mro__ if b in _NATIVE_CLASSES), None)
    ok = base is not None and all(getattr(cls, hook, None) is getattr(base, hook, None)
                                  for hook in _SAMPLE_HOOKS)
    _native_ok_cache[cls] = ok
    return ok


# Instance attributes common to every metric, stored in slots. While an instance has no
# ``__dict__`` yet, CPython 3.12+ can specialise calls such as ``metric.inc``; the
# ``__dict__`` slot stays so that arbitrary attributes can still be set, as on
# prometheus_client's metrics.
_SLOTS = ('_original_name', '_namespace', '_subsystem', '_name', '_labelnames', '_labelvalues',
          '_kwargs', '_documentation', '_unit', '_lock', '__dict__', '__weakref__')

# Keyword arguments a parent passes to its children explicitly, so never from _kwargs.
_NAME_PARTS = ('namespace', 'subsystem', 'unit')

_ExceptionTypes = Union[Type[BaseException], Tuple[Type[BaseException], ...]]
_MultiprocessMode = Literal['all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum', 'mostrecent', 'livemostrecent']


class MetricWrapperBase(Collector):
    """What all metric classes share: naming, registration, children and collection.

    A metric built with label names is a *parent*: it holds no value itself, and
    ``labels()`` hands out one *child* per combination of label values. A metric without
    label names, and every child, is *observable*: its ``inc()``, ``set()``,
    ``observe()`` and the like work. Only parents and unlabelled metrics get registered.
    """

    __slots__ = ()
    _type: Optional[str] = None
    _reserved_labelnames: Sequence[str] = ()
    # True on the classes whose base is native (the six below).
    _fp_native = False

    def _is_observable(self):
        if not self._labelnames:
            return True
        return self._labelvalues

    def _raise_if_not_observable(self):
        # The value of a parent does not exist, so nothing may change it.
        if not self._is_observable():
            raise ValueError('%s metric is missing label values' % str(self._type))

    def _is_parent(self):
        return not self._labelvalues if self._labelnames else self._labelnames

    def _get_metric(self):
        return Metric(self._name, self._documentation, self._type, self._unit)

    @property
    def _metrics(self):
        """A parent's children, from label-value tuples to child objects (a live view for
        native metrics, a plain dict otherwise)."""
        if self._fp_native:
            if self._labelnames and not self._labelvalues:
                return _ChildView(self)
        else:
            try:
                return self.__dict__['_metrics']
            except KeyError:
                pass
        raise AttributeError("'%s' object has no attribute '_metrics'" % type(self).__name__)

    @_metrics.setter
    def _metrics(self, value):
        if not self._fp_native:
            self.__dict__['_metrics'] = value
            return
        # prometheus_client's clear() assigns a fresh dict: every child goes.
        if not (isinstance(value, dict) and not value):
            raise TypeError('fastprom: _metrics can only be replaced by an empty dict (use remove() or clear())')
        self._fp_forget_all()

    def describe(self) -> Iterable[Metric]:
        return [self._get_metric()]

    def collect(self) -> Iterable[Metric]:
        if self._fp_native and _native_ok(type(self)):
            return self._fp_collect()
        family = self._get_metric()
        for suffix, labels, value, stamp, exemplar, native in self._samples():
            family.add_sample(self._name + suffix, labels, value, stamp, exemplar, native)
        return [family]

    def __str__(self) -> str:
        return '%s:%s' % (self._type, self._name)

    def __repr__(self) -> str:
        cls = type(self)
        return '%s.%s(%s)' % (cls.__module__, cls.__name__, self._name)

    def __init__(self: T, name: str, documentation: str, labelnames: Iterable[str] = (),
                 namespace: str = '', subsystem: str = '', unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None) -> None:
        # The parts of the name are kept apart, so children can be built from them.
        self._original_name, self._namespace, self._subsystem = name, namespace, subsystem
        self._documentation = documentation
        self._unit = unit
        self._labelvalues = tuple(_labelvalues or ())
        self._kwargs: Dict[str, Any] = {}
        if self._fp_native:
            # The core assembles the full name and checks it and the label names, in
            # prometheus_client's order and with its messages.
            self._labelnames = tuple(labelnames)
            try:
                self._name = self._fp_init(name, documentation, self._labelnames, namespace,
                                           subsystem, unit, self._labelvalues, self._fp_config(),
                                           *self._fp_multiprocess())
                refused = False
            except TypeError:
                refused = True
            if refused:
                # The core takes only str. Off the fast path (and outside the except
                # block, so no exception context is attached), find out what
                # prometheus_client makes of these arguments: its own error, or (for
                # empty non-str name parts such as None) acceptance.
                self._name = self._fp_init_loose(name, documentation, namespace, subsystem, unit)
        else:
            self._name = _build_full_name(self._type, name, namespace, subsystem, unit)
            self._labelnames = _validate_labelnames(self, labelnames)
            _validate_metric_name(self._name)
            if self._is_parent():
                self._metrics: Dict[Sequence[str], T] = {}
        if self._is_parent():
            self._lock = Lock()
        if self._is_observable():
            self._metric_init()
        # Children are reached through their parent, so only the top level registers.
        if not self._labelvalues and registry:
            registry.register(self)

    def _fp_config(self):
        """What the native base needs besides the names: bucket bounds, state names."""
        return None

    def _fp_init_loose(self, name, documentation, namespace, subsystem, unit):
        """``_fp_init`` after the core refused an argument that is not a ``str``.

        The arguments are first checked the way prometheus_client checks them, so its
        exception (type and message) comes out: the name is assembled by string
        concatenation, then the label names are validated. If that passes, an empty
        ``namespace``, ``subsystem`` or ``unit`` of another type (``None``, say) is
        simply left out, as prometheus_client leaves it out. Anything still refused
        (a documentation that is not a ``str``) keeps the core's ``TypeError``."""
        _concatenated_name(self._type, name, namespace, subsystem, unit)
        _validate_labelnames(self, self._labelnames)
        parts = [part if part else '' for part in (namespace, subsystem, unit)]
        return self._fp_init(name, documentation, self._labelnames, *parts,
                             self._labelvalues, self._fp_config(), *self._fp_multiprocess())

    def _fp_multiprocess(self):
        """``(context, gauge mode)`` when ``values.ValueClass`` is a fastprom
        ``MultiProcessValue`` class, so the metric's values go to this process's files;
        ``(None, '')`` otherwise. Read when each metric or child is created, as
        prometheus_client reads ``values.ValueClass`` in ``_metric_init``."""
        context = getattr(values.ValueClass, '_fp_context', None)
        if context is None:
            return None, ''
        values._fp_migrate_env()
        return context, getattr(self, '_multiprocess_mode', '')

    def _label_key(self, labelvalues, labelkwargs):
        """The tuple of ``str`` label values that ``labels()`` was called with."""
        names = self._labelnames
        if not names:
            raise ValueError('No label names were set when constructing %s' % self)
        if self._labelvalues:
            raise ValueError('%s already has labels set (%s); can not chain calls to .labels()'
                             % (self, dict(zip(names, self._labelvalues))))
        if labelvalues and labelkwargs:
            raise ValueError("Can't pass both *args and **kwargs")
        # (List comprehensions: measurably quicker here than generators or map().)
        if labelkwargs:
            if sorted(labelkwargs) != sorted(names):
                raise ValueError('Incorrect label names')
            return tuple([str(labelkwargs[n]) for n in names])
        if len(labelvalues) != len(names):
            raise ValueError('Incorrect label count')
        return tuple([str(v) for v in labelvalues])

    def _spawn_child(self, key):
        """A new child object for ``key``. It is made by calling the metric's own class, so
        a subclass gets children of its kind, with the extra constructor arguments it
        recorded in ``_kwargs``."""
        extra = {k: v for k, v in (self._kwargs or {}).items() if k not in _NAME_PARTS}
        return self.__class__(
            getattr(self, '_original_name', self._name), documentation=self._documentation,
            labelnames=self._labelnames, namespace=getattr(self, '_namespace', ''),
            subsystem=getattr(self, '_subsystem', ''), unit=getattr(self, '_unit', ''),
            _labelvalues=key, **extra)

    def _fp_adopt(self, key):
        """Creates a child of a native parent. The core child comes first
        (``_fp_prepare`` parks it for this thread); the object built next picks it up in the
        native ``__new__``, and ``_fp_attach`` records the pair."""
        self._fp_prepare(key)
        try:
            child = self._spawn_child(key)
        except BaseException:
            self._fp_abort(key)
            raise
        self._fp_attach(key, child)
        return child

    def _python_child(self, key):
        # A metric without a native base keeps its children in a plain dict. Called with
        # self._lock held.
        children = self._metrics
        if key not in children:
            children[key] = self._spawn_child(key)
        return children[key]

    def labels(self: T, *labelvalues: object, **labelkwargs: object) -> T:
        """The child for one combination of label values, created on first use.

        Values go positionally, in the order the label names were declared, or all by
        keyword; each is converted with ``str()``:

            jobs = Counter('jobs_total', 'Jobs run.', ['queue', 'outcome'])
            jobs.labels('mail', 'ok').inc()
            jobs.labels(outcome='failed', queue='mail').inc()

        The same values always give back the same child object, so it can be kept and
        reused. A child's ``labels()`` raises, as does giving the wrong number or names.
        """
        key = self._label_key(labelvalues, labelkwargs)
        with self._lock:
            if not self._fp_native:
                return self._python_child(key)
            child = self._fp_get(key)
            return self._fp_adopt(key) if child is None else child

    # The native labels() answers a call for a child that exists from its own table; any
    # other call (new label values, keywords, non-str values, errors) ends up here.
    _fp_labels = labels

    def _labelled_names(self):
        if not self._labelnames:
            raise ValueError('No label names were set when constructing %s' % self)
        return self._labelnames

    def remove(self, *labelvalues: Any) -> None:
        """Deletes the child with these label values (given positionally, converted with
        ``str()``), and its series with it. Values never used are ignored."""
        _warn_multiprocess("Removal of labels has not been implemented in  multi-process mode yet.")
        names = self._labelled_names()
        if len(labelvalues) != len(names):
            raise ValueError('Incorrect label count (expected %d, got %s)' % (len(names), labelvalues))
        key = tuple(map(str, labelvalues))
        with self._lock:
            self._metrics.pop(key, None)

    def remove_by_labels(self, labels: dict[str, str]) -> None:
        """Deletes every child whose values match ``labels``, which names some of the
        label names: ``requests.remove_by_labels({'method': 'POST'})`` deletes all the POST
        series whatever their other labels. An empty dict deletes nothing."""
        _warn_multiprocess("Removal of labels has not been implemented in  multi-process mode yet.")
        names = self._labelled_names()
        if not isinstance(labels, dict):
            raise TypeError("labels must be a dict of {label_name: label_value}")
        if not labels:
            return
        unknown = [k for k in labels if k not in names]
        if unknown:
            raise ValueError('Unknown label names: %s; expected %s' % (unknown, names))
        wanted = {names.index(k): str(v) for k, v in labels.items()}

        def matches(key):
            return all(key[at] == value for at, value in wanted.items())

        with self._lock:
            for key in [k for k in self._metrics if matches(k)]:
                self._metrics.pop(key, None)

    def clear(self) -> None:
        """Deletes all children of a labelled metric; does nothing on one without labels."""
        if not self._labelnames:
            return
        _warn_multiprocess("Clearing labels has not been implemented in multi-process mode yet")
        with self._lock:
            self._metrics = {}

    def _samples(self) -> Iterable[Sample]:
        return self._multi_samples() if self._is_parent() else self._child_samples()

    def _multi_samples(self) -> Iterable[Sample]:
        with self._lock:
            children = list(self._metrics.items())
        for key, child in children:
            own = dict(zip(self._labelnames, key))
            for suffix, labels, value, stamp, exemplar, native in child._samples():
                yield Sample(suffix, {**own, **labels}, value, stamp, exemplar, native)

    def _child_samples(self) -> Iterable[Sample]:
        if self._fp_native:
            return self._fp_child_samples()
        raise NotImplementedError('_child_samples() must be implemented by %r' % self)

    def _metric_init(self):
        """Sets up an observable metric's own state. Native classes keep it in the core;
        a class written directly on this base must define it."""
        if not self._fp_native:
            raise NotImplementedError('_metric_init() must be implemented by %r' % self)


class Counter(_fastprom.CounterBase, MetricWrapperBase):
    """A total that only increases, such as requests served or bytes written.

        sent = Counter('mail_sent_total', 'Messages handed to the relay.')
        sent.inc()          # one more
        sent.inc(12)        # a batch
        sent.inc(exemplar={'trace_id': '4bf92f35'})  # with a trace reference

    A negative amount raises ``ValueError``; for a value that goes down use a Gauge.
    The exposed name always ends in ``_total`` (given or not), and a ``_created``
    sample records when counting began. ``reset()`` sets it back to zero and moves
    ``_created`` to now, for a job that starts over inside a long-lived process.

    ``count_exceptions()`` counts the exceptions escaping a block or function:

        @sent.count_exceptions(ConnectionError)
        def deliver(message): ...
    """
    __slots__ = _SLOTS
    _type = 'counter'
    _fp_native = True


class Gauge(_fastprom.GaugeBase, MetricWrapperBase):
    """A value that can go up and down, such as queue length or memory in use.

        depth = Gauge('queue_depth', 'Messages waiting.', ['queue'])
        q = depth.labels('outbound')
        q.set(40)
        q.inc(); q.dec(5)
        q.set_to_current_time()         # e.g. for a "last run" timestamp
        q.set_function(lambda: len(pending))  # read when collected

    ``track_inprogress()`` adds one while a block or function runs; ``time()`` sets the
    gauge to how long it took. ``multiprocess_mode`` says how a ``MultiProcessCollector``
    combines the values of several processes (``all``, ``sum``, ``max``, ...; the ``live``
    forms leave out processes marked dead).
    """
    __slots__ = _SLOTS + ('_multiprocess_mode', '_is_most_recent')
    _type = 'gauge'
    _fp_native = True
    _MULTIPROC_MODES = frozenset(_MultiprocessMode.__args__)
    _MOST_RECENT_MODES = frozenset(m for m in _MULTIPROC_MODES if m.endswith('mostrecent'))

    def __init__(self, name: str, documentation: str, labelnames: Iterable[str] = (),
                 namespace: str = '', subsystem: str = '', unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 multiprocess_mode: _MultiprocessMode = 'all'):
        self._multiprocess_mode = multiprocess_mode
        if multiprocess_mode not in self._MULTIPROC_MODES:
            raise ValueError('Invalid multiprocess mode: ' + multiprocess_mode)
        super().__init__(name=name, documentation=documentation, labelnames=labelnames,
                         namespace=namespace, subsystem=subsystem, unit=unit,
                         registry=registry, _labelvalues=_labelvalues)
        self._kwargs['multiprocess_mode'] = multiprocess_mode
        self._is_most_recent = multiprocess_mode in self._MOST_RECENT_MODES
        self._fp_set_most_recent(self._is_most_recent)


class Summary(_fastprom.SummaryBase, MetricWrapperBase):
    """The count and the sum of observed values, e.g. request sizes or latencies; the
    rate of one over the other gives the average. No quantiles are computed.

        payload = Summary('upload_bytes', 'Size of uploaded files.')
        payload.observe(2048)

        render = Summary('render_seconds', 'Time spent rendering pages.')

        @render.time()
        def page(): ...

        with render.time():
            ...

    ``quantile`` is reserved and cannot be a label name.
    """
    __slots__ = _SLOTS
    _type = 'summary'
    _reserved_labelnames = ['quantile']
    _fp_native = True


class Histogram(_fastprom.HistogramBase, MetricWrapperBase):
    """Observations counted into cumulative buckets, plus their count and sum, from
    which quantiles can be estimated and aggregated across instances.

        latency = Histogram('rpc_seconds', 'RPC latency.', buckets=[0.01, 0.1, 1, 10])
        latency.observe(0.25)

        @latency.time()
        def call(): ...

    ``buckets`` are upper bounds in increasing order; ``+Inf`` is added when missing.
    ``DEFAULT_BUCKETS`` spans 5 ms to 10 s, suited to web and RPC latencies. ``le`` is
    reserved and cannot be a label name.
    """
    __slots__ = _SLOTS + ('_upper_bounds',)
    _type = 'histogram'
    _reserved_labelnames = ['le']
    _fp_native = True
    DEFAULT_BUCKETS = (.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0, INF)

    def __init__(self, name: str, documentation: str, labelnames: Iterable[str] = (),
                 namespace: str = '', subsystem: str = '', unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 buckets: Sequence[Union[float, str]] = DEFAULT_BUCKETS):
        self._prepare_buckets(buckets)
        super().__init__(name=name, documentation=documentation, labelnames=labelnames,
                         namespace=namespace, subsystem=subsystem, unit=unit,
                         registry=registry, _labelvalues=_labelvalues)
        self._kwargs['buckets'] = buckets

    def _prepare_buckets(self, source_buckets: Sequence[Union[float, str]]) -> None:
        bounds = [float(bound) for bound in source_buckets]
        # Unsorted bounds are refused rather than sorted: they are most likely a typo.
        if bounds != sorted(bounds):
            raise ValueError('Buckets not in sorted order')
        # Appending +Inf to an empty list still leaves it too short, as it should.
        if bounds[-1:] != [INF]:
            bounds.append(INF)
        if len(bounds) < 2:
            raise ValueError('Must have at least two buckets')
        self._upper_bounds = bounds

    def _fp_config(self):
        return self._upper_bounds


class Info(_fastprom.InfoBase, MetricWrapperBase):
    """Constant facts about the process, such as its version, as label pairs of a
    ``<name>_info`` series whose value is always 1.

        build = Info('app_build', 'Build of the running application.')
        build.info({'version': '2.4.1', 'commit': '9f3c2e1'})

    A key may not repeat one of the metric's label names.
    """
    __slots__ = _SLOTS + ('_labelname_set',)
    _type = 'info'
    _fp_native = True

    def _metric_init(self):
        self._lock = Lock()
        self._labelname_set = set(self._labelnames)


class Enum(_fastprom.EnumBase, MetricWrapperBase):
    """Which one of a fixed list of states something is in (a state set): one series per
    state, 1 for the current state and 0 for the others.

        phase = Enum('backup_phase', 'Phase of the nightly backup.',
                     states=['idle', 'dumping', 'uploading'])
        phase.state('dumping')

    The first state is current until ``state()`` is called.
    """
    __slots__ = _SLOTS + ('_states',)
    _type = 'stateset'
    _fp_native = True

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str] = (),
                 namespace: str = '', subsystem: str = '', unit: str = '',
                 registry: Optional[CollectorRegistry] = REGISTRY,
                 _labelvalues: Optional[Sequence[str]] = None,
                 states: Optional[Sequence[str]] = None):
        # The states are exposed under a label named like the metric itself.
        if name in labelnames:
            raise ValueError(f'Overlapping labels for Enum metric: {name}')
        if not states:
            raise ValueError(f'No states provided for Enum metric: {name}')
        self._states = states
        super().__init__(name=name, documentation=documentation, labelnames=labelnames,
                         namespace=namespace, subsystem=subsystem, unit=unit,
                         registry=registry, _labelvalues=_labelvalues)
        self._kwargs['states'] = states

    def _fp_config(self):
        return self._states

    def _metric_init(self) -> None:
        self._lock = Lock()


_NATIVE_CLASSES = (Counter, Gauge, Summary, Histogram, Info, Enum)


def _read_natively(cls) -> bool:
    return getattr(cls, '_fp_native', False) is True and _native_ok(cls)


# Scrapes hand fastprom's metrics to the core as they are (see registry._fp_scrape_source).
_registry_module._fp_read_natively = _read_natively

# From here on, ``fastprom.metrics._use_created = ...`` switches the core too.
import sys as _sys  # noqa: E402
_sys.modules[__name__].__class__ = _SwitchModule
del _sys

_fastprom.configure(
    metric=Metric,
    sample=Sample,
    exemplar=Exemplar,
    native_ok=_native_ok,
)
