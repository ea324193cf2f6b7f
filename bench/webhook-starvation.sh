#!/usr/bin/env bash
# One organizer against everyone's webhooks ("Hostile traffic", item 3), on a release instance
# and a private PostgreSQL (fsync on), receivers on loopback:
#
#   1. slow targets: an honest organizer's webhook (a receiver answering 204 at once) is timed
#      alone, then while an attacker has SLOW_HOOKS webhooks to a target that accepts and never
#      answers and edits their own event twice; each time is from the booking's answer to the
#      delivery's arrival;
#   2. refused targets: the attacker adds REFUSED_HOOKS webhooks to a port nobody listens on and
#      edits their event EDITS times; after WATCH seconds, the attempt rows those webhooks made
#      and how many of them are paused.
#
# WEBHOOKS_PER_USER is raised to fit the attacker, so the delivery worker itself is measured,
# not the cap. Usage: bench/webhook-starvation.sh   (SLOW_HOOKS=128 REFUSED_HOOKS=200 EDITS=5
# WATCH=45 by default; BINARY=path/to/ticketing to measure a build made elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."

SLOW_HOOKS=${SLOW_HOOKS:-128}
REFUSED_HOOKS=${REFUSED_HOOKS:-200}
EDITS=${EDITS:-5}
WATCH=${WATCH:-45}

# shellcheck source=bench/lib.sh
. bench/lib.sh

binary=${BINARY:-}
if [ -z "$binary" ]; then
  log "building (release)"
  cargo build --release --quiet -p api-actix
  binary=${CARGO_TARGET_DIR:-target}/release/ticketing
fi

work=$(mktemp -d /tmp/ticketing-webhooks.XXXXXX)
pids=()
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
export DATABASE_URL="postgres://postgres@127.0.0.1:$db_port/ticketing"
"$binary" migrate >/dev/null

port=$(free_port)
JWT_SECRET=bench-only-secret-not-a-real-one PORT=$port HOST=127.0.0.1 RATE_LIMIT_PER_SECOND=0 \
  MAX_CONNECTIONS_PER_IP=0 WEBHOOK_ALLOW_PRIVATE_NETWORKS=true WEBHOOKS_PER_USER=$((SLOW_HOOKS + REFUSED_HOOKS)) \
  RUST_LOG=warn "$binary" serve >>"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done

log "measuring"
python3 - "http://127.0.0.1:$port" "$DATABASE_URL" "$SLOW_HOOKS" "$REFUSED_HOOKS" "$EDITS" "$WATCH" <<'PY'
import asyncio, json, socket, subprocess, sys, threading, time, urllib.request

base, database, slow_hooks, refused_hooks, edits, watch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
arrivals, arrived = [], threading.Condition()

async def honest_receiver(reader, writer):
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), 0)
        body = await reader.readexactly(length)
        with arrived:
            arrivals.append((time.monotonic(), json.loads(body)["data"]["booking"]["id"]))
            arrived.notify_all()
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

async def silent_receiver(reader, writer):
    await asyncio.sleep(3600)  # accepts, reads nothing, never answers

def start_servers():
    loop = asyncio.new_event_loop()
    servers = [loop.run_until_complete(asyncio.start_server(h, "127.0.0.1", 0, backlog=1024))
               for h in (honest_receiver, silent_receiver)]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return [s.sockets[0].getsockname()[1] for s in servers]

def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"content-type": "application/json", **({"authorization": token} if token else {})})
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
        return json.loads(text) if text else None

def account(name):
    email = f"{name}@example.com"
    call("POST", "/register", {"email": email, "password": "correct-horse", "firstName": name, "lastName": "Bench"})
    return call("POST", "/login", {"email": email, "password": "correct-horse"})["token"]

def event(token, seats=100000):
    body = {"name": "Bench", "description": "Bench", "date": "2027-12-31", "location": "Here", "ticketLimit": seats, "price": 1}
    return call("POST", "/initialize", body, token)["event"]["id"]

def sql(query):
    return subprocess.run(["psql", "-X", "-q", "-t", "-A", database, "-c", query], check=True, capture_output=True, text=True).stdout.strip()

honest_port, silent_port = start_servers()
closed = socket.socket(); closed.bind(("127.0.0.1", 0)); refused_port = closed.getsockname()[1]; closed.close()
honest = account("honest")
honest_event = event(honest)
call("POST", "/webhooks", {"url": f"http://127.0.0.1:{honest_port}/hook", "types": ["booking.confirmed"]}, honest)
buyers = iter(range(10**6))

def honest_delivery(timeout=120):
    """Seconds from a booking's answer to its notification's arrival at the honest receiver."""
    buyer = account(f"buyer{next(buyers)}")
    booking = call("POST", "/book", {"eventId": honest_event}, buyer)["booking"]["id"]
    answered = time.monotonic()
    with arrived:
        got = arrived.wait_for(lambda: any(b == booking for _, b in arrivals), timeout)
        at = next((t for t, b in arrivals if b == booking), None)
    return at - answered if got else float("inf")

alone = [honest_delivery() for _ in range(5)]
print(f"honest delivery alone: {', '.join(f'{s:.2f}' for s in alone)} s")

attacker = account("attacker")
attacker_event = event(attacker)
for i in range(slow_hooks):
    call("POST", "/webhooks", {"url": f"http://127.0.0.1:{silent_port}/{i}"}, attacker)
started = time.monotonic()
for limit in (200001, 200002):
    call("PATCH", f"/events/{attacker_event}", {"ticketLimit": limit}, attacker)
under_attack = []
for at in (0.5, 3, 6, 11, 16, 21, 31, 41):
    time.sleep(max(0, started + at - time.monotonic()))
    under_attack.append((time.monotonic() - started, honest_delivery()))
print(f"honest delivery with {slow_hooks} silent webhooks and 2 edits: "
      + ", ".join(f"{s:.2f} (at +{t:.0f} s)" for t, s in under_attack) + f" s; max {max(s for _, s in under_attack):.2f} s")

refused_attacker = account("refuser")
refused_event = event(refused_attacker)
hooks = [call("POST", "/webhooks", {"url": f"http://127.0.0.1:{refused_port}/{i}"}, refused_attacker)["webhook"]["id"]
         for i in range(refused_hooks)]
started = time.monotonic()
for n in range(edits):
    call("PATCH", f"/events/{refused_event}", {"ticketLimit": 300000 + n}, refused_attacker)
during = []
while time.monotonic() < started + watch:
    during.append(honest_delivery())
    time.sleep(5)
ids = ",".join(map(str, hooks))
attempts = int(sql(f"SELECT count(*) FROM webhook_attempts WHERE webhook_id IN ({ids})"))
pending = int(sql(f"SELECT count(*) FROM webhook_deliveries WHERE webhook_id IN ({ids}) AND due_at IS NOT NULL"))
listed = call("GET", "/webhooks", token=refused_attacker)["webhooks"]
paused = sum(1 for w in listed if w.get("pausedUntil"))
print(f"{refused_hooks} webhooks to a refused port, {edits} edits: {attempts} attempt rows in {watch} s "
      f"({attempts / refused_hooks:.1f} per webhook), {pending} deliveries pending, {paused} webhooks paused; "
      f"honest delivery meanwhile max {max(during):.2f} s")
PY
