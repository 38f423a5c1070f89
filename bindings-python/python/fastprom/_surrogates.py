"""Lone surrogates through the native parsers.

A Python ``str`` may hold lone surrogates (U+D800 to U+DFFF, e.g. from
``bytes.decode(errors='surrogateescape')``), which UTF-8 cannot carry, so the native
parsers could not receive such text at all. prometheus_client's pure-Python parsers do
read it: HELP text and label values keep their surrogates, and only names are refused.

So before parsing, each lone surrogate is swapped for a stand-in: the private-use code
point 0x10F800 above it (U+10F800 to U+10FFFF, the last 2048 code points, which no
exposition uses in practice). The parsers then see an ordinary character that is valid
wherever any character is, and invalid wherever prometheus_client's name rules refuse
non-ASCII, as they refuse the surrogate. The families that come out, and the messages of
errors, get the surrogates back.

Text that holds both a lone surrogate and a genuine U+10F800 to U+10FFFF code point
cannot be told apart afterwards; it is left as it is and fails as before, with Python's
``UnicodeEncodeError``, rather than coming back altered.
"""

import re
from typing import Iterable, Iterator, List, Optional, Tuple

from .samples import Exemplar, Sample

_SHIFT = 0x10F800 - 0xD800
_SURROGATE = re.compile('[\ud800-\udfff]')
_STAND_IN = re.compile('[\U0010F800-\U0010FFFF]')
_TO_STAND_IN = {cp: cp + _SHIFT for cp in range(0xD800, 0xE000)}
_FROM_STAND_IN = {cp + _SHIFT: cp for cp in range(0xD800, 0xE000)}


def shield(text: str) -> Tuple[str, bool]:
    """``text`` ready for the native parser, and whether anything was swapped."""
    # ASCII text (the usual case) is checked at C speed.
    if text.isascii() or not _SURROGATE.search(text) or _STAND_IN.search(text):
        return text, False
    return text.translate(_TO_STAND_IN), True


def _back(s):
    return s.translate(_FROM_STAND_IN) if isinstance(s, str) and _STAND_IN.search(s) else s


def _labels_back(labels):
    if not labels or not any(_STAND_IN.search(k) or _STAND_IN.search(v) for k, v in labels.items()):
        return labels
    return {_back(k): _back(v) for k, v in labels.items()}


def _exemplar_back(e: Optional[Exemplar]) -> Optional[Exemplar]:
    if e is None:
        return None
    return e._replace(labels=_labels_back(e.labels))


def _sample_back(s: Sample) -> Sample:
    return s._replace(name=_back(s.name), labels=_labels_back(s.labels), exemplar=_exemplar_back(s.exemplar))


def _names_in(family) -> Iterator[str]:
    yield family.name
    for s in family.samples:
        yield s.name
        yield from s.labels
        if s.exemplar is not None:
            yield from s.exemplar.labels


def restore(family) -> None:
    """Puts the surrogates back into a parsed family, in place. A name holding one
    raises the ``UnicodeEncodeError`` of prometheus_client's UTF-8 name check."""
    family.name = _back(family.name)
    family.documentation = _back(family.documentation)
    family.unit = _back(family.unit)
    family.samples = [_sample_back(s) for s in family.samples]
    for name in _names_in(family):
        found = _SURROGATE.search(name)
        if found:
            at = found.start()
            raise UnicodeEncodeError('utf-8', name, at, at + 1, 'surrogates not allowed')


# A stand-in as ``repr()`` writes it (a message may quote a name with ``%r``), and the
# same for the surrogate it stands for.
_STAND_IN_REPR = re.compile(r'\\U0010f([89a-f][0-9a-f]{2})')


def _message_back(a):
    if not isinstance(a, str):
        return a
    a = _STAND_IN_REPR.sub(lambda m: '\\u%04x' % (int('10f' + m.group(1), 16) - _SHIFT), a)
    return _back(a)


def error_back(error: BaseException) -> BaseException:
    """``error`` with its message's stand-ins turned back into surrogates."""
    args = tuple(_message_back(a) for a in error.args)
    if args == error.args:
        return error
    try:
        return type(error)(*args)
    except Exception:  # a type that takes other arguments: keep the original
        return error


def replay(families: List, error: Optional[BaseException]) -> Iterable:
    """Yields restored families, then raises the (restored) error, if any."""
    for family in families:
        restore(family)
        yield family
    if error is not None:
        raise error_back(error)


class ShieldedLines:
    """Wraps the lines of a streamed parse: swaps the surrogates of each line, and says
    whether any were swapped. A genuine stand-in after a swap (or a surrogate after a
    genuine stand-in) cannot be told apart, so that line is passed through untouched
    and fails in the parser as it did before."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self.swapped = False
        self._genuine = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if line.isascii():
            return line
        if _STAND_IN.search(line):
            self._genuine = True
            if self.swapped:
                raise ValueError('text mixes lone surrogates with code points U+10F800 to U+10FFFF, '
                                 'which fastprom cannot parse together')
            return line
        if self._genuine:
            return line
        out, swapped = shield(line)
        self.swapped = self.swapped or swapped
        return out


def stream(parser, lines: Iterable[str]) -> Iterator:
    """Runs a streaming native parser over ``lines``, restoring what it yields."""
    shielded = ShieldedLines(lines)
    families = parser(shielded)
    while True:
        try:
            family = next(families)
        except StopIteration:
            return
        except Exception as e:
            if shielded.swapped:
                raise error_back(e) from None
            raise
        if shielded.swapped:
            restore(family)
        yield family
