"""Parser for the Prometheus text format (``prometheus_client.parser``).

The native core parses (``_fastprom.text_string_to_metric_families``) and builds the same
``Metric`` / ``Sample`` objects prometheus_client's parser yields. The functions stay
generators: they yield the families prometheus_client would yield, in order, and then raise
the exception it would raise after them.

``parse_labels`` (and the escaping helpers) are prometheus_client's own, kept in Python.
"""

import io as StringIO  # noqa: F401  (a public name of prometheus_client.parser)
import re
import string  # noqa: F401  (as upstream)
from typing import Dict, Iterable, List, Match, Optional, TextIO, Tuple  # noqa: F401

from . import _fastprom, samples as _samples
from .metrics_core import Metric
from .samples import Sample  # noqa: F401  (as upstream)
from .validation import _is_valid_legacy_metric_name, _validate_labelname, _validate_metric_name

_fastprom.configure(timestamp=_samples.Timestamp, native_histogram=_samples.NativeHistogram,
                    bucket_span=_samples.BucketSpan)


def _lines(fd) -> str:
    """The text of ``fd``'s lines, each ending with a newline (as prometheus_client reads
    them, one per item of the iteration)."""
    return ''.join(line if line.endswith('\n') else line + '\n' for line in fd)


def _text(text) -> str:
    """``text`` as ``io.StringIO(text)`` reads it (``None`` is empty, a non-string raises
    prometheus_client's ``TypeError``)."""
    return text if isinstance(text, str) else StringIO.StringIO(text).getvalue()


def text_string_to_metric_families(text: str) -> Iterable[Metric]:
    """Parse Prometheus text format from a unicode string.

    See text_fd_to_metric_families.
    """
    families, error = _fastprom.text_string_to_metric_families(_text(text))
    yield from families
    if error is not None:
        raise error


def text_fd_to_metric_families(fd: TextIO) -> Iterable[Metric]:
    """Parse Prometheus text format from a file descriptor.

    This is a laxer parser than the main Go parser,
    so successful parsing does not imply that the parsed
    text meets the specification.

    Yields Metric's.
    """
    families, error = _fastprom.text_string_to_metric_families(_lines(fd))
    yield from families
    if error is not None:
        raise error


# --- parse_labels and the escaping helpers, as in prometheus_client ------------------------

ESCAPE_SEQUENCES = {
    '\\\\': '\\',
    '\\n': '\n',
    '\\"': '"',
}


def replace_escape_sequence(match: Match[str]) -> str:
    return ESCAPE_SEQUENCES[match.group(0)]


HELP_ESCAPING_RE = re.compile(r'\\[\\n]')
ESCAPING_RE = re.compile(r'\\[\\n"]')


def _replace_escaping(s: str) -> str:
    return ESCAPING_RE.sub(replace_escape_sequence, s)


def _is_character_escaped(s: str, charpos: int) -> bool:
    num_bslashes = 0
    while (charpos > num_bslashes
           and s[charpos - 1 - num_bslashes] == '\\'):
        num_bslashes += 1
    return num_bslashes % 2 == 1


def _next_unquoted_char(text: str, chs: Optional[str], startidx: int = 0) -> int:
    in_quotes = False
    if chs is None:
        chs = string.whitespace
    for i, c in enumerate(text[startidx:]):
        if c == '"' and not _is_character_escaped(text, startidx + i):
            in_quotes = not in_quotes
        if not in_quotes:
            if c in chs:
                return startidx + i
    return -1


def _unquote_unescape(text):
    if not text:
        return text, False
    quoted = False
    text = text.strip()
    if text[0] == '"':
        if len(text) == 1 or text[-1] != '"':
            raise ValueError("missing close quote")
        text = text[1:-1]
        quoted = True
    if "\\" in text:
        text = _replace_escaping(text)
    return text, quoted


def _next_term(text: str, openmetrics: bool) -> Tuple[str, str, str]:
    if text[0] == ',':
        text = text[1:]
        if not text:
            return "", "", ""
        if text[0] == ',':
            raise ValueError("multiple commas")
    splitpos = _next_unquoted_char(text, '=,}')
    if splitpos >= 0 and text[splitpos] == "=":
        labelname = text[:splitpos]
        text = text[splitpos + 1:]
        splitpos = _next_unquoted_char(text, ',}')
    else:
        labelname = "__name__"
    if splitpos == -1:
        splitpos = len(text)
    term = text[:splitpos]
    if not term and openmetrics:
        raise ValueError("empty term:", term)
    rest = text[splitpos:]
    return labelname, term.strip(), rest.strip()


def parse_labels(labels_string: str, openmetrics: bool = False) -> Dict[str, str]:
    """Parses the inside of ``{...}`` into a dict (prometheus_client's function)."""
    labels: Dict[str, str] = {}
    sub_labels = labels_string.strip()
    if openmetrics and sub_labels and sub_labels[0] == ',':
        raise ValueError("leading comma: " + labels_string)
    try:
        while sub_labels:
            name_term, value_term, sub_labels = _next_term(sub_labels, openmetrics)
            if not value_term:
                if openmetrics:
                    raise ValueError("empty term in line: " + labels_string)
                continue
            label_name, quoted_name = _unquote_unescape(name_term)
            if not quoted_name and not _is_valid_legacy_metric_name(label_name):
                raise ValueError("unquoted UTF-8 metric name")
            if not value_term or value_term[0] != '"':
                raise ValueError
            i = 1
            while i < len(value_term):
                i = value_term.index('"', i)
                if not _is_character_escaped(value_term[:i], i):
                    break
                i += 1
            quote_end = i + 1
            if quote_end != len(value_term):
                raise ValueError("unexpected text after quote: " + labels_string)
            label_value, _ = _unquote_unescape(value_term)
            if label_name == '__name__':
                _validate_metric_name(label_name)
            else:
                _validate_labelname(label_name)
            if label_name in labels:
                raise ValueError("invalid line, duplicate label name: " + labels_string)
            labels[label_name] = label_value
        return labels
    except ValueError:
        raise ValueError("Invalid labels: " + labels_string)
