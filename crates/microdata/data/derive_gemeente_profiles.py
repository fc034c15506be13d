#!/usr/bin/env python3
"""Derives gemeente_profiles_2025.csv: per gemeente (GM code, indeling 2025) the population by
nine age groups and the private households by type, from CBS StatLine 70072NED (Regionale
kerncijfers Nederland, 1 January 2025).

The StatLine download names gemeenten but carries no codes; codes come from the statnaam/statcode
pairs of the gemeente boundaries 2024 in data/boundaries (all 342 names match once the suffix
" (gemeente)" is dropped). Values are copied unchanged.

Usage: python3 derive_gemeente_profiles.py SHARED_DATA_DIR REPO_DIR > gemeente_profiles_2025.csv
"""
import csv
import json
import sys

shared, repo = sys.argv[1], sys.argv[2]
geo = json.load(open(f"{repo}/data/boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson", encoding="utf-8"))
code_of = {f["properties"]["statnaam"]: f["properties"]["statcode"] for f in geo["features"]}
rows = list(csv.reader(open(f"{shared}/regionale_kerncijfers/Regionale_kerncijfers_Nederland_11122025_133649.csv",
                            encoding="utf-8-sig"), delimiter=";"))
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["gemeente", "name", "population", "age_0_4", "age_5_9", "age_10_14", "age_15_19", "age_20_24",
              "age_25_44", "age_45_64", "age_65_79", "age_80_plus", "households", "hh_one_person",
              "hh_without_children", "hh_with_children"])
seen = 0
for r in rows[1:]:
    name = r[1].replace(" (gemeente)", "")
    if name not in code_of or not r[2]:
        continue
    seen += 1
    out.writerow([code_of[name], name, r[2], *r[3:12], r[46], r[47], r[48], r[49]])
assert seen == 342, seen
