"""Reading the Prometheus text format back into metric families.

``text_string_to_metric_families`` and ``text_fd_to_metric_families`` hand the whole text
to the native parser (``_fastprom.text_string_to_metric_families``), which returns the
``Metric`` families (``Sample`` tuples inside, counters renamed to their OpenMetrics
form) and the error that stopped it, if any. The generators here yield the families and
then raise that error, so a consumer sees what prometheus_client's lazy parser would
show, though the parsing itself happens at the first ``next()``::

    for family in text_string_to_metric_families('# TYPE jobs_total counter\njobs_total 3\n'):
        print(family.name, family.type, family.samples)   # jobs counter [Sample(...)]

``parse_labels`` (the inside of ``{...}``) is kept in Python, with the small helpers it
is built from; the extension has no entry point for a bare label set.
"""

import io as StringIO  # noqa: F401  (a public name of prometheus_client.parser)
import re
import string
from typing import Dict, Iterable, Iterator, List, Match, Optional, TextIO, Tuple  # noqa: F401

from . import _fastprom, _surrogates, samples as _samples
from .metrics_core import Metric
from .samples import Sample  # noqa: F401  (a public name here too)
from .validation import _is_valid_legacy_metric_name, _validate_labelname, _validate_metric_name

_fastprom.configure(timestamp=_samples.Timestamp, native_histogram=_samples.NativeHistogram,
                    bucket_span=_samples.BucketSpan)


def _lines(fd) -> Iterator[str]:
    """``fd``'s lines, each ending with a newline (prometheus_client reads one line per
    item of the iteration), handed to the native parser one at a time."""
    for line in fd:
        yield line if line.endswith('\n') else line + '\n'


def _text(text) -> str:
    """``text`` as ``io.StringIO(text)`` reads it (``None`` is empty, a non-string raises
    prometheus_client's ``TypeError``)."""
    return text if isinstance(text, str) else StringIO.StringIO(text).getvalue()


def _parse_string(native, text) -> Iterable[Metric]:
    """Runs a native whole-text parser, yielding its families and then raising the error
    that stopped it; lone surrogates go through ``_surrogates``."""
    text, swapped = _surrogates.shield(_text(text))
    families, error = native(text)
    if swapped:
        yield from _surrogates.replay(families, error)
        return
    yield from families
    if error is not None:
        raise error


def text_string_to_metric_families(text: str) -> Iterable[Metric]:
    """The metric families in ``text``, a ``str`` in the Prometheus text format (see
    ``text_fd_to_metric_families``)."""
    yield from _parse_string(_fastprom.text_string_to_metric_families, text)


def text_fd_to_metric_families(fd: TextIO) -> Iterable[Metric]:
    """The metric families in the lines of ``fd`` (an open text file, or any iterable of
    lines), in the Prometheus text format.

    The parser is as forgiving as prometheus_client's, which is more forgiving than
    Prometheus itself: text that parses here may still be rejected by a server.
    Counters come out as OpenMetrics has them: ``# TYPE jobs_total counter`` gives a
    family ``jobs`` with a ``jobs_total`` sample."""
    # Parsed as the lines are read: each family comes out once its last line is in, so
    # a large file or an endless stream is never held whole.
    yield from _surrogates.stream(_fastprom.FamilyStream, _lines(fd))


# --- parse_labels --------------------------------------------------------------------------

# The escape sequences of label values (HELP text knows only the first two).
ESCAPE_SEQUENCES = {'\\\\': '\\', '\\n': '\n', '\\"': '"'}
HELP_ESCAPING_RE = re.compile(r'\\[\\n]')
ESCAPING_RE = re.compile(r'\\[\\n"]')


def replace_escape_sequence(match: Match[str]) -> str:
    """The character an escape sequence matched by the patterns above stands for."""
    return ESCAPE_SEQUENCES[match[0]]


def _replace_escaping(s: str) -> str:
    """``s`` with its ``\\\\``, ``\\n`` and ``\\"`` sequences resolved."""
    return ESCAPING_RE.sub(replace_escape_sequence, s)


def _is_character_escaped(s: str, charpos: int) -> bool:
    """Whether ``s[charpos]`` follows an odd run of backslashes."""
    if charpos <= 0:
        return False
    before = s[:charpos]
    return (len(before) - len(before.rstrip('\\'))) % 2 == 1


def _next_unquoted_char(text: str, chs: Optional[str], startidx: int = 0) -> int:
    """Index of the first character of ``chs`` (default: whitespace) at or after
    ``startidx`` that is outside double quotes, or -1. ``text`` must not start inside
    quotes; escaped quotes do not count."""
    wanted = string.whitespace if chs is None else chs
    quoted = False
    for pos in range(startidx, len(text)):
        char = text[pos]
        if char == '"' and not _is_character_escaped(text, pos):
            quoted = not quoted
        if not quoted and char in wanted:
            return pos
    return -1


def _unquote_unescape(text):
    """``(text, quoted)``: ``text`` stripped, its surrounding double quotes removed when
    it has them, and its escape sequences resolved. Empty text is returned as is."""
    if not text:
        return text, False
    text = text.strip()
    quoted = text[0] == '"'
    if quoted:
        if len(text) < 2 or not text.endswith('"'):
            raise ValueError("missing close quote")
        text = text[1:-1]
    return (_replace_escaping(text) if "\\" in text else text), quoted


def _next_term(text: str, openmetrics: bool) -> Tuple[str, str, str]:
    """Cuts the first ``name=value`` term off ``text`` (which may begin with the comma
    closing the previous term): ``(name, value, rest)``, the value and the rest stripped,
    the rest beginning at the ``,`` or ``}`` after the value. A term without ``=`` is the
    metric name, so its name is ``__name__``. OpenMetrics forbids empty terms."""
    if text[0] == ',':
        text = text[1:]
        if text.startswith(','):
            raise ValueError("multiple commas")
        if not text:
            return "", "", ""
    name = "__name__"
    end = _next_unquoted_char(text, '=,}')
    if end >= 0 and text[end] == '=':
        name, text = text[:end], text[end + 1:]
        end = _next_unquoted_char(text, ',}')
    value, rest = (text, '') if end < 0 else (text[:end], text[end:])
    if openmetrics and not value:
        raise ValueError("empty term:", value)
    return name, value.strip(), rest.strip()


def _closes_at_end(value: str) -> bool:
    """Whether the first unescaped double quote after ``value[0]`` is its last character."""
    pos = 1
    while True:
        pos = value.find('"', pos)
        if pos < 0 or not _is_character_escaped(value, pos):
            return pos == len(value) - 1
        pos += 1


def _one_label(name_term: str, value_term: str) -> Tuple[str, str]:
    """A term's label name and value; ``ValueError`` if either is malformed. A blank
    name raises ``IndexError``, as in prometheus_client."""
    name, quoted_name = _unquote_unescape(name_term)
    if not quoted_name and not _is_valid_legacy_metric_name(name):
        raise ValueError("unquoted UTF-8 metric name")
    if value_term[0] != '"' or not _closes_at_end(value_term):
        raise ValueError("label value must be one quoted string")
    value = _unquote_unescape(value_term)[0]
    # As in prometheus_client, a __name__ term checks the word itself, not the value.
    check = _validate_metric_name if name == '__name__' else _validate_labelname
    check(name)
    return name, value


def parse_labels(labels_string: str, openmetrics: bool = False) -> Dict[str, str]:
    """The labels inside ``{...}``, without the braces, as a dict.

    ``parse_labels('a="1", b="x\\\\"y"')`` is ``{'a': '1', 'b': 'x"y'}``. A bare or
    quoted word without ``=`` is taken as ``__name__``. Any problem raises
    ``ValueError('Invalid labels: ...')``; with ``openmetrics`` a leading comma
    (``ValueError('leading comma: ...')``) and empty terms are refused too."""
    remaining = labels_string.strip()
    if openmetrics and remaining.startswith(','):
        raise ValueError("leading comma: " + labels_string)
    labels: Dict[str, str] = {}
    try:
        while remaining:
            name_term, value_term, remaining = _next_term(remaining, openmetrics)
            if value_term:
                name, value = _one_label(name_term, value_term)
                if name in labels:
                    raise ValueError("duplicate label name")
                labels[name] = value
            elif openmetrics:
                raise ValueError("empty term")
    except ValueError:
        raise ValueError("Invalid labels: " + labels_string)
    return labels
