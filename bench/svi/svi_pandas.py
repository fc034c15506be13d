"""CDC/ATSDR SVI 2018 computed with pandas: the baseline for `kwm svi` (bench/svi/run.sh).

A straightforward, vectorised implementation of the same method a data analyst would write:
PERCENTRANK.INC with minimum ranks over the non-missing values, rounded half away from zero
to 4 decimals; theme sums of rounded ranks; flags at >= 0.90; -999 for missing values and for
every computed column of zero-population areas; any -999 in a sum or count makes it -999.

usage: svi_pandas.py INPUT.csv OUTPUT.csv [--repeat N]
With --repeat N the computation (read, compute, write) runs N times in one process and the
median wall time is printed, which leaves out interpreter start-up and `import pandas`.
"""

import sys
import time

import numpy as np
import pandas as pd

THEMES = {
    1: ["POV", "UNEMP", "PCI", "NOHSDP"],
    2: ["AGE65", "AGE17", "DISABL", "SNGPNT"],
    3: ["MINRTY", "LIMENG"],
    4: ["MUNIT", "MOBILE", "CROWD", "NOVEH", "GROUPQ"],
}
INVERTED = {"PCI"}
MISSING = -999
DECIMALS = 4


def round_half_away(x):
    # pandas' round() is half-to-even on the binary value; CDC (Excel ROUND) rounds half away
    # from zero. Values here are >= 0. The 1e-9 guards binary representation just below .5.
    scale = 10.0**DECIMALS
    return np.floor(x * scale + 0.5 + 1e-9) / scale


def percent_rank(s):
    """PERCENTRANK.INC over the non-missing values (NaN = missing), ties at the minimum rank."""
    n = s.notna().sum()
    return (s.rank(method="min") - 1) / (n - 1)


def compute(df):
    populated = df["E_TOTPOP"] != 0
    out = pd.DataFrame({"FIPS": df["FIPS"]})
    epl, flags, spl, rpl, fth = {}, {}, {}, {}, {}
    for k, variables in THEMES.items():
        for v in variables:
            x = df[f"EP_{v}"].where((df[f"EP_{v}"] != MISSING) & populated)
            p = round_half_away(percent_rank(x))
            if v in INVERTED:
                p = round_half_away(1 - p)
            epl[v] = p
            flags[v] = (p >= 0.90).astype(float).where(p.notna())
        # sum(min_count=len) gives NaN as soon as one term is missing.
        spl[k] = round_half_away(pd.concat([epl[v] for v in variables], axis=1).sum(axis=1, min_count=len(variables)))
        rpl[k] = round_half_away(percent_rank(spl[k]))
        fth[k] = pd.concat([flags[v] for v in variables], axis=1).sum(axis=1, min_count=len(variables))
    spl_all = round_half_away(pd.concat(spl.values(), axis=1).sum(axis=1, min_count=4))
    rpl_all = round_half_away(percent_rank(spl_all))
    f_total = pd.concat(fth.values(), axis=1).sum(axis=1, min_count=4)

    for k, variables in THEMES.items():
        for v in variables:
            out[f"EPL_{v}"] = epl[v]
        out[f"SPL_THEME{k}"] = spl[k]
        out[f"RPL_THEME{k}"] = rpl[k]
    out["SPL_THEMES"] = spl_all
    out["RPL_THEMES"] = rpl_all
    for k, variables in THEMES.items():
        for v in variables:
            out[f"F_{v}"] = flags[v].fillna(MISSING).astype(int)
        out[f"F_THEME{k}"] = fth[k].fillna(MISSING).astype(int)
    out["F_TOTAL"] = f_total.fillna(MISSING).astype(int)
    return out.fillna(MISSING)


def run(src, dst):
    columns = ["FIPS", "E_TOTPOP"] + [f"EP_{v}" for vs in THEMES.values() for v in vs]
    df = pd.read_csv(src, usecols=columns, dtype={"FIPS": str})
    compute(df).to_csv(dst, index=False)


def main(argv):
    if len(argv) not in (3, 5):
        sys.exit(__doc__)
    repeat = int(argv[4]) if len(argv) == 5 and argv[3] == "--repeat" else 1
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(argv[1], argv[2])
        times.append(time.perf_counter() - t0)
    if repeat > 1:
        times.sort()
        print(f"in-process median {times[len(times) // 2] * 1000:.1f} ms over {repeat} runs")


if __name__ == "__main__":
    main(sys.argv)
