#!/usr/bin/env bash
# Runs the shared intake kit (../shared/bench-intake/run.sh) against Clawback in the same run as
# its other targets (default: pgbench, A and C), with the real all-in-one process (`npm start`
# path: api + worker with the intake linker + console, embedded PostgreSQL, fsync and synchronous
# commit on) started here on its own data dir. Clawback's committed count is every acknowledged
# alert: the intake log plus the linked alerts. Extra arguments go to run.sh.
#
#   test/bench/intake-kit.sh -d 20 --repeat 3
#   KIT_PORT=18410 KIT_PG_PORT=18412 test/bench/intake-kit.sh --targets a,c -d 20
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KIT=${KIT:-$ROOT/../shared/bench-intake/run.sh}
PORT=${KIT_PORT:-8282}
CONSOLE_PORT=${KIT_CONSOLE_PORT:-8283}
PG_PORT=${KIT_PG_PORT:-54360}
DATA=${KIT_DATA_DIR:-$ROOT/test/.tmp/bench-kit}
rm -rf "$DATA"
mkdir -p "$DATA"
export CLAWBACK_DATA_DIR=$DATA CLAWBACK_CONFIG=/dev/null PORT CONSOLE_PORT CLAWBACK_EMBEDDED_PG_PORT=$PG_PORT \
  DATABASE_URL= LOG_LEVEL=warn
cd "$ROOT"
NODE=$ROOT/node_modules/.bin/node # the pinned Node 24 (the system one may be older)
setsid "$NODE" --max-semi-space-size=16 console/src/main.ts >"$DATA/server.log" 2>&1 &
CB_PID=$!
trap 'kill -TERM "$CB_PID" 2>/dev/null; wait "$CB_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
URL=$("$NODE" appliance/bin/clawbackctl.ts source create --type json --name "kit-$(date +%s)" | tail -1)
DB="postgres://clawback:$(cat "$DATA/pg.password")@127.0.0.1:$PG_PORT/clawback"
psql -X -tA "$DB" -c 'SHOW synchronous_commit' -c 'SHOW fsync' | tr '\n' ' '
echo "(synchronous_commit, fsync of Clawback's PostgreSQL)"
"$KIT" --clawback-url "$URL" --clawback-pid "$CB_PID" \
  --clawback-count-cmd "psql -X -tA '$DB' -c 'SELECT (SELECT count(*) FROM alerts) + (SELECT count(*) FROM intake_log)'" \
  "$@"
