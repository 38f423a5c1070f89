"""Part 2 of the tutorial beyond its pushgateway.py: the Pushgateway's three methods,
through fastprom's push functions (the same calls as prometheus_client's).

- POST (``pushadd_to_gateway``) replaces only the metrics named in the body. Here it goes
  to job ``batchB`` with the grouping key ``instance="worker 1"``: a value with a space
  cannot stand in a URL path as it is, so it travels as ``instance@base64/d29ya2VyIDE=``.
- PUT (``push_to_gateway``) replaces every metric of the group: job ``batchC``.
- DELETE (``delete_from_gateway``) removes the group again, so Prometheus never keeps
  ``batchC``.

Every request is printed (method and URL) by a handler that wraps ``default_handler``.

Usage: python push_methods.py [HOST:PORT]   (default localhost:9091, the tutorial's)
"""

import sys

from fastprom import CollectorRegistry, Gauge, delete_from_gateway, push_to_gateway, pushadd_to_gateway
from fastprom.exposition import default_handler


def printing_handler(url, method, timeout, headers, data):
    """A push handler: print the request, then send it like the default handler."""
    print(f'{method} {url}', flush=True)
    return default_handler(url, method, timeout, headers, data)


def main():
    gateway = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9091'
    registry = CollectorRegistry()
    g = Gauge('job_last_success_unixtime', 'Last time a batch job successfully finished', registry=registry)
    g.set_to_current_time()

    pushadd_to_gateway(gateway, job='batchB', grouping_key={'instance': 'worker 1'}, registry=registry,
                       handler=printing_handler)
    push_to_gateway(gateway, job='batchC', registry=registry, handler=printing_handler)
    delete_from_gateway(gateway, job='batchC', handler=printing_handler)


if __name__ == '__main__':
    main()
