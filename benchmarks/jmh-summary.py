#!/usr/bin/env python3
"""Summarize a JMH JSON result (-rf json): mean ± error, median and best iteration per benchmark.

On a shared, busy machine the mean is dominated by descheduling; the best iteration is the closest
to the code's own cost. Usage: benchmarks/jmh-summary.py result.json
"""
import json
import statistics
import sys

rows = json.load(open(sys.argv[1]))
print("| benchmark | param | mean ± 99.9% CI | median iteration | best iteration | unit |")
print("|---|---|---|---|---|---|")
for b in rows:
    raw = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
    m = b["primaryMetric"]
    name = ".".join(b["benchmark"].split(".")[-2:])
    params = b.get("params", {})
    p = ", ".join(f"{k}={v}" for k, v in params.items()) or "–"
    err = m["scoreError"]
    err = f"{err:,.0f}" if isinstance(err, (int, float)) and err == err else "n/a"
    print(f"| {name} | {p} | {m['score']:,.0f} ± {err} | {statistics.median(raw):,.0f} "
          f"| {min(raw):,.0f} | {m['scoreUnit']} |")
