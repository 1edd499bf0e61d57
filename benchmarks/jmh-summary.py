#!/usr/bin/env python3
"""Summarize a JMH JSON result (-rf json): mean ± error, median and best iteration per benchmark.

On a shared, busy machine the mean is dominated by descheduling; the best iteration is the closest
to the code's own cost. Usage: benchmarks/jmh-summary.py result.json
"""
import json
import statistics
import sys

rows = json.load(open(sys.argv[1]))
print("| benchmark | state bytes | mean ± 99.9% CI | median iteration | best iteration | unit |")
print("|---|---|---|---|---|---|")
for b in rows:
    raw = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
    m = b["primaryMetric"]
    name = ".".join(b["benchmark"].split(".")[-2:])
    p = b.get("params", {}).get("stateBytes", "–")
    print(f"| {name} | {p} | {m['score']:,.0f} ± {m['scoreError']:,.0f} | {statistics.median(raw):,.0f} "
          f"| {min(raw):,.0f} | {m['scoreUnit']} |")
