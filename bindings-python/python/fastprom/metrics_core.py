"""Metric families: what a collector's ``collect()`` returns.

``Metric`` is the plain container; the ``*MetricFamily`` classes are typed front ends for
custom collectors, each knowing which sample names its type uses. The native encoders
read only the public attributes (``name``, ``documentation``, ``type``, ``unit``,
``samples``), so families built by hand, by a parser or by fastprom's own metrics are
all written the same way.
"""

from typing import Dict, List, Optional, Sequence, Tuple, Union

from .samples import Exemplar, NativeHistogram, Sample, Timestamp
from .validation import _validate_metric_name


METRIC_TYPES = (
    'counter', 'gauge', 'summary', 'histogram',
    'gaugehistogram', 'unknown', 'info', 'stateset',
)

_TimestampT = Optional[Union[Timestamp, float]]


def _with_unit(name: str, unit: str) -> str:
    """``name`` ending in ``_<unit>``: appended unless already there (or no unit)."""
    if not unit or name.endswith('_' + unit):
        return name
    return f'{name}_{unit}'


def _checked_type(typ: str) -> str:
    """The stored form of a family type: ``untyped`` is the old word for ``unknown``."""
    kind = 'unknown' if typ == 'untyped' else typ
    if kind in METRIC_TYPES:
        return kind
    raise ValueError('Invalid metric type: ' + kind)


class Metric:
    """One family as the encoders receive it: ``name``, ``documentation``, ``type``,
    ``unit`` and the list ``samples``.

    fastprom's metrics build these when collected. A custom collector usually wants one
    of the typed subclasses below instead, which name each sample for it:

    >>> m = Metric('disk_free', 'Free space.', 'gauge', unit='bytes')
    >>> m.name, m.type
    ('disk_free_bytes', 'gauge')
    """

    def __init__(self, name: str, documentation: str, typ: str, unit: str = ''):
        full_name = _with_unit(name, unit)
        _validate_metric_name(full_name)
        self.name: str = full_name
        self.documentation: str = documentation
        self.unit: str = unit
        self.type: str = _checked_type(typ)
        self.samples: List[Sample] = []

    def add_sample(self, name: str, labels: Dict[str, str], value: float,
                   timestamp: _TimestampT = None, exemplar: Optional[Exemplar] = None,
                   native_histogram: Optional[NativeHistogram] = None) -> None:
        """Appends one sample. Internal-only, as in prometheus_client."""
        self.samples.append(Sample(name, labels, value, timestamp, exemplar, native_histogram))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metric):
            return False
        return ((self.name, self.documentation, self.type, self.unit, self.samples)
                == (other.name, other.documentation, other.type, other.unit, other.samples))

    def __repr__(self) -> str:
        return f"Metric({self.name}, {self.documentation}, {self.type}, {self.unit}, {self.samples})"

    def _restricted_metric(self, names):
        """A copy holding only the samples whose name is in ``names``, or None if none is."""
        kept = [s for s in self.samples if s[0] in names]
        if not kept:
            return None
        m = Metric(self.name, self.documentation, self.type)
        m.samples = kept
        return m


class _Family(Metric):
    """What the typed families share: their label names, and the rule that a family gets
    either an initial value (one unlabelled series) or label names, never both."""

    def _fp_init_labels(self, labels: Optional[Sequence[str]], has_value: bool,
                     what: str = 'value') -> None:
        if labels is not None and has_value:
            raise ValueError(f'Can only specify at most one of {what} and labels.')
        self._labelnames = tuple(labels if labels is not None else [])

    def _fp_label_dict(self, values: Sequence[str]) -> Dict[str, str]:
        return dict(zip(self._labelnames, values))


class UnknownMetricFamily(_Family):
    """Series whose type the collector does not know, exposed with type ``unknown``:
    a single ``value``, or ``labels`` and then one ``add_metric`` per series."""

    def __init__(self, name: str, documentation: str, value: Optional[float] = None,
                 labels: Optional[Sequence[str]] = None, unit: str = ''):
        Metric.__init__(self, name, documentation, 'unknown', unit)
        self._fp_init_labels(labels, value is not None)
        if value is not None:
            self.add_metric([], value)

    def add_metric(self, labels: Sequence[str], value: float, timestamp: _TimestampT = None) -> None:
        """Adds a sample with the given label values."""
        self.samples.append(Sample(self.name, self._fp_label_dict(labels), value, timestamp))


UntypedMetricFamily = UnknownMetricFamily
"""Old name of ``UnknownMetricFamily``."""


class CounterMetricFamily(_Family):
    """Counter series built by a custom collector: ``<name>_total`` per label set, plus
    ``<name>_created`` when a creation time is known. A name given with ``_total`` is
    stored without it.

    >>> c = CounterMetricFamily('emails_sent', 'Emails sent.', labels=['domain'])
    >>> c.add_metric(['example.org'], 42)
    >>> [(s.name, s.labels, s.value) for s in c.samples]
    [('emails_sent_total', {'domain': 'example.org'}, 42)]
    """

    def __init__(self, name: str, documentation: str, value: Optional[float] = None,
                 labels: Optional[Sequence[str]] = None, created: Optional[float] = None,
                 unit: str = '', exemplar: Optional[Exemplar] = None):
        if name.endswith('_total'):
            name = name[:-6]
        Metric.__init__(self, name, documentation, 'counter', unit)
        self._fp_init_labels(labels, value is not None)
        if value is not None:
            self.add_metric([], value, created, exemplar=exemplar)

    def add_metric(self, labels: Sequence[str], value: float, created: Optional[float] = None,
                   timestamp: _TimestampT = None, exemplar: Optional[Exemplar] = None) -> None:
        """Adds ``<name>_total`` (and ``<name>_created`` when ``created`` is given)."""
        lv = self._fp_label_dict(labels)
        self.samples.append(Sample(self.name + '_total', lv, value, timestamp, exemplar))
        if created is not None:
            self.samples.append(Sample(self.name + '_created', self._fp_label_dict(labels), created, timestamp))


class GaugeMetricFamily(_Family):
    """Gauge series built by a custom collector: the single ``value``, or one sample per
    ``add_metric`` call."""

    def __init__(self, name: str, documentation: str, value: Optional[float] = None,
                 labels: Optional[Sequence[str]] = None, unit: str = ''):
        Metric.__init__(self, name, documentation, 'gauge', unit)
        self._fp_init_labels(labels, value is not None)
        if value is not None:
            self.add_metric([], value)

    def add_metric(self, labels: Sequence[str], value: float, timestamp: _TimestampT = None) -> None:
        """Adds a sample with the given label values."""
        self.samples.append(Sample(self.name, self._fp_label_dict(labels), value, timestamp))


class SummaryMetricFamily(_Family):
    """Summary series built by a custom collector: ``<name>_count`` and ``<name>_sum``
    per label set (quantiles are not modelled). ``count_value`` and ``sum_value`` are
    given together or not at all."""

    def __init__(self, name: str, documentation: str, count_value: Optional[int] = None,
                 sum_value: Optional[float] = None, labels: Optional[Sequence[str]] = None,
                 unit: str = ''):
        Metric.__init__(self, name, documentation, 'summary', unit)
        if (sum_value is None) != (count_value is None):
            raise ValueError('count_value and sum_value must be provided together.')
        self._fp_init_labels(labels, count_value is not None)
        if count_value is not None and sum_value is not None:
            self.add_metric([], count_value, sum_value)

    def add_metric(self, labels: Sequence[str], count_value: int, sum_value: float,
                   timestamp: _TimestampT = None) -> None:
        """Adds ``<name>_count`` and ``<name>_sum``."""
        self.samples.append(Sample(self.name + '_count', self._fp_label_dict(labels), count_value, timestamp))
        self.samples.append(Sample(self.name + '_sum', self._fp_label_dict(labels), sum_value, timestamp))


_Bucket = Union[Tuple[str, float], Tuple[str, float, Exemplar]]


class HistogramMetricFamily(_Family):
    """Histogram series built by a custom collector: cumulative ``<name>_bucket``
    samples, then ``_count`` and ``_sum``."""

    def __init__(self, name: str, documentation: str,
                 buckets: Optional[Sequence[_Bucket]] = None, sum_value: Optional[float] = None,
                 labels: Optional[Sequence[str]] = None, unit: str = ''):
        Metric.__init__(self, name, documentation, 'histogram', unit)
        if sum_value is not None and buckets is None:
            raise ValueError('sum value cannot be provided without buckets.')
        self._fp_init_labels(labels, buckets is not None, 'buckets')
        if buckets is not None:
            self.add_metric([], buckets, sum_value)

    def add_metric(self, labels: Sequence[str], buckets: Sequence[_Bucket],
                   sum_value: Optional[float], timestamp: _TimestampT = None) -> None:
        """Adds the buckets (``(le, value)`` or ``(le, value, exemplar)``, sorted, ending
        with ``+Inf``), then ``_count`` and ``_sum`` unless ``sum_value`` is None or the
        first bound is negative."""
        pairs = list(zip(self._labelnames, labels))
        for b in buckets:
            le, value = b[:2]
            exemplar = b[2] if len(b) == 3 else None  # type: ignore[misc]
            self.samples.append(Sample(self.name + '_bucket', dict(pairs + [('le', le)]),
                                       value, timestamp, exemplar))
        if float(buckets[0][0]) >= 0 and sum_value is not None:
            self.samples.append(Sample(self.name + '_count', dict(pairs), buckets[-1][1], timestamp))
            self.samples.append(Sample(self.name + '_sum', dict(pairs), sum_value, timestamp))


class GaugeHistogramMetricFamily(_Family):
    """A histogram whose buckets may also go down (items in a queue by age, say), built
    by a custom collector: ``_bucket`` samples, ``_gcount`` and ``_gsum``."""

    def __init__(self, name: str, documentation: str,
                 buckets: Optional[Sequence[Tuple[str, float]]] = None,
                 gsum_value: Optional[float] = None, labels: Optional[Sequence[str]] = None,
                 unit: str = ''):
        Metric.__init__(self, name, documentation, 'gaugehistogram', unit)
        self._fp_init_labels(labels, buckets is not None, 'buckets')
        if buckets is not None:
            self.add_metric([], buckets, gsum_value)

    def add_metric(self, labels: Sequence[str], buckets: Sequence[Tuple[str, float]],
                   gsum_value: Optional[float], timestamp: _TimestampT = None) -> None:
        """Adds the buckets, then ``_gcount`` (the last bucket) and ``_gsum``."""
        pairs = list(zip(self._labelnames, labels))
        for le, value in buckets:
            self.samples.append(Sample(self.name + '_bucket', dict(pairs + [('le', le)]), value, timestamp))
        self.samples.append(Sample(self.name + '_gcount', dict(pairs), buckets[-1][1], timestamp))
        # As in prometheus_client, a None gsum is accepted here (exposition rejects it).
        self.samples.append(Sample(self.name + '_gsum', dict(pairs), gsum_value, timestamp))  # type: ignore[arg-type]


class InfoMetricFamily(_Family):
    """Key/value facts built by a custom collector, each set exposed as a
    ``<name>_info`` series whose value is 1."""

    def __init__(self, name: str, documentation: str, value: Optional[Dict[str, str]] = None,
                 labels: Optional[Sequence[str]] = None):
        Metric.__init__(self, name, documentation, 'info')
        self._fp_init_labels(labels, value is not None)
        if value is not None:
            self.add_metric([], value)

    def add_metric(self, labels: Sequence[str], value: Dict[str, str],
                   timestamp: _TimestampT = None) -> None:
        """Adds ``<name>_info`` with the label values and the info pairs, value 1."""
        self.samples.append(Sample(self.name + '_info', dict(self._fp_label_dict(labels), **value), 1, timestamp))


class StateSetMetricFamily(_Family):
    """State sets built by a custom collector: per label set, one sample for each
    state, 1 where the state holds and 0 where it does not."""

    def __init__(self, name: str, documentation: str, value: Optional[Dict[str, bool]] = None,
                 labels: Optional[Sequence[str]] = None):
        Metric.__init__(self, name, documentation, 'stateset')
        self._fp_init_labels(labels, value is not None)
        if value is not None:
            self.add_metric([], value)

    def add_metric(self, labels: Sequence[str], value: Dict[str, bool],
                   timestamp: _TimestampT = None) -> None:
        """Adds one sample per state (sorted by state name), 1 if enabled else 0, with the
        state under a label named like the metric."""
        labels = tuple(labels)
        names = self._labelnames + (self.name,)
        for state, enabled in sorted(value.items()):
            self.samples.append(Sample(self.name, dict(zip(names, labels + (state,))),
                                       1 if enabled else 0, timestamp))
