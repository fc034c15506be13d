#!/usr/bin/env python3
"""Converts ../shared/data/kwb/kwb_2019_gemeente_bevolking.csv (KWB 2019, columns renamed by a
third party, see data/README.md) into the monitor's long CSV and a 2019 gemeente code list.
Values are copied unchanged; only the shape changes. Run from the repository root:

    python3 data/scripts/kwb2019_to_long.py ../shared/data/kwb/kwb_2019_gemeente_bevolking.csv
"""
import csv
import sys

COLUMNS = {
    "population": "kwb_aantal_inwoners",
    "men": "kwb_mannen",
    "women": "kwb_vrouwen",
    "b_00_14": "kwb_0_tot_15_jaar",
    "b_15_24": "kwb_15_tot_25_jaar",
    "b_25_44": "kwb_25_tot_45_jaar",
    "b_45_64": "kwb_45_tot_65_jaar",
    "b_65_oo": "kwb_65_jaar_of_ouder",
}

rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
with open("data/kwb/kwb_2019_gemeente_bevolking_long.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["region", "period", "indicator", "value"])
    for r in rows:
        for column, indicator in COLUMNS.items():
            w.writerow([r["unique_id"], 2019, indicator, r[column]])
with open("data/codelists/gemeenten_2019.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["code", "name", "layout"])
    for r in sorted(rows, key=lambda r: r["unique_id"]):
        w.writerow([r["unique_id"], r["region"], 2019])
print(f"{len(rows)} gemeenten")
