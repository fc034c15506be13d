#!/usr/bin/env python3
"""Makes the national part of the demo data from the project's shared data folder.

Usage: python3 data/scripts/extract_national.py ../shared/data data

Keeps only the columns the catalogue uses, so that the clone stays small; values, codes and row
order are unchanged (every kept cell is copied as text). What each output is and where its
source came from: data/README.md and the PROVENANCE.md of each shared folder.
"""
import csv
import json
import os
import shutil
import sys

src, out = sys.argv[1], sys.argv[2]

# RIVM 50090NED (Gezondheid per wijk en buurt): keys, the population dimension and the columns
# that characteristics, protective factors and groups use.
RIVM_KEEP = [
    "WijkenEnBuurten", "Leeftijd", "Marges", "Perioden", "Gemeentenaam_1",
    "ErvarenGezondheidGoedZeerGoed_4", "WekelijkseSporters_6",
    "EenOfMeerLangdurigeAandoeningen_16", "BeperktVanwegeGezondheid_17",
    "EenOfMeerLichamelijkeBeperkingen_20", "HoogRisicoOpAngstOfDepressie_25",
    "HeelVeelStressInAfgelopen4Weken_26", "Eenzaam_28", "ErnstigZeerErnstigEenzaam_29",
    "SociaalEenzaam_31", "Mantelzorger_32", "Vrijwilligerswerk_33", "MoeiteMetRondkomen_38",
]
RIVM_FILES = [
    "50090NED_2012_18plus.csv", "50090NED_2016_18plus.csv", "50090NED_2020_18plus.csv",
    "50090NED_2016_65plus.csv", "50090NED_2020_65plus.csv",
]
os.makedirs(os.path.join(out, "rivm"), exist_ok=True)
for name in RIVM_FILES:
    with open(os.path.join(src, "rivm_gezondheid_wijk_buurt_50090NED", name), newline="") as f:
        rows = list(csv.reader(f))
    idx = [rows[0].index(c) for c in RIVM_KEEP]
    with open(os.path.join(out, "rivm", name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for r in rows:
            w.writerow([r[i] for i in idx])

# KWB 2020 per gemeente in the Wijk- en Buurtkaart attribute format.
KWB_KEEP = [
    "GM_CODE", "GM_NAAM", "JAAR", "STED", "AANT_INW", "AANTAL_HH", "P_EENP_HH", "P_HH_M_K",
    "P_15_24_JR", "P_65_EO_JR", "WWB_UITTOT", "AO_UIT_TOT", "WW_UIT_TOT", "A_SOZ_OW", "A_BEDV",
    "A_BED_GI", "A_BED_RU", "OpleidingsniveauLaag_64", "OpleidingsniveauMiddelbaar_65",
    "OpleidingsniveauHoog_66", "k_40PersonenMetLaagsteInkomen_73",
    "HuishoudensMetEenLaagInkomen_78", "HuishOnderOfRondSociaalMinimum_79",
    "MediaanVermogenVanParticuliereHuish_82",
]
with open(os.path.join(src, "kwb2020_gemeente", "kwb_2020_gemeente.csv"), newline="") as f:
    rows = list(csv.reader(f))
idx = [rows[0].index(c) for c in KWB_KEEP]
with open(os.path.join(out, "kwb", "kwb_2020_gemeente_wijkbuurtkaart.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    for r in rows:
        w.writerow([r[i] for i in idx])

# KWB 2024 population and ages for every level: copied byte for byte.
shutil.copyfile(
    os.path.join(src, "kwb2024_leeftijd_alle_niveaus", "Kerncijfers_wijken_en_buurten_2024_geslachten.csv"),
    os.path.join(out, "kwb", "kwb_2024_85984NED_alle_niveaus_leeftijd.csv"),
)

# Wijk boundaries 2022: code and name only (the figures are loaded from their own tables),
# coordinates rounded from 6 to 5 decimals (about 1 m, the precision they were stored with).
with open(os.path.join(src, "wijk_2022_grenzen_nl", "wijk_2022_pdok_gegeneraliseerd_wgs84.geojson")) as f:
    gj = json.load(f)


def rnd(c):
    return [rnd(x) for x in c] if isinstance(c[0], list) else [round(c[0], 5), round(c[1], 5)]


for feat in gj["features"]:
    p = feat["properties"]
    feat["properties"] = {"statcode": p["statcode"], "statnaam": p["statnaam"]}
    feat["geometry"]["coordinates"] = rnd(feat["geometry"]["coordinates"])
with open(os.path.join(out, "boundaries", "wijk_2022_pdok_gegeneraliseerd.geojson"), "w") as f:
    json.dump(gj, f, separators=(",", ":"))
