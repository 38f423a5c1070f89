"""OpenMetrics exposition and parsing (``prometheus_client.openmetrics``)."""
