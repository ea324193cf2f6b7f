#!/usr/bin/env bash
# Hostile connections against one `ticketing serve`, measured from the outside (raw sockets, so
# that nothing a client library does hides what the server does):
#   1. CHUNKED (1 000) connections from one address, each a `GET /health` announcing a chunked
#      body that never finishes, with the default limits (256 per address, 10 000 in all): how
#      each ended (answered and closed, or still open after HOLD_SECONDS), and the latency of
#      `/health` from another address meanwhile (a new connection every 10 ms);
#   2. with no per-address cap and MAX_CONNECTIONS=512: CHUNKED_UNCAPPED (600) such
#      connections, more than the server holds at once, and `/health` from another address;
#   3. a sign-in storm: STORM_CLIENTS (64) connections opened ahead of use and left idle for
#      IDLE_MS (5 000: their first request races the 5 s head timeout) before it goes out, then
#      STORM_LOGINS (640) logins of one account through them, against one hashing slot and a
#      queue of 8: which statuses came back (only 200 and 503 are right; a 408 is an answer
#      to no request), how many connections were closed unasked, and the server's ERROR and
#      WARN log lines.
# Rate limiting is off in 1 and 2, so that what answers is the connection handling alone.
# Everything runs on this machine and stops by itself; the server listens on 127.0.0.1 only and
# the clients come from other loopback addresses (127.0.0.2, 127.0.0.3).
#
# Usage: bench/hostile.sh          (TICKETING_BIN=path/to/ticketing to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."

CHUNKED=${CHUNKED:-1000}
CHUNKED_UNCAPPED=${CHUNKED_UNCAPPED:-600}
HOLD_SECONDS=${HOLD_SECONDS:-20}
STORM_CLIENTS=${STORM_CLIENTS:-64}
STORM_LOGINS=${STORM_LOGINS:-640}
IDLE_MS=${IDLE_MS:-5000}

# shellcheck source=bench/lib.sh
. bench/lib.sh
# A thousand sockets on the client's side, as many on the server's.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -z "${TICKETING_BIN:-}" ]; then
  log "building (release)"
  cargo build --release --quiet -p api-actix
  TICKETING_BIN="${CARGO_TARGET_DIR:-target}/release/ticketing"
fi

work=$(mktemp -d /tmp/ticketing-hostile.XXXXXX)
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
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
"$TICKETING_BIN" migrate >/dev/null

# serve NAME VAR=value...: one instance with these settings, logging JSON to $work/NAME.log.
serve() {
  local name=$1
  shift
  port=$(free_port)
  env JWT_SECRET=bench-only-secret-not-a-real-one PORT="$port" HOST=127.0.0.1 LOG_FORMAT=json \
    RUST_LOG=info "$@" "$TICKETING_BIN" serve >"$work/$name.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && return; sleep 0.1; done
  echo "the server did not start: $(tail -5 "$work/$name.log")" >&2
  exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

cat >"$work/hostile.py" <<'PY'
import asyncio, json, socket, statistics, sys, time

PORT = int(sys.argv[2])

async def connect(source):
    sock = socket.socket()
    sock.setblocking(False)
    sock.bind((source, 0))
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", PORT))
    return await asyncio.open_connection(sock=sock)

async def answer(reader):
    """One answer's status, or None when the connection closed before any byte of it."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await reader.read(4096)
        if not chunk:
            return None if not head else "closed mid-answer"
        head += chunk
    head, body = head.split(b"\r\n\r\n", 1)
    length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += await reader.read(length - len(body))
    return int(head.split(b" ")[1])

def probe():
    """`/health` from 127.0.0.3 every 10 ms, each on a new connection, in a process of its own
    (so that the attacker's event loop does not delay it) until SIGTERM; then its summary."""
    import signal
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    latencies, failures = [], 0
    while not stopping:
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=10, source_address=("127.0.0.3", 0)) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := sock.recv(4096):
                    answer += chunk
            if answer.startswith(b"HTTP/1.1 200"):
                latencies.append(time.perf_counter() - started)
            else:
                failures += 1
        except OSError:
            failures += 1
        time.sleep(0.01)
    print(json.dumps({"health_from_another_address": summary(latencies), "health_failures": failures}))

def summary(latencies):
    if not latencies:
        return "none"
    ms = sorted(l * 1000 for l in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{len(ms)} answered, median {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"

async def chunked(count, hold):
    started = time.perf_counter()

    async def one():
        try:
            reader, writer = await connect("127.0.0.2")
        except OSError:
            return "refused", None
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
        try:
            status = await asyncio.wait_for(answer(reader), hold)
            rest = await asyncio.wait_for(reader.read(), hold - (time.perf_counter() - started))
            return status, time.perf_counter() - started
        except (asyncio.TimeoutError, ValueError):
            return "open", None
        except OSError:
            return "reset", time.perf_counter() - started
        finally:
            writer.close()

    ends = await asyncio.gather(*(one() for _ in range(count)))
    outcomes = {}
    for status, _ in ends:
        outcomes[str(status)] = outcomes.get(str(status), 0) + 1
    closed = [at for _, at in ends if at is not None]
    print(json.dumps({
        "connections": count,
        "ended_by_status": outcomes,
        "still_open_after_s": hold if outcomes.get("open") else None,
        "last_closed_after_s": round(max(closed), 2) if closed else None,
    }))

async def storm(clients, logins, idle_ms):
    body = json.dumps({"email": "storm@example.com", "password": "correct-horse-battery"}).encode()
    request = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
               + str(len(body)).encode() + b"\r\n\r\n" + body)
    connections = [await connect("127.0.0.2") for _ in range(clients)]
    await asyncio.sleep(idle_ms / 1000)
    statuses, closed_unasked, left = {}, 0, [logins]

    async def client(connection):
        nonlocal closed_unasked
        reader, writer = connection
        while left[0] > 0:
            left[0] -= 1
            while True:
                writer.write(request)
                status = await answer(reader)
                if status is not None:
                    break
                # Closed before answering: as a pool client does, open another and send again.
                closed_unasked += 1
                writer.close()
                reader, writer = await connect("127.0.0.2")
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    print(json.dumps({"logins": logins, "clients": clients, "idle_before_first_ms": idle_ms,
                      "statuses": statuses, "connections_closed_unasked": closed_unasked,
                      "seconds": round(time.perf_counter() - started, 1)}))

mode = sys.argv[1]
if mode == "probe":
    probe()
elif mode == "chunked":
    asyncio.run(chunked(int(sys.argv[3]), float(sys.argv[4])))
else:
    asyncio.run(storm(int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
PY

# attack COUNT: COUNT unfinished chunked bodies, `/health` probed from another address meanwhile.
attack() {
  python3 "$work/hostile.py" probe "$port" &
  local probe=$!
  sleep 0.5
  python3 "$work/hostile.py" chunked "$port" "$1" "$HOLD_SECONDS"
  kill -TERM "$probe"
  wait "$probe"
}

log "1. $CHUNKED unfinished chunked bodies from one address (the default limits)"
serve capped RATE_LIMIT_PER_SECOND=0
attack "$CHUNKED"
stop

log "2. $CHUNKED_UNCAPPED unfinished chunked bodies from one address (no cap, MAX_CONNECTIONS=512)"
serve uncapped RATE_LIMIT_PER_SECOND=0 MAX_CONNECTIONS=512 MAX_CONNECTIONS_PER_IP=0
attack "$CHUNKED_UNCAPPED"
stop

log "3. a sign-in storm through $STORM_CLIENTS connections opened ${IDLE_MS} ms ahead"
serve storm HASHING_SLOTS=1 HASHING_QUEUE=8 RATE_LIMIT_PER_SECOND=0
curl -fs -o /dev/null "http://127.0.0.1:$port/register" -H 'Content-Type: application/json' \
  -d '{"email": "storm@example.com", "password": "correct-horse-battery", "firstName": "S", "lastName": "T"}'
python3 "$work/hostile.py" storm "$port" "$STORM_CLIENTS" "$STORM_LOGINS" "$IDLE_MS"
stop
printf '{"server_log_lines": {"ERROR": %s, "WARN": %s}}\n' \
  "$(grep -c '"level":"ERROR"' "$work/storm.log" || true)" "$(grep -c '"level":"WARN"' "$work/storm.log" || true)"
log "the server's WARN lines by message, and its ERROR lines"
grep -E '"level":"WARN"' "$work/storm.log" | sed -E 's/.*"message":"([^"]{0,80})[^"]*".*/\1/' | sort | uniq -c || true
grep -E '"level":"ERROR"' "$work/storm.log" | cut -c1-600 || true
