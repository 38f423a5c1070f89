"""Reading OpenMetrics text back into metric families.

The native parser (``_fastprom.openmetrics_text_string_to_metric_families``) does the
work, strictly as the OpenMetrics rules require, and builds ``Metric`` families holding
``Sample``, ``Exemplar``, ``Timestamp`` and ``NativeHistogram`` objects. The generators
here yield those families and then raise the error that ended the parse, if any, so the
caller sees every family before the bad line. The text must end with ``# EOF``.
"""

import io as StringIO  # noqa: F401  (a public name of prometheus_client's module)
import math  # noqa: F401  (as upstream)
import re  # noqa: F401  (as upstream)

from .. import _fastprom, _surrogates
from ..metrics_core import Metric  # noqa: F401  (as upstream)
from ..parser import _lines, _parse_string, _text, parse_labels  # noqa: F401  (parse_labels: as upstream)
from ..samples import BucketSpan, Exemplar, NativeHistogram, Sample, Timestamp  # noqa: F401
from ..utils import floatToGoString  # noqa: F401  (as upstream)

# Escape sequences of label values, as in the Prometheus text parser.
ESCAPE_SEQUENCES = {'\\\\': '\\', '\\n': '\n', '\\"': '"'}

ESCAPING_RE = re.compile(r'\\[\\n"]')


def text_string_to_metric_families(text):
    """The metric families in ``text``, a ``str`` in the OpenMetrics format (see
    ``text_fd_to_metric_families``)."""
    yield from _parse_string(_fastprom.openmetrics_text_string_to_metric_families, text)


def text_fd_to_metric_families(fd):
    """The metric families in the lines of ``fd`` (an open text file, or any iterable
    of lines) in the OpenMetrics format, ``# EOF`` included. Counters are named without
    their ``_total`` suffix, which their samples keep."""
    yield from _surrogates.stream(lambda lines: _fastprom.FamilyStream(lines, openmetrics=True), _lines(fd))
