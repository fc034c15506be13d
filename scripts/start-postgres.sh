#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: its own cluster under /tmp, listening only on a
# Unix socket (no port to collide with), fsync off. Idempotent: a running cluster is reused.
#
#   eval "$(scripts/start-postgres.sh)"   # starts it and exports KWM_TEST_POSTGRES
#   scripts/start-postgres.sh stop        # stops it (the data directory stays, for a quick restart)
#
# stdout is only the `export KWM_TEST_POSTGRES=...` line; progress goes to stderr.
# Needs Debian's postgresql package (`apt-get install -y postgresql`; .ci/run installs it).
# initdb and postgres refuse to run as root, so as root the cluster belongs to the `postgres`
# user the package creates.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL server not installed: run \`apt-get update && apt-get install -y postgresql\` (as root)" >&2
  exit 1
fi

# One cluster per checkout, so engineers working in several worktrees do not share one.
dir=${KWM_PG_DIR:-/tmp/kwm-pg-$(pwd | sha256sum | cut -c1-10)}
data=$dir/data
socket=$dir/socket
db=kwm_test

if [ "$(id -u)" = 0 ]; then
  owner=postgres
  # From /, which the postgres user can always enter (a checkout under /root it cannot).
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  owner=$(id -un)
  as_owner() { "$@"; }
fi

if [ "${1:-}" = stop ]; then
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2
  fi
  exit 0
fi

mkdir -p "$dir" "$socket"
chown "$owner" "$dir" "$socket"
if [ ! -f "$data/PG_VERSION" ]; then
  echo "== initdb $data" >&2
  as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
fi
if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  echo "== starting PostgreSQL ($bin) on socket $socket" >&2
  # Durability settings off: this cluster only ever holds test data.
  as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$socket' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || { tail -n 20 "$dir/server.log" >&2; exit 1; }
fi
if ! as_owner "$bin/psql" -h "$socket" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  as_owner "$bin/psql" -h "$socket" -U postgres -d postgres -qc "CREATE DATABASE $db" >&2
fi

# The socket directory goes in the URL's host part, percent-encoded.
host=$(printf '%s' "$socket" | sed 's|/|%2F|g')
echo "export KWM_TEST_POSTGRES='postgres://postgres@$host/$db'"
