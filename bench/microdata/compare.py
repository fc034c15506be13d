"""Checks that `kwm microdata stack` and the DuckDB (or Polars) script computed the same
aggregation: every value kwm publishes equals the other tool's count (cells the other tool
does not list are zero), and every count the other tool suppresses as 1..9 is suppressed by
kwm too. Usage: compare.py KWM.csv OTHER.csv"""
import csv
import sys

def load(path):
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            ind = r["indicator"].removeprefix("synthetic_")
            out[(r["region"], r["period"], ind, r["breakdown"])] = r["value"]
    return out

kwm, other = load(sys.argv[1]), load(sys.argv[2])
published = suppressed = zero = 0
for key, v in kwm.items():
    o = other.get(key)
    if v == "":
        suppressed += 1
        continue
    published += 1
    if o is None:
        assert float(v) == 0, f"{key}: kwm {v}, other tool has no such cell"
        zero += 1
    else:
        assert o != "" and float(o) == float(v), f"{key}: kwm {v}, other {o!r}"
for key, o in other.items():
    assert key in kwm, f"{key} missing in kwm output"
    if o == "":
        assert kwm[key] == "", f"{key}: other suppresses, kwm publishes {kwm[key]}"
print(f"same aggregation: {published} published values equal ({zero} zero cells the other tool omits), "
      f"{suppressed} suppressed by kwm (primary + secondary), every primary of the other tool suppressed")
