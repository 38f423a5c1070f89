"""Parser for the Prometheus text format (``prometheus_client.parser``).

For now this delegates to :mod:`fastprom._parsers_py`, a temporary pure-Python parser
with prometheus_client's behaviour, until fastprom's native parser is exposed.
"""

from ._parsers_py import (  # noqa: F401  (re-exported, as in prometheus_client)
    ESCAPE_SEQUENCES, ESCAPING_RE, HELP_ESCAPING_RE, parse_labels, replace_escape_sequence,
    text_fd_to_metric_families, text_string_to_metric_families,
)

