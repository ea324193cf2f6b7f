#!/usr/bin/env bash
# Hot-drop throughput of two builds, in alternating batches on this machine, for "before and
# after" claims: bench/run.sh figures move by ±20 % between runs here, far more than most
# changes, so only runs interleaved in one sitting compare.
#
# Usage: bench/hotdrop-ab.sh <checkout A> <checkout B> [runs per batch, default 3] [batches, default 2]
# Each checkout must have `target/release/ticketing` built (cargo build --release -p api-actix);
# ticketing-load is this checkout's. Each batch starts a fresh PostgreSQL (fsync on) and two
# instances of the build, then runs `ticketing-load hotdrop --capacity 1000000 --buyers 2000
# --concurrency 64` and prints bookings/s per run.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(readlink -f "$1"); b=$(readlink -f "$2"); runs=${3:-3}; batches=${4:-2}
load=$PWD/target/release/ticketing-load
[ -x "$load" ] || cargo build --release --quiet -p loadgen
pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | tail -n 1)")
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

batch() { # checkout label
  local work pids=() bases=() db_port port
  work=$(mktemp -d /tmp/ticketing-ab.XXXXXX)
  [ "$(id -u)" -ne 0 ] || chown postgres "$work"
  db_port=$(free_port)
  as_postgres "$pg_bin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\nshared_buffers = 256MB\n" >>"$work/data/postgresql.conf"
  as_postgres "$pg_bin/pg_ctl" -D "$work/data" -l "$work/data/server.log" -o "-p $db_port" -w start >/dev/null
  as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$db_port" -U postgres ticketing
  export DATABASE_URL="postgres://postgres@127.0.0.1:$db_port/ticketing"
  "$1/target/release/ticketing" migrate >/dev/null
  for _ in 1 2; do
    port=$(free_port)
    JWT_SECRET=bench-only-secret-not-a-real-one PORT=$port HOST=127.0.0.1 RATE_LIMIT_PER_SECOND=0 WORKERS=1 \
      RUST_LOG=warn "$1/target/release/ticketing" serve >"$work/server-$port.log" 2>&1 &
    pids+=($!)
    bases+=(--base "http://127.0.0.1:$port")
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  done
  for _ in $(seq 1 "$runs"); do
    "$load" "${bases[@]}" --json hotdrop --capacity 1000000 --buyers 2000 --concurrency 64 >"$work/run.json"
    python3 -c "import json, sys; r = json.load(open(sys.argv[1])); p = r['phases'][0]; \
print(sys.argv[2], round(p['throughput_rps']), 'bookings/s, p99', p['p99_ms'], 'ms, violations', len(r['violations']))" "$work/run.json" "$2"
  done
  kill "${pids[@]}"; wait 2>/dev/null || true
  as_postgres "$pg_bin/pg_ctl" -D "$work/data" stop -m fast >/dev/null
  rm -rf "$work"
}

for _ in $(seq 1 "$batches"); do batch "$a" A; batch "$b" B; done
