#!/usr/bin/env bash
# Resident memory of two builds under the same sustained load, side by side: 10,000 region
# profiles (`/api/regions/GM0599`) and then 600 stacking pages of one gemeente's wijken, all at
# concurrency 16, with the anonymous (heap) and file-backed resident memory after each step.
#
#   bash bench/store/memory.sh OLD_KWM NEW_KWM STORE.sqlite
#
# OLD_KWM/NEW_KWM: two `kwm` release binaries; STORE: a SQLite store both can open (each serves
# its own copy). A third column serves NEW_KWM with MALLOC_ARENA_MAX=8 (glibc's default on two
# cores), to show what the arena cap in `kwm serve` does on its own. Needs `ab`
# (Debian: apache2-utils). "Flat" means the last two rows of a column differ by little.
set -euo pipefail
old=$1 new=$2 store=$3
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ports=(18781 18782 18783)
for p in "${ports[@]}"; do cp "$store" "$work/$p.sqlite"; done
"$old" serve --db "$work/18781.sqlite" --addr 127.0.0.1:18781 --rate-limit 0 >"$work/old.log" 2>&1 &
"$new" serve --db "$work/18782.sqlite" --addr 127.0.0.1:18782 --rate-limit 0 >"$work/new.log" 2>&1 &
MALLOC_ARENA_MAX=8 "$new" serve --db "$work/18783.sqlite" --addr 127.0.0.1:18783 --rate-limit 0 \
  >"$work/new8.log" 2>&1 &
for p in "${ports[@]}"; do
  for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$p/api/openapi.json" && break; sleep 1; done
done
rss() { # anonymous / file-backed resident MB of the server on port $1
  local pid
  pid=$(pgrep -f "127.0.0.1:$1" | head -1)
  awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {printf "%d / %d", a/1024, f/1024}' "/proc/$pid/status"
}
row() { printf '| %s | %s | %s | %s |\n' "$1" "$(rss 18781)" "$(rss 18782)" "$(rss 18783)"; }
printf '| after | old: anon / file MB | new | new, MALLOC_ARENA_MAX=8 |\n|---|---:|---:|---:|\n'
row "start"
for round in 1 2 3 4; do
  for p in "${ports[@]}"; do ab -q -n 2500 -c 16 "http://127.0.0.1:$p/api/regions/GM0599" >/dev/null 2>&1; done
  row "$((round * 2500)) profiles"
done
for round in 1 2; do
  for p in "${ports[@]}"; do
    ab -q -n 300 -c 16 "http://127.0.0.1:$p/stapeling?level=wijk&gemeente=GM0599" >/dev/null 2>&1
  done
  row "+ $((round * 300)) stacking pages"
done
