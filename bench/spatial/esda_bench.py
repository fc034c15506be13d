"""The esda side of the `kwm spatial` benchmark: what a PySAL user runs for the same job.

Reads the boundaries and values, builds libpysal Queen weights, runs esda's Moran_Local and
G_Local(star=True) with their numba engine (999 permutations, esda defaults otherwise), and
writes one CSV row per region. Phase times go to stdout as JSON. A warm-up on 50 regions first
compiles numba's kernels, so the phase times are warm; the process total (measured outside by
/usr/bin/time) includes compilation and imports.

Usage: esda_bench.py BOUNDARIES VALUES OUT_CSV N_JOBS [SEED]
"""

import json
import sys
import time
import warnings

t_start = time.perf_counter()
import esda  # noqa: E402
import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from libpysal import weights  # noqa: E402

warnings.filterwarnings("ignore")
boundaries, values, out_csv, n_jobs = sys.argv[1:5]
n_jobs = int(n_jobs)
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 12345
times = {"imports": time.perf_counter() - t_start}


def phase(name, start):
    times[name] = time.perf_counter() - start


t = time.perf_counter()
gdf = gpd.read_file(boundaries)
table = pd.read_csv(values)
gdf = gdf.merge(table, left_on="statcode", right_on="code", how="inner")
y = gdf["value"].to_numpy(dtype=float)
phase("read", t)

# Warm-up: compile the numba kernels on a small piece of the same data.
t = time.perf_counter()
small = gdf.iloc[:50].reset_index(drop=True)
w_small = weights.Queen.from_dataframe(small, use_index=False, silence_warnings=True)
esda.Moran_Local(small["value"].to_numpy(dtype=float), w_small, permutations=99, seed=seed, n_jobs=n_jobs)
esda.G_Local(small["value"].to_numpy(dtype=float), w_small, star=True, permutations=99, seed=seed, n_jobs=n_jobs)
phase("numba_warmup", t)

t = time.perf_counter()
w = weights.Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
phase("weights_queen", t)

t = time.perf_counter()
lisa = esda.Moran_Local(y, w, transformation="r", permutations=999, seed=seed, n_jobs=n_jobs)
phase("lisa", t)

t = time.perf_counter()
gistar = esda.G_Local(y, w, transform="R", star=True, permutations=999, seed=seed, n_jobs=n_jobs)
phase("gistar", t)

t = time.perf_counter()
pd.DataFrame(
    {
        "code": gdf["statcode"], "value": y, "lisa_i": lisa.Is, "lisa_quadrant": lisa.q, "lisa_p_sim": lisa.p_sim,
        "gistar_g": gistar.Gs, "gistar_z": gistar.Zs, "gistar_p_sim": gistar.p_sim,
    }
).to_csv(out_csv, index=False)
phase("write", t)
times["total_in_script"] = time.perf_counter() - t_start
times["regions"] = len(y)
times["islands"] = len(w.islands)
times["links"] = int(w.s0)
print(json.dumps(times))
