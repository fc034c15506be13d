#!/usr/bin/env bash
# Store benchmark (size, ingest rate, buurt compute, serving latency and memory) on SQLite and
# PostgreSQL, DuckDB beside it; writes bench/store/RESULTS.md. Generated stores and synthetic
# files go to target/bench-store (never into the repository).
#
#   bash bench/store/run.sh                          # real demo set + 10 years x 100 indicators (14M figures)
#   bash bench/store/run.sh --years 20               # ~28M figures
#   bash bench/store/run.sh --years 5 --indicators 40  # smaller synthetic scale-up
#   bash bench/store/run.sh --skip-postgres --skip-synthetic
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p kwm-cli
bash scripts/setup-python.sh
command -v ab >/dev/null || { echo "needs ab (Debian: apache2-utils)"; exit 1; }
if [ -z "${KWM_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/start-postgres.sh)"
  trap 'scripts/start-postgres.sh stop' EXIT
fi
.venv/bin/python bench/store/run.py "$@"
