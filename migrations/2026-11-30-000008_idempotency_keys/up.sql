-- Safe retries (docs/ARCHITECTURE.md, "Safe retries"). One row per requester and key: claimed by
-- an attempt (its lease bounds how long a crashed attempt blocks the key), then answered — by
-- the effect's own transaction when the request changed something, so the answer and the effect
-- commit together or not at all.
CREATE TABLE idempotency_keys (
    requester   TEXT        NOT NULL,
    key         TEXT        NOT NULL,
    fingerprint BYTEA       NOT NULL,
    attempt     UUID        NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    status      SMALLINT,
    body        BYTEA,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (requester, key),
    CONSTRAINT idempotency_keys_answered_whole CHECK ((status IS NULL) = (body IS NULL)),
    CONSTRAINT idempotency_keys_status_http CHECK (status BETWEEN 100 AND 599)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
