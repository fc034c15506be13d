#!/usr/bin/env bash
# Creates .venv with the Python packages the reference tests and benchmarks compare against
# (pandas, PySAL esda/libpysal, DuckDB, Polars ...), pinned in tools/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! cmp -s tools/requirements.txt .venv/.installed-requirements 2>/dev/null; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
  cp tools/requirements.txt .venv/.installed-requirements
fi
