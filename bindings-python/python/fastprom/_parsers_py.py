"""TEMPORARY pure-Python parsers for the Prometheus text format and OpenMetrics.

fastprom's native parsers (``core/src/parse``) are not exposed through ``_fastprom`` yet.
Until they are, ``fastprom.parser`` and ``fastprom.openmetrics.parser`` delegate here.
This module reproduces prometheus_client 0.26.0's parsers' observable behaviour (what they
accept, what they return, which exception they raise with which message), quirks
included; ``bindings-python/tests/test_parser.py`` checks it differentially. Delete it
once the native parsers are wired in.
"""

import io
import math
import re
import string
from typing import Dict, Iterable, List, Optional, TextIO, Tuple

from .metrics_core import Metric
from .samples import BucketSpan, Exemplar, NativeHistogram, Sample, Timestamp
from .utils import floatToGoString
from .validation import (
    _is_valid_legacy_metric_name, _validate_labelname, _validate_metric_name,
)

# --- shared lexical helpers ---------------------------------------------------------------

ESCAPE_SEQUENCES = {'\\\\': '\\', '\\n': '\n', '\\"': '"'}
ESCAPING_RE = re.compile(r'\\[\\n"]')
HELP_ESCAPING_RE = re.compile(r'\\[\\n]')


def replace_escape_sequence(match) -> str:
    """The character an escape sequence (``\\\\``, ``\\n``, ``\\"``) stands for."""
    return ESCAPE_SEQUENCES[match.group(0)]


def _unescape(s: str) -> str:
    return ESCAPING_RE.sub(replace_escape_sequence, s)


def _unescape_text_help(s: str) -> str:
    return HELP_ESCAPING_RE.sub(replace_escape_sequence, s)


def _is_escaped(s: str, pos: int) -> bool:
    """Whether the character at ``pos`` follows an odd number of backslashes."""
    n = 0
    while pos > n and s[pos - 1 - n] == '\\':
        n += 1
    return n % 2 == 1


def _find_unquoted(text: str, chars: Optional[str], start: int = 0) -> int:
    """Index of the first character of ``chars`` (whitespace if None) at or after
    ``start`` that is outside double quotes, or -1. ``start`` must be outside quotes."""
    chars = string.whitespace if chars is None else chars
    quoted = False
    for i in range(start, len(text)):
        c = text[i]
        if c == '"' and not _is_escaped(text, i):
            quoted = not quoted
        if not quoted and c in chars:
            return i
    return -1


def _rfind_unquoted(text: str, chars: Optional[str]) -> int:
    """Index of the last unquoted character of ``chars``, scanning from the end down to
    index 1 (index 0 is never reported), or -1."""
    chars = string.whitespace if chars is None else chars
    quoted = False
    for i in range(len(text) - 1, 0, -1):
        if text[i] == '"' and not _is_escaped(text, i):
            quoted = not quoted
        if not quoted and text[i] in chars:
            return i
    return -1


def _split_unquoted(text: str, separators: Optional[str], maxsplit: int = 0) -> List[str]:
    """Splits on unquoted separators, runs of separators counting as one; with
    ``maxsplit`` > 0 the last token is the rest of the text."""
    tokens = ['']
    pos = 0
    while pos < len(text):
        cut = _find_unquoted(text, separators, pos)
        if cut == -1:
            tokens[-1] = text[pos:]
            break
        if cut == pos:
            pos += 1
            continue
        if 0 < maxsplit < len(tokens):
            tokens[-1] = text[pos:]
            break
        tokens[-1] = text[pos:cut]
        tokens.append('')
        pos = cut + 1
    return tokens


def _unquote(text: str) -> Tuple[str, bool]:
    """Strips, removes surrounding double quotes and unescapes; returns (text, quoted)."""
    if not text:
        return text, False
    text = text.strip()
    quoted = text[0] == '"'
    if quoted:
        if len(text) == 1 or text[-1] != '"':
            raise ValueError("missing close quote")
        text = text[1:-1]
    if "\\" in text:
        text = _unescape(text)
    return text, quoted


def _number(value) -> float:
    """A sample value: an int when ``int()`` takes it, else a float. ``value`` may be a
    list of characters. Surrounding whitespace and ``_`` are refused."""
    value = ''.join(value)
    if value != value.strip() or '_' in value:
        raise ValueError(f"Invalid value: {value!r}")
    try:
        return int(value)
    except ValueError:
        return float(value)


# --- labels ------------------------------------------------------------------------------

def _next_label_term(text: str, openmetrics: bool) -> Tuple[str, str, str]:
    """Splits off the next ``name=value`` term: (name, stripped value, stripped rest).

    A term without ``=`` names the metric (``__name__``)."""
    if text[0] == ',':
        text = text[1:]
        if not text:
            return "", "", ""
        if text[0] == ',':
            raise ValueError("multiple commas")
    cut = _find_unquoted(text, '=,}')
    if cut >= 0 and text[cut] == '=':
        name = text[:cut]
        text = text[cut + 1:]
        cut = _find_unquoted(text, ',}')
    else:
        name = "__name__"
    if cut == -1:
        cut = len(text)
    term = text[:cut]
    if not term and openmetrics:
        raise ValueError("empty term:", term)
    return name, term.strip(), text[cut:].strip()


def parse_labels(labels_string: str, openmetrics: bool = False) -> Dict[str, str]:
    """Parses the inside of ``{...}`` into a dict; any error is re-raised as
    ``ValueError("Invalid labels: <labels_string>")``."""
    labels: Dict[str, str] = {}
    rest = labels_string.strip()
    if openmetrics and rest and rest[0] == ',':
        raise ValueError("leading comma: " + labels_string)
    try:
        while rest:
            raw_name, value_term, rest = _next_label_term(rest, openmetrics)
            if not value_term:
                if openmetrics:
                    raise ValueError("empty term in line: " + labels_string)
                continue
            name, quoted_name = _unquote(raw_name)
            if not quoted_name and not _is_valid_legacy_metric_name(name):
                raise ValueError("unquoted UTF-8 metric name")
            if value_term[0] != '"':
                raise ValueError("missing quotes")
            # The first unescaped quote after the opening one must end the term.
            i = 1
            while i < len(value_term):
                i = value_term.index('"', i)
                if not _is_escaped(value_term[:i], i):
                    break
                i += 1
            if i + 1 != len(value_term):
                raise ValueError("unexpected text after quote: " + labels_string)
            value, _ = _unquote(value_term)
            if name == '__name__':
                _validate_metric_name(name)
            else:
                _validate_labelname(name)
            if name in labels:
                raise ValueError("invalid line, duplicate label name: " + labels_string)
            labels[name] = value
        return labels
    except ValueError:
        raise ValueError("Invalid labels: " + labels_string)


def _split_name_and_labels(text: str, label_start: int, label_end: int, openmetrics: bool,
                           strip: bool) -> Tuple[str, Dict[str, str]]:
    name = text[:label_start]
    if strip:
        name = name.strip()
    labels = parse_labels(text[label_start + 1:label_end], openmetrics)
    if not name:
        if '__name__' not in labels:
            raise ValueError
        name = labels.pop('__name__')
    elif '__name__' in labels:
        raise ValueError("metric name specified more than once")
    return name, labels


# --- Prometheus text format --------------------------------------------------------------

def _text_value_and_timestamp(s: str) -> Tuple[float, Optional[float]]:
    """The value and the optional millisecond timestamp (as seconds) after the name;
    any tokens between them are ignored."""
    s = s.lstrip()
    sep = " " if " " in s else "\t"
    tokens = [t.strip() for t in s.split(sep) if t.strip()]
    if not tokens:
        return float(s), None
    value = _number(tokens[0])
    timestamp = _number(tokens[-1]) / 1000 if len(tokens) > 1 else None
    return value, timestamp


def _text_sample(text: str) -> Sample:
    label_start = _find_unquoted(text, '{')
    if label_start == -1 or " # " in text[:label_start]:
        name_end = _find_unquoted(text, ' \t')
        name = text[:name_end].strip()
        if not _is_valid_legacy_metric_name(name):
            raise ValueError("invalid metric name:" + text)
        value, timestamp = _text_value_and_timestamp(text[name_end + 1:])
        return Sample(name, {}, value, timestamp)
    label_end = _find_unquoted(text[label_start:], '}') + label_start
    name, labels = _split_name_and_labels(text, label_start, label_end, False, True)
    value, timestamp = _text_value_and_timestamp(text[label_end + 1:])
    return Sample(name, labels, value, timestamp)


_TEXT_SUFFIXES = {
    'counter': [''],
    'gauge': [''],
    'summary': ['_count', '_sum', ''],
    'histogram': ['_count', '_sum', '_bucket'],
}


def _text_family(name: str, documentation: str, typ: str, samples: List[Sample]) -> Metric:
    if typ == 'counter':
        # Counters are kept in the OpenMetrics shape: the family name has no _total.
        if name.endswith('_total'):
            name = name[:-6]
        else:
            samples = [Sample(s[0] + '_total', *s[1:]) for s in samples]
    metric = Metric(name, documentation, typ)
    metric.samples = samples
    return metric


def text_fd_to_metric_families(fd: TextIO) -> Iterable[Metric]:
    """Parses the Prometheus text format from a file object, yielding Metric families.

    Lax, like prometheus_client's parser: success does not mean the text is valid."""
    name = ''
    documentation = ''
    typ = 'untyped'
    samples: List[Sample] = []
    allowed: List[str] = []

    for line in fd:
        line = line.strip()
        if not line:
            continue
        if not line.startswith('#'):
            sample = _text_sample(line)
            if sample.name in allowed:
                samples.append(sample)
                continue
            if name != '':
                yield _text_family(name, documentation, typ, samples)
            # A sample of no announced family is a family of its own, untyped.
            name, documentation, typ, samples, allowed = '', '', 'untyped', [], []
            yield _text_family(sample[0], '', 'untyped', [sample])
            continue

        parts = _split_unquoted(line, None, 3)
        if len(parts) < 2:
            continue
        candidate = ''
        if len(parts) > 2:
            if parts[1] not in ('TYPE', 'HELP'):
                continue  # a comment
            candidate, quoted = _unquote(parts[2])
            if not quoted and not _is_valid_legacy_metric_name(candidate):
                raise ValueError
        if parts[1] == 'HELP':
            if candidate != name:
                if name != '':
                    yield _text_family(name, documentation, typ, samples)
                name, typ, samples, allowed = candidate, 'untyped', [], [candidate]
            documentation = _unescape_text_help(parts[3]) if len(parts) == 4 else ''
        elif parts[1] == 'TYPE':
            if len(parts) < 4:
                raise ValueError
            if candidate != name:
                if name != '':
                    yield _text_family(name, documentation, typ, samples)
                name, documentation, samples = candidate, '', []
            typ = parts[3]
            allowed = [name + s for s in _TEXT_SUFFIXES.get(typ, [''])]

    if name != '':
        yield _text_family(name, documentation, typ, samples)


def text_string_to_metric_families(text: str) -> Iterable[Metric]:
    """Parses the Prometheus text format from a string; see text_fd_to_metric_families."""
    yield from text_fd_to_metric_families(io.StringIO(text))


# --- OpenMetrics -------------------------------------------------------------------------

def _om_unescape_help(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != '\\':
            out.append(c)
        elif i + 1 == len(text):
            out.append('\\')
        else:
            i += 1
            nxt = text[i]
            out.append({'\\': '\\', '"': '"', 'n': '\n'}.get(nxt, '\\' + nxt))
        i += 1
    return ''.join(out)


def _om_timestamp(timestamp):
    timestamp = ''.join(timestamp)
    if not timestamp:
        return None
    if timestamp != timestamp.strip() or '_' in timestamp:
        raise ValueError(f"Invalid timestamp: {timestamp!r}")
    try:
        return Timestamp(int(timestamp), 0)
    except ValueError:
        pass
    try:
        sec, frac = timestamp.split('.', 1)
        return Timestamp(int(sec), int(frac[:9].ljust(9, "0")))
    except ValueError:
        pass
    ts = float(timestamp)
    if math.isnan(ts) or math.isinf(ts):
        raise ValueError(f"Invalid timestamp: {timestamp!r}")
    return ts


def _om_rest(text: str):
    """Value, timestamp and exemplar after the name and labels of a sample line."""
    head, sep, tail = text.partition(" ")
    value = _number(head)
    if not sep:
        return value, None, None

    timestamp: List[str] = []
    ex_value: List[str] = []
    ex_timestamp: List[str] = []
    ex_labels = None
    state = 'timestamp'
    quoted = False

    def bad():
        return ValueError("Invalid line: " + tail)

    for c in tail:
        if c == '"':
            quoted = not quoted
        if quoted:
            continue
        if state == 'timestamp':
            if c == '#' and not timestamp:
                state = 'space'
            elif c == ' ':
                state = 'hash'
            else:
                timestamp.append(c)
        elif state == 'hash':
            if c != '#':
                raise bad()
            state = 'space'
        elif state == 'space':
            if c != ' ':
                raise bad()
            state = 'labels'
        elif state == 'labels':
            if c != '{':
                raise bad()
            start = _find_unquoted(tail, '{')
            end = _rfind_unquoted(tail, '}')
            ex_labels = parse_labels(tail[start + 1:end], True)
            state = 'in_labels'
        elif state == 'in_labels':
            if c == '}':
                state = 'value_space'
        elif state == 'value_space':
            if c != ' ':
                raise bad()
            state = 'value'
        elif state == 'value':
            if c != ' ':
                ex_value.append(c)
            elif not ex_value:
                raise bad()
            else:
                state = 'ex_timestamp'
        else:
            ex_timestamp.append(c)

    if state == 'timestamp' and not timestamp:
        raise bad()  # a trailing space after the value
    if state == 'ex_timestamp' and not ex_timestamp:
        raise bad()  # a trailing space after the exemplar value
    if state in ('hash', 'space', 'labels', 'in_labels'):
        raise bad()  # an incomplete exemplar

    ts = _om_timestamp(timestamp)
    exemplar = None
    if ex_labels is not None:
        if sum(len(k) + len(v) for k, v in ex_labels.items()) > 128:
            raise ValueError("Exemplar labels are too long: " + tail)
        exemplar = Exemplar(ex_labels, _number(ex_value), _om_timestamp(ex_timestamp))
    return value, ts, exemplar


def _om_sample(text: str) -> Sample:
    label_start = _find_unquoted(text, '{')
    if label_start == -1 or " # " in text[:label_start]:
        name_end = _find_unquoted(text, ' ')
        name = text[:name_end]
        if not _is_valid_legacy_metric_name(name):
            raise ValueError("invalid metric name:" + text)
        value, ts, exemplar = _om_rest(text[name_end + 1:])
        return Sample(name, {}, value, ts, exemplar)
    label_end = _find_unquoted(text, '}')
    name, labels = _split_name_and_labels(text, label_start, label_end, True, False)
    value, ts, exemplar = _om_rest(text[label_end + 2:])
    return Sample(name, labels, value, ts, exemplar)


_NH_ITEM_RE = re.compile(r'(\w+):\s*([^,}]+)')
_NH_SPANS_RE = re.compile(r'(positive_spans|negative_spans):\[(\d+:\d+(,\d+:\d+)*)\]')
_NH_DELTAS_RE = re.compile(r'(positive_deltas|negative_deltas):\[(-?\d+(?:,-?\d+)*)\]')


def _nh_struct(text: str) -> NativeHistogram:
    items = dict(_NH_ITEM_RE.findall(text))
    spans = {m[0]: m[1] for m in _NH_SPANS_RE.findall(text)}
    deltas = dict(_NH_DELTAS_RE.findall(text))

    def span_list(key):
        if key not in spans:
            return None
        return tuple(BucketSpan(*map(int, pair.split(':'))) for pair in spans[key].split(','))

    def delta_list(key):
        if key not in deltas:
            return None
        return tuple(int(x.strip()) for x in deltas[key].split(','))

    return NativeHistogram(
        count_value=int(items['count']),
        sum_value=float(items['sum']),
        schema=int(items['schema']),
        zero_threshold=float(items['zero_threshold']),
        zero_count=int(items['zero_count']),
        pos_spans=span_list('positive_spans'),
        neg_spans=span_list('negative_spans'),
        pos_deltas=delta_list('positive_deltas'),
        neg_deltas=delta_list('negative_deltas'),
    )


def _om_native_histogram_sample(text: str, suffixes: Tuple[str, ...]) -> Optional[Sample]:
    """The sample, if the line holds a native histogram value (``{count:...}``)."""
    labels_start = _find_unquoted(text, '{')
    i = _find_unquoted(text, ' {')
    if i == -1:
        return None
    has_labels = text[i] == '{'
    if has_labels:
        labels_end = i = _find_unquoted(text, '}', i)
        if labels_end == -1:
            raise ValueError
    value_start = _find_unquoted(text, '{', i + 1)
    if value_start == -1:
        return None
    hash_pos = _find_unquoted(text, '#', i + 1)
    if hash_pos != -1 and hash_pos < value_start:
        return None  # the brace belongs to an exemplar
    if _find_unquoted(text, '}', value_start) == -1:
        raise ValueError

    if not has_labels:
        name = text[:value_start - 1]
        if name.endswith(suffixes):
            raise ValueError("the sample name of a native histogram should have no suffixes", name)
        return Sample(name, None, None, None, None, _nh_struct(text[value_start:]))

    labels = parse_labels(text[labels_start + 1:labels_end], True)
    name = text[:labels_start]
    if name.endswith(suffixes):
        raise ValueError("the sample name of a native histogram with labels should have no suffixes", name)
    if not name:
        if '__name__' not in labels:
            raise ValueError
        name = labels.pop('__name__')
        if not labels:
            labels = None
    return Sample(name, labels, None, None, None, _nh_struct(text[value_start:]))


def _om_group(sample: Sample, name: str, typ: str) -> Dict[str, str]:
    """The labels that identify the sample's group (its series without le/quantile/state)."""
    if typ == 'info':
        return {}
    drop = None
    if typ == 'summary' and sample.name == name:
        drop = 'quantile'
    elif typ == 'stateset':
        drop = name
    elif typ in ('histogram', 'gaugehistogram') and sample.name == name + '_bucket':
        drop = 'le'
    if drop is None:
        return sample.labels
    group = sample.labels.copy()
    del group[drop]
    return group


class _HistogramGroup:
    def __init__(self):
        self.count = None
        self.bucket = None
        self.value = 0
        self.negative_buckets = False
        self.has_sum = False
        self.has_gsum = False
        self.negative_gsum = False

    def check(self, name):
        if self.bucket != float('+Inf'):
            raise ValueError("+Inf bucket missing: " + name)
        if self.count is not None and self.value != self.count:
            raise ValueError("Count does not match +Inf value: " + name)
        if self.has_sum and self.count is None:
            raise ValueError("_count must be present if _sum is present: " + name)
        if self.has_gsum and self.count is None:
            raise ValueError("_gcount must be present if _gsum is present: " + name)
        if not (self.has_sum or self.has_gsum) and self.count is not None:
            raise ValueError("_sum/_gsum must be present if _count is present: " + name)
        if self.negative_buckets and self.has_sum:
            raise ValueError("Cannot have _sum with negative buckets: " + name)
        if not self.negative_buckets and self.negative_gsum:
            raise ValueError("Cannot have negative _gsum with non-negative buckets: " + name)


def _check_histogram(samples: List[Sample], name: str) -> None:
    """Checks each group of classic-histogram samples (one label set and timestamp)."""
    group = None
    timestamp = None
    state = _HistogramGroup()
    for s in samples:
        suffix = s.name[len(name):]
        g = _om_group(s, name, 'histogram')
        if not suffix:
            continue
        if g != group or s.timestamp != timestamp:
            if group is not None:
                state.check(name)
            state = _HistogramGroup()
        group = g
        timestamp = s.timestamp
        if suffix == '_bucket':
            b = float(s.labels['le'])
            if b < 0:
                state.negative_buckets = True
            if state.bucket is not None and b <= state.bucket:
                raise ValueError("Buckets out of order: " + name)
            if s.value < state.value:
                raise ValueError("Bucket values out of order: " + name)
            state.bucket = b
            state.value = s.value
        elif suffix in ('_count', '_gcount'):
            state.count = s.value
        elif suffix == '_sum':
            state.has_sum = True
        elif suffix == '_gsum':
            state.has_gsum = True
            if s.value < 0:
                state.negative_gsum = True
    # Native-histogram samples carry no labels (None) and never open a group.
    if group is not None:
        state.check(name)


def _uncanonical(s: str) -> bool:
    """Whether ``s`` spells +Inf other than as ``+Inf`` (only +Inf must be canonical)."""
    f = float(s)
    return f == float('inf') and s != floatToGoString(f)


def _is_whole(v) -> bool:
    return isinstance(v, int) or v.is_integer()


_OM_SUFFIXES = {
    'counter': ['_total', '_created'],
    'summary': ['', '_count', '_sum', '_created'],
    'histogram': ['_count', '_sum', '_bucket', '_created'],
    'gaugehistogram': ['_gcount', '_gsum', '_bucket'],
    'info': ['_info'],
}


class _OMFamily:
    """The family being read: metadata, samples and grouping state."""

    def __init__(self, name, typ=None):
        self.name = name
        self.typ = typ
        self.unit = None
        self.documentation = None
        self.samples: List[Sample] = []
        self.allowed = [name]
        self.group = None
        self.group_timestamp = None
        self.group_series = set()
        self.seen_groups = set()


def _om_build(family: _OMFamily, seen_names: set) -> Metric:
    name, unit = family.name, family.unit or ''
    typ = 'unknown' if family.typ is None else family.typ
    for suffix in set(_OM_SUFFIXES.get(typ, []) + [""]):
        if name + suffix in seen_names:
            raise ValueError("Clashing name: " + name + suffix)
        seen_names.add(name + suffix)
    if unit and not name.endswith("_" + unit):
        raise ValueError("Unit does not match metric name: " + name)
    if unit and typ in ('info', 'stateset'):
        raise ValueError("Units not allowed for this metric type: " + name)
    if typ in ('histogram', 'gaugehistogram'):
        _check_histogram(family.samples, name)
    _validate_metric_name(name)
    metric = Metric(name, family.documentation or '', typ, unit)
    metric.samples = family.samples
    return metric


def _om_metadata_name(line: str) -> Tuple[List[str], str]:
    """Splits a ``# HELP/TYPE/UNIT`` line; returns its parts and the family name."""
    parts = _split_unquoted(line, ' ', 3)
    if len(parts) < 4:
        raise ValueError("Invalid line: " + line)
    candidate, quoted = _unquote(parts[2])
    if not quoted and not _is_valid_legacy_metric_name(candidate):
        raise ValueError
    return parts, candidate


def _om_apply_metadata(fam: _OMFamily, parts: List[str], line: str) -> None:
    kind, text = parts[1], parts[3]
    if kind == 'HELP':
        if fam.documentation is not None:
            raise ValueError("More than one HELP for metric: " + line)
        fam.documentation = _om_unescape_help(text)
    elif kind == 'TYPE':
        if fam.typ is not None:
            raise ValueError("More than one TYPE for metric: " + line)
        if text == 'untyped':
            raise ValueError("Invalid TYPE for metric: " + line)
        fam.typ = text
        fam.allowed = [fam.name + n for n in _OM_SUFFIXES.get(text, [''])]
    elif kind == 'UNIT':
        if fam.unit is not None:
            raise ValueError("More than one UNIT for metric: " + line)
        fam.unit = text
    else:
        raise ValueError("Invalid line: " + line)


def _om_check_sample(fam: _OMFamily, sample: Sample, line: str) -> None:
    name, typ = fam.name, fam.typ
    if typ == 'stateset' and name not in sample.labels:
        raise ValueError("Stateset missing label: " + line)
    if name + '_bucket' == sample.name:
        le = sample.labels.get('le', "NaN")
        if le == "NaN" or _uncanonical(sample.labels['le']):
            raise ValueError("Invalid le label: " + line)
        if not _is_whole(sample.value):
            raise ValueError("Bucket value must be an integer: " + line)
    if sample.name in (name + '_count', name + '_gcount') and not _is_whole(sample.value):
        raise ValueError("Count value must be an integer: " + line)
    if typ == 'summary' and name == sample.name:
        if (not 0 <= float(sample.labels.get('quantile', -1)) <= 1
                or _uncanonical(sample.labels['quantile'])):
            raise ValueError("Invalid quantile label: " + line)


def _om_check_value(fam: _OMFamily, sample: Sample, line: str) -> None:
    name, typ = fam.name, fam.typ
    if typ == 'stateset' and sample.value not in [0, 1]:
        raise ValueError("Stateset samples can only have values zero and one: " + line)
    if typ == 'info' and sample.value != 1:
        raise ValueError("Info samples can only have value one: " + line)
    if typ == 'summary' and name == sample.name and sample.value < 0:
        raise ValueError("Quantile values cannot be negative: " + line)
    suffix = sample.name[len(name):]
    if suffix in ('_total', '_sum', '_count', '_bucket', '_gcount', '_gsum') and math.isnan(sample.value):
        raise ValueError("Counter-like samples cannot be NaN: " + line)
    if suffix in ('_total', '_sum', '_count', '_bucket', '_gcount') and sample.value < 0:
        raise ValueError("Counter-like samples cannot be negative: " + line)
    if sample.exemplar and not (
            (typ in ('histogram', 'gaugehistogram') and sample.name.endswith('_bucket'))
            or (typ == 'counter' and sample.name.endswith('_total'))):
        raise ValueError("Invalid line only histogram/gaugehistogram buckets and counters "
                         "can have exemplars: " + line)


def _om_add_sample(fam: _OMFamily, sample: Sample, line: str) -> None:
    """Checks grouping and timestamp order, then keeps the sample (dropping exact repeats
    of a series at the same timestamp)."""
    g = tuple(sorted(_om_group(sample, fam.name, fam.typ).items()))
    if fam.group is not None and g != fam.group and g in fam.seen_groups:
        raise ValueError("Invalid metric grouping: " + line)
    if fam.group is not None and g == fam.group:
        if (sample.timestamp is None) != (fam.group_timestamp is None):
            raise ValueError("Mix of timestamp presence within a group: " + line)
        if (fam.group_timestamp is not None and fam.group_timestamp > sample.timestamp
                and fam.typ != 'info'):
            raise ValueError("Timestamps went backwards within a group: " + line)
    else:
        fam.group_series = set()
    series = (sample.name, tuple(sorted(sample.labels.items())))
    if sample.timestamp != fam.group_timestamp or series not in fam.group_series:
        fam.samples.append(sample)
    fam.group_series.add(series)
    fam.group = g
    fam.group_timestamp = sample.timestamp
    fam.seen_groups.add(g)


def om_text_fd_to_metric_families(fd: TextIO) -> Iterable[Metric]:
    """Parses OpenMetrics text from a file object, yielding Metric families; raises
    ValueError on the first violation prometheus_client's parser detects."""
    fam: Optional[_OMFamily] = None
    seen_names: set = set()
    eof = False
    nh_suffixes = tuple(_OM_SUFFIXES['histogram'])

    for line in fd:
        if line[-1] == '\n':
            line = line[:-1]
        if eof:
            raise ValueError("Received line after # EOF: " + line)
        if not line:
            raise ValueError("Received blank line")
        if line == '# EOF':
            eof = True
            continue
        if line.startswith('#'):
            parts, candidate = _om_metadata_name(line)
            if fam is not None and candidate == fam.name and fam.samples:
                raise ValueError("Received metadata after samples: " + line)
            if fam is None or candidate != fam.name:
                if fam is not None:
                    yield _om_build(fam, seen_names)
                fam = _OMFamily(candidate)
            _om_apply_metadata(fam, parts, line)
            continue

        sample = None
        if fam is not None and fam.typ == 'histogram':
            sample = _om_native_histogram_sample(line, nh_suffixes)
        is_nh = sample is not None
        if sample is None:
            sample = _om_sample(line)
        if not is_nh and (fam is None or sample.name not in fam.allowed):
            if fam is not None:
                yield _om_build(fam, seen_names)
            candidate, quoted = _unquote(sample.name)
            if not quoted and not _is_valid_legacy_metric_name(candidate):
                raise ValueError
            fam = _OMFamily(candidate, 'unknown')
            fam.allowed = [sample.name]
        _om_check_sample(fam, sample, line)
        if is_nh:
            fam.samples.append(sample)
        else:
            _om_add_sample(fam, sample, line)
        _om_check_value(fam, sample, line)

    if fam is not None:
        yield _om_build(fam, seen_names)
    if not eof:
        raise ValueError("Missing # EOF at end")


def om_text_string_to_metric_families(text: str) -> Iterable[Metric]:
    """Parses OpenMetrics text from a string; see om_text_fd_to_metric_families."""
    yield from om_text_fd_to_metric_families(io.StringIO(text))
