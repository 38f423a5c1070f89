"""Parser for the OpenMetrics text format (``prometheus_client.openmetrics.parser``).

The native core parses (``_fastprom.openmetrics_text_string_to_metric_families``) and
builds the same ``Metric`` / ``Sample`` / ``Exemplar`` / ``Timestamp`` / ``NativeHistogram``
objects prometheus_client's parser yields. The functions stay generators: they yield the
families prometheus_client would yield, in order, and then raise the exception it would
raise after them.
"""

import io as StringIO  # noqa: F401  (a public name of prometheus_client's module)
import math  # noqa: F401  (as upstream)
import re  # noqa: F401  (as upstream)

from .. import _fastprom
from ..metrics_core import Metric  # noqa: F401  (as upstream)
from ..parser import _lines, _text, parse_labels  # noqa: F401  (parse_labels: as upstream)
from ..samples import BucketSpan, Exemplar, NativeHistogram, Sample, Timestamp  # noqa: F401
from ..utils import floatToGoString  # noqa: F401  (as upstream)

ESCAPE_SEQUENCES = {
    '\\\\': '\\',
    '\\n': '\n',
    '\\"': '"',
}

ESCAPING_RE = re.compile(r'\\[\\n"]')


def text_string_to_metric_families(text):
    """Parse Openmetrics text format from a unicode string.

    See text_fd_to_metric_families.
    """
    families, error = _fastprom.openmetrics_text_string_to_metric_families(_text(text))
    yield from families
    if error is not None:
        raise error


def text_fd_to_metric_families(fd):
    """Parse Prometheus text format from a file descriptor.

    This is a laxer parser than the main Go parser,
    so successful parsing does not imply that the parsed
    text meets the specification.

    Yields Metric's.
    """
    families, error = _fastprom.openmetrics_text_string_to_metric_families(_lines(fd))
    yield from families
    if error is not None:
        raise error
