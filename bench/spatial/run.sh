#!/usr/bin/env bash
# Benchmark: `kwm spatial` (release) vs PySAL esda (numba engine) on ~14,000 buurt-sized polygons,
# LISA + Gi* with 999 permutations. Wall time and peak memory from /usr/bin/time -v; phase times
# from `kwm --timings` and from bench/spatial/esda_bench.py. See README.md; results in RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED="${KWM_SHARED_DATA:-$(pwd)/../shared/data}"
OUT=target/bench-spatial
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
bash scripts/setup-python.sh
PY=.venv/bin/python
if [ ! -f "$OUT/buurten_14k.geojson" ]; then
  $PY bench/spatial/make_layout.py "$SHARED/boundaries_amsterdam/wijk_2017_nl_cbs_gegeneraliseerd.geojson" "$OUT"
fi
cargo build --release -p kwm-cli
KWM=target/release/kwm
COMMON=(--boundaries "$OUT/buurten_14k.geojson" --values "$OUT/values_14k.csv" --column value --statistic lisa,gistar --permutations 999 --seed 12345 --timings)

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.time"
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$OUT/$name.time" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$OUT/$name.time" | awk '{print $NF}')
  printf '%-28s wall %-9s peak RSS %7.1f MB\n' "$name" "$wall" "$(awk -v r="$rss" 'BEGIN{print r/1024}')"
  grep -h "^timings:" "$OUT/$name.time" || true
  grep -h '^{' "$OUT/$name.stdout" || true
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
measure kwm_queen_exact "$KWM" spatial "${COMMON[@]}" --weights queen --snap 0 --out "$OUT/kwm_out.csv"
measure kwm_queen_exact_1thread "$KWM" spatial "${COMMON[@]}" --weights queen --snap 0 --threads 1 --out "$OUT/kwm_out_1.csv"
measure kwm_queen_snap1m "$KWM" spatial "${COMMON[@]}" --weights queen --snap 1 --out "$OUT/kwm_out_snap.csv"
measure esda_numba_njobs-1 $PY bench/spatial/esda_bench.py "$OUT/buurten_14k.geojson" "$OUT/values_14k.csv" "$OUT/esda_out.csv" -1
measure esda_numba_njobs1 $PY bench/spatial/esda_bench.py "$OUT/buurten_14k.geojson" "$OUT/values_14k.csv" "$OUT/esda_out_1.csv" 1
cmp -s "$OUT/kwm_out.csv" "$OUT/kwm_out_1.csv" && echo "kwm output identical with 1 thread and all threads"
echo "machine after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
