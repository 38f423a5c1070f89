"""OpenMetrics text exposition (``prometheus_client.openmetrics.exposition``).

``generate_latest`` is one call into the native encoder. The name-escaping helpers
(``escape_metric_name``, ``escape_label_name``) call the core's escapers too; only names
holding lone surrogates, which the core cannot take, are escaped here character by
character (``_escape``), as prometheus_client does.
"""

from io import StringIO
from sys import maxunicode
from typing import Callable

from .. import _fastprom
from ..registry import _fp_scrape_source
from ..utils import floatToGoString, parse_version  # noqa: F401
from ..validation import _is_valid_legacy_labelname, _is_valid_legacy_metric_name


CONTENT_TYPE_LATEST = 'application/openmetrics-text; version=1.0.0; charset=utf-8'
"""``Content-Type`` of OpenMetrics 1.0.0, what ``choose_encoder`` answers by default."""
CONTENT_TYPE_LATEST_2_0 = 'application/openmetrics-text; version=2.0.0; charset=utf-8'
"""``Content-Type`` of OpenMetrics 2.0.0 (native histograms)."""
ESCAPING_HEADER_TAG = 'escaping'

ALLOWUTF8 = 'allow-utf-8'
UNDERSCORES = 'underscores'
DOTS = 'dots'
VALUES = 'values'


def generate_latest(registry, escaping=UNDERSCORES, version="1.0.0"):
    """Returns the metrics from ``registry`` (anything with ``collect()``) in the
    OpenMetrics text format, as UTF-8 bytes ending with ``# EOF``.

    ``version`` ``2.0.0`` or later also writes native histogram samples."""
    return _fastprom.generate_openmetrics(_fp_scrape_source(registry), escaping, version)


def _is_valid_exemplar_metric(metric, sample):
    if metric.type == 'counter':
        return sample.name.endswith('_total')
    if metric.type == 'gaugehistogram':
        return sample.name.endswith('_bucket')
    if metric.type == 'histogram':
        return sample.name.endswith('_bucket') or sample.name == metric.name
    return False


def _compose_exemplar_string(metric, sample, exemplar):
    """The `` # {labels} value [timestamp]`` suffix of a sample line."""
    if not _is_valid_exemplar_metric(metric, sample):
        raise ValueError(f"Metric {metric.name} has exemplars, but is not a histogram bucket or counter")
    pairs = ','.join('{}="{}"'.format(k, _escape(v, ALLOWUTF8, _is_legacy_labelname_rune))
                     for k, v in sorted(exemplar.labels.items()))
    out = f' # {{{pairs}}} {floatToGoString(exemplar.value)}'
    if exemplar.timestamp is not None:
        out += f' {exemplar.timestamp}'
    return out


def _escape_name(s: str, escaping: str, is_legacy: Callable[[str], bool],
                 rune: Callable[[str, int], bool]) -> str:
    if len(s) == 0:
        return s
    if escaping == ALLOWUTF8:
        legacy = is_legacy(s)
        escaped = _escape(s, escaping, rune)
        return escaped if legacy else f'"{escaped}"'
    if escaping in (UNDERSCORES, VALUES):
        return s if is_legacy(s) else _escape(s, escaping, rune)
    if escaping == DOTS:
        return _escape(s, escaping, rune)
    return s


def escape_metric_name(s: str, escaping: str = UNDERSCORES) -> str:
    """Escapes a metric name for ``escaping``; under ``allow-utf-8`` a name outside the
    legacy character set is quoted instead."""
    if type(s) is str and type(escaping) is str:
        try:
            return _fastprom.escape_metric_name(s, escaping)
        except UnicodeEncodeError:
            pass  # lone surrogates: escaped character by character below
    return _escape_name(s, escaping, _is_valid_legacy_metric_name, _is_legacy_metric_rune)


def escape_label_name(s: str, escaping: str = UNDERSCORES) -> str:
    """Escapes a label name for ``escaping``; under ``allow-utf-8`` a name outside the
    legacy character set is quoted instead."""
    if type(s) is str and type(escaping) is str:
        try:
            return _fastprom.escape_label_name(s, escaping)
        except UnicodeEncodeError:
            pass  # lone surrogates: escaped character by character below
    return _escape_name(s, escaping, _is_valid_legacy_labelname, _is_legacy_labelname_rune)


def _escape(s: str, escaping: str, valid_rune_fn: Callable[[str, int], bool]) -> str:
    """Applies one escaping scheme to ``s``.

    ``allow-utf-8`` backslash-escapes ``\\``, newline and ``"``; ``underscores`` replaces
    each invalid rune with ``_``; ``dots`` doubles ``_``, writes ``.`` as ``_dot_`` and
    other invalid runes as ``__``; ``values`` prefixes ``U__``, doubles ``_`` and writes
    invalid runes as ``_<hex code point>_`` (``_FFFD_`` for surrogates)."""
    if escaping == ALLOWUTF8:
        return s.replace('\\', r'\\').replace('\n', r'\n').replace('"', r'\"')
    if escaping not in (UNDERSCORES, DOTS, VALUES):
        return s
    out = StringIO()
    if escaping == VALUES:
        out.write('U__')
    for i, c in enumerate(s):
        if escaping == UNDERSCORES:
            out.write(c if valid_rune_fn(c, i) else '_')
        elif c == '_':
            out.write('__')
        elif escaping == DOTS and c == '.':
            out.write('_dot_')
        elif valid_rune_fn(c, i):
            out.write(c)
        elif escaping == DOTS:
            out.write('__')
        elif not _is_valid_utf8(c):
            out.write('_FFFD_')
        else:
            out.write(f'_{ord(c):x}_')
    return out.getvalue()


def _is_legacy_metric_rune(b: str, i: int) -> bool:
    return _is_legacy_labelname_rune(b, i) or b == ':'


def _is_legacy_labelname_rune(b: str, i: int) -> bool:
    if len(b) != 1:
        raise ValueError("Input 'b' must be a single character.")
    return ('a' <= b <= 'z' or 'A' <= b <= 'Z' or b == '_'
            or ('0' <= b <= '9' and i > 0))


_SURROGATE_MIN = 0xD800
_SURROGATE_MAX = 0xDFFF


def _is_valid_utf8(s: str) -> bool:
    code = ord(s)
    return 0 <= code < _SURROGATE_MIN or _SURROGATE_MAX < code <= maxunicode
