#!/usr/bin/env bash
# Hot-drop throughput of two builds, interleaved run by run, for "before and after" claims:
# bench/run.sh figures move by ±20 % between runs here, and the machine's speed drifts over
# minutes, far more than most changes; only runs interleaved in one sitting compare.
#
# Usage: bench/hotdrop-ab.sh <checkout A> <checkout B> [rounds, default 4]
#        SCENARIO=status bench/hotdrop-ab.sh …   (GET /status for 8 s per run instead of the drop)
#        SCENARIO=churn bench/hotdrop-ab.sh …    (cancels/s of a churn: 2 000 buyers, 1 000 cancels)
#        A_ENV='BOOKING_BATCH_WAITING=0' bench/hotdrop-ab.sh . . …   (one build, two settings)
#        LOAD_ARGS='--no-idempotency-keys' …   (extra arguments for every ticketing-load run)
#        B_POOLER=transaction bench/hotdrop-ab.sh . . …   (B's instances through PgBouncer in that
#          pool mode, with DATABASE_PREPARED_STATEMENTS=false and LISTEN direct for transaction)
#        B_REPLICA=1 SCENARIO=status bench/hotdrop-ab.sh . . …   (B's public reads from a streaming
#          replica of its database, DATABASE_READ_URL: pg_basebackup -R, on this machine too)
# Each checkout must have `target/release/ticketing` built (cargo build --release -p api-actix);
# ticketing-load is this checkout's. Each build gets a PostgreSQL of its own (fsync on),
# migrated by that build alone (so each runs on its own schema), and two instances; both stay
# up, and each round runs `ticketing-load hotdrop --capacity 1000000 --buyers 2000
# --concurrency 64` against A and B in the order ABBA, BAAB, … so that a drift in the
# machine's speed falls on both alike. Prints bookings/s per run, then each build's mean and
# B/A.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(readlink -f "$1"); b=$(readlink -f "$2"); rounds=${3:-4}
load=$PWD/target/release/ticketing-load
[ -x "$load" ] || cargo build --release --quiet -p loadgen
# shellcheck source=bench/lib.sh
. bench/lib.sh

work=$(mktemp -d /tmp/ticketing-ab.XXXXXX)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  [ ! -f "$work/pgbouncer.pid" ] || kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  for data in "$work"/data-*; do stop_postgres "$data"; done
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -ne 0 ] || chown postgres "$work"

declare -A bases
for label in A B; do
  if [ "$label" = A ]; then build=$a; settings=${A_ENV:-}; else build=$b; settings=${B_ENV:-}; fi
  db_port=$(free_port)
  data=$work/data-$label
  start_postgres "$data" "$db_port"
  url="postgres://postgres@127.0.0.1:$db_port/ticketing"
  DATABASE_URL=$url "$build/target/release/ticketing" migrate >/dev/null
  if [ "$label" = B ] && [ -n "${B_REPLICA:-}" ]; then
    replica_port=$(free_port)
    as_postgres "$pg_bin/pg_basebackup" -D "$work/data-B-replica" -R -X stream -c fast -h 127.0.0.1 -p "$db_port" -U postgres
    as_postgres "$pg_bin/pg_ctl" -D "$work/data-B-replica" -l "$work/data-B-replica/server.log" -o "-p $replica_port" -w start >/dev/null
    settings="$settings DATABASE_READ_URL=postgres://postgres@127.0.0.1:$replica_port/ticketing"
  fi
  pooler=""; [ "$label" = B ] && pooler=${B_POOLER:-}
  if [ -n "$pooler" ]; then
    bouncer_port=$(free_port)
    printf '[databases]\nticketing = host=127.0.0.1 port=%s dbname=ticketing user=postgres\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = %s\nunix_socket_dir =\nauth_type = any\npool_mode = %s\nmax_client_conn = 1000\ndefault_pool_size = 40\nignore_startup_parameters = extra_float_digits,options\nlogfile = %s\npidfile = %s\n' \
      "$db_port" "$bouncer_port" "$pooler" "$work/pgbouncer.log" "$work/pgbouncer.pid" >"$work/pgbouncer.ini"
    [ "$(id -u)" -ne 0 ] || chown postgres "$work/pgbouncer.ini"
    as_postgres "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d "$work/pgbouncer.ini"
    direct=$url
    url="postgres://postgres@127.0.0.1:$bouncer_port/ticketing"
    [ "$pooler" = transaction ] && settings="$settings DATABASE_PREPARED_STATEMENTS=false DATABASE_LISTEN_URL=$direct"
  fi
  for _ in 1 2; do
    port=$(free_port)
    # shellcheck disable=SC2086 # the settings are separate words on purpose
    env $settings DATABASE_URL=$url JWT_SECRET=bench-only-secret-not-a-real-one PORT=$port HOST=127.0.0.1 \
      RATE_LIMIT_PER_SECOND=0 WORKERS=1 RUST_LOG=error "$build/target/release/ticketing" serve >"$work/server-$label-$port.log" 2>&1 &
    pids+=($!)
    bases[$label]+=" --base http://127.0.0.1:$port"
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  done
done

case ${SCENARIO:-hotdrop} in
  hotdrop) scenario=(hotdrop --capacity 1000000 --buyers 2000 --concurrency 64); unit=bookings/s ;;
  status) scenario=(status --concurrency 64 --seconds 8); unit=req/s ;;
  churn) scenario=(churn --capacity 1000 --buyers 2000 --cancels 1000 --concurrency 64); unit=cancels/s ;;
  *) echo "SCENARIO is hotdrop, status or churn" >&2; exit 1 ;;
esac

run() { # label
  # shellcheck disable=SC2086 # the bases are separate words on purpose
  "$load" ${bases[$1]} ${LOAD_ARGS:-} --json "${scenario[@]}" >"$work/run.json"
  # A churn's figure is its cancel phase; every other scenario has one phase.
  python3 -c "import json, sys; r = json.load(open(sys.argv[1])); p = r['phases'][-1]; \
print(sys.argv[2], round(p['throughput_rps']), sys.argv[3] + ', p99', p['p99_ms'], 'ms, violations', len(r['violations']))" \
    "$work/run.json" "$1" "$unit" | tee -a "$work/results"
}

for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="A B B A"; else order="B A A B"; fi
  for label in $order; do run "$label"; done
done
if [ -n "${B_REPLICA:-}" ]; then
  served=$(as_postgres "$pg_bin/psql" -h 127.0.0.1 -p "$replica_port" -U postgres -d ticketing -Atc \
    "SELECT xact_commit FROM pg_stat_database WHERE datname = 'ticketing'")
  echo "B's replica committed $served read transactions"
fi
python3 - "$work/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, rate = line.split()[:2]
    runs.setdefault(label, []).append(int(rate))
a, b = statistics.mean(runs["A"]), statistics.mean(runs["B"])
print(f"A mean {a:.0f}/s over {len(runs['A'])} runs, B mean {b:.0f} over {len(runs['B'])}; B/A = {b / a:.3f}")
PY
