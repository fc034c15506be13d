"""Replicates CDC's SVI 2018 county file to about the size of the US tract file (~72,000 rows).

usage: replicate.py INPUT.csv OUTPUT.csv [COPIES]   (default 24 copies: 75,408 rows)

Copy 0 is the original. Later copies get FIPS prefixed with the copy number (all codes keep one
length), every EP_ value scaled by a seeded factor in [0.8, 1.2] and rounded like CDC's (one
decimal, PCI whole dollars) so that values are not all 24-fold ties, and about 0.9% of rows
(the tract file's 645 of ~72,000) set to zero population with -999 inputs, so the benchmark
also exercises the zero-population rule. -999 stays -999. All 123 columns are kept (the other
columns are copied), so both tools parse a file of the real width.
"""

import csv
import random
import sys


def main(src, dst, copies):
    rng = random.Random(2018)
    with open(src, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    ep = [c for c in rows[0] if c.startswith("EP_")]
    keep = list(rows[0])
    with open(dst, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(keep)
        for k in range(copies):
            for r in rows:
                out = {c: r[c] for c in keep}
                if k > 0:
                    out["FIPS"] = f"{k:02d}{r['FIPS']}"
                    if rng.random() < 0.009:
                        out["E_TOTPOP"] = "0"
                        for c in ep:
                            out[c] = "-999"
                    else:
                        for c in ep:
                            v = float(r[c])
                            if v != -999:
                                v *= rng.uniform(0.8, 1.2)
                                out[c] = str(round(v)) if c == "EP_PCI" else f"{v:.1f}"
                else:
                    out["FIPS"] = "00" + r["FIPS"]
                w.writerow([out[c] for c in keep])


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 24)
