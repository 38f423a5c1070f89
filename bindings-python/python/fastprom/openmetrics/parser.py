"""Parser for the OpenMetrics text format (``prometheus_client.openmetrics.parser``).

For now this delegates to :mod:`fastprom._parsers_py`, a temporary pure-Python parser
with prometheus_client's behaviour, until fastprom's native parser is exposed.
"""

from .. import _parsers_py
from .._parsers_py import ESCAPE_SEQUENCES, ESCAPING_RE, parse_labels  # noqa: F401  (as upstream)



def text_string_to_metric_families(text):
    """Parses OpenMetrics text from a string; see text_fd_to_metric_families."""
    yield from _parsers_py.om_text_string_to_metric_families(text)


def text_fd_to_metric_families(fd):
    """Parses OpenMetrics text from a file object, yielding Metric families.

    Lax where prometheus_client's parser is lax: success does not prove the text valid;
    the first violation it detects raises ValueError."""
    yield from _parsers_py.om_text_fd_to_metric_families(fd)
