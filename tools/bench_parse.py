#!/usr/bin/env python3
"""prometheus_client's parsers on the exposition core/benches/parse.rs writes
(target/parse-bench/), for the side-by-side parser table in BENCHMARKS.md.

Prints the median of several runs, per sample and in MB/s. Run `make bench` first.
"""
import os
import statistics
import sys
import time

from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "target", "parse-bench")


def bench(fn, data, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fams = list(fn(data))
        times.append(time.perf_counter() - t)
    samples = sum(len(f.samples) for f in fams)
    return statistics.median(times), samples


def main():
    try:
        text = open(os.path.join(DIR, "exposition.txt"), encoding="utf-8").read()
        om = open(os.path.join(DIR, "exposition.om.txt"), encoding="utf-8").read()
    except OSError:
        sys.exit("no parse-bench inputs: run `make bench` first")
    for name, fn, data in (("text", text_parse, text), ("openmetrics", om_parse, om)):
        t, n = bench(fn, data)
        mb = len(data.encode()) / 1e6
        print(f"prometheus_client {name:12s} {t * 1e3:8.1f} ms  {t / n * 1e6:6.2f} us/sample  {mb / t:6.2f} MB/s  ({n} samples)")


if __name__ == "__main__":
    main()
