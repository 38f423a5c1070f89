#!/usr/bin/env python3
"""Print criterion's medians for core/benches/metrics.rs as the BENCHMARKS.md table.

Reads target/criterion/<group>/<bench>/new/estimates.json (written by `make bench`) and
prints, per group, each implementation's median and its ratio to fastprom.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRIT = os.path.join(ROOT, "target", "criterion")

GROUPS = [
    ("counter_inc", "counter inc (no labels)"),
    ("lookup3_inc_1000_children", "lookup + inc, 3 labels, family of 1000"),
    ("lookup3_inc_1000_children_2_threads", "same, 2 threads on different children (per op per thread)"),
    ("histogram_observe", "histogram observe (default buckets)"),
    ("encode_text_1x10000_counters", "text encode, 1 family x 10,000 counters"),
    ("encode_text_100x100_histograms", "text encode, 100 histogram families x 100 children"),
    ("encode_openmetrics_1x10000_counters_with_created", "OpenMetrics encode, 10,000 counters with _created"),
    ("parse_10000_series", "parse a 10,000-series exposition (636 KB)"),
]


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} us"
    return f"{ns:.1f} ns"


def median(group, bench):
    for root, _dirs, files in os.walk(os.path.join(CRIT, group, bench)):
        if "estimates.json" in files and os.path.basename(root) == "new":
            with open(os.path.join(root, "estimates.json")) as f:
                return json.load(f)["median"]["point_estimate"]
    return None


def main():
    if not os.path.isdir(CRIT):
        sys.exit("no criterion results: run `make bench` first")
    print("| workload | implementation | median | vs fastprom |")
    print("| --- | --- | ---: | ---: |")
    for group, title in GROUPS:
        d = os.path.join(CRIT, group)
        if not os.path.isdir(d):
            continue
        benches = sorted(b for b in os.listdir(d) if os.path.isdir(os.path.join(d, b)) and b != "report")
        base = median(group, "fastprom")
        for b in sorted(benches, key=lambda b: (b != "fastprom", b)):
            m = median(group, b)
            if m is None:
                continue
            ratio = f"{m / base:.2f}x" if base else "-"
            print(f"| {title} | {b} | {fmt(m)} | {ratio} |")
            title = ""


if __name__ == "__main__":
    main()
