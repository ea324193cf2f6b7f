-- A key's answer is now what the domain decided, not an HTTP rendering: `effect`, the effect
-- the request made (JSON the adapter encodes, stored by the effect's own transaction), or
-- `verbatim`, the inbound adapter's own bytes for a request that made no effect (a refusal).
-- Answers kept before become verbatim ones (the status's three digits, then the body), so
-- their replays are what they were. Instances of the previous release read `status` and
-- `body`: stop them before migrating (a retry across the two would run again).
ALTER TABLE idempotency_keys ADD COLUMN effect JSONB, ADD COLUMN verbatim BYTEA;

UPDATE idempotency_keys SET verbatim = convert_to(status::text, 'UTF8') || body WHERE status IS NOT NULL;

ALTER TABLE idempotency_keys
    DROP CONSTRAINT idempotency_keys_answered_whole,
    DROP CONSTRAINT idempotency_keys_status_http,
    DROP COLUMN status,
    DROP COLUMN body,
    -- One answer per key: the effect, or the answer to a request that made none.
    ADD CONSTRAINT idempotency_keys_one_answer CHECK (effect IS NULL OR verbatim IS NULL);
