# The tutorial's pushgateway.py (part 2 of prometheus-service-monitoring.zh.md, the lab
# fastprom grows from; bindings-python/tests/fixtures/tutorial keeps the original) with
# only the import changed to fastprom, and one change for the demo and the tests: the
# gateway may be given as the first argument (default localhost:9091, the tutorial's), so
# that parallel runs use their own Pushgateway. Usage: python pushgateway.py [HOST:PORT]
from fastprom import CollectorRegistry, Gauge, push_to_gateway
import sys

registry = CollectorRegistry()
g = Gauge('job_last_success_unixtime', 'Last time a batch job successfully finished', registry=registry)
g.set_to_current_time()
push_to_gateway(sys.argv[1] if len(sys.argv) > 1 else 'localhost:9091', job='batchA', registry=registry)
