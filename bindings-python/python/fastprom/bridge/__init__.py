"""Bridges to other monitoring systems (``prometheus_client.bridge``)."""
