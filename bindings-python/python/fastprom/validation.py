"""Metric and label name validation, and the global legacy-validation switch.

The switch starts from the ``PROMETHEUS_LEGACY_NAME_VALIDATION`` environment variable, as
in prometheus_client. Flipping it here also flips it in the native core
(``_fastprom.set_legacy_validation``), which validates every name a metric is created with.
"""

import os
import re

from . import _fastprom

METRIC_NAME_RE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')
METRIC_LABEL_NAME_RE = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')
RESERVED_METRIC_LABEL_NAME_RE = re.compile(r'^__.*$')


def _init_legacy_validation() -> bool:
    """Reads the initial setting from ``PROMETHEUS_LEGACY_NAME_VALIDATION``."""
    flag = os.environ.get("PROMETHEUS_LEGACY_NAME_VALIDATION", 'False')
    return flag.lower() in ('true', '1', 't')


_legacy_validation = _init_legacy_validation()
_fastprom.set_legacy_validation(_legacy_validation)


def get_legacy_validation() -> bool:
    """Returns whether legacy (``[a-zA-Z_:][a-zA-Z0-9_:]*``) name validation is on."""
    return _legacy_validation


def _set_legacy_validation(on: bool) -> None:
    global _legacy_validation
    _fastprom.set_legacy_validation(on)
    _legacy_validation = on


def disable_legacy_validation():
    """Turns legacy name validation off: metric and label names may use any UTF-8."""
    _set_legacy_validation(False)


def enable_legacy_validation():
    """Turns legacy name validation on: names must match the classic Prometheus syntax."""
    _set_legacy_validation(True)


def _check_utf8(name: str) -> None:
    # As in prometheus_client, a name with a lone surrogate raises the UnicodeEncodeError
    # (a ValueError) of str.encode itself.
    name.encode('utf-8')


def _validate_metric_name(name: str) -> None:
    """Raises ValueError unless ``name`` is a valid metric name under the current scheme."""
    if not name:
        raise ValueError("metric name cannot be empty")
    if _legacy_validation and not METRIC_NAME_RE.match(name):
        raise ValueError("invalid metric name " + name)
    _check_utf8(name)


def _is_valid_legacy_metric_name(name: str) -> bool:
    """Whether ``name`` is a valid metric name under the legacy scheme."""
    return bool(name) and METRIC_NAME_RE.match(name) is not None


def _validate_metric_label_name_token(tok: str) -> None:
    """Raises ValueError unless ``tok`` (a label name as parsed, possibly quoted) is valid.

    Only quoted tokens may leave the legacy character set, and only while legacy
    validation is off."""
    if not tok:
        raise ValueError("invalid label name token " + tok)
    quoted = tok[0] == '"' and tok[-1] == '"'
    if _legacy_validation or not quoted:
        if not METRIC_LABEL_NAME_RE.match(tok):
            raise ValueError("invalid label name token " + tok)
        return
    _check_utf8(tok)


def _validate_labelname(l):
    """Raises ValueError unless ``l`` is a valid, non-reserved label name."""
    if get_legacy_validation():
        if not METRIC_LABEL_NAME_RE.match(l):
            raise ValueError('Invalid label metric name: ' + l)
    else:
        _check_utf8(l)
    if RESERVED_METRIC_LABEL_NAME_RE.match(l):
        raise ValueError('Reserved label metric name: ' + l)


def _is_valid_legacy_labelname(l: str) -> bool:
    """Whether ``l`` is a valid, non-reserved label name under the legacy scheme."""
    if not l or METRIC_LABEL_NAME_RE.match(l) is None:
        return False
    return RESERVED_METRIC_LABEL_NAME_RE.match(l) is None


def _validate_labelnames(cls, labelnames):
    """Validates every name in ``labelnames`` against the scheme and against
    ``cls._reserved_labelnames``; returns them as a tuple."""
    labelnames = tuple(labelnames)
    for l in labelnames:
        _validate_labelname(l)
        if l in cls._reserved_labelnames:
            # The odd wording is prometheus_client's; users may match on it.
            raise ValueError('Reserved label methe fric name: ' + l)
    return labelnames


def _validate_exemplar(exemplar):
    """Raises ValueError if the exemplar's labels are invalid or longer than 128 runes."""
    runes = 0
    for k, v in exemplar.items():
        _validate_labelname(k)
        runes += len(k) + len(v)
    if runes > 128:
        # prometheus_client never fills in the %d; the message is kept as it is.
        raise ValueError('Exemplar labels have %d UTF-8 characters, exceeding the limit of 128')
