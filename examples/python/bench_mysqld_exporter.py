#!/usr/bin/env python3
"""How long one scrape of examples/python/mysqld_exporter.py takes with every group it
implements, against a throwaway MariaDB (tools/mariadb.py) with 200 tables, the
performance schema on and some traffic on every table.

    .venv/bin/python examples/python/bench_mysqld_exporter.py [--tables 200] [--scrapes 20]

The exporter runs as its own process, as in production; the figure is the median wall
time of a GET /metrics, measured from the client over --scrapes scrapes after two
warm-up ones, for the four groups the tutorial's two jobs scrape (global_status and the
three perf_schema groups), then for those plus global_variables; each also with gzip, as
Prometheus asks for it. The rounds alternate between the two sets, so load on a shared
machine falls on both alike. The exporter's own
mysql_exporter_collector_duration_seconds of the last scrape is printed beside them. A
measurement, not an assertion.
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

TUTORIAL = ["global_status", "perf_schema.tableiowaits", "perf_schema.indexiowaits", "perf_schema.tablelocks"]
SETS = {"the tutorial's four groups": TUTORIAL, "all five groups": TUTORIAL[:1] + ["global_variables"] + TUTORIAL[1:]}


def fetch(url: str, gzip: bool = False) -> str:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode("latin-1" if gzip else "utf-8")


def timed(url: str, gzip: bool = False) -> float:
    """Wall time of one GET."""
    began = time.perf_counter()
    fetch(url, gzip)
    return time.perf_counter() - began


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=200)
    ap.add_argument("--scrapes", type=int, default=20)
    args = ap.parse_args()
    command = "python examples/python/bench_mysqld_exporter.py " + " ".join(sys.argv[1:])
    exporter_script = os.path.join(ROOT, "examples", "python", "mysqld_exporter.py")
    load = f"{os.getloadavg()[0]:.2f}"
    with running_mariadb(tables=args.tables) as db:
        port = free_port()
        exporter = subprocess.Popen([sys.executable, exporter_script, f"--web.listen-address=127.0.0.1:{port}",
                                     f"--config.my-cnf={db.my_cnf}"], stderr=subprocess.DEVNULL)
        try:
            urls = {label: f"http://127.0.0.1:{port}/metrics?" + "&".join(f"collect[]={g}" for g in groups)
                    for label, groups in SETS.items()}
            deadline = time.time() + 30
            while True:
                try:
                    fetch(urls["all five groups"])
                    break
                except OSError:
                    if time.time() > deadline or exporter.poll() is not None:
                        raise SystemExit("the exporter did not come up")
                    time.sleep(0.1)
            for url in urls.values():  # warm-up
                fetch(url)
                fetch(url)
            times = {(label, gz): [] for label in urls for gz in (False, True)}
            for _ in range(args.scrapes):
                for (label, gz), out in times.items():
                    out.append(timed(urls[label], gz))
            bodies = {label: fetch(url) for label, url in urls.items()}
        finally:
            os.kill(exporter.pid, signal.SIGTERM)
            exporter.wait(timeout=10)
    print(f"$ {command}")
    print(f"MariaDB: {args.tables} tables, performance_schema on; load average before: {load}, after: "
          f"{os.getloadavg()[0]:.2f}")
    for label, body in bodies.items():
        if "mysql_up 1.0" not in body:
            raise SystemExit("the exporter could not reach MariaDB (mysql_up is not 1)")
        samples = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
        plain, gzipped = times[label, False], times[label, True]
        print(f"{label} ({', '.join(SETS[label])}): {samples} samples, {len(body)} bytes")
        print(f"  median scrape: {statistics.median(plain) * 1000:.1f} ms over {len(plain)} scrapes "
              f"(min {min(plain) * 1000:.1f}, max {max(plain) * 1000:.1f}); with Accept-Encoding: gzip "
              f"(as Prometheus scrapes): {statistics.median(gzipped) * 1000:.1f} ms")
        for name, seconds in re.findall(r'mysql_exporter_collector_duration_seconds\{collector="([^"]+)"\} (\S+)',
                                        body):
            print(f"    last scrape, {name}: {float(seconds) * 1000:.1f} ms")

if __name__ == "__main__":
    main()
