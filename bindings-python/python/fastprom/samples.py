"""Value types shared by metric families, collectors and parsers.

The same classes prometheus_client 0.26 exposes in ``prometheus_client.samples``:
``Sample``, ``Exemplar``, ``Timestamp``, and the experimental ``NativeHistogram`` and
``BucketSpan``. They are plain named tuples (and one small class), so a custom collector
written for prometheus_client builds them the same way here.
"""

from typing import Dict, NamedTuple, Optional, Sequence, Union



class Timestamp:
    """A timestamp with nanosecond resolution, kept as whole seconds plus nanoseconds.

    ``nsec`` must lie in ``[0, 1e9)``; for a negative ``sec`` the nanoseconds count
    towards minus infinity along with the seconds.
    """

    def __init__(self, sec: float, nsec: float) -> None:
        if not 0 <= nsec < 1e9:
            raise ValueError(f"Invalid value for nanoseconds in Timestamp: {nsec}")
        if sec < 0:
            nsec = -nsec
        self.sec: int = int(sec)
        self.nsec: int = int(nsec)

    def __str__(self) -> str:
        return f"{self.sec}.{self.nsec:09d}"

    def __repr__(self) -> str:
        return f"Timestamp({self.sec}, {self.nsec})"

    def __float__(self) -> float:
        return float(self.sec) + float(self.nsec) / 1e9

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timestamp) and (self.sec, self.nsec) == (other.sec, other.nsec)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __gt__(self, other: "Timestamp") -> bool:
        if self.sec == other.sec:
            return self.nsec > other.nsec
        return self.sec > other.sec

    def __lt__(self, other: "Timestamp") -> bool:
        if self.sec == other.sec:
            return self.nsec < other.nsec
        return self.sec < other.sec

    # prometheus_client defines __eq__ without __hash__, which makes instances unhashable.
    __hash__ = None  # type: ignore[assignment]


class BucketSpan(NamedTuple):
    """A run of native-histogram buckets (experimental, as in prometheus_client)."""

    offset: int
    length: int


class Exemplar(NamedTuple):
    """An exemplar: labels, a value and an optional timestamp (seconds or ``Timestamp``)."""

    labels: Dict[str, str]
    value: float
    timestamp: Optional[Union[float, Timestamp]] = None


class NativeHistogram(NamedTuple):
    """A native histogram sample value (experimental, as in prometheus_client)."""

    count_value: float
    sum_value: float
    schema: int
    zero_threshold: float
    zero_count: float
    pos_spans: Optional[Sequence[BucketSpan]] = None
    neg_spans: Optional[Sequence[BucketSpan]] = None
    pos_deltas: Optional[Sequence[int]] = None
    neg_deltas: Optional[Sequence[int]] = None
    nh_exemplars: Optional[Sequence[Exemplar]] = None


class Sample(NamedTuple):
    """One sample of a metric family: name, labels, value, and optional extras."""

    name: str
    labels: Dict[str, str]
    value: float
    timestamp: Optional[Union[float, Timestamp]] = None
    exemplar: Optional[Exemplar] = None
    native_histogram: Optional[NativeHistogram] = None
