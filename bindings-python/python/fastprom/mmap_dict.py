"""The file format of multi-process mode (prometheus_client's ``mmap_dict``).

Each process keeps its values in files of named floats:

    offset 0   int32  bytes in use (native byte order), then 4 bytes of padding
    offset 8   entries: int32 key length, the UTF-8 key padded with spaces to a multiple
               of 8 (length field included), float64 value, float64 timestamp

The reading, writing and mapping are native (``fastprom._fastprom``); files written by
fastprom and by prometheus_client are byte-identical and interchangeable.
"""

import json  # noqa: F401  (a name prometheus_client.mmap_dict has)
import mmap  # noqa: F401
import os  # noqa: F401
import struct
from typing import List  # noqa: F401

from . import _fastprom


_INITIAL_MMAP_SIZE = 1 << 16
_pack_integer_func = struct.Struct(b'i').pack
_pack_two_doubles_func = struct.Struct(b'dd').pack
_unpack_integer = struct.Struct(b'i').unpack_from
_unpack_two_doubles = struct.Struct(b'dd').unpack_from


def _pack_two_doubles(data, pos, value, timestamp):
    data[pos:pos + 16] = _pack_two_doubles_func(value, timestamp)


def _pack_integer(data, pos, value):
    data[pos:pos + 4] = _pack_integer_func(value)


def _read_all_values(data, used=0):
    """``(key, value, timestamp, pos)`` for each entry of a file's bytes, up to ``used``
    (read from the header when not given). A damaged file raises ``RuntimeError``."""
    return iter(_fastprom._mp_read_entries(bytes(data), used))


class MmapedDict(_fastprom.MmapedDict):
    """A file of named floats (each with a timestamp), mapped into memory.

        d = MmapedDict('/tmp/metrics/counter_12.db')
        d.write_value('some key', 3.0, 0.0)
        d.read_value('some key')        # (3.0, 0.0)

    Keys are added on first use; the file grows as needed. Not safe for concurrent use
    from several threads without a lock of the caller's.
    """


def mmap_key(metric_name: str, name: str, labelnames: List[str], labelvalues: List[str], help_text: str) -> str:
    """The key of one value in a multi-process file: JSON of the family name, the sample
    name, the labels and the help text, as prometheus_client writes it."""
    return _fastprom.mmap_key(metric_name, name, list(labelnames), list(labelvalues), help_text)
