#!/usr/bin/env bash
# Serving latency of two builds side by side, in one run, interleaved (old, new, old, new …) so
# both see the same machine: ratios, not absolute numbers, are what this measures.
#
#   bash bench/store/compare_serving.sh OLD_KWM NEW_KWM STORE.sqlite
#
# OLD_KWM/NEW_KWM: two `kwm` release binaries (e.g. one built from an older commit in a git
# worktree); STORE: a SQLite store both can open (each serves its own copy, so a migration by
# the newer one does not touch the older one's). Needs `ab` (Debian: apache2-utils).
set -euo pipefail
old=$1 new=$2 store=$3
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$store" "$work/old.sqlite"
cp "$store" "$work/new.sqlite"
"$old" serve --db "$work/old.sqlite" --addr 127.0.0.1:18761 --rate-limit 0 >"$work/old.log" 2>&1 &
"$new" serve --db "$work/new.sqlite" --addr 127.0.0.1:18762 --rate-limit 0 >"$work/new.log" 2>&1 &
for port in 18761 18762; do
  for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/openapi.json" && break; sleep 1; done
done
paths=(
  "/api/regions/GM0599"
  "/regio/GM0599"
  "/api/observations?indicator=vo_moeite_met_rondkomen_18plus&level=buurt&period=2020"
  "/stapeling?level=wijk&gemeente=GM0599"
)
printf '| request | c | old req/s | new req/s | ratio | old p50/p99 ms | new p50/p99 ms |\n|---|---:|---:|---:|---:|---:|---:|\n'
for path in "${paths[@]}"; do
  curl -s -o /dev/null "http://127.0.0.1:18761$path"; curl -s -o /dev/null "http://127.0.0.1:18762$path"
  for c in 1 16; do
    n=$([ "$c" = 1 ] && echo 150 || echo 600)
    declare -A rps p50 p99
    for port in 18761 18762; do
      r=$(ab -q -n "$n" -c "$c" "http://127.0.0.1:$port$path" 2>&1)
      rps[$port]=$(echo "$r" | awk '/Requests per second/ {print $4}')
      p50[$port]=$(echo "$r" | awk '$1=="50%" {print $2}')
      p99[$port]=$(echo "$r" | awk '$1=="99%" {print $2}')
    done
    ratio=$(awk -v a="${rps[18761]}" -v b="${rps[18762]}" 'BEGIN {printf "%.2f", b / a}')
    echo "| \`$path\` | $c | ${rps[18761]} | ${rps[18762]} | ${ratio}× | ${p50[18761]} / ${p99[18761]} | ${p50[18762]} / ${p99[18762]} |"
  done
done
for port in 18761 18762; do
  pid=$(lsof -ti "tcp:$port" -sTCP:LISTEN 2>/dev/null || pgrep -f "127.0.0.1:$port" | head -1)
  echo "port $port: $(grep -E 'RssAnon|RssFile' /proc/"$pid"/status | tr -s ' \t' ' ' | tr '\n' ' ')"
done
