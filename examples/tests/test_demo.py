"""End to end: `tools/demo.py` (what `make demo` runs) against a real Prometheus and
Pushgateway from Debian's packages, on loopback ports, stopping by itself."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_scrapes_app_and_gateway():
    # Port 0 asks the demo to pick free ports (the defaults may be taken on a shared box).
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--duration", "0.5",
         "--app-port", "0", "--gateway-port", "0", "--prometheus-port", "0"],
        capture_output=True, text=True, timeout=240,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "DEMO OK" in out, out
    # Part 1: the app's summary was scraped and has observations.
    m = re.search(r"request_processing_seconds_count\{.*'job': 'app'\} = (\d+)", out)
    assert m and int(m.group(1)) >= 1, out
    # Part 2: honor_labels kept the pushed job labels; the grouping key with a space went
    # through @base64; the deleted group is gone.
    assert "'job': 'batchA'" in out and "'instance': 'worker 1', 'job': 'batchB'" in out, out
    assert "instance@base64/d29ya2VyIDE=" in out, out
    ingested = proc.stdout.split("Part 2: Prometheus scrapes the gateway")[1]
    assert "batchC" not in ingested, out
    # Everything it started was stopped.
    assert out.count("stopped ") == 3, out
