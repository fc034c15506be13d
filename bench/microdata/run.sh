#!/usr/bin/env bash
# Speed benchmark of `kwm microdata stack` against the same aggregation in DuckDB and Polars,
# on one SYNTHETIC national Parquet file (17.9 million persons), in one run.
#
#   bash bench/microdata/run.sh            # writes bench/microdata/RESULTS.md
#   RUNS=5 bash bench/microdata/run.sh     # more repetitions (median is reported)
#   KWM_BEFORE=path/to/old/kwm bash bench/microdata/run.sh   # also time an earlier build
#
# Two tables: the default profile's (stacking count top-coded: 0, 1, 2, 3+) and the full
# detail 0..12 everywhere (`--stack-detail all`, the table before top-coding); DuckDB and Polars
# compute the same aggregation for each. `--stack-detail gemeente_totals` is run for its
# suppression figures. With `perf` installed, one default run is profiled (where the time goes).
#
# Generated files go to target/bench-microdata (never into the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${BENCH_DIR:-target/bench-microdata}
RUNS=${RUNS:-3}
mkdir -p "$OUT"
cargo build --release -p kwm-cli
bash scripts/setup-python.sh
KWM=target/release/kwm
PY=.venv/bin/python
if [ ! -f "$OUT/persons.parquet" ]; then
  /usr/bin/time -v "$KWM" microdata generate --seed 1 --out "$OUT/persons.parquet" > "$OUT/generate.stdout" 2> "$OUT/generate.time"
fi
BY=gemeente,age_class,ses_class
kwm() { # name binary [options…]
  local name=$1 bin=$2; shift 2
  /usr/bin/time -v "$bin" microdata stack --input "$OUT/persons.parquet" --by "$BY" \
    --out "$OUT/$name.csv" "$@" > "$OUT/$name.$run.stdout" 2> "$OUT/$name.$run.time"
  cp "$OUT/$name.report.md" "$OUT/$name.$run.report.md"
}
py() { # name script mode
  /usr/bin/time -v "$PY" "bench/microdata/$2" "$OUT/persons.parquet" "$OUT/$1.csv" "$3" \
    > "$OUT/$1.$run.stdout" 2> "$OUT/$1.$run.time"
}
rm -f "$OUT"/before.*.time
for run in $(seq 1 "$RUNS"); do
  kwm kwm "$KWM"
  py duckdb duckdb_stack.py top
  py polars polars_stack.py top
  kwm kwm-full "$KWM" --stack-detail all
  py duckdb-full duckdb_stack.py full
  py polars-full polars_stack.py full
  kwm kwm-gemeente-totals "$KWM" --stack-detail gemeente_totals
  if [ -n "${KWM_BEFORE:-}" ]; then
    kwm before "$KWM_BEFORE"
  fi
done
for t in "" -full; do
  $PY bench/microdata/compare.py "$OUT/kwm$t.csv" "$OUT/duckdb$t.csv" > "$OUT/compare-duckdb$t.txt"
  $PY bench/microdata/compare.py "$OUT/kwm$t.csv" "$OUT/polars$t.csv" > "$OUT/compare-polars$t.txt"
done
rm -f "$OUT/perf.txt"
if command -v perf > /dev/null && perf record -g -o "$OUT/perf.data" "$KWM" microdata stack \
    --input "$OUT/persons.parquet" --by "$BY" --out "$OUT/kwm-perf.csv" > /dev/null 2> "$OUT/perf.err"; then
  perf report -i "$OUT/perf.data" --no-children --sort symbol --stdio 2> /dev/null > "$OUT/perf.txt" || rm -f "$OUT/perf.txt"
fi
$PY bench/microdata/summarise.py "$OUT" "$RUNS" > bench/microdata/RESULTS.md
cat bench/microdata/RESULTS.md
