"""The small value types that metric families, collectors and parsers pass around.

``Sample`` is one line of an exposition, ``Exemplar`` the trace reference that may ride on
it, ``Timestamp`` an exact second-plus-nanosecond instant, and ``NativeHistogram`` with
``BucketSpan`` the (experimental) sparse-histogram payload. Apart from ``Timestamp`` they
are named tuples, so a collector written for prometheus_client builds them unchanged:

>>> s = Sample('jobs_total', {'queue': 'mail'}, 7.0)
>>> s.name, s.value, s.timestamp, s.exemplar
('jobs_total', 7.0, None, None)
"""

from typing import Dict, NamedTuple, Optional, Sequence, Union


class Timestamp:
    """An instant as whole seconds ``sec`` and nanoseconds ``nsec`` (both ints), the
    precision OpenMetrics timestamps are parsed with.

    >>> t = Timestamp(1700000000, 250_000_000)
    >>> str(t), float(t)
    ('1700000000.250000000', 1700000000.25)

    ``nsec`` must be below one billion and not negative. When ``sec`` is negative the
    nanoseconds are stored negated, so that both parts point the same way from zero.
    """

    def __init__(self, sec: float, nsec: float) -> None:
        # Written as two comparisons on purpose: a NaN passes them and fails in int().
        if nsec < 0 or nsec >= 1e9:
            raise ValueError(f"Invalid value for nanoseconds in Timestamp: {nsec}")
        self.sec: int = int(sec)
        self.nsec: int = int(-nsec if sec < 0 else nsec)

    def _parts(self):
        return self.sec, self.nsec

    def __float__(self) -> float:
        return self.sec + self.nsec / 1e9

    def __str__(self) -> str:
        return '%d.%09d' % self._parts()

    def __repr__(self) -> str:
        return 'Timestamp(%d, %d)' % self._parts()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timestamp) and self._parts() == other._parts()

    def __ne__(self, other: object) -> bool:
        return not (self == other)

    # Ordering is by seconds, then nanoseconds; only < and > are defined.
    def __lt__(self, other: "Timestamp") -> bool:
        return (self.sec, self.nsec) < (other.sec, other.nsec)

    def __gt__(self, other: "Timestamp") -> bool:
        return (self.sec, self.nsec) > (other.sec, other.nsec)

    # Equality without hashing: like prometheus_client's, instances are unhashable.
    __hash__ = None  # type: ignore[assignment]


# Spellings shared by the field declarations below.
_LabelSet = Dict[str, str]
_When = Optional[Union[float, Timestamp]]


class BucketSpan(NamedTuple):
    """A run of ``length`` populated native-histogram buckets, starting ``offset``
    buckets after the previous run. Experimental, like native histograms themselves."""

    offset: int
    length: int


_Spans = Optional[Sequence[BucketSpan]]
_Deltas = Optional[Sequence[int]]


class Exemplar(NamedTuple):
    """A reference (usually a trace id) attached to one observation.

    >>> Exemplar({'trace_id': 'a1b2'}, 0.042)
    Exemplar(labels={'trace_id': 'a1b2'}, value=0.042, timestamp=None)

    ``timestamp`` is unix seconds, a ``Timestamp``, or ``None``.
    """

    labels: _LabelSet
    value: float
    timestamp: _When = None


class NativeHistogram(NamedTuple):
    """The payload of a native (sparse) histogram sample: totals, the bucket schema and
    zero bucket, and the positive/negative buckets as spans plus count deltas.
    Experimental, and may change as the format settles."""

    count_value: float
    sum_value: float
    schema: int
    zero_threshold: float
    zero_count: float
    pos_spans: _Spans = None
    neg_spans: _Spans = None
    pos_deltas: _Deltas = None
    neg_deltas: _Deltas = None
    nh_exemplars: Optional[Sequence[Exemplar]] = None


class Sample(NamedTuple):
    """One exposed series value: its full sample name, label set and value, and
    optionally a timestamp, an exemplar and a native-histogram payload."""

    name: str
    labels: _LabelSet
    value: float
    timestamp: _When = None
    exemplar: Optional[Exemplar] = None
    native_histogram: Optional[NativeHistogram] = None
