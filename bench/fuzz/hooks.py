"""Schemathesis hooks for bench/fuzz.sh.

A fuzzer sends the few Idempotency-Key values it generates again and again with other
bodies, and the service answers 422 `idempotency_key_reused`, as docs/API.md ("Safe retries") says it must. So a
well-formed key is replaced by a fresh one on every call: the run then checks what each
operation does, while malformed keys still reach the service (and must get their 400). The
key's own rules are covered by the HTTP tests (crates/api-actix/tests/api/idempotency.rs).
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and WELL_FORMED.match(value):
            headers[name] = str(uuid.uuid4())
