"""Small helpers prometheus_client exposes in ``prometheus_client.utils``."""

import math
from typing import Union


INF = float("inf")
MINUS_INF = float("-inf")
NaN = float("NaN")


def floatToGoString(d):
    """Formats a number as Go's ``strconv.FormatFloat(d, 'g', -1, 64)`` would for the
    values Prometheus prints: ``+Inf``, ``-Inf``, ``NaN``, Python's shortest repr
    otherwise, switching to an exponent for positive numbers with more than six integer
    digits (as prometheus_client does)."""
    d = float(d)
    if math.isnan(d):
        return 'NaN'
    if math.isinf(d):
        return '+Inf' if d > 0 else '-Inf'
    s = repr(d)
    dot = s.find('.')
    if d > 0 and dot > 6:
        digits = (s[:dot] + s[dot + 1:]).rstrip('0.')
        mantissa = digits[0] + '.' + digits[1:]
        return f"{mantissa.rstrip('0.')}e+{dot - 1:02d}"
    return s


def parse_version(version_str: str) -> tuple[Union[int, str], ...]:
    """Splits a dotted version on ``.``; parts that ``int()`` accepts become ints."""
    parts: list[Union[int, str]] = []
    for part in version_str.split('.'):
        try:
            parts.append(int(part))
        except ValueError:
            parts.append(part)
    return tuple(parts)
