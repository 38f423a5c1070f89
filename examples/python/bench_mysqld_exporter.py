#!/usr/bin/env python3
"""How long one scrape of examples/python/mysqld_exporter.py takes with every group it
implements, against a throwaway MariaDB (tools/mariadb.py) with 200 tables, the
performance schema on and some traffic on every table.

    .venv/bin/python examples/python/bench_mysqld_exporter.py [--tables 200] [--scrapes 20]

The exporter runs as its own process, as in production; the figure is the median wall
time of a GET /metrics with collect[] = global_status, global_variables and the three
perf_schema groups, over --scrapes scrapes after two warm-up ones, measured from the
client; then the same with gzip, as Prometheus asks for it. The exporter's own
mysql_exporter_collector_duration_seconds of the last scrape is printed beside them. A measurement, not an assertion.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from mariadb import free_port, running_mariadb  # noqa: E402

GROUPS = ["global_status", "global_variables", "perf_schema.tableiowaits", "perf_schema.indexiowaits",
          "perf_schema.tablelocks"]


def fetch(url: str, gzip: bool = False) -> str:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode("latin-1" if gzip else "utf-8")


def timed(url: str, scrapes: int, gzip: bool = False) -> list:
    """Wall times of ``scrapes`` GETs, one after the other."""
    times = []
    for _ in range(scrapes):
        began = time.perf_counter()
        fetch(url, gzip)
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=200)
    ap.add_argument("--scrapes", type=int, default=20)
    args = ap.parse_args()
    command = "python examples/python/bench_mysqld_exporter.py " + " ".join(sys.argv[1:])
    exporter_script = os.path.join(ROOT, "examples", "python", "mysqld_exporter.py")
    with running_mariadb(tables=args.tables) as db:
        port = free_port()
        exporter = subprocess.Popen([sys.executable, exporter_script, f"--web.listen-address=127.0.0.1:{port}",
                                     f"--config.my-cnf={db.my_cnf}"], stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/metrics?" + "&".join(f"collect[]={g}" for g in GROUPS)
            deadline = time.time() + 30
            while True:
                try:
                    body = fetch(url)
                    break
                except OSError:
                    if time.time() > deadline or exporter.poll() is not None:
                        raise SystemExit("the exporter did not come up")
                    time.sleep(0.1)
            fetch(url)  # second warm-up
            times = timed(url, args.scrapes)
            gzipped = timed(url, args.scrapes, gzip=True)  # as Prometheus asks
            body = fetch(url)
        finally:
            os.kill(exporter.pid, signal.SIGTERM)
            exporter.wait(timeout=10)
    samples = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    if "mysql_up 1.0" not in body:
        raise SystemExit("the exporter could not reach MariaDB (mysql_up is not 1)")
    print(f"$ {command}")
    print(f"MariaDB: {args.tables} tables, performance_schema on; scrape of {', '.join(GROUPS)}: "
          f"{samples} samples, {len(body)} bytes")
    print(f"median scrape: {statistics.median(times) * 1000:.1f} ms over {len(times)} scrapes "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    print(f"median scrape with Accept-Encoding: gzip (as Prometheus scrapes): "
          f"{statistics.median(gzipped) * 1000:.1f} ms")
    for label, seconds in re.findall(r'mysql_exporter_collector_duration_seconds\{collector="([^"]+)"\} (\S+)', body):
        print(f"  last scrape, {label}: {float(seconds) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
