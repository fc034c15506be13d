#!/usr/bin/env bash
# Speed benchmark of `kwm microdata stack` against the same aggregation in DuckDB and Polars,
# on one SYNTHETIC national Parquet file (17.9 million persons), in one run.
#
#   bash bench/microdata/run.sh            # writes bench/microdata/RESULTS.md
#   RUNS=5 bash bench/microdata/run.sh     # more repetitions (median is reported)
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
if [ ! -f "$OUT/persons.parquet" ]; then
  /usr/bin/time -v "$KWM" microdata generate --seed 1 --out "$OUT/persons.parquet" > "$OUT/generate.stdout" 2> "$OUT/generate.time"
fi
for run in $(seq 1 "$RUNS"); do
  /usr/bin/time -v "$KWM" microdata stack --input "$OUT/persons.parquet" --by gemeente,age_class,ses_class \
    --out "$OUT/kwm.csv" > "$OUT/kwm.$run.stdout" 2> "$OUT/kwm.$run.time"
  cp "$OUT/kwm.report.md" "$OUT/kwm.$run.report.md"
  /usr/bin/time -v .venv/bin/python bench/microdata/duckdb_stack.py "$OUT/persons.parquet" "$OUT/duckdb.csv" \
    > "$OUT/duckdb.$run.stdout" 2> "$OUT/duckdb.$run.time"
  /usr/bin/time -v .venv/bin/python bench/microdata/polars_stack.py "$OUT/persons.parquet" "$OUT/polars.csv" \
    > "$OUT/polars.$run.stdout" 2> "$OUT/polars.$run.time"
done
.venv/bin/python bench/microdata/compare.py "$OUT/kwm.csv" "$OUT/duckdb.csv" > "$OUT/compare-duckdb.txt"
.venv/bin/python bench/microdata/compare.py "$OUT/kwm.csv" "$OUT/polars.csv" > "$OUT/compare-polars.txt"
.venv/bin/python bench/microdata/summarise.py "$OUT" "$RUNS" > bench/microdata/RESULTS.md
cat bench/microdata/RESULTS.md
