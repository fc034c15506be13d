"""Reference run of PySAL libpysal/esda for `kwm spatial`, used by crates/cli/tests/spatial_vs_esda.rs.

Reads the same boundaries and values as the Rust side, builds libpysal weights, runs esda's
Moran_Local, G_Local (G_i and G_i*), Moran and the conditional randomisation engine for every
alternative, and writes what it found as CSV/JSON into OUT_DIR:

  neighbours_queen.csv, neighbours_rook.csv  libpysal Queen/Rook.from_dataframe (exact vertices), all regions
  neighbours_fuzzy.csv                        libpysal fuzzy_contiguity, RD New, buffer 0.5 m (boundaries within 1 m)
  neighbours_knn5.csv                         libpysal KNN k=5 on RD New centroids
  local.csv                                   one row per analysed region: every local statistic
  global.json                                 Moran's I, its moments and permutation test; versions

For each pseudo p-value the script also writes `ties_*`: how many of the R simulated statistics
lie within 1e-9 (relative) of the observed one, in the space the alternative compares in. Only
such near-ties can be counted differently by two correct implementations that see identical
random draws but sum in a different order (BLAS vs a plain loop); the Rust test allows exactly
that much difference and nothing more.

Usage: spatial_esda.py BOUNDARIES VALUES_CSV COLUMN PERMUTATIONS SEED OUT_DIR
"""

import json
import sys
import warnings

import esda
import geopandas as gpd
import libpysal
import numba
import numpy as np
import pandas as pd
from esda.crand import crand
from esda.moran import _moran_local_crand
from libpysal import weights

warnings.filterwarnings("ignore")

boundaries, values_csv, column, permutations, seed, out_dir = sys.argv[1:]
permutations, seed = int(permutations), int(seed)

gdf = gpd.read_file(boundaries)
codes = gdf["statcode"].str.strip().tolist()


def write_pairs(w, path):
    with open(path, "w") as f:
        f.write("code,neighbour\n")
        for i, nbs in w.neighbors.items():
            for j in nbs:
                f.write(f"{codes[i]},{codes[j]}\n")


queen_all = weights.Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
rook_all = weights.Rook.from_dataframe(gdf, use_index=False, silence_warnings=True)
write_pairs(queen_all, f"{out_dir}/neighbours_queen.csv")
write_pairs(rook_all, f"{out_dir}/neighbours_rook.csv")
rd = gdf.to_crs(28992)
write_pairs(weights.fuzzy_contiguity(rd, buffering=True, buffer=0.5, silence_warnings=True), f"{out_dir}/neighbours_fuzzy.csv")
write_pairs(weights.KNN.from_dataframe(rd, k=5, use_index=False), f"{out_dir}/neighbours_knn5.csv")

# Values: StatLine TypedDataSet (';', padded codes, empty = suppressed), joined on the code.
table = pd.read_csv(values_csv, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
key = next(c for c in table.columns if c.lower() in ("code", "region", "regio", "statcode", "regios"))
table[key] = table[key].str.strip()
value_col = next(c for c in table.columns if c.lower() == column.lower())
by_code = dict(zip(table[key], pd.to_numeric(table[value_col].str.strip(), errors="coerce")))
y_all = np.array([by_code.get(c, np.nan) for c in codes], dtype=float)
keep = [i for i in range(len(codes)) if np.isfinite(y_all[i])]
y = y_all[keep]
kept_codes = [codes[i] for i in keep]


def subset(w_all):
    """libpysal's w_subset, renumbered 0..m-1 in boundary order."""
    sub = weights.w_subset(w_all, keep, silence_warnings=True)
    pos = {old: new for new, old in enumerate(keep)}
    return weights.W({pos[i]: [pos[j] for j in sub.neighbors[i]] for i in keep}, silence_warnings=True)


def queen():
    return subset(queen_all)


def near_ties(observed, sims):
    scale = np.maximum(np.abs(observed), 1e-300)[:, None]
    return (np.abs(sims - observed[:, None]) <= 1e-9 * scale).sum(axis=1)


def numba_percentile(sorted_values, q):
    """np.percentile as numba computes it (lower*(1-m) + upper*m), on sorted values."""
    n = len(sorted_values)
    if q == 0:
        return sorted_values[0]
    if q == 100:
        return sorted_values[-1]
    rank = 1 + (n - 1) * (q / 100.0)
    f = np.floor(rank)
    m = rank - f
    k = int(f) - 1
    return sorted_values[k] * (1 - m) + sorted_values[min(k + 1, n - 1)] * m


def two_sided_ties(observed, sims):
    """Near-ties for the two-sided rule. A tie at the observed value moves the percentile
    (and with it both bounds) and can flip up to two counts; values tied with a bound flip one.
    The percentile bounds are interpolated between order statistics, and with discrete data
    they often coincide with several simulated values up to rounding."""
    at_observed = near_ties(observed, sims)
    ties = np.empty(len(observed), dtype=int)
    for i in range(len(observed)):
        s = np.sort(sims[i])
        pct = (sims[i] <= observed[i]).mean() * 100
        p_low = min(pct, 100 - pct)
        bounds = np.array([numba_percentile(s, p_low), numba_percentile(s, 100 - p_low)])
        near_bounds = (np.abs(s[None, :] - bounds[:, None]) <= 1e-9 * np.maximum(np.abs(bounds), 1e-300)[:, None]).sum()
        ties[i] = 2 * at_observed[i] + near_bounds
    return ties


out = pd.DataFrame({"code": kept_codes, "value": y})
w = queen()
out["island"] = [len(w.neighbors[i]) == 0 for i in range(len(y))]

lisa = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed, n_jobs=1)
out["lisa_i"] = lisa.Is
out["lisa_quadrant"] = lisa.q
out["lisa_p_sim"] = lisa.p_sim
out["lisa_mean_sim"] = lisa.EI_sim
out["lisa_sd_sim"] = lisa.seI_sim
out["lisa_z_sim"] = lisa.z_sim
out["lisa_p_z_sim"] = lisa.p_z_sim
out["lisa_ei_conditional"] = lisa.EIc
out["lisa_vi_conditional"] = lisa.VIc
out["lisa_ei_total"] = lisa.EI
out["lisa_vi_total"] = lisa.VI
out["ties_lisa_directed"] = near_ties(lisa.Is, lisa.rlisas)

# Every alternative through esda's engine itself, on the same draws.
z = (y - y.mean()) / y.std()
for alternative in ("two-sided", "greater", "lesser", "folded"):
    w_alt = queen()
    w_alt.transform = "r"
    p, sims = crand(z, w_alt, lisa.Is, permutations, True, 1, _moran_local_crand, seed=seed, alternative=alternative)
    name = alternative.replace("-", "_")
    out[f"lisa_p_sim_{name}"] = p
    if alternative == "folded":
        mean = sims.mean(axis=1)
        out[f"ties_lisa_{name}"] = near_ties(np.abs(lisa.Is - mean), np.abs(sims - mean[:, None]))
    elif alternative == "two-sided":
        out[f"ties_lisa_{name}"] = two_sided_ties(lisa.Is, sims)
    else:
        out[f"ties_lisa_{name}"] = near_ties(lisa.Is, sims)

for prefix, star in (("gistar", True), ("gi", False)):
    g = esda.G_Local(y, queen(), transform="R", permutations=permutations, star=star, seed=seed, n_jobs=1)
    out[f"{prefix}_g"] = g.Gs
    out[f"{prefix}_expected"] = g.EGs
    out[f"{prefix}_variance"] = g.VGs
    out[f"{prefix}_z"] = g.Zs
    out[f"{prefix}_p_norm"] = g.p_norm
    # crand stores p_sim as float32; recover the exact count M from it.
    out[f"{prefix}_p_sim"] = np.round(np.asarray(g.p_sim, dtype=float) * (permutations + 1)) / (permutations + 1)
    out[f"{prefix}_mean_sim"] = g.EG_sim
    out[f"{prefix}_sd_sim"] = g.seG_sim
    out[f"{prefix}_z_sim"] = g.z_sim
    out[f"{prefix}_p_z_sim"] = g.p_z_sim
    out[f"ties_{prefix}"] = near_ties(g.Gs, g.rGs)

out.to_csv(f"{out_dir}/local.csv", index=False, float_format="%.17g")

w_global = queen()
np.random.seed(seed)
mi = esda.Moran(y, w_global, transformation="r", permutations=permutations)
summary = {
    "versions": {"esda": esda.__version__, "libpysal": libpysal.__version__, "numpy": np.__version__, "numba": numba.__version__},
    "analysed": len(y),
    "islands": [kept_codes[i] for i in w_global.islands],
    "islands_all": [codes[i] for i in queen_all.islands],
    "global_moran": {
        "I": mi.I, "EI": mi.EI, "VI_norm": mi.VI_norm, "z_norm": mi.z_norm, "p_norm": mi.p_norm,
        "VI_rand": mi.VI_rand, "z_rand": mi.z_rand, "p_rand": mi.p_rand,
        "p_sim": mi.p_sim, "EI_sim": mi.EI_sim, "seI_sim": mi.seI_sim, "z_sim": mi.z_sim, "p_z_sim": mi.p_z_sim,
        "ties": int(near_ties(np.array([mi.I]), mi.sim[None, :])[0]),
    },
}
with open(f"{out_dir}/global.json", "w") as f:
    json.dump(summary, f, indent=1)
