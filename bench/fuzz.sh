#!/usr/bin/env bash
# Fuzzes every operation of /openapi.json with schemathesis (`--checks all`) against a release
# build on a private PostgreSQL, signed in: every answer must be declared in the document,
# match its schema, and be no 5xx; a schema-valid request may be refused only as
# bench/fuzz/schemathesis.toml allows. Two passes, because two operations revoke the token
# they are called with: everything else first, then /me/password and /logout with a token
# of their own. The notification stream, which never ends, is left to the HTTP tests.
#
# Usage: bench/fuzz.sh        (MAX_EXAMPLES=100 per operation by default; exit 1 on a failure)
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES=${MAX_EXAMPLES:-100}
VENV=${FUZZ_VENV:-target/fuzz-venv}

# shellcheck source=bench/lib.sh
. bench/lib.sh

if [ ! -x "$VENV/bin/schemathesis" ]; then
  log "installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'schemathesis>=4.3,<5'
fi
log "building (release)"
cargo build --release --quiet -p api-actix

work=$(mktemp -d /tmp/ticketing-fuzz.XXXXXX)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -ne 0 ] || chown postgres "$work"

port=$(free_port)
base="http://127.0.0.1:$port"
# The service's own private cluster (no DATABASE_URL); limits off so that the fuzzer's pace
# is not what gets tested.
TICKETING_DATA_DIR="$work/data" PORT=$port HOST=127.0.0.1 RATE_LIMIT_PER_SECOND=0 SIGN_IN_PER_MINUTE=100000 \
  SIGN_IN_BURST=100000 MAX_CONNECTIONS_PER_IP=0 RUST_LOG=warn ./target/release/ticketing >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -fs "$base/ready" >/dev/null && break; sleep 0.2; done
curl -fs "$base/ready" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

token() { # e-mail
  curl -fs -X POST "$base/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"fuzzing-password-1\",\"firstName\":\"Fuzz\",\"lastName\":\"Er\"}" >/dev/null
  curl -fs -X POST "$base/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"fuzzing-password-1\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

fuzz() { # token, schemathesis selection arguments…
  local token=$1
  shift
  FUZZ_TOKEN=$token SCHEMATHESIS_HOOKS=hooks PYTHONPATH=bench/fuzz "$VENV/bin/schemathesis" --no-color \
    --config-file bench/fuzz/schemathesis.toml run "$base/openapi.json" --checks all \
    --max-examples "$MAX_EXAMPLES" --workers 2 "$@"
}

status=0
log "pass 1: every operation but the stream and the two that revoke their token"
fuzz "$(token fuzz.one@example.com)" --exclude-path /me/notifications/stream \
  --exclude-path /me/password --exclude-path /logout || status=1
log "pass 2: /me/password and /logout"
fuzz "$(token fuzz.two@example.com)" --include-path /me/password --include-path /logout || status=1
if grep -E '"level":"ERROR"| ERROR ' "$work/server.log" | grep -v 'request failed' >&2; then
  log "the server logged errors (above)"
fi
exit $status
