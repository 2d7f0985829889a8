"""One line for the benchmark scripts: the last order of a `polyact fit|pop --json` report read from stdin.

Columns: moments, lower bound, upper bound (nan where the report has none), status, relaxation.
"""
import json
import sys

j = json.load(sys.stdin)
o = j["hierarchy"][-1]
nan = float("nan")
b, u = o["bound"], o["upper_bound"]
print("%7d %+.6e %+.6e %-14s %s" % (o["moments"], nan if b is None else b, nan if u is None else u, j["status"],
                                   o["relaxation"]))
