#!/usr/bin/env bash
# A hot drop through faults, PASSES times in a row (issue 11): two release instances on one
# private PostgreSQL (fsync on); in each pass, while ticketing-load's keyed, retrying buyers
# book, one instance is killed with SIGKILL and started again, and PostgreSQL is restarted
# with `-m immediate` (a crash: only what reached the WAL survives). ticketing-load then
# checks, through the API and by SQL: no seat oversold, no user with two live bookings, the
# line in order, every acknowledged booking stored exactly once, none stored that no answer
# acknowledged, and every buyer ended with a definite answer (201) — its exit status says
# whether all of that held.
#
# Usage: bench/faults.sh        (PASSES=5 BUYERS=4000 SEATS=1000 CLIENTS=32 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

PASSES=${PASSES:-5}
BUYERS=${BUYERS:-4000}
SEATS=${SEATS:-1000}
CLIENTS=${CLIENTS:-32}

# shellcheck source=bench/lib.sh
. bench/lib.sh

log "building (release)"
cargo build --release --quiet -p api-actix -p loadgen

work=$(mktemp -d /tmp/ticketing-faults.XXXXXX)
declare -A pids
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_postgres "$work/data"
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -ne 0 ] || chown postgres "$work"

db_port=$(free_port)
start_postgres "$work/data" "$db_port"
# The crash restarts below.
pg() { as_postgres "$pg_bin/pg_ctl" -D "$work/data" -l "$work/data/server.log" -o "-p $db_port" -w "$@" >/dev/null; }
export DATABASE_URL="postgres://postgres@127.0.0.1:$db_port/ticketing"
bookings() { psql -X -q -t -A -h 127.0.0.1 -p "$db_port" -U postgres -d ticketing -c "SELECT count(*) FROM bookings" 2>/dev/null || echo -1; }
./target/release/ticketing migrate >/dev/null

ports=("$(free_port)" "$(free_port)")
serve() { # instance index
  JWT_SECRET=bench-only-secret-not-a-real-one PORT=${ports[$1]} HOST=127.0.0.1 RATE_LIMIT_PER_SECOND=0 \
    MAX_CONNECTIONS_PER_IP=0 WORKERS=1 RUST_LOG=warn ./target/release/ticketing serve >>"$work/server-$1.log" 2>&1 &
  pids[$1]=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:${ports[$1]}/ready" >/dev/null && return; sleep 0.1; done
  echo "instance $1 did not become ready" >&2
  return 1
}
serve 0
serve 1

passed=0
for pass in $(seq 1 "$PASSES"); do
  before=$(bookings)
  ./target/release/ticketing-load --base "http://127.0.0.1:${ports[0]}" --base "http://127.0.0.1:${ports[1]}" \
    --database-url "$DATABASE_URL" --accounts-by-sql --provision-concurrency 64 --json \
    hotdrop --capacity "$SEATS" --buyers "$BUYERS" --concurrency "$CLIENTS" >"$work/pass.json" &
  load=$!
  # The faults land once the drop is under way (the accounts are logged in first).
  while [ "$(bookings)" -le "$before" ]; do sleep 0.05; done
  sleep 0.3
  kill -9 "${pids[1]}"
  wait "${pids[1]}" 2>/dev/null || true
  killed_at=$(bookings)
  serve 1
  pg restart -m immediate
  restarted_at=$(bookings)
  status=0
  wait "$load" || status=$?
  python3 - "$work/pass.json" "$pass" "$status" "$((killed_at - before))" "$((restarted_at - before))" <<'PY'
import json, sys
report, (path, n, status, killed, restarted) = json.load(open(sys.argv[1])), sys.argv[1:]
p = report["phases"][0]
print(f"pass {n}: exit {status}; {p['requests']} buyers, answers {p['answers']}, {p['throughput_rps']:.0f} bookings/s, "
      f"p99 {p['p99_ms']:.0f} ms, max {p['max_ms']:.0f} ms; SIGKILL after {killed} bookings, PostgreSQL back after "
      f"{restarted}; violations: {report['violations'] or 'none'}")
PY
  if [ "$status" -eq 0 ]; then passed=$((passed + 1)); fi
done
echo "$passed of $PASSES passes kept every check"
[ "$passed" -eq "$PASSES" ]
