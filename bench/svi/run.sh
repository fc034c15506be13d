#!/usr/bin/env bash
# Benchmark: `kwm svi` against a straightforward pandas implementation of the same method
# (bench/svi/svi_pandas.py), on CDC's SVI 2018 county file (3,142 rows) and on that file
# replicated to 75,408 rows (the size of the US tract file), in one run.
#
#   bench/svi/run.sh            # hyperfine if installed, else a Python timing loop
#
# Needs the shared data folder ($KWM_SHARED_DATA, default ../shared/data beside the repo).
# Generated files go to target/bench-svi/, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA="${KWM_SHARED_DATA:-$(pwd)/../shared/data}"
COUNTY="$DATA/svi/SVI2018_US_COUNTY.csv"
OUT=target/bench-svi
RUNS="${RUNS:-10}"
[ -f "$COUNTY" ] || { echo "missing $COUNTY (set KWM_SHARED_DATA)" >&2; exit 1; }
mkdir -p "$OUT"

cargo build --release -p kwm-cli --quiet
scripts/setup-python.sh
PY=.venv/bin/python
KWM=target/release/kwm

"$PY" bench/svi/replicate.py "$COUNTY" "$OUT/svi_75k.csv"

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$KWM" --version); $("$PY" -c 'import sys, pandas, numpy; print(f"Python {sys.version.split()[0]}, pandas {pandas.__version__}, numpy {numpy.__version__}")')"

for name in county:"$COUNTY" tracts75k:"$OUT/svi_75k.csv"; do
  label="${name%%:*}"; input="${name#*:}"
  echo "== $label: $(($(wc -l < "$input") - 1)) rows, $(du -h "$input" | cut -f1)"
  # Same numbers from both, or the timing means nothing.
  "$KWM" svi --edition 2018 "$input" --out "$OUT/kwm_$label.csv" 2>/dev/null
  "$PY" bench/svi/svi_pandas.py "$input" "$OUT/pandas_$label.csv"
  "$PY" bench/svi/compare.py "$OUT/kwm_$label.csv" "$OUT/pandas_$label.csv"

  kwm_cmd="$KWM svi --edition 2018 $input --out $OUT/kwm_$label.csv"
  pd_cmd="$PY bench/svi/svi_pandas.py $input $OUT/pandas_$label.csv"
  if command -v hyperfine > /dev/null; then
    hyperfine --warmup 2 --runs "$RUNS" --style basic --export-json "$OUT/hyperfine_$label.json" \
      -n "kwm svi" "$kwm_cmd" -n "pandas" "$pd_cmd"
    "$PY" - "$OUT/hyperfine_$label.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, p = r["kwm svi"], r["pandas"]
cpu = lambda x: x["user"] + x["system"]
print(f"summary: wall mean kwm {k['mean']*1000:.0f} ms ± {k['stddev']*1000:.0f}, pandas {p['mean']*1000:.0f} ms ± {p['stddev']*1000:.0f}, "
      f"ratio {p['mean']/k['mean']:.1f}x; CPU (user+sys) kwm {cpu(k)*1000:.0f} ms, pandas {cpu(p)*1000:.0f} ms, ratio {cpu(p)/cpu(k):.1f}x")
PY
  else
    "$PY" - "$RUNS" "$kwm_cmd" "$pd_cmd" <<'PY'
import shlex, statistics, subprocess, sys, time
runs = int(sys.argv[1])
def timed(cmd):
    ts = []
    for _ in range(runs + 2):
        t0 = time.perf_counter()
        subprocess.run(shlex.split(cmd), check=True, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t0)
    return ts[2:]
k, p = timed(sys.argv[2]), timed(sys.argv[3])
print(f"summary: wall median kwm {statistics.median(k)*1000:.0f} ms, pandas {statistics.median(p)*1000:.0f} ms, "
      f"ratio {statistics.median(p)/statistics.median(k):.1f}x ({runs} runs each)")
PY
  fi
  # pandas without interpreter start-up and `import pandas`: the computation alone.
  "$PY" bench/svi/svi_pandas.py "$input" "$OUT/pandas_$label.csv" --repeat 5 | sed 's/^/pandas /'
done
