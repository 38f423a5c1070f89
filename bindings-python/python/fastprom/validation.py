"""Which metric and label names are accepted, and the switch between the two schemes.

Under the default UTF-8 scheme any encodable text is a name; under the legacy scheme
(``enable_legacy_validation()``, or ``PROMETHEUS_LEGACY_NAME_VALIDATION=true`` at import)
names keep to the classic character sets below. The switch is process-wide and is
mirrored into the native core (``_fastprom.set_legacy_validation``), which applies it to
every metric created afterwards.

The checks for metrics created through ``fastprom.metrics`` run in the core. The ones
here serve the Python paths (custom-collector families, the parsers, exemplars) and are
kept because other code imports them from this module; for ``str`` names they call the
core's rules (``_fastprom.validate_metric_name`` and friends).
"""

import os
import re

from . import _fastprom

# re.match with '$', as prometheus_client does, so one trailing newline is let through.
METRIC_NAME_RE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')
METRIC_LABEL_NAME_RE = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')
RESERVED_METRIC_LABEL_NAME_RE = re.compile(r'^__.*$')

_TRUE_WORDS = frozenset(('true', 't', '1'))


def _init_legacy_validation() -> bool:
    """The scheme asked for by ``PROMETHEUS_LEGACY_NAME_VALIDATION`` (true, t or 1, in
    any case, turn legacy validation on; unset means off)."""
    return os.environ.get("PROMETHEUS_LEGACY_NAME_VALIDATION", 'False').lower() in _TRUE_WORDS


_legacy_validation = _init_legacy_validation()
_fastprom.set_legacy_validation(_legacy_validation)


def get_legacy_validation() -> bool:
    """True while names must keep to the legacy character sets."""
    return _legacy_validation


def _set_legacy_validation(on: bool) -> None:
    global _legacy_validation
    _fastprom.set_legacy_validation(on)
    _legacy_validation = on


def disable_legacy_validation():
    """Back to the UTF-8 scheme: any name that encodes as UTF-8 is accepted."""
    _set_legacy_validation(False)


def enable_legacy_validation():
    """Legacy scheme: metric names ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label names
    ``[a-zA-Z_][a-zA-Z0-9_]*``."""
    _set_legacy_validation(True)


def _fits(pattern, name) -> bool:
    return pattern.match(name) is not None


def _check_utf8(name: str) -> None:
    # What the UTF-8 scheme checks. A lone surrogate raises str.encode's own
    # UnicodeEncodeError (a ValueError), which is what prometheus_client lets through.
    name.encode('utf-8')


# The checks below ask the core for a ``str`` (its rules, with prometheus_client's
# messages). Other types take the same steps as prometheus_client (an empty or falsy name,
# then the regular expression or ``encode``), so they fail with its exception types.

def _validate_metric_name(name: str) -> None:
    """``ValueError`` unless ``name`` can name a metric under the scheme in force."""
    if type(name) is str:
        try:
            _fastprom.validate_metric_name(name, _legacy_validation)
            return
        except UnicodeEncodeError:
            if not _legacy_validation:
                raise
        # Under the legacy scheme the character set refuses a lone surrogate first.
        raise ValueError("invalid metric name " + name)
    if not name:
        raise ValueError("metric name cannot be empty")
    if _legacy_validation and not _fits(METRIC_NAME_RE, name):
        raise ValueError("invalid metric name " + name)
    _check_utf8(name)


def _is_valid_legacy_metric_name(name: str) -> bool:
    """Whether ``name`` is a metric name even under the legacy scheme (the encoders
    quote the other ones)."""
    if type(name) is str:
        try:
            return _fastprom.is_valid_legacy_metric_name(name)
        except UnicodeEncodeError:
            return False
    return len(name) > 0 and _fits(METRIC_NAME_RE, name)


def _validate_metric_label_name_token(tok: str) -> None:
    """``ValueError`` for a label name token as written in exposition text: bare tokens
    must be legacy names; a ``"quoted"`` token may be any UTF-8, unless legacy
    validation is on."""
    if tok:
        utf8_allowed = not _legacy_validation and tok[0] == '"' and tok[-1] == '"'
        if utf8_allowed:
            _check_utf8(tok)
            return
        if _fits(METRIC_LABEL_NAME_RE, tok):
            return
    raise ValueError("invalid label name token " + tok)


def _validate_labelname(l):
    """``ValueError`` unless ``l`` can name a label under the scheme in force; names
    starting with ``__`` are reserved under both."""
    if type(l) is str:
        try:
            _fastprom.validate_label_name(l, _legacy_validation)
            return
        except UnicodeEncodeError:
            if not _legacy_validation:
                raise
        raise ValueError('Invalid label metric name: ' + l)
    if not get_legacy_validation():
        _check_utf8(l)
    elif not _fits(METRIC_LABEL_NAME_RE, l):
        raise ValueError('Invalid label metric name: ' + l)
    if _fits(RESERVED_METRIC_LABEL_NAME_RE, l):
        raise ValueError('Reserved label metric name: ' + l)


def _is_valid_legacy_labelname(l: str) -> bool:
    """Whether ``l`` is an unreserved label name even under the legacy scheme."""
    if type(l) is str:
        try:
            return _fastprom.is_valid_legacy_label_name(l)
        except UnicodeEncodeError:
            return False
    return (len(l) > 0 and _fits(METRIC_LABEL_NAME_RE, l)
            and not _fits(RESERVED_METRIC_LABEL_NAME_RE, l))


def _validate_labelnames(cls, labelnames):
    """The label names of a metric class ``cls`` as a tuple, each checked as above and
    against the names the class keeps for itself (``cls._reserved_labelnames``, such
    as ``le`` for histograms)."""
    names = tuple(labelnames)
    for name in names:
        _validate_labelname(name)
        if name in cls._reserved_labelnames:
            # Misspelt in prometheus_client; kept, since callers may match the text.
            raise ValueError('Reserved label methe fric name: ' + name)
    return names


_EXEMPLAR_RUNE_LIMIT = 128


def _validate_exemplar(exemplar):
    """``ValueError`` for an exemplar label set with an invalid name, or with more than
    128 characters in its names and values together."""
    used = 0
    for name, value in exemplar.items():
        _validate_labelname(name)
        used += len(name) + len(value)
    if used > _EXEMPLAR_RUNE_LIMIT:
        # The %d is never filled in, in prometheus_client either.
        raise ValueError('Exemplar labels have %d UTF-8 characters, exceeding the limit of 128')
