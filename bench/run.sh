#!/usr/bin/env bash
# The service against the database's own ceiling, in one run on one machine:
#   1. a private PostgreSQL (durable: fsync and synchronous_commit on) and two
#      `ticketing serve` instances on it, rate limiting off;
#   2. pgbench running the adapter's own booking and cancel SQL (generated from the
#      statements infra_postgres::bench re-exports) for each regime: the ceiling;
#   3. ticketing-load running the same regimes over HTTP, spread across both instances,
#      verifying every invariant afterwards (through the API and by SQL), then the reads:
#      /status, and the lists (GET /events pages walked by cursor, GET /me/bookings);
#      the churn's event has a webhook whose receiver (in ticketing-load) times each
#      notification from its commit to its arrival;
#   4. each HTTP figure as a ratio of its ceiling, the webhook delivery lag, and a sign-in storm
#      (every buyer logs in again) against the machine's Argon2id hashing ceiling;
#   5. offers: the churn on an event in offer mode (offers of 10 s), OFFER_CANCELS (200) holders
#      cancelling, half the first round of offers let lapse; the time from each lapsed deadline
#      to the next offer (the instances' sweepers, every 500 ms by default), by SQL;
#   6. groups: a hot drop and a churn whose buyers ask for 1 to 4 seats each, then MIXED_SECONDS
#      (60) of random books, cancels, lowered quantities and limit changes by 300 buyers of
#      1 to 4 seats on a 100-seat event, every invariant checked by SQL afterwards;
#   7. a stampede: STAMPEDE_CLIENTS (1 024) clients, one connection each, across both
#      instances, STAMPEDE_BUYERS (20 000) keyed, retrying buyers for STAMPEDE_SEATS (2 000)
#      seats; its accounts are written by SQL and only logged in (one hash each: the set-up
#      takes about four minutes on two cores);
#   8. the same stampede through a waiting room: the event behind a room admitting ROOM_RATE
#      (500) buyers a second, the buyers arriving ROOM_ARRIVALS (5 000) a second from the
#      start (0: all at once, as fast as the clients are answered), asking for its admission
#      token when the room says its place is due and booking with it; the places are checked
#      to be 1..STAMPEDE_BUYERS in the order joins were answered, no token to come before its
#      place was reached, and nothing to be oversold (its own accounts: four more minutes).
# Everything runs on this machine and stops by itself; the servers listen on 127.0.0.1 only.
#
# Each pgbench ceiling runs as many transactions, on an event of the same shape, as the HTTP
# run it is compared with (the place-in-line count grows with the line, so a longer pgbench
# run would be a different regime).
#
# Usage: bench/run.sh            (CLIENTS=64 BUYERS=2000 SECONDS_PER_RUN=10 WORKERS=1 by default;
#                                 STAMPEDE_BUYERS=0 leaves both stampedes out, MIXED_SECONDS=0
#                                 the mixed run, OFFER_CANCELS=0 the offer churn)
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-64}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BUYERS=${BUYERS:-2000}
# Two instances share this machine's cores: one HTTP worker thread each, unless told otherwise.
WORKERS=${WORKERS:-1}
STAMPEDE_CLIENTS=${STAMPEDE_CLIENTS:-1024}
STAMPEDE_BUYERS=${STAMPEDE_BUYERS:-20000}
STAMPEDE_SEATS=${STAMPEDE_SEATS:-2000}
ROOM_RATE=${ROOM_RATE:-500}
ROOM_ARRIVALS=${ROOM_ARRIVALS:-5000}
MIXED_SECONDS=${MIXED_SECONDS:-60}
OFFER_CANCELS=${OFFER_CANCELS:-200}

# shellcheck source=bench/lib.sh
. bench/lib.sh
[ -x "$pg_bin/pgbench" ] || { echo "pgbench is needed beside $pg_bin/pg_ctl (Debian: apt-get install postgresql)" >&2; exit 1; }

log "building (release)"
cargo build --release --quiet -p api-actix -p loadgen
cargo run --release --quiet -p infra-postgres --example pgbench_scripts -- target/bench-scripts

work=$(mktemp -d /tmp/ticketing-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_postgres "$work/data"
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -ne 0 ] || chown postgres "$work"

log "starting PostgreSQL"
db_port=$(free_port)
start_postgres "$work/data" "$db_port"
export DATABASE_URL="postgres://postgres@127.0.0.1:$db_port/ticketing"
psql_q() { psql -X -q -t -A -h 127.0.0.1 -p "$db_port" -U postgres -d ticketing -v ON_ERROR_STOP=1 "$@"; }
./target/release/ticketing migrate >/dev/null

log "starting two ticketing instances"
bases=()
# One admission key for both, so that a token one instance signs is good on the other.
admission_key=$(head -c 32 /dev/urandom | base64 -w 0)
for _ in 1 2; do
  port=$(free_port)
  # Every client is on 127.0.0.1: the per-address connection cap would turn the stampede away.
  JWT_SECRET=bench-only-secret-not-a-real-one ADMISSION_SIGNING_KEY=$admission_key PORT=$port HOST=127.0.0.1 RATE_LIMIT_PER_SECOND=0 MAX_CONNECTIONS_PER_IP=0 \
    WEBHOOK_ALLOW_PRIVATE_NETWORKS=true WORKERS=$WORKERS RUST_LOG=warn ./target/release/ticketing serve >"$work/server-$port.log" 2>&1 &
  pids+=($!)
  bases+=(--base "http://127.0.0.1:$port")
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
done

log "preparing the pgbench data"
psql_q <<'SQL'
INSERT INTO users (email, password_hash, first_name, last_name)
SELECT 'bench' || g || '@example.com', 'not-a-hash', 'Bench', 'User' FROM generate_series(1, 400000) AS g;
CREATE SEQUENCE bench_user;
CREATE SEQUENCE bench_cancel;
SQL
new_event() { # seats -> id
  psql_q -c "INSERT INTO events (organizer_id, name, description, date, location, ticket_limit, price_cents)
             VALUES (1, 'bench', 'bench', '2027-01-01', 'here', $1, 100) RETURNING id"
}
pgbench_run() { # script event transactions -> "tps mean_latency_ms"
  psql_q -c "SELECT setval('bench_user', 1, false)" >/dev/null
  "$pg_bin/pgbench" -n -M prepared -h 127.0.0.1 -p "$db_port" -U postgres -c "$CLIENTS" -j 2 -t $(($3 / CLIENTS)) \
    -D "event=$2" -f "target/bench-scripts/$1.sql" ticketing >"$work/pgbench.out" 2>&1 ||
    { cat "$work/pgbench.out" >&2; exit 1; }
  echo "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out") $(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/pgbench.out")"
}
load() { ./target/release/ticketing-load "${bases[@]}" --database-url "$DATABASE_URL" --json "$@"; }

log "ceiling: seats left"
ceiling_seats=$(pgbench_run seats_left "$(new_event 2000000000)" "$BUYERS")
log "ceiling: sold out"
sold_out_event=$(new_event 1)
psql_q -c "UPDATE events SET seats_taken = 1 WHERE id = $sold_out_event;
           INSERT INTO bookings (event_id, user_id, status) VALUES ($sold_out_event, 400000, 'CONFIRMED')" >/dev/null
ceiling_sold_out=$(pgbench_run sold_out "$sold_out_event" "$BUYERS")
log "ceiling: cancel + promote"
# As the HTTP churn below: BUYERS/2 seats taken, BUYERS/2 waiting, BUYERS/2 cancels in id order.
half=$((BUYERS / 2))
cancel_event=$(new_event "$half")
psql_q -c "INSERT INTO bookings (event_id, user_id, status)
           SELECT $cancel_event, g, CASE WHEN g <= $half THEN 'CONFIRMED' ELSE 'PENDING' END
           FROM generate_series(1, $BUYERS) AS g ORDER BY g" >/dev/null
first=$(psql_q -c "SELECT min(id) FROM bookings WHERE event_id = $cancel_event")
psql_q -c "UPDATE events SET seats_taken = $half, waiting = $BUYERS - $half, seats_waiting = $BUYERS - $half
           WHERE id = $cancel_event;
           SELECT setval('bench_cancel', $first, false)" >/dev/null
ceiling_cancel=$(pgbench_run cancel_promote "$cancel_event" "$half")

# The ceilings run the booking statements alone, so the rows compared with them send each write
# once, without an Idempotency-Key (the fast path); one more row measures the same drop as a
# careful client makes it, every booking keyed (its answer stored with it) and retried.
# pgbench reports its rate without its connections' set-up; the instances open their pool
# connections (and prepare their statements) on first demand, so a short drop, not counted,
# warms them first.
log "HTTP: warm-up (not counted)"
load --accounts-by-sql --no-idempotency-keys hotdrop --capacity 1000000 --buyers 256 --concurrency "$CLIENTS" >/dev/null
log "HTTP: hot drop with seats left"
load --no-idempotency-keys hotdrop --capacity 1000000 --buyers "$BUYERS" --concurrency "$CLIENTS" >"$work/seats.json"
log "HTTP: hot drop with seats left, every booking with an Idempotency-Key"
load hotdrop --capacity 1000000 --buyers "$BUYERS" --concurrency "$CLIENTS" >"$work/keyed.json"
log "HTTP: hot drop, sold out after the first seat"
load --no-idempotency-keys hotdrop --capacity 1 --buyers "$BUYERS" --concurrency "$CLIENTS" >"$work/sold_out.json"
log "HTTP: churn (cancel + promote)"
load --no-idempotency-keys churn --capacity "$half" --buyers "$BUYERS" --cancels "$half" --concurrency "$CLIENTS" --webhooks >"$work/churn.json"
if [ "$OFFER_CANCELS" -gt 0 ]; then
  # Smaller than the churn: everyone the seats will reach reads their booking four times a
  # second until offered, and a lapse takes the 10 s window whatever the size.
  log "HTTP: churn in offer mode ($OFFER_CANCELS cancels, offers of 10 s, $((OFFER_CANCELS / 2)) let lapse)"
  load --accounts-by-sql offer-churn --capacity $((2 * OFFER_CANCELS)) --buyers $((5 * OFFER_CANCELS)) --cancels "$OFFER_CANCELS" \
    --window-seconds 10 --concurrency "$CLIENTS" >"$work/offer_churn.json"
fi
log "HTTP: hot drop of groups (1 to 4 seats each), sold out after a quarter of them"
load --no-idempotency-keys hotdrop --capacity "$half" --buyers "$BUYERS" --max-quantity 4 --concurrency "$CLIENTS" >"$work/groups.json"
log "HTTP: churn of groups (1 to 4 seats each): every holder cancels, groups in the line"
load --no-idempotency-keys churn --capacity "$BUYERS" --buyers "$BUYERS" --cancels "$BUYERS" --max-quantity 4 \
  --concurrency "$CLIENTS" >"$work/group_churn.json"
if [ "$MIXED_SECONDS" -gt 0 ]; then
  log "HTTP: $MIXED_SECONDS s of random books, cancels, lowered quantities and limit changes (300 buyers, 1 to 4 seats, 100 seats)"
  load mixed --users 300 --capacity 100 --max-quantity 4 --seconds "$MIXED_SECONDS" --concurrency "$CLIENTS" >"$work/mixed.json"
fi
log "HTTP: a sign-in storm ($BUYERS users log in, $CLIENTS at a time) against the hashing ceiling"
load login --users "$BUYERS" --concurrency "$CLIENTS" >"$work/login.json"
log "HTTP: status reads"
load status --concurrency "$CLIENTS" --seconds "$SECONDS_PER_RUN" >"$work/status.json"
log "HTTP: list reads (GET /events pages, GET /me/bookings)"
load list --concurrency "$CLIENTS" --seconds "$SECONDS_PER_RUN" --events 200 >"$work/list.json"
room_exit=0
if [ "$STAMPEDE_BUYERS" -gt 0 ]; then
  log "HTTP: stampede, $STAMPEDE_BUYERS buyers for $STAMPEDE_SEATS seats, $STAMPEDE_CLIENTS clients (set-up: logging them in)"
  load --accounts-by-sql --provision-concurrency 64 hotdrop --capacity "$STAMPEDE_SEATS" --buyers "$STAMPEDE_BUYERS" \
    --concurrency "$STAMPEDE_CLIENTS" >"$work/stampede.json"
  log "HTTP: the stampede through a waiting room admitting $ROOM_RATE a second (set-up: logging its buyers in)"
  # A broken check (exit 2) is reported in the summary below, and is the script's exit status.
  load --accounts-by-sql --provision-concurrency 64 room --capacity "$STAMPEDE_SEATS" --buyers "$STAMPEDE_BUYERS" \
    --concurrency "$STAMPEDE_CLIENTS" --rate "$ROOM_RATE" \
    ${ROOM_ARRIVALS:+$([ "$ROOM_ARRIVALS" -gt 0 ] && echo --arrivals-per-second "$ROOM_ARRIVALS")} \
    >"$work/room.json" || room_exit=$?
  [ "$room_exit" -le 2 ] || exit "$room_exit"
fi

python3 - "$work" "$ceiling_seats" "$ceiling_sold_out" "$ceiling_cancel" "$CLIENTS" <<'PY'
import json, sys
work, clients = sys.argv[1], sys.argv[5]
(seats, seats_ms), (sold_out, sold_out_ms), (cancel, cancel_ms) = (tuple(map(float, a.split())) for a in sys.argv[2:5])
def phase(name, index=0):
    report = json.load(open(f"{work}/{name}.json"))
    return report, report["phases"][index]
rows = []
for label, name, index, ceiling, ceiling_ms in [
    ("book, seats left", "seats", 0, seats, seats_ms),
    ("book, seats left, keyed", "keyed", 0, seats, seats_ms),
    ("book, sold out", "sold_out", 0, sold_out, sold_out_ms),
    ("cancel + promote", "churn", 1, cancel, cancel_ms),
    ("book, groups of 1-4, sold out", "groups", 0, None, None),
    ("cancel + promote, groups of 1-4", "group_churn", 1, None, None),
    ("GET /status", "status", 0, None, None),
    ("GET /events (a page of 20)", "list", 0, None, None),
    ("GET /me/bookings (a page of 20)", "list", 1, None, None),
]:
    report, p = phase(name, index)
    ok = "yes" if not report["violations"] and all(ph["failures"] == 0 for ph in report["phases"]) else "NO"
    ratio = f"{p['throughput_rps'] / ceiling:.0%}" if ceiling else "-"
    rows.append((label, p["requests"], f"{p['throughput_rps']:.0f}", f"{ceiling:.0f}" if ceiling else "-", ratio,
                 f"{p['p50_ms']:.1f}", f"{p['p99_ms']:.1f}", f"{ceiling_ms:.1f}" if ceiling_ms else "-", ok))
    if report.get("client_cpu_percent") is not None:
        status_cpu = report["client_cpu_percent"]
print(f"\n{clients} concurrent clients, 2 instances, one PostgreSQL; ceilings from pgbench on the adapter's SQL\n")
print("| regime | requests | HTTP req/s | pgbench tps | ratio | p50 ms | p99 ms | pgbench mean ms | invariants, no 5xx |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for row in rows:
    print("| " + " | ".join(map(str, row)) + " |")
print(f"\nThe load generator used {status_cpu:.0f}% of one core during the status run.")
login = json.load(open(f"{work}/login.json"))
lp, hashing = login["phases"][0], login["hashing_ceiling_per_s"]
print(f"\nSign-in storm: {lp['requests']} logins, {lp['throughput_rps']:.0f}/s against a hashing ceiling of {hashing:.0f} "
      f"Argon2id hashes/s on this machine ({lp['throughput_rps'] / hashing:.0%}); p50 {lp['p50_ms']:.0f} ms, p99 {lp['p99_ms']:.0f} ms; "
      f"answers {lp['answers']}" + ("" if not login["violations"] else f"; VIOLATIONS {login['violations']}"))
try:
    mixed = json.load(open(f"{work}/mixed.json"))
    mp = mixed["phases"][0]
    print(f"\nMixed: {mp['requests']} requests in {mixed['parameters']['seconds']} s ({mp['throughput_rps']:.0f}/s; "
          f"seed {mixed['parameters']['seed']}), p50 {mp['p50_ms']:.1f} ms, p99 {mp['p99_ms']:.1f} ms; answers {mp['answers']}; "
          + ("every invariant held by SQL" if not mixed["violations"] else f"VIOLATIONS {mixed['violations']}"))
except FileNotFoundError:
    pass
try:
    stampede = json.load(open(f"{work}/stampede.json"))
    sp = stampede["phases"][0]
    print(f"\nStampede: {sp['requests']} buyers, {stampede['parameters']['capacity']} seats, "
          f"{stampede['parameters']['concurrency']} clients: {sp['throughput_rps']:.0f} bookings/s, p50 {sp['p50_ms']:.0f} ms, "
          f"p99 {sp['p99_ms']:.0f} ms, max {sp['max_ms']:.0f} ms; answers {sp['answers']}; "
          + ("every invariant held (FIFO line, no oversell, exactly once)" if not stampede["violations"] else f"VIOLATIONS {stampede['violations']}"))
except FileNotFoundError:
    pass
try:
    room = json.load(open(f"{work}/room.json"))
    phases, r = {p["name"]: p for p in room["phases"]}, room["room"]
    joins, books = phases["join"], phases["book"]
    problems = room["violations"] + [f"{p['name']}: {p['failures']} failed" for p in room["phases"] if p["failures"]]
    arriving = room["parameters"].get("arrivals_per_second", 0)
    print(f"\nStampede through the room ({'arriving ' + str(arriving) + '/s' if arriving else 'all at once'}, "
          f"{room['parameters']['concurrency']} clients): {joins['requests']} joins at {joins['throughput_rps']:.0f} joins/s, "
          f"join p99 {joins['p99_ms']:.1f} ms, book p99 {books['p99_ms']:.1f} ms (admitted buyers), "
          f"{r['confirmed']} confirmed of {room['parameters']['capacity']} seats, "
          + ("every check held" if not problems else f"VIOLATIONS {problems}"))
except FileNotFoundError:
    pass
try:
    offer = json.load(open(f"{work}/offer_churn.json"))
    op, o = offer["phases"][1], offer["offers"]
    print(f"\nOffer churn: {op['requests']} cancels ({op['throughput_rps']:.0f}/s, p99 {op['p99_ms']:.1f} ms) on an event "
          f"offering seats for {offer['parameters']['window_seconds']} s; {o['offered']} offers, {o['accepted']} accepted, "
          f"{o['expired']} let lapse; deadline to next offer p50 {o['deadline_to_next_offer_p50_ms']:.1f} ms, "
          f"p99 {o['deadline_to_next_offer_p99_ms']:.1f} ms, max {o['deadline_to_next_offer_max_ms']:.1f} ms "
          f"({o['measured']} lapses measured); "
          + ("every invariant held by SQL" if not offer["violations"] else f"VIOLATIONS {offer['violations']}"))
except FileNotFoundError:
    pass
hooks = json.load(open(f"{work}/churn.json")).get("webhooks")
if hooks:
    print(f"\nWebhook during the churn: {hooks['notifications']} notifications delivered ({hooks['received']} requests), "
          f"{hooks['promotions_received']}/{hooks['promotions_expected']} promotions; "
          f"lag from commit to receiver p50 {hooks['lag_p50_ms']:.1f} ms, p99 {hooks['lag_p99_ms']:.1f} ms, "
          f"max {hooks['lag_max_ms']:.1f} ms.")
import glob
checked = [r["history"] for r in (json.load(open(f)) for f in sorted(glob.glob(f"{work}/*.json"))) if r.get("history")]
events, entries = sum(h["events"] for h in checked), sum(h["entries"] for h in checked)
failures = [f for h in checked for f in h["failures"]]
print(f"\nIntegrity check after every scenario (each scenario's events, their history replayed against their counters "
      f"and bookings): {len(checked)} scenarios, {events} events, {entries} history entries; "
      + ("every check held." if not failures else f"{len(failures)} FAILED: {failures[:5]}"))
PY
exit "$room_exit"
