"""Checks that two SVI outputs (kwm's and pandas') hold the same numbers, row by row.

usage: compare.py A.csv B.csv   — exits non-zero and names the first differences otherwise.
"""

import csv
import sys


def main(a_path, b_path):
    with open(a_path, newline="") as fa, open(b_path, newline="") as fb:
        a, b = list(csv.DictReader(fa)), list(csv.DictReader(fb))
    assert len(a) == len(b), f"{len(a)} vs {len(b)} rows"
    columns = [c for c in a[0] if c != "FIPS"]
    diffs = []
    for ra, rb in zip(a, b):
        if ra["FIPS"] != rb["FIPS"]:
            diffs.append(f"FIPS {ra['FIPS']} vs {rb['FIPS']}")
        diffs += [f"{ra['FIPS']} {c}: {ra[c]} vs {rb[c]}" for c in columns if float(ra[c]) != float(rb[c])]
    if diffs:
        sys.exit(f"{len(diffs)} differences, first: {diffs[:10]}")
    print(f"identical: {len(a)} rows x {len(columns)} columns")


if __name__ == "__main__":
    main(*sys.argv[1:3])
